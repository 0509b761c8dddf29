/* kernel/test.h — the in-kernel test registry.
 *
 * KTEST(name) defines a test function placed in the "ktests" section; the
 * runner (toy.test=all, or toy.test=PREFIX on the command line) runs every
 * test whose name starts with the prefix, prints "test NAME: ok" or
 * "test NAME: FAILED", then one line "N passed, N failed". KCHECK records a
 * failure with its location and returns from the test. */
#ifndef KERNEL_TEST_H
#define KERNEL_TEST_H

#include <kernel/log.h>

struct ktest {
	const char *name;
	int (*fn)(void); /* 0: passed */
};

#define KTEST(tname)                                                                               \
	static int ktest_fn_##tname(void);                                                         \
	__attribute__((used, section("ktests"),                                                    \
		       aligned(8))) static const struct ktest ktest_##tname = {#tname,             \
									       ktest_fn_##tname};  \
	static int ktest_fn_##tname(void)

#define KCHECK(c)                                                                                  \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			kprintf("  check failed: %s (%s:%d)\n", #c, __FILE__, __LINE__);           \
			return 1;                                                                  \
		}                                                                                  \
	} while (0)

/* Runs the tests whose names start with prefix ("all": every test).
 * Returns the number that failed. */
int ktest_run(const char *prefix);

#endif
