/* bench.c — in-kernel measurements that `./toy bench boot` reports next to
 * the boot time (toy.bench=blk on the command line): the latency of one
 * polled 4 KiB virtio-blk read, the throughput of 256 KiB reads, and the
 * latency of a 4 KiB write followed by a flush, all in the last 1 MiB of
 * the disk; and the sustained rate of reading the 32 MiB before it in
 * 256 KiB requests into as much memory (read32m: the raw bandwidth that
 * `./toy bench calls` sets page-in against, which brings in 32 MiB). What
 * is written is the data read from the same place before, so the store on
 * the disk is unharmed. It also measures XXH3-128 as the store does it,
 * page by page (with arch_fast_hash128 where the CPU has one), the check
 * every page read from the store gets, which bounds how fast pages can
 * come in (bench/calls): over 256 KiB again and again (hash128), and once
 * over the 32 MiB just read (hash32m, as a page-in meets its pages).
 * Last, maptouch32m: mapping those frames at new kernel addresses and
 * reading a byte of each page, the MMU's share of a page-in, which a raw
 * read never pays (under QEMU's TCG a software-TLB refill per page; on a
 * host in a VM with shadow page tables, the hypervisor's fault). */
#include <arch/cpu.h>
#include <arch/irq.h>
#include <arch/mmu.h>
#include <kernel/dev.h>
#include <kernel/kernel.h>
#include <kernel/log.h>
#include <kernel/mem.h>

#include <toy/xxh3.h>

#define ROUNDS      64
#define SEQ_SECTORS (32u * 2048) /* read32m: 32 MiB */
#define CHUNK       512u         /* sectors in one request: 256 KiB */
#define CHUNK_PAGES (CHUNK * 512 / 4096)

static volatile uint64_t sink; /* keeps the hash and touch loops */

static uint64_t elapsed_ns(uint64_t t0)
{
	return arch_time_ns() - t0;
}

static uint64_t mb_per_s(uint64_t bytes, uint64_t ns)
{
	return bytes * 1000 / (ns ? ns : 1);
}

/* The hash the store checks pages with. */
static arch_hash128_fn *page_hash(void)
{
	arch_hash128_fn *fast = arch_fast_hash128();
	return fast ? fast : toy_xxh3_128;
}

/* MB/s of hashing the n pages at mem page by page, passes times over. */
static uint64_t hash_rate(const uint8_t *mem, size_t n, unsigned passes)
{
	arch_hash128_fn *hash = page_hash();
	uint8_t h[16];
	uint64_t t0 = arch_time_ns();
	for (unsigned pass = 0; pass < passes; pass++)
		for (size_t i = 0; i < n; i++) {
			hash(mem + i * 4096, 4096, h);
			sink += h[0];
		}
	return mb_per_s(passes * n * 4096ull, elapsed_ns(t0));
}

static int bench_rw(struct blkdev *d, uint8_t *buf, uint64_t base, uint64_t ns[3])
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
	return 0;
}

/* Reads the SEQ_SECTORS below sector end in CHUNK requests into the frames
 * at mem (room for slots chunks; the chunks take them in turn); with
 * write_back, writes each chunk back where it came from (so that the device
 * holds the data for real: a fresh disk image is sparse, and reading a hole
 * costs the host nothing). */
static int seq_pass(struct blkdev *d, uint64_t end, uint8_t *mem, size_t slots, bool write_back)
{
	for (uint64_t i = 0; i < SEQ_SECTORS / CHUNK; i++) {
		uint64_t sector = end - SEQ_SECTORS + i * CHUNK;
		uint8_t *buf = mem + (i % slots) * CHUNK * 512;
		if (blk_read(d, sector, CHUNK, buf) ||
		    (write_back && blk_write(d, sector, CHUNK, buf)))
			return TOY_ERR_IO;
	}
	return 0;
}

/* MB/s of mapping the n frames at pa at new addresses, read-only, and
 * reading one byte of each page (0 when there is no room to map them). */
static uint64_t map_touch_rate(uint64_t pa, size_t n)
{
	uintptr_t va = vm_reserve(n * ARCH_PAGE_SIZE);
	if (!va)
		return 0;
	uint64_t t0 = arch_time_ns();
	int err = arch_mmu_map_clean(va, pa, n, ARCH_MMU_READ);
	for (size_t i = 0; !err && i < n; i++)
		sink += *(volatile const uint8_t *)(va + i * ARCH_PAGE_SIZE);
	uint64_t ns = elapsed_ns(t0);
	for (size_t i = 0; !err && i < n; i++)
		arch_mmu_unmap(va + i * ARCH_PAGE_SIZE);
	vm_release(va, n * ARCH_PAGE_SIZE);
	return err ? 0 : mb_per_s(n * ARCH_PAGE_SIZE, ns);
}

/* The read32m figure (see the top of the file) in mbps[0]: the CPU
 * touches the memory (page-ins reuse frames; under QEMU or a hypervisor a
 * frame's first touch costs extra), a first pass makes the data real, and
 * the second is timed. Then in mbps[1] hash32m, the hash over the frames
 * that read filled, as a page-in hashes what the device has just put in
 * memory (the hash128 figure hashes the same 256 KiB over and over), and
 * in mbps[2] maptouch32m over the same frames. */
static int bench_seq(struct blkdev *d, uint64_t end, uint64_t mbps[3])
{
	size_t frames;
	uint64_t pa = pmm_alloc_top_run(SEQ_SECTORS / CHUNK * CHUNK_PAGES, &frames);
	if (!pa)
		return TOY_ERR_NOMEM;
	size_t slots = frames / CHUNK_PAGES;
	uint8_t *mem = arch_phys_to_virt(pa);
	memset(mem, 0, frames * ARCH_PAGE_SIZE); /* the CPU has touched them, as a page-in's */
	int err = slots ? seq_pass(d, end, mem, slots, true) : TOY_ERR_NOMEM;
	uint64_t t0 = arch_time_ns();
	if (!err)
		err = seq_pass(d, end, mem, slots, false);
	mbps[0] = err ? 0 : mb_per_s(SEQ_SECTORS * 512ull, elapsed_ns(t0));
	mbps[1] = err ? 0 : hash_rate(mem, slots * CHUNK_PAGES, 1);
	mbps[2] = err ? 0 : map_touch_rate(pa, slots * CHUNK_PAGES);
	pmm_free(pa, frames);
	return err;
}

void kbench_blk(void)
{
	struct blkdev *d = blk_get(0);
	uint8_t *buf = kmalloc(256 * 1024);
	if (!d || !buf || blk_sectors(d) < 4096 + SEQ_SECTORS) {
		kprintf("toy: bench blk unavailable\n");
		kfree(buf);
		return;
	}
	uint64_t base = blk_sectors(d) - 2048, ns[3], seq_mbps[3] = {0, 0, 0}, hot_mbps = 0;
	int err = blk_read(d, base, 512, buf); /* what the writes put back */
	if (!err)
		err = bench_rw(d, buf, base, ns);
	if (!err)
		hot_mbps = hash_rate(buf, 64, ROUNDS / 8); /* 256 KiB, hot */
	if (!err)
		err = bench_seq(d, base, seq_mbps);
	if (err)
		kprintf("toy: bench blk failed: %s\n", toy_strerror(err));
	else
		kprintf(
		    "toy: bench blk read4k=%lluus read256k=%lluMB/s read32m=%lluMB/s "
		    "write4k+flush=%lluus hash128=%lluMB/s hash32m=%lluMB/s maptouch32m=%lluMB/s\n",
		    (unsigned long long)(ns[0] / 1000),
		    (unsigned long long)mb_per_s(256 * 1024, ns[1]),
		    (unsigned long long)seq_mbps[0], (unsigned long long)(ns[2] / 1000),
		    (unsigned long long)hot_mbps, (unsigned long long)seq_mbps[1],
		    (unsigned long long)seq_mbps[2]);
	kfree(buf);
}
