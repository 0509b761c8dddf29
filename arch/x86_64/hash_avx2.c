/* hash_avx2.c (x86_64) — XXH3-128 with AVX2 (a page through
 * toy/xxh3_page.h), the only file built with -mavx2. Nothing here
 * runs unless arch.c found AVX2 and enabled its state (XCR0); arch.c also
 * keeps interrupts off around it, since a context switch saves only the
 * SSE half of the vector registers. */
#include <stddef.h>
#include <stdint.h>

#define XXH_VECTOR XXH_AVX2
#include <toy/xxh3.h>
#include <toy/xxh3_page.h>

#include "x86.h"

void x86_hash128_avx2(const void *data, size_t len, uint8_t out[16])
{
	xxh3_128_pages_fast(data, len, out);
}
