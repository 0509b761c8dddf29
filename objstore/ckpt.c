/* ckpt.c — index checkpoints: the whole index, serialized into the log.
 *
 * A checkpoint is a byte stream (layout in format.h: a head, each object
 * followed by its pages, then the segment table) cut into data blocks of
 * CKPT records and closed by CKPT_END. Once it is durable the superblock is
 * pointed at its first chunk, and from then on mount loads it and replays
 * only the log after it. The loader trusts nothing: counts, page numbers and
 * block addresses are checked as they arrive. */
#include "os_internal.h"

/* --- writing ---------------------------------------------------------------- */

struct ckpt_writer {
	os_store *s;
	uint8_t *block;
	uint32_t used;
	uint64_t total;
	int rc;
};

static void cw_flush_block(struct ckpt_writer *w)
{
	if (w->rc != TOY_OK || w->used == 0)
		return;
	struct osf_rec rec = {.type = OSF_REC_CKPT, .len = w->used};
	memset(w->block + w->used, 0, OSF_BLOCK_SIZE - w->used);
	os_hash128(w->s, w->block, OSF_BLOCK_SIZE, rec.hash);
	uint64_t where;
	w->rc = log_append(w->s, &rec, w->block, LOG_SYSTEM, &where);
	w->used = 0;
}

static void cw_put(struct ckpt_writer *w, const void *data, uint32_t len)
{
	const uint8_t *p = data;
	w->total += len;
	while (len > 0 && w->rc == TOY_OK) {
		uint32_t n = OSF_BLOCK_SIZE - w->used;
		n = n < len ? n : len;
		memcpy(w->block + w->used, p, n);
		w->used += n;
		p += n;
		len -= n;
		if (w->used == OSF_BLOCK_SIZE)
			cw_flush_block(w);
	}
}

static void cw_object(struct ckpt_writer *w, const struct os_obj *o)
{
	struct osf_ckpt_obj e = {
	    .size = o->size, .kind = o->kind, .flags = o->flags, .npages = o->pages.count};
	memcpy(e.id, o->id.b, 16);
	cw_put(w, &e, sizeof(e));
	for (uint32_t i = 0; i < o->pages.cap; i++) {
		const struct os_page *p = &o->pages.slots[i];
		if (p->block == OS_NO_BLOCK)
			continue;
		struct osf_ckpt_page pe = {.page = p->page, .block = p->block};
		memcpy(pe.hash, p->hash, 16);
		cw_put(w, &pe, sizeof(pe));
	}
}

static void cw_stream(struct ckpt_writer *w, os_store *s)
{
	struct osf_ckpt_head head = {
	    .nobjects = s->objs.count, .nsegs = s->sb.nsegs, .generation = s->generation};
	cw_put(w, &head, sizeof(head));
	for (uint64_t i = 0; i < s->objs.cap; i++)
		if (!toy_id_is_nil(&s->objs.slots[i].id))
			cw_object(w, &s->objs.slots[i]);
	for (uint32_t i = 0; i < s->sb.nsegs; i++)
		cw_put(w, &s->segs[i].last_seq, sizeof(uint64_t));
	cw_flush_block(w);
}

int ckpt_write(os_store *s)
{
	struct ckpt_writer w = {.s = s, .block = os_alloc(s, OSF_BLOCK_SIZE)};
	if (!w.block)
		return TOY_ERR_NOMEM;
	uint64_t log_before = s->log_blocks;
	/* A checkpoint run holds CKPT records only. */
	w.rc = log_close_groups(s);
	if (w.rc == TOY_OK)
		w.rc = log_open(s, LOG_SYSTEM, true);
	/* The superblock will point at this first chunk of the run. */
	uint64_t start_block = s->chunk.block;
	uint64_t start_seq = s->head.seq, start_prev = s->head.prev_hash;
	cw_stream(&w, s);
	uint64_t where;
	if (w.rc == TOY_OK) {
		struct osf_rec end = {
		    .type = OSF_REC_CKPT_END, .arg0 = s->generation, .arg1 = w.total};
		w.rc = log_append(s, &end, NULL, LOG_SYSTEM, &where);
	}
	if (w.rc == TOY_OK)
		w.rc = log_write_chunk(s);
	if (w.rc == TOY_OK)
		w.rc = s->env.dev.flush(s->env.dev.ctx);
	if (w.rc == TOY_OK)
		w.rc =
		    super_write(s, start_block, start_seq, start_prev, s->generation, s->sb.epoch);
	if (w.rc == TOY_OK) {
		s->ckpt_blocks_est = s->log_blocks - log_before;
		s->blocks_since_ckpt = 0;
	} else {
		log_discard_chunk(s);
	}
	os_free(s, w.block);
	return w.rc;
}

/* --- loading ---------------------------------------------------------------- */

enum loader_state { LS_HEAD, LS_OBJ, LS_PAGE, LS_SEG, LS_DONE };

struct os_ckpt_loader {
	os_store *s;
	enum loader_state state;
	uint8_t entry[sizeof(struct osf_ckpt_obj)];
	uint32_t have, need;
	uint64_t objects_left, pages_left, segs_done, total;
	struct osf_ckpt_head head;
	struct os_obj *obj; /* the object whose pages are arriving */
};

int ckpt_loader_new(os_store *s, struct os_ckpt_loader **out)
{
	struct os_ckpt_loader *l = os_alloc(s, sizeof(*l));
	if (!l)
		return TOY_ERR_NOMEM;
	memset(l, 0, sizeof(*l));
	l->s = s;
	l->state = LS_HEAD;
	l->need = sizeof(struct osf_ckpt_head);
	*out = l;
	return TOY_OK;
}

void ckpt_loader_free(struct os_ckpt_loader *l)
{
	if (l)
		os_free(l->s, l);
}

static void expect_next(struct os_ckpt_loader *l)
{
	if (l->pages_left > 0) {
		l->state = LS_PAGE;
		l->need = sizeof(struct osf_ckpt_page);
	} else if (l->objects_left > 0) {
		l->state = LS_OBJ;
		l->need = sizeof(struct osf_ckpt_obj);
	} else if (l->segs_done < l->head.nsegs) {
		l->state = LS_SEG;
		l->need = sizeof(uint64_t);
	} else {
		l->state = LS_DONE;
		l->need = 0;
	}
}

static int load_head(struct os_ckpt_loader *l)
{
	memcpy(&l->head, l->entry, sizeof(l->head));
	if (l->head.nsegs != l->s->sb.nsegs)
		return TOY_ERR_CORRUPT;
	l->objects_left = l->head.nobjects;
	return TOY_OK;
}

static int load_obj(struct os_ckpt_loader *l)
{
	struct osf_ckpt_obj e;
	toy_id id;
	memcpy(&e, l->entry, sizeof(e));
	memcpy(id.b, e.id, 16);
	if (toy_id_is_nil(&id) || e.size > OS_MAX_SIZE || e.npages > pages_for_size(e.size))
		return TOY_ERR_CORRUPT;
	if (idx_find(&l->s->objs, &id))
		return TOY_ERR_CORRUPT;
	int rc = idx_reserve(l->s, &l->s->objs, 1);
	if (rc != TOY_OK)
		return rc;
	l->obj = idx_insert(&l->s->objs, &id);
	l->obj->size = e.size;
	l->obj->kind = e.kind;
	l->obj->flags = e.flags;
	l->objects_left--;
	l->pages_left = e.npages;
	return TOY_OK;
}

static bool block_in_log(const os_store *s, uint64_t block)
{
	return block >= s->sb.seg_start &&
	       block < s->sb.seg_start + (uint64_t)s->sb.nsegs * s->sb.seg_blocks;
}

static int load_page(struct os_ckpt_loader *l)
{
	struct osf_ckpt_page e;
	memcpy(&e, l->entry, sizeof(e));
	struct os_obj *o = l->obj;
	if (e.page >= pages_for_size(o->size) || !block_in_log(l->s, e.block))
		return TOY_ERR_CORRUPT;
	if (pmap_find(&o->pages, e.page))
		return TOY_ERR_CORRUPT;
	int rc = pmap_reserve(l->s, &o->pages, 1);
	if (rc != TOY_OK)
		return rc;
	struct os_page *p = pmap_insert(&o->pages, e.page);
	p->block = e.block;
	memcpy(p->hash, e.hash, 16);
	l->s->segs[seg_of(l->s, e.block)].live++;
	l->pages_left--;
	return TOY_OK;
}

static int load_entry(struct os_ckpt_loader *l)
{
	switch (l->state) {
	case LS_HEAD: return load_head(l);
	case LS_OBJ: return load_obj(l);
	case LS_PAGE: return load_page(l);
	case LS_SEG: memcpy(&l->s->segs[l->segs_done++].last_seq, l->entry, 8); return TOY_OK;
	case LS_DONE: break;
	}
	return TOY_ERR_CORRUPT;
}

int ckpt_loader_feed(struct os_ckpt_loader *l, const uint8_t *data, uint32_t len)
{
	l->total += len;
	while (len > 0) {
		if (l->state == LS_DONE)
			return TOY_ERR_CORRUPT; /* bytes after the end */
		uint32_t n = l->need - l->have;
		n = n < len ? n : len;
		memcpy(l->entry + l->have, data, n);
		l->have += n;
		data += n;
		len -= n;
		if (l->have < l->need)
			continue;
		int rc = load_entry(l);
		if (rc != TOY_OK)
			return rc;
		l->have = 0;
		expect_next(l);
	}
	return TOY_OK;
}

int ckpt_loader_finish(struct os_ckpt_loader *l, uint64_t generation, uint64_t total)
{
	if (l->state != LS_DONE || l->total != total || l->head.generation != generation)
		return TOY_ERR_CORRUPT;
	return TOY_OK;
}
