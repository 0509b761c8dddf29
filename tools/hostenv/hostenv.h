/* hostenv.h — objstore environments for Linux programs (tools, tests,
 * benchmarks): a file (or block device) as the store's disk, malloc for
 * memory, getrandom for randomness. */
#ifndef TOY_HOSTENV_H
#define TOY_HOSTENV_H

#include <objstore/objstore.h>
#include <stdbool.h>

struct host_file {
	int fd;
	bool sync; /* flush with fdatasync (true) or not at all (tests) */
};

/* Opens path as a store device (read-write unless rdonly) and fills env:
 * device = the file, whole blocks only; memory = malloc; random = getrandom.
 * Returns 0 or a negative TOY_ERR_*; errno explains TOY_ERR_IO. */
int host_file_open(const char *path, bool rdonly, struct host_file *f, struct os_env *env);

/* Creates or truncates path to size bytes (sparse). Returns 0 or TOY_ERR_IO. */
int host_file_create(const char *path, uint64_t size);

void host_file_close(struct host_file *f);

/* Fills env's memory and random functions with malloc/free/getrandom, and
 * allows a read cache of up to 128 MiB. */
void host_env_memory(struct os_env *env);

#endif
