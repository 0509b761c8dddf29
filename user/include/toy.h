/* toy.h — libtoy: what a C application for Toy needs besides wasi-libc.
 *
 * An application is a wasm32-wasi program with an ordinary main (printf,
 * malloc and the clock work through WASI). Everything else it does through
 * the host calls of import module "toy" (toy/abi.h has the contract): it
 * names objects by 128-bit IDs (toy/id.h) and may touch an object only
 * through a capability, an (ID, rights) pair in its capability set.
 *
 * Every function returns a non-negative result or a negative TOY_ERR_* code
 * (toy/err.h; toy_strerror names it). Errors common to every call:
 *   TOY_ERR_NOTFOUND  the ID does not exist or the caller does not hold it
 *                     (the two are indistinguishable on purpose)
 *   TOY_ERR_PERM      the caller holds the ID without the rights needed
 *   TOY_ERR_RANGE     a pointer or length lies outside linear memory, or an
 *                     offset or size is out of range
 *   TOY_ERR_INVAL     a malformed argument (unknown rights bits, ...)
 *   TOY_ERR_LIMIT     a kernel limit was hit (a full capability set, ...)
 *   TOY_ERR_NOMEM, TOY_ERR_NOSPC, TOY_ERR_IO   the machine ran short or failed
 * A call that fails has changed nothing. The functions below list only the
 * errors particular to them.
 *
 * Memory and execution state persist: after toy_sync returns, a restart of
 * the machine resumes the domain from that point with the same memory, so
 * plain C variables survive power loss up to the last sync. */
#ifndef TOY_H
#define TOY_H

#include <stddef.h>
#include <stdint.h>
#include <toy/abi.h>
#include <toy/err.h>
#include <toy/id.h>

/* --- host calls: typed wrappers ------------------------------------------ */

/* Creates a new empty blob and stores its ID in *id; the caller holds it with
 * TOY_RIGHTS_ALL. Returns 0. */
int toy_create(toy_id *id);

/* Reads up to len bytes at off into buf. Returns the bytes read: fewer than
 * len at the end of the object, 0 at or past it. Needs READ. */
int toy_read(const toy_id *id, uint64_t off, void *buf, size_t len);

/* Writes len bytes of buf at off, growing the object as needed; the bytes are
 * durable when it returns. Returns len. Needs WRITE. */
int toy_write(const toy_id *id, uint64_t off, const void *buf, size_t len);

/* Returns the object's size in bytes. Needs READ. */
int64_t toy_size(const toy_id *id);

/* Sets the object's size, growing it with zeros or truncating. Returns 0.
 * Needs WRITE. */
int toy_resize(const toy_id *id, uint64_t size);

/* Backs the page-aligned range [addr, addr+len) of linear memory with the
 * object's bytes from off (page aligned). Returns 0. Needs READ and MAP.
 * With WRITE the pages are written back to the object on each sync; without
 * it the range is read-only, and a write there stops the domain (the kernel
 * says "stopped: it wrote to memory mapped read-only"). TOY_ERR_RANGE for an
 * unaligned addr, len or off, or len 0. A domain has at most 8 mappings: a
 * map wholly inside a newer one no longer counts, and a ninth gives
 * TOY_ERR_LIMIT. */
int toy_map(const toy_id *id, void *addr, size_t len, uint64_t off);

/* Gives the domain `domain` the rights `rights` on id. Returns 0. The caller
 * needs GRANT on both IDs, and rights must be a subset of its rights on id
 * (TOY_ERR_PERM otherwise). */
int toy_grant(const toy_id *id, const toy_id *domain, uint32_t rights);

/* Forgets the caller's capability on id. Returns 0. A blob that no domain
 * holds any more, by a capability or a map, is deleted from the store: at
 * once when a drop (or a map hiding an older one) lets go of the last
 * hold, at the next boot when a domain that ended held it. */
int toy_drop(const toy_id *id);

/* Returns the caller's rights on id (enum toy_right bits). */
int toy_rights(const toy_id *id);

/* Copies up to max capabilities of the caller's set to caps, those it was
 * spawned with first, in the spawner's order. Returns how many the set holds
 * (which may be more than max). */
int toy_list(struct toy_cap *caps, uint32_t max);

/* Starts a new domain running module, holding the ncaps capabilities at caps
 * (each a subset of the caller's rights on that ID; reserved fields 0), and
 * stores its ID in *domain (the caller holds it with TOY_RIGHTS_ALL).
 * Returns 0. Needs SPAWN on module; TOY_ERR_MALFORMED or TOY_ERR_INVALID if
 * the module is not a valid wasm binary; TOY_ERR_LIMIT when the machine has
 * no room for another domain (the kernel keeps memory and address space for
 * the domains that run). */
int toy_spawn(const toy_id *module, const struct toy_cap *caps, uint32_t ncaps, toy_id *domain);

/* Stores the caller's own domain ID in *id. Returns 0. */
int toy_self(toy_id *id);

/* Sleeps for at least ns nanoseconds. Returns 0; TOY_ERR_INVAL for ns over
 * INT64_MAX. */
int toy_sleep(uint64_t ns);

/* Lets other domains run. Returns 0. */
int toy_yield(void);

/* Ends the domain with the exit code. Never returns. */
_Noreturn void toy_exit(int code);

/* Makes the caller's memory and execution state durable. Returns the
 * store generation that holds them (positive). */
int64_t toy_sync(void);

/* Syncs, then sleeps until the machine restarts: returns 0 on the next boot,
 * with memory as it was at the sync. */
int toy_park(void);

/* Does nothing and returns 0: the cost of a host call, for benchmarks. */
int toy_nop(void);

#define TOY_MS(n) ((uint64_t)(n)*1000000u) /* nanoseconds in n ms */

/* --- host calls: the raw imports ------------------------------------------ */

/* The imports themselves, with pointers and lengths as the i32 addresses and
 * sizes the host sees. The wrappers above are all an application needs;
 * these let a test pass addresses no C pointer would hold (past the end of
 * memory, wrapping around 4 GiB). Return values are those of the wrappers. */
#define TOY_IMPORT(name) __attribute__((import_module("toy"), import_name(name)))

TOY_IMPORT("create") int32_t toy_host_create(uint32_t id_out);
TOY_IMPORT("read") int32_t toy_host_read(uint32_t id, int64_t off, uint32_t buf, uint32_t len);
TOY_IMPORT("write") int32_t toy_host_write(uint32_t id, int64_t off, uint32_t buf, uint32_t len);
TOY_IMPORT("size") int64_t toy_host_size(uint32_t id);
TOY_IMPORT("resize") int32_t toy_host_resize(uint32_t id, int64_t size);
TOY_IMPORT("map") int32_t toy_host_map(uint32_t id, uint32_t addr, uint32_t len, int64_t off);
TOY_IMPORT("grant") int32_t toy_host_grant(uint32_t id, uint32_t domain, uint32_t rights);
TOY_IMPORT("drop") int32_t toy_host_drop(uint32_t id);
TOY_IMPORT("rights") int32_t toy_host_rights(uint32_t id);
TOY_IMPORT("list") int32_t toy_host_list(uint32_t buf, uint32_t max);
TOY_IMPORT("spawn")
int32_t toy_host_spawn(uint32_t module, uint32_t caps, uint32_t ncaps, uint32_t domain_out);
TOY_IMPORT("self") int32_t toy_host_self(uint32_t id_out);
TOY_IMPORT("sleep") int32_t toy_host_sleep(int64_t ns);
TOY_IMPORT("yield") int32_t toy_host_yield(void);
TOY_IMPORT("exit") int32_t toy_host_exit(int32_t code);
TOY_IMPORT("sync") int64_t toy_host_sync(void);
TOY_IMPORT("park") int32_t toy_host_park(void);
TOY_IMPORT("nop") int32_t toy_host_nop(void);

/* A C pointer as the i32 address the host sees. */
#define TOY_ADDR(p) ((uint32_t)(uintptr_t)(p))

/* --- helpers --------------------------------------------------------------- */

/* Writes the text form of id into buf and returns buf, for printf:
 *   char t[TOY_ID_TEXT_LEN + 1]; printf("%s\n", toy_id_str(&id, t)); */
const char *toy_id_str(const toy_id *id, char buf[TOY_ID_TEXT_LEN + 1]);

/* Reads exactly len bytes at off. Returns 0, TOY_ERR_RANGE if the object
 * ends first, or the error of toy_read. */
int toy_read_all(const toy_id *id, uint64_t off, void *buf, size_t len);

#endif
