/* test_corrupt.c — damaged images: random bit flips, garbage blocks, zeroed
 * tails and truncated devices, applied in memory to images with a known
 * history. The store must never crash (ASan and UBSan watch), and whenever it
 * mounts and os_check says the store is clean, what it shows must be exactly
 * one of the committed generations, the one os_info names; a clean store must
 * also take a new commit. Otherwise mount or check must report an error.
 *
 * Env: TOY_CORRUPT_ITERS (damaged images per base image, default 10000). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "memdev.h"
#include "model.h"
#include "workload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEG_BLOCKS 8
#define NSEGS      16
#define NTXN       30
#define MAX_STATES 400

static const struct wl_limits limits = {6, 6, 0};

struct history {
	struct memdev img;
	struct model states[MAX_STATES]; /* by generation order; .gen set */
	unsigned n;
};

static struct history hist_clean, hist_tail, hist_wrapped;

/* Records the store's current generation as showing m's contents (the
 * cleaner commits generations of its own that change nothing). */
static void note_state(struct history *h, const struct model *m, os_store *s)
{
	struct os_info info;
	os_info(s, &info);
	if (h->n > 0 && h->states[h->n - 1].gen == info.generation)
		return;
	assert_true(h->n < MAX_STATES);
	model_init(&h->states[h->n]);
	model_copy(&h->states[h->n], m);
	h->states[h->n++].gen = info.generation;
}

struct stats {
	uint64_t runs, mount_err, check_err, clean, older;
};

/* Builds an image of ntxn transactions, with a checkpoint halfway and, if
 * clean_every, cleaning and checkpoints that make the log wrap round. */
static void build(struct history *h, bool unmount, int ntxn, int clean_every)
{
	struct memdev md;
	struct os_env env;
	struct os_format_opts opts = {SEG_BLOCKS};
	struct wl_op *op = malloc(sizeof(*op));
	struct trng rng;
	struct model m;
	os_store *s;
	trng_seed(&rng, 7);
	model_init(&m);
	assert_int_equal(memdev_init(&md, 2 + SEG_BLOCKS * NSEGS), 0);
	memdev_env(&md, &env);
	assert_int_equal(os_format(&env, &opts), 0);
	assert_int_equal(os_mount(&env, 0, &s), 0);
	note_state(h, &m, s);
	for (int t = 1; t <= ntxn; t++) {
		if (t == ntxn / 2 || (clean_every && t % (2 * clean_every) == 0))
			assert_int_equal(os_checkpoint(s), 0);
		if (clean_every && t % clean_every == 0)
			assert_int_equal(os_clean(s, NULL), 0);
		note_state(h, &m, s);
		assert_int_equal(os_begin(s), 0);
		for (int i = 0; i < 3; i++) {
			wl_gen(&rng, &m, &limits, op);
			assert_int_equal(wl_apply(s, op), 0);
			wl_apply_model(&m, op);
		}
		assert_int_equal(os_commit(s, NULL), 0);
		note_state(h, &m, s);
	}
	if (unmount)
		assert_int_equal(os_unmount(s), 0);
	assert_int_equal(memdev_from_image(&h->img, md.data, md.nblocks * OS_BLOCK_SIZE), 0);
	if (!unmount)
		assert_int_equal(os_unmount(s), 0);
	memdev_free(&md);
	model_free(&m);
	free(op);
}

/* Picks a block, preferring ones the store wrote (non-zero). */
static uint64_t pick_block(struct trng *r, const struct memdev *m)
{
	for (int tries = 0; tries < 8; tries++) {
		uint64_t b = trng_below(r, m->nblocks);
		const uint8_t *p = m->data + b * OS_BLOCK_SIZE;
		if (p[0] | p[8] | p[64] | p[4095])
			return b;
	}
	return trng_below(r, m->nblocks);
}

/* Damages m; returns the number of blocks the device should keep. */
static uint64_t damage(struct trng *r, struct memdev *m)
{
	uint64_t n = m->nblocks;
	switch (trng_below(r, 10)) {
	case 0: /* truncated device */ return trng_below(r, n);
	case 1: /* zeroed tail, as a short sparse file */
	{
		uint64_t from = trng_below(r, n);
		memset(m->data + from * OS_BLOCK_SIZE, 0, (n - from) * OS_BLOCK_SIZE);
		return n;
	}
	case 2: /* one block of garbage */
		trng_fill(r, m->data + pick_block(r, m) * OS_BLOCK_SIZE, OS_BLOCK_SIZE);
		return n;
	default: /* bit flips, half of them in block headers */
		for (uint64_t k = 1 + trng_below(r, 4); k > 0; k--) {
			uint64_t b = pick_block(r, m);
			uint64_t off = trng_chance(r, 1, 2) ? trng_below(r, 256)
							    : trng_below(r, OS_BLOCK_SIZE);
			m->data[b * OS_BLOCK_SIZE + off] ^= (uint8_t)(1u << trng_below(r, 8));
		}
		return n;
	}
}

static int read_all_cb(void *arg, const toy_id *id, const struct os_stat *st)
{
	os_store *s = arg;
	uint8_t buf[OS_PAGE_SIZE], h[16];
	for (uint64_t off = 0; off < st->size && off < (64u << 20); off += sizeof(buf)) {
		(void)os_read(s, id, off, buf, sizeof(buf));
		(void)os_page_hash(s, id, off / OS_PAGE_SIZE, h);
	}
	return 0;
}

static const struct model *state_of(const struct history *h, uint64_t gen)
{
	for (unsigned i = h->n; i-- > 0;)
		if (h->states[i].gen == gen)
			return &h->states[i];
	return NULL;
}

/* A store that checks clean must be one committed state and writable. */
static void verify_clean(const struct history *h, os_store *s, bool rw, struct stats *st,
			 uint64_t iter)
{
	struct os_info info;
	char why[300];
	os_info(s, &info);
	const struct model *m = state_of(h, info.generation);

	if (m == NULL)
		fail_msg("iter %llu: clean store at unknown generation %llu",
			 (unsigned long long)iter, (unsigned long long)info.generation);
	if (model_check_store(m, s, why, sizeof(why)) != 0)
		fail_msg("iter %llu: clean store, generation %llu: %s", (unsigned long long)iter,
			 (unsigned long long)info.generation, why);
	st->clean++;
	st->older += m != &h->states[h->n - 1];
	if (!rw)
		return;
	toy_id id = wl_id(12);
	int rc = os_begin(s);
	if (rc == 0 && (rc = os_create(s, &id, 1)) == 0 &&
	    (rc = os_write(s, &id, 0, "after", 5)) == 0)
		rc = os_commit(s, NULL);
	else
		os_abort(s);
	if (rc != 0 && rc != TOY_ERR_NOSPC)
		fail_msg("iter %llu: commit on a clean store: %d", (unsigned long long)iter, rc);
	if (model_fsck(s, why, sizeof(why)) != 0)
		fail_msg("iter %llu: commit on a clean store: %s", (unsigned long long)iter, why);
}

static void one(const struct history *h, struct trng *r, struct stats *st, uint64_t iter)
{
	struct memdev m;
	struct os_env env;
	os_store *s;
	char msg[200];
	bool rw = trng_chance(r, 1, 2);
	/* One buffer for all runs: a fresh one each time is slow under ASan. */
	static uint8_t *work;
	size_t bytes = h->img.nblocks * OS_BLOCK_SIZE;
	if (work == NULL)
		work = malloc(bytes);
	assert_non_null(work);
	memcpy(work, h->img.data, bytes);
	memset(&m, 0, sizeof(m));
	m.data = work;
	m.nblocks = h->img.nblocks;
	uint64_t keep = damage(r, &m);
	bool truncated = keep < m.nblocks;
	m.nblocks = keep;
	memdev_env(&m, &env);
	st->runs++;
	int rc = os_mount(&env, rw ? 0 : OS_MOUNT_RDONLY, &s);
	if (rc != 0) {
		assert_true(rc < 0 && rc >= TOY_ERR_LAST);
		st->mount_err++;
	} else {
		os_iterate(s, read_all_cb, s);
		rc = os_check(s, msg, sizeof(msg));
		if (rc == 0)
			verify_clean(h, s, rw, st, iter);
		else
			st->check_err++;
		os_unmount(s);
	}
	if (!truncated && m.oob != 0)
		fail_msg("iter %llu: %llu device accesses out of range", (unsigned long long)iter,
			 (unsigned long long)m.oob);
}

static void run(const struct history *h, const char *name, uint64_t seed)
{
	struct stats st = {0};
	struct trng r;
	uint64_t iters = test_env_u64("TOY_CORRUPT_ITERS", 10000);
	trng_seed(&r, seed);
	for (uint64_t i = 0; i < iters; i++)
		one(h, &r, &st, i);
	printf("corrupt (%s): %llu images: %llu mount errors, %llu check errors, "
	       "%llu clean (%llu at an older generation)\n",
	       name, (unsigned long long)st.runs, (unsigned long long)st.mount_err,
	       (unsigned long long)st.check_err, (unsigned long long)st.clean,
	       (unsigned long long)st.older);
}

static void test_corrupt_clean_image(void **state)
{
	(void)state;
	run(&hist_clean, "after unmount", 1);
}

static void test_corrupt_log_tail(void **state)
{
	(void)state;
	run(&hist_tail, "with log tail", 2);
}

static void test_corrupt_wrapped_log(void **state)
{
	(void)state;
	run(&hist_wrapped, "wrapped log", 3);
}

static int group_setup(void **state)
{
	(void)state;
	build(&hist_clean, true, NTXN, 0);
	build(&hist_tail, false, NTXN, 0);
	build(&hist_wrapped, false, 5 * NTXN, 10);
	return 0;
}

static void free_history(struct history *h)
{
	for (unsigned i = 0; i < h->n; i++)
		model_free(&h->states[i]);
	memdev_free(&h->img);
}

static int group_teardown(void **state)
{
	(void)state;
	free_history(&hist_clean);
	free_history(&hist_tail);
	free_history(&hist_wrapped);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_corrupt_clean_image),
	    cmocka_unit_test(test_corrupt_log_tail),
	    cmocka_unit_test(test_corrupt_wrapped_log),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
