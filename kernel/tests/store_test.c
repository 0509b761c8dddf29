/* store_test.c — objstore on the virtio-blk disk: write and commit
 * objects, unmount, remount, read them back, then delete them again so
 * the test leaves the store as it found it (apart from generations); and
 * the CPU's faster page hash against the portable one. */
#include <arch/cpu.h>
#include <kernel/kernel.h>
#include <kernel/mem.h>
#include <kernel/test.h>
#include <string.h>

#include <toy/xxh3.h>

static void fill(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 31 + seed);
}

KTEST(store_commit_remount)
{
	struct os_env env;
	os_store *os;
	KCHECK(kstore_env(&env) == 0);
	KCHECK(os_mount(&env, 0, &os) == 0);
	size_t len = 3 * OS_PAGE_SIZE + 100;
	uint8_t *buf = kmalloc(len), *back = kmalloc(len);
	KCHECK(buf && back);
	toy_id ids[4];
	uint64_t gen1, gen2;
	KCHECK(os_begin(os) == 0);
	for (unsigned i = 0; i < 4; i++) {
		memset(&ids[i], 0, sizeof(ids[i]));
		KCHECK(os_create(os, &ids[i], 7) == 0 && !toy_id_is_nil(&ids[i]));
		fill(buf, len, i);
		KCHECK(os_write(os, &ids[i], i * 1000, buf, len) == 0);
	}
	KCHECK(os_commit(os, &gen1) == 0);
	KCHECK(os_unmount(os) == 0);

	KCHECK(os_mount(&env, 0, &os) == 0);
	struct os_info info;
	os_info(os, &info);
	KCHECK(info.generation == gen1);
	for (unsigned i = 0; i < 4; i++) {
		fill(buf, len, i);
		KCHECK(os_read(os, &ids[i], i * 1000, back, len) == (int64_t)len);
		KCHECK(memcmp(buf, back, len) == 0);
	}
	KCHECK(os_begin(os) == 0);
	for (unsigned i = 0; i < 4; i++)
		KCHECK(os_delete(os, &ids[i]) == 0);
	KCHECK(os_commit(os, &gen2) == 0 && gen2 > gen1);
	char msg[128];
	KCHECK(os_check(os, msg, sizeof(msg)) == 0);
	KCHECK(os_unmount(os) == 0);
	kfree(buf);
	kfree(back);
	return 0;
}

/* The CPU's faster XXH3-128, where there is one, gives what the portable
 * one gives: every length round the 16/128/240-byte and stripe edges, any
 * alignment, and pages of a pattern and of noise, since the disk format
 * rests on it. */
KTEST(store_fast_hash)
{
	arch_hash128_fn *fast = arch_fast_hash128();
	if (!fast) {
		kprintf("  (no faster hash on this CPU: the store uses the portable one)\n");
		return 0;
	}
	uint8_t *buf = kmalloc(3 * 4096);
	KCHECK(buf);
	for (size_t i = 0; i < 3 * 4096; i++)
		buf[i] = (uint8_t)(i * 131 + (i >> 7));
	static const size_t lens[] = {0,   1,   16,   17,   128,  129,  240,  241,  255,
				      256, 257, 1023, 1024, 1025, 2048, 4095, 4096, 8192};
	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		for (size_t off = 0; off < 8; off += 3) {
			uint8_t want[16], got[16];
			XXH128_hash_t x = XXH3_128bits(buf + off, lens[i]);
			memcpy(want, &x.low64, 8);
			memcpy(want + 8, &x.high64, 8);
			fast(buf + off, lens[i], got);
			KCHECK(memcmp(want, got, 16) == 0);
		}
	uint64_t x = 0x9e3779b97f4a7c15ull; /* whole pages of noise, as the store hashes */
	for (int page = 0; page < 16; page++) {
		for (size_t i = 0; i < 4096; i++) {
			x = x * 6364136223846793005ull + 1442695040888963407ull;
			buf[i] = (uint8_t)(x >> 56);
		}
		uint8_t want[16], got[16];
		XXH128_hash_t h = XXH3_128bits(buf, 4096);
		memcpy(want, &h.low64, 8);
		memcpy(want + 8, &h.high64, 8);
		fast(buf, 4096, got);
		KCHECK(memcmp(want, got, 16) == 0);
	}
	kfree(buf);
	return 0;
}
