/* arch/cpu.h — the processor: identity, idling, cycle counter, entropy,
 * power-off and backtraces. */
#ifndef ARCH_CPU_H
#define ARCH_CPU_H

#include <arch_ops.h> /* inline parts: arch_cpu_relax, arch_mb, arch_cycles */
#include <stddef.h>
#include <stdint.h>

/* Short name of the architecture, e.g. "x86_64". */
const char *arch_name(void);

/* Sets up descriptor tables, traps and FP/SIMD state. Called once by kmain
 * before anything may fault. */
void arch_cpu_init(void);

/* Enables interrupts and waits for the next one, atomically: an interrupt
 * arriving as interrupts are enabled still ends the wait. */
void arch_idle(void);

/* Fills buf with up to n bytes from a hardware random source. Returns the
 * number of bytes filled (0 when the CPU has none). */
size_t arch_random(void *buf, size_t n);

/* Cycles per second of arch_cycles(), measured at timer start (0 before). */
uint64_t arch_cycles_hz(void);

/* Powers the machine off. status 0 means success; under QEMU a non-zero
 * status becomes a non-zero exit code of QEMU. Never returns. */
_Noreturn void arch_poweroff(int status);

/* Prints the return addresses of the current call chain (at most max). */
void arch_backtrace(unsigned max);

/* XXH3-128 (the store's page hash), faster than the portable code: with
 * vector units it cannot assume (x86_64 and x86_64 hosts: AVX2, when the
 * CPU has it) or, for pages, a pass over two blocks at a time
 * (toy/xxh3_page.h; aarch64 with NEON); NULL when this CPU has nothing
 * faster. Valid after arch_cpu_init. */
typedef void arch_hash128_fn(const void *data, size_t len, uint8_t out[16]);
arch_hash128_fn *arch_fast_hash128(void);

#endif
