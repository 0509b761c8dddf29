/* memdev.c — the memory block device: a flat array of blocks. Writes are
 * immediately "durable" (they land in the array); the crash device layers a
 * volatile cache over one of these to model power loss. */
#include "memdev.h"

#include "rng.h"

#include <stdlib.h>
#include <string.h>

int memdev_init(struct memdev *m, uint64_t nblocks)
{
	memset(m, 0, sizeof(*m));
	m->data = calloc(nblocks ? nblocks : 1, OS_BLOCK_SIZE);
	if (m->data == NULL)
		return TOY_ERR_NOMEM;
	m->nblocks = nblocks;
	return TOY_OK;
}

int memdev_from_image(struct memdev *m, const void *image, size_t len)
{
	int rc = memdev_init(m, len / OS_BLOCK_SIZE);
	if (rc == 0)
		memcpy(m->data, image, (size_t)m->nblocks * OS_BLOCK_SIZE);
	return rc;
}

void memdev_free(struct memdev *m)
{
	free(m->data);
	m->data = NULL;
	m->nblocks = 0;
}

static int in_range(struct memdev *m, uint64_t block, uint32_t n)
{
	if (block > m->nblocks || n > m->nblocks - block) {
		m->oob++;
		return 0;
	}
	return 1;
}

int memdev_read(void *ctx, uint64_t block, uint32_t n, void *buf)
{
	struct memdev *m = ctx;
	m->reads++;
	m->misuse += m->reading;
	if (!in_range(m, block, n))
		return TOY_ERR_IO;
	memcpy(buf, m->data + block * OS_BLOCK_SIZE, (size_t)n * OS_BLOCK_SIZE);
	return TOY_OK;
}

/* One request, counted as one read, as virtio-blk would take it; done at
 * once, its outcome kept for memdev_read_wait. A second one before that,
 * or a wait with none started, is a misuse the store must never make:
 * counted in misuse, and an error. */
static int memdev_readv_start(void *ctx, uint64_t block, const struct os_iov *iov, unsigned niov)
{
	struct memdev *m = ctx;
	uint64_t n = 0;
	m->reads++;
	m->readvs++;
	if (m->reading || niov == 0 || niov > OS_READV_MAX_IOV) {
		m->misuse++;
		return TOY_ERR_IO;
	}
	for (unsigned i = 0; i < niov; i++)
		n += iov[i].blocks;
	m->reading = true;
	m->read_result = TOY_ERR_IO;
	if (n > OS_READV_MAX_BLOCKS || !in_range(m, block, (uint32_t)n))
		return TOY_OK;
	for (unsigned i = 0; i < niov; i++) {
		memcpy(iov[i].buf, m->data + block * OS_BLOCK_SIZE,
		       (size_t)iov[i].blocks * OS_BLOCK_SIZE);
		block += iov[i].blocks;
	}
	m->read_result = TOY_OK;
	return TOY_OK;
}

static int memdev_read_wait(void *ctx)
{
	struct memdev *m = ctx;
	if (!m->reading) {
		m->misuse++;
		return TOY_ERR_IO;
	}
	m->reading = false;
	return m->read_result;
}

int memdev_write(void *ctx, uint64_t block, uint32_t n, const void *buf)
{
	struct memdev *m = ctx;
	m->writes++;
	if (!in_range(m, block, n))
		return TOY_ERR_IO;
	memcpy(m->data + block * OS_BLOCK_SIZE, buf, (size_t)n * OS_BLOCK_SIZE);
	m->blocks_written += n;
	return TOY_OK;
}

int memdev_flush(void *ctx)
{
	struct memdev *m = ctx;
	m->flushes++;
	return TOY_OK;
}

void memdev_dev(struct memdev *m, struct os_dev *dev)
{
	dev->ctx = m;
	dev->nblocks = m->nblocks;
	dev->read = memdev_read;
	dev->readv_start = memdev_readv_start;
	dev->read_wait = memdev_read_wait;
	dev->write = memdev_write;
	dev->flush = memdev_flush;
}

void memdev_reset_counters(struct memdev *m)
{
	m->reads = m->readvs = m->writes = m->flushes = m->blocks_written = m->oob = 0;
	m->misuse = 0;
}

static void *test_alloc(void *ctx, size_t size)
{
	(void)ctx;
	return malloc(size);
}

static void test_free(void *ctx, void *ptr)
{
	(void)ctx;
	free(ptr);
}

static int test_random(void *ctx, void *buf, size_t n)
{
	static struct trng r = {0x1234};
	(void)ctx;
	trng_fill(&r, buf, n);
	return TOY_OK;
}

void test_env_memory(struct os_env *env)
{
	env->mem_ctx = NULL;
	env->alloc = test_alloc;
	env->free = test_free;
	env->random = test_random;
}

void memdev_env(struct memdev *m, struct os_env *env)
{
	memset(env, 0, sizeof(*env));
	memdev_dev(m, &env->dev);
	test_env_memory(env);
}
