/* faultenv.h — fault injection around an os_env, after SQLite's fault loops:
 * fail the Nth allocation, or the Nth device call (read, write or flush, as
 * selected), once or from then on. It also counts live allocations so tests
 * can check that every error path frees what it took. */
#ifndef TOY_TEST_FAULTENV_H
#define TOY_TEST_FAULTENV_H

#include <objstore/objstore.h>
#include <stdbool.h>

enum {
	FAULT_READ = 1,
	FAULT_WRITE = 2,
	FAULT_FLUSH = 4,
	FAULT_ANY_IO = 7,
};

struct faultenv {
	struct os_env inner;
	/* allocation faults */
	uint64_t nalloc;        /* allocations attempted since arming */
	uint64_t alloc_fail_at; /* 0: never */
	bool alloc_persist;     /* keep failing after the first */
	uint64_t alloc_failures;
	int64_t live; /* allocations not yet freed */
	/* device faults */
	unsigned io_mask;
	uint64_t nio; /* selected calls since arming */
	uint64_t io_fail_at;
	bool io_persist;
	uint64_t io_failures;
};

/* Makes *out an env that forwards to *inner through f. */
void faultenv_wrap(struct faultenv *f, const struct os_env *inner, struct os_env *out);

/* Fails the nth allocation from now (n >= 1). */
void faultenv_fail_alloc(struct faultenv *f, uint64_t n, bool persist);

/* Fails the nth selected device call from now (n >= 1). */
void faultenv_fail_io(struct faultenv *f, unsigned mask, uint64_t n, bool persist);

/* Stops injecting faults (counters of failures are kept). */
void faultenv_disarm(struct faultenv *f);

/* Faults injected since the last arming. */
uint64_t faultenv_fired(const struct faultenv *f);

#endif
