/* crasher — a domain that recurses without end. The vm must stop it with a
 * stack-exhaustion trap, the kernel must record it as failed (so it is not
 * resumed on the next boot) and every other domain must go on. */
#include <stdio.h>

static volatile int sink, stop; /* stop is never set: the recursion is endless */

__attribute__((noinline)) static int down(int n)
{
	char pad[64];
	pad[n % 64] = (char)n;
	sink = pad[(n + 1) % 64];
	return stop ? n : down(n + 1) + sink;
}

int main(void)
{
	printf("crasher: recursing\n");
	return down(0);
}
