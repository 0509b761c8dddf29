/* pci.c (host) — there is no PCI bus: every function reads as absent. */
#include <arch/pci.h>

uint32_t arch_pci_read32(unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
	(void)bus, (void)dev, (void)fn, (void)off;
	return 0xffffffffu;
}

void arch_pci_write32(unsigned bus, unsigned dev, unsigned fn, unsigned off, uint32_t v)
{
	(void)bus, (void)dev, (void)fn, (void)off, (void)v;
}
