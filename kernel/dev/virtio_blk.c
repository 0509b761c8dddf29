/* virtio_blk.c — the virtio block device (virtio 1.x section 5.2).
 *
 * A request is three buffers: a 16-byte header (type, sector), the data,
 * and a one-byte status the device writes; header and status live on the
 * caller's stack (virtq_transfer translates any kernel address). Large
 * transfers are cut into requests of at most MAX_REQ_BYTES so a chain never
 * needs more than VIRTQ_MAX_SEGS descriptors. A vectored read is one
 * request whose data is several buffers, within the same bound; it runs
 * while its caller goes on (blk_readv_start, blk_readv_wait), its header
 * and status kept in the disk's struct, one such read per disk at a time.
 * Flush is offered by QEMU (VIRTIO_BLK_F_FLUSH) and required here: the
 * store's commit depends on it. */
#include <kernel/dev.h>
#include <kernel/log.h>
#include <kernel/mem.h>
#include <kernel/mmio.h>
#include <toy/err.h>

#include "virtio.h"

#define BLK_F_FLUSH   (1ull << 9)
#define T_IN          0
#define T_OUT         1
#define T_FLUSH       4
#define MAX_REQ_BYTES (64u * 4096u)
#define MAX_DISKS     4

/* n buffers of data span at most BLK_READV_MAX_BYTES / 4096 + n pages, a
 * descriptor each; the header and the status take one each. */
_Static_assert(BLK_READV_MAX_BYTES / 4096 + BLK_READV_MAX_IOV + 2 <= VIRTQ_MAX_SEGS,
	       "a vectored read must fit one chain");

struct blk_req {
	uint32_t type, reserved;
	uint64_t sector;
	uint8_t status;
};

struct blkdev {
	struct virtio_dev vdev;
	struct virtq q;
	uint64_t sectors;
	bool reading; /* a blk_readv_start not yet waited for, with: */
	struct blk_req readv_hdr;
	struct virtq_req readv_req;
};

static struct blkdev *disks[MAX_DISKS];
static unsigned ndisks;

static int request(struct blkdev *d, uint32_t type, uint64_t sector, void *buf, uint32_t len)
{
	struct blk_req r = {type, 0, sector, 0xff};
	struct virtq_buf bufs[3] = {
	    {&r, 16, false}, {buf, len, type == T_IN}, {&r.status, 1, true}};
	if (len == 0)
		bufs[1] = bufs[2];
	int64_t n = virtq_transfer(&d->q, bufs, len ? 3 : 2);
	return n < 0 || r.status != 0 ? TOY_ERR_IO : 0;
}

static bool in_range(const struct blkdev *d, uint64_t sector, uint64_t count)
{
	return sector <= d->sectors && count <= d->sectors - sector;
}

static int rw(struct blkdev *d, uint32_t type, uint64_t sector, uint32_t count, void *buf)
{
	if (!in_range(d, sector, count))
		return TOY_ERR_RANGE;
	uint8_t *p = buf;
	while (count) {
		uint32_t n = count < MAX_REQ_BYTES / 512 ? count : MAX_REQ_BYTES / 512;
		int err = request(d, type, sector, p, n * 512);
		if (err)
			return err;
		sector += n;
		count -= n;
		p += (size_t)n * 512;
	}
	return 0;
}

int blk_read(struct blkdev *d, uint64_t sector, uint32_t count, void *buf)
{
	return rw(d, T_IN, sector, count, buf);
}

int blk_readv_start(struct blkdev *d, uint64_t sector, const struct blk_iov *iov, unsigned n)
{
	struct virtq_buf bufs[BLK_READV_MAX_IOV + 2];
	uint64_t bytes = 0;
	if (d->reading)
		return TOY_ERR_BUSY;
	if (n == 0 || n > BLK_READV_MAX_IOV)
		return TOY_ERR_RANGE;
	d->readv_hdr = (struct blk_req){T_IN, 0, sector, 0xff};
	bufs[0] = (struct virtq_buf){&d->readv_hdr, 16, false};
	for (unsigned i = 0; i < n; i++) {
		bufs[1 + i] = (struct virtq_buf){iov[i].buf, iov[i].count * 512, true};
		bytes += (uint64_t)iov[i].count * 512;
	}
	bufs[n + 1] = (struct virtq_buf){&d->readv_hdr.status, 1, true};
	if (bytes > BLK_READV_MAX_BYTES || !in_range(d, sector, bytes / 512))
		return TOY_ERR_RANGE;
	int err = virtq_start(&d->q, bufs, n + 2, &d->readv_req);
	d->reading = !err;
	return err;
}

int blk_readv_wait(struct blkdev *d)
{
	if (!d->reading)
		return TOY_ERR_INVAL;
	d->reading = false;
	int64_t got = virtq_wait(&d->q, &d->readv_req);
	return got < 0 || d->readv_hdr.status != 0 ? TOY_ERR_IO : 0;
}

int blk_write(struct blkdev *d, uint64_t sector, uint32_t count, const void *buf)
{
	return rw(d, T_OUT, sector, count, (void *)buf);
}

int blk_flush(struct blkdev *d)
{
	return request(d, T_FLUSH, 0, NULL, 0);
}

struct blkdev *blk_get(unsigned n)
{
	return n < ndisks ? disks[n] : NULL;
}

uint64_t blk_interrupts(const struct blkdev *d)
{
	return d->vdev.interrupts;
}

uint64_t blk_sectors(const struct blkdev *d)
{
	return d->sectors;
}

/* Reads the first sector: the request that shows interrupts work. */
static int probe_read(void *arg)
{
	uint8_t sector[512];
	return request(arg, T_IN, 0, sector, sizeof(sector));
}

void virtio_blk_probe(const struct pci_dev *p)
{
	struct blkdev *d = kzalloc(sizeof(*d));
	if (!d || ndisks == MAX_DISKS)
		goto fail;
	int err = virtio_init(&d->vdev, p, BLK_F_FLUSH);
	if (!err && !(d->vdev.features & BLK_F_FLUSH))
		err = TOY_ERR_NOTSUP;
	if (!err && d->vdev.config)
		err = virtq_init(&d->vdev, 0, &d->q);
	if (err || !d->vdev.config) {
		klog(LOG_ERROR, "virtio-blk %02x:%02x: %s", p->bus, p->dev, toy_strerror(err));
		goto fail;
	}
	d->sectors = mmio_read32(d->vdev.config) | (uint64_t)mmio_read32(d->vdev.config + 4) << 32;
	virtio_start(&d->vdev);
	bool irq = virtio_choose_irq(&d->vdev, probe_read, d);
	klog(LOG_INFO, "virtio-blk %02x:%02x: disk %u, %llu MiB, %s", p->bus, p->dev, ndisks,
	     (unsigned long long)(d->sectors / 2048), irq ? "interrupts" : "polled");
	disks[ndisks++] = d;
	return;
fail:
	kfree(d);
}
