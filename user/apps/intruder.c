/* intruder — a hostile domain that tries to reach what it does not hold.
 *
 * init gives it one capability: READ on an info blob (demo.h) that lists the
 * IDs of the other domains, the counter's object and the modules. It then
 * makes a fixed sequence of calls, every one of which the kernel must refuse:
 *   - 100000 calls on random IDs (read, write, size, resize, map, grant,
 *     spawn, drop, rights), from a fixed seed;
 *   - every call on each of INFO_SLOTS IDs from the info blob;
 *   - calls on the 64 lowest reserved IDs (console, clock, boot object...);
 *   - forged rights: more than it holds, GRANT it lacks, unknown bits;
 *   - addresses and lengths outside linear memory, wrapping around 4 GiB,
 *     negative offsets, unaligned maps.
 * and a few legitimate ones (list, reading its own info blob, a blob of its
 * own). Each call is counted as refused (negative result) or allowed; a
 * hostile call that succeeds is printed as "intruder: UNEXPECTED ...", a
 * legitimate one that fails as "intruder: FAILED ...". The sequence does not
 * depend on the machine, so a correct kernel always yields the same line:
 *   intruder: 100728 refused, 10 allowed
 * (INTRUDER_HOSTILE and INTRUDER_LEGIT below). */
#include "demo.h"
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <toy.h>

#define RANDOM_CALLS 100000u
#define INFO_SLOTS   16u /* info IDs tried, cycling if the blob has fewer */
#define RESERVED_IDS 64u
#define PAGE         4096u

static unsigned refused, allowed;
static toy_id me, mine, info_obj;
static struct demo_info info;
static uint8_t buf[4 * PAGE] __attribute__((aligned(PAGE)));

/* --- bookkeeping ------------------------------------------------------------ */

static void hostile(const char *what, int64_t rc)
{
	if (rc < 0) {
		refused++;
		return;
	}
	allowed++;
	printf("intruder: UNEXPECTED %s returned %" PRId64 "\n", what, rc);
}

static void hostile_on(const char *call, const toy_id *id, int64_t rc)
{
	if (rc < 0) {
		refused++;
		return;
	}
	char text[TOY_ID_TEXT_LEN + 1], what[96];
	snprintf(what, sizeof(what), "%s(%s)", call, toy_id_str(id, text));
	hostile(what, rc);
}

/* A legitimate call: returns 1 if it succeeded. */
static int legit(const char *what, int64_t rc)
{
	if (rc >= 0) {
		allowed++;
		return 1;
	}
	refused++;
	printf("intruder: FAILED %s: %s\n", what, toy_strerror((int)rc));
	return 0;
}

/* The first address past linear memory, as the host sees it now. */
static uint32_t mem_end(void)
{
	return (uint32_t)(__builtin_wasm_memory_size(0) * 65536u);
}

/* --- legitimate calls (INTRUDER_LEGIT = 10) ---------------------------------- */

static void setup(void)
{
	struct toy_cap caps[4];
	int n = toy_list(caps, 4);
	if (legit("list", n) && n >= 1)
		info_obj = caps[0].id;
	int r = toy_rights(&info_obj);
	if (legit("rights(info)", r) && r != TOY_RIGHT_READ)
		printf("intruder: UNEXPECTED rights on info 0x%x\n", (unsigned)r);
	int64_t size = toy_size(&info_obj);
	legit("size(info)", size);
	int got = toy_read(&info_obj, 0, &info, sizeof(info));
	legit("read(info)", got);
	if (got < (int)sizeof(info.h) || info.h.magic != DEMO_INFO_MAGIC || info.h.count == 0 ||
	    info.h.count > DEMO_INFO_MAX)
		info.h.count = 0;
	legit("self", toy_self(&me));
	legit("create", toy_create(&mine));
	memset(buf, 0x5a, sizeof(buf));
	legit("write(mine)", toy_write(&mine, 0, buf, 2 * PAGE));
	legit("read(mine)", toy_read(&mine, 0, buf, 16));
	r = toy_rights(&mine);
	if (legit("rights(mine)", r) && r != TOY_RIGHTS_ALL)
		printf("intruder: UNEXPECTED rights on own blob 0x%x\n", (unsigned)r);
}

/* --- every call on one ID it does not hold (CALLS_PER_ID each) ---------------- */

#define CALLS_PER_ID 10u

static void every_call(const toy_id *id)
{
	toy_id out;
	struct toy_cap cap = {.id = info_obj, .rights = TOY_RIGHT_READ};
	hostile_on("read", id, toy_read(id, 0, buf, 16));
	hostile_on("write", id, toy_write(id, 0, "x", 1));
	hostile_on("size", id, toy_size(id));
	hostile_on("resize", id, toy_resize(id, 0));
	hostile_on("map", id, toy_map(id, buf, PAGE, 0));
	hostile_on("grant-of", id, toy_grant(id, &me, TOY_RIGHT_READ));
	hostile_on("grant-to", id, toy_grant(&mine, id, TOY_RIGHT_READ));
	hostile_on("spawn", id, toy_spawn(id, &cap, 1, &out));
	hostile_on("drop", id, toy_drop(id));
	hostile_on("rights", id, toy_rights(id));
}

/* One call per random ID, the call chosen by the ID's number. */
static uint64_t rng_state = 0x746f792d696e7472ull; /* "toy-intr" */

static uint64_t rng(void)
{
	uint64_t x = rng_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545f4914f6cdd1dull;
}

static void one_call(unsigned i, const toy_id *id)
{
	toy_id out;
	switch (i % CALLS_PER_ID) {
	case 0: hostile_on("read", id, toy_read(id, 0, buf, 16)); break;
	case 1: hostile_on("write", id, toy_write(id, 0, buf, 16)); break;
	case 2: hostile_on("size", id, toy_size(id)); break;
	case 3: hostile_on("resize", id, toy_resize(id, 4096)); break;
	case 4: hostile_on("map", id, toy_map(id, buf, PAGE, 0)); break;
	case 5: hostile_on("grant-of", id, toy_grant(id, &me, TOY_RIGHT_READ)); break;
	case 6: hostile_on("grant-to", id, toy_grant(&mine, id, TOY_RIGHT_READ)); break;
	case 7: hostile_on("spawn", id, toy_spawn(id, NULL, 0, &out)); break;
	case 8: hostile_on("drop", id, toy_drop(id)); break;
	default: hostile_on("rights", id, toy_rights(id)); break;
	}
}

static void random_ids(void)
{
	for (unsigned i = 0; i < RANDOM_CALLS; i++) {
		toy_id id;
		uint64_t lo = rng(), hi = rng();
		for (int b = 0; b < 8; b++) {
			id.b[b] = (uint8_t)(lo >> (8 * b));
			id.b[8 + b] = (uint8_t)(hi >> (8 * b));
		}
		if (i & 1) /* half look like the kernel's own IDs */
			toy_id_from_random(&id);
		if (toy_id_is_reserved(&id))
			id.b[15] = 0x80;
		one_call(i, &id);
	}
}

/* INFO_SLOTS * CALLS_PER_ID = 160 */
static void info_ids(void)
{
	for (unsigned i = 0; i < INFO_SLOTS; i++) {
		toy_id id =
		    info.h.count ? info.e[i % info.h.count].id : toy_id_reserved(TOY_ID_BOOT);
		every_call(&id);
	}
}

/* RESERVED_IDS * 8 = 512: no write or resize, which a broken kernel would
 * let loose on the boot object or the console. */
static void reserved_ids(void)
{
	for (unsigned n = 0; n < RESERVED_IDS; n++) {
		toy_id id = toy_id_reserved(n), out;
		hostile_on("read", &id, toy_read(&id, 0, buf, 16));
		hostile_on("write0", &id, toy_write(&id, 0, buf, 0));
		hostile_on("size", &id, toy_size(&id));
		hostile_on("map", &id, toy_map(&id, buf, PAGE, 0));
		hostile_on("grant-of", &id, toy_grant(&id, &me, TOY_RIGHT_READ));
		hostile_on("spawn", &id, toy_spawn(&id, NULL, 0, &out));
		hostile_on("drop", &id, toy_drop(&id));
		hostile_on("rights", &id, toy_rights(&id));
	}
}

/* --- forged rights (14) --------------------------------------------------- */

static void forged_rights(void)
{
	toy_id out;
	struct toy_cap more = {.id = info_obj, .rights = TOY_RIGHT_READ | TOY_RIGHT_WRITE};
	struct toy_cap bad_bits = {.id = mine, .rights = 0x40};
	struct toy_cap bad_reserved = {.id = mine, .rights = TOY_RIGHT_READ, .reserved = 1};
	hostile("grant info READ|WRITE to self", toy_grant(&info_obj, &me, more.rights));
	hostile("grant info READ to self", toy_grant(&info_obj, &me, TOY_RIGHT_READ));
	hostile("grant info ALL to self", toy_grant(&info_obj, &me, TOY_RIGHTS_ALL));
	hostile("write info", toy_write(&info_obj, 0, "x", 1));
	hostile("resize info", toy_resize(&info_obj, 0));
	hostile("map info", toy_map(&info_obj, buf, PAGE, 0));
	hostile("spawn info", toy_spawn(&info_obj, NULL, 0, &out));
	hostile("spawn own blob", toy_spawn(&mine, NULL, 0, &out));
	hostile("spawn with more rights", toy_spawn(&mine, &more, 1, &out));
	hostile("spawn with bad bits", toy_spawn(&mine, &bad_bits, 1, &out));
	hostile("spawn with reserved", toy_spawn(&mine, &bad_reserved, 1, &out));
	hostile("grant bits 0x40", toy_grant(&mine, &me, 0x40));
	hostile("grant bits 0x80000000", toy_grant(&mine, &me, 0x80000000u));
	hostile("grant bits ~0", toy_grant(&mine, &me, 0xffffffffu));
}

/* --- addresses, lengths, offsets (41) ------------------------------------- */

static void bad_buffers(void)
{
	uint32_t id = TOY_ADDR(&info_obj), own = TOY_ADDR(&mine), b = TOY_ADDR(buf);
	uint32_t end = mem_end();
	hostile("read buf past end", toy_host_read(id, 0, end, 16));
	hostile("read buf across end", toy_host_read(id, 0, end - 8, 16));
	hostile("read buf at 4G-16", toy_host_read(id, 0, 0xfffffff0u, 32));
	hostile("read len 4G-1", toy_host_read(id, 0, b, 0xffffffffu));
	hostile("read len wraps", toy_host_read(id, 0, 0x10, 0xfffffff8u));
	hostile("read len to 4G", toy_host_read(id, 0, b, 0u - b));
	hostile("write buf past end", toy_host_write(own, 0, end, 16));
	hostile("write buf across end", toy_host_write(own, 0, end - 8, 16));
	hostile("write len 4G-1", toy_host_write(own, 0, b, 0xffffffffu));
	hostile("write buf at 4G-4K", toy_host_write(own, 0, 0xfffff000u, 0x2000));
	hostile("list buf past end", toy_host_list(end, 1));
	hostile("list buf across end", toy_host_list(end - 8, 1));
	hostile("list buf at 4G-16", toy_host_list(0xfffffff0u, 1));
}

static void bad_id_pointers(void)
{
	uint32_t end = mem_end(), b = TOY_ADDR(buf), own = TOY_ADDR(&mine);
	uint32_t caps = TOY_ADDR(buf + PAGE);
	hostile("size id past end", toy_host_size(end));
	hostile("size id across end", toy_host_size(end - 8));
	hostile("size id at 4G-1", toy_host_size(0xffffffffu));
	hostile("rights id past end", toy_host_rights(end));
	hostile("read id across end", toy_host_read(end - 4, 0, b, 16));
	hostile("drop id at 4G-8", toy_host_drop(0xfffffff8u));
	hostile("grant id past end", toy_host_grant(end, TOY_ADDR(&me), TOY_RIGHT_READ));
	hostile("grant domain past end", toy_host_grant(own, end, TOY_RIGHT_READ));
	hostile("create out past end", toy_host_create(end));
	hostile("create out across end", toy_host_create(end - 8));
	hostile("self out past end", toy_host_self(end));
	hostile("self out at 4G-8", toy_host_self(0xfffffff8u));
	hostile("spawn module past end", toy_host_spawn(end, caps, 0, b));
	hostile("spawn caps past end", toy_host_spawn(own, end, 1, b));
	hostile("spawn ncaps 4G-1", toy_host_spawn(own, caps, 0xffffffffu, b));
	hostile("spawn out past end", toy_host_spawn(own, caps, 0, end));
}

static void bad_offsets(void)
{
	uint32_t id = TOY_ADDR(&info_obj), own = TOY_ADDR(&mine), b = TOY_ADDR(buf);
	hostile("read off -1", toy_host_read(id, -1, b, 8));
	hostile("read off min", toy_host_read(id, INT64_MIN, b, 8));
	hostile("write off -1", toy_host_write(own, -1, b, 8));
	hostile("write off -4096", toy_host_write(own, -4096, b, 8));
	hostile("write off+len overflows", toy_host_write(own, INT64_MAX - 2, b, 8));
	hostile("resize -1", toy_host_resize(own, -1));
	hostile("resize min", toy_host_resize(own, INT64_MIN));
	hostile("map off -4096", toy_host_map(own, b, PAGE, -4096));
	hostile("map addr unaligned", toy_host_map(own, b + 8, PAGE, 0));
	hostile("map len unaligned", toy_host_map(own, b, 100, 0));
	hostile("map off unaligned", toy_host_map(own, b, PAGE, 100));
	hostile("map past end", toy_host_map(own, mem_end(), PAGE, 0));
	hostile("map wraps", toy_host_map(own, 0xfffff000u, 2 * PAGE, 0));
}

/* 100000 + 160 + 512 + 14 + 13 + 16 + 13 */
#define INTRUDER_HOSTILE                                                                           \
	(RANDOM_CALLS + INFO_SLOTS * CALLS_PER_ID + RESERVED_IDS * 8u + 14u + 13u + 16u + 13u)
#define INTRUDER_LEGIT 10u

int main(void)
{
	setup();
	random_ids();
	info_ids();
	reserved_ids();
	forged_rights();
	bad_buffers();
	bad_id_pointers();
	bad_offsets();
	legit("drop(mine)", toy_drop(&mine));
	if (refused + allowed != INTRUDER_HOSTILE + INTRUDER_LEGIT)
		printf("intruder: made %u calls, meant %u\n", refused + allowed,
		       INTRUDER_HOSTILE + INTRUDER_LEGIT);
	printf("intruder: %u refused, %u allowed\n", refused, allowed);
	return refused == INTRUDER_HOSTILE && allowed == INTRUDER_LEGIT ? 0 : 1;
}
