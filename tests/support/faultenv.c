/* faultenv.c — the fault-injecting env (see faultenv.h). Each hook counts,
 * decides whether this call is the one to fail, and otherwise forwards to the
 * wrapped env unchanged. */
#include "faultenv.h"

#include <string.h>

static bool due(uint64_t *count, uint64_t fail_at, bool persist)
{
	++*count;
	if (fail_at == 0)
		return false;
	return persist ? *count >= fail_at : *count == fail_at;
}

static void *fe_alloc(void *ctx, size_t size)
{
	struct faultenv *f = ctx;
	if (due(&f->nalloc, f->alloc_fail_at, f->alloc_persist)) {
		f->alloc_failures++;
		return NULL;
	}
	void *p = f->inner.alloc(f->inner.mem_ctx, size);
	if (p != NULL)
		f->live++;
	return p;
}

static void fe_free(void *ctx, void *ptr)
{
	struct faultenv *f = ctx;
	if (ptr != NULL)
		f->live--;
	f->inner.free(f->inner.mem_ctx, ptr);
}

static int fe_random(void *ctx, void *buf, size_t n)
{
	struct faultenv *f = ctx;
	return f->inner.random(f->inner.mem_ctx, buf, n);
}

static bool io_due(struct faultenv *f, unsigned kind)
{
	if (!(f->io_mask & kind))
		return false;
	if (due(&f->nio, f->io_fail_at, f->io_persist)) {
		f->io_failures++;
		return true;
	}
	return false;
}

static int fe_read(void *ctx, uint64_t block, uint32_t n, void *buf)
{
	struct faultenv *f = ctx;
	if (io_due(f, FAULT_READ))
		return TOY_ERR_IO;
	return f->inner.dev.read(f->inner.dev.ctx, block, n, buf);
}

static int fe_readv_start(void *ctx, uint64_t block, const struct os_iov *iov, unsigned niov)
{
	struct faultenv *f = ctx;
	if (io_due(f, FAULT_READ))
		return TOY_ERR_IO;
	return f->inner.dev.readv_start(f->inner.dev.ctx, block, iov, niov);
}

static int fe_read_wait(void *ctx)
{
	struct faultenv *f = ctx;
	return f->inner.dev.read_wait(f->inner.dev.ctx);
}

static int fe_write(void *ctx, uint64_t block, uint32_t n, const void *buf)
{
	struct faultenv *f = ctx;
	if (io_due(f, FAULT_WRITE))
		return TOY_ERR_IO;
	return f->inner.dev.write(f->inner.dev.ctx, block, n, buf);
}

static int fe_flush(void *ctx)
{
	struct faultenv *f = ctx;
	if (io_due(f, FAULT_FLUSH))
		return TOY_ERR_IO;
	return f->inner.dev.flush(f->inner.dev.ctx);
}

void faultenv_wrap(struct faultenv *f, const struct os_env *inner, struct os_env *out)
{
	memset(f, 0, sizeof(*f));
	f->inner = *inner;
	out->dev.ctx = f;
	out->dev.nblocks = inner->dev.nblocks;
	out->dev.read = fe_read;
	out->dev.readv_start = inner->dev.readv_start != NULL ? fe_readv_start : NULL;
	out->dev.read_wait = inner->dev.read_wait != NULL ? fe_read_wait : NULL;
	out->dev.write = fe_write;
	out->dev.flush = fe_flush;
	out->mem_ctx = f;
	out->alloc = fe_alloc;
	out->free = fe_free;
	out->random = inner->random != NULL ? fe_random : NULL;
}

void faultenv_fail_alloc(struct faultenv *f, uint64_t n, bool persist)
{
	f->nalloc = 0;
	f->alloc_fail_at = n;
	f->alloc_persist = persist;
	f->alloc_failures = 0;
}

void faultenv_fail_io(struct faultenv *f, unsigned mask, uint64_t n, bool persist)
{
	f->io_mask = mask;
	f->nio = 0;
	f->io_fail_at = n;
	f->io_persist = persist;
	f->io_failures = 0;
}

void faultenv_disarm(struct faultenv *f)
{
	f->alloc_fail_at = 0;
	f->io_fail_at = 0;
}

uint64_t faultenv_fired(const struct faultenv *f)
{
	return f->alloc_failures + f->io_failures;
}
