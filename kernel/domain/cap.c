/* cap.c — capability sets (kernel/cap.h).
 *
 * An array in insertion order, which is the order list() reports and the
 * order a spawned domain received its capabilities in. Sets are small, so a
 * linear scan over 16-byte IDs is the whole lookup. */
#include <kernel/cap.h>
#include <kernel/mem.h>
#include <string.h>
#include <toy/err.h>

static struct toy_cap *find(const struct capset *s, const toy_id *id)
{
	for (uint32_t i = 0; i < s->n; i++)
		if (toy_id_eq(&s->caps[i].id, id))
			return &s->caps[i];
	return NULL;
}

uint32_t cap_rights(const struct capset *s, const toy_id *id)
{
	const struct toy_cap *c = find(s, id);
	return c ? c->rights : 0;
}

int cap_check(const struct capset *s, const toy_id *id, uint32_t need)
{
	uint32_t have = cap_rights(s, id);
	if (!have)
		return TOY_ERR_NOTFOUND;
	return (have & need) == need ? 0 : TOY_ERR_PERM;
}

static int grow(struct capset *s)
{
	if (s->n < s->cap)
		return 0;
	if (s->cap >= CAP_MAX)
		return TOY_ERR_LIMIT;
	uint32_t cap = s->cap ? s->cap * 2 : 16;
	struct toy_cap *caps = kmalloc(cap * sizeof(*caps));
	if (!caps)
		return TOY_ERR_NOMEM;
	if (s->n)
		memcpy(caps, s->caps, s->n * sizeof(*caps));
	kfree(s->caps);
	s->caps = caps;
	s->cap = cap;
	return 0;
}

int cap_add(struct capset *s, const toy_id *id, uint32_t rights)
{
	struct toy_cap *c = find(s, id);
	if (c) {
		c->rights |= rights & TOY_RIGHTS_ALL;
		return 0;
	}
	int err = grow(s);
	if (err)
		return err;
	s->caps[s->n++] = (struct toy_cap){.id = *id, .rights = rights & TOY_RIGHTS_ALL};
	return 0;
}

int cap_drop(struct capset *s, const toy_id *id)
{
	struct toy_cap *c = find(s, id);
	if (!c)
		return TOY_ERR_NOTFOUND;
	uint32_t i = (uint32_t)(c - s->caps);
	memmove(&s->caps[i], &s->caps[i + 1], (s->n - i - 1) * sizeof(*c));
	s->n--;
	return 0;
}

int cap_load(struct capset *s, const void *bytes, uint64_t len)
{
	const struct toy_cap *in = bytes;
	if (len % sizeof(*in) || len / sizeof(*in) > CAP_MAX)
		return TOY_ERR_CORRUPT;
	for (uint64_t i = 0; i < len / sizeof(*in); i++) {
		struct toy_cap c;
		memcpy(&c, &in[i], sizeof(c));
		if (toy_id_is_nil(&c.id) || !c.rights || (c.rights & ~TOY_RIGHTS_ALL) ||
		    find(s, &c.id))
			return TOY_ERR_CORRUPT;
		int err = cap_add(s, &c.id, c.rights);
		if (err)
			return err;
	}
	return 0;
}

void cap_free(struct capset *s)
{
	kfree(s->caps);
	*s = (struct capset){0};
}
