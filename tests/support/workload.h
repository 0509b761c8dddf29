/* workload.h — random store changes for the crash, differential and fault
 * tests. Each op is valid for the current model state (IDs come from a small
 * pool, so objects are created, rewritten, shrunk, deleted and recreated
 * often); apply it to the store and to the model alike. */
#ifndef TOY_TEST_WORKLOAD_H
#define TOY_TEST_WORKLOAD_H

#include "model.h"
#include "rng.h"

enum { WL_CREATE, WL_WRITE, WL_SET_SIZE, WL_SET_FLAGS, WL_DELETE };

#define WL_MAX_LEN (3 * OS_PAGE_SIZE)

struct wl_limits {
	unsigned nids;      /* size of the ID pool (<= 16) */
	uint64_t max_pages; /* objects stay within this many pages */
	unsigned fill;      /* percent of ops that write whole aligned pages */
};

struct wl_op {
	int op;
	toy_id id;
	uint32_t arg; /* kind (CREATE) or flags (SET_FLAGS) */
	uint64_t off; /* WRITE offset, SET_SIZE size */
	size_t len;   /* WRITE length */
	uint8_t buf[WL_MAX_LEN];
};

/* The ID pool entry i (0 <= i < 16): mostly random-looking, one reserved. */
toy_id wl_id(unsigned i);

/* Picks a random op valid against m. */
void wl_gen(struct trng *r, const struct model *m, const struct wl_limits *lim, struct wl_op *op);

/* Picks a random op for op->id (set by the caller), which exists or not. */
void wl_gen_for(struct trng *r, const struct wl_limits *lim, bool exists, uint64_t size,
		struct wl_op *op);

/* Applies op to the store (returns its rc) or to the model. */
int wl_apply(os_store *s, const struct wl_op *op);
void wl_apply_model(struct model *m, const struct wl_op *op);

const char *wl_name(int op);

#endif
