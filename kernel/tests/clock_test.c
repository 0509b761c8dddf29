/* clock_test.c — in-kernel tests of the calendar arithmetic and of the
 * real-time clock every machine Toy runs on has (QEMU's CMOS clock and
 * PL031, the host's clock). */
#include <kernel/clock.h>
#include <kernel/test.h>

static bool date_is(const struct clock_date *d, unsigned y, unsigned mo, unsigned day, unsigned h,
		    unsigned mi, unsigned s)
{
	return d->year == y && d->month == mo && d->day == day && d->hour == h && d->minute == mi &&
	       d->second == s;
}

KTEST(clock_dates)
{
	static const struct {
		struct clock_date d;
		uint64_t secs;
	} known[] = {
	    {{1970, 1, 1, 0, 0, 0}, 0},
	    {{1972, 12, 31, 23, 59, 59}, 94694399}, /* the end of a leap year */
	    {{2000, 2, 29, 12, 34, 56}, 951827696}, /* a leap day in a 400th year */
	    {{2026, 12, 6, 20, 30, 0}, 1796589000},
	    {{2100, 3, 1, 0, 0, 0}, 4107542400}, /* after a century's non-leap Feb */
	};
	for (unsigned i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
		struct clock_date d;
		KCHECK(clock_from_date(&known[i].d) == known[i].secs);
		clock_to_date(known[i].secs, &d);
		const struct clock_date *k = &known[i].d;
		KCHECK(date_is(&d, k->year, k->month, k->day, k->hour, k->minute, k->second));
	}
	for (uint64_t s = 0; s < 5000000000ull; s += 86399 * 37) { /* round trips */
		struct clock_date d;
		clock_to_date(s, &d);
		KCHECK(clock_from_date(&d) == s);
	}
	return 0;
}

KTEST(clock_rtc)
{
	KCHECK(clock_has_rtc());
	uint64_t now = clock_realtime_ns() / 1000000000ull;
	KCHECK(now > 1577836800ull && now < 4102444800ull); /* 2020 .. 2100 */
	uint64_t later = clock_realtime_ns() / 1000000000ull;
	KCHECK(later >= now);
	return 0;
}
