/* wat_int.h — what the parts of the WAT parser share (wat_lex.c: tokens and
 * literals; wat.c: modules; wat_instr.c: instructions). Not an API.
 *
 * Every allocation comes from the parse's arena and every error unwinds with
 * longjmp to wat_parse, which frees the arena: the parser needs no cleanup
 * paths, and untrusted text cannot leak memory or reach a half-built state.
 */
#ifndef TOY_WASM_WAT_INT_H
#define TOY_WASM_WAT_INT_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { T_EOF, T_LPAR, T_RPAR, T_ATOM, T_STR };

struct wat_tok {
	uint8_t kind;
	uint32_t off, len; /* the token's bytes in the source */
	uint32_t line, col;
};

struct wat_buf {
	uint8_t *p;
	size_t n, cap;
};

/* An identifier ($name, without quotes) as bytes of the source. */
struct wat_name {
	const char *s;
	uint32_t len;
};

/* One index space: the identifier of every index (len 0 when none). */
struct wat_space {
	struct wat_name *ids;
	uint32_t n, cap;
	const char *what;
};

struct wat_functype {
	uint8_t *t; /* params then results */
	uint32_t np, nr;
};

struct wat {
	jmp_buf jb;
	int err;
	char *msg;
	size_t msglen;
	void **allocs;
	size_t nallocs, capallocs;
	/* lexer */
	const char *src;
	size_t len;
	struct wat_tok *tok;
	size_t ntok, pos;
	/* module */
	struct wat_space types, funcs, tables, mems, globals, elems, datas;
	struct wat_functype *ft;
	uint32_t nft, capft;
	struct wat_buf sec[12];
	uint32_t count[12];
	uint32_t cur[4]; /* pass 2: next func, table, memory, global index */
	bool has_start, uses_datacount;
	/* current function */
	struct wat_space locals, labels;
	uint32_t depth; /* of nested blocks and folded instructions */
};

/* Section ids as in the binary format. */
enum {
	S_TYPE = 1,
	S_IMPORT,
	S_FUNC,
	S_TABLE,
	S_MEM,
	S_GLOBAL,
	S_EXPORT,
	S_START,
	S_ELEM,
	S_CODE,
	S_DATA,
	S_DATACOUNT = 0
};

/* errors and memory */
_Noreturn void wat_fail(struct wat *w, const struct wat_tok *t, const char *fmt, ...);
void *wat_alloc(struct wat *w, size_t n);
void buf_byte(struct wat *w, struct wat_buf *b, uint8_t v);
void buf_bytes(struct wat *w, struct wat_buf *b, const void *p, size_t n);
void buf_u32(struct wat *w, struct wat_buf *b, uint32_t v);
void buf_s64(struct wat *w, struct wat_buf *b, int64_t v);

/* lexer (wat_lex.c) */
void wat_lex(struct wat *w);
const struct wat_tok *peek(struct wat *w, size_t k);
const struct wat_tok *next(struct wat *w);
bool is_kw(const struct wat *w, const struct wat_tok *t, const char *kw);
bool is_id(const struct wat *w, const struct wat_tok *t);
bool tok_eq(const struct wat *w, const struct wat_tok *t, const char *s, size_t n);
/* '(' followed by keyword kw */
bool peek_form(struct wat *w, const char *kw);
void expect_lpar(struct wat *w);
void expect_rpar(struct wat *w);
void expect_kw(struct wat *w, const char *kw);
void skip_form_rest(struct wat *w);
/* Decodes a string token into b; false if t is not a string. */
bool wat_string(struct wat *w, const struct wat_tok *t, struct wat_buf *b);
bool wat_utf8_valid(const uint8_t *p, size_t n);
/* literals from atom t: false if t is not of that form; out of range fails */
bool lit_u32(struct wat *w, const struct wat_tok *t, const char *s, size_t n, uint32_t *v);
bool lit_int(struct wat *w, const struct wat_tok *t, int bits, uint64_t *v);
bool lit_float(struct wat *w, const struct wat_tok *t, int bits, uint64_t *v);

/* instructions (wat_instr.c) */
/* Deeper nesting is refused, so that hostile text cannot exhaust the stack. */
#define WAT_MAX_DEPTH 2000

/* Instructions up to a ')' or EOF (not consumed). */
void wat_instrs(struct wat *w, struct wat_buf *b);
/* One folded instruction `( ... )`. */
void wat_folded(struct wat *w, struct wat_buf *b);

/* module helpers used by instructions (wat.c) */
uint32_t wat_index(struct wat *w, struct wat_space *s, const struct wat_tok *t);
bool wat_valtype(struct wat *w, const struct wat_tok *t, uint8_t *v);
/* A type use: `(type x)?` then inline `(param ...)* (result ...)*`. */
struct wat_typeuse {
	bool has_type, has_inline;
	uint32_t idx;
	struct wat_functype sig; /* the inline one, or that of type x */
};
/* Parses a type use; names (may be NULL) receives the ids of inline params,
 * which are allowed only if param_ids. Checks that inline matches type x. */
void wat_typeuse(struct wat *w, bool param_ids, struct wat_space *names, struct wat_typeuse *u);
/* The type index of u, adding its function type to the module if new. */
uint32_t wat_type_index(struct wat *w, const struct wat_typeuse *u);
void space_push(struct wat *w, struct wat_space *s, const struct wat_tok *id);

#endif
