/* crashdev.c — the power-loss simulator (see crashdev.h).
 *
 * The cache is a per-block pointer array plus a list of cached blocks, so a
 * flush or crash touches only what was written. Overwriting a cached block
 * replaces its cached copy: like a disk cache, only the newest contents can
 * reach the medium. */
#include "crashdev.h"

#include <stdlib.h>
#include <string.h>

#define SECTOR  512u
#define SECTORS (OS_BLOCK_SIZE / SECTOR)

int crashdev_init(struct crashdev *c, struct memdev *disk, uint64_t seed)
{
	memset(c, 0, sizeof(*c));
	c->disk = disk;
	c->pend = calloc(disk->nblocks + 1, sizeof(*c->pend));
	c->plist = calloc(disk->nblocks + 1, sizeof(*c->plist));
	if (c->pend == NULL || c->plist == NULL) {
		crashdev_free(c);
		return TOY_ERR_NOMEM;
	}
	trng_seed(&c->rng, seed);
	return TOY_OK;
}

static void drop_cache(struct crashdev *c)
{
	for (uint64_t i = 0; i < c->npend; i++) {
		free(c->pend[c->plist[i]]);
		c->pend[c->plist[i]] = NULL;
	}
	c->npend = 0;
}

void crashdev_free(struct crashdev *c)
{
	if (c->pend != NULL)
		drop_cache(c);
	free(c->pend);
	free(c->plist);
	c->pend = NULL;
	c->plist = NULL;
}

static int cache_block(struct crashdev *c, uint64_t block, const uint8_t *src)
{
	if (c->pend[block] == NULL) {
		c->pend[block] = malloc(OS_BLOCK_SIZE);
		if (c->pend[block] == NULL)
			return TOY_ERR_NOMEM;
		c->plist[c->npend++] = block;
	}
	memcpy(c->pend[block], src, OS_BLOCK_SIZE);
	return TOY_OK;
}

static void tear(struct crashdev *c, uint8_t *dst, const uint8_t *src)
{
	/* At least one sector old and one new, so the block really is torn. */
	uint64_t mask = 1 + trng_below(&c->rng, (1u << SECTORS) - 2);
	for (unsigned s = 0; s < SECTORS; s++)
		if (mask & (1u << s))
			memcpy(dst + s * SECTOR, src + s * SECTOR, SECTOR);
}

void crashdev_crash(struct crashdev *c)
{
	for (uint64_t i = 0; i < c->npend; i++) {
		uint64_t b = c->plist[i];
		uint8_t *dst = c->disk->data + b * OS_BLOCK_SIZE;
		switch (trng_below(&c->rng, 3)) {
		case 0:
			memcpy(dst, c->pend[b], OS_BLOCK_SIZE);
			c->landed++;
			break;
		case 1: c->dropped++; break;
		default:
			tear(c, dst, c->pend[b]);
			c->torn++;
			break;
		}
	}
	drop_cache(c);
	c->crashed = true;
}

static void write_back(struct crashdev *c)
{
	for (uint64_t i = 0; i < c->npend; i++) {
		uint64_t b = c->plist[i];
		memcpy(c->disk->data + b * OS_BLOCK_SIZE, c->pend[b], OS_BLOCK_SIZE);
	}
	drop_cache(c);
}

void crashdev_settle(struct crashdev *c)
{
	write_back(c);
	c->crashed = false;
	c->crash_at = 0;
}

static bool bad_range(struct crashdev *c, uint64_t block, uint32_t n)
{
	if (block > c->disk->nblocks || n > c->disk->nblocks - block) {
		c->disk->oob++;
		return true;
	}
	return false;
}

static int cd_read(void *ctx, uint64_t block, uint32_t n, void *buf)
{
	struct crashdev *c = ctx;
	if (c->crashed || bad_range(c, block, n))
		return TOY_ERR_IO;
	c->disk->reads++;
	for (uint32_t i = 0; i < n; i++) {
		const uint8_t *src = c->pend[block + i];
		if (src == NULL)
			src = c->disk->data + (block + i) * OS_BLOCK_SIZE;
		memcpy((uint8_t *)buf + (size_t)i * OS_BLOCK_SIZE, src, OS_BLOCK_SIZE);
	}
	return TOY_OK;
}

static bool crash_due(struct crashdev *c)
{
	c->ops++;
	return c->crash_at != 0 && c->ops >= c->crash_at;
}

static int cd_write(void *ctx, uint64_t block, uint32_t n, const void *buf)
{
	struct crashdev *c = ctx;
	if (c->crashed || bad_range(c, block, n))
		return TOY_ERR_IO;
	c->disk->writes++;
	bool crash = crash_due(c);
	for (uint32_t i = 0; i < n; i++)
		if (cache_block(c, block + i, (const uint8_t *)buf + (size_t)i * OS_BLOCK_SIZE))
			return TOY_ERR_NOMEM;
	if (crash) {
		crashdev_crash(c);
		return TOY_ERR_IO;
	}
	return TOY_OK;
}

static int cd_flush(void *ctx)
{
	struct crashdev *c = ctx;
	if (c->crashed)
		return TOY_ERR_IO;
	c->disk->flushes++;
	if (crash_due(c)) {
		crashdev_crash(c);
		return TOY_ERR_IO;
	}
	write_back(c);
	return TOY_OK;
}

void crashdev_dev(struct crashdev *c, struct os_dev *dev)
{
	dev->ctx = c;
	dev->nblocks = c->disk->nblocks;
	dev->read = cd_read;
	dev->write = cd_write;
	dev->flush = cd_flush;
}
