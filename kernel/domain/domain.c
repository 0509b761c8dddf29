/* domain.c — the life of a domain: spawn, run, sync, park, exit, resume.
 *
 * Spawning writes the domain's objects and its entry in the domain table in
 * one transaction, then starts a kernel thread. The thread instantiates the
 * module (or, when the execution-state object holds a snapshot, resumes it)
 * with its linear memory in a page-cache window over the memory object,
 * and runs the vm in fuel slices, yielding between them. A host call that
 * needs the domain stopped (sync, park) sets a request and pauses the vm;
 * the thread then serializes the vm state and commits it together with the
 * memory's dirty pages, so the store always holds a memory and an execution
 * state of the same instant. A restart resumes from exactly there. */
#include <arch/cpu.h>
#include <arch/irq.h>
#include <arch/mmu.h>
#include <kernel/domain.h>
#include <kernel/kernel.h>
#include <kernel/log.h>
#include <kernel/mem.h>
#include <kernel/pagecache.h>
#include <string.h>

#include "domain_int.h"

#define FUEL_SLICE        20000
#define VM_STACK_SLOTS    (32 * 1024)
#define VM_MAX_FRAMES     8192
#define MODULE_MAX_BYTES  (16u << 20)
#define STATE_MAX_BYTES   (VM_STACK_SLOTS * 8u + (1u << 20))
#define DOMAIN_STACK_SIZE (128 * 1024)

struct mutex domains_lock;
static struct domain *domains;
static unsigned nstarted, nrunning, nparked;
/* Set when a domain record would not load at boot, or a domain's end could
 * not be recorded (it comes back next boot): the list then lacks a domain
 * that may run again, and collect.c must not delete what it holds. */
static bool unknown_domains;
static struct waitq parked_q; /* never woken: parked domains wait for a restart */

/* Decoded modules, shared by every domain that runs them. */
struct module_entry {
	toy_id id;
	struct vm_module *m;
	struct module_entry *next;
};
static struct module_entry *modules;
static struct mutex modules_lock;

static void *vm_kalloc(void *ctx, size_t size)
{
	(void)ctx;
	return kmalloc(size);
}

static void vm_kfree(void *ctx, void *p)
{
	(void)ctx;
	kfree(p);
}

static const struct vm_alloc kernel_vm_alloc = {vm_kalloc, vm_kfree, NULL};

/* --- objects ----------------------------------------------------------------- */

/* Reads a whole object (at most max bytes) into a new buffer. Store lock held. */
static int read_object(os_store *os, const toy_id *id, uint64_t max, uint8_t **buf, uint64_t *len)
{
	struct os_stat st;
	int err = os_stat(os, id, &st);
	if (err)
		return err;
	if (st.size > max)
		return TOY_ERR_LIMIT;
	*buf = kmalloc(st.size ? st.size : 1);
	if (!*buf)
		return TOY_ERR_NOMEM;
	int64_t n = os_read(os, id, 0, *buf, st.size);
	if (n != (int64_t)st.size) {
		kfree(*buf);
		return n < 0 ? (int)n : TOY_ERR_CORRUPT;
	}
	*len = st.size;
	return 0;
}

/* Replaces an object's contents. Store lock held, transaction open. */
static int write_object(os_store *os, const toy_id *id, const void *buf, uint64_t len)
{
	int err = os_set_size(os, id, 0);
	if (!err && len)
		err = os_write(os, id, 0, buf, len);
	return err;
}

int domain_empty_object(const toy_id *id)
{
	const uint64_t step = 4096ull * OS_PAGE_SIZE;
	for (;;) {
		struct os_stat st;
		os_store *os = kstore_lock();
		int err = os_stat(os, id, &st);
		uint64_t size = st.size > step ? st.size - step : 0;
		if (!err && st.size && !(err = os_begin(os))) {
			err = os_set_size(os, id, size);
			if (!err)
				err = os_commit(os, NULL);
			else
				os_abort(os);
		}
		kstore_unlock();
		if (err || !st.size)
			return err;
	}
}

int domain_save_caps(os_store *os, struct domain *d)
{
	return write_object(os, &d->rec.caps, d->caps.caps, d->caps.n * sizeof(struct toy_cap));
}

static int save_record(os_store *os, struct domain *d)
{
	return write_object(os, &d->id, &d->rec, sizeof(d->rec));
}

/* The decoded module for id, loaded on first use. */
static int module_get(const toy_id *id, const struct vm_module **out)
{
	mutex_lock(&modules_lock);
	for (struct module_entry *e = modules; e; e = e->next) {
		if (toy_id_eq(&e->id, id)) {
			*out = e->m;
			mutex_unlock(&modules_lock);
			return 0;
		}
	}
	uint8_t *bytes = NULL;
	uint64_t len = 0;
	struct os_stat st;
	os_store *os = kstore_lock();
	int err = os ? os_stat(os, id, &st) : TOY_ERR_NOTSUP;
	if (!err && st.kind != TOY_KIND_MODULE)
		err = TOY_ERR_INVAL;
	if (!err)
		err = read_object(os, id, MODULE_MAX_BYTES, &bytes, &len);
	kstore_unlock();
	struct module_entry *e = err ? NULL : kzalloc(sizeof(*e));
	if (!err && !e)
		err = TOY_ERR_NOMEM;
	char msg[128];
	if (!err && (err = vm_module_load(&kernel_vm_alloc, bytes, len, &e->m, msg, sizeof(msg))))
		klog(LOG_WARN, "domain: module rejected: %s", msg);
	kfree(bytes);
	if (err) {
		kfree(e);
	} else {
		e->id = *id;
		e->next = modules;
		modules = e;
		*out = e->m;
	}
	mutex_unlock(&modules_lock);
	return err;
}

/* --- linear memory ----------------------------------------------------------- */

static int memory_grow(struct vm_memory *m, uint32_t new_pages)
{
	if (new_pages > m->max_pages)
		return TOY_ERR_NOMEM;
	m->pages = new_pages;
	m->size = (uint64_t)new_pages * VM_PAGE_SIZE;
	return 0;
}

static void memory_release(struct vm_memory *m)
{
	struct domain *d = m->ctx;
	if (d->win)
		pc_window_destroy(d->win);
	d->win = NULL;
	d->mem = NULL;
}

/* The window's size: the declared maximum, or 4 GiB. The memory object's
 * size (set at each sync) is the size to resume with. */
static int memory_new(void *ctx, struct vm_memory *m, uint32_t min)
{
	struct domain *d = ctx;
	if (d->win)
		return TOY_ERR_LIMIT; /* one memory per domain */
	uint32_t pages = min;
	struct os_stat st;
	os_store *os = kstore_lock();
	int err = os ? os_stat(os, &d->rec.memory, &st) : TOY_ERR_NOTSUP;
	kstore_unlock();
	if (err)
		return err;
	if (st.size / VM_PAGE_SIZE > pages)
		pages = (uint32_t)(st.size / VM_PAGE_SIZE);
	err = domain_empty_object(&d->rec.swap); /* what an earlier boot spilled is stale */
	if (!err)
		err = pc_window_create((uint64_t)VM_MAX_PAGES * VM_PAGE_SIZE, &d->rec.memory,
				       &d->rec.swap, &d->win);
	if (err)
		return err;
	*m = (struct vm_memory){.base = pc_window_base(d->win),
				.size = (uint64_t)pages * VM_PAGE_SIZE,
				.pages = pages,
				.grow = memory_grow,
				.release = memory_release,
				.ctx = d,
				.failed = pc_window_failure(d->win)};
	d->mem = m;
	for (uint32_t i = 0; i < d->rec.nmaps && !err; i++) {
		const struct domain_map *mp = &d->rec.maps[i];
		err = pc_window_map(d->win, mp->addr, mp->len, &mp->object, mp->off,
				    domain_map_writable(d, &mp->object));
	}
	return err;
}

uint8_t *domain_span(struct domain *d, uint64_t p, uint64_t n)
{
	struct vm_memory *m = d->mem;
	if (!m || p > m->size || n > m->size - p)
		return NULL;
	return m->base + p;
}

/* Commits d's record; with the store lock held (locked_) or taking it. */
static int commit_record_locked(os_store *os, struct domain *d)
{
	int err = os_begin(os);
	if (!err && !(err = save_record(os, d)))
		err = os_commit(os, NULL);
	else
		os_abort(os);
	return err;
}

static int commit_record(struct domain *d)
{
	int err = commit_record_locked(kstore_lock(), d);
	kstore_unlock();
	return err;
}

bool domain_map_writable(struct domain *d, const toy_id *obj)
{
	mutex_lock(&domains_lock);
	bool writable = cap_rights(&d->caps, obj) & TOY_RIGHT_WRITE;
	mutex_unlock(&domains_lock);
	return writable;
}

/* Drops the record's maps that a new one of [addr, addr + len) hides for
 * good: they need not count against DOMAIN_MAX_MAPS. */
static void forget_covered_maps(struct domain_record *rec, uint64_t addr, uint64_t len)
{
	uint32_t kept = 0;
	for (uint32_t i = 0; i < rec->nmaps; i++) {
		const struct domain_map *mp = &rec->maps[i];
		if (!pc_map_hides(addr, len, mp->addr, mp->len))
			rec->maps[kept++] = *mp;
	}
	rec->nmaps = kept;
}

/* The range goes into the record first, so a restart maps it again; if
 * that cannot be committed, or the window then refuses the range, the
 * record is put back as it was. All of it under domains_lock, so no one
 * asking what the domains hold (collect.c) sees a map gone before the new
 * one is in place; after it, the objects of the maps it hid are collected
 * if nothing else holds them. */
int domain_map(struct domain *d, const toy_id *obj, uint64_t addr, uint64_t len, uint64_t off)
{
	bool writable = domain_map_writable(d, obj);
	struct domain_map was[DOMAIN_MAX_MAPS];
	mutex_lock(&domains_lock);
	uint32_t nwas = d->rec.nmaps;
	memcpy(was, d->rec.maps, sizeof(was));
	forget_covered_maps(&d->rec, addr, len);
	int err = d->rec.nmaps < DOMAIN_MAX_MAPS ? 0 : TOY_ERR_LIMIT;
	if (!err) {
		d->rec.maps[d->rec.nmaps++] = (struct domain_map){*obj, addr, len, off};
		err = commit_record(d);
	}
	bool committed = !err;
	if (!err)
		err = pc_window_map(d->win, addr, len, obj, off, writable);
	if (err) {
		d->rec.nmaps = nwas;
		memcpy(d->rec.maps, was, sizeof(was));
	}
	if (err && committed && commit_record(d))
		klog(LOG_ERROR, "domain %s: a refused map stays in its record", d->name);
	mutex_unlock(&domains_lock);
	for (uint32_t i = 0; i < nwas && !err; i++)
		if (pc_map_hides(addr, len, was[i].addr, was[i].len))
			collect_dropped(&was[i].object);
	return err;
}

/* --- sync and exit ----------------------------------------------------------- */

/* Serializes the paused vm into a new buffer. */
static int64_t snapshot(struct domain *d, uint8_t **out)
{
	uint64_t cap = 4096;
	for (;;) {
		uint8_t *buf = kmalloc(cap);
		if (!buf)
			return TOY_ERR_NOMEM;
		int64_t n = vm_snapshot(d->vt, d->inst, buf, cap);
		if (n >= 0 && (uint64_t)n <= cap) {
			*out = buf;
			return n;
		}
		kfree(buf);
		if (n < 0 || (uint64_t)n > STATE_MAX_BYTES)
			return n < 0 ? n : TOY_ERR_LIMIT;
		cap = (uint64_t)n;
	}
}

/* Commits d's memory and execution state. The store lock was taken by the
 * sync/park host call (so that it could return the generation this commit
 * gets) and is released here. */
static int commit_state(struct domain *d)
{
	os_store *os = d->held_store;
	d->held_store = NULL;
	uint8_t *snap = NULL;
	int64_t n = snapshot(d, &snap);
	int err = n < 0 ? (int)n : os_begin(os);
	uint64_t gen = 0;
	if (!err)
		err = pc_window_sync(d->win, d->mem->size);
	if (!err)
		err = write_object(os, &d->rec.state, snap, (uint64_t)n);
	uint64_t synced_before = d->rec.synced_gen;
	d->rec.synced_gen = d->sync_generation;
	if (!err)
		err = save_record(os, d);
	if (!err)
		err = os_commit(os, &gen);
	if (err) {
		d->rec.synced_gen = synced_before;
		os_abort(os); /* a no-op unless a step before the commit failed */
	}
	kstore_unlock();
	kfree(snap);
	if (!err && gen != d->sync_generation)
		panic("domain %s: sync committed generation %llu, promised %llu", d->name,
		      (unsigned long long)gen, (unsigned long long)d->sync_generation);
	if (!err)
		pc_window_synced(d->win);
	return err;
}

/* Records how the domain ended and frees what only a running domain needs:
 * first its memory (the window's frames) and swap, then its state and
 * memory objects. */
static void finish(struct domain *d, enum domain_status status, int code)
{
	if (d->vs)
		vm_store_free(d->vs); /* releases the memory window too */
	d->vs = NULL;
	/* Swap first, deleted whole: it means nothing now, and on a full store
	 * (a domain stopped because its pages could not be written out) only a
	 * delete, which may use the store's reserve, makes room for the rest. */
	os_store *os = kstore_lock();
	int err = os_begin(os);
	if (!err && !(err = os_delete(os, &d->rec.swap)))
		err = os_commit(os, NULL);
	else if (!err)
		os_abort(os);
	if (err == TOY_ERR_NOTFOUND)
		err = 0;
	d->rec.status = status;
	d->rec.exit_code = code;
	if (!err)
		err = os_begin(os);
	if (!err)
		err = save_record(os, d);
	if (!err)
		err = os_set_size(os, &d->rec.state, 0);
	if (!err)
		err = os_commit(os, NULL);
	else
		os_abort(os);
	kstore_unlock();
	if (!err)
		err = domain_empty_object(&d->rec.memory);
	if (err)
		klog(LOG_ERROR, "domain %s: recording its end: %s", d->name, toy_strerror(err));
	mutex_lock(&domains_lock);
	unknown_domains |= err != 0;
	d->live = false;
	nrunning--;
	mutex_unlock(&domains_lock);
}

/* --- the domain's thread ----------------------------------------------------- */

/* The vm makes no host call of a domain whose memory is lost
 * (vm_memory.failed): whatever it would do was computed from meaningless
 * bytes; the trap ends the domain (run), as does the end of its slice if
 * it makes no call. */
int domain_memory_lost(const struct domain *d)
{
	return d->win ? pc_window_failed(d->win) : 0;
}

static int start_vm(struct domain *d)
{
	struct vm_config cfg = {.alloc = kernel_vm_alloc,
				.memory_new = memory_new,
				.memory_ctx = d,
				.stack_slots = VM_STACK_SLOTS,
				.max_frames = VM_MAX_FRAMES};
	int err = module_get(&d->rec.module, &d->module);
	if (!err)
		err = vm_store_new(&cfg, &d->vs);
	if (err)
		return err;
	uint8_t *snap = NULL;
	uint64_t len = 0;
	os_store *os = kstore_lock();
	err = read_object(os, &d->rec.state, STATE_MAX_BYTES, &snap, &len);
	kstore_unlock();
	if (err)
		return err;
	if (len) {
		err = vm_resume(d->vs, d->module, domain_resolve, d, snap, len, &d->inst, &d->vt);
		kfree(snap);
		return err;
	}
	kfree(snap);
	char msg[128];
	struct vm_extern start;
	err = vm_instantiate(d->vs, d->module, domain_resolve, d, &d->inst, msg, sizeof(msg));
	if (err) {
		klog(LOG_WARN, "domain %s: %s", d->name, msg);
		return err;
	}
	err = vm_instance_export(d->inst, "_start", &start);
	if (!err && start.kind != VM_EXT_FUNC)
		err = TOY_ERR_NOTFOUND;
	if (!err)
		err = vm_thread_new(d->vs, &d->vt);
	if (!err)
		err = vm_thread_call(d->vt, start.u.func, NULL, 0);
	return err;
}

/* Runs the vm until the domain ends. */
static void run(struct domain *d)
{
	d->running = true;
	for (;;) {
		int r = vm_run(d->vt, FUEL_SLICE);
		int lost = domain_memory_lost(d);
		if (lost && !(r == VM_PAUSED && d->req != REQ_NONE)) { /* a sync refuses it */
			if (lost == TOY_ERR_PERM)
				kprintf("domain %s: stopped: it wrote to memory mapped read-only\n",
					d->name);
			else
				kprintf("domain %s: memory lost: %s\n", d->name,
					toy_strerror(lost));
			finish(d, DOMAIN_FAILED, lost);
			return;
		}
		if (r == VM_PAUSED && d->req == REQ_NONE) {
			thread_yield();
			continue;
		}
		if (r == VM_PAUSED) {
			enum domain_request req = d->req;
			d->req = REQ_NONE;
			int err = commit_state(d);
			if (err) {
				klog(LOG_ERROR, "domain %s: sync failed: %s; stopping it", d->name,
				     toy_strerror(err));
				finish(d, DOMAIN_FAILED, err);
				return;
			}
			if (req == REQ_PARK) {
				mutex_lock(&domains_lock);
				nparked++;
				mutex_unlock(&domains_lock);
				bool on = arch_irq_save();
				waitq_block(&parked_q);
				arch_irq_restore(on);
			}
			continue;
		}
		if (r == VM_DONE || r == VM_EXITED) {
			int code = r == VM_EXITED ? d->exit_code : 0;
			klog(LOG_INFO, "domain %s: exited with status %d", d->name, code);
			finish(d, DOMAIN_EXITED, code);
			return;
		}
		kprintf("domain %s: trap: %s\n", d->name,
			r == TOY_ERR_TRAP ? vm_thread_trap(d->vt) : toy_strerror(r));
		finish(d, DOMAIN_FAILED, r);
		return;
	}
}

static int domain_main(void *arg)
{
	struct domain *d = arg;
	int err = start_vm(d);
	if (err) {
		kprintf("domain %s: cannot start: %s\n", d->name, toy_strerror(err));
		finish(d, DOMAIN_FAILED, err);
		return err;
	}
	run(d);
	return 0;
}

/* --- what the domains hold ---------------------------------------------------- */

bool domains_known(void)
{
	return !unknown_domains;
}

static bool maps_object(const struct domain *d, const toy_id *id)
{
	for (uint32_t i = 0; i < d->rec.nmaps; i++)
		if (toy_id_eq(&d->rec.maps[i].object, id))
			return true;
	return false;
}

bool domains_hold(const toy_id *id)
{
	for (const struct domain *d = domains; d; d = d->next)
		if (cap_rights(&d->caps, id) || maps_object(d, id))
			return true;
	return false;
}

void domains_each_hold(void (*fn)(void *arg, const toy_id *id), void *arg)
{
	for (const struct domain *d = domains; d; d = d->next) {
		for (uint32_t i = 0; i < d->caps.n; i++)
			fn(arg, &d->caps.caps[i].id);
		for (uint32_t i = 0; i < d->rec.nmaps; i++)
			fn(arg, &d->rec.maps[i].object);
	}
}

/* --- spawn, resume, boot ----------------------------------------------------- */

struct domain *domain_find(const toy_id *id)
{
	for (struct domain *d = domains; d; d = d->next)
		if (d->live && toy_id_eq(&d->id, id))
			return d;
	return NULL;
}

/* A short name for logs: the boot object's name for the module, or the
 * first eight hex digits of the domain ID. */
static void name_domain(os_store *os, struct domain *d)
{
	toy_id boot = toy_id_reserved(TOY_ID_BOOT);
	struct toy_boot_header h;
	struct toy_boot_entry e;
	if (os_read(os, &boot, 0, &h, sizeof(h)) == sizeof(h) && h.magic == TOY_BOOT_MAGIC) {
		for (uint32_t i = 0; i < h.count && i < TOY_BOOT_MAX; i++) {
			uint64_t off = sizeof(h) + (uint64_t)i * sizeof(e);
			if (os_read(os, &boot, off, &e, sizeof(e)) == sizeof(e) &&
			    toy_id_eq(&e.module, &d->rec.module)) {
				memcpy(d->name, e.name, sizeof(d->name));
				d->name[sizeof(d->name) - 1] = 0;
				return;
			}
		}
	}
	char text[TOY_ID_TEXT_LEN + 1];
	toy_id_format(&d->id, text);
	memcpy(d->name, text, 8);
	d->name[8] = 0;
}

static int start_thread(struct domain *d)
{
	d->thread = thread_create_sized(d->name, domain_main, d, DOMAIN_STACK_SIZE);
	if (!d->thread)
		return TOY_ERR_NOMEM;
	mutex_lock(&domains_lock);
	nstarted++;
	nrunning++;
	mutex_unlock(&domains_lock);
	return 0;
}

/* Creates the objects of a new domain and its table entry. Store lock held,
 * transaction open. */
static int create_objects(os_store *os, struct domain *d)
{
	static const uint32_t kinds[] = {TOY_KIND_MEMORY, TOY_KIND_STATE, TOY_KIND_CAPS,
					 TOY_KIND_SWAP};
	toy_id *ids[] = {&d->rec.memory, &d->rec.state, &d->rec.caps, &d->rec.swap};
	int err = os_create(os, &d->id, TOY_KIND_DOMAIN);
	for (unsigned i = 0; i < 4 && !err; i++)
		err = os_create(os, ids[i], kinds[i]);
	toy_id table = toy_id_reserved(TOY_ID_DOMAINS);
	struct os_stat st;
	if (!err && os_stat(os, &table, &st) == TOY_ERR_NOTFOUND) {
		st.size = 0;
		err = os_create(os, &table, TOY_KIND_KERNEL);
	}
	if (!err)
		err = os_write(os, &table, st.size, &d->id, sizeof(d->id));
	if (!err)
		err = domain_save_caps(os, d);
	if (!err)
		err = save_record(os, d);
	return err;
}

static struct domain *new_domain(const toy_id *module)
{
	struct domain *d = kzalloc(sizeof(*d));
	if (!d)
		return NULL;
	d->rec = (struct domain_record){
	    .magic = DOMAIN_MAGIC, .version = DOMAIN_VERSION, .status = DOMAIN_RUNNING};
	d->rec.module = *module;
	return d;
}

/* toy.cut=spawn:N (tests): the power fails right after the Nth spawn of
 * this boot is committed, before anything else happens. */
static void cut_after_spawn(void)
{
	static unsigned spawns;
	char arg[16];
	if (!cmdline_get("toy.cut", arg, sizeof(arg)) || strncmp(arg, "spawn:", 6))
		return;
	unsigned n = 0;
	for (const char *p = arg + 6; *p >= '0' && *p <= '9'; p++)
		n = n * 10 + (unsigned)(*p - '0');
	if (++spawns == n) {
		kprintf("toy: power cut after spawn %u\n", n);
		arch_poweroff(0);
	}
}

/* Whether the machine has room for one more domain.
 *
 * Memory: the frames free or held by the page cache (which can evict them)
 * must stay above a quarter of memory, left to the domains that run, after
 * what a domain takes before it touches its memory (its thread's and the
 * vm's stacks, its window's bitmaps: a bit per page of 4 GiB, three of
 * them), for it and for every domain spawned but not yet running.
 *
 * Address space: every domain's memory window is 4 GiB of the arch's map
 * window, of which domains may have three quarters (the rest is for stacks
 * and devices).
 *
 * Without this a domain that spawns without end would leave the others
 * too few frames to page in, and the machine would thrash. Called with
 * domains_lock held. */
static bool room_for_domain(void)
{
	const uint64_t window = (uint64_t)VM_MAX_PAGES * VM_PAGE_SIZE;
	const uint64_t cost =
	    DOMAIN_STACK_SIZE + VM_STACK_SLOTS * 8ull + 3 * window / ARCH_PAGE_SIZE / 8;
	unsigned live = 0, starting = 0; /* starting: not yet holding what it will */
	for (struct domain *d = domains; d; d = d->next) {
		live += d->live;
		starting += d->live && !d->running;
	}
	if (live >= arch_mmu_map_size() / (window + ARCH_PAGE_SIZE) * 3 / 4)
		return false;
	struct pc_stats st;
	pc_stats(&st);
	uint64_t avail = pmm_free_count() + st.frames_used;
	uint64_t need = pmm_total_count() / 4 + (starting + 1ull) * cost / ARCH_PAGE_SIZE;
	return avail >= need;
}

int domain_spawn(struct domain *parent, const toy_id *module, const struct toy_cap *caps,
		 uint32_t ncaps, toy_id *out)
{
	mutex_lock(&domains_lock);
	bool room = room_for_domain();
	mutex_unlock(&domains_lock);
	if (!room)
		return TOY_ERR_LIMIT;
	const struct vm_module *m;
	int err = module_get(module, &m); /* rejects a bad module before anything changes */
	struct domain *d = err ? NULL : new_domain(module);
	if (!err && !d)
		err = TOY_ERR_NOMEM;
	if (d && parent) {
		d->rec.parent = parent->id;
		d->rec.parent_gen = parent->rec.synced_gen;
	}
	for (uint32_t i = 0; i < ncaps && !err; i++)
		err = cap_add(&d->caps, &caps[i].id, caps[i].rights);
	if (err) {
		if (d)
			cap_free(&d->caps);
		kfree(d);
		return err;
	}
	mutex_lock(&domains_lock);
	os_store *os = kstore_lock();
	err = os_begin(os);
	if (!err)
		err = create_objects(os, d);
	bool added = false;
	if (!err && parent && !(err = cap_add(&parent->caps, &d->id, TOY_RIGHTS_ALL))) {
		added = true;
		err = domain_save_caps(os, parent);
	}
	if (!err)
		err = os_commit(os, NULL);
	else
		os_abort(os);
	if (err && added)
		cap_drop(&parent->caps, &d->id);
	if (!err) {
		name_domain(os, d);
		d->live = true;
		d->next = domains;
		domains = d;
	}
	kstore_unlock();
	mutex_unlock(&domains_lock);
	if (err) {
		cap_free(&d->caps);
		kfree(d);
		return err;
	}
	*out = d->id;
	cut_after_spawn();
	return start_thread(d);
}

/* Whether a running domain was spawned by a parent that has not synced
 * since (or that is itself abandoned): the parent resumes from before the
 * spawn and spawns again, so this copy must not run. */
static bool abandoned(os_store *os, const struct domain_record *rec)
{
	struct domain_record parent;
	if (toy_id_is_nil(&rec->parent) ||
	    os_read(os, &rec->parent, 0, &parent, sizeof(parent)) != sizeof(parent) ||
	    parent.magic != DOMAIN_MAGIC)
		return false;
	if (parent.status == DOMAIN_ABANDONED)
		return true;
	return parent.status == DOMAIN_RUNNING && parent.synced_gen == rec->parent_gen;
}

static void abandon(os_store *os, struct domain *d)
{
	d->rec.status = DOMAIN_ABANDONED;
	int err = commit_record_locked(os, d);
	klog(LOG_INFO, "domain %s: abandoned (its parent resumes from before spawning it)%s%s",
	     d->name, err ? ": " : "", err ? toy_strerror(err) : "");
}

/* Loads a domain from its record and capability set, ready to run. */
static int load_domain(os_store *os, const toy_id *id, struct domain **out)
{
	struct domain *d = kzalloc(sizeof(*d));
	if (!d)
		return TOY_ERR_NOMEM;
	d->id = *id;
	int64_t n = os_read(os, id, 0, &d->rec, sizeof(d->rec));
	int err = n < 0 ? (int)n : 0;
	if (!err && (n != sizeof(d->rec) || d->rec.magic != DOMAIN_MAGIC ||
		     d->rec.version != DOMAIN_VERSION || d->rec.nmaps > DOMAIN_MAX_MAPS))
		err = TOY_ERR_CORRUPT;
	uint8_t *caps = NULL;
	uint64_t len = 0;
	if (!err && d->rec.status == DOMAIN_RUNNING &&
	    !(err = read_object(os, &d->rec.caps, CAP_MAX * sizeof(struct toy_cap), &caps, &len)))
		err = cap_load(&d->caps, caps, len);
	kfree(caps);
	if (err) {
		cap_free(&d->caps);
		kfree(d);
		return err;
	}
	name_domain(os, d);
	*out = d;
	return 0;
}

/* Resumes every running domain in the table. The ones that have ended
 * (exited, failed, abandoned) go on *ended, and keep gets the table
 * without them (entries that cannot be read stay: not ours to delete). */
static int resume_all(os_store *os, const uint8_t *table, uint64_t len, uint8_t *keep,
		      uint64_t *kept, struct domain **ended)
{
	int started = 0;
	*kept = 0;
	for (uint64_t off = 0; off + sizeof(toy_id) <= len; off += sizeof(toy_id)) {
		toy_id id;
		memcpy(&id, table + off, sizeof(id));
		struct domain *d;
		int err = load_domain(os, &id, &d);
		if (err)
			klog(LOG_ERROR, "domain: cannot load a domain record: %s",
			     toy_strerror(err));
		unknown_domains |= err != 0;
		if (!err && d->rec.status == DOMAIN_RUNNING && abandoned(os, &d->rec))
			abandon(os, d);
		if (!err && d->rec.status != DOMAIN_RUNNING) {
			d->next = *ended;
			*ended = d;
			continue;
		}
		memcpy(keep + *kept, &id, sizeof(id));
		*kept += sizeof(id);
		if (err)
			continue;
		d->live = true;
		d->next = domains;
		domains = d;
		started++;
	}
	return started;
}

/* --- compacting the domain table ------------------------------------------- */

/* Deletes what an ended domain leaves in the store: its memory, state,
 * capability-set and swap objects and its record (one already gone is no
 * error). */
static int delete_domain(os_store *os, const toy_id *id, const struct domain_record *rec)
{
	const toy_id *ids[] = {&rec->memory, &rec->state, &rec->caps, &rec->swap, id};
	for (unsigned i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		int err = os_delete(os, ids[i]);
		if (err && err != TOY_ERR_NOTFOUND)
			return err;
	}
	return 0;
}

/* Takes the IDs of the ended domains out of the capability sets of the
 * domains about to run (a parent holds each child's ID), and saves the sets
 * that changed. A cap that named a deleted object gave TOY_ERR_NOTFOUND
 * already; what pruning saves is the room: every-boot apps would fill
 * their parent's set in CAP_MAX boots. */
static int prune_caps(os_store *os, const struct domain *ended)
{
	for (struct domain *d = domains; d; d = d->next) {
		bool changed = false;
		for (const struct domain *e = ended; e; e = e->next)
			changed |= cap_drop(&d->caps, &e->id) == 0;
		int err = changed ? domain_save_caps(os, d) : 0;
		if (err)
			return err;
	}
	return 0;
}

/* Deletes the ended domains (as resume_all found them) with their objects
 * and writes the table resume_all kept, in one transaction, so the table
 * and the store hold only what runs however many boots and spawns went
 * before; frees the list. Called at boot, store lock held, before any
 * domain's thread starts. */
static void compact_table(os_store *os, const uint8_t *keep, uint64_t kept, struct domain *ended)
{
	if (!ended)
		return;
	toy_id table_id = toy_id_reserved(TOY_ID_DOMAINS);
	unsigned n = 0;
	int err = os_begin(os);
	bool open = !err;
	for (const struct domain *e = ended; e && !err; e = e->next, n++)
		err = delete_domain(os, &e->id, &e->rec);
	if (!err && !(err = os_set_size(os, &table_id, 0)))
		err = os_write(os, &table_id, 0, keep, kept);
	if (!err)
		err = prune_caps(os, ended);
	if (!err)
		err = os_commit(os, NULL);
	else if (open)
		os_abort(os);
	if (err)
		klog(LOG_ERROR, "domain: compacting the domain table: %s", toy_strerror(err));
	else
		klog(LOG_INFO, "domain: %u ended domains deleted from the table", n);
	while (ended) {
		struct domain *e = ended;
		ended = e->next;
		cap_free(&e->caps);
		kfree(e);
	}
}

/* Reads the boot object into caps: READ on the boot object, then READ,
 * SPAWN and GRANT on every module it lists, init first. Returns the count. */
static int boot_caps(os_store *os, struct toy_cap *caps)
{
	toy_id boot = toy_id_reserved(TOY_ID_BOOT);
	struct toy_boot_header h;
	int64_t n = os_read(os, &boot, 0, &h, sizeof(h));
	if (n == TOY_ERR_NOTFOUND)
		return TOY_ERR_NOTFOUND;
	if (n != sizeof(h) || h.magic != TOY_BOOT_MAGIC || h.version != TOY_BOOT_VERSION ||
	    !h.count || h.count > TOY_BOOT_MAX)
		return TOY_ERR_CORRUPT;
	caps[0] = (struct toy_cap){.id = boot, .rights = TOY_RIGHT_READ};
	for (uint32_t i = 0; i < h.count; i++) {
		struct toy_boot_entry e;
		if (os_read(os, &boot, sizeof(h) + (uint64_t)i * sizeof(e), &e, sizeof(e)) !=
		    sizeof(e))
			return TOY_ERR_CORRUPT;
		caps[i + 1] = (struct toy_cap){
		    .id = e.module, .rights = TOY_RIGHT_READ | TOY_RIGHT_SPAWN | TOY_RIGHT_GRANT};
	}
	return (int)h.count + 1;
}

/* On a store without a domain table: spawns init from the boot object. */
static int start_init(void)
{
	static struct toy_cap caps[TOY_BOOT_MAX + 1];
	os_store *os = kstore_lock();
	int n = boot_caps(os, caps);
	kstore_unlock();
	if (n == TOY_ERR_NOTFOUND) {
		klog(LOG_INFO, "domain: no boot object in the store, so no domains to start "
			       "(toy-store install, or ./toy run --fresh)");
		return 0;
	}
	toy_id id;
	int err = n < 0 ? n : domain_spawn(NULL, &caps[1].id, caps, (uint32_t)n, &id);
	if (err) {
		klog(LOG_ERROR, "domain: cannot start init: %s", toy_strerror(err));
		return err;
	}
	return 1;
}

int domains_boot(void)
{
	toy_id table_id = toy_id_reserved(TOY_ID_DOMAINS);
	uint8_t *table = NULL;
	uint64_t len = 0;
	mutex_lock(&domains_lock);
	os_store *os = kstore_lock();
	int err = os ? read_object(os, &table_id, 64u << 20, &table, &len) : TOY_ERR_NOTSUP;
	uint8_t *keep = err ? NULL : kmalloc(len ? len : 1);
	if (!err && !keep)
		err = TOY_ERR_NOMEM;
	uint64_t kept = 0;
	struct domain *ended = NULL;
	int n = err ? 0 : resume_all(os, table, len, keep, &kept, &ended);
	compact_table(os, keep, kept, ended);
	kstore_unlock();
	mutex_unlock(&domains_lock);
	kfree(table);
	kfree(keep);
	if (err == TOY_ERR_NOTFOUND)
		return start_init();
	if (err) {
		klog(LOG_ERROR, "domain: cannot read the domain table: %s", toy_strerror(err));
		return err;
	}
	collect_unreachable();
	for (struct domain *d = domains; d; d = d->next)
		if ((err = start_thread(d)) != 0)
			klog(LOG_ERROR, "domain %s: cannot start: %s", d->name, toy_strerror(err));
	return n;
}

/* Unlinks one ended domain whose thread is still to be joined. */
static struct domain *take_ended(void)
{
	mutex_lock(&domains_lock);
	struct domain **p = &domains;
	while (*p && ((*p)->live || !(*p)->thread))
		p = &(*p)->next;
	struct domain *d = *p;
	if (d)
		*p = d->next;
	mutex_unlock(&domains_lock);
	return d;
}

void domains_reap(void)
{
	struct domain *d;
	while ((d = take_ended()) != NULL) {
		thread_join(d->thread);
		cap_free(&d->caps);
		kfree(d);
	}
}

void domains_count(unsigned *started, unsigned *running, unsigned *parked)
{
	mutex_lock(&domains_lock);
	*started = nstarted;
	*running = nrunning;
	*parked = nparked;
	mutex_unlock(&domains_lock);
}
