/* thread.c (x86_64) — new thread contexts. The first switch to a new
 * context pops six zeroed callee-saved registers (entry and argument in
 * r12 and r13) and returns into x86_thread_start, which enables interrupts
 * and calls entry. Its FP state is a clean copy taken at boot. */
#include <arch/thread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

_Static_assert(offsetof(struct arch_context, sp) == 0, "switch.S: sp at 0");
_Static_assert(offsetof(struct arch_context, fpu) == 16, "switch.S: fpu at 16");

void x86_thread_start(void);
void x86_fpu_init(void);

static uint8_t clean_fpu[512] __attribute__((aligned(16)));

/* Resets x87/SSE to their defaults and keeps that state for new threads. */
void x86_fpu_init(void)
{
	uint32_t mxcsr = 0x1f80;
	__asm__ volatile("fninit; ldmxcsr %0; fxsave64 %1" ::"m"(mxcsr), "m"(clean_fpu) : "memory");
}

void arch_context_init(struct arch_context *ctx, void *stack, size_t size, void (*entry)(void *),
		       void *arg)
{
	uintptr_t top = ((uintptr_t)stack + size) & ~(uintptr_t)15;
	uint64_t *sp = (uint64_t *)top;
	*--sp = (uint64_t)x86_thread_start;
	*--sp = 0;               /* rbp */
	*--sp = 0;               /* rbx */
	*--sp = (uint64_t)entry; /* r12 */
	*--sp = (uint64_t)arg;   /* r13 */
	*--sp = 0;               /* r14 */
	*--sp = 0;               /* r15 */
	ctx->sp = (uint64_t)sp;
	memcpy(ctx->fpu, clean_fpu, sizeof(ctx->fpu));
}
