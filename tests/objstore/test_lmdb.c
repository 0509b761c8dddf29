/* test_lmdb.c — differential testing with LMDB as the oracle.
 *
 * The same random transactions go to the object store and to a real LMDB
 * environment in a temporary directory, where an object is a meta key
 * ('M', id) -> {size, kind, flags} and each stored page a key
 * ('P', id, page big-endian) -> 4096 bytes. After every commit the two must
 * agree on the object set, every stat and every byte. The store sits on the
 * crash device and loses power at random moments; after each crash and
 * remount it must equal LMDB's last commit, or, when the crash hit
 * os_commit, LMDB's still-open transaction (which is then committed).
 *
 * Env: TOY_LMDB_SEEDS (default 50), TOY_LMDB_STEPS (steps per seed,
 * default 1000), TOY_LMDB_SEED (first seed), TOY_LMDB_TRACE=1 (print ops
 * and, at each crash, the log on the image). Seed 222 always runs too. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "crashdev.h"
#include "logdump.h"
#include "memdev.h"
#include "workload.h"

#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PG         OS_PAGE_SIZE
#define SEG_BLOCKS 16
#define NSEGS      24

static const struct wl_limits limits = {8, 12, 0};
static bool trace; /* TOY_LMDB_TRACE=1: print every op */

struct meta {
	uint64_t size;
	uint32_t kind, flags;
};

struct pkey {
	uint8_t tag;
	uint8_t id[16];
	uint8_t page[8]; /* big-endian, so cursor order is page order */
};

struct diff {
	uint64_t seed;
	MDB_env *env;
	MDB_dbi dbi;
	MDB_txn *txn; /* the open write transaction, if any */
	struct memdev disk;
	struct crashdev cd;
	struct os_env oenv;
	os_store *s;
	struct trng rng;
	uint64_t commits, crashes, compares, pages;
	char dir[64];
	char why[300];
};

static void lmdb_ok(int rc, const char *what)
{
	if (rc != 0)
		fail_msg("lmdb %s: %s", what, mdb_strerror(rc));
}

static MDB_val mkey_val(uint8_t *k, const toy_id *id)
{
	k[0] = 'M';
	memcpy(k + 1, id->b, 16);
	return (MDB_val){17, k};
}

static MDB_val pkey_val(struct pkey *k, const toy_id *id, uint64_t page)
{
	k->tag = 'P';
	memcpy(k->id, id->b, 16);
	for (int i = 0; i < 8; i++)
		k->page[i] = (uint8_t)(page >> (56 - 8 * i));
	return (MDB_val){sizeof(*k), k};
}

static int get_meta(MDB_txn *t, MDB_dbi dbi, const toy_id *id, struct meta *m)
{
	uint8_t k[17];
	MDB_val key = mkey_val(k, id), val;
	int rc = mdb_get(t, dbi, &key, &val);
	if (rc == 0)
		memcpy(m, val.mv_data, sizeof(*m));
	return rc;
}

static void put_meta(struct diff *d, const toy_id *id, const struct meta *m)
{
	uint8_t k[17];
	MDB_val key = mkey_val(k, id), val = {sizeof(*m), (void *)m};
	lmdb_ok(mdb_put(d->txn, d->dbi, &key, &val, 0), "put meta");
}

/* Reads page p of id into buf (zeros for a hole); returns 1 if stored. */
static int get_page(MDB_txn *t, MDB_dbi dbi, const toy_id *id, uint64_t p, uint8_t *buf)
{
	struct pkey k;
	MDB_val key = pkey_val(&k, id, p), val;
	if (mdb_get(t, dbi, &key, &val) != 0) {
		memset(buf, 0, PG);
		return 0;
	}
	memcpy(buf, val.mv_data, PG);
	return 1;
}

static void put_page(struct diff *d, const toy_id *id, uint64_t p, const uint8_t *buf)
{
	struct pkey k;
	MDB_val key = pkey_val(&k, id, p), val = {PG, (void *)buf};
	lmdb_ok(mdb_put(d->txn, d->dbi, &key, &val, 0), "put page");
}

/* Deletes the pages of id numbered first or more. */
static void drop_pages(struct diff *d, const toy_id *id, uint64_t first)
{
	MDB_cursor *c;
	struct pkey k;
	lmdb_ok(mdb_cursor_open(d->txn, d->dbi, &c), "cursor");
	for (;;) {
		MDB_val key = pkey_val(&k, id, first), val;
		if (mdb_cursor_get(c, &key, &val, MDB_SET_RANGE) != 0 || key.mv_size != sizeof(k) ||
		    memcmp(key.mv_data, &k, 17) != 0)
			break;
		lmdb_ok(mdb_cursor_del(c, 0), "cursor del");
	}
	mdb_cursor_close(c);
}

static void lmdb_write(struct diff *d, const struct wl_op *op, struct meta *m)
{
	uint8_t page[PG];
	uint64_t end = op->off + op->len;
	for (uint64_t p = op->off / PG; p * PG < end; p++) {
		uint64_t lo = p * PG > op->off ? p * PG : op->off;
		uint64_t hi = (p + 1) * PG < end ? (p + 1) * PG : end;
		get_page(d->txn, d->dbi, &op->id, p, page);
		memcpy(page + (lo - p * PG), op->buf + (lo - op->off), hi - lo);
		put_page(d, &op->id, p, page);
	}
	if (end > m->size)
		m->size = end;
}

static void lmdb_set_size(struct diff *d, const toy_id *id, uint64_t size, struct meta *m)
{
	if (size < m->size) {
		uint64_t keep = (size + PG - 1) / PG;
		uint8_t page[PG];
		drop_pages(d, id, keep);
		if (size % PG != 0 && get_page(d->txn, d->dbi, id, keep - 1, page)) {
			memset(page + size % PG, 0, PG - size % PG);
			put_page(d, id, keep - 1, page);
		}
	}
	m->size = size;
}

static void lmdb_apply(struct diff *d, const struct wl_op *op)
{
	struct meta m = {0, op->arg, 0};
	uint8_t k[17];
	MDB_val key = mkey_val(k, &op->id);
	if (op->op != WL_CREATE)
		lmdb_ok(get_meta(d->txn, d->dbi, &op->id, &m), "get meta");
	switch (op->op) {
	case WL_WRITE: lmdb_write(d, op, &m); break;
	case WL_SET_SIZE: lmdb_set_size(d, &op->id, op->off, &m); break;
	case WL_SET_FLAGS: m.flags = op->arg; break;
	case WL_DELETE:
		drop_pages(d, &op->id, 0);
		lmdb_ok(mdb_del(d->txn, d->dbi, &key, NULL), "del meta");
		return;
	default: break;
	}
	put_meta(d, &op->id, &m);
}

static int count_cb(void *arg, const toy_id *id, const struct os_stat *st)
{
	(void)id;
	(void)st;
	++*(uint64_t *)arg;
	return 0;
}

/* Compares one object's stat and bytes with LMDB. */
static int compare_obj(struct diff *d, MDB_txn *t, const toy_id *id, const struct meta *m)
{
	struct os_stat st;
	uint8_t want[PG], got[PG];
	uint64_t stored = 0;
	int rc = os_stat(d->s, id, &st);
	if (rc != 0 || st.size != m->size || st.kind != m->kind || st.flags != m->flags) {
		snprintf(d->why, sizeof(d->why), "%02x%02x: stat rc %d size %llu, want %llu",
			 id->b[0], id->b[1], rc, (unsigned long long)st.size,
			 (unsigned long long)m->size);
		return -1;
	}
	for (uint64_t p = 0; p * PG < m->size; p++) {
		uint64_t n = m->size - p * PG < PG ? m->size - p * PG : PG;
		stored += (uint64_t)get_page(t, d->dbi, id, p, want);
		d->pages++;
		int64_t r = os_read(d->s, id, p * PG, got, PG);
		if (r != (int64_t)n || memcmp(got, want, n)) {
			size_t i = 0;
			while (r > 0 && i < n && got[i] == want[i])
				i++;
			snprintf(d->why, sizeof(d->why),
				 "page %llu differs: read %lld of %llu, byte %zu is %#x want %#x",
				 (unsigned long long)p, (long long)r, (unsigned long long)n, i,
				 got[i % PG], want[i % PG]);
			return -1;
		}
	}
	if (st.npages != stored) {
		snprintf(d->why, sizeof(d->why), "npages %llu, want %llu",
			 (unsigned long long)st.npages, (unsigned long long)stored);
		return -1;
	}
	return 0;
}

/* Returns 0 when the store shows exactly what t holds. */
static int compare(struct diff *d, MDB_txn *t)
{
	MDB_cursor *c;
	uint8_t k[17] = {'M'};
	MDB_val key = {1, k}, val;
	uint64_t n = 0, seen = 0;
	int bad = 0;
	d->compares++;
	lmdb_ok(mdb_cursor_open(t, d->dbi, &c), "cursor");
	int rc = mdb_cursor_get(c, &key, &val, MDB_SET_RANGE);
	for (; rc == 0 && !bad && ((uint8_t *)key.mv_data)[0] == 'M';
	     rc = mdb_cursor_get(c, &key, &val, MDB_NEXT)) {
		toy_id id;
		struct meta m;
		memcpy(id.b, (uint8_t *)key.mv_data + 1, 16);
		memcpy(&m, val.mv_data, sizeof(m));
		bad = compare_obj(d, t, &id, &m);
		n++;
	}
	mdb_cursor_close(c);
	if (!bad && (os_iterate(d->s, count_cb, &seen) != 0 || seen != n)) {
		snprintf(d->why, sizeof(d->why), "store has %llu objects, lmdb %llu",
			 (unsigned long long)seen, (unsigned long long)n);
		bad = -1;
	}
	return bad;
}

static void compare_committed(struct diff *d, const char *when)
{
	MDB_txn *t;
	lmdb_ok(mdb_txn_begin(d->env, NULL, MDB_RDONLY, &t), "read txn");
	int bad = compare(d, t);
	mdb_txn_abort(t);
	if (bad)
		fail_msg("seed %llu, %s: %s", (unsigned long long)d->seed, when, d->why);
}

static bool exists_in(struct diff *d, const toy_id *id, uint64_t *size)
{
	struct meta m;
	if (get_meta(d->txn, d->dbi, id, &m) != 0)
		return false;
	*size = m.size;
	return true;
}

/* One transaction on both sides. Returns 0 or the store's error. */
static int txn(struct diff *d, struct wl_op *op)
{
	unsigned nops = 1 + (unsigned)trng_below(&d->rng, 8);
	int rc = os_begin(d->s);
	lmdb_ok(mdb_txn_begin(d->env, NULL, 0, &d->txn), "write txn");
	for (unsigned i = 0; rc == 0 && i < nops; i++) {
		uint64_t size = 0;
		op->id = wl_id((unsigned)trng_below(&d->rng, limits.nids));
		wl_gen_for(&d->rng, &limits, exists_in(d, &op->id, &size), size, op);
		rc = wl_apply(d->s, op);
		if (trace)
			printf("  %s %02x%02x off %llu len %zu arg %u: %d\n", wl_name(op->op),
			       op->id.b[0], op->id.b[1], (unsigned long long)op->off, op->len,
			       op->arg, rc);
		if (rc == 0)
			lmdb_apply(d, op);
	}
	if (rc != 0) {
		os_abort(d->s);
		mdb_txn_abort(d->txn);
		d->txn = NULL;
		return rc;
	}
	rc = os_commit(d->s, NULL);
	if (rc == 0) {
		lmdb_ok(mdb_txn_commit(d->txn), "commit");
		d->txn = NULL;
		d->commits++;
		/* A crash in the maintenance after a durable commit shows up
		 * later; only a live device can be compared now. */
		if (!d->cd.crashed)
			compare_committed(d, "after commit");
	}
	return rc; /* on a crash, d->txn stays open: the commit is in flight */
}

static void recover(struct diff *d)
{
	if (trace) {
		logdump(&d->disk);
		struct os_env e2;
		os_store *s2;
		memdev_env(&d->disk, &e2);
		if (os_mount(&e2, OS_MOUNT_RDONLY, &s2) == 0) {
			struct os_info inf;
			os_info(s2, &inf);
			printf("   rdonly mount: generation %llu\n",
			       (unsigned long long)inf.generation);
			os_unmount(s2);
		}
	}
	char msg[200] = "";
	if (d->s != NULL)
		os_unmount(d->s);
	d->s = NULL;
	d->crashes++;
	crashdev_settle(&d->cd); /* nothing is pending after a crash */
	if (os_mount(&d->oenv, 0, &d->s) != 0)
		fail_msg("seed %llu: mount after crash fails", (unsigned long long)d->seed);
	if (trace) {
		struct os_info inf;
		os_info(d->s, &inf);
		printf("   rw mount: generation %llu\n", (unsigned long long)inf.generation);
	}
	if (d->txn != NULL) {
		int bad = compare(d, d->txn);
		if (trace)
			printf(" in-flight commit %s (%s)\n", bad ? "lost" : "landed", d->why);
		if (!bad) {
			lmdb_ok(mdb_txn_commit(d->txn), "late commit");
		} else {
			mdb_txn_abort(d->txn);
		}
		d->txn = NULL;
	}
	compare_committed(d, "after crash");
	if (os_check(d->s, msg, sizeof(msg)) != 0)
		fail_msg("seed %llu: check after crash: %s", (unsigned long long)d->seed, msg);
}

static int step(struct diff *d, struct wl_op *op)
{
	uint64_t pick = trng_below(&d->rng, 100);
	if (trace)
		printf(" step %s%s\n",
		       pick < 85   ? "txn"
		       : pick < 92 ? "checkpoint"
		       : pick < 97 ? "clean"
				   : "remount",
		       d->cd.crash_at ? " (crash armed)" : "");
	if (pick < 85)
		return txn(d, op);
	if (pick < 92)
		return os_checkpoint(d->s);
	if (pick < 97)
		return os_clean(d->s, NULL);
	int rc = os_unmount(d->s);
	d->s = NULL;
	if (rc == 0 && (rc = os_mount(&d->oenv, 0, &d->s)) != 0)
		d->s = NULL;
	return rc;
}

static void open_lmdb(struct diff *d)
{
	MDB_txn *t;
	snprintf(d->dir, sizeof(d->dir), "/tmp/toy-lmdb-XXXXXX");
	assert_non_null(mkdtemp(d->dir));
	lmdb_ok(mdb_env_create(&d->env), "env");
	lmdb_ok(mdb_env_set_mapsize(d->env, 64 << 20), "mapsize");
	lmdb_ok(mdb_env_open(d->env, d->dir, MDB_NOSYNC | MDB_NOMETASYNC, 0600), "open");
	lmdb_ok(mdb_txn_begin(d->env, NULL, 0, &t), "txn");
	lmdb_ok(mdb_dbi_open(t, NULL, 0, &d->dbi), "dbi");
	lmdb_ok(mdb_txn_commit(t), "commit");
}

static void close_lmdb(struct diff *d)
{
	char path[128];
	mdb_env_close(d->env);
	snprintf(path, sizeof(path), "%s/data.mdb", d->dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/lock.mdb", d->dir);
	unlink(path);
	rmdir(d->dir);
}

static void run_seed(uint64_t seed, unsigned steps, uint64_t *commits, uint64_t *crashes,
		     uint64_t *pages)
{
	struct diff *d = calloc(1, sizeof(*d));
	struct wl_op *op = malloc(sizeof(*op));
	struct os_format_opts opts = {SEG_BLOCKS};
	d->seed = seed;
	trng_seed(&d->rng, seed);
	open_lmdb(d);
	assert_int_equal(memdev_init(&d->disk, 2 + SEG_BLOCKS * NSEGS), 0);
	assert_int_equal(crashdev_init(&d->cd, &d->disk, seed), 0);
	memdev_env(&d->disk, &d->oenv);
	crashdev_dev(&d->cd, &d->oenv.dev);
	assert_int_equal(os_format(&d->oenv, &opts), 0);
	assert_int_equal(os_mount(&d->oenv, 0, &d->s), 0);
	for (unsigned i = 0; i < steps; i++) {
		if (d->cd.crash_at == 0 && trng_chance(&d->rng, 1, 8))
			d->cd.crash_at = d->cd.ops + 1 + trng_below(&d->rng, 60);
		int rc = step(d, op);
		if (trace && d->cd.crashed)
			printf(" crash (rc %d)\n", rc);
		if (d->cd.crashed) {
			recover(d);
		} else if (rc == TOY_ERR_NOSPC) {
			assert_int_equal(os_clean(d->s, NULL), 0);
		} else if (rc != 0) {
			fail_msg("seed %llu step %u: error %d", (unsigned long long)seed, i, rc);
		}
	}
	d->cd.crash_at = 0;
	assert_int_equal(os_unmount(d->s), 0);
	assert_int_equal(os_mount(&d->oenv, 0, &d->s), 0);
	compare_committed(d, "final remount");
	assert_int_equal(os_unmount(d->s), 0);
	assert_int_equal(d->disk.oob, 0);
	*commits += d->commits;
	*crashes += d->crashes;
	*pages += d->pages;
	crashdev_free(&d->cd);
	memdev_free(&d->disk);
	close_lmdb(d);
	free(op);
	free(d);
}

static void test_lmdb_differential(void **state)
{
	(void)state;
	uint64_t seeds = test_env_u64("TOY_LMDB_SEEDS", 50);
	unsigned steps = (unsigned)test_env_u64("TOY_LMDB_STEPS", 1000);
	uint64_t commits = 0, crashes = 0, pages = 0;
	uint64_t first = test_env_u64("TOY_LMDB_SEED", 1);
	trace = test_env_u64("TOY_LMDB_TRACE", 0) != 0;
	if (trace)
		setvbuf(stdout, NULL, _IONBF, 0);
	for (uint64_t s = first; s < first + seeds; s++)
		run_seed(s, steps, &commits, &crashes, &pages);
	/* Seed 222 once brought back, after a second crash, a transaction
	 * that the first recovery had dropped (fixed in be0aa5d). */
	run_seed(222, 1000, &commits, &crashes, &pages);
	printf("lmdb: %llu seeds, %llu commits and %llu crashes compared (%llu pages)\n",
	       (unsigned long long)seeds, (unsigned long long)commits, (unsigned long long)crashes,
	       (unsigned long long)pages);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lmdb_differential),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
