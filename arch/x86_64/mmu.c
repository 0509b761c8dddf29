/* mmu.c (x86_64) — four-level page tables.
 *
 * start.S maps the first 4 GiB with 2 MiB pages twice: at PHYS_MAP (the
 * direct map every frame is reached through) and the first 2 GiB at -2 GiB
 * (the image). arch_mmu_map adds 4 KiB pages in the MAP_BASE window,
 * allocating page-table pages from the frame allocator as it goes. Tables
 * are reached through the direct map, so the walk is plain pointer work. */
#include <arch/mmu.h>
#include <kernel/mem.h>
#include <stdbool.h>
#include <toy/err.h>

#include "x86.h"

#define PTE_P    (1ull << 0)
#define PTE_W    (1ull << 1)
#define PTE_PWT  (1ull << 3)
#define PTE_PCD  (1ull << 4)
#define PTE_A    (1ull << 5)
#define PTE_D    (1ull << 6)
#define PTE_PS   (1ull << 7)
#define PTE_NX   (1ull << 63)
#define PTE_ADDR 0x000ffffffffff000ull

void *arch_phys_to_virt(uint64_t pa)
{
	return (void *)(uintptr_t)(PHYS_MAP + pa);
}

uintptr_t arch_mmu_map_base(void)
{
	return MAP_BASE;
}

uint64_t arch_mmu_map_size(void)
{
	return MAP_SIZE;
}

static uint64_t *table(uint64_t entry)
{
	return arch_phys_to_virt(entry & PTE_ADDR);
}

/* Returns the level-1 entry for va, creating tables if create is set, or
 * NULL (no table, or va lies in a 2 MiB page: *large says which). */
static uint64_t *walk(uintptr_t va, bool create, uint64_t **large)
{
	uint64_t *t = arch_phys_to_virt(read_cr3() & PTE_ADDR);
	*large = NULL;
	for (int shift = 39; shift > 12; shift -= 9) {
		uint64_t *e = &t[(va >> shift) & 511];
		if (*e & PTE_PS) {
			*large = e;
			return NULL;
		}
		if (!(*e & PTE_P)) {
			uint64_t pa = create ? pmm_alloc(1) : 0;
			if (!pa)
				return NULL;
			*e = pa | PTE_P | PTE_W;
		}
		t = table(*e);
	}
	return &t[(va >> 12) & 511];
}

/* Sets the empty entry for va to pa with flags (accessed and dirty clear).
 * The TLB holds no entry for a page that was not present. */
static int map_one(uintptr_t va, uint64_t pa, unsigned flags)
{
	uint64_t *large;
	uint64_t *e = walk(va, true, &large);
	if (large)
		return TOY_ERR_EXISTS;
	if (!e)
		return TOY_ERR_NOMEM;
	if (*e & PTE_P)
		return TOY_ERR_EXISTS;
	uint64_t pte = (pa & PTE_ADDR) | PTE_P;
	if (flags & ARCH_MMU_WRITE)
		pte |= PTE_W;
	if (!(flags & ARCH_MMU_EXEC))
		pte |= PTE_NX;
	if (flags & ARCH_MMU_NOCACHE)
		pte |= PTE_PCD | PTE_PWT;
	*e = pte;
	return 0;
}

int arch_mmu_map(uintptr_t va, uint64_t pa, unsigned flags)
{
	return map_one(va, pa, flags);
}

int arch_mmu_map_clean(uintptr_t va, uint64_t pa, size_t n, unsigned flags)
{
	for (size_t i = 0; i < n; i++) {
		int err = map_one(va + i * ARCH_PAGE_SIZE, pa + i * ARCH_PAGE_SIZE, flags);
		if (err) {
			while (i-- > 0)
				arch_mmu_unmap(va + i * ARCH_PAGE_SIZE);
			return err;
		}
	}
	return 0;
}

int arch_mmu_unmap(uintptr_t va)
{
	uint64_t *large;
	uint64_t *e = walk(va, false, &large);
	if (!e || !(*e & PTE_P))
		return TOY_ERR_NOTFOUND;
	*e = 0;
	invlpg(va);
	return 0;
}

static unsigned pte_flags(uint64_t pte)
{
	unsigned f = ARCH_MMU_READ;
	f |= pte & PTE_W ? ARCH_MMU_WRITE : 0;
	f |= pte & PTE_NX ? 0 : ARCH_MMU_EXEC;
	f |= pte & PTE_PCD ? ARCH_MMU_NOCACHE : 0;
	f |= pte & PTE_A ? ARCH_MMU_ACCESSED : 0;
	f |= pte & PTE_D ? ARCH_MMU_DIRTY : 0;
	return f;
}

int arch_mmu_query(uintptr_t va, uint64_t *pa, unsigned *flags)
{
	uint64_t *large;
	uint64_t *e = walk(va, false, &large);
	if (large && (*large & PTE_P)) {
		*pa = (*large & PTE_ADDR & ~0x1fffffull) + (va & 0x1fffff);
		*flags = pte_flags(*large);
		return 0;
	}
	if (!e || !(*e & PTE_P))
		return TOY_ERR_NOTFOUND;
	*pa = (*e & PTE_ADDR) + (va & 0xfff);
	*flags = pte_flags(*e);
	return 0;
}

int arch_mmu_clear(uintptr_t va, unsigned flags)
{
	uint64_t *large;
	uint64_t *e = walk(va, false, &large);
	if (!e || !(*e & PTE_P))
		return TOY_ERR_NOTFOUND;
	*e &= ~((flags & ARCH_MMU_ACCESSED ? PTE_A : 0) | (flags & ARCH_MMU_DIRTY ? PTE_D : 0));
	invlpg(va);
	return 0;
}

uint64_t arch_virt_to_phys(const void *p)
{
	uintptr_t va = (uintptr_t)p;
	if (va >= KERNEL_VMA)
		return va - KERNEL_VMA;
	if (va >= PHYS_MAP && va < PHYS_MAP + PHYS_LIMIT)
		return va - PHYS_MAP;
	uint64_t pa;
	unsigned flags;
	return arch_mmu_query(va, &pa, &flags) ? UINT64_MAX : pa;
}
