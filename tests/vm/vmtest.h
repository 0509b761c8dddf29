/* vmtest.h — helpers the vm unit tests share: a hosted embedding of the
 * engine (malloc, capped malloc-backed memories) and a tiny module
 * assembler, so tests state their wasm bytes next to what they check. */
#ifndef VMTEST_H
#define VMTEST_H

#include <stddef.h>
#include <stdint.h>
#include <vm/vm.h>

struct buf {
	uint8_t b[4096];
	size_t n;
};

void put(struct buf *b, const void *p, size_t n);
void put_u8(struct buf *b, uint8_t v);
void put_leb(struct buf *b, uint64_t v);
void put_sleb(struct buf *b, int64_t v);
/* Appends section id with the given contents. */
void put_section(struct buf *b, uint8_t id, const struct buf *contents);

/* A module with one function of type params->results (strings of type
 * bytes), locals (pairs of count,type; nlocals pairs), body (ending with
 * 0x0b), exported as "f"; with a memory of mem_min..mem_max pages if
 * mem_min >= 0. */
struct fn_spec {
	const uint8_t *params, *results;
	size_t np, nr;
	const uint8_t *locals;
	size_t nlocals;
	const uint8_t *body;
	size_t nbody;
	int mem_min, mem_max;
};
/* A one-function spec from byte arrays of parameter types, result types and
 * body; further designated initializers override the defaults. */
#define SPEC(P, R, BODY, ...)                                                                      \
	((struct fn_spec){.params = P,                                                             \
			  .np = sizeof(P),                                                         \
			  .results = R,                                                            \
			  .nr = sizeof(R),                                                         \
			  .body = BODY,                                                            \
			  .nbody = sizeof(BODY),                                                   \
			  .mem_min = -1,                                                           \
			  .mem_max = -1,                                                           \
			  __VA_ARGS__})

void build_module(struct buf *out, const struct fn_spec *f);

void test_config(struct vm_config *cfg, uint64_t mem_cap);
/* Loads and instantiates b; returns 0 or the first error. */
int instantiate(struct vm_store *s, const struct buf *b, struct vm_module **m,
		struct vm_instance **inst);
/* Calls export "f". */
int call_f(struct vm_store *s, struct vm_instance *inst, const uint64_t *args, uint32_t nargs,
	   uint64_t *res, uint32_t nres, const char **trap);

#endif
