/* mapper — toy_map across restarts: linear memory backed by an object.
 *
 * On its first run it creates a 4-page blob, page i starting with byte
 * i + 1, and maps it over a page-aligned static buffer; the buffer must
 * show those bytes. Then, on every boot: it increments a counter kept in
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

static uint8_t region[PAGES * PAGE] __attribute__((aligned(PAGE)));
static toy_id obj;

static int fail(const char *what, int rc)
{
	printf("mapper: FAIL %s: %s\n", what, toy_strerror(rc));
	return 1;
}

static int setup(void)
{
	static uint8_t init[PAGES * PAGE];
	for (int i = 0; i < PAGES; i++)
		init[i * PAGE] = (uint8_t)(i + 1);
	int rc = toy_create(&obj);
	if (rc >= 0)
		rc = toy_write(&obj, 0, init, sizeof(init));
	if (rc >= 0)
		rc = toy_map(&obj, region, sizeof(region), 0);
	if (rc < 0)
		return fail("create, write and map", rc);
	for (int i = 0; i < PAGES; i++)
		if (region[i * PAGE] != i + 1)
			return fail("the mapped pages do not show the object", 0);
	return 0;
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
