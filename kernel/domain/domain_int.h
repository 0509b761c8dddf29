/* domain_int.h — what the files of kernel/domain share: the in-memory
 * domain, its record on disk, and the entry points between the lifecycle
 * (domain.c), the host calls (hostcall.c) and WASI (wasi.c). */
#ifndef KERNEL_DOMAIN_INT_H
#define KERNEL_DOMAIN_INT_H

#include <kernel/cap.h>
#include <kernel/thread.h>
#include <objstore/objstore.h>
#include <stdbool.h>
#include <stdint.h>
#include <toy/abi.h>
#include <vm/vm.h>

/* The domain object's contents (kind TOY_KIND_DOMAIN): fixed-width fields,
 * little-endian like both CPUs Toy runs on. maps[] are the pc_window_map
 * ranges, replayed when the domain resumes. */
#define DOMAIN_MAGIC    0x314e4d44594f54ULL /* "TOYDMN1" */
#define DOMAIN_VERSION  2u
#define DOMAIN_MAX_MAPS 8u

/* ABANDONED: spawned by a parent that then lost power before its next
 * sync; the parent resumes from before the spawn and will spawn again, so
 * this copy never runs (see domains_boot). */
enum domain_status {
	DOMAIN_RUNNING = 1,
	DOMAIN_EXITED = 2,
	DOMAIN_FAILED = 3,
	DOMAIN_ABANDONED = 4,
};

struct domain_map {
	toy_id object;
	uint64_t addr, len, off;
};

struct domain_record {
	uint64_t magic;
	uint32_t version;
	uint32_t status; /* enum domain_status */
	toy_id module, memory, state, caps, swap;
	toy_id parent;       /* nil for init */
	uint64_t synced_gen; /* generation of the last committed state (0: none) */
	uint64_t parent_gen; /* the parent's synced_gen when it spawned this one */
	int32_t exit_code;
	uint32_t nmaps;
	struct domain_map maps[DOMAIN_MAX_MAPS];
};
_Static_assert(sizeof(struct domain_map) == 40, "domain_map is 40 bytes");
_Static_assert(sizeof(struct domain_record) == 136 + 40 * DOMAIN_MAX_MAPS,
	       "domain_record has no padding");

/* What a host call asks the domain's thread to do at the next safepoint. */
enum domain_request { REQ_NONE, REQ_SYNC, REQ_PARK };

struct pc_window;

struct domain {
	toy_id id;
	struct domain_record rec;
	struct capset caps; /* guarded by domains_lock */
	struct vm_store *vs;
	const struct vm_module *module;
	struct vm_instance *inst;
	struct vm_thread *vt;
	struct vm_memory *mem;
	struct pc_window *win;
	struct thread *thread;
	enum domain_request req;
	bool running;             /* in run(): the only place a sync request can be served */
	uint64_t sync_generation; /* what sync() returned, checked at commit */
	os_store *held_store;     /* the store lock sync() took for the commit */
	int exit_code;
	bool live;
	char name[TOY_BOOT_NAME]; /* from the boot object, or a short ID */
	struct domain *next;
};

/* Guards every capability set, the list of domains and changes to the
 * maps in a domain's record (which only its own thread makes, so it reads
 * them without). Never held while touching a domain's memory; taken
 * before the store lock. */
extern struct mutex domains_lock;

/* The live domain with this ID, or NULL. Call with domains_lock held. */
struct domain *domain_find(const toy_id *id);

/* Spawns a domain running module with the given capabilities. parent is
 * NULL for init (no checks); otherwise the caller has checked the rights.
 * The parent receives the new ID with TOY_RIGHTS_ALL in the same
 * transaction. Returns 0 and the ID in *out, or an error. */
int domain_spawn(struct domain *parent, const toy_id *module, const struct toy_cap *caps,
		 uint32_t ncaps, toy_id *out);

/* Empties an object a few thousand pages per transaction, from the end:
 * one transaction for all of a big object could need more memory for its
 * undo log than is free. Takes the store lock for each step. */
int domain_empty_object(const toy_id *id);

/* Whether the list of domains has every domain that may run again (false
 * once a record would not load or an end could not be recorded), whether
 * one of them holds id (a capability, or a map in its record), and every
 * ID they hold, one call of fn each (repeats included). domains_lock held. */
bool domains_known(void);
bool domains_hold(const toy_id *id);
void domains_each_hold(void (*fn)(void *arg, const toy_id *id), void *arg);

/* collect.c: deletes id if it is a blob no domain holds any more (called
 * after a drop or a map that hid others is committed; takes domains_lock
 * and the store lock), and, at boot before any domain runs, every blob the
 * resumed domains do not hold. Failures are logged: what is left is
 * collected at a later boot. */
void collect_dropped(const toy_id *id);
void collect_unreachable(void);

/* Writes d's capability set to its capability object inside the caller's
 * open transaction (store lock held). */
int domain_save_caps(os_store *os, struct domain *d);

/* The error that lost a page of d's memory (the store could not give it
 * back, or d wrote to a read-only range), or 0: a host call that copied
 * from d's memory checks it before it trusts the copy. */
int domain_memory_lost(const struct domain *d);

/* Whether d's mappings of obj are writable: d holds WRITE on it (a
 * mapping has the rights its domain holds, also when it is restored). */
bool domain_map_writable(struct domain *d, const toy_id *obj);

/* Adds a pc_window_map range to d's record and applies it. */
int domain_map(struct domain *d, const toy_id *obj, uint64_t addr, uint64_t len, uint64_t off);

/* Import resolution for a domain: "toy" (hostcall.c) and
 * "wasi_snapshot_preview1" (wasi.c). ctx is the domain. */
int domain_resolve(void *ctx, const char *module, const char *name, enum vm_kind kind,
		   struct vm_extern *out);
int hostcall_resolve(struct domain *d, const char *name, struct vm_extern *out);
int wasi_resolve(struct domain *d, const char *name, struct vm_extern *out);

/* [p, p+n) of d's linear memory, or NULL when any of it is outside. */
uint8_t *domain_span(struct domain *d, uint64_t p, uint64_t n);

#endif
