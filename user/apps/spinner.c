/* spinner — a domain that never yields: an endless loop with no host call.
 * The kernel must still share the CPU (fuel slices, the timer) so every
 * other domain keeps running; tests run it beside ticker. */
#include <stdio.h>

int main(void)
{
	printf("spinner: spinning\n");
	volatile unsigned long n = 0;
	for (;;)
		n++;
}
