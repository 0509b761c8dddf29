/* pci.c — PCI enumeration and the config-space helpers the drivers use.
 *
 * The scan starts at bus 0 and follows PCI-to-PCI bridges to their
 * secondary buses rather than probing all 256 buses: each config access is
 * a trap to the hypervisor, and the scan is on the boot path. */
#include <arch/pci.h>

#include "pci.h"

#define PCI_VENDOR    0x00
#define PCI_COMMAND   0x04
#define PCI_STATUS    0x06
#define PCI_CLASS     0x08
#define PCI_HEADER    0x0e
#define PCI_BAR0      0x10
#define PCI_SECONDARY 0x19
#define PCI_CAP_PTR   0x34
#define STATUS_CAPS   0x10
#define CMD_MEM       0x02
#define CMD_MASTER    0x04

uint32_t pci_read32(const struct pci_dev *p, unsigned off)
{
	return arch_pci_read32(p->bus, p->dev, p->fn, off & ~3u);
}

uint16_t pci_read16(const struct pci_dev *p, unsigned off)
{
	return (uint16_t)(pci_read32(p, off) >> (8 * (off & 2)));
}

uint8_t pci_read8(const struct pci_dev *p, unsigned off)
{
	return (uint8_t)(pci_read32(p, off) >> (8 * (off & 3)));
}

void pci_write16(const struct pci_dev *p, unsigned off, uint16_t v)
{
	uint32_t word = pci_read32(p, off);
	unsigned shift = 8 * (off & 2);
	word = (word & ~(0xffffu << shift)) | (uint32_t)v << shift;
	arch_pci_write32(p->bus, p->dev, p->fn, off & ~3u, word);
}

static void scan_bus(unsigned bus, void (*fn)(const struct pci_dev *p), unsigned depth);

static void scan_function(struct pci_dev *p, void (*fn)(const struct pci_dev *p), unsigned depth)
{
	uint32_t class = pci_read32(p, PCI_CLASS);
	p->class = (uint8_t)(class >> 24);
	p->subclass = (uint8_t)(class >> 16);
	fn(p);
	if (p->class == 0x06 && p->subclass == 0x04 && depth < 8) {
		unsigned secondary = pci_read8(p, PCI_SECONDARY);
		if (secondary > p->bus)
			scan_bus(secondary, fn, depth + 1);
	}
}

static void scan_bus(unsigned bus, void (*fn)(const struct pci_dev *p), unsigned depth)
{
	for (unsigned dev = 0; dev < 32; dev++) {
		struct pci_dev p = {(uint8_t)bus, (uint8_t)dev, 0, 0, 0, 0, 0};
		uint32_t id = pci_read32(&p, PCI_VENDOR);
		if ((id & 0xffff) == 0xffff)
			continue;
		unsigned nfn = pci_read8(&p, PCI_HEADER) & 0x80 ? 8 : 1;
		for (unsigned f = 0; f < nfn; f++) {
			p.fn = (uint8_t)f;
			id = pci_read32(&p, PCI_VENDOR);
			if ((id & 0xffff) == 0xffff)
				continue;
			p.vendor = (uint16_t)id;
			p.device = (uint16_t)(id >> 16);
			scan_function(&p, fn, depth);
		}
	}
}

void pci_scan(void (*fn)(const struct pci_dev *p))
{
	scan_bus(0, fn, 0);
}

uint64_t pci_bar(const struct pci_dev *p, unsigned i)
{
	if (i > 5)
		return 0;
	uint32_t lo = pci_read32(p, PCI_BAR0 + 4 * i);
	if (lo & 1)
		return 0; /* I/O space */
	uint64_t addr = lo & ~0xfu;
	if ((lo & 0x6) == 0x4 && i < 5)
		addr |= (uint64_t)pci_read32(p, PCI_BAR0 + 4 * (i + 1)) << 32;
	return addr;
}

unsigned pci_find_cap(const struct pci_dev *p, uint8_t id, unsigned from)
{
	if (!(pci_read16(p, PCI_STATUS) & STATUS_CAPS))
		return 0;
	unsigned off = from ? pci_read8(p, from + 1) : pci_read8(p, PCI_CAP_PTR);
	for (unsigned guard = 0; off >= 0x40 && guard < 48; guard++) {
		off &= ~3u;
		if (pci_read8(p, off) == id)
			return off;
		off = pci_read8(p, off + 1);
	}
	return 0;
}

void pci_enable(const struct pci_dev *p)
{
	pci_write16(p, PCI_COMMAND, pci_read16(p, PCI_COMMAND) | CMD_MEM | CMD_MASTER);
}
