/* clock.c — wall-clock time: one reading of the real-time clock at boot
 * plus the monotonic clock since, and the calendar arithmetic the arch's
 * clock drivers and the boot log need.
 *
 * Dates convert through a count of days since 1970-01-01 in a calendar of
 * 400-year eras starting on March 1st, so that February, with its leap day,
 * ends each year: an era is 146097 days, and the day of the era fixes the
 * year of the era, then the day of the year, then the month (months from
 * March run 31, 30, 31, 30, 31, 31, 30, 31, 30, 31, 31 and 29 or 28 days,
 * which (153 * m + 2) / 5 counts). */
#include <arch/irq.h>
#include <kernel/clock.h>
#include <kernel/log.h>

#define NS_PER_S    1000000000ull
#define DAY         86400u
#define ERA_DAYS    146097u
#define EPOCH_SHIFT 719468u       /* days from 0000-03-01 to 1970-01-01 */
#define RTC_MIN     1577836800ull /* 2020-01-01: an earlier reading is not a clock */
#define RTC_MAX     4102444800ull /* 2100-01-01 */

static uint64_t boot_epoch_ns; /* the real time when arch_time_ns was 0 */
static bool have_rtc;

static uint64_t days_from_date(unsigned y, unsigned m, unsigned d)
{
	y -= m <= 2;
	unsigned era = y / 400, yoe = y % 400;
	unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (uint64_t)era * ERA_DAYS + doe - EPOCH_SHIFT;
}

uint64_t clock_from_date(const struct clock_date *d)
{
	return days_from_date(d->year, d->month, d->day) * DAY + d->hour * 3600u + d->minute * 60u +
	       d->second;
}

void clock_to_date(uint64_t secs, struct clock_date *d)
{
	uint64_t days = secs / DAY + EPOCH_SHIFT;
	unsigned era = (unsigned)(days / ERA_DAYS), doe = (unsigned)(days % ERA_DAYS);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	d->day = doy - (153 * mp + 2) / 5 + 1;
	d->month = mp < 10 ? mp + 3 : mp - 9;
	d->year = era * 400 + yoe + (d->month <= 2);
	unsigned s = (unsigned)(secs % DAY);
	d->hour = s / 3600;
	d->minute = s / 60 % 60;
	d->second = s % 60;
}

void clock_init(void)
{
	uint64_t rtc = arch_rtc_seconds();
	uint64_t now = arch_time_ns();
	have_rtc = rtc >= RTC_MIN && rtc < RTC_MAX;
	if (!have_rtc) {
		klog(LOG_WARN, "clock: no real-time clock; the time counts from 1970 at boot");
		return;
	}
	boot_epoch_ns = rtc * NS_PER_S - now;
	struct clock_date d;
	clock_to_date(rtc, &d);
	klog(LOG_INFO, "clock: %04u-%02u-%02u %02u:%02u:%02u UTC", d.year, d.month, d.day, d.hour,
	     d.minute, d.second);
}

bool clock_has_rtc(void)
{
	return have_rtc;
}

uint64_t clock_realtime_ns(void)
{
	return boot_epoch_ns + arch_time_ns();
}
