/* trap.c (x86_64) — the IDT, exception reports and interrupt dispatch.
 *
 * A page fault first goes to the page cache (kernel_page_fault), which
 * maps the page if the address lies in one of its windows; it may block
 * on the disk, so it runs with interrupts enabled if they were at the
 * fault, on the faulting thread's stack where the frame already is, and
 * other threads run meanwhile. Every other exception in the kernel is a
 * kernel bug: x86_trap prints a report that
 * can be read without a debugger (the vector's name, the error code, the
 * faulting address for page faults, every register, a backtrace from the
 * frame's rbp) and powers off with a failure status. IRQs 0-15 come from
 * the legacy PICs, remapped to vectors 32-47: the timer on IRQ 0 and the
 * lines drivers register (PCI INTx, routed by the firmware; they may be
 * level-triggered and shared, so every handler on a line runs and the
 * EOI comes after them, once the devices have been acknowledged). */
#include <arch/cpu.h>
#include <arch/irq.h>
#include <kernel/log.h>
#include <kernel/pagecache.h>
#include <toy/err.h>

#include "x86.h"

#define IRQ_BASE 32
#define NVECTORS 48

struct __attribute__((packed)) idt_entry {
	uint16_t off_lo, sel;
	uint8_t ist, type;
	uint16_t off_mid;
	uint32_t off_hi, zero;
};

#define NLINES        16
#define LINE_HANDLERS 4

struct irq_handler {
	void (*fn)(void *arg);
	void *arg;
};

static struct idt_entry idt[NVECTORS];
static struct irq_handler handlers[NLINES][LINE_HANDLERS];
static uint16_t pic_mask = 0xfffe; /* only IRQ 0, the timer */
extern char x86_isr_stubs[];

static const char *const names[32] = {
    "divide error",
    "debug",
    "NMI",
    "breakpoint",
    "overflow",
    "bound range",
    "invalid opcode",
    "device not available",
    "double fault",
    "coprocessor overrun",
    "invalid TSS",
    "segment not present",
    "stack fault",
    "general protection",
    "page fault",
    "reserved",
    "x87 FP error",
    "alignment check",
    "machine check",
    "SIMD FP error",
    "virtualization",
    "control protection",
};

static void pic_init(void)
{
	outb(0x20, 0x11), outb(0xa0, 0x11); /* ICW1: init, ICW4 follows */
	outb(0x21, IRQ_BASE), outb(0xa1, IRQ_BASE + 8);
	outb(0x21, 4), outb(0xa1, 2); /* cascade on IRQ2 */
	outb(0x21, 1), outb(0xa1, 1); /* 8086 mode */
	outb(0x21, (uint8_t)pic_mask), outb(0xa1, (uint8_t)(pic_mask >> 8));
}

void x86_pic_eoi(unsigned irq)
{
	if (irq >= 8)
		outb(0xa0, 0x20);
	outb(0x20, 0x20);
}

void x86_idt_init(void)
{
	for (unsigned v = 0; v < NVECTORS; v++) {
		uint64_t a = (uint64_t)(uintptr_t)(x86_isr_stubs + 16 * v);
		idt[v] = (struct idt_entry){(uint16_t)a,         0x08, 0, 0x8e, (uint16_t)(a >> 16),
					    (uint32_t)(a >> 32), 0};
	}
	idt[8].ist = 1; /* double faults run on their own stack (arch.c) */
	struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} p = {sizeof(idt) - 1, (uint64_t)(uintptr_t)idt};
	__asm__ volatile("lidt %0" ::"m"(p));
	pic_init();
}

static void dump_regs(const struct trap_frame *f, uint64_t cr2)
{
	kprintf("  rax %016lx rbx %016lx rcx %016lx rdx %016lx\n", f->rax, f->rbx, f->rcx, f->rdx);
	kprintf("  rsi %016lx rdi %016lx rbp %016lx rsp %016lx\n", f->rsi, f->rdi, f->rbp, f->rsp);
	kprintf("  r8  %016lx r9  %016lx r10 %016lx r11 %016lx\n", f->r8, f->r9, f->r10, f->r11);
	kprintf("  r12 %016lx r13 %016lx r14 %016lx r15 %016lx\n", f->r12, f->r13, f->r14, f->r15);
	kprintf("  rip %016lx cs %lx rflags %08lx ss %lx cr2 %016lx cr3 %016lx\n", f->rip, f->cs,
		f->rflags, f->ss, cr2, read_cr3());
}

_Noreturn static void exception(const struct trap_frame *f, uint64_t cr2)
{
	const char *name = f->vector < 32 && names[f->vector] ? names[f->vector] : "reserved";
	kprintf("panic: exception %lu (%s), error code 0x%lx, at rip %016lx\n", f->vector, name,
		f->error, f->rip);
	if (f->vector == 8)
		kprintf("  (a fault while handling a fault: a kernel stack overflow?)\n");
	if (f->vector == 14)
		kprintf("  faulting address %016lx (%s, %s)\n", cr2,
			f->error & 1 ? "protection" : "not present",
			f->error & 2 ? "write" : "read");
	dump_regs(f, cr2);
	kprintf("  at %p\n", (void *)f->rip);
	x86_print_backtrace(f->rbp, 16);
	arch_poweroff(3);
}

int arch_irq_register(unsigned line, void (*fn)(void *arg), void *arg)
{
	if (line == 0 || line == 2 || line >= NLINES)
		return TOY_ERR_INVAL;
	bool on = arch_irq_save();
	int err = TOY_ERR_LIMIT;
	for (unsigned i = 0; i < LINE_HANDLERS && err; i++) {
		if (!handlers[line][i].fn) {
			handlers[line][i] = (struct irq_handler){fn, arg};
			err = 0;
		}
	}
	if (!err) {
		pic_mask &= (uint16_t) ~(1u << line | (line >= 8 ? 1u << 2 : 0));
		outb(0x21, (uint8_t)pic_mask), outb(0xa1, (uint8_t)(pic_mask >> 8));
	}
	arch_irq_restore(on);
	return err;
}

/* A PIC raises IRQ 7 (15) without a cause when a request vanishes before
 * it is acknowledged: then its in-service bit is clear. */
static bool spurious(unsigned irq)
{
	uint16_t port = irq == 7 ? 0x20 : 0xa0;
	outb(port, 0x0b); /* OCW3: read the in-service register */
	if (inb(port) & 0x80)
		return false;
	if (irq == 15)
		outb(0x20, 0x20); /* the master did see the cascade */
	return true;
}

#define RFLAGS_IF (1ull << 9)

/* Lets the page cache resolve a page fault; true if it did. */
static bool page_fault(const struct trap_frame *f, uint64_t cr2)
{
	if (f->error & (1u << 3 | 1u << 4)) /* reserved bit set, instruction fetch */
		return false;
	if (f->rflags & RFLAGS_IF)
		arch_irq_enable();
	bool ok = kernel_page_fault(cr2, f->error & 2);
	arch_irq_disable();
	return ok;
}

void x86_trap(struct trap_frame *f)
{
	if (f->vector == 14) {
		uint64_t cr2 = read_cr2(); /* before anything can fault again */
		if (!page_fault(f, cr2))
			exception(f, cr2);
		return;
	}
	if (f->vector < IRQ_BASE)
		exception(f, read_cr2());
	unsigned irq = (unsigned)f->vector - IRQ_BASE;
	if ((irq == 7 || irq == 15) && spurious(irq))
		return;
	if (irq == 0) {
		x86_pic_eoi(irq); /* first: the tick may switch threads */
		kernel_timer_tick();
		return;
	}
	for (unsigned i = 0; i < LINE_HANDLERS && handlers[irq][i].fn; i++)
		handlers[irq][i].fn(handlers[irq][i].arg);
	x86_pic_eoi(irq);
	kernel_irq_done();
}
