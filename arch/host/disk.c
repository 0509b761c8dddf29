/* disk.c (host) — a file as the disk: the kernel's block device API
 * (kernel/dev.h) over pread, pwrite and fdatasync, so the kernel's store
 * code (kernel/store.c) runs on Linux against an image file exactly as it
 * runs against virtio-blk. There is no entropy device; random_get falls
 * back to getrandom through arch_random. */
#define _GNU_SOURCE
#include <arch_ops.h>
#include <fcntl.h>
#include <kernel/dev.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <toy/err.h>
#include <unistd.h>

struct blkdev {
	int fd;
	uint64_t sectors;
	bool reading; /* blk_readv_start's read, not yet waited for */
	int read_result;
};

static struct blkdev disk = {-1, 0, false, 0};

int host_disk_attach(const char *path)
{
	if (disk.fd >= 0)
		close(disk.fd);
	disk.fd = path ? open(path, O_RDWR) : -1;
	struct stat st;
	if (disk.fd < 0 || fstat(disk.fd, &st) != 0)
		return TOY_ERR_IO;
	disk.sectors = (uint64_t)st.st_size / 512;
	return 0;
}

void dev_init(void)
{
}

struct blkdev *blk_get(unsigned n)
{
	return n == 0 && disk.fd >= 0 ? &disk : NULL;
}

uint64_t blk_interrupts(const struct blkdev *d)
{
	(void)d;
	return 0;
}

uint64_t blk_sectors(const struct blkdev *d)
{
	return d->sectors;
}

static int in_range(const struct blkdev *d, uint64_t sector, uint32_t count)
{
	return sector <= d->sectors && count <= d->sectors - sector;
}

int blk_read(struct blkdev *d, uint64_t sector, uint32_t count, void *buf)
{
	if (!in_range(d, sector, count))
		return TOY_ERR_RANGE;
	ssize_t n = pread(d->fd, buf, (size_t)count * 512, (off_t)(sector * 512));
	return n == (ssize_t)count * 512 ? 0 : TOY_ERR_IO;
}

/* A file read has nothing to overlap with: the read happens at start, and
 * wait gives its outcome. */
int blk_readv_start(struct blkdev *d, uint64_t sector, const struct blk_iov *iov, unsigned n)
{
	struct iovec v[BLK_READV_MAX_IOV];
	size_t bytes = 0;
	if (d->reading)
		return TOY_ERR_BUSY;
	if (n == 0 || n > BLK_READV_MAX_IOV)
		return TOY_ERR_RANGE;
	for (unsigned i = 0; i < n; i++) {
		v[i] = (struct iovec){iov[i].buf, (size_t)iov[i].count * 512};
		bytes += v[i].iov_len;
	}
	if (bytes > BLK_READV_MAX_BYTES || !in_range(d, sector, (uint32_t)(bytes / 512)))
		return TOY_ERR_RANGE;
	ssize_t got = preadv(d->fd, v, (int)n, (off_t)(sector * 512));
	d->read_result = got == (ssize_t)bytes ? 0 : TOY_ERR_IO;
	d->reading = true;
	return 0;
}

int blk_readv_wait(struct blkdev *d)
{
	if (!d->reading)
		return TOY_ERR_INVAL;
	d->reading = false;
	return d->read_result;
}

int blk_write(struct blkdev *d, uint64_t sector, uint32_t count, const void *buf)
{
	if (!in_range(d, sector, count))
		return TOY_ERR_RANGE;
	ssize_t n = pwrite(d->fd, buf, (size_t)count * 512, (off_t)(sector * 512));
	return n == (ssize_t)count * 512 ? 0 : TOY_ERR_IO;
}

int blk_flush(struct blkdev *d)
{
	return fdatasync(d->fd) == 0 ? 0 : TOY_ERR_IO;
}

int rng_read(void *buf, size_t n)
{
	(void)buf, (void)n;
	return TOY_ERR_NOTFOUND;
}
