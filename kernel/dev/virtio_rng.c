/* virtio_rng.c — the virtio entropy device (virtio 1.x section 5.4): one
 * queue; each request is a device-writable buffer the device fills with
 * random bytes, possibly fewer than asked. */
#include <kernel/dev.h>
#include <kernel/kernel.h>
#include <kernel/log.h>
#include <kernel/mem.h>
#include <toy/err.h>

#include "virtio.h"

static struct virtio_dev rng_dev;
static struct virtq rng_q;
static bool rng_ok;

int rng_read(void *buf, size_t n)
{
	if (!rng_ok)
		return TOY_ERR_NOTFOUND;
	uint8_t *p = buf;
	for (unsigned tries = 0; n && tries < 64; tries++) {
		uint32_t want = n < 4096 ? (uint32_t)n : 4096;
		struct virtq_buf b = {p, want, true};
		int64_t got = virtq_transfer(&rng_q, &b, 1);
		if (got < 0)
			return (int)got;
		if ((uint64_t)got > want)
			return TOY_ERR_IO;
		p += got;
		n -= (size_t)got;
	}
	return n ? TOY_ERR_IO : 0;
}

static int probe_read(void *arg)
{
	uint8_t buf[16];
	(void)arg;
	return rng_read(buf, sizeof(buf));
}

void virtio_rng_probe(const struct pci_dev *p)
{
	if (rng_ok)
		return;
	int err = virtio_init(&rng_dev, p, 0);
	if (!err)
		err = virtq_init(&rng_dev, 0, &rng_q);
	if (err) {
		klog(LOG_ERROR, "virtio-rng %02x:%02x: %s", p->bus, p->dev, toy_strerror(err));
		return;
	}
	virtio_start(&rng_dev);
	rng_ok = true;
	bool irq = virtio_choose_irq(&rng_dev, probe_read, NULL);
	random_add_source(rng_read);
	klog(LOG_INFO, "virtio-rng %02x:%02x: entropy source, %s", p->bus, p->dev,
	     irq ? "interrupts" : "polled");
}
