/* exceptions.S — the exception vectors.
 *
 * Kernel code runs on SP_EL0, so its exceptions arrive at the "current
 * EL, SP_EL0" entries with SP_EL1, the exception stack, selected. A
 * synchronous exception saves the frame on the exception stack, so even a
 * thread that ran off its stack into the guard page gets a report; when
 * a64_sync returns instead, the fault was an emulated accessed/dirty bit
 * (retried at once) or is a page-cache window's, entered again on the
 * thread's stack (fault_sp0) like an IRQ, since the page cache may block. An IRQ switches back to the interrupted
 * thread's stack at once and saves its frame and FP/SIMD state there: the
 * handler may switch threads, and the frame must stay with its thread
 * until it runs again. Every other entry (lower ELs, FIQ, SError, faults
 * on the exception stack itself) is reported and fatal. The frame layout
 * is struct trap_frame (a64.h): x0-x30, sp, elr, spsr, esr, far. */
#define FRAME    288
#define FP_FRAME (FRAME + 32 * 16 + 16)

	.macro save_gprs
	stp x0, x1, [sp, #0]
	stp x2, x3, [sp, #16]
	stp x4, x5, [sp, #32]
	stp x6, x7, [sp, #48]
	stp x8, x9, [sp, #64]
	stp x10, x11, [sp, #80]
	stp x12, x13, [sp, #96]
	stp x14, x15, [sp, #112]
	stp x16, x17, [sp, #128]
	stp x18, x19, [sp, #144]
	stp x20, x21, [sp, #160]
	stp x22, x23, [sp, #176]
	stp x24, x25, [sp, #192]
	stp x26, x27, [sp, #208]
	stp x28, x29, [sp, #224]
	str x30, [sp, #240]
	mrs x0, elr_el1
	mrs x1, spsr_el1
	stp x0, x1, [sp, #256]
	mrs x0, esr_el1
	mrs x1, far_el1
	stp x0, x1, [sp, #272]
	.endm

	.macro restore_gprs
	ldp x0, x1, [sp, #256]
	msr elr_el1, x0
	msr spsr_el1, x1
	ldp x0, x1, [sp, #0]
	ldp x2, x3, [sp, #16]
	ldp x4, x5, [sp, #32]
	ldp x6, x7, [sp, #48]
	ldp x8, x9, [sp, #64]
	ldp x10, x11, [sp, #80]
	ldp x12, x13, [sp, #96]
	ldp x14, x15, [sp, #112]
	ldp x16, x17, [sp, #128]
	ldp x18, x19, [sp, #144]
	ldp x20, x21, [sp, #160]
	ldp x22, x23, [sp, #176]
	ldp x24, x25, [sp, #192]
	ldp x26, x27, [sp, #208]
	ldp x28, x29, [sp, #224]
	ldr x30, [sp, #240]
	.endm

	.macro bad which
	.balign 0x80
	sub sp, sp, #FRAME
	save_gprs
	mrs x0, sp_el0
	str x0, [sp, #248]
	mov x0, sp
	mov x1, #\which
	bl a64_bad_vector
	brk #1
	.endm

	/* An entry that runs its handler on the interrupted thread's stack
	 * (SP_EL0), saving the whole frame and the FP/SIMD state there. */
	.macro on_thread_stack handler
	msr spsel, #0
	sub sp, sp, #FP_FRAME
	save_gprs
	add x0, sp, #FP_FRAME
	str x0, [sp, #248]
	add x0, sp, #FRAME
	stp q0, q1, [x0, #0]
	stp q2, q3, [x0, #32]
	stp q4, q5, [x0, #64]
	stp q6, q7, [x0, #96]
	stp q8, q9, [x0, #128]
	stp q10, q11, [x0, #160]
	stp q12, q13, [x0, #192]
	stp q14, q15, [x0, #224]
	stp q16, q17, [x0, #256]
	stp q18, q19, [x0, #288]
	stp q20, q21, [x0, #320]
	stp q22, q23, [x0, #352]
	stp q24, q25, [x0, #384]
	stp q26, q27, [x0, #416]
	stp q28, q29, [x0, #448]
	stp q30, q31, [x0, #480]
	mrs x1, fpcr
	mrs x2, fpsr
	str x1, [x0, #512]
	str x2, [x0, #520]
	mov x0, sp
	bl \handler
	add x0, sp, #FRAME
	ldp q0, q1, [x0, #0]
	ldp q2, q3, [x0, #32]
	ldp q4, q5, [x0, #64]
	ldp q6, q7, [x0, #96]
	ldp q8, q9, [x0, #128]
	ldp q10, q11, [x0, #160]
	ldp q12, q13, [x0, #192]
	ldp q14, q15, [x0, #224]
	ldp q16, q17, [x0, #256]
	ldp q18, q19, [x0, #288]
	ldp q20, q21, [x0, #320]
	ldp q22, q23, [x0, #352]
	ldp q24, q25, [x0, #384]
	ldp q26, q27, [x0, #416]
	ldp q28, q29, [x0, #448]
	ldp q30, q31, [x0, #480]
	ldr x1, [x0, #512]
	ldr x2, [x0, #520]
	msr fpcr, x1
	msr fpsr, x2
	restore_gprs
	add sp, sp, #FP_FRAME
	eret
	.endm

	.text
	.balign 2048
	.globl a64_vectors
a64_vectors:
	.balign 0x80
	b sync_sp0
	.balign 0x80
	b irq_sp0
	bad 2
	bad 3
	bad 4
	bad 5
	bad 6
	bad 7
	bad 8
	bad 9
	bad 10
	bad 11
	bad 12
	bad 13
	bad 14
	bad 15

sync_sp0:
	sub sp, sp, #FRAME
	save_gprs
	mrs x0, sp_el0
	str x0, [sp, #248]
	mov x0, sp
	bl a64_sync
	/* a64_sync returned 0: the fault is settled (an emulated accessed or
	 * dirty bit), retry the access; 1: a page fault for the page cache,
	 * handled on the thread's stack, so put everything back as it was at
	 * the fault (ESR and FAR still hold its syndrome) and enter again as
	 * an IRQ does. Restoring leaves the flags alone. */
	cmp x0, #0
	restore_gprs
	add sp, sp, #FRAME
	b.ne fault_sp0
	eret


irq_sp0:
	on_thread_stack a64_irq

fault_sp0:
	on_thread_stack a64_fault
