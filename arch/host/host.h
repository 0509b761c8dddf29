/* host.h — facts shared inside arch/host (never included by kernel/). */
#ifndef HOST_H
#define HOST_H

#include <stdint.h>

#define HOST_RAM (64ull << 20)

/* Monotonic nanoseconds (CLOCK_MONOTONIC). */
uint64_t host_now_ns(void);

/* Creates the simulated RAM and the map window, once. */
void host_mem_init(void);

#endif
