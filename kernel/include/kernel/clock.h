/* kernel/clock.h — wall-clock time.
 *
 * At boot the kernel reads the machine's real-time clock once
 * (arch_rtc_seconds) and from then on tells the time as that reading plus
 * the monotonic clock (arch_time_ns) since. Without a real-time clock the
 * time counts from the Unix epoch at boot, and clock_has_rtc says so.
 * WASI's realtime clock (CLOCK_REALTIME in C) reads clock_realtime_ns. */
#ifndef KERNEL_CLOCK_H
#define KERNEL_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

struct clock_date {
	unsigned year, month, day; /* month and day from 1 */
	unsigned hour, minute, second;
};

/* Reads the real-time clock and logs the date. */
void clock_init(void);

bool clock_has_rtc(void);

/* Nanoseconds since 1970-01-01 00:00:00 UTC. */
uint64_t clock_realtime_ns(void);

/* Seconds since the epoch of a UTC date (proleptic Gregorian, year >=
 * 1970; fields are not range-checked: the caller validates them). */
uint64_t clock_from_date(const struct clock_date *d);

/* The UTC date of secs seconds since the epoch. */
void clock_to_date(uint64_t secs, struct clock_date *d);

#endif
