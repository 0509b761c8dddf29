/* peeker — maps a page it may read but not write, for hostile-test.
 *
 * init gives it READ|MAP, without WRITE, on a page of text. toy_map then
 * backs a buffer with it read-only: peeker prints what it reads there
 * ("peeker: reads 'TEXT'") and then writes into it. The kernel must stop it
 * ("domain peeker: stopped: it wrote to memory mapped read-only") without
 * the write reaching the object; peeker must never print "peeker: wrote". */
#include <stdio.h>
#include <toy.h>

#define PAGE 4096

static char page[PAGE] __attribute__((aligned(PAGE)));

int main(void)
{
	struct toy_cap cap;
	if (toy_list(&cap, 1) < 1) {
		printf("peeker: FAIL no capability\n");
		return 1;
	}
	int rc = toy_map(&cap.id, page, PAGE, 0);
	if (rc < 0) {
		printf("peeker: FAIL map: %s\n", toy_strerror(rc));
		return 1;
	}
	printf("peeker: reads '%.40s'\n", page);
	page[0] = 'A'; /* the kernel stops the domain here */
	printf("peeker: wrote '%.40s'\n", page);
	return 0;
}
