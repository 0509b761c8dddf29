/* cmdline.c — the boot command line: space-separated words, each "key" or
 * "key=value", e.g. "toy.test=all toy.stress". */
#include <kernel/kernel.h>
#include <string.h>

static char line[256];

void cmdline_set(const char *s)
{
	size_t n = strlen(s);
	if (n >= sizeof(line))
		n = sizeof(line) - 1;
	memcpy(line, s, n);
	line[n] = 0;
}

/* Copies the value of the word at w (after key and '='), up to a space. */
static const char *copy_value(const char *v, char *buf, size_t len)
{
	size_t n = 0;
	while (v[n] && v[n] != ' ' && n + 1 < len) {
		buf[n] = v[n];
		n++;
	}
	buf[n] = 0;
	return buf;
}

const char *cmdline_get(const char *key, char *buf, size_t len)
{
	size_t klen = strlen(key);
	for (const char *w = line; *w;) {
		while (*w == ' ')
			w++;
		if (!strncmp(w, key, klen) && (w[klen] == '=' || w[klen] == ' ' || !w[klen]))
			return copy_value(w[klen] == '=' ? w + klen + 1 : w + klen, buf, len);
		while (*w && *w != ' ')
			w++;
	}
	return NULL;
}
