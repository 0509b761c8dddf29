/* kernel/pagecache.h — the page cache and memory windows: RAM as a cache of
 * the store.
 *
 * The cache maps (object ID, page number) to a frame. A window is a range of
 * kernel virtual address space (reserved, not mapped) whose pages fault in
 * on first touch: the arch's page-fault handler calls kernel_page_fault(),
 * which finds or reads the page and maps it. A domain's linear memory is a
 * window backed by its memory object; the vm reaches it as plain memory.
 *
 * Each window page is backed by one object page: by default page i of the
 * window's memory object, or, after pc_window_map, a page of another object.
 * A memory-object page that was made dirty is never written to the memory
 * object itself except by pc_window_sync, so the memory object always holds
 * the memory as of the domain's last sync. When the cache must evict a dirty
 * page of a memory object before then, it writes it to the window's swap
 * object (committed at once; swap holds no durable meaning and is
 * discarded at the next boot) and reads it back from there on the next
 * fault. Pages of mapped objects are written back to the object itself.
 * While a window exists, its memory object changes only through
 * pc_window_sync (the cache trusts its size: pages past the end are zeros
 * without a read).
 *
 * Dirty pages are found through the MMU's dirty bits (arch_mmu_query) or,
 * where the arch has none, by mapping clean pages read-only and marking the
 * page dirty on the write fault. Clean pages are evicted, least recently
 * used first, when free frames run low, so a window may be far larger than
 * RAM.
 *
 * Locking: one kernel mutex guards the cache. A fault may block on the disk
 * (other threads run meanwhile). Code must not touch window memory while it
 * holds the store lock (kstore_lock) or the cache's lock: copy through a
 * kernel buffer instead. pc_window_create, pc_window_map and
 * pc_window_destroy take the store lock themselves (the caller must not
 * hold it); pc_window_sync runs inside the caller's hold of it. */
#ifndef KERNEL_PAGECACHE_H
#define KERNEL_PAGECACHE_H

#include <stdbool.h>
#include <stdint.h>
#include <toy/id.h>

struct pc_window;

/* A fault reads PC_READAHEAD_MIN pages at most (fewer where the object's
 * pages stop coming in a row), or, right after the window's last run,
 * twice that run's length, up to PC_READAHEAD_MAX (pagecache.c). */
#define PC_READAHEAD_MIN 256u
#define PC_READAHEAD_MAX 1024u

/* Sets up the cache; it may use up to max_frames frames (0: a default share
 * of RAM, 5/8 of it); it also evicts whenever free frames run low. Called
 * at boot, after the store is mounted; calling it again changes the budget
 * (tests use a small one), evicting down to it. */
void pc_init(uint64_t max_frames);

/* Reserves a window of size bytes (a multiple of 4 KiB) backed by the
 * memory object mem, with swap as its swap object (both must exist; swap is
 * emptied, in a transaction of its own). Returns 0, TOY_ERR_NOMEM,
 * TOY_ERR_LIMIT (address space), TOY_ERR_INVAL (size) or the store's error
 * (TOY_ERR_NOTFOUND: no such object, or no store). */
int pc_window_create(uint64_t size, const toy_id *mem, const toy_id *swap, struct pc_window **out);

/* Lowest address of the window. */
uint8_t *pc_window_base(const struct pc_window *w);

/* 0, or the error (TOY_ERR_CORRUPT, TOY_ERR_IO, TOY_ERR_NOMEM...) that lost
 * a page of w: a page the store could not give back, or no frame could be
 * freed for, is mapped to a poison frame instead of taking the kernel down
 * (its bytes mean nothing). Its owner must stop using w at once and not
 * trust what it computed from it; pc_window_sync then refuses. */
int pc_window_failed(const struct pc_window *w);

/* Where w keeps that error, for a reader that cannot call (the vm checks
 * it on every host call); valid until pc_window_destroy. */
const volatile int *pc_window_failure(const struct pc_window *w);

/* Whether a newer map of [start, start + len) wholly hides an older one of
 * [old_start, old_start + old_len) (in bytes or in pages, alike), which
 * pc_window_map then forgets, as the domain record does. */
static inline bool pc_map_hides(uint64_t start, uint64_t len, uint64_t old_start, uint64_t old_len)
{
	return old_start >= start && old_start - start <= len &&
	       old_len <= len - (old_start - start);
}

/* Backs window bytes [off, off+len) (page aligned) with object obj from
 * obj_off (page aligned), read-only unless writable: a write there then
 * fails the window with TOY_ERR_PERM, as a lost page does (the write goes
 * to the poison frame, never to obj). Pages already faulted in there are
 * first written back (if dirty: memory-object pages to swap, so the next
 * sync still puts them into the memory object) and dropped. Write-back to
 * obj never grows it: bytes past its end are dropped. The newest mapping of
 * a page wins, and mappings wholly inside a newer one are forgotten.
 * Returns 0, TOY_ERR_RANGE, TOY_ERR_NOMEM or the store's error. */
int pc_window_map(struct pc_window *w, uint64_t off, uint64_t len, const toy_id *obj,
		  uint64_t obj_off, bool writable);

/* Inside the caller's open store transaction (the caller holds
 * kstore_lock): writes every dirty page and every swapped page of the
 * window's memory object to the memory object, sets its size to size_bytes
 * (the linear memory's size), and writes back dirty pages of mapped objects.
 * After the caller commits, call pc_window_synced (with or without the store
 * lock) so swap is emptied and the pages count as clean; pages written or
 * swapped out in between stay dirty. If the commit fails, skip it: nothing
 * counts as clean. Returns 0 or an error (the caller then aborts). */
int pc_window_sync(struct pc_window *w, uint64_t size_bytes);
void pc_window_synced(struct pc_window *w);

/* Unmaps every page and frees the window; unsynced changes are lost (the
 * swap object keeps whatever was swapped out; it is emptied when a window
 * is next made with it). w may be NULL. */
void pc_window_destroy(struct pc_window *w);

/* Called by the arch's page-fault handler for a fault at kernel address va
 * (write: the access was a write). Returns true when the page is now mapped
 * and the access may be retried, false when va is in no window (the arch
 * then panics). May block; called with interrupts enabled when they were
 * enabled at the fault. */
bool kernel_page_fault(uintptr_t va, bool write);

/* Counters for tests and benchmarks, since boot: faults taken, pages read
 * from the store, pages evicted, mapped-object pages written back,
 * memory-object pages swapped out, frames in use and the budget. */
struct pc_stats {
	uint64_t faults, reads, evictions, writebacks, swapouts, lost, frames_used, frames_max;
};
void pc_stats(struct pc_stats *st);

#endif
