/* arch_ops.h (aarch64) — the inline half of the arch contract: interrupt
 * masking (PSTATE.I), barriers, the cycle counter (the generic timer's
 * virtual count) and the saved context. */
#ifndef ARCH_OPS_H
#define ARCH_OPS_H

#include <stdbool.h>
#include <stdint.h>

/* x19-x28, fp, lr, sp; then q0-q31, fpcr, fpsr (switch.S knows the offsets). */
struct arch_context {
	uint64_t regs[13];
	uint64_t pad;
	__uint128_t q[32];
	uint64_t fpcr, fpsr;
};

static inline void arch_irq_disable(void)
{
	__asm__ volatile("msr daifset, #2" ::: "memory");
}

static inline void arch_irq_enable(void)
{
	__asm__ volatile("msr daifclr, #2" ::: "memory");
}

/* Disables interrupts; returns whether they were enabled. */
static inline bool arch_irq_save(void)
{
	uint64_t daif;
	__asm__ volatile("mrs %0, daif; msr daifset, #2" : "=r"(daif)::"memory");
	return !(daif & (1u << 7));
}

static inline void arch_irq_restore(bool enabled)
{
	if (enabled)
		arch_irq_enable();
}

static inline void arch_cpu_relax(void)
{
	__asm__ volatile("yield" ::: "memory");
}

/* Full barrier between normal memory and device (MMIO) accesses. */
static inline void arch_mb(void)
{
	__asm__ volatile("dsb sy" ::: "memory");
}

static inline uint64_t arch_cycles(void)
{
	uint64_t v;
	__asm__ volatile("isb; mrs %0, cntvct_el0" : "=r"(v)::"memory");
	return v;
}

#endif
