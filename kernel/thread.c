/* thread.c — kernel threads and the scheduler.
 *
 * One CPU. Ready threads wait in a FIFO run queue; the running thread is
 * not on it. schedule() picks the head (or the idle thread) and switches to
 * it with interrupts disabled; every path into schedule() has put the
 * current thread where it belongs first (back on the run queue, on a
 * waitq, on the sleep list, or nowhere once it has exited). The timer tick
 * calls thread_preempt(), which wakes sleepers and rotates the run queue,
 * so a thread that never blocks still shares the CPU. A thread that exits
 * stays a zombie until thread_join frees its stack and struct. */
#include <arch/cpu.h>
#include <arch/irq.h>
#include <kernel/log.h>
#include <kernel/mem.h>
#include <kernel/thread.h>
#include <string.h>

enum thread_state { T_READY, T_RUNNING, T_BLOCKED, T_SLEEPING, T_DEAD };

struct thread {
	struct arch_context ctx; /* first: 16-byte aligned like the block */
	char name[16];
	enum thread_state state;
	struct thread *next;       /* on the run queue or a waitq */
	struct thread *sleep_next; /* on the sleep list */
	struct waitq *waiting_on;  /* the waitq of a timed wait */
	bool timed_out;
	uint64_t wake_ns;
	int (*fn)(void *);
	void *arg;
	int result;
	void *stack;
	size_t stack_size;
	struct waitq joiners;
};

static struct thread boot_thread;
static struct thread *current = &boot_thread;
static struct thread *idle_thread;
static struct waitq runq;
static struct thread *sleepers; /* sorted by wake_ns */
static uint64_t nswitches;

static void q_push(struct waitq *q, struct thread *t)
{
	t->next = NULL;
	if (q->tail)
		q->tail->next = t;
	else
		q->head = t;
	q->tail = t;
}

static struct thread *q_pop(struct waitq *q)
{
	struct thread *t = q->head;
	if (t) {
		q->head = t->next;
		if (!q->head)
			q->tail = NULL;
		t->next = NULL;
	}
	return t;
}

static void q_remove(struct waitq *q, struct thread *t)
{
	struct thread *prev = NULL;
	for (struct thread *it = q->head; it; prev = it, it = it->next) {
		if (it != t)
			continue;
		if (prev)
			prev->next = t->next;
		else
			q->head = t->next;
		if (q->tail == t)
			q->tail = prev;
		t->next = NULL;
		return;
	}
}

static void sleep_insert(struct thread *t)
{
	struct thread **p = &sleepers;
	while (*p && (*p)->wake_ns <= t->wake_ns)
		p = &(*p)->sleep_next;
	t->sleep_next = *p;
	*p = t;
}

static void sleep_remove(struct thread *t)
{
	for (struct thread **p = &sleepers; *p; p = &(*p)->sleep_next) {
		if (*p == t) {
			*p = t->sleep_next;
			return;
		}
	}
}

static void make_ready(struct thread *t)
{
	t->state = T_READY;
	q_push(&runq, t);
}

/* Switches to the next ready thread. Interrupts are disabled. */
static void schedule(void)
{
	struct thread *next = q_pop(&runq);
	if (!next)
		next = current->state == T_RUNNING ? current : idle_thread;
	next->state = T_RUNNING; /* also when it is current, back from the run queue */
	if (next == current)
		return;
	struct thread *prev = current;
	current = next;
	nswitches++;
	arch_context_switch(&prev->ctx, &next->ctx);
}

static void wake_sleepers(uint64_t now);

/* Sleepers whose time has come are woken here too, not only by the tick: on
 * a machine whose tick comes from the idle thread (arch/host), threads that
 * only ever yield would otherwise keep them asleep for ever. */
void thread_yield(void)
{
	bool on = arch_irq_save();
	wake_sleepers(arch_time_ns());
	if (current != idle_thread)
		make_ready(current);
	schedule();
	arch_irq_restore(on);
}

static void wake_sleepers(uint64_t now)
{
	while (sleepers && sleepers->wake_ns <= now) {
		struct thread *t = sleepers;
		sleepers = t->sleep_next;
		if (t->waiting_on) {
			q_remove(t->waiting_on, t);
			t->waiting_on = NULL;
			t->timed_out = true;
		}
		make_ready(t);
	}
}

void thread_preempt(uint64_t now_ns)
{
	wake_sleepers(now_ns);
	if (!runq.head)
		return;
	if (current != idle_thread && current->state == T_RUNNING)
		make_ready(current);
	schedule();
}

/* The arch calls this from the timer interrupt. */
void kernel_timer_tick(void)
{
	thread_preempt(arch_time_ns());
}

/* The arch calls this after device interrupt handlers: a thread they woke
 * runs at once if the CPU was idle, rather than at the next tick. */
void kernel_irq_done(void)
{
	if (current == idle_thread && runq.head)
		schedule();
}

void thread_sleep_ns(uint64_t ns)
{
	bool on = arch_irq_save();
	current->wake_ns = arch_time_ns() + ns;
	current->state = T_SLEEPING;
	sleep_insert(current);
	schedule();
	arch_irq_restore(on);
}

void waitq_block(struct waitq *q)
{
	current->state = T_BLOCKED;
	q_push(q, current);
	schedule();
}

bool waitq_block_until(struct waitq *q, uint64_t deadline_ns)
{
	current->wake_ns = deadline_ns;
	current->waiting_on = q;
	current->timed_out = false;
	sleep_insert(current);
	waitq_block(q);
	return !current->timed_out;
}

unsigned waitq_wake_all(struct waitq *q)
{
	bool on = arch_irq_save();
	unsigned n = 0;
	struct thread *t;
	while ((t = q_pop(q)) != NULL) {
		if (t->waiting_on) {
			sleep_remove(t);
			t->waiting_on = NULL;
		}
		make_ready(t);
		n++;
	}
	arch_irq_restore(on);
	return n;
}

_Noreturn static void thread_exit(int result)
{
	arch_irq_disable();
	current->result = result;
	current->state = T_DEAD;
	waitq_wake_all(&current->joiners);
	schedule();
	panic("thread_exit: a dead thread ran again");
}

static void thread_start(void *arg)
{
	struct thread *t = arg;
	thread_exit(t->fn(t->arg));
}

/* A new thread, not yet on the run queue. */
static struct thread *thread_new(const char *name, int (*fn)(void *), void *arg, size_t size)
{
	struct thread *t = kzalloc(sizeof(*t));
	void *stack = vm_alloc_stack(size);
	if (!t || !stack) {
		kfree(t);
		vm_free_stack(stack, size);
		return NULL;
	}
	size_t n = strlen(name) < sizeof(t->name) - 1 ? strlen(name) : sizeof(t->name) - 1;
	memcpy(t->name, name, n);
	t->fn = fn;
	t->arg = arg;
	t->stack = stack;
	t->stack_size = size;
	t->state = T_BLOCKED;
	arch_context_init(&t->ctx, stack, size, thread_start, t);
	return t;
}

struct thread *thread_create(const char *name, int (*fn)(void *), void *arg)
{
	return thread_create_sized(name, fn, arg, THREAD_STACK_SIZE);
}

struct thread *thread_create_sized(const char *name, int (*fn)(void *), void *arg, size_t size)
{
	struct thread *t = thread_new(name, fn, arg, size);
	if (t) {
		bool on = arch_irq_save();
		make_ready(t);
		arch_irq_restore(on);
	}
	return t;
}

int thread_join(struct thread *t)
{
	bool on = arch_irq_save();
	while (t->state != T_DEAD)
		waitq_block(&t->joiners);
	arch_irq_restore(on);
	int result = t->result;
	vm_free_stack(t->stack, t->stack_size);
	kfree(t);
	return result;
}

static int idle_main(void *arg)
{
	(void)arg;
	for (;;)
		arch_idle();
}

void sched_init(void)
{
	memcpy(boot_thread.name, "boot", 5);
	boot_thread.state = T_RUNNING;
	/* Never on the run queue: schedule() picks it when nothing else can run. */
	idle_thread = thread_new("idle", idle_main, NULL, THREAD_STACK_SIZE);
	if (!idle_thread)
		panic("sched_init: no memory for the idle thread");
}

struct thread *thread_current(void)
{
	return current;
}

const char *thread_name(const struct thread *t)
{
	return t->name;
}

uint64_t sched_switches(void)
{
	return nswitches;
}

void mutex_lock(struct mutex *m)
{
	bool on = arch_irq_save();
	while (m->owner)
		waitq_block(&m->waiters);
	m->owner = current;
	arch_irq_restore(on);
}

void mutex_unlock(struct mutex *m)
{
	bool on = arch_irq_save();
	if (m->owner != current)
		panic("mutex_unlock: %s does not hold the mutex", current->name);
	m->owner = NULL;
	waitq_wake_all(&m->waiters);
	arch_irq_restore(on);
}
