/* kernel/log.h — formatted output, the kernel log and panic.
 *
 * kprintf writes to the console as is (used for the few lines tests and
 * scripts parse, such as "toy: ready"). klog prefixes a timestamp and level
 * and drops messages below the current level. panic is only for kernel bugs
 * (STYLE.md): it prints "panic: ", the message and a backtrace, then powers
 * off with a failure status. */
#ifndef KERNEL_LOG_H
#define KERNEL_LOG_H

#include <stdarg.h>
#include <stddef.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

/* Formats like C's snprintf for %d %i %u %x %X %p %s %c %% with the l, ll,
 * z and 0/width flags. Returns the length the full output would have. */
int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int ksnprintf(char *buf, size_t size, const char *fmt, ...) PRINTF_LIKE(3, 4);

void kputs(const char *s);
void kprintf(const char *fmt, ...) PRINTF_LIKE(1, 2);
void klog(enum log_level level, const char *fmt, ...) PRINTF_LIKE(2, 3);
void klog_set_level(enum log_level level);

_Noreturn void panic(const char *fmt, ...) PRINTF_LIKE(1, 2);

#define KASSERT(c)                                                                                 \
	do {                                                                                       \
		if (!(c))                                                                          \
			panic("assertion failed: %s (%s:%d)", #c, __FILE__, __LINE__);             \
	} while (0)

#endif
