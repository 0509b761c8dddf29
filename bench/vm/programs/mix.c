/* mix: memory-heavy: hash table inserts and lookups through linked
 * buckets, an in-place heap sort and copying. n: thousands of keys (<= 500). */
#include "bench.h"

#define MAXN 500000
#define NB   (1u << 19)

struct node {
	uint32_t next, key, val;
};

static struct node pool[MAXN + 1];
static uint32_t tab[NB], keys[MAXN], copy[MAXN];

static void sift(uint32_t *a, uint32_t i, uint32_t n)
{
	for (;;) {
		uint32_t c = 2 * i + 1;
		if (c >= n)
			return;
		if (c + 1 < n && a[c + 1] > a[c])
			c++;
		if (a[i] >= a[c])
			return;
		uint32_t t = a[i];
		a[i] = a[c];
		a[c] = t;
		i = c;
	}
}

static void heapsort(uint32_t *a, uint32_t n)
{
	for (uint32_t i = n / 2; i-- > 0;)
		sift(a, i, n);
	for (uint32_t i = n; i-- > 1;) {
		uint32_t t = a[0];
		a[0] = a[i];
		a[i] = t;
		sift(a, 0, i);
	}
}

static uint32_t work(uint32_t n)
{
	uint32_t rng = 12345, sum = 0;
	n *= 1000;
	if (n > MAXN)
		n = MAXN;
	memset(tab, 0, sizeof(tab));
	for (uint32_t i = 0; i < n; i++) {
		rng ^= rng << 13;
		rng ^= rng >> 17;
		rng ^= rng << 5;
		struct node *p = &pool[i + 1];
		p->key = rng, p->val = i;
		p->next = tab[rng & (NB - 1)];
		tab[rng & (NB - 1)] = i + 1;
		keys[i] = rng;
	}
	for (uint32_t i = 0; i < n; i++) {
		uint32_t k = keys[(i * 7919u) % n];
		for (uint32_t p = tab[k & (NB - 1)]; p; p = pool[p].next)
			if (pool[p].key == k)
				sum += pool[p].val;
	}
	memcpy(copy, keys, sizeof(uint32_t) * n);
	heapsort(copy, n);
	for (uint32_t i = 1; i < n; i++)
		sum += copy[i] - copy[i - 1] > 1000;
	return sum;
}

BENCH(500)
