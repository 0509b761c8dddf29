/* os_internal.h — objstore's private structures, shared by its .c files.
 *
 * The in-memory index is an open-addressing table of objects, each with an
 * open-addressing table of its pages ((page) -> block, content hash). Every
 * change goes through txn.c, which applies it to the index at once and keeps
 * an undo log, so reads see the open transaction without a second code path,
 * abort is an undo, and mount's log replay is the very same transaction code
 * fed from disk. log.c appends records to an open chunk and writes chunks;
 * super.c, ckpt.c and mount.c bring a store up; clean.c and check.c maintain
 * and verify it. */
#ifndef OBJSTORE_INTERNAL_H
#define OBJSTORE_INTERNAL_H

#include <objstore/format.h>
#include <objstore/objstore.h>
#include <stdbool.h>
#include <string.h>

#define OS_MAX_SIZE     (1ull << 46) /* largest object, bytes */
#define OS_CHUNK_BLOCKS (1u + OSF_CHUNK_MAX_DATA)
#define OS_WBUF_BLOCKS  256u /* sealed chunks gather here for one big write */
#define OS_READ_RUN     64u  /* pages a read moves with one device read, at most */
#define OS_READ_GAPS    3u   /* single unwanted blocks one such read may skip */
#define OS_NO_BLOCK     0    /* block 0 is a superblock: never a page's home */

/* --- index (index.c) ---------------------------------------------------- */

struct os_page {
	uint64_t page;
	uint64_t block; /* OS_NO_BLOCK: empty slot */
	uint8_t hash[16];
};

struct os_pmap {
	struct os_page *slots;
	uint32_t cap; /* 0 or a power of two */
	uint32_t count;
};

struct os_obj {
	toy_id id; /* nil: empty slot */
	uint64_t size;
	uint32_t kind;
	uint32_t flags;
	struct os_pmap pages;
};

struct os_otab {
	struct os_obj *slots;
	uint64_t cap; /* 0 or a power of two */
	uint64_t count;
};

struct os_obj *idx_find(struct os_otab *t, const toy_id *id);
/* Makes room for `more` new objects; TOY_ERR_NOMEM. */
int idx_reserve(os_store *s, struct os_otab *t, uint64_t more);
/* Inserts (room must be reserved); returns the new slot. */
struct os_obj *idx_insert(struct os_otab *t, const toy_id *id);
/* Removes obj (a slot of t) without freeing its page map. */
void idx_remove(struct os_otab *t, struct os_obj *obj);
void idx_free(os_store *s, struct os_otab *t);

struct os_page *pmap_find(const struct os_pmap *m, uint64_t page);
int pmap_reserve(os_store *s, struct os_pmap *m, uint32_t more);
struct os_page *pmap_insert(struct os_pmap *m, uint64_t page);
void pmap_remove(struct os_pmap *m, struct os_page *slot);
void pmap_free(os_store *s, struct os_pmap *m);

/* --- transactions and undo (txn.c) --------------------------------------- */

enum os_undo_type {
	UNDO_PAGE,   /* a page entry was set or removed: restore old */
	UNDO_CREATE, /* an object was created: remove it */
	UNDO_META,   /* size/kind/flags changed: restore them */
	UNDO_DELETE, /* an object was removed: put it back (owns its pages) */
};

struct os_undo {
	uint8_t type;
	bool had_old; /* UNDO_PAGE: an old entry existed */
	toy_id id;
	struct os_page old; /* UNDO_PAGE */
	uint64_t new_block; /* UNDO_PAGE: OS_NO_BLOCK if removed */
	struct os_obj obj;  /* UNDO_META: old meta; UNDO_DELETE: the object */
};

struct os_txn {
	bool open;
	int error;        /* sticky: first resource error inside the transaction */
	bool wrote_chunk; /* a chunk of this transaction reached the device */
	bool adds_data;   /* it creates objects or writes pages (not only frees) */
	struct os_undo *undo;
	uint64_t nundo, capundo;
};

int txn_begin(os_store *s);
int txn_reserve_undo(os_store *s, uint64_t more);
/* The primitive changes, shared by the API and replay. Each records undo
 * (room must be reserved) and keeps the segment accounting. */
int txn_put_page(os_store *s, struct os_obj *obj, uint64_t page, uint64_t block,
		 const uint8_t hash[16]);
int txn_create(os_store *s, const toy_id *id, uint32_t kind, uint32_t flags, struct os_obj **out);
int txn_set_meta(os_store *s, struct os_obj *obj, uint64_t size, uint32_t kind, uint32_t flags);
int txn_delete(os_store *s, struct os_obj *obj);
/* Makes the in-memory changes final (after the commit is durable). */
void txn_finish(os_store *s);
/* Undoes every change since txn_begin. */
void txn_rollback(os_store *s);
void txn_free(os_store *s);

/* --- the log (log.c) ------------------------------------------------------ */

struct os_chunk {
	bool open;
	uint64_t block;    /* where its summary goes */
	uint32_t cap_data; /* data blocks that fit here */
	uint32_t nrec, ndata;
	int last_meta; /* index of the last META/DELETE record, or -1 */
	uint8_t *buf;  /* summary block, then data blocks (inside wbuf) */
};

struct os_head {
	uint32_t seg;      /* segment being filled */
	uint64_t block;    /* next free block in it */
	uint32_t next_seg; /* where the log goes next (OSF_NO_SEG: undecided) */
	uint64_t seq;      /* sequence number of the next chunk */
	uint64_t prev_hash;
	bool reserve; /* seg was taken from the reserve: no user records in it */
};

enum os_log_user { LOG_USER, LOG_SYSTEM }; /* system may use the reserve */

/* Opens a chunk (if none is open) that has room for a record and, if
 * needs_data, a data block; writes full chunks out as needed. */
int log_open(os_store *s, enum os_log_user who, bool needs_data);
int log_append(os_store *s, const struct osf_rec *rec, const void *data, enum os_log_user who,
	       uint64_t *data_block);
/* Seals the open chunk (if any) and writes every sealed chunk. */
int log_write_chunk(os_store *s);
/* Writes any pending ABORT and every sealed chunk: after it the log holds
 * no open group, so a checkpoint run can start. */
int log_close_groups(os_store *s);
/* The log head was set (format, mount): the write buffer starts there. */
void log_reset(os_store *s);
void log_discard_chunk(os_store *s);
/* If block holds data of the open chunk, returns it; else NULL. */
uint8_t *log_chunk_data(os_store *s, uint64_t block);
/* Overwrites the data (and its record's hash/arg0) of a PAGE record in the open
 * chunk if that is allowed; returns true if done. */
bool log_rewrite_page(os_store *s, uint64_t block, const void *data, const uint8_t hash[16],
		      uint64_t size);

/* Reads and validates the chunk at block: seq and prev_hash must match,
 * checksums and data hashes must hold. Returns 0 (chunk in s->rbuf,
 * summary parsed into *sum), TOY_ERR_CORRUPT if it is not the next chunk,
 * or TOY_ERR_IO. */
int log_read_chunk(os_store *s, uint64_t block, uint64_t seq, uint64_t prev, struct osf_sum *sum);
uint64_t log_summary_hash(const void *summary_block);

/* --- segments (clean.c) --------------------------------------------------- */

struct os_seg {
	uint64_t live;     /* index pages stored here (committed or pending) */
	uint64_t last_seq; /* sequence number of the last chunk written here */
};

uint32_t seg_of(const os_store *s, uint64_t block);
uint64_t seg_first_block(const os_store *s, uint32_t seg);
bool seg_is_free(const os_store *s, uint32_t seg);
uint32_t seg_count_free(const os_store *s);
uint32_t seg_pick_free(const os_store *s);
uint32_t seg_reserve_needed(const os_store *s);
void seg_recount_live(os_store *s);

/* --- the store ------------------------------------------------------------ */

struct os_store {
	struct os_env env;
	bool rdonly;
	int failed;          /* latched device error, or 0 */
	bool abort_pending;  /* a failed transaction's chunks await their ABORT */
	struct osf_super sb; /* the newest superblock on disk */
	uint64_t generation;
	struct os_otab objs;
	struct os_txn txn;
	struct os_chunk chunk;
	struct os_head head;
	uint8_t *wbuf;  /* OS_WBUF_BLOCKS: sealed chunks not yet written, then the open one */
	uint64_t wbase; /* the block wbuf[0] goes to */
	struct os_seg *segs;
	uint64_t ckpt_blocks_est; /* size of the last checkpoint, blocks */
	uint64_t blocks_since_ckpt;
	uint32_t maintained_seg; /* head.seg when store_maintain last looked */
	uint64_t log_blocks;
	struct os_cache *cache; /* NULL: no read cache */
	uint8_t *scratch;       /* one block */
	uint8_t *rbuf;          /* OS_CHUNK_BLOCKS blocks: chunks read back */
};

void *os_alloc(os_store *s, size_t size);
void os_free(os_store *s, void *p);

/* cache.c */
int cache_init(os_store *s, uint32_t blocks);
void cache_free(os_store *s);
bool cache_get(os_store *s, uint64_t block, void *out);
void cache_put(os_store *s, uint64_t block, const void *data);
/* Drops blocks [block, block + n): they are about to be overwritten. */
void cache_forget(os_store *s, uint64_t block, uint32_t n);

/* hash.c */
uint64_t os_hash64(const void *data, size_t len);
/* XXH3-128 of a page or block, by env.hash128 if the embedder gave one. */
void os_hash128(const os_store *s, const void *data, size_t len, uint8_t out[16]);

/* super.c */
int super_read_best(os_store *s, struct osf_super *best, struct osf_super *other, bool *have_other);
int super_write(os_store *s, uint64_t ckpt_block, uint64_t ckpt_seq, uint64_t ckpt_prev,
		uint64_t ckpt_gen, uint64_t epoch);
bool super_valid(const struct osf_super *sb, uint64_t dev_blocks);

/* ckpt.c */
int ckpt_write(os_store *s);
struct os_ckpt_loader;
int ckpt_loader_new(os_store *s, struct os_ckpt_loader **out);
int ckpt_loader_feed(struct os_ckpt_loader *l, const uint8_t *data, uint32_t len);
int ckpt_loader_finish(struct os_ckpt_loader *l, uint64_t generation, uint64_t total);
void ckpt_loader_free(struct os_ckpt_loader *l);

/* store.c */
/* Reads a page's block (open chunk, cache or device), checking its hash. */
int store_read_block(os_store *s, uint64_t block, const uint8_t hash[16], void *out);
/* The same, but always from the device (or open chunk): for os_check. */
int store_verify_block(os_store *s, uint64_t block, const uint8_t hash[16], void *out);
uint64_t pages_for_size(uint64_t size);
/* Commits the open transaction without the maintenance os_commit adds;
 * `who` says whether the reserve is open to it. */
int store_commit(os_store *s, enum os_log_user who, uint64_t *generation);
/* Rewrites one page unchanged (the cleaner moving it forward). */
int store_put_page(os_store *s, struct os_obj *o, uint64_t page, const uint8_t *data);

/* clean.c: checkpoint and clean when the log says it is time. */
void store_maintain(os_store *s);

#endif
