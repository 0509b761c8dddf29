/* json.c — a minimal recursive-descent JSON reader.
 *
 * Only what wast2json writes: objects, arrays, strings with simple escapes,
 * numbers kept as text, true/false/null. Depth is bounded so hostile input
 * cannot exhaust the C stack.
 */
#include "json.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct jp {
	const char *p;
	int depth;
};

static struct json *value(struct jp *p);

static void ws(struct jp *p)
{
	while (*p->p == ' ' || *p->p == '\n' || *p->p == '\r' || *p->p == '\t')
		p->p++;
}

static struct json *node(enum json_kind k)
{
	struct json *j = calloc(1, sizeof(*j));
	if (j)
		j->kind = k;
	return j;
}

static char *string(struct jp *p)
{
	size_t n = 0, cap = 16;
	char *s = malloc(cap);
	if (!s || *p->p != '"')
		goto bad;
	p->p++;
	while (*p->p && *p->p != '"') {
		char c = *p->p++;
		if (c == '\\') {
			c = *p->p++;
			if (c == 'n')
				c = '\n';
			else if (c == 't')
				c = '\t';
			else if (c == 'u') {
				unsigned v = (unsigned)strtoul(
				    (char[5]){p->p[0], p->p[1], p->p[2], p->p[3], 0}, NULL, 16);
				p->p += 4;
				c = (char)(v < 0x80 ? v : '?');
			} else if (!c)
				goto bad;
		}
		if (n + 2 > cap) {
			char *ns = realloc(s, cap *= 2);
			if (!ns)
				goto bad;
			s = ns;
		}
		s[n++] = c;
	}
	if (*p->p != '"')
		goto bad;
	p->p++;
	s[n] = 0;
	return s;
bad:
	free(s);
	return NULL;
}

static struct json *container(struct jp *p, bool obj)
{
	struct json *j = node(obj ? J_OBJ : J_ARR), **tail;
	char close = obj ? '}' : ']';
	if (!j || ++p->depth > 64)
		goto bad;
	tail = &j->child;
	p->p++;
	ws(p);
	if (*p->p == close) {
		p->p++;
		p->depth--;
		return j;
	}
	for (;;) {
		char *key = NULL;
		ws(p);
		if (obj) {
			if (!(key = string(p)))
				goto bad;
			ws(p);
			if (*p->p++ != ':') {
				free(key);
				goto bad;
			}
		}
		struct json *v = value(p);
		if (!v) {
			free(key);
			goto bad;
		}
		v->key = key;
		*tail = v;
		tail = &v->next;
		ws(p);
		if (*p->p == ',') {
			p->p++;
			continue;
		}
		if (*p->p++ != close)
			goto bad;
		p->depth--;
		return j;
	}
bad:
	json_free(j);
	return NULL;
}

static struct json *value(struct jp *p)
{
	ws(p);
	char c = *p->p;
	if (c == '{' || c == '[')
		return container(p, c == '{');
	if (c == '"') {
		struct json *j = node(J_STR);
		if (j && !(j->str = string(p))) {
			free(j);
			return NULL;
		}
		return j;
	}
	if (!strncmp(p->p, "true", 4) || !strncmp(p->p, "null", 4) || !strncmp(p->p, "false", 5)) {
		p->p += c == 'f' ? 5 : 4;
		return node(c == 'n' ? J_NULL : J_BOOL);
	}
	const char *start = p->p;
	while (*p->p && strchr("+-0123456789.eE", *p->p))
		p->p++;
	if (p->p == start)
		return NULL;
	struct json *j = node(J_NUM);
	if (j && !(j->str = strndup(start, (size_t)(p->p - start)))) {
		free(j);
		return NULL;
	}
	return j;
}

struct json *json_parse(const char *text)
{
	struct jp p = {text, 0};
	return value(&p);
}

void json_free(struct json *j)
{
	while (j) {
		struct json *next = j->next;
		json_free(j->child);
		free(j->str);
		free(j->key);
		free(j);
		j = next;
	}
}

struct json *json_get(const struct json *j, const char *key)
{
	if (!j || j->kind != J_OBJ)
		return NULL;
	for (struct json *c = j->child; c; c = c->next)
		if (c->key && !strcmp(c->key, key))
			return c;
	return NULL;
}

const char *json_str(const struct json *j, const char *key)
{
	struct json *v = json_get(j, key);
	return v && v->kind == J_STR ? v->str : NULL;
}
