/* super.c — the two superblocks.
 *
 * Blocks 0 and 1 hold superblocks; each write goes to the slot the previous
 * one did not use (slot = sb_seq & 1) and is flushed, so a torn write can
 * only damage the copy being replaced. Mount takes the valid one with the
 * higher sb_seq, and falls back to the other if the newer one's checkpoint
 * cannot be read. */
#include "os_internal.h"

static uint64_t super_checksum(const struct osf_super *sb)
{
	return os_hash64(sb, __builtin_offsetof(struct osf_super, checksum));
}

static bool is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

bool super_valid(const struct osf_super *sb, uint64_t dev_blocks)
{
	if (sb->magic != OSF_SUPER_MAGIC || sb->checksum != super_checksum(sb))
		return false;
	if (sb->version != OSF_VERSION || sb->block_size != OSF_BLOCK_SIZE)
		return false;
	if (!is_pow2(sb->seg_blocks) || sb->seg_blocks < 8 || sb->seg_blocks > (1u << 20))
		return false;
	if (sb->seg_start != OSF_SUPER_BLOCKS || sb->nsegs < 4 || sb->nblocks > dev_blocks)
		return false;
	uint64_t area_end = sb->seg_start + (uint64_t)sb->nsegs * sb->seg_blocks;
	if (area_end > sb->nblocks)
		return false;
	return sb->ckpt_block >= sb->seg_start && sb->ckpt_block < area_end;
}

static int read_slot(os_store *s, uint32_t slot, struct osf_super *sb, bool *valid)
{
	int rc = s->env.dev.read(s->env.dev.ctx, slot, 1, s->scratch);
	if (rc != TOY_OK)
		return rc < 0 ? rc : TOY_ERR_IO;
	memcpy(sb, s->scratch, sizeof(*sb));
	*valid = super_valid(sb, s->env.dev.nblocks);
	return TOY_OK;
}

int super_read_best(os_store *s, struct osf_super *best, struct osf_super *other, bool *have_other)
{
	struct osf_super a, b;
	bool va, vb;
	int rc = read_slot(s, 0, &a, &va);
	if (rc == TOY_OK)
		rc = read_slot(s, 1, &b, &vb);
	if (rc != TOY_OK)
		return rc;
	/* Both must describe the same store to be alternatives. */
	if (va && vb && memcmp(a.nonce, b.nonce, 16) != 0) {
		if (a.sb_seq > b.sb_seq)
			vb = false;
		else
			va = false;
	}
	if (!va && !vb)
		return TOY_ERR_CORRUPT;
	bool a_first = va && (!vb || a.sb_seq > b.sb_seq);
	*best = a_first ? a : b;
	*other = a_first ? b : a;
	*have_other = va && vb;
	return TOY_OK;
}

int super_write(os_store *s, uint64_t ckpt_block, uint64_t ckpt_seq, uint64_t ckpt_prev,
		uint64_t ckpt_gen, uint64_t epoch)
{
	struct osf_super sb = s->sb;
	sb.sb_seq++;
	sb.epoch = epoch;
	sb.ckpt_block = ckpt_block;
	sb.ckpt_seq = ckpt_seq;
	sb.ckpt_prev = ckpt_prev;
	sb.ckpt_gen = ckpt_gen;
	sb.checksum = super_checksum(&sb);
	memset(s->scratch, 0, OSF_BLOCK_SIZE);
	memcpy(s->scratch, &sb, sizeof(sb));
	int rc = s->env.dev.write(s->env.dev.ctx, sb.sb_seq & 1, 1, s->scratch);
	if (rc == TOY_OK)
		rc = s->env.dev.flush(s->env.dev.ctx);
	if (rc != TOY_OK)
		return rc < 0 ? rc : TOY_ERR_IO;
	s->sb = sb;
	return TOY_OK;
}
