/* hash_neon.c (aarch64) — XXH3-128 for arch_fast_hash128: a page in one
 * pass over two blocks at a time (toy/xxh3_page.h), anything else with
 * xxHash's own NEON code, which the portable XXH3 is here too. NEON is
 * part of every aarch64 CPU, and a context switch saves all of it. */
#include <stddef.h>
#include <stdint.h>

#define XXH_VECTOR XXH_NEON
#include <toy/xxh3.h>
#include <toy/xxh3_page.h>

#include "a64.h"

void a64_hash128_neon(const void *data, size_t len, uint8_t out[16])
{
	xxh3_128_pages_fast(data, len, out);
}
