/* handoff.h — what the EFI stub (efi.c) passes to the kernel in x1, next
 * to the devicetree in x0. QEMU's -kernel passes no hand-off (x1 = 0). */
#ifndef HANDOFF_H
#define HANDOFF_H

#include <stdint.h>

#define A64_HANDOFF_MAGIC 0x666f646e61687974ull /* "tyhandof" */

struct a64_handoff {
	uint64_t magic;
	char cmdline[256]; /* the EFI load options, as ASCII */
};

#endif
