/* demo.h — what the demo applications share: the "info" blob init writes
 * for intruder. It lists IDs only (domains init spawned, the counter's
 * object, the modules, init itself); holding an ID gives no right, which is
 * what intruder sets out to disprove. All fields little-endian. */
#ifndef DEMO_H
#define DEMO_H

#include <stdint.h>
#include <toy.h>

#define DEMO_INFO_MAGIC 0x4f464e494f4d4544ull /* "DEMOINFO" */
#define DEMO_INFO_MAX   (2u * TOY_BOOT_MAX + 2u)

enum demo_info_kind {
	DEMO_INFO_DOMAIN = 1, /* a domain init spawned (or init itself) */
	DEMO_INFO_OBJECT = 2, /* an object init created (the counter's) */
	DEMO_INFO_MODULE = 3, /* a module from the boot object */
};

struct demo_info_header {
	uint64_t magic;
	uint32_t count; /* entries that follow, at most DEMO_INFO_MAX */
	uint32_t reserved;
};

struct demo_info_entry {
	toy_id id;
	uint32_t kind; /* enum demo_info_kind */
	uint32_t reserved;
	char name[TOY_BOOT_NAME]; /* NUL-padded */
};

struct demo_info {
	struct demo_info_header h;
	struct demo_info_entry e[DEMO_INFO_MAX];
};

_Static_assert(sizeof(struct demo_info_header) == 16, "info header is 16 bytes");
_Static_assert(sizeof(struct demo_info_entry) == 56, "info entry is 56 bytes");

#endif
