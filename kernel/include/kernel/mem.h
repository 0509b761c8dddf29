/* kernel/mem.h — physical frames, the kernel heap and device mappings.
 *
 * Frames are 4 KiB and always reachable through the arch's direct map. The
 * heap serves objects of any size, 16-byte aligned; blocks of a page or more
 * are physically contiguous (drivers rely on it only through
 * arch_virt_to_phys, page by page). All functions may be called from any
 * thread; none may be called from an interrupt handler. */
#ifndef KERNEL_MEM_H
#define KERNEL_MEM_H

#include <arch/boot.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Builds the frame pool from the boot memory map, minus the kernel image
 * and the first MiB. */
void pmm_init(const struct boot_info *bi);

/* Allocates n physically contiguous zeroed frames; returns the physical
 * address of the first, or 0 when none are free. */
uint64_t pmm_alloc(size_t n);

/* Allocates up to max physically contiguous frames, high in memory (the
 * page cache's, kept away from the low memory the heap's contiguous blocks
 * come from): the highest run of max free frames, or else the longest run
 * near the highest free frame; not zeroed (the page cache fills most frames from the
 * disk whole). Returns the physical address of the first and their number
 * in *n (at least 1), or 0 when no frame is free. */
uint64_t pmm_alloc_top_run(size_t max, size_t *n);

/* Frees n frames starting at pa (as returned by pmm_alloc or
 * pmm_alloc_top_run); they need not have been allocated together. */
void pmm_free(uint64_t pa, size_t n);

size_t pmm_free_count(void);
size_t pmm_total_count(void);

/* Returns NULL when memory is exhausted. kfree(NULL) is a no-op. */
void *kmalloc(size_t size);
void *kzalloc(size_t size);
void kfree(void *p);

/* Bytes currently handed out by kmalloc (for leak checks in tests). */
size_t heap_in_use(void);

/* Maps size bytes of device registers at physical pa, uncached. Returns
 * the kernel address of pa, or NULL when out of address space or memory. */
void *vm_map_device(uint64_t pa, size_t size);

/* A thread stack of size bytes (rounded up to pages) with an unmapped
 * guard page below it. Returns its lowest address, or NULL. */
void *vm_alloc_stack(size_t size);
void vm_free_stack(void *stack, size_t size);

/* Reserves size bytes (a multiple of 4 KiB) of kernel address space in the
 * map window, with an unmapped guard page below, and maps nothing there
 * (the page cache's windows). Returns its lowest address, or 0 when the
 * window is full. vm_release gives it back; its pages must be unmapped. */
uintptr_t vm_reserve(uint64_t size);
void vm_release(uintptr_t va, uint64_t size);

#endif
