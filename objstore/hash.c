/* hash.c — the store's checksums: XXH3-64 for metadata, XXH3-128 for page
 * contents (or the embedder's faster XXH3-128, env.hash128). The only file
 * of the store that includes xxhash.h (header-only, inlined). */
#include "os_internal.h"

#include <toy/xxh3.h>

uint64_t os_hash64(const void *data, size_t len)
{
	return XXH3_64bits(data, len);
}

void os_hash128(const os_store *s, const void *data, size_t len, uint8_t out[16])
{
	if (s->env.hash128) {
		s->env.hash128(data, len, out);
		return;
	}
	toy_xxh3_128(data, len, out);
}
