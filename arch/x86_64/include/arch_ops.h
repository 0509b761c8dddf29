/* arch_ops.h (x86_64) — the inline half of the arch contract: interrupt
 * masking, barriers, the cycle counter, port I/O and the saved context. */
#ifndef ARCH_OPS_H
#define ARCH_OPS_H

#include <stdbool.h>
#include <stdint.h>

struct arch_context {
	uint64_t sp;
	uint8_t fpu[512] __attribute__((aligned(16))); /* fxsave area */
};

static inline void arch_irq_disable(void)
{
	__asm__ volatile("cli" ::: "memory");
}

static inline void arch_irq_enable(void)
{
	__asm__ volatile("sti" ::: "memory");
}

/* Disables interrupts; returns whether they were enabled. */
static inline bool arch_irq_save(void)
{
	uint64_t flags;
	__asm__ volatile("pushfq; popq %0; cli" : "=r"(flags)::"memory");
	return flags & (1u << 9);
}

static inline void arch_irq_restore(bool enabled)
{
	if (enabled)
		arch_irq_enable();
}

static inline void arch_cpu_relax(void)
{
	__asm__ volatile("pause" ::: "memory");
}

/* Full barrier between normal memory and device (MMIO) accesses. */
static inline void arch_mb(void)
{
	__asm__ volatile("mfence" ::: "memory");
}

static inline uint64_t arch_cycles(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

#endif
