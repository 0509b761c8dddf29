/* decode.c — the binary format: bytes in, a validated struct vm_module out.
 *
 * One pass over the sections in their mandated order. Everything is untrusted:
 * every count is bounded by the bytes that remain (each entry takes at least
 * one byte), so no allocation exceeds a small multiple of the input size.
 * Structural errors are TOY_ERR_MALFORMED; well-formed modules that break a
 * typing or index rule are TOY_ERR_INVALID. Function bodies are validated and
 * compiled by compile.c once all sections are read.
 */
#include "vm_int.h"

struct dec {
	struct vm_module *m;
	struct rd r;
	int err;
	const char *msg;
	uint32_t ndeclared; /* function section count */
	uint32_t datacount;
};

uint64_t vm_rd_leb(struct rd *r, unsigned bits, bool is_signed)
{
	uint64_t v = 0;
	unsigned shift = 0;
	for (;;) {
		uint8_t b = rd_u8(r);
		if (r->err)
			return 0;
		if (shift + 7 >= bits && shift < 64) {
			/* the last byte allowed: its unused bits must be a sign or zero
			 * extension, and it must not continue */
			unsigned used = bits - shift;
			if (b & 0x80) {
				rd_fail(r, "integer representation too long");
				return 0;
			}
			uint8_t rest = (uint8_t)(b & 0x7f) >> (used > 7 ? 7 : used);
			uint8_t want = 0;
			if (is_signed && used < 7 && (b >> (used - 1) & 1))
				want = (uint8_t)(0x7f >> used);
			if (used < 7 && rest != want) {
				rd_fail(r, "integer too large");
				return 0;
			}
		}
		v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80))
			break;
	}
	if (is_signed && shift < 64 && (v >> (shift - 1) & 1))
		v |= ~(uint64_t)0 << shift;
	if (bits < 64)
		v &= ((uint64_t)1 << bits) - 1;
	return v;
}

void *vm_alloc0(const struct vm_alloc *a, size_t n)
{
	void *p = a->alloc(a->ctx, n ? n : 1);
	if (p)
		memset(p, 0, n ? n : 1);
	return p;
}

void vm_fmt(char *buf, size_t len, const char *a, const char *b)
{
	size_t i = 0;
	if (!buf || !len)
		return;
	for (; a && *a && i + 1 < len; a++)
		buf[i++] = *a;
	for (; b && *b && i + 1 < len; b++)
		buf[i++] = *b;
	buf[i] = 0;
}

static void *mod_alloc(struct dec *d, size_t n)
{
	struct vm_module *m = d->m;
	if (m->nallocs == m->capallocs) {
		uint32_t cap = m->capallocs ? 2 * m->capallocs : 32;
		void **na = vm_alloc0(&m->a, cap * sizeof(void *));
		if (!na)
			goto nomem;
		if (m->allocs) {
			memcpy(na, m->allocs, m->nallocs * sizeof(void *));
			m->a.free(m->a.ctx, m->allocs);
		}
		m->allocs = na;
		m->capallocs = cap;
	}
	void *p = vm_alloc0(&m->a, n);
	if (!p)
		goto nomem;
	m->allocs[m->nallocs++] = p;
	return p;
nomem:
	if (!d->err) {
		d->err = TOY_ERR_NOMEM;
		d->msg = "out of memory";
	}
	return NULL;
}

static void invalid(struct dec *d, const char *msg)
{
	if (!d->err && !d->r.err) {
		d->err = TOY_ERR_INVALID;
		d->msg = msg;
	}
}

static bool failed(struct dec *d)
{
	return d->err || d->r.err;
}

/* A count of entries of at least min_size bytes each. */
static uint32_t rd_count(struct dec *d, size_t min_size)
{
	uint32_t n = rd_u32(&d->r);
	if ((uint64_t)n * min_size > (uint64_t)(d->r.end - d->r.p)) {
		rd_fail(&d->r, n > 100000 ? "length out of bounds" : "unexpected end");
		return 0;
	}
	return n;
}

static bool utf8_ok(const uint8_t *s, uint32_t n)
{
	uint32_t i = 0;
	while (i < n) {
		uint8_t c = s[i];
		uint32_t len, cp;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			len = 2, cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3, cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			len = 4, cp = c & 0x07;
		} else {
			return false;
		}
		if (i + len > n)
			return false;
		for (uint32_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp < 0xe000))
			return false;
		i += len;
	}
	return true;
}

static const char *rd_name(struct dec *d)
{
	uint32_t n = rd_count(d, 1);
	if (failed(d))
		return "";
	if (!utf8_ok(d->r.p, n)) {
		rd_fail(&d->r, "malformed UTF-8 encoding");
		return "";
	}
	char *s = mod_alloc(d, (size_t)n + 1);
	if (!s)
		return "";
	memcpy(s, d->r.p, n);
	d->r.p += n;
	return s;
}

static uint8_t rd_valtype(struct dec *d)
{
	uint8_t t = rd_u8(&d->r);
	if (!d->r.err && !vm_is_valtype(t))
		rd_fail(&d->r, "malformed value type");
	return t;
}

static uint8_t rd_reftype(struct dec *d)
{
	uint8_t t = rd_u8(&d->r);
	if (!d->r.err && !vm_is_ref(t))
		rd_fail(&d->r, "malformed reference type");
	return t;
}

static void rd_limits(struct dec *d, struct vm_limits *l, bool mem)
{
	uint8_t flag = rd_u8(&d->r);
	if (flag > 1) {
		rd_fail(&d->r, "integer too large");
		return;
	}
	l->min = rd_u32(&d->r);
	l->has_max = flag == 1;
	l->max = l->has_max ? rd_u32(&d->r) : (mem ? VM_MAX_PAGES : UINT32_MAX);
	if (failed(d))
		return;
	if (mem && (l->min > VM_MAX_PAGES || l->max > VM_MAX_PAGES))
		invalid(d, "memory size must be at most 65536 pages (4GiB)");
	if (l->min > l->max)
		invalid(d, "size minimum must not be greater than maximum");
}

static void rd_tabletype(struct dec *d, struct vm_tabletype *t)
{
	t->elem = rd_reftype(d);
	rd_limits(d, &t->lim, false);
}

static void rd_globaltype(struct dec *d, struct vm_globaltype *g)
{
	g->type = rd_valtype(d);
	uint8_t mut = rd_u8(&d->r);
	if (mut > 1)
		rd_fail(&d->r, "malformed mutability");
	g->mut = mut == 1;
}

static void add_memory(struct dec *d)
{
	if (++d->m->nmems > 1)
		invalid(d, "multiple memories");
}

/* Reads a constant expression of type want (0: any reference, checked by
 * the caller). ngl: globals visible to global.get. */
static void rd_cexpr(struct dec *d, struct vm_cexpr *e, uint8_t want, uint32_t ngl)
{
	struct vm_module *m = d->m;
	struct rd *r = &d->r;
	e->op = rd_u8(r);
	switch (e->op) {
	case 0x41: e->type = VM_I32, e->v = (uint32_t)vm_rd_leb(r, 32, true); break;
	case 0x42: e->type = VM_I64, e->v = vm_rd_leb(r, 64, true); break;
	case 0x43:
		e->type = VM_F32;
		if (r->end - r->p < 4)
			return rd_fail(r, "unexpected end");
		e->v = (uint32_t)r->p[0] | (uint32_t)r->p[1] << 8 | (uint32_t)r->p[2] << 16 |
		       (uint32_t)r->p[3] << 24;
		r->p += 4;
		break;
	case 0x44:
		e->type = VM_F64;
		if (r->end - r->p < 8)
			return rd_fail(r, "unexpected end");
		e->v = 0;
		for (int i = 7; i >= 0; i--)
			e->v = e->v << 8 | r->p[i];
		r->p += 8;
		break;
	case 0x23:
		e->v = rd_u32(r);
		if (failed(d))
			return;
		if (e->v >= ngl)
			return invalid(d, "unknown global");
		if (m->globals[e->v].mut)
			return invalid(d, "constant expression required");
		e->type = m->globals[e->v].type;
		break;
	case 0xd0: e->type = rd_reftype(d); break;
	case 0xd2:
		e->v = rd_u32(r);
		e->type = VM_FUNCREF;
		if (failed(d))
			return;
		if (e->v >= m->nfuncs)
			return invalid(d, "unknown function");
		m->refs[e->v] = 1;
		break;
	case 0x0b: return invalid(d, "type mismatch");
	default:
		/* a known instruction is invalid here; an unknown byte is malformed */
		if ((e->op >= 0x06 && e->op <= 0x0a) || (e->op >= 0x12 && e->op <= 0x19) ||
		    (e->op >= 0x1d && e->op <= 0x1f) || e->op == 0x27 ||
		    (e->op >= 0xc5 && e->op <= 0xcf) || (e->op > 0xd2 && e->op != 0xfc))
			return rd_fail(r, "illegal opcode");
		return invalid(d, "constant expression required");
	}
	if (failed(d))
		return;
	uint8_t end = rd_u8(r);
	if (end != 0x0b && !failed(d))
		return invalid(d, end == 0x41 || end == 0x42 || end == 0x43 || end == 0x44 ||
					  end == 0xd0 || end == 0xd2 || end == 0x23
				      ? "type mismatch"
				      : "constant expression required");
	if (want && e->type != want)
		invalid(d, "type mismatch");
}

static void sec_type(struct dec *d)
{
	struct vm_module *m = d->m;
	m->ntypes = rd_count(d, 3);
	m->types = mod_alloc(d, m->ntypes * sizeof(*m->types));
	for (uint32_t i = 0; i < m->ntypes && !failed(d); i++) {
		struct vm_functype *t = &m->types[i];
		if (rd_u8(&d->r) != 0x60)
			return rd_fail(&d->r, "integer representation too long");
		uint32_t np = rd_count(d, 1);
		const uint8_t *pp = d->r.p;
		d->r.p += np;
		uint32_t nr = rd_count(d, 1);
		t->t = mod_alloc(d, (size_t)np + nr);
		if (failed(d))
			return;
		t->np = np, t->nr = nr;
		for (uint32_t k = 0; k < np; k++)
			if (!vm_is_valtype(t->t[k] = pp[k]))
				return rd_fail(&d->r, "malformed value type");
		for (uint32_t k = 0; k < nr; k++)
			t->t[np + k] = rd_valtype(d);
	}
}

static void sec_import(struct dec *d)
{
	struct vm_module *m = d->m;
	m->nimports = rd_count(d, 4);
	m->imports = mod_alloc(d, m->nimports * sizeof(*m->imports));
	/* imported globals need their types before later const exprs */
	m->globals = mod_alloc(d, m->nimports * sizeof(*m->globals));
	m->functype = mod_alloc(d, m->nimports * sizeof(uint32_t));
	m->tables = mod_alloc(d, m->nimports * sizeof(*m->tables));
	for (uint32_t i = 0; i < m->nimports && !failed(d); i++) {
		struct vm_import_def *im = &m->imports[i];
		im->mod = rd_name(d);
		im->name = rd_name(d);
		im->kind = rd_u8(&d->r);
		if (failed(d))
			return;
		switch (im->kind) {
		case VM_EXT_FUNC:
			im->type = rd_u32(&d->r);
			if (!failed(d) && im->type >= m->ntypes)
				return invalid(d, "unknown type");
			m->functype[m->nfimports++] = im->type;
			break;
		case VM_EXT_TABLE:
			rd_tabletype(d, &im->table);
			m->tables[m->ntimports++] = im->table;
			break;
		case VM_EXT_MEMORY:
			rd_limits(d, &im->mem, true);
			m->mem = im->mem;
			m->nmimports++;
			add_memory(d);
			break;
		case VM_EXT_GLOBAL:
			rd_globaltype(d, &im->global);
			m->globals[m->ngimports++] = im->global;
			break;
		default: return rd_fail(&d->r, "malformed import kind");
		}
	}
	m->nfuncs = m->nfimports;
	m->ntables = m->ntimports;
	m->nglobals = m->ngimports;
}

static void *grow_array(struct dec *d, void *old, size_t oldn, size_t newn, size_t size)
{
	void *p = mod_alloc(d, newn * size);
	if (p && old)
		memcpy(p, old, oldn * size);
	return p;
}

static void sec_function(struct dec *d)
{
	struct vm_module *m = d->m;
	uint32_t n = rd_count(d, 1);
	if (failed(d))
		return;
	m->functype = grow_array(d, m->functype, m->nfimports, (size_t)m->nfimports + n, 4);
	m->codes = mod_alloc(d, n * sizeof(*m->codes));
	if (failed(d))
		return;
	for (uint32_t i = 0; i < n && !failed(d); i++) {
		uint32_t t = rd_u32(&d->r);
		if (!failed(d) && t >= m->ntypes)
			return invalid(d, "unknown type");
		m->functype[m->nfuncs++] = t;
		m->codes[i].type = t;
	}
	d->ndeclared = n;
}

static void sec_table(struct dec *d)
{
	struct vm_module *m = d->m;
	uint32_t n = rd_count(d, 3);
	m->tables =
	    grow_array(d, m->tables, m->ntables, (size_t)m->ntables + n, sizeof(*m->tables));
	for (uint32_t i = 0; i < n && !failed(d); i++)
		rd_tabletype(d, &m->tables[m->ntables++]);
}

static void sec_memory(struct dec *d)
{
	uint32_t n = rd_count(d, 2);
	for (uint32_t i = 0; i < n && !failed(d); i++) {
		rd_limits(d, &d->m->mem, true);
		add_memory(d);
	}
}

static void sec_global(struct dec *d)
{
	struct vm_module *m = d->m;
	uint32_t n = rd_count(d, 3); /* type, mutability, end */
	size_t total = (size_t)m->nglobals + n;
	m->globals = grow_array(d, m->globals, m->nglobals, total, sizeof(*m->globals));
	m->ginit = mod_alloc(d, total * sizeof(*m->ginit));
	for (uint32_t i = 0; i < n && !failed(d); i++) {
		uint32_t g = m->nglobals;
		rd_globaltype(d, &m->globals[g]);
		rd_cexpr(d, &m->ginit[g], m->globals[g].type, m->ngimports);
		m->nglobals++;
	}
}

static void sec_export(struct dec *d)
{
	struct vm_module *m = d->m;
	m->nexports = rd_count(d, 3);
	m->exports = mod_alloc(d, m->nexports * sizeof(*m->exports));
	for (uint32_t i = 0; i < m->nexports && !failed(d); i++) {
		struct vm_export_def *e = &m->exports[i];
		e->name = rd_name(d);
		e->kind = rd_u8(&d->r);
		e->idx = rd_u32(&d->r);
		if (failed(d))
			return;
		uint32_t lim[4] = {m->nfuncs, m->ntables, m->nmems, m->nglobals};
		static const char *const unknown[4] = {"unknown function", "unknown table",
						       "unknown memory", "unknown global"};
		if (e->kind > 3)
			return rd_fail(&d->r, "malformed export kind");
		if (e->idx >= lim[e->kind])
			return invalid(d, unknown[e->kind]);
		if (e->kind == VM_EXT_FUNC)
			m->refs[e->idx] = 1;
		for (uint32_t k = 0; k < i; k++)
			if (!strcmp(m->exports[k].name, e->name))
				return invalid(d, "duplicate export name");
	}
}

static void sec_start(struct dec *d)
{
	struct vm_module *m = d->m;
	m->start = rd_u32(&d->r);
	m->has_start = true;
	if (failed(d))
		return;
	if (m->start >= m->nfuncs)
		return invalid(d, "unknown function");
	const struct vm_functype *t = &m->types[m->functype[m->start]];
	if (t->np || t->nr)
		invalid(d, "start function");
}

static void elem_items(struct dec *d, struct vm_elem_def *e, bool exprs)
{
	struct vm_module *m = d->m;
	e->n = rd_count(d, 1);
	e->items = mod_alloc(d, e->n * sizeof(*e->items));
	for (uint32_t i = 0; i < e->n && !failed(d); i++) {
		if (exprs) {
			rd_cexpr(d, &e->items[i], e->type, m->ngimports);
			continue;
		}
		uint32_t f = rd_u32(&d->r);
		if (failed(d))
			return;
		if (f >= m->nfuncs)
			return invalid(d, "unknown function");
		m->refs[f] = 1;
		e->items[i] = (struct vm_cexpr){.op = 0xd2, .type = VM_FUNCREF, .v = f};
	}
}

static void rd_elem(struct dec *d, struct vm_elem_def *e)
{
	struct vm_module *m = d->m;
	uint32_t flags = rd_u32(&d->r);
	if (failed(d))
		return;
	if (flags > 7)
		return rd_fail(&d->r, "malformed elements segment kind");
	e->mode = (flags & 1) ? ((flags & 2) ? SEG_DECLARATIVE : SEG_PASSIVE) : SEG_ACTIVE;
	e->type = VM_FUNCREF;
	if (e->mode == SEG_ACTIVE) {
		e->table = (flags & 2) ? rd_u32(&d->r) : 0;
		if (!failed(d) && e->table >= m->ntables)
			return invalid(d, "unknown table");
		rd_cexpr(d, &e->off, VM_I32, m->ngimports);
	}
	if (flags & 3) {
		if (flags & 4) {
			e->type = rd_reftype(d);
		} else if (rd_u8(&d->r) != 0x00 && !failed(d)) {
			return rd_fail(&d->r, "malformed element kind");
		}
	}
	elem_items(d, e, flags & 4);
	if (!failed(d) && e->mode == SEG_ACTIVE && m->tables[e->table].elem != e->type)
		invalid(d, "type mismatch");
}

static void sec_elem(struct dec *d)
{
	struct vm_module *m = d->m;
	m->nelems = rd_count(d, 2);
	m->elems = mod_alloc(d, m->nelems * sizeof(*m->elems));
	for (uint32_t i = 0; i < m->nelems && !failed(d); i++)
		rd_elem(d, &m->elems[i]);
}

static void sec_datacount(struct dec *d)
{
	d->datacount = rd_u32(&d->r);
	d->m->ndatas = d->datacount;
	d->m->has_datacount = true;
}

static void sec_code(struct dec *d)
{
	struct vm_module *m = d->m;
	uint32_t n = rd_count(d, 2);
	if (failed(d))
		return;
	if (n != d->ndeclared)
		return rd_fail(&d->r, "function and code section have inconsistent lengths");
	for (uint32_t i = 0; i < n && !failed(d); i++) {
		uint32_t size = rd_count(d, 1);
		if (failed(d))
			return;
		m->codes[i].body = d->r.p;
		m->codes[i].body_len = size;
		d->r.p += size;
	}
}

static void sec_data(struct dec *d)
{
	struct vm_module *m = d->m;
	m->ndatas = rd_count(d, 1);
	if (failed(d))
		return;
	m->has_datasec = true;
	if (m->has_datacount && m->ndatas != d->datacount)
		return rd_fail(&d->r, "data count and data section have inconsistent lengths");
	m->datas = mod_alloc(d, m->ndatas * sizeof(*m->datas));
	for (uint32_t i = 0; i < m->ndatas && !failed(d); i++) {
		struct vm_data_def *s = &m->datas[i];
		uint32_t flags = rd_u32(&d->r);
		if (failed(d))
			return;
		if (flags > 2)
			return rd_fail(&d->r, "malformed data segment kind");
		s->mode = flags == 1 ? SEG_PASSIVE : SEG_ACTIVE;
		if (flags == 2 && rd_u32(&d->r) != 0 && !failed(d))
			return invalid(d, "unknown memory");
		if (s->mode == SEG_ACTIVE) {
			if (!m->nmems)
				return invalid(d, "unknown memory");
			rd_cexpr(d, &s->off, VM_I32, m->ngimports);
		}
		s->len = rd_count(d, 1);
		s->bytes = d->r.p;
		d->r.p += s->len;
	}
}

static void sec_custom(struct dec *d)
{
	rd_name(d);
	d->r.p = d->r.end;
}

typedef void (*sec_fn)(struct dec *d);

/* Sections by id, and their required order (datacount, 12, sits before code). */
static const sec_fn sections[13] = {sec_custom, sec_type,   sec_import,   sec_function, sec_table,
				    sec_memory, sec_global, sec_export,   sec_start,    sec_elem,
				    sec_code,   sec_data,   sec_datacount};
static const uint8_t order[13] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 11, 12, 10};

static void read_sections(struct dec *d, const uint8_t *p, const uint8_t *end)
{
	int last = 0;
	struct vm_module *m = d->m;
	d->r = (struct rd){.p = p, .end = end};
	while (d->r.p < d->r.end && !failed(d)) {
		uint8_t id = rd_u8(&d->r);
		uint32_t size = rd_u32(&d->r);
		if (failed(d))
			break;
		if (id > 12)
			return rd_fail(&d->r, "malformed section id");
		if (size > (uint64_t)(d->r.end - d->r.p))
			return rd_fail(&d->r, "length out of bounds");
		if (id && order[id] <= last)
			return rd_fail(&d->r, "unexpected content after last section");
		if (id)
			last = order[id];
		if (id == 6 || id == 7 || id == 9 || id == 10) {
			/* these may name any function: refs must exist */
			if (!m->refs)
				m->refs = mod_alloc(d, m->nfuncs + 1);
		}
		const uint8_t *send = d->r.p + size;
		struct rd outer = d->r;
		d->r.end = send;
		sections[id](d);
		if (failed(d))
			break;
		if (d->r.p != send)
			return rd_fail(&d->r, "section size mismatch");
		d->r = outer;
		d->r.p = send;
	}
	if (!failed(d) && d->ndeclared && !m->codes[0].body)
		rd_fail(&d->r, "function and code section have inconsistent lengths");
	if (!failed(d) && m->has_datacount && d->datacount && !m->has_datasec)
		rd_fail(&d->r, "data count and data section have inconsistent lengths");
}

static int finish(struct dec *d, char *msg, size_t msglen)
{
	struct vm_module *m = d->m;
	if (!m->refs)
		m->refs = mod_alloc(d, m->nfuncs + 1);
	for (uint32_t i = 0; i < m->nfuncs - m->nfimports && !failed(d); i++) {
		int rc = vm_compile(m, i, msg, msglen);
		const char *why;
		if (rc == TOY_ERR_INVALID && vm_skim_bodies(m, &why)) {
			vm_fmt(msg, msglen, why, NULL);
			return TOY_ERR_MALFORMED; /* decoding errors come first */
		}
		if (rc)
			return rc;
	}
	return 0;
}

int vm_module_load(const struct vm_alloc *a, const uint8_t *bytes, size_t len,
		   struct vm_module **out, char *msg, size_t msglen)
{
	static const uint8_t magic[8] = {0, 'a', 's', 'm', 1, 0, 0, 0};
	struct vm_module *m = vm_alloc0(a, sizeof(*m));
	struct dec d = {.m = m};
	int rc;
	if (!m)
		return TOY_ERR_NOMEM;
	m->a = *a;
	m->bytes = a->alloc(a->ctx, len ? len : 1);
	if (!m->bytes) {
		vm_module_free(m);
		return TOY_ERR_NOMEM;
	}
	memcpy(m->bytes, bytes, len);
	m->len = len;
	m->hash = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < len; i++)
		m->hash = (m->hash ^ bytes[i]) * 0x100000001b3ull;
	if (len < 4 || memcmp(m->bytes, magic, 4)) {
		rd_fail(&d.r, "magic header not detected");
	} else if (len < 8 || memcmp(m->bytes + 4, magic + 4, 4)) {
		rd_fail(&d.r, "unknown binary version");
	} else {
		read_sections(&d, m->bytes + 8, m->bytes + len);
	}
	rc = d.err ? d.err : d.r.err;
	if (rc) {
		vm_fmt(msg, msglen, d.err ? d.msg : d.r.msg, NULL);
	} else {
		rc = finish(&d, msg, msglen);
		if (!rc && d.err) {
			rc = d.err;
			vm_fmt(msg, msglen, d.msg, NULL);
		}
	}
	if (rc) {
		vm_module_free(m);
		return rc;
	}
	*out = m;
	return 0;
}

void vm_module_free(struct vm_module *m)
{
	if (!m)
		return;
	for (uint32_t i = 0; m->codes && i < m->nfuncs - m->nfimports; i++) {
		if (m->codes[i].code)
			m->a.free(m->a.ctx, m->codes[i].code);
		if (m->codes[i].consts)
			m->a.free(m->a.ctx, m->codes[i].consts);
	}
	for (uint32_t i = 0; i < m->nallocs; i++)
		m->a.free(m->a.ctx, m->allocs[i]);
	if (m->allocs)
		m->a.free(m->a.ctx, m->allocs);
	if (m->bytes)
		m->a.free(m->a.ctx, m->bytes);
	m->a.free(m->a.ctx, m);
}

uint32_t vm_module_nimports(const struct vm_module *m)
{
	return m->nimports;
}

int vm_module_import(const struct vm_module *m, uint32_t i, const char **module, const char **name,
		     enum vm_kind *kind)
{
	if (i >= m->nimports)
		return TOY_ERR_RANGE;
	*module = m->imports[i].mod;
	*name = m->imports[i].name;
	*kind = (enum vm_kind)m->imports[i].kind;
	return 0;
}

int vm_module_import_type(const struct vm_module *m, uint32_t i, uint32_t *nparams,
			  const uint8_t **params, uint32_t *nresults, const uint8_t **results)
{
	if (i >= m->nimports || m->imports[i].kind != VM_EXT_FUNC)
		return TOY_ERR_RANGE;
	const struct vm_functype *t = &m->types[m->imports[i].type];
	*nparams = t->np;
	*params = t->t;
	*nresults = t->nr;
	*results = t->t + t->np;
	return 0;
}

uint32_t vm_module_nexports(const struct vm_module *m)
{
	return m->nexports;
}

int vm_module_export(const struct vm_module *m, uint32_t i, const char **name, enum vm_kind *kind)
{
	if (i >= m->nexports)
		return TOY_ERR_RANGE;
	*name = m->exports[i].name;
	*kind = (enum vm_kind)m->exports[i].kind;
	return 0;
}
