/* index.c — the in-memory index: objects by ID, and each object's pages.
 *
 * Both tables use open addressing with linear probing and backward-shift
 * deletion (no tombstones), at most 3/4 full. Growth happens only in the
 * *_reserve functions, so a change that has reserved room cannot fail half
 * way; removal never shrinks, so undoing a removal always finds room. */
#include "os_internal.h"

static uint64_t page_slot_hash(uint64_t page)
{
	return page * 0x9e3779b97f4a7c15ull;
}

static bool needs_growth(uint64_t count, uint64_t more, uint64_t cap)
{
	return (count + more) * 4 > cap * 3;
}

static uint64_t grown_cap(uint64_t count, uint64_t more, uint64_t cap)
{
	uint64_t n = cap ? cap : 8;
	while (needs_growth(count, more, n))
		n *= 2;
	return n;
}

/* --- objects ------------------------------------------------------------- */

struct os_obj *idx_find(struct os_otab *t, const toy_id *id)
{
	if (t->cap == 0)
		return NULL;
	uint64_t mask = t->cap - 1;
	for (uint64_t i = toy_id_hash(id) & mask;; i = (i + 1) & mask) {
		struct os_obj *o = &t->slots[i];
		if (toy_id_is_nil(&o->id))
			return NULL;
		if (toy_id_eq(&o->id, id))
			return o;
	}
}

static struct os_obj *otab_place(struct os_otab *t, const toy_id *id)
{
	uint64_t mask = t->cap - 1;
	uint64_t i = toy_id_hash(id) & mask;
	while (!toy_id_is_nil(&t->slots[i].id))
		i = (i + 1) & mask;
	return &t->slots[i];
}

int idx_reserve(os_store *s, struct os_otab *t, uint64_t more)
{
	if (!needs_growth(t->count, more, t->cap))
		return TOY_OK;
	uint64_t cap = grown_cap(t->count, more, t->cap);
	struct os_obj *slots = os_alloc(s, cap * sizeof(*slots));
	if (!slots)
		return TOY_ERR_NOMEM;
	memset(slots, 0, cap * sizeof(*slots));
	struct os_otab grown = {slots, cap, t->count};
	for (uint64_t i = 0; i < t->cap; i++)
		if (!toy_id_is_nil(&t->slots[i].id))
			*otab_place(&grown, &t->slots[i].id) = t->slots[i];
	os_free(s, t->slots);
	*t = grown;
	return TOY_OK;
}

struct os_obj *idx_insert(struct os_otab *t, const toy_id *id)
{
	struct os_obj *o = otab_place(t, id);
	memset(o, 0, sizeof(*o));
	o->id = *id;
	t->count++;
	return o;
}

void idx_remove(struct os_otab *t, struct os_obj *obj)
{
	uint64_t mask = t->cap - 1;
	uint64_t hole = (uint64_t)(obj - t->slots);
	for (uint64_t i = (hole + 1) & mask;; i = (i + 1) & mask) {
		struct os_obj *o = &t->slots[i];
		if (toy_id_is_nil(&o->id))
			break;
		uint64_t home = toy_id_hash(&o->id) & mask;
		/* Move o back into the hole unless its home lies in (hole, i]. */
		if (((i - home) & mask) >= ((i - hole) & mask)) {
			t->slots[hole] = *o;
			hole = i;
		}
	}
	memset(&t->slots[hole], 0, sizeof(t->slots[hole]));
	t->count--;
}

void idx_free(os_store *s, struct os_otab *t)
{
	for (uint64_t i = 0; i < t->cap; i++)
		if (!toy_id_is_nil(&t->slots[i].id))
			pmap_free(s, &t->slots[i].pages);
	os_free(s, t->slots);
	memset(t, 0, sizeof(*t));
}

/* --- pages of one object --------------------------------------------------- */

struct os_page *pmap_find(const struct os_pmap *m, uint64_t page)
{
	if (m->cap == 0)
		return NULL;
	uint32_t mask = m->cap - 1;
	for (uint32_t i = (uint32_t)(page_slot_hash(page) >> 32) & mask;; i = (i + 1) & mask) {
		struct os_page *p = &m->slots[i];
		if (p->block == OS_NO_BLOCK)
			return NULL;
		if (p->page == page)
			return p;
	}
}

static struct os_page *pmap_place(struct os_pmap *m, uint64_t page)
{
	uint32_t mask = m->cap - 1;
	uint32_t i = (uint32_t)(page_slot_hash(page) >> 32) & mask;
	while (m->slots[i].block != OS_NO_BLOCK)
		i = (i + 1) & mask;
	return &m->slots[i];
}

int pmap_reserve(os_store *s, struct os_pmap *m, uint32_t more)
{
	if (!needs_growth(m->count, more, m->cap))
		return TOY_OK;
	uint64_t cap = grown_cap(m->count, more, m->cap);
	if (cap > (1ull << 31))
		return TOY_ERR_NOMEM;
	struct os_page *slots = os_alloc(s, cap * sizeof(*slots));
	if (!slots)
		return TOY_ERR_NOMEM;
	memset(slots, 0, cap * sizeof(*slots));
	struct os_pmap grown = {slots, (uint32_t)cap, m->count};
	for (uint32_t i = 0; i < m->cap; i++)
		if (m->slots[i].block != OS_NO_BLOCK)
			*pmap_place(&grown, m->slots[i].page) = m->slots[i];
	os_free(s, m->slots);
	*m = grown;
	return TOY_OK;
}

struct os_page *pmap_insert(struct os_pmap *m, uint64_t page)
{
	struct os_page *p = pmap_place(m, page);
	p->page = page;
	m->count++;
	return p;
}

void pmap_remove(struct os_pmap *m, struct os_page *slot)
{
	uint32_t mask = m->cap - 1;
	uint32_t hole = (uint32_t)(slot - m->slots);
	for (uint32_t i = (hole + 1) & mask;; i = (i + 1) & mask) {
		struct os_page *p = &m->slots[i];
		if (p->block == OS_NO_BLOCK)
			break;
		uint32_t home = (uint32_t)(page_slot_hash(p->page) >> 32) & mask;
		if (((i - home) & mask) >= ((i - hole) & mask)) {
			m->slots[hole] = *p;
			hole = i;
		}
	}
	memset(&m->slots[hole], 0, sizeof(m->slots[hole]));
	m->count--;
}

void pmap_free(os_store *s, struct os_pmap *m)
{
	os_free(s, m->slots);
	memset(m, 0, sizeof(*m));
}
