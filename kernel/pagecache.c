/* pagecache.c — the page cache and demand-paged memory windows.
 *
 * Every resident page is a struct pc_page: the object page it caches (ID
 * and page number, the key of one hash table), the frame holding it, and
 * the window page it is mapped at. A page is either resident (mapped, on
 * the clock ring) or busy: being read in (PG_READING) or written out
 * before it is dropped (PG_EVICTING). Busy pages stay in the hash table so
 * a fault on them waits for the I/O instead of starting its own.
 *
 * What a window page shows: the newest pc_window_map range covering it, or
 * else page i of the memory object, unless the window's swapped bitmap
 * says the swap object holds a newer copy. A page differs from its object
 * when PG_DIRTY is set or the MMU reports it dirty; the two are folded
 * together (and the MMU's bit cleared) when a page is unmapped or synced.
 * PG_SWAPCOPY says the swap object holds exactly the frame's contents, so
 * evicting the page needs no write.
 *
 * A fault reads a run: the faulting page and those after it that come
 * next in the same object (swap included) and are not cached, with one
 * os_read straight into frames taken contiguous for it, so sequential use
 * costs one store read per run and no copy (the store reads it 64 pages to
 * a device read, checking one such piece while the device reads the next);
 * the pages read ahead start with their accessed bit clear, first in line
 * for eviction if nothing touches them. A run is PC_READAHEAD_MIN pages
 * long or, for a fault on the page right after the window's last run (a
 * sequential reader), up to twice as long as that run, PC_READAHEAD_MAX at
 * most: each run's first device read is one nothing overlaps, and longer
 * runs pay it less often. The structs of dropped pages are kept (up to
 * MAX_SPARES) for the next run's.
 *
 * Eviction is a clock over the ring: pages the MMU saw accessed get a
 * second chance, the others are unmapped; clean ones are dropped at once,
 * dirty ones are written in batches of up to BATCH pages per transaction
 * (memory-object pages to swap, mapped-object pages to their object) and
 * then dropped. It runs in the fault path whenever the cache holds
 * max_frames pages or free frames fall below low_water.
 *
 * Sync writes the dirty and swapped pages into the memory object inside
 * the caller's transaction and marks them PG_SYNCED; pc_window_synced,
 * called after the commit, turns PG_SYNCED pages clean and forgets the
 * swap copies, except pages swapped out after the sync began (the resw
 * bitmap), whose swap copies are newer than the commit.
 *
 * A window page that cannot be brought in (its block fails its check or
 * cannot be read, or no frame can be freed for it) is lost: it is mapped
 * to the poison frame, shared by all such pages, so the access that
 * faulted completes with meaningless bytes ("LOST" over and over at
 * first, recognisable wherever they would leak) instead of taking the
 * kernel down, and the window is marked failed with the error. From then on
 * pc_window_sync refuses, so nothing computed from those bytes becomes
 * durable, and pc_window_failed tells the window's owner to stop. A write
 * to a page of a read-only range (pc_window_map without writable) ends the
 * same way, with TOY_ERR_PERM: the page is taken back and the poison frame
 * takes the write.
 *
 * Locking: `lock` guards everything here and is never held while taking
 * the store lock (kstore_lock); pc_window_sync is called with the store
 * lock held and takes `lock` inside it, so the order is store, then cache.
 * Disk I/O outside sync runs with `lock` released and the page busy.
 * Window memory is never touched here: frames are reached through the
 * direct map. */
#include <arch/irq.h>
#include <arch/mmu.h>
#include <kernel/kernel.h>
#include <kernel/log.h>
#include <kernel/mem.h>
#include <kernel/pagecache.h>
#include <kernel/thread.h>
#include <string.h>
#include <toy/err.h>

#define PAGE       ARCH_PAGE_SIZE
#define HASH_BITS  14
#define NHASH      (1u << HASH_BITS)
#define BATCH      32 /* pages written per eviction transaction */
#define MAP_FLAGS  (ARCH_MMU_READ | ARCH_MMU_WRITE)
#define MAX_SPARES PC_READAHEAD_MAX /* page structs kept for reuse, at most */

enum {
	PG_MEM = 1u << 0,      /* a memory-object page (else a mapped object's) */
	PG_DIRTY = 1u << 1,    /* differs from its object (the MMU bit aside) */
	PG_SWAPCOPY = 1u << 2, /* swap holds exactly this frame */
	PG_SYNCED = 1u << 3,   /* written by the running sync */
	PG_READING = 1u << 4,
	PG_EVICTING = 1u << 5,
	PG_RDONLY = 1u << 6, /* mapped read-only: it lies in a read-only range */
	PG_BUSY = PG_READING | PG_EVICTING,
};

struct pc_page {
	toy_id id;
	uint64_t pno; /* page number in id */
	uint64_t pa;
	struct pc_window *w; /* where it is mapped: page idx of w */
	uint64_t idx;
	unsigned flags;
	struct pc_page *hnext;       /* hash chain */
	struct pc_page *prev, *next; /* clock ring, resident pages only */
};

struct pc_range {
	uint64_t first, count; /* window pages */
	toy_id obj;
	uint64_t obj_pno;
	bool writable;
};

struct pc_window {
	uintptr_t base;
	uint64_t size, npages;
	uint64_t mem_pages;  /* the memory object's size, in pages */
	uint64_t sync_pages; /* its size once the running sync commits */
	toy_id mem, swap;
	uint64_t *swapped; /* bit i: swap holds window page i's newest copy */
	uint64_t *resw;    /* pages swapped out since the running sync began */
	bool syncing;
	struct pc_range *ranges;
	unsigned nranges, cap;
	uint64_t *lost;   /* pages mapped to the poison frame */
	int failed;       /* the error that lost the first one, else 0 */
	uint64_t run_end; /* the page after the last run read in */
	unsigned run_len; /* that run's length */
	struct pc_window *next;
};

/* Where a window page's contents come from. */
struct pc_src {
	toy_id id;
	uint64_t pno;
	bool mem, from_swap;
	bool zero;     /* past the memory object's end: no need to read */
	bool writable; /* else a read-only range's: writes stop the window */
};

static struct mutex lock;
static struct waitq busy_q; /* woken whenever a busy page settles */
static struct pc_page *hash[NHASH];
static struct pc_page *hand;   /* the clock hand; NULL when the ring is empty */
static struct pc_page *spares; /* structs of dropped pages, for new ones */
static unsigned nspares;
static struct pc_window *windows;
static uint64_t max_frames, low_water;
static struct pc_stats stats;
static os_store *store;    /* as last returned by kstore_lock (sync needs it) */
static uint64_t poison_pa; /* the frame lost pages show (pc_init takes it) */

/* --- small helpers ---------------------------------------------------------- */

static os_store *store_lock(void)
{
	os_store *os = kstore_lock();
	if (os)
		store = os;
	return os;
}

static bool bit(const uint64_t *map, uint64_t i)
{
	return map[i / 64] >> (i % 64) & 1;
}

static void set_bit(uint64_t *map, uint64_t i)
{
	map[i / 64] |= 1ull << (i % 64);
}

static uint64_t bitmap_bytes(const struct pc_window *w)
{
	return (w->npages + 63) / 64 * 8;
}

static uintptr_t page_va(const struct pc_page *p)
{
	return p->w->base + p->idx * PAGE;
}

static void *frame(const struct pc_page *p)
{
	return arch_phys_to_virt(p->pa);
}

static unsigned map_flags(bool writable)
{
	return writable ? MAP_FLAGS : ARCH_MMU_READ;
}

/* Maps p's frame at its window page, clean (the MMU then tracks writes). */
static int map_page(const struct pc_page *p)
{
	return arch_mmu_map_clean(page_va(p), p->pa, 1, map_flags(!(p->flags & PG_RDONLY)));
}

/* Releases the cache lock until some busy page settles. */
static void wait_busy(void)
{
	bool on = arch_irq_save();
	mutex_unlock(&lock);
	waitq_block(&busy_q);
	arch_irq_restore(on);
	mutex_lock(&lock);
}

/* --- the hash table and the clock ring ------------------------------------- */

static struct pc_page **bucket(const toy_id *id, uint64_t pno)
{
	uint64_t h = (toy_id_hash(id) ^ pno) * 0x9e3779b97f4a7c15ull;
	return &hash[h >> (64 - HASH_BITS)];
}

static struct pc_page *lookup(const toy_id *id, uint64_t pno)
{
	for (struct pc_page *p = *bucket(id, pno); p; p = p->hnext)
		if (p->pno == pno && toy_id_eq(&p->id, id))
			return p;
	return NULL;
}

static void hash_remove(struct pc_page *p)
{
	struct pc_page **pp = bucket(&p->id, p->pno);
	while (*pp != p)
		pp = &(*pp)->hnext;
	*pp = p->hnext;
}

static void ring_insert(struct pc_page *p)
{
	if (!hand) {
		p->prev = p->next = p;
		hand = p;
		return;
	}
	p->next = hand;
	p->prev = hand->prev;
	hand->prev->next = p;
	hand->prev = p;
}

static void ring_remove(struct pc_page *p)
{
	if (!p->next)
		return;
	if (p->next == p) {
		hand = NULL;
	} else {
		p->prev->next = p->next;
		p->next->prev = p->prev;
		if (hand == p)
			hand = p->next;
	}
	p->prev = p->next = NULL;
}

/* Frees a page that is off the ring and unmapped (its struct to the
 * spares, while there are few). */
static void drop(struct pc_page *p)
{
	hash_remove(p);
	pmm_free(p->pa, 1);
	if (nspares < MAX_SPARES) {
		p->hnext = spares;
		spares = p;
		nspares++;
	} else {
		kfree(p);
	}
	stats.frames_used--;
}

/* Calls fn on every page mapped in (or busy for) w, until fn returns
 * non-zero, which is then returned. fn may drop the page it is given. */
static int each_page(struct pc_window *w, int (*fn)(struct pc_page *p, void *arg), void *arg)
{
	for (unsigned b = 0; b < NHASH; b++) {
		struct pc_page *next;
		for (struct pc_page *p = hash[b]; p; p = next) {
			next = p->hnext;
			int r = p->w == w ? fn(p, arg) : 0;
			if (r)
				return r;
		}
	}
	return 0;
}

/* --- dirty state ------------------------------------------------------------ */

static void note_dirty(struct pc_page *p, unsigned mmu_flags)
{
	if (mmu_flags & ARCH_MMU_DIRTY)
		p->flags = (p->flags | PG_DIRTY) & ~PG_SWAPCOPY;
}

/* Unmaps a resident page, keeping what the MMU knew of its dirtiness.
 * Query and unmap run with interrupts off so no write slips between. */
static void unmap_page(struct pc_page *p)
{
	uint64_t pa;
	unsigned f = 0;
	bool on = arch_irq_save();
	arch_mmu_query(page_va(p), &pa, &f);
	arch_mmu_unmap(page_va(p));
	arch_irq_restore(on);
	note_dirty(p, f);
}

/* Moves the MMU's dirty bit of a resident page into PG_DIRTY. */
static void fold_dirty(struct pc_page *p)
{
	uint64_t pa;
	unsigned f = 0;
	bool on = arch_irq_save();
	if (arch_mmu_query(page_va(p), &pa, &f) == 0 && (f & ARCH_MMU_DIRTY))
		arch_mmu_clear(page_va(p), ARCH_MMU_DIRTY);
	arch_irq_restore(on);
	note_dirty(p, f);
}

static bool needs_write(const struct pc_page *p)
{
	if (p->flags & PG_MEM)
		return (p->flags & PG_DIRTY) && !(p->flags & PG_SWAPCOPY);
	return p->flags & PG_DIRTY;
}

/* --- writing pages out ------------------------------------------------------ */

/* Writes a mapped object's page back, never past the object's end (a
 * mapping does not grow its object). */
static int write_mapped(os_store *os, const struct pc_page *p)
{
	struct os_stat st;
	int err = os_stat(os, &p->id, &st);
	uint64_t off = p->pno * PAGE;
	if (err || off >= st.size)
		return err;
	uint64_t len = st.size - off < PAGE ? st.size - off : PAGE;
	return os_write(os, &p->id, off, frame(p), (size_t)len);
}

static int write_out(os_store *os, const struct pc_page *p)
{
	if (p->flags & PG_MEM)
		return os_write(os, &p->w->swap, p->idx * PAGE, frame(p), PAGE);
	return write_mapped(os, p);
}

/* One transaction writing n pages out (the cache lock is not held). */
static int write_txn(struct pc_page **batch, unsigned n)
{
	os_store *os = store_lock();
	int err = os ? os_begin(os) : TOY_ERR_NOTFOUND;
	for (unsigned i = 0; i < n && !err; i++)
		err = write_out(os, batch[i]);
	if (!err)
		err = os_commit(os, NULL);
	else if (os)
		os_abort(os);
	kstore_unlock();
	return err;
}

/* Drops up to max resident pages that need no writing, recently used or
 * not: the heap needs memory for the store to write anything. */
static unsigned drop_clean(unsigned max)
{
	unsigned n = 0;
	for (uint64_t left = stats.frames_used; hand && left && n < max; left--) {
		struct pc_page *p = hand;
		hand = p->next;
		uint64_t pa;
		unsigned f = 0;
		if (needs_write(p) ||
		    (arch_mmu_query(page_va(p), &pa, &f) == 0 && (f & ARCH_MMU_DIRTY)))
			continue;
		ring_remove(p);
		unmap_page(p);
		if (needs_write(p)) { /* written meanwhile */
			ring_insert(p);
			map_page(p);
			continue;
		}
		drop(p);
		n++;
	}
	return n;
}

/* Writes n unmapped PG_EVICTING pages in one transaction (the cache lock
 * is released meanwhile; when the store runs out of heap, clean pages are
 * dropped and it tries again), then drops them. On failure they are
 * mapped again, still dirty, and the error is returned. */
static int write_batch(struct pc_page **batch, unsigned n)
{
	int err;
	for (int tries = 0;; tries++) {
		mutex_unlock(&lock);
		err = write_txn(batch, n);
		mutex_lock(&lock);
		if (err != TOY_ERR_NOMEM || tries == 3 || !drop_clean(256))
			break;
	}
	for (unsigned i = 0; i < n; i++) {
		struct pc_page *p = batch[i];
		p->flags &= ~PG_EVICTING;
		if (err) {
			if (map_page(p) == 0)
				ring_insert(p);
			continue;
		}
		if (p->flags & PG_MEM) {
			set_bit(p->w->swapped, p->idx);
			if (p->w->syncing)
				set_bit(p->w->resw, p->idx);
			stats.swapouts++;
		} else {
			stats.writebacks++;
		}
		drop(p);
	}
	waitq_wake_all(&busy_q);
	if (err)
		klog(LOG_ERROR, "pagecache: writing %u pages out: %s", n, toy_strerror(err));
	return err;
}

/* Takes a resident page out of service: off the ring, unmapped. Returns
 * true when it must be written before it is dropped (it is then marked
 * PG_EVICTING), false when it was dropped. */
static bool retire(struct pc_page *p)
{
	ring_remove(p);
	unmap_page(p);
	if (needs_write(p)) {
		p->flags |= PG_EVICTING;
		return true;
	}
	drop(p);
	return false;
}

#define EVICT_NONE 1

/* One sweep of the clock: frees up to BATCH clean pages or writes out up
 * to BATCH dirty ones. Returns 0 when it made room (or waited for busy
 * pages to settle), EVICT_NONE when there is nothing to evict, or the
 * write's error. */
static int evict_some(void)
{
	struct pc_page *batch[BATCH];
	unsigned n = 0, dropped = 0;
	uint64_t budget = 2 * stats.frames_used + 2;
	while (hand && n < BATCH && dropped < BATCH) {
		struct pc_page *p = hand;
		hand = p->next;
		uint64_t pa;
		unsigned f = 0;
		bool second_chance = budget && budget--; /* then take it anyway */
		if (second_chance && arch_mmu_query(page_va(p), &pa, &f) == 0 &&
		    (f & ARCH_MMU_ACCESSED)) {
			arch_mmu_clear(page_va(p), ARCH_MMU_ACCESSED);
			continue;
		}
		stats.evictions++;
		if (retire(p))
			batch[n++] = p;
		else
			dropped++;
	}
	if (n)
		return write_batch(batch, n);
	if (dropped)
		return 0;
	if (stats.frames_used) { /* all busy */
		wait_busy();
		return 0;
	}
	return EVICT_NONE;
}

static bool low_on_frames(void)
{
	return stats.frames_used >= max_frames || pmm_free_count() < low_water;
}

/* --- windows ---------------------------------------------------------------- */

static struct pc_window *window_at(uintptr_t va)
{
	for (struct pc_window *w = windows; w; w = w->next)
		if (va >= w->base && va - w->base < w->size)
			return w;
	return NULL;
}

static void source(const struct pc_window *w, uint64_t idx, struct pc_src *s)
{
	for (unsigned i = w->nranges; i-- > 0;) {
		const struct pc_range *r = &w->ranges[i];
		if (idx >= r->first && idx - r->first < r->count) {
			*s = (struct pc_src){r->obj, r->obj_pno + (idx - r->first),
					     false,  false,
					     false,  r->writable};
			return;
		}
	}
	bool swapped = bit(w->swapped, idx);
	*s = (struct pc_src){w->mem, idx, true, swapped, !swapped && idx >= w->mem_pages, true};
}

int pc_window_create(uint64_t size, const toy_id *mem, const toy_id *swap, struct pc_window **out)
{
	if (!size || size % PAGE)
		return TOY_ERR_INVAL;
	struct pc_window *w = kzalloc(sizeof(*w));
	if (!w)
		return TOY_ERR_NOMEM;
	*w = (struct pc_window){.size = size, .npages = size / PAGE, .mem = *mem, .swap = *swap};
	w->swapped = kzalloc(bitmap_bytes(w));
	w->resw = kzalloc(bitmap_bytes(w));
	w->lost = kzalloc(bitmap_bytes(w)); /* now: losing a page must not allocate */
	int err = w->swapped && w->resw && w->lost ? 0 : TOY_ERR_NOMEM;
	if (!err && !(w->base = vm_reserve(size)))
		err = TOY_ERR_LIMIT;
	if (!err) {
		struct os_stat st;
		os_store *os = store_lock();
		err = os ? os_stat(os, mem, &st) : TOY_ERR_NOTFOUND;
		w->mem_pages = err ? 0 : (st.size + PAGE - 1) / PAGE;
		if (!err && !(err = os_begin(os))) {
			err = os_set_size(os, swap, 0);
			err = err ? (os_abort(os), err) : os_commit(os, NULL);
		}
		kstore_unlock();
	}
	if (err) {
		if (w->base)
			vm_release(w->base, size);
		kfree(w->swapped);
		kfree(w->resw);
		kfree(w->lost);
		kfree(w);
		return err;
	}
	mutex_lock(&lock);
	w->next = windows;
	windows = w;
	mutex_unlock(&lock);
	*out = w;
	return 0;
}

uint8_t *pc_window_base(const struct pc_window *w)
{
	return (uint8_t *)w->base;
}

int pc_window_failed(const struct pc_window *w)
{
	return w->failed;
}

const volatile int *pc_window_failure(const struct pc_window *w)
{
	return &w->failed;
}

/* --- the fault path ---------------------------------------------------------- */

/* What a fault step ends in; a negative TOY_ERR_* when the page is lost. */
enum { FAULT_DONE, FAULT_AGAIN, FAULT_NOT_OURS };

/* A new page for window page idx of w in frame pa, busy reading, in the
 * hash table; NULL when memory is short. */
static struct pc_page *new_page(struct pc_window *w, uint64_t idx, const struct pc_src *s,
				uint64_t pa)
{
	struct pc_page *p = spares;
	if (p) {
		spares = p->hnext;
		nspares--;
	} else {
		p = kmalloc(sizeof(*p));
	}
	if (!p)
		return NULL;
	*p = (struct pc_page){.id = s->id,
			      .pno = s->pno,
			      .pa = pa,
			      .w = w,
			      .idx = idx,
			      .flags = PG_READING | (s->mem ? PG_MEM : 0u) |
				       (s->writable ? 0u : PG_RDONLY)};
	struct pc_page **b = bucket(&p->id, p->pno);
	p->hnext = *b;
	*b = p;
	stats.frames_used++;
	return p;
}

/* How many frames a fault may take for read-ahead before the cache is
 * full or free frames run low. */
static uint64_t frames_to_spare(void)
{
	uint64_t free = pmm_free_count();
	uint64_t by_pool = free > low_water ? free - low_water : 0;
	uint64_t by_cache = stats.frames_used < max_frames ? max_frames - stats.frames_used : 0;
	return by_pool < by_cache ? by_pool : by_cache;
}

/* How many pages a fault at window page idx may read (see the top of the
 * file). */
static unsigned readahead(const struct pc_window *w, uint64_t idx)
{
	unsigned twice = w->run_len < PC_READAHEAD_MAX / 2 ? 2 * w->run_len : PC_READAHEAD_MAX;
	return idx == w->run_end && twice > PC_READAHEAD_MIN ? twice : PC_READAHEAD_MIN;
}

/* The length of the run one read can bring in from window page idx on:
 * the pages after it that come next in the same object (swap included)
 * and are not cached, while frames are plentiful; at most readahead(), and
 * 1 for a page known to be zeros. */
static unsigned run_length(struct pc_window *w, uint64_t idx, const struct pc_src *s)
{
	uint64_t spare = frames_to_spare();
	unsigned n = 1, max = readahead(w, idx);
	if (s->zero)
		return 1;
	for (uint64_t j = idx + 1; n < max && n < spare && j < w->npages; j++, n++) {
		struct pc_src t;
		source(w, j, &t);
		if (t.zero || t.from_swap != s->from_swap || t.pno != s->pno + n ||
		    t.writable != s->writable || !toy_id_eq(&t.id, &s->id) || lookup(&t.id, t.pno))
			break;
	}
	return n;
}

/* Page i of the run that starts with page first (new_run's). */
static struct pc_page *run_page(struct pc_page *first, unsigned i)
{
	return i ? lookup(&first->id, first->pno + i) : first;
}

/* New busy pages for window pages idx, idx+1, ... in contiguous frames,
 * so that one read fills them all: up to want of them, fewer if the
 * frames free in a row or the heap run short. Returns how many (0 when no
 * frame is free), the first in *first; a page known to be zeros gets a
 * zeroed frame. */
static unsigned new_run(struct pc_window *w, uint64_t idx, const struct pc_src *s, unsigned want,
			struct pc_page **first)
{
	size_t got;
	uint64_t pa = pmm_alloc_top_run(want, &got);
	unsigned n = 0;
	while (n < got) {
		struct pc_src t = *s;
		t.pno += n;
		struct pc_page *p = new_page(w, idx + n, &t, pa + n * PAGE);
		if (!p)
			break;
		if (!n++)
			*first = p;
	}
	if (n < got)
		pmm_free(pa + n * PAGE, got - n);
	if (n && s->zero)
		memset(arch_phys_to_virt(pa), 0, PAGE);
	return n;
}

/* Reads the run's pages, whose frames are contiguous, with one os_read
 * straight into them (the object may end inside the run: the rest is
 * zeroed). Called without the cache lock. */
static int64_t read_run(struct pc_window *w, const struct pc_src *s, const struct pc_page *first,
			unsigned n)
{
	os_store *os = store_lock();
	const toy_id *from = s->from_swap ? &w->swap : &s->id;
	uint64_t off = (s->from_swap ? first->idx : s->pno) * PAGE;
	uint8_t *buf = frame(first);
	int64_t got = os ? os_read(os, from, off, buf, n * PAGE) : TOY_ERR_NOTFOUND;
	kstore_unlock();
	if (got >= 0)
		memset(buf + got, 0, n * PAGE - (size_t)got);
	return got;
}

/* Brings window page idx in from s, with the pages after it that come
 * from the same place (read-ahead), and maps them; if the run cannot be
 * read, the page alone. Called with the lock held; releases it during the
 * read (a page known to be zeros needs none). */
static int page_in(struct pc_window *w, uint64_t idx, const struct pc_src *s)
{
	struct pc_page *first;
	unsigned n = new_run(w, idx, s, run_length(w, idx, s), &first);
	if (!n) {
		int r = evict_some();
		return r == EVICT_NONE ? TOY_ERR_NOMEM : r ? r : FAULT_AGAIN;
	}
	int64_t got = 0;
	unsigned keep = n;
	if (!s->zero) {
		mutex_unlock(&lock);
		got = read_run(w, s, first, n);
		if (got < 0 && n > 1) { /* one bad page must not lose the others */
			keep = 1;
			got = read_run(w, s, first, 1);
		}
		mutex_lock(&lock);
		stats.reads += keep;
	}
	int err = got < 0
		      ? (int)got
		      : arch_mmu_map_clean(page_va(first), first->pa, keep, map_flags(s->writable));
	if (err)
		klog(LOG_ERROR, "pagecache: page-in at %p: %s", (void *)page_va(first),
		     toy_strerror(err));
	w->run_end = err ? 0 : idx + keep;
	w->run_len = err ? 0 : keep;
	for (unsigned i = n; i-- > 0;) { /* the last first: run_page finds the others */
		struct pc_page *p = run_page(first, i);
		p->flags &= ~PG_READING;
		if (err || i >= keep) {
			drop(p);
			continue;
		}
		if (s->from_swap)
			p->flags |= PG_DIRTY | PG_SWAPCOPY;
		ring_insert(p);
	}
	waitq_wake_all(&busy_q);
	return err ? err : FAULT_DONE;
}

/* Maps page p, resident elsewhere, at window page idx of w (source s)
 * instead. */
static int move_page(struct pc_page *p, struct pc_window *w, uint64_t idx, const struct pc_src *s)
{
	unmap_page(p);
	p->w = w;
	p->idx = idx;
	p->flags = (p->flags & ~PG_RDONLY) | (s->writable ? 0u : PG_RDONLY);
	int err = map_page(p);
	if (!err)
		return FAULT_DONE;
	ring_remove(p);
	drop(p); /* only a dirty mapped-object page could lose data here */
	return err;
}

static int fault_step(uintptr_t va, bool write)
{
	struct pc_window *w = window_at(va);
	if (!w)
		return FAULT_NOT_OURS;
	uint64_t idx = (va - w->base) / PAGE;
	struct pc_src s;
	source(w, idx, &s);
	struct pc_page *p = lookup(&s.id, s.pno);
	if (p && (p->flags & PG_BUSY)) {
		wait_busy();
		return FAULT_AGAIN;
	}
	if (p && p->w == w && p->idx == idx)
		return write && (p->flags & PG_RDONLY) ? TOY_ERR_PERM : FAULT_DONE;
	if (p)
		return move_page(p, w, idx, &s);
	if (low_on_frames() && stats.frames_used) {
		int r = evict_some();
		if (r != EVICT_NONE) /* else allocate all the same, if a frame is free */
			return r ? r : FAULT_AGAIN;
	}
	return page_in(w, idx, &s);
}

/* Takes back the page mapped at window page idx of w, if one is (a write
 * to a read-only range found it there), unwritten even if dirty (from a
 * writable mapping before): the window is failing, and nothing from it
 * becomes durable any more. Writing it could fail too, and leave it
 * mapped where the poison frame goes. */
static void take_back(struct pc_window *w, uint64_t idx)
{
	struct pc_src s;
	source(w, idx, &s);
	struct pc_page *p = lookup(&s.id, s.pno);
	if (!p || p->w != w || p->idx != idx || (p->flags & PG_BUSY))
		return;
	ring_remove(p);
	unmap_page(p);
	drop(p);
}

/* Maps window page idx, which cannot be brought in (or written) for err,
 * to the poison frame and fails the window (see the top of the file).
 * Allocates nothing (it runs when memory may be gone): the bitmap comes with
 * the window, the frame from pc_init. Returns FAULT_DONE, or FAULT_NOT_OURS
 * if even that is impossible (no memory for a page table). */
static int lose_page(struct pc_window *w, uint64_t idx, int err)
{
	take_back(w, idx);
	if (!poison_pa || arch_mmu_map_clean(w->base + idx * PAGE, poison_pa, 1, MAP_FLAGS) != 0)
		return FAULT_NOT_OURS;
	set_bit(w->lost, idx);
	stats.lost++;
	if (!w->failed) {
		w->failed = err;
		if (err == TOY_ERR_PERM) /* the domain's fault, which its owner reports */
			klog(LOG_INFO, "pagecache: a write to read-only window page %llu",
			     (unsigned long long)idx);
		else
			klog(LOG_ERROR, "pagecache: window page %llu lost: %s",
			     (unsigned long long)idx, toy_strerror(err));
	}
	return FAULT_DONE;
}

bool kernel_page_fault(uintptr_t va, bool write)
{
	mutex_lock(&lock);
	stats.faults++;
	int r;
	while ((r = fault_step(va, write)) == FAULT_AGAIN)
		;
	if (r < 0) { /* fault_step found the window */
		struct pc_window *w = window_at(va);
		r = lose_page(w, (va - w->base) / PAGE, r);
	}
	mutex_unlock(&lock);
	return r == FAULT_DONE;
}

/* --- map, sync, destroy ------------------------------------------------------ */

struct collect {
	uint64_t first, count;
	struct pc_page *batch[BATCH];
	unsigned n;
	bool waited;
};

/* Retires w's pages in the range that no longer show what the window
 * shows there; waits for busy ones. */
static int collect_stale(struct pc_page *p, void *arg)
{
	struct collect *c = arg;
	if (p->idx < c->first || p->idx - c->first >= c->count)
		return 0;
	if (p->flags & PG_BUSY) {
		wait_busy();
		c->waited = true;
		return 1;
	}
	struct pc_src s;
	source(p->w, p->idx, &s);
	if (s.pno == p->pno && toy_id_eq(&s.id, &p->id) && s.writable == !(p->flags & PG_RDONLY))
		return 0;
	if (retire(p))
		c->batch[c->n++] = p;
	return c->n == BATCH;
}

/* Drops w's ranges that a new one of window pages [first, first + count)
 * hides for good. */
static void forget_covered(struct pc_window *w, uint64_t first, uint64_t count)
{
	unsigned kept = 0;
	for (unsigned i = 0; i < w->nranges; i++) {
		const struct pc_range *r = &w->ranges[i];
		if (!pc_map_hides(first, count, r->first, r->count))
			w->ranges[kept++] = *r;
	}
	w->nranges = kept;
}

int pc_window_map(struct pc_window *w, uint64_t off, uint64_t len, const toy_id *obj,
		  uint64_t obj_off, bool writable)
{
	if (off % PAGE || len % PAGE || obj_off % PAGE || !len || off > w->size ||
	    len > w->size - off)
		return TOY_ERR_RANGE;
	struct os_stat st;
	os_store *os = store_lock();
	int err = os ? os_stat(os, obj, &st) : TOY_ERR_NOTFOUND;
	kstore_unlock();
	if (err)
		return err;
	mutex_lock(&lock);
	if (w->nranges == w->cap) {
		unsigned cap = w->cap ? 2 * w->cap : 8;
		struct pc_range *r = kmalloc(cap * sizeof(*r));
		if (!r) {
			mutex_unlock(&lock);
			return TOY_ERR_NOMEM;
		}
		if (w->nranges)
			memcpy(r, w->ranges, w->nranges * sizeof(*r));
		kfree(w->ranges);
		w->ranges = r;
		w->cap = cap;
	}
	forget_covered(w, off / PAGE, len / PAGE);
	w->ranges[w->nranges++] =
	    (struct pc_range){off / PAGE, len / PAGE, *obj, obj_off / PAGE, writable};
	struct collect c = {off / PAGE, len / PAGE, {0}, 0, false};
	do {
		c.n = 0;
		c.waited = false;
		each_page(w, collect_stale, &c);
		if (c.n)
			err = write_batch(c.batch, c.n);
	} while (!err && (c.n || c.waited));
	mutex_unlock(&lock);
	return err;
}

struct sync_ctx {
	os_store *os;
	struct pc_window *w;
	uint64_t size;
};

static int sync_page(struct pc_page *p, void *arg)
{
	struct sync_ctx *c = arg;
	p->flags &= ~PG_SYNCED;
	if (p->flags & PG_READING)
		return 0; /* its source is in the store already */
	if (!(p->flags & PG_EVICTING))
		fold_dirty(p);
	if (!(p->flags & PG_DIRTY))
		return 0;
	int err = 0;
	if (!(p->flags & PG_MEM))
		err = write_mapped(c->os, p);
	else if (p->idx * PAGE < c->size)
		err = os_write(c->os, &c->w->mem, p->idx * PAGE, frame(p), PAGE);
	else
		return 0;
	if (!err)
		p->flags |= PG_SYNCED;
	return err;
}

/* Copies the swapped pages that are not resident from swap into the
 * memory object (resident ones were written by sync_page if dirty). */
static int sync_swapped(struct sync_ctx *c, uint8_t *buf)
{
	struct pc_window *w = c->w;
	uint64_t end = c->size / PAGE < w->npages ? c->size / PAGE : w->npages;
	int err = 0;
	for (uint64_t i = 0; i < end && !err; i++) {
		if (!w->swapped[i / 64]) {
			i |= 63;
			continue;
		}
		struct pc_page *p = bit(w->swapped, i) ? lookup(&w->mem, i) : NULL;
		if (!bit(w->swapped, i) || (p && p->w == w && !(p->flags & PG_READING)))
			continue;
		int64_t n = os_read(c->os, &w->swap, i * PAGE, buf, PAGE);
		if (n >= 0 && n < PAGE)
			memset(buf + n, 0, PAGE - (size_t)n);
		err = n < 0 ? (int)n : os_write(c->os, &w->mem, i * PAGE, buf, PAGE);
	}
	return err;
}

int pc_window_sync(struct pc_window *w, uint64_t size_bytes)
{
	if (w->failed)
		return w->failed;
	uint8_t *buf = kmalloc(PAGE);
	if (!buf)
		return TOY_ERR_NOMEM;
	struct sync_ctx c = {store, w, size_bytes};
	mutex_lock(&lock);
	w->syncing = true;
	w->sync_pages = (size_bytes + PAGE - 1) / PAGE;
	memset(w->resw, 0, bitmap_bytes(w));
	int err = each_page(w, sync_page, &c);
	if (!err)
		err = sync_swapped(&c, buf);
	if (!err)
		err = os_set_size(c.os, &w->mem, size_bytes);
	mutex_unlock(&lock);
	kfree(buf);
	return err;
}

static int mark_clean(struct pc_page *p, void *arg)
{
	(void)arg;
	if (p->flags & PG_SYNCED)
		p->flags &= ~(PG_SYNCED | PG_DIRTY);
	return 0;
}

void pc_window_synced(struct pc_window *w)
{
	mutex_lock(&lock);
	each_page(w, mark_clean, NULL);
	memcpy(w->swapped, w->resw, bitmap_bytes(w));
	w->mem_pages = w->sync_pages;
	w->syncing = false;
	mutex_unlock(&lock);
}

/* Drops every page of the window; returns 1 after waiting for a busy one
 * (the walk then starts again). */
static int discard(struct pc_page *p, void *arg)
{
	(void)arg;
	if (p->flags & PG_BUSY) {
		wait_busy();
		return 1;
	}
	ring_remove(p);
	unmap_page(p);
	drop(p);
	return 0;
}

void pc_window_destroy(struct pc_window *w)
{
	if (!w)
		return;
	mutex_lock(&lock);
	while (each_page(w, discard, NULL))
		;
	struct pc_window **pp = &windows;
	while (*pp != w)
		pp = &(*pp)->next;
	*pp = w->next;
	for (uint64_t i = 0; w->failed && i < w->npages; i++)
		if (bit(w->lost, i))
			arch_mmu_unmap(w->base + i * PAGE);
	mutex_unlock(&lock);
	vm_release(w->base, w->size);
	kfree(w->lost);
	kfree(w->ranges);
	kfree(w->swapped);
	kfree(w->resw);
	kfree(w);
}

void pc_stats(struct pc_stats *st)
{
	mutex_lock(&lock);
	*st = stats;
	mutex_unlock(&lock);
}

void pc_init(uint64_t frames)
{
	mutex_lock(&lock);
	if (!poison_pa && (poison_pa = pmm_alloc(1)) != 0)
		for (unsigned i = 0; i < PAGE; i++)
			((uint8_t *)arch_phys_to_virt(poison_pa))[i] = (uint8_t) "LOST"[i % 4];
	uint64_t total = pmm_total_count();
	max_frames = frames ? frames : total * 5 / 8;
	if (max_frames < 16)
		max_frames = 16;
	low_water = total / 32 + 32;
	stats.frames_max = max_frames;
	while (stats.frames_used > max_frames && evict_some() == 0)
		;
	mutex_unlock(&lock);
	klog(LOG_INFO, "pagecache: up to %llu frames (%llu MiB)", (unsigned long long)max_frames,
	     (unsigned long long)(max_frames * PAGE >> 20));
}
