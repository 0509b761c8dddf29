/* thread.c (host) — contexts are ucontexts on the one Linux thread; a new
 * one starts in trampoline(), which enables "interrupts" and calls entry.
 * swapcontext keeps the FP control state; the vector registers are
 * caller-saved, and every switch here is a function call. */
#include <arch/thread.h>
#include <stdint.h>
#include <stdlib.h>

/* ASan must be told about stack switches, or it reports false positives.
 * The boot thread's stack bounds are learnt on the first switch away. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HOST_ASAN 1
#include <sanitizer/common_interface_defs.h>
#endif
#endif

static struct arch_context *switching_from;

static void switch_begin(struct arch_context *from, struct arch_context *to, void **fake)
{
	switching_from = from;
#ifdef HOST_ASAN
	__sanitizer_start_switch_fiber(fake, to->stack, to->stack_size);
#else
	(void)to, (void)fake;
#endif
}

static void switch_end(void *fake)
{
#ifdef HOST_ASAN
	const void *bottom;
	size_t size;
	__sanitizer_finish_switch_fiber(fake, &bottom, &size);
	if (switching_from && !switching_from->stack_size) {
		switching_from->stack = bottom;
		switching_from->stack_size = size;
	}
#else
	(void)fake;
#endif
}

static void trampoline(unsigned hi, unsigned lo)
{
	struct arch_context *ctx = (void *)((uintptr_t)hi << 32 | lo);
	switch_end(NULL);
	host_irq_on = true;
	ctx->entry(ctx->arg);
	abort();
}

void arch_context_init(struct arch_context *ctx, void *stack, size_t size, void (*entry)(void *),
		       void *arg)
{
	getcontext(&ctx->uc);
	ctx->uc.uc_stack.ss_sp = stack;
	ctx->uc.uc_stack.ss_size = size;
	ctx->uc.uc_link = NULL;
	ctx->entry = entry;
	ctx->arg = arg;
	ctx->stack = stack;
	ctx->stack_size = size;
	uintptr_t p = (uintptr_t)ctx;
	makecontext(&ctx->uc, (void (*)(void))trampoline, 2, (unsigned)(p >> 32), (unsigned)p);
}

void arch_context_switch(struct arch_context *from, struct arch_context *to)
{
	void *fake = NULL;
	switch_begin(from, to, &fake);
	swapcontext(&from->uc, &to->uc);
	switch_end(fake);
}
