/* pci.c (x86_64) — PCI configuration space through the legacy mechanism #1
 * ports: the address goes to 0xcf8, the data moves through 0xcfc. */
#include <arch/irq.h>
#include <arch/pci.h>

static uint32_t address(unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
	return 0x80000000u | bus << 16 | dev << 11 | fn << 8 | (off & 0xfc);
}

uint32_t arch_pci_read32(unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
	bool on = arch_irq_save();
	outl(0xcf8, address(bus, dev, fn, off));
	uint32_t v = inl(0xcfc);
	arch_irq_restore(on);
	return v;
}

void arch_pci_write32(unsigned bus, unsigned dev, unsigned fn, unsigned off, uint32_t v)
{
	bool on = arch_irq_save();
	outl(0xcf8, address(bus, dev, fn, off));
	outl(0xcfc, v);
	arch_irq_restore(on);
}
