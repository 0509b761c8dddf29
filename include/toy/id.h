/* toy/id.h — 128-bit object IDs, shared by every component.
 *
 * A toy_id is 16 bytes holding a little-endian 128-bit number. Its text form
 * is that number in hex, most significant digit first, grouped 8-4-4-4-12
 * like a UUID. All-zero is nil. IDs whose high 64 bits are zero are reserved
 * for machine-local resources (console, clock, ...); random IDs carry the
 * UUIDv4 version and variant bits, which keeps them out of that range. */
#ifndef TOY_ID_H
#define TOY_ID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct toy_id {
	uint8_t b[16];
} toy_id;

_Static_assert(sizeof(toy_id) == 16, "toy_id is 16 bytes");

#define TOY_ID_TEXT_LEN 36 /* without the terminating NUL */

bool toy_id_is_nil(const toy_id *id);
bool toy_id_eq(const toy_id *a, const toy_id *b);
bool toy_id_is_reserved(const toy_id *id);

/* Builds the reserved ID with value n (high 64 bits zero). */
toy_id toy_id_reserved(uint64_t n);

/* Turns 16 random bytes into a random (version 4) ID, in place. */
void toy_id_from_random(toy_id *id);

/* Writes the 36-character text form plus NUL into out[37]. */
void toy_id_format(const toy_id *id, char out[TOY_ID_TEXT_LEN + 1]);

/* Parses exactly the 8-4-4-4-12 hex form (either case, no surrounding
 * spaces). Returns 0 or TOY_ERR_INVAL; *id is untouched on error. */
int toy_id_parse(const char *text, toy_id *id);

/* The ID of a module (a wasm binary): its content hash, XXH3-128 of the
 * bytes (low 64 bits in b[0..7], high in b[8..15], little-endian), with the
 * version nibble set to 8 and the variant bits to 10, UUIDv8 style. Equal
 * bytes give equal IDs on every machine, and the version nibble keeps
 * module IDs out of the reserved range. */
toy_id toy_module_id(const void *bytes, size_t len);

/* A well-mixed 64-bit hash of an ID, for hash tables. */
uint64_t toy_id_hash(const toy_id *id);

#endif
