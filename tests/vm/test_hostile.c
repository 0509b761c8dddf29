/* test_hostile.c — modules that try to hurt the embedder: unbounded
 * recursion, memory.grow to the limit, endless loops, huge declared counts,
 * random and mutated binaries, corrupted snapshots. Each must end in a trap,
 * an error or exhausted fuel; ASan/UBSan (the host build) catch the rest. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <toy/err.h>

#include "vmtest.h"

#pragma clang diagnostic ignored "-Winitializer-overrides"

static const uint8_t none[] = {};
static const uint8_t t_i32[] = {0x7f};

struct env {
	struct vm_config cfg;
	struct vm_store *s;
	struct vm_module *m;
	struct vm_instance *inst;
	struct vm_thread *t;
	struct vm_func *f;
};

static int setup(struct env *e, struct fn_spec spec, uint64_t mem_cap)
{
	struct buf b;
	struct vm_extern x;
	memset(e, 0, sizeof(*e));
	build_module(&b, &spec);
	test_config(&e->cfg, mem_cap);
	assert_int_equal(vm_store_new(&e->cfg, &e->s), 0);
	int rc = instantiate(e->s, &b, &e->m, &e->inst);
	if (rc)
		return rc;
	assert_int_equal(vm_instance_export(e->inst, "f", &x), 0);
	e->f = x.u.func;
	return vm_thread_new(e->s, &e->t);
}

static void teardown(struct env *e)
{
	vm_store_free(e->s);
	vm_module_free(e->m);
}

static void test_recursion(void **st)
{
	(void)st;
	struct env e;
	const uint8_t body[] = {0x10, 0, 0x0b}; /* (func (call 0)) */
	assert_int_equal(setup(&e, SPEC(none, none, body), 0), 0);
	assert_int_equal(vm_invoke(e.t, e.f, NULL, 0, NULL, 0), TOY_ERR_TRAP);
	assert_true(vm_thread_exhausted(e.t));
	assert_string_equal(vm_thread_trap(e.t), "call stack exhausted");
	/* the thread is reusable after the trap */
	assert_int_equal(vm_invoke(e.t, e.f, NULL, 0, NULL, 0), TOY_ERR_TRAP);
	teardown(&e);
	/* big frames exhaust the value stack before the frame limit */
	const uint8_t locals[] = {0x7f, 0x7e}; /* 127 i64 locals: 512 frames fill 64 Ki slots */
	struct fn_spec s = SPEC(none, none, body, .locals = locals, .nlocals = 1);
	assert_int_equal(setup(&e, s, 0), 0);
	assert_int_equal(vm_invoke(e.t, e.f, NULL, 0, NULL, 0), TOY_ERR_TRAP);
	assert_true(vm_thread_exhausted(e.t));
	teardown(&e);
}

static void test_memory_grow_limit(void **st)
{
	(void)st;
	struct env e;
	/* (func (result i32) (local i32) loop (br_if 0 (i32.ne (memory.grow (i32.const 1))
	 *  (i32.const -1))) (local.set 0 (i32.add (local.get 0) (i32.const 1))) ... )
	 * simpler: grow by 1 until -1, count successes */
	const uint8_t body[] = {0x03, 0x40, 0x41, 1,    0x40, 0, 0x41, 0x7f, 0x47,
				0x04, 0x40, 0x20, 0,    0x41, 1, 0x6a, 0x21, 0,
				0x0c, 1,    0x0b, 0x0b, 0x20, 0, 0x0b};
	const uint8_t locals[] = {1, 0x7f};
	struct fn_spec s = SPEC(none, t_i32, body, .locals = locals, .nlocals = 1, .mem_min = 1);
	uint64_t r = 0;
	assert_int_equal(setup(&e, s, 64u << 20), 0);
	assert_int_equal(vm_invoke(e.t, e.f, NULL, 0, &r, 1), VM_DONE);
	assert_int_equal(r, 1023); /* 64 MiB cap: 1 + 1023 pages */
	assert_int_equal(vm_instance_memory(e.inst)->pages, 1024);
	teardown(&e);
	/* a declared maximum is a hard limit even with room to spare */
	s.mem_max = 3;
	assert_int_equal(setup(&e, s, 64u << 20), 0);
	assert_int_equal(vm_invoke(e.t, e.f, NULL, 0, &r, 1), VM_DONE);
	assert_int_equal(r, 2);
	teardown(&e);
	/* a minimum above what the embedder gives fails instantiation cleanly */
	s.mem_min = 2000, s.mem_max = -1;
	assert_int_equal(setup(&e, s, 64u << 20), TOY_ERR_NOMEM);
	teardown(&e);
}

static void test_endless_loop(void **st)
{
	(void)st;
	struct env e;
	const uint8_t body[] = {0x03, 0x40, 0x0c, 0, 0x0b, 0x0b}; /* loop br 0 end */
	assert_int_equal(setup(&e, SPEC(none, none, body), 0), 0);
	assert_int_equal(vm_thread_call(e.t, e.f, NULL, 0), 0);
	for (int i = 0; i < 100; i++)
		assert_int_equal(vm_run(e.t, 1000), VM_PAUSED);
	teardown(&e);
}

static uint32_t rng_state = 0x12345678;

static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/* Loads bytes; if valid, instantiates and runs "f" with a little fuel. */
static void try_module(const uint8_t *p, size_t n)
{
	struct vm_config cfg;
	struct vm_store *s;
	struct vm_module *m = NULL;
	struct vm_instance *inst;
	struct vm_extern x;
	struct vm_thread *t;
	test_config(&cfg, 1 << 20);
	int rc = vm_module_load(&cfg.alloc, p, n, &m, NULL, 0);
	assert_true(rc == 0 || rc == TOY_ERR_MALFORMED || rc == TOY_ERR_INVALID ||
		    rc == TOY_ERR_LIMIT);
	if (rc)
		return;
	assert_int_equal(vm_store_new(&cfg, &s), 0);
	if (!vm_instantiate(s, m, NULL, NULL, &inst, NULL, 0) &&
	    !vm_instance_export(inst, "f", &x) && x.kind == VM_EXT_FUNC && !vm_thread_new(s, &t)) {
		uint32_t np, nr;
		const uint8_t *pt, *rt;
		uint64_t args[16] = {0};
		vm_func_type(x.u.func, &np, &pt, &nr, &rt);
		if (np <= 16 && !vm_thread_call(t, x.u.func, args, np))
			vm_run(t, 10000);
	}
	vm_store_free(s);
	vm_module_free(m);
}

static void test_random_bytes(void **st)
{
	(void)st;
	uint8_t b[256] = {0, 'a', 's', 'm', 1, 0, 0, 0};
	for (int i = 0; i < 4000; i++) {
		size_t n = 8 + rnd() % 200;
		for (size_t k = 8; k < n; k++)
			b[k] = (uint8_t)(rnd() % 4 ? rnd() % 16 : rnd());
		try_module(b, n);
	}
}

static void test_mutations(void **st)
{
	(void)st;
	/* a function with a loop, memory traffic, a call and a br_table */
	const uint8_t body[] = {0x03, 0x40, 0x20, 0, 0x41, 1,    0x6a, 0x22, 0, 0x20, 0,    0x36,
				2,    0,    0x20, 0, 0x41, 0x10, 0x48, 0x0d, 0, 0x0b, 0x02, 0x40,
				0x20, 0,    0x0e, 1, 0,    0,    0x0b, 0x20, 0, 0x0b};
	const uint8_t locals[] = {1, 0x7f};
	struct fn_spec s = SPEC(none, t_i32, body, .locals = locals, .nlocals = 1, .mem_min = 1);
	struct buf orig, b;
	build_module(&orig, &s);
	try_module(orig.b, orig.n);
	for (int i = 0; i < 6000; i++) {
		b = orig;
		int edits = 1 + (int)(rnd() % 4);
		for (int k = 0; k < edits; k++) {
			size_t at = 8 + rnd() % (b.n - 8);
			switch (rnd() % 3) {
			case 0: b.b[at] = (uint8_t)rnd(); break;
			case 1: b.b[at] ^= (uint8_t)(1u << (rnd() % 8)); break;
			default: b.n = at > 9 ? at : b.n; break;
			}
		}
		try_module(b.b, b.n);
	}
}

static void test_huge_counts(void **st)
{
	(void)st;
	/* type section: count 2^32-1 in a 6-byte section */
	const uint8_t types[] = {0, 'a', 's',  'm',  1,    0,    0,    0,
				 1, 6,   0xff, 0xff, 0xff, 0xff, 0x0f, 0};
	/* one function with 2^32-1 locals */
	const uint8_t locals[] = {0, 'a',  's', 'm',  1,    0,    0,    0,    1,    4,
				  1, 0x60, 0,   0,    3,    2,    1,    0,    10,   10,
				  1, 8,    1,   0xff, 0xff, 0xff, 0xff, 0x0f, 0x7f, 0x0b};
	/* table with 2^32-1 minimum elements */
	const uint8_t table[] = {0, 'a', 's',  'm', 1,    0,    0,    0,    4,
				 8, 1,   0x70, 0,   0xff, 0xff, 0xff, 0xff, 0x0f};
	try_module(types, sizeof(types));
	try_module(locals, sizeof(locals));
	struct vm_config cfg;
	struct vm_store *s;
	struct vm_module *m;
	struct vm_instance *inst;
	test_config(&cfg, 1 << 20);
	assert_int_equal(vm_module_load(&cfg.alloc, table, sizeof(table), &m, NULL, 0), 0);
	assert_int_equal(vm_store_new(&cfg, &s), 0);
	assert_int_equal(vm_instantiate(s, m, NULL, NULL, &inst, NULL, 0), TOY_ERR_LIMIT);
	vm_store_free(s);
	vm_module_free(m);
}

static void test_corrupt_snapshot(void **st)
{
	(void)st;
	struct env e;
	const uint8_t body[] = {0x03, 0x40, 0x20, 0, 0x41, 1, 0x6a, 0x21, 0, 0x0c, 0, 0x0b, 0x0b};
	const uint8_t locals[] = {1, 0x7f};
	struct fn_spec s = SPEC(none, none, body, .locals = locals, .nlocals = 1, .mem_min = 1);
	uint8_t snap[4096], bad[4096];
	assert_int_equal(setup(&e, s, 1 << 20), 0);
	assert_int_equal(vm_thread_call(e.t, e.f, NULL, 0), 0);
	assert_int_equal(vm_run(e.t, 50), VM_PAUSED);
	int64_t n = vm_snapshot(e.t, e.inst, snap, sizeof(snap));
	assert_true(n > 64 && n < (int64_t)sizeof(snap));
	for (int i = 0; i < 3000; i++) {
		struct vm_store *s2;
		struct vm_instance *inst2;
		struct vm_thread *t2;
		size_t len = (size_t)n;
		memcpy(bad, snap, len);
		if (i % 3 == 2)
			len = rnd() % len;
		else
			bad[rnd() % len] ^= (uint8_t)(1u << (rnd() % 8));
		assert_int_equal(vm_store_new(&e.cfg, &s2), 0);
		int rc = vm_resume(s2, e.m, NULL, NULL, bad, len, &inst2, &t2);
		if (rc == 0)
			assert_true(vm_run(t2, 100) == VM_PAUSED || 1);
		else
			assert_true(rc == TOY_ERR_CORRUPT || rc == TOY_ERR_NOTSUP);
		vm_store_free(s2);
	}
	/* and the intact snapshot resumes where it stopped: local 0 is 50ish */
	struct vm_store *s3;
	struct vm_instance *inst3;
	struct vm_thread *t3;
	assert_int_equal(vm_store_new(&e.cfg, &s3), 0);
	assert_int_equal(vm_resume(s3, e.m, NULL, NULL, snap, (uint64_t)n, &inst3, &t3), 0);
	assert_int_equal(vm_run(t3, 10), VM_PAUSED);
	vm_store_free(s3);
	teardown(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_recursion),        cmocka_unit_test(test_memory_grow_limit),
	    cmocka_unit_test(test_endless_loop),     cmocka_unit_test(test_random_bytes),
	    cmocka_unit_test(test_mutations),        cmocka_unit_test(test_huge_counts),
	    cmocka_unit_test(test_corrupt_snapshot),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
