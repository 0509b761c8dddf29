/* toy/xxh3_page.h — XXH3-128 of one 4 KiB page, bit for bit
 * XXH3_128bits(page, 4096), with AVX2 (files built with -mavx2) or NEON:
 * what arch_fast_hash128 gives the store for pages (arch/x86_64,
 * arch/aarch64, arch/host on x86_64). Include after <toy/xxh3.h> with
 * XXH_VECTOR set to XXH_AVX2 or XXH_NEON.
 *
 * XXH3 adds each 64-byte stripe of a 1 KiB block into eight 64-bit
 * accumulators and scrambles them after the block. The adds commute, and
 * a block's sum does not depend on the accumulators, so two blocks are
 * summed in one pass: each stripe's secret is loaded once for both. Each
 * stripe's data lanes also go to the neighbouring accumulator (lane i to
 * i^1); that swap is linear, so it is done once per block on the sum of
 * the data instead of once per stripe, and (AVX2) the high half of each
 * lane is taken with a shift rather than a shuffle. Under QEMU's TCG,
 * which runs each vector load as several and many vector operations as
 * helper calls, this beats xxHash's own loops by a third (AVX2: 1.0-1.1
 * against 0.8 GB/s) to a half (NEON: 1.6 against 1.1 GB/s); natively on
 * x86_64 by a tenth (48 against 43 GB/s). */
#ifndef TOY_XXH3_PAGE_H
#define TOY_XXH3_PAGE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#if defined(__AVX2__)
#include <immintrin.h>

typedef __m256i xxh3_vec;
#define XXH3_VECS 2 /* vectors in a stripe */

static inline xxh3_vec xxh3_load(const uint8_t *p)
{
	return _mm256_loadu_si256((const __m256i *)p);
}

static inline xxh3_vec xxh3_xor(xxh3_vec a, xxh3_vec b)
{
	return _mm256_xor_si256(a, b);
}

static inline xxh3_vec xxh3_add(xxh3_vec a, xxh3_vec b)
{
	return _mm256_add_epi64(a, b);
}

/* sum plus, in each 64-bit lane of x, its low half times its high half */
static inline xxh3_vec xxh3_add_product(xxh3_vec sum, xxh3_vec x)
{
	return _mm256_add_epi64(sum, _mm256_mul_epu32(x, _mm256_srli_epi64(x, 32)));
}

/* the 64-bit lanes of v swapped in pairs */
static inline xxh3_vec xxh3_swap(xxh3_vec v)
{
	return _mm256_shuffle_epi32(v, _MM_SHUFFLE(1, 0, 3, 2));
}

#define xxh3_scramble   XXH3_scrambleAcc_avx2
#define xxh3_accumulate XXH3_accumulate_512_avx2

#elif defined(__ARM_NEON)
#include <arm_neon.h>

typedef uint64x2_t xxh3_vec;
#define XXH3_VECS 4

static inline xxh3_vec xxh3_load(const uint8_t *p)
{
	return vreinterpretq_u64_u8(vld1q_u8(p));
}

static inline xxh3_vec xxh3_xor(xxh3_vec a, xxh3_vec b)
{
	return veorq_u64(a, b);
}

static inline xxh3_vec xxh3_add(xxh3_vec a, xxh3_vec b)
{
	return vaddq_u64(a, b);
}

static inline xxh3_vec xxh3_add_product(xxh3_vec sum, xxh3_vec x)
{
	return vmlal_u32(sum, vmovn_u64(x), vshrn_n_u64(x, 32));
}

static inline xxh3_vec xxh3_swap(xxh3_vec v)
{
	return vextq_u64(v, v, 1);
}

#define xxh3_scramble   XXH3_scrambleAcc_neon
#define xxh3_accumulate XXH3_accumulate_512_neon

#else
#error "toy/xxh3_page.h needs AVX2 or NEON"
#endif

#define XXH3_PAGE       4096u
#define XXH3_STRIPE     64u
#define XXH3_BLOCK_RUNS 16u /* stripes in a block (the default secret's) */
#define XXH3_BLOCK      (XXH3_STRIPE * XXH3_BLOCK_RUNS)
_Static_assert((sizeof(XXH3_kSecret) - XXH3_STRIPE) / XXH_SECRET_CONSUME_RATE == XXH3_BLOCK_RUNS,
	       "a block is as many stripes as the secret has room for");
_Static_assert(sizeof(xxh3_vec) * XXH3_VECS == XXH3_STRIPE, "vectors make a stripe");

/* What the stripes of one block add up to: the products, and the data (to
 * be swapped), a stripe's worth of each. */
struct xxh3_block_sum {
	xxh3_vec prod[XXH3_VECS], data[XXH3_VECS];
};

static inline void xxh3_add_stripe(struct xxh3_block_sum *sum, const uint8_t *in,
				   const xxh3_vec key[XXH3_VECS])
{
	for (int i = 0; i < XXH3_VECS; i++) {
		xxh3_vec v = xxh3_load(in + i * sizeof(xxh3_vec));
		sum->prod[i] = xxh3_add_product(sum->prod[i], xxh3_xor(v, key[i]));
		sum->data[i] = xxh3_add(sum->data[i], v);
	}
}

static inline void xxh3_add_block_sum(xxh3_vec acc[XXH3_VECS], const struct xxh3_block_sum *sum)
{
	for (int i = 0; i < XXH3_VECS; i++)
		acc[i] = xxh3_add(acc[i], xxh3_add(sum->prod[i], xxh3_swap(sum->data[i])));
}

/* Blocks a (whole) and b (its first nb stripes) into acc, a's scrambled
 * before b's goes in; b's too if it is whole. */
static inline void xxh3_two_blocks(xxh3_vec acc[XXH3_VECS], const uint8_t *a, const uint8_t *b,
				   unsigned nb)
{
	const uint8_t *scramble_key = XXH3_kSecret + sizeof(XXH3_kSecret) - XXH3_STRIPE;
	struct xxh3_block_sum sa, sb;
	memset(&sa, 0, sizeof(sa));
	memset(&sb, 0, sizeof(sb));
	for (unsigned s = 0; s < XXH3_BLOCK_RUNS; s++) {
		const uint8_t *k = XXH3_kSecret + s * XXH_SECRET_CONSUME_RATE;
		xxh3_vec key[XXH3_VECS];
		for (int i = 0; i < XXH3_VECS; i++)
			key[i] = xxh3_load(k + i * sizeof(xxh3_vec));
		xxh3_add_stripe(&sa, a + s * XXH3_STRIPE, key);
		if (s < nb)
			xxh3_add_stripe(&sb, b + s * XXH3_STRIPE, key);
	}
	xxh3_add_block_sum(acc, &sa);
	xxh3_scramble(acc, scramble_key);
	xxh3_add_block_sum(acc, &sb);
	if (nb == XXH3_BLOCK_RUNS)
		xxh3_scramble(acc, scramble_key);
}

/* XXH3_128bits(page, XXH3_PAGE) into out, as toy_xxh3_128 lays it out. */
static inline void xxh3_page(const void *page, uint8_t out[16])
{
	const uint8_t *in = page;
	XXH_ALIGN(32) uint64_t acc[XXH_ACC_NB] = XXH3_INIT_ACC;
	/* 4095 bytes are four blocks less a stripe: the last one is XXH3's "last
	 * stripe", with a secret of its own. */
	xxh3_two_blocks((xxh3_vec *)acc, in, in + XXH3_BLOCK, XXH3_BLOCK_RUNS);
	xxh3_two_blocks((xxh3_vec *)acc, in + 2 * XXH3_BLOCK, in + 3 * XXH3_BLOCK,
			XXH3_BLOCK_RUNS - 1);
	xxh3_accumulate(acc, in + XXH3_PAGE - XXH3_STRIPE,
			XXH3_kSecret + sizeof(XXH3_kSecret) - XXH3_STRIPE -
			    XXH_SECRET_LASTACC_START);
	XXH128_hash_t h;
	h.low64 = XXH3_mergeAccs(acc, XXH3_kSecret + XXH_SECRET_MERGEACCS_START,
				 (uint64_t)XXH3_PAGE * XXH_PRIME64_1);
	h.high64 = XXH3_mergeAccs(
	    acc, XXH3_kSecret + sizeof(XXH3_kSecret) - sizeof(acc) - XXH_SECRET_MERGEACCS_START,
	    ~((uint64_t)XXH3_PAGE * XXH_PRIME64_2));
	toy_xxh3_128_put(h, out);
}

/* toy_xxh3_128, a page by xxh3_page. */
static inline void xxh3_128_pages_fast(const void *data, size_t len, uint8_t out[16])
{
	if (len == XXH3_PAGE) /* what the store hashes */
		xxh3_page(data, out);
	else
		toy_xxh3_128(data, len, out);
}

#endif
