/* bench.h — the harness every benchmark program shares.
 *
 * A program defines `static uint32_t work(uint32_t n)` and ends with
 * BENCH(default_n). Built for bare wasm32 (no libc, no imports: every engine,
 * even wasm-interp without WASI, can run it), it exports `bench()` =
 * work(default_n). Built natively or for wasm32-wasi with -DBENCH_MAIN, it is
 * a command printing work(n) for n from argv[1] (default default_n; argv[2]
 * repeats the work). Every work() recomputes from scratch.
 * memset/memcpy are defined here for the bare build in case the compiler
 * calls them (built with -mbulk-memory it uses memory.fill/memory.copy).
 */
#ifndef BENCH_H
#define BENCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef BENCH_MAIN
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* argv[2]: run work() that many times (the benchmark times fast native
 * runs over several repetitions) */
#define BENCH(def)                                                                                 \
	int main(int argc, char **argv)                                                            \
	{                                                                                          \
		uint32_t n = argc > 1 && *argv[1] ? (uint32_t)atoi(argv[1]) : (def);               \
		uint32_t r = 0;                                                                    \
		int reps = argc > 2 ? atoi(argv[2]) : 1;                                           \
		volatile uint32_t vn = n; /* keeps repetitions from being merged */                \
		for (int i = 0; i < reps; i++)                                                     \
			r = work(vn);                                                              \
		printf("%u\n", r);                                                                 \
		return 0;                                                                          \
	}
#else
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n)
{
	volatile unsigned char *p = d;
	while (n--)
		*p++ = (unsigned char)c;
	return d;
}
void *memcpy(void *d, const void *s, size_t n)
{
	volatile unsigned char *p = d;
	const unsigned char *q = s;
	while (n--)
		*p++ = *q++;
	return d;
}
#define BENCH(def)                                                                                 \
	__attribute__((export_name("bench"))) uint32_t bench(void);                                \
	uint32_t bench(void)                                                                       \
	{                                                                                          \
		return work(def);                                                                  \
	}
#endif

#endif
