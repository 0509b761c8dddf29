/* skim.c — structural decoding of function bodies, without validation.
 *
 * The spec decodes a whole module before validating it, so a body that is
 * both invalid early and malformed later is malformed. compile.c validates
 * while it decodes and stops at the first invalid instruction; when that
 * happens, vm_skim_bodies reads every body for structure only (opcodes,
 * immediates, block nesting, exact length) to find a malformation that must
 * take precedence.
 */
#include "vm_int.h"

static void skim_blocktype(struct rd *r)
{
	uint8_t b = r->p < r->end ? *r->p : 0;
	if (b == 0x40 || vm_is_valtype(b)) {
		r->p++;
		return;
	}
	vm_rd_leb(r, 33, true);
}

static void skim_zero(struct rd *r)
{
	if (rd_u8(r) != 0 && !r->err)
		rd_fail(r, "zero byte expected");
}

static void skim_fc(struct rd *r, const struct vm_module *m)
{
	uint32_t sub = rd_u32(r);
	if (sub < 8 || r->err)
		return;
	switch (sub) {
	case 8:
	case 9:
		rd_u32(r);
		if (!m->has_datacount && m->has_datasec)
			rd_fail(r, "data count section required");
		if (sub == 8)
			skim_zero(r);
		return;
	case 10:
		skim_zero(r);
		skim_zero(r);
		return;
	case 11: skim_zero(r); return;
	case 12:
	case 14:
		rd_u32(r);
		rd_u32(r);
		return;
	case 13:
	case 15:
	case 16:
	case 17: rd_u32(r); return;
	default: rd_fail(r, "illegal opcode");
	}
}

/* Immediates of op; false for an unknown opcode. */
static bool skim_instr(struct rd *r, const struct vm_module *m, uint8_t op, uint32_t *depth)
{
	if ((op >= 0x45 && op <= 0xc4) || op == 0x00 || op == 0x01 || op == 0x05 || op == 0x0f ||
	    op == 0x1a || op == 0x1b || op == 0xd1)
		return true;
	if (op >= 0x28 && op <= 0x3e) {
		rd_u32(r);
		rd_u32(r);
		return true;
	}
	switch (op) {
	case 0x02:
	case 0x03:
	case 0x04:
		skim_blocktype(r);
		(*depth)++;
		return true;
	case 0x0b: (*depth)--; return true;
	case 0x0c:
	case 0x0d:
	case 0x10:
	case 0xd2:
	case 0x20:
	case 0x21:
	case 0x22:
	case 0x23:
	case 0x24:
	case 0x25:
	case 0x26: rd_u32(r); return true;
	case 0x11:
		rd_u32(r);
		rd_u32(r);
		return true;
	case 0x0e: {
		uint32_t n = rd_u32(r);
		for (uint64_t i = 0; i <= n && !r->err; i++)
			rd_u32(r);
		return true;
	}
	case 0x1c: {
		uint32_t n = rd_u32(r);
		for (uint32_t i = 0; i < n && !r->err; i++)
			if (!vm_is_valtype(rd_u8(r)) && !r->err)
				rd_fail(r, "malformed value type");
		return true;
	}
	case 0x3f:
	case 0x40: skim_zero(r); return true;
	case 0x41: vm_rd_leb(r, 32, true); return true;
	case 0x42: vm_rd_leb(r, 64, true); return true;
	case 0x43:
	case 0x44:
		if ((size_t)(r->end - r->p) < (op == 0x43 ? 4u : 8u))
			rd_fail(r, "unexpected end");
		else
			r->p += op == 0x43 ? 4 : 8;
		return true;
	case 0xd0:
		if (!vm_is_ref(rd_u8(r)) && !r->err)
			rd_fail(r, "malformed reference type");
		return true;
	case 0xfc: skim_fc(r, m); return true;
	default: return false;
	}
}

static void skim_body(struct rd *r, const struct vm_module *m)
{
	uint32_t groups = rd_u32(r), depth = 1;
	uint64_t total = 0;
	for (uint32_t i = 0; i < groups && !r->err; i++) {
		total += rd_u32(r);
		if (!vm_is_valtype(rd_u8(r)) && !r->err)
			return rd_fail(r, "malformed value type");
		if (total > VM_MAX_LOCALS)
			return rd_fail(r, "too many locals");
	}
	while (depth && !r->err) {
		if (r->p >= r->end)
			return rd_fail(r, "unexpected end");
		if (!skim_instr(r, m, rd_u8(r), &depth) && !r->err)
			return rd_fail(r, "illegal opcode");
	}
	if (!r->err && r->p != r->end)
		rd_fail(r, "section size mismatch");
}

int vm_skim_bodies(const struct vm_module *m, const char **msg)
{
	for (uint32_t i = 0; i < m->nfuncs - m->nfimports; i++) {
		const struct vm_code *c = &m->codes[i];
		struct rd r = {.p = c->body, .end = c->body + c->body_len};
		skim_body(&r, m);
		if (r.err) {
			*msg = r.msg;
			return r.err;
		}
	}
	return 0;
}
