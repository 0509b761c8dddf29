/* collect.c — deleting the blobs no domain can reach any more.
 *
 * A blob (TOY_KIND_BLOB, made by create) is reached only through a
 * capability in a domain's set or a map in its record: every host call
 * checks the caller's set, and a resumed domain's maps are replayed from
 * its record. So a blob that no domain which may run again holds can never
 * be named again; it is deleted, and nothing can tell. That happens twice:
 * - after a drop, or a map that hid older ones, let go of the last hold
 *   (collect_dropped), once that is committed: a power cut in between
 *   leaves it to the next boot;
 * - at boot (collect_unreachable), once the ended domains are out of the
 *   table: every blob the resumed domains do not hold. That covers what
 *   ended domains held, and what a cut left.
 * Only blobs: a module stays (the boot object names it, and a disk may be
 * moved to run it elsewhere), and a domain's own objects go with its table
 * entry (compact_table in domain.c). When the kernel cannot know every
 * domain that may run again (domains_known), nothing is collected. */
#include <kernel/kernel.h>
#include <kernel/log.h>
#include <kernel/mem.h>
#include <string.h>

#include "domain_int.h"

#define BATCH_BYTES (16ull << 20) /* blob bytes deleted per transaction, about */

/* --- a sorted array of IDs ------------------------------------------------- */

struct idset {
	toy_id *ids;
	size_t n, cap;
	bool failed; /* an add found no memory: the set is incomplete */
};

static bool id_less(const toy_id *a, const toy_id *b)
{
	return memcmp(a->b, b->b, sizeof(a->b)) < 0;
}

static void add_id(void *arg, const toy_id *id)
{
	struct idset *s = arg;
	if (s->n == s->cap && !s->failed) {
		size_t cap = s->cap ? 2 * s->cap : 256;
		toy_id *ids = kmalloc(cap * sizeof(*ids));
		s->failed = !ids;
		if (ids && s->n)
			memcpy(ids, s->ids, s->n * sizeof(*ids));
		if (ids) {
			kfree(s->ids);
			s->ids = ids;
			s->cap = cap;
		}
	}
	if (!s->failed)
		s->ids[s->n++] = *id;
}

/* Heap sort: the entries below n, with v[i]'s children at 2i+1 and 2i+2. */
static void sift_down(toy_id *v, size_t i, size_t n)
{
	for (size_t c; (c = 2 * i + 1) < n; i = c) {
		if (c + 1 < n && id_less(&v[c], &v[c + 1]))
			c++;
		if (!id_less(&v[i], &v[c]))
			return;
		toy_id t = v[i];
		v[i] = v[c];
		v[c] = t;
	}
}

static void idset_sort(struct idset *s)
{
	for (size_t i = s->n / 2; i-- > 0;)
		sift_down(s->ids, i, s->n);
	for (size_t end = s->n; end > 1; end--) {
		toy_id t = s->ids[0];
		s->ids[0] = s->ids[end - 1];
		s->ids[end - 1] = t;
		sift_down(s->ids, 0, end - 1);
	}
}

static bool idset_has(const struct idset *s, const toy_id *id)
{
	size_t lo = 0, hi = s->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (id_less(&s->ids[mid], id))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->n && toy_id_eq(&s->ids[lo], id);
}

/* --- deleting ---------------------------------------------------------------- */

/* Empties the blobs among ids[0..n) bigger than a batch, a step at a time
 * (domain_empty_object), so that deleting them takes little undo log. */
static int empty_big_blobs(const toy_id *ids, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct os_stat st;
		os_store *os = kstore_lock();
		int err = os_stat(os, &ids[i], &st);
		kstore_unlock();
		if (!err && st.kind == TOY_KIND_BLOB && st.size > BATCH_BYTES)
			err = domain_empty_object(&ids[i]);
		if (err && err != TOY_ERR_NOTFOUND)
			return err;
	}
	return 0;
}

/* Deletes the blobs from ids[*next] on, about BATCH_BYTES of them, in one
 * transaction (one gone already is no error); counts them in *deleted. */
static int delete_batch(const toy_id *ids, size_t n, size_t *next, size_t *deleted)
{
	os_store *os = kstore_lock();
	uint64_t bytes = 0;
	size_t count = 0;
	int err = os_begin(os);
	for (; *next < n && !err && bytes < BATCH_BYTES; ++*next) {
		struct os_stat st;
		err = os_stat(os, &ids[*next], &st);
		if (!err && st.kind != TOY_KIND_BLOB)
			err = TOY_ERR_INVAL; /* never: only blobs are listed */
		if (!err && !(err = os_delete(os, &ids[*next]))) {
			bytes += st.size;
			count++;
		}
		if (err == TOY_ERR_NOTFOUND)
			err = 0;
	}
	if (!err)
		err = os_commit(os, NULL);
	else
		os_abort(os);
	kstore_unlock();
	if (!err)
		*deleted += count;
	return err;
}

/* Deletes the blobs ids[0..n). Returns how many were deleted. */
static size_t delete_blobs(const toy_id *ids, size_t n)
{
	size_t next = 0, deleted = 0;
	int err = empty_big_blobs(ids, n);
	while (!err && next < n)
		err = delete_batch(ids, n, &next, &deleted);
	if (err)
		klog(LOG_ERROR, "domain: deleting blobs no domain holds: %s", toy_strerror(err));
	return deleted;
}

void collect_dropped(const toy_id *id)
{
	mutex_lock(&domains_lock);
	bool held = !domains_known() || domains_hold(id);
	mutex_unlock(&domains_lock);
	struct os_stat st;
	os_store *os = kstore_lock();
	bool blob = !held && os_stat(os, id, &st) == 0 && st.kind == TOY_KIND_BLOB;
	kstore_unlock();
	if (blob)
		delete_blobs(id, 1);
}

/* --- at boot ------------------------------------------------------------------- */

struct sweep {
	const struct idset *held;
	struct idset garbage;
};

static int sweep_one(void *arg, const toy_id *id, const struct os_stat *st)
{
	struct sweep *s = arg;
	if (st->kind == TOY_KIND_BLOB && !idset_has(s->held, id))
		add_id(&s->garbage, id);
	return s->garbage.failed ? TOY_ERR_NOMEM : 0;
}

void collect_unreachable(void)
{
	struct idset held = {0};
	struct sweep s = {&held, {0}};
	mutex_lock(&domains_lock);
	bool known = domains_known();
	if (known)
		domains_each_hold(add_id, &held);
	mutex_unlock(&domains_lock);
	if (!known) {
		klog(LOG_WARN,
		     "domain: not collecting blobs: a domain that may run again is unknown");
		return;
	}
	int err = held.failed ? TOY_ERR_NOMEM : 0;
	if (!err) {
		idset_sort(&held);
		os_store *os = kstore_lock();
		err = os_iterate(os, sweep_one, &s);
		kstore_unlock();
	}
	size_t n = err ? 0 : delete_blobs(s.garbage.ids, s.garbage.n);
	if (err)
		klog(LOG_WARN, "domain: not collecting blobs: %s", toy_strerror(err));
	else if (n)
		klog(LOG_INFO, "domain: blobs no domain holds: %zu deleted", n);
	kfree(held.ids);
	kfree(s.garbage.ids);
}
