/* exceptions.S — interrupt and exception entry stubs.
 *
 * Vectors 0-47 each get a 16-byte stub that pushes a zero error code (when
 * the CPU pushes none) and the vector number, then joins isr_common, which
 * saves the general registers and the FP/SIMD state (kernel code uses
 * vector registers, and the handler may too), calls x86_trap with the
 * frame, and restores everything. The handler may switch threads; the
 * interrupted thread's frame stays on its own stack until it runs again. */
	.text
	.balign 16
	.globl x86_isr_stubs
x86_isr_stubs:
	.set vec, 0
	.rept 48
	.balign 16
	.if (vec == 8) | (vec == 10) | (vec == 11) | (vec == 12) | (vec == 13) | (vec == 14) | (vec == 17) | (vec == 21) | (vec == 29) | (vec == 30)
	pushq $vec
	.else
	pushq $0
	pushq $vec
	.endif
	jmp isr_common
	.set vec, vec + 1
	.endr

isr_common:
	cld
	push %rax
	push %rbx
	push %rcx
	push %rdx
	push %rsi
	push %rdi
	push %rbp
	push %r8
	push %r9
	push %r10
	push %r11
	push %r12
	push %r13
	push %r14
	push %r15
	mov %rsp, %rbx
	sub $512, %rsp
	and $-16, %rsp
	fxsave64 (%rsp)
	mov %rbx, %rdi
	call x86_trap
	fxrstor64 (%rsp)
	mov %rbx, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %r11
	pop %r10
	pop %r9
	pop %r8
	pop %rbp
	pop %rdi
	pop %rsi
	pop %rdx
	pop %rcx
	pop %rbx
	pop %rax
	add $16, %rsp
	iretq
