/* init — the first domain, which the kernel starts on a fresh store.
 *
 * It holds READ on the boot object and READ|SPAWN|GRANT on every module the
 * boot object lists. On its first run it spawns the entries flagged
 * TOY_BOOT_START or TOY_BOOT_EVERY_BOOT (never entry 0, itself); then it
 * parks, and each time the machine restarts it resumes after toy_park and
 * spawns the TOY_BOOT_EVERY_BOOT entries again. Its own memory remembers
 * everything in between, so "first run" is simply the code before the loop.
 *
 * Entries that get capabilities by name: "counter" gets READ|WRITE on a blob
 * init creates for it, and "intruder" gets READ on an info blob (demo.h)
 * listing the IDs of everything else, with no rights on any of them.
 * intruder is spawned last, once the info blob is complete. Two test
 * apps: "forker" gets READ|SPAWN on its own module, "peeker" READ|MAP (no
 * WRITE) on a page init writes for it. */
#include "demo.h"
#include <stdio.h>
#include <string.h>
#include <toy.h>

static struct toy_boot_header header;
static struct toy_boot_entry entries[TOY_BOOT_MAX];
static struct demo_info info;
static toy_id counter_obj, info_obj, peek_obj;
static int have_counter_obj, have_info_obj, have_peek_obj;

static int is_named(const struct toy_boot_entry *e, const char *name)
{
	return strncmp(e->name, name, TOY_BOOT_NAME) == 0;
}

static void info_add(const toy_id *id, uint32_t kind, const char *name)
{
	if (info.h.count >= DEMO_INFO_MAX)
		return;
	struct demo_info_entry *e = &info.e[info.h.count++];
	e->id = *id;
	e->kind = kind;
	strncpy(e->name, name, TOY_BOOT_NAME - 1);
}

static int read_boot(void)
{
	toy_id boot = toy_id_reserved(TOY_ID_BOOT);
	int rc = toy_read_all(&boot, 0, &header, sizeof(header));
	if (rc < 0)
		return rc;
	if (header.magic != TOY_BOOT_MAGIC || header.version != TOY_BOOT_VERSION ||
	    header.count == 0 || header.count > TOY_BOOT_MAX)
		return TOY_ERR_CORRUPT;
	return toy_read_all(&boot, sizeof(header), entries, header.count * sizeof(entries[0]));
}

/* The capabilities entry e starts with: by name, see the top of the file. */
static uint32_t caps_for(const struct toy_boot_entry *e, struct toy_cap *caps)
{
	if (is_named(e, "counter") && have_counter_obj) {
		caps[0] =
		    (struct toy_cap){.id = counter_obj, .rights = TOY_RIGHT_READ | TOY_RIGHT_WRITE};
		return 1;
	}
	if (is_named(e, "intruder") && have_info_obj) {
		caps[0] = (struct toy_cap){.id = info_obj, .rights = TOY_RIGHT_READ};
		return 1;
	}
	if (is_named(e, "peeker") && have_peek_obj) {
		caps[0] =
		    (struct toy_cap){.id = peek_obj, .rights = TOY_RIGHT_READ | TOY_RIGHT_MAP};
		return 1;
	}
	if (is_named(e, "forker")) {
		caps[0] =
		    (struct toy_cap){.id = e->module, .rights = TOY_RIGHT_READ | TOY_RIGHT_SPAWN};
		return 1;
	}
	return 0;
}

/* Spawns entry i. Returns 1 if it started, 0 if not (after saying why). */
static int start(uint32_t i)
{
	const struct toy_boot_entry *e = &entries[i];
	char name[TOY_BOOT_NAME + 1] = {0};
	memcpy(name, e->name, TOY_BOOT_NAME);
	struct toy_cap caps[1];
	uint32_t ncaps = caps_for(e, caps);
	toy_id domain;
	int rc = toy_spawn(&e->module, caps, ncaps, &domain);
	if (rc < 0) {
		printf("init: cannot start %s: %s\n", name, toy_strerror(rc));
		return 0;
	}
	info_add(&domain, DEMO_INFO_DOMAIN, name);
	return 1;
}

/* The objects the first run hands out: the counter's blob, then the info
 * blob, filled with every ID known so far. */
static void make_counter_obj(void)
{
	int rc = toy_create(&counter_obj);
	if (rc < 0) {
		printf("init: cannot create the counter's object: %s\n", toy_strerror(rc));
		return;
	}
	have_counter_obj = 1;
	info_add(&counter_obj, DEMO_INFO_OBJECT, "counter-object");
}

/* peeker's page: text it may map and read, never write. */
static void make_peek_obj(void)
{
	static char page[4096] = "a page mapped read-only";
	int rc = toy_create(&peek_obj);
	if (rc >= 0)
		rc = toy_write(&peek_obj, 0, page, sizeof(page));
	if (rc < 0) {
		printf("init: cannot write peeker's page: %s\n", toy_strerror(rc));
		return;
	}
	have_peek_obj = 1;
}

static void write_info(void)
{
	int rc = toy_create(&info_obj);
	if (rc >= 0)
		rc = toy_write(&info_obj, 0, &info,
			       sizeof(info.h) + info.h.count * sizeof(info.e[0]));
	if (rc < 0) {
		printf("init: cannot write the info blob: %s\n", toy_strerror(rc));
		return;
	}
	have_info_obj = 1;
}

static int first_run(void)
{
	toy_id self;
	info.h.magic = DEMO_INFO_MAGIC;
	if (toy_self(&self) == 0)
		info_add(&self, DEMO_INFO_DOMAIN, "init");
	for (uint32_t i = 0; i < header.count; i++)
		info_add(&entries[i].module, DEMO_INFO_MODULE, entries[i].name);
	make_counter_obj();
	make_peek_obj();

	int started = 0, intruder = -1;
	for (uint32_t i = 1; i < header.count; i++) {
		if (!(entries[i].flags & (TOY_BOOT_START | TOY_BOOT_EVERY_BOOT)))
			continue;
		if (is_named(&entries[i], "intruder"))
			intruder = (int)i;
		else
			started += start(i);
	}
	if (intruder >= 0) {
		write_info();
		started += start((uint32_t)intruder);
	}
	return started;
}

static int every_boot(void)
{
	int started = 0;
	for (uint32_t i = 1; i < header.count; i++)
		if (entries[i].flags & TOY_BOOT_EVERY_BOOT)
			started += start(i);
	return started;
}

int main(void)
{
	int rc = read_boot();
	if (rc < 0) {
		printf("init: cannot read the boot object: %s\n", toy_strerror(rc));
		return 1;
	}
	printf("init: started %d apps\n", first_run());
	for (;;) {
		rc = toy_park();
		if (rc < 0) {
			printf("init: park failed: %s\n", toy_strerror(rc));
			return 1;
		}
		printf("init: resumed, started %d apps\n", every_boot());
	}
}
