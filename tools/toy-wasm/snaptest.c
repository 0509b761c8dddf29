/* snaptest.c — `toy-wasm snapshot-test` (not yet). */
#include "host.h"

#include <stdio.h>

int tw_snapshot_test(int argc, char **argv)
{
	(void)argc, (void)argv;
	fprintf(stderr, "toy-wasm: snapshot-test: not implemented yet\n");
	return 2;
}
