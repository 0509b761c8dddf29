/* vm/snapshot.h — the serialized execution state of a paused vm thread.
 *
 * The one definition of the format written by vm_snapshot and read by
 * vm_resume. Every field is little-endian and fixed-width, whatever the CPU;
 * code positions are offsets into the pre-compiled code, which is a pure
 * function of the module bytes, so a snapshot taken on x86_64 resumes on
 * aarch64. Memory contents are not included: the embedder keeps them (they
 * are the domain's memory object); only the size in pages is recorded.
 *
 * Layout, in this order, with no padding between parts:
 *
 *   struct vm_snap_header                       64 bytes
 *   struct vm_snap_frame   frames[nframes]      12 bytes each, outermost
 *                                               first; frames[0] is the
 *                                               embedder's (func = NONE)
 *   uint64_t               slots[nslots]        the value stack from 0
 *   uint64_t               globals[nglobals]    the instance's globals
 *   per table (ntables):   uint32_t size, uint32_t 0, uint64_t elem[size]
 *   uint8_t                elem_dropped[nelems]
 *   uint8_t                data_dropped[ndatas]
 *
 * References in slots, globals and tables are store function ids (index in
 * the store plus one, 0 = null) or opaque externref words: resuming needs
 * the same sequence of objects created in the new store (the same imports
 * resolved in the same order), which the header's nstore_funcs checks.
 */
#ifndef VM_SNAPSHOT_H
#define VM_SNAPSHOT_H

#include <stddef.h>
#include <stdint.h>

#define VM_SNAP_MAGIC     0x534d5654u /* "TVMS" */
#define VM_SNAP_VERSION   1u
#define VM_SNAP_FUNC_NONE 0xffffffffu

struct vm_snap_header {
	uint32_t magic;
	uint32_t version;
	uint64_t module_hash;  /* FNV-1a of the module bytes */
	uint32_t nstore_funcs; /* store function count after instantiation */
	uint32_t func;         /* current function: index in the instance */
	uint32_t ip;           /* code offset (32-bit words) in func */
	uint32_t fp;           /* frame base slot */
	uint32_t nframes;
	uint32_t nslots;
	uint32_t nglobals;
	uint32_t ntables;
	uint32_t mem_pages; /* 0xffffffff: no memory */
	uint32_t nelems;
	uint32_t ndatas;
	uint32_t reserved;
};

struct vm_snap_frame {
	uint32_t func; /* index in the instance, or VM_SNAP_FUNC_NONE */
	uint32_t ip;
	uint32_t fp;
};

_Static_assert(sizeof(struct vm_snap_header) == 64, "snapshot header size");
_Static_assert(offsetof(struct vm_snap_header, module_hash) == 8, "module_hash offset");
_Static_assert(offsetof(struct vm_snap_header, func) == 20, "func offset");
_Static_assert(offsetof(struct vm_snap_header, nslots) == 36, "nslots offset");
_Static_assert(offsetof(struct vm_snap_header, reserved) == 60, "reserved offset");
_Static_assert(sizeof(struct vm_snap_frame) == 12, "snapshot frame size");

#endif
