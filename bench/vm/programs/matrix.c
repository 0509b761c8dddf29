/* matrix: double-precision n x n matrix multiplication (n <= 256), 3 times. */
#include "bench.h"

#define MAXN 256

static double A[MAXN * MAXN], B[MAXN * MAXN], C[MAXN * MAXN];

static uint32_t work(uint32_t n)
{
	double *a = A, *b = B, *c = C;
	if (n > MAXN)
		n = MAXN;
	for (uint32_t i = 0; i < n * n; i++) {
		a[i] = (double)(i % 17) * 0.25 - 1.5;
		b[i] = (double)(i % 13) * 0.5 + 0.125;
	}
	for (int rep = 0; rep < 3; rep++) {
		for (uint32_t i = 0; i < n; i++) {
			for (uint32_t j = 0; j < n; j++) {
				double s = 0;
				for (uint32_t k = 0; k < n; k++)
					s += a[i * n + k] * b[k * n + j];
				c[i * n + j] = s;
			}
		}
		double *t = a;
		a = c;
		c = t;
		for (uint32_t i = 0; i < n * n; i++)
			a[i] = a[i] / (1.0 + (a[i] < 0 ? -a[i] : a[i]));
	}
	double sum = 0;
	for (uint32_t i = 0; i < n * n; i++)
		sum += a[i] * (double)(i % 7);
	return (uint32_t)(int64_t)(sum * 1000.0);
}

BENCH(200)
