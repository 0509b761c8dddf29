/* trap.c (host) — page faults are SIGSEGV. The handler runs on the
 * faulting thread's own stack (no SA_ONSTACK), so the page cache may block
 * in it and switch threads exactly as a kernel fault handler does; the
 * signal is not masked while it runs (SA_NODEFER), as each ucontext thread
 * carries its own mask. A fault the emulated accessed/dirty bits explain
 * is settled in mmu.c; one in a page-cache window goes to
 * kernel_page_fault. Any other fault is not ours: the handler puts back
 * the one it replaced (ASan's, or the default) and returns, so the access
 * faults again and that handler reports it. */
#define _GNU_SOURCE
#include <arch_ops.h>
#include <kernel/pagecache.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <ucontext.h>

#include "host.h"

static struct sigaction previous;

static bool is_write(const void *uc)
{
#if defined(__x86_64__)
	return ((const ucontext_t *)uc)->uc_mcontext.gregs[REG_ERR] & 2;
#else
	(void)uc;
	return false;
#endif
}

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	uintptr_t va = (uintptr_t)si->si_addr;
	if (host_mmu_fault(va))
		return;
	if (host_in_window(va) && kernel_page_fault(va, is_write(uc)))
		return;
	sigaction(SIGSEGV, &previous, NULL);
}

void host_trap_init(void)
{
	struct sigaction now;
	if (sigaction(SIGSEGV, NULL, &now) == 0 && now.sa_sigaction == on_segv)
		return;
	struct sigaction sa = {0};
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSEGV, &sa, &previous) != 0)
		abort();
}
