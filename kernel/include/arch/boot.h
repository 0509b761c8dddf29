/* arch/boot.h — what the arch's boot code hands to the portable kernel.
 *
 * The arch entry code (multiboot2 on x86_64, UEFI on aarch64, main() on the
 * host) sets up a stack, the MMU and the console, copies the facts below out
 * of whatever the boot loader left in memory, and calls kmain(). Nothing in
 * struct boot_info points into loader memory, so all of it may be reused. */
#ifndef ARCH_BOOT_H
#define ARCH_BOOT_H

#include <stdint.h>

#define BOOT_MAX_RANGES  64
#define BOOT_CMDLINE_LEN 256

struct boot_range {
	uint64_t base; /* physical address */
	uint64_t len;  /* bytes */
};

struct boot_info {
	struct boot_range ram[BOOT_MAX_RANGES]; /* usable RAM, unsorted */
	unsigned nram;
	struct boot_range kernel; /* the loaded kernel image, to keep out of the pool */
	char cmdline[BOOT_CMDLINE_LEN];
	uint64_t entry_cycles; /* arch_cycles() at the first instruction */
};

/* The portable kernel's entry point; never returns. */
void kmain(struct boot_info *bi);

#endif
