/* toy/abi.h — what the kernel, the host tools and applications agree on:
 * object kinds, capability rights, the host calls of module "toy", and the
 * boot object the host writes into a disk image.
 *
 * Host calls (import module "toy"). IDs cross as i32 pointers to 16 bytes of
 * the caller's linear memory; every call returns a non-negative result or a
 * negative TOY_ERR_* code (toy/err.h). Every pointer and length is checked
 * against linear memory, and every check is made before anything changes.
 * An ID the caller does not hold and an ID that does not exist give the same
 * TOY_ERR_NOTFOUND, so IDs cannot be probed.
 *
 *   create(id_out) -> i32            a new empty blob; the caller holds it
 *                                    with TOY_RIGHTS_ALL
 *   read(id, off:i64, buf, len) -> i32     bytes read (short at the end)
 *   write(id, off:i64, buf, len) -> i32    bytes written; durable on return
 *   size(id) -> i64                  the object's size in bytes
 *   resize(id, size:i64) -> i32      grows with zeros or truncates
 *   map(id, addr, len, off:i64) -> i32
 *                                    backs the page-aligned range
 *                                    [addr, addr+len) of the caller's memory
 *                                    with the object's bytes from off (page
 *                                    aligned); needs READ and MAP; with WRITE
 *                                    the object's pages are written back on
 *                                    sync, without it the range is read-only
 *                                    and a write there stops the domain
 *   grant(id, domain, rights) -> i32 gives the domain `rights` on id; they
 *                                    must be a subset of the caller's and the
 *                                    caller needs GRANT on id and on domain
 *   drop(id) -> i32                  forgets the caller's capability
 *   rights(id) -> i32                the caller's rights on id
 *   list(buf, max) -> i32            copies up to max struct toy_cap of the
 *                                    caller's set (spawn order first) to buf;
 *                                    returns how many the set holds
 *   spawn(module, caps, ncaps, domain_out) -> i32
 *                                    starts a domain running the module
 *                                    (needs SPAWN on it) holding the ncaps
 *                                    struct toy_cap at caps (each a subset of
 *                                    the caller's rights); the caller holds
 *                                    the new domain's ID with TOY_RIGHTS_ALL;
 *                                    TOY_ERR_LIMIT when the machine has no
 *                                    room for another domain (memory or
 *                                    address space kept for those running)
 *   self(id_out) -> i32              the caller's own domain ID
 *   sleep(ns:i64) -> i32, yield() -> i32
 *   exit(code) -> i32                ends the domain (never returns)
 *   sync() -> i64                    makes the caller's memory and execution
 *                                    state durable; returns the generation
 *   park() -> i32                    sync, then sleep until the machine
 *                                    restarts; returns 0 after the restart
 *                                    (sync and park answer TOY_ERR_BUSY
 *                                    from a wasm start function)
 *   nop() -> i32                     does nothing and returns 0: the cost
 *                                    of a host call, for benchmarks
 */
#ifndef TOY_ABI_H
#define TOY_ABI_H

#include <stdint.h>
#include <toy/id.h>

/* Object kinds (the objstore's kind field). */
enum toy_kind {
	TOY_KIND_KERNEL = 1, /* kernel-private records (boot counter, ...) */
	TOY_KIND_BLOB = 2,   /* plain bytes, made by create() */
	TOY_KIND_MODULE = 3, /* a wasm binary, ID = content hash */
	TOY_KIND_MEMORY = 4, /* a domain's linear memory */
	TOY_KIND_STATE = 5,  /* a domain's serialized execution state */
	TOY_KIND_CAPS = 6,   /* a domain's capability set */
	TOY_KIND_DOMAIN = 7, /* ties the four above together */
	TOY_KIND_BOOT = 8,   /* the boot object */
	TOY_KIND_SWAP = 9,   /* pages of a domain's memory evicted since its last sync */
};

/* Rights on an ID. */
enum toy_right {
	TOY_RIGHT_READ = 1u << 0,  /* read, size */
	TOY_RIGHT_WRITE = 1u << 1, /* write, resize */
	TOY_RIGHT_MAP = 1u << 2,   /* map into linear memory */
	TOY_RIGHT_CALL = 1u << 3,  /* call a service endpoint (reserved) */
	TOY_RIGHT_GRANT = 1u << 4, /* pass on (id), or grant to (a domain) */
	TOY_RIGHT_SPAWN = 1u << 5, /* start a domain from (a module) */
};
#define TOY_RIGHTS_ALL 0x3fu

/* One capability as it crosses the host-call boundary (little-endian). */
struct toy_cap {
	toy_id id;
	uint32_t rights;
	uint32_t reserved; /* 0 */
};
_Static_assert(sizeof(struct toy_cap) == 24, "struct toy_cap is 24 bytes");

/* Reserved IDs (high 64 bits zero): machine-local objects. */
enum {
	TOY_ID_CONSOLE = 0x01,
	TOY_ID_CLOCK = 0x02,
	TOY_ID_RANDOM = 0x03,
	TOY_ID_BOOT_RECORD = 0x10, /* the kernel's boot counter */
	TOY_ID_BOOT = 0x20,        /* the boot object */
	TOY_ID_DOMAINS = 0x21,     /* the kernel's table of domains */
};

/* The boot object (reserved ID TOY_ID_BOOT, kind TOY_KIND_BOOT), written by
 * the host into a disk image: a header and count entries naming modules.
 * Entry 0 is init, which the kernel starts on a store without domains. It
 * holds READ on the boot object and READ|SPAWN|GRANT on every module listed,
 * and starts the others as their flags say. All fields little-endian. */
#define TOY_BOOT_MAGIC   0x31544f4f42594f54ull /* "TOYBOOT1" */
#define TOY_BOOT_VERSION 1u
#define TOY_BOOT_MAX     64u
#define TOY_BOOT_NAME    32u

enum toy_boot_flag {
	TOY_BOOT_START = 1u << 0,      /* init starts it once, on the first boot */
	TOY_BOOT_EVERY_BOOT = 1u << 1, /* init starts it again on every boot */
};

struct toy_boot_header {
	uint64_t magic;
	uint32_t version;
	uint32_t count; /* entries that follow, at most TOY_BOOT_MAX */
};

struct toy_boot_entry {
	toy_id module;
	char name[TOY_BOOT_NAME]; /* NUL-padded, e.g. "counter" */
	uint32_t flags;           /* enum toy_boot_flag */
	uint32_t reserved;        /* 0 */
};
_Static_assert(sizeof(struct toy_boot_header) == 16, "boot header is 16 bytes");
_Static_assert(sizeof(struct toy_boot_entry) == 56, "boot entry is 56 bytes");

#endif
