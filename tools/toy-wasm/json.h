/* json.h — a minimal JSON reader for wast2json's output (toy-wasm only). */
#ifndef TOY_WASM_JSON_H
#define TOY_WASM_JSON_H

#include <stddef.h>

enum json_kind { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct json {
	enum json_kind kind;
	char *str;          /* J_STR: the string; J_NUM: its text */
	char *key;          /* as a member of an object */
	struct json *child; /* J_ARR, J_OBJ: first element */
	struct json *next;  /* next sibling */
};

/* Parses text (NUL-terminated); NULL on a syntax error or no memory. */
struct json *json_parse(const char *text);
void json_free(struct json *j);
/* Member key of object j, or NULL. */
struct json *json_get(const struct json *j, const char *key);
/* String member key of j, or NULL. */
const char *json_str(const struct json *j, const char *key);

#endif
