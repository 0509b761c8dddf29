/* workload.c — the random op generator (see workload.h). Write sizes mix
 * tiny unaligned writes, whole aligned pages and multi-page runs, because the
 * store's read-modify-write, page-boundary and hole paths differ for each. */
#include "workload.h"

#include <string.h>

toy_id wl_id(unsigned i)
{
	if (i == 3)
		return toy_id_reserved(7);
	struct trng r;
	toy_id id;
	trng_seed(&r, 0x1d00 + i);
	trng_fill(&r, id.b, sizeof(id.b));
	toy_id_from_random(&id);
	return id;
}

static void gen_write(struct trng *r, const struct wl_limits *lim, struct wl_op *op)
{
	uint64_t maxb = lim->max_pages * OS_PAGE_SIZE;
	switch (trng_below(r, 4)) {
	case 0: /* a whole aligned page */
		op->len = OS_PAGE_SIZE;
		op->off = trng_below(r, lim->max_pages) * OS_PAGE_SIZE;
		break;
	case 1: /* a multi-page run at any offset */
		op->len = 1 + trng_below(r, WL_MAX_LEN);
		op->off = trng_below(r, maxb - op->len + 1);
		break;
	default: /* small and unaligned */
		op->len = 1 + trng_below(r, 300);
		op->off = trng_below(r, maxb - op->len + 1);
		break;
	}
	trng_fill(r, op->buf, op->len);
	if (trng_chance(r, 1, 8))
		memset(op->buf, 0, op->len); /* zero pages are data too */
}

static uint64_t gen_size(struct trng *r, const struct wl_limits *lim, uint64_t size)
{
	uint64_t maxb = lim->max_pages * OS_PAGE_SIZE;
	switch (trng_below(r, 4)) {
	case 0: return 0;
	case 1: return trng_below(r, lim->max_pages + 1) * OS_PAGE_SIZE;
	case 2: return size / 2;
	default: return trng_below(r, maxb + 1);
	}
}

void wl_gen_for(struct trng *r, const struct wl_limits *lim, bool exists, uint64_t size,
		struct wl_op *op)
{
	if (!exists) {
		op->op = WL_CREATE;
		op->arg = (uint32_t)trng_below(r, 5);
		return;
	}
	if (trng_below(r, 100) < lim->fill) {
		op->op = WL_WRITE;
		op->len = WL_MAX_LEN;
		op->off = trng_below(r, lim->max_pages - 2) * OS_PAGE_SIZE;
		trng_fill(r, op->buf, op->len);
		return;
	}
	uint64_t pick = trng_below(r, 100);
	if (pick < 60) {
		op->op = WL_WRITE;
		gen_write(r, lim, op);
	} else if (pick < 78) {
		op->op = WL_SET_SIZE;
		op->off = gen_size(r, lim, size);
	} else if (pick < 85) {
		op->op = WL_SET_FLAGS;
		op->arg = (uint32_t)trng_next(r);
	} else {
		op->op = WL_DELETE;
	}
}

void wl_gen(struct trng *r, const struct model *m, const struct wl_limits *lim, struct wl_op *op)
{
	op->id = wl_id((unsigned)trng_below(r, lim->nids));
	const struct model_obj *o = model_find(m, &op->id);
	wl_gen_for(r, lim, o != NULL, o != NULL ? o->size : 0, op);
}

int wl_apply(os_store *s, const struct wl_op *op)
{
	toy_id id = op->id;
	switch (op->op) {
	case WL_CREATE: return os_create(s, &id, op->arg);
	case WL_WRITE: return os_write(s, &id, op->off, op->buf, op->len);
	case WL_SET_SIZE: return os_set_size(s, &id, op->off);
	case WL_SET_FLAGS: return os_set_flags(s, &id, op->arg);
	default: return os_delete(s, &id);
	}
}

void wl_apply_model(struct model *m, const struct wl_op *op)
{
	switch (op->op) {
	case WL_CREATE: model_create(m, &op->id, op->arg); break;
	case WL_WRITE: model_write(m, &op->id, op->off, op->buf, op->len); break;
	case WL_SET_SIZE: model_set_size(m, &op->id, op->off); break;
	case WL_SET_FLAGS: model_set_flags(m, &op->id, op->arg); break;
	default: model_delete(m, &op->id); break;
	}
}

const char *wl_name(int op)
{
	static const char *const names[] = {"create", "write", "set_size", "set_flags", "delete"};
	return op >= 0 && op <= WL_DELETE ? names[op] : "?";
}
