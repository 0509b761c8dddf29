/* host.h — facts shared inside arch/host (never included by kernel/). */
#ifndef HOST_H
#define HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HOST_RAM      (64ull << 20)
#define HOST_MAP_SIZE (256ull << 30) /* the arch_mmu_map window: 4 GiB a domain */

/* Monotonic nanoseconds (CLOCK_MONOTONIC). */
uint64_t host_now_ns(void);

/* Creates the simulated RAM and the map window, once. */
void host_mem_init(void);

/* True when va lies in the map window. */
bool host_in_window(uintptr_t va);

/* Handles a fault that only the emulated accessed/dirty bits caused
 * (mmu.c): sets the bit, restores the access and returns true. */
bool host_mmu_fault(uintptr_t va);

/* XXH3-128 with AVX2 (hash_avx2.c; x86_64 hosts only). */
void host_hash128_avx2(const void *data, size_t len, uint8_t out[16]);

#endif
