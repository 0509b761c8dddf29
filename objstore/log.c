/* log.c — appending chunks to the log, and reading them back.
 *
 * Writers add records to the open chunk in memory (a summary block and up
 * to 63 data blocks, ready to go to the device in one write). A chunk's place
 * is fixed when it opens, so a page's final block number is known as soon as
 * it is appended: the index points at it at once, and reads of blocks in the
 * open chunk are served from memory. A full chunk is sealed (its summary
 * filled in and hashed into the chain) and stays in the write buffer with
 * the chunks sealed before it, so the device sees writes of up to 1 MiB;
 * the buffer goes out when it is full, when the log changes segment, and at
 * commit, abort and the end of a checkpoint. Only commit and checkpoint
 * flush.
 *
 * The log moves to a new segment only when the current one is full, and
 * only to the segment that an earlier summary named as next_seg, because
 * that is the only place recovery will look. */
#include "os_internal.h"

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static struct osf_sum *chunk_sum(const struct os_chunk *c)
{
	return (struct osf_sum *)c->buf;
}

static struct osf_rec *chunk_recs(const struct os_chunk *c)
{
	return (struct osf_rec *)(c->buf + sizeof(struct osf_sum));
}

static int switch_segment(os_store *s, enum os_log_user who)
{
	struct os_head *h = &s->head;
	if (h->next_seg == OSF_NO_SEG)
		return TOY_ERR_NOSPC;
	/* Users leave the reserve to the cleaner and the checkpointer, and a
	 * segment the system had to take from it stays the system's. */
	bool low = seg_count_free(s) < seg_reserve_needed(s);
	if (who == LOG_USER && low)
		return TOY_ERR_NOSPC;
	h->reserve = low;
	h->seg = h->next_seg;
	h->block = seg_first_block(s, h->seg);
	h->next_seg = OSF_NO_SEG;
	return TOY_OK;
}

void log_reset(os_store *s)
{
	s->wbase = s->head.block;
}

/* Writes the sealed chunks in the buffer (never while a chunk is open). */
static int write_sealed(os_store *s)
{
	uint64_t n = s->head.block - s->wbase;
	if (n == 0)
		return TOY_OK;
	cache_forget(s, s->wbase, (uint32_t)n);
	int rc = s->env.dev.write(s->env.dev.ctx, s->wbase, (uint32_t)n, s->wbuf);
	if (rc != TOY_OK)
		return rc < 0 ? rc : TOY_ERR_IO;
	s->wbase = s->head.block;
	return TOY_OK;
}

static int chunk_open(os_store *s, enum os_log_user who)
{
	struct os_head *h = &s->head;
	uint64_t seg_end = seg_first_block(s, h->seg) + s->sb.seg_blocks;
	int rc = TOY_OK;
	if (h->block >= seg_end) {
		rc = write_sealed(s);
		if (rc == TOY_OK)
			rc = switch_segment(s, who);
		if (rc != TOY_OK)
			return rc;
		log_reset(s);
		seg_end = h->block + s->sb.seg_blocks;
	}
	if (h->block - s->wbase + OS_CHUNK_BLOCKS > OS_WBUF_BLOCKS)
		rc = write_sealed(s);
	if (rc != TOY_OK)
		return rc;
	/* Name the next segment as early as possible: recovery can only
	 * follow the log into a segment that a durable summary named. */
	if (h->next_seg == OSF_NO_SEG)
		h->next_seg = seg_pick_free(s);
	struct os_chunk *c = &s->chunk;
	c->open = true;
	c->block = h->block;
	c->buf = s->wbuf + (size_t)(h->block - s->wbase) * OSF_BLOCK_SIZE;
	c->cap_data = (uint32_t)min64(OSF_CHUNK_MAX_DATA, seg_end - h->block - 1);
	c->nrec = 0;
	c->ndata = 0;
	c->last_meta = -1;
	memset(c->buf, 0, OSF_BLOCK_SIZE);
	return TOY_OK;
}

static bool chunk_full(const struct os_chunk *c, bool needs_data)
{
	return c->nrec == OSF_SUM_MAX_RECS || (needs_data && c->ndata == c->cap_data);
}

/* Fills in the open chunk's summary and links it into the chain. */
static void seal_chunk(os_store *s)
{
	struct os_chunk *c = &s->chunk;
	struct osf_sum *sum = chunk_sum(c);
	sum->magic = OSF_SUM_MAGIC;
	memcpy(sum->nonce, s->sb.nonce, 16);
	sum->seq = s->head.seq;
	sum->prev_hash = s->head.prev_hash;
	sum->nrec = c->nrec;
	sum->ndata = c->ndata;
	sum->next_seg = s->head.next_seg;
	sum->epoch = (uint32_t)s->sb.epoch;
	sum->checksum = 0;
	sum->checksum = os_hash64(c->buf, OSF_BLOCK_SIZE);

	s->head.prev_hash = log_summary_hash(c->buf);
	s->segs[s->head.seg].last_seq = s->head.seq;
	s->head.seq++;
	s->head.block = c->block + 1 + c->ndata;
	s->blocks_since_ckpt += 1 + c->ndata;
	s->log_blocks += 1 + c->ndata;
	if (s->txn.open)
		s->txn.wrote_chunk = true;
	c->open = false;
}

int log_open(os_store *s, enum os_log_user who, bool needs_data)
{
	struct os_chunk *c = &s->chunk;
	if (who == LOG_USER && s->head.reserve) {
		/* Until cleaning has given the reserve back. */
		if (seg_count_free(s) < seg_reserve_needed(s))
			return TOY_ERR_NOSPC;
		s->head.reserve = false;
	}
	int rc = c->open ? TOY_OK : chunk_open(s, who);
	while (rc == TOY_OK && chunk_full(c, needs_data)) {
		seal_chunk(s);
		rc = chunk_open(s, who);
	}
	return rc;
}

/* A transaction that failed for lack of space left records in the log
 * without an end: its ABORT goes first, before anything else is logged. */
static int append_pending_abort(os_store *s, enum os_log_user who)
{
	if (!s->abort_pending)
		return TOY_OK;
	s->abort_pending = false;
	struct osf_rec abort = {.type = OSF_REC_ABORT};
	int rc = log_append(s, &abort, NULL, who, NULL);
	if (rc != TOY_OK)
		s->abort_pending = true;
	return rc;
}

int log_close_groups(os_store *s)
{
	int rc = append_pending_abort(s, LOG_SYSTEM);
	return rc == TOY_OK ? log_write_chunk(s) : rc;
}

int log_append(os_store *s, const struct osf_rec *rec, const void *data, enum os_log_user who,
	       uint64_t *data_block)
{
	struct os_chunk *c = &s->chunk;
	int rc = append_pending_abort(s, who);
	if (rc == TOY_OK)
		rc = log_open(s, who, data != NULL);
	if (rc != TOY_OK)
		return rc;
	struct osf_rec *r = &chunk_recs(c)[c->nrec];
	*r = *rec;
	if (data) {
		r->data = (uint16_t)c->ndata;
		memcpy(c->buf + (size_t)(1 + c->ndata) * OSF_BLOCK_SIZE, data, OSF_BLOCK_SIZE);
		*data_block = c->block + 1 + c->ndata;
		c->ndata++;
	}
	if (rec->type == OSF_REC_META || rec->type == OSF_REC_DELETE)
		c->last_meta = (int)c->nrec;
	c->nrec++;
	return TOY_OK;
}

uint64_t log_summary_hash(const void *summary_block)
{
	return os_hash64(summary_block, OSF_BLOCK_SIZE);
}

int log_write_chunk(os_store *s)
{
	if (s->chunk.open)
		seal_chunk(s);
	return write_sealed(s);
}

void log_discard_chunk(os_store *s)
{
	s->chunk.open = false;
}

uint8_t *log_chunk_data(os_store *s, uint64_t block)
{
	/* Sealed chunks not yet written, and the open chunk, are contiguous
	 * from wbase on. */
	struct os_chunk *c = &s->chunk;
	uint64_t end = c->open ? c->block + 1 + c->ndata : s->head.block;
	if (block < s->wbase || block >= end)
		return NULL;
	return s->wbuf + (size_t)(block - s->wbase) * OSF_BLOCK_SIZE;
}

bool log_rewrite_page(os_store *s, uint64_t block, const void *data, const uint8_t hash[16],
		      uint64_t size)
{
	struct os_chunk *c = &s->chunk;
	if (!c->open || block <= c->block || block > c->block + c->ndata)
		return false;
	uint8_t *dst = log_chunk_data(s, block);
	uint16_t slot = (uint16_t)(block - c->block - 1);
	struct osf_rec *recs = chunk_recs(c);
	for (int i = (int)c->nrec - 1; i > c->last_meta; i--) {
		if (recs[i].type != OSF_REC_PAGE || recs[i].data != slot)
			continue;
		/* No META or DELETE follows it in the log: changing it in
		 * place replays the same as appending a new record. */
		memcpy(dst, data, OSF_BLOCK_SIZE);
		memcpy(recs[i].hash, hash, 16);
		recs[i].arg0 = size;
		return true;
	}
	return false;
}

/* --- reading ------------------------------------------------------------ */

static bool sum_checksum_ok(uint8_t *block)
{
	struct osf_sum *sum = (struct osf_sum *)block;
	uint64_t want = sum->checksum;
	sum->checksum = 0;
	uint64_t got = os_hash64(block, OSF_BLOCK_SIZE);
	sum->checksum = want;
	return got == want;
}

static bool sum_header_ok(const os_store *s, uint8_t *block, uint64_t seq, uint64_t prev)
{
	struct osf_sum sum;
	memcpy(&sum, block, sizeof(sum));
	if (sum.magic != OSF_SUM_MAGIC || memcmp(sum.nonce, s->sb.nonce, 16) != 0)
		return false;
	if (sum.seq != seq || sum.prev_hash != prev)
		return false;
	if (sum.nrec > OSF_SUM_MAX_RECS || sum.ndata > OSF_CHUNK_MAX_DATA)
		return false;
	if (sum.next_seg != OSF_NO_SEG && sum.next_seg >= s->sb.nsegs)
		return false;
	return sum_checksum_ok(block);
}

static bool rec_data_ok(const os_store *s, const struct osf_rec *r, const uint8_t *buf,
			uint32_t ndata, uint64_t *used)
{
	if (r->type != OSF_REC_PAGE && r->type != OSF_REC_CKPT)
		return r->type >= OSF_REC_PAGE && r->type <= OSF_REC_CKPT_END;
	if (r->data >= ndata || (*used >> r->data) & 1 || r->len > OSF_BLOCK_SIZE)
		return false;
	if (r->type == OSF_REC_PAGE && r->len != OSF_BLOCK_SIZE)
		return false;
	*used |= 1ull << r->data;
	uint8_t h[16];
	os_hash128(s, buf + (size_t)(1 + r->data) * OSF_BLOCK_SIZE, OSF_BLOCK_SIZE, h);
	return memcmp(h, r->hash, 16) == 0;
}

int log_read_chunk(os_store *s, uint64_t block, uint64_t seq, uint64_t prev, struct osf_sum *sum)
{
	uint64_t area_end = s->sb.seg_start + (uint64_t)s->sb.nsegs * s->sb.seg_blocks;
	if (block < s->sb.seg_start || block >= area_end)
		return TOY_ERR_CORRUPT;
	uint64_t seg_end = seg_first_block(s, seg_of(s, block)) + s->sb.seg_blocks;
	uint8_t *buf = s->rbuf;
	int rc = s->env.dev.read(s->env.dev.ctx, block, 1, buf);
	if (rc != TOY_OK)
		return rc < 0 ? rc : TOY_ERR_IO;
	if (!sum_header_ok(s, buf, seq, prev))
		return TOY_ERR_CORRUPT;
	memcpy(sum, buf, sizeof(*sum));
	if (block + 1 + sum->ndata > seg_end)
		return TOY_ERR_CORRUPT;
	if (sum->ndata > 0) {
		rc = s->env.dev.read(s->env.dev.ctx, block + 1, sum->ndata, buf + OSF_BLOCK_SIZE);
		if (rc != TOY_OK)
			return rc < 0 ? rc : TOY_ERR_IO;
	}
	const struct osf_rec *recs = (const struct osf_rec *)(buf + sizeof(struct osf_sum));
	uint64_t used = 0;
	for (uint32_t i = 0; i < sum->nrec; i++)
		if (!rec_data_ok(s, &recs[i], buf, sum->ndata, &used))
			return TOY_ERR_CORRUPT;
	return TOY_OK;
}
