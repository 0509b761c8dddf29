/* switch.S — arch_context_switch(from, to): saves the callee-saved
 * registers, sp and the whole FP/SIMD state (q0-q31, fpcr, fpsr) in from,
 * then loads to's and returns into the new thread. The layout is struct
 * arch_context (arch_ops.h, checked in thread.c): x19-x30 and sp at 0,
 * q0-q31 at 112, fpcr and fpsr at 624. */
	.text
	.globl arch_context_switch
arch_context_switch:
	stp x19, x20, [x0, #0]
	stp x21, x22, [x0, #16]
	stp x23, x24, [x0, #32]
	stp x25, x26, [x0, #48]
	stp x27, x28, [x0, #64]
	stp x29, x30, [x0, #80]
	mov x2, sp
	str x2, [x0, #96]
	add x2, x0, #112
	stp q0, q1, [x2, #0]
	stp q2, q3, [x2, #32]
	stp q4, q5, [x2, #64]
	stp q6, q7, [x2, #96]
	stp q8, q9, [x2, #128]
	stp q10, q11, [x2, #160]
	stp q12, q13, [x2, #192]
	stp q14, q15, [x2, #224]
	stp q16, q17, [x2, #256]
	stp q18, q19, [x2, #288]
	stp q20, q21, [x2, #320]
	stp q22, q23, [x2, #352]
	stp q24, q25, [x2, #384]
	stp q26, q27, [x2, #416]
	stp q28, q29, [x2, #448]
	stp q30, q31, [x2, #480]
	mrs x3, fpcr
	mrs x4, fpsr
	str x3, [x2, #512]
	str x4, [x2, #520]

	add x2, x1, #112
	ldp q0, q1, [x2, #0]
	ldp q2, q3, [x2, #32]
	ldp q4, q5, [x2, #64]
	ldp q6, q7, [x2, #96]
	ldp q8, q9, [x2, #128]
	ldp q10, q11, [x2, #160]
	ldp q12, q13, [x2, #192]
	ldp q14, q15, [x2, #224]
	ldp q16, q17, [x2, #256]
	ldp q18, q19, [x2, #288]
	ldp q20, q21, [x2, #320]
	ldp q22, q23, [x2, #352]
	ldp q24, q25, [x2, #384]
	ldp q26, q27, [x2, #416]
	ldp q28, q29, [x2, #448]
	ldp q30, q31, [x2, #480]
	ldr x3, [x2, #512]
	ldr x4, [x2, #520]
	msr fpcr, x3
	msr fpsr, x4
	ldp x19, x20, [x1, #0]
	ldp x21, x22, [x1, #16]
	ldp x23, x24, [x1, #32]
	ldp x25, x26, [x1, #48]
	ldp x27, x28, [x1, #64]
	ldp x29, x30, [x1, #80]
	ldr x2, [x1, #96]
	mov sp, x2
	ret

/* A new thread's first switch "returns" here with entry in x19 and its
 * argument in x20. */
	.globl a64_thread_start
a64_thread_start:
	mov x0, x20
	msr daifclr, #2
	blr x19
	brk #2
