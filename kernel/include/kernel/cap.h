/* kernel/cap.h — a domain's capability set: ID → rights.
 *
 * The set lives in memory while the domain runs and is saved whole to the
 * domain's capability object (an array of struct toy_cap, in the order the
 * capabilities were added) whenever it changes. Lookups answer "not held"
 * and "does not exist" alike: a caller learns nothing about IDs it does not
 * hold. The set is small (at most CAP_MAX entries) and searched linearly. */
#ifndef KERNEL_CAP_H
#define KERNEL_CAP_H

#include <stdint.h>
#include <toy/abi.h>

#define CAP_MAX 1024u

struct capset {
	struct toy_cap *caps; /* in insertion order */
	uint32_t n, cap;
};

/* The rights held on id (0 when not held). */
uint32_t cap_rights(const struct capset *s, const toy_id *id);

/* Checks that id is held with every right in need. Returns 0,
 * TOY_ERR_NOTFOUND when id is not held (exactly what a missing object
 * gives), or TOY_ERR_PERM when it is held without those rights. */
int cap_check(const struct capset *s, const toy_id *id, uint32_t need);

/* Adds rights on id (a union with any already held). Returns 0,
 * TOY_ERR_NOMEM or TOY_ERR_LIMIT. */
int cap_add(struct capset *s, const toy_id *id, uint32_t rights);

/* Removes id. Returns 0 or TOY_ERR_NOTFOUND. */
int cap_drop(struct capset *s, const toy_id *id);

/* The set as bytes (n * sizeof(struct toy_cap)) and back. cap_load checks
 * every entry (rights within TOY_RIGHTS_ALL, no nil IDs, no duplicates) and
 * returns TOY_ERR_CORRUPT otherwise. */
int cap_load(struct capset *s, const void *bytes, uint64_t len);
void cap_free(struct capset *s);

#endif
