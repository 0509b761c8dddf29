/* vm.c — kernel virtual memory outside the direct map: device register
 * windows and thread stacks, both in the arch's map window.
 *
 * Address space is handed out by a bump pointer: drivers map their
 * registers once, at boot, and keep them. Stacks come in slots of the stack
 * size plus one unmapped guard page below, so running off the end of a
 * stack faults (and the arch reports it) instead of silently overwriting
 * the heap; freed slots are reused. Stack pages need not be contiguous.
 * Page-cache windows (vm_reserve) are slots too, left unmapped: their
 * pages come and go with faults, and the guard page below keeps one
 * window's neighbour from running into it. */
#include <arch/irq.h>
#include <arch/mmu.h>
#include <kernel/log.h>
#include <kernel/mem.h>
#include <toy/err.h>

#define MAX_FREE_SLOTS 512 /* beyond, a freed slot is lost until reboot */

static uintptr_t next_va;
static uintptr_t free_slots[MAX_FREE_SLOTS];
static size_t free_slot_size[MAX_FREE_SLOTS];
static unsigned nfree_slots;

/* Reserves bytes of address space; 0 when the window is full. */
static uintptr_t take_va(size_t bytes)
{
	bool on = arch_irq_save();
	if (!next_va)
		next_va = arch_mmu_map_base();
	uintptr_t va = 0;
	if (next_va + bytes <= arch_mmu_map_base() + arch_mmu_map_size()) {
		va = next_va;
		next_va += bytes;
	}
	arch_irq_restore(on);
	return va;
}

void *vm_map_device(uint64_t pa, size_t size)
{
	uint64_t off = pa % ARCH_PAGE_SIZE;
	size_t npages = (off + size + ARCH_PAGE_SIZE - 1) / ARCH_PAGE_SIZE;
	uintptr_t va = take_va((npages + 1) * ARCH_PAGE_SIZE); /* and a guard page */
	if (!va)
		return NULL;
	for (size_t i = 0; i < npages; i++) {
		int err = arch_mmu_map(va + i * ARCH_PAGE_SIZE, pa - off + i * ARCH_PAGE_SIZE,
				       ARCH_MMU_READ | ARCH_MMU_WRITE | ARCH_MMU_NOCACHE);
		if (err)
			return NULL;
	}
	return (void *)(va + off);
}

static uintptr_t take_slot(size_t size)
{
	bool on = arch_irq_save();
	uintptr_t slot = 0;
	for (unsigned i = 0; i < nfree_slots && !slot; i++) {
		if (free_slot_size[i] == size) {
			slot = free_slots[i];
			free_slots[i] = free_slots[--nfree_slots];
			free_slot_size[i] = free_slot_size[nfree_slots];
		}
	}
	arch_irq_restore(on);
	return slot ? slot : take_va(size + ARCH_PAGE_SIZE);
}

static void unmap_pages(uintptr_t va, size_t npages)
{
	for (size_t i = 0; i < npages; i++) {
		uint64_t pa;
		unsigned flags;
		if (arch_mmu_query(va + i * ARCH_PAGE_SIZE, &pa, &flags) == 0) {
			arch_mmu_unmap(va + i * ARCH_PAGE_SIZE);
			pmm_free(pa, 1);
		}
	}
}

void *vm_alloc_stack(size_t size)
{
	size = (size + ARCH_PAGE_SIZE - 1) & ~(size_t)(ARCH_PAGE_SIZE - 1);
	uintptr_t slot = take_slot(size);
	if (!slot)
		return NULL;
	uintptr_t stack = slot + ARCH_PAGE_SIZE;
	for (size_t i = 0; i < size / ARCH_PAGE_SIZE; i++) {
		uint64_t pa = pmm_alloc(1);
		if (!pa || arch_mmu_map(stack + i * ARCH_PAGE_SIZE, pa,
					ARCH_MMU_READ | ARCH_MMU_WRITE) != 0) {
			if (pa)
				pmm_free(pa, 1);
			vm_free_stack((void *)stack, size);
			return NULL;
		}
	}
	return (void *)stack;
}

void vm_free_stack(void *stack, size_t size)
{
	if (!stack)
		return;
	size = (size + ARCH_PAGE_SIZE - 1) & ~(size_t)(ARCH_PAGE_SIZE - 1);
	unmap_pages((uintptr_t)stack, size / ARCH_PAGE_SIZE);
	bool on = arch_irq_save();
	if (nfree_slots < MAX_FREE_SLOTS) {
		free_slots[nfree_slots] = (uintptr_t)stack - ARCH_PAGE_SIZE;
		free_slot_size[nfree_slots++] = size;
	}
	arch_irq_restore(on);
}

uintptr_t vm_reserve(uint64_t size)
{
	if (!size || size % ARCH_PAGE_SIZE || size > arch_mmu_map_size())
		return 0;
	uintptr_t slot = take_slot((size_t)size);
	return slot ? slot + ARCH_PAGE_SIZE : 0;
}

void vm_release(uintptr_t va, uint64_t size)
{
	bool on = arch_irq_save();
	if (nfree_slots < MAX_FREE_SLOTS) {
		free_slots[nfree_slots] = va - ARCH_PAGE_SIZE;
		free_slot_size[nfree_slots++] = (size_t)size;
	}
	arch_irq_restore(on);
}
