/* random.c — the kernel's random bytes.
 *
 * Sources are XORed together: the CPU's generator (RDRAND on x86_64) when
 * it has one, and each registered device (virtio-rng). XOR of independent
 * sources is at least as unpredictable as the best of them. If there is no
 * source at all, the cycle counter is mixed through a 64-bit finalizer:
 * good enough for unique IDs in tests, and logged as a warning once. */
#include <arch/cpu.h>
#include <kernel/kernel.h>
#include <kernel/log.h>
#include <string.h>

#define MAX_SOURCES 4

static int (*sources[MAX_SOURCES])(void *buf, size_t n);
static unsigned nsources;

void random_add_source(int (*fill)(void *buf, size_t n))
{
	if (nsources < MAX_SOURCES)
		sources[nsources++] = fill;
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	return x ^ (x >> 33);
}

static void fallback(uint8_t *out, size_t n)
{
	static bool warned;
	static uint64_t counter;
	if (!warned) {
		klog(LOG_WARN, "random: no entropy source, using the cycle counter");
		warned = true;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = (uint8_t)mix64(arch_cycles() + ++counter);
}

static void xor_into(uint8_t *out, const uint8_t *in, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] ^= in[i];
}

int random_get(void *ctx, void *buf, size_t n)
{
	(void)ctx;
	uint8_t *out = buf, tmp[64];
	while (n) {
		size_t k = n < sizeof(tmp) ? n : sizeof(tmp);
		bool any = arch_random(out, k) == k;
		if (!any)
			memset(out, 0, k);
		for (unsigned i = 0; i < nsources; i++) {
			if (sources[i](tmp, k) == 0) {
				xor_into(out, tmp, k);
				any = true;
			}
		}
		if (!any)
			fallback(out, k);
		out += k;
		n -= k;
	}
	return 0;
}
