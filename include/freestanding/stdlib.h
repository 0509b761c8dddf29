/* Freestanding <stdlib.h>: declarations only, so that headers written for
 * hosted C (xxhash.h) compile. Portable Toy code never calls these; the
 * freestanding link check fails if anything does. */
#ifndef TOY_FREESTANDING_STDLIB_H
#define TOY_FREESTANDING_STDLIB_H
#include <stddef.h>
void *malloc(size_t n);
void free(void *p);
#endif
