/* keeper — keeps KEEP_PAGES pages of marked bytes in its memory across
 * restarts, for the test of memory the disk lost (hostile-test).
 *
 * The first run fills them (each page starts with the marker "TOYKEEP!"
 * and its number, so a test can find its blocks in the disk image; the rest
 * is a pattern of the page number), prints "keeper: kept N pages" and parks.
 * Every later boot it resumes after the park, first echoes its first
 * page's marker straight from memory (writev(2), so the kernel reads the
 * page: "TOYKEEP!0000 is keeper's first page", one write, one line),
 * checks every byte, prints "keeper: N pages intact" (or "keeper: page I
 * changed") and parks again.
 * Its memory is read back from the store only when it is touched, so a
 * damaged block shows at that check: the kernel must then stop keeper (the
 * page cannot be read: TOY_ERR_CORRUPT) rather than hand it wrong bytes or
 * go down, and the other domains must go on. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <toy.h>
#include <unistd.h>

#define KEEP_PAGES 16
#define PAGE       4096

static uint8_t pages[KEEP_PAGES][PAGE] __attribute__((aligned(PAGE)));

static uint8_t pattern(unsigned page, unsigned i)
{
	return (uint8_t)(page * 31u + i * 7u + 1u);
}

static void fill(void)
{
	for (unsigned p = 0; p < KEEP_PAGES; p++) {
		snprintf((char *)pages[p], 16, "TOYKEEP!%04u", p);
		for (unsigned i = 16; i < PAGE; i++)
			pages[p][i] = pattern(p, i);
	}
}

/* The first page that differs from what fill wrote, or -1. */
static int first_changed(void)
{
	for (unsigned p = 0; p < KEEP_PAGES; p++) {
		char head[16] = {0};
		snprintf(head, sizeof(head), "TOYKEEP!%04u", p);
		if (memcmp(pages[p], head, sizeof(head)) != 0)
			return (int)p;
		for (unsigned i = 16; i < PAGE; i++)
			if (pages[p][i] != pattern(p, i))
				return (int)p;
	}
	return -1;
}

int main(void)
{
	fill();
	printf("keeper: kept %d pages\n", KEEP_PAGES);
	for (;;) {
		int rc = toy_park();
		if (rc < 0) {
			printf("keeper: FAIL park: %s\n", toy_strerror(rc));
			return 1;
		}
		/* One write, so the line comes out whole; the kernel touches the
		 * page first. */
		static char is_first[] = " is keeper's first page\n";
		struct iovec line[] = {{pages[0], 12}, {is_first, sizeof(is_first) - 1}};
		writev(1, line, 2);
		int changed = first_changed();
		if (changed >= 0)
			printf("keeper: page %d changed\n", changed);
		else
			printf("keeper: %d pages intact\n", KEEP_PAGES);
	}
}
