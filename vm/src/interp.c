/* interp.c — the dispatch loop over compiled code (format in vm_int.h).
 *
 * One C function runs every wasm call of a thread: a call pushes a vm_frame
 * (the caller's function, code offset and frame offset) on the thread's frame
 * stack and moves fp up to the callee's argument slots; a return pops it.
 * Nothing of the wasm program lives on the C stack, so the loop can stop at
 * any safepoint (a loop head, a call's entry, after a host call) by writing
 * f, ip and fp back into the thread, and pick up again later, possibly in
 * another process after vm_snapshot/vm_resume. Dispatch is a computed goto
 * through a table indexed by the internal opcode. Memory accesses check the
 * 64-bit effective address against the memory's current size; base and size
 * are cached in locals and reloaded after anything that may move them.
 */
#include "fmath.h"
#include "vm_int.h"

#define T_i32    uint32_t
#define T_i64    uint64_t
#define T_f32    float
#define T_f64    double
#define G_i32(x) ((uint32_t)(x))
#define G_i64(x) ((uint64_t)(x))
#define G_f32(x) f32_from((uint32_t)(x))
#define G_f64(x) f64_from(x)
#define S_i32(v) ((uint64_t)(uint32_t)(v))
#define S_i64(v) ((uint64_t)(v))
#define S_f32(v) ((uint64_t)f32_bits(v))
#define S_f64(v) f64_bits(v)
#define SL(k)    fp[ip[k]]
#define NEXT     goto *tbl[*ip]
#define TRAP(m)                                                                                    \
	do {                                                                                       \
		msg = (m);                                                                         \
		goto trap;                                                                         \
	} while (0)

#define UNOP(code, ti, to, expr)                                                                   \
	op_##code:                                                                                 \
	{                                                                                          \
		T_##ti a = G_##ti(SL(2));                                                          \
		SL(1) = S_##to(expr);                                                              \
		ip += 3;                                                                           \
		NEXT;                                                                              \
	}
#define BINOP(code, ti, to, expr)                                                                  \
	op_##code:                                                                                 \
	{                                                                                          \
		T_##ti a = G_##ti(SL(2)), b = G_##ti(SL(3));                                       \
		SL(1) = S_##to(expr);                                                              \
		ip += 4;                                                                           \
		NEXT;                                                                              \
	}
#define LOAD(code, T, to, conv)                                                                    \
	op_##code:                                                                                 \
	{                                                                                          \
		uint64_t ea = (uint64_t)(uint32_t)SL(2) + ip[3];                                   \
		T v;                                                                               \
		if (ea + sizeof(T) > memsize)                                                      \
			TRAP("out of bounds memory access");                                       \
		memcpy(&v, mem + ea, sizeof(T));                                                   \
		SL(1) = S_##to(conv v);                                                            \
		ip += 4;                                                                           \
		NEXT;                                                                              \
	}
#define STORE(code, T)                                                                             \
	op_##code:                                                                                 \
	{                                                                                          \
		uint64_t ea = (uint64_t)(uint32_t)SL(1) + ip[3];                                   \
		T v = (T)SL(2);                                                                    \
		if (ea + sizeof(T) > memsize)                                                      \
			TRAP("out of bounds memory access");                                       \
		memcpy(mem + ea, &v, sizeof(T));                                                   \
		ip += 4;                                                                           \
		NEXT;                                                                              \
	}

#define EA_ADD(a, b, sh)                                                                           \
	((uint64_t)(uint32_t)((uint32_t)SL(a) + ((uint32_t)SL(b) << ip[sh])) + ip[5])
#define LOAD_ADD(code, T, to, conv)                                                                \
	op_##code:                                                                                 \
	{                                                                                          \
		uint64_t ea = EA_ADD(2, 3, 4);                                                     \
		T v;                                                                               \
		if (ea + sizeof(T) > memsize)                                                      \
			TRAP("out of bounds memory access");                                       \
		memcpy(&v, mem + ea, sizeof(T));                                                   \
		SL(1) = S_##to(conv v);                                                            \
		ip += 6;                                                                           \
		NEXT;                                                                              \
	}
#define STORE_ADD(code, T)                                                                         \
	op_##code:                                                                                 \
	{                                                                                          \
		uint64_t ea = EA_ADD(1, 2, 3);                                                     \
		T v = (T)SL(4);                                                                    \
		if (ea + sizeof(T) > memsize)                                                      \
			TRAP("out of bounds memory access");                                       \
		memcpy(mem + ea, &v, sizeof(T));                                                   \
		ip += 6;                                                                           \
		NEXT;                                                                              \
	}

/* clang-format off */
#define NUMERIC(U, B) \
	U(0x45, i32, i32, a == 0) \
	B(0x46, i32, i32, a == b) B(0x47, i32, i32, a != b) \
	B(0x48, i32, i32, (int32_t)a < (int32_t)b) B(0x49, i32, i32, a < b) \
	B(0x4a, i32, i32, (int32_t)a > (int32_t)b) B(0x4b, i32, i32, a > b) \
	B(0x4c, i32, i32, (int32_t)a <= (int32_t)b) B(0x4d, i32, i32, a <= b) \
	B(0x4e, i32, i32, (int32_t)a >= (int32_t)b) B(0x4f, i32, i32, a >= b) \
	U(0x50, i64, i32, a == 0) \
	B(0x51, i64, i32, a == b) B(0x52, i64, i32, a != b) \
	B(0x53, i64, i32, (int64_t)a < (int64_t)b) B(0x54, i64, i32, a < b) \
	B(0x55, i64, i32, (int64_t)a > (int64_t)b) B(0x56, i64, i32, a > b) \
	B(0x57, i64, i32, (int64_t)a <= (int64_t)b) B(0x58, i64, i32, a <= b) \
	B(0x59, i64, i32, (int64_t)a >= (int64_t)b) B(0x5a, i64, i32, a >= b) \
	B(0x5b, f32, i32, a == b) B(0x5c, f32, i32, a != b) B(0x5d, f32, i32, a < b) \
	B(0x5e, f32, i32, a > b) B(0x5f, f32, i32, a <= b) B(0x60, f32, i32, a >= b) \
	B(0x61, f64, i32, a == b) B(0x62, f64, i32, a != b) B(0x63, f64, i32, a < b) \
	B(0x64, f64, i32, a > b) B(0x65, f64, i32, a <= b) B(0x66, f64, i32, a >= b) \
	U(0x67, i32, i32, a ? __builtin_clz(a) : 32) U(0x68, i32, i32, a ? __builtin_ctz(a) : 32) \
	U(0x69, i32, i32, u32_popcnt(a)) \
	B(0x6a, i32, i32, a + b) B(0x6b, i32, i32, a - b) B(0x6c, i32, i32, a * b) \
	B(0x71, i32, i32, a & b) B(0x72, i32, i32, a | b) B(0x73, i32, i32, a ^ b) \
	B(0x74, i32, i32, a << (b & 31)) B(0x75, i32, i32, (uint32_t)((int32_t)a >> (b & 31))) \
	B(0x76, i32, i32, a >> (b & 31)) B(0x77, i32, i32, u32_rotl(a, b)) \
	B(0x78, i32, i32, u32_rotr(a, b)) \
	U(0x79, i64, i64, a ? (uint64_t)__builtin_clzll(a) : 64) \
	U(0x7a, i64, i64, a ? (uint64_t)__builtin_ctzll(a) : 64) U(0x7b, i64, i64, u64_popcnt(a)) \
	B(0x7c, i64, i64, a + b) B(0x7d, i64, i64, a - b) B(0x7e, i64, i64, a * b) \
	B(0x83, i64, i64, a & b) B(0x84, i64, i64, a | b) B(0x85, i64, i64, a ^ b) \
	B(0x86, i64, i64, a << (b & 63)) B(0x87, i64, i64, (uint64_t)((int64_t)a >> (b & 63))) \
	B(0x88, i64, i64, a >> (b & 63)) B(0x89, i64, i64, u64_rotl(a, b)) \
	B(0x8a, i64, i64, u64_rotr(a, b)) \
	U(0x8b, i32, i32, a & 0x7fffffffu) U(0x8c, i32, i32, a ^ 0x80000000u) \
	U(0x8d, f32, f32, f32_ceil(a)) U(0x8e, f32, f32, f32_floor(a)) \
	U(0x8f, f32, f32, f32_trunc(a)) U(0x90, f32, f32, f32_nearest(a)) \
	U(0x91, f32, f32, __builtin_sqrtf(a)) \
	B(0x92, f32, f32, a + b) B(0x93, f32, f32, a - b) B(0x94, f32, f32, a * b) \
	B(0x95, f32, f32, a / b) B(0x96, f32, f32, f32_min(a, b)) B(0x97, f32, f32, f32_max(a, b)) \
	B(0x98, i32, i32, (a & 0x7fffffffu) | (b & 0x80000000u)) \
	U(0x99, i64, i64, a & 0x7fffffffffffffffull) U(0x9a, i64, i64, a ^ 0x8000000000000000ull) \
	U(0x9b, f64, f64, f64_ceil(a)) U(0x9c, f64, f64, f64_floor(a)) \
	U(0x9d, f64, f64, f64_trunc(a)) U(0x9e, f64, f64, f64_nearest(a)) \
	U(0x9f, f64, f64, __builtin_sqrt(a)) \
	B(0xa0, f64, f64, a + b) B(0xa1, f64, f64, a - b) B(0xa2, f64, f64, a * b) \
	B(0xa3, f64, f64, a / b) B(0xa4, f64, f64, f64_min(a, b)) B(0xa5, f64, f64, f64_max(a, b)) \
	B(0xa6, i64, i64, (a & 0x7fffffffffffffffull) | (b & 0x8000000000000000ull)) \
	U(0xa7, i64, i32, a) \
	U(0xac, i32, i64, (int64_t)(int32_t)a) U(0xad, i32, i64, a) \
	U(0xb2, i32, f32, (float)(int32_t)a) U(0xb3, i32, f32, (float)a) \
	U(0xb4, i64, f32, (float)(int64_t)a) U(0xb5, i64, f32, (float)a) \
	U(0xb6, f64, f32, (float)a) \
	U(0xb7, i32, f64, (double)(int32_t)a) U(0xb8, i32, f64, (double)a) \
	U(0xb9, i64, f64, (double)(int64_t)a) U(0xba, i64, f64, (double)a) \
	U(0xbb, f32, f64, (double)a) \
	U(0xbc, i32, i32, a) U(0xbd, i64, i64, a) U(0xbe, i32, i32, a) U(0xbf, i64, i64, a) \
	U(0xc0, i32, i32, (int32_t)(int8_t)a) U(0xc1, i32, i32, (int32_t)(int16_t)a) \
	U(0xc2, i64, i64, (int64_t)(int8_t)a) U(0xc3, i64, i64, (int64_t)(int16_t)a) \
	U(0xc4, i64, i64, (int64_t)(int32_t)a) \
	U(0xe0, f32, i32, f64_to_int_sat(a, 0)) U(0xe1, f32, i32, f64_to_int_sat(a, 1)) \
	U(0xe2, f64, i32, f64_to_int_sat(a, 0)) U(0xe3, f64, i32, f64_to_int_sat(a, 1)) \
	U(0xe4, f32, i64, f64_to_int_sat(a, 2)) U(0xe5, f32, i64, f64_to_int_sat(a, 3)) \
	U(0xe6, f64, i64, f64_to_int_sat(a, 2)) U(0xe7, f64, i64, f64_to_int_sat(a, 3))

#define MEMOPS(L, S) \
	L(0x28, uint32_t, i32, ) L(0x29, uint64_t, i64, ) L(0x2a, uint32_t, i32, ) \
	L(0x2b, uint64_t, i64, ) L(0x2c, int8_t, i32, (int32_t)) L(0x2d, uint8_t, i32, ) \
	L(0x2e, int16_t, i32, (int32_t)) L(0x2f, uint16_t, i32, ) \
	L(0x30, int8_t, i64, (int64_t)) L(0x31, uint8_t, i64, ) \
	L(0x32, int16_t, i64, (int64_t)) L(0x33, uint16_t, i64, ) \
	L(0x34, int32_t, i64, (int64_t)) L(0x35, uint32_t, i64, ) \
	S(0x36, uint32_t) S(0x37, uint64_t) S(0x38, uint32_t) S(0x39, uint64_t) \
	S(0x3a, uint8_t) S(0x3b, uint16_t) S(0x3c, uint8_t) S(0x3d, uint16_t) S(0x3e, uint32_t)

/* the same with address = a + b (an i32.add folded in) */
#define MEMOPS_ADD(L, S) \
	L(0x100, uint32_t, i32, ) L(0x101, uint64_t, i64, ) L(0x102, uint32_t, i32, ) \
	L(0x103, uint64_t, i64, ) L(0x104, int8_t, i32, (int32_t)) L(0x105, uint8_t, i32, ) \
	L(0x106, int16_t, i32, (int32_t)) L(0x107, uint16_t, i32, ) L(0x108, int8_t, i64, (int64_t)) \
	L(0x109, uint8_t, i64, ) L(0x10a, int16_t, i64, (int64_t)) L(0x10b, uint16_t, i64, ) \
	L(0x10c, int32_t, i64, (int64_t)) L(0x10d, uint32_t, i64, ) S(0x10e, uint32_t) \
	S(0x10f, uint64_t) S(0x110, uint32_t) S(0x111, uint64_t) \
	S(0x112, uint8_t) S(0x113, uint16_t) S(0x114, uint8_t) \
	S(0x115, uint16_t) S(0x116, uint32_t)

/* trapping conversions: opcode, source type, target kind */
#define TRUNCS(X) \
	X(0xa8, f32, 0) X(0xa9, f32, 1) X(0xaa, f64, 0) X(0xab, f64, 1) \
	X(0xae, f32, 2) X(0xaf, f32, 3) X(0xb0, f64, 2) X(0xb1, f64, 3)

#define OTHER(X) \
	X(0x00) X(0x01) X(0x02) X(0x03) X(0x04) X(0x05) X(0x06) X(0x08) X(0x09) \
	X(0x0b) X(0x0c) X(0x0d) X(0x0e) X(0x0f) X(0x12) X(0x13) X(0x14) X(0x15) X(0x16) X(0x17) X(0x18) X(0x19) X(0x1a) X(0x1c) \
	X(0x10) X(0x11) X(0x1b) X(0x23) X(0x24) X(0x25) X(0x26) X(0x3f) X(0x40) X(0xd2) \
	X(0x6d) X(0x6e) X(0x6f) X(0x70) X(0x7f) X(0x80) X(0x81) X(0x82) \
	X(0xe8) X(0xe9) X(0xea) X(0xeb) X(0xec) X(0xed) X(0xee) X(0xef) X(0xf0) X(0xf1)
/* clang-format on */

#define TBL_UB(code, ...) [code] = &&op_##code,
#define TBL_1(code)       [code] = &&op_##code,
#define TBL_T(code, t, k) [code] = &&op_##code,

bool vm_types_equal(const struct vm_functype *a, const struct vm_functype *b)
{
	return a == b || (a->np == b->np && a->nr == b->nr && !memcmp(a->t, b->t, a->np + a->nr));
}

static int table_grow(struct vm_store *s, struct vm_table *t, uint32_t n, uint64_t init)
{
	uint64_t nsize = (uint64_t)t->size + n;
	if (nsize > t->max || nsize > VM_MAX_TABLE)
		return -1;
	if (n) {
		uint64_t *e = s->cfg.alloc.alloc(s->cfg.alloc.ctx, nsize * 8);
		if (!e)
			return -1;
		if (t->e) {
			memcpy(e, t->e, (size_t)t->size * 8);
			s->cfg.alloc.free(s->cfg.alloc.ctx, t->e);
		}
		for (uint64_t i = t->size; i < nsize; i++)
			e[i] = init;
		t->e = e;
	}
	uint32_t old = t->size;
	t->size = (uint32_t)nsize;
	return (int)old;
}

static int64_t memory_grow(struct vm_memory *m, uint32_t n)
{
	uint32_t old = m->pages;
	if ((uint64_t)old + n > m->max_pages)
		return -1;
	if (n && m->grow(m, old + n))
		return -1;
	return old;
}

/* Locals and constants at a call: most functions have a handful, set
 * inline, as a library call costs more than the stores (callgrind: 40
 * instructions per call saved in fib). */
static inline void zero_slots(uint64_t *d, uint32_t n)
{
	if (n > 4) {
		memset(d, 0, (size_t)n * 8);
		return;
	}
	switch (n) {
	case 4: d[3] = 0; __attribute__((fallthrough));
	case 3: d[2] = 0; __attribute__((fallthrough));
	case 2: d[1] = 0; __attribute__((fallthrough));
	case 1: d[0] = 0; __attribute__((fallthrough));
	default: break;
	}
}

static inline void copy_slots(uint64_t *d, const uint64_t *s, uint32_t n)
{
	if (n > 8) {
		memcpy(d, s, (size_t)n * 8);
		return;
	}
	switch (n) {
	case 8: d[7] = s[7]; __attribute__((fallthrough));
	case 7: d[6] = s[6]; __attribute__((fallthrough));
	case 6: d[5] = s[5]; __attribute__((fallthrough));
	case 5: d[4] = s[4]; __attribute__((fallthrough));
	case 4: d[3] = s[3]; __attribute__((fallthrough));
	case 3: d[2] = s[2]; __attribute__((fallthrough));
	case 2: d[1] = s[1]; __attribute__((fallthrough));
	case 1: d[0] = s[0]; __attribute__((fallthrough));
	default: break;
	}
}

/* Segment bounds: [d, d+n) in a size-limited space. */
static bool in_range(uint64_t d, uint64_t n, uint64_t size)
{
	return d + n <= size;
}

/* Bulk table operations, out of line: they are rare. */
static const char *table_op(struct vm_instance *inst, const uint32_t *ip, uint64_t *fp)
{
	uint32_t d = (uint32_t)SL(3), src = (uint32_t)SL(4), n = (uint32_t)SL(5);
	struct vm_table *t = inst->tables[ip[1]];
	if (ip[0] == 0xec) {
		uint32_t e = ip[2];
		const struct vm_elem_def *seg = &inst->m->elems[e];
		uint32_t len = inst->elem_dropped[e] ? 0 : seg->n;
		if (!in_range(src, n, len) || !in_range(d, n, t->size))
			return "out of bounds table access";
		for (uint32_t i = 0; i < n; i++) {
			const struct vm_cexpr *x = &seg->items[src + i];
			uint64_t v = 0;
			if (x->op == 0xd2)
				v = inst->funcs[x->v]->id;
			else if (x->op == 0x23)
				v = inst->globals[x->v]->v;
			t->e[d + i] = v;
		}
		return NULL;
	}
	if (ip[0] == 0xee) {
		struct vm_table *ts = inst->tables[ip[2]];
		if (!in_range(src, n, ts->size) || !in_range(d, n, t->size))
			return "out of bounds table access";
		memmove(t->e + d, ts->e + src, (size_t)n * 8);
		return NULL;
	}
	/* 0xf1 fill: i val n */
	if (!in_range(d, n, t->size))
		return "out of bounds table access";
	for (uint32_t i = 0; i < n; i++)
		t->e[d + i] = SL(4);
	return NULL;
}

static const char *memory_op(struct vm_instance *inst, const uint32_t *ip, uint64_t *fp)
{
	struct vm_memory *m = inst->mem;
	uint64_t d = (uint32_t)SL(3), s = (uint32_t)SL(4), n = (uint32_t)SL(5);
	if (ip[0] == 0xe8) {
		const struct vm_data_def *seg = &inst->m->datas[ip[1]];
		uint32_t len = inst->data_dropped[ip[1]] ? 0 : seg->len;
		if (!in_range(s, n, len) || !in_range(d, n, m->size))
			return "out of bounds memory access";
		if (n)
			memcpy(m->base + d, seg->bytes + s, n);
	} else if (ip[0] == 0xea) {
		if (!in_range(s, n, m->size) || !in_range(d, n, m->size))
			return "out of bounds memory access";
		if (n)
			memmove(m->base + d, m->base + s, n);
	} else {
		if (!in_range(d, n, m->size))
			return "out of bounds memory access";
		if (n)
			memset(m->base + d, (int)(uint8_t)s, n);
	}
	return NULL;
}

int vm_interp(struct vm_thread *t, uint64_t fuel)
{
	static const void *const tbl[OP_COUNT] = {
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Winitializer-overrides"
	    [0 ... OP_COUNT - 1] = &&op_bad,
	    NUMERIC(TBL_UB, TBL_UB) MEMOPS(TBL_UB, TBL_UB) MEMOPS_ADD(TBL_UB, TBL_UB) TRUNCS(TBL_T)
		OTHER(TBL_1)
#pragma clang diagnostic pop
	};
	struct vm_store *s = t->s;
	uint64_t *const stack = t->stack;
	uint64_t *const stack_end = stack + t->nslots;
	const struct vm_func *f = t->f;
	const uint32_t *code = f->code->code;
	const uint32_t *ip = code + t->ip;
	uint64_t *fp = stack + t->fp;
	struct vm_instance *inst = f->inst;
	struct vm_memory *memory = inst->mem;
	uint8_t *mem = memory ? memory->base : NULL;
	uint64_t memsize = memory ? memory->size : 0;
	struct vm_global **globals = inst->globals;
	const struct vm_func *callee;
	uint32_t base;
	const char *msg;
	int rc;

	NEXT;

#define RELOAD_MEM()                                                                               \
	do {                                                                                       \
		mem = memory ? memory->base : NULL;                                                \
		memsize = memory ? memory->size : 0;                                               \
	} while (0)
#define SWITCH_INST()                                                                              \
	do {                                                                                       \
		if (f->inst != inst) {                                                             \
			inst = f->inst;                                                            \
			memory = inst->mem;                                                        \
			globals = inst->globals;                                                   \
			RELOAD_MEM();                                                              \
		}                                                                                  \
	} while (0)
/* Backward branches are the loops' safepoints: each spends one unit of
 * fuel, and when there is none left the thread stops at the loop head. */
#define JUMP(target)                                                                               \
	do {                                                                                       \
		const uint32_t *to_ = code + (target);                                             \
		if (to_ <= ip) {                                                                   \
			if (fuel == 0) {                                                           \
				ip = to_;                                                          \
				goto pause;                                                        \
			}                                                                          \
			fuel--;                                                                    \
		}                                                                                  \
		ip = to_;                                                                          \
		NEXT;                                                                              \
	} while (0)
#define CMP_BRANCH(code_, T, cmp)                                                                  \
	op_##code_ : if ((T)SL(1) cmp(T) SL(2)) JUMP(ip[3]);                                       \
	ip += 4;                                                                                   \
	NEXT;
#define SAVE()                                                                                     \
	do {                                                                                       \
		t->f = f;                                                                          \
		t->ip = (uint32_t)(ip - code);                                                     \
		t->fp = (uint32_t)(fp - stack);                                                    \
	} while (0)

	NUMERIC(UNOP, BINOP)
	MEMOPS(LOAD, STORE)
	MEMOPS_ADD(LOAD_ADD, STORE_ADD)

#define TRUNC_OP(code_, ti, kind)                                                                  \
	op_##code_:                                                                                \
	{                                                                                          \
		double a = (double)G_##ti(SL(2));                                                  \
		int r = f64_to_int_check(a, kind);                                                 \
		if (r)                                                                             \
			TRAP(r == 1 ? "invalid conversion to integer" : "integer overflow");       \
		SL(1) = kind < 2 ? S_i32(f64_to_int(a, kind)) : f64_to_int(a, kind);               \
		ip += 3;                                                                           \
		NEXT;                                                                              \
	}
	TRUNCS(TRUNC_OP)

op_0x6d : { /* i32.div_s */
	int32_t a = (int32_t)SL(2), b = (int32_t)SL(3);
	if (b == 0)
		TRAP("integer divide by zero");
	if (a == INT32_MIN && b == -1)
		TRAP("integer overflow");
	SL(1) = (uint32_t)(a / b);
	ip += 4;
	NEXT;
}
op_0x6e : {
	uint32_t a = (uint32_t)SL(2), b = (uint32_t)SL(3);
	if (b == 0)
		TRAP("integer divide by zero");
	SL(1) = a / b;
	ip += 4;
	NEXT;
}
op_0x6f : {
	int32_t a = (int32_t)SL(2), b = (int32_t)SL(3);
	if (b == 0)
		TRAP("integer divide by zero");
	SL(1) = b == -1 ? 0 : (uint32_t)(a % b);
	ip += 4;
	NEXT;
}
op_0x70 : {
	uint32_t a = (uint32_t)SL(2), b = (uint32_t)SL(3);
	if (b == 0)
		TRAP("integer divide by zero");
	SL(1) = a % b;
	ip += 4;
	NEXT;
}
op_0x7f : {
	int64_t a = (int64_t)SL(2), b = (int64_t)SL(3);
	if (b == 0)
		TRAP("integer divide by zero");
	if (a == INT64_MIN && b == -1)
		TRAP("integer overflow");
	SL(1) = (uint64_t)(a / b);
	ip += 4;
	NEXT;
}
op_0x80 : {
	uint64_t a = SL(2), b = SL(3);
	if (b == 0)
		TRAP("integer divide by zero");
	SL(1) = a / b;
	ip += 4;
	NEXT;
}
op_0x81 : {
	int64_t a = (int64_t)SL(2), b = (int64_t)SL(3);
	if (b == 0)
		TRAP("integer divide by zero");
	SL(1) = b == -1 ? 0 : (uint64_t)(a % b);
	ip += 4;
	NEXT;
}
op_0x82 : {
	uint64_t a = SL(2), b = SL(3);
	if (b == 0)
		TRAP("integer divide by zero");
	SL(1) = a % b;
	ip += 4;
	NEXT;
}

op_0x00:
	TRAP("unreachable");
op_0x01: /* mov */
	SL(1) = SL(2);
	ip += 3;
	NEXT;
op_0x02: /* const32 */
	SL(1) = ip[2];
	ip += 3;
	NEXT;
op_0x03: /* const64 */
	SL(1) = (uint64_t)ip[2] | (uint64_t)ip[3] << 32;
	ip += 4;
	NEXT;
op_0x04: /* jmp */
	JUMP(ip[1]);
op_0x05: /* br_if */
	if ((uint32_t)SL(1))
		JUMP(ip[2]);
	ip += 3;
	NEXT;
op_0x06: /* br_ifz */
	if (!(uint32_t)SL(1))
		JUMP(ip[2]);
	ip += 3;
	NEXT;
op_0x08 : { /* br_table */
	uint32_t i = (uint32_t)SL(1), n = ip[2];
	JUMP(ip[3 + (i < n ? i : n)]);
}
	CMP_BRANCH(0x0b, int32_t, <)
	CMP_BRANCH(0x0c, uint32_t, <)
	CMP_BRANCH(0x0d, uint32_t, !=)
	CMP_BRANCH(0x0e, uint32_t, ==)
	CMP_BRANCH(0x0f, int32_t, <=)
	CMP_BRANCH(0x12, uint32_t, <=)
	CMP_BRANCH(0x14, uint64_t, ==)
	CMP_BRANCH(0x15, uint64_t, !=)
	CMP_BRANCH(0x16, int64_t, <)
	CMP_BRANCH(0x17, uint64_t, <)
	CMP_BRANCH(0x18, int64_t, <=)
	CMP_BRANCH(0x19, uint64_t, <=)
op_0x1a: /* br_if, i64 */
	if (SL(1))
		JUMP(ip[2]);
	ip += 3;
	NEXT;
op_0x1c: /* br_ifz, i64 */
	if (!SL(1))
		JUMP(ip[2]);
	ip += 3;
	NEXT;
op_0x13: /* add_shl */
	SL(1) = (uint32_t)((uint32_t)SL(2) + ((uint32_t)SL(3) << ip[4]));
	ip += 5;
	NEXT;
op_0x09 : { /* return */
	struct vm_frame *fr = &t->frames[--t->nframes];
	if (!fr->f) {
		t->nres = f->type->nr;
		t->f = NULL;
		t->state = T_DONE;
		return VM_DONE;
	}
	f = fr->f;
	code = f->code->code;
	ip = code + fr->ip;
	fp = stack + fr->fp;
	SWITCH_INST();
	NEXT;
}
op_0x10: /* call */
	callee = inst->funcs[ip[1]];
	base = ip[2];
	ip += 3;
	goto call;
op_0x11 : { /* call_indirect */
	struct vm_table *tab = inst->tables[ip[1]];
	uint32_t i = (uint32_t)SL(3);
	if (i >= tab->size)
		TRAP("undefined element");
	if (!tab->e[i])
		TRAP("uninitialized element");
	/* references from the embedder or a snapshot are not trusted */
	if (tab->e[i] > s->nfuncs)
		TRAP("invalid function reference");
	callee = s->funcs[tab->e[i] - 1];
	if (!vm_types_equal(callee->type, &inst->m->types[ip[2]]))
		TRAP("indirect call type mismatch");
	base = ip[4];
	ip += 5;
	goto call;
}
op_0x1b: /* select */
	SL(1) = (uint32_t)SL(2) ? SL(3) : SL(4);
	ip += 5;
	NEXT;
op_0x23:
	SL(1) = globals[ip[2]]->v;
	ip += 3;
	NEXT;
op_0x24:
	globals[ip[1]]->v = SL(2);
	ip += 3;
	NEXT;
op_0x25 : { /* table.get */
	struct vm_table *tab = inst->tables[ip[2]];
	uint32_t i = (uint32_t)SL(3);
	if (i >= tab->size)
		TRAP("out of bounds table access");
	SL(1) = tab->e[i];
	ip += 4;
	NEXT;
}
op_0x26 : { /* table.set */
	struct vm_table *tab = inst->tables[ip[1]];
	uint32_t i = (uint32_t)SL(2);
	if (i >= tab->size)
		TRAP("out of bounds table access");
	tab->e[i] = SL(3);
	ip += 4;
	NEXT;
}
op_0x3f:
	SL(1) = memory->pages;
	ip += 2;
	NEXT;
op_0x40:
	SL(1) = (uint32_t)memory_grow(memory, (uint32_t)SL(2));
	RELOAD_MEM();
	ip += 3;
	NEXT;
op_0xd2:
	SL(1) = inst->funcs[ip[2]]->id;
	ip += 3;
	NEXT;
op_0xe8:
op_0xea:
op_0xeb:
	if ((msg = memory_op(inst, ip, fp)))
		goto trap;
	ip += 6;
	NEXT;
op_0xe9:
	inst->data_dropped[ip[1]] = 1;
	ip += 2;
	NEXT;
op_0xec:
op_0xee:
op_0xf1:
	if ((msg = table_op(inst, ip, fp)))
		goto trap;
	ip += 6;
	NEXT;
op_0xed:
	inst->elem_dropped[ip[1]] = 1;
	ip += 2;
	NEXT;
op_0xef: /* table.grow dst t init n */
	SL(1) = (uint32_t)table_grow(s, inst->tables[ip[2]], (uint32_t)SL(4), SL(3));
	ip += 5;
	NEXT;
op_0xf0:
	SL(1) = inst->tables[ip[2]]->size;
	ip += 3;
	NEXT;

call:
	if (callee->host) {
		uint64_t *args = fp + base;
		struct vm_host_call hc = {t, inst, callee->ctx};
		SAVE();
		rc = memory && memory->failed ? *memory->failed : 0;
		if (rc >= 0)
			rc = callee->host(&hc, args, args);
		RELOAD_MEM();
		if (rc < 0)
			TRAP("host function failed");
		if (rc == VM_HOST_EXIT) {
			t->state = T_EXITED;
			t->nframes = 0;
			return VM_EXITED;
		}
		if (rc == VM_HOST_PAUSE)
			goto pause;
		NEXT;
	}
	{
		const struct vm_code *cc = callee->code;
		uint64_t *nfp = fp + base;
		if (t->nframes >= t->maxframes || nfp + cc->frame > stack_end) {
			t->exhausted = true;
			TRAP("call stack exhausted");
		}
		struct vm_frame *fr = &t->frames[t->nframes++];
		fr->f = f;
		fr->ip = (uint32_t)(ip - code);
		fr->fp = (uint32_t)(fp - stack);
		uint32_t np = callee->type->np;
		zero_slots(nfp + np, cc->nlocals - np);
		copy_slots(nfp + cc->nlocals, cc->consts, cc->nconsts);
		fp = nfp;
		f = callee;
		code = cc->code;
		ip = code;
		SWITCH_INST();
		if (fuel == 0)
			goto pause;
		fuel--;
		NEXT;
	}

pause:
	SAVE();
	t->state = T_PAUSED;
	return VM_PAUSED;
op_bad:
	msg = "internal error: bad opcode";
trap:
	t->trap = msg;
	t->state = T_TRAPPED;
	t->nframes = 0;
	t->f = NULL;
	return TOY_ERR_TRAP;
}
