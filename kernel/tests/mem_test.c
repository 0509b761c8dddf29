/* mem_test.c — in-kernel tests of the frame allocator, the heap and the
 * page tables (map, query with accessed/dirty bits, clear, unmap). */
#include <arch/mmu.h>
#include <kernel/mem.h>
#include <kernel/test.h>
#include <string.h>
#include <toy/err.h>

KTEST(pmm_alloc_free)
{
	size_t before = pmm_free_count();
	uint64_t a = pmm_alloc(1), b = pmm_alloc(8);
	KCHECK(a && b && a != b);
	KCHECK(a % ARCH_PAGE_SIZE == 0 && b % ARCH_PAGE_SIZE == 0);
	KCHECK(b + 8 * ARCH_PAGE_SIZE <= a || a + ARCH_PAGE_SIZE <= b);
	KCHECK(pmm_free_count() == before - 9);
	const uint8_t *p = arch_phys_to_virt(b);
	for (size_t i = 0; i < 8 * ARCH_PAGE_SIZE; i++)
		KCHECK(p[i] == 0);
	pmm_free(a, 1);
	pmm_free(b, 8);
	KCHECK(pmm_free_count() == before);
	return 0;
}

KTEST(pmm_exhaustion)
{
	size_t before = pmm_free_count();
	KCHECK(pmm_alloc(pmm_total_count() + 1) == 0);
	KCHECK(pmm_free_count() == before);
	return 0;
}

/* pmm_alloc_top_run passes over runs too short for it at the top of
 * memory (a firmware's reservations, frames in use) to the highest one
 * long enough. */
KTEST(pmm_top_run_skips_short_runs)
{
	size_t before = pmm_free_count(), n, m;
	uint64_t top = pmm_alloc_top_run(64, &n);
	KCHECK(top && n == 64);            /* a fresh boot has such a run high up */
	for (size_t i = 0; i < 64; i += 8) /* frees it back as runs of 7 */
		pmm_free(top + (i + 1) * ARCH_PAGE_SIZE, 7);
	uint64_t run = pmm_alloc_top_run(32, &m);
	KCHECK(run && m == 32);
	KCHECK(run + 32 * ARCH_PAGE_SIZE <= top || run >= top + 64 * ARCH_PAGE_SIZE);
	pmm_free(run, m);
	for (size_t i = 0; i < 64; i += 8)
		pmm_free(top + i * ARCH_PAGE_SIZE, 1);
	KCHECK(pmm_free_count() == before);
	return 0;
}

/* With memory full but for runs of 3, 5 and 2 frames, a request for more
 * gets the longest of them. (Takes every free frame for a moment.) */
KTEST(pmm_top_run_settles_for_longest)
{
	enum { MAX_HELD = 4096 };
	size_t before = pmm_free_count(), nheld = 0, got = 0;
	struct held {
		uint64_t pa;
		size_t n;
	} *held = kmalloc(MAX_HELD * sizeof(*held));
	KCHECK(held);
	uint64_t pa, run = 0, first = 0;
	while (nheld < MAX_HELD && (pa = pmm_alloc_top_run(1u << 16, &held[nheld].n)))
		held[nheld++].pa = pa;
	bool full = pmm_free_count() == 0 && nheld && held[0].n >= 13;
	if (full) { /* frames 1-3, 5-9 and 11-12 of the highest run come free */
		first = held[0].pa;
		pmm_free(held[0].pa + 1 * ARCH_PAGE_SIZE, 3);
		pmm_free(held[0].pa + 5 * ARCH_PAGE_SIZE, 5);
		pmm_free(held[0].pa + 11 * ARCH_PAGE_SIZE, 2);
		run = pmm_alloc_top_run(64, &got);
		pmm_free(run, got);
		pmm_free(first, 1); /* and what stayed in use */
		pmm_free(first + 4 * ARCH_PAGE_SIZE, 1);
		pmm_free(first + 10 * ARCH_PAGE_SIZE, 1);
		pmm_free(first + 13 * ARCH_PAGE_SIZE, held[0].n - 13);
	}
	for (size_t i = full ? 1 : 0; i < nheld; i++)
		pmm_free(held[i].pa, held[i].n);
	kfree(held);
	KCHECK(full);
	KCHECK(got == 5 && run == first + 5 * ARCH_PAGE_SIZE);
	KCHECK(pmm_free_count() == before);
	return 0;
}

KTEST(heap_sizes)
{
	size_t before = heap_in_use();
	static const size_t sizes[] = {1, 15, 16, 17, 100, 1000, 2032, 2033, 4096, 100000};
	void *p[10];
	for (int i = 0; i < 10; i++) {
		p[i] = kmalloc(sizes[i]);
		KCHECK(p[i] && (uintptr_t)p[i] % 16 == 0);
		memset(p[i], i + 1, sizes[i]);
	}
	for (int i = 0; i < 10; i++) {
		const uint8_t *b = p[i];
		KCHECK(b[0] == i + 1 && b[sizes[i] - 1] == i + 1);
		kfree(p[i]);
	}
	KCHECK(heap_in_use() == before);
	KCHECK(kmalloc((size_t)1 << 50) == NULL);
	return 0;
}

KTEST(heap_churn)
{
	size_t before = heap_in_use();
	void *p[64] = {0};
	for (unsigned i = 0; i < 2000; i++) {
		unsigned k = (i * 7919u) % 64;
		kfree(p[k]);
		p[k] = kmalloc((i * 31u) % 5000 + 1);
		KCHECK(p[k]);
	}
	for (unsigned k = 0; k < 64; k++)
		kfree(p[k]);
	KCHECK(heap_in_use() == before);
	return 0;
}

KTEST(mmu_map_query_unmap)
{
	uintptr_t va = arch_mmu_map_base() + arch_mmu_map_size() - 16 * ARCH_PAGE_SIZE;
	uint64_t pa = pmm_alloc(1), got;
	unsigned flags;
	KCHECK(pa);
	KCHECK(arch_mmu_query(va, &got, &flags) == TOY_ERR_NOTFOUND);
	KCHECK(arch_mmu_map_clean(va, pa, 1, ARCH_MMU_READ | ARCH_MMU_WRITE) == 0);
	KCHECK(arch_mmu_map(va, pa, ARCH_MMU_READ) == TOY_ERR_EXISTS);
	KCHECK(arch_mmu_query(va + 12, &got, &flags) == 0 && got == pa + 12);
	KCHECK((flags & ARCH_MMU_WRITE) && !(flags & ARCH_MMU_EXEC));
	KCHECK(!(flags & ARCH_MMU_DIRTY));
	*(volatile uint32_t *)(va + 8) = 0x70796f74;
	KCHECK(*(uint32_t *)((uint8_t *)arch_phys_to_virt(pa) + 8) == 0x70796f74);
	KCHECK(arch_mmu_query(va, &got, &flags) == 0);
	KCHECK((flags & ARCH_MMU_DIRTY) && (flags & ARCH_MMU_ACCESSED));
	KCHECK(arch_mmu_clear(va, ARCH_MMU_DIRTY | ARCH_MMU_ACCESSED) == 0);
	KCHECK(arch_mmu_query(va, &got, &flags) == 0 && !(flags & ARCH_MMU_DIRTY));
	KCHECK(arch_virt_to_phys((void *)(va + 5)) == pa + 5);
	KCHECK(arch_mmu_unmap(va) == 0);
	KCHECK(arch_mmu_unmap(va) == TOY_ERR_NOTFOUND);
	KCHECK(arch_mmu_query(va, &got, &flags) == TOY_ERR_NOTFOUND);
	pmm_free(pa, 1);
	return 0;
}

/* A run mapped at once: each page at its frame, clean; a run that meets a
 * mapped page leaves nothing mapped. */
KTEST(mmu_map_clean_run)
{
	uintptr_t va = arch_mmu_map_base() + arch_mmu_map_size() - 64 * ARCH_PAGE_SIZE;
	uint64_t pa = pmm_alloc(4), got;
	unsigned flags;
	KCHECK(pa);
	KCHECK(arch_mmu_map_clean(va, pa, 4, ARCH_MMU_READ | ARCH_MMU_WRITE) == 0);
	for (unsigned i = 0; i < 4; i++) {
		KCHECK(arch_mmu_query(va + i * ARCH_PAGE_SIZE, &got, &flags) == 0);
		KCHECK(got == pa + i * ARCH_PAGE_SIZE && !(flags & ARCH_MMU_DIRTY));
	}
	*(volatile uint8_t *)(va + 2 * ARCH_PAGE_SIZE) = 1;
	KCHECK(arch_mmu_query(va + 2 * ARCH_PAGE_SIZE, &got, &flags) == 0 &&
	       (flags & ARCH_MMU_DIRTY));
	KCHECK(arch_mmu_query(va + 3 * ARCH_PAGE_SIZE, &got, &flags) == 0 &&
	       !(flags & ARCH_MMU_DIRTY));
	for (unsigned i = 0; i < 3; i++)
		KCHECK(arch_mmu_unmap(va + i * ARCH_PAGE_SIZE) == 0);
	KCHECK(arch_mmu_map_clean(va, pa, 4, ARCH_MMU_READ) == TOY_ERR_EXISTS);
	for (unsigned i = 0; i < 3; i++)
		KCHECK(arch_mmu_query(va + i * ARCH_PAGE_SIZE, &got, &flags) == TOY_ERR_NOTFOUND);
	KCHECK(arch_mmu_unmap(va + 3 * ARCH_PAGE_SIZE) == 0);
	pmm_free(pa, 4);
	return 0;
}

KTEST(vm_stack_guard)
{
	size_t frames = pmm_free_count();
	uint8_t *s = vm_alloc_stack(16 * 1024);
	KCHECK(s != NULL);
	uint64_t pa;
	unsigned flags;
	KCHECK(arch_mmu_query((uintptr_t)s - 1, &pa, &flags) == TOY_ERR_NOTFOUND);
	for (size_t off = 0; off < 16 * 1024; off += ARCH_PAGE_SIZE) {
		KCHECK(arch_mmu_query((uintptr_t)s + off, &pa, &flags) == 0);
		KCHECK(flags & ARCH_MMU_WRITE);
		s[off] = 1;
	}
	vm_free_stack(s, 16 * 1024);
	KCHECK(arch_mmu_query((uintptr_t)s, &pa, &flags) == TOY_ERR_NOTFOUND);
	uint8_t *again = vm_alloc_stack(16 * 1024);
	KCHECK(again == s); /* the slot is reused */
	vm_free_stack(again, 16 * 1024);
	KCHECK(pmm_free_count() == frames);
	return 0;
}

/* memcpy, memmove and memset against byte-by-byte references, for every
 * alignment of source and destination and every length up to 80 (the
 * kernel's own string.c takes a word path when it can; hosts test libc). */
KTEST(string_copies)
{
	static uint8_t src[128], dst[128], want[128];
	for (unsigned i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 7 + 3);
	for (unsigned so = 0; so < 8; so++)
		for (unsigned doff = 0; doff < 8; doff++)
			for (unsigned n = 0; n <= 80; n++) {
				memset(dst, 0xee, sizeof(dst));
				memcpy(want, dst, sizeof(dst));
				for (unsigned i = 0; i < n; i++)
					want[doff + i] = src[so + i];
				KCHECK(memcpy(dst + doff, src + so, n) == dst + doff);
				KCHECK(memcmp(dst, want, sizeof(dst)) == 0);
				for (unsigned i = 0; i < n; i++)
					want[doff + i] = (uint8_t)(so + 1);
				KCHECK(memset(dst + doff, (int)(so + 1), n) == dst + doff);
				KCHECK(memcmp(dst, want, sizeof(dst)) == 0);
			}
	for (unsigned i = 0; i < sizeof(dst); i++)
		dst[i] = want[i] = (uint8_t)i;
	memmove(dst + 3, dst, 100); /* overlapping, forwards */
	for (unsigned i = 0; i < 100; i++)
		KCHECK(dst[3 + i] == want[i]);
	return 0;
}
