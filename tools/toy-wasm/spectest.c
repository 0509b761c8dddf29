/* spectest.c — `toy-wasm spectest`: runs WebAssembly spec test scripts.
 *
 * Each .wast is converted by wabt's wast2json into a temporary directory (a
 * JSON list of commands plus one .wasm per module) and every command is run
 * in a fresh store: module, register, action, assert_return, assert_trap,
 * assert_exhaustion, assert_invalid, assert_malformed, assert_unlinkable,
 * assert_uninstantiable. Modules that wast2json leaves in the text format
 * (the `(module quote ...)` of assert_malformed) go through our own text
 * parser (wat.c): such an assert_malformed passes only if the parser
 * rejects the text; a text module that parses is then decoded and validated
 * like a binary one. Prints one line per script, `PASS|FAIL name
 * passed/total`, then `N passed, N failed`.
 */
#include "host.h"
#include "json.h"
#include "wat.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <toy/err.h>
#include <unistd.h>

#define MAXREG 64

struct named {
	char *name;
	struct vm_instance *inst;
};

struct script {
	const char *dir, *file;
	bool verbose;
	struct vm_store *s;
	struct vm_thread *t;
	struct vm_instance *cur;
	struct named reg[MAXREG], names[MAXREG];
	int nreg, nnames;
	struct vm_module *mods[1024];
	int nmods;
	int pass, fail;
	bool text_rejected; /* by the text parser, in the last load() */
	/* the "spectest" module */
	struct vm_func *print[7];
	struct vm_global *g[4];
	struct vm_table *table;
	struct vm_memory *memory;
};

static int nop(struct vm_host_call *c, uint64_t *a, uint64_t *r)
{
	(void)c, (void)a, (void)r;
	return 0;
}

static int make_spectest(struct script *sc)
{
	static const char *const sigs[7] = {":", "i:", "I:", "f:", "F:", "if:", "FF:"};
	static const uint8_t gt[4] = {VM_I32, VM_I64, VM_F32, VM_F64};
	static const uint64_t gv[4] = {666, 666, 0x4426999a, 0x4084d4cccccccccdull};
	int rc = 0;
	for (int i = 0; i < 7 && !rc; i++)
		rc = vm_host_func_new(sc->s, sigs[i], nop, NULL, &sc->print[i]);
	for (int i = 0; i < 4 && !rc; i++)
		rc = vm_global_new(sc->s, gt[i], false, gv[i], &sc->g[i]);
	if (!rc)
		rc = vm_table_new(sc->s, VM_FUNCREF, 10, 20, true, &sc->table);
	if (!rc)
		rc = vm_memory_new(sc->s, 1, 2, true, &sc->memory);
	return rc;
}

static int spectest_export(struct script *sc, const char *name, struct vm_extern *out)
{
	static const char *const prints[7] = {"print",        "print_i32", "print_i64",
					      "print_f32",    "print_f64", "print_i32_f32",
					      "print_f64_f64"};
	static const char *const globals[4] = {"global_i32", "global_i64", "global_f32",
					       "global_f64"};
	for (int i = 0; i < 7; i++)
		if (!strcmp(name, prints[i]))
			return out->kind = VM_EXT_FUNC, out->u.func = sc->print[i], 0;
	for (int i = 0; i < 4; i++)
		if (!strcmp(name, globals[i]))
			return out->kind = VM_EXT_GLOBAL, out->u.global = sc->g[i], 0;
	if (!strcmp(name, "table"))
		return out->kind = VM_EXT_TABLE, out->u.table = sc->table, 0;
	if (!strcmp(name, "memory"))
		return out->kind = VM_EXT_MEMORY, out->u.memory = sc->memory, 0;
	return TOY_ERR_NOTFOUND;
}

static struct vm_instance *lookup(struct named *tab, int n, const char *name)
{
	for (int i = n - 1; i >= 0; i--)
		if (!strcmp(tab[i].name, name))
			return tab[i].inst;
	return NULL;
}

static int resolve(void *ctx, const char *module, const char *name, enum vm_kind kind,
		   struct vm_extern *out)
{
	struct script *sc = ctx;
	(void)kind;
	if (!strcmp(module, "spectest"))
		return spectest_export(sc, name, out);
	struct vm_instance *inst = lookup(sc->reg, sc->nreg, module);
	return inst ? vm_instance_export(inst, name, out) : TOY_ERR_NOTFOUND;
}

static void add_name(struct named *tab, int *n, const char *name, struct vm_instance *inst)
{
	if (*n < MAXREG)
		tab[(*n)++] = (struct named){strdup(name), inst};
}

/* Loads dir/file, a binary module or (*.wat) a text one: 0, or the load
 * error. sc->text_rejected tells whether the text parser refused it. */
static int load(struct script *sc, const char *file, struct vm_module **m, char *msg, size_t len)
{
	struct vm_alloc a = {NULL, NULL, NULL};
	char path[4096];
	uint8_t *bytes;
	size_t n;
	if (!file)
		return TOY_ERR_INVAL;
	snprintf(path, sizeof(path), "%s/%s", sc->dir, file);
	if (tw_read_file(path, &bytes, &n)) {
		snprintf(msg, len, "cannot read %s", path);
		return TOY_ERR_NOTFOUND;
	}
	size_t fl = strlen(file);
	sc->text_rejected = false;
	if (fl > 4 && !strcmp(file + fl - 4, ".wat")) {
		uint8_t *text = bytes;
		int rc = wat_parse((const char *)text, n, &bytes, &n, msg, len);
		free(text);
		sc->text_rejected = rc == TOY_ERR_MALFORMED;
		if (rc)
			return rc;
	}
	struct vm_config cfg;
	tw_config(&cfg, NULL);
	a = cfg.alloc;
	int rc = vm_module_load(&a, bytes, n, m, msg, len);
	free(bytes);
	if (!rc && sc->nmods < 1024)
		sc->mods[sc->nmods++] = *m;
	else if (!rc)
		vm_module_free(*m);
	return rc;
}

/* module / assert_unlinkable / assert_uninstantiable: returns the error. */
static int instantiate(struct script *sc, const struct json *cmd, char *msg, size_t len)
{
	struct vm_module *m;
	struct vm_instance *inst = NULL;
	const char *file = json_str(cmd, "filename");
	int rc = file ? load(sc, file, &m, msg, len) : TOY_ERR_INVAL;
	if (rc)
		return rc == TOY_ERR_INVAL ? rc : rc;
	rc = vm_instantiate(sc->s, m, resolve, sc, &inst, msg, len);
	if (rc)
		return rc;
	sc->cur = inst;
	const char *name = json_str(cmd, "name");
	if (name)
		add_name(sc->names, &sc->nnames, name, inst);
	return 0;
}

static bool parse_value(const struct json *v, uint64_t *out)
{
	const char *type = json_str(v, "type"), *val = json_str(v, "value");
	if (!type || !val)
		return false;
	if (!strcmp(type, "externref") || !strcmp(type, "funcref")) {
		*out = strcmp(val, "null") ? strtoull(val, NULL, 10) + 1 : 0;
		return true;
	}
	*out = strtoull(val, NULL, 10);
	return true;
}

static bool value_matches(const struct json *v, uint64_t got)
{
	const char *type = json_str(v, "type"), *val = json_str(v, "value");
	uint64_t want;
	if (!type || !val)
		return false;
	if (!strcmp(type, "f32") && !strncmp(val, "nan:", 4)) {
		uint32_t b = (uint32_t)got;
		return !strcmp(val, "nan:canonical") ? (b & 0x7fffffff) == 0x7fc00000
						     : (b & 0x7fc00000) == 0x7fc00000;
	}
	if (!strcmp(type, "f64") && !strncmp(val, "nan:", 4)) {
		return !strcmp(val, "nan:canonical")
			   ? (got & 0x7fffffffffffffffull) == 0x7ff8000000000000ull
			   : (got & 0x7ff8000000000000ull) == 0x7ff8000000000000ull;
	}
	if (!strcmp(type, "funcref") && strcmp(val, "null"))
		return got != 0;
	if (!parse_value(v, &want))
		return false;
	if (!strcmp(type, "i32") || !strcmp(type, "f32"))
		return (uint32_t)got == (uint32_t)want;
	return got == want;
}

/* Runs an action; returns 0, TOY_ERR_TRAP or another error. */
static int action(struct script *sc, const struct json *a, uint64_t *res, uint32_t *nres)
{
	const char *mod = json_str(a, "module"), *field = json_str(a, "field");
	const char *type = json_str(a, "type");
	struct vm_instance *inst = mod ? lookup(sc->names, sc->nnames, mod) : sc->cur;
	struct vm_extern e;
	uint64_t args[64];
	uint32_t n = 0;
	if (!inst || !field || !type || vm_instance_export(inst, field, &e))
		return TOY_ERR_NOTFOUND;
	if (!strcmp(type, "get")) {
		if (e.kind != VM_EXT_GLOBAL)
			return TOY_ERR_INVAL;
		res[0] = vm_global_get(e.u.global);
		*nres = 1;
		return 0;
	}
	if (e.kind != VM_EXT_FUNC)
		return TOY_ERR_INVAL;
	for (const struct json *v = json_get(a, "args") ? json_get(a, "args")->child : NULL; v;
	     v = v->next)
		if (n >= 64 || !parse_value(v, &args[n++]))
			return TOY_ERR_INVAL;
	uint32_t np, nr;
	const uint8_t *pt, *rt;
	vm_func_type(e.u.func, &np, &pt, &nr, &rt);
	if (nr > 64)
		return TOY_ERR_LIMIT;
	int rc = vm_invoke(sc->t, e.u.func, args, n, res, nr);
	*nres = nr;
	return rc == VM_DONE ? 0 : rc;
}

static bool results_match(const struct json *cmd, const uint64_t *res, uint32_t nres)
{
	const struct json *ex = json_get(cmd, "expected");
	uint32_t i = 0;
	for (const struct json *v = ex ? ex->child : NULL; v; v = v->next, i++)
		if (i >= nres || !value_matches(v, res[i]))
			return false;
	return i == nres;
}

/* Runs one command: 1 pass, 0 fail. */
static int command(struct script *sc, const struct json *cmd, char *why, size_t len)
{
	const char *type = json_str(cmd, "type");
	uint64_t res[64];
	uint32_t nres = 0;
	int rc;
	struct vm_module *m;
	if (!type)
		return 0;
	if (!strcmp(type, "module"))
		return instantiate(sc, cmd, why, len) == 0;
	if (!strcmp(type, "register")) {
		const char *name = json_str(cmd, "name"), *as = json_str(cmd, "as");
		struct vm_instance *inst = name ? lookup(sc->names, sc->nnames, name) : sc->cur;
		if (!inst || !as)
			return 0;
		add_name(sc->reg, &sc->nreg, as, inst);
		return 1;
	}
	if (!strcmp(type, "action")) {
		rc = action(sc, json_get(cmd, "action"), res, &nres);
		snprintf(why, len, "%s",
			 rc == TOY_ERR_TRAP ? vm_thread_trap(sc->t) : toy_strerror(rc));
		return rc == 0;
	}
	if (!strcmp(type, "assert_return")) {
		rc = action(sc, json_get(cmd, "action"), res, &nres);
		snprintf(why, len, "%s",
			 rc == TOY_ERR_TRAP ? vm_thread_trap(sc->t)
			 : rc               ? toy_strerror(rc)
					    : "wrong result");
		return rc == 0 && results_match(cmd, res, nres);
	}
	if (!strcmp(type, "assert_trap") || !strcmp(type, "assert_exhaustion")) {
		rc = action(sc, json_get(cmd, "action"), res, &nres);
		snprintf(why, len, "%s", rc ? toy_strerror(rc) : "no trap");
		return rc == TOY_ERR_TRAP && (type[7] == 't' || vm_thread_exhausted(sc->t));
	}
	if (!strcmp(type, "assert_invalid") || !strcmp(type, "assert_malformed")) {
		rc = load(sc, json_str(cmd, "filename"), &m, why, len);
		if (!rc)
			snprintf(why, len, "module loaded");
		else if (rc == TOY_ERR_MALFORMED && type[7] == 'i')
			snprintf(why + strlen(why), len - strlen(why), " (malformed, not invalid)");
		else if (rc == TOY_ERR_INVALID && type[7] == 'm')
			snprintf(why + strlen(why), len - strlen(why), " (invalid, not malformed)");
		/* the error class must be the one asserted; text that is
		 * malformed must be refused by the text parser itself */
		const char *mt = json_str(cmd, "module_type");
		if (type[7] == 'm' && mt && !strcmp(mt, "text")) {
			if (!sc->text_rejected)
				snprintf(why, len, "the text parser accepted it");
			return sc->text_rejected;
		}
		return rc == (type[7] == 'm' ? TOY_ERR_MALFORMED : TOY_ERR_INVALID);
	}
	if (!strcmp(type, "assert_unlinkable")) {
		rc = instantiate(sc, cmd, why, len);
		return rc == TOY_ERR_NOTFOUND || rc == TOY_ERR_INVALID;
	}
	if (!strcmp(type, "assert_uninstantiable")) {
		rc = instantiate(sc, cmd, why, len);
		return rc == TOY_ERR_TRAP;
	}
	snprintf(why, len, "unknown command");
	return 0;
}

void tw_rm_dir(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char path[4096];
	while (d && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		unlink(path);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

int tw_wast2json(const char *wast, const char *json)
{
	pid_t pid = fork();
	if (pid == 0) {
		freopen("/dev/null", "w", stdout);
		execlp("wast2json", "wast2json", wast, "-o", json, (char *)NULL);
		_exit(127);
	}
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static void free_script(struct script *sc)
{
	vm_store_free(sc->s);
	for (int i = 0; i < sc->nmods; i++)
		vm_module_free(sc->mods[i]);
	for (int i = 0; i < sc->nreg; i++)
		free(sc->reg[i].name);
	for (int i = 0; i < sc->nnames; i++)
		free(sc->names[i].name);
}

static int run_commands(struct script *sc, const struct json *root)
{
	const struct json *cmds = json_get(root, "commands");
	struct vm_config cfg;
	tw_config(&cfg, NULL);
	cfg.max_frames = 10000;
	if (vm_store_new(&cfg, &sc->s) || make_spectest(sc) || vm_thread_new(sc->s, &sc->t))
		return -1;
	for (const struct json *c = cmds ? cmds->child : NULL; c; c = c->next) {
		char why[256] = "";
		int r = command(sc, c, why, sizeof(why));
		if (r) {
			sc->pass++;
		} else {
			sc->fail++;
			const struct json *line = json_get(c, "line");
			if (sc->verbose)
				fprintf(stderr, "  %s:%s: %s failed: %s\n", sc->file,
					line ? line->str : "?", json_str(c, "type"), why);
		}
	}
	return 0;
}

static int run_script(const char *wast, bool verbose, int *pass, int *fail)
{
	char dir[] = "/tmp/toy-wasm-XXXXXX", json[64];
	struct script sc = {.dir = dir, .file = wast, .verbose = verbose};
	const char *base = strrchr(wast, '/') ? strrchr(wast, '/') + 1 : wast;
	uint8_t *text;
	size_t len;
	struct json *root = NULL;
	if (!mkdtemp(dir))
		return -1;
	snprintf(json, sizeof(json), "%s/s.json", dir);
	if (tw_wast2json(wast, json) || tw_read_file(json, &text, &len)) {
		fprintf(stderr, "toy-wasm: wast2json failed on %s\n", wast);
		sc.fail = 1;
	} else {
		uint8_t *z = realloc(text, len + 1);
		if (z) {
			z[len] = 0;
			root = json_parse((char *)z);
		}
		free(z ? z : text);
		if (!root || run_commands(&sc, root))
			sc.fail++;
	}
	json_free(root);
	free_script(&sc);
	tw_rm_dir(dir);
	size_t blen = strlen(base);
	if (blen > 5 && !strcmp(base + blen - 5, ".wast"))
		blen -= 5;
	printf("%s %.*s %d/%d\n", sc.fail ? "FAIL" : "PASS", (int)blen, base, sc.pass,
	       sc.pass + sc.fail);
	*pass += sc.pass;
	*fail += sc.fail;
	return 0;
}

int tw_spectest(int argc, char **argv)
{
	int pass = 0, fail = 0;
	bool verbose = false;
	if (argc < 1 || !strcmp(argv[0], "--help")) {
		printf("usage: toy-wasm spectest [-v] FILE.wast...\n"
		       "  runs spec test scripts; -v shows each failing command\n");
		return argc < 1 ? 2 : 0;
	}
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], "-v")) {
			verbose = true;
			continue;
		}
		run_script(argv[i], verbose, &pass, &fail);
		fflush(stdout);
	}
	printf("%d passed, %d failed\n", pass, fail);
	return fail ? 1 : 0;
}
