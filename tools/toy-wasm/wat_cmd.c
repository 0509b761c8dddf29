/* wat_cmd.c — the toy-wasm subcommands around the text parser.
 *
 * `wat2wasm` converts one text module to a binary file. `wast-modules`
 * checks the parser against wabt on the spec suite: wast2json converts a
 * script and writes one .wasm per module; every `(module ...)` form of the
 * script (found in order by wat_module_spans, matched to wast2json's
 * commands by position and line) is parsed by us too, and both binaries go
 * through the vm's decoder and validator, which must accept or reject them
 * alike. It also counts how many of our binaries are byte-identical to
 * wabt's, or have an identical code section.
 */
#include "host.h"
#include "json.h"
#include "wat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <toy/err.h>

static int write_file(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return -1;
	size_t w = fwrite(p, 1, n, f);
	return fclose(f) || w != n ? -1 : 0;
}

int tw_wat2wasm(int argc, char **argv)
{
	uint8_t *text, *bin;
	size_t len, n;
	char msg[256] = "";
	if (argc != 2 || !strcmp(argv[0], "--help")) {
		printf("usage: toy-wasm wat2wasm IN.wat OUT.wasm\n"
		       "  converts a module in the WebAssembly text format to the binary format\n");
		return argc == 1 && !strcmp(argv[0], "--help") ? 0 : 2;
	}
	if (tw_read_file(argv[0], &text, &len)) {
		fprintf(stderr, "toy-wasm: cannot read %s\n", argv[0]);
		return 2;
	}
	int rc = wat_parse((const char *)text, len, &bin, &n, msg, sizeof(msg));
	free(text);
	if (rc) {
		fprintf(stderr, "toy-wasm: %s:%s\n", argv[0], msg);
		return 1;
	}
	rc = write_file(argv[1], bin, n);
	free(bin);
	if (rc)
		fprintf(stderr, "toy-wasm: cannot write %s\n", argv[1]);
	return rc ? 2 : 0;
}

/* The payload of the code section (id 10) of a binary, or NULL. */
static const uint8_t *code_section(const uint8_t *p, size_t n, size_t *len)
{
	size_t i = 8;
	while (i < n) {
		uint8_t id = p[i++];
		uint64_t size = 0;
		for (int sh = 0; i < n && sh < 35; sh += 7) {
			uint8_t c = p[i++];
			size |= (uint64_t)(c & 0x7f) << sh;
			if (!(c & 0x80))
				break;
		}
		if (size > n - i)
			return NULL;
		if (id == 10) {
			*len = size;
			return p + i;
		}
		i += size;
	}
	*len = 0;
	return p;
}

static int load_rc(const uint8_t *p, size_t n)
{
	struct vm_config cfg;
	struct vm_module *m;
	tw_config(&cfg, NULL);
	int rc = vm_module_load(&cfg.alloc, p, n, &m, NULL, 0);
	if (!rc)
		vm_module_free(m);
	return rc;
}

struct wm_stats {
	int modules, identical, same_code, mismatch, text;
};

/* One module: ours from src[span], theirs in dir/file. */
static void check_module(const char *wast, const char *src, const struct wat_span *sp,
			 const char *dir, const char *file, struct wm_stats *st)
{
	char path[4096], msg[256] = "";
	uint8_t *theirs = NULL, *ours = NULL;
	size_t tn = 0, on = 0, tc, oc;
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	st->modules++;
	if (tw_read_file(path, &theirs, &tn)) {
		fprintf(stderr, "%s:%u: cannot read %s\n", wast, sp->line, path);
		st->mismatch++;
		return;
	}
	int prc = wat_parse(src + sp->off, sp->len, &ours, &on, msg, sizeof(msg));
	int trc = load_rc(theirs, tn), orc = prc ? prc : load_rc(ours, on);
	if (prc && !trc) {
		fprintf(stderr, "%s:%u: our parser rejects a valid module: %s\n", wast, sp->line,
			msg);
		st->mismatch++;
	} else if ((orc == 0) != (trc == 0)) {
		fprintf(stderr, "%s:%u: vm %s ours, %s wabt's\n", wast, sp->line,
			orc ? "rejects" : "accepts", trc ? "rejects" : "accepts");
		st->mismatch++;
	} else if (!prc) {
		const uint8_t *a = code_section(ours, on, &oc), *b = code_section(theirs, tn, &tc);
		if (on == tn && !memcmp(ours, theirs, on))
			st->identical++;
		else if (a && b && oc == tc && !memcmp(a, b, oc))
			st->same_code++;
		if (getenv("WAT_VERBOSE") && (on != tn || memcmp(ours, theirs, on)))
			fprintf(stderr, "%s:%u: binary differs%s\n", wast, sp->line,
				a && b && oc == tc && !memcmp(a, b, oc) ? " (same code)" : "");
	}
	free(theirs);
	free(ours);
}

static int check_script(const char *wast, struct wm_stats *st)
{
	char dir[] = "/tmp/toy-wat-XXXXXX", json[64], msg[256] = "";
	uint8_t *src = NULL, *jtext = NULL;
	size_t slen, jlen, nsp = 0, k = 0;
	struct wat_span *sp = NULL;
	struct json *root = NULL;
	int rc = -1;
	if (!mkdtemp(dir))
		return -1;
	snprintf(json, sizeof(json), "%s/s.json", dir);
	if (tw_wast2json(wast, json) || tw_read_file(json, &jtext, &jlen) ||
	    tw_read_file(wast, &src, &slen))
		goto out;
	uint8_t *z = realloc(jtext, jlen + 1);
	if (!z)
		goto out;
	jtext = z;
	jtext[jlen] = 0;
	if (!(root = json_parse((char *)jtext)) ||
	    wat_module_spans((char *)src, slen, &sp, &nsp, msg, sizeof(msg)))
		goto out;
	const struct json *cmds = json_get(root, "commands");
	if (!nsp) {
		/* a script may be one module given by its fields alone */
		free(sp);
		if (!(sp = malloc(sizeof(*sp))))
			goto out;
		sp[0] = (struct wat_span){0, slen, 1};
		nsp = 1;
	}
	rc = 0;
	for (const struct json *c = cmds ? cmds->child : NULL; c; c = c->next) {
		const char *file = json_str(c, "filename"), *mt = json_str(c, "module_type");
		const struct json *line = json_get(c, "line");
		if (!file)
			continue;
		/* wast2json gives the line of the '(' or of the keyword */
		uint32_t ln = line ? (uint32_t)atoi(line->str) : 0;
		if (k >= nsp || ln < sp[k].line || ln > sp[k].line + 2) {
			fprintf(stderr, "%s: module forms and commands do not match at %s\n", wast,
				line ? line->str : "?");
			rc = -1;
			break;
		}
		if (mt && strcmp(mt, "binary"))
			st->text++;
		else
			check_module(wast, (char *)src, &sp[k], dir, file, st);
		k++;
	}
out:
	if (rc)
		fprintf(stderr, "%s: cannot check: %s\n", wast, msg);
	json_free(root);
	free(jtext);
	free(src);
	free(sp);
	tw_rm_dir(dir);
	return rc;
}

int tw_wast_modules(int argc, char **argv)
{
	struct wm_stats st = {0};
	int bad = 0;
	if (argc < 1 || !strcmp(argv[0], "--help")) {
		printf(
		    "usage: toy-wasm wast-modules FILE.wast...\n"
		    "  parses every module of the scripts with our text parser and checks\n"
		    "  that the vm accepts exactly the modules wast2json's binaries it accepts\n");
		return argc < 1 ? 2 : 0;
	}
	for (int i = 0; i < argc; i++)
		bad += check_script(argv[i], &st) != 0;
	printf("%d modules: %d byte-identical, %d same code section, %d other, %d "
	       "mismatches; %d text-format modules not compared; %d scripts not checked\n",
	       st.modules, st.identical, st.same_code,
	       st.modules - st.identical - st.same_code - st.mismatch, st.mismatch, st.text, bad);
	return st.mismatch || bad ? 1 : 0;
}
