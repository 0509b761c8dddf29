/* switch.S — arch_context_switch(from, to): saves the callee-saved
 * registers on the old stack and the FP/SIMD state in from->fpu, then
 * resumes the new thread the same way round. struct arch_context keeps
 * sp at offset 0 and the fxsave area at offset 16 (checked in thread.c). */
	.text
	.globl arch_context_switch
arch_context_switch:
	push %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	fxsave64 16(%rdi)
	mov %rsp, (%rdi)
	mov (%rsi), %rsp
	fxrstor64 16(%rsi)
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	ret

/* A new thread's first switch "returns" here with entry in r12 and its
 * argument in r13. */
	.globl x86_thread_start
x86_thread_start:
	mov %r13, %rdi
	sti
	call *%r12
	ud2
