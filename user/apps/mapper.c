/* mapper — toy_map across restarts: linear memory backed by an object.
 *
 * On its first run it creates a 4-page blob, page i starting with byte
 * i + 1, and maps it over a page-aligned static buffer; the buffer must
 * show those bytes. It maps it there again REMAPS times, more than the 8
 * mappings a domain may hold: each new map hides the one before, which
 * the kernel forgets, so none may fail. Then seven more maps of parts of
 * the buffer, none inside a later one, make eight; a ninth must be
 * refused with TOY_ERR_LIMIT, and a map of the whole buffer, which hides
 * them all, must be taken. Then, on every boot: it increments a counter kept in
 * the mapped buffer (so in the object, not in its memory object), syncs
 * (which writes mapped pages back to the object), checks with toy_read
 * that the object holds the new value, prints `mapper: N` and parks. A
 * restart resumes it after toy_park with the mapping re-established, so N
 * counts boots; if the mapping were lost, the buffer would read as zeros
 * and it would say `mapper: FAIL ...`. */
#include <stdio.h>
#include <string.h>
#include <toy.h>

#define PAGES   4
#define PAGE    4096
#define COUNTER 100 /* offset of the boot counter in page 0 */
#define REMAPS  12

static uint8_t region[PAGES * PAGE] __attribute__((aligned(PAGE)));
static toy_id obj;

static int fail(const char *what, int rc)
{
	printf("mapper: FAIL %s: %s\n", what, toy_strerror(rc));
	return 1;
}

/* Maps pages [first, first + n) of the buffer to the same pages of obj. */
static int map_part(int first, int n)
{
	return toy_map(&obj, region + first * PAGE, (size_t)n * PAGE, (uint64_t)first * PAGE);
}

/* With the whole buffer mapped once: the limit of 8 mappings holds for
 * ranges that do not hide each other, and a covering map frees it. */
static int check_limit(void)
{
	static const int parts[][2] = {{0, 3}, {1, 3}, {0, 2}, {1, 2}, {2, 2}, {0, 1}, {1, 1}};
	for (unsigned i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		int rc = map_part(parts[i][0], parts[i][1]);
		if (rc < 0)
			return fail("mapping part of the buffer", rc);
	}
	int rc = map_part(2, 1);
	if (rc != TOY_ERR_LIMIT)
		return fail("a ninth mapping was not refused with TOY_ERR_LIMIT", rc);
	rc = map_part(0, PAGES);
	return rc < 0 ? fail("mapping over the eight", rc) : 0;
}

static int setup(void)
{
	static uint8_t init[PAGES * PAGE];
	for (int i = 0; i < PAGES; i++)
		init[i * PAGE] = (uint8_t)(i + 1);
	int rc = toy_create(&obj);
	if (rc >= 0)
		rc = toy_write(&obj, 0, init, sizeof(init));
	for (int i = 0; i <= REMAPS && rc >= 0; i++)
		rc = toy_map(&obj, region, sizeof(region), 0);
	if (rc < 0)
		return fail("create, write and map", rc);
	for (int i = 0; i < PAGES; i++)
		if (region[i * PAGE] != i + 1)
			return fail("the mapped pages do not show the object", 0);
	return check_limit();
}

int main(void)
{
	if (setup())
		return 1;
	for (;;) {
		uint8_t n = (uint8_t)(region[COUNTER] + 1), back = 0;
		region[COUNTER] = n;
		int64_t gen = toy_sync();
		int rc = gen < 0 ? (int)gen : toy_read(&obj, COUNTER, &back, 1);
		if (rc < 0)
			return fail("sync and read back", rc);
		if (back != n || region[0] != 1)
			return fail("the object does not hold what the mapping wrote", 0);
		printf("mapper: %u\n", n);
		toy_park();
	}
}
