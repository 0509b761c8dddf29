/* wat_lex.c — tokens and literals of the WebAssembly text format.
 *
 * wat_lex splits the whole source into tokens up front (parentheses, atoms,
 * strings), skipping whitespace, line comments and nested block comments.
 * An atom is a run of idchars; whether it is a keyword, an identifier or a
 * number is decided where it is used, as the grammar does. Tokens that are
 * not parentheses must be separated by whitespace, a comment or a
 * parenthesis, so `(i32.const0)`, `$l"a"` and `"a""b"` are errors. Strings
 * are checked here (escapes, control characters, UTF-8 of the source) and
 * decoded on use. Numbers follow the spec's grammar exactly (underscores
 * only between digits, hex floats, inf, nan:0x...) and are range-checked;
 * floats are rounded by strtof/strtod, which round correctly.
 */
#include "wat_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static bool idchar(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c && strchr("!#$%&'*+-./:<=>?@\\^_`|~", c));
}

static int hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Length of the UTF-8 sequence at p[0..n), 0 if it is not valid. */
static size_t utf8_len(const uint8_t *p, size_t n)
{
	uint32_t c = p[0], min;
	size_t len;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		len = 2, c &= 0x1f, min = 0x80;
	else if (c >= 0xe0 && c <= 0xef)
		len = 3, c &= 0x0f, min = 0x800;
	else if (c >= 0xf0 && c <= 0xf4)
		len = 4, c &= 0x07, min = 0x10000;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = c << 6 | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c < 0xe000))
		return 0;
	return len;
}

bool wat_utf8_valid(const uint8_t *p, size_t n)
{
	for (size_t i = 0, l; i < n; i += l)
		if (!(l = utf8_len(p + i, n - i)))
			return false;
	return true;
}

static void put_utf8(struct wat *w, struct wat_buf *b, uint32_t c)
{
	if (c < 0x80) {
		buf_byte(w, b, (uint8_t)c);
	} else if (c < 0x800) {
		buf_byte(w, b, (uint8_t)(0xc0 | c >> 6));
		buf_byte(w, b, (uint8_t)(0x80 | (c & 0x3f)));
	} else if (c < 0x10000) {
		buf_byte(w, b, (uint8_t)(0xe0 | c >> 12));
		buf_byte(w, b, (uint8_t)(0x80 | (c >> 6 & 0x3f)));
		buf_byte(w, b, (uint8_t)(0x80 | (c & 0x3f)));
	} else {
		buf_byte(w, b, (uint8_t)(0xf0 | c >> 18));
		buf_byte(w, b, (uint8_t)(0x80 | (c >> 12 & 0x3f)));
		buf_byte(w, b, (uint8_t)(0x80 | (c >> 6 & 0x3f)));
		buf_byte(w, b, (uint8_t)(0x80 | (c & 0x3f)));
	}
}

/* One escape after the backslash at s[i]; returns the index after it. */
static size_t escape(struct wat *w, const struct wat_tok *t, size_t i, struct wat_buf *b)
{
	const uint8_t *s = (const uint8_t *)w->src;
	static const char simple[] = "t\tn\nr\r\"\"''\\\\";
	for (int k = 0; simple[k]; k += 2)
		if (i < w->len && s[i] == (uint8_t)simple[k]) {
			if (b)
				buf_byte(w, b, (uint8_t)simple[k + 1]);
			return i + 1;
		}
	if (i + 1 < w->len && hexval(s[i]) >= 0 && hexval(s[i + 1]) >= 0) {
		if (b)
			buf_byte(w, b, (uint8_t)(hexval(s[i]) << 4 | hexval(s[i + 1])));
		return i + 2;
	}
	if (i + 1 < w->len && s[i] == 'u' && s[i + 1] == '{') {
		uint32_t c = 0;
		size_t j = i + 2, nd = 0;
		for (; j < w->len && s[j] != '}'; j++, nd++) {
			if (s[j] == '_' && nd && j + 1 < w->len && hexval(s[j + 1]) >= 0)
				continue;
			if (hexval(s[j]) < 0 || c > 0x10ffff)
				wat_fail(w, t, "malformed unicode escape");
			c = c << 4 | (uint32_t)hexval(s[j]);
		}
		if (j >= w->len || !nd || c > 0x10ffff || (c >= 0xd800 && c < 0xe000))
			wat_fail(w, t, "malformed unicode escape");
		if (b)
			put_utf8(w, b, c);
		return j + 1;
	}
	wat_fail(w, t, "illegal escape");
}

/* Scans the string at t->off (its opening quote); decodes into b if not
 * NULL. Returns the offset after the closing quote. */
static size_t scan_string(struct wat *w, const struct wat_tok *t, struct wat_buf *b)
{
	const uint8_t *s = (const uint8_t *)w->src;
	size_t i = t->off + 1, l;
	while (i < w->len && s[i] != '"') {
		if (s[i] == '\\') {
			i = escape(w, t, i + 1, b);
			continue;
		}
		if (s[i] < 0x20 || s[i] == 0x7f)
			wat_fail(w, t, "illegal control character in string");
		if (!(l = utf8_len(s + i, w->len - i)))
			wat_fail(w, t, "malformed UTF-8 encoding");
		if (b)
			buf_bytes(w, b, s + i, l);
		i += l;
	}
	if (i >= w->len)
		wat_fail(w, t, "unclosed string");
	return i + 1;
}

bool wat_string(struct wat *w, const struct wat_tok *t, struct wat_buf *b)
{
	if (t->kind != T_STR)
		return false;
	scan_string(w, t, b);
	return true;
}

/* Skips a block comment starting at i ("(;"); returns the index after it. */
static size_t block_comment(struct wat *w, size_t i, struct wat_tok *at)
{
	int depth = 0;
	while (i + 1 < w->len) {
		if (w->src[i] == '(' && w->src[i + 1] == ';')
			depth++, i += 2;
		else if (w->src[i] == ';' && w->src[i + 1] == ')')
			i += 2, depth--;
		else
			i++;
		if (!depth)
			return i;
	}
	wat_fail(w, at, "unclosed block comment");
}

static bool separator(const struct wat *w, size_t i)
{
	if (i >= w->len)
		return true;
	char c = w->src[i];
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '(' || c == ')' ||
	       (c == ';' && i + 1 < w->len && w->src[i + 1] == ';');
}

void wat_lex(struct wat *w)
{
	size_t i = 0, linestart = 0;
	uint32_t line = 1;
	w->tok = wat_alloc(w, (w->len + 1) * sizeof(*w->tok));
	w->ntok = 0;
	while (i <= w->len) {
		struct wat_tok *t = &w->tok[w->ntok];
		*t = (struct wat_tok){T_EOF, (uint32_t)i, 0, line, (uint32_t)(i - linestart + 1)};
		if (i == w->len) {
			w->ntok++;
			break;
		}
		uint8_t c = (uint8_t)w->src[i];
		if (c == '\n') {
			i++, line++, linestart = i;
		} else if (c == ' ' || c == '\t' || c == '\r') {
			i++;
		} else if (c == ';' && i + 1 < w->len && w->src[i + 1] == ';') {
			while (i < w->len && w->src[i] != '\n')
				i++;
		} else if (c == '(' && i + 1 < w->len && w->src[i + 1] == ';') {
			size_t e = block_comment(w, i, t);
			for (; i < e; i++)
				if (w->src[i] == '\n')
					line++, linestart = i + 1;
		} else if (c == '(' || c == ')') {
			t->kind = c == '(' ? T_LPAR : T_RPAR;
			t->len = 1;
			i++, w->ntok++;
		} else if (c == '"' || idchar(c)) {
			if (c == '"') {
				t->kind = T_STR;
				i = scan_string(w, t, NULL);
			} else {
				t->kind = T_ATOM;
				while (i < w->len && idchar((uint8_t)w->src[i]))
					i++;
			}
			t->len = (uint32_t)(i - t->off);
			w->ntok++;
			if (!separator(w, i))
				wat_fail(w, t, "unknown operator (tokens not separated)");
		} else {
			wat_fail(w, t, "unexpected character");
		}
	}
}

const struct wat_tok *peek(struct wat *w, size_t k)
{
	size_t i = w->pos + k;
	return &w->tok[i < w->ntok ? i : w->ntok - 1];
}

const struct wat_tok *next(struct wat *w)
{
	const struct wat_tok *t = peek(w, 0);
	if (w->pos < w->ntok - 1)
		w->pos++;
	return t;
}

bool tok_eq(const struct wat *w, const struct wat_tok *t, const char *s, size_t n)
{
	return t->kind == T_ATOM && t->len == n && !memcmp(w->src + t->off, s, n);
}

bool is_kw(const struct wat *w, const struct wat_tok *t, const char *kw)
{
	return tok_eq(w, t, kw, strlen(kw));
}

bool is_id(const struct wat *w, const struct wat_tok *t)
{
	return t->kind == T_ATOM && t->len > 1 && w->src[t->off] == '$';
}

bool peek_form(struct wat *w, const char *kw)
{
	return peek(w, 0)->kind == T_LPAR && is_kw(w, peek(w, 1), kw);
}

void expect_lpar(struct wat *w)
{
	const struct wat_tok *t = next(w);
	if (t->kind != T_LPAR)
		wat_fail(w, t, "unexpected token, expected (");
}

void expect_rpar(struct wat *w)
{
	const struct wat_tok *t = next(w);
	if (t->kind != T_RPAR)
		wat_fail(w, t, "unexpected token, expected )");
}

void expect_kw(struct wat *w, const char *kw)
{
	const struct wat_tok *t = next(w);
	if (!is_kw(w, t, kw))
		wat_fail(w, t, "unexpected token, expected %s", kw);
}

/* Skips to after the ')' closing the form whose '(' was already read. */
void skip_form_rest(struct wat *w)
{
	int depth = 1;
	while (depth) {
		const struct wat_tok *t = next(w);
		if (t->kind == T_EOF)
			wat_fail(w, t, "unexpected end of input");
		depth += t->kind == T_LPAR ? 1 : t->kind == T_RPAR ? -1 : 0;
	}
}

/* Digits of a num/hexnum at s[0..n): underscores only between digits.
 * Returns how many characters belong to it (0: no digit). */
static size_t digits(const char *s, size_t n, bool hex, uint64_t *v, bool *ovf)
{
	size_t i = 0;
	uint64_t base = hex ? 16 : 10;
	while (i < n) {
		if (s[i] == '_' && i > 0 && i + 1 < n &&
		    (hex ? hexval((uint8_t)s[i + 1]) >= 0 : (s[i + 1] >= '0' && s[i + 1] <= '9')))
			i++;
		int d =
		    hex ? hexval((uint8_t)s[i]) : (s[i] >= '0' && s[i] <= '9' ? s[i] - '0' : -1);
		if (d < 0)
			break;
		if (v) {
			if (*v > (UINT64_MAX - (uint64_t)d) / base)
				*ovf = true;
			*v = *v * base + (uint64_t)d;
		}
		i++;
	}
	return i;
}

/* A whole nat: num or 0x hexnum. */
static bool nat(const char *s, size_t n, uint64_t *v, bool *ovf)
{
	bool hex = n > 2 && s[0] == '0' && s[1] == 'x';
	size_t off = hex ? 2 : 0;
	*v = 0;
	*ovf = false;
	size_t d = digits(s + off, n - off, hex, v, ovf);
	return d && off + d == n;
}

bool lit_u32(struct wat *w, const struct wat_tok *t, const char *s, size_t n, uint32_t *v)
{
	uint64_t x;
	bool ovf;
	if (!nat(s, n, &x, &ovf))
		return false;
	if (ovf || x > UINT32_MAX)
		wat_fail(w, t, "i32 constant out of range");
	*v = (uint32_t)x;
	return true;
}

bool lit_int(struct wat *w, const struct wat_tok *t, int bits, uint64_t *v)
{
	const char *s = w->src + t->off;
	size_t n = t->len;
	bool neg = false, ovf;
	uint64_t x;
	if (t->kind != T_ATOM)
		return false;
	if (n && (s[0] == '+' || s[0] == '-'))
		neg = s[0] == '-', s++, n--;
	if (!nat(s, n, &x, &ovf))
		return false;
	uint64_t lim = neg ? 1ull << (bits - 1) : bits == 64 ? UINT64_MAX : (1ull << bits) - 1;
	if (ovf || x > lim)
		wat_fail(w, t, "constant out of range");
	x = neg ? 0 - x : x;
	*v = bits == 32 ? (uint32_t)x : x;
	return true;
}

/* Checks the float syntax of s[0..n) (no sign); copies it without
 * underscores into out. */
static bool float_syntax(const char *s, size_t n, char *out)
{
	bool hex = n > 2 && s[0] == '0' && s[1] == 'x';
	size_t i = hex ? 2 : 0, d, o = 0;
	bool ovf = false;
	if (!(d = digits(s + i, n - i, hex, NULL, &ovf)))
		return false;
	i += d;
	if (i < n && s[i] == '.') {
		i++;
		i += digits(s + i, n - i, hex, NULL, &ovf);
	}
	if (i < n && (hex ? (s[i] == 'p' || s[i] == 'P') : (s[i] == 'e' || s[i] == 'E'))) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (!(d = digits(s + i, n - i, false, NULL, &ovf)))
			return false;
		i += d;
	}
	if (i != n)
		return false;
	for (i = 0; i < n; i++)
		if (s[i] != '_')
			out[o++] = s[i];
	out[o] = 0;
	return true;
}

static bool float_special(struct wat *w, const struct wat_tok *t, const char *s, size_t n, int bits,
			  uint64_t *v)
{
	uint64_t expo = bits == 32 ? 0x7f800000ull : 0x7ff0000000000000ull;
	uint64_t mmax = bits == 32 ? 0x7fffffull : 0xfffffffffffffull;
	if (n == 3 && !memcmp(s, "inf", 3)) {
		*v = expo;
		return true;
	}
	if (n == 3 && !memcmp(s, "nan", 3)) {
		*v = expo | (mmax + 1) >> 1;
		return true;
	}
	if (n > 6 && !memcmp(s, "nan:0x", 6)) {
		uint64_t p;
		bool ovf;
		if (!nat(s + 4, n - 4, &p, &ovf))
			return false;
		if (ovf || p == 0 || p > mmax)
			wat_fail(w, t, "constant out of range");
		*v = expo | p;
		return true;
	}
	return false;
}

bool lit_float(struct wat *w, const struct wat_tok *t, int bits, uint64_t *v)
{
	const char *s = w->src + t->off;
	size_t n = t->len;
	bool neg = false;
	if (t->kind != T_ATOM)
		return false;
	if (n && (s[0] == '+' || s[0] == '-'))
		neg = s[0] == '-', s++, n--;
	uint64_t sign = neg ? (bits == 32 ? 0x80000000ull : 0x8000000000000000ull) : 0;
	if (float_special(w, t, s, n, bits, v)) {
		*v |= sign;
		return true;
	}
	char *buf = wat_alloc(w, n + 4);
	if (!float_syntax(s, n, buf))
		return false;
	if (bits == 32) {
		float f = strtof(buf, NULL);
		uint32_t b;
		if (isinf(f))
			wat_fail(w, t, "constant out of range");
		memcpy(&b, &f, 4);
		*v = b | sign;
	} else {
		double d = strtod(buf, NULL);
		if (isinf(d))
			wat_fail(w, t, "constant out of range");
		memcpy(v, &d, 8);
		*v |= sign;
	}
	return true;
}
