/* wasi.c — the WASI preview1 subset of DESIGN.md §6, for toy-wasm.
 *
 * fd_write to stdout/stderr, proc_exit, clock_time_get, random_get and
 * args/environ (args from the command line, environment empty). The other
 * descriptor calls wasi-libc makes at start-up answer EBADF, anything else
 * known answers ENOSYS. Every pointer and length from the module is checked
 * against linear memory before use; a bad one is EFAULT, never an access
 * outside the memory.
 */
#include "host.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <toy/err.h>
#include <toy/wasi.h>
#include <unistd.h>

static struct vm_memory *mem_of(struct vm_host_call *c)
{
	return c->caller ? vm_instance_memory(c->caller) : NULL;
}

/* Pointer to [p, p+n) in memory, or NULL. */
static uint8_t *span(struct vm_host_call *c, uint64_t p, uint64_t n)
{
	struct vm_memory *m = mem_of(c);
	if (!m || p + n > m->size)
		return NULL;
	return m->base + p;
}

static bool put32(struct vm_host_call *c, uint64_t p, uint32_t v)
{
	uint8_t *d = span(c, p, 4);
	if (d)
		memcpy(d, &v, 4);
	return d != NULL;
}

static void capture(struct wasi *w, const uint8_t *d, uint32_t n)
{
	if (w->nout + n > w->capout) {
		size_t cap = (w->nout + n) * 2;
		char *p = realloc(w->out, cap);
		if (!p)
			return;
		w->out = p;
		w->capout = cap;
	}
	memcpy(w->out + w->nout, d, n);
	w->nout += n;
}

static int fd_write(struct vm_host_call *c, uint64_t *a, uint64_t *r)
{
	uint32_t fd = (uint32_t)a[0], iovs = (uint32_t)a[1], n = (uint32_t)a[2];
	uint32_t total = 0;
	if (fd != 1 && fd != 2) {
		r[0] = WASI_EBADF;
		return 0;
	}
	struct wasi *w = c->ctx;
	FILE *out = fd == 1 ? stdout : stderr;
	for (uint32_t i = 0; i < n; i++) {
		uint8_t *iov = span(c, (uint64_t)iovs + 8ull * i, 8);
		uint32_t p, len;
		if (!iov) {
			r[0] = WASI_EFAULT;
			return 0;
		}
		memcpy(&p, iov, 4);
		memcpy(&len, iov + 4, 4);
		uint8_t *d = span(c, p, len);
		if (!d) {
			r[0] = WASI_EFAULT;
			return 0;
		}
		if (w->capture)
			capture(w, d, len);
		else
			fwrite(d, 1, len, out);
		total += len;
	}
	r[0] = put32(c, (uint32_t)a[3], total) ? WASI_ESUCCESS : WASI_EFAULT;
	return 0;
}

static int proc_exit(struct vm_host_call *c, uint64_t *a, uint64_t *r)
{
	struct wasi *w = c->ctx;
	(void)r;
	w->exit_code = (int)(uint32_t)a[0];
	w->exited = true;
	return VM_HOST_EXIT;
}

static int args_sizes(struct vm_host_call *c, uint64_t *a, uint64_t *r)
{
	struct wasi *w = c->ctx;
	uint32_t size = 0;
	for (int i = 0; i < w->argc; i++)
		size += (uint32_t)strlen(w->argv[i]) + 1;
	bool ok = put32(c, (uint32_t)a[0], (uint32_t)w->argc) && put32(c, (uint32_t)a[1], size);
	r[0] = ok ? WASI_ESUCCESS : WASI_EFAULT;
	return 0;
}

static int args_get(struct vm_host_call *c, uint64_t *a, uint64_t *r)
{
	struct wasi *w = c->ctx;
	uint32_t argv = (uint32_t)a[0], buf = (uint32_t)a[1];
	for (int i = 0; i < w->argc; i++) {
		size_t n = strlen(w->argv[i]) + 1;
		uint8_t *d = span(c, buf, n);
		if (!d || !put32(c, argv + 4ull * (uint32_t)i, buf)) {
			r[0] = WASI_EFAULT;
			return 0;
		}
		memcpy(d, w->argv[i], n);
		buf += (uint32_t)n;
	}
	r[0] = WASI_ESUCCESS;
	return 0;
}

static int environ_sizes(struct vm_host_call *c, uint64_t *a, uint64_t *r)
{
	bool ok = put32(c, (uint32_t)a[0], 0) && put32(c, (uint32_t)a[1], 0);
	r[0] = ok ? WASI_ESUCCESS : WASI_EFAULT;
	return 0;
}

static int environ_get(struct vm_host_call *c, uint64_t *a, uint64_t *r)
{
	(void)c, (void)a;
	r[0] = WASI_ESUCCESS;
	return 0;
}

static int clock_time_get(struct vm_host_call *c, uint64_t *a, uint64_t *r)
{
	struct wasi *w = c->ctx;
	struct timespec ts;
	uint32_t id = (uint32_t)a[0];
	if (id > 3 || clock_gettime(id == 0 ? CLOCK_REALTIME : CLOCK_MONOTONIC, &ts)) {
		r[0] = WASI_EINVAL;
		return 0;
	}
	uint64_t ns = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	if (w->capture)
		ns = w->clock += 1000;
	uint8_t *d = span(c, (uint32_t)a[2], 8);
	if (d)
		memcpy(d, &ns, 8);
	r[0] = d ? WASI_ESUCCESS : WASI_EFAULT;
	return 0;
}

static int random_get(struct vm_host_call *c, uint64_t *a, uint64_t *r)
{
	uint32_t n = (uint32_t)a[1];
	uint8_t *d = span(c, (uint32_t)a[0], n);
	if (!d) {
		r[0] = WASI_EFAULT;
		return 0;
	}
	struct wasi *w = c->ctx;
	while (n && w->capture) {
		w->rng = w->rng * 6364136223846793005ull + 1442695040888963407ull;
		*d++ = (uint8_t)(w->rng >> 56);
		n--;
	}
	while (n) {
		ssize_t got = getrandom(d, n, 0);
		if (got <= 0) {
			r[0] = WASI_EINVAL;
			return 0;
		}
		d += got;
		n -= (uint32_t)got;
	}
	r[0] = WASI_ESUCCESS;
	return 0;
}

static int ebadf(struct vm_host_call *c, uint64_t *a, uint64_t *r)
{
	(void)c, (void)a;
	r[0] = WASI_EBADF;
	return 0;
}

static int enosys(struct vm_host_call *c, uint64_t *a, uint64_t *r)
{
	(void)c, (void)a;
	r[0] = WASI_ENOSYS;
	return 0;
}

static const vm_host_fn handlers[WASI_NCALLS] = {
    [WASI_FD_WRITE] = fd_write,
    [WASI_PROC_EXIT] = proc_exit,
    [WASI_ARGS_SIZES_GET] = args_sizes,
    [WASI_ARGS_GET] = args_get,
    [WASI_ENVIRON_SIZES_GET] = environ_sizes,
    [WASI_ENVIRON_GET] = environ_get,
    [WASI_CLOCK_TIME_GET] = clock_time_get,
    [WASI_RANDOM_GET] = random_get,
    [WASI_FD_FDSTAT_GET] = ebadf,
    [WASI_FD_CLOSE] = ebadf,
    [WASI_FD_SEEK] = ebadf,
    [WASI_FD_READ] = ebadf,
    [WASI_FD_FDSTAT_SET_FLAGS] = ebadf,
    [WASI_FD_PRESTAT_GET] = ebadf,
    [WASI_FD_PRESTAT_DIR_NAME] = ebadf,
    [WASI_FD_FILESTAT_GET] = ebadf,
    [WASI_PATH_OPEN] = enosys,
    [WASI_PATH_FILESTAT_GET] = enosys,
    [WASI_POLL_ONEOFF] = enosys,
    [WASI_SCHED_YIELD] = enosys,
    [WASI_CLOCK_RES_GET] = enosys,
};

/* Any other preview1 function answers ENOSYS, with the type the module
 * declares (if it returns one i32 errno, as they all do). */
static int stub(struct wasi *w, const char *name, struct vm_extern *out)
{
	static const char letters[] = {[VM_I32] = 'i', [VM_I64] = 'I',     [VM_F32] = 'f',
				       [VM_F64] = 'F', [VM_FUNCREF] = 'r', [VM_EXTERNREF] = 'e'};
	for (uint32_t i = 0; w->module && i < vm_module_nimports(w->module); i++) {
		const char *mod, *n;
		enum vm_kind kind;
		uint32_t np, nr;
		const uint8_t *pt, *rt;
		char sig[2 * VM_MAX_VALUES + 2];
		if (vm_module_import(w->module, i, &mod, &n, &kind) || strcmp(n, name) ||
		    vm_module_import_type(w->module, i, &np, &pt, &nr, &rt))
			continue;
		if (nr != 1 || rt[0] != VM_I32 || np > VM_MAX_VALUES)
			return TOY_ERR_NOTFOUND;
		for (uint32_t k = 0; k < np; k++)
			sig[k] = letters[pt[k]];
		memcpy(sig + np, ":i", 3);
		out->kind = VM_EXT_FUNC;
		return vm_host_func_new(w->store, sig, enosys, w, &out->u.func);
	}
	return TOY_ERR_NOTFOUND;
}

int wasi_resolve(void *ctx, const char *module, const char *name, enum vm_kind kind,
		 struct vm_extern *out)
{
	struct wasi *w = ctx;
	if (strcmp(module, WASI_MODULE) || kind != VM_EXT_FUNC)
		return TOY_ERR_NOTFOUND;
	int i = wasi_call_find(name);
	if (i < 0)
		return stub(w, name, out);
	out->kind = VM_EXT_FUNC;
	return vm_host_func_new(w->store, wasi_calls[i].sig, handlers[i], w, &out->u.func);
}
