/* counter — counts boots in an object it was given.
 *
 * Its first capability (init grants it READ|WRITE on a fresh blob) holds an
 * 8-byte little-endian count. Each time round it reads the count, adds one,
 * writes it back (durable when toy_write returns), prints it and parks; the
 * next boot resumes it after toy_park. An empty object counts as 0. */
#include <inttypes.h>
#include <stdio.h>
#include <toy.h>

static uint64_t load_le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void store_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Reads, increments and writes the count. Returns it, or 0 on error. */
static uint64_t bump(const toy_id *obj)
{
	uint8_t bytes[8] = {0};
	int n = toy_read(obj, 0, bytes, sizeof(bytes));
	if (n < 0 || (n != 0 && n != (int)sizeof(bytes))) {
		printf("counter: cannot read the count: %s\n",
		       toy_strerror(n < 0 ? n : TOY_ERR_CORRUPT));
		return 0;
	}
	uint64_t count = load_le64(bytes) + 1;
	store_le64(bytes, count);
	int rc = toy_write(obj, 0, bytes, sizeof(bytes));
	if (rc < 0) {
		printf("counter: cannot write the count: %s\n", toy_strerror(rc));
		return 0;
	}
	return count;
}

int main(void)
{
	struct toy_cap caps[1];
	int n = toy_list(caps, 1);
	if (n < 1) {
		printf("counter: no object to count in (%s)\n",
		       n < 0 ? toy_strerror(n) : "no capabilities");
		return 1;
	}
	for (;;) {
		uint64_t count = bump(&caps[0].id);
		if (count == 0)
			return 1;
		printf("counter: %" PRIu64 "\n", count);
		int rc = toy_park();
		if (rc < 0) {
			printf("counter: park failed: %s\n", toy_strerror(rc));
			return 1;
		}
	}
}
