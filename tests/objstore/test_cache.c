/* test_cache.c — the objstore read cache (env->cache_blocks).
 *
 * The cache is only correct if every write through the log forgets the
 * blocks it overwrites, which matters once the cleaner frees segments and
 * the log reuses them. So: a long random workload on a small store with a
 * small cache, where segments are reused many times, checked page by page
 * against a plain in-memory copy after every commit; plus direct proof that
 * reads are served from the cache (a block damaged on disk after it was
 * cached still reads back right) while os_check still reads the disk. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "memdev.h"
#include "rng.h"

#include <stdlib.h>
#include <string.h>

#define PG         OS_PAGE_SIZE
#define SEG_BLOCKS 16
#define NSEGS      48
#define NOBJ       6
#define OBJ_PAGES  24
#define ROUNDS     400

struct fx {
	struct memdev md;
	struct os_env env;
	os_store *s;
	toy_id ids[NOBJ];
	uint8_t model[NOBJ][OBJ_PAGES * PG];
};

static struct fx *fx_new(uint32_t cache_blocks)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct os_format_opts opts = {SEG_BLOCKS};
	assert_non_null(f);
	assert_int_equal(memdev_init(&f->md, 2 + SEG_BLOCKS * NSEGS), 0);
	memdev_env(&f->md, &f->env);
	f->env.cache_blocks = cache_blocks;
	assert_int_equal(os_format(&f->env, &opts), 0);
	assert_int_equal(os_mount(&f->env, 0, &f->s), 0);
	assert_int_equal(os_begin(f->s), 0);
	for (int k = 0; k < NOBJ; k++) {
		assert_int_equal(os_create(f->s, &f->ids[k], 1), 0);
		assert_int_equal(os_write(f->s, &f->ids[k], 0, f->model[k], OBJ_PAGES * PG), 0);
	}
	assert_int_equal(os_commit(f->s, NULL), 0);
	return f;
}

static void fx_free(struct fx *f)
{
	assert_int_equal(os_unmount(f->s), 0);
	assert_int_equal(f->md.oob, 0);
	memdev_free(&f->md);
	free(f);
}

static void expect_model(struct fx *f)
{
	static uint8_t buf[OBJ_PAGES * PG];
	for (int k = 0; k < NOBJ; k++) {
		assert_int_equal(os_read(f->s, &f->ids[k], 0, buf, sizeof(buf)), sizeof(buf));
		assert_memory_equal(buf, f->model[k], sizeof(buf));
	}
}

/* A few random page-sized (or smaller) writes to random objects. */
static void random_txn(struct fx *f, struct trng *r)
{
	assert_int_equal(os_begin(f->s), 0);
	for (int i = 0; i < 12; i++) {
		int k = (int)trng_below(r, NOBJ);
		uint64_t off = trng_below(r, OBJ_PAGES * PG - 100);
		uint64_t len = 1 + trng_below(r, OBJ_PAGES * PG - off);
		len = len > 2 * PG ? PG : len;
		trng_fill(r, f->model[k] + off, len);
		assert_int_equal(os_write(f->s, &f->ids[k], off, f->model[k] + off, len), 0);
	}
	assert_int_equal(os_commit(f->s, NULL), 0);
}

static void test_cache_survives_segment_reuse(void **state)
{
	(void)state;
	/* Room for every block of the disk, so nothing stale is ever evicted:
	 * a block the log reuses would read back old data unless forgotten. */
	struct fx *f = fx_new(1024);
	struct trng r;
	trng_seed(&r, 7);
	for (int round = 0; round < ROUNDS; round++) {
		random_txn(f, &r);
		expect_model(f);
		if (round % 50 == 49)
			assert_int_equal(os_clean(f->s, NULL), 0);
	}
	struct os_info info;
	os_info(f->s, &info);
	/* The log went round the disk several times: blocks were reused. */
	assert_true(info.log_blocks > 3 * NSEGS * SEG_BLOCKS);
	char msg[200];
	assert_int_equal(os_check(f->s, msg, sizeof(msg)), 0);
	fx_free(f);
}

/* Damages the block holding page 0 of object 0, behind the store's back. */
static void damage_page0(struct fx *f)
{
	uint8_t want[PG], got[PG];
	memcpy(want, f->model[0], PG);
	for (uint64_t b = 2; b < f->md.nblocks; b++) {
		memcpy(got, f->md.data + b * PG, PG);
		if (memcmp(got, want, PG) == 0)
			f->md.data[b * PG + 5] ^= 0x40;
	}
}

static void read_after_damage(uint32_t cache_blocks, int want_rc)
{
	struct fx *f = fx_new(cache_blocks);
	struct trng r;
	trng_seed(&r, 9);
	trng_fill(&r, f->model[0], PG);
	assert_int_equal(os_begin(f->s), 0);
	assert_int_equal(os_write(f->s, &f->ids[0], 0, f->model[0], PG), 0);
	assert_int_equal(os_commit(f->s, NULL), 0);
	uint8_t buf[PG];
	assert_int_equal(os_read(f->s, &f->ids[0], 0, buf, PG), PG); /* caches it */
	damage_page0(f);
	int64_t n = os_read(f->s, &f->ids[0], 0, buf, PG);
	assert_int_equal(n, want_rc);
	if (n == PG)
		assert_memory_equal(buf, f->model[0], PG);
	char msg[200];
	assert_int_equal(os_check(f->s, msg, sizeof(msg)), TOY_ERR_CORRUPT);
	assert_non_null(strstr(msg, "hash"));
	fx_free(f);
}

static void test_reads_come_from_cache(void **state)
{
	(void)state;
	read_after_damage(256, PG);
}

static void test_no_cache_reads_disk(void **state)
{
	(void)state;
	read_after_damage(0, TOY_ERR_CORRUPT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cache_survives_segment_reuse),
	    cmocka_unit_test(test_reads_come_from_cache),
	    cmocka_unit_test(test_no_cache_reads_disk),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
