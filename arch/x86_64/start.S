/* start.S — the multiboot2 entry: from GRUB's 32-bit protected mode to
 * 64-bit long mode in the higher half.
 *
 * GRUB jumps to _start with paging off, EAX = the multiboot2 magic and
 * EBX = the physical address of the boot information. The code here runs
 * at its physical address (the .boot sections are linked there), builds
 * page tables that map the first 4 GiB three times (identity, for the jump;
 * the direct map at PHYS_MAP; the image at -2 GiB), enables PAE, long mode,
 * NX, SSE, and paging, and jumps to x86_boot in the higher half. */
#define KERNEL_VMA 0xffffffff80000000
#define MB2_MAGIC  0xe85250d6
#define MB2_LEN    (mb2_end - mb2_header)

	.section .multiboot, "a"
	.balign 8
mb2_header:
	.long MB2_MAGIC
	.long 0 /* i386 protected mode */
	.long MB2_LEN
	.long 0x100000000 - (MB2_MAGIC + MB2_LEN)
	.short 0, 0 /* end tag */
	.long 8
mb2_end:

	.section .boot.text, "ax"
	.code32
	.globl _start
_start:
	cli
	mov %eax, mb_magic
	mov %ebx, mb_info
	rdtsc
	mov %eax, x86_entry_cycles_lo
	mov %edx, x86_entry_cycles_hi
	mov $boot_stack32, %esp

	/* Zero the page tables (seven pages from pml4). */
	mov $pml4, %edi
	xor %eax, %eax
	mov $7 * 1024, %ecx
	rep stosl

	/* 2048 page-directory entries of 2 MiB: physical 0 .. 4 GiB. */
	xor %ecx, %ecx
1:	mov %ecx, %eax
	shl $21, %eax
	or $0x83, %eax /* present, writable, 2 MiB */
	mov %eax, pd_tables(, %ecx, 8)
	movl $0, pd_tables + 4(, %ecx, 8)
	inc %ecx
	cmp $2048, %ecx
	jne 1b

	/* pdpt_low[0..3] -> the four directories. */
	xor %ecx, %ecx
2:	mov %ecx, %eax
	shl $12, %eax
	add $pd_tables + 3, %eax
	mov %eax, pdpt_low(, %ecx, 8)
	inc %ecx
	cmp $4, %ecx
	jne 2b

	/* -2 GiB: pdpt_high[510..511] -> physical 0 .. 2 GiB. */
	movl $pd_tables + 3, pdpt_high + 510 * 8
	movl $pd_tables + 4096 + 3, pdpt_high + 511 * 8
	movl $pdpt_low + 3, pml4
	movl $pdpt_low + 3, pml4 + 256 * 8
	movl $pdpt_high + 3, pml4 + 511 * 8

	mov %cr4, %eax
	or $(1 << 5 | 1 << 9 | 1 << 10), %eax /* PAE, OSFXSR, OSXMMEXCPT */
	mov %eax, %cr4
	mov $pml4, %eax
	mov %eax, %cr3
	mov $0xc0000080, %ecx /* EFER */
	rdmsr
	or $(1 << 8 | 1 << 11), %eax /* LME, NXE */
	wrmsr
	mov %cr0, %eax
	and $~(1 << 2), %eax /* no x87 emulation */
	or $(1 << 31 | 1 << 16 | 1 << 1 | 1 << 0), %eax /* PG, WP, MP, PE */
	mov %eax, %cr0
	lgdt gdt32_ptr
	ljmp $0x08, $long_mode

	.code64
long_mode:
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	xor %ax, %ax
	mov %ax, %fs
	mov %ax, %gs
	movabs $high_entry, %rax
	jmp *%rax

	.section .boot.data, "aw"
	.balign 8
gdt32:
	.quad 0
	.quad 0x00af9a000000ffff /* 64-bit code */
	.quad 0x00cf92000000ffff /* data */
gdt32_ptr:
	.short 3 * 8 - 1
	.long gdt32
	.globl mb_magic, mb_info, x86_entry_cycles_lo, x86_entry_cycles_hi
mb_magic:
	.long 0
mb_info:
	.long 0
x86_entry_cycles_lo:
	.long 0
x86_entry_cycles_hi:
	.long 0

	.section .boot.bss, "aw", @nobits
	.balign 4096
	.globl pml4
pml4:
	.skip 4096
pdpt_low:
	.skip 4096
pdpt_high:
	.skip 4096
pd_tables:
	.skip 4 * 4096
	.skip 1024
boot_stack32:

	.text
high_entry:
	movabs $boot_stack_top, %rsp
	xor %ebp, %ebp
	mov mb_magic, %edi
	mov mb_info, %esi
	call x86_boot
	ud2

	.bss
	.balign 16
	.skip 32768
boot_stack_top:
