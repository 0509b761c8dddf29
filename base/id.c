/* id.c — the text form and helpers of toy_id (see toy/id.h).
 *
 * Byte b[15] holds the most significant bits, so the text form prints the
 * bytes from 15 down to 0. Parsing is strict: hostile names never get a
 * partially parsed ID. */
#include <toy/err.h>
#include <toy/id.h>

#include <toy/xxh3.h>

static const char hex_digits[] = "0123456789abcdef";

bool toy_id_is_nil(const toy_id *id)
{
	uint8_t any = 0;
	for (int i = 0; i < 16; i++)
		any |= id->b[i];
	return any == 0;
}

bool toy_id_eq(const toy_id *a, const toy_id *b)
{
	uint8_t diff = 0;
	for (int i = 0; i < 16; i++)
		diff |= a->b[i] ^ b->b[i];
	return diff == 0;
}

bool toy_id_is_reserved(const toy_id *id)
{
	uint8_t any = 0;
	for (int i = 8; i < 16; i++)
		any |= id->b[i];
	return any == 0;
}

toy_id toy_id_reserved(uint64_t n)
{
	toy_id id;
	for (int i = 0; i < 8; i++)
		id.b[i] = (uint8_t)(n >> (8 * i));
	for (int i = 8; i < 16; i++)
		id.b[i] = 0;
	return id;
}

void toy_id_from_random(toy_id *id)
{
	/* Text byte 6 is b[9]: version nibble 4. Text byte 8 is b[7]:
	 * variant bits 10. */
	id->b[9] = (uint8_t)((id->b[9] & 0x0f) | 0x40);
	id->b[7] = (uint8_t)((id->b[7] & 0x3f) | 0x80);
}

static void store_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

toy_id toy_module_id(const void *bytes, size_t len)
{
	XXH128_hash_t h = XXH3_128bits(bytes, len);
	toy_id id;
	store_le64(id.b, h.low64);
	store_le64(id.b + 8, h.high64);
	/* The same bytes as toy_id_from_random, with version 8. */
	id.b[9] = (uint8_t)((id.b[9] & 0x0f) | 0x80);
	id.b[7] = (uint8_t)((id.b[7] & 0x3f) | 0x80);
	return id;
}

static bool is_dash_position(int pos)
{
	return pos == 8 || pos == 13 || pos == 18 || pos == 23;
}

void toy_id_format(const toy_id *id, char out[TOY_ID_TEXT_LEN + 1])
{
	int pos = 0;
	for (int i = 15; i >= 0; i--) {
		if (is_dash_position(pos))
			out[pos++] = '-';
		out[pos++] = hex_digits[id->b[i] >> 4];
		out[pos++] = hex_digits[id->b[i] & 15];
	}
	out[pos] = '\0';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int toy_id_parse(const char *text, toy_id *id)
{
	toy_id out;
	int byte = 15, nibble = 0, pos = 0;

	for (; pos < TOY_ID_TEXT_LEN; pos++) {
		if (is_dash_position(pos)) {
			if (text[pos] != '-')
				return TOY_ERR_INVAL;
			continue;
		}
		int v = hex_value(text[pos]);
		if (v < 0)
			return TOY_ERR_INVAL;
		if (nibble == 0) {
			out.b[byte] = (uint8_t)(v << 4);
			nibble = 1;
		} else {
			out.b[byte--] |= (uint8_t)v;
			nibble = 0;
		}
	}
	if (text[pos] != '\0')
		return TOY_ERR_INVAL;
	*id = out;
	return TOY_OK;
}

static uint64_t load_le64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

uint64_t toy_id_hash(const toy_id *id)
{
	/* splitmix64 finalizer over both halves: reserved IDs (high half
	 * zero, small low half) still spread over the whole table. */
	uint64_t x = load_le64(id->b) ^ (load_le64(id->b + 8) * 0x9e3779b97f4a7c15ull);
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}
