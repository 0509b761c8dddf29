/* arch.c (host) — the arch contract for the kernel core as a Linux
 * program, so its logic runs under ASan and UBSan in cmocka tests.
 *
 * Physical memory is a memfd of HOST_RAM bytes mapped once as the direct
 * map; arch_mmu_map maps pages of it again (MAP_FIXED) inside a reserved
 * window, so aliasing behaves as on a machine. The hardware accessed and
 * dirty bits have no equivalent here and are not reported. Threads are
 * ucontexts on the one Linux thread. There are no interrupts: the idle
 * thread sleeps a millisecond and then delivers the timer tick, which is
 * enough for sleeping and waking, though a thread that never blocks is
 * never preempted. The console is stdout; power-off is exit(). */
#define _GNU_SOURCE
#include <arch/boot.h>
#include <arch/console.h>
#include <arch/cpu.h>
#include <arch/irq.h>
#include <arch/mmu.h>
#include <arch/pci.h>
#include <arch/thread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>
#include <toy/err.h>
#include <unistd.h>

#define HOST_RAM      (64ull << 20)
#define HOST_MAP_SIZE (16ull << 20)
#define HOST_PAGES    (HOST_MAP_SIZE / ARCH_PAGE_SIZE)

bool host_irq_on;
static int ram_fd = -1;
static uint8_t *ram, *window;
static uint64_t window_pa[HOST_PAGES]; /* 0: unmapped, else pa + 1 */
static unsigned window_flags[HOST_PAGES];
static uint64_t t_start;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t host_cycles(void)
{
	return now_ns();
}

/* Sets up RAM and the map window and describes them in *bi. */
void host_boot_info(struct boot_info *bi)
{
	if (ram_fd < 0) {
		ram_fd = memfd_create("toy-ram", 0);
		if (ram_fd < 0 || ftruncate(ram_fd, (off_t)HOST_RAM) != 0)
			abort();
		ram = mmap(NULL, HOST_RAM, PROT_READ | PROT_WRITE, MAP_SHARED, ram_fd, 0);
		window = mmap(NULL, HOST_MAP_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (ram == MAP_FAILED || window == MAP_FAILED)
			abort();
	}
	*bi = (struct boot_info){.nram = 1, .ram = {{0, HOST_RAM}}, .kernel = {1u << 20, 1u << 20}};
	bi->entry_cycles = now_ns();
}

const char *arch_name(void)
{
	return "host";
}

void arch_cpu_init(void)
{
}

void arch_idle(void)
{
	host_irq_on = true;
	usleep(1000);
	bool on = arch_irq_save();
	kernel_timer_tick();
	arch_irq_restore(on);
}

size_t arch_random(void *buf, size_t n)
{
	ssize_t got = getrandom(buf, n, 0);
	return got < 0 ? 0 : (size_t)got;
}

uint64_t arch_cycles_hz(void)
{
	return 1000000000ull;
}

_Noreturn void arch_poweroff(int status)
{
	fflush(stdout);
	exit(status);
}

void arch_backtrace(unsigned max)
{
	(void)max;
}

void arch_console_init(void)
{
}

void arch_console_putc(char c)
{
	if (c != '\r')
		putchar(c);
}

int arch_console_getc(void)
{
	return -1;
}

void arch_timer_init(unsigned hz)
{
	(void)hz;
	t_start = now_ns();
}

uint64_t arch_time_ns(void)
{
	return t_start ? now_ns() - t_start : 0;
}

/* --- memory ------------------------------------------------------------------- */

void *arch_phys_to_virt(uint64_t pa)
{
	return ram + pa;
}

uintptr_t arch_mmu_map_base(void)
{
	return (uintptr_t)window;
}

uint64_t arch_mmu_map_size(void)
{
	return HOST_MAP_SIZE;
}

static long window_index(uintptr_t va)
{
	if (va < (uintptr_t)window || va >= (uintptr_t)window + HOST_MAP_SIZE)
		return -1;
	return (long)((va - (uintptr_t)window) / ARCH_PAGE_SIZE);
}

int arch_mmu_map(uintptr_t va, uint64_t pa, unsigned flags)
{
	long i = window_index(va);
	if (i < 0 || pa >= HOST_RAM)
		return TOY_ERR_INVAL;
	if (window_pa[i])
		return TOY_ERR_EXISTS;
	int prot = PROT_READ | (flags & ARCH_MMU_WRITE ? PROT_WRITE : 0);
	void *p =
	    mmap((void *)(va & ~(uintptr_t)(ARCH_PAGE_SIZE - 1)), ARCH_PAGE_SIZE, prot,
		 MAP_SHARED | MAP_FIXED, ram_fd, (off_t)(pa & ~(uint64_t)(ARCH_PAGE_SIZE - 1)));
	if (p == MAP_FAILED)
		return TOY_ERR_NOMEM;
	window_pa[i] = (pa & ~(uint64_t)(ARCH_PAGE_SIZE - 1)) + 1;
	window_flags[i] = (flags & (ARCH_MMU_WRITE | ARCH_MMU_NOCACHE)) | ARCH_MMU_READ;
	return 0;
}

int arch_mmu_unmap(uintptr_t va)
{
	long i = window_index(va);
	if (i < 0 || !window_pa[i])
		return TOY_ERR_NOTFOUND;
	mmap((void *)(va & ~(uintptr_t)(ARCH_PAGE_SIZE - 1)), ARCH_PAGE_SIZE, PROT_NONE,
	     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	window_pa[i] = 0;
	return 0;
}

int arch_mmu_query(uintptr_t va, uint64_t *pa, unsigned *flags)
{
	long i = window_index(va);
	if (i < 0 || !window_pa[i])
		return TOY_ERR_NOTFOUND;
	*pa = window_pa[i] - 1 + (va & (ARCH_PAGE_SIZE - 1));
	*flags = window_flags[i];
	return 0;
}

int arch_mmu_clear(uintptr_t va, unsigned flags)
{
	(void)flags;
	long i = window_index(va);
	return i < 0 || !window_pa[i] ? TOY_ERR_NOTFOUND : 0;
}

uint64_t arch_virt_to_phys(const void *p)
{
	const uint8_t *b = p;
	if (b >= ram && b < ram + HOST_RAM)
		return (uint64_t)(b - ram);
	uint64_t pa;
	unsigned flags;
	return arch_mmu_query((uintptr_t)p, &pa, &flags) ? UINT64_MAX : pa;
}

/* --- threads ------------------------------------------------------------------ */

/* ASan must be told about stack switches, or it reports false positives.
 * The boot thread's stack bounds are learnt on the first switch away. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HOST_ASAN 1
#include <sanitizer/common_interface_defs.h>
#endif
#endif

static struct arch_context *switching_from;

static void switch_begin(struct arch_context *from, struct arch_context *to, void **fake)
{
	switching_from = from;
#ifdef HOST_ASAN
	__sanitizer_start_switch_fiber(fake, to->stack, to->stack_size);
#else
	(void)to, (void)fake;
#endif
}

static void switch_end(void *fake)
{
#ifdef HOST_ASAN
	const void *bottom;
	size_t size;
	__sanitizer_finish_switch_fiber(fake, &bottom, &size);
	if (switching_from && !switching_from->stack_size) {
		switching_from->stack = bottom;
		switching_from->stack_size = size;
	}
#else
	(void)fake;
#endif
}

static void trampoline(unsigned hi, unsigned lo)
{
	struct arch_context *ctx = (void *)((uintptr_t)hi << 32 | lo);
	switch_end(NULL);
	host_irq_on = true;
	ctx->entry(ctx->arg);
	abort();
}

void arch_context_init(struct arch_context *ctx, void *stack, size_t size, void (*entry)(void *),
		       void *arg)
{
	getcontext(&ctx->uc);
	ctx->uc.uc_stack.ss_sp = stack;
	ctx->uc.uc_stack.ss_size = size;
	ctx->uc.uc_link = NULL;
	ctx->entry = entry;
	ctx->arg = arg;
	ctx->stack = stack;
	ctx->stack_size = size;
	uintptr_t p = (uintptr_t)ctx;
	makecontext(&ctx->uc, (void (*)(void))trampoline, 2, (unsigned)(p >> 32), (unsigned)p);
}

void arch_context_switch(struct arch_context *from, struct arch_context *to)
{
	void *fake = NULL;
	switch_begin(from, to, &fake);
	swapcontext(&from->uc, &to->uc);
	switch_end(fake);
}

/* No PCI on the host. */
uint32_t arch_pci_read32(unsigned bus, unsigned dev, unsigned fn, unsigned off)
{
	(void)bus, (void)dev, (void)fn, (void)off;
	return 0xffffffffu;
}

void arch_pci_write32(unsigned bus, unsigned dev, unsigned fn, unsigned off, uint32_t v)
{
	(void)bus, (void)dev, (void)fn, (void)off, (void)v;
}
