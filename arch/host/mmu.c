/* mmu.c (host) — physical memory is a memfd of HOST_RAM bytes mapped once
 * as the direct map; arch_mmu_map maps pages of it again (MAP_FIXED)
 * inside a reserved window of HOST_MAP_SIZE bytes of PROT_NONE address
 * space, so aliasing behaves as on a machine and several 4 GiB page-cache
 * windows fit. Both mappings are populated when made (MAP_POPULATE), as
 * RAM exists before it is used and a map call writes its page-table
 * entries: Linux's first-touch faults are no part of the machine.
 *
 * The accessed and dirty bits are emulated with page protections, as a
 * kernel without hardware dirty bits would: a new mapping reports both set
 * and has the protection its flags ask for; once arch_mmu_clear clears
 * ACCESSED the page becomes PROT_NONE, once it clears DIRTY a writable
 * page becomes read-only, and the fault handler (trap.c) sets the bit
 * again and restores the access through host_mmu_fault. Pages nobody
 * clears (thread stacks) never fault. */
#define _GNU_SOURCE
#include <arch/mmu.h>
#include <arch_ops.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <toy/err.h>
#include <unistd.h>

#include "host.h"

#define HOST_PAGES (HOST_MAP_SIZE / ARCH_PAGE_SIZE)

struct host_pte {
	uint64_t pa1;   /* 0: unmapped, else pa + 1 */
	unsigned flags; /* ARCH_MMU_*, the accessed and dirty bits emulated */
	int prot;       /* the protection the page has now */
};

static int ram_fd = -1;
static uint8_t *ram, *window;
static struct host_pte *ptes; /* HOST_PAGES entries, touched on use */

void host_mem_init(void)
{
	if (ram_fd >= 0)
		return;
	ram_fd = memfd_create("toy-ram", 0);
	if (ram_fd < 0 || ftruncate(ram_fd, (off_t)HOST_RAM) != 0)
		abort();
	ram = mmap(NULL, HOST_RAM, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ram_fd, 0);
	window = mmap(NULL, HOST_MAP_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		      -1, 0);
	ptes = mmap(NULL, HOST_PAGES * sizeof(*ptes), PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (ram == MAP_FAILED || window == MAP_FAILED || ptes == MAP_FAILED)
		abort();
	host_trap_init();
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

bool host_in_window(uintptr_t va)
{
	return va >= (uintptr_t)window && va < (uintptr_t)window + HOST_MAP_SIZE;
}

static struct host_pte *pte(uintptr_t va)
{
	return host_in_window(va) ? &ptes[(va - (uintptr_t)window) / ARCH_PAGE_SIZE] : NULL;
}

static uintptr_t page_of(uintptr_t va)
{
	return va & ~(uintptr_t)(ARCH_PAGE_SIZE - 1);
}

/* The protection a page's flags call for. */
static int prot_for(unsigned flags)
{
	if (!(flags & ARCH_MMU_ACCESSED))
		return PROT_NONE;
	if ((flags & ARCH_MMU_WRITE) && (flags & ARCH_MMU_DIRTY))
		return PROT_READ | PROT_WRITE;
	return PROT_READ;
}

static void reprotect(uintptr_t va, struct host_pte *e)
{
	int prot = prot_for(e->flags);
	if (prot != e->prot && mprotect((void *)page_of(va), ARCH_PAGE_SIZE, prot) == 0)
		e->prot = prot;
}

/* Maps n pages at va to the frames at pa with one mmap; clean ones read
 * as not dirty (read-only until written). */
static int map_pages(uintptr_t va, uint64_t pa, size_t n, unsigned flags, bool clean)
{
	struct host_pte *e = pte(va), *last = pte(va + (n - 1) * ARCH_PAGE_SIZE);
	uint64_t base = pa & ~(uint64_t)(ARCH_PAGE_SIZE - 1);
	if (!e || !last || base + n * ARCH_PAGE_SIZE > HOST_RAM)
		return TOY_ERR_INVAL;
	for (size_t i = 0; i < n; i++)
		if (e[i].pa1)
			return TOY_ERR_EXISTS;
	unsigned f = (flags & (ARCH_MMU_WRITE | ARCH_MMU_NOCACHE)) | ARCH_MMU_READ |
		     ARCH_MMU_ACCESSED | (clean ? 0 : ARCH_MMU_DIRTY);
	int prot = prot_for(f);
	void *p = mmap((void *)page_of(va), n * ARCH_PAGE_SIZE, prot,
		       MAP_SHARED | MAP_FIXED | MAP_POPULATE, ram_fd, (off_t)base);
	if (p == MAP_FAILED)
		return TOY_ERR_NOMEM;
	for (size_t i = 0; i < n; i++)
		e[i] = (struct host_pte){base + i * ARCH_PAGE_SIZE + 1, f, prot};
	return 0;
}

int arch_mmu_map(uintptr_t va, uint64_t pa, unsigned flags)
{
	return map_pages(va, pa, 1, flags, false);
}

int arch_mmu_map_clean(uintptr_t va, uint64_t pa, size_t n, unsigned flags)
{
	return map_pages(va, pa, n, flags, true);
}

int arch_mmu_unmap(uintptr_t va)
{
	struct host_pte *e = pte(va);
	if (!e || !e->pa1)
		return TOY_ERR_NOTFOUND;
	mmap((void *)page_of(va), ARCH_PAGE_SIZE, PROT_NONE,
	     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
	*e = (struct host_pte){0, 0, 0};
	return 0;
}

int arch_mmu_query(uintptr_t va, uint64_t *pa, unsigned *flags)
{
	struct host_pte *e = pte(va);
	if (!e || !e->pa1)
		return TOY_ERR_NOTFOUND;
	*pa = e->pa1 - 1 + (va & (ARCH_PAGE_SIZE - 1));
	*flags = e->flags;
	return 0;
}

int arch_mmu_clear(uintptr_t va, unsigned flags)
{
	struct host_pte *e = pte(va);
	if (!e || !e->pa1)
		return TOY_ERR_NOTFOUND;
	e->flags &= ~(flags & (ARCH_MMU_ACCESSED | ARCH_MMU_DIRTY));
	reprotect(va, e);
	return 0;
}

bool host_mmu_fault(uintptr_t va)
{
	struct host_pte *e = pte(va);
	if (!e || !e->pa1)
		return false;
	if (e->prot == PROT_NONE) {
		e->flags |= ARCH_MMU_ACCESSED;
	} else if (e->prot == PROT_READ && (e->flags & ARCH_MMU_WRITE)) {
		e->flags |= ARCH_MMU_ACCESSED | ARCH_MMU_DIRTY;
	} else {
		return false; /* a real protection fault */
	}
	reprotect(va, e);
	return true;
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
