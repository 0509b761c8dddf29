/* timer.c (aarch64) — the tick and the clock, both from the generic timer.
 *
 * The clock is the virtual count (CNTVCT_EL0) from kernel entry at the
 * rate CNTFRQ_EL0 gives, so no calibration is needed. The tick is the
 * virtual timer (PPI 27 at the GIC), re-armed by a64_timer_tick a period
 * ahead of its last deadline so ticks do not drift. The real-time clock is
 * QEMU virt's PL031, whose data register counts seconds since the epoch;
 * its peripheral ID is checked first. */
#include <arch/cpu.h>
#include <arch/irq.h>

#include "a64.h"

static uint64_t cycles_hz, period, next;

void arch_timer_init(unsigned hz)
{
	cycles_hz = SYSREG_READ(cntfrq_el0);
	period = cycles_hz / hz;
	next = arch_cycles() + period;
	SYSREG_WRITE(cntv_cval_el0, next);
	SYSREG_WRITE(cntv_ctl_el0, 1); /* enabled, not masked */
	a64_gic_enable(IRQ_TIMER);
}

/* Called from the timer interrupt: sets the next deadline. */
void a64_timer_rearm(void)
{
	uint64_t now = arch_cycles();
	next += period;
	if (next <= now)
		next = now + period;
	SYSREG_WRITE(cntv_cval_el0, next);
}

uint64_t arch_cycles_hz(void)
{
	return cycles_hz;
}

uint64_t arch_time_ns(void)
{
	if (!cycles_hz)
		return 0;
	uint64_t c = arch_cycles() - a64_entry_cycles;
	return c / cycles_hz * 1000000000ull + c % cycles_hz * 1000000000ull / cycles_hz;
}

uint64_t arch_rtc_seconds(void)
{
	volatile uint32_t *rtc = phys(RTC_BASE);
	bool pl031 = (rtc[0xfe0 / 4] & 0xff) == 0x31 && (rtc[0xfe4 / 4] & 0xff) == 0x10;
	return pl031 ? rtc[0] : 0;
}
