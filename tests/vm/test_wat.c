/* test_wat.c — the corners of toy-wasm's WebAssembly text parser: float and
 * integer literals (hex floats, rounding, ranges, nan payloads,
 * underscores), string escapes and UTF-8, identifier characters, comments,
 * token separation, error positions, and hostile input (every prefix of a
 * module, random mutations), which must give an error and never a crash
 * (ASan/UBSan in the host build). The whole spec suite is checked by the
 * vm_wat and vm_spectest tests. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <toy/err.h>

#include "vmtest.h"
#include "wat.h"

static int parse(const char *text, uint8_t **out, size_t *n, char *msg, size_t msglen)
{
	return wat_parse(text, strlen(text), out, n, msg, msglen);
}

static bool ok(const char *text)
{
	uint8_t *out = NULL;
	size_t n;
	int rc = parse(text, &out, &n, NULL, 0);
	free(out);
	return rc == 0;
}

static bool malformed(const char *text)
{
	uint8_t *out = NULL;
	size_t n;
	char msg[200];
	int rc = parse(text, &out, &n, msg, sizeof(msg));
	free(out);
	return rc == TOY_ERR_MALFORMED;
}

/* The bits of `(T.const LIT)` as the last constant of a function body: the
 * code section comes last, so they end just before the final `end`. */
static uint64_t const_bits(const char *type, const char *lit, bool *good)
{
	char text[512];
	uint8_t *out = NULL;
	size_t n;
	uint64_t v = 0;
	snprintf(text, sizeof(text), "(func (result %s) (%s.const %s))", type, type, lit);
	*good = parse(text, &out, &n, NULL, 0) == 0;
	if (!*good)
		return 0;
	int nb = type[0] == 'f' ? (type[1] == '3' ? 4 : 8) : 0;
	if (nb) {
		for (int i = 0; i < nb; i++)
			v |= (uint64_t)out[n - 1 - nb + i] << (8 * i);
	} else {
		/* signed LEB128 after the opcode 0x41/0x42 */
		size_t i = n - 2;
		while (i > 0 && (out[i - 1] & 0x80))
			i--;
		int sh = 0;
		for (; i < n - 1; i++, sh += 7)
			v |= (uint64_t)(out[i] & 0x7f) << sh;
		if (sh < 64 && (out[n - 2] & 0x40))
			v |= ~0ull << sh;
		if (type[1] == '3')
			v = (uint32_t)v;
	}
	free(out);
	return v;
}

static void want(const char *type, const char *lit, uint64_t bits)
{
	bool good;
	uint64_t v = const_bits(type, lit, &good);
	if (!good || v != bits)
		fail_msg("%s.const %s: got %s%llx, want %llx", type, lit, good ? "" : "error ",
			 (unsigned long long)v, (unsigned long long)bits);
}

static void bad(const char *type, const char *lit)
{
	bool good;
	const_bits(type, lit, &good);
	if (good)
		fail_msg("%s.const %s accepted", type, lit);
}

static void test_float_literals(void **state)
{
	(void)state;
	want("f32", "0", 0);
	want("f32", "-0", 0x80000000);
	want("f32", "1", 0x3f800000);
	want("f32", "0.5e1", 0x40a00000);
	want("f32", "1_000.0_1", 0x447a00a4);
	want("f32", "0x1p-149", 1);
	want("f32", "0x1p-150", 0);        /* halfway: to even */
	want("f32", "0x1.000001p-149", 1); /* just above half of the smallest */
	want("f32", "0x1.fffffep127", 0x7f7fffff);
	want("f32", "0x1.fffffefffffffp127", 0x7f7fffff);
	want("f32", "0x1.000001p0", 0x3f800000); /* tie, to even */
	want("f32", "0x1.000003p0", 0x3f800002);
	want("f32", "0x1.", 0x3f800000);
	want("f32", "0xA.Bp1", 0x41ab0000);
	want("f32", "1e-46", 0);
	want("f32", "3.4028235e38", 0x7f7fffff);
	want("f32", "inf", 0x7f800000);
	want("f32", "-inf", 0xff800000);
	want("f32", "nan", 0x7fc00000);
	want("f32", "-nan", 0xffc00000);
	want("f32", "nan:0x1", 0x7f800001);
	want("f32", "+nan:0x7f_ffff", 0x7fffffff);
	want("f64", "0x1p-1074", 1);
	want("f64", "0x1.fffffffffffffp1023", 0x7fefffffffffffffull);
	want("f64", "1.7976931348623157e308", 0x7fefffffffffffffull);
	want("f64", "0.1", 0x3fb999999999999aull);
	want("f64", "-nan:0xf_ffff_ffff_ffff", 0xffffffffffffffffull);
	want("f64", "1", 0x3ff0000000000000ull);
	bad("f32", "0x1p128");
	bad("f32", "0x1.ffffffp127"); /* rounds up to 2^128 */
	bad("f32", "1e39");
	bad("f64", "1e309");
	bad("f32", "nan:0x0");
	bad("f32", "nan:0x80_0000");
	bad("f64", "nan:0x10_0000_0000_0000");
	bad("f32", "nan:1");
	bad("f32", "nan:canonical");
	bad("f32", ".5");
	bad("f32", "1.e");
	bad("f32", "0x");
	bad("f32", "0x.p1");
	bad("f32", "1__0");
	bad("f32", "_1");
	bad("f32", "1_");
	bad("f32", "1_.0");
	bad("f32", "1._0");
	bad("f32", "0x_1");
	bad("f32", "0x1p_1");
	bad("f32", "0x1p+_1");
	bad("f32", "Inf");
	bad("f32", "infinity");
	bad("f64", "0xg");
}

static void test_int_literals(void **state)
{
	(void)state;
	want("i32", "0", 0);
	want("i32", "0xffffffff", 0xffffffff);
	want("i32", "4294967295", 0xffffffff);
	want("i32", "-2147483648", 0x80000000);
	want("i32", "-0x8000_0000", 0x80000000);
	want("i32", "+1_000", 1000);
	want("i64", "0xffff_ffff_ffff_ffff", ~0ull);
	want("i64", "-9223372036854775808", 0x8000000000000000ull);
	want("i64", "18446744073709551615", ~0ull);
	bad("i32", "4294967296");
	bad("i32", "-2147483649");
	bad("i32", "0x1_0000_0000");
	bad("i64", "18446744073709551616");
	bad("i64", "-9223372036854775809");
	bad("i64", "0x1_0000_0000_0000_0000");
	bad("i32", "1.0");
	bad("i32", "0x");
	bad("i32", "1x");
	bad("i32", "--1");
	bad("i32", "1__0");
	bad("i32", "nan");
}

/* The bytes of a data segment: they end the module. */
static void want_data(const char *lit, const char *bytes, size_t nb)
{
	char text[512];
	uint8_t *out = NULL;
	size_t n;
	snprintf(text, sizeof(text), "(memory 1) (data (i32.const 0) %s)", lit);
	int rc = parse(text, &out, &n, NULL, 0);
	if (rc || n < nb || memcmp(out + n - nb, bytes, nb))
		fail_msg("data %s: rc %d", lit, rc);
	free(out);
}

static void test_strings(void **state)
{
	(void)state;
	want_data("\"a\\tb\\n\\r\\\"\\'\\\\\"", "a\tb\n\r\"'\\", 8);
	want_data("\"\\00\\ff\\Ab\"", "\x00\xff\xab", 3);
	want_data("\"\\u{41}\\u{e9}\\u{20AC}\\u{1F600}\"", "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80",
		  10);
	want_data("\"\xc3\xa9\"", "\xc3\xa9", 2);
	want_data("\"a\" \"b\"", "ab", 2);
	want_data("", "\x00", 1);
	assert_true(malformed("(memory 1) (data (i32.const 0) \"\\u{D800}\")"));
	assert_true(malformed("(memory 1) (data (i32.const 0) \"\\u{110000}\")"));
	assert_true(malformed("(memory 1) (data (i32.const 0) \"\\u{}\")"));
	assert_true(malformed("(memory 1) (data (i32.const 0) \"\\x41\")"));
	assert_true(malformed("(memory 1) (data (i32.const 0) \"\\4\")"));
	assert_true(malformed("(memory 1) (data (i32.const 0) \"a\tb\")"));
	assert_true(malformed("(memory 1) (data (i32.const 0) \"\x7f\")"));
	assert_true(malformed("(memory 1) (data (i32.const 0) \"abc"));
	assert_true(malformed("(memory 1) (data (i32.const 0) \"\\"));
	/* bad UTF-8 in the source: a lone continuation, an overlong form, a
	 * surrogate, past U+10FFFF, a truncated sequence */
	assert_true(malformed("(memory 1) (data (i32.const 0) \"\x80\")"));
	assert_true(malformed("(memory 1) (data (i32.const 0) \"\xc0\xaf\")"));
	assert_true(malformed("(memory 1) (data (i32.const 0) \"\xed\xa0\x80\")"));
	assert_true(malformed("(memory 1) (data (i32.const 0) \"\xf4\x90\x80\x80\")"));
	assert_true(malformed("(memory 1) (data (i32.const 0) \"\xe2\x82\")"));
	/* data may hold any bytes by escapes; names must be UTF-8 */
	assert_true(ok("(memory 1) (data (i32.const 0) \"\\ff\\fe\")"));
	assert_true(ok("(func (export \"\\c3\\a9\"))"));
	assert_true(malformed("(func (export \"\\ff\"))"));
	assert_true(malformed("(import \"\\c3\" \"x\" (func))"));
}

static void test_idchars(void **state)
{
	(void)state;
	assert_true(ok("(func $a!#$%&'*+-./:<=>?@\\^_`|~Z9 (call $a!#$%&'*+-./:<=>?@\\^_`|~Z9))"));
	assert_true(ok("(func $0) (func (call $0))"));
	assert_true(malformed("(func $a) (func (call $b))"));
	assert_true(malformed("(func $a,b)"));
	assert_true(malformed("(func $a[b])"));
	assert_true(malformed("(func $a{b})"));
	assert_true(malformed("(func $)"));
	assert_true(malformed("(func \"a\"x)"));
	assert_true(malformed("(func $x\"a\")"));
	assert_true(malformed("(func (drop (i32.const0)))"));
	assert_true(malformed("(func (nop)(nop)x)"));
	assert_true(ok("(func(nop)(nop))"));
	assert_true(malformed("(FUNC)"));
	assert_true(malformed("(func (I32.const 0) drop)"));
}

static void test_comments(void **state)
{
	(void)state;
	assert_true(ok(";; line\n(module (; block ;) (func ;; in\n nop))"));
	assert_true(ok("(module (; a (; nested ;) b ;) (func))"));
	assert_true(ok("(;;)(module)(;\"(;;) ;)"));
	assert_true(ok("(module);; no newline at the end"));
	assert_true(malformed("(module (; open (; nested ;) )"));
	assert_true(malformed("(module) ;)"));
	assert_true(malformed("(module) ;"));
	assert_true(malformed("(module) (module)"));
	assert_true(ok(""));
	assert_true(ok("(module $m)"));
}

static void test_error_position(void **state)
{
	char msg[200] = "";
	uint8_t *out = NULL;
	size_t n;
	(void)state;
	assert_int_equal(parse("(module\n  (func\n    i32.bogus))", &out, &n, msg, sizeof(msg)),
			 TOY_ERR_MALFORMED);
	assert_non_null(strstr(msg, "3:5: unknown operator"));
	assert_int_equal(parse("(func (param $x i32) (local $x i32))", &out, &n, msg, sizeof(msg)),
			 TOY_ERR_MALFORMED);
	assert_non_null(strstr(msg, "1:29: duplicate local"));
}

static void test_module_forms(void **state)
{
	uint8_t *out = NULL;
	size_t n;
	(void)state;
	/* binary and quote give the same bytes as the text itself */
	assert_int_equal(
	    parse("(module binary \"\\00asm\" \"\\01\\00\\00\\00\")", &out, &n, NULL, 0), 0);
	assert_int_equal(n, 8);
	assert_memory_equal(out, "\0asm\1\0\0\0", 8);
	free(out);
	assert_true(ok("(module quote \"(func\" \" (nop))\")"));
	assert_true(malformed("(module quote \"(func (nopp))\")"));
	assert_true(malformed("(module binary \"\\00asm\" (func))"));
	/* labels and abbreviations */
	assert_true(ok("(func block $l br $l end $l)"));
	assert_true(malformed("(func block $l end $m)"));
	assert_true(malformed("(func block end $l)"));
	assert_true(ok("(func (result i32) (if (result i32) (i32.const 1) (then (i32.const 2)) "
		       "(else (i32.const 3))))"));
	assert_true(ok("(func i32.const 0 if $l else $l end $l)"));
	assert_true(malformed("(func i32.const 0 if $l else $m end)"));
	assert_true(malformed("(func (br $nowhere))"));
	assert_true(ok("(memory 1) (func (drop (i32.load offset=0x10 align=4 (i32.const 0))))"));
	assert_true(malformed("(memory 1) (func (drop (i32.load align=3 (i32.const 0))))"));
	assert_true(
	    malformed("(memory 1) (func (drop (i32.load offset=4294967296 (i32.const 0))))"));
	assert_true(
	    malformed("(memory 1) (func (drop (i32.load align=4 offset=0 (i32.const 0))))"));
	assert_true(malformed("(func) (import \"a\" \"b\" (func))"));
	assert_true(malformed("(start 0) (start 0) (func)"));
	assert_true(malformed("(type $t (func (param i32))) (func (type $t) (param i64))"));
	assert_true(ok("(type $t (func (param i32))) (func (type $t) (param i32))"));
}

/* One module using every kind of field, abbreviation and immediate; wabt's
 * wat2wasm gives the same bytes, and the vm must accept them. */
static const char every_feature[] =
    "(module\n"
    "  (type $sig (func (param $a i32) (param f32 f64) (result i32 i64)))\n"
    "  (import \"a\" \"g\" (global $gi (mut i64)))\n"
    "  (func $imp (import \"a\" \"b\") (param i32))\n"
    "  (memory $m (export \"m\") (data \"abc\" \"\\u{1F600}\"))\n"
    "  (table $ft (export \"ft\") funcref (elem (ref.func $f) (ref.null func)))\n"
    "  (table $ft2 funcref (elem $f $f))\n"
    "  (table $t 2 externref)\n"
    "  (global $g (export \"g\") (mut f32) (f32.const -0x1.8p-3))\n"
    "  (elem declare func $f)\n"
    "  (elem $e funcref (item ref.func $f) (item ref.null func))\n"
    "  (elem $e2 (table $ft) (offset (i32.const 1)) func $f)\n"
    "  (elem $e3 (i32.const 0) $f)\n"
    "  (data $d (memory $m) (offset (i32.const 0)) \"x\")\n"
    "  (data $p \"passive\")\n"
    "  (func $f (export \"f\") (type $sig) (param $a i32) (param f32 f64) (result i32 i64) (local "
    "$l i64) (local f32 f32 i32)\n"
    "    (local.set $l (i64.const -1))\n"
    "    block $out (result i32)\n"
    "      i32.const 7\n"
    "      i32.const 1\n"
    "      br_table $out 0 $out\n"
    "    end $out\n"
    "    drop\n"
    "    (if $i (result i32) (local.get $a) (then (i32.const 1)) (else (i32.const 2)))\n"
    "    drop\n"
    "    local.get $a\n"
    "    if $j\n"
    "      nop\n"
    "    else $j\n"
    "      nop\n"
    "    end $j\n"
    "    (loop $lp (br_if $lp (i32.const 0)))\n"
    "    (call_indirect $ft (type $sig) (i32.const 0) (f32.const 0) (f64.const 0) (i32.const 0))\n"
    "    drop drop\n"
    "    (select (result i32) (i32.const 1) (i32.const 2) (i32.const 0))\n"
    "    drop\n"
    "    (memory.init $d (i32.const 0) (i32.const 0) (i32.const 0))\n"
    "    (data.drop $p)\n"
    "    (table.init $ft $e (i32.const 0) (i32.const 0) (i32.const 0))\n"
    "    (table.init $e (i32.const 0) (i32.const 0) (i32.const 0))\n"
    "    (elem.drop $e)\n"
    "    (table.copy $ft $ft2 (i32.const 0) (i32.const 0) (i32.const 0))\n"
    "    (table.copy (i32.const 0) (i32.const 0) (i32.const 0))\n"
    "    (drop (table.grow $t (ref.null extern) (i32.const 1)))\n"
    "    (drop (table.size $t))\n"
    "    (table.fill $t (i32.const 0) (ref.null extern) (i32.const 0))\n"
    "    (drop (table.get $t (i32.const 0)))\n"
    "    (memory.fill (i32.const 0) (i32.const 0) (i32.const 0))\n"
    "    (memory.copy (i32.const 0) (i32.const 0) (i32.const 0))\n"
    "    (drop (memory.grow (memory.size)))\n"
    "    (i64.store32 offset=3 align=2 (i32.const 0) (i64.const 0))\n"
    "    (drop (f64.load offset=0x10 (i32.const 0)))\n"
    "    (drop (ref.is_null (ref.func $f)))\n"
    "    (drop (i32.trunc_sat_f64_u (f64.const nan:0x4)))\n"
    "    (drop (i64.extend32_s (i64.const 0x7fff_ffff)))\n"
    "    (global.set $g (f32.const inf))\n"
    "    (drop (global.get $gi))\n"
    "    (call $imp (i32.const 0))\n"
    "    (i32.const 0) (i64.const 0)\n"
    "  )\n"
    "  (start $s)\n"
    "  (func $s)\n"
    ")\n";

static void test_every_feature(void **state)
{
	uint8_t *out = NULL;
	size_t n;
	char msg[200] = "";
	struct vm_config cfg;
	struct vm_module *m;
	(void)state;
	int rc = wat_parse(every_feature, strlen(every_feature), &out, &n, msg, sizeof(msg));
	if (rc)
		fail_msg("%s", msg);
	test_config(&cfg, 1 << 20);
	rc = vm_module_load(&cfg.alloc, out, n, &m, msg, sizeof(msg));
	if (rc)
		fail_msg("vm: %s", msg);
	vm_module_free(m);
	free(out);
}

/* Nesting is bounded (WAT_MAX_DEPTH), so deep text cannot overflow the
 * stack: `pre` n times, `mid`, `post` n times. */
static int nested(const char *pre, const char *mid, const char *post, int n)
{
	size_t lp = strlen(pre), lm = strlen(mid), lq = strlen(post), len = 0;
	char *t = malloc((lp + lq) * (size_t)n + lm + 32);
	uint8_t *out = NULL;
	size_t on;
	assert_non_null(t);
	len += (size_t)sprintf(t, "(func (result i32) ");
	for (int i = 0; i < n; i++, len += lp)
		memcpy(t + len, pre, lp);
	memcpy(t + len, mid, lm), len += lm;
	for (int i = 0; i < n; i++, len += lq)
		memcpy(t + len, post, lq);
	t[len++] = ')';
	int rc = wat_parse(t, len, &out, &on, NULL, 0);
	free(out);
	free(t);
	return rc;
}

static void test_deep_nesting(void **state)
{
	(void)state;
	assert_int_equal(nested("(i32.eqz ", "(i32.const 0)", ")", 1000), 0);
	assert_int_equal(nested("block (result i32) ", "i32.const 0", " end", 1000), 0);
	assert_int_equal(nested("(i32.eqz ", "(i32.const 0)", ")", 200000), TOY_ERR_MALFORMED);
	assert_int_equal(nested("(block (result i32) ", "(i32.const 0)", ")", 200000),
			 TOY_ERR_MALFORMED);
	assert_int_equal(nested("block (result i32) ", "i32.const 0", " end", 200000),
			 TOY_ERR_MALFORMED);
	assert_int_equal(
	    nested("(if (result i32) (i32.const 1) (then ", "(i32.const 0)", "))", 200000),
	    TOY_ERR_MALFORMED);
}

static const char small_module[] =
    "(module (type $t (func (param i32) (result i32)))\n"
    " (import \"m\" \"f\" (func $imp (type $t)))\n"
    " (table $tab 2 funcref) (memory $mem 1 2) (global $g (mut i32) (i32.const 7))\n"
    " (func $f (export \"f\") (param $x i32) (result i32) (local $y f64)\n"
    "  (block $b (result i32) (br_if $b (local.get $x) (i32.const 1)) drop\n"
    "   (drop (f32.const 0x1.8p3)) (call_indirect $tab (type $t) (local.get $x) (i32.const 0))))\n"
    " (elem (table $tab) (i32.const 0) func $f $imp)\n"
    " (data (memory $mem) (i32.const 8) \"\\u{1F600}\")\n"
    " (;c;) (start $imp2)\n"
    " (func $imp2 (memory.init 0 (i32.const 0) (i32.const 0) (i32.const 0)) (data.drop 0)))";

/* Every prefix of text and random mutations of it: an answer each time. */
static void hostile(const char *text, int mutations)
{
	size_t len = strlen(text), n;
	uint8_t *out = NULL;
	char *copy = malloc(len), msg[200];
	assert_non_null(copy);
	assert_int_equal(wat_parse(text, len, &out, &n, msg, sizeof(msg)), 0);
	free(out);
	for (size_t i = 0; i < len; i++) {
		memcpy(copy, text, i);
		int rc = wat_parse(copy, i, &out, &n, msg, sizeof(msg));
		if (!rc)
			free(out);
		assert_true(rc == 0 || rc == TOY_ERR_MALFORMED);
	}
	srand(1);
	for (int k = 0; k < mutations; k++) {
		memcpy(copy, text, len);
		for (int j = rand() % 4; j >= 0; j--)
			copy[rand() % len] = (char)(rand() % 256);
		int rc = wat_parse(copy, len, &out, &n, msg, sizeof(msg));
		if (!rc)
			free(out);
		assert_true(rc == 0 || rc == TOY_ERR_MALFORMED);
	}
	free(copy);
}

static void test_hostile(void **state)
{
	(void)state;
	hostile(small_module, 20000);
	hostile(every_feature, 5000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_float_literals), cmocka_unit_test(test_int_literals),
	    cmocka_unit_test(test_strings),        cmocka_unit_test(test_idchars),
	    cmocka_unit_test(test_comments),       cmocka_unit_test(test_error_position),
	    cmocka_unit_test(test_module_forms),   cmocka_unit_test(test_every_feature),
	    cmocka_unit_test(test_deep_nesting),   cmocka_unit_test(test_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
