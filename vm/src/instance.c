/* instance.c — stores, runtime objects, instantiation and threads.
 *
 * A store owns every runtime object (functions, tables, memories, globals,
 * instances, threads) in one list and frees them together. Each function gets
 * a store-wide id, which is its funcref value: references are plain words, so
 * tables and stack slots can be serialized without knowing their types, and
 * the ids are the same whenever the same sequence of objects is created.
 * Instantiation follows the spec: resolve and check imports, allocate,
 * evaluate globals, then run active element and data segments in order
 * (leaving earlier ones applied if a later one traps), then the start
 * function.
 */
#include "vm_int.h"

static void *s_alloc(struct vm_store *s, size_t n)
{
	return vm_alloc0(&s->cfg.alloc, n);
}

static void s_free(struct vm_store *s, void *p)
{
	if (p)
		s->cfg.alloc.free(s->cfg.alloc.ctx, p);
}

static void *new_obj(struct vm_store *s, size_t size,
		     void (*fini)(struct vm_store *s, struct vm_obj *o))
{
	struct vm_obj *o = s_alloc(s, size);
	if (!o)
		return NULL;
	o->fini = fini;
	o->next = s->objs;
	s->objs = o;
	return o;
}

int vm_store_new(const struct vm_config *cfg, struct vm_store **out)
{
	if (!cfg || !cfg->alloc.alloc || !cfg->alloc.free || !cfg->memory_new)
		return TOY_ERR_INVAL;
	struct vm_store *s = vm_alloc0(&cfg->alloc, sizeof(*s));
	if (!s)
		return TOY_ERR_NOMEM;
	s->cfg = *cfg;
	if (!s->cfg.stack_slots)
		s->cfg.stack_slots = 1u << 20;
	if (!s->cfg.max_frames)
		s->cfg.max_frames = 100000;
	*out = s;
	return 0;
}

void vm_store_free(struct vm_store *s)
{
	if (!s)
		return;
	while (s->objs) {
		struct vm_obj *o = s->objs;
		s->objs = o->next;
		if (o->fini)
			o->fini(s, o);
		s_free(s, o);
	}
	s_free(s, s->funcs);
	s_free(s, s);
}

static int add_func(struct vm_store *s, struct vm_func *f)
{
	if (s->nfuncs >= VM_MAX_FUNCS)
		return TOY_ERR_LIMIT;
	if (s->nfuncs == s->capfuncs) {
		uint32_t cap = s->capfuncs ? 2 * s->capfuncs : 64;
		struct vm_func **nf = s_alloc(s, cap * sizeof(*nf));
		if (!nf)
			return TOY_ERR_NOMEM;
		if (s->funcs)
			memcpy(nf, s->funcs, s->nfuncs * sizeof(*nf));
		s_free(s, s->funcs);
		s->funcs = nf;
		s->capfuncs = cap;
	}
	s->funcs[s->nfuncs++] = f;
	f->id = s->nfuncs;
	return 0;
}

static int sig_type(char c)
{
	switch (c) {
	case 'i': return VM_I32;
	case 'I': return VM_I64;
	case 'f': return VM_F32;
	case 'F': return VM_F64;
	case 'r': return VM_FUNCREF;
	case 'e': return VM_EXTERNREF;
	default: return 0;
	}
}

int vm_host_func_new(struct vm_store *s, const char *sig, vm_host_fn fn, void *ctx,
		     struct vm_func **out)
{
	const char *colon = sig;
	while (colon && *colon && *colon != ':')
		colon++;
	if (colon && !*colon)
		colon = NULL;
	if (!colon || !fn || colon - sig > VM_MAX_VALUES || strlen(colon + 1) > VM_MAX_VALUES)
		return TOY_ERR_INVAL;
	struct vm_func *f = new_obj(s, sizeof(*f), NULL);
	if (!f)
		return TOY_ERR_NOMEM;
	uint32_t n = 0;
	for (const char *p = sig; *p; p++) {
		if (p == colon)
			continue;
		int t = sig_type(*p);
		if (!t)
			return TOY_ERR_INVAL;
		f->sig[n++] = (uint8_t)t;
	}
	f->own = (struct vm_functype){(uint32_t)(colon - sig), (uint32_t)strlen(colon + 1), f->sig};
	f->type = &f->own;
	f->host = fn;
	f->ctx = ctx;
	int rc = add_func(s, f);
	if (!rc)
		*out = f;
	return rc;
}

void vm_func_type(const struct vm_func *f, uint32_t *nparams, const uint8_t **params,
		  uint32_t *nresults, const uint8_t **results)
{
	*nparams = f->type->np;
	*params = f->type->t;
	*nresults = f->type->nr;
	*results = f->type->t + f->type->np;
}

int vm_global_new(struct vm_store *s, enum vm_type t, bool mut, uint64_t val,
		  struct vm_global **out)
{
	struct vm_global *g = new_obj(s, sizeof(*g), NULL);
	if (!g)
		return TOY_ERR_NOMEM;
	g->type = (uint8_t)t;
	g->mut = mut;
	g->v = val;
	*out = g;
	return 0;
}

uint64_t vm_global_get(const struct vm_global *g)
{
	return g->v;
}

static void table_fini(struct vm_store *s, struct vm_obj *o)
{
	s_free(s, ((struct vm_table *)o)->e);
}

int vm_table_new(struct vm_store *s, enum vm_type t, uint32_t min, uint32_t max, bool has_max,
		 struct vm_table **out)
{
	if (min > VM_MAX_TABLE)
		return TOY_ERR_LIMIT;
	struct vm_table *tab = new_obj(s, sizeof(*tab), table_fini);
	if (!tab)
		return TOY_ERR_NOMEM;
	tab->elem = (uint8_t)t;
	tab->max = has_max ? max : UINT32_MAX;
	tab->has_max = has_max;
	tab->size = min;
	tab->e = s_alloc(s, (size_t)min * 8);
	if (!tab->e)
		return TOY_ERR_NOMEM;
	*out = tab;
	return 0;
}

static void memory_fini(struct vm_store *s, struct vm_obj *o)
{
	struct vm_memory *m = &((struct vm_memobj *)o)->m;
	(void)s;
	if (m->release)
		m->release(m);
}

int vm_memory_new(struct vm_store *s, uint32_t min, uint32_t max, bool has_max,
		  struct vm_memory **out)
{
	struct vm_memobj *mo = new_obj(s, sizeof(*mo), memory_fini);
	if (!mo)
		return TOY_ERR_NOMEM;
	int rc = s->cfg.memory_new(s->cfg.memory_ctx, &mo->m, min);
	if (rc)
		return rc;
	mo->m.has_max = has_max;
	mo->m.max_pages = has_max ? max : VM_MAX_PAGES;
	*out = &mo->m;
	return 0;
}

/* --- instantiation ------------------------------------------------------ */

static void instance_fini(struct vm_store *s, struct vm_obj *o)
{
	struct vm_instance *i = (struct vm_instance *)o;
	s_free(s, i->funcs);
	s_free(s, i->tables);
	s_free(s, i->globals);
	s_free(s, i->elem_dropped);
	s_free(s, i->data_dropped);
}

static int link_error(char *msg, size_t msglen, const char *what, const struct vm_import_def *im,
		      int rc)
{
	char buf[200];
	vm_fmt(buf, sizeof(buf), what, " ");
	size_t n = strlen(buf);
	vm_fmt(buf + n, sizeof(buf) - n, im->mod, ".");
	n = strlen(buf);
	vm_fmt(buf + n, sizeof(buf) - n, im->name, NULL);
	vm_fmt(msg, msglen, buf, NULL);
	return rc;
}

static bool limits_match(uint32_t size, bool has_max, uint32_t max, const struct vm_limits *want)
{
	if (size < want->min)
		return false;
	if (want->has_max && (!has_max || max > want->max))
		return false;
	return true;
}

static bool import_matches(const struct vm_module *m, const struct vm_import_def *im,
			   const struct vm_extern *e)
{
	if ((uint8_t)e->kind != im->kind)
		return false;
	switch (e->kind) {
	case VM_EXT_FUNC: return vm_types_equal(e->u.func->type, &m->types[im->type]);
	case VM_EXT_TABLE:
		return e->u.table->elem == im->table.elem &&
		       limits_match(e->u.table->size, e->u.table->has_max, e->u.table->max,
				    &im->table.lim);
	case VM_EXT_MEMORY:
		return limits_match(e->u.memory->pages, e->u.memory->has_max,
				    e->u.memory->max_pages, &im->mem);
	default: return e->u.global->type == im->global.type && e->u.global->mut == im->global.mut;
	}
}

static int resolve_imports(struct vm_instance *inst, vm_resolve_fn resolve, void *rctx, char *msg,
			   size_t msglen)
{
	const struct vm_module *m = inst->m;
	uint32_t nf = 0, nt = 0, ng = 0;
	for (uint32_t i = 0; i < m->nimports; i++) {
		const struct vm_import_def *im = &m->imports[i];
		struct vm_extern e;
		if (!resolve || resolve(rctx, im->mod, im->name, (enum vm_kind)im->kind, &e))
			return link_error(msg, msglen, "unknown import", im, TOY_ERR_NOTFOUND);
		if (!import_matches(m, im, &e))
			return link_error(msg, msglen, "incompatible import type", im,
					  TOY_ERR_INVALID);
		switch (e.kind) {
		case VM_EXT_FUNC: inst->funcs[nf++] = e.u.func; break;
		case VM_EXT_TABLE: inst->tables[nt++] = e.u.table; break;
		case VM_EXT_MEMORY: inst->mem = e.u.memory; break;
		default: inst->globals[ng++] = e.u.global; break;
		}
	}
	return 0;
}

static uint64_t eval_cexpr(const struct vm_instance *inst, const struct vm_cexpr *x)
{
	switch (x->op) {
	case 0x23: return inst->globals[x->v]->v;
	case 0xd2: return inst->funcs[x->v]->id;
	case 0xd0: return 0;
	default: return x->v;
	}
}

static int define(struct vm_instance *inst)
{
	struct vm_store *s = inst->s;
	const struct vm_module *m = inst->m;
	int rc;
	for (uint32_t i = m->nfimports; i < m->nfuncs; i++) {
		struct vm_func *f = new_obj(s, sizeof(*f), NULL);
		if (!f)
			return TOY_ERR_NOMEM;
		f->inst = inst;
		f->code = &m->codes[i - m->nfimports];
		f->type = &m->types[m->functype[i]];
		if ((rc = add_func(s, f)))
			return rc;
		inst->funcs[i] = f;
	}
	for (uint32_t i = m->ntimports; i < m->ntables; i++) {
		const struct vm_tabletype *t = &m->tables[i];
		rc = vm_table_new(s, (enum vm_type)t->elem, t->lim.min, t->lim.max, t->lim.has_max,
				  &inst->tables[i]);
		if (rc)
			return rc;
	}
	if (m->nmems && !m->nmimports) {
		rc = vm_memory_new(s, m->mem.min, m->mem.max, m->mem.has_max, &inst->mem);
		if (rc)
			return rc;
	}
	for (uint32_t i = m->ngimports; i < m->nglobals; i++) {
		rc = vm_global_new(s, (enum vm_type)m->globals[i].type, m->globals[i].mut,
				   eval_cexpr(inst, &m->ginit[i]), &inst->globals[i]);
		if (rc)
			return rc;
	}
	return 0;
}

int vm_instance_new(struct vm_store *s, const struct vm_module *m, vm_resolve_fn resolve,
		    void *rctx, struct vm_instance **out, char *msg, size_t msglen)
{
	struct vm_instance *inst = new_obj(s, sizeof(*inst), instance_fini);
	if (!inst)
		return TOY_ERR_NOMEM;
	inst->s = s;
	inst->m = m;
	inst->funcs = s_alloc(s, m->nfuncs * sizeof(void *));
	inst->tables = s_alloc(s, m->ntables * sizeof(void *));
	inst->globals = s_alloc(s, m->nglobals * sizeof(void *));
	inst->elem_dropped = s_alloc(s, m->nelems);
	inst->data_dropped = s_alloc(s, m->ndatas);
	if (!inst->funcs || !inst->tables || !inst->globals || !inst->elem_dropped ||
	    !inst->data_dropped)
		return TOY_ERR_NOMEM;
	int rc = resolve_imports(inst, resolve, rctx, msg, msglen);
	if (!rc)
		rc = define(inst);
	if (!rc)
		*out = inst;
	return rc;
}

static int init_elems(struct vm_instance *inst, char *msg, size_t msglen)
{
	const struct vm_module *m = inst->m;
	for (uint32_t i = 0; i < m->nelems; i++) {
		const struct vm_elem_def *e = &m->elems[i];
		if (e->mode == SEG_PASSIVE)
			continue;
		inst->elem_dropped[i] = 1;
		if (e->mode == SEG_DECLARATIVE)
			continue;
		struct vm_table *t = inst->tables[e->table];
		uint64_t off = (uint32_t)eval_cexpr(inst, &e->off);
		if (off + e->n > t->size) {
			vm_fmt(msg, msglen, "out of bounds table access", NULL);
			return TOY_ERR_TRAP;
		}
		for (uint32_t k = 0; k < e->n; k++)
			t->e[off + k] = eval_cexpr(inst, &e->items[k]);
	}
	return 0;
}

static int init_datas(struct vm_instance *inst, char *msg, size_t msglen)
{
	const struct vm_module *m = inst->m;
	for (uint32_t i = 0; i < m->ndatas; i++) {
		const struct vm_data_def *d = &m->datas[i];
		if (d->mode == SEG_PASSIVE)
			continue;
		inst->data_dropped[i] = 1;
		uint64_t off = (uint32_t)eval_cexpr(inst, &d->off);
		if (off + d->len > inst->mem->size) {
			vm_fmt(msg, msglen, "out of bounds memory access", NULL);
			return TOY_ERR_TRAP;
		}
		if (d->len)
			memcpy(inst->mem->base + off, d->bytes, d->len);
	}
	return 0;
}

int vm_instance_init(struct vm_instance *inst, char *msg, size_t msglen)
{
	int rc = init_elems(inst, msg, msglen);
	if (!rc)
		rc = init_datas(inst, msg, msglen);
	if (rc || !inst->m->has_start)
		return rc;
	struct vm_thread *t;
	if ((rc = vm_thread_new(inst->s, &t)))
		return rc;
	rc = vm_invoke(t, inst->funcs[inst->m->start], NULL, 0, NULL, 0);
	if (rc < 0)
		vm_fmt(msg, msglen, vm_thread_trap(t), NULL);
	vm_thread_free(t);
	return rc < 0 ? rc : 0;
}

int vm_instantiate(struct vm_store *s, const struct vm_module *m, vm_resolve_fn resolve, void *rctx,
		   struct vm_instance **out, char *msg, size_t msglen)
{
	struct vm_instance *inst = NULL;
	int rc = vm_instance_new(s, m, resolve, rctx, &inst, msg, msglen);
	if (rc)
		return rc;
	if (out)
		*out = inst;
	return vm_instance_init(inst, msg, msglen);
}

int vm_instance_export(const struct vm_instance *inst, const char *name, struct vm_extern *out)
{
	const struct vm_module *m = inst->m;
	for (uint32_t i = 0; i < m->nexports; i++) {
		const struct vm_export_def *e = &m->exports[i];
		if (strcmp(e->name, name))
			continue;
		out->kind = (enum vm_kind)e->kind;
		switch (e->kind) {
		case VM_EXT_FUNC: out->u.func = inst->funcs[e->idx]; break;
		case VM_EXT_TABLE: out->u.table = inst->tables[e->idx]; break;
		case VM_EXT_MEMORY: out->u.memory = inst->mem; break;
		default: out->u.global = inst->globals[e->idx]; break;
		}
		return 0;
	}
	return TOY_ERR_NOTFOUND;
}

struct vm_memory *vm_instance_memory(const struct vm_instance *inst)
{
	return inst->mem;
}

/* --- threads -------------------------------------------------------------- */

static void thread_fini(struct vm_store *s, struct vm_obj *o)
{
	struct vm_thread *t = (struct vm_thread *)o;
	s_free(s, t->stack);
	s_free(s, t->frames);
}

int vm_thread_new(struct vm_store *s, struct vm_thread **out)
{
	struct vm_thread *t = new_obj(s, sizeof(*t), thread_fini);
	if (!t)
		return TOY_ERR_NOMEM;
	t->s = s;
	t->nslots = s->cfg.stack_slots;
	t->maxframes = s->cfg.max_frames;
	t->stack = s->cfg.alloc.alloc(s->cfg.alloc.ctx, (size_t)t->nslots * 8);
	t->frames = s->cfg.alloc.alloc(s->cfg.alloc.ctx,
				       ((size_t)t->maxframes + 1) * sizeof(struct vm_frame));
	if (!t->stack || !t->frames)
		return TOY_ERR_NOMEM;
	*out = t;
	return 0;
}

void vm_thread_free(struct vm_thread *t)
{
	if (!t)
		return;
	struct vm_store *s = t->s;
	for (struct vm_obj **p = &s->objs; *p; p = &(*p)->next) {
		if (*p == &t->o) {
			*p = t->o.next;
			thread_fini(s, &t->o);
			s_free(s, t);
			return;
		}
	}
}

int vm_thread_call(struct vm_thread *t, struct vm_func *f, const uint64_t *args, uint32_t nargs)
{
	if (nargs != f->type->np)
		return TOY_ERR_INVAL;
	uint32_t need = f->code ? f->code->frame : f->type->np + f->type->nr;
	if (need > t->nslots)
		return TOY_ERR_LIMIT;
	if (nargs)
		memcpy(t->stack, args, (size_t)nargs * 8);
	if (f->code && f->code->nlocals > nargs)
		memset(t->stack + nargs, 0, (size_t)(f->code->nlocals - nargs) * 8);
	if (f->code && f->code->nconsts)
		memcpy(t->stack + f->code->nlocals, f->code->consts, (size_t)f->code->nconsts * 8);
	t->frames[0] = (struct vm_frame){NULL, 0, 0};
	t->nframes = 1;
	t->f = f;
	t->ip = 0;
	t->fp = 0;
	t->state = T_READY;
	t->trap = NULL;
	t->exhausted = false;
	return 0;
}

static int run_host_entry(struct vm_thread *t)
{
	const struct vm_func *f = t->f;
	struct vm_host_call hc = {t, NULL, f->ctx};
	int rc = f->host(&hc, t->stack, t->stack);
	if (rc < 0) {
		t->state = T_TRAPPED;
		t->trap = "host function failed";
		return TOY_ERR_TRAP;
	}
	t->state = rc == VM_HOST_EXIT ? T_EXITED : T_DONE;
	t->nres = f->type->nr;
	return rc == VM_HOST_EXIT ? VM_EXITED : VM_DONE;
}

int vm_run(struct vm_thread *t, uint64_t fuel)
{
	if (t->state != T_READY && t->state != T_PAUSED)
		return TOY_ERR_BUSY;
	if (t->f->host)
		return run_host_entry(t);
	return vm_interp(t, fuel);
}

uint32_t vm_thread_results(const struct vm_thread *t, uint64_t *out, uint32_t n)
{
	if (t->state != T_DONE)
		return 0;
	uint32_t k = t->nres < n ? t->nres : n;
	memcpy(out, t->stack, (size_t)k * 8);
	return t->nres;
}

const char *vm_thread_trap(const struct vm_thread *t)
{
	return t->trap ? t->trap : "";
}

bool vm_thread_exhausted(const struct vm_thread *t)
{
	return t->exhausted;
}

int vm_invoke(struct vm_thread *t, struct vm_func *f, const uint64_t *args, uint32_t nargs,
	      uint64_t *results, uint32_t nresults)
{
	int rc = vm_thread_call(t, f, args, nargs);
	if (rc)
		return rc;
	do {
		rc = vm_run(t, UINT64_MAX);
	} while (rc == VM_PAUSED);
	if (rc == VM_DONE && results)
		vm_thread_results(t, results, nresults);
	return rc;
}
