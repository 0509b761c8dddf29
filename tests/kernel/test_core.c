/* test_core.c — the portable kernel core on arch/host under cmocka:
 * formatting, the command line, the clock, frames, the heap, device mappings, random
 * bytes, threads, sleeping, mutexes, and the kernel's store code (boot
 * counter, not-a-store report), the CPU's faster page hash against XXH3,
 * and the page cache's tests (pc_) on a file disk, with page faults as SIGSEGV (arch/host/trap.c).
 * The in-kernel tests that need no devices (pmm_, heap_, thread_create_, mutex_, timer_,
 * vm_stack_guard) run here too, through the same registry the kernel
 * uses; those that need hardware preemption or accessed/dirty bits run
 * only under QEMU. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <arch/boot.h>
#include <arch/cpu.h>
#include <arch/irq.h>
#include <arch/mmu.h>
#include <kernel/clock.h>
#include <kernel/kernel.h>
#include <kernel/log.h>
#include <kernel/mem.h>
#include <kernel/test.h>
#include <kernel/thread.h>
#include <stdlib.h>
#include <string.h>
#include <toy/xxh3.h>
#include <unistd.h>

static int boot(void **state)
{
	(void)state;
	struct boot_info bi;
	host_boot_info(&bi);
	pmm_init(&bi);
	sched_init();
	arch_timer_init(100);
	clock_init();
	arch_irq_enable();
	return 0;
}

static void test_format(void **state)
{
	(void)state;
	char b[64];
	assert_int_equal(ksnprintf(b, sizeof(b), "%d|%5u|%05x|%X", -42, 7u, 0xabu, 0xbeefu), 20);
	assert_string_equal(b, "-42|    7|000ab|BEEF");
	ksnprintf(b, sizeof(b), "%lld %llu %zu %lx", -1ll, 18446744073709551615ull, (size_t)9,
		  0x1234567890ul);
	assert_string_equal(b, "-1 18446744073709551615 9 1234567890");
	ksnprintf(b, sizeof(b), "%s|%4s|%c|%%", "ab", "x", 'z');
	assert_string_equal(b, "ab|   x|z|%");
	assert_int_equal(ksnprintf(b, 4, "%s", "abcdef"), 6);
	assert_string_equal(b, "abc");
	ksnprintf(b, sizeof(b), "%p", (void *)0x10);
	assert_string_equal(b, "0x0000000000000010");
	ksnprintf(b, sizeof(b), "%d %05d", (int)-2147483647 - 1, -3);
	assert_string_equal(b, "-2147483648 -0003");
}

static void test_cmdline(void **state)
{
	(void)state;
	char v[16];
	cmdline_set("quiet toy.test=heap toy.stress=20  toy.x= last");
	assert_string_equal(cmdline_get("toy.test", v, sizeof(v)), "heap");
	assert_string_equal(cmdline_get("toy.stress", v, sizeof(v)), "20");
	assert_string_equal(cmdline_get("quiet", v, sizeof(v)), "");
	assert_string_equal(cmdline_get("toy.x", v, sizeof(v)), "");
	assert_string_equal(cmdline_get("last", v, sizeof(v)), "");
	assert_null(cmdline_get("toy", v, sizeof(v)));
	assert_null(cmdline_get("toy.tes", v, sizeof(v)));
	cmdline_set("toy.test=abcdefghijklmnopqrstuvwxyz");
	assert_string_equal(cmdline_get("toy.test", v, 5), "abcd");
}

static void test_registry(void **state)
{
	(void)state;
	assert_int_equal(ktest_run("pmm_"), 0);
	assert_int_equal(ktest_run("heap_"), 0);
	assert_int_equal(ktest_run("thread_create"), 0);
	assert_int_equal(ktest_run("mutex_"), 0);
	assert_int_equal(ktest_run("timer_"), 0);
	assert_int_equal(ktest_run("clock_"), 0);
	assert_int_equal(ktest_run("vm_stack_guard"), 0);
	assert_int_equal(ktest_run("no_such_test"), 0);
}

static void test_device_map(void **state)
{
	(void)state;
	uint64_t pa = pmm_alloc(2);
	assert_true(pa != 0);
	uint8_t *direct = arch_phys_to_virt(pa);
	uint8_t *dev = vm_map_device(pa + 100, 5000);
	assert_non_null(dev);
	dev[0] = 0x5a;
	dev[4999] = 0xa5;
	assert_int_equal(direct[100], 0x5a);
	assert_int_equal(direct[5099], 0xa5);
	assert_int_equal(arch_virt_to_phys(dev + 10), pa + 110);
	uint64_t got;
	unsigned flags;
	assert_int_equal(arch_mmu_query((uintptr_t)dev, &got, &flags), 0);
	assert_true(flags & ARCH_MMU_NOCACHE);
	pmm_free(pa, 2);
}

static void test_random(void **state)
{
	(void)state;
	uint8_t a[100] = {0}, b[100] = {0};
	assert_int_equal(random_get(NULL, a, sizeof(a)), 0);
	assert_int_equal(random_get(NULL, b, sizeof(b)), 0);
	assert_memory_not_equal(a, b, sizeof(a));
}

static int order[3], norder;

static int sleeper(void *arg)
{
	uintptr_t ms = (uintptr_t)arg;
	thread_sleep_ns(ms * 1000000ull);
	if (norder < 3)
		order[norder++] = (int)ms;
	return (int)ms;
}

static void test_sleep_order(void **state)
{
	(void)state;
	norder = 0;
	uint64_t t0 = arch_time_ns();
	struct thread *t30 = thread_create("s30", sleeper, (void *)30);
	struct thread *t10 = thread_create("s10", sleeper, (void *)10);
	struct thread *t20 = thread_create("s20", sleeper, (void *)20);
	assert_true(t30 && t10 && t20);
	assert_int_equal(thread_join(t30), 30);
	assert_int_equal(thread_join(t10), 10);
	assert_int_equal(thread_join(t20), 20);
	assert_true(arch_time_ns() - t0 >= 30000000ull);
	assert_int_equal(norder, 3);
	assert_int_equal(order[0], 10);
	assert_int_equal(order[1], 20);
	assert_int_equal(order[2], 30);
}

static void test_heap_leak_free(void **state)
{
	(void)state;
	size_t before = heap_in_use();
	norder = 3;
	struct thread *t = thread_create("x", sleeper, (void *)1);
	assert_non_null(t);
	thread_join(t);
	assert_int_equal(heap_in_use(), before);
}

static struct waitq timed_q;

static int timed_waiter(void *arg)
{
	uint64_t ms = (uint64_t)(uintptr_t)arg;
	bool on = arch_irq_save();
	bool woken = waitq_block_until(&timed_q, arch_time_ns() + ms * 1000000ull);
	arch_irq_restore(on);
	return woken;
}

/* A timed wait ends by a wake-up or by its deadline, and either way leaves
 * neither the waitq nor the sleep list holding the thread. */
static void test_waitq_timeout(void **state)
{
	(void)state;
	uint64_t t0 = arch_time_ns();
	struct thread *t = thread_create("timeout", timed_waiter, (void *)20);
	assert_non_null(t);
	assert_int_equal(thread_join(t), 0);
	assert_true(arch_time_ns() - t0 >= 20000000ull);
	assert_null(timed_q.head);

	t0 = arch_time_ns();
	t = thread_create("woken", timed_waiter, (void *)5000);
	assert_non_null(t);
	thread_sleep_ns(10000000ull);
	assert_int_equal(waitq_wake_all(&timed_q), 1);
	assert_int_equal(thread_join(t), 1);
	assert_true(arch_time_ns() - t0 < 2000000000ull);
	thread_sleep_ns(1000000ull); /* the old deadline must not wake anything */
}

/* The kernel's store code on a file disk: format, then three boots that
 * must count 1, 2, 3 with growing generations. */
static void test_store_boot_counter(void **state)
{
	(void)state;
	char path[] = "/tmp/toy-kernel-host-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0 && ftruncate(fd, 16 << 20) == 0);
	close(fd);
	assert_int_equal(host_disk_attach(path), 0);
	struct os_env env;
	assert_int_equal(kstore_env(&env), 0);
	assert_int_equal(os_format(&env, NULL), 0);
	uint64_t gen = 0;
	for (uint64_t boot = 1; boot <= 3; boot++) {
		struct kstore ks = {0};
		assert_int_equal(kstore_boot(&ks), 0);
		assert_int_equal(ks.boots, boot);
		assert_true(ks.generation > gen);
		gen = ks.generation;
		assert_int_equal(os_unmount(ks.os), 0);
	}
	unlink(path);
}

/* A disk of zeros is reported as not a store; no disk at all too. */
static void test_store_not_a_store(void **state)
{
	(void)state;
	char path[] = "/tmp/toy-kernel-host-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0 && ftruncate(fd, 8 << 20) == 0);
	close(fd);
	struct kstore ks = {0};
	assert_int_equal(host_disk_attach(path), 0);
	assert_int_equal(kstore_boot(&ks), TOY_ERR_CORRUPT);
	unlink(path);
	assert_int_equal(host_disk_attach(NULL), TOY_ERR_IO);
	assert_int_equal(kstore_boot(&ks), TOY_ERR_NOTFOUND);
}

/* The page cache's in-kernel tests on a fresh 128 MiB store. */
static void test_pagecache(void **state)
{
	(void)state;
	char path[] = "/tmp/toy-kernel-host-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0 && ftruncate(fd, 128 << 20) == 0);
	close(fd);
	assert_int_equal(host_disk_attach(path), 0);
	struct os_env env;
	assert_int_equal(kstore_env(&env), 0);
	assert_int_equal(os_format(&env, NULL), 0);
	host_trap_init(); /* cmocka installs its own SIGSEGV handler per test */
	assert_int_equal(ktest_run("pc_"), 0);
	unlink(path);
}

/* arch_fast_hash128, where this CPU has one (AVX2 on x86_64), gives
 * XXH3_128bits: pages of noise (its page path) at any alignment, and the
 * lengths round XXH3's edges (the library's path). */
static void test_fast_hash(void **state)
{
	(void)state;
	arch_hash128_fn *fast = arch_fast_hash128();
	if (!fast)
		skip(); /* the portable XXH3 is all there is */
	static uint8_t buf[3 * 4096];
	uint64_t x = 1;
	for (size_t i = 0; i < sizeof(buf); i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		buf[i] = (uint8_t)(x >> 56);
	}
	static const size_t lens[] = {0, 17, 129, 240, 241, 1024, 1025, 4095, 4096, 4097, 8192};
	for (size_t off = 0; off < 4096; off += 509)
		for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
			uint8_t want[16], got[16];
			toy_xxh3_128(buf + off, lens[i], want);
			fast(buf + off, lens[i], got);
			assert_memory_equal(got, want, 16);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_format),
	    cmocka_unit_test(test_cmdline),
	    cmocka_unit_test(test_registry),
	    cmocka_unit_test(test_device_map),
	    cmocka_unit_test(test_random),
	    cmocka_unit_test(test_sleep_order),
	    cmocka_unit_test(test_heap_leak_free),
	    cmocka_unit_test(test_waitq_timeout),
	    cmocka_unit_test(test_store_boot_counter),
	    cmocka_unit_test(test_store_not_a_store),
	    cmocka_unit_test(test_pagecache),
	    cmocka_unit_test(test_fast_hash),
	};
	return cmocka_run_group_tests(tests, boot, NULL);
}
