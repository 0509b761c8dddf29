/* snaptest.c — `toy-wasm snapshot-test`: resume from bytes at every safepoint.
 *
 * Runs a WASI command twice. First uninterrupted, to get the reference
 * output and exit code. Then with a small fuel budget: every time the
 * thread pauses, its state is serialized (vm_snapshot), the whole store is
 * destroyed (only the linear memory survives, as a domain's memory object
 * would) and a fresh store resumes from the bytes (vm_resume). Output, exit
 * code and trap must be identical. Clock and random numbers are made
 * reproducible in both runs.
 */
#include "host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <toy/err.h>
#include <vm/snapshot.h>

/* 512 KiB of value stack: plenty for the test programs, cheap to recreate */
#define STACK_SLOTS (1u << 16)

struct outcome {
	int rc; /* VM_DONE, VM_EXITED or a negative error */
	int exit_code;
	char *out;
	size_t nout;
	char trap[128];
	uint64_t snapshots;
	uint64_t max_bytes;
};

static int start(struct vm_store *s, const struct vm_module *m, struct wasi *w,
		 struct vm_instance **inst, struct vm_thread **t)
{
	struct vm_extern e;
	char msg[200] = "";
	int rc = vm_instantiate(s, m, wasi_resolve, w, inst, msg, sizeof(msg));
	if (rc) {
		fprintf(stderr, "toy-wasm: cannot instantiate: %s\n", msg);
		return rc;
	}
	if (vm_instance_export(*inst, "_start", &e) || e.kind != VM_EXT_FUNC) {
		fprintf(stderr, "toy-wasm: module exports no _start function\n");
		return TOY_ERR_NOTFOUND;
	}
	if ((rc = vm_thread_new(s, t)))
		return rc;
	return vm_thread_call(*t, e.u.func, NULL, 0);
}

static void finish(struct outcome *o, struct wasi *w, struct vm_thread *t, int rc)
{
	o->rc = rc;
	o->exit_code = w->exited ? w->exit_code : 0;
	o->out = w->out;
	o->nout = w->nout;
	if (rc < 0 && t)
		snprintf(o->trap, sizeof(o->trap), "%s", vm_thread_trap(t));
}

static int reference(const struct vm_module *m, struct wasi *w, struct outcome *o)
{
	struct vm_config cfg;
	struct vm_store *s;
	struct vm_instance *inst;
	struct vm_thread *t = NULL;
	tw_config(&cfg, NULL);
	cfg.stack_slots = STACK_SLOTS;
	cfg.max_frames = 4096;
	if (vm_store_new(&cfg, &s))
		return -1;
	w->store = s;
	int rc = start(s, m, w, &inst, &t);
	if (!rc) {
		do {
			rc = vm_run(t, UINT64_MAX);
		} while (rc == VM_PAUSED);
	}
	finish(o, w, t, rc);
	vm_store_free(s);
	return 0;
}

/* One pause: serialize, destroy everything but the memory, resume. */
static int cycle(const struct vm_module *m, struct wasi *w, struct tw_memctx *mc,
		 struct vm_store **s, struct vm_instance **inst, struct vm_thread **t,
		 struct outcome *o)
{
	static uint8_t *buf;
	static uint64_t cap;
	int64_t n = vm_snapshot(*t, *inst, buf, cap);
	if (n > (int64_t)cap) {
		free(buf);
		cap = (uint64_t)n * 2;
		buf = malloc(cap);
		if (!buf)
			return TOY_ERR_NOMEM;
		n = vm_snapshot(*t, *inst, buf, cap);
	}
	if (n < 0)
		return (int)n;
	if ((uint64_t)n > o->max_bytes)
		o->max_bytes = (uint64_t)n;
	struct vm_memory *mem = vm_instance_memory(*inst);
	struct vm_memory saved = mem ? *mem : (struct vm_memory){0};
	mc->keep = true;
	vm_store_free(*s);
	mc->keep = false;
	struct vm_config cfg;
	tw_config(&cfg, mc);
	cfg.stack_slots = STACK_SLOTS;
	cfg.max_frames = 4096;
	mc->reuse = mem ? &saved : NULL;
	int rc = vm_store_new(&cfg, s);
	if (!rc) {
		w->store = *s;
		rc = vm_resume(*s, m, wasi_resolve, w, buf, (uint64_t)n, inst, t);
	}
	mc->reuse = NULL;
	o->snapshots++;
	return rc;
}

static int interrupted(const struct vm_module *m, struct wasi *w, uint64_t fuel, struct outcome *o)
{
	struct tw_memctx mc = {0};
	struct vm_config cfg;
	struct vm_store *s;
	struct vm_instance *inst;
	struct vm_thread *t = NULL;
	tw_config(&cfg, &mc);
	cfg.stack_slots = STACK_SLOTS;
	cfg.max_frames = 4096;
	if (vm_store_new(&cfg, &s))
		return -1;
	w->store = s;
	int rc = start(s, m, w, &inst, &t);
	while (!rc) {
		rc = vm_run(t, fuel);
		if (rc != VM_PAUSED)
			break;
		if ((rc = cycle(m, w, &mc, &s, &inst, &t, o))) {
			fprintf(stderr, "toy-wasm: snapshot/resume failed: %s\n", toy_strerror(rc));
			t = NULL;
			rc = -1000;
		}
	}
	finish(o, w, t, rc);
	vm_store_free(s);
	return 0;
}

static bool same(const struct outcome *a, const struct outcome *b)
{
	return a->rc == b->rc && a->exit_code == b->exit_code && a->nout == b->nout &&
	       (!a->nout || !memcmp(a->out, b->out, a->nout)) && !strcmp(a->trap, b->trap);
}

int tw_snapshot_test(int argc, char **argv)
{
	uint64_t fuel = 1;
	int i = 0;
	if (argc > 1 && !strcmp(argv[0], "--fuel")) {
		fuel = strtoull(argv[1], NULL, 0);
		i = 2;
	}
	if (i >= argc || !strcmp(argv[i], "--help")) {
		printf("usage: toy-wasm snapshot-test [--fuel N] MODULE.wasm [ARGS...]\n"
		       "  runs MODULE with N units of fuel between safepoints (default 1),\n"
		       "  resuming from a snapshot each time, and compares with a plain run\n");
		return i >= argc ? 2 : 0;
	}
	struct vm_module *m;
	if (tw_load(argv[i], &m))
		return 2;
	struct wasi w1 = {.argc = argc - i, .argv = argv + i, .capture = true, .module = m};
	struct wasi w2 = w1;
	struct outcome ref = {0}, run = {0};
	reference(m, &w1, &ref);
	interrupted(m, &w2, fuel, &run);
	bool ok = same(&ref, &run) && run.snapshots > 0;
	printf("%s %s: %llu snapshots (largest %llu bytes), exit %d, %zu bytes of output%s%s\n",
	       ok ? "PASS" : "FAIL", argv[i], (unsigned long long)run.snapshots,
	       (unsigned long long)run.max_bytes, run.exit_code, run.nout,
	       run.trap[0] ? ", trap: " : "", run.trap);
	if (!ok)
		fprintf(stderr,
			"reference: rc %d exit %d output %zu bytes; resumed: rc %d exit %d "
			"output %zu bytes\n",
			ref.rc, ref.exit_code, ref.nout, run.rc, run.exit_code, run.nout);
	free(ref.out);
	free(run.out);
	vm_module_free(m);
	return ok ? 0 : 1;
}
