/* heap.c — kmalloc and kfree.
 *
 * Small blocks (up to 2 KiB with their header) come from eight power-of-two
 * size classes, each a free list of blocks carved from whole frames; they
 * are never returned to the frame pool, which keeps the code short and is
 * fine for a kernel whose small objects are reused. Larger blocks are runs
 * of contiguous frames, freed back to the pool. Every block starts with a
 * 16-byte header naming its class or frame count, so kfree needs no size
 * and every pointer handed out is 16-byte aligned. */
#include <arch/irq.h>
#include <arch/mmu.h>
#include <kernel/log.h>
#include <kernel/mem.h>
#include <string.h>

#define HDR        16u
#define MIN_SHIFT  4
#define NCLASSES   8 /* 16 .. 2048 bytes */
#define HEAP_MAGIC 0x6b686561u

struct hdr {
	uint32_t magic;
	uint32_t cls;    /* class index, or NCLASSES for a frame run */
	uint64_t frames; /* run length in frames */
};
_Static_assert(sizeof(struct hdr) == HDR, "heap header is 16 bytes");

struct free_block {
	struct free_block *next;
};

static struct free_block *free_lists[NCLASSES];
static size_t in_use;

static unsigned class_of(size_t total)
{
	unsigned c = 0;
	while ((size_t)1 << (c + MIN_SHIFT) < total)
		c++;
	return c;
}

/* Splits one fresh frame into blocks of class c. Interrupts are off. */
static bool refill(unsigned c)
{
	uint64_t pa = pmm_alloc(1);
	if (!pa)
		return false;
	size_t bsize = (size_t)1 << (c + MIN_SHIFT);
	char *page = arch_phys_to_virt(pa);
	for (size_t off = 0; off < ARCH_PAGE_SIZE; off += bsize) {
		struct free_block *b = (struct free_block *)(page + off);
		b->next = free_lists[c];
		free_lists[c] = b;
	}
	return true;
}

/* A block of class c, counted in in_use, with interrupts off once (under
 * QEMU turning them back on costs a trip out of the translated code). */
static struct hdr *alloc_small(unsigned c)
{
	bool on = arch_irq_save();
	struct free_block *b = free_lists[c];
	if (!b && refill(c))
		b = free_lists[c];
	if (b) {
		free_lists[c] = b->next;
		in_use += (size_t)1 << (c + MIN_SHIFT);
	}
	arch_irq_restore(on);
	return (struct hdr *)b;
}

static struct hdr *alloc_large(size_t total, uint64_t *frames)
{
	*frames = (total + ARCH_PAGE_SIZE - 1) / ARCH_PAGE_SIZE;
	uint64_t pa = pmm_alloc(*frames);
	if (!pa)
		return NULL;
	bool on = arch_irq_save();
	in_use += *frames * ARCH_PAGE_SIZE;
	arch_irq_restore(on);
	return arch_phys_to_virt(pa);
}

void *kmalloc(size_t size)
{
	if (size > (1ull << 40))
		return NULL;
	size_t total = size + HDR;
	unsigned c = class_of(total);
	uint64_t frames = 0;
	struct hdr *h = c < NCLASSES ? alloc_small(c) : alloc_large(total, &frames);
	if (!h)
		return NULL;
	h->magic = HEAP_MAGIC;
	h->cls = c < NCLASSES ? c : NCLASSES;
	h->frames = frames;
	return (char *)h + HDR;
}

void *kzalloc(size_t size)
{
	void *p = kmalloc(size);
	if (p)
		memset(p, 0, size);
	return p;
}

void kfree(void *p)
{
	if (!p)
		return;
	struct hdr *h = (struct hdr *)((char *)p - HDR);
	if (h->magic != HEAP_MAGIC || h->cls > NCLASSES)
		panic("kfree: %p is not a heap block (or was freed twice)", p);
	h->magic = 0;
	unsigned c = h->cls; /* the free-list link overwrites the header */
	bool on = arch_irq_save();
	if (c == NCLASSES) {
		in_use -= h->frames * ARCH_PAGE_SIZE;
		pmm_free(arch_virt_to_phys(h), h->frames);
	} else {
		in_use -= (size_t)1 << (c + MIN_SHIFT);
		struct free_block *b = (struct free_block *)h;
		b->next = free_lists[c];
		free_lists[c] = b;
	}
	arch_irq_restore(on);
}

size_t heap_in_use(void)
{
	return in_use;
}
