/* timer.c (x86_64) — the tick and the clock.
 *
 * The tick is the legacy PIT, channel 0, in rate-generator mode on IRQ 0:
 * simple and the same under every QEMU machine. The clock is the TSC, counted from kernel entry,
 * whose rate is measured once against PIT channel 2 (a 5 ms one-shot, polled through port 0x61), so
 * arch_time_ns has nanosecond steps between ticks. */
#include <arch/cpu.h>
#include <arch/irq.h>

#define PIT_HZ       1193182u
#define CALIBRATE_MS 5u

extern uint64_t x86_entry_cycles;
static uint64_t cycles_hz, cycles_at_start;

static uint64_t measure_cycles_hz(void)
{
	uint16_t count = PIT_HZ * CALIBRATE_MS / 1000;
	outb(0x61, (inb(0x61) & ~0x02) | 0x01); /* gate ch2 on, speaker off */
	outb(0x43, 0xb0);                       /* ch2, lo/hi, mode 0 */
	outb(0x42, count & 0xff);
	outb(0x42, count >> 8);
	uint64_t t0 = arch_cycles();
	while (!(inb(0x61) & 0x20) && arch_cycles() - t0 < 50000000000ull)
		arch_cpu_relax(); /* (the bound only matters without a PIT) */
	return (arch_cycles() - t0) * 1000 / CALIBRATE_MS;
}

void arch_timer_init(unsigned hz)
{
	cycles_at_start = x86_entry_cycles;
	cycles_hz = measure_cycles_hz();
	unsigned divisor = PIT_HZ / hz;
	outb(0x43, 0x34); /* ch0, lo/hi, mode 2 */
	outb(0x40, divisor & 0xff);
	outb(0x40, divisor >> 8);
}

uint64_t arch_cycles_hz(void)
{
	return cycles_hz;
}

uint64_t arch_time_ns(void)
{
	if (!cycles_hz)
		return 0;
	uint64_t c = arch_cycles() - cycles_at_start;
	return c / cycles_hz * 1000000000ull + c % cycles_hz * 1000000000ull / cycles_hz;
}
