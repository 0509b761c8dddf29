/* a64.h — facts shared inside arch/aarch64 (never included by kernel/). */
#ifndef A64_H
#define A64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PHYS_MAP   0xffff000000000000ull /* direct map: physical 0 .. 512 GiB */
#define PHYS_LIMIT (512ull << 30)
#define MAP_BASE   0xffff008000000000ull /* window for arch_mmu_map */
#define MAP_SIZE   (512ull << 30)

/* QEMU virt's fixed devices (physical). */
#define UART_BASE    0x09000000ull
#define RTC_BASE     0x09010000ull /* PL031 on QEMU virt */
#define GICD_BASE    0x08000000ull
#define GICR_BASE    0x080a0000ull
#define PCI_MMIO     0x10000000ull /* 32-bit PCI memory window */
#define PCI_MMIO_END 0x3eff0000ull

#define IRQ_TIMER 27 /* the virtual timer's PPI */
#define IRQ_PCI   35 /* INTA..INTD: SPIs 3..6 */

/* The registers the exception entry saves (exceptions.S). */
struct trap_frame {
	uint64_t x[31];
	uint64_t sp, elr, spsr, esr, far;
};

static inline void *phys(uint64_t pa)
{
	return (void *)(uintptr_t)(PHYS_MAP + pa);
}

#define SYSREG_READ(name)                                                                          \
	({                                                                                         \
		uint64_t v_;                                                                       \
		__asm__ volatile("mrs %0, " #name : "=r"(v_));                                     \
		v_;                                                                                \
	})
#define SYSREG_WRITE(name, v) __asm__ volatile("msr " #name ", %0" ::"r"((uint64_t)(v)) : "memory")

/* 0: retry the access at once; 1: go on to a64_fault on the thread's
 * stack; a kernel bug does not return. */
int a64_sync(struct trap_frame *f);
void a64_fault(struct trap_frame *f);
/* Settles a fault that only an emulated accessed or dirty bit caused
 * (mmu.c, on CPUs without FEAT_HAFDBS); true if it did. */
bool a64_mmu_fault(uintptr_t va, bool write);
void a64_irq(struct trap_frame *f);
void a64_bad_vector(struct trap_frame *f, uint64_t which);
void a64_print_backtrace(uint64_t fp, unsigned max);
void a64_gic_init(void);
void a64_gic_enable(unsigned intid);
void a64_boot(uint64_t dtb_pa, uint64_t handoff_pa);
void a64_timer_rearm(void);
void a64_mmu_init(void);
/* XXH3-128, pages in one pass (hash_neon.c). */
void a64_hash128_neon(const void *data, size_t len, uint8_t out[16]);
extern uint64_t a64_entry_cycles;

#endif
