/* kernel/kernel.h — kernel-wide services that fit nowhere else: the boot
 * command line, randomness and the store the kernel keeps its objects in. */
#ifndef KERNEL_KERNEL_H
#define KERNEL_KERNEL_H

#include <objstore/objstore.h>
#include <stddef.h>
#include <stdint.h>

/* Returns the value of key=value on the boot command line, copied into buf
 * (NULL if the key is absent). A bare key yields "". */
const char *cmdline_get(const char *key, char *buf, size_t len);
void cmdline_set(const char *line);

/* Fills buf with n random bytes: virtio-rng when present, mixed with the
 * CPU's generator. Returns 0 (the signature fits struct os_env). */
int random_get(void *ctx, void *buf, size_t n);
void random_add_source(int (*fill)(void *buf, size_t n));

/* The kernel's store on the virtio-blk disk. */
struct kstore {
	os_store *os;
	uint64_t generation; /* after the boot record commit */
	uint64_t boots;      /* boot count including this boot */
	uint64_t nobjects;
};

/* Fills env with the kernel's memory, randomness and the first virtio-blk
 * disk. Returns TOY_ERR_NOTFOUND when there is no disk. */
int kstore_env(struct os_env *env);

/* The mounted store, shared by every thread: take the lock around each use
 * (one transaction at a time). kstore_lock returns NULL when Toy runs
 * without a store. Never touch a domain's memory while holding it. */
os_store *kstore_lock(void);
void kstore_unlock(void);

/* Mounts the store and bumps the boot counter. Returns 0, or an error after
 * logging why (TOY_ERR_CORRUPT: the disk is not a Toy store). */
int kstore_boot(struct kstore *ks);

/* The power-cut workload: verifies the stress objects, then appends to
 * them and commits count times (0: forever), printing each committed
 * generation; then unmounts and powers off. */
_Noreturn void kstore_stress(struct kstore *ks, uint64_t count);

/* Prints disk latency and throughput figures (toy.bench=blk). */
void kbench_blk(void);

#endif
