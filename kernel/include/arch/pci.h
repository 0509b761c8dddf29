/* arch/pci.h — PCI configuration space access. x86_64 uses the legacy
 * 0xCF8/0xCFC ports; an ECAM arch maps the window and reads it. Offsets are
 * 4-byte aligned. */
#ifndef ARCH_PCI_H
#define ARCH_PCI_H

#include <stdint.h>

uint32_t arch_pci_read32(unsigned bus, unsigned dev, unsigned fn, unsigned off);
void arch_pci_write32(unsigned bus, unsigned dev, unsigned fn, unsigned off, uint32_t v);

#endif
