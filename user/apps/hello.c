/* hello — the smallest application: a greeting through WASI's fd_write,
 * then exit. It makes no "toy" host call, so it also runs on toy-wasm. */
#include <stdio.h>

int main(void)
{
	printf("hello from a wasm domain\n");
	return 0;
}
