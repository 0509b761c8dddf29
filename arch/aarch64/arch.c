/* arch.c (aarch64) — from the loader's hand-off to kmain, and the small
 * CPU services of arch/cpu.h.
 *
 * a64_boot runs on the boot stack with the boot translation tables
 * (start.S). It starts the console and copies the command line, the RAM
 * ranges, the PCIe ECAM window and the PSCI conduit out of the flattened
 * devicetree (which lives in RAM the frame allocator will hand out), then
 * calls kmain (the EFI stub's hand-off, if any, gives the command line).
 * Power-off goes through PSCI; a failure status goes through
 * semihosting's SYS_EXIT first, so QEMU (run with -semihosting) exits
 * with that status. */
#include <arch/boot.h>
#include <arch/console.h>
#include <arch/cpu.h>
#include <kernel/log.h>
#include <stdbool.h>
#include <string.h>

#include "a64.h"
#include "handoff.h"

#define FDT_MAGIC      0xd00dfeedu
#define FDT_BEGIN_NODE 1
#define FDT_END_NODE   2
#define FDT_PROP       3
#define FDT_END        9
#define RAM_BASE       0x40000000ull /* where QEMU puts the devicetree */

extern char _kernel_end[];
extern uint64_t a64_kernel_phys_start;
extern uint64_t a64_ecam_base;

static struct boot_info boot_info;
static bool psci_smc;

static uint32_t be32(const void *p)
{
	const uint8_t *b = p;
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static uint64_t be64(const void *p)
{
	return (uint64_t)be32(p) << 32 | be32((const uint8_t *)p + 4);
}

static bool starts(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* One property of a node at depth 1 (virt's nodes all have two address
 * and two size cells). */
static void fdt_prop(const char *node, const char *name, const uint8_t *v, uint32_t len)
{
	if (starts(node, "memory") && !strcmp(name, "reg")) {
		for (uint32_t off = 0; off + 16 <= len && boot_info.nram < BOOT_MAX_RANGES;
		     off += 16)
			boot_info.ram[boot_info.nram++] =
			    (struct boot_range){be64(v + off), be64(v + off + 8)};
	} else if (!strcmp(node, "chosen") && !strcmp(name, "bootargs")) {
		size_t n = len < BOOT_CMDLINE_LEN ? len : BOOT_CMDLINE_LEN - 1;
		memcpy(boot_info.cmdline, v, n);
		boot_info.cmdline[n] = 0;
	} else if (starts(node, "pcie@") && !strcmp(name, "reg") && len >= 16) {
		a64_ecam_base = be64(v);
	} else if (starts(node, "psci") && !strcmp(name, "method")) {
		psci_smc = !strcmp((const char *)v, "smc");
	}
}

static void parse_fdt(const uint8_t *fdt)
{
	const uint8_t *p = fdt + be32(fdt + 8), *strings = fdt + be32(fdt + 12);
	const uint8_t *end = fdt + be32(fdt + 4);
	const char *node = "";
	int depth = 0;
	while (p + 4 <= end) {
		uint32_t token = be32(p);
		p += 4;
		if (token == FDT_BEGIN_NODE) {
			if (++depth == 2)
				node = (const char *)p;
			p += (strlen((const char *)p) + 4) & ~3u;
		} else if (token == FDT_END_NODE) {
			depth--;
		} else if (token == FDT_PROP) {
			uint32_t len = be32(p), name = be32(p + 4);
			if (depth == 2)
				fdt_prop(node, (const char *)strings + name, p + 8, len);
			p += 8 + ((len + 3) & ~3u);
		} else if (token == FDT_END) {
			break;
		}
	}
}

/* The EFI stub's command line and RAM ranges replace the devicetree's
 * (its command line is empty under UEFI, and its memory nodes do not
 * know what the firmware keeps for itself). */
static void take_handoff(uint64_t pa)
{
	const struct a64_handoff *h = phys(pa);
	if (!pa || h->magic != A64_HANDOFF_MAGIC)
		return;
	size_t n = 0;
	while (n < sizeof(h->cmdline) && n < BOOT_CMDLINE_LEN - 1 && h->cmdline[n])
		n++;
	memcpy(boot_info.cmdline, h->cmdline, n);
	boot_info.cmdline[n] = 0;
	if (!h->nram)
		return;
	boot_info.nram = 0;
	for (uint64_t i = 0; i < h->nram && i < A64_HANDOFF_RANGES && i < BOOT_MAX_RANGES; i++)
		boot_info.ram[boot_info.nram++] =
		    (struct boot_range){h->ram[i].base, h->ram[i].len};
}

void a64_boot(uint64_t dtb_pa, uint64_t handoff_pa)
{
	arch_console_init();
	boot_info.entry_cycles = a64_entry_cycles;
	if (!dtb_pa || be32(phys(dtb_pa)) != FDT_MAGIC)
		dtb_pa = RAM_BASE;
	if (be32(phys(dtb_pa)) != FDT_MAGIC)
		panic("no devicetree at %lx", dtb_pa);
	parse_fdt(phys(dtb_pa));
	take_handoff(handoff_pa);
	uint64_t start = a64_kernel_phys_start;
	boot_info.kernel = (struct boot_range){start, (uintptr_t)_kernel_end - PHYS_MAP - start};
	kmain(&boot_info);
}

void arch_cpu_init(void)
{
	a64_mmu_init();
	a64_gic_init();
}

/* The portable XXH3 uses NEON too, but a stripe at a time. */
arch_hash128_fn *arch_fast_hash128(void)
{
	return a64_hash128_neon;
}

const char *arch_name(void)
{
	return "aarch64";
}

/* WFI wakes on a pending interrupt even while PSTATE.I masks it; the
 * unmask then takes it. So none can slip in between. */
void arch_idle(void)
{
	__asm__ volatile("wfi; msr daifclr, #2" ::: "memory");
}

static bool rndr(uint64_t *v)
{
	uint64_t ok;
	__asm__ volatile("mrs %0, s3_3_c2_c4_0; cset %1, ne" : "=r"(*v), "=r"(ok)::"cc");
	return ok;
}

size_t arch_random(void *buf, size_t n)
{
	bool have = (SYSREG_READ(id_aa64isar0_el1) >> 60 & 0xf) >= 1;
	size_t done = 0;
	uint64_t v;
	for (int fails = 0; have && done < n && fails < 10;) {
		if (!rndr(&v)) {
			fails++;
			continue;
		}
		size_t k = n - done < 8 ? n - done : 8;
		memcpy((uint8_t *)buf + done, &v, k);
		done += k;
	}
	return done;
}

static void psci_call(uint64_t fn)
{
	register uint64_t x0 __asm__("x0") = fn;
	if (psci_smc)
		__asm__ volatile("smc #0" : "+r"(x0)::"memory");
	else
		__asm__ volatile("hvc #0" : "+r"(x0)::"memory");
}

/* Semihosting SYS_EXIT with ADP_Stopped_ApplicationExit: QEMU exits with
 * status. Without -semihosting the hlt traps; the second try then skips it. */
static void semihosting_exit(int status)
{
	static uint64_t block[2];
	block[0] = 0x20026;
	block[1] = (uint64_t)status;
	register uint64_t x0 __asm__("x0") = 0x18;
	register uint64_t x1 __asm__("x1") = (uint64_t)(uintptr_t)block;
	__asm__ volatile("hlt #0xf000" : "+r"(x0) : "r"(x1) : "memory");
}

_Noreturn void arch_poweroff(int status)
{
	static bool tried;
	arch_irq_disable();
	if (status != 0 && !tried) {
		tried = true;
		semihosting_exit(status);
	}
	psci_call(0x84000008); /* SYSTEM_OFF */
	for (;;)
		__asm__ volatile("wfi");
}

void a64_print_backtrace(uint64_t fp, unsigned max)
{
	kputs("backtrace:\n");
	for (unsigned i = 0; i < max && fp >= PHYS_MAP && !(fp & 7); i++) {
		const uint64_t *frame = (const uint64_t *)fp;
		if (!frame[1])
			break;
		kprintf("  #%u %p\n", i, (void *)frame[1]);
		fp = frame[0];
	}
}

void arch_backtrace(unsigned max)
{
	a64_print_backtrace((uint64_t)__builtin_frame_address(0), max);
}
