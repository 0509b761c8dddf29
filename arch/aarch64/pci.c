/* pci.c (aarch64) — PCI configuration space through the ECAM window of
 * QEMU virt's PCIe host bridge (its address comes from the devicetree).
 *
 * On x86_64 the firmware assigns BARs and interrupt lines before the
 * kernel starts; a kernel started straight by QEMU on virt finds them
 * unassigned. So the first config access does the firmware's part for
 * bus 0: each BAR gets an aligned range of the 32-bit PCI memory window,
 * and the interrupt line register gets the GIC INTID its pin is routed
 * to (virt swizzles INTA-INTD of slot s onto SPIs 3-6 from s % 4). Under
 * UEFI this redoes the firmware's assignment, which is just as valid. */
#include <arch/irq.h>
#include <arch/pci.h>
#include <stdbool.h>

#include "a64.h"

#define PCI_COMMAND   0x04
#define PCI_HEADER    0x0c
#define PCI_BAR0      0x10
#define PCI_INTERRUPT 0x3c

uint64_t a64_ecam_base = 0x4010000000ull; /* virt's default; the devicetree may say otherwise */
static bool assigned;
static uint64_t next_mmio = PCI_MMIO;

static volatile uint32_t *cfg(unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
	uint64_t a = a64_ecam_base + ((uint64_t)bus << 20 | dev << 15 | fn << 12 | (off & 0xffc));
	return (volatile uint32_t *)phys(a);
}

/* Sizes BAR i and gives it a range; returns how many BAR slots it used. */
static unsigned assign_bar(unsigned dev, unsigned fn, unsigned i)
{
	volatile uint32_t *bar = cfg(0, dev, fn, PCI_BAR0 + 4 * i);
	uint32_t old = *bar;
	*bar = ~0u;
	uint32_t mask = *bar;
	bool is64 = (old & 0x7) == 0x4;
	if ((old & 1) || !(mask & ~0xfu)) {
		*bar = old;
		return 1; /* I/O space or no BAR */
	}
	uint64_t size = (uint64_t)(~(mask & ~0xfu)) + 1;
	size &= 0xffffffffull;
	uint64_t base = (next_mmio + size - 1) & ~(size - 1);
	if (base + size > PCI_MMIO_END)
		base = 0; /* out of window: leave it off */
	else
		next_mmio = base + size;
	*bar = (uint32_t)base | (old & 0xf);
	if (is64)
		*cfg(0, dev, fn, PCI_BAR0 + 4 * (i + 1)) = 0;
	return is64 ? 2 : 1;
}

static void assign_function(unsigned dev, unsigned fn)
{
	if ((*cfg(0, dev, fn, PCI_HEADER) >> 16 & 0x7f) != 0)
		return; /* bridges: none on virt's bus 0 */
	*cfg(0, dev, fn, PCI_COMMAND) &= ~0x7u;
	for (unsigned i = 0; i < 6;)
		i += assign_bar(dev, fn, i);
	volatile uint32_t *intr = cfg(0, dev, fn, PCI_INTERRUPT);
	unsigned pin = *intr >> 8 & 0xff;
	unsigned line = pin ? IRQ_PCI + (dev + pin - 1) % 4 : 0xff;
	*intr = (*intr & ~0xffu) | line;
}

static void assign_all(void)
{
	assigned = true;
	for (unsigned dev = 0; dev < 32; dev++) {
		if ((*cfg(0, dev, 0, 0) & 0xffff) == 0xffff)
			continue;
		unsigned nfn = *cfg(0, dev, 0, PCI_HEADER) >> 16 & 0x80 ? 8 : 1;
		for (unsigned fn = 0; fn < nfn; fn++)
			if ((*cfg(0, dev, fn, 0) & 0xffff) != 0xffff)
				assign_function(dev, fn);
	}
}

uint32_t arch_pci_read32(unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
	if (!assigned)
		assign_all();
	return *cfg(bus, dev, fn, off);
}

void arch_pci_write32(unsigned bus, unsigned dev, unsigned fn, unsigned off, uint32_t v)
{
	if (!assigned)
		assign_all();
	*cfg(bus, dev, fn, off) = v;
}
