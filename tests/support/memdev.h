/* memdev.h — a block device in memory, with counters, for tests and fuzzing.
 * Accesses outside the device fail with TOY_ERR_IO and are counted in oob, so
 * tests can assert the store never asks for a block that does not exist. */
#ifndef TOY_TEST_MEMDEV_H
#define TOY_TEST_MEMDEV_H

#include <objstore/objstore.h>

struct memdev {
	uint8_t *data; /* nblocks * OS_BLOCK_SIZE bytes */
	uint64_t nblocks;
	uint64_t reads, writes, flushes; /* calls */
	uint64_t readvs;                 /* of the reads, vectored ones */
	uint64_t misuse;                 /* a read while a vectored one was outstanding, etc. */
	bool reading;                    /* memdev_readv_start's read not yet waited for */
	int read_result;
	uint64_t blocks_written;
	uint64_t oob; /* out-of-range requests */
};

/* Allocates a zeroed device of nblocks blocks. Returns 0 or TOY_ERR_NOMEM. */
int memdev_init(struct memdev *m, uint64_t nblocks);

/* A device holding a copy of len bytes of image (rounded down to blocks). */
int memdev_from_image(struct memdev *m, const void *image, size_t len);

void memdev_free(struct memdev *m);

/* Fills dev with m's functions. */
void memdev_dev(struct memdev *m, struct os_dev *dev);

/* Fills env with m as the device and malloc for memory (random is a fixed
 * per-process sequence, not getrandom, so runs replay). */
void memdev_env(struct memdev *m, struct os_env *env);

void memdev_reset_counters(struct memdev *m);

/* Block access helpers shared with the crash device. */
int memdev_read(void *ctx, uint64_t block, uint32_t n, void *buf);
int memdev_write(void *ctx, uint64_t block, uint32_t n, const void *buf);
int memdev_flush(void *ctx);

/* Memory functions for an os_env: malloc/free and a deterministic random. */
void test_env_memory(struct os_env *env);

#endif
