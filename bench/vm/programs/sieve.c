/* sieve: the sieve of Eratosthenes up to 10^6, n times. */
#include "bench.h"

#define N 1000000

static unsigned char composite[N + 1];

static uint32_t sieve(void)
{
	uint32_t count = 0;
	memset(composite, 0, sizeof(composite));
	for (uint32_t i = 2; i <= N; i++) {
		if (composite[i])
			continue;
		count++;
		if ((uint64_t)i * i > N)
			continue;
		for (uint32_t j = i * i; j <= N; j += i)
			composite[j] = 1;
	}
	return count;
}

static uint32_t work(uint32_t n)
{
	uint32_t count = 0;
	for (uint32_t r = 0; r < n; r++)
		count += sieve();
	return count;
}

BENCH(8)
