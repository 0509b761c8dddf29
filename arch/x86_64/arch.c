/* arch.c (x86_64) — from the multiboot2 hand-off to kmain, and the small
 * CPU services of arch/cpu.h.
 *
 * x86_boot runs on the boot stack with the boot page tables (start.S). It
 * starts the console, copies the command line and the usable RAM ranges
 * out of the multiboot2 information (which lives in memory the frame
 * allocator will hand out), and calls kmain. arch_cpu_init then installs
 * the final GDT and the IDT and drops the identity map the jump needed. */
#include <arch/boot.h>
#include <arch/console.h>
#include <arch/cpu.h>
#include <kernel/log.h>
#include <string.h>

#include "x86.h"

#define MB2_BOOT_MAGIC  0x36d76289u
#define MB2_TAG_END     0
#define MB2_TAG_CMDLINE 1
#define MB2_TAG_MMAP    6
#define MB2_RAM         1

extern uint32_t x86_entry_cycles_lo, x86_entry_cycles_hi;
extern char _kernel_phys_start[], _kernel_end[];
extern uint64_t pml4[];
void x86_fpu_init(void);

static struct boot_info boot_info;
uint64_t x86_entry_cycles; /* a high copy: the low one goes with the identity map */

struct mb2_tag {
	uint32_t type, size;
};

struct mb2_mmap {
	uint32_t type, size, entry_size, entry_version;
};

struct mb2_mmap_entry {
	uint64_t base, len;
	uint32_t type, reserved;
};

static void add_ram(const struct mb2_mmap *m)
{
	const uint8_t *p = (const uint8_t *)(m + 1), *end = (const uint8_t *)m + m->size;
	for (; p + sizeof(struct mb2_mmap_entry) <= end; p += m->entry_size) {
		const struct mb2_mmap_entry *e = (const void *)p;
		if (e->type == MB2_RAM && boot_info.nram < BOOT_MAX_RANGES)
			boot_info.ram[boot_info.nram++] = (struct boot_range){e->base, e->len};
		if (m->entry_size < sizeof(*e))
			break;
	}
}

static void copy_cmdline(const struct mb2_tag *t)
{
	size_t n = t->size - sizeof(*t);
	if (n >= BOOT_CMDLINE_LEN)
		n = BOOT_CMDLINE_LEN - 1;
	memcpy(boot_info.cmdline, t + 1, n);
	boot_info.cmdline[n] = 0;
}

static void parse_mb2(uint32_t mbi)
{
	const uint8_t *p = (const uint8_t *)(uintptr_t)(PHYS_MAP + mbi);
	uint32_t total = *(const uint32_t *)p;
	for (uint32_t off = 8; off + 8 <= total;) {
		const struct mb2_tag *t = (const void *)(p + off);
		if (t->type == MB2_TAG_END)
			break;
		if (t->type == MB2_TAG_CMDLINE)
			copy_cmdline(t);
		else if (t->type == MB2_TAG_MMAP)
			add_ram((const void *)t);
		off += (t->size + 7) & ~7u;
	}
}

void x86_boot(uint32_t magic, uint32_t mbi)
{
	x86_fpu_init();
	arch_console_init();
	x86_entry_cycles = (uint64_t)x86_entry_cycles_hi << 32 | x86_entry_cycles_lo;
	boot_info.entry_cycles = x86_entry_cycles;
	if (magic != MB2_BOOT_MAGIC)
		panic("not started by a multiboot2 loader (magic %x)", magic);
	parse_mb2(mbi);
	uint64_t start = (uint64_t)(uintptr_t)_kernel_phys_start;
	boot_info.kernel = (struct boot_range){start, (uintptr_t)_kernel_end - KERNEL_VMA - start};
	kmain(&boot_info);
}

/* --- GDT ------------------------------------------------------------------- */

/* Null, kernel code, kernel data, and the 16-byte TSS descriptor. The TSS
 * exists for its IST1 stack: a double fault (a kernel stack overflow, say)
 * switches to it and still prints a report instead of resetting the CPU. */
static uint64_t gdt[5] = {0, 0x00af9a000000ffffull, 0x00cf92000000ffffull};
static uint8_t df_stack[8192] __attribute__((aligned(16)));

struct __attribute__((packed)) tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3, iomap;
};
_Static_assert(sizeof(struct tss) == 104, "the x86_64 TSS is 104 bytes");
static struct tss tss;

struct __attribute__((packed)) desc_ptr {
	uint16_t limit;
	uint64_t base;
};

static void tss_init(void)
{
	uint64_t base = (uint64_t)(uintptr_t)&tss, limit = sizeof(tss) - 1;
	tss.ist[0] = (uint64_t)(uintptr_t)(df_stack + sizeof(df_stack));
	tss.iomap = sizeof(tss);
	gdt[3] = limit | (base & 0xffffff) << 16 | 0x89ull << 40 | (base >> 24 & 0xff) << 56;
	gdt[4] = base >> 32;
}

static void gdt_load(void)
{
	struct desc_ptr p = {sizeof(gdt) - 1, (uint64_t)(uintptr_t)gdt};
	__asm__ volatile("lgdt %0\n"
			 "pushq $0x08\n"
			 "leaq 1f(%%rip), %%rax\n"
			 "pushq %%rax\n"
			 "lretq\n"
			 "1: mov $0x10, %%ax\n"
			 "mov %%ax, %%ds\n"
			 "mov %%ax, %%es\n"
			 "mov %%ax, %%ss\n"
			 "mov $0x18, %%ax\n"
			 "ltr %%ax\n" ::"m"(p)
			 : "rax", "memory");
}

static bool have_avx2;

static void cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid"
			 : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(sub));
}

/* Turns on the AVX state (CR4.OSXSAVE, XCR0 = x87 | SSE | AVX) if the CPU
 * has AVX2, for the store's hash and nothing else (see arch_fast_hash128). */
static void avx2_init(void)
{
	uint32_t r[4];
	cpuid(0, 0, r);
	if (r[0] < 7)
		return;
	cpuid(1, 0, r);
	bool xsave = r[2] & (1u << 26), avx = r[2] & (1u << 28);
	cpuid(7, 0, r);
	if (!xsave || !avx || !(r[1] & (1u << 5)))
		return;
	uint64_t cr4;
	__asm__ volatile("mov %%cr4, %0" : "=r"(cr4));
	__asm__ volatile("mov %0, %%cr4" ::"r"(cr4 | (1ull << 18)));
	__asm__ volatile("xsetbv" ::"a"(7u), "d"(0u), "c"(0u));
	have_avx2 = true;
	klog(LOG_INFO, "x86_64: AVX2 on, for the store's page hash");
}

void arch_cpu_init(void)
{
	tss_init();
	gdt_load();
	x86_idt_init();
	avx2_init();
	/* Only the -2 GiB image and the direct map stay mapped. */
	uint64_t *top = (uint64_t *)(PHYS_MAP + (read_cr3() & ~0xfffull));
	top[0] = 0;
	write_cr3(read_cr3());
}

/* A context switch saves only the SSE half of the vector registers, so the
 * AVX2 hash runs with interrupts off (a page takes microseconds). */
static void hash128_avx2(const void *data, size_t len, uint8_t out[16])
{
	bool on = arch_irq_save();
	x86_hash128_avx2(data, len, out);
	arch_irq_restore(on);
}

arch_hash128_fn *arch_fast_hash128(void)
{
	return have_avx2 ? hash128_avx2 : NULL;
}

const char *arch_name(void)
{
	return "x86_64";
}

/* sti takes effect after the next instruction, so no interrupt can slip in
 * between the two and leave hlt waiting for the one after. */
void arch_idle(void)
{
	__asm__ volatile("sti; hlt" ::: "memory");
}

static bool has_rdrand(void)
{
	uint32_t a = 1, b, c = 0, d;
	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	return c & (1u << 30);
}

static bool rdrand64(uint64_t *v)
{
	for (int i = 0; i < 10; i++) {
		unsigned char ok;
		__asm__ volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok));
		if (ok)
			return true;
	}
	return false;
}

size_t arch_random(void *buf, size_t n)
{
	static int have = -1;
	if (have < 0)
		have = has_rdrand();
	size_t done = 0;
	uint64_t v;
	while (have && done < n && rdrand64(&v)) {
		size_t k = n - done < 8 ? n - done : 8;
		memcpy((uint8_t *)buf + done, &v, k);
		done += k;
	}
	return done;
}

/* Status 0 powers off through ACPI (QEMU exits with 0); any other status
 * goes to QEMU's isa-debug-exit device at 0xf4, which makes QEMU exit with
 * (status << 1) | 1. Without either device the CPU halts for good. */
_Noreturn void arch_poweroff(int status)
{
	__asm__ volatile("cli");
	if (status == 0) {
		outw(0x604, 0x2000); /* PIIX4 PM1a_CNT as SeaBIOS sets it: S5 */
		/* QEMU acts on the request asynchronously: give it a moment. */
		for (uint64_t t0 = arch_cycles(); arch_cycles() - t0 < 2000000000ull;)
			arch_cpu_relax();
	}
	outb(0xf4, (uint8_t)(status ? status : 1));
	for (;;)
		__asm__ volatile("hlt");
}

void x86_print_backtrace(uint64_t rbp, unsigned max)
{
	kputs("backtrace:\n");
	for (unsigned i = 0; i < max && rbp >= PHYS_MAP && !(rbp & 7); i++) {
		const uint64_t *frame = (const uint64_t *)rbp;
		if (!frame[1])
			break;
		kprintf("  #%u %p\n", i, (void *)frame[1]);
		rbp = frame[0];
	}
}

void arch_backtrace(unsigned max)
{
	x86_print_backtrace((uint64_t)__builtin_frame_address(0), max);
}
