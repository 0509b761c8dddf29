/* mmu.c (host) — physical memory is a memfd of HOST_RAM bytes mapped once
 * as the direct map; arch_mmu_map maps pages of it again (MAP_FIXED)
 * inside a reserved window, so aliasing behaves as on a machine. The
 * hardware accessed and dirty bits have no equivalent here and are not
 * reported. */
#define _GNU_SOURCE
#include <arch/mmu.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <toy/err.h>
#include <unistd.h>

#include "host.h"

#define HOST_MAP_SIZE (16ull << 20)
#define HOST_PAGES    (HOST_MAP_SIZE / ARCH_PAGE_SIZE)

static int ram_fd = -1;
static uint8_t *ram, *window;
static uint64_t window_pa[HOST_PAGES]; /* 0: unmapped, else pa + 1 */
static unsigned window_flags[HOST_PAGES];

void host_mem_init(void)
{
	if (ram_fd >= 0)
		return;
	ram_fd = memfd_create("toy-ram", 0);
	if (ram_fd < 0 || ftruncate(ram_fd, (off_t)HOST_RAM) != 0)
		abort();
	ram = mmap(NULL, HOST_RAM, PROT_READ | PROT_WRITE, MAP_SHARED, ram_fd, 0);
	window = mmap(NULL, HOST_MAP_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (ram == MAP_FAILED || window == MAP_FAILED)
		abort();
}

void *arch_phys_to_virt(uint64_t pa)
{
	return ram + pa;
}

uintptr_t arch_mmu_map_base(void)
{
	return (uintptr_t)window;
}

uint64_t arch_mmu_map_size(void)
{
	return HOST_MAP_SIZE;
}

static long window_index(uintptr_t va)
{
	if (va < (uintptr_t)window || va >= (uintptr_t)window + HOST_MAP_SIZE)
		return -1;
	return (long)((va - (uintptr_t)window) / ARCH_PAGE_SIZE);
}

int arch_mmu_map(uintptr_t va, uint64_t pa, unsigned flags)
{
	long i = window_index(va);
	if (i < 0 || pa >= HOST_RAM)
		return TOY_ERR_INVAL;
	if (window_pa[i])
		return TOY_ERR_EXISTS;
	int prot = PROT_READ | (flags & ARCH_MMU_WRITE ? PROT_WRITE : 0);
	void *p =
	    mmap((void *)(va & ~(uintptr_t)(ARCH_PAGE_SIZE - 1)), ARCH_PAGE_SIZE, prot,
		 MAP_SHARED | MAP_FIXED, ram_fd, (off_t)(pa & ~(uint64_t)(ARCH_PAGE_SIZE - 1)));
	if (p == MAP_FAILED)
		return TOY_ERR_NOMEM;
	window_pa[i] = (pa & ~(uint64_t)(ARCH_PAGE_SIZE - 1)) + 1;
	window_flags[i] = (flags & (ARCH_MMU_WRITE | ARCH_MMU_NOCACHE)) | ARCH_MMU_READ;
	return 0;
}

int arch_mmu_unmap(uintptr_t va)
{
	long i = window_index(va);
	if (i < 0 || !window_pa[i])
		return TOY_ERR_NOTFOUND;
	mmap((void *)(va & ~(uintptr_t)(ARCH_PAGE_SIZE - 1)), ARCH_PAGE_SIZE, PROT_NONE,
	     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	window_pa[i] = 0;
	return 0;
}

int arch_mmu_query(uintptr_t va, uint64_t *pa, unsigned *flags)
{
	long i = window_index(va);
	if (i < 0 || !window_pa[i])
		return TOY_ERR_NOTFOUND;
	*pa = window_pa[i] - 1 + (va & (ARCH_PAGE_SIZE - 1));
	*flags = window_flags[i];
	return 0;
}

int arch_mmu_clear(uintptr_t va, unsigned flags)
{
	(void)flags;
	long i = window_index(va);
	return i < 0 || !window_pa[i] ? TOY_ERR_NOTFOUND : 0;
}

uint64_t arch_virt_to_phys(const void *p)
{
	const uint8_t *b = p;
	if (b >= ram && b < ram + HOST_RAM)
		return (uint64_t)(b - ram);
	uint64_t pa;
	unsigned flags;
	return arch_mmu_query((uintptr_t)p, &pa, &flags) ? UINT64_MAX : pa;
}
