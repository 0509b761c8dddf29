/* toy/wasi.h — the WASI preview1 subset Toy implements (DESIGN.md §6),
 * defined once for its two embedders: the kernel's domains
 * (kernel/domain/wasi.c) and toy-wasm (tools/toy-wasm/wasi.c). Each call
 * has an index, its import name and its signature in vm_host_func_new's
 * letters (i=i32, I=i64, ':' then results); an embedder keeps a table of
 * handlers by index. The errno values are WASI's. */
#ifndef TOY_WASI_H
#define TOY_WASI_H

#define WASI_MODULE "wasi_snapshot_preview1"

enum wasi_errno {
	WASI_ESUCCESS = 0,
	WASI_EBADF = 8,
	WASI_EFAULT = 21,
	WASI_EINVAL = 28,
	WASI_ENOSYS = 52,
};

enum wasi_call {
	WASI_FD_WRITE,
	WASI_PROC_EXIT,
	WASI_ARGS_SIZES_GET,
	WASI_ARGS_GET,
	WASI_ENVIRON_SIZES_GET,
	WASI_ENVIRON_GET,
	WASI_CLOCK_TIME_GET,
	WASI_RANDOM_GET,
	WASI_FD_FDSTAT_GET,
	WASI_FD_CLOSE,
	WASI_FD_SEEK,
	WASI_FD_READ,
	WASI_FD_FDSTAT_SET_FLAGS,
	WASI_FD_PRESTAT_GET,
	WASI_FD_PRESTAT_DIR_NAME,
	WASI_FD_FILESTAT_GET,
	WASI_PATH_OPEN,
	WASI_PATH_FILESTAT_GET,
	WASI_POLL_ONEOFF,
	WASI_SCHED_YIELD,
	WASI_CLOCK_RES_GET,
	WASI_NCALLS
};

struct wasi_call_info {
	const char *name, *sig;
};

extern const struct wasi_call_info wasi_calls[WASI_NCALLS];

/* The index of the call named name, or -1 when Toy does not know it. */
int wasi_call_find(const char *name);

#endif
