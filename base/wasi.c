/* wasi.c — the table of toy/wasi.h: every WASI preview1 call Toy knows,
 * with its signature. */
#include <string.h>
#include <toy/wasi.h>

const struct wasi_call_info wasi_calls[WASI_NCALLS] = {
    [WASI_FD_WRITE] = {"fd_write", "iiii:i"},
    [WASI_PROC_EXIT] = {"proc_exit", "i:"},
    [WASI_ARGS_SIZES_GET] = {"args_sizes_get", "ii:i"},
    [WASI_ARGS_GET] = {"args_get", "ii:i"},
    [WASI_ENVIRON_SIZES_GET] = {"environ_sizes_get", "ii:i"},
    [WASI_ENVIRON_GET] = {"environ_get", "ii:i"},
    [WASI_CLOCK_TIME_GET] = {"clock_time_get", "iIi:i"},
    [WASI_RANDOM_GET] = {"random_get", "ii:i"},
    [WASI_FD_FDSTAT_GET] = {"fd_fdstat_get", "ii:i"},
    [WASI_FD_CLOSE] = {"fd_close", "i:i"},
    [WASI_FD_SEEK] = {"fd_seek", "iIii:i"},
    [WASI_FD_READ] = {"fd_read", "iiii:i"},
    [WASI_FD_FDSTAT_SET_FLAGS] = {"fd_fdstat_set_flags", "ii:i"},
    [WASI_FD_PRESTAT_GET] = {"fd_prestat_get", "ii:i"},
    [WASI_FD_PRESTAT_DIR_NAME] = {"fd_prestat_dir_name", "iii:i"},
    [WASI_FD_FILESTAT_GET] = {"fd_filestat_get", "ii:i"},
    [WASI_PATH_OPEN] = {"path_open", "iiiiiIIii:i"},
    [WASI_PATH_FILESTAT_GET] = {"path_filestat_get", "iiiii:i"},
    [WASI_POLL_ONEOFF] = {"poll_oneoff", "iiii:i"},
    [WASI_SCHED_YIELD] = {"sched_yield", ":i"},
    [WASI_CLOCK_RES_GET] = {"clock_res_get", "ii:i"},
};

int wasi_call_find(const char *name)
{
	for (int i = 0; i < WASI_NCALLS; i++)
		if (!strcmp(wasi_calls[i].name, name))
			return i;
	return -1;
}
