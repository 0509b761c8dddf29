/* virtio.h — the virtio 1.x modern PCI transport and split virtqueues, as
 * used by the virtio drivers in kernel/dev. Requests are synchronous: the
 * driver posts one descriptor chain and waits for the used ring to move,
 * blocked until the device's interrupt or polling. */
#ifndef DEV_VIRTIO_H
#define DEV_VIRTIO_H

#include <kernel/thread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pci.h"

#define VIRTIO_VENDOR      0x1af4
#define VIRTIO_F_VERSION_1 (1ull << 32)
#define VIRTQ_MAX_SIZE     256
#define VIRTQ_MAX_SEGS     96

#define VIRTIO_MAX_QUEUES 2

struct virtq;

struct virtio_dev {
	struct pci_dev pci;
	volatile uint8_t *common, *notify, *isr, *config;
	uint32_t notify_mult;
	uint64_t features; /* negotiated */
	struct virtq *queues[VIRTIO_MAX_QUEUES];
	unsigned nqueues;
	bool irq; /* completions interrupt (else they are polled) */
	uint64_t interrupts;
};

struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags, next;
};

struct virtq {
	struct virtio_dev *dev;
	uint16_t index, size, last_used;
	struct virtq_desc *desc;
	volatile uint16_t *avail; /* flags, idx, ring[size] */
	volatile uint8_t *used;   /* flags, idx, ring[size] of {id, len} */
	volatile uint16_t *notify;
	struct mutex lock;
	struct waitq waiters; /* the requester, waiting for an interrupt */
	uint64_t timeout_ns;
	uint64_t requests;
	bool broken;                /* a request timed out: the device may still own it */
	struct virtq_req *inflight; /* started, not yet waited for */
};

/* A started request's outcome, kept by its owner (final once the queue's
 * inflight no longer points at it). */
struct virtq_req {
	int64_t result;
};

/* One buffer of a request, in kernel virtual memory. */
struct virtq_buf {
	const void *addr;
	uint32_t len;
	bool device_writes;
};

/* Maps the transport's structures, resets the device and negotiates
 * features: wanted & offered, plus VERSION_1 (required). Returns 0,
 * TOY_ERR_NOTSUP (no modern interface) or TOY_ERR_IO. */
int virtio_init(struct virtio_dev *v, const struct pci_dev *p, uint64_t wanted);

/* Sets up queue index with up to VIRTQ_MAX_SIZE entries. */
int virtq_init(struct virtio_dev *v, unsigned index, struct virtq *q);

/* Sets DRIVER_OK: the device may start. */
void virtio_start(struct virtio_dev *v);

/* Switches completions from polling to the device's PCI interrupt line
 * if it has one and toy.virtio=poll is not on the command line, then
 * checks with probe(arg), a harmless request, that the interrupt arrives;
 * if it does not, the device stays polled. Call after virtio_start.
 * Returns true when interrupts are in use. */
bool virtio_choose_irq(struct virtio_dev *v, int (*probe)(void *arg), void *arg);

/* Posts bufs as one chain, notifies, waits for completion. Returns the
 * number of bytes the device wrote, or TOY_ERR_IO (timeout), TOY_ERR_RANGE
 * (too many segments). */
int64_t virtq_transfer(struct virtq *q, const struct virtq_buf *bufs, unsigned n);

/* virtq_transfer in two halves: virtq_start posts bufs and notifies (first
 * waiting for any request in flight), returning 0, TOY_ERR_IO or
 * TOY_ERR_RANGE; the buffers then belong to the device until virtq_wait
 * for the same req returns the outcome. req must live until then. */
int virtq_start(struct virtq *q, const struct virtq_buf *bufs, unsigned n, struct virtq_req *req);
int64_t virtq_wait(struct virtq *q, struct virtq_req *req);

void virtio_blk_probe(const struct pci_dev *p);
void virtio_rng_probe(const struct pci_dev *p);

#endif
