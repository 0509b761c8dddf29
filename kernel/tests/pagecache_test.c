/* pagecache_test.c — in-kernel tests of the page cache and its windows on
 * the store's disk: a window several times the cache's frame budget
 * written and read back (eviction, swap-out, page-in from swap), sync into
 * the memory object, the memory object untouched by swap-outs before a
 * sync, a window range mapped to another object and written back to it,
 * and destroy without leaks. Each test mounts the store (the boot's mount
 * is gone by the time tests run), shrinks the cache to BUDGET frames and
 * restores the default share at the end. pc_speed prints fault figures. */
#include <arch/cpu.h>
#include <arch/irq.h>
#include <kernel/kernel.h>
#include <kernel/mem.h>
#include <kernel/pagecache.h>
#include <kernel/test.h>
#include <kernel/thread.h>
#include <string.h>
#include <toy/abi.h>

#define PAGE   4096u
#define BUDGET 64 /* frames the cache may use during a test */

struct fixture {
	struct kstore ks;
	toy_id mem, swap, obj;
	struct pc_window *w;
	uint8_t *base;
};

/* Mounts the store and creates the objects: mem holds old(i) in each of
 * its first mem_pages pages, obj holds obj_pages pages of objpat(i). */
static int setup(struct fixture *f, uint64_t mem_pages, uint64_t obj_pages);
static void teardown(struct fixture *f);

static uint8_t old_byte(uint64_t i)
{
	return (uint8_t)(i * 13 + 1);
}

static uint8_t new_byte(uint64_t i)
{
	return (uint8_t)(i * 7 + 3);
}

static uint8_t obj_byte(uint64_t i)
{
	return (uint8_t)(0xa0 + i);
}

/* A page of b with its page number in the first 8 bytes. */
static void stamp(uint8_t *p, uint64_t i, uint8_t b)
{
	memset(p, b, PAGE);
	memcpy(p, &i, sizeof(i));
}

static bool stamped(const uint8_t *p, uint64_t i, uint8_t b)
{
	uint64_t got;
	memcpy(&got, p, sizeof(got));
	return got == i && p[8] == b && p[PAGE / 2] == b && p[PAGE - 1] == b;
}

static int write_pages(os_store *os, const toy_id *id, uint64_t n, uint8_t (*byte)(uint64_t),
		       uint8_t *buf)
{
	int err = 0;
	for (uint64_t i = 0; i < n && !err; i++) {
		stamp(buf, i, byte(i));
		err = os_write(os, id, i * PAGE, buf, PAGE);
	}
	return err;
}

static int setup(struct fixture *f, uint64_t mem_pages, uint64_t obj_pages)
{
	memset(f, 0, sizeof(*f));
	if (kstore_boot(&f->ks))
		return 1;
	uint8_t *buf = kmalloc(PAGE);
	os_store *os = kstore_lock();
	int err = buf ? os_begin(os) : TOY_ERR_NOMEM;
	if (!err)
		err = os_create(os, &f->mem, TOY_KIND_MEMORY);
	if (!err)
		err = os_create(os, &f->swap, TOY_KIND_SWAP);
	if (!err)
		err = os_create(os, &f->obj, TOY_KIND_BLOB);
	if (!err)
		err = write_pages(os, &f->mem, mem_pages, old_byte, buf);
	if (!err)
		err = write_pages(os, &f->obj, obj_pages, obj_byte, buf);
	err = err ? (os_abort(os), err) : os_commit(os, NULL);
	kstore_unlock();
	kfree(buf);
	if (!err)
		pc_init(BUDGET);
	return err;
}

static void teardown(struct fixture *f)
{
	pc_window_destroy(f->w);
	pc_init(0);
	os_store *os = kstore_lock();
	if (!os_begin(os)) {
		os_delete(os, &f->mem);
		os_delete(os, &f->swap);
		os_delete(os, &f->obj);
		os_commit(os, NULL);
	}
	kstore_unlock();
	os_unmount(f->ks.os);
}

/* Reads page i of id and checks its stamp. */
static bool object_page_is(const toy_id *id, uint64_t i, uint8_t b)
{
	uint8_t *buf = kmalloc(PAGE);
	os_store *os = kstore_lock();
	bool ok = buf && os_read(os, id, i * PAGE, buf, PAGE) == PAGE && stamped(buf, i, b);
	kstore_unlock();
	kfree(buf);
	return ok;
}

static int sync_window(struct pc_window *w, uint64_t size)
{
	os_store *os = kstore_lock();
	int err = os_begin(os);
	if (!err)
		err = pc_window_sync(w, size);
	err = err ? (os_abort(os), err) : os_commit(os, NULL);
	kstore_unlock();
	if (!err)
		pc_window_synced(w);
	return err;
}

static int create(struct fixture *f, uint64_t size)
{
	int err = pc_window_create(size, &f->mem, &f->swap, &f->w);
	f->base = err ? NULL : pc_window_base(f->w);
	return err;
}

/* Four times the budget, written then read back twice: every page leaves
 * through swap and comes back from it. */
KTEST(pc_window_bigger_than_cache)
{
	struct fixture f;
	KCHECK(setup(&f, 0, 0) == 0);
	uint64_t n = 4 * BUDGET;
	KCHECK(create(&f, 1ull << 30) == 0); /* a 1 GiB window, mostly never touched */
	for (uint64_t i = 0; i < n; i++)
		KCHECK(f.base[i * PAGE + 100] == 0); /* the empty object reads as zeros */
	for (uint64_t i = 0; i < n; i++)
		stamp(f.base + i * PAGE, i, new_byte(i));
	for (int round = 0; round < 2; round++)
		for (uint64_t i = 0; i < n; i++)
			KCHECK(stamped(f.base + i * PAGE, i, new_byte(i)));
	struct pc_stats st;
	pc_stats(&st);
	KCHECK(st.frames_used <= BUDGET && st.frames_max == BUDGET);
	KCHECK(st.swapouts >= n - BUDGET && st.evictions > n);
	teardown(&f);
	return 0;
}

/* Pages read by the fault at window page i of f (and the page checked). */
static uint64_t reads_for_fault(struct fixture *f, uint64_t i)
{
	struct pc_stats before, after;
	pc_stats(&before);
	bool ok = stamped(f->base + i * PAGE, i, old_byte(i));
	pc_stats(&after);
	return ok ? after.reads - before.reads : 0;
}

/* Read-ahead doubles while each fault lands right after the last run, up to
 * the most; a fault elsewhere starts over; a run stops at a cached page. */
KTEST(pc_readahead_grows)
{
	struct fixture f;
	const uint64_t lo = PC_READAHEAD_MIN, hi = PC_READAHEAD_MAX;
	const uint64_t third = 4 * lo < hi ? 4 * lo : hi;
	const uint64_t n = 3 * lo + third + lo + lo / 2;
	KCHECK(setup(&f, n, 0) == 0);
	pc_init(2 * n); /* room for all: only read-ahead decides the runs */
	KCHECK(create(&f, n * PAGE) == 0);
	KCHECK(reads_for_fault(&f, 0) == lo);
	KCHECK(reads_for_fault(&f, lo) == 2 * lo);
	KCHECK(reads_for_fault(&f, 3 * lo) == third);
	uint64_t far = 3 * lo + third + lo / 2; /* not where the last run ended */
	KCHECK(reads_for_fault(&f, far) == lo);
	KCHECK(reads_for_fault(&f, 3 * lo + third) == lo / 2); /* up to far, cached */
	for (uint64_t i = 0; i < n; i++)
		KCHECK(stamped(f.base + i * PAGE, i, old_byte(i)));
	teardown(&f);
	return 0;
}

/* Sync writes resident and swapped pages to the memory object and sets its
 * size; afterwards the pages are clean and come back from the object. */
KTEST(pc_sync)
{
	struct fixture f;
	KCHECK(setup(&f, 8, 0) == 0);
	uint64_t n = 3 * BUDGET;
	KCHECK(create(&f, 16ull << 20) == 0);
	for (uint64_t i = 0; i < n; i++)
		stamp(f.base + i * PAGE, i, new_byte(i));
	KCHECK(sync_window(f.w, n * PAGE) == 0);
	for (uint64_t i = 0; i < n; i++)
		KCHECK(object_page_is(&f.mem, i, new_byte(i)));
	struct os_stat st;
	os_store *os = kstore_lock();
	KCHECK(os_stat(os, &f.mem, &st) == 0);
	kstore_unlock();
	KCHECK(st.size == n * PAGE);
	struct pc_stats before, after;
	pc_stats(&before);
	for (uint64_t i = 0; i < n; i++) /* clean now: eviction writes nothing */
		KCHECK(stamped(f.base + i * PAGE, i, new_byte(i)));
	pc_stats(&after);
	KCHECK(after.swapouts == before.swapouts && after.reads > before.reads);
	f.base[5 * PAGE + 9] = 0x55; /* dirty again, synced again */
	KCHECK(sync_window(f.w, n * PAGE) == 0);
	uint8_t b[16];
	os = kstore_lock();
	KCHECK(os_read(os, &f.mem, 5 * PAGE, b, sizeof(b)) == sizeof(b) && b[9] == 0x55);
	kstore_unlock();
	teardown(&f);
	return 0;
}

/* Swap-outs never reach the memory object: until a sync it holds the old
 * contents, and a window made after destroy (a crash, as far as the
 * memory object can tell) sees them again. */
KTEST(pc_swap_keeps_memory_object)
{
	struct fixture f;
	uint64_t n = 3 * BUDGET;
	KCHECK(setup(&f, n, 0) == 0);
	KCHECK(create(&f, 16ull << 20) == 0);
	for (uint64_t i = 0; i < n; i++)
		KCHECK(stamped(f.base + i * PAGE, i, old_byte(i)));
	for (uint64_t i = 0; i < n; i++)
		stamp(f.base + i * PAGE, i, new_byte(i));
	struct pc_stats st;
	pc_stats(&st);
	KCHECK(st.swapouts > 0);
	for (uint64_t i = 0; i < n; i++)
		KCHECK(object_page_is(&f.mem, i, old_byte(i)));
	for (uint64_t i = 0; i < n; i++)
		KCHECK(stamped(f.base + i * PAGE, i, new_byte(i)));
	pc_window_destroy(f.w);
	f.w = NULL;
	KCHECK(create(&f, 16ull << 20) == 0);
	for (uint64_t i = 0; i < n; i++)
		KCHECK(stamped(f.base + i * PAGE, i, old_byte(i)));
	teardown(&f);
	return 0;
}

/* Pages 10..13 of the window show obj's pages 1..4; a write there goes to
 * obj when the page is evicted (and never past obj's end), the rest of
 * the window still shows the memory object. */
KTEST(pc_window_map_object)
{
	struct fixture f;
	KCHECK(setup(&f, 16, 5) == 0);
	KCHECK(create(&f, 16ull << 20) == 0);
	KCHECK(stamped(f.base + 10 * PAGE, 10, old_byte(10)));
	f.base[11 * PAGE + 20] = 0x77; /* dirty, then replaced by the mapping */
	KCHECK(pc_window_map(f.w, 10 * PAGE, 4 * PAGE, &f.obj, PAGE, true) == 0);
	KCHECK(pc_window_map(f.w, 10 * PAGE, 4 * PAGE, &f.obj, 100, true) == TOY_ERR_RANGE);
	KCHECK(pc_window_map(f.w, 16ull << 20, PAGE, &f.obj, 0, true) == TOY_ERR_RANGE);
	for (uint64_t i = 0; i < 4; i++)
		KCHECK(stamped(f.base + (10 + i) * PAGE, 1 + i, obj_byte(1 + i)));
	KCHECK(stamped(f.base + 9 * PAGE, 9, old_byte(9)));
	KCHECK(stamped(f.base + 14 * PAGE, 14, old_byte(14)));
	stamp(f.base + 12 * PAGE, 3, 0x99);
	for (uint64_t i = 100; i < 100 + 2 * BUDGET; i++) /* push it out */
		f.base[i * PAGE] = 1;
	struct pc_stats st;
	pc_stats(&st);
	KCHECK(st.writebacks >= 1);
	KCHECK(object_page_is(&f.obj, 3, 0x99));
	KCHECK(stamped(f.base + 12 * PAGE, 3, 0x99));
	struct os_stat os_st;
	os_store *os = kstore_lock();
	KCHECK(os_stat(os, &f.obj, &os_st) == 0);
	kstore_unlock();
	KCHECK(os_st.size == 5 * PAGE);
	/* The memory object's page 11 kept its pre-mapping write in swap: a
	 * sync puts it into the memory object. */
	KCHECK(sync_window(f.w, 16 * PAGE) == 0);
	uint8_t b[32];
	os = kstore_lock();
	KCHECK(os_read(os, &f.mem, 11 * PAGE, b, sizeof(b)) == sizeof(b) && b[20] == 0x77);
	kstore_unlock();
	teardown(&f);
	return 0;
}

/* A map wholly inside a newer one is forgotten, so mapping the same range
 * again and again takes no more heap; one only partly hidden still shows
 * where the newer does not reach. */
KTEST(pc_window_map_forgets_hidden)
{
	struct fixture f;
	KCHECK(setup(&f, 16, 5) == 0);
	KCHECK(create(&f, 16ull << 20) == 0);
	KCHECK(pc_window_map(f.w, 10 * PAGE, 4 * PAGE, &f.obj, PAGE, true) == 0);
	KCHECK(pc_window_map(f.w, 11 * PAGE, PAGE, &f.obj, 0, true) == 0);
	size_t heap = heap_in_use();
	for (int i = 0; i < 100; i++)
		KCHECK(pc_window_map(f.w, 12 * PAGE, 2 * PAGE, &f.obj, 0, true) == 0);
	KCHECK(heap_in_use() == heap);
	KCHECK(stamped(f.base + 10 * PAGE, 1, obj_byte(1)));
	KCHECK(stamped(f.base + 11 * PAGE, 0, obj_byte(0)));
	KCHECK(stamped(f.base + 12 * PAGE, 0, obj_byte(0)));
	KCHECK(stamped(f.base + 13 * PAGE, 1, obj_byte(1)));
	teardown(&f);
	return 0;
}

/* A read-only range shows obj; a write there fails the window with
 * TOY_ERR_PERM (the write lands in the poison frame, not in obj), and from
 * then on the window refuses to sync. */
KTEST(pc_window_map_readonly)
{
	struct fixture f;
	KCHECK(setup(&f, 16, 5) == 0);
	KCHECK(create(&f, 16ull << 20) == 0);
	KCHECK(pc_window_map(f.w, 10 * PAGE, 4 * PAGE, &f.obj, PAGE, false) == 0);
	for (uint64_t i = 0; i < 4; i++)
		KCHECK(stamped(f.base + (10 + i) * PAGE, 1 + i, obj_byte(1 + i)));
	KCHECK(pc_window_failed(f.w) == 0);
	f.base[5 * PAGE] = 1; /* a writable page: fine */
	KCHECK(pc_window_failed(f.w) == 0);
	f.base[12 * PAGE + 7] = 0x5a;
	KCHECK(pc_window_failed(f.w) == TOY_ERR_PERM);
	KCHECK(*pc_window_failure(f.w) == TOY_ERR_PERM);
	struct pc_stats st;
	pc_stats(&st);
	KCHECK(st.lost >= 1);
	KCHECK(sync_window(f.w, 16 * PAGE) == TOY_ERR_PERM);
	pc_window_destroy(f.w); /* unmaps the poison too */
	f.w = NULL;
	KCHECK(object_page_is(&f.obj, 3, obj_byte(3))); /* obj untouched */
	teardown(&f);
	return 0;
}

/* Destroy returns every frame and every heap byte the window took (the
 * page tables of its address range stay, so a first round warms them). */
KTEST(pc_destroy_no_leak)
{
	struct fixture f;
	KCHECK(setup(&f, 4, 0) == 0);
	size_t frames = 0, heap = 0;
	for (int round = 0; round < 3; round++) {
		if (round == 2) {
			frames = pmm_free_count();
			heap = heap_in_use();
		}
		KCHECK(create(&f, 8ull << 20) == 0);
		for (uint64_t i = 0; i < 2 * BUDGET; i++)
			f.base[i * PAGE + 1] = (uint8_t)i;
		pc_window_destroy(f.w);
		f.w = NULL;
	}
	struct pc_stats st;
	pc_stats(&st);
	KCHECK(st.frames_used == 0);
	KCHECK(pmm_free_count() == frames);
	KCHECK(heap_in_use() == heap);
	teardown(&f);
	return 0;
}

/* Two 4 GiB windows at once, each with its own memory, both mapping the
 * same object: a page written through one is what the other reads (the
 * frame moves between them), and their own pages stay apart. */
KTEST(pc_two_windows_share_object)
{
	struct fixture f;
	KCHECK(setup(&f, 0, 4) == 0);
	toy_id mem2 = {0}, swap2 = {0};
	os_store *os = kstore_lock();
	int err = os_begin(os);
	if (!err)
		err = os_create(os, &mem2, TOY_KIND_MEMORY);
	if (!err)
		err = os_create(os, &swap2, TOY_KIND_SWAP);
	err = err ? (os_abort(os), err) : os_commit(os, NULL);
	kstore_unlock();
	KCHECK(err == 0);
	struct pc_window *w2;
	KCHECK(create(&f, 4ull << 30) == 0);
	KCHECK(pc_window_create(4ull << 30, &mem2, &swap2, &w2) == 0);
	uint8_t *a = f.base, *b = pc_window_base(w2);
	KCHECK(a + (4ull << 30) <= b || b + (4ull << 30) <= a);
	KCHECK(pc_window_map(f.w, 0, 4 * PAGE, &f.obj, 0, true) == 0);
	KCHECK(pc_window_map(w2, 8 * PAGE, 4 * PAGE, &f.obj, 0, true) == 0);
	for (uint64_t i = 0; i < 4; i++)
		KCHECK(stamped(a + i * PAGE, i, obj_byte(i)) &&
		       stamped(b + (8 + i) * PAGE, i, obj_byte(i)));
	a[PAGE + 100] = 0x42;
	KCHECK(b[9 * PAGE + 100] == 0x42);
	b[9 * PAGE + 101] = 0x43;
	KCHECK(a[PAGE + 100] == 0x42 && a[PAGE + 101] == 0x43);
	a[(3ull << 30) + 5] = 1; /* far up, and apart */
	b[(3ull << 30) + 5] = 2;
	KCHECK(a[(3ull << 30) + 5] == 1 && b[(3ull << 30) + 5] == 2);
	KCHECK(sync_window(f.w, 4 * PAGE) == 0);
	uint8_t got[2];
	os = kstore_lock();
	KCHECK(os_read(os, &f.obj, PAGE + 100, got, 2) == 2 && got[0] == 0x42 && got[1] == 0x43);
	kstore_unlock();
	pc_window_destroy(w2);
	os = kstore_lock();
	if (!os_begin(os)) {
		os_delete(os, &mem2);
		os_delete(os, &swap2);
		os_commit(os, NULL);
	}
	kstore_unlock();
	teardown(&f);
	return 0;
}

struct worker {
	uint8_t *base;
	uint64_t first, n, shared; /* its own pages, then pages all read */
};

static int work(void *arg)
{
	struct worker *k = arg;
	for (int round = 0; round < 3; round++) {
		for (uint64_t i = k->first; i < k->first + k->n; i++)
			stamp(k->base + i * PAGE, i, (uint8_t)(new_byte(i) + round));
		for (uint64_t i = k->first; i < k->first + k->n; i++)
			if (!stamped(k->base + i * PAGE, i, (uint8_t)(new_byte(i) + round)))
				return 1;
		for (uint64_t i = 0; i < k->shared; i++)
			if (!stamped(k->base + i * PAGE, i, old_byte(i)))
				return 2;
	}
	return 0;
}

/* Three threads fault at once (each blocks on the disk and is preempted
 * in the fault path), on pages of their own and on shared ones. */
KTEST(pc_concurrent_faults)
{
	struct fixture f;
	uint64_t shared = 16, n = BUDGET;
	KCHECK(setup(&f, shared, 0) == 0);
	KCHECK(create(&f, 16ull << 20) == 0);
	struct worker k[3];
	struct thread *t[3];
	for (unsigned i = 0; i < 3; i++) {
		k[i] = (struct worker){f.base, shared + i * n, n, shared};
		KCHECK((t[i] = thread_create("pc-worker", work, &k[i])) != NULL);
	}
	for (unsigned i = 0; i < 3; i++)
		KCHECK(thread_join(t[i]) == 0);
	for (uint64_t i = 0; i < shared; i++)
		KCHECK(object_page_is(&f.mem, i, old_byte(i)));
	teardown(&f);
	return 0;
}

/* toy.pcbig=MIB (by hand, under memory pressure: QEMU -m 128M and a store
 * of a few times MIB): MIB MiB written and read back twice through the
 * default budget. Without the option the test does nothing. */
KTEST(pc_big)
{
	char arg[16];
	if (!cmdline_get("toy.pcbig", arg, sizeof(arg)))
		return 0;
	uint64_t mib = 0;
	for (const char *c = arg; *c >= '0' && *c <= '9'; c++)
		mib = mib * 10 + (uint64_t)(*c - '0');
	struct fixture f;
	KCHECK(setup(&f, 0, 0) == 0);
	pc_init(0);
	uint64_t n = mib << 8;
	KCHECK(create(&f, 4ull << 30) == 0);
	struct pc_stats st0, st1;
	pc_stats(&st0);
	uint64_t t0 = arch_time_ns();
	for (uint64_t i = 0; i < n; i++)
		stamp(f.base + i * PAGE, i, new_byte(i));
	uint64_t t1 = arch_time_ns();
	for (int round = 0; round < 2; round++)
		for (uint64_t i = 0; i < n; i++)
			KCHECK(stamped(f.base + i * PAGE, i, new_byte(i)));
	uint64_t t2 = arch_time_ns();
	pc_stats(&st1);
	kprintf("  pcbig: %llu MiB, %llu frames max, %llu used; write %llu ms, 2 reads %llu ms; "
		"%llu faults, %llu reads, %llu swap-outs; %zu frames free\n",
		(unsigned long long)mib, (unsigned long long)st1.frames_max,
		(unsigned long long)st1.frames_used, (unsigned long long)(t1 - t0) / 1000000,
		(unsigned long long)(t2 - t1) / 1000000,
		(unsigned long long)(st1.faults - st0.faults),
		(unsigned long long)(st1.reads - st0.reads),
		(unsigned long long)(st1.swapouts - st0.swapouts), pmm_free_count());
	teardown(&f);
	return 0;
}

/* Not a check: figures for the README (first-touch faults of a zero
 * object, write-out through swap, page-in from swap). */
KTEST(pc_speed)
{
	struct fixture f;
	KCHECK(setup(&f, 0, 0) == 0);
	pc_init(1024);
	uint64_t n = 4096; /* 16 MiB through a 4 MiB cache */
	KCHECK(create(&f, 64ull << 20) == 0);
	uint64_t t0 = arch_time_ns();
	for (uint64_t i = 0; i < n; i++)
		f.base[i * PAGE] = (uint8_t)i;
	uint64_t t1 = arch_time_ns();
	for (uint64_t i = 0; i < n; i++)
		KCHECK(f.base[i * PAGE] == (uint8_t)i);
	uint64_t t2 = arch_time_ns();
	struct pc_stats st;
	pc_stats(&st);
	uint64_t w_us = (t1 - t0) / 1000 + 1, r_us = (t2 - t1) / 1000 + 1;
	kprintf("  pagecache: %llu pages written in %llu ms (%llu faults/s, %llu swap-outs), "
		"read back in %llu ms (%llu KiB/s)\n",
		(unsigned long long)n, (unsigned long long)w_us / 1000,
		(unsigned long long)(n * 1000000 / w_us), (unsigned long long)st.swapouts,
		(unsigned long long)r_us / 1000, (unsigned long long)(n * 4 * 1000000 / r_us));
	teardown(&f);
	return 0;
}
