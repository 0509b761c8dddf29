/* fuzz_wat.c — libFuzzer target for toy-wasm's text-format parser: the
 * input is module text; whatever the parser accepts must then decode and
 * validate (or be refused) in the vm without a crash. Any crash or
 * sanitizer report is a bug; MALFORMED and INVALID are expected. */
#include <stdint.h>
#include <stdlib.h>
#include <toy/err.h>
#include <vm/vm.h>
#include <wat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void *f_alloc(void *ctx, size_t n)
{
	(void)ctx;
	return n > (64u << 20) ? NULL : malloc(n);
}

static void f_free(void *ctx, void *p)
{
	(void)ctx;
	free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *bin = NULL;
	size_t len = 0;
	char msg[160];
	int rc = wat_parse((const char *)data, size, &bin, &len, msg, sizeof(msg));
	if (rc == 0) {
		const struct vm_alloc a = {f_alloc, f_free, NULL};
		struct vm_module *m = NULL;
		if (vm_module_load(&a, bin, len, &m, msg, sizeof(msg)) == 0)
			vm_module_free(m);
		free(bin);
	} else if (rc != TOY_ERR_MALFORMED && rc != TOY_ERR_NOMEM) {
		abort(); /* the contract allows nothing else */
	}
	return 0;
}
