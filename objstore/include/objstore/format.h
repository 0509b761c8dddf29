/* format.h — the on-disk format of the object store, defined once.
 *
 * The device is an array of 4 KiB blocks:
 *
 *   block 0, 1      superblocks, written alternately (the valid one with the
 *                   higher sequence number wins, as LMDB's meta pages)
 *   block 2 ...     nsegs segments of seg_blocks blocks each
 *
 * Segments hold the log: a chain of chunks written strictly in append order.
 * A chunk is one summary block followed by the data blocks its records name:
 *
 *   | summary: header, records[nrec] | data 0 | data 1 | ... | data ndata-1 |
 *
 * Each summary carries the store's nonce, its sequence number (one more than
 * the previous chunk's), the XXH3-64 of the previous summary block (so stale
 * chunks left over from before a crash or a segment's reuse can never pass
 * for the log's continuation) and its own XXH3-64. A record is covered by its
 * summary's checksum; a data block by the XXH3-128 in its record. The
 * summary also names the mount epoch that wrote it, so a chunk rewritten
 * after recovery never has the same bytes as the stale one it replaces. The next
 * chunk starts right after this one or, when it did not fit, at the start of
 * segment next_seg named in this summary.
 *
 * Transactions are runs of records closed by a COMMIT (or dropped by an
 * ABORT). An index checkpoint is a run of CKPT records whose data blocks hold
 * the serialized index, closed by CKPT_END; the superblock points to its
 * first chunk, and mount replays only the chunks after it.
 *
 * All integers are little-endian. Structures are packed by construction
 * (fields ordered by size) and pinned by _Static_assert. */
#ifndef OBJSTORE_FORMAT_H
#define OBJSTORE_FORMAT_H

#include <stdint.h>

/* Fields are stored in the CPU's order, which must be little-endian (both
 * Toy targets and the host are); a big-endian port would add byte swaps in
 * the few functions that encode and decode these structures. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "format is little-endian");

#define OSF_BLOCK_SIZE   4096u
#define OSF_SUPER_MAGIC  0x31524f5453594f54ull /* "TOYSTOR1" */
#define OSF_SUM_MAGIC    0x4b4e484359594f54ull /* "TOYYCHNK" */
#define OSF_VERSION      1u
#define OSF_SUPER_BLOCKS 2u /* blocks 0 and 1 */
#define OSF_NO_SEG       0xffffffffu

/* Superblock: the first bytes of block 0 or 1; the rest of the block is 0. */
struct osf_super {
	uint64_t magic;
	uint32_t version;
	uint32_t block_size;
	uint64_t nblocks;    /* device size when formatted */
	uint64_t seg_start;  /* first block of segment 0 */
	uint32_t seg_blocks; /* power of two */
	uint32_t nsegs;
	uint8_t nonce[16];   /* identity of this format of the store */
	uint64_t sb_seq;     /* +1 per superblock write; slot = sb_seq & 1 */
	uint64_t epoch;      /* +1 per read-write mount */
	uint64_t ckpt_block; /* summary block of the checkpoint's first chunk */
	uint64_t ckpt_seq;   /* its sequence number */
	uint64_t ckpt_prev;  /* the prev_hash its summary must carry */
	uint64_t ckpt_gen;   /* generation the checkpoint captures */
	uint64_t reserved[4];
	uint64_t checksum; /* XXH3-64 of the bytes before this field */
};
_Static_assert(sizeof(struct osf_super) == 144, "osf_super layout");
_Static_assert(__builtin_offsetof(struct osf_super, checksum) == 136, "osf_super checksum");

/* Record types. */
enum {
	OSF_REC_PAGE = 1,     /* id, page; data block; hash = XXH3-128(data) */
	OSF_REC_META = 2,     /* id: create or update; arg0 = size, arg1 = kind | flags << 32;
				 pages at or beyond ceil(size / 4096) are dropped */
	OSF_REC_DELETE = 3,   /* id: the object and all its pages are gone */
	OSF_REC_COMMIT = 4,   /* arg0 = generation; closes a transaction */
	OSF_REC_ABORT = 5,    /* drops the open transaction's records */
	OSF_REC_CKPT = 6,     /* data block of the checkpoint stream; len = bytes used */
	OSF_REC_CKPT_END = 7, /* arg0 = generation, arg1 = stream bytes */
};

/* A record: 64 bytes, packed in the summary after the header. */
struct osf_rec {
	uint16_t type;
	uint16_t data; /* index of its data block in the chunk (PAGE, CKPT) */
	uint32_t len;  /* bytes of data used (PAGE: 4096) */
	uint8_t id[16];
	uint64_t page; /* page number (PAGE) */
	uint64_t arg0; /* see the record types */
	uint64_t arg1;
	uint8_t hash[16]; /* XXH3-128 of the data block, little-endian low:high */
};
_Static_assert(sizeof(struct osf_rec) == 64, "osf_rec layout");

/* The summary header: the first 64 bytes of a chunk's first block. */
struct osf_sum {
	uint64_t magic;
	uint8_t nonce[16];
	uint64_t seq;       /* chunk sequence number; record k's is seq * 64 + k */
	uint64_t prev_hash; /* XXH3-64 of the previous chunk's summary block */
	uint32_t nrec;
	uint32_t ndata;    /* data blocks following the summary */
	uint32_t next_seg; /* where the log continues when this segment is full */
	uint32_t epoch;    /* low bits of the mount epoch that wrote it */
	uint64_t checksum; /* XXH3-64 of the summary block with this field 0 */
};
_Static_assert(sizeof(struct osf_sum) == 64, "osf_sum layout");

#define OSF_SUM_MAX_RECS   ((OSF_BLOCK_SIZE - sizeof(struct osf_sum)) / sizeof(struct osf_rec))
#define OSF_CHUNK_MAX_DATA OSF_SUM_MAX_RECS
_Static_assert(OSF_SUM_MAX_RECS == 63, "63 records per summary");

/* The checkpoint stream: one osf_ckpt_head, then for each object an
 * osf_ckpt_obj followed by npages osf_ckpt_page, then nsegs uint64_t
 * last-written sequence numbers (one per segment). */
struct osf_ckpt_head {
	uint64_t nobjects;
	uint64_t nsegs;
	uint64_t generation;
	uint64_t reserved;
};
_Static_assert(sizeof(struct osf_ckpt_head) == 32, "osf_ckpt_head layout");

struct osf_ckpt_obj {
	uint8_t id[16];
	uint64_t size;
	uint32_t kind;
	uint32_t flags;
	uint64_t npages;
	uint64_t reserved;
};
_Static_assert(sizeof(struct osf_ckpt_obj) == 48, "osf_ckpt_obj layout");

struct osf_ckpt_page {
	uint64_t page;
	uint64_t block;
	uint8_t hash[16];
};
_Static_assert(sizeof(struct osf_ckpt_page) == 32, "osf_ckpt_page layout");

#endif
