/* toy-host — the Toy kernel as a Linux program (arch/host), on a store
 * image file: the same boot sequence, store, page cache and domains as in
 * QEMU, with the console on stdout. Used by the domain tests and for a fast
 * development loop; see --help. */
#include <arch/boot.h>
#include <arch_ops.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
	fprintf(f, "usage: toy-host [--cmdline ARGS] IMAGE\n"
		   "\n"
		   "Boots the Toy kernel as a Linux process on the store image IMAGE\n"
		   "(made with `toy-store mkfs`, apps added with `toy-store install`).\n"
		   "The console is stdout. ARGS is the kernel command line, e.g.\n"
		   "\"toy.run=5\" to power off cleanly after five seconds or\n"
		   "\"toy.test=all\" to run the in-kernel tests. The exit status is the\n"
		   "kernel's power-off status.\n");
}

int main(int argc, char **argv)
{
	const char *image = NULL, *cmdline = "";
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--cmdline") && i + 1 < argc) {
			cmdline = argv[++i];
		} else if (argv[i][0] != '-' && !image) {
			image = argv[i];
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (!image) {
		usage(stderr);
		return 2;
	}
	if (host_disk_attach(image)) {
		fprintf(stderr, "toy-host: cannot open %s read-write\n", image);
		return 1;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	struct boot_info bi;
	host_boot_info(&bi);
	if (strlen(cmdline) >= sizeof(bi.cmdline)) {
		fprintf(stderr, "toy-host: command line longer than %zu bytes\n",
			sizeof(bi.cmdline) - 1);
		return 2;
	}
	strcpy(bi.cmdline, cmdline);
	kmain(&bi);
}
