/* pci.h — PCI devices as the drivers in kernel/dev see them. Config space
 * goes through arch_pci_read32/arch_pci_write32 (ports on x86_64, ECAM
 * elsewhere), so this code is the same on every arch. */
#ifndef DEV_PCI_H
#define DEV_PCI_H

#include <stdint.h>

struct pci_dev {
	uint8_t bus, dev, fn;
	uint16_t vendor, device;
	uint8_t class, subclass;
};

#define PCI_CAP_VENDOR     0x09
#define PCI_INTERRUPT_LINE 0x3c
#define PCI_INTERRUPT_PIN  0x3d

uint8_t pci_read8(const struct pci_dev *p, unsigned off);
uint16_t pci_read16(const struct pci_dev *p, unsigned off);
uint32_t pci_read32(const struct pci_dev *p, unsigned off);
void pci_write16(const struct pci_dev *p, unsigned off, uint16_t v);

/* Calls fn for every function present, bridges followed. */
void pci_scan(void (*fn)(const struct pci_dev *p));

/* Physical address of memory BAR i (64-bit BARs included), or 0 for an
 * I/O or unset BAR. */
uint64_t pci_bar(const struct pci_dev *p, unsigned i);

/* Offset of the first capability with id after offset from (0: from the
 * start of the list), or 0 when there is none. */
unsigned pci_find_cap(const struct pci_dev *p, uint8_t id, unsigned from);

/* Turns on memory decoding and bus mastering (DMA). */
void pci_enable(const struct pci_dev *p);

#endif
