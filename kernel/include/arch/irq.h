/* arch/irq.h — interrupt masking and the timer.
 *
 * The inline masking functions (arch_irq_disable, arch_irq_enable,
 * arch_irq_save, arch_irq_restore) live in arch_ops.h. The arch calls
 * kernel_timer_tick() from the timer interrupt with interrupts disabled; the
 * kernel may switch threads from there. Device interrupts go to handlers
 * registered with arch_irq_register. */
#ifndef ARCH_IRQ_H
#define ARCH_IRQ_H

#include <arch_ops.h>
#include <stdint.h>

/* Starts a periodic timer interrupt of hz per second. */
void arch_timer_init(unsigned hz);

/* Nanoseconds since boot, monotonic. */
uint64_t arch_time_ns(void);

/* The machine's real-time clock: seconds since 1970-01-01 00:00:00 UTC, or
 * 0 without one (x86_64: the CMOS clock; aarch64: QEMU virt's PL031; host:
 * the host's clock). A device access, slow: kernel/clock.c reads it once. */
uint64_t arch_rtc_seconds(void);

/* Calls fn(arg) on every interrupt of device line `line` (on x86_64 the
 * PCI interrupt line the firmware assigned; lines may be shared, so fn
 * must check that its device raised it and acknowledge it). fn runs with
 * interrupts disabled and may only wake threads. Returns 0, TOY_ERR_INVAL
 * (no such line) or TOY_ERR_LIMIT (too many handlers on it). */
int arch_irq_register(unsigned line, void (*fn)(void *arg), void *arg);

/* Implemented by the kernel; called on every timer interrupt. */
void kernel_timer_tick(void);

/* Implemented by the kernel; called after the handlers of a device
 * interrupt have run and the interrupt is acknowledged (it may switch). */
void kernel_irq_done(void);

#endif
