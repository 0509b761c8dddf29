/* model.h — a plain in-memory reference model of a store's contents: objects
 * with kind, flags, size, their bytes page by page, and the set of stored
 * pages. Tests apply
 * every change to the store and to the model, then ask whether the store
 * shows exactly the model (model_check_store). */
#ifndef TOY_TEST_MODEL_H
#define TOY_TEST_MODEL_H

#include <objstore/objstore.h>
#include <stdbool.h>

struct model_obj {
	toy_id id;
	uint32_t kind, flags;
	uint64_t size;
	uint8_t **pg;    /* npg pages, NULL when all zero; zero beyond size */
	uint8_t *stored; /* per page: holds data in the store */
	uint8_t *hashok; /* per page: its hash must equal XXH3-128 of data */
	uint64_t npg;    /* entries in pg, stored, hashok */
};

struct model {
	struct model_obj *objs;
	size_t n, cap;
	uint64_t gen; /* generation this state was committed as (0: unknown) */
};

void model_init(struct model *m);
void model_free(struct model *m);
void model_copy(struct model *dst, const struct model *src);

struct model_obj *model_find(const struct model *m, const toy_id *id);
void model_create(struct model *m, const toy_id *id, uint32_t kind);
void model_write(struct model *m, const toy_id *id, uint64_t off, const void *buf, size_t len);
void model_set_size(struct model *m, const toy_id *id, uint64_t size);
void model_set_flags(struct model *m, const toy_id *id, uint32_t flags);
void model_delete(struct model *m, const toy_id *id);
uint64_t model_npages(const struct model_obj *o);

/* true when a and b hold the same objects with the same contents. */
bool model_equal(const struct model *a, const struct model *b);

/* Compares the store's visible contents with m: the object set (through
 * os_iterate), each object's stat, bytes (os_read) and stored page hashes.
 * Returns 0 on a match, else -1 with a description in why. */
int model_check_store(const struct model *m, os_store *s, char *why, size_t len);

/* The store's os_check, with its message appended to why on failure. */
int model_fsck(os_store *s, char *why, size_t len);

#endif
