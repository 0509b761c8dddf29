/* arch_ops.h (host) — the inline half of the arch contract for the kernel
 * core built as a Linux program. There are no interrupts: the "interrupt
 * enable" flag is a plain variable, and the tick comes from the idle thread
 * (see arch/host/arch.c). A context is a ucontext_t. */
#ifndef ARCH_OPS_H
#define ARCH_OPS_H

#include <stdbool.h>
#include <stdint.h>
#include <ucontext.h>

struct arch_context {
	ucontext_t uc;
	void (*entry)(void *);
	void *arg;
	const void *stack; /* for ASan's fiber switch annotations */
	size_t stack_size;
};

extern bool host_irq_on;

static inline void arch_irq_disable(void)
{
	host_irq_on = false;
}

static inline void arch_irq_enable(void)
{
	host_irq_on = true;
}

static inline bool arch_irq_save(void)
{
	bool on = host_irq_on;
	host_irq_on = false;
	return on;
}

static inline void arch_irq_restore(bool enabled)
{
	if (enabled)
		host_irq_on = true;
}

static inline void arch_cpu_relax(void)
{
}

static inline void arch_mb(void)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
}

uint64_t host_cycles(void);

/* Sets up the simulated RAM and describes it (the host's boot entry). */
struct boot_info;
void host_boot_info(struct boot_info *bi);

/* Makes the image file at path disk 0 (arch/host/disk.c). Returns 0 or
 * TOY_ERR_IO. */
int host_disk_attach(const char *path);

/* Installs the page-fault (SIGSEGV) handler, in front of whatever handler
 * is there (the sanitizers', a test framework's), which still gets the
 * faults that are not the kernel's. host_boot_info calls it; call it again
 * after anything that replaces it. */
void host_trap_init(void);

static inline uint64_t arch_cycles(void)
{
	return host_cycles();
}

#endif
