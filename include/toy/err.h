/* toy/err.h — the one error convention of Toy.
 *
 * Every fallible function returns int: 0 (TOY_OK) on success or one of the
 * negative TOY_ERR_* codes below. Functions that return a count return it as a
 * non-negative value and errors as negative codes. Nothing else is used to
 * signal failure (no errno, no NULL-with-side-channel). */
#ifndef TOY_ERR_H
#define TOY_ERR_H

enum {
	TOY_OK = 0,
	TOY_ERR_NOMEM = -1,      /* an allocation failed */
	TOY_ERR_IO = -2,         /* the device reported an error */
	TOY_ERR_CORRUPT = -3,    /* bytes from disk (or a file) fail a check */
	TOY_ERR_NOSPC = -4,      /* no room left */
	TOY_ERR_NOTFOUND = -5,   /* no such object (or not held) */
	TOY_ERR_INVAL = -6,      /* a bad argument */
	TOY_ERR_EXISTS = -7,     /* already exists */
	TOY_ERR_BUSY = -8,       /* wrong state for this call (e.g. txn open) */
	TOY_ERR_RANGE = -9,      /* offset, length or value out of range */
	TOY_ERR_NOTSUP = -10,    /* not supported (e.g. version) */
	TOY_ERR_PERM = -11,      /* not allowed */
	TOY_ERR_FAILED = -12,    /* an earlier error latched; remount/abort */
	TOY_ERR_TRAP = -13,      /* a wasm trap */
	TOY_ERR_MALFORMED = -14, /* malformed binary input */
	TOY_ERR_INVALID = -15,   /* input well-formed but fails validation */
	TOY_ERR_LIMIT = -16,     /* an engine or resource limit was hit */
	TOY_ERR_LAST = -16,
};

/* Returns a short constant English description of code (never NULL). */
const char *toy_strerror(int code);

#endif
