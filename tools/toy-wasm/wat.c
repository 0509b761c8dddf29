/* wat.c — WebAssembly text format to binary: modules and their fields.
 *
 * Two passes over the tokens. The first (scan_field) gives every index
 * space its identifiers in text order, records the explicit type
 * definitions and enforces what only the whole module can tell (duplicate
 * identifiers, imports after definitions), so that the second pass
 * (emit_field) can resolve forward references while it writes each field
 * into the buffer of its binary section. Function types used inline and not
 * defined explicitly are appended to the type section as the second pass
 * meets them, as the spec says. The sections are then put together in
 * binary order. Instructions are in wat_instr.c, tokens in wat_lex.c.
 */
#include "wat.h"
#include "wat_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <toy/err.h>

_Noreturn void wat_fail(struct wat *w, const struct wat_tok *t, const char *fmt, ...)
{
	va_list ap;
	int n = 0;
	if (w->msg && w->msglen) {
		n = snprintf(w->msg, w->msglen, "%u:%u: ", t ? t->line : 0, t ? t->col : 0);
		va_start(ap, fmt);
		if (n >= 0 && (size_t)n < w->msglen)
			vsnprintf(w->msg + n, w->msglen - (size_t)n, fmt, ap);
		va_end(ap);
	}
	w->err = TOY_ERR_MALFORMED;
	longjmp(w->jb, 1);
}

static _Noreturn void nomem(struct wat *w)
{
	if (w->msg && w->msglen)
		snprintf(w->msg, w->msglen, "out of memory");
	w->err = TOY_ERR_NOMEM;
	longjmp(w->jb, 1);
}

void *wat_alloc(struct wat *w, size_t n)
{
	if (w->nallocs == w->capallocs) {
		size_t cap = w->capallocs ? w->capallocs * 2 : 64;
		void **a = realloc(w->allocs, cap * sizeof(*a));
		if (!a)
			nomem(w);
		w->allocs = a, w->capallocs = cap;
	}
	void *p = calloc(1, n ? n : 1);
	if (!p)
		nomem(w);
	w->allocs[w->nallocs++] = p;
	return p;
}

static void buf_reserve(struct wat *w, struct wat_buf *b, size_t more)
{
	if (b->n + more <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < b->n + more)
		cap *= 2;
	uint8_t *p = wat_alloc(w, cap);
	if (b->n)
		memcpy(p, b->p, b->n);
	b->p = p, b->cap = cap;
}

void buf_bytes(struct wat *w, struct wat_buf *b, const void *p, size_t n)
{
	buf_reserve(w, b, n);
	if (n)
		memcpy(b->p + b->n, p, n);
	b->n += n;
}

void buf_byte(struct wat *w, struct wat_buf *b, uint8_t v)
{
	buf_bytes(w, b, &v, 1);
}

void buf_u32(struct wat *w, struct wat_buf *b, uint32_t v)
{
	do {
		uint8_t c = v & 0x7f;
		v >>= 7;
		buf_byte(w, b, (uint8_t)(c | (v ? 0x80 : 0)));
	} while (v);
}

void buf_s64(struct wat *w, struct wat_buf *b, int64_t v)
{
	for (;;) {
		uint8_t c = (uint8_t)(v & 0x7f);
		v >>= 7;
		if ((v == 0 && !(c & 0x40)) || (v == -1 && (c & 0x40))) {
			buf_byte(w, b, c);
			return;
		}
		buf_byte(w, b, c | 0x80);
	}
}

/* --- index spaces ---------------------------------------------------------- */

static const struct wat_tok *opt_id(struct wat *w)
{
	return is_id(w, peek(w, 0)) ? next(w) : NULL;
}

void space_push(struct wat *w, struct wat_space *s, const struct wat_tok *id)
{
	if (s->n == s->cap) {
		uint32_t cap = s->cap ? s->cap * 2 : 16;
		struct wat_name *v = wat_alloc(w, cap * sizeof(*v));
		if (s->n)
			memcpy(v, s->ids, s->n * sizeof(*v));
		s->ids = v, s->cap = cap;
	}
	s->ids[s->n++] = id ? (struct wat_name){w->src + id->off, id->len} : (struct wat_name){0};
}

static int64_t space_find(struct wat *w, const struct wat_space *s, const struct wat_tok *id)
{
	for (uint32_t i = 0; i < s->n; i++)
		if (s->ids[i].len == id->len && !memcmp(s->ids[i].s, w->src + id->off, id->len))
			return i;
	return -1;
}

/* Adds an index with identifier id (may be NULL); identifiers are unique. */
static void space_add(struct wat *w, struct wat_space *s, const struct wat_tok *id)
{
	if (id && space_find(w, s, id) >= 0)
		wat_fail(w, id, "duplicate %s %.*s", s->what, (int)id->len, w->src + id->off);
	space_push(w, s, id);
}

uint32_t wat_index(struct wat *w, struct wat_space *s, const struct wat_tok *t)
{
	uint32_t v;
	if (is_id(w, t)) {
		int64_t i = space_find(w, s, t);
		if (i < 0)
			wat_fail(w, t, "unknown %s %.*s", s->what, (int)t->len, w->src + t->off);
		return (uint32_t)i;
	}
	if (t->kind == T_ATOM && lit_u32(w, t, w->src + t->off, t->len, &v))
		return v;
	wat_fail(w, t, "unexpected token, expected a %s index", s->what);
}

/* --- types ----------------------------------------------------------------- */

bool wat_valtype(struct wat *w, const struct wat_tok *t, uint8_t *v)
{
	static const char *const names[] = {"i32", "i64", "f32", "f64", "funcref", "externref"};
	static const uint8_t codes[] = {0x7f, 0x7e, 0x7d, 0x7c, 0x70, 0x6f};
	for (int i = 0; i < 6; i++)
		if (is_kw(w, t, names[i]))
			return *v = codes[i], true;
	return false;
}

static uint8_t valtype(struct wat *w)
{
	uint8_t v;
	const struct wat_tok *t = next(w);
	if (!wat_valtype(w, t, &v))
		wat_fail(w, t, "unexpected token, expected a value type");
	return v;
}

static uint8_t reftype(struct wat *w)
{
	const struct wat_tok *t = next(w);
	if (is_kw(w, t, "funcref"))
		return 0x70;
	if (is_kw(w, t, "externref"))
		return 0x6f;
	wat_fail(w, t, "unexpected token, expected a reference type");
}

/* (param ...)* (result ...)* into sig; param ids into names if allowed. */
static void params_results(struct wat *w, bool param_ids, struct wat_space *names,
			   struct wat_functype *sig, bool *any)
{
	struct wat_buf p = {0}, r = {0};
	while (peek_form(w, "param")) {
		next(w), next(w), *any = true;
		const struct wat_tok *id = opt_id(w);
		if (id && !param_ids)
			wat_fail(w, id, "unexpected token (identifier not allowed)");
		if (id) {
			buf_byte(w, &p, valtype(w));
			if (names)
				space_add(w, names, id);
			expect_rpar(w);
			continue;
		}
		while (peek(w, 0)->kind == T_ATOM) {
			buf_byte(w, &p, valtype(w));
			if (names)
				space_push(w, names, NULL);
		}
		expect_rpar(w);
	}
	while (peek_form(w, "result")) {
		next(w), next(w), *any = true;
		while (peek(w, 0)->kind == T_ATOM)
			buf_byte(w, &r, valtype(w));
		expect_rpar(w);
	}
	sig->np = (uint32_t)p.n, sig->nr = (uint32_t)r.n;
	sig->t = wat_alloc(w, p.n + r.n);
	if (p.n)
		memcpy(sig->t, p.p, p.n);
	if (r.n)
		memcpy(sig->t + p.n, r.p, r.n);
}

static bool sig_eq(const struct wat_functype *a, const struct wat_functype *b)
{
	return a->np == b->np && a->nr == b->nr && !memcmp(a->t, b->t, a->np + a->nr);
}

static uint32_t add_functype(struct wat *w, const struct wat_functype *sig)
{
	if (w->nft == w->capft) {
		uint32_t cap = w->capft ? w->capft * 2 : 16;
		struct wat_functype *v = wat_alloc(w, cap * sizeof(*v));
		if (w->nft)
			memcpy(v, w->ft, w->nft * sizeof(*v));
		w->ft = v, w->capft = cap;
	}
	w->ft[w->nft] = *sig;
	return w->nft++;
}

void wat_typeuse(struct wat *w, bool param_ids, struct wat_space *names, struct wat_typeuse *u)
{
	*u = (struct wat_typeuse){0};
	if (peek_form(w, "type")) {
		next(w), next(w);
		u->has_type = true;
		u->idx = wat_index(w, &w->types, next(w));
		expect_rpar(w);
	}
	const struct wat_tok *at = peek(w, 0);
	params_results(w, param_ids, names, &u->sig, &u->has_inline);
	if (!u->has_type)
		return;
	if (u->idx < w->nft && (!u->has_inline || sig_eq(&w->ft[u->idx], &u->sig)))
		u->sig = w->ft[u->idx];
	else if (u->has_inline)
		wat_fail(w, at, "inline function type does not match type %u", u->idx);
}

uint32_t wat_type_index(struct wat *w, const struct wat_typeuse *u)
{
	if (u->has_type)
		return u->idx;
	for (uint32_t i = 0; i < w->nft; i++)
		if (sig_eq(&w->ft[i], &u->sig))
			return i;
	return add_functype(w, &u->sig);
}

/* --- pass 1: identifiers --------------------------------------------------- */

enum { K_FUNC, K_TABLE, K_MEM, K_GLOBAL };
static const char *const kind_kw[] = {"func", "table", "memory", "global"};

static int kind_of(const struct wat *w, const struct wat_tok *t)
{
	for (int k = 0; k < 4; k++)
		if (is_kw(w, t, kind_kw[k]))
			return k;
	return -1;
}

static struct wat_space *kind_space(struct wat *w, int k)
{
	struct wat_space *s[] = {&w->funcs, &w->tables, &w->mems, &w->globals};
	return s[k];
}

static void skip_exports(struct wat *w)
{
	while (peek_form(w, "export")) {
		next(w), next(w);
		skip_form_rest(w);
	}
}

/* A func/table/memory/global field after its keyword and id. */
static void scan_def(struct wat *w, int k, const struct wat_tok *at, int *first_def)
{
	skip_exports(w);
	if (peek_form(w, "import")) {
		if (*first_def >= 0)
			wat_fail(w, at, "import after %s", kind_kw[*first_def]);
		return;
	}
	if (*first_def < 0)
		*first_def = k;
	if (k == K_TABLE && peek(w, 0)->kind == T_ATOM && peek(w, 1)->kind == T_LPAR &&
	    is_kw(w, peek(w, 2), "elem"))
		space_push(w, &w->elems, NULL);
	if (k == K_MEM && peek_form(w, "data"))
		space_push(w, &w->datas, NULL);
}

static void scan_type(struct wat *w)
{
	struct wat_functype sig;
	bool any;
	space_add(w, &w->types, opt_id(w));
	expect_lpar(w);
	expect_kw(w, "func");
	params_results(w, true, NULL, &sig, &any);
	expect_rpar(w);
	add_functype(w, &sig);
}

static void scan_field(struct wat *w, int *first_def)
{
	size_t start = w->pos;
	expect_lpar(w);
	const struct wat_tok *t = next(w);
	int k = kind_of(w, t);
	if (is_kw(w, t, "type")) {
		scan_type(w);
	} else if (is_kw(w, t, "import")) {
		if (*first_def >= 0)
			wat_fail(w, t, "import after %s", kind_kw[*first_def]);
		if (next(w)->kind != T_STR || next(w)->kind != T_STR)
			wat_fail(w, t, "unexpected token, expected import names");
		expect_lpar(w);
		const struct wat_tok *d = next(w);
		if ((k = kind_of(w, d)) < 0)
			wat_fail(w, d, "unexpected token, expected an import kind");
		space_add(w, kind_space(w, k), opt_id(w));
	} else if (k >= 0) {
		space_add(w, kind_space(w, k), opt_id(w));
		scan_def(w, k, t, first_def);
	} else if (is_kw(w, t, "elem")) {
		space_add(w, &w->elems, opt_id(w));
	} else if (is_kw(w, t, "data")) {
		space_add(w, &w->datas, opt_id(w));
	} else if (!is_kw(w, t, "export") && !is_kw(w, t, "start")) {
		wat_fail(w, t, "unexpected token, unknown module field");
	}
	w->pos = start + 1;
	skip_form_rest(w);
}

/* --- pass 2: sections ------------------------------------------------------ */

static struct wat_buf *sec(struct wat *w, int id)
{
	w->count[id]++;
	return &w->sec[id];
}

/* A string token as a name: vec(byte), valid UTF-8. */
static void name(struct wat *w, struct wat_buf *b)
{
	const struct wat_tok *t = next(w);
	struct wat_buf s = {0};
	if (!wat_string(w, t, &s))
		wat_fail(w, t, "unexpected token, expected a string");
	if (!wat_utf8_valid(s.p, s.n))
		wat_fail(w, t, "malformed UTF-8 encoding");
	buf_u32(w, b, (uint32_t)s.n);
	buf_bytes(w, b, s.p, s.n);
}

/* Strings concatenated into b, up to the next non-string token. */
static void strings(struct wat *w, struct wat_buf *b)
{
	while (peek(w, 0)->kind == T_STR)
		wat_string(w, next(w), b);
}

static uint32_t u32_atom(struct wat *w)
{
	const struct wat_tok *t = next(w);
	uint32_t v;
	if (t->kind != T_ATOM || !lit_u32(w, t, w->src + t->off, t->len, &v))
		wat_fail(w, t, "unexpected token, expected a number");
	return v;
}

static void limits(struct wat *w, struct wat_buf *b)
{
	uint32_t min = u32_atom(w);
	const struct wat_tok *t = peek(w, 0);
	bool has_max = t->kind == T_ATOM && w->src[t->off] >= '0' && w->src[t->off] <= '9';
	buf_byte(w, b, has_max);
	buf_u32(w, b, min);
	if (has_max)
		buf_u32(w, b, u32_atom(w));
}

static void tabletype(struct wat *w, struct wat_buf *b)
{
	struct wat_buf l = {0};
	limits(w, &l);
	buf_byte(w, b, reftype(w));
	buf_bytes(w, b, l.p, l.n);
}

static void globaltype(struct wat *w, struct wat_buf *b)
{
	if (peek_form(w, "mut")) {
		next(w), next(w);
		buf_byte(w, b, valtype(w));
		buf_byte(w, b, 1);
		expect_rpar(w);
	} else {
		buf_byte(w, b, valtype(w));
		buf_byte(w, b, 0);
	}
}

/* The description of an import of kind k, after its id. */
static void import_desc(struct wat *w, int k, struct wat_buf *b)
{
	struct wat_typeuse u;
	buf_byte(w, b, (uint8_t)k);
	switch (k) {
	case K_FUNC:
		wat_typeuse(w, true, NULL, &u);
		buf_u32(w, b, wat_type_index(w, &u));
		break;
	case K_TABLE: tabletype(w, b); break;
	case K_MEM: limits(w, b); break;
	default: globaltype(w, b); break;
	}
	w->cur[k]++;
}

static void emit_import(struct wat *w)
{
	struct wat_buf *b = sec(w, S_IMPORT);
	name(w, b);
	name(w, b);
	expect_lpar(w);
	int k = kind_of(w, next(w));
	opt_id(w);
	import_desc(w, k, b);
	expect_rpar(w);
}

/* Inline (export "name")* of the definition of kind k being defined. */
static void inline_exports(struct wat *w, int k)
{
	while (peek_form(w, "export")) {
		next(w), next(w);
		struct wat_buf *b = sec(w, S_EXPORT);
		name(w, b);
		buf_byte(w, b, (uint8_t)k);
		buf_u32(w, b, w->cur[k]);
		expect_rpar(w);
	}
}

/* Inline (import "m" "n") of kind k; false if there is none. */
static bool inline_import(struct wat *w, int k)
{
	if (!peek_form(w, "import"))
		return false;
	next(w), next(w);
	struct wat_buf *b = sec(w, S_IMPORT);
	name(w, b);
	name(w, b);
	expect_rpar(w);
	import_desc(w, k, b);
	return true;
}

static void code_entry(struct wat *w, const struct wat_buf *loc, const struct wat_buf *body)
{
	struct wat_buf e = {0};
	uint32_t groups = 0;
	for (size_t i = 0; i < loc->n; i++)
		groups += !i || loc->p[i] != loc->p[i - 1];
	buf_u32(w, &e, groups);
	for (size_t i = 0, j; i < loc->n; i = j) {
		for (j = i; j < loc->n && loc->p[j] == loc->p[i]; j++)
			;
		buf_u32(w, &e, (uint32_t)(j - i));
		buf_byte(w, &e, loc->p[i]);
	}
	buf_bytes(w, &e, body->p, body->n);
	struct wat_buf *c = sec(w, S_CODE);
	buf_u32(w, c, (uint32_t)e.n);
	buf_bytes(w, c, e.p, e.n);
}

static void emit_func(struct wat *w)
{
	struct wat_typeuse u;
	struct wat_buf loc = {0}, body = {0};
	opt_id(w);
	inline_exports(w, K_FUNC);
	if (inline_import(w, K_FUNC))
		return;
	w->cur[K_FUNC]++;
	wat_typeuse(w, true, &w->locals, &u);
	while (w->locals.n < u.sig.np)
		space_push(w, &w->locals, NULL);
	buf_u32(w, sec(w, S_FUNC), wat_type_index(w, &u));
	while (peek_form(w, "local")) {
		next(w), next(w);
		const struct wat_tok *id = opt_id(w);
		if (id) {
			space_add(w, &w->locals, id);
			buf_byte(w, &loc, valtype(w));
			expect_rpar(w);
			continue;
		}
		while (peek(w, 0)->kind == T_ATOM) {
			buf_byte(w, &loc, valtype(w));
			space_push(w, &w->locals, NULL);
		}
		expect_rpar(w);
	}
	wat_instrs(w, &body);
	buf_byte(w, &body, 0x0b);
	code_entry(w, &loc, &body);
}

/* (offset instr*) or one folded instruction, as a constant expression. */
static void offset(struct wat *w, struct wat_buf *b)
{
	if (peek_form(w, "offset")) {
		next(w), next(w);
		wat_instrs(w, b);
		expect_rpar(w);
	} else {
		wat_folded(w, b);
	}
	buf_byte(w, b, 0x0b);
}

/* The elements of a segment, kept both as function indices and as
 * expressions: like wabt, a list of plain ref.func is written as indices. */
struct elemlist {
	struct wat_buf idx, ex;
	uint32_t n;
	uint8_t rt;
	bool exprs; /* some element is not a plain ref.func */
};

/* Ends the expression that starts at ex[start]. */
static void elem_expr_done(struct wat *w, struct elemlist *l, size_t start)
{
	const uint8_t *p = l->ex.p + start;
	size_t n = l->ex.n - start, i = 1;
	while (i < n && (p[i] & 0x80))
		i++;
	if (n >= 2 && p[0] == 0xd2 && i == n - 1)
		buf_bytes(w, &l->idx, p + 1, n - 1);
	else
		l->exprs = true;
	buf_byte(w, &l->ex, 0x0b);
}

/* Function indices (!exprs) or expressions, up to the closing ')'. */
static void elem_items(struct wat *w, bool exprs, struct elemlist *l)
{
	for (;; l->n++) {
		const struct wat_tok *t = peek(w, 0);
		size_t start = l->ex.n;
		if (!exprs && t->kind == T_ATOM) {
			uint32_t f = wat_index(w, &w->funcs, next(w));
			buf_u32(w, &l->idx, f);
			buf_byte(w, &l->ex, 0xd2);
			buf_u32(w, &l->ex, f);
			buf_byte(w, &l->ex, 0x0b);
		} else if (exprs && peek_form(w, "item")) {
			next(w), next(w);
			wat_instrs(w, &l->ex);
			expect_rpar(w);
			elem_expr_done(w, l, start);
		} else if (exprs && t->kind == T_LPAR) {
			wat_folded(w, &l->ex);
			elem_expr_done(w, l, start);
		} else {
			return;
		}
	}
}

enum { M_ACTIVE, M_PASSIVE, M_DECLARE };

/* Writes a segment; for active ones off holds the offset expression. */
static void write_elem(struct wat *w, int mode, uint32_t table, const struct wat_buf *off,
		       const struct elemlist *l)
{
	bool exprs = l->exprs || l->rt != 0x70;
	/* flags 0 and 4 imply table 0 and funcref */
	bool explicit_table = table != 0 || l->rt != 0x70;
	uint8_t flags = (uint8_t)((mode == M_PASSIVE   ? 1
				   : mode == M_DECLARE ? 3
				   : explicit_table    ? 2
						       : 0) |
				  (exprs ? 4 : 0));
	struct wat_buf *b = sec(w, S_ELEM);
	buf_byte(w, b, flags);
	if (flags & 2 && mode == M_ACTIVE)
		buf_u32(w, b, table);
	if (mode == M_ACTIVE)
		buf_bytes(w, b, off->p, off->n);
	if (flags & 3)
		buf_byte(w, b, exprs ? l->rt : 0x00);
	buf_u32(w, b, l->n);
	if (exprs)
		buf_bytes(w, b, l->ex.p, l->ex.n);
	else
		buf_bytes(w, b, l->idx.p, l->idx.n);
}

/* The element list of an elem field, then the segment. */
static void elem_segment(struct wat *w, int mode, uint32_t table, const struct wat_buf *off,
			 bool table_given)
{
	struct elemlist l = {.rt = 0x70};
	bool exprs = false;
	if (is_kw(w, peek(w, 0), "func")) {
		next(w);
	} else if (is_kw(w, peek(w, 0), "funcref") || is_kw(w, peek(w, 0), "externref")) {
		l.rt = reftype(w);
		exprs = true;
	} else if (mode != M_ACTIVE || table_given) {
		wat_fail(w, peek(w, 0), "unexpected token, expected func or a reference type");
	}
	elem_items(w, exprs, &l);
	write_elem(w, mode, table, off, &l);
}

static void emit_table(struct wat *w)
{
	opt_id(w);
	inline_exports(w, K_TABLE);
	if (inline_import(w, K_TABLE))
		return;
	uint32_t idx = w->cur[K_TABLE]++;
	struct wat_buf *b = sec(w, S_TABLE);
	if (!(peek(w, 0)->kind == T_ATOM && peek(w, 1)->kind == T_LPAR &&
	      is_kw(w, peek(w, 2), "elem"))) {
		tabletype(w, b);
		return;
	}
	/* (table reftype (elem ...)): limits from the count, a segment at 0 */
	struct elemlist l = {.rt = reftype(w)};
	struct wat_buf off = {0};
	next(w), next(w);
	elem_items(w, peek(w, 0)->kind == T_LPAR, &l);
	expect_rpar(w);
	buf_byte(w, b, l.rt);
	buf_byte(w, b, 1);
	buf_u32(w, b, l.n);
	buf_u32(w, b, l.n);
	buf_bytes(w, &off, "\x41\x00\x0b", 3);
	write_elem(w, M_ACTIVE, idx, &off, &l);
}

static void emit_memory(struct wat *w)
{
	opt_id(w);
	inline_exports(w, K_MEM);
	if (inline_import(w, K_MEM))
		return;
	uint32_t idx = w->cur[K_MEM]++;
	struct wat_buf *b = sec(w, S_MEM);
	if (!peek_form(w, "data")) {
		limits(w, b);
		return;
	}
	struct wat_buf bytes = {0};
	next(w), next(w);
	strings(w, &bytes);
	expect_rpar(w);
	uint32_t pages = (uint32_t)((bytes.n + 65535) / 65536);
	buf_byte(w, b, 1);
	buf_u32(w, b, pages);
	buf_u32(w, b, pages);
	struct wat_buf *d = sec(w, S_DATA);
	if (idx) {
		buf_byte(w, d, 2);
		buf_u32(w, d, idx);
	} else {
		buf_byte(w, d, 0);
	}
	buf_bytes(w, d, "\x41\x00\x0b", 3);
	buf_u32(w, d, (uint32_t)bytes.n);
	buf_bytes(w, d, bytes.p, bytes.n);
}

static void emit_global(struct wat *w)
{
	opt_id(w);
	inline_exports(w, K_GLOBAL);
	if (inline_import(w, K_GLOBAL))
		return;
	w->cur[K_GLOBAL]++;
	struct wat_buf *b = sec(w, S_GLOBAL);
	globaltype(w, b);
	wat_instrs(w, b);
	buf_byte(w, b, 0x0b);
}

static void emit_export(struct wat *w)
{
	struct wat_buf *b = sec(w, S_EXPORT);
	name(w, b);
	expect_lpar(w);
	const struct wat_tok *t = next(w);
	int k = kind_of(w, t);
	if (k < 0)
		wat_fail(w, t, "unexpected token, expected an export kind");
	buf_byte(w, b, (uint8_t)k);
	buf_u32(w, b, wat_index(w, kind_space(w, k), next(w)));
	expect_rpar(w);
}

static void emit_start(struct wat *w, const struct wat_tok *at)
{
	if (w->has_start)
		wat_fail(w, at, "multiple start sections");
	w->has_start = true;
	w->count[S_START] = 0;
	buf_u32(w, &w->sec[S_START], wat_index(w, &w->funcs, next(w)));
}

static void emit_elem(struct wat *w)
{
	struct wat_buf off = {0};
	uint32_t table = 0;
	bool table_given = false;
	int mode = M_PASSIVE;
	opt_id(w);
	if (is_kw(w, peek(w, 0), "declare")) {
		next(w);
		mode = M_DECLARE;
	} else if (peek_form(w, "table") || peek(w, 0)->kind == T_LPAR) {
		if (peek_form(w, "table")) {
			next(w), next(w);
			table = wat_index(w, &w->tables, next(w));
			expect_rpar(w);
			table_given = true;
		}
		mode = M_ACTIVE;
		offset(w, &off);
	}
	elem_segment(w, mode, table, &off, table_given);
}

static void emit_data(struct wat *w)
{
	struct wat_buf off = {0}, bytes = {0};
	uint32_t mem = 0;
	bool active = false;
	opt_id(w);
	if (peek_form(w, "memory")) {
		next(w), next(w);
		mem = wat_index(w, &w->mems, next(w));
		expect_rpar(w);
		active = true;
	}
	if (active || peek(w, 0)->kind == T_LPAR) {
		offset(w, &off);
		active = true;
	}
	strings(w, &bytes);
	struct wat_buf *d = sec(w, S_DATA);
	buf_byte(w, d, !active ? 1 : mem ? 2 : 0);
	if (active && mem)
		buf_u32(w, d, mem);
	buf_bytes(w, d, off.p, off.n);
	buf_u32(w, d, (uint32_t)bytes.n);
	buf_bytes(w, d, bytes.p, bytes.n);
}

static void emit_field(struct wat *w)
{
	/* no locals or labels outside functions */
	w->locals = (struct wat_space){.what = "local"};
	w->labels = (struct wat_space){.what = "label"};
	expect_lpar(w);
	const struct wat_tok *t = next(w);
	if (is_kw(w, t, "type")) {
		skip_form_rest(w);
		return;
	}
	if (is_kw(w, t, "import"))
		emit_import(w);
	else if (is_kw(w, t, "func"))
		emit_func(w);
	else if (is_kw(w, t, "table"))
		emit_table(w);
	else if (is_kw(w, t, "memory"))
		emit_memory(w);
	else if (is_kw(w, t, "global"))
		emit_global(w);
	else if (is_kw(w, t, "export"))
		emit_export(w);
	else if (is_kw(w, t, "start"))
		emit_start(w, t);
	else if (is_kw(w, t, "elem"))
		emit_elem(w);
	else
		emit_data(w);
	expect_rpar(w);
}

/* --- the module ------------------------------------------------------------ */

static void section(struct wat *w, struct wat_buf *out, int id, const struct wat_buf *body,
		    uint32_t count, bool with_count)
{
	struct wat_buf c = {0};
	if (with_count)
		buf_u32(w, &c, count);
	buf_bytes(w, &c, body->p, body->n);
	buf_byte(w, out, (uint8_t)id);
	buf_u32(w, out, (uint32_t)c.n);
	buf_bytes(w, out, c.p, c.n);
}

static void assemble(struct wat *w, struct wat_buf *out)
{
	static const int order[] = {S_TYPE,   S_IMPORT, S_FUNC, S_TABLE, S_MEM,  S_GLOBAL,
				    S_EXPORT, S_START,  S_ELEM, -1,      S_CODE, S_DATA};
	struct wat_buf types = {0};
	for (uint32_t i = 0; i < w->nft; i++) {
		const struct wat_functype *f = &w->ft[i];
		buf_byte(w, &types, 0x60);
		buf_u32(w, &types, f->np);
		buf_bytes(w, &types, f->t, f->np);
		buf_u32(w, &types, f->nr);
		buf_bytes(w, &types, f->t + f->np, f->nr);
	}
	w->sec[S_TYPE] = types;
	w->count[S_TYPE] = w->nft;
	buf_bytes(w, out, "\0asm\1\0\0\0", 8);
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		int id = order[i];
		if (id < 0) {
			/* as wabt: only for memory.init/data.drop, and segments */
			if (w->uses_datacount && w->count[S_DATA]) {
				struct wat_buf none = {0};
				section(w, out, 12, &none, w->count[S_DATA], true);
			}
			continue;
		}
		if (w->count[id] || (id == S_START && w->has_start))
			section(w, out, id, &w->sec[id], w->count[id], id != S_START);
	}
}

static void module_fields(struct wat *w, struct wat_buf *out)
{
	size_t start = w->pos;
	int first_def = -1;
	w->types.what = "type", w->funcs.what = "func", w->tables.what = "table";
	w->mems.what = "memory", w->globals.what = "global", w->elems.what = "elem segment";
	w->datas.what = "data segment";
	while (peek(w, 0)->kind == T_LPAR)
		scan_field(w, &first_def);
	w->pos = start;
	while (peek(w, 0)->kind == T_LPAR)
		emit_field(w);
	assemble(w, out);
}

static int parse_text(const char *text, size_t len, struct wat_buf *out, struct wat *w);

static void arena_free(struct wat *w)
{
	for (size_t i = 0; i < w->nallocs; i++)
		free(w->allocs[i]);
	free(w->allocs);
	w->allocs = NULL, w->nallocs = w->capallocs = 0;
}

/* (module quote "..."*): the strings are the text of the module. Errors
 * give positions in that text. */
static void quote_module(struct wat *w, struct wat_buf *out)
{
	struct wat_buf text = {0}, res = {0};
	struct wat sub = {.msg = w->msg, .msglen = w->msglen};
	strings(w, &text);
	int rc = parse_text((const char *)text.p, text.n, &res, &sub);
	if (!rc)
		buf_bytes(w, out, res.p, res.n);
	arena_free(&sub);
	if (rc == TOY_ERR_NOMEM)
		nomem(w);
	if (rc) {
		w->err = rc;
		longjmp(w->jb, 1);
	}
}

/* (module $id? binary "..."*) or (module $id? quote "..."*) or fields,
 * with or without (module ...) around them. */
static void module(struct wat *w, struct wat_buf *out)
{
	bool form = peek_form(w, "module");
	if (form) {
		next(w), next(w);
		opt_id(w);
	}
	if (form && is_kw(w, peek(w, 0), "binary")) {
		next(w);
		strings(w, out);
	} else if (form && is_kw(w, peek(w, 0), "quote")) {
		next(w);
		quote_module(w, out);
	} else {
		module_fields(w, out);
	}
	if (form)
		expect_rpar(w);
	if (peek(w, 0)->kind != T_EOF)
		wat_fail(w, peek(w, 0), "unexpected token after the module");
}

/* Parses with context w (zeroed but for msg), leaving the result in out
 * (allocated in w's arena); the caller frees the arena. */
static int parse_text(const char *text, size_t len, struct wat_buf *out, struct wat *w)
{
	w->src = text, w->len = len;
	if (setjmp(w->jb))
		return w->err;
	wat_lex(w);
	module(w, out);
	return 0;
}

int wat_parse(const char *text, size_t len, uint8_t **out, size_t *outlen, char *msg, size_t msglen)
{
	struct wat w = {.msg = msg, .msglen = msglen};
	struct wat_buf res = {0};
	if (len > UINT32_MAX / 2) {
		if (msg && msglen)
			snprintf(msg, msglen, "text too large");
		return TOY_ERR_MALFORMED;
	}
	int rc = parse_text(text, len, &res, &w);
	if (!rc) {
		*out = malloc(res.n ? res.n : 1);
		if (*out) {
			if (res.n)
				memcpy(*out, res.p, res.n);
			*outlen = res.n;
		} else {
			rc = TOY_ERR_NOMEM;
		}
	}
	arena_free(&w);
	return rc;
}

static int lex_only(struct wat *w)
{
	if (setjmp(w->jb))
		return w->err;
	wat_lex(w);
	return 0;
}

int wat_module_spans(const char *text, size_t len, struct wat_span **spans, size_t *n, char *msg,
		     size_t msglen)
{
	struct wat w = {.msg = msg, .msglen = msglen, .src = text, .len = len};
	struct wat_span *v = NULL;
	size_t cnt = 0;
	int rc = len > UINT32_MAX / 2 ? TOY_ERR_MALFORMED : lex_only(&w);
	if (!rc && !(v = malloc((w.ntok + 1) * sizeof(*v))))
		rc = TOY_ERR_NOMEM;
	for (size_t i = 0; !rc && i + 1 < w.ntok; i++) {
		if (w.tok[i].kind != T_LPAR || !is_kw(&w, &w.tok[i + 1], "module"))
			continue;
		size_t j = i + 1;
		int depth = 1;
		for (; depth && j + 1 < w.ntok; j++)
			depth += w.tok[j].kind == T_LPAR ? 1 : w.tok[j].kind == T_RPAR ? -1 : 0;
		if (depth) {
			snprintf(msg, msglen, "%u:%u: unclosed module", w.tok[i].line,
				 w.tok[i].col);
			rc = TOY_ERR_MALFORMED;
			break;
		}
		v[cnt++] = (struct wat_span){w.tok[i].off, w.tok[j - 1].off + 1 - w.tok[i].off,
					     w.tok[i].line};
	}
	arena_free(&w);
	if (rc) {
		free(v);
		v = NULL, cnt = 0;
	}
	*spans = v, *n = cnt;
	return rc;
}
