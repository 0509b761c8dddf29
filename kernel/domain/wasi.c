/* wasi.c — the WASI preview1 subset of DESIGN.md §6 for domains, so plain C
 * built with wasi-libc runs: fd_write to the console, proc_exit,
 * clock_time_get, random_get, empty args and environment, and fd_fdstat_get
 * calling descriptors 0-2 a terminal (so stdout is line-buffered). Other
 * descriptor calls answer EBADF; any other preview1 import answers ENOSYS.
 * Pointers and lengths are checked against linear memory (EFAULT). */
#include <arch/irq.h>
#include <kernel/clock.h>
#include <kernel/kernel.h>
#include <kernel/log.h>
#include <string.h>
#include <toy/wasi.h>

#include "domain_int.h"

enum { W_FILETYPE_CHARACTER_DEVICE = 2, W_RIGHT_FD_WRITE = 1u << 6 };

static struct domain *caller(struct vm_host_call *c)
{
	return c->ctx;
}

static bool put32(struct domain *d, uint64_t p, uint32_t v)
{
	uint8_t *s = domain_span(d, (uint32_t)p, 4);
	if (s)
		memcpy(s, &v, 4);
	return s != NULL;
}

#define CONSOLE_CHUNK 1024u

/* The console output of one fd_write, gathered from the domain's memory
 * before it is printed (NUL-terminated) a chunk at a time: copying may
 * fault pages in and so let other threads run, and printing does not, so a
 * write of up to CONSOLE_CHUNK bytes reaches the console whole, never
 * mixed with another domain's output. */
struct console_out {
	char text[CONSOLE_CHUNK + 1];
	uint32_t n;
};

static void console_flush(struct console_out *o)
{
	o->text[o->n] = 0;
	if (o->n)
		kputs(o->text);
	o->n = 0;
}

/* Adds d's bytes [p, p + n). If a page of them is lost (the store could
 * not give it back, the poison frame shows there), they are not added and
 * nothing more will be: returns false. */
static bool console_add(struct domain *d, struct console_out *o, const uint8_t *p, uint32_t n)
{
	while (n) {
		if (o->n == CONSOLE_CHUNK)
			console_flush(o);
		uint32_t k = n < CONSOLE_CHUNK - o->n ? n : CONSOLE_CHUNK - o->n;
		memcpy(o->text + o->n, p, k);
		if (domain_memory_lost(d))
			return false;
		o->n += k;
		p += k;
		n -= k;
	}
	return true;
}

static int fd_write(struct vm_host_call *c, uint64_t *a, uint64_t *r)
{
	struct domain *d = caller(c);
	uint32_t fd = (uint32_t)a[0], iovs = (uint32_t)a[1], n = (uint32_t)a[2], total = 0;
	r[0] = WASI_ESUCCESS;
	if (fd != 1 && fd != 2) {
		r[0] = WASI_EBADF;
		return 0;
	}
	struct console_out out;
	out.n = 0;
	const uint8_t *iov = domain_span(d, iovs, 8ull * n);
	for (uint32_t i = 0; iov && i < n; i++) {
		uint32_t p, len;
		memcpy(&p, iov + 8 * i, 4);
		memcpy(&len, iov + 8 * i + 4, 4);
		const uint8_t *s = domain_span(d, p, len);
		if (!s || !console_add(d, &out, s, len)) {
			iov = NULL;
			break;
		}
		total += len;
	}
	console_flush(&out);
	if (!iov || !put32(d, (uint32_t)a[3], total))
		r[0] = WASI_EFAULT;
	return 0;
}

static int proc_exit(struct vm_host_call *c, uint64_t *a, uint64_t *r)
{
	(void)r;
	caller(c)->exit_code = (int32_t)(uint32_t)a[0];
	return VM_HOST_EXIT;
}

static int sizes_zero(struct vm_host_call *c, uint64_t *a, uint64_t *r)
{
	struct domain *d = caller(c);
	bool ok = put32(d, (uint32_t)a[0], 0) && put32(d, (uint32_t)a[1], 0);
	r[0] = ok ? WASI_ESUCCESS : WASI_EFAULT;
	return 0;
}

static int nothing(struct vm_host_call *c, uint64_t *a, uint64_t *r)
{
	(void)c, (void)a;
	r[0] = WASI_ESUCCESS;
	return 0;
}

/* Clock 0 is the real time (kernel/clock.h); the monotonic and CPU-time
 * clocks all read the time since boot. */
static int clock_time_get(struct vm_host_call *c, uint64_t *a, uint64_t *r)
{
	uint64_t ns = (uint32_t)a[0] == 0 ? clock_realtime_ns() : arch_time_ns();
	uint8_t *s = (uint32_t)a[0] > 3 ? NULL : domain_span(caller(c), (uint32_t)a[2], 8);
	if (s)
		memcpy(s, &ns, 8);
	r[0] = (uint32_t)a[0] > 3 ? WASI_EINVAL : s ? WASI_ESUCCESS : WASI_EFAULT;
	return 0;
}

static int wasi_random_get(struct vm_host_call *c, uint64_t *a, uint64_t *r)
{
	uint32_t p = (uint32_t)a[0], n = (uint32_t)a[1];
	if (!domain_span(caller(c), p, n)) {
		r[0] = WASI_EFAULT;
		return 0;
	}
	uint8_t buf[256];
	for (uint32_t done = 0; done < n;) {
		uint32_t k = n - done < sizeof(buf) ? n - done : (uint32_t)sizeof(buf);
		random_get(NULL, buf, k);
		memcpy(domain_span(caller(c), p + done, k), buf, k);
		done += k;
	}
	r[0] = WASI_ESUCCESS;
	return 0;
}

static int fd_fdstat_get(struct vm_host_call *c, uint64_t *a, uint64_t *r)
{
	uint8_t st[24] = {W_FILETYPE_CHARACTER_DEVICE};
	uint64_t rights = W_RIGHT_FD_WRITE;
	memcpy(st + 8, &rights, 8);
	uint8_t *s = domain_span(caller(c), (uint32_t)a[1], sizeof(st));
	if ((uint32_t)a[0] > 2)
		r[0] = WASI_EBADF;
	else if (!s)
		r[0] = WASI_EFAULT;
	else {
		memcpy(s, st, sizeof(st));
		r[0] = WASI_ESUCCESS;
	}
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
    [WASI_ARGS_SIZES_GET] = sizes_zero,
    [WASI_ARGS_GET] = nothing,
    [WASI_ENVIRON_SIZES_GET] = sizes_zero,
    [WASI_ENVIRON_GET] = nothing,
    [WASI_CLOCK_TIME_GET] = clock_time_get,
    [WASI_RANDOM_GET] = wasi_random_get,
    [WASI_FD_FDSTAT_GET] = fd_fdstat_get,
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

int wasi_resolve(struct domain *d, const char *name, struct vm_extern *out)
{
	int i = wasi_call_find(name);
	if (i < 0)
		return TOY_ERR_NOTFOUND;
	out->kind = VM_EXT_FUNC;
	return vm_host_func_new(d->vs, wasi_calls[i].sig, handlers[i], d, &out->u.func);
}

int domain_resolve(void *ctx, const char *module, const char *name, enum vm_kind kind,
		   struct vm_extern *out)
{
	struct domain *d = ctx;
	if (kind != VM_EXT_FUNC)
		return TOY_ERR_NOTFOUND;
	if (!strcmp(module, "toy"))
		return hostcall_resolve(d, name, out);
	if (!strcmp(module, WASI_MODULE))
		return wasi_resolve(d, name, out);
	return TOY_ERR_NOTFOUND;
}
