/* toy/xxh3_page_avx2.h — XXH3-128 of one 4 KiB page with AVX2, bit for bit
 * XXH3_128bits(page, 4096), for the files built with -mavx2 that give
 * arch_fast_hash128 (arch/x86_64, arch/host on x86_64). Include after
 * <toy/xxh3.h> with XXH_VECTOR set to XXH_AVX2.
 *
 * XXH3 adds each 64-byte stripe of a 1 KiB block into eight 64-bit
 * accumulators and scrambles them after the block. The adds commute, and
 * a block's sum does not depend on the accumulators, so two blocks are
 * summed in one pass: each stripe's secret is loaded once for both. Each
 * stripe's data lanes also go to the neighbouring accumulator (lane i to
 * i^1); that swap is linear, so it is done once per block on the sum of
 * the data instead of once per stripe, and the high half of each lane is
 * taken with a shift rather than a shuffle. Under QEMU's TCG, which runs
 * shuffles and multiplies as helper calls and each 32-byte load as four,
 * this is about a third faster than xxHash's own AVX2 loop; on hardware
 * it is no slower. */
#ifndef TOY_XXH3_PAGE_AVX2_H
#define TOY_XXH3_PAGE_AVX2_H

#ifndef __AVX2__
#error "toy/xxh3_page_avx2.h needs -mavx2"
#endif

#include <immintrin.h>
#include <stdint.h>
#include <string.h>

#define XXH3_PAGE       4096u
#define XXH3_STRIPE     64u
#define XXH3_BLOCK_RUNS 16u /* stripes in a block (the default secret's) */
#define XXH3_BLOCK      (XXH3_STRIPE * XXH3_BLOCK_RUNS)
_Static_assert((sizeof(XXH3_kSecret) - XXH3_STRIPE) / XXH_SECRET_CONSUME_RATE == XXH3_BLOCK_RUNS,
	       "a block is as many stripes as the secret has room for");

/* What the stripes of one block add up to, in halves: the products, and
 * the data (to be swapped). */
struct xxh3_block_sum {
	__m256i prod[2], data[2];
};

static inline void xxh3_add_stripe(struct xxh3_block_sum *sum, const uint8_t *in,
				   const __m256i key[2])
{
	for (int h = 0; h < 2; h++) {
		__m256i v = _mm256_loadu_si256((const __m256i *)in + h);
		__m256i x = _mm256_xor_si256(v, key[h]);
		sum->prod[h] =
		    _mm256_add_epi64(sum->prod[h], _mm256_mul_epu32(x, _mm256_srli_epi64(x, 32)));
		sum->data[h] = _mm256_add_epi64(sum->data[h], v);
	}
}

static inline void xxh3_add_block_sum(__m256i acc[2], const struct xxh3_block_sum *sum)
{
	for (int h = 0; h < 2; h++) {
		__m256i swapped = _mm256_shuffle_epi32(sum->data[h], _MM_SHUFFLE(1, 0, 3, 2));
		acc[h] = _mm256_add_epi64(acc[h], _mm256_add_epi64(sum->prod[h], swapped));
	}
}

/* Blocks a (whole) and b (its first nb stripes) into acc, a's scrambled
 * before b's goes in; b's too if it is whole. */
static inline void xxh3_two_blocks(__m256i acc[2], const uint8_t *a, const uint8_t *b, unsigned nb)
{
	const uint8_t *scramble_key = XXH3_kSecret + sizeof(XXH3_kSecret) - XXH3_STRIPE;
	struct xxh3_block_sum sa, sb;
	memset(&sa, 0, sizeof(sa));
	memset(&sb, 0, sizeof(sb));
	for (unsigned s = 0; s < XXH3_BLOCK_RUNS; s++) {
		const __m256i *k = (const __m256i *)(XXH3_kSecret + s * XXH_SECRET_CONSUME_RATE);
		const __m256i key[2] = {_mm256_loadu_si256(k), _mm256_loadu_si256(k + 1)};
		xxh3_add_stripe(&sa, a + s * XXH3_STRIPE, key);
		if (s < nb)
			xxh3_add_stripe(&sb, b + s * XXH3_STRIPE, key);
	}
	xxh3_add_block_sum(acc, &sa);
	XXH3_scrambleAcc_avx2(acc, scramble_key);
	xxh3_add_block_sum(acc, &sb);
	if (nb == XXH3_BLOCK_RUNS)
		XXH3_scrambleAcc_avx2(acc, scramble_key);
}

/* XXH3_128bits(page, XXH3_PAGE) into out, low half first. */
static inline void xxh3_page_avx2(const void *page, uint8_t out[16])
{
	const uint8_t *in = page;
	XXH_ALIGN(32) uint64_t acc[XXH_ACC_NB] = XXH3_INIT_ACC;
	/* 4095 bytes are four blocks less a stripe: the last one is XXH3's "last
	 * stripe", with a secret of its own. */
	xxh3_two_blocks((__m256i *)acc, in, in + XXH3_BLOCK, XXH3_BLOCK_RUNS);
	xxh3_two_blocks((__m256i *)acc, in + 2 * XXH3_BLOCK, in + 3 * XXH3_BLOCK,
			XXH3_BLOCK_RUNS - 1);
	XXH3_accumulate_512_avx2(acc, in + XXH3_PAGE - XXH3_STRIPE,
				 XXH3_kSecret + sizeof(XXH3_kSecret) - XXH3_STRIPE -
				     XXH_SECRET_LASTACC_START);
	uint64_t lo = XXH3_mergeAccs(acc, XXH3_kSecret + XXH_SECRET_MERGEACCS_START,
				     (uint64_t)XXH3_PAGE * XXH_PRIME64_1);
	uint64_t hi = XXH3_mergeAccs(
	    acc, XXH3_kSecret + sizeof(XXH3_kSecret) - sizeof(acc) - XXH_SECRET_MERGEACCS_START,
	    ~((uint64_t)XXH3_PAGE * XXH_PRIME64_2));
	memcpy(out, &lo, 8);
	memcpy(out + 8, &hi, 8);
}

#endif
