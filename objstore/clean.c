/* clean.c — segment accounting, the cleaner, and when to checkpoint.
 *
 * A segment can be reused when no index entry points into it (live == 0),
 * the log is not in it (head, next_seg), and recovery will not read it: all
 * its chunks precede the checkpoint the superblock names (last_seq <
 * ckpt_seq). The cleaner follows Sprite LFS's cost-benefit policy: it
 * empties the segments where (1 - u) * age / (1 + u) is highest (u the
 * fraction still live), by rewriting their live pages at the head of the
 * log in one transaction. Segments it empties inside the replay tail become
 * free at the next checkpoint, which it then writes. */
#include "os_internal.h"

#define CLEAN_MAX_VICTIMS 16

uint32_t seg_of(const os_store *s, uint64_t block)
{
	return (uint32_t)((block - s->sb.seg_start) / s->sb.seg_blocks);
}

uint64_t seg_first_block(const os_store *s, uint32_t seg)
{
	return s->sb.seg_start + (uint64_t)seg * s->sb.seg_blocks;
}

static bool seg_in_tail(const os_store *s, uint32_t seg)
{
	return s->segs[seg].last_seq >= s->sb.ckpt_seq;
}

bool seg_is_free(const os_store *s, uint32_t seg)
{
	return s->segs[seg].live == 0 && !seg_in_tail(s, seg) && seg != s->head.seg &&
	       seg != s->head.next_seg;
}

uint32_t seg_count_free(const os_store *s)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < s->sb.nsegs; i++)
		n += seg_is_free(s, i);
	return n;
}

uint32_t seg_pick_free(const os_store *s)
{
	/* Going round the disk in order keeps the log sequential. */
	for (uint32_t k = 1; k <= s->sb.nsegs; k++) {
		uint32_t seg = (uint32_t)((s->head.seg + (uint64_t)k) % s->sb.nsegs);
		if (seg_is_free(s, seg))
			return seg;
	}
	return OSF_NO_SEG;
}

static uint32_t ckpt_reserve(const os_store *s);

uint32_t seg_reserve_needed(const os_store *s)
{
	/* Users leave room for a checkpoint and one segment to clean into. */
	return 1 + ckpt_reserve(s);
}

/* --- the cleaner ---------------------------------------------------------------- */

struct victims {
	uint32_t seg[CLEAN_MAX_VICTIMS];
	uint32_t n;
	uint64_t live;
};

static uint64_t seg_score(const os_store *s, uint32_t seg)
{
	uint64_t live = s->segs[seg].live, cap = s->sb.seg_blocks;
	uint64_t age = s->head.seq - s->segs[seg].last_seq;
	return (cap - live) * (age + 1) * 1024 / (cap + live);
}

static bool seg_cleanable(const os_store *s, uint32_t seg)
{
	return s->segs[seg].live > 0 && s->segs[seg].live < s->sb.seg_blocks &&
	       seg != s->head.seg && seg != s->head.next_seg;
}

/* Moving v->live pages costs that much log space, plus summaries; cleaning
 * pays only if the victims free at least half a segment more than that.
 * Drop the fullest victims until it does (maybe all: then nothing to do). */
/* Data blocks a segment takes at least (each chunk needs a summary). */
static uint64_t seg_usable(const os_store *s)
{
	return s->sb.seg_blocks -
	       (s->sb.seg_blocks + OSF_CHUNK_MAX_DATA) / (OSF_CHUNK_MAX_DATA + 1);
}

static void drop_unprofitable(const os_store *s, struct victims *v)
{
	uint64_t usable = seg_usable(s);
	while (v->n > 0 && v->n * usable < v->live + usable / 2) {
		uint32_t full = 0;
		for (uint32_t k = 1; k < v->n; k++)
			if (s->segs[v->seg[k]].live > s->segs[v->seg[full]].live)
				full = k;
		v->live -= s->segs[v->seg[full]].live;
		v->seg[full] = v->seg[--v->n];
	}
}

/* Segments a checkpoint needs (twice the last one's size, and one for the
 * chunk boundaries): the cleaner never moves pages into them, so the
 * checkpoint that frees what it emptied can always be written. */
static uint32_t ckpt_reserve(const os_store *s)
{
	return 1 + (uint32_t)((2 * s->ckpt_blocks_est + s->sb.seg_blocks - 1) / s->sb.seg_blocks);
}

/* How many pages the cleaner may move: all the room the log has left (free
 * segments, next_seg, the rest of the head) less what the checkpoint after
 * the move needs. Moving one page out of an almost empty segment frees it,
 * so even a nearly full log can clean its way back. */
static uint64_t clean_budget(const os_store *s)
{
	uint64_t room = (uint64_t)seg_count_free(s) * seg_usable(s);
	if (s->head.next_seg != OSF_NO_SEG)
		room += seg_usable(s);
	uint64_t seg_end = seg_first_block(s, s->head.seg) + s->sb.seg_blocks;
	if (s->head.block + 1 < seg_end)
		room += seg_end - s->head.block - 1;
	uint64_t need = 2 * s->ckpt_blocks_est + 4; /* and a commit, and summaries */
	return room > need ? room - need : 0;
}

static void pick_victims(const os_store *s, struct victims *v)
{
	uint64_t budget = clean_budget(s);
	v->n = 0;
	v->live = 0;
	while (v->n < CLEAN_MAX_VICTIMS) {
		uint32_t best = OSF_NO_SEG;
		for (uint32_t i = 0; i < s->sb.nsegs; i++) {
			bool taken = false;
			for (uint32_t k = 0; k < v->n; k++)
				taken |= v->seg[k] == i;
			if (!taken && seg_cleanable(s, i) &&
			    (best == OSF_NO_SEG || seg_score(s, i) > seg_score(s, best)))
				best = i;
		}
		if (best == OSF_NO_SEG || v->live + s->segs[best].live > budget)
			break;
		v->live += s->segs[best].live;
		v->seg[v->n++] = best;
	}
	drop_unprofitable(s, v);
}

static bool is_victim(const os_store *s, const struct victims *v, uint64_t block)
{
	uint32_t seg = seg_of(s, block);
	for (uint32_t k = 0; k < v->n; k++)
		if (v->seg[k] == seg)
			return true;
	return false;
}

static int move_object(os_store *s, struct os_obj *o, const struct victims *v, uint64_t *moved)
{
	for (uint32_t i = 0; i < o->pages.cap; i++) {
		struct os_page *p = &o->pages.slots[i];
		if (p->block == OS_NO_BLOCK || !is_victim(s, v, p->block))
			continue;
		int rc = store_read_block(s, p->block, p->hash, s->scratch);
		if (rc == TOY_OK)
			rc = store_put_page(s, o, p->page, s->scratch);
		if (rc != TOY_OK)
			return rc;
		(*moved)++;
	}
	return TOY_OK;
}

static int move_victims(os_store *s, const struct victims *v, uint64_t *moved)
{
	int rc = txn_begin(s);
	for (uint64_t i = 0; i < s->objs.cap && rc == TOY_OK; i++)
		if (!toy_id_is_nil(&s->objs.slots[i].id))
			rc = move_object(s, &s->objs.slots[i], v, moved);
	if (rc != TOY_OK) {
		os_abort(s);
		return rc;
	}
	return store_commit(s, LOG_SYSTEM, NULL);
}

static bool tail_holds_empty_segments(const os_store *s)
{
	for (uint32_t i = 0; i < s->sb.nsegs; i++)
		if (s->segs[i].live == 0 && seg_in_tail(s, i) && i != s->head.seg &&
		    i != s->head.next_seg)
			return true;
	return false;
}

static int clean(os_store *s, struct os_clean_stats *stats)
{
	struct os_clean_stats st = {0};
	uint32_t free_before = seg_count_free(s);
	int rc = TOY_OK;
	/* Empty segments in the replay tail cost only a checkpoint to free. */
	if (tail_holds_empty_segments(s))
		rc = ckpt_write(s);
	struct victims v = {.n = 0};
	if (rc == TOY_OK)
		pick_victims(s, &v);
	if (rc == TOY_OK && v.n > 0)
		rc = move_victims(s, &v, &st.pages_moved);
	if (rc == TOY_OK && tail_holds_empty_segments(s))
		rc = ckpt_write(s);
	uint32_t free_after = seg_count_free(s);
	st.segs_cleaned = free_after > free_before ? free_after - free_before : 0;
	if (stats)
		*stats = st;
	if (rc == TOY_ERR_IO)
		s->failed = TOY_ERR_IO;
	return rc;
}

static int check_idle(os_store *s)
{
	if (s->rdonly)
		return TOY_ERR_PERM;
	if (s->failed)
		return TOY_ERR_FAILED;
	return s->txn.open ? TOY_ERR_BUSY : TOY_OK;
}

int os_clean(os_store *s, struct os_clean_stats *stats)
{
	int rc = check_idle(s);
	return rc != TOY_OK ? rc : clean(s, stats);
}

int os_checkpoint(os_store *s)
{
	int rc = check_idle(s);
	if (rc == TOY_OK)
		rc = ckpt_write(s);
	if (rc == TOY_ERR_IO)
		s->failed = TOY_ERR_IO;
	return rc;
}

/* A checkpoint costs a write of the whole index and two flushes; the log
 * after it costs replay time at mount and pins its segments. Write one when
 * the tail is 16 times the index (the checkpoints then cost at most ~6% of
 * the log) but at least 64 segments, and no later than a quarter of the disk
 * (the tail's segments cannot be reused before). */
static uint64_t ckpt_interval(const os_store *s)
{
	uint64_t every = 64 * (uint64_t)s->sb.seg_blocks;
	if (every < 16 * s->ckpt_blocks_est)
		every = 16 * s->ckpt_blocks_est;
	uint64_t quarter = (uint64_t)s->sb.nsegs * s->sb.seg_blocks / 4;
	return every < quarter ? every : quarter;
}

void store_maintain(os_store *s)
{
	uint64_t ckpt_every = ckpt_interval(s);
	if (s->blocks_since_ckpt >= ckpt_every && ckpt_write(s) == TOY_ERR_IO)
		s->failed = TOY_ERR_IO;
	/* Free space shrinks only when the log moves to another segment, so
	 * counting it (a walk over all segments) is needed only then. */
	if (s->failed || s->head.seg == s->maintained_seg)
		return;
	s->maintained_seg = s->head.seg;
	if (seg_count_free(s) < seg_reserve_needed(s) + 2)
		clean(s, NULL);
}

void os_info(os_store *s, struct os_info *info)
{
	memset(info, 0, sizeof(*info));
	info->generation = s->generation;
	info->ckpt_generation = s->sb.ckpt_gen;
	info->epoch = s->sb.epoch;
	info->nobjects = s->objs.count;
	info->seg_blocks = s->sb.seg_blocks;
	info->nsegs = s->sb.nsegs;
	info->free_segs = seg_count_free(s);
	for (uint32_t i = 0; i < s->sb.nsegs; i++)
		info->live_blocks += s->segs[i].live;
	info->log_blocks = s->log_blocks;
	info->total_blocks = s->sb.nblocks;
}
