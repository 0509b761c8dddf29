/* dev_test.c — in-kernel tests of PCI/virtio discovery, virtio-blk
 * (read, write, flush; the sectors touched are restored) and virtio-rng. */
#include <kernel/dev.h>
#include <kernel/kernel.h>
#include <kernel/mem.h>
#include <kernel/test.h>
#include <string.h>
#include <toy/err.h>

KTEST(virtio_discovery)
{
	struct blkdev *d = blk_get(0);
	KCHECK(d != NULL);
	KCHECK(blk_sectors(d) >= 2048);
	KCHECK(blk_get(4) == NULL);
	return 0;
}

/* Completions interrupt unless toy.virtio=poll asked for polling. */
KTEST(virtio_blk_interrupts)
{
	struct blkdev *d = blk_get(0);
	char arg[8];
	uint8_t sector[512];
	KCHECK(d);
	uint64_t before = blk_interrupts(d);
	KCHECK(blk_read(d, 0, 1, sector) == 0);
	if (cmdline_get("toy.virtio", arg, sizeof(arg)))
		KCHECK(blk_interrupts(d) == before);
	else
		KCHECK(blk_interrupts(d) > before);
	return 0;
}

KTEST(virtio_rng)
{
	uint8_t a[64] = {0}, b[64] = {0}, zero[64] = {0};
	KCHECK(rng_read(a, sizeof(a)) == 0);
	KCHECK(rng_read(b, sizeof(b)) == 0);
	KCHECK(memcmp(a, zero, 64) && memcmp(b, zero, 64) && memcmp(a, b, 64));
	KCHECK(random_get(NULL, a, 3) == 0);
	return 0;
}

/* Writes a pattern over 40 sectors spanning pages unevenly (from the
 * heap and from the stack), reads it back, flushes, then restores. */
KTEST(virtio_blk_rw)
{
	struct blkdev *d = blk_get(0);
	KCHECK(d);
	uint64_t sector = blk_sectors(d) - 64;
	size_t len = 40 * 512;
	uint8_t *saved = kmalloc(len), *buf = kmalloc(len + 512), *back = kmalloc(len);
	KCHECK(saved && buf && back);
	uint8_t *pat = buf + 100; /* not sector aligned in memory */
	for (size_t i = 0; i < len; i++)
		pat[i] = (uint8_t)(i * 13 + 7);
	KCHECK(blk_read(d, sector, 40, saved) == 0);
	KCHECK(blk_write(d, sector, 40, pat) == 0);
	KCHECK(blk_flush(d) == 0);
	KCHECK(blk_read(d, sector, 40, back) == 0);
	KCHECK(memcmp(pat, back, len) == 0);
	uint8_t one[512];
	KCHECK(blk_read(d, sector + 3, 1, one) == 0 && memcmp(one, pat + 3 * 512, 512) == 0);
	KCHECK(blk_write(d, sector, 40, saved) == 0 && blk_flush(d) == 0);
	KCHECK(blk_read(d, blk_sectors(d), 1, one) == TOY_ERR_RANGE);
	kfree(saved);
	kfree(buf);
	kfree(back);
	return 0;
}

/* Reads with blk_readv_start and blk_readv_wait. */
static int readv(struct blkdev *d, uint64_t sector, const struct blk_iov *iov, unsigned n)
{
	int err = blk_readv_start(d, sector, iov, n);
	return err ? err : blk_readv_wait(d);
}

/* A vectored read gives what one plain read of the same sectors gives,
 * at its largest (every buffer, every byte, none aligned in memory) and
 * split round a sector on the stack, while a plain read goes on beside it,
 * and refuses what is out of bounds or a second one before the first is
 * waited for. */
KTEST(virtio_blk_readv)
{
	struct blkdev *d = blk_get(0);
	KCHECK(d);
	const uint32_t max = BLK_READV_MAX_BYTES / 512, piece = max / BLK_READV_MAX_IOV;
	uint64_t sector = blk_sectors(d) - max;
	uint8_t *whole = kmalloc(BLK_READV_MAX_BYTES), *buf = kmalloc(BLK_READV_MAX_BYTES + 512);
	KCHECK(whole && buf);
	KCHECK(blk_read(d, sector, max, whole) == 0);
	struct blk_iov iov[BLK_READV_MAX_IOV + 1];
	for (unsigned i = 0; i <= BLK_READV_MAX_IOV; i++)
		iov[i] = (struct blk_iov){buf + 100 + (size_t)i * piece * 512, piece};
	memset(buf, 0, BLK_READV_MAX_BYTES + 512);
	KCHECK(blk_readv_start(d, sector, iov, BLK_READV_MAX_IOV) == 0);
	uint8_t one[512], skip[512];
	KCHECK(blk_read(d, sector + 1, 1, one) == 0 && memcmp(one, whole + 512, 512) == 0);
	KCHECK(blk_readv_start(d, sector, iov, 1) == TOY_ERR_BUSY);
	KCHECK(blk_readv_wait(d) == 0);
	KCHECK(blk_readv_wait(d) == TOY_ERR_INVAL);
	KCHECK(memcmp(buf + 100, whole, BLK_READV_MAX_BYTES) == 0);
	struct blk_iov split[3] = {{buf, 7}, {skip, 1}, {buf + 7 * 512, 8}};
	KCHECK(readv(d, sector, split, 3) == 0);
	KCHECK(memcmp(buf, whole, 7 * 512) == 0 && memcmp(skip, whole + 7 * 512, 512) == 0 &&
	       memcmp(buf + 7 * 512, whole + 8 * 512, 8 * 512) == 0);
	KCHECK(readv(d, sector, iov, BLK_READV_MAX_IOV + 1) == TOY_ERR_RANGE);
	KCHECK(readv(d, sector, iov, 0) == TOY_ERR_RANGE);
	iov[0].count++; /* one sector too many */
	KCHECK(readv(d, sector - 1, iov, BLK_READV_MAX_IOV) == TOY_ERR_RANGE);
	KCHECK(readv(d, blk_sectors(d) - 15, split, 3) == TOY_ERR_RANGE);
	kfree(whole);
	kfree(buf);
	return 0;
}
