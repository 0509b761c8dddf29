/* rng.h — a small deterministic random number generator (splitmix64) for
 * tests: the same seed always gives the same workload, so any failure can be
 * replayed from the seed and step printed with it. */
#ifndef TOY_TEST_RNG_H
#define TOY_TEST_RNG_H

#include <stddef.h>
#include <stdint.h>

struct trng {
	uint64_t s;
};

void trng_seed(struct trng *r, uint64_t seed);
uint64_t trng_next(struct trng *r);

/* A uniform number in [0, n); n > 0. */
uint64_t trng_below(struct trng *r, uint64_t n);

/* true with probability num/den. */
int trng_chance(struct trng *r, uint64_t num, uint64_t den);

void trng_fill(struct trng *r, void *buf, size_t n);

/* A positive integer from environment variable name, or def if unset/bad. */
uint64_t test_env_u64(const char *name, uint64_t def);

#endif
