/* util.c — small conveniences of libtoy built on the host calls. */
#include <toy.h>

const char *toy_id_str(const toy_id *id, char buf[TOY_ID_TEXT_LEN + 1])
{
	toy_id_format(id, buf);
	return buf;
}

int toy_read_all(const toy_id *id, uint64_t off, void *buf, size_t len)
{
	size_t done = 0;
	while (done < len) {
		int n = toy_read(id, off + done, (char *)buf + done, len - done);
		if (n < 0)
			return n;
		if (n == 0)
			return TOY_ERR_RANGE;
		done += (size_t)n;
	}
	return TOY_OK;
}
