/* wat_instr.c — instructions of the WebAssembly text format.
 *
 * One table maps every instruction name to its opcode (0xfc-prefixed ones
 * as 0x100 + n) and the kind of its immediates; groups of numeric
 * instructions with consecutive opcodes share one entry and a list of
 * names. Plain instructions are written as they come; a folded one,
 * `(op imm* folded*)`, writes its operands first and then itself. Blocks
 * keep a stack of labels (wat->labels) so branches can name them and `end
 * $l` can be checked against the label it closes. Memory arguments follow
 * the spec: offset=N then align=N, a power of two, written as its log2.
 */
#include "wat_int.h"

#include <string.h>

enum imm {
	I_NONE,
	I_BLOCK,
	I_LOOP,
	I_IF,
	I_BR,
	I_BRTABLE,
	I_CALL,
	I_CALLIND,
	I_LOCAL,
	I_GLOBAL,
	I_TABLE,
	I_MEM,
	I_MEM0,
	I_MEMCOPY,
	I_I32,
	I_I64,
	I_F32,
	I_F64,
	I_SELECT,
	I_REFNULL,
	I_REFFUNC,
	I_MEMINIT,
	I_DATA,
	I_ELEM,
	I_TABLEINIT,
	I_TABLECOPY
};

struct group {
	const char *prefix;
	uint16_t first;
	uint8_t imm, align;
	const char *names; /* space-separated, consecutive opcodes from first */
};

#define FC 0x100

static const struct group groups[] = {
    {"", 0x00, I_NONE, 0, "unreachable nop"},
    {"", 0x02, I_BLOCK, 0, "block"},
    {"", 0x03, I_LOOP, 0, "loop"},
    {"", 0x04, I_IF, 0, "if"},
    {"", 0x0c, I_BR, 0, "br br_if"},
    {"", 0x0e, I_BRTABLE, 0, "br_table"},
    {"", 0x0f, I_NONE, 0, "return"},
    {"", 0x10, I_CALL, 0, "call"},
    {"", 0x11, I_CALLIND, 0, "call_indirect"},
    {"", 0x1a, I_NONE, 0, "drop"},
    {"", 0x1b, I_SELECT, 0, "select"},
    {"", 0x20, I_LOCAL, 0, "local.get local.set local.tee"},
    {"", 0x23, I_GLOBAL, 0, "global.get global.set"},
    {"", 0x25, I_TABLE, 0, "table.get table.set"},
    {"", 0x28, I_MEM, 2, "i32.load"},
    {"", 0x29, I_MEM, 3, "i64.load"},
    {"", 0x2a, I_MEM, 2, "f32.load"},
    {"", 0x2b, I_MEM, 3, "f64.load"},
    {"", 0x2c, I_MEM, 0, "i32.load8_s i32.load8_u"},
    {"", 0x2e, I_MEM, 1, "i32.load16_s i32.load16_u"},
    {"", 0x30, I_MEM, 0, "i64.load8_s i64.load8_u"},
    {"", 0x32, I_MEM, 1, "i64.load16_s i64.load16_u"},
    {"", 0x34, I_MEM, 2, "i64.load32_s i64.load32_u"},
    {"", 0x36, I_MEM, 2, "i32.store"},
    {"", 0x37, I_MEM, 3, "i64.store"},
    {"", 0x38, I_MEM, 2, "f32.store"},
    {"", 0x39, I_MEM, 3, "f64.store"},
    {"", 0x3a, I_MEM, 0, "i32.store8"},
    {"", 0x3b, I_MEM, 1, "i32.store16"},
    {"", 0x3c, I_MEM, 0, "i64.store8"},
    {"", 0x3d, I_MEM, 1, "i64.store16"},
    {"", 0x3e, I_MEM, 2, "i64.store32"},
    {"", 0x3f, I_MEM0, 0, "memory.size memory.grow"},
    {"", 0x41, I_I32, 0, "i32.const"},
    {"", 0x42, I_I64, 0, "i64.const"},
    {"", 0x43, I_F32, 0, "f32.const"},
    {"", 0x44, I_F64, 0, "f64.const"},
    {"i32.", 0x45, I_NONE, 0, "eqz eq ne lt_s lt_u gt_s gt_u le_s le_u ge_s ge_u"},
    {"i64.", 0x50, I_NONE, 0, "eqz eq ne lt_s lt_u gt_s gt_u le_s le_u ge_s ge_u"},
    {"f32.", 0x5b, I_NONE, 0, "eq ne lt gt le ge"},
    {"f64.", 0x61, I_NONE, 0, "eq ne lt gt le ge"},
    {"i32.", 0x67, I_NONE, 0,
     "clz ctz popcnt add sub mul div_s div_u rem_s rem_u and or xor shl shr_s shr_u rotl rotr"},
    {"i64.", 0x79, I_NONE, 0,
     "clz ctz popcnt add sub mul div_s div_u rem_s rem_u and or xor shl shr_s shr_u rotl rotr"},
    {"f32.", 0x8b, I_NONE, 0,
     "abs neg ceil floor trunc nearest sqrt add sub mul div min max copysign"},
    {"f64.", 0x99, I_NONE, 0,
     "abs neg ceil floor trunc nearest sqrt add sub mul div min max copysign"},
    {"", 0xa7, I_NONE, 0,
     "i32.wrap_i64 i32.trunc_f32_s i32.trunc_f32_u i32.trunc_f64_s i32.trunc_f64_u "
     "i64.extend_i32_s i64.extend_i32_u i64.trunc_f32_s i64.trunc_f32_u i64.trunc_f64_s "
     "i64.trunc_f64_u f32.convert_i32_s f32.convert_i32_u f32.convert_i64_s "
     "f32.convert_i64_u f32.demote_f64 f64.convert_i32_s f64.convert_i32_u "
     "f64.convert_i64_s f64.convert_i64_u f64.promote_f32 i32.reinterpret_f32 "
     "i64.reinterpret_f64 f32.reinterpret_i32 f64.reinterpret_i64 i32.extend8_s "
     "i32.extend16_s i64.extend8_s i64.extend16_s i64.extend32_s"},
    {"", 0xd0, I_REFNULL, 0, "ref.null"},
    {"", 0xd1, I_NONE, 0, "ref.is_null"},
    {"", 0xd2, I_REFFUNC, 0, "ref.func"},
    {"", FC + 0, I_NONE, 0,
     "i32.trunc_sat_f32_s i32.trunc_sat_f32_u i32.trunc_sat_f64_s i32.trunc_sat_f64_u "
     "i64.trunc_sat_f32_s i64.trunc_sat_f32_u i64.trunc_sat_f64_s i64.trunc_sat_f64_u"},
    {"", FC + 8, I_MEMINIT, 0, "memory.init"},
    {"", FC + 9, I_DATA, 0, "data.drop"},
    {"", FC + 10, I_MEMCOPY, 0, "memory.copy"},
    {"", FC + 11, I_MEM0, 0, "memory.fill"},
    {"", FC + 12, I_TABLEINIT, 0, "table.init"},
    {"", FC + 13, I_ELEM, 0, "elem.drop"},
    {"", FC + 14, I_TABLECOPY, 0, "table.copy"},
    {"", FC + 15, I_TABLE, 0, "table.grow table.size table.fill"},
};

struct op {
	uint16_t code;
	uint8_t imm, align;
};

static bool lookup(const struct wat *w, const struct wat_tok *t, struct op *op)
{
	const char *s = w->src + t->off;
	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		size_t pl = strlen(groups[g].prefix);
		if (t->len <= pl || memcmp(s, groups[g].prefix, pl))
			continue;
		const char *n = groups[g].names;
		for (uint16_t i = 0; *n; i++) {
			size_t l = strcspn(n, " ");
			if (l == t->len - pl && !memcmp(n, s + pl, l)) {
				*op = (struct op){(uint16_t)(groups[g].first + i), groups[g].imm,
						  groups[g].align};
				return true;
			}
			n += l + (n[l] == ' ');
		}
	}
	return false;
}

static void opcode(struct wat *w, struct wat_buf *b, uint16_t code)
{
	if (code >= FC) {
		buf_byte(w, b, 0xfc);
		buf_u32(w, b, code - FC);
	} else {
		buf_byte(w, b, (uint8_t)code);
	}
}

/* An index atom (number or $id) is k tokens ahead. */
static bool index_at(struct wat *w, size_t k)
{
	const struct wat_tok *t = peek(w, k);
	char c = t->kind == T_ATOM ? w->src[t->off] : 0;
	return c == '$' || (c >= '0' && c <= '9');
}

static bool index_next(struct wat *w)
{
	return index_at(w, 0);
}

static uint32_t label(struct wat *w)
{
	const struct wat_tok *t = next(w);
	struct wat_space *l = &w->labels;
	if (is_id(w, t)) {
		for (uint32_t i = l->n; i-- > 0;)
			if (l->ids[i].len == t->len &&
			    !memcmp(l->ids[i].s, w->src + t->off, t->len))
				return l->n - 1 - i;
	}
	return wat_index(w, l, t);
}

static void memarg(struct wat *w, struct wat_buf *b, uint8_t natural)
{
	uint32_t off = 0, align = 1u << natural;
	const struct wat_tok *t = peek(w, 0);
	if (t->kind == T_ATOM && t->len > 7 && !memcmp(w->src + t->off, "offset=", 7)) {
		next(w);
		if (!lit_u32(w, t, w->src + t->off + 7, t->len - 7, &off))
			wat_fail(w, t, "unknown operator (bad offset)");
		t = peek(w, 0);
	}
	if (t->kind == T_ATOM && t->len > 6 && !memcmp(w->src + t->off, "align=", 6)) {
		next(w);
		if (!lit_u32(w, t, w->src + t->off + 6, t->len - 6, &align))
			wat_fail(w, t, "unknown operator (bad alignment)");
		if (!align || (align & (align - 1)))
			wat_fail(w, t, "alignment must be a power of two");
	}
	uint32_t lg = 0;
	while ((1u << lg) < align)
		lg++;
	buf_u32(w, b, lg);
	buf_u32(w, b, off);
}

/* A block type: inline (no params, at most one result, also when given by
 * a type index, as wabt does) or a type index. */
static void blocktype(struct wat *w, struct wat_buf *b)
{
	struct wat_typeuse u;
	wat_typeuse(w, false, NULL, &u);
	if ((!u.has_type || u.idx < w->nft) && u.sig.np == 0 && u.sig.nr <= 1)
		buf_byte(w, b, u.sig.nr ? u.sig.t[0] : 0x40);
	else
		buf_s64(w, b, wat_type_index(w, &u));
}

static void const_imm(struct wat *w, struct wat_buf *b, uint8_t imm)
{
	const struct wat_tok *t = next(w);
	uint64_t v;
	bool ok = imm == I_I32 || imm == I_I64 ? lit_int(w, t, imm == I_I32 ? 32 : 64, &v)
					       : lit_float(w, t, imm == I_F32 ? 32 : 64, &v);
	if (!ok)
		wat_fail(w, t, "unexpected token, expected a number");
	if (imm == I_I32)
		buf_s64(w, b, (int32_t)(uint32_t)v);
	else if (imm == I_I64)
		buf_s64(w, b, (int64_t)v);
	else
		for (int i = 0; i < (imm == I_F32 ? 4 : 8); i++)
			buf_byte(w, b, (uint8_t)(v >> (8 * i)));
}

static void br_table(struct wat *w, struct wat_buf *b, const struct wat_tok *at)
{
	struct wat_buf l = {0};
	uint32_t n = 0;
	while (index_next(w))
		buf_u32(w, &l, label(w)), n++;
	if (!n)
		wat_fail(w, at, "unexpected token, br_table needs a label");
	buf_u32(w, b, n - 1);
	buf_bytes(w, b, l.p, l.n);
}

/* select (result t*)*: typed select (0x1c) when types are given. */
static void select_types(struct wat *w, struct wat_buf *b)
{
	struct wat_buf t = {0};
	uint32_t n = 0;
	bool any = false;
	while (peek_form(w, "result")) {
		next(w), next(w), any = true;
		while (peek(w, 0)->kind == T_ATOM) {
			uint8_t v;
			const struct wat_tok *vt = next(w);
			if (!wat_valtype(w, vt, &v))
				wat_fail(w, vt, "unexpected token, expected a value type");
			buf_byte(w, &t, v), n++;
		}
		expect_rpar(w);
	}
	if (any) {
		b->p[b->n - 1] = 0x1c; /* the opcode just written */
		buf_u32(w, b, n);
		buf_bytes(w, b, t.p, t.n);
	}
}

static uint8_t heaptype(struct wat *w)
{
	const struct wat_tok *t = next(w);
	if (is_kw(w, t, "func"))
		return 0x70;
	if (is_kw(w, t, "extern"))
		return 0x6f;
	wat_fail(w, t, "unexpected token, expected func or extern");
}

/* Immediates of the non-block instruction op, written after its opcode. */
static void immediates(struct wat *w, struct wat_buf *b, const struct op *op,
		       const struct wat_tok *at)
{
	struct wat_typeuse u;
	uint32_t x, y;
	switch (op->imm) {
	case I_NONE: break;
	case I_BR: buf_u32(w, b, label(w)); break;
	case I_BRTABLE: br_table(w, b, at); break;
	case I_CALL:
	case I_REFFUNC: buf_u32(w, b, wat_index(w, &w->funcs, next(w))); break;
	case I_CALLIND:
		x = index_next(w) ? wat_index(w, &w->tables, next(w)) : 0;
		wat_typeuse(w, false, NULL, &u);
		buf_u32(w, b, wat_type_index(w, &u));
		buf_u32(w, b, x);
		break;
	case I_LOCAL: buf_u32(w, b, wat_index(w, &w->locals, next(w))); break;
	case I_GLOBAL: buf_u32(w, b, wat_index(w, &w->globals, next(w))); break;
	case I_TABLE: buf_u32(w, b, index_next(w) ? wat_index(w, &w->tables, next(w)) : 0); break;
	case I_MEM: memarg(w, b, op->align); break;
	case I_MEM0: buf_byte(w, b, 0); break;
	case I_MEMCOPY: buf_bytes(w, b, "\0\0", 2); break;
	case I_I32:
	case I_I64:
	case I_F32:
	case I_F64: const_imm(w, b, op->imm); break;
	case I_SELECT: select_types(w, b); break;
	case I_REFNULL: buf_byte(w, b, heaptype(w)); break;
	case I_MEMINIT:
		w->uses_datacount = true;
		buf_u32(w, b, wat_index(w, &w->datas, next(w)));
		buf_byte(w, b, 0);
		break;
	case I_DATA:
		w->uses_datacount = true;
		buf_u32(w, b, wat_index(w, &w->datas, next(w)));
		break;
	case I_ELEM: buf_u32(w, b, wat_index(w, &w->elems, next(w))); break;
	case I_TABLEINIT:
		x = 0;
		if (index_next(w) && index_at(w, 1))
			x = wat_index(w, &w->tables, next(w));
		buf_u32(w, b, wat_index(w, &w->elems, next(w)));
		buf_u32(w, b, x);
		break;
	case I_TABLECOPY:
		x = y = 0;
		if (index_next(w)) {
			x = wat_index(w, &w->tables, next(w));
			y = wat_index(w, &w->tables, next(w));
		}
		buf_u32(w, b, x);
		buf_u32(w, b, y);
		break;
	default: wat_fail(w, at, "unknown operator");
	}
}

static const struct wat_tok *opt_label(struct wat *w)
{
	const struct wat_tok *t = is_id(w, peek(w, 0)) ? next(w) : NULL;
	space_push(w, &w->labels, t);
	return t;
}

/* After end or else: an optional identifier, equal to the block's label. */
static void end_label(struct wat *w, const struct wat_tok *lab)
{
	const struct wat_tok *t = peek(w, 0);
	if (!is_id(w, t))
		return;
	next(w);
	if (!lab || lab->len != t->len || memcmp(w->src + lab->off, w->src + t->off, t->len))
		wat_fail(w, t, "mismatching label");
}

static void expect_end_kw(struct wat *w, const char *kw)
{
	const struct wat_tok *t = next(w);
	if (!is_kw(w, t, kw))
		wat_fail(w, t, "unexpected token, expected %s", kw);
}

static void enter(struct wat *w)
{
	if (++w->depth > WAT_MAX_DEPTH)
		wat_fail(w, peek(w, 0), "nesting deeper than %d", WAT_MAX_DEPTH);
}

/* The instructions of an else; an empty else is left out, as wabt does. */
static void else_body(struct wat *w, struct wat_buf *b)
{
	buf_byte(w, b, 0x05);
	size_t n = b->n;
	wat_instrs(w, b);
	if (b->n == n)
		b->n--;
}

/* block/loop/if ... end in the flat syntax, after the keyword. */
static void flat_block(struct wat *w, struct wat_buf *b, const struct op *op)
{
	enter(w);
	opcode(w, b, op->code);
	const struct wat_tok *lab = opt_label(w);
	blocktype(w, b);
	wat_instrs(w, b);
	if (op->imm == I_IF && is_kw(w, peek(w, 0), "else")) {
		next(w);
		end_label(w, lab);
		else_body(w, b);
	}
	expect_end_kw(w, "end");
	end_label(w, lab);
	buf_byte(w, b, 0x0b);
	w->labels.n--;
	w->depth--;
}

static void folded_if(struct wat *w, struct wat_buf *b, const struct op *op)
{
	struct wat_buf bt = {0};
	opt_label(w);
	blocktype(w, &bt);
	while (peek(w, 0)->kind == T_LPAR && !peek_form(w, "then"))
		wat_folded(w, b);
	opcode(w, b, op->code);
	buf_bytes(w, b, bt.p, bt.n);
	expect_lpar(w);
	expect_end_kw(w, "then");
	wat_instrs(w, b);
	expect_rpar(w);
	if (peek_form(w, "else")) {
		next(w), next(w);
		else_body(w, b);
		expect_rpar(w);
	}
	buf_byte(w, b, 0x0b);
	w->labels.n--;
}

void wat_folded(struct wat *w, struct wat_buf *b)
{
	struct op op;
	enter(w);
	expect_lpar(w);
	const struct wat_tok *t = next(w);
	if (t->kind != T_ATOM || !lookup(w, t, &op))
		wat_fail(w, t, "unknown operator %.*s", (int)t->len, w->src + t->off);
	if (op.imm == I_BLOCK || op.imm == I_LOOP) {
		opcode(w, b, op.code);
		opt_label(w);
		blocktype(w, b);
		wat_instrs(w, b);
		buf_byte(w, b, 0x0b);
		w->labels.n--;
	} else if (op.imm == I_IF) {
		folded_if(w, b, &op);
	} else {
		struct wat_buf self = {0};
		opcode(w, &self, op.code);
		immediates(w, &self, &op, t);
		while (peek(w, 0)->kind == T_LPAR)
			wat_folded(w, b);
		buf_bytes(w, b, self.p, self.n);
	}
	expect_rpar(w);
	w->depth--;
}

void wat_instrs(struct wat *w, struct wat_buf *b)
{
	for (;;) {
		const struct wat_tok *t = peek(w, 0);
		struct op op;
		if (t->kind == T_LPAR) {
			wat_folded(w, b);
			continue;
		}
		if (t->kind != T_ATOM || is_kw(w, t, "end") || is_kw(w, t, "else"))
			return;
		next(w);
		if (!lookup(w, t, &op))
			wat_fail(w, t, "unknown operator %.*s", (int)t->len, w->src + t->off);
		if (op.imm == I_BLOCK || op.imm == I_LOOP || op.imm == I_IF) {
			flat_block(w, b, &op);
		} else {
			opcode(w, b, op.code);
			immediates(w, b, &op, t);
		}
	}
}
