/* wat.h — the WebAssembly text format (WAT) parser of toy-wasm, host only.
 *
 * wat_parse turns the text of a module (a `(module ...)` form, or its fields
 * alone as in a .wat file; `(module binary ...)` and `(module quote ...)`
 * included) into the bytes of the binary module, which the vm then decodes
 * and validates like any other. The parser checks only what the text format
 * itself requires (tokens, syntax, literals and their ranges, identifiers,
 * abbreviations); everything the binary decoder or the validator checks is
 * left to them. Covers WebAssembly 2.0 without SIMD.
 */
#ifndef TOY_WASM_WAT_H
#define TOY_WASM_WAT_H

#include <stddef.h>
#include <stdint.h>

/* Parses text[0..len) (need not be NUL-terminated). Returns 0 and a
 * malloc'd *out of *outlen bytes (the caller frees it), TOY_ERR_MALFORMED
 * with "LINE:COL: what" in msg for text that is not a well-formed module,
 * or TOY_ERR_NOMEM. Never reads outside text, whatever it holds. */
int wat_parse(const char *text, size_t len, uint8_t **out, size_t *outlen, char *msg,
	      size_t msglen);

/* Where each `(module ...)` form of a .wast script is, in order (nested
 * ones included); *spans is malloc'd, the caller frees it. Returns 0,
 * TOY_ERR_MALFORMED (msg says where) or TOY_ERR_NOMEM. */
struct wat_span {
	size_t off, len;
	uint32_t line;
};
int wat_module_spans(const char *text, size_t len, struct wat_span **spans, size_t *n, char *msg,
		     size_t msglen);

/* spectest.c: runs wast2json on a script (0 or -1) and removes its
 * output directory. */
int tw_wast2json(const char *wast, const char *json);
void tw_rm_dir(const char *dir);

/* `toy-wasm wat2wasm IN.wat OUT.wasm` */
int tw_wat2wasm(int argc, char **argv);
/* `toy-wasm wast-modules FILE.wast...` (for the vm_wat test): checks every
 * module of a script against wast2json's binary. */
int tw_wast_modules(int argc, char **argv);

#endif
