/* test_api.c — unit tests of every objstore call, one behaviour per test:
 * lifecycle (format, mount, unmount, persistence, read-only mounts),
 * transactions (begin, commit, abort, read-your-writes), each change and its
 * error paths, reads of holes and of shrunk-then-grown objects, iterate,
 * stat, page_hash, checkpoint, clean, check and info. Each test gets a fresh
 * store on a memory device. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "memdev.h"
#include "rng.h"

#include <stdlib.h>
#include <string.h>

#include <toy/xxh3.h>

#define PG         OS_PAGE_SIZE
#define SEG_BLOCKS 16
#define NSEGS      32

struct fx {
	struct memdev md;
	struct os_env env;
	os_store *s;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct os_format_opts opts = {SEG_BLOCKS};
	assert_non_null(f);
	assert_int_equal(memdev_init(&f->md, 2 + SEG_BLOCKS * NSEGS), 0);
	memdev_env(&f->md, &f->env);
	assert_int_equal(os_format(&f->env, &opts), 0);
	assert_int_equal(os_mount(&f->env, 0, &f->s), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	if (f->s != NULL)
		assert_int_equal(os_unmount(f->s), 0);
	assert_int_equal(f->md.oob, 0);
	memdev_free(&f->md);
	free(f);
	return 0;
}

static void remount(struct fx *f)
{
	assert_int_equal(os_unmount(f->s), 0);
	f->s = NULL;
	assert_int_equal(os_mount(&f->env, 0, &f->s), 0);
}

static toy_id idn(uint64_t n)
{
	toy_id id = toy_id_reserved(n);
	id.b[15] = 0x42; /* not reserved */
	return id;
}

static void fill(void *buf, size_t len, uint64_t seed)
{
	struct trng r;
	trng_seed(&r, seed);
	trng_fill(&r, buf, len);
}

/* Creates id and writes len pseudo-random bytes at off, in one commit. */
static void put(struct fx *f, toy_id id, uint64_t off, size_t len, uint64_t seed)
{
	uint8_t *buf = malloc(len);
	fill(buf, len, seed);
	assert_int_equal(os_begin(f->s), 0);
	struct os_stat st;
	if (os_stat(f->s, &id, &st) == TOY_ERR_NOTFOUND)
		assert_int_equal(os_create(f->s, &id, 1), 0);
	assert_int_equal(os_write(f->s, &id, off, buf, len), 0);
	assert_int_equal(os_commit(f->s, NULL), 0);
	free(buf);
}

/* Asserts that [off, off+len) of id holds seed's bytes. */
static void expect(struct fx *f, toy_id id, uint64_t off, size_t len, uint64_t seed)
{
	uint8_t *want = malloc(len), *got = malloc(len);
	fill(want, len, seed);
	assert_int_equal(os_read(f->s, &id, off, got, len), (int64_t)len);
	assert_memory_equal(got, want, len);
	free(want);
	free(got);
}

static void expect_zero(struct fx *f, toy_id id, uint64_t off, size_t len)
{
	uint8_t *got = malloc(len), *zero = calloc(1, len);
	assert_int_equal(os_read(f->s, &id, off, got, len), (int64_t)len);
	assert_memory_equal(got, zero, len);
	free(got);
	free(zero);
}

static void check_clean(struct fx *f)
{
	char msg[200] = "";
	int rc = os_check(f->s, msg, sizeof(msg));
	if (rc != 0)
		fail_msg("os_check: %d: %s", rc, msg);
}

/* --- lifecycle ------------------------------------------------------------ */

static void test_format_bad_args(void **state)
{
	(void)state;
	struct memdev md;
	struct os_env env;
	struct os_format_opts odd = {12}, tiny = {4};
	assert_int_equal(memdev_init(&md, 2 + 16 * 8), 0);
	memdev_env(&md, &env);
	assert_int_equal(os_format(&env, &odd), TOY_ERR_INVAL);
	assert_int_equal(os_format(&env, &tiny), TOY_ERR_INVAL);
	env.dev.nblocks = 2 + 16 * 3; /* three segments of 16: too small */
	struct os_format_opts o16 = {16};
	assert_true(os_format(&env, &o16) < 0);
	memdev_free(&md);
}

static void test_mount_unformatted(void **state)
{
	(void)state;
	struct memdev md;
	struct os_env env;
	os_store *s = NULL;
	assert_int_equal(memdev_init(&md, 256), 0);
	memdev_env(&md, &env);
	assert_int_equal(os_mount(&env, 0, &s), TOY_ERR_CORRUPT);
	assert_int_equal(os_mount(&env, OS_MOUNT_RDONLY, &s), TOY_ERR_CORRUPT);
	memset(md.data, 0xa5, md.nblocks * OS_BLOCK_SIZE);
	assert_int_equal(os_mount(&env, 0, &s), TOY_ERR_CORRUPT);
	memdev_free(&md);
}

static void test_format_defaults(void **state)
{
	(void)state;
	struct memdev md;
	struct os_env env;
	struct os_info info;
	os_store *s;
	assert_int_equal(memdev_init(&md, 2 + 256 * 6), 0);
	memdev_env(&md, &env);
	assert_int_equal(os_format(&env, NULL), 0);
	assert_int_equal(os_mount(&env, 0, &s), 0);
	os_info(s, &info);
	assert_int_equal(info.seg_blocks, 256);
	assert_int_equal(info.nsegs, 6);
	assert_int_equal(info.nobjects, 0);
	assert_int_equal(os_unmount(s), 0);
	memdev_free(&md);
}

static void test_fresh_store(void **state)
{
	struct fx *f = *state;
	struct os_info info;
	os_info(f->s, &info);
	assert_int_equal(info.nobjects, 0);
	assert_int_equal(info.live_blocks, 0);
	assert_int_equal(info.seg_blocks, SEG_BLOCKS);
	assert_int_equal(info.nsegs, NSEGS);
	assert_int_equal(info.total_blocks, f->md.nblocks);
	assert_true(info.free_segs > 0 && info.free_segs <= NSEGS);
	assert_int_equal(info.epoch, 1);
	check_clean(f);
}

static int count_cb(void *arg, const toy_id *id, const struct os_stat *st)
{
	(void)id;
	(void)st;
	++*(int *)arg;
	return 0;
}

static void test_persistence(void **state)
{
	struct fx *f = *state;
	struct os_info a, b;
	put(f, idn(1), 0, 3 * PG + 17, 1);
	put(f, idn(2), 100, 50, 2);
	os_info(f->s, &a);
	remount(f);
	os_info(f->s, &b);
	assert_int_equal(b.generation, a.generation);
	assert_int_equal(b.epoch, a.epoch + 1);
	assert_int_equal(b.nobjects, 2);
	expect(f, idn(1), 0, 3 * PG + 17, 1);
	expect(f, idn(2), 100, 50, 2);
	expect_zero(f, idn(2), 0, 100);
	int n = 0;
	assert_int_equal(os_iterate(f->s, count_cb, &n), 0);
	assert_int_equal(n, 2);
	check_clean(f);
}

/* A read of many pages moves each run of pages in consecutive blocks with
 * one device read, the odd block between (a chunk's summary) skipped into
 * scratch, and still checks every page: the object reads back whole in one
 * device read per 64 pages, and one damaged page in the middle of a run, or
 * in the last run, fails the read (while the pages before it still read),
 * with no device read left outstanding. */
static void test_read_runs(void **state)
{
	struct fx *f = *state;
	enum { NP = 100 };
	uint8_t *data = malloc(NP * PG), *back = malloc(NP * PG);
	assert_non_null(data);
	assert_non_null(back);
	for (uint32_t i = 0; i < NP * PG; i++)
		data[i] = (uint8_t)(i / PG * 7 + 1 + (i % 251));
	toy_id id = idn(9);
	assert_int_equal(os_begin(f->s), 0);
	assert_int_equal(os_create(f->s, &id, 1), 0);
	assert_int_equal(os_write(f->s, &id, 0, data, NP * PG), 0);
	assert_int_equal(os_commit(f->s, NULL), 0);
	remount(f);
	memdev_reset_counters(&f->md);
	assert_int_equal(os_read(f->s, &id, 0, back, NP * PG), NP * PG);
	assert_memory_equal(back, data, NP * PG);
	/* 64 pages and 36, each one request across the chunk summaries
	 * (a chunk holds at most 63 pages) that lie between its pages. */
	assert_int_equal(f->md.reads, 2);
	assert_int_equal(f->md.readvs, 2);
	uint64_t b = 0;
	while (b < f->md.nblocks && memcmp(f->md.data + b * PG, data + 50 * PG, PG))
		b++;
	assert_true(b < f->md.nblocks);
	f->md.data[b * PG + 100] ^= 0x40;
	assert_int_equal(os_read(f->s, &id, 0, back, NP * PG), TOY_ERR_CORRUPT);
	assert_int_equal(os_read(f->s, &id, 0, back, 50 * PG), 50 * PG);
	assert_memory_equal(back, data, 50 * PG);
	f->md.data[b * PG + 100] ^= 0x40;
	/* Damage in the last run, found after the reads are all done. */
	uint64_t last = 0;
	while (last < f->md.nblocks && memcmp(f->md.data + last * PG, data + 95 * PG, PG))
		last++;
	assert_true(last < f->md.nblocks);
	f->md.data[last * PG] ^= 1;
	assert_int_equal(os_read(f->s, &id, 0, back, NP * PG), TOY_ERR_CORRUPT);
	f->md.data[last * PG] ^= 1;
	/* Never a second read while one is outstanding, none left behind. */
	assert_int_equal(f->md.misuse, 0);
	assert_false(f->md.reading);
	free(data);
	free(back);
}

/* The embedder's hash (env.hash128), counted, and one that is wrong. */
static unsigned hook_calls;
static bool hook_lies;

static void hook_hash128(const void *data, size_t len, uint8_t out[16])
{
	toy_xxh3_128(data, len, out);
	hook_calls++;
	out[0] ^= hook_lies;
}

/* A store given env.hash128 hashes every page with it, writing and
 * reading: one written with the store's own hash reads back under the
 * hook (the same XXH3-128), and a hook that disagrees finds every stored
 * page damaged. */
static void test_hash_hook(void **state)
{
	struct fx *f = *state;
	put(f, idn(1), 0, 8 * PG, 5);
	assert_int_equal(os_unmount(f->s), 0);
	f->env.hash128 = hook_hash128;
	hook_calls = 0;
	hook_lies = false;
	assert_int_equal(os_mount(&f->env, 0, &f->s), 0);
	expect(f, idn(1), 0, 8 * PG, 5);
	assert_true(hook_calls >= 8);
	put(f, idn(2), 0, 3 * PG, 6);
	remount(f);
	expect(f, idn(2), 0, 3 * PG, 6);
	unsigned before = hook_calls;
	hook_lies = true;
	uint8_t page[PG];
	toy_id one = idn(1);
	assert_int_equal(os_read(f->s, &one, 0, page, PG), TOY_ERR_CORRUPT);
	assert_true(hook_calls > before);
	hook_lies = false;
	f->env.hash128 = NULL;
}

static void test_remount_without_checkpoint(void **state)
{
	struct fx *f = *state;
	/* Crash-style: copy the image before unmount writes its checkpoint. */
	put(f, idn(1), 5, 2 * PG, 11);
	put(f, idn(1), 3 * PG, 10, 12);
	struct memdev copy;
	struct os_env env;
	os_store *s;
	assert_int_equal(memdev_from_image(&copy, f->md.data, f->md.nblocks * OS_BLOCK_SIZE), 0);
	memdev_env(&copy, &env);
	assert_int_equal(os_mount(&env, 0, &s), 0);
	uint8_t buf[10], want[10];
	fill(want, 10, 12);
	toy_id id = idn(1);
	assert_int_equal(os_read(s, &id, 3 * PG, buf, 10), 10);
	assert_memory_equal(buf, want, 10);
	assert_int_equal(os_unmount(s), 0);
	memdev_free(&copy);
}

static void test_rdonly_writes_nothing(void **state)
{
	struct fx *f = *state;
	put(f, idn(1), 0, 2 * PG, 3);
	/* Leave a log tail to replay: snapshot before unmount's checkpoint. */
	put(f, idn(2), 0, 10, 4);
	struct memdev copy;
	struct os_env env;
	os_store *s;
	assert_int_equal(memdev_from_image(&copy, f->md.data, f->md.nblocks * OS_BLOCK_SIZE), 0);
	memdev_env(&copy, &env);
	assert_int_equal(os_mount(&env, OS_MOUNT_RDONLY, &s), 0);
	uint8_t buf[10], want[10];
	fill(want, 10, 4);
	toy_id id = idn(2);
	assert_int_equal(os_read(s, &id, 0, buf, 10), 10);
	assert_memory_equal(buf, want, 10);
	id = idn(9);
	int rc = os_begin(s);
	if (rc == 0) {
		rc = os_create(s, &id, 0);
		if (rc == 0)
			rc = os_commit(s, NULL);
		os_abort(s);
	}
	assert_true(rc < 0);
	assert_true(os_checkpoint(s) < 0);
	assert_true(os_clean(s, NULL) < 0);
	char msg[100];
	assert_int_equal(os_check(s, msg, sizeof(msg)), 0);
	assert_int_equal(os_unmount(s), 0);
	assert_int_equal(copy.writes, 0);
	assert_int_equal(copy.flushes, 0);
	memdev_free(&copy);
}

/* --- transactions --------------------------------------------------------- */

static void test_busy_without_txn(void **state)
{
	struct fx *f = *state;
	toy_id id = idn(1);
	uint8_t b = 1;
	assert_int_equal(os_create(f->s, &id, 0), TOY_ERR_BUSY);
	assert_int_equal(os_write(f->s, &id, 0, &b, 1), TOY_ERR_BUSY);
	assert_int_equal(os_set_size(f->s, &id, 1), TOY_ERR_BUSY);
	assert_int_equal(os_set_flags(f->s, &id, 1), TOY_ERR_BUSY);
	assert_int_equal(os_delete(f->s, &id), TOY_ERR_BUSY);
	assert_int_equal(os_commit(f->s, NULL), TOY_ERR_BUSY);
	os_abort(f->s); /* no-op */
	assert_int_equal(os_begin(f->s), 0);
	assert_int_equal(os_begin(f->s), TOY_ERR_BUSY);
	assert_int_equal(os_checkpoint(f->s), TOY_ERR_BUSY);
	assert_int_equal(os_clean(f->s, NULL), TOY_ERR_BUSY);
	os_abort(f->s);
	assert_int_equal(os_checkpoint(f->s), 0);
}

static void test_generations(void **state)
{
	struct fx *f = *state;
	struct os_info info;
	uint64_t g1, g2;
	toy_id id = idn(1);
	os_info(f->s, &info);
	assert_int_equal(os_begin(f->s), 0);
	assert_int_equal(os_create(f->s, &id, 0), 0);
	assert_int_equal(os_commit(f->s, &g1), 0);
	assert_true(g1 > info.generation);
	assert_int_equal(os_begin(f->s), 0);
	assert_int_equal(os_write(f->s, &id, 0, "x", 1), 0);
	assert_int_equal(os_commit(f->s, &g2), 0);
	assert_true(g2 > g1);
	os_info(f->s, &info);
	assert_int_equal(info.generation, g2);
	remount(f);
	os_info(f->s, &info);
	assert_int_equal(info.generation, g2);
}

static void test_abort(void **state)
{
	struct fx *f = *state;
	struct os_stat st;
	toy_id a = idn(1), b = idn(2);
	put(f, a, 0, PG, 5);
	assert_int_equal(os_begin(f->s), 0);
	assert_int_equal(os_create(f->s, &b, 0), 0);
	assert_int_equal(os_write(f->s, &b, 0, "hello", 5), 0);
	assert_int_equal(os_write(f->s, &a, 10, "XXXX", 4), 0);
	assert_int_equal(os_delete(f->s, &a), 0);
	os_abort(f->s);
	assert_int_equal(os_stat(f->s, &b, &st), TOY_ERR_NOTFOUND);
	expect(f, a, 0, PG, 5);
	remount(f);
	assert_int_equal(os_stat(f->s, &b, &st), TOY_ERR_NOTFOUND);
	expect(f, a, 0, PG, 5);
	check_clean(f);
}

static void test_read_your_writes(void **state)
{
	struct fx *f = *state;
	struct os_stat st;
	toy_id a = idn(1);
	uint8_t buf[PG], got[PG];
	put(f, a, 0, 2 * PG, 6);
	fill(buf, PG, 7);
	assert_int_equal(os_begin(f->s), 0);
	assert_int_equal(os_write(f->s, &a, PG + 100, buf, PG), 0);
	assert_int_equal(os_read(f->s, &a, PG + 100, got, PG), PG);
	assert_memory_equal(got, buf, PG);
	assert_int_equal(os_stat(f->s, &a, &st), 0);
	assert_int_equal(st.size, 2 * PG + 100);
	assert_int_equal(st.npages, 3);
	expect(f, a, 0, PG + 100, 6);
	assert_int_equal(os_commit(f->s, NULL), 0);
	assert_int_equal(os_read(f->s, &a, PG + 100, got, PG), PG);
	assert_memory_equal(got, buf, PG);
}

static void test_delete_recreate_one_txn(void **state)
{
	struct fx *f = *state;
	struct os_stat st;
	toy_id a = idn(1);
	put(f, a, 0, 4 * PG, 8);
	assert_int_equal(os_begin(f->s), 0);
	assert_int_equal(os_delete(f->s, &a), 0);
	assert_int_equal(os_stat(f->s, &a, &st), TOY_ERR_NOTFOUND);
	assert_int_equal(os_create(f->s, &a, 9), 0);
	assert_int_equal(os_stat(f->s, &a, &st), 0);
	assert_int_equal(st.size, 0);
	assert_int_equal(st.npages, 0);
	assert_int_equal(st.kind, 9);
	assert_int_equal(os_write(f->s, &a, 2 * PG, "new", 3), 0);
	assert_int_equal(os_set_size(f->s, &a, 4 * PG), 0);
	assert_int_equal(os_commit(f->s, NULL), 0);
	for (int pass = 0; pass < 2; pass++) {
		assert_int_equal(os_stat(f->s, &a, &st), 0);
		assert_int_equal(st.size, 4 * PG);
		assert_int_equal(st.npages, 1);
		assert_int_equal(st.kind, 9);
		expect_zero(f, a, 0, 2 * PG);
		expect_zero(f, a, 2 * PG + 3, 2 * PG - 3);
		uint8_t buf[3];
		assert_int_equal(os_read(f->s, &a, 2 * PG, buf, 3), 3);
		assert_memory_equal(buf, "new", 3);
		remount(f);
	}
	check_clean(f);
}

/* --- changes and their errors --------------------------------------------- */

static void test_notfound(void **state)
{
	struct fx *f = *state;
	toy_id id = idn(77);
	struct os_stat st;
	uint8_t buf[8], h[16];
	assert_int_equal(os_stat(f->s, &id, &st), TOY_ERR_NOTFOUND);
	assert_int_equal(os_read(f->s, &id, 0, buf, 8), TOY_ERR_NOTFOUND);
	assert_int_equal(os_page_hash(f->s, &id, 0, h), TOY_ERR_NOTFOUND);
	assert_int_equal(os_begin(f->s), 0);
	assert_int_equal(os_write(f->s, &id, 0, buf, 8), TOY_ERR_NOTFOUND);
	assert_int_equal(os_set_size(f->s, &id, 8), TOY_ERR_NOTFOUND);
	assert_int_equal(os_set_flags(f->s, &id, 8), TOY_ERR_NOTFOUND);
	assert_int_equal(os_delete(f->s, &id), TOY_ERR_NOTFOUND);
	assert_int_equal(os_create(f->s, &id, 0), 0);
	assert_int_equal(os_delete(f->s, &id), 0);
	assert_int_equal(os_delete(f->s, &id), TOY_ERR_NOTFOUND);
	assert_int_equal(os_commit(f->s, NULL), 0);
	assert_int_equal(os_stat(f->s, &id, &st), TOY_ERR_NOTFOUND);
}

static void test_exists(void **state)
{
	struct fx *f = *state;
	toy_id a = idn(1), b = idn(2);
	assert_int_equal(os_begin(f->s), 0);
	assert_int_equal(os_create(f->s, &a, 0), 0);
	assert_int_equal(os_create(f->s, &a, 0), TOY_ERR_EXISTS);
	assert_int_equal(os_commit(f->s, NULL), 0);
	assert_int_equal(os_begin(f->s), 0);
	assert_int_equal(os_create(f->s, &a, 1), TOY_ERR_EXISTS);
	assert_int_equal(os_create(f->s, &b, 1), 0);
	assert_int_equal(os_commit(f->s, NULL), 0);
	struct os_stat st;
	assert_int_equal(os_stat(f->s, &a, &st), 0);
	assert_int_equal(st.kind, 0);
	assert_int_equal(os_stat(f->s, &b, &st), 0);
	assert_int_equal(st.kind, 1);
}

static void test_create_ids(void **state)
{
	struct fx *f = *state;
	toy_id nil, nil2, res = toy_id_reserved(1);
	memset(&nil, 0, sizeof(nil));
	memset(&nil2, 0, sizeof(nil2));
	assert_int_equal(os_begin(f->s), 0);
	assert_int_equal(os_create(f->s, &nil, 4), 0);
	assert_false(toy_id_is_nil(&nil));
	assert_false(toy_id_is_reserved(&nil));
	assert_int_equal(os_create(f->s, &nil2, 4), 0);
	assert_false(toy_id_eq(&nil, &nil2));
	assert_int_equal(os_create(f->s, &res, 5), 0);
	assert_int_equal(os_commit(f->s, NULL), 0);
	remount(f);
	struct os_stat st;
	assert_int_equal(os_stat(f->s, &nil, &st), 0);
	assert_int_equal(st.kind, 4);
	assert_int_equal(os_stat(f->s, &res, &st), 0);
	assert_int_equal(st.kind, 5);
}

static void test_create_without_random(void **state)
{
	struct fx *f = *state;
	os_store *s;
	struct os_env env = f->env;
	toy_id nil;
	memset(&nil, 0, sizeof(nil));
	assert_int_equal(os_unmount(f->s), 0);
	f->s = NULL;
	env.random = NULL;
	assert_int_equal(os_mount(&env, 0, &s), 0);
	assert_int_equal(os_begin(s), 0);
	assert_int_equal(os_create(s, &nil, 0), TOY_ERR_NOTSUP);
	assert_true(toy_id_is_nil(&nil));
	os_abort(s);
	assert_int_equal(os_unmount(s), 0);
}

static void test_write_overflow(void **state)
{
	struct fx *f = *state;
	toy_id a = idn(1);
	uint8_t b[16] = {0};
	assert_int_equal(os_begin(f->s), 0);
	assert_int_equal(os_create(f->s, &a, 0), 0);
	int rc = os_write(f->s, &a, UINT64_MAX - 4, b, 16);
	assert_true(rc == TOY_ERR_INVAL || rc == TOY_ERR_RANGE);
	rc = os_set_size(f->s, &a, UINT64_MAX);
	assert_true(rc == TOY_ERR_INVAL || rc == TOY_ERR_RANGE);
	assert_int_equal(os_commit(f->s, NULL), 0);
	struct os_stat st;
	assert_int_equal(os_stat(f->s, &a, &st), 0);
	assert_int_equal(st.size, 0);
	check_clean(f);
}

static void test_flags(void **state)
{
	struct fx *f = *state;
	toy_id a = idn(1);
	struct os_stat st;
	put(f, a, 0, 10, 1);
	assert_int_equal(os_begin(f->s), 0);
	assert_int_equal(os_set_flags(f->s, &a, 0xdeadbeef), 0);
	assert_int_equal(os_commit(f->s, NULL), 0);
	remount(f);
	assert_int_equal(os_stat(f->s, &a, &st), 0);
	assert_int_equal(st.flags, 0xdeadbeef);
	assert_int_equal(st.kind, 1);
	assert_int_equal(st.size, 10);
}

/* --- reads ---------------------------------------------------------------- */

static void test_holes(void **state)
{
	struct fx *f = *state;
	toy_id a = idn(1);
	struct os_stat st;
	put(f, a, 0, PG, 1);
	put(f, a, 3 * PG, PG, 2);
	assert_int_equal(os_stat(f->s, &a, &st), 0);
	assert_int_equal(st.size, 4 * PG);
	assert_int_equal(st.npages, 2);
	expect_zero(f, a, PG, 2 * PG);
	expect(f, a, 0, PG, 1);
	expect(f, a, 3 * PG, PG, 2);
	uint8_t h[16];
	assert_int_equal(os_page_hash(f->s, &a, 1, h), TOY_ERR_NOTFOUND);
	assert_int_equal(os_page_hash(f->s, &a, 9, h), TOY_ERR_NOTFOUND);
}

static void test_read_at_end(void **state)
{
	struct fx *f = *state;
	toy_id a = idn(1);
	uint8_t buf[100];
	put(f, a, 0, 50, 1);
	assert_int_equal(os_read(f->s, &a, 0, buf, 100), 50);
	assert_int_equal(os_read(f->s, &a, 40, buf, 100), 10);
	assert_int_equal(os_read(f->s, &a, 50, buf, 100), 0);
	assert_int_equal(os_read(f->s, &a, 1000000, buf, 100), 0);
	assert_int_equal(os_read(f->s, &a, UINT64_MAX, buf, 100), 0);
	assert_int_equal(os_read(f->s, &a, 10, buf, 0), 0);
}

static void test_shrink_grow_zeroes(void **state)
{
	struct fx *f = *state;
	toy_id a = idn(1);
	struct os_stat st;
	put(f, a, 0, 3 * PG, 1);
	assert_int_equal(os_begin(f->s), 0);
	assert_int_equal(os_set_size(f->s, &a, 5000), 0);
	assert_int_equal(os_stat(f->s, &a, &st), 0);
	assert_int_equal(st.size, 5000);
	assert_int_equal(st.npages, 2);
	assert_int_equal(os_set_size(f->s, &a, 3 * PG), 0);
	expect(f, a, 0, 5000, 1);
	expect_zero(f, a, 5000, 3 * PG - 5000);
	assert_int_equal(os_commit(f->s, NULL), 0);
	for (int pass = 0; pass < 2; pass++) {
		expect(f, a, 0, 5000, 1);
		expect_zero(f, a, 5000, 3 * PG - 5000);
		assert_int_equal(os_stat(f->s, &a, &st), 0);
		assert_int_equal(st.npages, 2);
		remount(f);
	}
	check_clean(f);
}

static void test_shrink_then_write_beyond(void **state)
{
	struct fx *f = *state;
	toy_id a = idn(1);
	put(f, a, 0, 2 * PG, 1);
	assert_int_equal(os_begin(f->s), 0);
	assert_int_equal(os_set_size(f->s, &a, 100), 0);
	assert_int_equal(os_write(f->s, &a, 200, "zz", 2), 0);
	assert_int_equal(os_write(f->s, &a, PG + 10, "yy", 2), 0);
	assert_int_equal(os_commit(f->s, NULL), 0);
	for (int pass = 0; pass < 2; pass++) {
		expect(f, a, 0, 100, 1);
		expect_zero(f, a, 100, 100);
		expect_zero(f, a, 202, PG + 10 - 202);
		expect_zero(f, a, PG, 10);
		remount(f);
	}
}

static void test_shrink_to_zero_and_grow(void **state)
{
	struct fx *f = *state;
	toy_id a = idn(1);
	struct os_stat st;
	put(f, a, 0, 4 * PG, 1);
	assert_int_equal(os_begin(f->s), 0);
	assert_int_equal(os_set_size(f->s, &a, 0), 0);
	assert_int_equal(os_commit(f->s, NULL), 0);
	assert_int_equal(os_begin(f->s), 0);
	assert_int_equal(os_set_size(f->s, &a, 4 * PG), 0);
	assert_int_equal(os_commit(f->s, NULL), 0);
	remount(f);
	assert_int_equal(os_stat(f->s, &a, &st), 0);
	assert_int_equal(st.size, 4 * PG);
	assert_int_equal(st.npages, 0);
	expect_zero(f, a, 0, 4 * PG);
	struct os_info info;
	os_info(f->s, &info);
	assert_int_equal(info.live_blocks, 0);
}

static void test_large_unaligned(void **state)
{
	struct fx *f = *state;
	toy_id a = idn(1);
	put(f, a, 1234, 20 * PG + 77, 3);
	remount(f);
	expect(f, a, 1234, 20 * PG + 77, 3);
	expect_zero(f, a, 0, 1234);
	struct os_stat st;
	assert_int_equal(os_stat(f->s, &a, &st), 0);
	assert_int_equal(st.npages, 21); /* pages 0..20 */
}

/* --- iterate, stat, page_hash --------------------------------------------- */

struct seen {
	int n;
	uint64_t mask;
};

static int seen_cb(void *arg, const toy_id *id, const struct os_stat *st)
{
	struct seen *s = arg;
	uint64_t n = id->b[0];
	assert_true(n < 64);
	assert_int_equal(st->size, n + 1);
	assert_int_equal(st->kind, n);
	assert_false(s->mask & (1ull << n));
	s->mask |= 1ull << n;
	s->n++;
	return 0;
}

static int stop_cb(void *arg, const toy_id *id, const struct os_stat *st)
{
	(void)id;
	(void)st;
	return ++*(int *)arg == 3 ? 42 : 0;
}

static void test_iterate(void **state)
{
	struct fx *f = *state;
	assert_int_equal(os_begin(f->s), 0);
	for (uint64_t i = 0; i < 40; i++) {
		toy_id id = idn(i);
		uint8_t b = (uint8_t)i;
		assert_int_equal(os_create(f->s, &id, (uint32_t)i), 0);
		assert_int_equal(os_write(f->s, &id, i, &b, 1), 0);
	}
	toy_id gone = idn(5);
	assert_int_equal(os_delete(f->s, &gone), 0);
	struct seen s = {0, 0};
	assert_int_equal(os_iterate(f->s, seen_cb, &s), 0); /* sees the txn */
	assert_int_equal(s.n, 39);
	assert_int_equal(os_commit(f->s, NULL), 0);
	remount(f);
	s.n = 0;
	s.mask = 0;
	assert_int_equal(os_iterate(f->s, seen_cb, &s), 0);
	assert_int_equal(s.n, 39);
	assert_int_equal(s.mask, ((1ull << 40) - 1) & ~(1ull << 5));
	int calls = 0;
	assert_int_equal(os_iterate(f->s, stop_cb, &calls), 42);
	assert_int_equal(calls, 3);
}

static void test_page_hash(void **state)
{
	struct fx *f = *state;
	toy_id a = idn(1);
	uint8_t page[PG], h[16], want[16];
	put(f, a, 0, 2 * PG, 9);
	fill(page, PG, 9);
	for (int pass = 0; pass < 2; pass++) {
		XXH128_hash_t x = XXH3_128bits(page, PG);
		memcpy(want, &x.low64, 8);
		memcpy(want + 8, &x.high64, 8);
		assert_int_equal(os_page_hash(f->s, &a, 0, h), 0);
		assert_memory_equal(h, want, 16);
		remount(f);
	}
	/* A short last page hashes as a full page padded with zeros. */
	toy_id b = idn(2);
	put(f, b, 0, 10, 10);
	memset(page, 0, PG);
	fill(page, 10, 10);
	XXH128_hash_t x = XXH3_128bits(page, PG);
	memcpy(want, &x.low64, 8);
	memcpy(want + 8, &x.high64, 8);
	assert_int_equal(os_page_hash(f->s, &b, 0, h), 0);
	assert_memory_equal(h, want, 16);
}

/* --- maintenance ---------------------------------------------------------- */

static void test_checkpoint(void **state)
{
	struct fx *f = *state;
	struct os_info info;
	uint64_t gen;
	toy_id a = idn(1);
	put(f, a, 0, PG, 1);
	assert_int_equal(os_begin(f->s), 0);
	assert_int_equal(os_write(f->s, &a, 0, "q", 1), 0);
	assert_int_equal(os_commit(f->s, &gen), 0);
	assert_int_equal(os_checkpoint(f->s), 0);
	os_info(f->s, &info);
	assert_int_equal(info.ckpt_generation, gen);
	put(f, idn(2), 0, 5, 2);
	/* Mount a copy without unmount's checkpoint: checkpoint + tail. */
	struct memdev copy;
	struct os_env env;
	os_store *s;
	assert_int_equal(memdev_from_image(&copy, f->md.data, f->md.nblocks * OS_BLOCK_SIZE), 0);
	memdev_env(&copy, &env);
	assert_int_equal(os_mount(&env, 0, &s), 0);
	os_info(s, &info);
	assert_int_equal(info.ckpt_generation, gen);
	assert_int_equal(info.nobjects, 2);
	uint8_t c;
	assert_int_equal(os_read(s, &a, 0, &c, 1), 1);
	assert_int_equal(c, 'q');
	assert_int_equal(os_unmount(s), 0);
	memdev_free(&copy);
}

static void test_many_objects_checkpoint(void **state)
{
	struct fx *f = *state;
	/* More objects than one summary has records, and a multi-block index. */
	assert_int_equal(os_begin(f->s), 0);
	for (uint64_t i = 0; i < 300; i++) {
		toy_id id = idn(i + 1000);
		assert_int_equal(os_create(f->s, &id, 7), 0);
		assert_int_equal(os_write(f->s, &id, (i % 3) * PG, &i, sizeof(i)), 0);
	}
	assert_int_equal(os_commit(f->s, NULL), 0);
	assert_int_equal(os_checkpoint(f->s), 0);
	remount(f);
	struct os_info info;
	os_info(f->s, &info);
	assert_int_equal(info.nobjects, 300);
	assert_int_equal(info.live_blocks, 300);
	for (uint64_t i = 0; i < 300; i++) {
		toy_id id = idn(i + 1000);
		uint64_t v = 0;
		assert_int_equal(os_read(f->s, &id, (i % 3) * PG, &v, sizeof(v)), sizeof(v));
		assert_int_equal(v, i);
	}
	check_clean(f);
}

static void test_clean(void **state)
{
	struct fx *f = *state;
	struct os_info before, after;
	struct os_clean_stats cs;
	toy_id a = idn(1), b = idn(2);
	put(f, b, 0, 3 * PG, 100);
	/* Rewrite the same pages until most segments hold only garbage. */
	for (int i = 0; i < 40; i++)
		put(f, a, 0, 8 * PG, (uint64_t)i);
	os_info(f->s, &before);
	assert_int_equal(os_clean(f->s, &cs), 0);
	os_info(f->s, &after);
	assert_true(cs.segs_cleaned > 0);
	assert_true(after.free_segs > before.free_segs);
	assert_int_equal(after.live_blocks, 11);
	expect(f, a, 0, 8 * PG, 39);
	expect(f, b, 0, 3 * PG, 100);
	check_clean(f);
	remount(f);
	expect(f, a, 0, 8 * PG, 39);
	expect(f, b, 0, 3 * PG, 100);
	check_clean(f);
	assert_int_equal(os_clean(f->s, NULL), 0);
}

static void test_log_wraps(void **state)
{
	struct fx *f = *state;
	/* Write several times the device size; the cleaner must keep up. */
	toy_id a = idn(1);
	uint64_t i;
	int rc = 0;
	for (i = 0; i < 200 && rc == 0; i++) {
		uint8_t buf[4 * PG];
		fill(buf, sizeof(buf), i);
		assert_int_equal(os_begin(f->s), 0);
		struct os_stat st;
		if (os_stat(f->s, &a, &st) != 0)
			assert_int_equal(os_create(f->s, &a, 0), 0);
		rc = os_write(f->s, &a, (i % 8) * PG, buf, sizeof(buf));
		if (rc == 0)
			rc = os_commit(f->s, NULL);
		else
			os_abort(f->s);
		if (rc == TOY_ERR_NOSPC) {
			assert_int_equal(os_clean(f->s, NULL), 0);
			rc = 0;
		}
		if (i % 50 == 49)
			remount(f);
	}
	assert_int_equal(rc, 0);
	check_clean(f);
	uint8_t want[4 * PG];
	fill(want, sizeof(want), 199);
	uint8_t got[4 * PG];
	assert_int_equal(os_read(f->s, &a, (199 % 8) * PG, got, sizeof(got)), sizeof(got));
	assert_memory_equal(got, want, sizeof(got));
}

static void test_nospc(void **state)
{
	struct fx *f = *state;
	toy_id a = idn(1), b = idn(2);
	put(f, a, 0, PG, 1);
	/* Fill the device with live data in one transaction. */
	uint8_t buf[PG];
	int rc = 0;
	assert_int_equal(os_begin(f->s), 0);
	assert_int_equal(os_create(f->s, &b, 0), 0);
	for (uint64_t p = 0; p < 2 * SEG_BLOCKS * NSEGS && rc == 0; p++) {
		fill(buf, PG, p);
		rc = os_write(f->s, &b, p * PG, buf, PG);
	}
	if (rc == 0)
		rc = os_commit(f->s, NULL);
	else
		os_abort(f->s);
	assert_int_equal(rc, TOY_ERR_NOSPC);
	struct os_stat st;
	assert_int_equal(os_stat(f->s, &b, &st), TOY_ERR_NOTFOUND);
	expect(f, a, 0, PG, 1);
	check_clean(f);
	assert_int_equal(os_clean(f->s, NULL), 0);
	put(f, b, 0, PG, 2); /* still usable */
	remount(f);
	expect(f, a, 0, PG, 1);
	expect(f, b, 0, PG, 2);
	check_clean(f);
}

static void test_unmount_aborts_txn(void **state)
{
	struct fx *f = *state;
	toy_id a = idn(1), b = idn(2);
	struct os_stat st;
	put(f, a, 0, 100, 1);
	assert_int_equal(os_begin(f->s), 0);
	assert_int_equal(os_create(f->s, &b, 0), 0);
	assert_int_equal(os_write(f->s, &a, 0, "zzzz", 4), 0);
	assert_int_equal(os_unmount(f->s), 0);
	f->s = NULL;
	assert_int_equal(os_mount(&f->env, 0, &f->s), 0);
	assert_int_equal(os_stat(f->s, &b, &st), TOY_ERR_NOTFOUND);
	expect(f, a, 0, 100, 1);
	check_clean(f);
}

static void test_empty_commit(void **state)
{
	struct fx *f = *state;
	uint64_t g0, g1;
	put(f, idn(1), 0, 10, 1);
	assert_int_equal(os_begin(f->s), 0);
	assert_int_equal(os_commit(f->s, &g0), 0);
	assert_int_equal(os_begin(f->s), 0);
	assert_int_equal(os_commit(f->s, &g1), 0);
	assert_true(g1 >= g0);
	remount(f);
	expect(f, idn(1), 0, 10, 1);
	check_clean(f);
}

static void test_delete_then_use(void **state)
{
	struct fx *f = *state;
	toy_id a = idn(1);
	struct os_stat st;
	uint8_t h[16];
	put(f, a, 0, PG, 1);
	assert_int_equal(os_begin(f->s), 0);
	assert_int_equal(os_delete(f->s, &a), 0);
	assert_int_equal(os_write(f->s, &a, 0, "x", 1), TOY_ERR_NOTFOUND);
	assert_int_equal(os_set_size(f->s, &a, 1), TOY_ERR_NOTFOUND);
	assert_int_equal(os_page_hash(f->s, &a, 0, h), TOY_ERR_NOTFOUND);
	os_abort(f->s);
	assert_int_equal(os_stat(f->s, &a, &st), 0);
	expect(f, a, 0, PG, 1);
}

static void test_page_hash_in_txn(void **state)
{
	struct fx *f = *state;
	toy_id a = idn(1);
	uint8_t page[PG], h[16], want[16];
	put(f, a, 0, PG, 1);
	fill(page, PG, 2);
	assert_int_equal(os_begin(f->s), 0);
	assert_int_equal(os_write(f->s, &a, 0, page, PG), 0);
	XXH128_hash_t x = XXH3_128bits(page, PG);
	memcpy(want, &x.low64, 8);
	memcpy(want + 8, &x.high64, 8);
	assert_int_equal(os_page_hash(f->s, &a, 0, h), 0);
	assert_memory_equal(h, want, 16);
	os_abort(f->s);
	fill(page, PG, 1);
	x = XXH3_128bits(page, PG);
	memcpy(want, &x.low64, 8);
	memcpy(want + 8, &x.high64, 8);
	assert_int_equal(os_page_hash(f->s, &a, 0, h), 0);
	assert_memory_equal(h, want, 16);
}

static void test_big_index(void **state)
{
	struct fx *f = *state;
	/* An index checkpoint of many chunks and more than one segment. */
	for (uint64_t t = 0; t < 6; t++) {
		assert_int_equal(os_begin(f->s), 0);
		for (uint64_t i = 0; i < 500; i++) {
			toy_id id = idn(t * 500 + i + 1);
			assert_int_equal(os_create(f->s, &id, (uint32_t)i), 0);
		}
		assert_int_equal(os_commit(f->s, NULL), 0);
	}
	assert_int_equal(os_checkpoint(f->s), 0);
	remount(f);
	struct os_info info;
	os_info(f->s, &info);
	assert_int_equal(info.nobjects, 3000);
	int n = 0;
	assert_int_equal(os_iterate(f->s, count_cb, &n), 0);
	assert_int_equal(n, 3000);
	struct os_stat st;
	toy_id last = idn(3000);
	assert_int_equal(os_stat(f->s, &last, &st), 0);
	assert_int_equal(st.kind, 499);
	check_clean(f);
}

static void test_grown_device(void **state)
{
	struct fx *f = *state;
	/* A store formatted on a smaller device still mounts on a bigger one. */
	put(f, idn(1), 0, 10, 1);
	assert_int_equal(os_unmount(f->s), 0);
	f->s = NULL;
	struct memdev big;
	struct os_env env;
	os_store *s;
	assert_int_equal(memdev_init(&big, f->md.nblocks + 100), 0);
	memcpy(big.data, f->md.data, f->md.nblocks * OS_BLOCK_SIZE);
	memdev_env(&big, &env);
	assert_int_equal(os_mount(&env, 0, &s), 0);
	uint8_t buf[10], want[10];
	toy_id id = idn(1);
	fill(want, 10, 1);
	assert_int_equal(os_read(s, &id, 0, buf, 10), 10);
	assert_memory_equal(buf, want, 10);
	assert_int_equal(os_unmount(s), 0);
	memdev_free(&big);
}

static void test_huge_sparse(void **state)
{
	struct fx *f = *state;
	toy_id a = idn(1);
	uint64_t tib = 1ull << 40;
	struct os_stat st;
	uint8_t buf[32];
	assert_int_equal(os_begin(f->s), 0);
	assert_int_equal(os_create(f->s, &a, 0), 0);
	assert_int_equal(os_set_size(f->s, &a, tib), 0);
	assert_int_equal(os_write(f->s, &a, tib / 2, "mid", 3), 0);
	assert_int_equal(os_commit(f->s, NULL), 0);
	remount(f);
	assert_int_equal(os_stat(f->s, &a, &st), 0);
	assert_int_equal(st.size, tib);
	assert_int_equal(st.npages, 1);
	assert_int_equal(os_read(f->s, &a, tib - 10, buf, sizeof(buf)), 10);
	for (int i = 0; i < 10; i++)
		assert_int_equal(buf[i], 0);
	assert_int_equal(os_read(f->s, &a, tib / 2, buf, 3), 3);
	assert_memory_equal(buf, "mid", 3);
	assert_int_equal(os_begin(f->s), 0);
	assert_int_equal(os_set_size(f->s, &a, tib / 2 + 1), 0);
	assert_int_equal(os_commit(f->s, NULL), 0);
	assert_int_equal(os_read(f->s, &a, tib / 2, buf, 3), 1);
	assert_int_equal(buf[0], 'm');
	check_clean(f);
}

static void test_nil_id(void **state)
{
	struct fx *f = *state;
	toy_id nil;
	struct os_stat st;
	uint8_t b = 0;
	memset(&nil, 0, sizeof(nil));
	int rc = os_stat(f->s, &nil, &st);
	assert_true(rc == TOY_ERR_NOTFOUND || rc == TOY_ERR_INVAL);
	assert_int_equal(os_begin(f->s), 0);
	rc = os_write(f->s, &nil, 0, &b, 1);
	assert_true(rc == TOY_ERR_NOTFOUND || rc == TOY_ERR_INVAL);
	rc = os_delete(f->s, &nil);
	assert_true(rc == TOY_ERR_NOTFOUND || rc == TOY_ERR_INVAL);
	assert_int_equal(os_commit(f->s, NULL), 0);
	check_clean(f);
}

/* Fills a small store with rotating 3-page writes, cleaning on NOSPC.
 * A full device is not a device error: nothing may latch FAILED. */
static void fill_small_store(os_store *s, int rounds)
{
	uint8_t buf[3 * PG];
	memset(buf, 0x5a, sizeof(buf));
	for (int k = 0; k < rounds; k++) {
		toy_id id = toy_id_reserved(1 + (uint64_t)(k % 8));
		struct os_stat st;
		assert_int_equal(os_begin(s), 0);
		if (os_stat(s, &id, &st) != 0)
			assert_int_equal(os_create(s, &id, 0), 0);
		int rc = os_write(s, &id, (uint64_t)((k * 7) % 58) * PG, buf, sizeof(buf));
		if (rc == 0)
			rc = os_commit(s, NULL);
		else
			os_abort(s);
		assert_true(rc == 0 || rc == TOY_ERR_NOSPC);
		if (rc == TOY_ERR_NOSPC)
			assert_int_equal(os_clean(s, NULL), 0);
	}
}

static void test_full_store_no_latch(void **state)
{
	(void)state;
	struct memdev md;
	struct os_env env;
	struct os_format_opts opts = {8};
	os_store *s;
	assert_int_equal(memdev_init(&md, 2 + 8 * 12), 0);
	memdev_env(&md, &env);
	assert_int_equal(os_format(&env, &opts), 0);
	assert_int_equal(os_mount(&env, 0, &s), 0);
	fill_small_store(s, 200);
	assert_int_equal(os_unmount(s), 0);
	/* What the failed commits left in the log must not spoil the
	 * checkpoint unmount wrote after them. */
	char msg[200];
	assert_int_equal(os_mount(&env, 0, &s), 0);
	assert_int_equal(os_check(s, msg, sizeof(msg)), 0);
	assert_int_equal(os_unmount(s), 0);
	memdev_free(&md);
}

static void test_full_store_frees_space(void **state)
{
	(void)state;
	struct memdev md;
	struct os_env env;
	struct os_format_opts opts = {8};
	os_store *s;
	int rc = 0;
	assert_int_equal(memdev_init(&md, 2 + 8 * 12), 0);
	memdev_env(&md, &env);
	assert_int_equal(os_format(&env, &opts), 0);
	assert_int_equal(os_mount(&env, 0, &s), 0);
	fill_small_store(s, 200);
	/* Deleting everything must be possible, and must free the space. */
	assert_int_equal(os_begin(s), 0);
	for (uint64_t k = 1; k <= 8 && rc == 0; k++) {
		toy_id id = toy_id_reserved(k);
		rc = os_delete(s, &id);
	}
	assert_int_equal(rc, 0);
	assert_int_equal(os_commit(s, NULL), 0);
	assert_int_equal(os_checkpoint(s), 0);
	assert_int_equal(os_clean(s, NULL), 0);
	struct os_info info;
	os_info(s, &info);
	assert_int_equal(info.live_blocks, 0);
	assert_true(info.free_segs >= 6);
	assert_int_equal(os_unmount(s), 0);
	memdev_free(&md);
}

/* A cleaner pass that frees no segment should not copy pages either:
 * repeated os_clean calls on an idle store must settle. */
static void test_clean_settles(void **state)
{
	struct fx *f = *state;
	struct os_clean_stats cs;
	for (uint64_t i = 0; i < 12; i++)
		put(f, idn(i % 6), (i % 4) * PG, PG + 100, i);
	for (int pass = 0; pass < 4; pass++)
		assert_int_equal(os_clean(f->s, &cs), 0);
	assert_int_equal(os_clean(f->s, &cs), 0);
	assert_int_equal(cs.segs_cleaned, 0);
	assert_int_equal(cs.pages_moved, 0);
}

static void test_check_detects_damage(void **state)
{
	struct fx *f = *state;
	toy_id a = idn(1);
	put(f, a, 0, 4 * PG, 1);
	assert_int_equal(os_unmount(f->s), 0);
	f->s = NULL;
	/* Damage one data block of the object: find it by its contents. */
	uint8_t page[PG];
	fill(page, PG, 1);
	uint64_t hit = 0;
	for (uint64_t b = 2; b < f->md.nblocks; b++) {
		if (memcmp(f->md.data + b * PG, page, 64) == 0) {
			f->md.data[b * PG + 100] ^= 1;
			hit = b;
		}
	}
	assert_true(hit != 0);
	assert_int_equal(os_mount(&f->env, OS_MOUNT_RDONLY, &f->s), 0);
	char msg[200] = "";
	assert_int_equal(os_check(f->s, msg, sizeof(msg)), TOY_ERR_CORRUPT);
	assert_true(msg[0] != '\0');
	uint8_t buf[PG];
	assert_int_equal(os_read(f->s, &a, 0, buf, PG), TOY_ERR_CORRUPT);
	assert_int_equal(os_page_hash(f->s, &a, 1, buf), 0);
	assert_int_equal(os_unmount(f->s), 0);
	f->s = NULL;
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_format_bad_args),
	    cmocka_unit_test(test_mount_unformatted),
	    cmocka_unit_test(test_format_defaults),
	    T(test_fresh_store),
	    T(test_persistence),
	    T(test_remount_without_checkpoint),
	    T(test_rdonly_writes_nothing),
	    T(test_busy_without_txn),
	    T(test_generations),
	    T(test_abort),
	    T(test_read_your_writes),
	    T(test_delete_recreate_one_txn),
	    T(test_notfound),
	    T(test_exists),
	    T(test_create_ids),
	    T(test_create_without_random),
	    T(test_write_overflow),
	    T(test_flags),
	    T(test_holes),
	    T(test_read_at_end),
	    T(test_shrink_grow_zeroes),
	    T(test_shrink_then_write_beyond),
	    T(test_shrink_to_zero_and_grow),
	    T(test_large_unaligned),
	    T(test_iterate),
	    T(test_page_hash),
	    T(test_checkpoint),
	    T(test_many_objects_checkpoint),
	    T(test_clean),
	    T(test_log_wraps),
	    T(test_nospc),
	    T(test_check_detects_damage),
	    T(test_unmount_aborts_txn),
	    T(test_empty_commit),
	    T(test_delete_then_use),
	    T(test_page_hash_in_txn),
	    T(test_big_index),
	    T(test_grown_device),
	    T(test_huge_sparse),
	    T(test_nil_id),
	    T(test_clean_settles),
	    cmocka_unit_test(test_full_store_no_latch),
	    cmocka_unit_test(test_full_store_frees_space),
	    T(test_read_runs),
	    T(test_hash_hook),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
