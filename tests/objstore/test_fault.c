/* test_fault.c — allocation-failure and I/O-error loops, after SQLite's.
 *
 * Each scenario (format, mount of a checkpointed image, mount with a log
 * tail to replay, a transaction, checkpoint, clean, reading everything,
 * unmount) runs again and again with the Nth allocation, or the Nth device
 * call, failing, for N = 1, 2, ... until it runs to the end with no fault
 * injected. Every injected fault must surface as an error (NOMEM for memory;
 * for I/O any error, FAILED once a commit's writes are in doubt), nothing may
 * leak (live allocations are counted; ASan checks too), and the store must
 * stay consistent: after a memory fault it must still show the state before
 * the failed call, in place; after any fault a remount on a healthy device
 * must show the state before, or (for a commit) after, the call, and pass
 * os_check. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "faultenv.h"
#include "memdev.h"
#include "model.h"
#include "workload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEG_BLOCKS 8
#define NSEGS      16

enum { FAULT_ALLOC, FAULT_IO, FAULT_ALLOC_ALL, FAULT_IO_ALL }; /* _ALL: persistent */

static const char *const kind_names[] = {"alloc", "I/O", "alloc (persistent)", "I/O (persistent)"};

static bool is_alloc(int kind)
{
	return kind == FAULT_ALLOC || kind == FAULT_ALLOC_ALL;
}

struct fctx {
	struct memdev disk;
	struct faultenv fe;
	struct os_env env;
	os_store *s;
	bool changes; /* the scenario may have made post the durable state */
	bool prepped; /* prep committed post before the faults */
};

struct scenario {
	const char *name;
	const struct memdev *image; /* NULL: a blank device */
	bool mounted;               /* the harness mounts before arming */
	int (*run)(struct fctx *c);
	const struct model *post;    /* the state run makes, if it changes any */
	int (*prep)(struct fctx *c); /* runs before arming, if set */
};

static struct memdev img_clean, img_tail;
static struct model m_pre, m_post, m_big;
static const struct wl_limits limits = {6, 6, 0};

/* The fixed transaction of the txn scenario, applied to a model. */
static void txn_model(struct model *m)
{
	toy_id a = wl_id(10), b = wl_id(0), c = wl_id(1);
	uint8_t buf[3 * OS_PAGE_SIZE];
	memset(buf, 0x5a, sizeof(buf));
	model_create(m, &a, 3);
	model_write(m, &a, 100, buf, sizeof(buf));
	if (model_find(m, &b) != NULL)
		model_write(m, &b, 5000, buf, 700);
	if (model_find(m, &c) != NULL)
		model_delete(m, &c);
}

static int run_txn(struct fctx *c)
{
	toy_id a = wl_id(10), b = wl_id(0), d = wl_id(1);
	uint8_t buf[3 * OS_PAGE_SIZE];
	memset(buf, 0x5a, sizeof(buf));
	int rc = os_begin(c->s);
	if (rc == 0)
		rc = os_create(c->s, &a, 3);
	if (rc == 0)
		rc = os_write(c->s, &a, 100, buf, sizeof(buf));
	if (rc == 0 && model_find(&m_pre, &b) != NULL)
		rc = os_write(c->s, &b, 5000, buf, 700);
	if (rc == 0 && model_find(&m_pre, &d) != NULL)
		rc = os_delete(c->s, &d);
	if (rc != 0) {
		os_abort(c->s);
		return rc;
	}
	c->changes = true;
	return os_commit(c->s, NULL);
}

/* A transaction of more pages than one chunk holds (a chunk has at most
 * seg_blocks - 1 data blocks), so its first chunks reach the disk before
 * the commit. */
#define BIG_WRITES 30

static void big_model(struct model *m)
{
	toy_id a = wl_id(11);
	uint8_t buf[100];
	model_create(m, &a, 1);
	for (unsigned i = 0; i < BIG_WRITES; i++) {
		memset(buf, (int)i, sizeof(buf));
		model_write(m, &a, (uint64_t)i * OS_PAGE_SIZE + i, buf, sizeof(buf));
	}
}

static int run_big(struct fctx *c)
{
	toy_id a = wl_id(11);
	uint8_t buf[100];
	int rc = os_begin(c->s);
	if (rc == 0)
		rc = os_create(c->s, &a, 1);
	for (unsigned i = 0; rc == 0 && i < BIG_WRITES; i++) {
		memset(buf, (int)i, sizeof(buf));
		rc = os_write(c->s, &a, (uint64_t)i * OS_PAGE_SIZE + i, buf, sizeof(buf));
	}
	if (rc != 0) {
		os_abort(c->s);
		return rc;
	}
	c->changes = true;
	return os_commit(c->s, NULL);
}

static int prep_txn(struct fctx *c)
{
	int rc = run_txn(c);
	c->changes = false;
	c->prepped = true;
	return rc;
}

static int prep_clean(struct fctx *c)
{
	return os_clean(c->s, NULL);
}

static int run_format(struct fctx *c)
{
	struct os_format_opts opts = {SEG_BLOCKS};
	return os_format(&c->env, &opts);
}

static int run_mount(struct fctx *c)
{
	int rc = os_mount(&c->env, 0, &c->s);
	if (rc != 0)
		c->s = NULL;
	return rc;
}

static int run_checkpoint(struct fctx *c)
{
	return os_checkpoint(c->s);
}

static int run_clean(struct fctx *c)
{
	return os_clean(c->s, NULL);
}

static int run_unmount(struct fctx *c)
{
	int rc = os_unmount(c->s);
	c->s = NULL;
	return rc;
}

static int read_cb(void *arg, const toy_id *id, const struct os_stat *st)
{
	os_store *s = arg;
	uint8_t buf[OS_PAGE_SIZE], h[16];
	for (uint64_t off = 0; off < st->size; off += sizeof(buf)) {
		int64_t n = os_read(s, id, off, buf, sizeof(buf));
		if (n < 0)
			return (int)n;
		int rc = os_page_hash(s, id, off / OS_PAGE_SIZE, h);
		if (rc != 0 && rc != TOY_ERR_NOTFOUND)
			return rc;
	}
	return 0;
}

static int run_read(struct fctx *c)
{
	char msg[200];
	struct os_stat st;
	toy_id a = wl_id(0);
	int rc = os_iterate(c->s, read_cb, c->s);
	if (rc == 0)
		rc = os_check(c->s, msg, sizeof(msg));
	if (rc == 0) {
		rc = os_stat(c->s, &a, &st);
		rc = rc == TOY_ERR_NOTFOUND ? 0 : rc;
	}
	return rc;
}

static const struct scenario scenarios[] = {
    {"format", NULL, false, run_format, NULL, NULL},
    {"mount (checkpoint)", &img_clean, false, run_mount, NULL, NULL},
    {"mount (log tail)", &img_tail, false, run_mount, NULL, NULL},
    {"transaction", &img_tail, true, run_txn, &m_post, NULL},
    {"big transaction", &img_clean, true, run_big, &m_big, prep_clean},
    {"checkpoint", &img_tail, true, run_checkpoint, NULL, prep_txn},
    {"clean", &img_tail, true, run_clean, NULL, prep_txn},
    {"read all", &img_tail, true, run_read, NULL, NULL},
    {"unmount", &img_tail, true, run_unmount, NULL, prep_txn},
};

/* Builds the images: a workload's result with a log tail, and the same
 * after a clean unmount (which writes a checkpoint). m_pre is its state. */
static void make_images(void)
{
	struct memdev md;
	struct os_env env;
	struct os_format_opts opts = {SEG_BLOCKS};
	struct wl_op *op = malloc(sizeof(*op));
	struct trng rng;
	os_store *s;
	trng_seed(&rng, 99);
	model_init(&m_pre);
	assert_int_equal(memdev_init(&md, 2 + SEG_BLOCKS * NSEGS), 0);
	memdev_env(&md, &env);
	assert_int_equal(os_format(&env, &opts), 0);
	assert_int_equal(os_mount(&env, 0, &s), 0);
	for (int t = 0; t < 24; t++) {
		if (t == 12)
			assert_int_equal(os_checkpoint(s), 0);
		assert_int_equal(os_begin(s), 0);
		for (int i = 0; i < 4; i++) {
			wl_gen(&rng, &m_pre, &limits, op);
			assert_int_equal(wl_apply(s, op), 0);
			wl_apply_model(&m_pre, op);
		}
		assert_int_equal(os_commit(s, NULL), 0);
	}
	assert_int_equal(memdev_from_image(&img_tail, md.data, md.nblocks * OS_BLOCK_SIZE), 0);
	assert_int_equal(os_unmount(s), 0);
	assert_int_equal(memdev_from_image(&img_clean, md.data, md.nblocks * OS_BLOCK_SIZE), 0);
	memdev_free(&md);
	model_init(&m_post);
	model_copy(&m_post, &m_pre);
	txn_model(&m_post);
	model_init(&m_big);
	model_copy(&m_big, &m_pre);
	big_model(&m_big);
	free(op);
}

static void fail_at(const char *what, const struct scenario *sc, int kind, uint64_t n,
		    const char *why)
{
	fail_msg("%s fault %llu in %s: %s: %s", kind_names[kind], (unsigned long long)n, sc->name,
		 what, why);
}

/* The state before the scenario's faulty call. */
static const struct model *before(const struct fctx *c)
{
	return c->prepped ? &m_post : &m_pre;
}

/* After a memory fault the open store must still show the old state. */
static void verify_in_place(struct fctx *c, const struct scenario *sc, uint64_t n)
{
	char why[300];
	if (c->s == NULL)
		return;
	if (model_check_store(before(c), c->s, why, sizeof(why)) != 0 ||
	    model_fsck(c->s, why, sizeof(why)) != 0)
		fail_at("in place after NOMEM", sc, FAULT_ALLOC, n, why);
}

/* A commit whose writes failed latches: every later write fails too, even
 * with a healthy device, until the store is remounted. */
static void verify_latched(struct fctx *c, const struct scenario *sc, int kind, uint64_t n)
{
	toy_id id = wl_id(13);
	int rc = os_begin(c->s);
	if (rc == 0) {
		rc = os_create(c->s, &id, 0);
		if (rc == 0)
			rc = os_commit(c->s, NULL);
		else
			os_abort(c->s);
	}
	if (rc != TOY_ERR_FAILED)
		fail_at("latch", sc, kind, n, "a commit after FAILED did not fail");
	if (os_checkpoint(c->s) != TOY_ERR_FAILED || os_clean(c->s, NULL) != TOY_ERR_FAILED)
		fail_at("latch", sc, kind, n, "checkpoint or clean after FAILED did not fail");
}

/* Remounts the device without faults; the state must be pre (or post). */
static void verify_remount(struct fctx *c, const struct scenario *sc, int kind, uint64_t n, int rc)
{
	struct os_env env;
	os_store *s;
	char why[300], why2[300];
	memdev_env(&c->disk, &env);
	if (sc->run == run_format) {
		if (rc == 0 && os_mount(&env, 0, &s) == 0) /* a good format mounts */
			os_unmount(s);
		else if (rc == 0)
			fail_at("mount after format", sc, kind, n, "fails");
		return;
	}
	if (os_mount(&env, 0, &s) != 0)
		fail_at("remount", sc, kind, n, "mount fails");
	if (model_check_store(before(c), s, why, sizeof(why)) != 0 &&
	    (!c->changes || model_check_store(sc->post, s, why2, sizeof(why2)) != 0))
		fail_at("remount", sc, kind, n, why);
	if (rc == 0 && c->changes && model_check_store(sc->post, s, why, sizeof(why)) != 0)
		fail_at("remount after success", sc, kind, n, why);
	if (model_fsck(s, why, sizeof(why)) != 0)
		fail_at("remount", sc, kind, n, why);
	assert_int_equal(os_unmount(s), 0);
}

static void arm(struct fctx *c, int kind, uint64_t n)
{
	bool persist = kind == FAULT_ALLOC_ALL || kind == FAULT_IO_ALL;
	if (is_alloc(kind))
		faultenv_fail_alloc(&c->fe, n, persist);
	else
		faultenv_fail_io(&c->fe, FAULT_ANY_IO, n, persist);
}

/* Runs sc with fault n; returns true when it ran with no fault fired. */
static bool run_once(const struct scenario *sc, int kind, uint64_t n)
{
	struct fctx *c = calloc(1, sizeof(*c));
	struct os_env inner;
	if (sc->image != NULL)
		assert_int_equal(memdev_from_image(&c->disk, sc->image->data,
						   sc->image->nblocks * OS_BLOCK_SIZE),
				 0);
	else
		assert_int_equal(memdev_init(&c->disk, 2 + SEG_BLOCKS * NSEGS), 0);
	memdev_env(&c->disk, &inner);
	faultenv_wrap(&c->fe, &inner, &c->env);
	if (sc->mounted)
		assert_int_equal(os_mount(&c->env, 0, &c->s), 0);
	if (sc->prep != NULL)
		assert_int_equal(sc->prep(c), 0);
	arm(c, kind, n);
	int rc = sc->run(c);
	uint64_t fired = faultenv_fired(&c->fe);
	faultenv_disarm(&c->fe);
	if (rc != 0 && fired == 0)
		fail_at("error without a fault", sc, kind, n, toy_strerror(rc));
	if (rc != 0 && is_alloc(kind) && rc != TOY_ERR_NOMEM)
		fail_at("wrong error", sc, kind, n, toy_strerror(rc));
	if (rc != 0 && is_alloc(kind))
		verify_in_place(c, sc, n);
	if (rc == TOY_ERR_FAILED && c->s != NULL)
		verify_latched(c, sc, kind, n);
	if (c->s != NULL)
		os_unmount(c->s); /* may fail after an I/O fault: it still frees */
	if (c->fe.live != 0) {
		char why[64];
		snprintf(why, sizeof(why), "%lld allocations leaked", (long long)c->fe.live);
		fail_at("leak", sc, kind, n, why);
	}
	verify_remount(c, sc, kind, n, rc);
	memdev_free(&c->disk);
	free(c);
	return fired == 0;
}

static void loop(int kind, uint64_t max)
{
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		const struct scenario *sc = &scenarios[i];
		uint64_t n = 1;
		while (!run_once(sc, kind, n)) {
			if (++n > max)
				fail_msg("%s: still failing after %llu faults", sc->name,
					 (unsigned long long)max);
		}
		printf("fault: %s: %s faults 1..%llu\n", sc->name, kind_names[kind],
		       (unsigned long long)n - 1);
	}
}

static void test_alloc_faults(void **state)
{
	(void)state;
	loop(FAULT_ALLOC, test_env_u64("TOY_FAULT_MAX", 100000));
}

static void test_io_faults(void **state)
{
	(void)state;
	loop(FAULT_IO, test_env_u64("TOY_FAULT_MAX", 100000));
}

static void test_alloc_faults_persistent(void **state)
{
	(void)state;
	loop(FAULT_ALLOC_ALL, test_env_u64("TOY_FAULT_MAX", 100000));
}

static void test_io_faults_persistent(void **state)
{
	(void)state;
	loop(FAULT_IO_ALL, test_env_u64("TOY_FAULT_MAX", 100000));
}

static int group_setup(void **state)
{
	(void)state;
	make_images();
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	memdev_free(&img_clean);
	memdev_free(&img_tail);
	model_free(&m_pre);
	model_free(&m_post);
	model_free(&m_big);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_alloc_faults),
	    cmocka_unit_test(test_io_faults),
	    cmocka_unit_test(test_alloc_faults_persistent),
	    cmocka_unit_test(test_io_faults_persistent),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
