/* timer.c (host) — the clock is CLOCK_MONOTONIC and the real-time clock
 * CLOCK_REALTIME; the tick comes from the idle thread (arch.c), so hz is
 * not used. */
#include <arch/irq.h>
#include <time.h>

#include "host.h"

static uint64_t t_start;

void arch_timer_init(unsigned hz)
{
	(void)hz;
	t_start = host_now_ns();
}

uint64_t arch_time_ns(void)
{
	return t_start ? host_now_ns() - t_start : 0;
}

uint64_t arch_rtc_seconds(void)
{
	struct timespec ts;
	return clock_gettime(CLOCK_REALTIME, &ts) == 0 ? (uint64_t)ts.tv_sec : 0;
}
