/* timer.c (x86_64) — the tick and the clock.
 *
 * The tick is the legacy PIT, channel 0, in rate-generator mode on IRQ 0:
 * simple and the same under every QEMU machine. The clock is the TSC, counted from kernel entry,
 * whose rate is measured once against PIT channel 2 (a 5 ms one-shot, polled through port 0x61), so
 * arch_time_ns has nanosecond steps between ticks. The real-time clock is
 * the CMOS clock (MC146818: index port 0x70, data 0x71), whose fields are
 * BCD or binary and whose hour is 12- or 24-hour as status register B
 * says; QEMU keeps the century in register 0x32. */
#include <arch/cpu.h>
#include <arch/irq.h>
#include <kernel/clock.h>
#include <stdbool.h>

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

enum {
	CMOS_SEC = 0x00,
	CMOS_MIN = 0x02,
	CMOS_HOUR = 0x04,
	CMOS_DAY = 0x07,
	CMOS_MONTH = 0x08,
	CMOS_YEAR = 0x09,
	CMOS_STATUS_A = 0x0a,
	CMOS_STATUS_B = 0x0b,
	CMOS_CENTURY = 0x32
};

static uint8_t cmos(uint8_t reg)
{
	outb(0x70, reg);
	return inb(0x71);
}

/* The date fields, read while no update is under way. */
static void cmos_fields(uint8_t f[7])
{
	static const uint8_t regs[7] = {CMOS_SEC,   CMOS_MIN,  CMOS_HOUR,   CMOS_DAY,
					CMOS_MONTH, CMOS_YEAR, CMOS_CENTURY};
	for (unsigned spins = 0; (cmos(CMOS_STATUS_A) & 0x80) && spins < 100000; spins++)
		arch_cpu_relax();
	for (unsigned i = 0; i < 7; i++)
		f[i] = cmos(regs[i]);
}

static unsigned field(uint8_t v, bool bcd)
{
	return bcd ? (v >> 4) * 10u + (v & 15u) : v;
}

uint64_t arch_rtc_seconds(void)
{
	uint8_t f[7], again[7];
	cmos_fields(again);
	for (unsigned tries = 0; tries < 8; tries++) { /* until two reads agree */
		for (unsigned i = 0; i < 7; i++)
			f[i] = again[i];
		cmos_fields(again);
		bool same = true;
		for (unsigned i = 0; i < 7; i++)
			same = same && f[i] == again[i];
		if (same)
			break;
	}
	uint8_t b = cmos(CMOS_STATUS_B);
	bool bcd = !(b & 0x04), h24 = b & 0x02;
	unsigned century = field(f[6], bcd);
	struct clock_date d = {.year = field(f[5], bcd) + (century >= 19 ? century : 20) * 100,
			       .month = field(f[4], bcd),
			       .day = field(f[3], bcd),
			       .hour = field(f[2] & 0x7f, bcd) % 24,
			       .minute = field(f[1], bcd),
			       .second = field(f[0], bcd)};
	if (!h24)
		d.hour = d.hour % 12 + (f[2] & 0x80 ? 12 : 0);
	if (d.month < 1 || d.month > 12 || d.day < 1 || d.day > 31 || d.minute > 59 ||
	    d.second > 59 || d.year < 1970)
		return 0;
	return clock_from_date(&d);
}
