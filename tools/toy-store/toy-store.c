/* toy-store.c — create, inspect, check and clean object store images.
 *
 * Each command opens the image file through hostenv (the same file device
 * the tests and benchmarks use), mounts it with the objstore library, does
 * one thing and unmounts. Commands that only look (get, stat, ls, fsck,
 * info) open the file read-only and mount with OS_MOUNT_RDONLY, so they
 * never change an image, damaged or not. Commands that change it (put, rm,
 * gc) commit before they unmount, and the unmount writes an index
 * checkpoint, so the next command mounts quickly and sees the change.
 *
 * put and get stream through a fixed buffer, so an object of any size moves
 * in bounded memory. put writes the whole object in one transaction: a
 * replaced object is either all old or all new after a crash. Aligned pages
 * of zeros are left as holes (they read back as zeros), like cp --sparse.
 *
 * install puts applications into an image: each wasm file becomes a module
 * object named by its content hash (toy_module_id), and the boot object
 * (toy/abi.h) lists them, init first, for the kernel to start.
 *
 * Exit status: 0 success, 1 failure (with a message on stderr), 2 usage. */
#define _GNU_SOURCE
#include <errno.h>
#include <hostenv.h>
#include <inttypes.h>
#include <objstore/format.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <toy/abi.h>
#include <unistd.h>

#define EXIT_USAGE 2
#define CHUNK      (256u * 1024u) /* bytes moved per read/write call */
#define MIN_IMAGE  (1024u * 1024u)
#define MIN_SEGS   16u /* mkfs shrinks segments to keep at least this many */

struct store {
	const char *path;
	struct host_file file;
	struct os_env env;
	os_store *s;
};

/* --- messages -------------------------------------------------------------- */

static void complain(const char *what, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "toy-store: %s: ", what);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* A store error in words; TOY_ERR_IO says what the system call reported. */
static const char *errtext(int rc)
{
	static char buf[160];
	if (rc != TOY_ERR_IO || errno == 0)
		return toy_strerror(rc);
	snprintf(buf, sizeof(buf), "%s (%s)", toy_strerror(rc), strerror(errno));
	return buf;
}

static int fail(const char *what, const char *doing, int rc)
{
	complain(what, "%s%s%s", doing, *doing ? ": " : "", errtext(rc));
	return EXIT_FAILURE;
}

/* --- opening and closing an image ------------------------------------------ */

static int store_open(struct store *st, const char *path, bool rdonly)
{
	memset(st, 0, sizeof(*st));
	st->path = path;
	errno = 0;
	int rc = host_file_open(path, rdonly, &st->file, &st->env);
	if (rc == TOY_ERR_NOTFOUND) {
		complain(path, "no such file");
		return EXIT_FAILURE;
	}
	if (rc != TOY_OK)
		return fail(path, "cannot open", rc);
	/* Each command reads a page at most once: a read cache would only cost
	 * memory. */
	st->env.cache_blocks = 0;
	if (st->env.dev.nblocks < OSF_SUPER_BLOCKS) {
		complain(path, "not a Toy store (only %" PRIu64 " bytes)",
			 st->env.dev.nblocks * OS_BLOCK_SIZE);
		host_file_close(&st->file);
		return EXIT_FAILURE;
	}
	errno = 0;
	rc = os_mount(&st->env, rdonly ? OS_MOUNT_RDONLY : 0, &st->s);
	if (rc == TOY_ERR_CORRUPT) {
		complain(path, "not a Toy store (%s)", toy_strerror(rc));
	} else if (rc != TOY_OK) {
		fail(path, "cannot mount", rc);
	}
	if (rc != TOY_OK) {
		host_file_close(&st->file);
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}

/* Unmounts (a writable store writes its checkpoint here) and closes.
 * Returns status unless the unmount itself failed. */
static int store_close(struct store *st, int status)
{
	errno = 0;
	int rc = os_unmount(st->s);
	host_file_close(&st->file);
	if (rc != TOY_OK && status == EXIT_SUCCESS)
		return fail(st->path, "unmount", rc);
	return status;
}

/* Opens the image, runs fn on the mounted store, unmounts: the whole life of
 * the commands that need nothing but the store. */
static int with_store(const char *path, bool rdonly, int (*fn)(struct store *st))
{
	struct store st;
	if (store_open(&st, path, rdonly) != EXIT_SUCCESS)
		return EXIT_FAILURE;
	return store_close(&st, fn(&st));
}

static int parse_id(const char *text, toy_id *id)
{
	if (toy_id_parse(text, id) == TOY_OK)
		return EXIT_SUCCESS;
	complain(text, "not an object ID (want 8-4-4-4-12 hex digits)");
	return EXIT_USAGE;
}

/* --- mkfs ------------------------------------------------------------------ */

/* Parses a byte count with an optional K, M, G or T suffix (powers of 1024,
 * optionally followed by "iB" or "B"). Returns 0 or -1. */
static int parse_size(const char *text, uint64_t *out)
{
	char *end;
	errno = 0;
	if (*text < '0' || *text > '9')
		return -1;
	unsigned long long n = strtoull(text, &end, 10);
	if (errno != 0)
		return -1;
	unsigned shift = 0;
	const char *units = "KMGT", *u = *end ? strchr(units, *end & ~0x20) : NULL;
	if (u) {
		shift = 10u * (unsigned)(u - units + 1);
		end++;
		if ((*end & ~0x20) == 'I' && (end[1] & ~0x20) == 'B')
			end += 2;
		else if ((*end & ~0x20) == 'B')
			end++;
	}
	if (*end != '\0' || (shift && n > (UINT64_MAX >> shift)))
		return -1;
	*out = (uint64_t)n << shift;
	return 0;
}

/* Segments of 1 MiB (the library's default), smaller on small images so the
 * cleaner always has room to work. */
static uint32_t pick_seg_blocks(uint64_t nblocks)
{
	uint32_t seg = 256;
	while (seg > 8 && (nblocks - 2) / seg < MIN_SEGS)
		seg /= 2;
	return seg;
}

static int cmd_mkfs(char **argv)
{
	const char *path = argv[0];
	uint64_t size;
	if (parse_size(argv[1], &size) != 0) {
		complain(argv[1], "not a size (want bytes, or a number with K, M, G or T)");
		return EXIT_USAGE;
	}
	if (size < MIN_IMAGE) {
		complain(argv[1], "too small for a store (minimum 1M)");
		return EXIT_USAGE;
	}
	size -= size % OS_BLOCK_SIZE;
	errno = 0;
	if (host_file_create(path, size) != TOY_OK)
		return fail(path, "cannot create", TOY_ERR_IO);

	struct store st;
	int rc = host_file_open(path, false, &st.file, &st.env);
	if (rc != TOY_OK)
		return fail(path, "cannot open", rc);
	struct os_format_opts opts = {.seg_blocks = pick_seg_blocks(st.env.dev.nblocks)};
	errno = 0;
	rc = os_format(&st.env, &opts);
	host_file_close(&st.file);
	if (rc != TOY_OK)
		return fail(path, "format", rc);

	/* Mount what was written: mkfs succeeds only on a store that works. */
	if (store_open(&st, path, true) != EXIT_SUCCESS)
		return EXIT_FAILURE;
	struct os_info info;
	os_info(st.s, &info);
	printf("%s: %" PRIu64 " bytes, %" PRIu64 " segments of %" PRIu64 " KiB\n", path, size,
	       info.nsegs, info.seg_blocks * (OS_BLOCK_SIZE / 1024));
	return store_close(&st, EXIT_SUCCESS);
}

/* --- put and get ----------------------------------------------------------- */

/* Reads until buf is full or end of input. Returns bytes read or -1. */
static ssize_t read_full(int fd, void *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		ssize_t r = read(fd, (char *)buf + done, len - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		if (r == 0)
			break;
		done += (size_t)r;
	}
	return (ssize_t)done;
}

static int write_full(int fd, const void *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		ssize_t r = write(fd, (const char *)buf + done, len - done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		done += (size_t)r;
	}
	return 0;
}

static bool page_is_zero(const uint8_t *p)
{
	for (size_t i = 0; i < OS_PAGE_SIZE; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		if (w != 0)
			return false;
	}
	return true;
}

/* Writes len bytes of buf at off, leaving whole pages of zeros as holes.
 * off is page-aligned. */
static int write_sparse(os_store *s, const toy_id *id, uint64_t off, const uint8_t *buf, size_t len)
{
	size_t run = 0; /* start of the pending run of data pages */
	for (size_t at = 0; at < len; at += OS_PAGE_SIZE) {
		bool full = len - at >= OS_PAGE_SIZE;
		if (!full || !page_is_zero(buf + at))
			continue;
		if (at > run) {
			int rc = os_write(s, id, off + run, buf + run, at - run);
			if (rc != TOY_OK)
				return rc;
		}
		run = at + OS_PAGE_SIZE;
	}
	if (len > run)
		return os_write(s, id, off + run, buf + run, len - run);
	return TOY_OK;
}

/* Creates the object, or empties it if it exists (keeping kind and flags). */
static int put_prepare(os_store *s, toy_id *id)
{
	struct os_stat st;
	int rc = toy_id_is_nil(id) ? TOY_ERR_NOTFOUND : os_stat(s, id, &st);
	if (rc == TOY_ERR_NOTFOUND)
		return os_create(s, id, 0);
	if (rc != TOY_OK)
		return rc;
	return os_set_size(s, id, 0);
}

/* Streams standard input into the object, then sets its size (the input may
 * end in a hole). */
static int put_stream(os_store *s, const toy_id *id, uint8_t *buf, const char **doing)
{
	uint64_t total = 0;
	for (;;) {
		ssize_t n = read_full(STDIN_FILENO, buf, CHUNK);
		if (n < 0) {
			*doing = "reading standard input";
			return TOY_ERR_IO;
		}
		if (n == 0)
			break;
		int rc = write_sparse(s, id, total, buf, (size_t)n);
		if (rc != TOY_OK)
			return rc;
		total += (uint64_t)n;
	}
	return os_set_size(s, id, total);
}

static int put_txn(struct store *st, toy_id *id, uint8_t *buf)
{
	const char *doing = "write";
	int rc = os_begin(st->s);
	if (rc == TOY_OK)
		rc = put_prepare(st->s, id);
	if (rc == TOY_OK)
		rc = put_stream(st->s, id, buf, &doing);
	if (rc == TOY_OK) {
		doing = "commit";
		rc = os_commit(st->s, NULL);
	}
	if (rc != TOY_OK) {
		os_abort(st->s);
		return fail(st->path, doing, rc);
	}
	return EXIT_SUCCESS;
}

static int cmd_put(char **argv)
{
	toy_id id = {{0}};
	if (argv[1] && parse_id(argv[1], &id) != EXIT_SUCCESS)
		return EXIT_USAGE;
	if (argv[1] && toy_id_is_nil(&id)) {
		complain(argv[1], "the nil ID names no object");
		return EXIT_USAGE;
	}
	uint8_t *buf = malloc(CHUNK);
	if (!buf)
		return fail(argv[0], "", TOY_ERR_NOMEM);
	struct store st;
	int status = store_open(&st, argv[0], false);
	if (status == EXIT_SUCCESS) {
		status = store_close(&st, put_txn(&st, &id, buf));
	}
	free(buf);
	if (status != EXIT_SUCCESS)
		return status;
	char text[TOY_ID_TEXT_LEN + 1];
	toy_id_format(&id, text);
	printf("%s\n", text);
	return EXIT_SUCCESS;
}

static int get_stream(struct store *st, const toy_id *id, const char *idtext, uint8_t *buf)
{
	struct os_stat sb;
	int rc = os_stat(st->s, id, &sb);
	if (rc == TOY_ERR_NOTFOUND) {
		complain(idtext, "no such object in %s", st->path);
		return EXIT_FAILURE;
	}
	if (rc != TOY_OK)
		return fail(st->path, "stat", rc);
	for (uint64_t off = 0; off < sb.size;) {
		size_t want = sb.size - off < CHUNK ? (size_t)(sb.size - off) : CHUNK;
		int64_t n = os_read(st->s, id, off, buf, want);
		if (n < 0)
			return fail(st->path, "read", (int)n);
		if ((size_t)n != want) {
			complain(st->path, "read: short read at offset %" PRIu64, off);
			return EXIT_FAILURE;
		}
		if (write_full(STDOUT_FILENO, buf, want) != 0) {
			complain("standard output", "%s", strerror(errno));
			return EXIT_FAILURE;
		}
		off += want;
	}
	return EXIT_SUCCESS;
}

static int cmd_get(char **argv)
{
	toy_id id;
	if (parse_id(argv[1], &id) != EXIT_SUCCESS)
		return EXIT_USAGE;
	uint8_t *buf = malloc(CHUNK);
	if (!buf)
		return fail(argv[0], "", TOY_ERR_NOMEM);
	struct store st;
	int status = store_open(&st, argv[0], true);
	if (status == EXIT_SUCCESS)
		status = store_close(&st, get_stream(&st, &id, argv[1], buf));
	free(buf);
	return status;
}

/* --- rm and stat ----------------------------------------------------------- */

static int rm_txn(struct store *st, const toy_id *id, const char *idtext)
{
	int rc = os_begin(st->s);
	if (rc == TOY_OK)
		rc = os_delete(st->s, id);
	if (rc == TOY_OK)
		rc = os_commit(st->s, NULL);
	if (rc == TOY_OK)
		return EXIT_SUCCESS;
	os_abort(st->s);
	if (rc == TOY_ERR_NOTFOUND) {
		complain(idtext, "no such object in %s", st->path);
		return EXIT_FAILURE;
	}
	return fail(st->path, "rm", rc);
}

static int cmd_rm(char **argv)
{
	toy_id id;
	if (parse_id(argv[1], &id) != EXIT_SUCCESS)
		return EXIT_USAGE;
	struct store st;
	if (store_open(&st, argv[0], false) != EXIT_SUCCESS)
		return EXIT_FAILURE;
	return store_close(&st, rm_txn(&st, &id, argv[1]));
}

static int stat_print(struct store *st, const toy_id *id, const char *idtext)
{
	struct os_stat sb;
	int rc = os_stat(st->s, id, &sb);
	if (rc == TOY_ERR_NOTFOUND) {
		complain(idtext, "no such object in %s", st->path);
		return EXIT_FAILURE;
	}
	if (rc != TOY_OK)
		return fail(st->path, "stat", rc);
	char text[TOY_ID_TEXT_LEN + 1];
	toy_id_format(id, text);
	printf("id      %s%s\n", text, toy_id_is_reserved(id) ? " (reserved)" : "");
	printf("kind    %" PRIu32 "\n", sb.kind);
	printf("flags   0x%" PRIx32 "\n", sb.flags);
	printf("size    %" PRIu64 "\n", sb.size);
	printf("pages   %" PRIu64 " stored, %" PRIu64 " in size\n", sb.npages,
	       (sb.size + OS_PAGE_SIZE - 1) / OS_PAGE_SIZE);
	return EXIT_SUCCESS;
}

static int cmd_stat(char **argv)
{
	toy_id id;
	if (parse_id(argv[1], &id) != EXIT_SUCCESS)
		return EXIT_USAGE;
	struct store st;
	if (store_open(&st, argv[0], true) != EXIT_SUCCESS)
		return EXIT_FAILURE;
	return store_close(&st, stat_print(&st, &id, argv[1]));
}

/* --- ls -------------------------------------------------------------------- */

struct ls_entry {
	char id[TOY_ID_TEXT_LEN + 1];
	uint64_t size;
};

struct ls_list {
	struct ls_entry *v;
	size_t n, cap;
};

static int ls_collect(void *arg, const toy_id *id, const struct os_stat *st)
{
	struct ls_list *l = arg;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 256;
		struct ls_entry *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return TOY_ERR_NOMEM;
		l->v = v;
		l->cap = cap;
	}
	toy_id_format(id, l->v[l->n].id);
	l->v[l->n++].size = st->size;
	return 0;
}

static int ls_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ls_entry *)a)->id, ((const struct ls_entry *)b)->id);
}

/* Lists objects sorted by ID, so the output of two runs can be compared. */
static int ls_print(struct store *st)
{
	struct ls_list l = {0};
	int rc = os_iterate(st->s, ls_collect, &l);
	if (rc != TOY_OK) {
		free(l.v);
		return fail(st->path, "ls", rc);
	}
	if (l.n)
		qsort(l.v, l.n, sizeof(*l.v), ls_cmp);
	for (size_t i = 0; i < l.n; i++)
		printf("%s %" PRIu64 "\n", l.v[i].id, l.v[i].size);
	free(l.v);
	return EXIT_SUCCESS;
}

static int cmd_ls(char **argv)
{
	return with_store(argv[0], true, ls_print);
}

/* --- fsck, gc, info -------------------------------------------------------- */

static int fsck_check(struct store *st)
{
	char msg[256] = "";
	errno = 0;
	int rc = os_check(st->s, msg, sizeof(msg));
	if (rc != TOY_OK) {
		complain(st->path, "%s (%s)", msg[0] ? msg : "check failed", errtext(rc));
		return EXIT_FAILURE;
	}
	struct os_info info;
	os_info(st->s, &info);
	printf("%s: clean: generation %" PRIu64 ", objects %" PRIu64 ", live pages %" PRIu64 "\n",
	       st->path, info.generation, info.nobjects, info.live_blocks);
	return EXIT_SUCCESS;
}

static int cmd_fsck(char **argv)
{
	return with_store(argv[0], true, fsck_check);
}

static int gc_run(struct store *st)
{
	struct os_info before, after;
	struct os_clean_stats cs = {0};
	os_info(st->s, &before);
	errno = 0;
	int rc = os_clean(st->s, &cs);
	if (rc != TOY_OK)
		return fail(st->path, "clean", rc);
	os_info(st->s, &after);
	printf("%s: cleaned %" PRIu64 " segments, moved %" PRIu64 " pages; free segments %" PRIu64
	       " -> %" PRIu64 " of %" PRIu64 "\n",
	       st->path, cs.segs_cleaned, cs.pages_moved, before.free_segs, after.free_segs,
	       after.nsegs);
	return EXIT_SUCCESS;
}

static int cmd_gc(char **argv)
{
	return with_store(argv[0], false, gc_run);
}

static double mib(uint64_t blocks)
{
	return (double)blocks * OS_BLOCK_SIZE / (1024.0 * 1024.0);
}

static int info_print(struct store *st)
{
	struct os_info i;
	os_info(st->s, &i);
	uint64_t seg_bytes = i.seg_blocks * OS_BLOCK_SIZE;
	printf("image        %s\n", st->path);
	printf("size         %" PRIu64 " blocks of %u bytes (%.1f MiB)\n", i.total_blocks,
	       OS_BLOCK_SIZE, mib(i.total_blocks));
	printf("generation   %" PRIu64 "\n", i.generation);
	printf("checkpoint   generation %" PRIu64 "\n", i.ckpt_generation);
	printf("mounts       %" PRIu64 " read-write\n", i.epoch);
	printf("objects      %" PRIu64 "\n", i.nobjects);
	printf("segments     %" PRIu64 " of %" PRIu64 " KiB\n", i.nsegs, seg_bytes / 1024);
	printf("free         %" PRIu64 " segments (%.1f MiB)\n", i.free_segs,
	       mib(i.free_segs * i.seg_blocks));
	printf("live         %" PRIu64 " pages (%.1f MiB)\n", i.live_blocks, mib(i.live_blocks));
	return EXIT_SUCCESS;
}

static int cmd_info(char **argv)
{
	return with_store(argv[0], true, info_print);
}

/* --- install --------------------------------------------------------------- */

#define MAX_MODULE (64u << 20) /* bytes; far above any real application */

struct app {
	const char *arg; /* NAME=FILE[:FLAGS] as given */
	char name[TOY_BOOT_NAME];
	char *path;
	uint32_t flags;
	uint8_t *bytes;
	size_t len;
	toy_id id;
};

static bool name_ok(const char *name, size_t len)
{
	if (len == 0 || len >= TOY_BOOT_NAME)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		bool alnum =
		    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (!alnum && c != '-' && c != '_' && c != '.')
			return false;
	}
	return true;
}

/* Parses FLAGS: start, every-boot, or both joined by a comma. Returns 0 or
 * -1. */
static int parse_flags(const char *text, uint32_t *flags)
{
	char words[32];
	if (strlen(text) >= sizeof(words))
		return -1;
	strcpy(words, text);
	*flags = 0;
	for (char *save, *w = strtok_r(words, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
		if (!strcmp(w, "start"))
			*flags |= TOY_BOOT_START;
		else if (!strcmp(w, "every-boot"))
			*flags |= TOY_BOOT_EVERY_BOOT;
		else
			return -1;
	}
	return *flags ? 0 : -1;
}

/* Splits NAME=FILE[:FLAGS]. A suffix after the last ':' that is not a flag
 * list belongs to the file name. */
static int parse_app(const char *arg, struct app *a)
{
	memset(a, 0, sizeof(*a));
	a->arg = arg;
	const char *eq = strchr(arg, '=');
	if (!eq || !eq[1]) {
		complain(arg, "want NAME=FILE.wasm[:start|:every-boot]");
		return EXIT_USAGE;
	}
	if (!name_ok(arg, (size_t)(eq - arg))) {
		complain(arg, "a name is 1 to %u letters, digits, '-', '_' or '.'",
			 TOY_BOOT_NAME - 1);
		return EXIT_USAGE;
	}
	memcpy(a->name, arg, (size_t)(eq - arg));
	a->path = strdup(eq + 1);
	if (!a->path)
		return fail(arg, "", TOY_ERR_NOMEM);
	char *colon = strrchr(a->path, ':');
	if (colon && parse_flags(colon + 1, &a->flags) == 0)
		*colon = '\0';
	return EXIT_SUCCESS;
}

/* Reads the whole file and checks it starts like a wasm binary (version 1);
 * the kernel validates the rest when it loads the module. */
static int load_app(struct app *a)
{
	static const uint8_t magic[8] = {0, 'a', 's', 'm', 1, 0, 0, 0};
	FILE *f = fopen(a->path, "rb");
	if (!f) {
		complain(a->path, "%s", strerror(errno));
		return EXIT_FAILURE;
	}
	a->bytes = malloc(MAX_MODULE + 1);
	size_t n = a->bytes ? fread(a->bytes, 1, MAX_MODULE + 1, f) : 0;
	bool bad = ferror(f);
	fclose(f);
	if (!a->bytes)
		return fail(a->path, "", TOY_ERR_NOMEM);
	if (bad) {
		complain(a->path, "read error");
		return EXIT_FAILURE;
	}
	if (n > MAX_MODULE) {
		complain(a->path, "larger than %u MiB", MAX_MODULE >> 20);
		return EXIT_FAILURE;
	}
	if (n < sizeof(magic) || memcmp(a->bytes, magic, sizeof(magic))) {
		complain(a->path, "not a WebAssembly module (version 1)");
		return EXIT_FAILURE;
	}
	a->len = n;
	a->id = toy_module_id(a->bytes, n);
	return EXIT_SUCCESS;
}

/* Checks the list as a whole: names unique, exactly one init, which takes no
 * flags (the kernel starts it) and moves to the front. */
static int check_apps(struct app *apps, int n)
{
	int init = -1;
	for (int i = 0; i < n; i++) {
		for (int j = 0; j < i; j++) {
			if (!strcmp(apps[i].name, apps[j].name)) {
				complain(apps[i].arg, "the name %s is given twice", apps[i].name);
				return EXIT_USAGE;
			}
		}
		if (!strcmp(apps[i].name, "init"))
			init = i;
	}
	if (init < 0) {
		complain("install", "no init (give one module as init=FILE.wasm)");
		return EXIT_USAGE;
	}
	if (apps[init].flags) {
		complain(apps[init].arg, "init takes no flags: the kernel starts it");
		return EXIT_USAGE;
	}
	struct app first = apps[init];
	memmove(apps + 1, apps, (size_t)init * sizeof(*apps));
	apps[0] = first;
	return EXIT_SUCCESS;
}

/* Writes one module unless the store has it already: same ID, same bytes. */
static int install_module(os_store *s, const struct app *a)
{
	toy_id id = a->id;
	struct os_stat st;
	int rc = os_stat(s, &id, &st);
	if (rc == TOY_OK && st.kind == TOY_KIND_MODULE && st.size == a->len)
		return TOY_OK;
	if (rc == TOY_OK)
		rc = os_delete(s, &id);
	if (rc == TOY_OK || rc == TOY_ERR_NOTFOUND)
		rc = os_create(s, &id, TOY_KIND_MODULE);
	if (rc == TOY_OK)
		rc = os_write(s, &id, 0, a->bytes, a->len);
	return rc;
}

/* Replaces the boot object with one listing apps in order. */
static int install_boot(os_store *s, const struct app *apps, int n)
{
	toy_id id = toy_id_reserved(TOY_ID_BOOT);
	struct toy_boot_header h = {
	    .magic = TOY_BOOT_MAGIC, .version = TOY_BOOT_VERSION, .count = (uint32_t)n};
	int rc = os_delete(s, &id);
	if (rc == TOY_OK || rc == TOY_ERR_NOTFOUND)
		rc = os_create(s, &id, TOY_KIND_BOOT);
	if (rc == TOY_OK)
		rc = os_write(s, &id, 0, &h, sizeof(h));
	for (int i = 0; i < n && rc == TOY_OK; i++) {
		struct toy_boot_entry e = {.module = apps[i].id, .flags = apps[i].flags};
		memcpy(e.name, apps[i].name, sizeof(e.name));
		rc = os_write(s, &id, sizeof(h) + (uint64_t)i * sizeof(e), &e, sizeof(e));
	}
	return rc;
}

static int install_txn(struct store *st, const struct app *apps, int n)
{
	int rc = os_begin(st->s);
	for (int i = 0; i < n && rc == TOY_OK; i++)
		rc = install_module(st->s, &apps[i]);
	if (rc == TOY_OK)
		rc = install_boot(st->s, apps, n);
	if (rc == TOY_OK)
		rc = os_commit(st->s, NULL);
	if (rc != TOY_OK) {
		os_abort(st->s);
		return fail(st->path, "install", rc);
	}
	toy_id domains = toy_id_reserved(TOY_ID_DOMAINS);
	struct os_stat sb;
	if (os_stat(st->s, &domains, &sb) == TOY_OK)
		complain(st->path, "note: the store already has domains; the kernel starts "
				   "init only on a store without them");
	return EXIT_SUCCESS;
}

static const char *flags_text(uint32_t flags)
{
	static const char *const text[] = {"-", "start", "every-boot", "start,every-boot"};
	return text[flags & (TOY_BOOT_START | TOY_BOOT_EVERY_BOOT)];
}

static void install_report(const struct app *apps, int n)
{
	for (int i = 0; i < n; i++) {
		char text[TOY_ID_TEXT_LEN + 1];
		toy_id_format(&apps[i].id, text);
		printf("%-12s %s %8zu bytes %s\n", apps[i].name, text, apps[i].len,
		       i == 0 ? "init" : flags_text(apps[i].flags));
	}
}

static int cmd_install(char **argv)
{
	int n = 0;
	while (argv[1 + n])
		n++;
	if (n > (int)TOY_BOOT_MAX) {
		complain("install", "%d modules, but the boot object holds at most %u", n,
			 TOY_BOOT_MAX);
		return EXIT_USAGE;
	}
	struct app *apps = calloc((size_t)n, sizeof(*apps));
	if (!apps)
		return fail("install", "", TOY_ERR_NOMEM);
	int status = EXIT_SUCCESS;
	for (int i = 0; i < n && status == EXIT_SUCCESS; i++)
		status = parse_app(argv[1 + i], &apps[i]);
	if (status == EXIT_SUCCESS)
		status = check_apps(apps, n);
	for (int i = 0; i < n && status == EXIT_SUCCESS; i++)
		status = load_app(&apps[i]);
	struct store st;
	if (status == EXIT_SUCCESS)
		status = store_open(&st, argv[0], false);
	if (status == EXIT_SUCCESS)
		status = store_close(&st, install_txn(&st, apps, n));
	if (status == EXIT_SUCCESS)
		install_report(apps, n);
	for (int i = 0; i < n; i++) {
		free(apps[i].path);
		free(apps[i].bytes);
	}
	free(apps);
	return status;
}

/* --- the command table ----------------------------------------------------- */

struct cmd {
	const char *name;
	const char *args;
	int min_args, max_args;
	int (*run)(char **argv);
	const char *help;
};

static const struct cmd cmds[] = {
    {"mkfs", "IMAGE SIZE", 2, 2, cmd_mkfs,
     "Create IMAGE (or overwrite it) as a sparse file of SIZE bytes and format an\n"
     "empty store on it. SIZE is a byte count or a number with K, M, G or T\n"
     "(powers of 1024): 64M, 1G, 4096K. The minimum is 1M."},
    {"put", "IMAGE [ID]", 1, 2, cmd_put,
     "Store standard input as an object and print its ID. Without ID, create an\n"
     "object with a new random ID; with ID, create it or replace its contents\n"
     "(kind and flags are kept). Whole pages of zeros are stored as holes. The\n"
     "object is written in one transaction: all or nothing after a crash."},
    {"get", "IMAGE ID", 2, 2, cmd_get, "Write the object's contents to standard output."},
    {"rm", "IMAGE ID", 2, 2, cmd_rm, "Delete the object and all its pages."},
    {"stat", "IMAGE ID", 2, 2, cmd_stat,
     "Print the object's ID, kind, flags, size in bytes and stored pages."},
    {"ls", "IMAGE", 1, 1, cmd_ls,
     "List the objects, one per line: ID, then size in bytes, sorted by ID."},
    {"fsck", "IMAGE", 1, 1, cmd_fsck,
     "Check the whole store (every page against its hash, the index, the\n"
     "segment accounting) without changing it. Exit status 0 when consistent,\n"
     "1 with a message naming the problem otherwise."},
    {"gc", "IMAGE", 1, 1, cmd_gc,
     "Run the segment cleaner: copy live pages out of mostly-empty segments and\n"
     "free them. Prints what it did."},
    {"info", "IMAGE", 1, 1, cmd_info,
     "Print the store's generation, checkpoint, segments, free and live space\n"
     "and number of objects."},
    {"install", "IMAGE NAME=FILE.wasm[:FLAGS]...", 2, 9999, cmd_install,
     "Install applications: store each FILE.wasm as a module object (kind 3)\n"
     "whose ID is its content hash, and replace the boot object with a list of\n"
     "them under their NAMEs (1 to 31 letters, digits, '-', '_', '.'). One must\n"
     "be named init; it goes first, takes no flags, and the kernel starts it on\n"
     "a store without domains. FLAGS say what init does with the others:\n"
     "  start             start it once, on the first boot\n"
     "  every-boot        start it again on every boot\n"
     "  start,every-boot  both\n"
     "(none: installed and listed, not started). At most 64 modules. The file\n"
     "must be a WebAssembly binary. Everything is written in one transaction;\n"
     "modules already in the store are kept, and modules a previous install\n"
     "listed stay in the store. Prints one line per module: name, ID, size,\n"
     "flags. Example:\n"
     "  toy-store install disk.img init=init.wasm hello=hello.wasm:every-boot \\\n"
     "      counter=counter.wasm:start"},
};

#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: toy-store COMMAND IMAGE [ARGS]\n\n"
		   "Create, inspect, check and clean Toy object store images.\n\n");
	for (size_t i = 0; i < NCMDS; i++)
		fprintf(f, "  toy-store %s %s\n", cmds[i].name, cmds[i].args);
	fprintf(f, "\nIDs are written 8-4-4-4-12 in hex. `toy-store COMMAND --help` explains a\n"
		   "command. Exit status: 0 success, 1 failure, 2 usage error.\n");
}

static int run_cmd(const struct cmd *c, int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: toy-store %s %s\n\n%s\n", c->name, c->args, c->help);
			return EXIT_SUCCESS;
		}
	}
	if (argc < c->min_args || argc > c->max_args) {
		fprintf(stderr, "usage: toy-store %s %s\n", c->name, c->args);
		return EXIT_USAGE;
	}
	return c->run(argv);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return EXIT_SUCCESS;
	}
	for (size_t i = 0; i < NCMDS; i++) {
		if (strcmp(argv[1], cmds[i].name))
			continue;
		int status = run_cmd(&cmds[i], argc - 2, argv + 2);
		if (fflush(stdout) != 0 && status == EXIT_SUCCESS) {
			complain("standard output", "%s", strerror(errno));
			status = EXIT_FAILURE;
		}
		return status;
	}
	complain(argv[1], "unknown command (see toy-store --help)");
	return EXIT_USAGE;
}
