/* crashdev.h — a block device that simulates power loss, after SQLite's
 * crash VFS. Writes stay in a volatile cache until flush; reads see the
 * cache. At a crash, each cached block is independently written, dropped, or
 * torn (some 512-byte sectors new, the rest old), and from then on every call
 * fails with TOY_ERR_IO, as a dead disk would. The crash fires at the
 * crash_at'th write-or-flush call (that write itself is cached first, so it
 * too may land, vanish or tear), or when crashdev_crash is called. */
#ifndef TOY_TEST_CRASHDEV_H
#define TOY_TEST_CRASHDEV_H

#include "memdev.h"
#include "rng.h"

#include <stdbool.h>

struct crashdev {
	struct memdev *disk; /* the durable medium */
	uint8_t **pend;      /* per block: cached contents or NULL */
	uint64_t *plist;     /* blocks with cached contents, in first-write order */
	uint64_t npend;
	uint64_t ops;      /* write and flush calls so far */
	uint64_t crash_at; /* 0: never */
	bool crashed;
	struct trng rng; /* decides the fate of cached blocks */
	uint64_t landed, dropped, torn;
};

int crashdev_init(struct crashdev *c, struct memdev *disk, uint64_t seed);
void crashdev_free(struct crashdev *c);
void crashdev_dev(struct crashdev *c, struct os_dev *dev);

/* Cuts the power now: resolves the cache as described above. */
void crashdev_crash(struct crashdev *c);

/* Writes the cache to the disk (a clean shutdown) and revives the device. */
void crashdev_settle(struct crashdev *c);

#endif
