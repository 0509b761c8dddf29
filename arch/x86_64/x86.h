/* x86.h — facts shared inside arch/x86_64 (never included by kernel/). */
#ifndef X86_H
#define X86_H

#include <stdint.h>

#define KERNEL_VMA 0xffffffff80000000ull /* the image, linked at -2 GiB */
#define PHYS_MAP   0xffff800000000000ull /* direct map of the first 4 GiB */
#define PHYS_LIMIT (4ull << 30)
#define MAP_BASE   0xffff808000000000ull /* window for arch_mmu_map */
#define MAP_SIZE   (512ull << 30)

/* The registers the interrupt stubs save, in stack order. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error;
	uint64_t rip, cs, rflags, rsp, ss;
};

void x86_trap(struct trap_frame *f);
void x86_idt_init(void);
void x86_pic_eoi(unsigned irq);
void x86_print_backtrace(uint64_t rbp, unsigned max);
void x86_boot(uint32_t magic, uint32_t mbi);
/* XXH3-128 with AVX2 (hash_avx2.c): only once AVX state is enabled, and
 * with interrupts off. */
void x86_hash128_avx2(const void *data, size_t len, uint8_t out[16]);

static inline uint64_t read_cr2(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

static inline uint64_t read_cr3(void)
{
	uint64_t v;
	__asm__ volatile("mov %%cr3, %0" : "=r"(v));
	return v;
}

static inline void write_cr3(uint64_t v)
{
	__asm__ volatile("mov %0, %%cr3" ::"r"(v) : "memory");
}

static inline void invlpg(uintptr_t va)
{
	__asm__ volatile("invlpg (%0)" ::"r"(va) : "memory");
}

#endif
