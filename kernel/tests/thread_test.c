/* thread_test.c — in-kernel tests of threads, preemption, sleeping, the
 * timer and mutexes. */
#include <arch/cpu.h>
#include <arch/irq.h>
#include <kernel/test.h>
#include <kernel/thread.h>

static int add_one(void *arg)
{
	return (int)(uintptr_t)arg + 1;
}

KTEST(thread_create_join)
{
	struct thread *t[8];
	for (uintptr_t i = 0; i < 8; i++)
		KCHECK((t[i] = thread_create("adder", add_one, (void *)i)) != NULL);
	for (uintptr_t i = 0; i < 8; i++)
		KCHECK(thread_join(t[i]) == (int)i + 1);
	return 0;
}

static volatile uint64_t spin_counts[2];
static volatile bool spin_stop;

/* Never yields: only preemption lets the other spinner run. */
static int spinner(void *arg)
{
	uintptr_t i = (uintptr_t)arg;
	double x = 1.0 + (double)i; /* FP state must survive preemption */
	while (!spin_stop) {
		spin_counts[i]++;
		x = x * 1.0000001;
	}
	return x > 1.0 + (double)i ? 0 : 1;
}

KTEST(thread_preemption)
{
	spin_stop = false;
	spin_counts[0] = spin_counts[1] = 0;
	uint64_t switches = sched_switches();
	struct thread *a = thread_create("spin0", spinner, (void *)0);
	struct thread *b = thread_create("spin1", spinner, (void *)1);
	KCHECK(a && b);
	thread_sleep_ns(200000000ull);
	spin_stop = true;
	KCHECK(thread_join(a) == 0 && thread_join(b) == 0);
	KCHECK(spin_counts[0] > 0 && spin_counts[1] > 0);
	KCHECK(sched_switches() - switches >= 4);
	return 0;
}

/* Yields with nobody else ready (the test thread sleeps), then spins until
 * preempted: a scheduler that leaves it marked ready-but-running loses it
 * at that preemption, and the join below never returns. */
static int yield_then_spin(void *arg)
{
	(void)arg;
	thread_yield();
	while (!spin_stop)
		spin_counts[0]++;
	return 0;
}

KTEST(thread_preemption_after_lone_yield)
{
	spin_stop = false;
	spin_counts[0] = 0;
	struct thread *t = thread_create("yielder", yield_then_spin, NULL);
	KCHECK(t != NULL);
	thread_sleep_ns(50000000ull);
	thread_sleep_ns(50000000ull); /* woken by a tick that preempts the spinner */
	spin_stop = true;
	KCHECK(thread_join(t) == 0);
	KCHECK(spin_counts[0] > 0);
	return 0;
}

KTEST(timer_sleep)
{
	uint64_t t0 = arch_time_ns(), c0 = arch_cycles();
	thread_sleep_ns(50000000ull);
	uint64_t dt = arch_time_ns() - t0;
	KCHECK(dt >= 50000000ull && dt < 10000000000ull); /* the host may be busy */
	KCHECK(arch_cycles() > c0 && arch_cycles_hz() > 0);
	return 0;
}

static struct mutex counter_lock;
static uint64_t counter;

static int locked_adder(void *arg)
{
	(void)arg;
	for (int i = 0; i < 2000; i++) {
		mutex_lock(&counter_lock);
		uint64_t v = counter;
		if (i % 100 == 0)
			thread_yield(); /* hold the lock across a switch */
		counter = v + 1;
		mutex_unlock(&counter_lock);
	}
	return 0;
}

KTEST(mutex_exclusion)
{
	counter = 0;
	struct thread *t[4];
	for (int i = 0; i < 4; i++)
		KCHECK((t[i] = thread_create("locker", locked_adder, NULL)) != NULL);
	for (int i = 0; i < 4; i++)
		KCHECK(thread_join(t[i]) == 0);
	KCHECK(counter == 8000);
	return 0;
}
