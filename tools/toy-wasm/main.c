/* main.c — toy-wasm: run WebAssembly modules on Toy's engine, on the host.
 *
 *   toy-wasm run [--fuel N] MODULE.wasm [ARGS...]   run a WASI command
 *   toy-wasm run MODULE.wasm --invoke NAME [ARGS]   call an export, print results
 *   toy-wasm spectest FILE.wast...                  run spec test scripts
 *   toy-wasm snapshot-test MODULE.wasm [ARGS...]    snapshot/resume at every safepoint
 *   toy-wasm wat2wasm IN.wat OUT.wasm               text format to binary
 *   toy-wasm wast-modules FILE.wast...              check the text parser against wabt
 *
 * This file holds the hosted embedding (malloc, mmap-backed memories) and
 * the run command; spectest.c, snaptest.c, wasi.c and wat*.c hold the rest.
 */
#include "host.h"
#include "wat.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <toy/err.h>

#define RESERVE (4ull << 30)

static void *h_alloc(void *ctx, size_t n)
{
	(void)ctx;
	return malloc(n);
}

static void h_free(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

static int mem_grow(struct vm_memory *m, uint32_t pages)
{
	uint64_t bytes = (uint64_t)pages * VM_PAGE_SIZE;
	if (bytes > RESERVE)
		return TOY_ERR_NOMEM;
	if (bytes > m->size && mprotect(m->base + m->size, bytes - m->size, PROT_READ | PROT_WRITE))
		return TOY_ERR_NOMEM;
	m->size = bytes;
	m->pages = pages;
	return 0;
}

void tw_memory_release(struct vm_memory *m)
{
	if (m->base)
		munmap(m->base, RESERVE);
	m->base = NULL;
}

static void mem_release(struct vm_memory *m)
{
	struct tw_memctx *c = m->ctx;
	if (!c || !c->keep)
		tw_memory_release(m);
}

static int mem_new(void *ctx, struct vm_memory *m, uint32_t min)
{
	struct tw_memctx *c = ctx;
	if (c && c->reuse) {
		*m = *c->reuse;
		m->ctx = c;
		return 0;
	}
	void *p =
	    mmap(NULL, RESERVE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return TOY_ERR_NOMEM;
	*m = (struct vm_memory){.base = p, .grow = mem_grow, .release = mem_release, .ctx = c};
	if (mem_grow(m, min)) {
		munmap(p, RESERVE);
		return TOY_ERR_NOMEM;
	}
	return 0;
}

void tw_config(struct vm_config *cfg, struct tw_memctx *mctx)
{
	*cfg = (struct vm_config){
	    .alloc = {h_alloc, h_free, NULL}, .memory_new = mem_new, .memory_ctx = mctx};
}

int tw_read_file(const char *path, uint8_t **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 1 << 16, n = 0;
	uint8_t *b = malloc(cap);
	if (!f || !b) {
		if (f)
			fclose(f);
		free(b);
		return TOY_ERR_NOTFOUND;
	}
	for (;;) {
		size_t r = fread(b + n, 1, cap - n, f);
		n += r;
		if (n < cap)
			break;
		uint8_t *nb = realloc(b, cap *= 2);
		if (!nb) {
			free(b);
			fclose(f);
			return TOY_ERR_NOMEM;
		}
		b = nb;
	}
	fclose(f);
	*buf = b;
	*len = n;
	return 0;
}

int tw_load(const char *path, struct vm_module **out)
{
	struct vm_alloc a = {h_alloc, h_free, NULL};
	uint8_t *bytes;
	size_t len;
	char msg[200] = "";
	if (tw_read_file(path, &bytes, &len)) {
		fprintf(stderr, "toy-wasm: cannot read %s: %s\n", path, strerror(errno));
		return TOY_ERR_NOTFOUND;
	}
	int rc = vm_module_load(&a, bytes, len, out, msg, sizeof(msg));
	free(bytes);
	if (rc) {
		const char *kind = rc == TOY_ERR_MALFORMED ? "malformed module"
				   : rc == TOY_ERR_INVALID ? "invalid module"
							   : toy_strerror(rc);
		fprintf(stderr, "toy-wasm: %s: %s: %s\n", path, kind, msg);
	}
	return rc;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: toy-wasm COMMAND ...\n"
		   "\n"
		   "  run [--fuel N] MODULE.wasm [ARGS...]\n"
		   "        run a WASI command (_start) with ARGS; exits with its exit code\n"
		   "  run MODULE.wasm --invoke NAME [ARGS...]\n"
		   "        call export NAME with numeric ARGS and print its results\n"
		   "  spectest [-v] FILE.wast...\n"
		   "        run spec test scripts (converted with wabt's wast2json)\n"
		   "  snapshot-test [--fuel N] MODULE.wasm [ARGS...]\n"
		   "        run a WASI command, snapshotting, destroying and resuming the\n"
		   "        engine at every safepoint; compares with an uninterrupted run\n"
		   "  wat2wasm IN.wat OUT.wasm\n"
		   "        convert a module from the text format to the binary format\n"
		   "  wast-modules FILE.wast...\n"
		   "        parse every module of spec scripts with the text parser and check\n"
		   "        the vm accepts exactly those it accepts from wast2json\n");
}

static int parse_arg(const char *s, uint8_t type, uint64_t *out)
{
	char *end;
	errno = 0;
	switch (type) {
	case VM_I32:
	case VM_I64: {
		long long v = strtoll(s, &end, 0);
		if (errno == ERANGE)
			*out = strtoull(s, &end, 0);
		else
			*out = type == VM_I32 ? (uint32_t)v : (uint64_t)v;
		break;
	}
	case VM_F32: {
		float v = strtof(s, &end);
		uint32_t b;
		memcpy(&b, &v, 4);
		*out = b;
		break;
	}
	case VM_F64: {
		double v = strtod(s, &end);
		memcpy(out, &v, 8);
		break;
	}
	default: *out = strtoull(s, &end, 0); break;
	}
	return *end ? -1 : 0;
}

static void print_value(uint8_t type, uint64_t v)
{
	float f;
	double d;
	uint32_t b = (uint32_t)v;
	switch (type) {
	case VM_I32: printf("%" PRId32 ":i32\n", (int32_t)b); break;
	case VM_I64: printf("%" PRId64 ":i64\n", (int64_t)v); break;
	case VM_F32: memcpy(&f, &b, 4), printf("%.9g:f32\n", f); break;
	case VM_F64: memcpy(&d, &v, 8), printf("%.17g:f64\n", d); break;
	default: printf("ref %" PRIu64 "\n", v); break;
	}
}

static int invoke(struct vm_store *s, struct vm_instance *inst, const char *name, int argc,
		  char **argv, uint64_t fuel)
{
	struct vm_extern e;
	uint64_t args[64], res[64];
	uint32_t np, nr;
	const uint8_t *pt, *rt;
	struct vm_thread *t;
	if (vm_instance_export(inst, name, &e) || e.kind != VM_EXT_FUNC) {
		fprintf(stderr, "toy-wasm: no exported function '%s'\n", name);
		return 2;
	}
	vm_func_type(e.u.func, &np, &pt, &nr, &rt);
	if ((uint32_t)argc != np || np > 64 || nr > 64) {
		fprintf(stderr, "toy-wasm: '%s' takes %u arguments, got %d\n", name, np, argc);
		return 2;
	}
	for (uint32_t i = 0; i < np; i++) {
		if (parse_arg(argv[i], pt[i], &args[i])) {
			fprintf(stderr, "toy-wasm: bad argument '%s'\n", argv[i]);
			return 2;
		}
	}
	if (vm_thread_new(s, &t))
		return 2;
	int rc = vm_thread_call(t, e.u.func, args, np);
	do {
		rc = rc ? rc : vm_run(t, fuel);
	} while (rc == VM_PAUSED && fuel == UINT64_MAX);
	if (rc == VM_PAUSED) {
		fprintf(stderr, "toy-wasm: out of fuel\n");
		return 3;
	}
	vm_thread_results(t, res, nr);
	if (rc < 0) {
		fprintf(stderr, "toy-wasm: trap: %s\n", vm_thread_trap(t));
		return 1;
	}
	for (uint32_t i = 0; i < nr; i++)
		print_value(rt[i], res[i]);
	return 0;
}

static int run_start(struct vm_store *s, struct vm_instance *inst, struct wasi *w, uint64_t fuel)
{
	struct vm_extern e;
	struct vm_thread *t;
	if (vm_instance_export(inst, "_start", &e) || e.kind != VM_EXT_FUNC) {
		fprintf(stderr, "toy-wasm: module exports no _start function (use --invoke)\n");
		return 2;
	}
	if (vm_thread_new(s, &t) || vm_thread_call(t, e.u.func, NULL, 0))
		return 2;
	int rc;
	do {
		rc = vm_run(t, fuel);
	} while (rc == VM_PAUSED && fuel == UINT64_MAX);
	fflush(stdout);
	if (rc == VM_PAUSED) {
		fprintf(stderr, "toy-wasm: out of fuel\n");
		return 3;
	}
	if (rc < 0) {
		fprintf(stderr, "toy-wasm: trap: %s\n", vm_thread_trap(t));
		return 1;
	}
	return w->exited ? w->exit_code : 0;
}

static int cmd_run(int argc, char **argv)
{
	uint64_t fuel = UINT64_MAX;
	int i = 0, rc;
	if (argc > 1 && !strcmp(argv[0], "--fuel")) {
		fuel = strtoull(argv[1], NULL, 0);
		i = 2;
	}
	if (i >= argc || !strcmp(argv[i], "--help")) {
		usage(i >= argc ? stderr : stdout);
		return i >= argc ? 2 : 0;
	}
	struct vm_module *m;
	struct vm_store *s;
	struct vm_instance *inst;
	struct vm_config cfg;
	char msg[200] = "";
	if (tw_load(argv[i], &m))
		return 2;
	tw_config(&cfg, NULL);
	if (vm_store_new(&cfg, &s))
		return 2;
	struct wasi w = {.argc = argc - i, .argv = argv + i, .store = s, .module = m};
	bool inv = i + 1 < argc && !strcmp(argv[i + 1], "--invoke");
	rc = vm_instantiate(s, m, wasi_resolve, &w, &inst, msg, sizeof(msg));
	if (rc) {
		fprintf(stderr, "toy-wasm: %s: cannot instantiate: %s\n", argv[i], msg);
		rc = 2;
	} else if (inv) {
		rc = i + 2 < argc ? invoke(s, inst, argv[i + 2], argc - i - 3, argv + i + 3, fuel)
				  : 2;
	} else {
		rc = run_start(s, inst, &w, fuel);
	}
	vm_store_free(s);
	vm_module_free(m);
	return rc;
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!strcmp(argv[1], "run"))
		return cmd_run(argc - 2, argv + 2);
	if (!strcmp(argv[1], "spectest"))
		return tw_spectest(argc - 2, argv + 2);
	if (!strcmp(argv[1], "snapshot-test"))
		return tw_snapshot_test(argc - 2, argv + 2);
	if (!strcmp(argv[1], "wat2wasm"))
		return tw_wat2wasm(argc - 2, argv + 2);
	if (!strcmp(argv[1], "wast-modules"))
		return tw_wast_modules(argc - 2, argv + 2);
	fprintf(stderr, "toy-wasm: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
