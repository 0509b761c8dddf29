/* toy/xxh3.h — xxHash (Debian's libxxhash-dev, copied into the build tree
 * as gen/xxhash.h) inlined into the including file, header-only, without
 * its streaming API and without the warnings its unused inline functions
 * give under -Werror. A file may pick the vector code first by defining
 * XXH_VECTOR (arch/x86_64/hash_avx2.c); the default is what the compiler
 * targets. Also the one place that says how a 128-bit hash is laid out in
 * 16 bytes. */
#ifndef TOY_XXH3_H
#define TOY_XXH3_H

#define XXH_INLINE_ALL
#define XXH_NO_STREAM
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wunused-function"
#pragma clang diagnostic ignored "-Wmissing-prototypes"
#include <xxhash.h>
#pragma clang diagnostic pop

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* An XXH3-128 as the store keeps it: the low half first, each in the
 * CPU's byte order (little-endian on every arch Toy runs on). */
static inline void toy_xxh3_128_put(XXH128_hash_t h, uint8_t out[16])
{
	memcpy(out, &h.low64, 8);
	memcpy(out + 8, &h.high64, 8);
}

/* XXH3-128 of data, as the store keeps it (the portable code). */
static inline void toy_xxh3_128(const void *data, size_t len, uint8_t out[16])
{
	toy_xxh3_128_put(XXH3_128bits(data, len), out);
}

#endif
