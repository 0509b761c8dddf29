/* mmu.c (aarch64) — four-level translation tables, 4 KiB granule.
 *
 * start.S maps physical 0 .. 512 GiB with 1 GiB blocks at PHYS_MAP (the
 * direct map, which also holds the kernel image) under TTBR1; a64_mmu_init
 * then turns off TTBR0 walks, so the lower half (and address 0) faults.
 * arch_mmu_map adds 4 KiB pages in the MAP_BASE window. Accessed and dirty
 * bits come from the hardware when the CPU has FEAT_HAFDBS (QEMU's "max"
 * CPU does): pages start with AF clear and, if writable, read-only with
 * DBM set, and the MMU sets AF and clears the read-only bit on the first
 * access and write. Without it the bits are kept in software: pages are
 * mapped accessed and (if writable, marked PTE_SW_WRITE) dirty, and only
 * once arch_mmu_clear clears AF or makes the page read-only does the next
 * access or write fault, and a64_mmu_fault (called by the exception
 * handler) sets the bit again. Pages nobody clears (thread stacks, which
 * the IRQ entry writes before it has saved ELR and SPSR) never fault. */
#include <arch/mmu.h>
#include <kernel/mem.h>
#include <stdbool.h>
#include <toy/err.h>

#include "a64.h"

#define PTE_VALID    (1ull << 0)
#define PTE_TABLE    (1ull << 1) /* table (levels 0-2) or page (level 3) */
#define PTE_DEVICE   (0ull << 2) /* MAIR attr0 */
#define PTE_NORMAL   (1ull << 2) /* MAIR attr1 */
#define PTE_RO       (1ull << 7)
#define PTE_SH       (3ull << 8)
#define PTE_AF       (1ull << 10)
#define PTE_DBM      (1ull << 51)
#define PTE_SW_WRITE (1ull << 55) /* for software: writable, dirty bit by faults */
#define PTE_PXN      (1ull << 53)
#define PTE_UXN      (1ull << 54)
#define PTE_ADDR     0x0000fffffffff000ull
#define TCR_EPD0     (1ull << 7)
#define TCR_HA       (1ull << 39)
#define TCR_HD       (1ull << 40)

static bool hw_dirty;

void *arch_phys_to_virt(uint64_t pa)
{
	return phys(pa);
}

uintptr_t arch_mmu_map_base(void)
{
	return MAP_BASE;
}

uint64_t arch_mmu_map_size(void)
{
	return MAP_SIZE;
}

static void tlb_flush_va(uintptr_t va)
{
	__asm__ volatile(
	    "dsb ishst; tlbi vaae1is, %0; dsb ish; isb" ::"r"((va >> 12) & 0xfffffffffffull)
	    : "memory");
}

void a64_mmu_init(void)
{
	uint64_t tcr = SYSREG_READ(tcr_el1) | TCR_EPD0;
	hw_dirty = (SYSREG_READ(id_aa64mmfr1_el1) & 0xf) >= 2;
	if (hw_dirty)
		tcr |= TCR_HA | TCR_HD;
	SYSREG_WRITE(tcr_el1, tcr);
	__asm__ volatile("isb; tlbi vmalle1; dsb nsh; isb" ::: "memory");
}

/* Returns the level-3 entry for va, creating tables if create is set, or
 * NULL (no table, or va lies in a block: *block says which). */
static uint64_t *walk(uintptr_t va, bool create, uint64_t **block)
{
	uint64_t *t = phys(SYSREG_READ(ttbr1_el1) & PTE_ADDR);
	*block = NULL;
	for (int shift = 39; shift > 12; shift -= 9) {
		uint64_t *e = &t[(va >> shift) & 511];
		if ((*e & PTE_VALID) && !(*e & PTE_TABLE)) {
			*block = e;
			return NULL;
		}
		if (!(*e & PTE_VALID)) {
			uint64_t pa = create ? pmm_alloc(1) : 0;
			if (!pa)
				return NULL;
			__asm__ volatile("dsb ishst" ::: "memory");
			*e = pa | PTE_VALID | PTE_TABLE;
		}
		t = phys(*e & PTE_ADDR);
	}
	return &t[(va >> 12) & 511];
}

/* The entry for pa with flags; clean makes a writable page start read-only
 * where dirtiness is kept in software (with FEAT_HAFDBS it always does). */
static uint64_t make_pte(uint64_t pa, unsigned flags, bool clean)
{
	uint64_t pte = (pa & PTE_ADDR) | PTE_VALID | PTE_TABLE | PTE_UXN;
	if (!(flags & ARCH_MMU_EXEC))
		pte |= PTE_PXN;
	if (flags & ARCH_MMU_NOCACHE)
		return pte | PTE_DEVICE | PTE_AF | PTE_PXN | (flags & ARCH_MMU_WRITE ? 0 : PTE_RO);
	pte |= PTE_NORMAL | PTE_SH;
	if (!hw_dirty && (flags & ARCH_MMU_WRITE))
		return pte | PTE_AF | PTE_SW_WRITE | (clean ? PTE_RO : 0);
	if (!hw_dirty)
		return pte | PTE_AF | PTE_RO;
	return pte | PTE_RO | (flags & ARCH_MMU_WRITE ? PTE_DBM : 0);
}

/* Fills the empty entry for va. An invalid entry is never in the TLB, so
 * no invalidation is needed, only the barrier before the table is used. */
static int map_one(uintptr_t va, uint64_t pa, unsigned flags, bool clean)
{
	uint64_t *block;
	uint64_t *e = walk(va, true, &block);
	if (block)
		return TOY_ERR_EXISTS;
	if (!e)
		return TOY_ERR_NOMEM;
	if (*e & PTE_VALID)
		return TOY_ERR_EXISTS;
	__asm__ volatile("dsb ishst" ::: "memory");
	*e = make_pte(pa, flags, clean);
	return 0;
}

int arch_mmu_map(uintptr_t va, uint64_t pa, unsigned flags)
{
	int err = map_one(va, pa, flags, false);
	__asm__ volatile("dsb ishst; isb" ::: "memory");
	return err;
}

int arch_mmu_map_clean(uintptr_t va, uint64_t pa, size_t n, unsigned flags)
{
	int err = 0;
	size_t i;
	for (i = 0; i < n && !err; i++)
		err = map_one(va + i * ARCH_PAGE_SIZE, pa + i * ARCH_PAGE_SIZE, flags, true);
	if (err)
		for (i--; i-- > 0;)
			arch_mmu_unmap(va + i * ARCH_PAGE_SIZE);
	__asm__ volatile("dsb ishst; isb" ::: "memory");
	return err;
}

int arch_mmu_unmap(uintptr_t va)
{
	uint64_t *block;
	uint64_t *e = walk(va, false, &block);
	if (!e || !(*e & PTE_VALID))
		return TOY_ERR_NOTFOUND;
	*e = 0;
	tlb_flush_va(va);
	return 0;
}

static unsigned pte_flags(uint64_t pte)
{
	bool writable = !(pte & PTE_RO) || (pte & (PTE_DBM | PTE_SW_WRITE));
	unsigned f = ARCH_MMU_READ;
	f |= writable ? ARCH_MMU_WRITE : 0;
	f |= pte & PTE_PXN ? 0 : ARCH_MMU_EXEC;
	f |= (pte & (7ull << 2)) == PTE_DEVICE ? ARCH_MMU_NOCACHE : 0;
	f |= pte & PTE_AF ? ARCH_MMU_ACCESSED : 0;
	f |= writable && !(pte & PTE_RO) ? ARCH_MMU_DIRTY : 0;
	return f;
}

int arch_mmu_query(uintptr_t va, uint64_t *pa, unsigned *flags)
{
	uint64_t *block;
	uint64_t *e = walk(va, false, &block);
	if (block) {
		*pa = (*block & PTE_ADDR & ~((1ull << 30) - 1)) + (va & ((1ull << 30) - 1));
		*flags = pte_flags(*block);
		return 0;
	}
	if (!e || !(*e & PTE_VALID))
		return TOY_ERR_NOTFOUND;
	*pa = (*e & PTE_ADDR) + (va & 0xfff);
	*flags = pte_flags(*e);
	return 0;
}

int arch_mmu_clear(uintptr_t va, unsigned flags)
{
	uint64_t *block;
	uint64_t *e = walk(va, false, &block);
	if (!e || !(*e & PTE_VALID))
		return TOY_ERR_NOTFOUND;
	if ((flags & ARCH_MMU_ACCESSED) && (*e & (7ull << 2)) != PTE_DEVICE)
		*e &= ~PTE_AF;
	if ((flags & ARCH_MMU_DIRTY) && (*e & (PTE_DBM | PTE_SW_WRITE)))
		*e |= PTE_RO;
	tlb_flush_va(va);
	return 0;
}

bool a64_mmu_fault(uintptr_t va, bool write)
{
	uint64_t *block;
	bool ours = !hw_dirty && va >= MAP_BASE && va - MAP_BASE < MAP_SIZE;
	uint64_t *e = ours ? walk(va, false, &block) : NULL;
	if (!e || !(*e & PTE_VALID))
		return false;
	uint64_t pte = *e | PTE_AF;
	if (write && (pte & PTE_SW_WRITE))
		pte &= ~PTE_RO;
	if (pte == *e)
		return false; /* a real fault */
	*e = pte;
	tlb_flush_va(va);
	return true;
}

uint64_t arch_virt_to_phys(const void *p)
{
	uintptr_t va = (uintptr_t)p;
	if (va >= PHYS_MAP && va < PHYS_MAP + PHYS_LIMIT)
		return va - PHYS_MAP;
	uint64_t pa;
	unsigned flags;
	return arch_mmu_query(va, &pa, &flags) ? UINT64_MAX : pa;
}
