/* forker — a domain that spawns without end, for hostile-test.
 *
 * init gives it READ|SPAWN on its own module. It spawns copies of itself
 * (holding nothing, so they only park) as fast as it can until the kernel
 * refuses, prints "forker: spawned N, then refused: ERROR", waits a little
 * (the copies start meanwhile; the kernel counted what they would take, so
 * a few more may fit once it sees what they took) and does it again
 * ("forker: again: spawned M more, then refused: ERROR"), then parks. The
 * kernel must refuse before its memory runs so low that the other domains
 * suffer, and keep running them. */
#include <stdio.h>
#include <toy.h>

#define MAX_SPAWNS 100000

/* Spawns copies until the kernel refuses (its error in *rc) or
 * MAX_SPAWNS; returns how many it spawned. */
static int spawn_all(const toy_id *module, int *rc)
{
	toy_id child;
	int n = 0;
	*rc = 0;
	while (n < MAX_SPAWNS && (*rc = toy_spawn(module, NULL, 0, &child)) == 0)
		n++;
	return n;
}

int main(void)
{
	struct toy_cap cap;
	if (toy_list(&cap, 1) < 1) { /* a copy: holds nothing */
		for (;;)
			toy_park();
	}
	int rc, n = spawn_all(&cap.id, &rc);
	printf("forker: spawned %d, then refused: %s\n", n, rc ? toy_strerror(rc) : "none");
	toy_sleep(TOY_MS(500));
	n = spawn_all(&cap.id, &rc);
	printf("forker: again: spawned %d more, then refused: %s\n", n,
	       rc ? toy_strerror(rc) : "none");
	for (;;)
		toy_park();
}
