/* err.c — human-readable names for the TOY_ERR_* codes. */
#include <toy/err.h>

static const char *const messages[] = {
    [0] = "success",
    [-TOY_ERR_NOMEM] = "out of memory",
    [-TOY_ERR_IO] = "I/O error",
    [-TOY_ERR_CORRUPT] = "corrupt data",
    [-TOY_ERR_NOSPC] = "no space left",
    [-TOY_ERR_NOTFOUND] = "not found",
    [-TOY_ERR_INVAL] = "invalid argument",
    [-TOY_ERR_EXISTS] = "already exists",
    [-TOY_ERR_BUSY] = "busy (wrong state for this call)",
    [-TOY_ERR_RANGE] = "out of range",
    [-TOY_ERR_NOTSUP] = "not supported",
    [-TOY_ERR_PERM] = "permission denied",
    [-TOY_ERR_FAILED] = "an earlier error latched",
    [-TOY_ERR_TRAP] = "trap",
    [-TOY_ERR_MALFORMED] = "malformed binary",
    [-TOY_ERR_INVALID] = "invalid module",
    [-TOY_ERR_LIMIT] = "limit exceeded",
};

const char *toy_strerror(int code)
{
	if (code > 0 || code < TOY_ERR_LAST || !messages[-code])
		return "unknown error";
	return messages[-code];
}
