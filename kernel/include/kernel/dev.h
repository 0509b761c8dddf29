/* kernel/dev.h — device discovery and the drivers' kernel-facing API.
 *
 * dev_init scans PCI and starts a driver for every device it knows
 * (virtio-blk, virtio-rng). Block devices are numbered in discovery
 * order. Block I/O is synchronous and may be called from any thread (one
 * request at a time per disk; callers queue on a mutex and sleep until the
 * completion interrupt). */
#ifndef KERNEL_DEV_H
#define KERNEL_DEV_H

#include <stddef.h>
#include <stdint.h>

void dev_init(void);

struct blkdev;

/* The n-th disk, or NULL. */
struct blkdev *blk_get(unsigned n);

/* Capacity in 512-byte sectors. */
uint64_t blk_sectors(const struct blkdev *d);

/* Move count sectors at sector. Return 0 or TOY_ERR_IO / TOY_ERR_RANGE. */
int blk_read(struct blkdev *d, uint64_t sector, uint32_t count, void *buf);
int blk_write(struct blkdev *d, uint64_t sector, uint32_t count, const void *buf);
int blk_flush(struct blkdev *d);

/* One buffer of blk_readv: count sectors at buf. */
struct blk_iov {
	void *buf;
	uint32_t count;
};

#define BLK_READV_MAX_IOV   8u
#define BLK_READV_MAX_BYTES (72u * 4096u)

/* Starts reading consecutive sectors from sector on into the buffers in
 * turn, with one request: at most BLK_READV_MAX_IOV buffers,
 * BLK_READV_MAX_BYTES in all (else TOY_ERR_RANGE). The caller goes on
 * while the disk works; the buffers are the disk's until blk_readv_wait
 * returns the outcome (0 or TOY_ERR_IO). One such read per disk at a
 * time: TOY_ERR_BUSY while one is not waited for; waiting with none
 * started gives TOY_ERR_INVAL. */
int blk_readv_start(struct blkdev *d, uint64_t sector, const struct blk_iov *iov, unsigned n);
int blk_readv_wait(struct blkdev *d);

/* Completion interrupts the disk has raised (0 when it is polled). */
uint64_t blk_interrupts(const struct blkdev *d);

/* Fills buf from the first virtio-rng device. TOY_ERR_NOTFOUND if none. */
int rng_read(void *buf, size_t n);

#endif
