/* vm_int.h — the engine's internal structures, shared by its .c files.
 *
 * A module holds the decoded sections and, per defined function, pre-compiled
 * code: an array of 32-bit words (an internal opcode then its operands) whose
 * operands are frame slot numbers, immediates and absolute code offsets. Slot
 * i of a frame is local i for i < nlocals and operand stack position
 * i - nlocals above; the validator knows every stack height, so the code needs
 * no stack pointer. The words depend on nothing but the module bytes, which is
 * what makes a saved (function, offset) portable.
 */
#ifndef VM_INT_H
#define VM_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <toy/err.h>
#include <vm/vm.h>

#define VM_MAX_LOCALS   50000u
#define VM_MAX_FUNCS    1000000u
#define VM_MAX_TABLE    10000000u
#define VM_MAX_HEIGHT   100000u
#define VM_MAX_BR_TABLE 1000000u
#define VM_MAX_CONSTS   256u

struct vm_functype {
	uint32_t np, nr;
	uint8_t *t; /* np params then nr results */
};

/* A constant expression: one instruction. */
struct vm_cexpr {
	uint8_t op; /* 0x41..0x44 const, 0x23 global.get, 0xd0 ref.null, 0xd2 ref.func */
	uint8_t type;
	uint64_t v;
};

struct vm_limits {
	uint32_t min, max;
	bool has_max;
};

struct vm_tabletype {
	uint8_t elem;
	struct vm_limits lim;
};

struct vm_globaltype {
	uint8_t type;
	bool mut;
};

struct vm_import_def {
	const char *mod, *name;
	uint8_t kind;
	uint32_t type; /* functions: type index */
	struct vm_tabletype table;
	struct vm_limits mem;
	struct vm_globaltype global;
};

struct vm_export_def {
	const char *name;
	uint8_t kind;
	uint32_t idx;
};

struct vm_code {
	uint32_t type;
	uint32_t nlocals;    /* params included */
	uint32_t frame;      /* slots used by a frame */
	const uint8_t *body; /* locals declarations then expression */
	uint32_t body_len;
	uint32_t *code;
	uint32_t ncode;
	uint32_t nconsts; /* constant slots, right after the locals */
	uint64_t *consts;
};

enum { SEG_ACTIVE = 0, SEG_PASSIVE = 1, SEG_DECLARATIVE = 2 };

struct vm_elem_def {
	uint8_t mode, type;
	uint32_t table;
	struct vm_cexpr off;
	uint32_t n;
	struct vm_cexpr *items;
};

struct vm_data_def {
	uint8_t mode;
	struct vm_cexpr off;
	const uint8_t *bytes;
	uint32_t len;
};

struct vm_module {
	struct vm_alloc a;
	uint8_t *bytes;
	size_t len;
	uint64_t hash; /* FNV-1a of bytes: snapshots name their module by it */
	uint32_t ntypes;
	struct vm_functype *types;
	uint32_t nimports;
	struct vm_import_def *imports;
	uint32_t nfuncs, nfimports;
	uint32_t *functype;    /* type index of every function */
	struct vm_code *codes; /* defined functions */
	uint32_t ntables, ntimports;
	struct vm_tabletype *tables;
	uint32_t nmems, nmimports;
	struct vm_limits mem;
	uint32_t nglobals, ngimports;
	struct vm_globaltype *globals;
	struct vm_cexpr *ginit;
	uint32_t nexports;
	struct vm_export_def *exports;
	bool has_start;
	uint32_t start;
	uint32_t nelems;
	struct vm_elem_def *elems;
	uint32_t ndatas;
	struct vm_data_def *datas;
	bool has_datacount, has_datasec;
	uint8_t *refs; /* per function: may be named by ref.func */
	char *names;   /* NUL-terminated copies of every name */
	/* allocations to free with the module */
	void **allocs;
	uint32_t nallocs, capallocs;
};

/* --- runtime objects ---------------------------------------------------- */

struct vm_obj {
	struct vm_obj *next;
	void (*fini)(struct vm_store *s, struct vm_obj *o);
};

struct vm_func {
	struct vm_obj o;
	const struct vm_functype *type;
	struct vm_instance *inst; /* NULL for host functions */
	const struct vm_code *code;
	vm_host_fn host;
	void *ctx;
	uint32_t id;            /* funcref value: index in store->funcs plus one */
	struct vm_functype own; /* host functions: their type */
	uint8_t sig[2 * VM_MAX_VALUES];
};

struct vm_table {
	struct vm_obj o;
	uint8_t elem;
	uint32_t size, max;
	bool has_max;
	uint64_t *e;
};

struct vm_global {
	struct vm_obj o;
	uint8_t type;
	bool mut;
	uint64_t v;
};

struct vm_memobj {
	struct vm_obj o;
	struct vm_memory m;
};

struct vm_instance {
	struct vm_obj o;
	struct vm_store *s;
	const struct vm_module *m;
	struct vm_func **funcs;
	struct vm_table **tables;
	struct vm_memory *mem;
	struct vm_global **globals;
	uint8_t *elem_dropped, *data_dropped;
};

struct vm_frame {
	const struct vm_func *f; /* the caller (NULL: return to the embedder) */
	uint32_t ip, fp;
};

enum { T_IDLE, T_READY, T_PAUSED, T_DONE, T_TRAPPED, T_EXITED };

struct vm_thread {
	struct vm_obj o;
	struct vm_store *s;
	uint64_t *stack;
	uint32_t nslots;
	struct vm_frame *frames;
	uint32_t nframes, maxframes;
	const struct vm_func *f; /* current function, ip and fp when not running */
	uint32_t ip, fp;
	uint32_t nres;
	int state;
	bool exhausted;
	const char *trap;
};

struct vm_store {
	struct vm_config cfg;
	struct vm_obj *objs;
	struct vm_func **funcs;
	uint32_t nfuncs, capfuncs;
};

/* --- internal opcodes --------------------------------------------------- */
/* Numeric, load and store opcodes keep their wasm numbers; 0xFC-prefixed
 * ones become 0xe0 + sub-opcode; the rest are the engine's own. */
enum {
	OP_UNREACHABLE = 0x00,
	OP_MOV = 0x01,      /* dst src */
	OP_CONST32 = 0x02,  /* dst imm */
	OP_CONST64 = 0x03,  /* dst lo hi */
	OP_JMP = 0x04,      /* target */
	OP_BR_IF = 0x05,    /* cond target */
	OP_BR_IFZ = 0x06,   /* cond target */
	OP_BR_TABLE = 0x08, /* idx n target*(n+1) */
	OP_RETURN = 0x09,
	OP_CALL = 0x10,          /* funcidx base */
	OP_CALL_INDIRECT = 0x11, /* table typeidx elemslot base */
	OP_SELECT = 0x1b,        /* dst cond a b */
	OP_GLOBAL_GET = 0x23,    /* dst g */
	OP_GLOBAL_SET = 0x24,    /* g src */
	OP_TABLE_GET = 0x25,     /* dst table idx */
	OP_TABLE_SET = 0x26,     /* table idx val */
	OP_MEMORY_SIZE = 0x3f,   /* dst */
	OP_MEMORY_GROW = 0x40,   /* dst n */
	OP_REF_FUNC = 0xd2,      /* dst funcidx */
	OP_BR_IF_LT_S = 0x0b,    /* a b target: compare i32s and branch */
	OP_BR_IF_LT_U = 0x0c,
	OP_BR_IF_NE = 0x0d,
	OP_BR_IF_EQ = 0x0e,
	OP_BR_IF_LE_S = 0x0f,
	OP_BR_IF_LE_U = 0x12,
	OP_ADD_SHL = 0x13,    /* dst a b k: dst = a + (b << k), i32 */
	OP_BR_IF_EQ64 = 0x14, /* a b target: compare i64s and branch */
	OP_BR_IF_NE64 = 0x15,
	OP_BR_IF_LT_S64 = 0x16,
	OP_BR_IF_LT_U64 = 0x17,
	OP_BR_IF_LE_S64 = 0x18,
	OP_BR_IF_LE_U64 = 0x19,
	OP_BR_IF64 = 0x1a,  /* cond target: branch if the i64 is nonzero */
	OP_BR_IFZ64 = 0x1c, /* cond target: branch if the i64 is zero */
	OP_FC = 0xe0,       /* + sub-opcode: saturating truncation, bulk memory, tables */
	OP_MEM_ADD = 0x100, /* + (load/store opcode - 0x28): address = a + (b << sh);
			     * loads: dst a b sh off, stores: a b sh val off */
	OP_COUNT = 0x120,
};

/* --- byte reader -------------------------------------------------------- */

struct rd {
	const uint8_t *p, *end;
	int err; /* first error: TOY_ERR_MALFORMED */
	const char *msg;
};

static inline void rd_fail(struct rd *r, const char *msg)
{
	if (!r->err) {
		r->err = TOY_ERR_MALFORMED;
		r->msg = msg;
	}
	r->p = r->end;
}

static inline uint8_t rd_u8(struct rd *r)
{
	if (r->p >= r->end) {
		rd_fail(r, "unexpected end");
		return 0;
	}
	return *r->p++;
}

uint64_t vm_rd_leb(struct rd *r, unsigned bits, bool is_signed);

static inline uint32_t rd_u32(struct rd *r)
{
	return (uint32_t)vm_rd_leb(r, 32, false);
}

/* --- shared helpers ----------------------------------------------------- */

void *vm_alloc0(const struct vm_alloc *a, size_t n);
int vm_compile(struct vm_module *m, uint32_t fi, char *msg, size_t msglen);
/* TOY_ERR_MALFORMED (and *msg) if some function body is malformed. */
int vm_skim_bodies(const struct vm_module *m, const char **msg);
int vm_interp(struct vm_thread *t, uint64_t fuel);
bool vm_types_equal(const struct vm_functype *a, const struct vm_functype *b);
int vm_instance_new(struct vm_store *s, const struct vm_module *m, vm_resolve_fn resolve,
		    void *rctx, struct vm_instance **out, char *msg, size_t msglen);
int vm_instance_init(struct vm_instance *inst, char *msg, size_t msglen);
void vm_fmt(char *buf, size_t len, const char *a, const char *b);

static inline bool vm_is_ref(uint8_t t)
{
	return t == VM_FUNCREF || t == VM_EXTERNREF;
}

static inline bool vm_is_valtype(uint8_t t)
{
	return (t >= VM_F64 && t <= VM_I32) || vm_is_ref(t);
}

#endif
