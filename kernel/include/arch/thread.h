/* arch/thread.h — kernel thread contexts.
 *
 * struct arch_context (defined in arch_ops.h) holds what a switch must keep:
 * the callee-saved registers, the stack pointer and the whole FP/SIMD state,
 * because kernel code (the vm, the hashes) uses vector registers. */
#ifndef ARCH_THREAD_H
#define ARCH_THREAD_H

#include <arch_ops.h>
#include <stddef.h>

/* Prepares ctx so that the first switch to it runs entry(arg) on the stack
 * [stack, stack + size) with interrupts enabled. entry must not return. */
void arch_context_init(struct arch_context *ctx, void *stack, size_t size, void (*entry)(void *),
		       void *arg);

/* Saves the current context into from and resumes to. Returns when some
 * thread switches back to from. Interrupts must be disabled. */
void arch_context_switch(struct arch_context *from, struct arch_context *to);

#endif
