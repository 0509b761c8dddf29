/* start.S — the entry: from the loader's EL1, MMU off, to the upper half.
 *
 * QEMU's -kernel loads the ELF at its physical addresses and jumps to
 * _start at EL1 with the MMU off (the devicetree sits at the bottom of
 * RAM); the EFI stub (efi.c) leaves the same state, with the devicetree
 * in x0 and its hand-off in x1. The code here runs at its physical address (the .boot sections
 * are linked there): it enables FP/SIMD, builds one level-1 table of
 * 1 GiB blocks covering physical 0 .. 512 GiB (the first GiB, the GIC
 * and UART, and everything from 256 GiB, the PCIe ECAM, as device
 * memory; the rest as normal memory), hangs it under both TTBR0 (the
 * identity map the jump needs) and TTBR1 (the direct map at PHYS_MAP,
 * which also holds the kernel image), enables the MMU and jumps to
 * a64_boot in the upper half. Threads run on SP_EL0; SP_EL1 is the
 * exception stack (exceptions.S). */
#define PHYS_MAP 0xffff000000000000
#define MAIR     0xff04 /* attr0 Device-nGnRE, attr1 normal write-back */
#define TCR      (16 | 1 << 8 | 1 << 10 | 3 << 12 | 16 << 16 | 1 << 24 | 1 << 26 | 3 << 28 | 2 << 30 | 2 << 32)
#define NORMAL   (1 | 1 << 2 | 3 << 8 | 1 << 10)
#define DEVICE   (1 | 1 << 10 | 3 << 53)
#define SCTLR    (0x30d00800 | 1 << 0 | 1 << 2 | 1 << 12) /* RES1, M, C, I */

	.section .boot.text, "ax"
	.globl _start
_start:
	mrs x19, cntvct_el0
	mov x20, x0 /* the devicetree, or 0 */
	mov x21, x1 /* the EFI stub's hand-off, or 0 */
	msr daifset, #0xf
	mov x0, #3 << 20
	msr cpacr_el1, x0 /* FP/SIMD at EL1 */
	isb

	/* An empty level-0 table (RAM need not be zero under UEFI). */
	adrp x0, boot_l0
	mov x1, #512
0:	str xzr, [x0], #8
	subs x1, x1, #1
	b.ne 0b

	/* The level-1 table: 512 blocks of 1 GiB. */
	adrp x0, boot_l1
	ldr x2, =NORMAL
	ldr x3, =DEVICE
	mov x1, #0
1:	cmp x1, #256 /* device when x1 == 0 or x1 >= 256 */
	csel x4, x3, x2, hs
	cbnz x1, 2f
	mov x4, x3
2:	orr x4, x4, x1, lsl #30
	str x4, [x0, x1, lsl #3]
	add x1, x1, #1
	cmp x1, #512
	b.ne 1b
	adrp x1, boot_l0
	orr x0, x0, #3 /* table descriptor */
	str x0, [x1]

	ldr x0, =MAIR
	msr mair_el1, x0
	ldr x0, =TCR
	msr tcr_el1, x0
	msr ttbr0_el1, x1
	msr ttbr1_el1, x1
	isb
	tlbi vmalle1
	dsb nsh
	ldr x0, =SCTLR
	msr sctlr_el1, x0
	isb
	ldr x0, =high_entry
	br x0

	.section .boot.bss, "aw", @nobits
	.balign 4096
	.globl boot_l0
boot_l0:
	.skip 4096
boot_l1:
	.skip 4096

	.text
high_entry:
	ldr x0, =exception_stack_top
	mov sp, x0 /* SP_EL1 */
	msr spsel, #0
	ldr x0, =boot_stack_top
	mov sp, x0 /* SP_EL0 from here on */
	ldr x0, =a64_vectors
	msr vbar_el1, x0
	isb
	ldr x0, =a64_entry_cycles
	str x19, [x0]
	mov x29, #0
	mov x30, #0
	mov x0, x20
	mov x1, x21
	bl a64_boot
	brk #0

	.data
	.balign 8
	.globl a64_entry_cycles, a64_kernel_phys_start
a64_entry_cycles:
	.quad 0
a64_kernel_phys_start: /* (C cannot reach the low symbol with adrp) */
	.quad _kernel_phys_start

	.bss
	.balign 16
	.skip 32768
boot_stack_top:
	.skip 16384
	.globl exception_stack_top
exception_stack_top:
