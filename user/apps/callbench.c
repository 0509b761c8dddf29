/* callbench — the in-domain half of `./toy bench calls` (bench/calls/run).
 *
 * Measures, with the WASI monotonic clock, in this order:
 *   wasm_call   a call of a small wasm function (the baseline);
 *   hostcall    a call of the null host call toy.nop, imported directly;
 *   read64      toy_read of 64 bytes of a small object this domain holds
 *               (capability check, store lookup, copy out);
 *   pagein      MiB/s of faulting in a cold object: 32 MiB written with
 *               toy_write (so none of it is in the page cache), mapped into
 *               linear memory with toy_map, then one byte per page read;
 *               measured on a second object over the same range, whose
 *               frames are recycled (see pagein_mibps).
 * and prints one line the runner parses:
 *   callbench: wasm_call_ns=X hostcall_ns=X read64_ns=X pagein_mibps=X
 *              pagein_first_touch_mibps=X
 * Then it exits. Every figure is a mean over many repetitions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <toy.h>

#define CALLS      2000000u
#define READS      200000u
#define PAGEIN_MIB 32u
#define PAGE       4096u
#define WASM_PAGE  65536u

static volatile int32_t sink;

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* The wasm side of the comparison: same shape as toy.nop (no arguments,
 * an i32 result), kept out of line. */
__attribute__((noinline)) static int32_t wasm_nop(void)
{
	return sink;
}

static double wasm_call_ns(void)
{
	int32_t acc = 0;
	uint64_t t0 = now_ns();
	for (unsigned i = 0; i < CALLS; i++)
		acc += wasm_nop();
	uint64_t dt = now_ns() - t0;
	sink = acc;
	return (double)dt / CALLS;
}

static double hostcall_ns(void)
{
	int32_t acc = 0;
	uint64_t t0 = now_ns();
	for (unsigned i = 0; i < CALLS; i++)
		acc += toy_host_nop();
	uint64_t dt = now_ns() - t0;
	sink = acc;
	return (double)dt / CALLS;
}

static double read64_ns(const toy_id *obj)
{
	static uint8_t buf[64];
	uint64_t t0 = now_ns();
	for (unsigned i = 0; i < READS; i++)
		if (toy_read(obj, 0, buf, sizeof(buf)) != sizeof(buf)) {
			printf("callbench: FAIL read64\n");
			exit(1);
		}
	return (double)(now_ns() - t0) / READS;
}

/* A new object of PAGEIN_MIB holding a pattern that depends on seed, or
 * a failed create/write (returns non-zero). */
static int make_object(toy_id *obj, unsigned seed)
{
	static uint8_t chunk[1 << 20];
	if (toy_create(obj) < 0)
		return 1;
	for (unsigned m = 0; m < PAGEIN_MIB; m++) {
		memset(chunk, (int)((seed + m) & 0xff), sizeof(chunk));
		if (toy_write(obj, (uint64_t)m << 20, chunk, sizeof(chunk)) != (int)sizeof(chunk))
			return 1;
	}
	return 0;
}

/* Maps obj at base and reads one byte per page: MiB/s, or -1 if a byte is
 * not what make_object wrote. */
static double touch_mapped(const toy_id *obj, unsigned seed, volatile uint8_t *base)
{
	size_t bytes = (size_t)PAGEIN_MIB << 20;
	if (toy_map(obj, (void *)base, bytes, 0) < 0)
		return -1;
	unsigned sum = 0, want = 0;
	uint64_t t0 = now_ns();
	for (size_t off = 0; off < bytes; off += PAGE)
		sum += base[off];
	uint64_t dt = now_ns() - t0;
	for (unsigned m = 0; m < PAGEIN_MIB; m++)
		want += ((seed + m) & 0xff) * (unsigned)((1 << 20) / PAGE);
	return sum == want ? (double)PAGEIN_MIB * 1e9 / (double)dt : -1;
}

/* Page-in of cold objects mapped into fresh linear memory, twice: the first
 * object's pages land in frames the machine has never touched (under QEMU
 * that first touch costs as much as the rest together), the second one,
 * mapped over the same range, in the frames the first gave back, as in a
 * running system. Returns the second rate; *first gets the first. */
static double pagein_mibps(double *first)
{
	size_t bytes = (size_t)PAGEIN_MIB << 20;
	toy_id a, b;
	if (make_object(&a, 0x5a) || make_object(&b, 0x33))
		return -1;
	long old = __builtin_wasm_memory_grow(0, bytes / WASM_PAGE);
	if (old < 0)
		return -1;
	volatile uint8_t *base = (uint8_t *)(uintptr_t)((size_t)old * WASM_PAGE);
	*first = touch_mapped(&a, 0x5a, base);
	return *first < 0 ? -1 : touch_mapped(&b, 0x33, base);
}

int main(void)
{
	toy_id small;
	static uint8_t bytes[4096];
	if (toy_create(&small) < 0 || toy_write(&small, 0, bytes, sizeof(bytes)) < 0) {
		printf("callbench: FAIL setup\n");
		return 1;
	}
	double wasm = wasm_call_ns();
	double host = hostcall_ns();
	double read = read64_ns(&small);
	double first = 0, pagein = pagein_mibps(&first);
	if (pagein < 0) {
		printf("callbench: FAIL pagein\n");
		return 1;
	}
	printf("callbench: wasm_call_ns=%.2f hostcall_ns=%.2f read64_ns=%.2f pagein_mibps=%.1f "
	       "pagein_first_touch_mibps=%.1f\n",
	       wasm, host, read, pagein, first);
	return 0;
}
