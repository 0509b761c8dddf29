/* cache.c — an optional read cache of verified page blocks.
 *
 * In a log-structured store a block's contents never change while an index
 * entry points to it; they change only when its segment is reused, and every
 * write goes through log.c, which invalidates the blocks it overwrites. So
 * the cache needs no write-back and no dirty state: a block enters it after a
 * device read whose XXH3-128 matched, and is dropped when its place is
 * written again. It is 16-way set associative with round-robin replacement
 * within a set: no lists, no deletion chains, constant time. Its size comes
 * from env->cache_blocks (0: no cache, e.g. in a kernel with a page cache). */
#include "os_internal.h"

#define CACHE_WAYS 16

struct os_cache {
	uint32_t nsets;    /* power of two */
	uint64_t *blocks;  /* nsets * CACHE_WAYS; OS_NO_BLOCK: empty */
	uint8_t *next_way; /* per set: where the next insert goes */
	uint8_t *data;
};

static uint32_t cache_set(const struct os_cache *c, uint64_t block)
{
	/* The log hands out blocks in order, so a working set is mostly runs
	 * of consecutive blocks: plain modulo spreads those evenly, where a
	 * hash would pile some sets past their ways. */
	return (uint32_t)(block & (c->nsets - 1));
}

int cache_init(os_store *s, uint32_t blocks)
{
	uint32_t nsets = 1;
	while ((uint64_t)nsets * 2 * CACHE_WAYS <= blocks)
		nsets *= 2;
	if (blocks < CACHE_WAYS)
		return TOY_OK;
	struct os_cache *c = os_alloc(s, sizeof(*c));
	if (!c)
		return TOY_ERR_NOMEM;
	size_t nslots = (size_t)nsets * CACHE_WAYS;
	c->nsets = nsets;
	c->blocks = os_alloc(s, nslots * sizeof(uint64_t));
	c->next_way = os_alloc(s, nsets);
	c->data = os_alloc(s, nslots * OSF_BLOCK_SIZE);
	s->cache = c;
	if (!c->blocks || !c->next_way || !c->data) {
		cache_free(s);
		return TOY_ERR_NOMEM;
	}
	memset(c->blocks, 0, nslots * sizeof(uint64_t));
	memset(c->next_way, 0, nsets);
	return TOY_OK;
}

void cache_free(os_store *s)
{
	struct os_cache *c = s->cache;
	if (!c)
		return;
	os_free(s, c->blocks);
	os_free(s, c->next_way);
	os_free(s, c->data);
	os_free(s, c);
	s->cache = NULL;
}

static uint8_t *slot_data(const struct os_cache *c, size_t slot)
{
	return c->data + slot * OSF_BLOCK_SIZE;
}

bool cache_get(os_store *s, uint64_t block, void *out)
{
	struct os_cache *c = s->cache;
	if (!c)
		return false;
	size_t base = (size_t)cache_set(c, block) * CACHE_WAYS;
	for (size_t w = 0; w < CACHE_WAYS; w++) {
		if (c->blocks[base + w] == block) {
			memcpy(out, slot_data(c, base + w), OSF_BLOCK_SIZE);
			return true;
		}
	}
	return false;
}

void cache_put(os_store *s, uint64_t block, const void *data)
{
	struct os_cache *c = s->cache;
	if (!c)
		return;
	uint32_t set = cache_set(c, block);
	size_t slot = (size_t)set * CACHE_WAYS + c->next_way[set];
	c->next_way[set] = (uint8_t)((c->next_way[set] + 1) % CACHE_WAYS);
	c->blocks[slot] = block;
	memcpy(slot_data(c, slot), data, OSF_BLOCK_SIZE);
}

void cache_forget(os_store *s, uint64_t block, uint32_t n)
{
	struct os_cache *c = s->cache;
	if (!c)
		return;
	for (uint64_t b = block; b < block + n; b++) {
		size_t base = (size_t)cache_set(c, b) * CACHE_WAYS;
		for (size_t w = 0; w < CACHE_WAYS; w++)
			if (c->blocks[base + w] == b)
				c->blocks[base + w] = OS_NO_BLOCK;
	}
}
