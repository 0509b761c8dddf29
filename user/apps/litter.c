/* litter — leaves blobs behind for the kernel to delete once no domain
 * holds them (collect-test).
 *
 * First run: it creates five blobs and prints `litter: blob NAME ID` for
 * each, so the test can look for them in the disk image:
 *   dropped  a page, dropped at once: the drop deletes it;
 *   big      BIG_MIB MiB, more than the kernel deletes in one transaction,
 *            dropped at once: deleted too;
 *   hidden   a page, mapped over a buffer, then its capability dropped:
 *            the map holds it, so it stays; then mapped over, by:
 *   mapped   a page, mapped over the same buffer, which hides hidden's
 *            map: nothing holds hidden now, so that map deletes it; then
 *            mapped's capability is dropped: its map holds it;
 *   kept     a page, kept: it stays while litter may run;
 * and MANY empty blobs, kept too, which make the set of IDs the kernel
 * sorts at boot to see what domains hold a big one (`litter: kept MANY
 * more`). Then it prints `litter: parked` and parks. The next boot resumes it: the
 * buffer must still show mapped's bytes (the blob it maps is still there),
 * and it exits with `litter: done`. The boot after that deletes litter
 * from the domain table, and what it held with it: mapped, kept and the
 * MANY. */
#include <stdio.h>
#include <string.h>
#include <toy.h>

#define PAGE    4096
#define BIG_MIB 24
#define MANY    300

static uint8_t buffer[PAGE] __attribute__((aligned(PAGE)));
static uint8_t chunk[1 << 20];

static int fail(const char *what, int rc)
{
	printf("litter: FAIL %s: %s\n", what, toy_strerror(rc));
	return 1;
}

/* A new blob of mib MiB (0: one page) filled with the byte fill, its ID
 * printed under name. */
static int make(toy_id *id, const char *name, unsigned mib, uint8_t fill)
{
	char text[TOY_ID_TEXT_LEN + 1];
	size_t len = mib ? sizeof(chunk) : PAGE;
	unsigned n = mib ? mib : 1;
	memset(chunk, fill, len);
	int rc = toy_create(id);
	for (unsigned i = 0; i < n && rc >= 0; i++)
		rc = toy_write(id, (uint64_t)i * len, chunk, len);
	if (rc < 0)
		return fail(name, rc);
	printf("litter: blob %s %s\n", name, toy_id_str(id, text));
	return 0;
}

static int litter(void)
{
	toy_id dropped, big, hidden, mapped, kept;
	if (make(&dropped, "dropped", 0, 1) || make(&big, "big", BIG_MIB, 2) ||
	    make(&hidden, "hidden", 0, 3) || make(&mapped, "mapped", 0, 4) ||
	    make(&kept, "kept", 0, 5))
		return 1;
	int rc = toy_drop(&dropped);
	if (rc >= 0)
		rc = toy_drop(&big);
	if (rc >= 0)
		rc = toy_map(&hidden, buffer, PAGE, 0);
	if (rc >= 0)
		rc = toy_drop(&hidden);
	if (rc >= 0 && buffer[0] != 3)
		return fail("hidden's map does not show it", 0);
	if (rc >= 0)
		rc = toy_map(&mapped, buffer, PAGE, 0);
	if (rc >= 0)
		rc = toy_drop(&mapped);
	if (rc < 0)
		return fail("drop and map", rc);
	if (buffer[0] != 4 || buffer[PAGE - 1] != 4)
		return fail("mapped's map does not show it", 0);
	for (int i = 0; i < MANY; i++) {
		toy_id more;
		if ((rc = toy_create(&more)) < 0)
			return fail("making many", rc);
	}
	printf("litter: kept %d more\n", MANY);
	return 0;
}

int main(void)
{
	if (litter())
		return 1;
	printf("litter: parked\n");
	int rc = toy_park();
	if (rc < 0)
		return fail("park", rc);
	if (buffer[0] != 4 || buffer[PAGE - 1] != 4)
		return fail("after the restart, the buffer does not show mapped", 0);
	printf("litter: done\n");
	return 0;
}
