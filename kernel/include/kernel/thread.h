/* kernel/thread.h — kernel threads, the scheduler, sleeping and locks.
 *
 * One CPU, preemptive round robin: the timer interrupt switches to the next
 * ready thread every tick. Threads block on a waitq (join, mutexes) or sleep
 * until a time. None of these may be called from an interrupt handler
 * except thread_preempt, which the timer tick calls, and waitq_wake_all,
 * which device interrupt handlers call. */
#ifndef KERNEL_THREAD_H
#define KERNEL_THREAD_H

#include <arch/thread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct thread;

struct waitq {
	struct thread *head, *tail;
};

struct mutex {
	struct thread *owner;
	struct waitq waiters;
};

#define THREAD_STACK_SIZE (32 * 1024)

/* Turns the boot flow into the first thread and starts the idle thread. */
void sched_init(void);

/* Creates a ready thread running fn(arg). Returns NULL when out of memory.
 * The caller must thread_join it (which frees it). */
struct thread *thread_create(const char *name, int (*fn)(void *), void *arg);
/* The same with a stack of size bytes instead of THREAD_STACK_SIZE. */
struct thread *thread_create_sized(const char *name, int (*fn)(void *), void *arg, size_t size);

/* Waits for t to finish, frees it and returns fn's result. */
int thread_join(struct thread *t);

struct thread *thread_current(void);
const char *thread_name(const struct thread *t);

void thread_yield(void);
void thread_sleep_ns(uint64_t ns);

/* Called by the timer tick with interrupts disabled: wakes sleepers whose
 * time has come and switches to the next ready thread. */
void thread_preempt(uint64_t now_ns);

/* Context switches since boot (tests use it to see preemption). */
uint64_t sched_switches(void);

/* Blocks the current thread on q; call with interrupts disabled. */
void waitq_block(struct waitq *q);
/* Like waitq_block, but gives up at arch_time_ns() == deadline_ns. Returns
 * true if woken by waitq_wake_all, false on timeout. Interrupts disabled. */
bool waitq_block_until(struct waitq *q, uint64_t deadline_ns);
/* Makes every thread on q ready; returns how many. May be called from an
 * interrupt handler. */
unsigned waitq_wake_all(struct waitq *q);

void mutex_lock(struct mutex *m);
void mutex_unlock(struct mutex *m);

#endif
