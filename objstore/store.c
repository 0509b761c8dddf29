/* store.c — the public calls that read and change objects.
 *
 * Each change is checked first (transaction open, store healthy, object
 * present, ranges sane) and only then performed: append the record to the
 * log, then apply it through txn.c. A resource failure half way through a
 * change (memory, device, space) poisons the transaction, which can then
 * only be aborted, because a multi-page write may have been partly applied.
 * Reads verify every page read from the device against the XXH3-128 kept in
 * the index. */
#include "os_internal.h"

uint64_t pages_for_size(uint64_t size)
{
	return (size + OS_PAGE_SIZE - 1) / OS_PAGE_SIZE;
}

static int check_writable(os_store *s)
{
	if (s->rdonly)
		return TOY_ERR_PERM;
	if (s->failed)
		return TOY_ERR_FAILED;
	if (!s->txn.open)
		return TOY_ERR_BUSY;
	return s->txn.error;
}

static int poison(os_store *s, int rc)
{
	if (rc == TOY_ERR_IO)
		s->failed = TOY_ERR_IO;
	if (rc != TOY_OK && s->txn.open && !s->txn.error)
		s->txn.error = rc;
	return rc;
}

static int find_obj(os_store *s, const toy_id *id, struct os_obj **out)
{
	if (!id || toy_id_is_nil(id))
		return TOY_ERR_INVAL;
	*out = idx_find(&s->objs, id);
	return *out ? TOY_OK : TOY_ERR_NOTFOUND;
}

/* May a change to object id start? Finds the object if so. */
static int prepare_change(os_store *s, const toy_id *id, struct os_obj **out)
{
	int rc = check_writable(s);
	return rc != TOY_OK ? rc : find_obj(s, id, out);
}

int store_verify_block(os_store *s, uint64_t block, const uint8_t hash[16], void *out)
{
	const uint8_t *mem = log_chunk_data(s, block);
	if (mem) {
		memcpy(out, mem, OSF_BLOCK_SIZE);
		return TOY_OK;
	}
	int rc = s->env.dev.read(s->env.dev.ctx, block, 1, out);
	if (rc != TOY_OK)
		return rc < 0 ? rc : TOY_ERR_IO;
	uint8_t h[16];
	os_hash128(s, out, OSF_BLOCK_SIZE, h);
	return memcmp(h, hash, 16) == 0 ? TOY_OK : TOY_ERR_CORRUPT;
}

int store_read_block(os_store *s, uint64_t block, const uint8_t hash[16], void *out)
{
	/* The open chunk first: the cache may still hold what its blocks held
	 * before the log came round to them (they are forgotten on write). */
	if (log_chunk_data(s, block))
		return store_verify_block(s, block, hash, out);
	if (cache_get(s, block, out))
		return TOY_OK;
	int rc = store_verify_block(s, block, hash, out);
	if (rc == TOY_OK)
		cache_put(s, block, out);
	return rc;
}

/* Current contents of one page (zeros for a hole) into out. */
static int read_page(os_store *s, const struct os_obj *o, uint64_t page, void *out)
{
	const struct os_page *p = pmap_find(&o->pages, page);
	if (!p) {
		memset(out, 0, OS_PAGE_SIZE);
		return TOY_OK;
	}
	return store_read_block(s, p->block, p->hash, out);
}

_Static_assert(2 * OS_READ_GAPS + 1 <= OS_READV_MAX_IOV &&
		   OS_READ_RUN + OS_READ_GAPS <= OS_READV_MAX_BLOCKS,
	       "a run must fit one vectored read");

/* A run of pages read with one vectored device read: iov[0..n] covers the
 * blocks from the first page's on, a gap (one block no page of the run
 * lives in) as the scratch block. */
struct run {
	struct os_iov iov[2 * OS_READ_GAPS + 1];
	unsigned n;                    /* iov[n] is the open one: the pages' own blocks */
	uint64_t block;                /* where iov[0] starts */
	uint64_t next;                 /* the block that would extend the open buffer */
	uint64_t page;                 /* the run is pages [page, page + npages) */
	uint64_t npages;               /* 0: nothing (left) to check */
	bool reading;                  /* the device is reading it (readv_start) */
	uint8_t hash[OS_READ_RUN][16]; /* the pages' own, copied while planning */
};

/* Extends the run by page p, if its block comes next on the device or
 * after a single block the run can skip. */
static bool run_extend(os_store *s, struct run *r, const struct os_page *p)
{
	uint64_t b = p->block;
	if (b == r->next) {
		r->iov[r->n].blocks++;
	} else if (b == r->next + 1 && r->n + 2 < 2 * OS_READ_GAPS + 1) {
		uint8_t *at =
		    (uint8_t *)r->iov[r->n].buf + (size_t)r->iov[r->n].blocks * OS_PAGE_SIZE;
		r->iov[++r->n] = (struct os_iov){s->scratch, 1};
		r->iov[++r->n] = (struct os_iov){at, 1};
	} else {
		return false;
	}
	r->next = b + 1;
	memcpy(r->hash[r->npages++], p->hash, 16);
	return true;
}

/* The run from page on into out: the pages after it (at most max in all,
 * at most OS_READ_RUN) whose blocks follow on the device, with at most
 * OS_READ_GAPS single blocks between. Blocks the log still holds in
 * memory, and holes, end a run; a page that cannot start one is a run of
 * one (npages 1, read alone). */
static void run_plan(os_store *s, const struct os_obj *o, uint64_t page, uint64_t max, uint8_t *out,
		     struct run *r)
{
	const struct os_page *first = pmap_find(&o->pages, page);
	r->iov[0] = (struct os_iov){out, 1};
	r->n = 0;
	r->page = page;
	r->npages = 1;
	r->reading = false;
	if (!first || log_chunk_data(s, first->block))
		return;
	r->block = first->block;
	r->next = first->block + 1;
	memcpy(r->hash[0], first->hash, 16);
	while (r->npages < max && r->npages < OS_READ_RUN) {
		const struct os_page *p = pmap_find(&o->pages, page + r->npages);
		if (!p || log_chunk_data(s, p->block) || !run_extend(s, r, p))
			break;
	}
}

/* A device call's answer as the store's error: a positive one is I/O. */
static int dev_rc(int rc)
{
	return rc < 0 ? rc : rc ? TOY_ERR_IO : TOY_OK;
}

/* Starts r's device read: in the background where the device can, else
 * done by the time this returns. */
static int run_start(os_store *s, struct run *r)
{
	const struct os_dev *d = &s->env.dev;
	int rc = TOY_OK;
	if (d->readv_start) {
		rc = d->readv_start(d->ctx, r->block, r->iov, r->n + 1);
		r->reading = rc == TOY_OK;
	} else {
		uint64_t block = r->block;
		for (unsigned i = 0; i <= r->n && rc == TOY_OK; block += r->iov[i++].blocks)
			rc = d->read(d->ctx, block, r->iov[i].blocks, r->iov[i].buf);
	}
	return dev_rc(rc);
}

static int run_wait(os_store *s, struct run *r)
{
	if (!r->reading)
		return TOY_OK;
	r->reading = false;
	return dev_rc(s->env.dev.read_wait(s->env.dev.ctx));
}

/* Checks each page of a run that has been read against its hash. */
static int run_check(const os_store *s, const struct run *r)
{
	const uint8_t *data = r->iov[0].buf;
	for (uint64_t i = 0; i < r->npages; i++) {
		uint8_t h[16];
		os_hash128(s, data + i * OS_PAGE_SIZE, OS_PAGE_SIZE, h);
		if (memcmp(h, r->hash[i], 16) != 0)
			return TOY_ERR_CORRUPT;
	}
	return TOY_OK;
}

/* Whole pages [page, page + n) into out, run by run, each with one device
 * read, the read of one run going on while the run before it is checked.
 * One read at most is ever outstanding, and none when this returns. */
static int read_pages(os_store *s, const struct os_obj *o, uint64_t page, uint64_t n, uint8_t *out)
{
	struct run runs[2], *prev = &runs[0], *cur = &runs[1];
	int rc = TOY_OK;
	prev->npages = 0;
	prev->reading = false;
	for (uint64_t done = 0; done < n && rc == TOY_OK;) {
		run_plan(s, o, page + done, n - done, out + done * OS_PAGE_SIZE, cur);
		uint64_t npages = cur->npages;
		rc = run_wait(s, prev);
		if (rc == TOY_OK && npages == 1) {
			rc = read_page(s, o, cur->page, out + done * OS_PAGE_SIZE);
			cur->npages = 0; /* checked */
		} else if (rc == TOY_OK) {
			rc = run_start(s, cur);
		}
		if (rc == TOY_OK)
			rc = run_check(s, prev);
		if (rc != TOY_OK)
			run_wait(s, cur);
		struct run *checked = prev;
		prev = cur;
		cur = checked;
		done += npages;
	}
	if (rc == TOY_OK)
		rc = run_wait(s, prev);
	return rc == TOY_OK ? run_check(s, prev) : rc;
}

static int grow_size(os_store *s, struct os_obj *o, uint64_t size)
{
	if (size <= o->size)
		return TOY_OK;
	return txn_set_meta(s, o, size, o->kind, o->flags);
}

/* Stores a whole page and leaves the object's size at max(size, size_after). */
static int put_page(os_store *s, struct os_obj *o, uint64_t page, const uint8_t *data,
		    uint64_t size_after, enum os_log_user who)
{
	uint8_t hash[16];
	os_hash128(s, data, OS_PAGE_SIZE, hash);
	uint64_t size = size_after > o->size ? size_after : o->size;
	struct os_page *p = pmap_find(&o->pages, page);
	/* Room for the undo of the page and of the size first: the record
	 * below must not reach the log unless the index can follow it. */
	int rc = txn_reserve_undo(s, 2);
	if (rc == TOY_OK && !p)
		rc = pmap_reserve(s, &o->pages, 1);
	if (rc != TOY_OK)
		return rc;
	if (p && log_rewrite_page(s, p->block, data, hash, size)) {
		memcpy(p->hash, hash, 16);
		return grow_size(s, o, size);
	}
	if (who == LOG_USER)
		s->txn.adds_data = true;
	struct osf_rec rec = {
	    .type = OSF_REC_PAGE, .len = OS_PAGE_SIZE, .page = page, .arg0 = size};
	memcpy(rec.id, o->id.b, 16);
	memcpy(rec.hash, hash, 16);
	uint64_t block;
	rc = log_append(s, &rec, data, who, &block);
	if (rc == TOY_OK)
		rc = txn_put_page(s, o, page, block, hash);
	if (rc == TOY_OK)
		rc = grow_size(s, o, size);
	return rc;
}

static int append_meta(os_store *s, const struct os_obj *o, uint64_t size, uint32_t kind,
		       uint32_t flags)
{
	struct osf_rec rec = {
	    .type = OSF_REC_META, .arg0 = size, .arg1 = kind | (uint64_t)flags << 32};
	memcpy(rec.id, o->id.b, 16);
	return log_append(s, &rec, NULL, LOG_USER, NULL);
}

/* Logs and applies a new size and flags (a META record). */
static int change_meta(os_store *s, struct os_obj *o, uint64_t size, uint32_t flags)
{
	int rc = txn_reserve_undo(s, 1 + (size < o->size ? o->pages.count : 0));
	if (rc == TOY_OK)
		rc = append_meta(s, o, size, o->kind, flags);
	if (rc == TOY_OK)
		rc = txn_set_meta(s, o, size, o->kind, flags);
	return rc;
}

int os_begin(os_store *s)
{
	if (s->rdonly)
		return TOY_ERR_PERM;
	if (s->failed)
		return TOY_ERR_FAILED;
	if (s->txn.open)
		return TOY_ERR_BUSY;
	return txn_begin(s);
}

int os_create(os_store *s, toy_id *id, uint32_t kind)
{
	int rc = check_writable(s);
	if (rc != TOY_OK)
		return rc;
	if (!id)
		return TOY_ERR_INVAL;
	toy_id want = *id;
	if (toy_id_is_nil(&want)) {
		if (!s->env.random)
			return TOY_ERR_NOTSUP;
		rc = s->env.random(s->env.mem_ctx, want.b, 16);
		if (rc != TOY_OK)
			return rc;
		toy_id_from_random(&want);
	}
	if (idx_find(&s->objs, &want))
		return TOY_ERR_EXISTS;
	struct os_obj probe = {.id = want};
	s->txn.adds_data = true;
	rc = txn_reserve_undo(s, 2);
	if (rc == TOY_OK)
		rc = idx_reserve(s, &s->objs, 1);
	if (rc == TOY_OK)
		rc = append_meta(s, &probe, 0, kind, 0);
	struct os_obj *o;
	if (rc == TOY_OK)
		rc = txn_create(s, &want, kind, 0, &o);
	if (rc == TOY_OK)
		*id = want;
	return poison(s, rc);
}

int os_write(os_store *s, const toy_id *id, uint64_t off, const void *buf, size_t len)
{
	struct os_obj *o;
	int rc = prepare_change(s, id, &o);
	if (rc != TOY_OK)
		return rc;
	if (off > OS_MAX_SIZE || len > OS_MAX_SIZE - off)
		return TOY_ERR_RANGE;
	const uint8_t *src = buf;
	while (len > 0 && rc == TOY_OK) {
		uint64_t page = off / OS_PAGE_SIZE;
		uint32_t in = (uint32_t)(off % OS_PAGE_SIZE);
		uint32_t n = OS_PAGE_SIZE - in < len ? OS_PAGE_SIZE - in : (uint32_t)len;
		const uint8_t *data = src;
		if (n != OS_PAGE_SIZE) {
			rc = read_page(s, o, page, s->scratch);
			memcpy(s->scratch + in, src, n);
			data = s->scratch;
		}
		if (rc == TOY_OK)
			rc = put_page(s, o, page, data, off + n, LOG_USER);
		off += n;
		src += n;
		len -= n;
	}
	return poison(s, rc);
}

int os_set_size(os_store *s, const toy_id *id, uint64_t size)
{
	struct os_obj *o;
	int rc = prepare_change(s, id, &o);
	if (rc != TOY_OK)
		return rc;
	if (size > OS_MAX_SIZE)
		return TOY_ERR_RANGE;
	/* The kept part of a cut page must read as zeros beyond the end. */
	uint64_t cut_page = size / OS_PAGE_SIZE;
	bool cut = size < o->size && size % OS_PAGE_SIZE && pmap_find(&o->pages, cut_page);
	if (cut)
		rc = read_page(s, o, cut_page, s->scratch);
	if (rc == TOY_OK)
		rc = change_meta(s, o, size, o->flags);
	if (rc == TOY_OK && cut) {
		memset(s->scratch + size % OS_PAGE_SIZE, 0, OS_PAGE_SIZE - size % OS_PAGE_SIZE);
		rc = put_page(s, o, cut_page, s->scratch, size, LOG_USER);
	}
	return poison(s, rc);
}

int os_set_flags(os_store *s, const toy_id *id, uint32_t flags)
{
	struct os_obj *o;
	int rc = prepare_change(s, id, &o);
	if (rc != TOY_OK)
		return rc;
	return poison(s, change_meta(s, o, o->size, flags));
}

int os_delete(os_store *s, const toy_id *id)
{
	struct os_obj *o;
	int rc = prepare_change(s, id, &o);
	if (rc != TOY_OK)
		return rc;
	rc = txn_reserve_undo(s, 1);
	struct osf_rec rec = {.type = OSF_REC_DELETE};
	memcpy(rec.id, o->id.b, 16);
	/* Deleting frees space: it may use the reserve, or a full store could
	 * never be emptied. */
	if (rc == TOY_OK)
		rc = log_append(s, &rec, NULL, LOG_SYSTEM, NULL);
	if (rc == TOY_OK)
		rc = txn_delete(s, o);
	return poison(s, rc);
}

/* --- commit and abort -------------------------------------------------------- */

/* Ends a transaction that could not commit. A device error leaves the disk
 * in an unknown state and latches; running out of space does not: the
 * transaction is undone in memory, and if some of its chunks are already in
 * the log, the next record written is an ABORT that closes them. */
static int commit_failed(os_store *s, int rc)
{
	log_discard_chunk(s);
	if (rc == TOY_ERR_NOSPC) {
		s->abort_pending |= s->txn.wrote_chunk;
	} else {
		s->failed = TOY_ERR_IO;
		rc = TOY_ERR_FAILED;
	}
	txn_rollback(s);
	return rc;
}

int store_commit(os_store *s, enum os_log_user who, uint64_t *generation)
{
	struct osf_rec rec = {.type = OSF_REC_COMMIT, .arg0 = s->generation + 1};
	/* A user's commit record obeys the reserve like its data: else each
	 * commit could carry the log one segment further into it. */
	int rc = log_append(s, &rec, NULL, who, NULL);
	if (rc == TOY_OK)
		rc = log_write_chunk(s);
	if (rc == TOY_OK)
		rc = s->env.dev.flush(s->env.dev.ctx);
	if (rc != TOY_OK)
		return commit_failed(s, rc);
	txn_finish(s);
	s->generation++;
	if (generation)
		*generation = s->generation;
	return TOY_OK;
}

int os_commit(os_store *s, uint64_t *generation)
{
	if (!s->txn.open)
		return TOY_ERR_BUSY;
	int rc = s->failed ? TOY_ERR_FAILED : s->txn.error;
	if (rc != TOY_OK) {
		os_abort(s);
		return rc;
	}
	rc = store_commit(s, s->txn.adds_data ? LOG_USER : LOG_SYSTEM, generation);
	if (rc == TOY_OK)
		store_maintain(s);
	return rc;
}

void os_abort(os_store *s)
{
	if (!s->txn.open)
		return;
	log_discard_chunk(s);
	if (s->txn.wrote_chunk && !s->failed) {
		/* Its first chunks are in the log: close the group explicitly so
		 * replay never joins them to the next transaction. */
		struct osf_rec rec = {.type = OSF_REC_ABORT};
		int rc = log_append(s, &rec, NULL, LOG_SYSTEM, NULL);
		if (rc == TOY_OK)
			rc = log_write_chunk(s);
		if (rc == TOY_ERR_NOSPC)
			s->abort_pending = true; /* written before the next record */
		else if (rc != TOY_OK)
			s->failed = TOY_ERR_IO;
		if (rc != TOY_OK)
			log_discard_chunk(s);
	}
	txn_rollback(s);
}

/* --- reading ------------------------------------------------------------------ */

int64_t os_read(os_store *s, const toy_id *id, uint64_t off, void *buf, size_t len)
{
	struct os_obj *o;
	int rc = find_obj(s, id, &o);
	if (rc != TOY_OK)
		return rc;
	if (off >= o->size)
		return 0;
	uint64_t total = o->size - off < len ? o->size - off : len;
	if (total > INT64_MAX)
		total = INT64_MAX;
	uint8_t *dst = buf;
	for (uint64_t done = 0; done < total;) {
		uint64_t page = (off + done) / OS_PAGE_SIZE;
		uint32_t in = (uint32_t)((off + done) % OS_PAGE_SIZE);
		uint64_t n = OS_PAGE_SIZE - in < total - done ? OS_PAGE_SIZE - in : total - done;
		if (n == OS_PAGE_SIZE) {
			uint64_t pages = (total - done) / OS_PAGE_SIZE;
			rc = read_pages(s, o, page, pages, dst + done);
			n = pages * OS_PAGE_SIZE;
		} else {
			rc = read_page(s, o, page, s->scratch);
			memcpy(dst + done, s->scratch + in, n);
		}
		if (rc != TOY_OK)
			return rc;
		done += n;
	}
	return (int64_t)total;
}

static void fill_stat(const struct os_obj *o, struct os_stat *st)
{
	st->kind = o->kind;
	st->flags = o->flags;
	st->size = o->size;
	st->npages = o->pages.count;
}

int os_stat(os_store *s, const toy_id *id, struct os_stat *st)
{
	struct os_obj *o;
	int rc = find_obj(s, id, &o);
	if (rc == TOY_OK)
		fill_stat(o, st);
	return rc;
}

int os_iterate(os_store *s, os_iter_fn fn, void *arg)
{
	for (uint64_t i = 0; i < s->objs.cap; i++) {
		const struct os_obj *o = &s->objs.slots[i];
		if (toy_id_is_nil(&o->id))
			continue;
		struct os_stat st;
		fill_stat(o, &st);
		int rc = fn(arg, &o->id, &st);
		if (rc != 0)
			return rc;
	}
	return TOY_OK;
}

int os_page_hash(os_store *s, const toy_id *id, uint64_t page, uint8_t hash[16])
{
	struct os_obj *o;
	int rc = find_obj(s, id, &o);
	if (rc != TOY_OK)
		return rc;
	const struct os_page *p = pmap_find(&o->pages, page);
	if (!p)
		return TOY_ERR_NOTFOUND;
	memcpy(hash, p->hash, 16);
	return TOY_OK;
}

int store_put_page(os_store *s, struct os_obj *o, uint64_t page, const uint8_t *data)
{
	return put_page(s, o, page, data, o->size, LOG_SYSTEM);
}
