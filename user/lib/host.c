/* host.c — the typed wrappers of libtoy around the "toy" host calls.
 *
 * Each wrapper turns C pointers into the i32 addresses of linear memory and
 * passes the host's answer through unchanged: the kernel checks every
 * address, length and right, so the wrappers check nothing themselves (a
 * check here would only hide what the kernel says). */
#include <toy.h>

int toy_create(toy_id *id)
{
	return toy_host_create(TOY_ADDR(id));
}

int toy_read(const toy_id *id, uint64_t off, void *buf, size_t len)
{
	return toy_host_read(TOY_ADDR(id), (int64_t)off, TOY_ADDR(buf), (uint32_t)len);
}

int toy_write(const toy_id *id, uint64_t off, const void *buf, size_t len)
{
	return toy_host_write(TOY_ADDR(id), (int64_t)off, TOY_ADDR(buf), (uint32_t)len);
}

int64_t toy_size(const toy_id *id)
{
	return toy_host_size(TOY_ADDR(id));
}

int toy_resize(const toy_id *id, uint64_t size)
{
	return toy_host_resize(TOY_ADDR(id), (int64_t)size);
}

int toy_map(const toy_id *id, void *addr, size_t len, uint64_t off)
{
	return toy_host_map(TOY_ADDR(id), TOY_ADDR(addr), (uint32_t)len, (int64_t)off);
}

int toy_grant(const toy_id *id, const toy_id *domain, uint32_t rights)
{
	return toy_host_grant(TOY_ADDR(id), TOY_ADDR(domain), rights);
}

int toy_drop(const toy_id *id)
{
	return toy_host_drop(TOY_ADDR(id));
}

int toy_rights(const toy_id *id)
{
	return toy_host_rights(TOY_ADDR(id));
}

int toy_list(struct toy_cap *caps, uint32_t max)
{
	return toy_host_list(TOY_ADDR(caps), max);
}

int toy_spawn(const toy_id *module, const struct toy_cap *caps, uint32_t ncaps, toy_id *domain)
{
	return toy_host_spawn(TOY_ADDR(module), TOY_ADDR(caps), ncaps, TOY_ADDR(domain));
}

int toy_self(toy_id *id)
{
	return toy_host_self(TOY_ADDR(id));
}

int toy_sleep(uint64_t ns)
{
	return toy_host_sleep((int64_t)ns);
}

int toy_yield(void)
{
	return toy_host_yield();
}

_Noreturn void toy_exit(int code)
{
	toy_host_exit(code);
	__builtin_trap(); /* the host never returns from exit */
}

int64_t toy_sync(void)
{
	return toy_host_sync();
}

int toy_park(void)
{
	return toy_host_park();
}

int toy_nop(void)
{
	return toy_host_nop();
}
