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
 * Env: TOY_CRASH_POINTS (minimum crash points, default 10000),
 * TOY_CRASH_TXNS (workload steps per seed, default 80), TOY_CRASH_SEED
 * (first seed), TOY_CRASH_NONE=1 (only the crash-free runs), TOY_CRASH_TRACE=1
 * (print every step), TOY_CRASH_ROOMY=1 (no near-full seeds, see below). */
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

#define SEG_BLOCKS  8
#define NSEGS       24
#define NSEGS_SMALL 12

/* Every third seed runs on a smaller device filled close to full, so the
 * workload meets NOSPC and the cleaner works under pressure: a full store
 * must never wedge (os_clean and os_checkpoint keep working). */
static const struct wl_limits roomy = {6, 8, 0}, tight = {8, 24, 20};

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
	const char *last_step;
	char why[512];
};

static bool trace;              /* TOY_CRASH_TRACE=1 */
static bool tight_seeds = true; /* TOY_CRASH_ROOMY=1 turns them off */

static bool is_tight(uint64_t seed)
{
	return tight_seeds && seed % 3 == 0;
}

/* Freshly formatted images: NSEGS segments; fewer for tight seeds; for
 * every fourth seed, half as many segments four times as long (chunks then
 * hold more records than a small segment has blocks). */
static struct memdev base, base_small, base_wide;

static struct {
	uint64_t landed, lost, pre, torn, dropped, written, cleaned, nospc, double_crashes;
	uint64_t aftershocks;
} totals; /* what the crashes exercised, printed at the end */

static void fail_run(struct run *r, const char *what)
{
	fail_msg("seed %llu crash_at %llu: %s: %s", (unsigned long long)r->seed,
		 (unsigned long long)r->crash_at, what, r->why);
}

static void format_image(struct memdev *m, uint32_t seg_blocks, uint64_t nsegs)
{
	struct os_env env;
	struct os_format_opts opts = {seg_blocks};
	assert_int_equal(memdev_init(m, 2 + seg_blocks * nsegs), 0);
	memdev_env(m, &env);
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
		wl_gen(rng, &post, is_tight(r->seed) ? &tight : &roomy, op);
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
	r->last_step = pick < 78   ? "txn"
		       : pick < 87 ? "checkpoint"
		       : pick < 95 ? "clean"
				   : "remount";
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
	rc = os_clean(r->s, NULL);
	if (rc == 0 || r->cd.crashed)
		return 0;
	snprintf(r->why, sizeof(r->why), "os_clean after NOSPC gives %d (%s)", rc,
		 toy_strerror(rc));
	return -1;
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

/* Cuts the power again early in the first mount after the crash. */
static void crash_recovery(struct run *r, struct trng *rng)
{
	struct crashdev c2;
	struct os_env env;
	os_store *s;
	assert_int_equal(crashdev_init(&c2, &r->disk, trng_next(rng)), 0);
	memdev_env(&r->disk, &env);
	crashdev_dev(&c2, &env.dev);
	c2.crash_at = 1 + trng_below(rng, 4);
	if (os_mount(&env, 0, &s) == 0)
		os_unmount(s);
	totals.double_crashes += c2.crashed;
	crashdev_settle(&c2);
	crashdev_free(&c2);
}

/* 1: the store shows committed; 2: inflight; 0: neither. */
static int which_state(struct run *r, os_store *s)
{
	char why2[512];
	if (model_check_store(&r->committed, s, r->why, sizeof(r->why)) == 0)
		return 1;
	if (r->have_inflight && model_check_store(&r->inflight, s, why2, sizeof(why2)) == 0)
		return 2;
	return 0;
}

/* A read-only mount replays the same log in memory and writes nothing. */
static int rdonly_state(struct run *r)
{
	os_store *s;
	uint64_t writes = r->disk.writes, flushes = r->disk.flushes;
	int rc = os_mount(&r->env, OS_MOUNT_RDONLY, &s);
	if (rc != 0) {
		snprintf(r->why, sizeof(r->why), "mount gives %d", rc);
		fail_run(r, "read-only mount after crash");
	}
	int st = which_state(r, s);
	if (st == 0)
		fail_run(r, "read-only mount after crash");
	os_unmount(s);
	if (r->disk.writes != writes || r->disk.flushes != flushes) {
		snprintf(r->why, sizeof(r->why), "%llu writes, %llu flushes",
			 (unsigned long long)(r->disk.writes - writes),
			 (unsigned long long)(r->disk.flushes - flushes));
		fail_run(r, "read-only mount wrote");
	}
	return st;
}

/* Mounts the crashed disk (read-only, then read-write) and checks it. */
static void remount_and_verify(struct run *r, struct trng *rng)
{
	if (r->s != NULL)
		os_unmount(r->s); /* the device is dead: errors are expected */
	r->s = NULL;
	memdev_env(&r->disk, &r->env);
	if (trng_chance(rng, 1, 3))
		crash_recovery(r, rng);
	int ro = rdonly_state(r);
	int rc = os_mount(&r->env, 0, &r->s);
	if (rc != 0) {
		snprintf(r->why, sizeof(r->why), "mount gives %d", rc);
		fail_run(r, "mount after crash");
	}
	if (which_state(r, r->s) != ro) {
		snprintf(r->why, sizeof(r->why), "read-only mount saw state %d", ro);
		fail_run(r, "read-only and read-write mounts disagree");
	}
	verify_recovered(r);
	r->have_inflight = false;
}

/* After a recovery, a few more steps and another power cut: what the first
 * recovery showed is now the committed state, and whatever it dropped must
 * stay dropped. */
static void aftershock(struct run *r, struct trng *rng)
{
	int rc = os_unmount(r->s);
	r->s = NULL;
	if (rc != 0)
		fail_run(r, "unmount after recovery");
	crashdev_settle(&r->cd);
	r->cd.ops = 0;
	r->cd.crash_at = 1 + trng_below(rng, 40);
	crashdev_dev(&r->cd, &r->env.dev);
	rc = os_mount(&r->env, 0, &r->s);
	if (rc != 0)
		r->s = NULL;
	for (int i = 0; rc == 0 && i < 6; i++) {
		rc = step(r, rng);
		if (rc != 0 && !r->cd.crashed && handle_error(r, rc) == 0)
			rc = 0;
		if (rc == 0)
			note_generation(r);
	}
	if (!r->cd.crashed && rc != 0)
		fail_run(r, "steps after recovery");
	if (!r->cd.crashed) {
		rc = os_unmount(r->s); /* this too may meet the power cut */
		r->s = NULL;
	}
	totals.aftershocks += r->cd.crashed;
	if (r->cd.crashed) {
		remount_and_verify(r, rng);
		return;
	}
	crashdev_settle(&r->cd);
	memdev_env(&r->disk, &r->env);
	if (rc == 0 && (rc = os_mount(&r->env, 0, &r->s)) != 0)
		r->s = NULL;
	if (rc != 0) {
		snprintf(r->why, sizeof(r->why), "error %d (%s)", rc, toy_strerror(rc));
		fail_run(r, "remount after recovery");
	}
	check_state(r, "steps after recovery");
	note_generation(r);
}

static void recover(struct run *r, struct trng *rng)
{
	remount_and_verify(r, rng);
	if (trng_chance(rng, 1, 2))
		aftershock(r, rng);
	verify_writable(r, rng);
}

static void trace_step(struct run *r, unsigned i, int rc)
{
	struct os_info info = {0};
	if (r->s != NULL)
		os_info(r->s, &info);
	printf("step %u: %s rc %d%s: gen %llu live %llu free %llu objects %llu\n", i, r->last_step,
	       rc, r->cd.crashed ? " (crashed)" : "", (unsigned long long)info.generation,
	       (unsigned long long)info.live_blocks, (unsigned long long)info.free_segs,
	       (unsigned long long)info.nobjects);
}

/* Copies img into a disk buffer kept for all runs (a fresh one per run is
 * slow under ASan). */
static void load_disk(struct memdev *disk, const struct memdev *img)
{
	static uint8_t *work;
	static size_t cap;
	size_t bytes = img->nblocks * OS_BLOCK_SIZE;
	if (bytes > cap) {
		free(work);
		work = malloc(bytes);
		cap = bytes;
	}
	assert_non_null(work);
	memcpy(work, img->data, bytes);
	memset(disk, 0, sizeof(*disk));
	disk->data = work;
	disk->nblocks = img->nblocks;
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
	const struct memdev *img = is_tight(seed)  ? &base_small
				   : seed % 4 == 1 ? &base_wide
						   : &base;
	load_disk(&r->disk, img);
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
		if (trace)
			trace_step(r, i, rc);
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
	if (rc != 0 && !r->cd.crashed) {
		if (r->why[0] == '\0')
			snprintf(r->why, sizeof(r->why), "error %d (%s)", rc, toy_strerror(rc));
		fail_run(r, "workload");
	}
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
	model_free(&r->committed);
	model_free(&r->inflight);
	free(r);
	return ops;
}

static void test_crash_points(void **state)
{
	(void)state;
	uint64_t want = test_env_u64("TOY_CRASH_POINTS", 10000);
	unsigned steps = (unsigned)test_env_u64("TOY_CRASH_TXNS", 80);
	uint64_t seed = test_env_u64("TOY_CRASH_SEED", 1);
	uint64_t points = 0, seeds = 0;
	trace = test_env_u64("TOY_CRASH_TRACE", 0) != 0;
	tight_seeds = test_env_u64("TOY_CRASH_ROOMY", 0) == 0;
	bool no_crash = test_env_u64("TOY_CRASH_NONE", 0) != 0;
	format_image(&base, SEG_BLOCKS, NSEGS);
	format_image(&base_small, SEG_BLOCKS, NSEGS_SMALL);
	format_image(&base_wide, 4 * SEG_BLOCKS, NSEGS / 2);
	while (points < want) {
		uint64_t w = run_one(seed, 0, steps, true);
		for (uint64_t n = 1; n <= w && !no_crash; n++)
			run_one(seed, n, steps, false);
		points += w;
		seeds++;
		seed++;
	}
	memdev_free(&base);
	memdev_free(&base_small);
	memdev_free(&base_wide);
	printf("crash: %llu crash points over %llu seeds (%u steps each)\n",
	       (unsigned long long)points, (unsigned long long)seeds, steps);
	printf("crash: unflushed blocks at the crash: %llu landed, %llu dropped, %llu torn\n",
	       (unsigned long long)totals.written, (unsigned long long)totals.dropped,
	       (unsigned long long)totals.torn);
	printf("crash: recovered to the last commit %llu times; in-flight commit landed %llu, "
	       "lost %llu\n",
	       (unsigned long long)totals.pre, (unsigned long long)totals.landed,
	       (unsigned long long)totals.lost);
	printf("crash: %llu segments cleaned, %llu NOSPC, %llu second crashes during recovery, "
	       "%llu after it\n",
	       (unsigned long long)totals.cleaned, (unsigned long long)totals.nospc,
	       (unsigned long long)totals.double_crashes, (unsigned long long)totals.aftershocks);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_crash_points),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
