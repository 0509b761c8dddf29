/* bench_store.c — objstore against LMDB and against the raw disk, side by side.
 *
 * One run, one directory (on the file system being measured), the same data
 * for both stores: NOBJ objects of OBJ_PAGES pages, every page filled from a
 * pool of random pages stamped with an operation number (so no two writes
 * carry the same bytes). Both stores replay the same pseudo-random sequence
 * of (object, page) keys. LMDB runs in its default durable mode (a commit
 * syncs data, then the meta page); its key is the 16-byte ID followed by the
 * big-endian page number, its value the 4 KiB page.
 *
 *   write64  random 4 KiB page writes, a commit per 64 writes
 *   write1   the same, a commit per write
 *   read     random 4 KiB page reads, warm (every page read once before);
 *            objstore copies each page out with pread and checks its hash,
 *            LMDB finds it in its memory map (we copy it out too)
 *   seq      256 MiB written sequentially into one object, a commit per
 *            16 MiB, against 256 MiB written to a plain file with fdatasync
 *            at the end or every 16 MiB, whichever is faster
 *   mount    mount time of a store holding 1 GiB, from a fresh checkpoint
 *            and after a crash (replaying the log since the last one)
 *
 * The random phases run for a fixed time, in slices that alternate between
 * the two stores so that a change in the machine's load hits both alike;
 * the whole run takes about a minute. The objstore side includes its
 * cleaner, which the store runs by itself when free segments run low.
 * Results go to stdout; the last line is the summary ./toy bench prints. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <hostenv.h>
#include <inttypes.h>
#include <lmdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PAGE        4096u
#define MIB         (1024ull * 1024ull)
#define NOBJ        64u
#define OBJ_PAGES   256u /* working set: NOBJ x 1 MiB */
#define POOL_PAGES  64u
#define WRITE_SECS  8.0
#define READ_SECS   4.0
#define SLICES      4 /* each phase alternates between the stores this often */
#define SEQ_BYTES   (256 * MIB)
#define SEQ_COMMIT  (16 * MIB)
#define SEQ_ROUNDS  3
#define MOUNT_BYTES (1024 * MIB)
#define MOUNT_OBJ   (4 * MIB)
#define RAND_IMAGE  (512 * MIB)
#define LMDB_MAP    (2048 * MIB)

static const char *dir;
static uint8_t *pool;          /* POOL_PAGES random pages */
static toy_id ids[NOBJ];       /* the working set's objects */
static uint8_t *bulk;          /* SEQ_COMMIT bytes of random data */
static volatile uint64_t sink; /* keeps read results alive */

/* --- helpers --------------------------------------------------------------- */

static void die(const char *what, const char *why)
{
	fprintf(stderr, "bench_store: %s: %s\n", what, why);
	exit(1);
}

static void check(const char *what, int rc)
{
	if (rc != TOY_OK)
		die(what, toy_strerror(rc));
}

static void check_mdb(const char *what, int rc)
{
	if (rc != MDB_SUCCESS)
		die(what, mdb_strerror(rc));
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void fill_random(uint8_t *p, size_t n, uint64_t seed)
{
	for (size_t i = 0; i + 8 <= n; i += 8) {
		uint64_t v = splitmix(&seed);
		memcpy(p + i, &v, 8);
	}
}

static void *xmalloc(size_t n)
{
	void *p = malloc(n);
	if (!p)
		die("malloc", strerror(errno));
	return p;
}

static char *path(const char *name)
{
	static char buf[4][4096];
	static int turn;
	char *p = buf[turn++ & 3];
	snprintf(p, sizeof(buf[0]), "%s/%s", dir, name);
	return p;
}

/* The page written by operation op: a pool page stamped with op. */
static const uint8_t *page_for(uint64_t op, uint8_t *buf)
{
	memcpy(buf, pool + (op % POOL_PAGES) * PAGE, PAGE);
	memcpy(buf, &op, sizeof(op));
	return buf;
}

/* A timed loop's progress: the key sequence, the operations done and the
 * time they took, kept across the slices of one phase. */
struct run {
	uint64_t rng, base, ops;
	double secs;
};

/* The key of the next operation in the shared random sequence. */
struct key {
	uint32_t obj;
	uint32_t page;
};

static struct key key_next(uint64_t *rng)
{
	uint64_t r = splitmix(rng);
	return (struct key){(uint32_t)(r % NOBJ), (uint32_t)((r >> 32) % OBJ_PAGES)};
}

/* --- objstore side --------------------------------------------------------- */

struct ost {
	struct host_file file;
	struct os_env env;
	os_store *s;
};

static void pwrite_full(int fd, const void *buf, size_t len, uint64_t off)
{
	size_t done = 0;
	while (done < len) {
		ssize_t n = pwrite(fd, (const char *)buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			die("pwrite", strerror(errno));
		done += (size_t)n;
	}
}

/* Writes zeros over the whole image, as a disk has no holes: otherwise
 * every fdatasync also journals the file system's block allocation, which
 * LMDB, rewriting pages of an already allocated file, does not pay. */
static void prefill(const char *file, uint64_t size)
{
	int fd = open(file, O_WRONLY);
	if (fd < 0)
		die(file, strerror(errno));
	static uint8_t zeros[MIB];
	for (uint64_t off = 0; off < size; off += MIB)
		pwrite_full(fd, zeros, MIB, off);
	if (fdatasync(fd) != 0)
		die("fdatasync", strerror(errno));
	close(fd);
}

static void ost_create(struct ost *o, const char *file, uint64_t size, bool allocated)
{
	check("create image", host_file_create(file, size));
	if (allocated)
		prefill(file, size);
	check("open image", host_file_open(file, false, &o->file, &o->env));
	check("os_format", os_format(&o->env, NULL));
	check("os_mount", os_mount(&o->env, 0, &o->s));
}

static void ost_close(struct ost *o)
{
	check("os_unmount", os_unmount(o->s));
	host_file_close(&o->file);
}

static void ost_load(struct ost *o)
{
	uint8_t *buf = xmalloc(OBJ_PAGES * PAGE);
	for (uint32_t k = 0; k < NOBJ; k++) {
		for (uint32_t p = 0; p < OBJ_PAGES; p++)
			page_for((uint64_t)k * OBJ_PAGES + p, buf + (size_t)p * PAGE);
		check("os_begin", os_begin(o->s));
		check("os_create", os_create(o->s, &ids[k], 0));
		check("os_write", os_write(o->s, &ids[k], 0, buf, OBJ_PAGES * PAGE));
		check("os_commit", os_commit(o->s, NULL));
	}
	free(buf);
}

/* Random page writes for about secs seconds, a commit per batch, continuing
 * the sequence in *r. */
static void ost_write(struct ost *o, unsigned batch, double secs, struct run *r)
{
	uint8_t buf[PAGE];
	double t0 = now(), t;
	do {
		check("os_begin", os_begin(o->s));
		for (unsigned i = 0; i < batch; i++, r->ops++) {
			struct key k = key_next(&r->rng);
			check("os_write", os_write(o->s, &ids[k.obj], (uint64_t)k.page * PAGE,
						   page_for(r->base + r->ops, buf), PAGE));
		}
		check("os_commit", os_commit(o->s, NULL));
		t = now() - t0;
	} while (t < secs);
	r->secs += t;
}

static void ost_read_one(struct ost *o, struct key k, uint8_t *buf)
{
	int64_t n = os_read(o->s, &ids[k.obj], (uint64_t)k.page * PAGE, buf, PAGE);
	if (n != PAGE)
		die("os_read", n < 0 ? toy_strerror((int)n) : "short read");
	sink += buf[100];
}

static void ost_warm(struct ost *o)
{
	uint8_t buf[PAGE];
	for (uint32_t i = 0; i < NOBJ * OBJ_PAGES; i++)
		ost_read_one(o, (struct key){i / OBJ_PAGES, i % OBJ_PAGES}, buf);
}

static void ost_read(struct ost *o, double secs, struct run *r)
{
	uint8_t buf[PAGE];
	double t0 = now(), t;
	do {
		for (unsigned i = 0; i < 1024; i++, r->ops++)
			ost_read_one(o, key_next(&r->rng), buf);
		t = now() - t0;
	} while (t < secs);
	r->secs += t;
}

/* --- LMDB side ------------------------------------------------------------- */

struct ldb {
	MDB_env *env;
	MDB_dbi dbi;
};

static void ldb_open(struct ldb *l, const char *subdir)
{
	if (mkdir(subdir, 0755) != 0)
		die(subdir, strerror(errno));
	check_mdb("mdb_env_create", mdb_env_create(&l->env));
	check_mdb("mdb_env_set_mapsize", mdb_env_set_mapsize(l->env, LMDB_MAP));
	check_mdb("mdb_env_open", mdb_env_open(l->env, subdir, 0, 0644));
	MDB_txn *txn;
	check_mdb("mdb_txn_begin", mdb_txn_begin(l->env, NULL, 0, &txn));
	check_mdb("mdb_dbi_open", mdb_dbi_open(txn, NULL, 0, &l->dbi));
	check_mdb("mdb_txn_commit", mdb_txn_commit(txn));
}

static void ldb_key(uint8_t kb[24], struct key k)
{
	memcpy(kb, ids[k.obj].b, 16);
	for (int i = 0; i < 8; i++)
		kb[16 + i] = (uint8_t)((uint64_t)k.page >> (56 - 8 * i));
}

static void ldb_put(struct ldb *l, MDB_txn *txn, struct key k, const uint8_t *page)
{
	uint8_t kb[24];
	ldb_key(kb, k);
	MDB_val key = {sizeof(kb), kb}, val = {PAGE, (void *)page};
	check_mdb("mdb_put", mdb_put(txn, l->dbi, &key, &val, 0));
}

static void ldb_load(struct ldb *l)
{
	uint8_t buf[PAGE];
	for (uint32_t k = 0; k < NOBJ; k++) {
		MDB_txn *txn;
		check_mdb("mdb_txn_begin", mdb_txn_begin(l->env, NULL, 0, &txn));
		for (uint32_t p = 0; p < OBJ_PAGES; p++) {
			uint64_t op = (uint64_t)k * OBJ_PAGES + p;
			ldb_put(l, txn, (struct key){k, p}, page_for(op, buf));
		}
		check_mdb("mdb_txn_commit", mdb_txn_commit(txn));
	}
}

static void ldb_write(struct ldb *l, unsigned batch, double secs, struct run *r)
{
	uint8_t buf[PAGE];
	double t0 = now(), t;
	do {
		MDB_txn *txn;
		check_mdb("mdb_txn_begin", mdb_txn_begin(l->env, NULL, 0, &txn));
		for (unsigned i = 0; i < batch; i++, r->ops++)
			ldb_put(l, txn, key_next(&r->rng), page_for(r->base + r->ops, buf));
		check_mdb("mdb_txn_commit", mdb_txn_commit(txn));
		t = now() - t0;
	} while (t < secs);
	r->secs += t;
}

static void ldb_read_one(struct ldb *l, MDB_txn *txn, struct key k, uint8_t *buf)
{
	uint8_t kb[24];
	ldb_key(kb, k);
	MDB_val key = {sizeof(kb), kb}, val;
	check_mdb("mdb_get", mdb_get(txn, l->dbi, &key, &val));
	if (val.mv_size != PAGE)
		die("mdb_get", "wrong value size");
	memcpy(buf, val.mv_data, PAGE); /* the caller gets its own copy, as with os_read */
	sink += buf[100];
}

static void ldb_warm(struct ldb *l)
{
	uint8_t buf[PAGE];
	MDB_txn *txn;
	check_mdb("mdb_txn_begin", mdb_txn_begin(l->env, NULL, MDB_RDONLY, &txn));
	for (uint32_t i = 0; i < NOBJ * OBJ_PAGES; i++)
		ldb_read_one(l, txn, (struct key){i / OBJ_PAGES, i % OBJ_PAGES}, buf);
	mdb_txn_abort(txn);
}

/* Reads in read transactions of 1024 reads each (LMDB's readers pay per
 * transaction; objstore has none). */
static void ldb_read(struct ldb *l, double secs, struct run *r)
{
	uint8_t buf[PAGE];
	MDB_txn *txn;
	check_mdb("mdb_txn_begin", mdb_txn_begin(l->env, NULL, MDB_RDONLY, &txn));
	double t0 = now(), t;
	do {
		for (unsigned i = 0; i < 1024; i++, r->ops++)
			ldb_read_one(l, txn, key_next(&r->rng), buf);
		mdb_txn_reset(txn);
		check_mdb("mdb_txn_renew", mdb_txn_renew(txn));
		t = now() - t0;
	} while (t < secs);
	mdb_txn_abort(txn);
	r->secs += t;
}

/* --- the random-access phases ---------------------------------------------- */

struct results {
	double w64, w1, rd, seq[2];
	double mount_ckpt, mount_replay, mount_warm;
	uint64_t replay_gens, mount_objects;
};

/* The floor under objstore's reads on the host: one pread system call per
 * page, at random page-aligned offsets in the first 64 MiB of the image. */
static double pread_rate(struct ost *o, double secs)
{
	uint8_t buf[PAGE];
	uint64_t rng = 4, ops = 0;
	double t0 = now(), t;
	do {
		for (unsigned i = 0; i < 1024; i++, ops++) {
			off_t off = (off_t)(splitmix(&rng) % (64 * MIB / PAGE) * PAGE);
			if (pread(o->file.fd, buf, PAGE, off) != PAGE)
				die("pread", strerror(errno));
			sink += buf[100];
		}
		t = now() - t0;
	} while (t < secs);
	return (double)ops / t;
}

enum phase { W64, W1, READ };

/* Runs one phase on both stores in SLICES alternating slices, so a change in
 * the machine's load hits both alike. Returns the ratio objstore / LMDB. */
static double side_by_side(struct ost *o, struct ldb *l, enum phase ph, double secs, uint64_t seed)
{
	static const char *const names[] = {"write64 (commit/64)", "write1  (commit/1) ",
					    "read    (warm)     "};
	struct run ro = {seed, seed << 40, 0, 0}, rl = ro;
	for (int i = 0; i < SLICES; i++) {
		if (ph == READ) {
			ost_read(o, secs / SLICES, &ro);
			ldb_read(l, secs / SLICES, &rl);
		} else {
			ost_write(o, ph == W64 ? 64 : 1, secs / SLICES, &ro);
			ldb_write(l, ph == W64 ? 64 : 1, secs / SLICES, &rl);
		}
	}
	double a = (double)ro.ops / ro.secs, b = (double)rl.ops / rl.secs;
	printf("%s   objstore %8.0f ops/s  lmdb %8.0f ops/s  %5.2fx\n", names[ph], a, b, a / b);
	fflush(stdout);
	return a / b;
}

static void random_phases(struct results *r)
{
	struct ost o;
	struct ldb l;
	ost_create(&o, path("random.img"), RAND_IMAGE, true);
	ldb_open(&l, path("lmdb"));

	printf("random phases: %u objects x %u KiB, random 4 KiB pages, %.0f s per side; "
	       "objstore read cache %u MiB\n",
	       NOBJ, OBJ_PAGES * PAGE / 1024, WRITE_SECS,
	       (unsigned)((uint64_t)o.env.cache_blocks * PAGE / MIB));
	double t0 = now();
	ost_load(&o);
	double t1 = now();
	ldb_load(&l);
	double t2 = now();
	double mb = (double)NOBJ * OBJ_PAGES * PAGE / 1e6;
	printf("load %u MiB           objstore %8.1f MB/s   lmdb %8.1f MB/s\n",
	       NOBJ * OBJ_PAGES * PAGE / (unsigned)MIB, mb / (t1 - t0), mb / (t2 - t1));

	r->w64 = side_by_side(&o, &l, W64, WRITE_SECS, 1);
	r->w1 = side_by_side(&o, &l, W1, WRITE_SECS, 2);
	ost_warm(&o);
	ldb_warm(&l);
	r->rd = side_by_side(&o, &l, READ, READ_SECS, 3);
	printf("        (a bare 4 KiB pread from the warm image: %.0f ops/s)\n",
	       pread_rate(&o, READ_SECS / SLICES));

	ost_close(&o);
	mdb_env_close(l.env);
}

/* --- sequential bandwidth --------------------------------------------------- */

/* The MiB of sequential data at offset off, each page stamped with its
 * offset. */
static const uint8_t *seq_chunk(uint64_t off)
{
	uint8_t *p = bulk + off % SEQ_COMMIT;
	for (uint64_t i = 0; i < MIB; i += PAGE) {
		uint64_t stamp = off + i;
		memcpy(p + i, &stamp, sizeof(stamp));
	}
	return p;
}

/* SEQ_BYTES in 1 MiB writes to a new file and fdatasync, at the end (what
 * dd conv=fdatasync measures) or, with every_commit, after each SEQ_COMMIT
 * bytes as the store does. Returns MB/s. */
static double raw_seq(const char *file, bool every_commit)
{
	int fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die(file, strerror(errno));
	double t0 = now();
	for (uint64_t off = 0; off < SEQ_BYTES; off += MIB) {
		pwrite_full(fd, seq_chunk(off), MIB, off);
		bool end =
		    off + MIB == SEQ_BYTES || (every_commit && (off + MIB) % SEQ_COMMIT == 0);
		if (end && fdatasync(fd) != 0)
			die("fdatasync", strerror(errno));
	}
	double t = now() - t0;
	close(fd);
	unlink(file);
	return (double)SEQ_BYTES / 1e6 / t;
}

/* SEQ_BYTES into one new object of a new store, a commit per SEQ_COMMIT. */
static double ost_seq(const char *file, uint64_t commit_every)
{
	struct ost o;
	toy_id id = {{0}};
	ost_create(&o, file, 2 * SEQ_BYTES, false);
	double t0 = now();
	check("os_begin", os_begin(o.s));
	check("os_create", os_create(o.s, &id, 0));
	for (uint64_t off = 0; off < SEQ_BYTES; off += MIB) {
		check("os_write", os_write(o.s, &id, off, seq_chunk(off), MIB));
		if ((off + MIB) % commit_every == 0) {
			check("os_commit", os_commit(o.s, NULL));
			if (off + MIB < SEQ_BYTES)
				check("os_begin", os_begin(o.s));
		}
	}
	double t = now() - t0;
	ost_close(&o);
	unlink(file);
	return (double)SEQ_BYTES / 1e6 / t;
}

static void keep_best(double *best, double v)
{
	if (v > *best)
		*best = v;
}

/* Alternates raw and objstore rounds with the same durability points (one
 * flush at the end, as dd conv=fdatasync; or one every SEQ_COMMIT) and keeps
 * the best of each. The summary compares the flush-at-the-end pair. */
static void seq_phase(struct results *r)
{
	double raw_end = 0, raw_every = 0, ost_end = 0, ost_every = 0;
	for (int round = 0; round < SEQ_ROUNDS; round++) {
		keep_best(&raw_end, raw_seq(path("raw.dat"), false));
		keep_best(&ost_end, ost_seq(path("seq.img"), SEQ_BYTES));
		keep_best(&raw_every, raw_seq(path("raw.dat"), true));
		keep_best(&ost_every, ost_seq(path("seq.img"), SEQ_COMMIT));
	}
	r->seq[0] = ost_end;
	r->seq[1] = raw_end;
	printf("seq %3llu MiB, 1 flush  objstore %8.1f MB/s   raw  %8.1f MB/s  %5.2f\n",
	       SEQ_BYTES / MIB, ost_end, raw_end, ost_end / raw_end);
	printf("seq %3llu MiB, flush/%llu objstore %8.1f MB/s   raw  %8.1f MB/s  %5.2f\n",
	       SEQ_BYTES / MIB, SEQ_COMMIT / MIB, ost_every, raw_every, ost_every / raw_every);
	fflush(stdout);
}

/* --- mount time ----------------------------------------------------------- */

/* A device that can be cut off: after dead is set, writes and flushes fail,
 * as if the machine had lost power. */
struct killable {
	struct os_dev inner;
	bool dead;
};

static int kill_read(void *ctx, uint64_t block, uint32_t n, void *buf)
{
	struct killable *k = ctx;
	return k->inner.read(k->inner.ctx, block, n, buf);
}

static int kill_write(void *ctx, uint64_t block, uint32_t n, const void *buf)
{
	struct killable *k = ctx;
	return k->dead ? TOY_ERR_IO : k->inner.write(k->inner.ctx, block, n, buf);
}

static int kill_flush(void *ctx)
{
	struct killable *k = ctx;
	return k->dead ? TOY_ERR_IO : k->inner.flush(k->inner.ctx);
}

/* Fills the store with MOUNT_BYTES in objects of MOUNT_OBJ, a commit each,
 * then "loses power": the unmount cannot write its checkpoint. */
static double mount_fill(struct ost *o)
{
	struct killable k = {o->env.dev, false};
	struct os_env env = o->env;
	env.dev =
	    (struct os_dev){&k, o->env.dev.nblocks, kill_read, NULL, NULL, kill_write, kill_flush};
	os_store *s;
	check("os_mount", os_mount(&env, 0, &s));
	double t0 = now();
	for (uint64_t done = 0; done < MOUNT_BYTES; done += MOUNT_OBJ) {
		toy_id id = {{0}};
		check("os_begin", os_begin(s));
		check("os_create", os_create(s, &id, 0));
		for (uint64_t off = 0; off < MOUNT_OBJ; off += MIB)
			check("os_write", os_write(s, &id, off, seq_chunk(done + off), MIB));
		check("os_commit", os_commit(s, NULL));
	}
	double t = now() - t0;
	k.dead = true;
	os_unmount(s); /* fails: the device is gone */
	return (double)MOUNT_BYTES / 1e6 / t;
}

/* Drops the image from the page cache, so mount reads from the disk. */
static void drop_cache(struct ost *o)
{
	if (fdatasync(o->file.fd) != 0)
		die("fdatasync", strerror(errno));
	posix_fadvise(o->file.fd, 0, 0, POSIX_FADV_DONTNEED);
}

/* Mounts read-only; returns the time taken in ms, and the store's info. */
static double timed_mount(struct ost *o, bool cold, struct os_info *info)
{
	if (cold)
		drop_cache(o);
	double t0 = now();
	check("os_mount", os_mount(&o->env, OS_MOUNT_RDONLY, &o->s));
	double t = now() - t0;
	os_info(o->s, info);
	check("os_unmount", os_unmount(o->s));
	return t * 1e3;
}

static void mount_phase(struct results *r)
{
	struct ost o;
	struct os_info info;
	ost_create(&o, path("mount.img"), MOUNT_BYTES + MOUNT_BYTES / 2, false);
	check("os_unmount", os_unmount(o.s));
	double fill = mount_fill(&o);

	r->mount_replay = timed_mount(&o, true, &info);
	r->replay_gens = info.generation - info.ckpt_generation;
	r->mount_objects = info.nobjects;
	/* A read-write mount and a clean unmount leave a checkpoint at the tip. */
	check("os_mount", os_mount(&o.env, 0, &o.s));
	check("os_unmount", os_unmount(o.s));
	r->mount_ckpt = timed_mount(&o, true, &info);
	r->mount_warm = timed_mount(&o, false, &info);
	host_file_close(&o.file);
	unlink(path("mount.img"));

	printf("fill %4llu MiB          objstore %8.1f MB/s   (4 MiB objects, a commit each)\n",
	       MOUNT_BYTES / MIB, fill);
	printf("mount %llu MiB, %" PRIu64
	       " objects: %.1f ms from a checkpoint (cold), %.1f ms warm; "
	       "%.1f ms after a crash, replaying %" PRIu64 " commits (%" PRIu64 " MiB) (cold)\n",
	       MOUNT_BYTES / MIB, r->mount_objects, r->mount_ckpt, r->mount_warm, r->mount_replay,
	       r->replay_gens, r->replay_gens * (uint64_t)(MOUNT_OBJ / MIB));
}

/* --- main ------------------------------------------------------------------ */

static void setup(void)
{
	pool = xmalloc(POOL_PAGES * PAGE);
	fill_random(pool, POOL_PAGES * PAGE, 1);
	bulk = xmalloc(SEQ_COMMIT);
	fill_random(bulk, SEQ_COMMIT, 2);
	uint64_t seed = 3;
	for (uint32_t k = 0; k < NOBJ; k++) {
		fill_random(ids[k].b, sizeof(ids[k].b), splitmix(&seed));
		toy_id_from_random(&ids[k]);
	}
}

static bool wanted(int argc, char **argv, const char *phase)
{
	if (argc == 2)
		return true;
	for (int i = 2; i < argc; i++)
		if (!strcmp(argv[i], phase))
			return true;
	return false;
}

int main(int argc, char **argv)
{
	if (argc < 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: bench_store DIR [random|seq|mount...]\n"
				"  DIR: a scratch directory on the disk to measure (./toy bench "
				"store runs all phases)\n");
		return 2;
	}
	dir = argv[1];
	setup();
	int major, minor, patch;
	mdb_version(&major, &minor, &patch);
	printf("store benchmark in %s: objstore vs LMDB %d.%d.%d (durable, default flags)\n", dir,
	       major, minor, patch);
	fflush(stdout);
	struct results r = {0};
	if (wanted(argc, argv, "random"))
		random_phases(&r);
	if (wanted(argc, argv, "seq"))
		seq_phase(&r);
	if (wanted(argc, argv, "mount"))
		mount_phase(&r);
	if (argc == 2)
		printf("store: write64 %.2fx lmdb, write1 %.2fx lmdb, read %.2fx lmdb, seq %.2f of "
		       "raw\n",
		       r.w64, r.w1, r.rd, r.seq[0] / r.seq[1]);
	free(pool);
	free(bulk);
	return 0;
}
