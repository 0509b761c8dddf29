/* model.c — the reference model (see model.h). Each object is an array of
 * page buffers: simple enough to be obviously right, which is what an oracle
 * must be, and cheap to copy at every transaction (page-sized allocations
 * are recycled by the allocator, where one large buffer per object was not
 * under ASan). */
#include "model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

#define PG OS_PAGE_SIZE

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (p == NULL)
		abort();
	return p;
}

void model_init(struct model *m)
{
	memset(m, 0, sizeof(*m));
}

static const uint8_t zero_page[PG];

static const uint8_t *page_of(const struct model_obj *o, uint64_t p)
{
	return p < o->npg && o->pg[p] != NULL ? o->pg[p] : zero_page;
}

static void obj_free(struct model_obj *o)
{
	for (uint64_t p = 0; p < o->npg; p++)
		free(o->pg[p]);
	free(o->pg);
	free(o->stored);
	free(o->hashok);
}

void model_free(struct model *m)
{
	for (size_t i = 0; i < m->n; i++)
		obj_free(&m->objs[i]);
	free(m->objs);
	model_init(m);
}

static void *dup(const void *p, size_t n)
{
	void *q = xrealloc(NULL, n);
	if (n)
		memcpy(q, p, n);
	return q;
}

void model_copy(struct model *dst, const struct model *src)
{
	model_free(dst);
	dst->objs = xrealloc(NULL, (src->n + 1) * sizeof(*dst->objs));
	dst->cap = src->n + 1;
	dst->n = src->n;
	dst->gen = src->gen;
	for (size_t i = 0; i < src->n; i++) {
		const struct model_obj *o = &src->objs[i];
		struct model_obj *d = &dst->objs[i];
		*d = *o;
		d->pg = xrealloc(NULL, o->npg * sizeof(*d->pg));
		for (uint64_t p = 0; p < o->npg; p++)
			d->pg[p] = o->pg[p] != NULL ? dup(o->pg[p], PG) : NULL;
		d->stored = dup(o->stored, o->npg);
		d->hashok = dup(o->hashok, o->npg);
	}
}

struct model_obj *model_find(const struct model *m, const toy_id *id)
{
	for (size_t i = 0; i < m->n; i++)
		if (toy_id_eq(&m->objs[i].id, id))
			return &m->objs[i];
	return NULL;
}

void model_create(struct model *m, const toy_id *id, uint32_t kind)
{
	if (m->n == m->cap) {
		m->cap = m->cap * 2 + 4;
		m->objs = xrealloc(m->objs, m->cap * sizeof(*m->objs));
	}
	struct model_obj *o = &m->objs[m->n++];
	memset(o, 0, sizeof(*o));
	o->id = *id;
	o->kind = kind;
}

static void grow_pages(struct model_obj *o, uint64_t npg)
{
	if (npg <= o->npg)
		return;
	o->pg = xrealloc(o->pg, npg * sizeof(*o->pg));
	o->stored = xrealloc(o->stored, npg);
	o->hashok = xrealloc(o->hashok, npg);
	memset(o->pg + o->npg, 0, (npg - o->npg) * sizeof(*o->pg));
	memset(o->stored + o->npg, 0, npg - o->npg);
	memset(o->hashok + o->npg, 0, npg - o->npg);
	o->npg = npg;
}

void model_write(struct model *m, const toy_id *id, uint64_t off, const void *buf, size_t len)
{
	struct model_obj *o = model_find(m, id);
	if (o == NULL || len == 0)
		return;
	grow_pages(o, (off + len + PG - 1) / PG);
	for (uint64_t p = off / PG; p <= (off + len - 1) / PG; p++) {
		uint64_t lo = p * PG > off ? p * PG : off;
		uint64_t hi = (p + 1) * PG < off + len ? (p + 1) * PG : off + len;
		if (o->pg[p] == NULL)
			o->pg[p] = calloc(1, PG);
		if (o->pg[p] == NULL)
			abort();
		memcpy(o->pg[p] + (lo - p * PG), (const uint8_t *)buf + (lo - off), hi - lo);
		o->stored[p] = o->hashok[p] = 1;
	}
	if (off + len > o->size)
		o->size = off + len;
}

void model_set_size(struct model *m, const toy_id *id, uint64_t size)
{
	struct model_obj *o = model_find(m, id);
	if (o == NULL)
		return;
	if (size < o->size) {
		uint64_t keep = (size + PG - 1) / PG;
		for (uint64_t p = keep; p < o->npg; p++) {
			free(o->pg[p]);
			o->pg[p] = NULL;
			o->stored[p] = o->hashok[p] = 0;
		}
		if (size % PG != 0 && o->pg[keep - 1] != NULL)
			memset(o->pg[keep - 1] + size % PG, 0, PG - size % PG);
		/* The cut page's stored bytes beyond size are undefined. */
		if (size % PG != 0 && keep > 0)
			o->hashok[keep - 1] = 0;
	}
	grow_pages(o, (size + PG - 1) / PG);
	o->size = size;
}

void model_set_flags(struct model *m, const toy_id *id, uint32_t flags)
{
	struct model_obj *o = model_find(m, id);
	if (o != NULL)
		o->flags = flags;
}

void model_delete(struct model *m, const toy_id *id)
{
	struct model_obj *o = model_find(m, id);
	if (o == NULL)
		return;
	obj_free(o);
	*o = m->objs[--m->n];
}

uint64_t model_npages(const struct model_obj *o)
{
	uint64_t n = 0;
	for (uint64_t p = 0; p < o->npg; p++)
		n += o->stored[p];
	return n;
}

static bool obj_equal(const struct model_obj *a, const struct model_obj *b)
{
	if (a->kind != b->kind || a->flags != b->flags || a->size != b->size)
		return false;
	if (model_npages(a) != model_npages(b))
		return false;
	for (uint64_t p = 0; p * PG < a->size; p++)
		if (memcmp(page_of(a, p), page_of(b, p), PG) != 0)
			return false;
	return true;
}

bool model_equal(const struct model *a, const struct model *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		const struct model_obj *o = model_find(b, &a->objs[i].id);
		if (o == NULL || !obj_equal(&a->objs[i], o))
			return false;
	}
	return true;
}

struct iter_ctx {
	const struct model *m;
	size_t seen;
	char *why;
	size_t len;
	int bad;
};

static int id_text(const toy_id *id, char out[TOY_ID_TEXT_LEN + 1])
{
	toy_id_format(id, out);
	return 0;
}

static int check_one_stat(void *arg, const toy_id *id, const struct os_stat *st)
{
	struct iter_ctx *c = arg;
	char t[TOY_ID_TEXT_LEN + 1];
	const struct model_obj *o = model_find(c->m, id);
	id_text(id, t);
	c->seen++;
	if (o == NULL) {
		snprintf(c->why, c->len, "iterate: unexpected object %s", t);
		return c->bad = -1;
	}
	if (st->kind != o->kind || st->flags != o->flags || st->size != o->size ||
	    st->npages != model_npages(o)) {
		snprintf(c->why, c->len,
			 "iterate: %s kind %u flags %u size %llu npages %llu, want %u %u %llu %llu",
			 t, st->kind, st->flags, (unsigned long long)st->size,
			 (unsigned long long)st->npages, o->kind, o->flags,
			 (unsigned long long)o->size, (unsigned long long)model_npages(o));
		return c->bad = -1;
	}
	return 0;
}

static int check_pages(const struct model_obj *o, os_store *s, char *why, size_t len)
{
	char t[TOY_ID_TEXT_LEN + 1];
	uint64_t npg = (o->size + PG - 1) / PG;
	id_text(&o->id, t);
	for (uint64_t p = 0; p < npg; p++) {
		uint8_t h[16];
		int rc = os_page_hash(s, &o->id, p, h);
		bool stored = p < o->npg && o->stored[p];
		if (!stored && rc != TOY_ERR_NOTFOUND) {
			snprintf(why, len, "%s page %llu: hole, page_hash gives %d", t,
				 (unsigned long long)p, rc);
			return -1;
		}
		if (stored && rc != 0) {
			snprintf(why, len, "%s page %llu: page_hash error %d", t,
				 (unsigned long long)p, rc);
			return -1;
		}
		if (stored && o->hashok[p]) {
			XXH128_hash_t x = XXH3_128bits(page_of(o, p), PG);
			uint8_t want[16];
			memcpy(want, &x.low64, 8);
			memcpy(want + 8, &x.high64, 8);
			if (memcmp(h, want, 16) != 0) {
				snprintf(why, len, "%s page %llu: wrong hash", t,
					 (unsigned long long)p);
				return -1;
			}
		}
	}
	return 0;
}

/* Reads the object a page at a time, plus once past its end. */
static int check_bytes(const struct model_obj *o, os_store *s, char *why, size_t len)
{
	char t[TOY_ID_TEXT_LEN + 1];
	uint8_t buf[PG];
	id_text(&o->id, t);
	for (uint64_t p = 0; p * PG <= o->size; p++) {
		uint64_t want_n = o->size - p * PG < PG ? o->size - p * PG : PG;
		int64_t n = os_read(s, &o->id, p * PG, buf, PG);
		if (n != (int64_t)want_n) {
			snprintf(why, len, "%s: read at %llu gave %lld, want %llu (size %llu)", t,
				 (unsigned long long)(p * PG), (long long)n,
				 (unsigned long long)want_n, (unsigned long long)o->size);
			return -1;
		}
		const uint8_t *want = page_of(o, p);
		if (memcmp(buf, want, want_n) == 0)
			continue;
		uint64_t i = 0;
		while (buf[i] == want[i])
			i++;
		snprintf(why, len, "%s: byte %llu is %#x, want %#x (size %llu)", t,
			 (unsigned long long)(p * PG + i), buf[i], want[i],
			 (unsigned long long)o->size);
		return -1;
	}
	return 0;
}

static int check_obj(const struct model_obj *o, os_store *s, char *why, size_t len)
{
	struct os_stat st;
	char t[TOY_ID_TEXT_LEN + 1];
	int rc = os_stat(s, &o->id, &st);
	id_text(&o->id, t);
	if (rc != 0) {
		snprintf(why, len, "%s: stat gives %d", t, rc);
		return -1;
	}
	if (st.size != o->size || st.kind != o->kind || st.flags != o->flags ||
	    st.npages != model_npages(o)) {
		snprintf(why, len, "%s: stat size %llu npages %llu, want %llu %llu", t,
			 (unsigned long long)st.size, (unsigned long long)st.npages,
			 (unsigned long long)o->size, (unsigned long long)model_npages(o));
		return -1;
	}
	if (check_bytes(o, s, why, len) != 0)
		return -1;
	return check_pages(o, s, why, len);
}

int model_check_store(const struct model *m, os_store *s, char *why, size_t len)
{
	struct iter_ctx c = {m, 0, why, len, 0};
	int rc = os_iterate(s, check_one_stat, &c);
	if (c.bad)
		return -1;
	if (rc != 0) {
		snprintf(why, len, "iterate gives %d", rc);
		return -1;
	}
	if (c.seen != m->n) {
		snprintf(why, len, "iterate saw %zu objects, want %zu", c.seen, m->n);
		return -1;
	}
	for (size_t i = 0; i < m->n; i++)
		if (check_obj(&m->objs[i], s, why, len) != 0)
			return -1;
	return 0;
}

int model_fsck(os_store *s, char *why, size_t len)
{
	char msg[200] = "";
	int rc = os_check(s, msg, sizeof(msg));
	if (rc != 0)
		snprintf(why, len, "os_check gives %d: %s", rc, msg);
	return rc;
}
