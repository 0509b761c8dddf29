/* virtio.c — the virtio 1.x modern PCI transport and split virtqueues.
 *
 * The transport is found through vendor capabilities in PCI config space
 * (common, notify, ISR and device configuration windows inside memory
 * BARs, virtio 1.x section 4.1.4); each window is mapped uncached.
 * Initialization follows section 3.1.1: reset, ACKNOWLEDGE, DRIVER,
 * features, FEATURES_OK, queues, DRIVER_OK.
 *
 * A queue has one request in flight at a time, so a request always
 * occupies descriptors 0..n-1 and completion is "used.idx moved". A
 * request may be started and waited for later (virtq_start, virtq_wait:
 * the caller works while the device moves data); whoever needs the queue
 * next waits for it first and leaves its result to its owner. Buffers
 * are split at page boundaries and translated page by page, so they may
 * come from the heap, a stack or the kernel image alike. The requester
 * sleeps until the device's interrupt (INTx: MSI-X stays off) or, when a
 * device has no usable line, polls, yielding the CPU between looks; a
 * request that takes longer than REQUEST_TIMEOUT_NS fails with TOY_ERR_IO
 * and retires the queue (the device may still write its buffers). */
#include <arch/cpu.h>
#include <arch/irq.h>
#include <arch/mmu.h>
#include <kernel/kernel.h>
#include <kernel/log.h>
#include <kernel/mem.h>
#include <kernel/mmio.h>
#include <toy/err.h>

#include "virtio.h"

enum { CAP_COMMON = 1, CAP_NOTIFY = 2, CAP_ISR = 3, CAP_DEVICE = 4 };

/* Common configuration offsets. */
enum {
	C_DFSELECT = 0,
	C_DF = 4,
	C_GFSELECT = 8,
	C_GF = 12,
	C_NUMQ = 18,
	C_STATUS = 20,
	C_Q_SELECT = 22,
	C_Q_SIZE = 24,
	C_Q_MSIX = 26,
	C_Q_ENABLE = 28,
	C_Q_NOFF = 30,
	C_Q_DESC = 32,
	C_Q_DRIVER = 40,
	C_Q_DEVICE = 48,
};

enum { S_ACK = 1, S_DRIVER = 2, S_DRIVER_OK = 4, S_FEATURES_OK = 8, S_FAILED = 128 };

#define DESC_NEXT          1
#define DESC_WRITE         2
#define AVAIL_NO_INTERRUPT 1
#define REQUEST_TIMEOUT_NS (10ull * 1000000000ull)
#define PROBE_TIMEOUT_NS   (500ull * 1000000ull)

static int map_cap(struct virtio_dev *v, unsigned cap)
{
	const struct pci_dev *p = &v->pci;
	uint8_t type = pci_read8(p, cap + 3), bar = pci_read8(p, cap + 4);
	uint32_t off = pci_read32(p, cap + 8), len = pci_read32(p, cap + 12);
	uint64_t base = pci_bar(p, bar);
	if (type < CAP_COMMON || type > CAP_DEVICE || !base || !len)
		return 0;
	volatile uint8_t *va = vm_map_device(base + off, len);
	if (!va)
		return TOY_ERR_NOMEM;
	if (type == CAP_COMMON && !v->common)
		v->common = va;
	else if (type == CAP_NOTIFY && !v->notify) {
		v->notify = va;
		v->notify_mult = pci_read32(p, cap + 16);
	} else if (type == CAP_ISR && !v->isr)
		v->isr = va;
	else if (type == CAP_DEVICE && !v->config)
		v->config = va;
	return 0;
}

static int find_windows(struct virtio_dev *v)
{
	for (unsigned cap = pci_find_cap(&v->pci, PCI_CAP_VENDOR, 0); cap;
	     cap = pci_find_cap(&v->pci, PCI_CAP_VENDOR, cap)) {
		int err = map_cap(v, cap);
		if (err)
			return err;
	}
	return v->common && v->notify ? 0 : TOY_ERR_NOTSUP;
}

static uint64_t device_features(struct virtio_dev *v)
{
	mmio_write32(v->common + C_DFSELECT, 0);
	uint64_t lo = mmio_read32(v->common + C_DF);
	mmio_write32(v->common + C_DFSELECT, 1);
	return (uint64_t)mmio_read32(v->common + C_DF) << 32 | lo;
}

static void set_status(struct virtio_dev *v, uint8_t bits)
{
	mmio_write8(v->common + C_STATUS, mmio_read8(v->common + C_STATUS) | bits);
}

int virtio_init(struct virtio_dev *v, const struct pci_dev *p, uint64_t wanted)
{
	v->pci = *p;
	pci_enable(p);
	int err = find_windows(v);
	if (err)
		return err;
	mmio_write8(v->common + C_STATUS, 0);
	while (mmio_read8(v->common + C_STATUS))
		arch_cpu_relax();
	set_status(v, S_ACK | S_DRIVER);
	v->features = device_features(v) & (wanted | VIRTIO_F_VERSION_1);
	if (!(v->features & VIRTIO_F_VERSION_1))
		return TOY_ERR_NOTSUP;
	mmio_write32(v->common + C_GFSELECT, 0);
	mmio_write32(v->common + C_GF, (uint32_t)v->features);
	mmio_write32(v->common + C_GFSELECT, 1);
	mmio_write32(v->common + C_GF, (uint32_t)(v->features >> 32));
	set_status(v, S_FEATURES_OK);
	if (!(mmio_read8(v->common + C_STATUS) & S_FEATURES_OK)) {
		set_status(v, S_FAILED);
		return TOY_ERR_IO;
	}
	return 0;
}

static void *page(uint64_t *pa)
{
	*pa = pmm_alloc(1);
	return *pa ? arch_phys_to_virt(*pa) : NULL;
}

int virtq_init(struct virtio_dev *v, unsigned index, struct virtq *q)
{
	mmio_write16(v->common + C_Q_SELECT, (uint16_t)index);
	uint16_t size = mmio_read16(v->common + C_Q_SIZE);
	if (!size)
		return TOY_ERR_NOTFOUND;
	if (size > VIRTQ_MAX_SIZE)
		size = VIRTQ_MAX_SIZE;
	uint64_t desc_pa, avail_pa, used_pa;
	q->desc = page(&desc_pa);
	q->avail = page(&avail_pa);
	q->used = page(&used_pa);
	if (!q->desc || !q->avail || !q->used)
		return TOY_ERR_NOMEM;
	if (v->nqueues == VIRTIO_MAX_QUEUES)
		return TOY_ERR_LIMIT;
	v->queues[v->nqueues++] = q;
	q->dev = v;
	q->index = (uint16_t)index;
	q->timeout_ns = REQUEST_TIMEOUT_NS;
	q->size = size;
	q->avail[0] = AVAIL_NO_INTERRUPT;
	mmio_write16(v->common + C_Q_SIZE, size);
	mmio_write16(v->common + C_Q_MSIX, 0xffff);
	mmio_write64(v->common + C_Q_DESC, desc_pa);
	mmio_write64(v->common + C_Q_DRIVER, avail_pa);
	mmio_write64(v->common + C_Q_DEVICE, used_pa);
	uint16_t noff = mmio_read16(v->common + C_Q_NOFF);
	q->notify = (volatile uint16_t *)(v->notify + (uint64_t)noff * v->notify_mult);
	mmio_write16(v->common + C_Q_ENABLE, 1);
	return 0;
}

void virtio_start(struct virtio_dev *v)
{
	set_status(v, S_DRIVER_OK);
}

/* The line may be shared: reading the ISR status says (and acknowledges)
 * whether this device raised it. */
static void virtio_interrupt(void *arg)
{
	struct virtio_dev *v = arg;
	if (!(mmio_read8(v->isr) & 1))
		return;
	v->interrupts++;
	for (unsigned i = 0; i < v->nqueues; i++)
		waitq_wake_all(&v->queues[i]->waiters);
}

static int use_irq(struct virtio_dev *v)
{
	char arg[8];
	uint8_t line = pci_read8(&v->pci, PCI_INTERRUPT_LINE);
	uint8_t pin = pci_read8(&v->pci, PCI_INTERRUPT_PIN);
	if (!v->isr || !pin || line == 0xff || cmdline_get("toy.virtio", arg, sizeof(arg)))
		return TOY_ERR_NOTSUP;
	if (!v->irq && arch_irq_register(line, virtio_interrupt, v) != 0)
		return TOY_ERR_NOTSUP;
	v->irq = true;
	for (unsigned i = 0; i < v->nqueues; i++)
		v->queues[i]->avail[0] = 0; /* interrupts wanted */
	return 0;
}

static void use_polling(struct virtio_dev *v)
{
	v->irq = false;
	for (unsigned i = 0; i < v->nqueues; i++)
		v->queues[i]->avail[0] = AVAIL_NO_INTERRUPT;
}

static void finish_late(struct virtq *q);

static void set_timeouts(struct virtio_dev *v, uint64_t ns)
{
	for (unsigned i = 0; i < v->nqueues; i++)
		v->queues[i]->timeout_ns = ns;
}

bool virtio_choose_irq(struct virtio_dev *v, int (*probe)(void *arg), void *arg)
{
	if (use_irq(v) != 0)
		return false;
	set_timeouts(v, PROBE_TIMEOUT_NS);
	int err = probe(arg);
	set_timeouts(v, REQUEST_TIMEOUT_NS);
	if (err || !v->interrupts) {
		klog(LOG_WARN, "virtio %02x:%02x: no interrupt on line %u, polling instead",
		     v->pci.bus, v->pci.dev, pci_read8(&v->pci, PCI_INTERRUPT_LINE));
		use_polling(v);
		for (unsigned i = 0; i < v->nqueues; i++)
			finish_late(v->queues[i]);
	}
	return v->irq;
}

/* Appends descriptors for buf, one per physically contiguous run (pages
 * of one buffer that happen to be adjacent share a descriptor). */
static int add_buf(struct virtq *q, const struct virtq_buf *b, unsigned *n)
{
	uintptr_t va = (uintptr_t)b->addr, end = va + b->len;
	unsigned first = *n;
	while (va < end) {
		uintptr_t page_end = (va | (ARCH_PAGE_SIZE - 1)) + 1;
		uint32_t len = (uint32_t)((page_end < end ? page_end : end) - va);
		uint64_t pa = arch_virt_to_phys((const void *)va);
		if (pa == UINT64_MAX)
			return TOY_ERR_INVAL;
		struct virtq_desc *prev = *n > first ? &q->desc[*n - 1] : NULL;
		if (prev && prev->addr + prev->len == pa) {
			prev->len += len;
		} else {
			if (*n >= q->size || *n >= VIRTQ_MAX_SEGS)
				return TOY_ERR_RANGE;
			q->desc[*n] = (struct virtq_desc){
			    pa, len, b->device_writes ? DESC_WRITE : 0, (uint16_t)(*n + 1)};
			(*n)++;
		}
		va += len;
	}
	return 0;
}

static int build_chain(struct virtq *q, const struct virtq_buf *bufs, unsigned nbufs, unsigned *n)
{
	*n = 0;
	for (unsigned i = 0; i < nbufs; i++) {
		int err = add_buf(q, &bufs[i], n);
		if (err)
			return err;
	}
	for (unsigned i = 0; i + 1 < *n; i++)
		q->desc[i].flags |= DESC_NEXT;
	return *n ? 0 : TOY_ERR_INVAL;
}

static uint16_t used_idx(struct virtq *q)
{
	return *(volatile uint16_t *)(q->used + 2);
}

/* Blocks until the interrupt handler sees the request done. */
static bool sleep_until_used(struct virtq *q, uint64_t deadline)
{
	bool on = arch_irq_save();
	while (used_idx(q) == q->last_used && waitq_block_until(&q->waiters, deadline))
		;
	bool done = used_idx(q) != q->last_used;
	arch_irq_restore(on);
	return done;
}

static bool poll_until_used(struct virtq *q, uint64_t deadline)
{
	for (unsigned spins = 0; used_idx(q) == q->last_used; spins++) {
		if (spins > 64)
			thread_yield();
		if ((spins & 1023) == 1023 && arch_time_ns() > deadline)
			return false;
		arch_cpu_relax();
	}
	return true;
}

/* After a timed-out probe, waits (polling) for the device to finish the
 * request so the queue can be used again. */
static void finish_late(struct virtq *q)
{
	if (q->broken && poll_until_used(q, arch_time_ns() + REQUEST_TIMEOUT_NS)) {
		q->last_used++;
		q->broken = false;
	}
}

static int64_t wait_used(struct virtq *q)
{
	uint64_t deadline = arch_time_ns() + q->timeout_ns;
	bool done = q->dev->irq ? sleep_until_used(q, deadline) : poll_until_used(q, deadline);
	if (!done)
		return TOY_ERR_IO;
	arch_mb();
	volatile uint32_t *elem = (volatile uint32_t *)(q->used + 4 + 8 * (q->last_used % q->size));
	q->last_used++;
	return elem[1];
}

/* Waits for the request in flight, if any, and gives its owner the
 * result. Called with the queue's lock held. */
static void finish_inflight(struct virtq *q)
{
	struct virtq_req *req = q->inflight;
	if (!req)
		return;
	req->result = wait_used(q);
	q->broken = req->result == TOY_ERR_IO;
	q->inflight = NULL;
}

int virtq_start(struct virtq *q, const struct virtq_buf *bufs, unsigned nbufs,
		struct virtq_req *req)
{
	mutex_lock(&q->lock);
	finish_inflight(q);
	unsigned n;
	int64_t r = q->broken ? TOY_ERR_IO : build_chain(q, bufs, nbufs, &n);
	if (!r) {
		uint16_t idx = q->avail[1];
		q->avail[2 + idx % q->size] = 0; /* the chain starts at descriptor 0 */
		arch_mb();
		q->avail[1] = (uint16_t)(idx + 1);
		arch_mb();
		mmio_write16(q->notify, q->index);
		req->result = 0;
		q->inflight = req;
		q->requests++;
	}
	mutex_unlock(&q->lock);
	return (int)r;
}

int64_t virtq_wait(struct virtq *q, struct virtq_req *req)
{
	mutex_lock(&q->lock);
	if (q->inflight == req)
		finish_inflight(q);
	mutex_unlock(&q->lock);
	return req->result;
}

int64_t virtq_transfer(struct virtq *q, const struct virtq_buf *bufs, unsigned nbufs)
{
	struct virtq_req req;
	int r = virtq_start(q, bufs, nbufs, &req);
	return r ? r : virtq_wait(q, &req);
}
