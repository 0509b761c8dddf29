/* compile.c — validates one function body and translates it, in the same
 * pass, into the engine's internal code (see vm_int.h).
 *
 * The validator's operand stack is also the register allocator: the value at
 * stack position i lives in frame slot nlocals + i ("canonical"), except that
 * local.get pushes no code, only a stack entry whose source is the local's
 * slot. Such deferred entries are copied to their canonical slot
 * ("materialized") before the local is written, and before any control
 * construct starts, so that at every label all values sit in canonical slots
 * on every path. Branches copy their values to the target's slots and jump to
 * absolute offsets; forward jumps are chained through their own offset words
 * until the label's end patches them. Code in unreachable regions is
 * validated but not emitted. A result written just before local.set is
 * redirected straight into the local (the "set" peephole), and a comparison
 * just before br_if or if becomes part of the branch.
 *
 * Constants live in slots too: the first VM_MAX_CONSTS distinct values of a
 * function get slots between the locals and the operand stack, filled at
 * every call, so i32.const emits no code either. Their number must be known
 * before the first canonical slot is assigned, so a body is compiled twice:
 * the first pass only counts (its code is thrown away).
 */
#include "vm_int.h"

struct opd {
	uint8_t t; /* 0: unknown (polymorphic stack) */
	uint32_t src;
};

enum { C_FUNC, C_BLOCK, C_LOOP, C_IF, C_ELSE };

struct ctl {
	uint8_t kind;
	bool unreachable, dead;
	uint32_t np, nr;
	const uint8_t *pt, *rt;
	uint32_t height;
	uint32_t patch; /* forward jump chain: word index + 1 */
	uint32_t start; /* loop: its head */
	uint32_t ifpatch;
};

struct cc {
	struct vm_module *m;
	struct vm_code *fn;
	const struct vm_functype *ft;
	struct rd r;
	int err;
	const char *msg;
	uint8_t *ltypes;
	uint32_t nlocals;
	struct opd *st;
	uint32_t nst, capst, maxh;
	struct ctl *cs;
	uint32_t ncs, capcs;
	uint32_t *code;
	uint32_t ncode, capcode;
	bool dead;
	uint32_t last_dst, last_end;
	uint64_t kval[VM_MAX_CONSTS];
	uint32_t nk;     /* constants seen so far */
	uint32_t kslots; /* constant slots in the frame (0 in the counting pass) */
	/* locals still holding their initial zero: valid from the function's
	 * start until the first point where paths merge */
	uint8_t *zero;
	bool zeros_live;
};

static const uint8_t valtypes[] = {VM_I32, VM_I64, VM_F32, VM_F64, VM_FUNCREF, VM_EXTERNREF};

static void fail(struct cc *c, int err, const char *msg)
{
	if (!c->err && !c->r.err) {
		c->err = err;
		c->msg = msg;
	}
	c->r.p = c->r.end;
}

static void invalid(struct cc *c, const char *msg)
{
	fail(c, TOY_ERR_INVALID, msg);
}

static bool bad(struct cc *c)
{
	return c->err || c->r.err;
}

static void *grow(struct cc *c, void *p, uint32_t n, uint32_t *cap, size_t size)
{
	uint32_t ncap = *cap ? 2 * *cap : 64;
	void *np = vm_alloc0(&c->m->a, (size_t)ncap * size);
	if (!np) {
		fail(c, TOY_ERR_NOMEM, "out of memory");
		return p;
	}
	if (p) {
		memcpy(np, p, (size_t)n * size);
		c->m->a.free(c->m->a.ctx, p);
	}
	*cap = ncap;
	return np;
}

/* --- emission --------------------------------------------------------- */

static void emit(struct cc *c, uint32_t w)
{
	if (c->dead)
		return;
	if (c->ncode == c->capcode) {
		c->code = grow(c, c->code, c->ncode, &c->capcode, 4);
		if (c->err)
			return;
	}
	c->code[c->ncode++] = w;
}

static void emit2(struct cc *c, uint32_t a, uint32_t b)
{
	emit(c, a);
	emit(c, b);
}

static void emit3(struct cc *c, uint32_t a, uint32_t b, uint32_t d)
{
	emit(c, a);
	emit(c, b);
	emit(c, d);
}

static void emit4(struct cc *c, uint32_t a, uint32_t b, uint32_t d, uint32_t e)
{
	emit2(c, a, b);
	emit2(c, d, e);
}

/* Emits a jump word to ctl x: known for loops, chained otherwise. */
static void emit_target(struct cc *c, struct ctl *x)
{
	if (c->dead)
		return;
	if (x->kind == C_LOOP) {
		emit(c, x->start);
		return;
	}
	emit(c, x->patch);
	x->patch = c->ncode; /* index + 1 of the word just written */
}

static void patch_chain(struct cc *c, uint32_t head, uint32_t target)
{
	while (head && !c->err) {
		uint32_t next = c->code[head - 1];
		c->code[head - 1] = target;
		head = next;
	}
}

static void label_here(struct cc *c)
{
	c->last_dst = UINT32_MAX;
}

/* A point where control paths merge: what was known about values is not. */
static void merge_here(struct cc *c)
{
	label_here(c);
	c->zeros_live = false;
}

static bool const_value(struct cc *c, uint32_t src, uint64_t *v);

/* --- operand stack ---------------------------------------------------- */

static uint32_t canon(struct cc *c, uint32_t pos)
{
	return c->nlocals + c->kslots + pos;
}

/* The slot of constant k: in the counting pass, a number no slot has. */
static uint32_t kslot(struct cc *c, uint32_t k)
{
	return c->kslots ? c->nlocals + k : 0x40000000u + k;
}

static void push_src(struct cc *c, uint8_t t, uint32_t src)
{
	if (c->nst == c->capst) {
		c->st = grow(c, c->st, c->nst, &c->capst, sizeof(*c->st));
		if (c->err)
			return;
	}
	if (c->nst >= VM_MAX_HEIGHT)
		return fail(c, TOY_ERR_LIMIT, "operand stack too deep");
	c->st[c->nst] = (struct opd){t, src};
	c->nst++;
	if (c->nst > c->maxh)
		c->maxh = c->nst;
}

/* Pushes a result and returns its slot. */
static uint32_t push(struct cc *c, uint8_t t)
{
	uint32_t s = canon(c, c->nst);
	push_src(c, t, s);
	return s;
}

static struct opd pop(struct cc *c, uint8_t want)
{
	struct ctl *x = &c->cs[c->ncs - 1];
	if (c->nst == x->height) {
		if (!x->unreachable)
			invalid(c, "type mismatch");
		return (struct opd){0, 0};
	}
	struct opd o = c->st[--c->nst];
	if (want && o.t && o.t != want)
		invalid(c, "type mismatch");
	return o;
}

static uint32_t pop_src(struct cc *c, uint8_t want)
{
	return pop(c, want).src;
}

static void materialize(struct cc *c, uint32_t from)
{
	for (uint32_t i = from; i < c->nst; i++) {
		if (c->st[i].src != canon(c, i)) {
			emit3(c, OP_MOV, canon(c, i), c->st[i].src);
			c->st[i].src = canon(c, i);
		}
	}
}

static void materialize_local(struct cc *c, uint32_t x)
{
	for (uint32_t i = 0; i < c->nst; i++) {
		if (c->st[i].src == x) {
			emit3(c, OP_MOV, canon(c, i), x);
			c->st[i].src = canon(c, i);
		}
	}
}

/* Pops n values of types t into out (if non-NULL). */
static void pop_types(struct cc *c, const uint8_t *t, uint32_t n, struct opd *out)
{
	for (uint32_t k = n; k-- > 0;) {
		struct opd o = pop(c, t[k]);
		if (out)
			out[k] = o;
	}
}

/* --- control ---------------------------------------------------------- */

static void set_dead(struct cc *c)
{
	struct ctl *x = &c->cs[c->ncs - 1];
	c->dead = x->dead || x->unreachable;
}

static void set_unreachable(struct cc *c)
{
	struct ctl *x = &c->cs[c->ncs - 1];
	c->nst = x->height;
	x->unreachable = true;
	set_dead(c);
}

static struct ctl *push_ctl(struct cc *c, uint8_t kind, const struct vm_functype *bt)
{
	if (c->ncs == c->capcs) {
		c->cs = grow(c, c->cs, c->ncs, &c->capcs, sizeof(*c->cs));
		if (c->err)
			return NULL;
	}
	struct ctl *x = &c->cs[c->ncs];
	*x = (struct ctl){.kind = kind,
			  .np = bt->np,
			  .nr = bt->nr,
			  .pt = bt->t,
			  .rt = bt->t + bt->np,
			  .height = c->nst};
	x->dead = c->ncs ? c->dead : false;
	c->ncs++;
	return x;
}

static bool read_blocktype(struct cc *c, struct vm_functype *bt)
{
	uint8_t b = c->r.p < c->r.end ? *c->r.p : 0;
	*bt = (struct vm_functype){0, 0, (uint8_t *)valtypes};
	if (b == 0x40) {
		c->r.p++;
		return true;
	}
	for (unsigned i = 0; i < sizeof(valtypes); i++) {
		if (b == valtypes[i]) {
			c->r.p++;
			bt->nr = 1;
			bt->t = (uint8_t *)&valtypes[i];
			return true;
		}
	}
	int64_t idx = (int64_t)vm_rd_leb(&c->r, 33, true);
	if (bad(c))
		return false;
	if (idx < 0 || (uint64_t)idx >= c->m->ntypes) {
		invalid(c, "unknown type");
		return false;
	}
	*bt = c->m->types[idx];
	return true;
}

static void push_types(struct cc *c, const uint8_t *t, uint32_t n)
{
	for (uint32_t k = 0; k < n; k++)
		push(c, t[k]);
}

/* Emits a conditional branch on cond (when it is nonzero if `when`, zero
 * otherwise), all but its target word. When cond was computed by the
 * comparison just emitted, that comparison is replaced by a compare-and-
 * branch instruction. */
static void emit_cond_branch(struct cc *c, uint32_t cond, uint32_t cond_pos, bool when)
{
	/* per comparison 0x45..0x4f (and 0x50..0x5a for i64): fused op (branch
	 * if true, branch if false), and whether its operands swap */
	static const uint8_t fuse[11][4] = {
	    {OP_BR_IFZ, OP_BR_IF, 0, 0},          /* eqz */
	    {OP_BR_IF_EQ, OP_BR_IF_NE, 0, 0},     /* eq */
	    {OP_BR_IF_NE, OP_BR_IF_EQ, 0, 0},     /* ne */
	    {OP_BR_IF_LT_S, OP_BR_IF_LE_S, 0, 1}, /* lt_s: a<b / b<=a */
	    {OP_BR_IF_LT_U, OP_BR_IF_LE_U, 0, 1}, /* lt_u */
	    {OP_BR_IF_LT_S, OP_BR_IF_LE_S, 1, 0}, /* gt_s: b<a / a<=b */
	    {OP_BR_IF_LT_U, OP_BR_IF_LE_U, 1, 0}, /* gt_u */
	    {OP_BR_IF_LE_S, OP_BR_IF_LT_S, 0, 1}, /* le_s: a<=b / b<a */
	    {OP_BR_IF_LE_U, OP_BR_IF_LT_U, 0, 1}, /* le_u */
	    {OP_BR_IF_LE_S, OP_BR_IF_LT_S, 1, 0}, /* ge_s: b<=a / a<b */
	    {OP_BR_IF_LE_U, OP_BR_IF_LT_U, 1, 0}, /* ge_u */
	};
	static const uint8_t fuse64[11][4] = {
	    {OP_BR_IFZ64, OP_BR_IF64, 0, 0},          {OP_BR_IF_EQ64, OP_BR_IF_NE64, 0, 0},
	    {OP_BR_IF_NE64, OP_BR_IF_EQ64, 0, 0},     {OP_BR_IF_LT_S64, OP_BR_IF_LE_S64, 0, 1},
	    {OP_BR_IF_LT_U64, OP_BR_IF_LE_U64, 0, 1}, {OP_BR_IF_LT_S64, OP_BR_IF_LE_S64, 1, 0},
	    {OP_BR_IF_LT_U64, OP_BR_IF_LE_U64, 1, 0}, {OP_BR_IF_LE_S64, OP_BR_IF_LT_S64, 0, 1},
	    {OP_BR_IF_LE_U64, OP_BR_IF_LT_U64, 0, 1}, {OP_BR_IF_LE_S64, OP_BR_IF_LT_S64, 1, 0},
	    {OP_BR_IF_LE_U64, OP_BR_IF_LT_U64, 1, 0},
	};
	uint32_t at = c->last_dst - 1, op = 0;
	if (!c->dead && cond == canon(c, cond_pos) && c->last_dst != UINT32_MAX &&
	    c->last_end == c->ncode && c->code[c->last_dst] == cond)
		op = c->code[at];
	if ((op >= 0x45 && op <= 0x4f) || (op >= 0x50 && op <= 0x5a)) {
		const uint8_t *f = op <= 0x4f ? fuse[op - 0x45] : fuse64[op - 0x50];
		uint32_t fop = f[when ? 0 : 1], a = c->code[at + 2];
		c->ncode = at;
		if (op == 0x45 || op == 0x50) {
			emit2(c, fop, a);
			return;
		}
		uint32_t b = c->code[at + 3];
		bool swap = f[when ? 2 : 3];
		emit3(c, fop, swap ? b : a, swap ? a : b);
		return;
	}
	emit2(c, when ? OP_BR_IF : OP_BR_IFZ, cond);
}

static void op_block(struct cc *c, uint8_t kind)
{
	struct vm_functype bt;
	uint32_t cond = 0, cond_pos = 0;
	if (!read_blocktype(c, &bt))
		return;
	if (kind == C_IF) {
		cond = pop_src(c, VM_I32);
		cond_pos = c->nst;
	}
	materialize(c, 0);
	pop_types(c, bt.t, bt.np, NULL);
	struct ctl *x = push_ctl(c, kind, &bt);
	if (!x)
		return;
	push_types(c, bt.t, bt.np);
	if (kind == C_LOOP)
		merge_here(c);
	else
		label_here(c);
	if (kind == C_LOOP) {
		x->start = c->ncode;
	} else if (kind == C_IF) {
		emit_cond_branch(c, cond, cond_pos, false);
		emit(c, 0);
		x->ifpatch = c->dead ? 0 : c->ncode;
	}
}

/* Checks that the stack holds exactly x's results, leaves them canonical. */
static void end_results(struct cc *c, struct ctl *x)
{
	materialize(c, c->nst >= x->nr ? c->nst - x->nr : 0);
	pop_types(c, x->rt, x->nr, NULL);
	if (c->nst != x->height)
		invalid(c, "type mismatch");
}

static void op_else(struct cc *c)
{
	struct ctl *x = &c->cs[c->ncs - 1];
	if (x->kind != C_IF)
		return invalid(c, "else without if");
	end_results(c, x);
	emit(c, OP_JMP);
	emit_target(c, x);
	if (x->ifpatch)
		patch_chain(c, x->ifpatch, c->ncode);
	x->ifpatch = 0;
	x->kind = C_ELSE;
	x->unreachable = false;
	c->nst = x->height;
	set_dead(c);
	push_types(c, x->pt, x->np);
	merge_here(c);
}

static void emit_return(struct cc *c, uint32_t nr);
static bool check_label_values(struct cc *c, struct ctl *x);

static void op_end(struct cc *c)
{
	struct ctl *x = &c->cs[c->ncs - 1];
	if (x->kind == C_FUNC) {
		if (!check_label_values(c, x))
			return;
		if (c->nst != x->height + x->nr)
			return invalid(c, "type mismatch");
		emit_return(c, x->nr);
		c->ncs--;
		return;
	}
	if (x->kind == C_IF && (x->np != x->nr || memcmp(x->pt, x->rt, x->np)))
		invalid(c, "type mismatch");
	end_results(c, x);
	if (x->ifpatch)
		patch_chain(c, x->ifpatch, c->ncode);
	c->ncs--;
	set_dead(c);
	patch_chain(c, x->patch, c->ncode);
	push_types(c, x->rt, x->nr);
	merge_here(c);
}

static struct ctl *label(struct cc *c, uint32_t depth)
{
	if (depth >= c->ncs) {
		invalid(c, "unknown label");
		return NULL;
	}
	return &c->cs[c->ncs - 1 - depth];
}

static void label_types(struct ctl *x, const uint8_t **t, uint32_t *n)
{
	*t = x->kind == C_LOOP ? x->pt : x->rt;
	*n = x->kind == C_LOOP ? x->np : x->nr;
}

/* Return: results to slots 0..nr-1 (through temporaries when several, so
 * that no source is overwritten before it is read), then RETURN. */
static void emit_return(struct cc *c, uint32_t nr)
{
	uint32_t top = c->nst;
	if (nr == 1) {
		uint32_t src = c->st[top - 1].src;
		if (!c->dead && src == canon(c, top - 1) && c->last_dst != UINT32_MAX &&
		    c->last_end == c->ncode && c->code[c->last_dst] == src)
			c->code[c->last_dst] = 0; /* compute the result in place */
		else if (src != 0)
			emit3(c, OP_MOV, 0, src);
	} else if (nr > 1) {
		for (uint32_t k = 0; k < nr; k++)
			emit3(c, OP_MOV, canon(c, top + k), c->st[top - nr + k].src);
		for (uint32_t k = 0; k < nr; k++)
			emit3(c, OP_MOV, k, canon(c, top + k));
		if (top + nr > c->maxh)
			c->maxh = top + nr;
	}
	emit(c, OP_RETURN);
}

/* Copies the top n values into x's label slots, then jumps. Changes no
 * compile-time state, so it may sit on a conditional path. */
static void emit_branch(struct cc *c, struct ctl *x)
{
	const uint8_t *t;
	uint32_t n;
	label_types(x, &t, &n);
	if (x->kind == C_FUNC)
		return emit_return(c, n);
	for (uint32_t k = 0; k < n; k++) {
		uint32_t src = c->st[c->nst - n + k].src, dst = canon(c, x->height + k);
		if (src != dst)
			emit3(c, OP_MOV, dst, src);
	}
	emit(c, OP_JMP);
	emit_target(c, x);
}

static bool branch_moves(struct cc *c, struct ctl *x)
{
	const uint8_t *t;
	uint32_t n;
	label_types(x, &t, &n);
	if (x->kind == C_FUNC)
		return true;
	for (uint32_t k = 0; k < n; k++)
		if (c->st[c->nst - n + k].src != canon(c, x->height + k))
			return true;
	return false;
}

/* Validates the label's values on the stack and leaves them there. */
static bool check_label_values(struct cc *c, struct ctl *x)
{
	const uint8_t *t;
	uint32_t n;
	struct opd tmp[8];
	label_types(x, &t, &n);
	if (n > 8) {
		/* rare: validate without keeping sources (code is then dead or
		 * the values are canonical after materializing) */
		materialize(c, c->nst > n ? c->nst - n : 0);
		pop_types(c, t, n, NULL);
		push_types(c, t, n);
		return !bad(c);
	}
	pop_types(c, t, n, tmp);
	for (uint32_t k = 0; k < n; k++)
		push_src(c, t[k], tmp[k].t ? tmp[k].src : canon(c, c->nst));
	return !bad(c);
}

static void op_br(struct cc *c, uint32_t depth)
{
	struct ctl *x = label(c, depth);
	if (!x || !check_label_values(c, x))
		return;
	emit_branch(c, x);
	set_unreachable(c);
}

static void op_br_if(struct cc *c, uint32_t depth)
{
	struct ctl *x = label(c, depth);
	if (!x)
		return;
	uint32_t cond = pop_src(c, VM_I32), cond_pos = c->nst;
	if (!check_label_values(c, x))
		return;
	if (!branch_moves(c, x)) {
		emit_cond_branch(c, cond, cond_pos, true);
		emit_target(c, x);
		label_here(c);
		return;
	}
	emit3(c, OP_BR_IFZ, cond, 0);
	uint32_t skip = c->ncode;
	emit_branch(c, x);
	if (!c->dead)
		c->code[skip - 1] = c->ncode;
	label_here(c);
}

/* Every label of a br_table (labels[0..n], n + 1 LEBs) must take the same
 * number of values, each matching what the stack holds. Returns the default
 * label, or NULL (error set). */
static struct ctl *br_table_check(struct cc *c, const uint8_t *labels, const uint8_t *end,
				  uint32_t n)
{
	struct rd r = {.p = labels, .end = end};
	struct ctl *def, *cur = &c->cs[c->ncs - 1];
	const uint8_t *dt, *lt;
	uint32_t nd, ln;
	for (uint32_t i = 0; i < n; i++)
		rd_u32(&r);
	if (!(def = label(c, rd_u32(&r))))
		return NULL;
	label_types(def, &dt, &nd);
	r.p = labels;
	for (uint32_t i = 0; i < n && !bad(c); i++) {
		struct ctl *x = label(c, rd_u32(&r));
		if (!x)
			return NULL;
		label_types(x, &lt, &ln);
		if (ln != nd)
			return invalid(c, "type mismatch"), NULL;
		for (uint32_t k = 0; k < ln; k++) {
			if (c->nst >= cur->height + ln - k) {
				uint8_t have = c->st[c->nst - ln + k].t;
				if (have && have != lt[k])
					return invalid(c, "type mismatch"), NULL;
			} else if (!cur->unreachable) {
				return invalid(c, "type mismatch"), NULL;
			}
		}
	}
	return bad(c) ? NULL : def;
}

/* BR_TABLE idx n target*(n+1): a target is the label itself when no value
 * moves, else a stub after the table that moves them and jumps. */
static void br_table_emit(struct cc *c, uint32_t idx, const uint8_t *labels, const uint8_t *end,
			  uint32_t n)
{
	struct rd r = {.p = labels, .end = end};
	emit3(c, OP_BR_TABLE, idx, n);
	uint32_t table = c->ncode;
	for (uint32_t i = 0; i <= n; i++)
		emit(c, 0);
	for (uint32_t i = 0; i <= n && !c->dead && !c->err; i++) {
		struct ctl *x = label(c, rd_u32(&r));
		if (branch_moves(c, x)) {
			c->code[table + i] = c->ncode;
			emit_branch(c, x);
		} else if (x->kind == C_LOOP) {
			c->code[table + i] = x->start;
		} else {
			c->code[table + i] = x->patch;
			x->patch = table + i + 1;
		}
	}
}

static void op_br_table(struct cc *c)
{
	uint32_t n = rd_u32(&c->r);
	if (bad(c))
		return;
	if (n > VM_MAX_BR_TABLE || n > (uint32_t)(c->r.end - c->r.p))
		return fail(c, TOY_ERR_MALFORMED, "unexpected end");
	uint32_t idx = pop_src(c, VM_I32);
	const uint8_t *labels = c->r.p;
	for (uint32_t i = 0; i <= n; i++)
		rd_u32(&c->r);
	struct ctl *def;
	if (bad(c) || !(def = br_table_check(c, labels, c->r.p, n)) || !check_label_values(c, def))
		return;
	br_table_emit(c, idx, labels, c->r.p, n);
	set_unreachable(c);
}

/* --- calls ------------------------------------------------------------ */

static void emit_call(struct cc *c, const struct vm_functype *t, uint32_t op, uint32_t a,
		      uint32_t b, uint32_t elem, bool indirect)
{
	materialize(c, c->nst >= t->np ? c->nst - t->np : 0);
	pop_types(c, t->t, t->np, NULL);
	uint32_t base = canon(c, c->nst);
	if (indirect)
		emit4(c, op, a, b, elem);
	else
		emit2(c, op, a);
	emit(c, base);
	push_types(c, t->t + t->np, t->nr);
	label_here(c);
}

static void op_call(struct cc *c)
{
	uint32_t f = rd_u32(&c->r);
	if (bad(c))
		return;
	if (f >= c->m->nfuncs)
		return invalid(c, "unknown function");
	emit_call(c, &c->m->types[c->m->functype[f]], OP_CALL, f, 0, 0, false);
}

static void op_call_indirect(struct cc *c)
{
	uint32_t ti = rd_u32(&c->r);
	uint32_t tab = rd_u32(&c->r);
	if (bad(c))
		return;
	if (tab >= c->m->ntables)
		return invalid(c, "unknown table");
	if (ti >= c->m->ntypes)
		return invalid(c, "unknown type");
	if (c->m->tables[tab].elem != VM_FUNCREF)
		return invalid(c, "type mismatch");
	uint32_t elem = pop_src(c, VM_I32);
	emit_call(c, &c->m->types[ti], OP_CALL_INDIRECT, tab, ti, elem, true);
}

/* --- variables -------------------------------------------------------- */

static bool local_ok(struct cc *c, uint32_t x)
{
	if (bad(c))
		return false;
	if (x >= c->nlocals) {
		invalid(c, "unknown local");
		return false;
	}
	return true;
}

/* local.set / local.tee: move the value into x, writing it there directly
 * when the instruction just emitted computed it. */
static void op_local_set(struct cc *c, bool tee)
{
	uint32_t x = rd_u32(&c->r);
	if (!local_ok(c, x))
		return;
	struct opd v = pop(c, c->ltypes[x]);
	uint32_t here = canon(c, c->nst);
	uint64_t kv;
	if (c->zeros_live && c->zero[x] && const_value(c, v.src, &kv) && kv == 0) {
		/* compilers zero their locals again at the start: no code */
		if (tee)
			push_src(c, c->ltypes[x], x);
		return;
	}
	if (c->zero)
		c->zero[x] = 0;
	materialize_local(c, x);
	if (!c->dead && v.src == here && c->last_dst != UINT32_MAX && c->last_end == c->ncode &&
	    c->code[c->last_dst] == here) {
		c->code[c->last_dst] = x;
	} else if (v.src != x) {
		emit3(c, OP_MOV, x, v.src);
	}
	label_here(c);
	if (tee)
		push_src(c, c->ltypes[x], x);
}

static void op_global(struct cc *c, bool set)
{
	uint32_t g = rd_u32(&c->r);
	if (bad(c))
		return;
	if (g >= c->m->nglobals)
		return invalid(c, "unknown global");
	const struct vm_globaltype *gt = &c->m->globals[g];
	if (set) {
		if (!gt->mut)
			return invalid(c, "global is immutable");
		uint32_t v = pop_src(c, gt->type);
		emit3(c, OP_GLOBAL_SET, g, v);
	} else {
		emit3(c, OP_GLOBAL_GET, push(c, gt->type), g);
	}
}

static uint32_t table_idx(struct cc *c)
{
	uint32_t t = rd_u32(&c->r);
	if (!bad(c) && t >= c->m->ntables) {
		invalid(c, "unknown table");
		return UINT32_MAX;
	}
	return t;
}

static void op_table_get_set(struct cc *c, bool set)
{
	uint32_t t = table_idx(c);
	if (bad(c))
		return;
	uint8_t et = c->m->tables[t].elem;
	if (set) {
		uint32_t v = pop_src(c, et);
		uint32_t i = pop_src(c, VM_I32);
		emit4(c, OP_TABLE_SET, t, i, v);
	} else {
		uint32_t i = pop_src(c, VM_I32);
		emit4(c, OP_TABLE_GET, push(c, et), t, i);
	}
}

/* --- memory ----------------------------------------------------------- */

static const uint8_t mem_align[] = {2, 3, 2, 3, 0, 0, 1, 1, 0, 0, 1, 1, 2, 2, /* loads */
				    2, 3, 2, 3, 0, 1, 0, 1, 2};               /* stores */
static const uint8_t mem_type[] = {VM_I32, VM_I64, VM_F32, VM_F64, VM_I32, VM_I32, VM_I32, VM_I32,
				   VM_I64, VM_I64, VM_I64, VM_I64, VM_I64, VM_I64, VM_I32, VM_I64,
				   VM_F32, VM_F64, VM_I32, VM_I32, VM_I64, VM_I64, VM_I64};

static bool need_memory(struct cc *c)
{
	if (!c->m->nmems) {
		invalid(c, "unknown memory");
		return false;
	}
	return true;
}

/* If address slot a (at stack position pos) was computed by the i32.add
 * (or ADD_SHL) just emitted, takes it back and returns its operands and
 * shift, so that the access computes its address itself. */
static bool take_add(struct cc *c, uint32_t a, uint32_t pos, uint32_t *x, uint32_t *y, uint32_t *sh)
{
	uint32_t at = c->last_dst - 1;
	if (c->dead || a != canon(c, pos) || c->last_dst == UINT32_MAX || c->last_end != c->ncode ||
	    c->code[c->last_dst] != a || (c->code[at] != 0x6a && c->code[at] != OP_ADD_SHL))
		return false;
	*x = c->code[at + 2];
	*y = c->code[at + 3];
	*sh = c->code[at] == OP_ADD_SHL ? c->code[at + 4] : 0;
	c->ncode = at;
	return true;
}

static void op_mem(struct cc *c, uint8_t op)
{
	uint32_t align = rd_u32(&c->r);
	uint32_t off = rd_u32(&c->r), x, y, sh;
	if (bad(c) || !need_memory(c))
		return;
	if (align > mem_align[op - 0x28])
		return invalid(c, "alignment must not be larger than natural");
	uint8_t t = mem_type[op - 0x28];
	if (op <= 0x35) {
		uint32_t a = pop_src(c, VM_I32);
		bool fused = take_add(c, a, c->nst, &x, &y, &sh);
		uint32_t d = push(c, t);
		if (fused) {
			emit4(c, OP_MEM_ADD + op - 0x28, d, x, y);
			emit2(c, sh, off);
		} else {
			emit4(c, op, d, a, off);
		}
		c->last_dst = c->ncode - (fused ? 5 : 3);
		c->last_end = c->ncode;
	} else {
		uint32_t v = pop_src(c, t);
		uint32_t a = pop_src(c, VM_I32);
		if (take_add(c, a, c->nst, &x, &y, &sh)) {
			emit4(c, OP_MEM_ADD + op - 0x28, x, y, sh);
			emit2(c, v, off);
		} else {
			emit4(c, op, a, v, off);
		}
	}
}

static bool zero_byte(struct cc *c)
{
	if (rd_u8(&c->r) != 0 && !bad(c))
		fail(c, TOY_ERR_MALFORMED, "zero byte expected");
	return !bad(c);
}

static void op_memory_size_grow(struct cc *c, uint8_t op)
{
	if (!zero_byte(c) || !need_memory(c))
		return;
	if (op == OP_MEMORY_SIZE) {
		emit2(c, op, push(c, VM_I32));
		return;
	}
	uint32_t n = pop_src(c, VM_I32);
	emit3(c, op, push(c, VM_I32), n);
}

/* --- numeric ------------------------------------------------------------ */

/* Operand and result types of the numeric opcodes 0x45..0xc4. */
static void numeric_sig(uint8_t op, uint8_t *a, uint8_t *b, uint8_t *r)
{
	static const uint8_t conv[][2] = {
	    /* a7 */ {VM_I64, VM_I32}, {VM_F32, VM_I32}, {VM_F32, VM_I32},
	    {VM_F64, VM_I32},          {VM_F64, VM_I32}, {VM_I32, VM_I64},
	    {VM_I32, VM_I64},          {VM_F32, VM_I64}, {VM_F32, VM_I64},
	    {VM_F64, VM_I64},          {VM_F64, VM_I64}, {VM_I32, VM_F32},
	    {VM_I32, VM_F32},          {VM_I64, VM_F32}, {VM_I64, VM_F32},
	    {VM_F64, VM_F32},          {VM_I32, VM_F64}, {VM_I32, VM_F64},
	    {VM_I64, VM_F64},          {VM_I64, VM_F64}, {VM_F32, VM_F64},
	    {VM_F32, VM_I32},          {VM_F64, VM_I64}, {VM_I32, VM_F32},
	    /* bf */ {VM_I64, VM_F64}};
	*b = 0;
	if (op == 0x45 || op == 0x50) {
		*a = op == 0x45 ? VM_I32 : VM_I64, *r = VM_I32;
	} else if (op <= 0x66) {
		*a = *b = op <= 0x4f ? VM_I32 : op <= 0x5a ? VM_I64 : op <= 0x60 ? VM_F32 : VM_F64;
		*r = VM_I32;
	} else if (op <= 0xa6) {
		static const uint8_t ranges[][4] = {
		    {0x69, VM_I32, 1}, {0x78, VM_I32, 2}, {0x7b, VM_I64, 1}, {0x8a, VM_I64, 2},
		    {0x91, VM_F32, 1}, {0x98, VM_F32, 2}, {0x9f, VM_F64, 1}, {0xa6, VM_F64, 2}};
		for (unsigned i = 0;; i++) {
			if (op <= ranges[i][0]) {
				*a = *r = ranges[i][1];
				*b = ranges[i][2] == 2 ? *a : 0;
				return;
			}
		}
	} else if (op <= 0xbf) {
		*a = conv[op - 0xa7][0], *r = conv[op - 0xa7][1];
	} else {
		*a = *r = op <= 0xc1 ? VM_I32 : VM_I64;
	}
}

static void emit_unop(struct cc *c, uint32_t op, uint8_t a, uint8_t r)
{
	uint32_t s = pop_src(c, a);
	emit3(c, op, push(c, r), s);
	c->last_dst = c->ncode - 2;
	c->last_end = c->ncode;
}

/* The value of a constant slot, if src is one. */
static bool const_value(struct cc *c, uint32_t src, uint64_t *v)
{
	uint32_t first = kslot(c, 0);
	if (src < first || src - first >= c->nk)
		return false;
	*v = c->kval[src - first];
	return true;
}

/* i32.add (sa, sb) right after one operand came from i32.shl by a constant:
 * one ADD_SHL (dst = a + (b << k)), the usual way C indexes arrays. */
static bool fuse_add_shl(struct cc *c, uint32_t sa, uint32_t sb)
{
	uint32_t at = c->last_dst - 1, pos = c->nst;
	uint64_t k;
	if (c->dead || c->last_dst == UINT32_MAX || c->last_end != c->ncode ||
	    c->code[at] != 0x74 || !const_value(c, c->code[at + 3], &k))
		return false;
	uint32_t other;
	if (sb == canon(c, pos + 1) && c->code[c->last_dst] == sb)
		other = sa;
	else if (sa == canon(c, pos) && c->code[c->last_dst] == sa && sb != sa)
		other = sb;
	else
		return false;
	uint32_t x = c->code[at + 2];
	c->ncode = at;
	emit4(c, OP_ADD_SHL, push(c, VM_I32), other, x);
	emit(c, (uint32_t)k & 31);
	c->last_dst = c->ncode - 4;
	c->last_end = c->ncode;
	return true;
}

static void op_numeric(struct cc *c, uint8_t op)
{
	uint8_t a, b, r;
	numeric_sig(op, &a, &b, &r);
	if (!b)
		return emit_unop(c, op, a, r);
	uint32_t sb = pop_src(c, b);
	uint32_t sa = pop_src(c, a);
	if (op == 0x6a && fuse_add_shl(c, sa, sb))
		return;
	emit4(c, op, push(c, r), sa, sb);
	c->last_dst = c->ncode - 3;
	c->last_end = c->ncode;
}

static void op_const(struct cc *c, uint8_t op)
{
	uint64_t v = 0;
	struct rd *r = &c->r;
	if (op == 0x41) {
		v = (uint32_t)vm_rd_leb(r, 32, true);
	} else if (op == 0x42) {
		v = vm_rd_leb(r, 64, true);
	} else {
		unsigned n = op == 0x43 ? 4 : 8;
		if ((unsigned)(r->end - r->p) < n)
			return fail(c, TOY_ERR_MALFORMED, "unexpected end");
		for (unsigned i = n; i-- > 0;)
			v = v << 8 | r->p[i];
		r->p += n;
	}
	uint8_t t = op == 0x41 ? VM_I32 : op == 0x42 ? VM_I64 : op == 0x43 ? VM_F32 : VM_F64;
	for (uint32_t k = 0; k < c->nk; k++) {
		if (c->kval[k] == v)
			return push_src(c, t, kslot(c, k));
	}
	if (c->nk < VM_MAX_CONSTS) {
		c->kval[c->nk] = v;
		push_src(c, t, kslot(c, c->nk++));
		return;
	}
	uint32_t d = push(c, t);
	if (v >> 32)
		emit4(c, OP_CONST64, d, (uint32_t)v, (uint32_t)(v >> 32));
	else
		emit3(c, OP_CONST32, d, (uint32_t)v);
	c->last_dst = c->ncode - (v >> 32 ? 3 : 2);
	c->last_end = c->ncode;
}

static void op_select(struct cc *c, bool typed)
{
	uint8_t want = 0;
	if (typed) {
		uint32_t n = rd_u32(&c->r);
		if (bad(c))
			return;
		if (n != 1)
			return invalid(c, "invalid result arity");
		want = rd_u8(&c->r);
		if (!vm_is_valtype(want))
			return fail(c, TOY_ERR_MALFORMED, "malformed value type");
	}
	uint32_t cond = pop_src(c, VM_I32);
	struct opd b = pop(c, want);
	struct opd a = pop(c, want);
	uint8_t t = want ? want : a.t ? a.t : b.t;
	if (!want && ((a.t && vm_is_ref(a.t)) || (b.t && vm_is_ref(b.t))))
		return invalid(c, "type mismatch");
	if (a.t && b.t && a.t != b.t)
		return invalid(c, "type mismatch");
	uint32_t d = canon(c, c->nst);
	push_src(c, t, d);
	emit4(c, OP_SELECT, d, cond, a.src);
	emit(c, b.src);
}

static void op_ref(struct cc *c, uint8_t op)
{
	if (op == 0xd0) {
		uint8_t t = rd_u8(&c->r);
		if (!bad(c) && !vm_is_ref(t))
			return fail(c, TOY_ERR_MALFORMED, "malformed reference type");
		emit3(c, OP_CONST32, push(c, t), 0);
	} else if (op == 0xd1) {
		struct opd v = pop(c, 0);
		if (v.t && !vm_is_ref(v.t))
			return invalid(c, "type mismatch");
		emit3(c, 0x50, push(c, VM_I32), v.src);
	} else {
		uint32_t f = rd_u32(&c->r);
		if (bad(c))
			return;
		if (f >= c->m->nfuncs)
			return invalid(c, "unknown function");
		if (!c->m->refs[f])
			return invalid(c, "undeclared function reference");
		emit3(c, OP_REF_FUNC, push(c, VM_FUNCREF), f);
	}
}

/* --- 0xFC prefix -------------------------------------------------------- */

static void pop3_emit(struct cc *c, uint32_t op, uint32_t a, uint32_t b, uint8_t t1, uint8_t t2,
		      uint8_t t3)
{
	uint32_t s3 = pop_src(c, t3), s2 = pop_src(c, t2), s1 = pop_src(c, t1);
	emit4(c, op, a, b, s1);
	emit2(c, s2, s3);
}

static bool data_idx(struct cc *c, uint32_t *d)
{
	*d = rd_u32(&c->r);
	if (bad(c))
		return false;
	if (!c->m->has_datacount && c->m->has_datasec) {
		fail(c, TOY_ERR_MALFORMED, "data count section required");
		return false;
	}
	if (*d >= c->m->ndatas) {
		invalid(c, "unknown data segment");
		return false;
	}
	return true;
}

static bool elem_idx(struct cc *c, uint32_t *e)
{
	*e = rd_u32(&c->r);
	if (!bad(c) && *e >= c->m->nelems)
		invalid(c, "unknown elem segment");
	return !bad(c);
}

static void op_fc_table(struct cc *c, uint32_t sub)
{
	uint32_t op = OP_FC + sub, e, t, t2;
	switch (sub) {
	case 12:
		if (!elem_idx(c, &e) || (t = table_idx(c), bad(c)))
			return;
		if (c->m->elems[e].type != c->m->tables[t].elem)
			return invalid(c, "type mismatch");
		return pop3_emit(c, op, t, e, VM_I32, VM_I32, VM_I32);
	case 13:
		if (elem_idx(c, &e))
			emit2(c, op, e);
		return;
	case 14:
		t = table_idx(c);
		t2 = table_idx(c);
		if (bad(c))
			return;
		if (c->m->tables[t].elem != c->m->tables[t2].elem)
			return invalid(c, "type mismatch");
		return pop3_emit(c, op, t, t2, VM_I32, VM_I32, VM_I32);
	case 15: {
		if ((t = table_idx(c), bad(c)))
			return;
		uint32_t n = pop_src(c, VM_I32);
		uint32_t v = pop_src(c, c->m->tables[t].elem);
		emit4(c, op, push(c, VM_I32), t, v);
		emit(c, n);
		return;
	}
	case 16:
		if ((t = table_idx(c), bad(c)))
			return;
		emit3(c, op, push(c, VM_I32), t);
		return;
	default:
		if ((t = table_idx(c), bad(c)))
			return;
		pop3_emit(c, op, t, 0, VM_I32, c->m->tables[t].elem, VM_I32);
	}
}

static void op_fc(struct cc *c)
{
	static const uint8_t sat[8][2] = {{VM_F32, VM_I32}, {VM_F32, VM_I32}, {VM_F64, VM_I32},
					  {VM_F64, VM_I32}, {VM_F32, VM_I64}, {VM_F32, VM_I64},
					  {VM_F64, VM_I64}, {VM_F64, VM_I64}};
	uint32_t sub = rd_u32(&c->r), d;
	if (bad(c))
		return;
	if (sub < 8)
		return emit_unop(c, OP_FC + sub, sat[sub][0], sat[sub][1]);
	switch (sub) {
	case 8:
		if (!data_idx(c, &d) || !zero_byte(c) || !need_memory(c))
			return;
		return pop3_emit(c, OP_FC + sub, d, 0, VM_I32, VM_I32, VM_I32);
	case 9:
		if (data_idx(c, &d))
			emit2(c, OP_FC + sub, d);
		return;
	case 10:
	case 11:
		if (!zero_byte(c) || (sub == 10 && !zero_byte(c)) || !need_memory(c))
			return;
		return pop3_emit(c, OP_FC + sub, 0, 0, VM_I32, VM_I32, VM_I32);
	default:
		if (sub > 17)
			return fail(c, TOY_ERR_MALFORMED, "illegal opcode");
		op_fc_table(c, sub);
	}
}

/* --- the body ----------------------------------------------------------- */

static void instr(struct cc *c, uint8_t op)
{
	struct vm_functype none = {0, 0, NULL};
	if (op >= 0x45 && op <= 0xc4)
		return op_numeric(c, op);
	if (op >= 0x28 && op <= 0x3e)
		return op_mem(c, op);
	switch (op) {
	case 0x00: emit(c, OP_UNREACHABLE); return set_unreachable(c);
	case 0x01: return;
	case 0x02: return op_block(c, C_BLOCK);
	case 0x03: return op_block(c, C_LOOP);
	case 0x04: return op_block(c, C_IF);
	case 0x05: return op_else(c);
	case 0x0b: return op_end(c);
	case 0x0c: return op_br(c, rd_u32(&c->r));
	case 0x0d: return op_br_if(c, rd_u32(&c->r));
	case 0x0e: return op_br_table(c);
	case 0x0f: {
		struct ctl *x = &c->cs[0];
		if (!check_label_values(c, x))
			return;
		emit_return(c, x->nr);
		return set_unreachable(c);
	}
	case 0x10: return op_call(c);
	case 0x11: return op_call_indirect(c);
	case 0x1a: pop(c, 0); return;
	case 0x1b: return op_select(c, false);
	case 0x1c: return op_select(c, true);
	case 0x20: {
		uint32_t x = rd_u32(&c->r);
		if (local_ok(c, x))
			push_src(c, c->ltypes[x], x);
		return;
	}
	case 0x21: return op_local_set(c, false);
	case 0x22: return op_local_set(c, true);
	case 0x23: return op_global(c, false);
	case 0x24: return op_global(c, true);
	case 0x25: return op_table_get_set(c, false);
	case 0x26: return op_table_get_set(c, true);
	case 0x3f:
	case 0x40: return op_memory_size_grow(c, op);
	case 0x41:
	case 0x42:
	case 0x43:
	case 0x44: return op_const(c, op);
	case 0xd0:
	case 0xd1:
	case 0xd2: return op_ref(c, op);
	case 0xfc: return op_fc(c);
	default: (void)none; return fail(c, TOY_ERR_MALFORMED, "illegal opcode");
	}
}

static void read_locals(struct cc *c)
{
	const struct vm_functype *ft = c->ft;
	uint32_t ngroups = rd_u32(&c->r);
	uint64_t total = ft->np;
	const uint8_t *save = c->r.p;
	for (uint32_t i = 0; i < ngroups && !bad(c); i++) {
		total += rd_u32(&c->r);
		rd_u8(&c->r);
		if (total > VM_MAX_LOCALS)
			return fail(c, TOY_ERR_MALFORMED, "too many locals");
	}
	if (bad(c))
		return;
	c->ltypes = vm_alloc0(&c->m->a, 2 * total);
	if (!c->ltypes)
		return fail(c, TOY_ERR_NOMEM, "out of memory");
	memcpy(c->ltypes, ft->t, ft->np);
	c->zero = c->ltypes + total;
	memset(c->zero + ft->np, 1, total - ft->np);
	c->zeros_live = true;
	c->nlocals = ft->np;
	c->r.p = save;
	for (uint32_t i = 0; i < ngroups; i++) {
		uint32_t n = rd_u32(&c->r);
		uint8_t t = rd_u8(&c->r);
		if (!vm_is_valtype(t))
			return fail(c, TOY_ERR_MALFORMED, "malformed value type");
		memset(c->ltypes + c->nlocals, t, n);
		c->nlocals += n;
	}
}

static void body(struct cc *c)
{
	struct vm_functype fbt = *c->ft;
	read_locals(c);
	if (bad(c))
		return;
	fbt.np = 0;
	fbt.t = c->ft->t + c->ft->np;
	push_ctl(c, C_FUNC, &fbt);
	c->cs[0].rt = fbt.t;
	c->last_dst = UINT32_MAX;
	while (c->ncs && !bad(c)) {
		if (c->r.p >= c->r.end)
			return fail(c, TOY_ERR_MALFORMED, "unexpected end of section or function");
		instr(c, rd_u8(&c->r));
	}
	if (!bad(c) && c->r.p != c->r.end)
		fail(c, TOY_ERR_MALFORMED, "section size mismatch");
}

static void cc_free(struct cc *c)
{
	const struct vm_alloc *a = &c->m->a;
	if (c->code)
		a->free(a->ctx, c->code);
	if (c->ltypes)
		a->free(a->ctx, c->ltypes);
	if (c->st)
		a->free(a->ctx, c->st);
	if (c->cs)
		a->free(a->ctx, c->cs);
}

/* One pass over the body with kslots constant slots. */
static int compile_pass(struct vm_module *m, struct vm_code *fn, struct cc *c, uint32_t kslots)
{
	*c = (struct cc){.m = m, .fn = fn, .ft = &m->types[fn->type], .kslots = kslots};
	c->r = (struct rd){.p = fn->body, .end = fn->body + fn->body_len};
	body(c);
	return c->err ? c->err : c->r.err;
}

int vm_compile(struct vm_module *m, uint32_t fi, char *msg, size_t msglen)
{
	struct vm_code *fn = &m->codes[fi];
	struct cc c;
	int rc = compile_pass(m, fn, &c, 0);
	uint32_t nk = c.nk;
	if (!rc && nk) {
		cc_free(&c);
		rc = compile_pass(m, fn, &c, nk);
		if (!rc && (c.nk != nk || !(fn->consts = vm_alloc0(&m->a, nk * 8))))
			rc = TOY_ERR_NOMEM;
		if (!rc)
			memcpy(fn->consts, c.kval, nk * 8);
	}
	if (rc) {
		vm_fmt(msg, msglen, c.err ? c.msg : c.r.msg, NULL);
	} else {
		fn->code = c.code;
		c.code = NULL;
		fn->ncode = c.ncode;
		fn->nlocals = c.nlocals;
		fn->nconsts = nk;
		fn->frame = c.nlocals + nk + c.maxh;
		if (fn->frame < c.ft->nr)
			fn->frame = c.ft->nr;
	}
	cc_free(&c);
	return rc;
}
