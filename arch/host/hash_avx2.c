/* hash_avx2.c (host) — XXH3-128 with AVX2 (a page through
 * toy/xxh3_page.h), for arch_fast_hash128 on an x86_64 host whose CPU
 * has it (arch.c asks). On x86_64 this is the only file of toy-host built
 * with -mavx2 (kernel/sources.cmake); elsewhere it is empty. The result is
 * XXH3's, bit for bit, whatever code computes it. */
#if defined(__x86_64__)
#include <stddef.h>
#include <stdint.h>

#define XXH_VECTOR XXH_AVX2
#include <toy/xxh3.h>
#include <toy/xxh3_page.h>

#include "host.h"

void host_hash128_avx2(const void *data, size_t len, uint8_t out[16])
{
	xxh3_128_pages_fast(data, len, out);
}
#endif
