/* arch/irq.h — interrupt masking and the timer.
 *
 * The inline masking functions (arch_irq_disable, arch_irq_enable,
 * arch_irq_save, arch_irq_restore) live in arch_ops.h. The arch calls
 * kernel_timer_tick() from the timer interrupt with interrupts disabled; the
 * kernel may switch threads from there. */
#ifndef ARCH_IRQ_H
#define ARCH_IRQ_H

#include <arch_ops.h>
#include <stdint.h>

/* Starts a periodic timer interrupt of hz per second. */
void arch_timer_init(unsigned hz);

/* Nanoseconds since boot, monotonic. */
uint64_t arch_time_ns(void);

/* Implemented by the kernel; called on every timer interrupt. */
void kernel_timer_tick(void);

#endif
