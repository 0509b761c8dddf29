/* fib: recursive calls. n: the Fibonacci index. */
#include "bench.h"

__attribute__((noinline)) static uint32_t fib(uint32_t n)
{
	return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

static uint32_t work(uint32_t n)
{
	return fib(n);
}

BENCH(35)
