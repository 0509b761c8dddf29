/* mount.c — format, mount (checkpoint load and log replay), unmount.
 *
 * Mount reads the newest valid superblock, loads the checkpoint it points
 * to, then follows the chain of chunks after it. Each chunk must carry the
 * next sequence number and the hash of its predecessor's summary, or the
 * log ends there. The chunk after another lies right behind it or at the
 * start of the segment its predecessor named as next_seg; stale chunks in
 * either place fail the chain test. Records are replayed through txn.c:
 * COMMIT makes a group final, ABORT or the end of the log undoes it.
 *
 * A read-write mount then continues the log at the end of the last complete
 * group (any uncommitted tail is overwritten) and records a new epoch in the
 * superblock, so no chunk it writes can be mistaken for one left from before
 * the crash. */
#include "os_internal.h"

void *os_alloc(os_store *s, size_t size)
{
	return s->env.alloc(s->env.mem_ctx, size);
}

void os_free(os_store *s, void *p)
{
	if (p)
		s->env.free(s->env.mem_ctx, p);
}

static void store_free_state(os_store *s)
{
	if (s->txn.open)
		txn_rollback(s);
	idx_free(s, &s->objs);
	txn_free(s);
	os_free(s, s->segs);
	s->segs = NULL;
}

static void store_free(os_store *s)
{
	store_free_state(s);
	cache_free(s);
	os_free(s, s->wbuf);
	os_free(s, s->rbuf);
	os_free(s, s->scratch);
	s->env.free(s->env.mem_ctx, s);
}

static int store_new(const struct os_env *env, os_store **out)
{
	os_store *s = env->alloc(env->mem_ctx, sizeof(*s));
	if (!s)
		return TOY_ERR_NOMEM;
	memset(s, 0, sizeof(*s));
	s->env = *env;
	s->wbuf = os_alloc(s, (size_t)OS_WBUF_BLOCKS * OSF_BLOCK_SIZE);
	s->rbuf = os_alloc(s, (size_t)OS_CHUNK_BLOCKS * OSF_BLOCK_SIZE);
	s->scratch = os_alloc(s, OSF_BLOCK_SIZE);
	if (!s->wbuf || !s->rbuf || !s->scratch) {
		store_free(s);
		return TOY_ERR_NOMEM;
	}
	*out = s;
	return TOY_OK;
}

static int alloc_segs(os_store *s)
{
	size_t size = (size_t)s->sb.nsegs * sizeof(struct os_seg);
	s->segs = os_alloc(s, size);
	if (!s->segs)
		return TOY_ERR_NOMEM;
	memset(s->segs, 0, size);
	return TOY_OK;
}

/* --- format ------------------------------------------------------------------ */

static int format_geometry(os_store *s, const struct os_format_opts *opts)
{
	uint32_t seg_blocks = opts && opts->seg_blocks ? opts->seg_blocks : 256;
	if (seg_blocks < 8 || seg_blocks > (1u << 20) || (seg_blocks & (seg_blocks - 1)))
		return TOY_ERR_INVAL;
	uint64_t nblocks = s->env.dev.nblocks;
	if (nblocks < OSF_SUPER_BLOCKS + 4ull * seg_blocks)
		return TOY_ERR_NOSPC;
	uint64_t nsegs = (nblocks - OSF_SUPER_BLOCKS) / seg_blocks;
	struct osf_super *sb = &s->sb;
	sb->magic = OSF_SUPER_MAGIC;
	sb->version = OSF_VERSION;
	sb->block_size = OSF_BLOCK_SIZE;
	sb->nblocks = nblocks;
	sb->seg_start = OSF_SUPER_BLOCKS;
	sb->seg_blocks = seg_blocks;
	sb->nsegs = nsegs > 0xfffffff0u ? 0xfffffff0u : (uint32_t)nsegs;
	sb->ckpt_seq = 1;
	return s->env.random(s->env.mem_ctx, sb->nonce, 16);
}

static int zero_superblocks(os_store *s)
{
	memset(s->scratch, 0, OSF_BLOCK_SIZE);
	int rc = s->env.dev.write(s->env.dev.ctx, 0, 1, s->scratch);
	if (rc == TOY_OK)
		rc = s->env.dev.write(s->env.dev.ctx, 1, 1, s->scratch);
	if (rc == TOY_OK)
		rc = s->env.dev.flush(s->env.dev.ctx);
	return rc;
}

int os_format(const struct os_env *env, const struct os_format_opts *opts)
{
	if (!env->random)
		return TOY_ERR_NOTSUP;
	os_store *s;
	int rc = store_new(env, &s);
	if (rc != TOY_OK)
		return rc;
	rc = format_geometry(s, opts);
	if (rc == TOY_OK)
		rc = alloc_segs(s);
	if (rc == TOY_OK)
		rc = zero_superblocks(s);
	if (rc == TOY_OK) {
		s->head = (struct os_head){
		    .seg = 0, .block = s->sb.seg_start, .next_seg = 1, .seq = 1, .prev_hash = 0};
		log_reset(s);
		rc = ckpt_write(s);
	}
	store_free(s);
	return rc;
}

/* --- replay ------------------------------------------------------------------ */

struct replay {
	uint64_t block; /* where the current chunk is */
	struct osf_sum sum;
	struct os_head clean; /* the log head after the last complete group */
	struct os_ckpt_loader *loader;
	bool in_ckpt;
};

static int replay_meta(os_store *s, const struct osf_rec *r, const toy_id *id)
{
	uint32_t kind = (uint32_t)r->arg1, flags = (uint32_t)(r->arg1 >> 32);
	if (r->arg0 > OS_MAX_SIZE)
		return TOY_ERR_CORRUPT;
	struct os_obj *o = idx_find(&s->objs, id);
	int rc = TOY_OK;
	if (!o)
		rc = txn_create(s, id, kind, flags, &o);
	if (rc == TOY_OK)
		rc = txn_set_meta(s, o, r->arg0, kind, flags);
	return rc;
}

static int replay_page(os_store *s, const struct osf_rec *r, const toy_id *id, uint64_t block)
{
	struct os_obj *o = idx_find(&s->objs, id);
	if (!o || r->arg0 > OS_MAX_SIZE || r->page >= pages_for_size(r->arg0))
		return TOY_ERR_CORRUPT;
	int rc = txn_put_page(s, o, r->page, block, r->hash);
	if (rc == TOY_OK && r->arg0 > o->size)
		rc = txn_set_meta(s, o, r->arg0, o->kind, o->flags);
	return rc;
}

static int replay_commit(os_store *s, const struct osf_rec *r)
{
	if (r->arg0 != s->generation + 1)
		return TOY_ERR_CORRUPT;
	txn_finish(s);
	s->generation = r->arg0;
	return TOY_OK;
}

static int replay_change(os_store *s, const struct osf_rec *r, uint64_t block)
{
	toy_id id;
	memcpy(id.b, r->id, 16);
	if (toy_id_is_nil(&id))
		return TOY_ERR_CORRUPT;
	if (!s->txn.open)
		txn_begin(s);
	switch (r->type) {
	case OSF_REC_PAGE: return replay_page(s, r, &id, block);
	case OSF_REC_META: return replay_meta(s, r, &id);
	default:
		if (!idx_find(&s->objs, &id))
			return TOY_ERR_CORRUPT;
		return txn_delete(s, idx_find(&s->objs, &id));
	}
}

static int replay_ckpt_rec(os_store *s, struct replay *rp, const struct osf_rec *r,
			   const uint8_t *data)
{
	if (!rp->in_ckpt)
		return TOY_OK; /* a later checkpoint whose superblock never came */
	if (r->type == OSF_REC_CKPT)
		return ckpt_loader_feed(rp->loader, data, r->len);
	int rc = ckpt_loader_finish(rp->loader, r->arg0, r->arg1);
	if (rc == TOY_OK && r->arg0 != s->sb.ckpt_gen)
		rc = TOY_ERR_CORRUPT;
	s->generation = r->arg0;
	rp->in_ckpt = false;
	return rc;
}

static int replay_rec(os_store *s, struct replay *rp, const struct osf_rec *r)
{
	const uint8_t *data = s->rbuf + (size_t)(1 + r->data) * OSF_BLOCK_SIZE;
	bool is_ckpt = r->type == OSF_REC_CKPT || r->type == OSF_REC_CKPT_END;
	if (rp->in_ckpt && !is_ckpt)
		return TOY_ERR_CORRUPT; /* the checkpoint run must come first, whole */
	if (is_ckpt)
		return s->txn.open ? TOY_ERR_CORRUPT : replay_ckpt_rec(s, rp, r, data);
	switch (r->type) {
	case OSF_REC_COMMIT: return s->txn.open ? replay_commit(s, r) : TOY_ERR_CORRUPT;
	case OSF_REC_ABORT:
		if (s->txn.open)
			txn_rollback(s);
		return TOY_OK;
	default: return replay_change(s, r, rp->block + 1 + r->data);
	}
}

static int replay_chunk(os_store *s, struct replay *rp)
{
	const struct osf_rec *recs = (const struct osf_rec *)(s->rbuf + sizeof(struct osf_sum));
	for (uint32_t i = 0; i < rp->sum.nrec; i++) {
		int rc = replay_rec(s, rp, &recs[i]);
		if (rc != TOY_OK)
			return rc;
	}
	uint32_t seg = seg_of(s, rp->block);
	s->segs[seg].last_seq = rp->sum.seq;
	if (!s->txn.open && !rp->in_ckpt) {
		rp->clean = (struct os_head){.seg = seg,
					     .block = rp->block + 1 + rp->sum.ndata,
					     .next_seg = rp->sum.next_seg,
					     .seq = rp->sum.seq + 1,
					     .prev_hash = log_summary_hash(s->rbuf)};
	}
	return TOY_OK;
}

/* Finds and reads the chunk after the one just replayed. */
static bool next_chunk(os_store *s, struct replay *rp)
{
	uint64_t seq = rp->sum.seq + 1, prev = log_summary_hash(s->rbuf);
	uint64_t after = rp->block + 1 + rp->sum.ndata;
	uint32_t next_seg = rp->sum.next_seg;
	if (after < seg_first_block(s, seg_of(s, rp->block)) + s->sb.seg_blocks &&
	    log_read_chunk(s, after, seq, prev, &rp->sum) == TOY_OK) {
		rp->block = after;
		return true;
	}
	if (next_seg == OSF_NO_SEG)
		return false;
	uint64_t start = seg_first_block(s, next_seg);
	if (log_read_chunk(s, start, seq, prev, &rp->sum) != TOY_OK)
		return false;
	rp->block = start;
	return true;
}

static int replay_log(os_store *s)
{
	struct replay rp = {.block = s->sb.ckpt_block, .in_ckpt = true};
	int rc = ckpt_loader_new(s, &rp.loader);
	if (rc != TOY_OK)
		return rc;
	rc = log_read_chunk(s, rp.block, s->sb.ckpt_seq, s->sb.ckpt_prev, &rp.sum);
	while (rc == TOY_OK) {
		rc = replay_chunk(s, &rp);
		if (rc != TOY_OK || !next_chunk(s, &rp))
			break;
	}
	if (rc == TOY_OK && rp.in_ckpt)
		rc = TOY_ERR_CORRUPT; /* the checkpoint itself is incomplete */
	ckpt_loader_free(rp.loader);
	if (s->txn.open)
		txn_rollback(s);
	s->head = rp.clean;
	log_reset(s);
	return rc;
}

/* --- mount ------------------------------------------------------------------- */

/* Blocks the next checkpoint will take, from the index's size. */
static uint64_t ckpt_estimate_blocks(const os_store *s)
{
	uint64_t pages = 0;
	for (uint64_t i = 0; i < s->objs.cap; i++)
		pages += s->objs.slots[i].pages.count;
	uint64_t bytes = sizeof(struct osf_ckpt_head) +
			 s->objs.count * sizeof(struct osf_ckpt_obj) +
			 pages * sizeof(struct osf_ckpt_page) + (uint64_t)s->sb.nsegs * 8;
	return 2 + bytes / OSF_BLOCK_SIZE;
}

static int mount_from(os_store *s, const struct osf_super *sb)
{
	store_free_state(s);
	s->sb = *sb;
	s->generation = sb->ckpt_gen;
	int rc = alloc_segs(s);
	if (rc == TOY_OK)
		rc = replay_log(s);
	return rc;
}

/* A read-write mount starts a new epoch: chunks it writes carry it, and
 * before anything else it seals the log with an empty chunk at the head.
 * Whatever the log held past the head (a torn or uncommitted tail) can then
 * never be joined to the chain again, not even if later writes happen to
 * complete a torn stale chunk with identical bytes. One flush covers both. */
static int start_epoch(os_store *s)
{
	s->sb.epoch++;
	int rc = log_open(s, LOG_SYSTEM, false);
	if (rc == TOY_OK)
		rc = log_write_chunk(s);
	if (rc == TOY_ERR_NOSPC)
		rc = TOY_OK; /* a full log cannot grow a tail to confuse either */
	if (rc != TOY_OK)
		return rc;
	return super_write(s, s->sb.ckpt_block, s->sb.ckpt_seq, s->sb.ckpt_prev, s->sb.ckpt_gen,
			   s->sb.epoch);
}

int os_mount(const struct os_env *env, unsigned flags, os_store **out)
{
	os_store *s;
	int rc = store_new(env, &s);
	if (rc != TOY_OK)
		return rc;
	s->rdonly = (flags & OS_MOUNT_RDONLY) != 0;
	struct osf_super best, other;
	bool have_other = false;
	rc = super_read_best(s, &best, &other, &have_other);
	if (rc == TOY_OK)
		rc = mount_from(s, &best);
	if (rc == TOY_ERR_CORRUPT && have_other)
		rc = mount_from(s, &other);
	if (rc == TOY_OK)
		rc = cache_init(s, env->cache_blocks);
	if (rc == TOY_OK && !s->rdonly)
		rc = start_epoch(s);
	if (rc != TOY_OK) {
		store_free(s);
		return rc;
	}
	s->ckpt_blocks_est = ckpt_estimate_blocks(s);
	s->maintained_seg = OSF_NO_SEG;
	*out = s;
	return TOY_OK;
}

int os_unmount(os_store *s)
{
	int rc = TOY_OK;
	os_abort(s);
	if (!s->rdonly && !s->failed && s->blocks_since_ckpt > 0)
		rc = ckpt_write(s);
	store_free(s);
	return rc;
}
