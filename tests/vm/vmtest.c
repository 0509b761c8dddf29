/* vmtest.c — the shared helpers of the vm unit tests (see vmtest.h). */
#include "vmtest.h"

#include <stdlib.h>
#include <string.h>
#include <toy/err.h>

void put(struct buf *b, const void *p, size_t n)
{
	if (b->n + n > sizeof(b->b))
		abort();
	if (n)
		memcpy(b->b + b->n, p, n);
	b->n += n;
}

void put_u8(struct buf *b, uint8_t v)
{
	put(b, &v, 1);
}

void put_leb(struct buf *b, uint64_t v)
{
	do {
		uint8_t c = v & 0x7f;
		v >>= 7;
		put_u8(b, (uint8_t)(c | (v ? 0x80 : 0)));
	} while (v);
}

void put_sleb(struct buf *b, int64_t v)
{
	for (;;) {
		uint8_t c = v & 0x7f;
		v >>= 7;
		if ((v == 0 && !(c & 0x40)) || (v == -1 && (c & 0x40))) {
			put_u8(b, c);
			return;
		}
		put_u8(b, c | 0x80);
	}
}

void put_section(struct buf *b, uint8_t id, const struct buf *contents)
{
	put_u8(b, id);
	put_leb(b, contents->n);
	put(b, contents->b, contents->n);
}

void build_module(struct buf *out, const struct fn_spec *f)
{
	static const uint8_t magic[8] = {0, 'a', 's', 'm', 1, 0, 0, 0};
	struct buf s = {.n = 0}, body = {.n = 0};
	out->n = 0;
	put(out, magic, 8);
	put_leb(&s, 1); /* type */
	put_u8(&s, 0x60);
	put_leb(&s, f->np);
	put(&s, f->params, f->np);
	put_leb(&s, f->nr);
	put(&s, f->results, f->nr);
	put_section(out, 1, &s);
	s.n = 0; /* function */
	put_leb(&s, 1);
	put_leb(&s, 0);
	put_section(out, 3, &s);
	if (f->mem_min >= 0) {
		s.n = 0;
		put_leb(&s, 1);
		put_u8(&s, f->mem_max >= 0 ? 1 : 0);
		put_leb(&s, (uint64_t)f->mem_min);
		if (f->mem_max >= 0)
			put_leb(&s, (uint64_t)f->mem_max);
		put_section(out, 5, &s);
	}
	s.n = 0; /* export "f" */
	put_leb(&s, 1);
	put_leb(&s, 1);
	put_u8(&s, 'f');
	put_u8(&s, 0);
	put_leb(&s, 0);
	put_section(out, 7, &s);
	put_leb(&body, f->nlocals);
	put(&body, f->locals, 2 * f->nlocals);
	put(&body, f->body, f->nbody);
	s.n = 0; /* code */
	put_leb(&s, 1);
	put_leb(&s, body.n);
	put(&s, body.b, body.n);
	put_section(out, 10, &s);
}

static void *t_alloc(void *ctx, size_t n)
{
	(void)ctx;
	return malloc(n);
}

static void t_free(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

static uint64_t cap_bytes;

/* The whole capacity is allocated (zeroed) up front, so growing only
 * moves the bound, like a reserved window. */
static int m_grow(struct vm_memory *m, uint32_t pages)
{
	uint64_t n = (uint64_t)pages * VM_PAGE_SIZE;
	if (n > cap_bytes)
		return TOY_ERR_NOMEM;
	m->size = n;
	m->pages = pages;
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
	m->base = calloc(1, cap_bytes ? cap_bytes : 1);
	if (!m->base)
		return TOY_ERR_NOMEM;
	return m_grow(m, min);
}

void test_config(struct vm_config *cfg, uint64_t mem_cap)
{
	cap_bytes = mem_cap;
	*cfg = (struct vm_config){.alloc = {t_alloc, t_free, NULL},
				  .memory_new = m_new,
				  .stack_slots = 1 << 16,
				  .max_frames = 1000};
}

int instantiate(struct vm_store *s, const struct buf *b, struct vm_module **m,
		struct vm_instance **inst)
{
	struct vm_alloc a = {t_alloc, t_free, NULL};
	int rc = vm_module_load(&a, b->b, b->n, m, NULL, 0);
	if (rc)
		return rc;
	return vm_instantiate(s, *m, NULL, NULL, inst, NULL, 0);
}

int call_f(struct vm_store *s, struct vm_instance *inst, const uint64_t *args, uint32_t nargs,
	   uint64_t *res, uint32_t nres, const char **trap)
{
	struct vm_extern e;
	struct vm_thread *t;
	int rc = vm_instance_export(inst, "f", &e);
	if (rc || (rc = vm_thread_new(s, &t)))
		return rc;
	rc = vm_invoke(t, e.u.func, args, nargs, res, nres);
	if (trap)
		*trap = vm_thread_trap(t);
	return rc;
}
