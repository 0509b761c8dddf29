/* Freestanding <assert.h>: static_assert only. Portable Toy code does not use
 * assert(); it returns errors for bad input and panics only in the kernel. */
#ifndef TOY_FREESTANDING_ASSERT_H
#define TOY_FREESTANDING_ASSERT_H
#define static_assert _Static_assert
#define assert(x) ((void)0)
#endif
