/* logdump.c — a debugging view of an image's log (see logdump.h). It reads
 * the format through objstore/format.h, like every tool must, and trusts
 * nothing: it only prints. */
#include "logdump.h"

#include <objstore/format.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define XXH_INLINE_ALL
#include <xxhash.h>

static bool sum_ok(const uint8_t *blk)
{
	uint8_t copy[OSF_BLOCK_SIZE];
	struct osf_sum sum;
	memcpy(copy, blk, sizeof(copy));
	memcpy(&sum, blk, sizeof(sum));
	memset(copy + __builtin_offsetof(struct osf_sum, checksum), 0, 8);
	return XXH3_64bits(copy, sizeof(copy)) == sum.checksum;
}

static void dump_recs(const struct memdev *m, uint64_t b, const struct osf_sum *sum)
{
	const uint8_t *blk = m->data + b * OSF_BLOCK_SIZE;
	for (uint32_t i = 0; i < sum->nrec && i < OSF_SUM_MAX_RECS; i++) {
		struct osf_rec r;
		const char *mark = "";
		memcpy(&r, blk + sizeof(*sum) + i * sizeof(r), sizeof(r));
		if (r.type == OSF_REC_PAGE && b + 1 + r.data < m->nblocks) {
			XXH128_hash_t h = XXH3_128bits(m->data + (b + 1 + r.data) * OSF_BLOCK_SIZE,
						       OSF_BLOCK_SIZE);
			mark = memcmp(&h.low64, r.hash, 8) == 0 ? "+" : "(bad data)";
		}
		printf(" %u:%02x%02x/%llu/%llu%s", r.type, r.id[0], r.id[1],
		       (unsigned long long)r.page, (unsigned long long)r.arg0, mark);
	}
}

void logdump(const struct memdev *m)
{
	for (uint64_t b = OSF_SUPER_BLOCKS; b < m->nblocks; b++) {
		const uint8_t *blk = m->data + b * OSF_BLOCK_SIZE;
		struct osf_sum sum;
		memcpy(&sum, blk, sizeof(sum));
		if (sum.magic != OSF_SUM_MAGIC)
			continue;
		printf("  blk %llu seq %llu nrec %u ndata %u next %d epoch %u prev %016llx "
		       "hash %016llx %s:",
		       (unsigned long long)b, (unsigned long long)sum.seq, sum.nrec, sum.ndata,
		       (int)sum.next_seg, sum.epoch, (unsigned long long)sum.prev_hash,
		       (unsigned long long)XXH3_64bits(blk, OSF_BLOCK_SIZE),
		       sum_ok(blk) ? "ok" : "BAD");
		dump_recs(m, b, &sum);
		printf("\n");
	}
	for (uint64_t b = 0; b < OSF_SUPER_BLOCKS && b < m->nblocks; b++) {
		struct osf_super sb;
		memcpy(&sb, m->data + b * OSF_BLOCK_SIZE, sizeof(sb));
		printf(
		    "  super%llu sb_seq %llu epoch %llu ckpt_block %llu ckpt_seq %llu gen %llu\n",
		    (unsigned long long)b, (unsigned long long)sb.sb_seq,
		    (unsigned long long)sb.epoch, (unsigned long long)sb.ckpt_block,
		    (unsigned long long)sb.ckpt_seq, (unsigned long long)sb.ckpt_gen);
	}
}
