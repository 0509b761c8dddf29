/* pmm.c — the physical frame allocator.
 *
 * One bit per 4 KiB frame of the first PMM_MAX_BYTES of physical memory
 * (set = in use), built from the boot memory map: every frame starts in
 * use, the usable RAM ranges are then freed, and the first MiB and the
 * kernel image are taken back. Allocation is next-fit for a run of n free
 * frames, so contiguous blocks (heap blocks, virtqueues) come from the same
 * code as single frames. A bitmap of 4 GiB is 128 KiB of .bss; a first-fit
 * scan over it is fast enough for a kernel that allocates mostly at boot.
 * The page cache takes its frames from the top down (pmm_alloc_top_run:
 * the contiguous run one disk read fills, the highest one long enough, or
 * the longest near the top), so the many frames it holds gather at the
 * top of memory instead of breaking up the runs the heap carves large
 * blocks from; top_hint is at or above the highest free frame. */
#include <arch/irq.h>
#include <arch/mmu.h>
#include <kernel/log.h>
#include <kernel/mem.h>
#include <string.h>

#define PMM_MAX_BYTES (4ull << 30)
#define PMM_FRAMES    (PMM_MAX_BYTES / ARCH_PAGE_SIZE)
#define TOP_SCAN      16384u /* frames pmm_alloc_top_run looks through, at most */

static uint64_t bitmap[PMM_FRAMES / 64];
static size_t nframes; /* frames below the highest usable address */
static size_t nfree, ntotal;
static size_t next_fit;
static size_t top_hint;

static bool frame_used(size_t f)
{
	return bitmap[f / 64] >> (f % 64) & 1;
}

static void frame_set(size_t f, bool used)
{
	if (used)
		bitmap[f / 64] |= 1ull << (f % 64);
	else
		bitmap[f / 64] &= ~(1ull << (f % 64));
}

/* Marks the frames wholly inside (free) or touching (used) [base, base+len). */
static void mark_range(uint64_t base, uint64_t len, bool used)
{
	uint64_t first =
	    used ? base / ARCH_PAGE_SIZE : (base + ARCH_PAGE_SIZE - 1) / ARCH_PAGE_SIZE;
	uint64_t end = used ? (base + len + ARCH_PAGE_SIZE - 1) / ARCH_PAGE_SIZE
			    : (base + len) / ARCH_PAGE_SIZE;
	if (end > PMM_FRAMES)
		end = PMM_FRAMES;
	for (uint64_t f = first; f < end; f++) {
		if (frame_used(f) != used)
			nfree += used ? (size_t)-1 : 1;
		frame_set(f, used);
	}
	if (!used && end > nframes)
		nframes = end;
}

void pmm_init(const struct boot_info *bi)
{
	memset(bitmap, 0xff, sizeof(bitmap));
	for (unsigned i = 0; i < bi->nram; i++)
		mark_range(bi->ram[i].base, bi->ram[i].len, false);
	mark_range(0, 1u << 20, true);
	mark_range(bi->kernel.base, bi->kernel.len, true);
	ntotal = nfree;
	top_hint = nframes;
	klog(LOG_INFO, "pmm: %zu MiB free in %zu frames", nfree / 256, nfree);
}

/* Finds n free frames in a row at or after start, within [start, limit). */
static size_t find_run(size_t start, size_t limit, size_t n)
{
	size_t run = 0;
	for (size_t f = start; f < limit; f++) {
		if (frame_used(f)) {
			run = 0;
			if (bitmap[f / 64] == ~0ull)
				f |= 63;
			continue;
		}
		if (++run == n)
			return f + 1 - n;
	}
	return SIZE_MAX;
}

uint64_t pmm_alloc(size_t n)
{
	if (n == 0)
		return 0;
	bool on = arch_irq_save();
	size_t f = find_run(next_fit, nframes, n);
	if (f == SIZE_MAX)
		f = find_run(0, nframes, n);
	if (f != SIZE_MAX) {
		for (size_t i = 0; i < n; i++)
			frame_set(f + i, true);
		nfree -= n;
		next_fit = f + n;
	}
	arch_irq_restore(on);
	if (f == SIZE_MAX)
		return 0;
	uint64_t pa = (uint64_t)f * ARCH_PAGE_SIZE;
	memset(arch_phys_to_virt(pa), 0, n * ARCH_PAGE_SIZE);
	return pa;
}

/* The highest run of want free frames below limit, else the longest run
 * among the frames TOP_SCAN below the highest free one: its first frame,
 * its length in *len (0 when no frame is free), and the highest free
 * frame in *high. */
static size_t find_top_run(size_t limit, size_t want, size_t *len, size_t *high)
{
	size_t best = SIZE_MAX, run = 0;
	*len = 0;
	*high = SIZE_MAX;
	for (size_t f = limit; f-- > 0;) {
		if (*high != SIZE_MAX && *high - f >= TOP_SCAN)
			break;
		if (bitmap[f / 64] == ~0ull || frame_used(f)) {
			run = 0;
			if (bitmap[f / 64] == ~0ull)
				f &= ~(size_t)63;
			continue;
		}
		if (*high == SIZE_MAX)
			*high = f;
		if (++run > *len) {
			best = f;
			*len = run;
		}
		if (run == want)
			break;
	}
	return best;
}

uint64_t pmm_alloc_top_run(size_t max, size_t *n)
{
	size_t got, high;
	if (!max) {
		*n = 0;
		return 0;
	}
	bool on = arch_irq_save();
	size_t f = find_top_run(top_hint, max, &got, &high);
	for (size_t i = 0; i < got; i++)
		frame_set(f + i, true);
	nfree -= got;
	if (got)
		top_hint = f + got == high + 1 ? f : high + 1;
	arch_irq_restore(on);
	*n = got;
	return got ? (uint64_t)f * ARCH_PAGE_SIZE : 0;
}

void pmm_free(uint64_t pa, size_t n)
{
	size_t f = pa / ARCH_PAGE_SIZE;
	bool on = arch_irq_save();
	for (size_t i = 0; i < n; i++) {
		if (f + i >= nframes || !frame_used(f + i))
			panic("pmm_free: frame %zx is not allocated", f + i);
		frame_set(f + i, false);
	}
	nfree += n;
	if (f + n > top_hint)
		top_hint = f + n;
	arch_irq_restore(on);
}

size_t pmm_free_count(void)
{
	return nfree;
}

size_t pmm_total_count(void)
{
	return ntotal;
}
