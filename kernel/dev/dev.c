/* dev.c — device discovery: one PCI scan at boot, each function matched
 * against the drivers' vendor and device IDs. Both the modern-only IDs
 * (0x1040 + virtio type) and the transitional ones are accepted; the
 * drivers themselves use only the modern interface. */
#include <kernel/dev.h>
#include <kernel/log.h>

#include "virtio.h"

static unsigned nfunctions;

static void probe(const struct pci_dev *p)
{
	nfunctions++;
	klog(LOG_DEBUG, "pci %02x:%02x.%x %04x:%04x class %02x%02x", p->bus, p->dev, p->fn,
	     p->vendor, p->device, p->class, p->subclass);
	if (p->vendor != VIRTIO_VENDOR)
		return;
	if (p->device == 0x1042 || p->device == 0x1001)
		virtio_blk_probe(p);
	else if (p->device == 0x1044 || p->device == 0x1005)
		virtio_rng_probe(p);
}

void dev_init(void)
{
	pci_scan(probe);
	klog(LOG_INFO, "pci: %u functions", nfunctions);
}
