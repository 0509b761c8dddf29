/* thread.c (aarch64) — new thread contexts. The first switch to a new
 * context loads entry and argument into x19 and x20 and "returns" (lr)
 * into a64_thread_start, which enables interrupts and calls entry. The
 * FP/SIMD registers start zeroed with the default FPCR. */
#include <arch/thread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

_Static_assert(offsetof(struct arch_context, regs) == 0, "switch.S: x19 at 0");
_Static_assert(offsetof(struct arch_context, q) == 112, "switch.S: q0 at 112");
_Static_assert(offsetof(struct arch_context, fpcr) == 624, "switch.S: fpcr at 624");

void a64_thread_start(void);

void arch_context_init(struct arch_context *ctx, void *stack, size_t size, void (*entry)(void *),
		       void *arg)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->regs[0] = (uint64_t)(uintptr_t)entry;
	ctx->regs[1] = (uint64_t)(uintptr_t)arg;
	ctx->regs[11] = (uint64_t)(uintptr_t)a64_thread_start; /* lr */
	ctx->regs[12] = ((uintptr_t)stack + size) & ~(uintptr_t)15;
}
