/* bigmem — allocates and touches a large linear memory, then checks it.
 *
 * It fills TOY_BIGMEM_MIB MiB (256 by default; a first argument overrides
 * it where WASI passes arguments, e.g. on toy-wasm) page by page with a
 * pattern that depends on the page index, then verifies every page. Under
 * Toy the memory is demand-paged from the store, so this exercises the page
 * cache, eviction and the memory object. It makes no "toy" host call.
 * Output: progress every 64 MiB, then "bigmem: ok N MiB" or
 * "bigmem: FAIL at page P". */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#ifndef TOY_BIGMEM_MIB
#define TOY_BIGMEM_MIB 256
#endif

#define PAGE          4096u
#define WORDS         (PAGE / 8u)
#define PAGES_PER_MIB 256u
#define REPORT_MIB    64u

static uint64_t pattern(uint64_t page, uint64_t word)
{
	return (page * 0x9e3779b97f4a7c15ull) ^ (word * 0x100000001b3ull) ^ 0x5555aaaa5555aaaaull;
}

static void fill(uint64_t *p, uint64_t page)
{
	for (uint64_t w = 0; w < WORDS; w++)
		p[w] = pattern(page, w);
}

static int check(const uint64_t *p, uint64_t page)
{
	for (uint64_t w = 0; w < WORDS; w++)
		if (p[w] != pattern(page, w))
			return 0;
	return 1;
}

int main(int argc, char **argv)
{
	unsigned long mib = TOY_BIGMEM_MIB;
	if (argc > 1)
		mib = strtoul(argv[1], NULL, 10);
	uint64_t pages = (uint64_t)mib * PAGES_PER_MIB;
	uint64_t *mem = mib ? malloc((size_t)mib << 20) : NULL;
	if (!mem) {
		printf("bigmem: FAIL cannot allocate %lu MiB\n", mib);
		return 1;
	}
	for (uint64_t pg = 0; pg < pages; pg++) {
		fill(mem + pg * WORDS, pg);
		if ((pg + 1) % (REPORT_MIB * PAGES_PER_MIB) == 0)
			printf("bigmem: wrote %" PRIu64 " MiB\n", (pg + 1) / PAGES_PER_MIB);
	}
	for (uint64_t pg = 0; pg < pages; pg++) {
		if (!check(mem + pg * WORDS, pg)) {
			printf("bigmem: FAIL at page %" PRIu64 "\n", pg);
			return 1;
		}
		if ((pg + 1) % (REPORT_MIB * PAGES_PER_MIB) == 0)
			printf("bigmem: verified %" PRIu64 " MiB\n", (pg + 1) / PAGES_PER_MIB);
	}
	printf("bigmem: ok %lu MiB\n", mib);
	return 0;
}
