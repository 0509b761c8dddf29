/* hello — the smallest application: a greeting and the date through
 * WASI's fd_write and clock_time_get, then exit. It makes no "toy" host
 * call, so it also runs on toy-wasm. The date is the machine's real-time
 * clock (kernel/clock.h): domains-test checks it against the host's. */
#include <stdio.h>
#include <time.h>

int main(void)
{
	printf("hello from a wasm domain\n");
	time_t now = time(NULL);
	struct tm tm;
	char date[32];
	if (gmtime_r(&now, &tm) && strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm))
		printf("hello: it is %s UTC\n", date);
	return 0;
}
