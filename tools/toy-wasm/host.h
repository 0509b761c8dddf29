/* host.h — what the parts of toy-wasm share: the hosted embedding of the
 * engine (allocator, mmap-backed linear memories, file reading) and the
 * entry points of the subcommands. */
#ifndef TOY_WASM_HOST_H
#define TOY_WASM_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <vm/vm.h>

/* Linear memories: 4 GiB of address space reserved per memory, made
 * accessible page by page, so base never moves and growing costs nothing. */
struct tw_memctx {
	/* snapshot-test: hand out this memory instead of a fresh one, and keep
	 * memories alive when their store is freed */
	struct vm_memory *reuse;
	bool keep;
};

void tw_config(struct vm_config *cfg, struct tw_memctx *mctx);
void tw_memory_release(struct vm_memory *m);
int tw_read_file(const char *path, uint8_t **buf, size_t *len);
/* Loads a module, printing a clear message on failure. */
int tw_load(const char *path, struct vm_module **out);

/* WASI preview1 subset. */
struct wasi {
	int argc;
	char **argv;
	int exit_code;
	bool exited;
	struct vm_store *store;
	const struct vm_module *module; /* for the types of unknown imports */
	/* snapshot-test: collect output instead of writing it, and make the
	 * clock and random numbers reproducible */
	bool capture;
	char *out;
	size_t nout, capout;
	uint64_t clock, rng;
};
int wasi_resolve(void *ctx, const char *module, const char *name, enum vm_kind kind,
		 struct vm_extern *out);

int tw_spectest(int argc, char **argv);
int tw_snapshot_test(int argc, char **argv);

#endif
