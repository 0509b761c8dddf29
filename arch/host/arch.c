/* arch.c (host) — the arch contract for the kernel core as a Linux
 * program, so its logic runs under ASan and UBSan in cmocka tests. The
 * files match arch/x86_64's: arch.c (boot and CPU services), console.c,
 * mmu.c, pci.c, thread.c, timer.c, plus disk.c (a file as the disk).
 *
 * There are no interrupts: "interrupts enabled" is a flag, and the idle
 * thread sleeps a millisecond and then delivers the timer tick. That is
 * enough for sleeping and waking, though a thread that never blocks is
 * never preempted. Entropy is getrandom; power-off is exit(). */
#define _GNU_SOURCE
#include <arch/boot.h>
#include <arch/cpu.h>
#include <arch/irq.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>
#include <toy/err.h>
#include <unistd.h>

#include "host.h"

bool host_irq_on;

uint64_t host_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t host_cycles(void)
{
	return host_now_ns();
}

/* Sets up RAM and the map window and describes them in *bi. */
void host_boot_info(struct boot_info *bi)
{
	host_mem_init();
	*bi = (struct boot_info){.nram = 1, .ram = {{0, HOST_RAM}}, .kernel = {1u << 20, 1u << 20}};
	bi->entry_cycles = host_now_ns();
}

/* On an x86_64 host with AVX2, XXH3 with it (the portable code uses only
 * SSE2, all x86_64 promises); elsewhere the portable code already uses
 * what the compiler targets. */
arch_hash128_fn *arch_fast_hash128(void)
{
#if defined(__x86_64__)
	if (__builtin_cpu_supports("avx2"))
		return host_hash128_avx2;
#endif
	return NULL;
}

const char *arch_name(void)
{
	return "host";
}

void arch_cpu_init(void)
{
}

void arch_idle(void)
{
	host_irq_on = true;
	usleep(1000);
	bool on = arch_irq_save();
	kernel_timer_tick();
	arch_irq_restore(on);
}

size_t arch_random(void *buf, size_t n)
{
	ssize_t got = getrandom(buf, n, 0);
	return got < 0 ? 0 : (size_t)got;
}

uint64_t arch_cycles_hz(void)
{
	return 1000000000ull;
}

_Noreturn void arch_poweroff(int status)
{
	fflush(stdout);
	exit(status);
}

int arch_irq_register(unsigned line, void (*fn)(void *arg), void *arg)
{
	(void)line, (void)fn, (void)arg;
	return TOY_ERR_NOTSUP; /* no devices raise interrupts here */
}

void arch_backtrace(unsigned max)
{
	(void)max;
}
