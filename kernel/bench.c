/* bench.c — in-kernel measurements that `./toy bench boot` reports next to
 * the boot time (toy.bench=blk on the command line): the latency of one
 * polled 4 KiB virtio-blk read, the throughput of 256 KiB reads, and the
 * latency of a 4 KiB write followed by a flush. Only the last 1 MiB of the
 * disk is touched, and what is written there is the data read from it
 * before, so the store on the disk is unharmed. It also measures XXH3-128
 * as the store does it, page by page (with arch_fast_hash128 where the CPU
 * has one): the check every page read from the store gets, which bounds
 * how fast pages can come in (bench/calls). */
#include <arch/cpu.h>
#include <arch/irq.h>
#include <kernel/dev.h>
#include <kernel/kernel.h>
#include <kernel/log.h>
#include <kernel/mem.h>

#include <toy/xxh3.h>

#define ROUNDS 64

static volatile uint64_t hash_sink; /* keeps the hash loop */

static void hash128_portable(const void *data, size_t len, uint8_t out[16])
{
	XXH128_hash_t x = XXH3_128bits(data, len);
	memcpy(out, &x.low64, 8);
	memcpy(out + 8, &x.high64, 8);
}

static uint64_t elapsed_ns(uint64_t t0)
{
	return arch_time_ns() - t0;
}

static int bench_rw(struct blkdev *d, uint8_t *buf, uint64_t base, uint64_t ns[4])
{
	uint64_t t0 = arch_time_ns();
	for (unsigned i = 0; i < ROUNDS; i++)
		if (blk_read(d, base + (i % 32) * 8, 8, buf))
			return TOY_ERR_IO;
	ns[0] = elapsed_ns(t0) / ROUNDS;
	t0 = arch_time_ns();
	for (unsigned i = 0; i < ROUNDS / 8; i++)
		if (blk_read(d, base + (i % 4) * 512, 512, buf))
			return TOY_ERR_IO;
	ns[1] = elapsed_ns(t0) / (ROUNDS / 8);
	t0 = arch_time_ns();
	for (unsigned i = 0; i < ROUNDS / 4; i++)
		if (blk_write(d, base + (i % 32) * 8, 8, buf + (i % 32) * 4096) || blk_flush(d))
			return TOY_ERR_IO;
	ns[2] = elapsed_ns(t0) / (ROUNDS / 4);
	arch_hash128_fn *hash = arch_fast_hash128();
	uint8_t h[16];
	if (!hash)
		hash = hash128_portable;
	t0 = arch_time_ns();
	for (unsigned i = 0; i < ROUNDS / 8 * 64; i++) {
		hash(buf + (i % 64) * 4096, 4096, h);
		hash_sink += h[0];
	}
	ns[3] = elapsed_ns(t0) / (ROUNDS / 8);
	return 0;
}

void kbench_blk(void)
{
	struct blkdev *d = blk_get(0);
	uint8_t *buf = kmalloc(256 * 1024);
	if (!d || !buf || blk_sectors(d) < 4096) {
		kprintf("toy: bench blk unavailable\n");
		kfree(buf);
		return;
	}
	uint64_t base = blk_sectors(d) - 2048, ns[4];
	int err = blk_read(d, base, 512, buf); /* what the writes put back */
	if (!err)
		err = bench_rw(d, buf, base, ns);
	if (err)
		kprintf("toy: bench blk failed: %s\n", toy_strerror(err));
	else
		kprintf("toy: bench blk read4k=%lluus read256k=%lluMB/s write4k+flush=%lluus "
			"hash128=%lluMB/s\n",
			(unsigned long long)(ns[0] / 1000),
			(unsigned long long)(256ull * 1024 * 1000000000ull / ns[1] / 1000000),
			(unsigned long long)(ns[2] / 1000),
			(unsigned long long)(256ull * 1024 * 1000000000ull / ns[3] / 1000000));
	kfree(buf);
}
