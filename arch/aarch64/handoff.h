/* handoff.h — what the EFI stub (efi.c) passes to the kernel in x1, next
 * to the devicetree in x0. QEMU's -kernel passes no hand-off (x1 = 0). */
#ifndef HANDOFF_H
#define HANDOFF_H

#include <stdint.h>

#define A64_HANDOFF_MAGIC 0x666f646e61687974ull /* "tyhandof" */

#define A64_HANDOFF_RANGES 64

struct a64_handoff {
	uint64_t magic;
	char cmdline[256]; /* the EFI load options, as ASCII */
	uint64_t nram;     /* usable RAM from the UEFI memory map, merged */
	struct {
		uint64_t base, len;
	} ram[A64_HANDOFF_RANGES];
};

#endif
