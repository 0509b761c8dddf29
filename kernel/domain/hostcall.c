/* hostcall.c — the host calls of import module "toy" (toy/abi.h).
 *
 * Every call decodes and checks all of its arguments first (pointers and
 * lengths against the caller's linear memory, rights in its capability
 * set), and only then acts, so a refused call changes nothing. IDs the
 * caller does not hold answer TOY_ERR_NOTFOUND, as missing objects do.
 * Domain memory is only touched with no lock held (a touch may fault a page
 * in from the store); bytes move through kernel buffers. Changes to objects
 * and capability sets are committed before the call returns. */
#include <kernel/kernel.h>
#include <kernel/log.h>
#include <kernel/mem.h>
#include <kernel/thread.h>
#include <string.h>

#include "domain_int.h"

#define CHUNK      (16u * 1024)
#define WRITE_MAX  (1u << 20)
#define SPAWN_MAX  64u
#define OBJECT_MAX (1ull << 40)
#define PAGE_MASK  4095ull

static struct domain *caller(struct vm_host_call *c)
{
	return c->ctx;
}

static int get_id(struct domain *d, uint64_t p, toy_id *id)
{
	const uint8_t *s = domain_span(d, (uint32_t)p, sizeof(*id));
	if (!s)
		return TOY_ERR_RANGE;
	memcpy(id, s, sizeof(*id));
	return 0;
}

static int put_bytes(struct domain *d, uint64_t p, const void *src, uint64_t n)
{
	uint8_t *s = domain_span(d, (uint32_t)p, n);
	if (!s)
		return TOY_ERR_RANGE;
	memcpy(s, src, n);
	return 0;
}

static uint64_t ret32(int64_t v)
{
	return (uint32_t)(int32_t)v;
}

/* Rights check plus the object's kind: data calls work on blobs (and reads
 * on modules and the boot object too), never on a domain's own machinery. */
static int check_object(struct domain *d, const toy_id *id, uint32_t need, bool reading)
{
	mutex_lock(&domains_lock);
	int err = cap_check(&d->caps, id, need);
	mutex_unlock(&domains_lock);
	if (err)
		return err;
	struct os_stat st;
	os_store *os = kstore_lock();
	err = os ? os_stat(os, id, &st) : TOY_ERR_NOTSUP;
	kstore_unlock();
	if (err)
		return err;
	if (st.kind == TOY_KIND_BLOB ||
	    (reading && (st.kind == TOY_KIND_MODULE || st.kind == TOY_KIND_BOOT)))
		return 0;
	return TOY_ERR_INVAL;
}

/* Commits d's capability set after a change; returns the commit's error. */
static int commit_caps(struct domain *d)
{
	os_store *os = kstore_lock();
	int err = os_begin(os);
	if (!err && !(err = domain_save_caps(os, d)))
		err = os_commit(os, NULL);
	else
		os_abort(os);
	kstore_unlock();
	return err;
}

/* --- objects ----------------------------------------------------------------- */

static int hc_create(struct vm_host_call *c, uint64_t *a, uint64_t *r)
{
	struct domain *d = caller(c);
	toy_id id = {0};
	int err = domain_span(d, (uint32_t)a[0], sizeof(id)) ? 0 : TOY_ERR_RANGE;
	if (!err) {
		mutex_lock(&domains_lock);
		os_store *os = kstore_lock();
		err = d->caps.n >= CAP_MAX ? TOY_ERR_LIMIT : os_begin(os);
		bool added = false;
		if (!err && !(err = os_create(os, &id, TOY_KIND_BLOB)) &&
		    !(err = cap_add(&d->caps, &id, TOY_RIGHTS_ALL))) {
			added = true;
			err = domain_save_caps(os, d);
		}
		if (!err)
			err = os_commit(os, NULL);
		else
			os_abort(os);
		if (err && added)
			cap_drop(&d->caps, &id);
		kstore_unlock();
		mutex_unlock(&domains_lock);
	}
	if (!err)
		err = put_bytes(d, a[0], &id, sizeof(id));
	r[0] = ret32(err);
	return 0;
}

/* Copies [off, off+len) of the object to linear memory at buf. */
static int64_t read_to(struct domain *d, const toy_id *id, uint64_t off, uint32_t buf, uint32_t len)
{
	uint8_t small[256];
	uint8_t *bounce = len <= sizeof(small) ? small : kmalloc(CHUNK);
	if (!bounce)
		return TOY_ERR_NOMEM;
	uint32_t done = 0;
	while (done < len) {
		uint32_t n = len - done < CHUNK ? len - done : CHUNK;
		os_store *os = kstore_lock();
		int64_t got = os_read(os, id, off + done, bounce, n);
		kstore_unlock();
		if (got < 0 || put_bytes(d, (uint64_t)buf + done, bounce, (uint64_t)got)) {
			if (bounce != small)
				kfree(bounce);
			return got < 0 ? got : TOY_ERR_RANGE;
		}
		done += (uint32_t)got;
		if ((uint32_t)got < n)
			break;
	}
	if (bounce != small)
		kfree(bounce);
	return done;
}

static int hc_read(struct vm_host_call *c, uint64_t *a, uint64_t *r)
{
	struct domain *d = caller(c);
	toy_id id;
	uint64_t off = a[1];
	uint32_t buf = (uint32_t)a[2], len = (uint32_t)a[3];
	int64_t ret = get_id(d, a[0], &id);
	if (!ret && (!domain_span(d, buf, len) || len > INT32_MAX || off > OBJECT_MAX))
		ret = TOY_ERR_RANGE;
	if (!ret)
		ret = check_object(d, &id, TOY_RIGHT_READ, true);
	if (!ret)
		ret = read_to(d, &id, off, buf, len);
	r[0] = ret32(ret);
	return 0;
}

static int hc_write(struct vm_host_call *c, uint64_t *a, uint64_t *r)
{
	struct domain *d = caller(c);
	toy_id id;
	uint64_t off = a[1];
	uint32_t len = (uint32_t)a[3];
	const uint8_t *src = domain_span(d, (uint32_t)a[2], len);
	int err = get_id(d, a[0], &id);
	if (!err && (!src || len > WRITE_MAX || off > OBJECT_MAX))
		err = TOY_ERR_RANGE;
	if (!err)
		err = check_object(d, &id, TOY_RIGHT_WRITE, false);
	uint8_t *copy = err ? NULL : kmalloc(len ? len : 1);
	if (!err && !copy)
		err = TOY_ERR_NOMEM;
	if (!err) {
		memcpy(copy, src, len);      /* may fault pages in: before the lock */
		err = domain_memory_lost(d); /* then copy holds nothing to keep */
	}
	if (!err) {
		os_store *os = kstore_lock();
		err = os_begin(os);
		if (!err && !(err = os_write(os, &id, off, copy, len)))
			err = os_commit(os, NULL);
		else
			os_abort(os);
		kstore_unlock();
	}
	kfree(copy);
	r[0] = ret32(err ? err : (int64_t)len);
	return 0;
}

static int hc_size(struct vm_host_call *c, uint64_t *a, uint64_t *r)
{
	struct domain *d = caller(c);
	toy_id id;
	struct os_stat st;
	int err = get_id(d, a[0], &id);
	if (!err)
		err = check_object(d, &id, TOY_RIGHT_READ, true);
	if (!err) {
		os_store *os = kstore_lock();
		err = os_stat(os, &id, &st);
		kstore_unlock();
	}
	r[0] = err ? (uint64_t)(int64_t)err : st.size;
	return 0;
}

static int hc_resize(struct vm_host_call *c, uint64_t *a, uint64_t *r)
{
	struct domain *d = caller(c);
	toy_id id;
	int err = get_id(d, a[0], &id);
	if (!err && a[1] > OBJECT_MAX)
		err = TOY_ERR_RANGE;
	if (!err)
		err = check_object(d, &id, TOY_RIGHT_WRITE, false);
	if (!err) {
		os_store *os = kstore_lock();
		err = os_begin(os);
		if (!err && !(err = os_set_size(os, &id, a[1])))
			err = os_commit(os, NULL);
		else
			os_abort(os);
		kstore_unlock();
	}
	r[0] = ret32(err);
	return 0;
}

static int hc_map(struct vm_host_call *c, uint64_t *a, uint64_t *r)
{
	struct domain *d = caller(c);
	toy_id id;
	uint64_t addr = (uint32_t)a[1], len = (uint32_t)a[2], off = a[3];
	int err = get_id(d, a[0], &id);
	if (!err && ((addr | len | off) & PAGE_MASK || !len || off > OBJECT_MAX ||
		     !domain_span(d, addr, len)))
		err = TOY_ERR_RANGE;
	if (!err)
		err = check_object(d, &id, TOY_RIGHT_READ | TOY_RIGHT_MAP, false);
	if (!err)
		err = domain_map(d, &id, addr, len, off);
	r[0] = ret32(err);
	return 0;
}

/* --- capabilities ------------------------------------------------------------ */

static int hc_grant(struct vm_host_call *c, uint64_t *a, uint64_t *r)
{
	struct domain *d = caller(c), *to = NULL;
	toy_id id, target;
	uint32_t rights = (uint32_t)a[2];
	int err = get_id(d, a[0], &id);
	if (!err)
		err = get_id(d, a[1], &target);
	if (!err && (!rights || rights & ~TOY_RIGHTS_ALL))
		err = TOY_ERR_INVAL;
	mutex_lock(&domains_lock);
	if (!err && !(err = cap_check(&d->caps, &id, TOY_RIGHT_GRANT)) &&
	    (rights & ~cap_rights(&d->caps, &id)))
		err = TOY_ERR_PERM;
	if (!err)
		err = cap_check(&d->caps, &target, TOY_RIGHT_GRANT);
	if (!err && !(to = domain_find(&target)))
		err = TOY_ERR_NOTFOUND;
	uint32_t before = to ? cap_rights(&to->caps, &id) : 0;
	if (!err)
		err = cap_add(&to->caps, &id, rights);
	if (!err && (err = commit_caps(to)) != 0) {
		cap_drop(&to->caps, &id);
		if (before)
			cap_add(&to->caps, &id, before);
	}
	mutex_unlock(&domains_lock);
	r[0] = ret32(err);
	return 0;
}

static int hc_drop(struct vm_host_call *c, uint64_t *a, uint64_t *r)
{
	struct domain *d = caller(c);
	toy_id id;
	int err = get_id(d, a[0], &id);
	mutex_lock(&domains_lock);
	uint32_t before = err ? 0 : cap_rights(&d->caps, &id);
	if (!err)
		err = cap_drop(&d->caps, &id);
	if (!err && (err = commit_caps(d)) != 0)
		cap_add(&d->caps, &id, before);
	mutex_unlock(&domains_lock);
	if (!err)
		collect_dropped(&id);
	r[0] = ret32(err);
	return 0;
}

static int hc_rights(struct vm_host_call *c, uint64_t *a, uint64_t *r)
{
	struct domain *d = caller(c);
	toy_id id;
	int err = get_id(d, a[0], &id);
	if (!err) {
		mutex_lock(&domains_lock);
		uint32_t rights = cap_rights(&d->caps, &id);
		mutex_unlock(&domains_lock);
		err = rights ? (int)rights : TOY_ERR_NOTFOUND;
	}
	r[0] = ret32(err);
	return 0;
}

static int hc_list(struct vm_host_call *c, uint64_t *a, uint64_t *r)
{
	struct domain *d = caller(c);
	uint32_t buf = (uint32_t)a[0], max = (uint32_t)a[1];
	uint64_t bytes = (uint64_t)max * sizeof(struct toy_cap);
	if (!domain_span(d, buf, bytes)) {
		r[0] = ret32(TOY_ERR_RANGE);
		return 0;
	}
	mutex_lock(&domains_lock);
	uint32_t n = d->caps.n, k = n < max ? n : max;
	struct toy_cap *copy = kmalloc((k ? k : 1) * sizeof(*copy));
	if (copy && k) /* an empty set has no array */
		memcpy(copy, d->caps.caps, k * sizeof(*copy));
	mutex_unlock(&domains_lock);
	int err = copy ? put_bytes(d, buf, copy, k * sizeof(*copy)) : TOY_ERR_NOMEM;
	kfree(copy);
	r[0] = ret32(err ? err : (int64_t)n);
	return 0;
}

/* Checks that d may pass on every capability in caps. domains_lock held. */
static int check_passed(struct domain *d, const struct toy_cap *caps, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		uint32_t held = cap_rights(&d->caps, &caps[i].id);
		if (caps[i].reserved || !caps[i].rights || caps[i].rights & ~TOY_RIGHTS_ALL)
			return TOY_ERR_INVAL;
		if (!held)
			return TOY_ERR_NOTFOUND;
		if (!(held & TOY_RIGHT_GRANT) || caps[i].rights & ~held)
			return TOY_ERR_PERM;
	}
	return 0;
}

static int hc_spawn(struct vm_host_call *c, uint64_t *a, uint64_t *r)
{
	struct domain *d = caller(c);
	toy_id module, id;
	uint32_t ncaps = (uint32_t)a[2];
	int err = get_id(d, a[0], &module);
	if (!err && ncaps > SPAWN_MAX)
		err = TOY_ERR_LIMIT;
	const uint8_t *src = err ? NULL : domain_span(d, (uint32_t)a[1], ncaps * 24ull);
	if (!err && (!src || !domain_span(d, (uint32_t)a[3], sizeof(id))))
		err = TOY_ERR_RANGE;
	struct toy_cap caps[SPAWN_MAX];
	if (!err) {
		memcpy(caps, src, ncaps * sizeof(caps[0]));
		mutex_lock(&domains_lock);
		err = cap_check(&d->caps, &module, TOY_RIGHT_SPAWN);
		if (!err)
			err = check_passed(d, caps, ncaps);
		mutex_unlock(&domains_lock);
	}
	if (!err)
		err = domain_spawn(d, &module, caps, ncaps, &id);
	if (!err)
		err = put_bytes(d, a[3], &id, sizeof(id));
	r[0] = ret32(err);
	return 0;
}

/* --- the domain itself ------------------------------------------------------- */

static int hc_self(struct vm_host_call *c, uint64_t *a, uint64_t *r)
{
	struct domain *d = caller(c);
	r[0] = ret32(put_bytes(d, a[0], &d->id, sizeof(d->id)));
	return 0;
}

static int hc_sleep(struct vm_host_call *c, uint64_t *a, uint64_t *r)
{
	(void)c;
	if ((int64_t)a[0] < 0) {
		r[0] = ret32(TOY_ERR_INVAL);
		return 0;
	}
	thread_sleep_ns(a[0]);
	r[0] = 0;
	return 0;
}

static int hc_yield(struct vm_host_call *c, uint64_t *a, uint64_t *r)
{
	(void)c, (void)a;
	thread_yield();
	r[0] = 0;
	return 0;
}

static int hc_exit(struct vm_host_call *c, uint64_t *a, uint64_t *r)
{
	caller(c)->exit_code = (int32_t)(uint32_t)a[0];
	r[0] = 0;
	return VM_HOST_EXIT;
}

/* sync and park: the commit happens in the domain's thread once the vm has
 * paused (domain.c). The store lock is taken here and kept until then, so
 * the generation returned is exactly the one that commit gets. During
 * instantiation (a module's start function) there is no such thread loop
 * yet: the calls answer TOY_ERR_BUSY. */
static int request_commit(struct vm_host_call *c, uint64_t *r, enum domain_request req)
{
	struct domain *d = caller(c);
	if (!d->running) { /* a wasm start function, before the domain's thread runs it */
		r[0] = (uint64_t)(int64_t)TOY_ERR_BUSY;
		return 0;
	}
	os_store *os = kstore_lock();
	if (!os) {
		kstore_unlock();
		r[0] = (uint64_t)(int64_t)TOY_ERR_NOTSUP;
		return 0;
	}
	struct os_info info;
	os_info(os, &info);
	d->held_store = os;
	d->sync_generation = info.generation + 1;
	d->req = req;
	r[0] = req == REQ_SYNC ? d->sync_generation : 0;
	return VM_HOST_PAUSE;
}

static int hc_sync(struct vm_host_call *c, uint64_t *a, uint64_t *r)
{
	(void)a;
	return request_commit(c, r, REQ_SYNC);
}

static int hc_park(struct vm_host_call *c, uint64_t *a, uint64_t *r)
{
	(void)a;
	return request_commit(c, r, REQ_PARK);
}

static int hc_nop(struct vm_host_call *c, uint64_t *a, uint64_t *r)
{
	(void)c, (void)a;
	r[0] = 0;
	return 0;
}

static const struct {
	const char *name, *sig;
	vm_host_fn fn;
} calls[] = {
    {"create", "i:i", hc_create}, {"read", "iIii:i", hc_read},   {"write", "iIii:i", hc_write},
    {"size", "i:I", hc_size},     {"resize", "iI:i", hc_resize}, {"map", "iiiI:i", hc_map},
    {"grant", "iii:i", hc_grant}, {"drop", "i:i", hc_drop},      {"rights", "i:i", hc_rights},
    {"list", "ii:i", hc_list},    {"spawn", "iiii:i", hc_spawn}, {"self", "i:i", hc_self},
    {"sleep", "I:i", hc_sleep},   {"yield", ":i", hc_yield},     {"exit", "i:i", hc_exit},
    {"sync", ":I", hc_sync},      {"park", ":i", hc_park},       {"nop", ":i", hc_nop},
};

int hostcall_resolve(struct domain *d, const char *name, struct vm_extern *out)
{
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		if (strcmp(calls[i].name, name))
			continue;
		out->kind = VM_EXT_FUNC;
		return vm_host_func_new(d->vs, calls[i].sig, calls[i].fn, d, &out->u.func);
	}
	return TOY_ERR_NOTFOUND;
}
