/* snap: a small program touching most of what a snapshot must carry:
 * deep and indirect calls (qsort's comparator goes through a table),
 * globals (the stack pointer), memory growth (malloc), floats, and output
 * between safepoints. Run by `toy-wasm snapshot-test` at every safepoint. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fib(int n)
{
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

static int cmp(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

static double series(int n)
{
	double s = 0;
	for (int k = 1; k <= n; k++)
		s += (k & 1 ? 4.0 : -4.0) / (2.0 * k - 1.0);
	return s;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 300;
	printf("fib(14) = %d\n", fib(14));
	int *v = malloc(sizeof(int) * (size_t)n);
	uint32_t r = 7;
	for (int i = 0; i < n; i++) {
		r = r * 1103515245u + 12345u;
		v[i] = (int)(r >> 8) % 1000;
	}
	qsort(v, (size_t)n, sizeof(int), cmp);
	printf("sorted: %d %d %d\n", v[0], v[n / 2], v[n - 1]);
	char *big = malloc(1 << 20); /* grows memory */
	memset(big, 'x', 1 << 20);
	big[12345] = 'y';
	printf("big: %c %c\n", big[0], big[12345]);
	printf("pi ~ %.6f\n", series(n * 3));
	for (int i = 0; i < 5; i++)
		printf("line %d\n", i);
	free(big);
	free(v);
	return n % 7;
}
