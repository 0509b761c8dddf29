/* store_test.c — objstore on the virtio-blk disk: write and commit
 * objects, unmount, remount, read them back, then delete them again so
 * the test leaves the store as it found it (apart from generations). */
#include <kernel/kernel.h>
#include <kernel/mem.h>
#include <kernel/test.h>
#include <string.h>

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
