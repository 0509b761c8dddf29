/* main.c — kmain: the portable boot sequence.
 *
 * The arch has a stack, the MMU and a console ready. kmain brings up the
 * rest in dependency order (traps, frames, heap, threads, the tick, the
 * wall clock, devices, the store), then does what the command line asks:
 *   toy.test=all|PREFIX  run the in-kernel tests, print "N passed, N failed"
 *                        and power off, with status 0 only if all passed;
 *   toy.stress[=N]       the power-cut workload: N commits (default: for
 *                        ever), then power off;
 *   toy.halt             power off right after "toy: ready" (benchmarks);
 *   toy.bench=blk        measure the disk (kernel/bench.c), then power off;
 *   toy.crash[=stack]    fault on purpose (tests that panics are readable);
 *   toy.log=LEVEL        error, warn, info (default) or debug;
 * otherwise it prints "toy: ready ...", starts the domains (resuming those
 * that ran before, or init on a fresh store) and idles; with
 *   toy.run=SECONDS      it powers off cleanly after that long (tests);
 *   toy.run=done         it powers off once every domain has ended or
 *                        parked (benchmarks). */
#include <arch/boot.h>
#include <arch/cpu.h>
#include <arch/irq.h>
#include <kernel/clock.h>
#include <kernel/dev.h>
#include <kernel/domain.h>
#include <kernel/kernel.h>
#include <kernel/log.h>
#include <kernel/mem.h>
#include <kernel/pagecache.h>
#include <kernel/test.h>
#include <kernel/thread.h>
#include <string.h>

#define TICK_HZ 100

static uint64_t entry_cycles;

static unsigned ms_since_entry(void)
{
	uint64_t hz = arch_cycles_hz();
	return hz ? (unsigned)((arch_cycles() - entry_cycles) * 1000 / hz) : 0;
}

/* toy.log=error|warn|info|debug sets the kernel log level. */
static void set_log_level(void)
{
	static const char *const names[] = {"error", "warn", "info", "debug"};
	char arg[16];
	if (!cmdline_get("toy.log", arg, sizeof(arg)))
		return;
	for (unsigned i = 0; i < 4; i++)
		if (!strcmp(arg, names[i]))
			klog_set_level((enum log_level)i);
}

static void ready(const struct kstore *ks, int err)
{
	unsigned ms = ms_since_entry();
	if (err)
		kprintf("toy: ready arch=%s store=none (%s) entry-to-ready=%ums\n", arch_name(),
			toy_strerror(err), ms);
	else
		kprintf("toy: ready arch=%s generation=%llu boots=%llu objects=%llu "
			"entry-to-ready=%ums\n",
			arch_name(), (unsigned long long)ks->generation,
			(unsigned long long)ks->boots, (unsigned long long)ks->nobjects, ms);
}

static uint64_t parse_u64(const char *s)
{
	uint64_t v = 0;
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (uint64_t)(*s++ - '0');
	return v;
}

static volatile bool overflow_on = true;

static int overflow(void *arg)
{
	volatile char buf[512];
	buf[0] = (char)(uintptr_t)arg;
	if (!overflow_on)
		return 0;
	return overflow((void *)((uintptr_t)arg + 1)) + buf[0];
}

/* toy.crash=stack overflows a thread's stack; anything else writes to an
 * unmapped address. Both must end in a readable panic. */
static void crash(const char *how)
{
	if (!strcmp(how, "stack")) {
		struct thread *t = thread_create("overflow", overflow, NULL);
		if (t)
			thread_join(t);
	}
	*(volatile uint64_t *)16 = 1; /* nothing is mapped at 0 */
}

static void run_mode(struct kstore *ks, int store_err)
{
	char arg[64];
	if (cmdline_get("toy.test", arg, sizeof(arg))) {
		if (!store_err)
			os_unmount(ks->os);
		int failed = ktest_run(arg[0] ? arg : "all");
		arch_poweroff(failed ? 1 : 0);
	}
	if (cmdline_get("toy.stress", arg, sizeof(arg)) && !store_err)
		kstore_stress(ks, parse_u64(arg));
	if (cmdline_get("toy.crash", arg, sizeof(arg)))
		crash(arg);
	if (cmdline_get("toy.bench", arg, sizeof(arg)))
		kbench_blk();
	if (cmdline_get("toy.halt", arg, sizeof(arg)) ||
	    cmdline_get("toy.bench", arg, sizeof(arg))) {
		if (!store_err)
			os_unmount(ks->os);
		arch_poweroff(0);
	}
}

/* Unmounts the store (after any commit in progress) and powers off. */
static _Noreturn void shutdown(void)
{
	os_store *os = kstore_lock();
	int err = os ? os_unmount(os) : 0;
	kprintf("toy: power off (unmount: %s)\n", toy_strerror(err));
	arch_poweroff(err ? 1 : 0);
}

static bool all_done(void)
{
	unsigned started, running, parked;
	domains_count(&started, &running, &parked);
	return running == parked;
}

static void run_domains(void)
{
	int n = domains_boot();
	if (n >= 0)
		kprintf("toy: domains started=%d\n", n);
	char arg[32];
	if (!cmdline_get("toy.run", arg, sizeof(arg)))
		return;
	bool until_done = !strcmp(arg, "done");
	uint64_t end = arch_time_ns() + parse_u64(arg) * 1000000000ull;
	while (until_done ? !all_done() : arch_time_ns() < end) {
		thread_sleep_ns(100000000ull);
		domains_reap();
	}
	shutdown();
}

void kmain(struct boot_info *bi)
{
	entry_cycles = bi->entry_cycles;
	kprintf("\nToy kernel (%s), command line \"%s\"\n", arch_name(), bi->cmdline);
	arch_cpu_init();
	cmdline_set(bi->cmdline);
	set_log_level();
	pmm_init(bi);
	sched_init();
	arch_timer_init(TICK_HZ);
	clock_init();
	arch_irq_enable();
	dev_init();
	struct kstore ks = {0};
	int err = kstore_boot(&ks);
	pc_init(0);
	ready(&ks, err);
	run_mode(&ks, err);
	if (!err)
		run_domains();
	for (;;) {
		thread_sleep_ns(1000000000ull);
		domains_reap();
	}
}
