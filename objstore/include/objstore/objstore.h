/* objstore.h — the log-structured object store: the whole public API.
 *
 * A store lives on a block device of 4 KiB blocks. It holds objects, each
 * named by a toy_id: a sparse array of 4 KiB pages plus metadata (kind,
 * size, flags). Changes are grouped in transactions; os_commit() returns
 * only when the group is durable, and returns its generation number. After
 * a crash the store comes back at the last committed generation, with no
 * part of any later transaction visible.
 *
 * The library is portable and freestanding: all memory and I/O come from the
 * struct os_env the caller passes in. One os_store is used by one thread at a
 * time (the caller serializes). Every function returns 0 or a negative
 * TOY_ERR_* code (toy/err.h) unless said otherwise. Errors that leave the
 * on-disk state unknown (a failed write or flush during commit) latch: every
 * later call that writes returns TOY_ERR_FAILED until the store is remounted.
 * Bytes read from the device are never trusted: damage gives
 * TOY_ERR_CORRUPT, never a crash. */
#ifndef OBJSTORE_OBJSTORE_H
#define OBJSTORE_OBJSTORE_H

#include <stddef.h>
#include <stdint.h>
#include <toy/err.h>
#include <toy/id.h>

#define OS_BLOCK_SIZE 4096u
#define OS_PAGE_SIZE  4096u

/* One buffer of a vectored read: `blocks` whole blocks at buf. */
struct os_iov {
	void *buf;
	uint32_t blocks;
};

/* A vectored read is given at most this many buffers and blocks. */
#define OS_READV_MAX_IOV    8u
#define OS_READV_MAX_BLOCKS 72u

/* The block device. Blocks are OS_BLOCK_SIZE bytes. read/write move n
 * consecutive blocks; writes may be kept in a volatile cache until flush.
 * readv_start starts reading consecutive blocks from block on into the
 * buffers in turn, as one device request, and returns at once; the buffers
 * are the device's until read_wait returns the outcome. The store has at
 * most one such read outstanding, and hashes the pages of one run while
 * the device reads the next; it reads a run across the odd block it does
 * not want (a chunk's summary), which goes to a scratch buffer. The pair
 * may be NULL, and then the store reads each buffer with read, as a device
 * with no cost per request and nothing to overlap would.
 * Each returns 0 or a negative TOY_ERR_* (normally TOY_ERR_IO). */
struct os_dev {
	void *ctx;
	uint64_t nblocks;
	int (*read)(void *ctx, uint64_t block, uint32_t n, void *buf);
	int (*readv_start)(void *ctx, uint64_t block, const struct os_iov *iov, unsigned niov);
	int (*read_wait)(void *ctx);
	int (*write)(void *ctx, uint64_t block, uint32_t n, const void *buf);
	int (*flush)(void *ctx);
};

/* Everything the store needs from its embedder. alloc returns NULL on
 * failure (the store then returns TOY_ERR_NOMEM and stays consistent).
 * random fills buf with n unpredictable bytes (for new IDs and the store's
 * identity); it may be NULL, and then os_create needs explicit IDs.
 * cache_blocks is how many 4 KiB blocks the store may keep as a read cache
 * of verified pages (0: none; a kernel with its own page cache wants 0).
 * hash128 is XXH3-128 (the page hash) done the fastest way the embedder
 * knows, for a CPU the store's portable code cannot assume; NULL: the
 * store's own. It must give exactly XXH3-128: the disk format rests on it. */
struct os_env {
	struct os_dev dev;
	void *mem_ctx;
	void *(*alloc)(void *mem_ctx, size_t size);
	void (*free)(void *mem_ctx, void *ptr);
	int (*random)(void *mem_ctx, void *buf, size_t n);
	uint32_t cache_blocks;
	void (*hash128)(const void *data, size_t len, uint8_t out[16]);
};

typedef struct os_store os_store;

struct os_format_opts {
	uint32_t seg_blocks; /* blocks per segment, power of two >= 8; 0: 256 */
};

#define OS_MOUNT_RDONLY 1u /* never write the device */

struct os_stat {
	uint32_t kind;
	uint32_t flags;
	uint64_t size;   /* bytes */
	uint64_t npages; /* pages with stored data (holes read as zeros) */
};

struct os_info {
	uint64_t generation;      /* last committed generation */
	uint64_t ckpt_generation; /* generation of the newest index checkpoint */
	uint64_t epoch;           /* number of read-write mounts */
	uint64_t nobjects;
	uint64_t seg_blocks;
	uint64_t nsegs;
	uint64_t free_segs;   /* segments ready for reuse */
	uint64_t live_blocks; /* data pages referenced by the index */
	uint64_t log_blocks;  /* blocks written since mount */
	uint64_t total_blocks;
};

struct os_clean_stats {
	uint64_t segs_cleaned; /* segments emptied by this call */
	uint64_t pages_moved;
};

/* --- lifecycle ----------------------------------------------------------- */

/* Writes an empty store over the whole device (opts may be NULL). Needs at
 * least 4 segments plus the superblocks. Not crash-safe against itself: a
 * crash during format leaves an unformatted device (mount says CORRUPT). */
int os_format(const struct os_env *env, const struct os_format_opts *opts);

/* Mounts the store on env's device: picks the newest valid superblock, loads
 * its index checkpoint and replays the log after it. *env is copied. On
 * success *out owns the store until os_unmount. TOY_ERR_CORRUPT: not a
 * store, or damaged beyond recovery. */
int os_mount(const struct os_env *env, unsigned flags, os_store **out);

/* Aborts any open transaction, writes a checkpoint if the store is writable
 * and healthy (so the next mount is quick), and frees everything. The store
 * is freed even when an error is returned. */
int os_unmount(os_store *s);

/* --- transactions (one at a time per store) ------------------------------ */

/* TOY_ERR_BUSY if a transaction is already open. */
int os_begin(os_store *s);

/* Makes every change since os_begin durable, then closes the transaction.
 * *generation (may be NULL) receives the new generation. On error the
 * transaction is rolled back (TOY_ERR_FAILED if the device failed mid-way:
 * remount to learn what is durable). */
int os_commit(os_store *s, uint64_t *generation);

/* Discards every change since os_begin. No-op without a transaction. */
void os_abort(os_store *s);

/* --- changes (need an open transaction, else TOY_ERR_BUSY) --------------- */

/* Creates an empty object. If *id is nil a new random ID is stored there
 * (TOY_ERR_NOTSUP without env->random). TOY_ERR_EXISTS if the ID is taken.
 * Any other ID, reserved ones included, is accepted. */
int os_create(os_store *s, toy_id *id, uint32_t kind);

/* Writes len bytes at off; the object grows to at least off+len. */
int os_write(os_store *s, const toy_id *id, uint64_t off, const void *buf, size_t len);

/* Sets the size; shrinking discards data beyond it (reads as zeros if the
 * object grows again). */
int os_set_size(os_store *s, const toy_id *id, uint64_t size);

/* Sets the user flags of an object. */
int os_set_flags(os_store *s, const toy_id *id, uint32_t flags);

/* Deletes the object and all its pages. */
int os_delete(os_store *s, const toy_id *id);

/* --- reading (sees the open transaction's changes, if any) --------------- */

/* Reads up to len bytes at off. Returns the number of bytes read (short
 * only at end of object, 0 at or past it) or a negative error. Holes read
 * as zeros. */
int64_t os_read(os_store *s, const toy_id *id, uint64_t off, void *buf, size_t len);

int os_stat(os_store *s, const toy_id *id, struct os_stat *st);

/* Calls fn for every object, in no particular order, until fn returns
 * non-zero (which os_iterate then returns). fn must not change the store. */
typedef int (*os_iter_fn)(void *arg, const toy_id *id, const struct os_stat *st);
int os_iterate(os_store *s, os_iter_fn fn, void *arg);

/* The XXH3-128 content hash of one stored page (TOY_ERR_NOTFOUND for a
 * hole). Used by migration to skip pages the other side has. */
int os_page_hash(os_store *s, const toy_id *id, uint64_t page, uint8_t hash[16]);

/* --- maintenance (no transaction may be open: TOY_ERR_BUSY) -------------- */

/* Writes an index checkpoint so the next mount replays only what follows. */
int os_checkpoint(os_store *s);

/* Runs the segment cleaner (LFS cost-benefit): copies live pages out of
 * mostly-empty segments and frees them. stats may be NULL. */
int os_clean(os_store *s, struct os_clean_stats *stats);

/* Checks the whole store: every page readable with its hash, the index and
 * segment accounting consistent. Returns 0 when consistent, else an error
 * (TOY_ERR_CORRUPT for damage) with a one-line description in msg. */
int os_check(os_store *s, char *msg, size_t msglen);

void os_info(os_store *s, struct os_info *info);

#endif
