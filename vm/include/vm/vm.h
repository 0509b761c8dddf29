/* vm/vm.h — Toy's WebAssembly engine: the whole public API.
 *
 * A freestanding library. The embedder supplies memory (struct vm_alloc), the
 * backing of linear memories (struct vm_config.memory_new) and host functions.
 * A module is decoded, validated and pre-compiled once (vm_module_load); it is
 * then instantiated in a store against imports the embedder resolves. Code runs
 * on a vm_thread with explicit stacks, for a fuel budget, and stops at
 * safepoints (loop heads, calls, host calls) where its state may be serialized
 * (vm/snapshot.h).
 *
 * Errors: 0 or a negative TOY_ERR_* (toy/err.h). Values cross the API as
 * uint64_t: i32/f32 in the low 32 bits (zero-extended), i64/f64 as bits,
 * references as opaque non-zero words (0 is null). Nothing here is thread-safe;
 * a store and everything in it belong to one caller at a time.
 */
#ifndef VM_VM_H
#define VM_VM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum vm_type {
	VM_I32 = 0x7f,
	VM_I64 = 0x7e,
	VM_F32 = 0x7d,
	VM_F64 = 0x7c,
	VM_FUNCREF = 0x70,
	VM_EXTERNREF = 0x6f,
};

enum vm_kind { VM_EXT_FUNC = 0, VM_EXT_TABLE = 1, VM_EXT_MEMORY = 2, VM_EXT_GLOBAL = 3 };

#define VM_PAGE_SIZE  65536u
#define VM_MAX_PAGES  65536u
#define VM_MAX_VALUES 16 /* params or results of a host function */

/* Allocation, from the embedder. alloc returns NULL on failure. */
struct vm_alloc {
	void *(*alloc)(void *ctx, size_t size);
	void (*free)(void *ctx, void *p);
	void *ctx;
};

/* A linear memory: bytes [base, base+size) are the wasm addresses [0, size).
 * The engine never touches anything else. grow makes new_pages pages
 * addressable (base may move, new bytes are zero) and returns 0 or
 * TOY_ERR_NOMEM; release gives the backing back. Filled in by
 * vm_config.memory_new. */
struct vm_memory {
	uint8_t *base;
	uint64_t size;
	uint32_t pages;
	uint32_t max_pages; /* VM_MAX_PAGES when the type has no maximum */
	bool has_max;
	int (*grow)(struct vm_memory *m, uint32_t new_pages);
	void (*release)(struct vm_memory *m);
	void *ctx;
	/* If set, where the memory's backing reports that it failed (a
	 * negative error; 0 while it has not): a host call made by code using
	 * this memory then traps instead of running (the kernel so stops a
	 * domain whose memory could not be read back from the store). */
	const volatile int *failed;
};

struct vm_config {
	struct vm_alloc alloc;
	/* Back a new memory of min pages (max as declared): fill in m's base,
	 * size, pages = min, grow, release. Returns 0 or a negative error. */
	int (*memory_new)(void *ctx, struct vm_memory *m, uint32_t min);
	void *memory_ctx;
	uint32_t stack_slots; /* value stack size in 8-byte slots (0: 1 Mi) */
	uint32_t max_frames;  /* call depth limit (0: 100000) */
};

struct vm_store;
struct vm_module;
struct vm_instance;
struct vm_func;
struct vm_table;
struct vm_global;
struct vm_thread;

struct vm_extern {
	enum vm_kind kind;
	union {
		struct vm_func *func;
		struct vm_table *table;
		struct vm_memory *memory;
		struct vm_global *global;
	} u;
};

/* Host function: args[0..nparams) in, results[0..nresults) out (the same
 * array may be passed for both). Returns 0, VM_HOST_PAUSE to stop the thread
 * at the safepoint after the call, VM_HOST_EXIT to end it, or a negative
 * error which becomes a trap. */
enum { VM_HOST_PAUSE = 1, VM_HOST_EXIT = 2 };
struct vm_host_call {
	struct vm_thread *thread;
	struct vm_instance *caller; /* instance whose code made the call */
	void *ctx;                  /* as registered */
};
typedef int (*vm_host_fn)(struct vm_host_call *call, uint64_t *args, uint64_t *results);

/* Import resolution, called once per import in order. Fill *out and return 0,
 * or return TOY_ERR_NOTFOUND. */
typedef int (*vm_resolve_fn)(void *ctx, const char *module, const char *name, enum vm_kind kind,
			     struct vm_extern *out);

/* --- store ---------------------------------------------------------------- */

/* Creates a store; cfg is copied. Returns 0 or TOY_ERR_NOMEM/INVAL. */
int vm_store_new(const struct vm_config *cfg, struct vm_store **out);
/* Frees the store and everything created in it (instances, funcs, threads). */
void vm_store_free(struct vm_store *s);

/* --- modules -------------------------------------------------------------- */

/* Decodes, validates and pre-compiles bytes[0..len) (copied). Returns 0,
 * TOY_ERR_MALFORMED, TOY_ERR_INVALID, TOY_ERR_LIMIT or TOY_ERR_NOMEM; on error
 * a message is written to msg (if non-NULL). The module is independent of any
 * store and may be instantiated many times. */
int vm_module_load(const struct vm_alloc *a, const uint8_t *bytes, size_t len,
		   struct vm_module **out, char *msg, size_t msglen);
void vm_module_free(struct vm_module *m);

/* Number of imports/exports and their descriptions (name pointers live as
 * long as the module). */
uint32_t vm_module_nimports(const struct vm_module *m);
int vm_module_import(const struct vm_module *m, uint32_t i, const char **module, const char **name,
		     enum vm_kind *kind);
/* The type of function import i (TOY_ERR_RANGE if i is not a function). */
int vm_module_import_type(const struct vm_module *m, uint32_t i, uint32_t *nparams,
			  const uint8_t **params, uint32_t *nresults, const uint8_t **results);
uint32_t vm_module_nexports(const struct vm_module *m);
int vm_module_export(const struct vm_module *m, uint32_t i, const char **name, enum vm_kind *kind);

/* --- objects -------------------------------------------------------------- */

/* A host function of signature sig: param letters, ':', result letters, with
 * i=i32 I=i64 f=f32 F=f64 r=funcref e=externref; e.g. "iiii:i". */
int vm_host_func_new(struct vm_store *s, const char *sig, vm_host_fn fn, void *ctx,
		     struct vm_func **out);
int vm_global_new(struct vm_store *s, enum vm_type t, bool mut, uint64_t val,
		  struct vm_global **out);
uint64_t vm_global_get(const struct vm_global *g);
int vm_table_new(struct vm_store *s, enum vm_type t, uint32_t min, uint32_t max, bool has_max,
		 struct vm_table **out);
/* A store-owned memory from cfg.memory_new. */
int vm_memory_new(struct vm_store *s, uint32_t min, uint32_t max, bool has_max,
		  struct vm_memory **out);

/* Function type: counts and types (valid as long as f). */
void vm_func_type(const struct vm_func *f, uint32_t *nparams, const uint8_t **params,
		  uint32_t *nresults, const uint8_t **results);

/* --- instances ------------------------------------------------------------ */

/* Instantiates m: resolves imports, allocates, initializes segments, runs the
 * start function. Returns 0; TOY_ERR_NOTFOUND/TOY_ERR_INVALID when an import
 * is missing or mismatched ("unlinkable"); TOY_ERR_TRAP when initialization
 * or the start function traps (the instance then still exists in *out if
 * non-NULL, as the spec leaves it partially initialized). */
int vm_instantiate(struct vm_store *s, const struct vm_module *m, vm_resolve_fn resolve, void *rctx,
		   struct vm_instance **out, char *msg, size_t msglen);
/* Looks up an export by name. Returns 0 or TOY_ERR_NOTFOUND. */
int vm_instance_export(const struct vm_instance *inst, const char *name, struct vm_extern *out);
/* The instance's memory 0, or NULL. */
struct vm_memory *vm_instance_memory(const struct vm_instance *inst);

/* --- execution ------------------------------------------------------------ */

enum vm_status { VM_DONE = 0, VM_PAUSED = 1, VM_EXITED = 2 };

int vm_thread_new(struct vm_store *s, struct vm_thread **out);
void vm_thread_free(struct vm_thread *t);
/* Prepares a call of f with args (count must match). Returns 0 or
 * TOY_ERR_INVAL/TOY_ERR_LIMIT. */
int vm_thread_call(struct vm_thread *t, struct vm_func *f, const uint64_t *args, uint32_t nargs);
/* Runs for at most fuel units (loop iterations and calls; UINT64_MAX means
 * unlimited). Returns VM_DONE (results ready), VM_PAUSED (resume with another
 * vm_run), VM_EXITED (a host function ended the thread), or TOY_ERR_TRAP (see
 * vm_thread_trap). */
int vm_run(struct vm_thread *t, uint64_t fuel);
/* After VM_DONE: copies up to n results into out; returns their count. */
uint32_t vm_thread_results(const struct vm_thread *t, uint64_t *out, uint32_t n);
/* The message of the last trap ("integer divide by zero", ...). */
const char *vm_thread_trap(const struct vm_thread *t);
/* Whether the last trap was stack exhaustion. */
bool vm_thread_exhausted(const struct vm_thread *t);
/* Convenience: call and run to completion. */
int vm_invoke(struct vm_thread *t, struct vm_func *f, const uint64_t *args, uint32_t nargs,
	      uint64_t *results, uint32_t nresults);

/* --- snapshots (format: vm/snapshot.h) ------------------------------------- */

/* Serializes a paused thread running in inst (a single-instance program)
 * with inst's globals, tables, dropped segments and memory size, into
 * buf[0..cap). Returns the byte count (> cap: call again with more room) or
 * TOY_ERR_BUSY if t is not paused, TOY_ERR_NOTSUP if t runs code of another
 * instance. */
int64_t vm_snapshot(const struct vm_thread *t, const struct vm_instance *inst, uint8_t *buf,
		    uint64_t cap);
/* Instantiates m without initializing it (no segments, no start), restores
 * the state in snap, and returns a paused thread ready for vm_run. Imports
 * must resolve exactly as when the snapshot was taken; the memory that
 * memory_new hands out must hold the contents at snapshot time. Returns 0,
 * TOY_ERR_CORRUPT for bytes that fail a check, TOY_ERR_NOTSUP for another
 * version, or an instantiation error. */
int vm_resume(struct vm_store *s, const struct vm_module *m, vm_resolve_fn resolve, void *rctx,
	      const uint8_t *snap, uint64_t len, struct vm_instance **inst, struct vm_thread **t);

#endif
