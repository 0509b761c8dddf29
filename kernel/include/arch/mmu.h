/* arch/mmu.h — the kernel's page tables.
 *
 * All physical memory the frame allocator hands out is reachable through a
 * direct map (arch_phys_to_virt). Other kernel mappings (device registers,
 * thread stacks, page-cache windows) are made page by page with
 * arch_mmu_map. The accessed and dirty flags are reported by
 * arch_mmu_query and cleared by arch_mmu_clear, which is how the page cache
 * tracks what to write back and what was used lately. Where the hardware
 * keeps no such bits (aarch64 without FEAT_HAFDBS) a new mapping reports
 * both set; arch/host emulates them with page protections once they have
 * been cleared. So a page counts as clean only after arch_mmu_clear.
 *
 * The fault hook: when a kernel access faults on an address that is not
 * mapped (or, for a write, mapped without a dirty bit the MMU can set),
 * the arch's fault handler calls kernel_page_fault (kernel/pagecache.h)
 * with the address and whether it was a write, on the faulting thread's
 * stack and with interrupts enabled if they were at the fault, so it may
 * block and other threads may run. If it returns true the access is
 * retried; if false the arch reports the fault as a kernel bug (panic). On
 * x86_64 it is vector 14 (CR2, error code bit 1); on aarch64 a data abort
 * from EL1 in the map window (FAR, ESR.WnR), re-entered on the thread's
 * stack; on arch/host a SIGSEGV. */
#ifndef ARCH_MMU_H
#define ARCH_MMU_H

#include <stddef.h>
#include <stdint.h>

#define ARCH_PAGE_SIZE 4096u

enum {
	ARCH_MMU_READ = 1u << 0,
	ARCH_MMU_WRITE = 1u << 1,
	ARCH_MMU_EXEC = 1u << 2,
	ARCH_MMU_NOCACHE = 1u << 3, /* device memory */
	ARCH_MMU_ACCESSED = 1u << 4,
	ARCH_MMU_DIRTY = 1u << 5,
};

/* Kernel virtual address of physical address pa (direct map). */
void *arch_phys_to_virt(uint64_t pa);

/* Physical address behind kernel address va, or UINT64_MAX if unmapped. */
uint64_t arch_virt_to_phys(const void *va);

/* Start and size of a kernel virtual range free for arch_mmu_map. */
uintptr_t arch_mmu_map_base(void);
uint64_t arch_mmu_map_size(void);

/* Maps one page. Returns 0, TOY_ERR_EXISTS if va is mapped, or
 * TOY_ERR_NOMEM if a page-table page could not be allocated. */
int arch_mmu_map(uintptr_t va, uint64_t pa, unsigned flags);

/* Maps n pages at va to the n contiguous frames at pa, clean: DIRTY reads
 * clear until the first write, as after arch_mmu_clear(DIRTY), without
 * the cost of mapping and clearing page by page (one host mmap on
 * arch/host). Returns as arch_mmu_map; on failure nothing stays mapped. */
int arch_mmu_map_clean(uintptr_t va, uint64_t pa, size_t n, unsigned flags);

/* Unmaps one page. Returns 0 or TOY_ERR_NOTFOUND. */
int arch_mmu_unmap(uintptr_t va);

/* Looks up va: *pa and *flags (ARCH_MMU_*) on success. Returns 0 or
 * TOY_ERR_NOTFOUND. */
int arch_mmu_query(uintptr_t va, uint64_t *pa, unsigned *flags);

/* Clears the ACCESSED and/or DIRTY flags of a mapped page. */
int arch_mmu_clear(uintptr_t va, unsigned flags);

#endif
