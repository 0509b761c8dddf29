/* ticker — shows that a domain's memory and stack survive restarts.
 *
 * It counts steps in a local variable (on the wasm stack, so in the vm's
 * execution state) and in a global (in linear memory), and every step writes
 * one slot of a ring it can recompute from the step number alone. Every
 * TICKER_SYNC_EVERY steps it calls toy_sync, the only host call besides
 * sleep; after a power cut the machine resumes it at its last sync and it
 * simply carries on. Each step checks that the stack, the globals and the
 * ring agree; a restore that mixed states from different moments would
 * break that, and ticker then prints "ticker: CORRUPT" and exits with 1. */
#include <inttypes.h>
#include <stdio.h>
#include <toy.h>

#define TICKER_SYNC_EVERY 5
#define TICKER_RING       1024u

static uint64_t steps;             /* equals the local step count */
static uint64_t ring[TICKER_RING]; /* ring[s % TICKER_RING] = mix(s) */
static uint64_t ring_sum;          /* sum of ring[] */

static uint64_t mix(uint64_t s)
{
	s += 0x9e3779b97f4a7c15ull;
	s = (s ^ (s >> 30)) * 0xbf58476d1ce4e5b9ull;
	s = (s ^ (s >> 27)) * 0x94d049bb133111ebull;
	return s ^ (s >> 31);
}

static void advance(uint64_t step)
{
	uint64_t *slot = &ring[step % TICKER_RING];
	ring_sum -= *slot;
	*slot = mix(step);
	ring_sum += *slot;
	steps++;
}

/* The whole invariant, recomputed from the step number. */
static int consistent(uint64_t step)
{
	if (steps != step)
		return 0;
	uint64_t sum = 0;
	for (uint64_t i = 0; i < TICKER_RING; i++) {
		/* the last step s <= step with s % TICKER_RING == i, if any */
		uint64_t back = (step + TICKER_RING - i) % TICKER_RING;
		uint64_t want = back < step ? mix(step - back) : 0;
		if (ring[i] != want)
			return 0;
		sum += ring[i];
	}
	return sum == ring_sum;
}

int main(void)
{
	for (uint64_t step = 1;; step++) {
		advance(step);
		if (!consistent(step)) {
			printf("ticker: CORRUPT at step %" PRIu64 " (global %" PRIu64 ")\n", step,
			       steps);
			return 1;
		}
		printf("ticker: step %" PRIu64 "\n", step);
		if (step % TICKER_SYNC_EVERY == 0) {
			int64_t gen = toy_sync();
			if (gen < 0)
				printf("ticker: sync failed: %s\n", toy_strerror((int)gen));
			else
				printf("ticker: synced step %" PRIu64 " gen %" PRId64 "\n", step,
				       gen);
		}
		toy_sleep(TOY_MS(100));
	}
}
