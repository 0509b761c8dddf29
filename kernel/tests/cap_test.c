/* cap_test.c — in-kernel tests of capability sets (kernel/cap.h): rights
 * are unions, lookups of unheld IDs say NOTFOUND, held-but-insufficient say
 * PERM, drops keep the insertion order of the rest, and a saved set loads
 * back while damaged bytes (bad rights, nil or duplicate IDs, a torn entry)
 * are refused as CORRUPT. */
#include <kernel/cap.h>
#include <kernel/mem.h>
#include <kernel/test.h>
#include <string.h>
#include <toy/err.h>

static toy_id idn(uint8_t n)
{
	toy_id id = {{0}};
	id.b[15] = 0x40;
	id.b[0] = n;
	return id;
}

KTEST(cap_rights_and_order)
{
	struct capset s = {0};
	toy_id a = idn(1), b = idn(2), c = idn(3), missing = idn(9);
	KCHECK(cap_add(&s, &a, TOY_RIGHT_READ) == 0);
	KCHECK(cap_add(&s, &b, TOY_RIGHT_WRITE | TOY_RIGHT_GRANT) == 0);
	KCHECK(cap_add(&s, &c, TOY_RIGHTS_ALL) == 0);
	KCHECK(cap_add(&s, &a, TOY_RIGHT_MAP | 0x100) == 0); /* unknown bits dropped */
	KCHECK(cap_rights(&s, &a) == (TOY_RIGHT_READ | TOY_RIGHT_MAP));
	KCHECK(cap_check(&s, &a, TOY_RIGHT_READ) == 0);
	KCHECK(cap_check(&s, &a, TOY_RIGHT_WRITE) == TOY_ERR_PERM);
	KCHECK(cap_check(&s, &missing, TOY_RIGHT_READ) == TOY_ERR_NOTFOUND);
	KCHECK(cap_drop(&s, &b) == 0);
	KCHECK(cap_drop(&s, &b) == TOY_ERR_NOTFOUND);
	KCHECK(s.n == 2 && toy_id_eq(&s.caps[0].id, &a) && toy_id_eq(&s.caps[1].id, &c));
	cap_free(&s);
	KCHECK(s.n == 0 && s.caps == NULL);
	return 0;
}

KTEST(cap_limit)
{
	struct capset s = {0};
	int err = 0;
	for (uint32_t i = 0; i < CAP_MAX && !err; i++) {
		toy_id id = idn(1);
		memcpy(id.b + 4, &i, sizeof(i));
		err = cap_add(&s, &id, TOY_RIGHT_READ);
	}
	KCHECK(err == 0 && s.n == CAP_MAX);
	toy_id one_more = idn(200);
	KCHECK(cap_add(&s, &one_more, TOY_RIGHT_READ) == TOY_ERR_LIMIT);
	cap_free(&s);
	return 0;
}

KTEST(cap_load_checks_bytes)
{
	struct capset s = {0}, back = {0};
	toy_id a = idn(1), b = idn(2);
	KCHECK(cap_add(&s, &a, TOY_RIGHT_READ) == 0 && cap_add(&s, &b, TOY_RIGHTS_ALL) == 0);
	size_t len = s.n * sizeof(struct toy_cap);
	struct toy_cap bytes[2];
	memcpy(bytes, s.caps, len);
	KCHECK(cap_load(&back, bytes, len) == 0);
	KCHECK(back.n == 2 && cap_rights(&back, &b) == TOY_RIGHTS_ALL);
	cap_free(&back);
	KCHECK(cap_load(&back, bytes, len - 1) == TOY_ERR_CORRUPT);
	cap_free(&back);
	bytes[1].rights = 0x80;
	KCHECK(cap_load(&back, bytes, len) == TOY_ERR_CORRUPT);
	cap_free(&back);
	bytes[1] = bytes[0];
	KCHECK(cap_load(&back, bytes, len) == TOY_ERR_CORRUPT);
	cap_free(&back);
	memset(&bytes[1].id, 0, sizeof(toy_id));
	bytes[1].rights = TOY_RIGHT_READ;
	KCHECK(cap_load(&back, bytes, len) == TOY_ERR_CORRUPT);
	cap_free(&back);
	cap_free(&s);
	return 0;
}
