/* fuzz_vm.c — libFuzzer target for the vm: module bytes are decoded,
 * validated, instantiated (imports resolve to host functions, globals, a
 * table and a memory of the right kinds, so more modules get that far),
 * and every exported function runs with zero arguments and a small fuel
 * budget, followed by a snapshot/resume round trip of a paused thread.
 * Any crash or sanitizer report is a bug; errors and traps are expected. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <toy/err.h>
#include <vm/vm.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void *f_alloc(void *ctx, size_t n)
{
	(void)ctx;
	return n > (64u << 20) ? NULL : malloc(n);
}

static void f_free(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

#define CAP (16u << 20)

static int m_grow(struct vm_memory *m, uint32_t pages)
{
	uint64_t n = (uint64_t)pages * VM_PAGE_SIZE;
	if (n > CAP)
		return TOY_ERR_NOMEM;
	uint8_t *p = realloc(m->base, n ? n : 1);
	if (!p)
		return TOY_ERR_NOMEM;
	if (n > m->size)
		memset(p + m->size, 0, n - m->size);
	m->base = p, m->size = n, m->pages = pages;
	return 0;
}

static void m_release(struct vm_memory *m)
{
	free(m->base);
}

static int m_new(void *ctx, struct vm_memory *m, uint32_t min)
{
	(void)ctx;
	*m = (struct vm_memory){.grow = m_grow, .release = m_release};
	return m_grow(m, min);
}

static int host(struct vm_host_call *c, uint64_t *a, uint64_t *r)
{
	(void)c, (void)a;
	r[0] = 0;
	return 0;
}

static int resolve(void *ctx, const char *module, const char *name, enum vm_kind kind,
		   struct vm_extern *out)
{
	struct vm_store *s = ctx;
	(void)module, (void)name;
	out->kind = kind;
	switch (kind) {
	case VM_EXT_FUNC: return vm_host_func_new(s, ":", host, NULL, &out->u.func);
	case VM_EXT_TABLE: return vm_table_new(s, VM_FUNCREF, 10, 20, true, &out->u.table);
	case VM_EXT_MEMORY: return vm_memory_new(s, 1, 2, true, &out->u.memory);
	default: return vm_global_new(s, VM_I32, false, 0, &out->u.global);
	}
}

static void run_exports(struct vm_store *s, const struct vm_module *m, struct vm_instance *inst)
{
	struct vm_thread *t;
	static uint8_t snap[1 << 16];
	if (vm_thread_new(s, &t))
		return;
	for (uint32_t i = 0; i < vm_module_nexports(m) && i < 8; i++) {
		const char *name;
		enum vm_kind kind;
		struct vm_extern e;
		uint64_t args[32] = {0};
		uint32_t np, nr;
		const uint8_t *pt, *rt;
		if (vm_module_export(m, i, &name, &kind) || kind != VM_EXT_FUNC ||
		    vm_instance_export(inst, name, &e))
			continue;
		vm_func_type(e.u.func, &np, &pt, &nr, &rt);
		if (np > 32 || vm_thread_call(t, e.u.func, args, np))
			continue;
		if (vm_run(t, 2000) != VM_PAUSED)
			continue;
		int64_t n = vm_snapshot(t, inst, snap, sizeof(snap));
		struct vm_store *s2;
		struct vm_instance *i2;
		struct vm_thread *t2;
		struct vm_config cfg = {.alloc = {f_alloc, f_free, NULL},
					.memory_new = m_new,
					.stack_slots = 1 << 14,
					.max_frames = 500};
		if (n > 0 && n <= (int64_t)sizeof(snap) && !vm_store_new(&cfg, &s2)) {
			if (!vm_resume(s2, m, resolve, s2, snap, (uint64_t)n, &i2, &t2))
				vm_run(t2, 2000);
			vm_store_free(s2);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vm_config cfg = {.alloc = {f_alloc, f_free, NULL},
				.memory_new = m_new,
				.stack_slots = 1 << 14,
				.max_frames = 500};
	struct vm_module *m;
	struct vm_store *s;
	struct vm_instance *inst = NULL;
	if (vm_module_load(&cfg.alloc, data, size, &m, NULL, 0))
		return 0;
	if (!vm_store_new(&cfg, &s)) {
		int rc = vm_instantiate(s, m, resolve, s, &inst, NULL, 0);
		if (!rc)
			run_exports(s, m, inst);
		vm_store_free(s);
	}
	vm_module_free(m);
	return 0;
}
