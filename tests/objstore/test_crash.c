/* test_crash.c — power-loss simulation, after SQLite's crash tests.
 *
 * For each seed a random workload (transactions of writes, overwrites,
 * set_size, deletes and recreates; aborts; index checkpoints; cleaning;
 * unmount and remount) first runs without a crash, checked against the
 * reference model after every commit, to count its device writes and flushes
 * (W). It then reruns once for every N in 1..W with the power cut at the Nth
 * write or flush, where the crash device lands, drops or tears each unflushed
 * block. After each crash the store must mount, pass os_check, and show
 * exactly the last committed state, or, if a commit was in flight, exactly
 * the state that commit would have made; and it must take new commits.
 *
 * Env: TOY_CRASH_POINTS (minimum crash points, default 6000),
 * TOY_CRASH_TXNS (workload steps per seed, default 80), TOY_CRASH_SEED
 * (first seed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "crashdev.h"
#include "memdev.h"
#include "model.h"
#include "workload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEG_BLOCKS 8
#define NSEGS      24

static const struct wl_limits limits = {6, 8};

struct run {
	uint64_t seed, crash_at;
	struct memdev disk;
	struct crashdev cd;
	struct os_env env;
	os_store *s;
	struct model committed; /* last state whose commit returned */
	struct model inflight;  /* the state a failed commit would have made */
	bool have_inflight;
	bool check_each; /* compare with the model after every commit */
	char why[512];
};

static struct memdev base; /* a freshly formatted image */

static struct {
	uint64_t landed, lost, pre, torn, dropped, written, cleaned, nospc;
} totals; /* what the crashes exercised, printed at the end */

static void fail_run(struct run *r, const char *what)
{
	fail_msg("seed %llu crash_at %llu: %s: %s", (unsigned long long)r->seed,
		 (unsigned long long)r->crash_at, what, r->why);
}

static void make_base(void)
{
	struct os_env env;
	struct os_format_opts opts = {SEG_BLOCKS};
	assert_int_equal(memdev_init(&base, 2 + SEG_BLOCKS * NSEGS), 0);
	memdev_env(&base, &env);
	assert_int_equal(os_format(&env, &opts), 0);
}

/* Runs one transaction; returns 0, or the rc of the failing call. */
static int run_txn(struct run *r, struct trng *rng)
{
	struct wl_op *op = malloc(sizeof(*op));
	struct model post;
	int rc = os_begin(r->s);
	unsigned nops = 1 + (unsigned)trng_below(rng, 6);
	model_init(&post);
	model_copy(&post, &r->committed);
	for (unsigned i = 0; rc == 0 && i < nops; i++) {
		wl_gen(rng, &post, &limits, op);
		rc = wl_apply(r->s, op);
		if (rc == 0)
			wl_apply_model(&post, op);
	}
	bool abort_it = trng_chance(rng, 1, 12);
	if (rc == 0 && abort_it) {
		os_abort(r->s);
	} else if (rc == 0) {
		uint64_t gen = 0;
		rc = os_commit(r->s, &gen);
		if (rc == 0) {
			if (gen <= r->committed.gen)
				fail_msg("seed %llu: commit gave generation %llu after %llu",
					 (unsigned long long)r->seed, (unsigned long long)gen,
					 (unsigned long long)r->committed.gen);
			struct os_info info;
			os_info(r->s, &info);
			if (info.generation < gen)
				fail_msg("seed %llu: info generation %llu < commit's %llu",
					 (unsigned long long)r->seed,
					 (unsigned long long)info.generation,
					 (unsigned long long)gen);
			post.gen = info.generation; /* a cleaning commit may follow */
			model_copy(&r->committed, &post);
		} else {
			model_copy(&r->inflight, &post);
			r->have_inflight = true;
		}
	} else {
		os_abort(r->s);
	}
	model_free(&post);
	free(op);
	return rc;
}

static int remount(struct run *r)
{
	int rc = os_unmount(r->s);
	r->s = NULL;
	if (rc == 0 && (rc = os_mount(&r->env, 0, &r->s)) != 0)
		r->s = NULL;
	return rc;
}

static void check_state(struct run *r, const char *when)
{
	if (model_check_store(&r->committed, r->s, r->why, sizeof(r->why)) != 0)
		fail_run(r, when);
	if (model_fsck(r->s, r->why, sizeof(r->why)) != 0)
		fail_run(r, when);
}

/* One workload step. Returns 0 or the rc of a failed call. */
static int step(struct run *r, struct trng *rng)
{
	uint64_t pick = trng_below(rng, 100);
	if (pick < 78) {
		int rc = run_txn(r, rng);
		if (rc == 0 && r->check_each)
			check_state(r, "after commit");
		return rc;
	}
	if (pick < 87)
		return os_checkpoint(r->s);
	if (pick < 95) {
		struct os_clean_stats cs = {0, 0};
		int rc = os_clean(r->s, &cs);
		totals.cleaned += cs.segs_cleaned;
		return rc;
	}
	return remount(r);
}

/* Checkpoints, cleaning and remounts keep the contents; cleaning commits. */
static void note_generation(struct run *r)
{
	struct os_info info;
	os_info(r->s, &info);
	if (info.generation < r->committed.gen)
		fail_msg("seed %llu: generation went back from %llu to %llu",
			 (unsigned long long)r->seed, (unsigned long long)r->committed.gen,
			 (unsigned long long)info.generation);
	r->committed.gen = info.generation;
}

/* Handles a failure that is not a crash: only NOSPC is expected. */
static int handle_error(struct run *r, int rc)
{
	if (rc != TOY_ERR_NOSPC || r->cd.crashed) {
		snprintf(r->why, sizeof(r->why), "unexpected error %d (%s)", rc, toy_strerror(rc));
		return -1;
	}
	r->have_inflight = false;
	totals.nospc++;
	return os_clean(r->s, NULL) == 0 || r->cd.crashed ? 0 : -1;
}

/* Checks the recovered store against committed (or inflight). The cleaner
 * seals its moves with a commit of its own, so a crash during cleaning may
 * leave the generation one higher with the same contents. */
static void verify_recovered(struct run *r)
{
	struct os_info info;
	uint64_t g = r->committed.gen;
	char why2[512];
	bool pre, post = false;
	os_info(r->s, &info);
	pre = model_check_store(&r->committed, r->s, r->why, sizeof(r->why)) == 0;
	if (!pre && r->have_inflight)
		post = model_check_store(&r->inflight, r->s, why2, sizeof(why2)) == 0;
	if (!pre && !post)
		fail_run(r, "recovered contents");
	if ((pre && info.generation != g && info.generation != g + 1) ||
	    (post && info.generation != g + 1)) {
		snprintf(r->why, sizeof(r->why), "generation %llu after %llu (%s)",
			 (unsigned long long)info.generation, (unsigned long long)g,
			 post ? "in-flight commit landed" : "last commit");
		fail_run(r, "recovered generation");
	}
	if (model_fsck(r->s, r->why, sizeof(r->why)) != 0)
		fail_run(r, "check after recovery");
	if (post)
		model_copy(&r->committed, &r->inflight);
	totals.landed += post;
	totals.lost += pre && r->have_inflight;
	totals.pre += pre && !r->have_inflight;
	r->committed.gen = info.generation;
}

/* After recovery the store must take and keep new commits. */
static void verify_writable(struct run *r, struct trng *rng)
{
	int rc = 0;
	for (int i = 0; i < 3 && rc == 0; i++)
		rc = run_txn(r, rng);
	if (rc == TOY_ERR_NOSPC)
		rc = 0;
	if (rc == 0)
		rc = remount(r);
	if (rc != 0) {
		snprintf(r->why, sizeof(r->why), "error %d", rc);
		fail_run(r, "commit after recovery");
	}
	check_state(r, "commit after recovery + remount");
}

static void recover(struct run *r, struct trng *rng)
{
	if (r->s != NULL)
		os_unmount(r->s); /* the device is dead: errors are expected */
	r->s = NULL;
	memdev_env(&r->disk, &r->env);
	int rc = os_mount(&r->env, 0, &r->s);
	if (rc != 0) {
		snprintf(r->why, sizeof(r->why), "mount gives %d", rc);
		fail_run(r, "mount after crash");
	}
	verify_recovered(r);
	r->have_inflight = false;
	verify_writable(r, rng);
}

/* Runs seed's workload, crashing at crash_at (0: never). Returns the number
 * of device writes and flushes the workload made. */
static uint64_t run_one(uint64_t seed, uint64_t crash_at, unsigned steps, bool check_each)
{
	struct run *r = calloc(1, sizeof(*r));
	struct trng rng;
	uint64_t ops;
	r->seed = seed;
	r->crash_at = crash_at;
	r->check_each = check_each;
	model_init(&r->committed);
	model_init(&r->inflight);
	trng_seed(&rng, seed);
	assert_int_equal(memdev_from_image(&r->disk, base.data, base.nblocks * OS_BLOCK_SIZE), 0);
	assert_int_equal(crashdev_init(&r->cd, &r->disk, seed * 7919 + crash_at), 0);
	memdev_env(&r->disk, &r->env);
	crashdev_dev(&r->cd, &r->env.dev);
	r->cd.crash_at = crash_at;

	int rc = os_mount(&r->env, 0, &r->s);
	if (rc != 0)
		r->s = NULL;
	if (rc == 0) {
		struct os_info info;
		os_info(r->s, &info);
		r->committed.gen = info.generation;
	}
	for (unsigned i = 0; rc == 0 && i < steps; i++) {
		rc = step(r, &rng);
		if (rc != 0 && !r->cd.crashed && handle_error(r, rc) == 0)
			rc = 0;
		if (rc == 0)
			note_generation(r);
	}
	if (rc == 0 && r->s != NULL) {
		rc = os_unmount(r->s);
		r->s = NULL;
	}
	ops = r->cd.ops;
	totals.torn += r->cd.torn;
	totals.dropped += r->cd.dropped;
	totals.written += r->cd.landed;
	if (rc != 0 && !r->cd.crashed)
		fail_run(r, "workload");
	if (r->cd.crashed) {
		recover(r, &rng);
	} else {
		/* No crash: a clean remount must show the final state. */
		if (r->s == NULL)
			assert_int_equal(os_mount(&r->env, 0, &r->s), 0);
		check_state(r, "final remount");
	}
	if (r->s != NULL)
		os_unmount(r->s);
	assert_int_equal(r->disk.oob, 0);
	crashdev_free(&r->cd);
	memdev_free(&r->disk);
	model_free(&r->committed);
	model_free(&r->inflight);
	free(r);
	return ops;
}

static void test_crash_points(void **state)
{
	(void)state;
	uint64_t want = test_env_u64("TOY_CRASH_POINTS", 6000);
	unsigned steps = (unsigned)test_env_u64("TOY_CRASH_TXNS", 80);
	uint64_t seed = test_env_u64("TOY_CRASH_SEED", 1);
	uint64_t points = 0, seeds = 0;
	make_base();
	while (points < want) {
		uint64_t w = run_one(seed, 0, steps, true);
		for (uint64_t n = 1; n <= w; n++)
			run_one(seed, n, steps, false);
		points += w;
		seeds++;
		seed++;
	}
	memdev_free(&base);
	printf("crash: %llu crash points over %llu seeds (%u steps each)\n",
	       (unsigned long long)points, (unsigned long long)seeds, steps);
	printf("crash: unflushed blocks at the crash: %llu landed, %llu dropped, %llu torn\n",
	       (unsigned long long)totals.written, (unsigned long long)totals.dropped,
	       (unsigned long long)totals.torn);
	printf("crash: recovered to the last commit %llu times; in-flight commit landed %llu, "
	       "lost %llu\n",
	       (unsigned long long)totals.pre, (unsigned long long)totals.landed,
	       (unsigned long long)totals.lost);
	printf("crash: %llu segments cleaned, %llu NOSPC\n", (unsigned long long)totals.cleaned,
	       (unsigned long long)totals.nospc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_crash_points),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
