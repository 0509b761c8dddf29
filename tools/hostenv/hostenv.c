/* hostenv.c — a file as an objstore device, malloc as its memory.
 *
 * Writes go straight to the file with pwrite; flush is fdatasync, which is
 * what makes os_commit durable on the host. Short reads and writes are
 * retried; any other failure is TOY_ERR_IO with errno left for the caller. */
#define _GNU_SOURCE
#include "hostenv.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

static int file_io(int fd, uint64_t block, uint32_t n, void *buf, bool write)
{
	size_t len = (size_t)n * OS_BLOCK_SIZE, done = 0;
	off_t off = (off_t)(block * OS_BLOCK_SIZE);

	while (done < len) {
		ssize_t r = write ? pwrite(fd, (char *)buf + done, len - done, off + (off_t)done)
				  : pread(fd, (char *)buf + done, len - done, off + (off_t)done);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return TOY_ERR_IO;
		done += (size_t)r;
	}
	return TOY_OK;
}

static int file_read(void *ctx, uint64_t block, uint32_t n, void *buf)
{
	return file_io(((struct host_file *)ctx)->fd, block, n, buf, false);
}

static int file_write(void *ctx, uint64_t block, uint32_t n, const void *buf)
{
	return file_io(((struct host_file *)ctx)->fd, block, n, (void *)buf, true);
}

static int file_flush(void *ctx)
{
	struct host_file *f = ctx;
	if (f->sync && fdatasync(f->fd) != 0)
		return TOY_ERR_IO;
	return TOY_OK;
}

#define HUGE_PAGE (2u << 20)

static void *host_alloc(void *ctx, size_t size)
{
	(void)ctx;
	if (size < HUGE_PAGE)
		return malloc(size);
	/* The read cache and big index tables are read at random: huge pages
	 * spare them a TLB miss per access. */
	size_t rounded = (size + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
	void *p = aligned_alloc(HUGE_PAGE, rounded);
	if (p)
		madvise(p, rounded, MADV_HUGEPAGE);
	return p;
}

static void host_free(void *ctx, void *ptr)
{
	(void)ctx;
	free(ptr);
}

static int host_random(void *ctx, void *buf, size_t n)
{
	(void)ctx;
	size_t done = 0;
	while (done < n) {
		ssize_t r = getrandom((char *)buf + done, n - done, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return TOY_ERR_IO;
		done += (size_t)r;
	}
	return TOY_OK;
}

void host_env_memory(struct os_env *env)
{
	env->mem_ctx = NULL;
	env->alloc = host_alloc;
	env->free = host_free;
	env->random = host_random;
	/* 128 MiB of read cache at most; only what is used is ever touched. */
	env->cache_blocks = 32768;
}

int host_file_open(const char *path, bool rdonly, struct host_file *f, struct os_env *env)
{
	struct stat st;
	int fd = open(path, rdonly ? O_RDONLY : O_RDWR);
	if (fd < 0)
		return errno == ENOENT ? TOY_ERR_NOTFOUND : TOY_ERR_IO;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return TOY_ERR_IO;
	}
	f->fd = fd;
	f->sync = true;
	env->dev.ctx = f;
	env->dev.nblocks = (uint64_t)st.st_size / OS_BLOCK_SIZE;
	env->dev.read = file_read;
	env->dev.write = file_write;
	env->dev.flush = file_flush;
	host_env_memory(env);
	return TOY_OK;
}

int host_file_create(const char *path, uint64_t size)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return TOY_ERR_IO;
	int rc = ftruncate(fd, (off_t)size) == 0 ? TOY_OK : TOY_ERR_IO;
	if (close(fd) != 0)
		rc = TOY_ERR_IO;
	return rc;
}

void host_file_close(struct host_file *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}
