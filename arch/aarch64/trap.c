/* trap.c (aarch64) — exception reports, the GICv3 and interrupt dispatch.
 *
 * A data abort at an address in the map window may be a page-cache
 * window's page not yet faulted in: a64_sync, on the exception stack,
 * returns for those, and exceptions.S enters a64_fault on the thread's own
 * stack, where kernel_page_fault may block on the disk with interrupts
 * enabled (if they were at the fault) while other threads run. Every
 * other exception in the kernel is a kernel bug: a64_sync prints a report that
 * can be read without a debugger (the exception class and, for aborts,
 * the fault status, the faulting address and whether it was a read or a
 * write; every register; a backtrace from the frame's x29) and powers off
 * with a failure status. Interrupts come through the GICv3 on QEMU virt
 * (distributor and redistributor through the direct map, the CPU
 * interface through system registers): the virtual timer's PPI and the
 * PCI INTx lines, SPIs 3-6 (INTIDs 35-38). Lines may be shared, so every
 * handler on a line runs and the end of interrupt comes after them. */
#include <arch/cpu.h>
#include <arch/irq.h>
#include <arch/mmu.h>
#include <kernel/log.h>
#include <kernel/pagecache.h>
#include <toy/err.h>

#include "a64.h"

#define GICD_CTLR       0x0000
#define GICD_IGROUPR    0x0080
#define GICD_ISENABLER  0x0100
#define GICD_IPRIORITYR 0x0400
#define GICD_IROUTER    0x6000
#define GICR_WAKER      0x0014
#define GICR_SGI        0x10000 /* the SGI/PPI frame */
#define NLINES          4
#define LINE_HANDLERS   4

struct irq_handler {
	void (*fn)(void *arg);
	void *arg;
};

static struct irq_handler handlers[NLINES][LINE_HANDLERS];

static volatile uint32_t *gicd(unsigned off)
{
	return (volatile uint32_t *)phys(GICD_BASE + off);
}

static volatile uint32_t *gicr(unsigned off)
{
	return (volatile uint32_t *)phys(GICR_BASE + off);
}

static void gicd_wait(void)
{
	for (int i = 0; (*gicd(GICD_CTLR) & (1u << 31)) && i < 1000000; i++)
		;
}

void a64_gic_init(void)
{
	*gicd(GICD_CTLR) = 0;
	gicd_wait();
	*gicd(GICD_CTLR) = 1u << 4 | 1u << 1 | 1u << 0; /* ARE, Group 1, Group 0 */
	gicd_wait();
	*gicr(GICR_WAKER) &= ~(1u << 1); /* the redistributor wakes up */
	for (int i = 0; (*gicr(GICR_WAKER) & (1u << 2)) && i < 1000000; i++)
		;
	*gicr(GICR_SGI + GICD_IGROUPR) = ~0u;
	SYSREG_WRITE(icc_sre_el1, SYSREG_READ(icc_sre_el1) | 1);
	__asm__ volatile("isb");
	SYSREG_WRITE(icc_pmr_el1, 0xff);
	SYSREG_WRITE(icc_bpr1_el1, 0);
	SYSREG_WRITE(icc_igrpen1_el1, 1);
	__asm__ volatile("isb");
}

/* Enables INTID intid (a PPI or an SPI) in group 1, routed to this CPU. */
void a64_gic_enable(unsigned intid)
{
	if (intid < 32) {
		((volatile uint8_t *)gicr(GICR_SGI + GICD_IPRIORITYR))[intid] = 0x80;
		*gicr(GICR_SGI + GICD_ISENABLER) = 1u << intid;
		return;
	}
	*gicd(GICD_IGROUPR + 4 * (intid / 32)) |= 1u << (intid % 32);
	((volatile uint8_t *)gicd(GICD_IPRIORITYR))[intid] = 0x80;
	*(volatile uint64_t *)phys(GICD_BASE + GICD_IROUTER + 8 * intid) = 0;
	*gicd(GICD_ISENABLER + 4 * (intid / 32)) = 1u << (intid % 32);
}

int arch_irq_register(unsigned line, void (*fn)(void *arg), void *arg)
{
	if (line < IRQ_PCI || line >= IRQ_PCI + NLINES)
		return TOY_ERR_INVAL;
	bool on = arch_irq_save();
	int err = TOY_ERR_LIMIT;
	struct irq_handler *h = handlers[line - IRQ_PCI];
	for (unsigned i = 0; i < LINE_HANDLERS && err; i++) {
		if (!h[i].fn) {
			h[i] = (struct irq_handler){fn, arg};
			err = 0;
		}
	}
	if (!err)
		a64_gic_enable(line);
	arch_irq_restore(on);
	return err;
}

void a64_irq(struct trap_frame *f)
{
	(void)f;
	unsigned intid = (unsigned)SYSREG_READ(icc_iar1_el1) & 0xffffff;
	if (intid >= 1020)
		return; /* spurious */
	if (intid == IRQ_TIMER) {
		a64_timer_rearm();
		SYSREG_WRITE(icc_eoir1_el1, intid); /* first: the tick may switch threads */
		kernel_timer_tick();
		return;
	}
	if (intid >= IRQ_PCI && intid < IRQ_PCI + NLINES) {
		struct irq_handler *h = handlers[intid - IRQ_PCI];
		for (unsigned i = 0; i < LINE_HANDLERS && h[i].fn; i++)
			h[i].fn(h[i].arg);
	}
	SYSREG_WRITE(icc_eoir1_el1, intid);
	kernel_irq_done();
}

/* --- reports ----------------------------------------------------------- */

static const char *class_name(unsigned ec)
{
	switch (ec) {
	case 0x00: return "unknown instruction";
	case 0x07: return "FP/SIMD access trapped";
	case 0x0e: return "illegal execution state";
	case 0x15: return "svc";
	case 0x20:
	case 0x21: return "instruction abort";
	case 0x22: return "PC alignment fault";
	case 0x24:
	case 0x25: return "data abort";
	case 0x26: return "SP alignment fault";
	case 0x2f: return "SError";
	case 0x3c: return "brk";
	default: return "other";
	}
}

static const char *fault_name(unsigned fsc)
{
	switch (fsc & 0x3c) {
	case 0x04: return "translation fault";
	case 0x08: return "access flag fault";
	case 0x0c: return "permission fault";
	}
	return fsc == 0x21 ? "alignment fault" : fsc == 0x10 ? "external abort" : "other fault";
}

static void dump_regs(const struct trap_frame *f)
{
	for (unsigned i = 0; i < 28; i += 4)
		kprintf("  x%02u %016lx x%02u %016lx x%02u %016lx x%02u %016lx\n", i, f->x[i],
			i + 1, f->x[i + 1], i + 2, f->x[i + 2], i + 3, f->x[i + 3]);
	kprintf("  x28 %016lx fp  %016lx lr  %016lx sp  %016lx\n", f->x[28], f->x[29], f->x[30],
		f->sp);
	kprintf("  pc  %016lx spsr %08lx esr %08lx far %016lx\n", f->elr, f->spsr, f->esr, f->far);
}

static void report(const struct trap_frame *f)
{
	unsigned ec = (unsigned)(f->esr >> 26) & 0x3f, iss = (unsigned)f->esr & 0x1ffffff;
	kprintf("panic: exception class 0x%x (%s), esr 0x%lx, at pc %016lx\n", ec, class_name(ec),
		f->esr, f->elr);
	if (ec == 0x24 || ec == 0x25 || ec == 0x20 || ec == 0x21) {
		kprintf("  faulting address %016lx (%s, level %u, %s)\n", f->far,
			fault_name(iss & 0x3f), iss & 3,
			ec >= 0x24 ? (iss & (1u << 6) ? "write" : "read") : "fetch");
		if (f->far + 8192 > f->sp && f->far < f->sp + 256)
			kprintf("  (just below the stack pointer: a kernel stack overflow?)\n");
	}
	dump_regs(f);
	kprintf("  at %p\n", (void *)f->elr);
	a64_print_backtrace(f->x[29], 16);
}

#define EC_DATA_ABORT_EL1 0x25
#define ESR_WNR           (1u << 6)
#define SPSR_I            (1u << 7)

/* True when [va, va + len) is mapped (the thread's stack has room). */
static bool mapped(uint64_t va, uint64_t len)
{
	uint64_t pa;
	unsigned flags;
	for (uint64_t p = va & ~0xfffull; p < va + len; p += 4096)
		if (arch_mmu_query(p, &pa, &flags))
			return false;
	return true;
}

/* A translation, access flag or permission fault on a data access in the
 * map window, from a thread whose stack can take the handler's frame. */
static bool for_page_cache(const struct trap_frame *f)
{
	unsigned ec = (unsigned)(f->esr >> 26) & 0x3f, fsc = (unsigned)f->esr & 0x3c;
	if (ec != EC_DATA_ABORT_EL1 || (fsc != 0x04 && fsc != 0x08 && fsc != 0x0c))
		return false;
	if (f->far < MAP_BASE || f->far - MAP_BASE >= MAP_SIZE)
		return false;
	return mapped(f->sp - 8192, 8192);
}

int a64_sync(struct trap_frame *f)
{
	unsigned ec = (unsigned)(f->esr >> 26) & 0x3f;
	if (ec == EC_DATA_ABORT_EL1 && a64_mmu_fault(f->far, f->esr & ESR_WNR))
		return 0;
	if (for_page_cache(f))
		return 1; /* to a64_fault, on the thread's stack */
	report(f);
	arch_poweroff(3);
}

void a64_fault(struct trap_frame *f)
{
	if (!(f->spsr & SPSR_I))
		arch_irq_enable();
	bool ok = kernel_page_fault(f->far, f->esr & ESR_WNR);
	arch_irq_disable();
	if (ok)
		return;
	report(f);
	arch_poweroff(3);
}

void a64_bad_vector(struct trap_frame *f, uint64_t which)
{
	kprintf("panic: unexpected exception vector %lu\n", which);
	report(f);
	arch_poweroff(3);
}
