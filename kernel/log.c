/* log.c — console output, the leveled kernel log and panic.
 *
 * Lines are formatted into a buffer on the stack and written with
 * interrupts disabled, so lines from different threads never interleave.
 * Log lines carry the time since boot ("[    1.234567] warn: ..."); plain
 * kprintf lines do not, which keeps the lines scripts parse ("toy: ready",
 * "N passed, N failed") at the start of a line. */
#include <arch/console.h>
#include <arch/cpu.h>
#include <arch/irq.h>
#include <kernel/log.h>
#include <string.h>

static enum log_level log_level = LOG_INFO;
static const char *const level_names[] = {"error", "warn", "info", "debug"};

static void console_write(const char *s)
{
	bool on = arch_irq_save();
	for (; *s; s++) {
		if (*s == '\n')
			arch_console_putc('\r');
		arch_console_putc(*s);
	}
	arch_irq_restore(on);
}

void kputs(const char *s)
{
	console_write(s);
}

void kprintf(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	kvsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	console_write(buf);
}

void klog_set_level(enum log_level level)
{
	log_level = level;
}

void klog(enum log_level level, const char *fmt, ...)
{
	if (level > log_level)
		return;
	char buf[512];
	uint64_t us = arch_time_ns() / 1000;
	int n = ksnprintf(buf, sizeof(buf), "[%5u.%06u] %s: ", (unsigned)(us / 1000000),
			  (unsigned)(us % 1000000), level_names[level]);
	va_list ap;
	va_start(ap, fmt);
	kvsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	size_t len = strlen(buf);
	buf[len] = '\n';
	buf[len + 1] = 0;
	console_write(buf);
}

_Noreturn void panic(const char *fmt, ...)
{
	arch_irq_disable();
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	kvsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	console_write("panic: ");
	console_write(buf);
	console_write("\n");
	arch_backtrace(16);
	arch_poweroff(3);
}
