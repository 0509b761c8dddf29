/* txn.c — the primitive changes to the index, with undo.
 *
 * A transaction applies each change to the index at once and logs how to
 * undo it. Commit (after the log is durable) walks the undo log forwards to
 * settle the segment accounting and free what deletions left; abort walks it
 * backwards to restore the old index. Mount's replay uses the same four
 * changes, so the log is interpreted in exactly one place.
 *
 * Segment accounting: a segment's `live` counts index entries pointing into
 * it. A new entry counts at once (so its segment is never reused under it);
 * an entry that is replaced or removed keeps counting until commit, because
 * the committed state still needs its block if the transaction aborts or
 * the machine crashes. Every function reserves the memory it needs before it
 * changes anything, so a failure leaves the index as it was. */
#include "os_internal.h"

int txn_begin(os_store *s)
{
	s->txn.open = true;
	s->txn.error = 0;
	s->txn.wrote_chunk = false;
	s->txn.adds_data = false;
	s->txn.nundo = 0;
	return TOY_OK;
}

int txn_reserve_undo(os_store *s, uint64_t more)
{
	struct os_txn *t = &s->txn;
	if (t->nundo + more <= t->capundo)
		return TOY_OK;
	uint64_t cap = t->capundo ? t->capundo : 64;
	while (cap < t->nundo + more)
		cap *= 2;
	struct os_undo *u = os_alloc(s, cap * sizeof(*u));
	if (!u)
		return TOY_ERR_NOMEM;
	if (t->nundo)
		memcpy(u, t->undo, t->nundo * sizeof(*u));
	os_free(s, t->undo);
	t->undo = u;
	t->capundo = cap;
	return TOY_OK;
}

static struct os_undo *undo_push(os_store *s, enum os_undo_type type, const toy_id *id)
{
	struct os_undo *u = &s->txn.undo[s->txn.nundo++];
	memset(u, 0, sizeof(*u));
	u->type = (uint8_t)type;
	u->id = *id;
	return u;
}

int txn_put_page(os_store *s, struct os_obj *obj, uint64_t page, uint64_t block,
		 const uint8_t hash[16])
{
	struct os_page *p = pmap_find(&obj->pages, page);
	int rc = txn_reserve_undo(s, 1);
	if (rc == TOY_OK && !p)
		rc = pmap_reserve(s, &obj->pages, 1);
	if (rc != TOY_OK)
		return rc;
	struct os_undo *u = undo_push(s, UNDO_PAGE, &obj->id);
	u->new_block = block;
	u->old.page = page;
	if (p) {
		u->had_old = true;
		u->old = *p;
	} else {
		p = pmap_insert(&obj->pages, page);
	}
	p->block = block;
	memcpy(p->hash, hash, 16);
	s->segs[seg_of(s, block)].live++;
	return TOY_OK;
}

int txn_create(os_store *s, const toy_id *id, uint32_t kind, uint32_t flags, struct os_obj **out)
{
	int rc = txn_reserve_undo(s, 1);
	if (rc == TOY_OK)
		rc = idx_reserve(s, &s->objs, 1);
	if (rc != TOY_OK)
		return rc;
	undo_push(s, UNDO_CREATE, id);
	struct os_obj *o = idx_insert(&s->objs, id);
	o->kind = kind;
	o->flags = flags;
	*out = o;
	return TOY_OK;
}

/* Removes every page at or beyond `limit`, recording each for undo. */
static void drop_pages_from(os_store *s, struct os_obj *obj, uint64_t limit)
{
	uint64_t first = s->txn.nundo;
	for (uint32_t i = 0; i < obj->pages.cap; i++) {
		struct os_page *p = &obj->pages.slots[i];
		if (p->block != OS_NO_BLOCK && p->page >= limit) {
			struct os_undo *u = undo_push(s, UNDO_PAGE, &obj->id);
			u->had_old = true;
			u->old = *p;
			u->new_block = OS_NO_BLOCK;
		}
	}
	/* Remove after collecting: removal shifts entries within the table. */
	for (uint64_t k = first; k < s->txn.nundo; k++)
		pmap_remove(&obj->pages, pmap_find(&obj->pages, s->txn.undo[k].old.page));
}

static uint64_t count_pages_from(const struct os_obj *obj, uint64_t limit)
{
	uint64_t n = 0;
	for (uint32_t i = 0; i < obj->pages.cap; i++)
		if (obj->pages.slots[i].block != OS_NO_BLOCK && obj->pages.slots[i].page >= limit)
			n++;
	return n;
}

int txn_set_meta(os_store *s, struct os_obj *obj, uint64_t size, uint32_t kind, uint32_t flags)
{
	uint64_t limit = pages_for_size(size);
	/* Growing drops nothing (no page lies beyond the old size): skip the
	 * scan, which would make appending to a large object quadratic. */
	uint64_t ndrop = size < obj->size ? count_pages_from(obj, limit) : 0;
	int rc = txn_reserve_undo(s, 1 + ndrop);
	if (rc != TOY_OK)
		return rc;
	struct os_undo *u = undo_push(s, UNDO_META, &obj->id);
	u->obj.size = obj->size;
	u->obj.kind = obj->kind;
	u->obj.flags = obj->flags;
	if (ndrop)
		drop_pages_from(s, obj, limit);
	obj->size = size;
	obj->kind = kind;
	obj->flags = flags;
	return TOY_OK;
}

int txn_delete(os_store *s, struct os_obj *obj)
{
	int rc = txn_reserve_undo(s, 1);
	if (rc != TOY_OK)
		return rc;
	struct os_undo *u = undo_push(s, UNDO_DELETE, &obj->id);
	u->obj = *obj;
	idx_remove(&s->objs, obj);
	return TOY_OK;
}

static void seg_unref(os_store *s, uint64_t block)
{
	s->segs[seg_of(s, block)].live--;
}

void txn_finish(os_store *s)
{
	for (uint64_t k = 0; k < s->txn.nundo; k++) {
		struct os_undo *u = &s->txn.undo[k];
		if (u->type == UNDO_PAGE && u->had_old)
			seg_unref(s, u->old.block);
		if (u->type != UNDO_DELETE)
			continue;
		for (uint32_t i = 0; i < u->obj.pages.cap; i++)
			if (u->obj.pages.slots[i].block != OS_NO_BLOCK)
				seg_unref(s, u->obj.pages.slots[i].block);
		pmap_free(s, &u->obj.pages);
	}
	s->txn.nundo = 0;
	s->txn.open = false;
}

static void undo_page(os_store *s, const struct os_undo *u)
{
	struct os_obj *obj = idx_find(&s->objs, &u->id);
	struct os_page *p = pmap_find(&obj->pages, u->old.page);
	if (u->new_block != OS_NO_BLOCK)
		seg_unref(s, u->new_block);
	if (!u->had_old) {
		pmap_remove(&obj->pages, p);
		return;
	}
	if (!p) /* removed by a truncation: removal left room */
		p = pmap_insert(&obj->pages, u->old.page);
	*p = u->old;
}

static void undo_one(os_store *s, struct os_undo *u)
{
	struct os_obj *obj;
	switch (u->type) {
	case UNDO_PAGE: undo_page(s, u); break;
	case UNDO_CREATE:
		obj = idx_find(&s->objs, &u->id);
		pmap_free(s, &obj->pages);
		idx_remove(&s->objs, obj);
		break;
	case UNDO_META:
		obj = idx_find(&s->objs, &u->id);
		obj->size = u->obj.size;
		obj->kind = u->obj.kind;
		obj->flags = u->obj.flags;
		break;
	case UNDO_DELETE: *idx_insert(&s->objs, &u->id) = u->obj; break;
	}
}

void txn_rollback(os_store *s)
{
	while (s->txn.nundo > 0)
		undo_one(s, &s->txn.undo[--s->txn.nundo]);
	s->txn.open = false;
}

void txn_free(os_store *s)
{
	os_free(s, s->txn.undo);
	s->txn.undo = NULL;
	s->txn.capundo = 0;
}
