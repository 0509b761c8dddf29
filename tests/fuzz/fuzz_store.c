/* fuzz_store.c — libFuzzer over store images.
 *
 * Raw random bytes almost never pass a superblock checksum, so the input is a
 * sparse patch over a valid image instead: a small store with objects, an
 * index checkpoint and a log tail after it (the image is taken before
 * unmount, so mount has to replay). Input layout:
 *
 *   byte 0       mode: bit 0 mount read-write, bit 1 truncate the device,
 *                bit 2 re-seal checksums after patching
 *   bytes 1-2    (bit 1) blocks to keep, modulo the image size
 *   then         patches: offset (3 bytes: modulo the image size, or with
 *                bit 23 set, byte 0 picks a summary block of the image and
 *                bits 8-22 the offset from it), length (1 byte), that many
 *                bytes written over the image
 *
 * With bit 2 the harness recomputes, after patching, every checksum a patch
 * broke: data-block hashes in records, summary checksums and the prev_hash
 * chain, superblock checksums. The fuzzer then reaches the code that decodes
 * fields checksums vouch for (record types, lengths, block numbers, the
 * checkpoint stream), which must still not trust them.
 *
 * Each input is mounted, checked, read in full (iterate, read, page_hash),
 * and, read-write, also written, checkpointed, cleaned and unmounted. Any
 * crash or sanitizer report is a bug: disk bytes are untrusted. */
#include "memdev.h"

#include <objstore/format.h>
#include <objstore/objstore.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#define SEG_BLOCKS  8
#define NSEGS       8
#define NBLOCKS     (2 + SEG_BLOCKS * NSEGS)
#define IMAGE_BYTES ((size_t)NBLOCKS * OS_BLOCK_SIZE)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *base;

static toy_id fid(unsigned n)
{
	toy_id id = toy_id_reserved(n);
	id.b[15] = 0x77;
	return id;
}

static void put(os_store *s, unsigned n, uint64_t off, size_t len, uint8_t v)
{
	toy_id id = fid(n);
	struct os_stat st;
	uint8_t *buf = malloc(len);
	memset(buf, v, len);
	if (os_begin(s) != 0)
		abort();
	if (os_stat(s, &id, &st) != 0 && os_create(s, &id, n) != 0)
		abort();
	if (os_write(s, &id, off, buf, len) != 0 || os_commit(s, NULL) != 0)
		abort();
	free(buf);
}

static void build_base(void)
{
	struct memdev m;
	struct os_env env;
	struct os_format_opts opts = {SEG_BLOCKS};
	os_store *s;
	if (memdev_init(&m, NBLOCKS) != 0)
		abort();
	memdev_env(&m, &env);
	if (os_format(&env, &opts) != 0 || os_mount(&env, 0, &s) != 0)
		abort();
	put(s, 1, 0, 3 * OS_PAGE_SIZE, 0x11);
	put(s, 2, 100, 50, 0x22);
	put(s, 3, 5 * OS_PAGE_SIZE, OS_PAGE_SIZE, 0x33);
	if (os_checkpoint(s) != 0)
		abort();
	put(s, 1, OS_PAGE_SIZE, 10, 0x44);
	put(s, 4, 0, 2 * OS_PAGE_SIZE + 1, 0x55);
	base = malloc(IMAGE_BYTES);
	memcpy(base, m.data, IMAGE_BYTES);
	os_unmount(s);
	memdev_free(&m);
}

static int read_cb(void *arg, const toy_id *id, const struct os_stat *st)
{
	os_store *s = arg;
	uint8_t buf[OS_PAGE_SIZE], h[16];
	for (uint64_t off = 0; off < st->size && off < (256u << 10); off += sizeof(buf)) {
		(void)os_read(s, id, off, buf, sizeof(buf));
		(void)os_page_hash(s, id, off / OS_PAGE_SIZE, h);
	}
	return 0;
}

static void write_some(os_store *s)
{
	toy_id id = fid(9), old = fid(1);
	uint8_t buf[OS_PAGE_SIZE + 7];
	memset(buf, 0x99, sizeof(buf));
	if (os_begin(s) != 0)
		return;
	(void)os_create(s, &id, 9);
	(void)os_write(s, &id, 10, buf, sizeof(buf));
	(void)os_set_size(s, &old, 100);
	(void)os_delete(s, &(toy_id){0});
	(void)os_commit(s, NULL);
	(void)os_checkpoint(s);
	(void)os_clean(s, NULL);
}

/* The patch's target: with bit 7 of the third byte set, relative to the
 * first byte's k-th summary block of the base image (records, checkpoint
 * data right behind it), else absolute. */
static size_t patch_offset(const uint8_t *p)
{
	if (!(p[2] & 0x80))
		return ((size_t)p[0] | (size_t)p[1] << 8 | (size_t)p[2] << 16) % IMAGE_BYTES;
	size_t rel = (size_t)p[1] | (size_t)(p[2] & 0x7f) << 8;
	size_t nsum = 0, b;
	for (b = OSF_SUPER_BLOCKS; b < NBLOCKS; b++) {
		uint64_t magic;
		memcpy(&magic, base + b * OSF_BLOCK_SIZE, sizeof(magic));
		nsum += magic == OSF_SUM_MAGIC;
	}
	size_t k = nsum ? p[0] % nsum : 0;
	for (b = OSF_SUPER_BLOCKS; b < NBLOCKS; b++) {
		uint64_t magic;
		memcpy(&magic, base + b * OSF_BLOCK_SIZE, sizeof(magic));
		if (magic == OSF_SUM_MAGIC && k-- == 0)
			break;
	}
	return (b * OSF_BLOCK_SIZE + rel) % IMAGE_BYTES;
}

static void apply_patches(uint8_t *img, const uint8_t *p, size_t n)
{
	while (n >= 4) {
		size_t off = patch_offset(p);
		size_t len = p[3];
		p += 4;
		n -= 4;
		if (len > n)
			len = n;
		if (len > IMAGE_BYTES - off)
			len = IMAGE_BYTES - off;
		memcpy(img + off, p, len);
		p += len;
		n -= len;
	}
}

struct sumref {
	uint8_t *blk;
	uint64_t block, seq, old_hash, new_hash;
};

static void reseal_records(uint8_t *img, uint64_t nblocks, struct sumref *r)
{
	struct osf_sum *sum = (struct osf_sum *)r->blk;
	struct osf_rec *rec = (struct osf_rec *)(r->blk + sizeof(*sum));
	uint32_t nrec = sum->nrec < OSF_SUM_MAX_RECS ? sum->nrec : OSF_SUM_MAX_RECS;
	for (uint32_t i = 0; i < nrec; i++) {
		uint64_t b = r->block + 1 + rec[i].data;
		if ((rec[i].type != OSF_REC_PAGE && rec[i].type != OSF_REC_CKPT) ||
		    rec[i].data >= sum->ndata || b >= nblocks)
			continue;
		XXH128_hash_t h = XXH3_128bits(img + b * OSF_BLOCK_SIZE, OSF_BLOCK_SIZE);
		memcpy(rec[i].hash, &h.low64, 8);
		memcpy(rec[i].hash + 8, &h.high64, 8);
	}
}

static int by_seq(const void *a, const void *b)
{
	const struct sumref *x = a, *y = b;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Re-seals summaries in log order so the prev_hash chain stays linked. */
static size_t reseal_summaries(uint8_t *img, uint64_t nblocks, struct sumref *refs)
{
	size_t n = 0;
	for (uint64_t b = OSF_SUPER_BLOCKS; b < nblocks; b++) {
		struct osf_sum *sum = (struct osf_sum *)(img + b * OSF_BLOCK_SIZE);
		if (sum->magic != OSF_SUM_MAGIC)
			continue;
		refs[n] = (struct sumref){(uint8_t *)sum, b, sum->seq, 0, 0};
		refs[n].old_hash = XXH3_64bits(sum, OSF_BLOCK_SIZE);
		n++;
	}
	qsort(refs, n, sizeof(*refs), by_seq);
	for (size_t i = 0; i < n; i++) {
		struct osf_sum *sum = (struct osf_sum *)refs[i].blk;
		reseal_records(img, nblocks, &refs[i]);
		for (size_t k = 0; k < i; k++)
			if (refs[k].seq + 1 == refs[i].seq && sum->prev_hash == refs[k].old_hash)
				sum->prev_hash = refs[k].new_hash;
		sum->checksum = 0;
		sum->checksum = XXH3_64bits(sum, OSF_BLOCK_SIZE);
		refs[i].new_hash = XXH3_64bits(sum, OSF_BLOCK_SIZE);
	}
	return n;
}

static void reseal(uint8_t *img, uint64_t nblocks)
{
	static struct sumref refs[NBLOCKS];
	size_t n = reseal_summaries(img, nblocks, refs);
	for (uint64_t b = 0; b < OSF_SUPER_BLOCKS && b < nblocks; b++) {
		struct osf_super *sb = (struct osf_super *)(img + b * OSF_BLOCK_SIZE);
		if (sb->magic != OSF_SUPER_MAGIC)
			continue;
		for (size_t i = 0; i < n; i++)
			if (sb->ckpt_prev == refs[i].old_hash)
				sb->ckpt_prev = refs[i].new_hash;
		sb->checksum = XXH3_64bits(sb, __builtin_offsetof(struct osf_super, checksum));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct memdev m;
	struct os_env env;
	os_store *s;
	char msg[200];
	if (base == NULL)
		build_base();
	static uint8_t *work; /* reused: a fresh 264 KiB buffer per run is slow under ASan */
	if (size < 1)
		return 0;
	if (work == NULL && (work = malloc(IMAGE_BYTES)) == NULL)
		abort();
	memcpy(work, base, IMAGE_BYTES);
	memset(&m, 0, sizeof(m));
	m.data = work;
	m.nblocks = NBLOCKS;
	uint8_t mode = data[0];
	data++;
	size--;
	if ((mode & 2) && size >= 2) {
		m.nblocks = ((uint64_t)data[0] | (uint64_t)data[1] << 8) % NBLOCKS;
		data += 2;
		size -= 2;
	}
	apply_patches(m.data, data, size);
	if (mode & 4)
		reseal(m.data, m.nblocks);
	memdev_env(&m, &env);
	if (os_mount(&env, (mode & 1) ? 0 : OS_MOUNT_RDONLY, &s) == 0) {
		(void)os_check(s, msg, sizeof(msg));
		(void)os_iterate(s, read_cb, s);
		if (mode & 1)
			write_some(s);
		(void)os_unmount(s);
	}
	return 0;
}
