/* check.c — os_check, the store's fsck.
 *
 * Verifies what mount does not: every page the index names is readable and
 * matches its XXH3-128, lies inside the log area, belongs to a page number
 * within its object's size, and no two pages share a block; the per-segment
 * live counts equal a recount; the log's reserved segments are sane; and the
 * chain of chunks from the checkpoint to the head is still intact on disk,
 * so the next mount will succeed. The first problem found is described in
 * msg. */
#include "os_internal.h"

struct checker {
	os_store *s;
	char *msg;
	size_t msglen;
	uint8_t *seen; /* one bit per block of the log area */
	uint64_t *live;
};

/* A tiny formatter: %s (string), %u (uint64_t), %i (toy_id *). */
static void say(struct checker *c, const char *fmt, ...)
{
	__builtin_va_list ap;
	__builtin_va_start(ap, fmt);
	size_t n = 0;
	char tmp[40];
	for (const char *f = fmt; *f && n + 1 < c->msglen; f++) {
		const char *piece = tmp;
		if (*f != '%' || !f[1]) {
			tmp[0] = *f;
			tmp[1] = 0;
		} else if (*++f == 's') {
			piece = __builtin_va_arg(ap, const char *);
		} else if (*f == 'i') {
			toy_id_format(__builtin_va_arg(ap, const toy_id *), tmp);
		} else {
			uint64_t v = __builtin_va_arg(ap, uint64_t);
			int len = 0;
			char rev[24];
			do {
				rev[len++] = (char)('0' + v % 10);
				v /= 10;
			} while (v);
			for (int k = 0; k < len; k++)
				tmp[k] = rev[len - 1 - k];
			tmp[len] = 0;
		}
		while (*piece && n + 1 < c->msglen)
			c->msg[n++] = *piece++;
	}
	if (c->msglen)
		c->msg[n] = 0;
	__builtin_va_end(ap);
}

static int check_page(struct checker *c, const struct os_obj *o, const struct os_page *p)
{
	os_store *s = c->s;
	uint64_t area = s->sb.seg_start + (uint64_t)s->sb.nsegs * s->sb.seg_blocks;
	if (p->page >= pages_for_size(o->size)) {
		say(c, "object %i: page %u lies beyond its size %u", &o->id, p->page, o->size);
		return TOY_ERR_CORRUPT;
	}
	if (p->block < s->sb.seg_start || p->block >= area) {
		say(c, "object %i page %u: block %u outside the log", &o->id, p->page, p->block);
		return TOY_ERR_CORRUPT;
	}
	uint64_t bit = p->block - s->sb.seg_start;
	if (c->seen[bit / 8] & (1u << (bit % 8))) {
		say(c, "object %i page %u: block %u is used twice", &o->id, p->page, p->block);
		return TOY_ERR_CORRUPT;
	}
	c->seen[bit / 8] |= (uint8_t)(1u << (bit % 8));
	c->live[seg_of(s, p->block)]++;
	int rc = store_verify_block(s, p->block, p->hash, s->scratch);
	if (rc == TOY_ERR_CORRUPT)
		say(c, "object %i page %u: block %u does not match its hash", &o->id, p->page,
		    p->block);
	else if (rc != TOY_OK)
		say(c, "object %i page %u: block %u unreadable (%s)", &o->id, p->page, p->block,
		    toy_strerror(rc));
	return rc;
}

static int check_objects(struct checker *c)
{
	os_store *s = c->s;
	for (uint64_t i = 0; i < s->objs.cap; i++) {
		const struct os_obj *o = &s->objs.slots[i];
		if (toy_id_is_nil(&o->id))
			continue;
		if (o->size > OS_MAX_SIZE) {
			say(c, "object %i: size %u too large", &o->id, o->size);
			return TOY_ERR_CORRUPT;
		}
		for (uint32_t k = 0; k < o->pages.cap; k++) {
			if (o->pages.slots[k].block == OS_NO_BLOCK)
				continue;
			int rc = check_page(c, o, &o->pages.slots[k]);
			if (rc != TOY_OK)
				return rc;
		}
	}
	return TOY_OK;
}

static int check_segments(struct checker *c)
{
	os_store *s = c->s;
	for (uint32_t i = 0; i < s->sb.nsegs; i++) {
		if (c->live[i] != s->segs[i].live) {
			say(c, "segment %u: %u live pages counted, %u recorded", (uint64_t)i,
			    c->live[i], s->segs[i].live);
			return TOY_ERR_CORRUPT;
		}
	}
	if (s->head.seg >= s->sb.nsegs ||
	    (s->head.next_seg != OSF_NO_SEG && s->head.next_seg >= s->sb.nsegs)) {
		say(c, "log head outside the segments");
		return TOY_ERR_CORRUPT;
	}
	return TOY_OK;
}

/* Walks the chunks from the checkpoint to the head, as the next mount will. */
static int check_chain(struct checker *c)
{
	os_store *s = c->s;
	uint64_t block = s->sb.ckpt_block, seq = s->sb.ckpt_seq, prev = s->sb.ckpt_prev;
	struct osf_sum sum;
	while (seq < s->head.seq) {
		int rc = log_read_chunk(s, block, seq, prev, &sum);
		uint64_t after = block + 1 + sum.ndata;
		if (rc == TOY_OK) {
			prev = log_summary_hash(s->rbuf);
			seq++;
		}
		if (rc == TOY_OK && seq < s->head.seq) {
			bool fits = after < seg_first_block(s, seg_of(s, block)) + s->sb.seg_blocks;
			struct osf_sum probe;
			if (fits && log_read_chunk(s, after, seq, prev, &probe) == TOY_OK)
				block = after;
			else if (sum.next_seg != OSF_NO_SEG)
				block = seg_first_block(s, sum.next_seg);
			else
				rc = TOY_ERR_CORRUPT;
		}
		if (rc != TOY_OK) {
			say(c, "log chunk %u at block %u is damaged (%s)", seq, block,
			    toy_strerror(rc));
			return rc;
		}
	}
	return TOY_OK;
}

int os_check(os_store *s, char *msg, size_t msglen)
{
	struct checker c = {.s = s, .msg = msg, .msglen = msglen};
	if (msglen)
		msg[0] = 0;
	if (s->txn.open) {
		say(&c, "a transaction is open");
		return TOY_ERR_BUSY;
	}
	uint64_t area = (uint64_t)s->sb.nsegs * s->sb.seg_blocks;
	c.seen = os_alloc(s, area / 8 + 1);
	c.live = os_alloc(s, s->sb.nsegs * sizeof(uint64_t));
	int rc = c.seen && c.live ? TOY_OK : TOY_ERR_NOMEM;
	if (rc == TOY_OK) {
		memset(c.seen, 0, area / 8 + 1);
		memset(c.live, 0, s->sb.nsegs * sizeof(uint64_t));
		rc = check_objects(&c);
	}
	if (rc == TOY_OK)
		rc = check_segments(&c);
	if (rc == TOY_OK)
		rc = check_chain(&c);
	if (rc == TOY_ERR_NOMEM)
		say(&c, "out of memory");
	os_free(s, c.seen);
	os_free(s, c.live);
	return rc;
}
