/* snapshot.c — serializing a paused thread and resuming it (format in
 * vm/snapshot.h).
 *
 * Writing walks the state in format order through a little-endian writer
 * that only counts once the buffer is full, so one pass both sizes and
 * fills. Reading trusts nothing: every count is checked against the module
 * and the bytes, every frame's function, code offset and frame extent
 * against the compiled code (the offset must start an instruction), before
 * any of it is installed in a fresh instance and thread.
 */
#include "vm_int.h"

#include <vm/snapshot.h>

struct wr {
	uint8_t *p;
	uint64_t n, cap;
};

static void w8(struct wr *w, uint8_t v)
{
	if (w->n < w->cap)
		w->p[w->n] = v;
	w->n++;
}

static void w32(struct wr *w, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		w8(w, (uint8_t)(v >> (8 * i)));
}

static void w64(struct wr *w, uint64_t v)
{
	w32(w, (uint32_t)v);
	w32(w, (uint32_t)(v >> 32));
}

struct rdr {
	const uint8_t *p;
	uint64_t n, len;
	bool bad;
};

static uint32_t r32(struct rdr *r)
{
	uint32_t v = 0;
	if (r->len - r->n < 4) {
		r->bad = true;
		return 0;
	}
	for (int i = 0; i < 4; i++)
		v |= (uint32_t)r->p[r->n + i] << (8 * i);
	r->n += 4;
	return v;
}

static uint64_t r64(struct rdr *r)
{
	uint64_t lo = r32(r);
	return lo | (uint64_t)r32(r) << 32;
}

/* Index of f in inst's function space, or NONE if it is not inst's code. */
static uint32_t func_index(const struct vm_instance *inst, const struct vm_func *f)
{
	if (!f)
		return VM_SNAP_FUNC_NONE;
	if (f->inst != inst)
		return VM_SNAP_FUNC_NONE - 1;
	return (uint32_t)(f->code - inst->m->codes) + inst->m->nfimports;
}

int64_t vm_snapshot(const struct vm_thread *t, const struct vm_instance *inst, uint8_t *buf,
		    uint64_t cap)
{
	const struct vm_module *m = inst->m;
	struct wr w = {buf, 0, cap};
	if (t->state != T_PAUSED || !t->f || t->f->host)
		return TOY_ERR_BUSY;
	uint32_t cur = func_index(inst, t->f);
	if (cur == VM_SNAP_FUNC_NONE - 1)
		return TOY_ERR_NOTSUP;
	for (uint32_t i = 1; i < t->nframes; i++)
		if (func_index(inst, t->frames[i].f) >= VM_SNAP_FUNC_NONE - 1)
			return TOY_ERR_NOTSUP;
	uint32_t nslots = t->fp + t->f->code->frame;
	w32(&w, VM_SNAP_MAGIC);
	w32(&w, VM_SNAP_VERSION);
	w64(&w, m->hash);
	w32(&w, inst->s->nfuncs);
	w32(&w, cur);
	w32(&w, t->ip);
	w32(&w, t->fp);
	w32(&w, t->nframes);
	w32(&w, nslots);
	w32(&w, m->nglobals);
	w32(&w, m->ntables);
	w32(&w, inst->mem ? inst->mem->pages : 0xffffffffu);
	w32(&w, m->nelems);
	w32(&w, m->ndatas);
	w32(&w, 0);
	for (uint32_t i = 0; i < t->nframes; i++) {
		w32(&w, func_index(inst, t->frames[i].f));
		w32(&w, t->frames[i].ip);
		w32(&w, t->frames[i].fp);
	}
	for (uint32_t i = 0; i < nslots; i++)
		w64(&w, t->stack[i]);
	for (uint32_t i = 0; i < m->nglobals; i++)
		w64(&w, inst->globals[i]->v);
	for (uint32_t i = 0; i < m->ntables; i++) {
		const struct vm_table *tab = inst->tables[i];
		w32(&w, tab->size);
		w32(&w, 0);
		for (uint32_t k = 0; k < tab->size; k++)
			w64(&w, tab->e[k]);
	}
	for (uint32_t i = 0; i < m->nelems; i++)
		w8(&w, inst->elem_dropped[i]);
	for (uint32_t i = 0; i < m->ndatas; i++)
		w8(&w, inst->data_dropped[i]);
	return (int64_t)w.n;
}

/* Words taken by the instruction at code[at] (0 if it is not one). */
static uint32_t op_len(const uint32_t *code, uint32_t ncode, uint32_t at)
{
	uint32_t op = code[at];
	if ((op >= 0x45 && op <= 0xc4) || (op >= 0xe0 && op <= 0xe7)) {
		bool unary = op == 0x45 || op == 0x50 || (op >= 0x67 && op <= 0x69) ||
			     (op >= 0x79 && op <= 0x7b) || (op >= 0x8b && op <= 0x91) ||
			     (op >= 0x99 && op <= 0x9f) || op >= 0xa7;
		return unary ? 3 : 4;
	}
	if (op >= 0x28 && op <= 0x3e)
		return 4;
	if (op >= OP_MEM_ADD && op <= OP_MEM_ADD + 0x3e - 0x28)
		return 6;
	switch (op) {
	case OP_UNREACHABLE:
	case OP_RETURN: return 1;
	case OP_JMP:
	case OP_MEMORY_SIZE:
	case 0xe9:
	case 0xed: return 2;
	case OP_MOV:
	case OP_CONST32:
	case OP_BR_IF:
	case OP_BR_IFZ:
	case OP_BR_IF64:
	case OP_BR_IFZ64:
	case OP_CALL:
	case OP_GLOBAL_GET:
	case OP_GLOBAL_SET:
	case OP_MEMORY_GROW:
	case OP_REF_FUNC:
	case 0xf0: return 3;
	case OP_CONST64:
	case OP_TABLE_GET:
	case OP_TABLE_SET:
	case OP_BR_IF_LT_S:
	case OP_BR_IF_LT_U:
	case OP_BR_IF_NE:
	case OP_BR_IF_EQ:
	case OP_BR_IF_LE_S:
	case OP_BR_IF_LE_U:
	case OP_BR_IF_EQ64:
	case OP_BR_IF_NE64:
	case OP_BR_IF_LT_S64:
	case OP_BR_IF_LT_U64:
	case OP_BR_IF_LE_S64:
	case OP_BR_IF_LE_U64: return 4;
	case OP_CALL_INDIRECT:
	case OP_ADD_SHL:
	case OP_SELECT:
	case 0xef: return 5;
	case 0xe8:
	case 0xea:
	case 0xeb:
	case 0xec:
	case 0xee:
	case 0xf1: return 6;
	case OP_BR_TABLE: return at + 2 < ncode ? 4 + code[at + 2] : 0;
	default: return 0;
	}
}

static bool at_instruction(const struct vm_code *c, uint32_t ip)
{
	uint32_t at = 0;
	while (at < ip) {
		uint32_t n = op_len(c->code, c->ncode, at);
		if (!n || n > c->ncode - at)
			return false;
		at += n;
	}
	return at == ip && ip < c->ncode;
}

/* The defined function index f of inst, if (f, ip, fp) is a sane position. */
static const struct vm_func *position(const struct vm_instance *inst, uint32_t f, uint32_t ip,
				      uint32_t fp, uint32_t nslots)
{
	const struct vm_module *m = inst->m;
	if (f < m->nfimports || f >= m->nfuncs)
		return NULL;
	const struct vm_func *fn = inst->funcs[f];
	if (!at_instruction(fn->code, ip) || (uint64_t)fp + fn->code->frame > nslots)
		return NULL;
	return fn;
}

static int restore_frames(struct rdr *r, struct vm_thread *t, struct vm_instance *inst,
			  uint32_t nframes, uint32_t nslots)
{
	if (nframes < 1 || nframes > t->maxframes)
		return TOY_ERR_CORRUPT;
	for (uint32_t i = 0; i < nframes; i++) {
		uint32_t f = r32(r), ip = r32(r), fp = r32(r);
		struct vm_frame *fr = &t->frames[i];
		*fr = (struct vm_frame){NULL, ip, fp};
		if (i == 0) {
			if (f != VM_SNAP_FUNC_NONE || ip || fp)
				return TOY_ERR_CORRUPT;
			continue;
		}
		/* a caller's frame extends past the saved slots: bound it by the stack */
		if (!(fr->f = position(inst, f, ip, fp, t->nslots)) || fp > nslots)
			return TOY_ERR_CORRUPT;
	}
	t->nframes = nframes;
	return r->bad ? TOY_ERR_CORRUPT : 0;
}

static int restore_tables(struct rdr *r, struct vm_instance *inst)
{
	struct vm_store *s = inst->s;
	for (uint32_t i = 0; i < inst->m->ntables; i++) {
		struct vm_table *tab = inst->tables[i];
		uint32_t size = r32(r);
		r32(r);
		if (r->bad || size > tab->max || size > VM_MAX_TABLE ||
		    (uint64_t)size * 8 > r->len - r->n)
			return TOY_ERR_CORRUPT;
		uint64_t *e = vm_alloc0(&s->cfg.alloc, (size_t)size * 8);
		if (!e)
			return TOY_ERR_NOMEM;
		for (uint32_t k = 0; k < size; k++)
			e[k] = r64(r);
		s->cfg.alloc.free(s->cfg.alloc.ctx, tab->e);
		tab->e = e;
		tab->size = size;
	}
	return 0;
}

static int restore(struct rdr *r, struct vm_instance *inst, struct vm_thread *t)
{
	const struct vm_module *m = inst->m;
	struct vm_snap_header h;
	int rc;
	h.magic = r32(r), h.version = r32(r), h.module_hash = r64(r);
	h.nstore_funcs = r32(r), h.func = r32(r), h.ip = r32(r), h.fp = r32(r);
	h.nframes = r32(r), h.nslots = r32(r), h.nglobals = r32(r), h.ntables = r32(r);
	h.mem_pages = r32(r), h.nelems = r32(r), h.ndatas = r32(r), h.reserved = r32(r);
	if (r->bad || h.magic != VM_SNAP_MAGIC)
		return TOY_ERR_CORRUPT;
	if (h.version != VM_SNAP_VERSION)
		return TOY_ERR_NOTSUP;
	if (h.module_hash != m->hash || h.nstore_funcs != inst->s->nfuncs ||
	    h.nglobals != m->nglobals || h.ntables != m->ntables || h.nelems != m->nelems ||
	    h.ndatas != m->ndatas || h.nslots > t->nslots ||
	    h.mem_pages != (inst->mem ? inst->mem->pages : 0xffffffffu))
		return TOY_ERR_CORRUPT;
	if ((rc = restore_frames(r, t, inst, h.nframes, h.nslots)))
		return rc;
	if (!(t->f = position(inst, h.func, h.ip, h.fp, h.nslots)) ||
	    (uint64_t)h.nslots * 8 > r->len - r->n)
		return TOY_ERR_CORRUPT;
	for (uint32_t i = 0; i < h.nslots; i++)
		t->stack[i] = r64(r);
	for (uint32_t i = 0; i < m->nglobals; i++)
		inst->globals[i]->v = r64(r);
	if ((rc = restore_tables(r, inst)))
		return rc;
	if (r->len - r->n != (uint64_t)m->nelems + m->ndatas)
		return TOY_ERR_CORRUPT;
	for (uint32_t i = 0; i < m->nelems; i++)
		inst->elem_dropped[i] = r->p[r->n++] != 0;
	for (uint32_t i = 0; i < m->ndatas; i++)
		inst->data_dropped[i] = r->p[r->n++] != 0;
	t->ip = h.ip;
	t->fp = h.fp;
	t->state = T_PAUSED;
	return r->bad ? TOY_ERR_CORRUPT : 0;
}

int vm_resume(struct vm_store *s, const struct vm_module *m, vm_resolve_fn resolve, void *rctx,
	      const uint8_t *snap, uint64_t len, struct vm_instance **inst, struct vm_thread **t)
{
	struct rdr r = {snap, 0, len, false};
	struct vm_instance *in;
	struct vm_thread *th;
	int rc = vm_instance_new(s, m, resolve, rctx, &in, NULL, 0);
	if (rc)
		return rc;
	if ((rc = vm_thread_new(s, &th)))
		return rc;
	if ((rc = restore(&r, in, th))) {
		vm_thread_free(th);
		return rc;
	}
	*inst = in;
	*t = th;
	return 0;
}
