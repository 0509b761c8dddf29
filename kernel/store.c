/* store.c — the kernel's object store on the first virtio-blk disk.
 *
 * objstore knows nothing of the kernel: it gets a struct os_env whose
 * device is the disk (4 KiB store blocks = 8 sectors), whose memory is the
 * kernel heap and whose randomness is random_get. At boot the kernel
 * mounts the store and bumps the boot record, a machine-local object
 * (reserved ID BOOT_RECORD) holding the number of boots as a little-endian
 * 64-bit count, so each boot is one committed transaction.
 *
 * The power-cut workload (toy.stress) also lives here: it appends one
 * sequence number per transaction to the STRESS_LOG object, together with
 * a 4 KiB page of STRESS_DATA stamped with the same number, and prints each
 * committed generation. On the next boot it first checks that the log is
 * the unbroken sequence 0..K-1 and that every data page carries a number
 * the log says was written to it. */
#include <arch/cpu.h>
#include <kernel/dev.h>
#include <kernel/kernel.h>
#include <kernel/log.h>
#include <kernel/mem.h>
#include <kernel/thread.h>
#include <string.h>
#include <toy/abi.h>

#define BOOT_RECORD       TOY_ID_BOOT_RECORD
#define STRESS_LOG        0x11
#define STRESS_DATA       0x12
#define KIND_KERNEL       TOY_KIND_KERNEL
#define SECTORS_PER_BLOCK (OS_BLOCK_SIZE / 512)
#define STRESS_PAGES      64
/* The store's own cache of verified blocks: object reads (the read host
 * call) are served from it; domain memory goes through the page cache. */
#define KSTORE_CACHE_BLOCKS 1024

static int dev_read(void *ctx, uint64_t block, uint32_t n, void *buf)
{
	return blk_read(ctx, block * SECTORS_PER_BLOCK, n * SECTORS_PER_BLOCK, buf);
}

_Static_assert(OS_READV_MAX_IOV <= BLK_READV_MAX_IOV &&
		   OS_READV_MAX_BLOCKS * OS_BLOCK_SIZE <= BLK_READV_MAX_BYTES,
	       "the disk must take every vectored read the store makes");

static int dev_readv_start(void *ctx, uint64_t block, const struct os_iov *iov, unsigned n)
{
	struct blk_iov v[BLK_READV_MAX_IOV];
	if (n > BLK_READV_MAX_IOV)
		return TOY_ERR_RANGE;
	for (unsigned i = 0; i < n; i++)
		v[i] = (struct blk_iov){iov[i].buf, iov[i].blocks * SECTORS_PER_BLOCK};
	return blk_readv_start(ctx, block * SECTORS_PER_BLOCK, v, n);
}

static int dev_read_wait(void *ctx)
{
	return blk_readv_wait(ctx);
}

static int dev_write(void *ctx, uint64_t block, uint32_t n, const void *buf)
{
	return blk_write(ctx, block * SECTORS_PER_BLOCK, n * SECTORS_PER_BLOCK, buf);
}

static int dev_flush(void *ctx)
{
	return blk_flush(ctx);
}

static void *mem_alloc(void *ctx, size_t size)
{
	(void)ctx;
	return kmalloc(size);
}

static void mem_free(void *ctx, void *p)
{
	(void)ctx;
	kfree(p);
}

static os_store *shared_store;
static struct mutex shared_lock;

os_store *kstore_lock(void)
{
	mutex_lock(&shared_lock);
	return shared_store;
}

void kstore_unlock(void)
{
	mutex_unlock(&shared_lock);
}

int kstore_env(struct os_env *env)
{
	struct blkdev *d = blk_get(0);
	if (!d)
		return TOY_ERR_NOTFOUND;
	*env = (struct os_env){
	    .dev = {d, blk_sectors(d) / SECTORS_PER_BLOCK, dev_read, dev_readv_start, dev_read_wait,
		    dev_write, dev_flush},
	    .alloc = mem_alloc,
	    .free = mem_free,
	    .random = random_get,
	    .cache_blocks = KSTORE_CACHE_BLOCKS,
	    .hash128 = arch_fast_hash128(),
	};
	return 0;
}

/* Reads, increments and rewrites the boot counter in one transaction. */
static int bump_boot_record(struct kstore *ks)
{
	toy_id id = toy_id_reserved(BOOT_RECORD);
	uint8_t buf[8] = {0};
	int err = os_begin(ks->os);
	if (err)
		return err;
	err = os_create(ks->os, &id, KIND_KERNEL);
	if (err == TOY_ERR_EXISTS) {
		int64_t n = os_read(ks->os, &id, 0, buf, sizeof(buf));
		err = n == sizeof(buf) ? 0 : n < 0 ? (int)n : TOY_ERR_CORRUPT;
	}
	uint64_t boots = 0;
	for (int i = 7; i >= 0; i--)
		boots = boots << 8 | buf[i];
	ks->boots = boots + 1;
	for (int i = 0; i < 8; i++)
		buf[i] = (uint8_t)(ks->boots >> (8 * i));
	if (!err)
		err = os_write(ks->os, &id, 0, buf, sizeof(buf));
	if (!err)
		return os_commit(ks->os, &ks->generation);
	os_abort(ks->os);
	return err;
}

int kstore_boot(struct kstore *ks)
{
	struct os_env env;
	int err = kstore_env(&env);
	if (err) {
		klog(LOG_ERROR, "store: no virtio-blk disk, running without a store");
		return err;
	}
	err = os_mount(&env, 0, &ks->os);
	if (err == TOY_ERR_CORRUPT) {
		klog(LOG_ERROR, "store: the disk is not a Toy store (or is damaged beyond "
				"recovery); make one with `toy-store mkfs IMAGE SIZE`");
		return err;
	}
	if (err) {
		klog(LOG_ERROR, "store: mount failed: %s", toy_strerror(err));
		return err;
	}
	struct os_info info;
	os_info(ks->os, &info);
	klog(LOG_INFO, "store: mounted, generation %llu, %llu objects, epoch %llu",
	     (unsigned long long)info.generation, (unsigned long long)info.nobjects,
	     (unsigned long long)info.epoch);
	err = bump_boot_record(ks);
	if (err) {
		klog(LOG_ERROR, "store: boot record: %s", toy_strerror(err));
		os_unmount(ks->os);
		return err;
	}
	os_info(ks->os, &info);
	ks->nobjects = info.nobjects;
	shared_store = ks->os;
	return 0;
}

/* --- the power-cut workload -------------------------------------------------- */

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Checks the stress objects; returns the next sequence number or an error. */
static int64_t stress_verify(os_store *os)
{
	toy_id log = toy_id_reserved(STRESS_LOG), data = toy_id_reserved(STRESS_DATA);
	struct os_stat st;
	if (os_stat(os, &log, &st) == TOY_ERR_NOTFOUND)
		return 0;
	uint64_t k = st.size / 8;
	uint8_t *buf = kmalloc(OS_PAGE_SIZE);
	if (!buf)
		return TOY_ERR_NOMEM;
	int64_t r = (int64_t)k;
	for (uint64_t i = 0; i < k && r >= 0; i++) {
		if (os_read(os, &log, i * 8, buf, 8) != 8 || le64(buf) != i)
			r = TOY_ERR_CORRUPT;
	}
	for (uint64_t p = 0; p < STRESS_PAGES && r >= 0; p++) {
		int64_t n = os_read(os, &data, p * OS_PAGE_SIZE, buf, OS_PAGE_SIZE);
		uint64_t v = le64(buf);
		if (n == OS_PAGE_SIZE && v &&
		    (v % STRESS_PAGES != p || v >= k || le64(buf + OS_PAGE_SIZE - 8) != v))
			r = TOY_ERR_CORRUPT;
	}
	kfree(buf);
	return r;
}

static int stress_step(os_store *os, uint64_t seq, uint8_t *page, uint64_t *gen)
{
	toy_id log = toy_id_reserved(STRESS_LOG), data = toy_id_reserved(STRESS_DATA);
	uint8_t rec[8];
	for (int i = 0; i < 8; i++)
		rec[i] = (uint8_t)(seq >> (8 * i));
	memset(page, (int)(seq & 0xff), OS_PAGE_SIZE);
	memcpy(page, rec, 8);
	memcpy(page + OS_PAGE_SIZE - 8, rec, 8);
	int err = os_begin(os);
	if (!err && seq == 0) {
		err = os_create(os, &log, KIND_KERNEL);
		if (!err)
			err = os_create(os, &data, KIND_KERNEL);
	}
	if (!err)
		err = os_write(os, &log, seq * 8, rec, 8);
	if (!err)
		err = os_write(os, &data, seq % STRESS_PAGES * OS_PAGE_SIZE, page, OS_PAGE_SIZE);
	if (!err)
		return os_commit(os, gen);
	os_abort(os);
	return err;
}

_Noreturn void kstore_stress(struct kstore *ks, uint64_t count)
{
	int64_t seq = stress_verify(ks->os);
	if (seq < 0)
		panic("stress: the store lost committed data: %s", toy_strerror((int)seq));
	kprintf("toy: stress verified seq=%lld gen=%llu\n", (long long)seq,
		(unsigned long long)ks->generation);
	uint8_t *page = kmalloc(OS_PAGE_SIZE);
	for (uint64_t done = 0; !count || done < count; done++, seq++) {
		uint64_t gen;
		int err = page ? stress_step(ks->os, (uint64_t)seq, page, &gen) : TOY_ERR_NOMEM;
		if (err)
			panic("stress: commit %lld failed: %s", (long long)seq, toy_strerror(err));
		kprintf("toy: committed seq=%lld gen=%llu\n", (long long)seq,
			(unsigned long long)gen);
		if (seq % 50 == 49 && (err = os_clean(ks->os, NULL)) != 0)
			panic("stress: cleaner failed: %s", toy_strerror(err));
	}
	int err = os_unmount(ks->os);
	kprintf("toy: stress done seq=%lld unmount=%s\n", (long long)seq, toy_strerror(err));
	arch_poweroff(err ? 1 : 0);
}
