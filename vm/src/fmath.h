/* fmath.h — the float and integer helpers wasm needs, without libm.
 *
 * Rounding functions work on the bit representation (exact, no FPU mode
 * assumptions); min/max follow wasm's NaN and signed-zero rules; conversions
 * to integers report whether they trap. sqrt uses the compiler builtin, which
 * is one instruction on both targets (the library builds with
 * -fno-math-errno). NaN results are produced by arithmetic on NaNs, which
 * keeps them quiet ("arithmetic NaN" in the spec's terms).
 */
#ifndef VM_FMATH_H
#define VM_FMATH_H

#include <stdint.h>
#include <string.h>

static inline float f32_from(uint32_t b)
{
	float f;
	memcpy(&f, &b, 4);
	return f;
}

static inline uint32_t f32_bits(float f)
{
	uint32_t b;
	memcpy(&b, &f, 4);
	return b;
}

static inline double f64_from(uint64_t b)
{
	double f;
	memcpy(&f, &b, 8);
	return f;
}

static inline uint64_t f64_bits(double f)
{
	uint64_t b;
	memcpy(&b, &f, 8);
	return b;
}

static inline double f64_trunc(double x)
{
	uint64_t b = f64_bits(x);
	int e = (int)(b >> 52 & 0x7ff) - 1023;
	if (e >= 52)
		return e == 1024 ? x + x : x; /* NaN quieted; inf and integers as they are */
	if (e < 0)
		return f64_from(b & (1ull << 63));
	return f64_from(b & ~((1ull << (52 - e)) - 1));
}

static inline float f32_trunc(float x)
{
	uint32_t b = f32_bits(x);
	int e = (int)(b >> 23 & 0xff) - 127;
	if (e >= 23)
		return e == 128 ? x + x : x;
	if (e < 0)
		return f32_from(b & (1u << 31));
	return f32_from(b & ~((1u << (23 - e)) - 1));
}

static inline double f64_floor(double x)
{
	double t = f64_trunc(x);
	return (x < 0 && t != x) ? t - 1 : t;
}

static inline double f64_ceil(double x)
{
	double t = f64_trunc(x);
	return (x > 0 && t != x) ? t + 1 : t;
}

static inline float f32_floor(float x)
{
	float t = f32_trunc(x);
	return (x < 0 && t != x) ? t - 1 : t;
}

static inline float f32_ceil(float x)
{
	float t = f32_trunc(x);
	return (x > 0 && t != x) ? t + 1 : t;
}

/* Round half to even: adding and subtracting 2^52 rounds in the default
 * mode, which is to nearest even. */
static inline double f64_nearest(double x)
{
	uint64_t b = f64_bits(x);
	if ((b >> 52 & 0x7ff) >= 1023 + 52)
		return (b >> 52 & 0x7ff) == 0x7ff ? x + x : x;
	double a = f64_from(b & ~(1ull << 63));
	volatile double big = 4503599627370496.0;
	double r = (a + big) - big;
	return f64_from(f64_bits(r) | (b & (1ull << 63)));
}

static inline float f32_nearest(float x)
{
	uint32_t b = f32_bits(x);
	if ((b >> 23 & 0xff) >= 127 + 23)
		return (b >> 23 & 0xff) == 0xff ? x + x : x;
	float a = f32_from(b & ~(1u << 31));
	volatile float big = 8388608.0f;
	float r = (a + big) - big;
	return f32_from(f32_bits(r) | (b & (1u << 31)));
}

static inline double f64_min(double a, double b)
{
	if (a != a || b != b)
		return a + b;
	if (a == b)
		return f64_from(f64_bits(a) | f64_bits(b));
	return a < b ? a : b;
}

static inline double f64_max(double a, double b)
{
	if (a != a || b != b)
		return a + b;
	if (a == b)
		return f64_from(f64_bits(a) & f64_bits(b));
	return a > b ? a : b;
}

static inline float f32_min(float a, float b)
{
	if (a != a || b != b)
		return a + b;
	if (a == b)
		return f32_from(f32_bits(a) | f32_bits(b));
	return a < b ? a : b;
}

static inline float f32_max(float a, float b)
{
	if (a != a || b != b)
		return a + b;
	if (a == b)
		return f32_from(f32_bits(a) & f32_bits(b));
	return a > b ? a : b;
}

static inline uint32_t u32_popcnt(uint32_t x)
{
	x = x - ((x >> 1) & 0x55555555u);
	x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
	return (((x + (x >> 4)) & 0x0f0f0f0fu) * 0x01010101u) >> 24;
}

static inline uint64_t u64_popcnt(uint64_t x)
{
	return u32_popcnt((uint32_t)x) + u32_popcnt((uint32_t)(x >> 32));
}

static inline uint32_t u32_rotl(uint32_t a, uint32_t b)
{
	b &= 31;
	return b ? (a << b) | (a >> (32 - b)) : a;
}

static inline uint32_t u32_rotr(uint32_t a, uint32_t b)
{
	b &= 31;
	return b ? (a >> b) | (a << (32 - b)) : a;
}

static inline uint64_t u64_rotl(uint64_t a, uint64_t b)
{
	b &= 63;
	return b ? (a << b) | (a >> (64 - b)) : a;
}

static inline uint64_t u64_rotr(uint64_t a, uint64_t b)
{
	b &= 63;
	return b ? (a >> b) | (a << (64 - b)) : a;
}

/* Float to integer: the range each target accepts, as open/closed bounds
 * that are exact in the source format. kind: 0 i32_s, 1 i32_u, 2 i64_s,
 * 3 i64_u. Returns 0 (ok), 1 (NaN) or 2 (out of range). */
static inline int f64_to_int_check(double x, int kind)
{
	static const double lo[4] = {-2147483649.0, -1.0, -9223372036854777856.0, -1.0};
	static const double hi[4] = {2147483648.0, 4294967296.0, 9223372036854775808.0,
				     18446744073709551616.0};
	if (x != x)
		return 1;
	return (x > lo[kind] && x < hi[kind]) ? 0 : 2;
}

static inline uint64_t f64_to_int(double x, int kind)
{
	switch (kind) {
	case 0: return (uint32_t)(int32_t)x;
	case 1: return (uint32_t)x;
	case 2: return (uint64_t)(int64_t)x;
	default: return (uint64_t)x;
	}
}

/* Saturating: NaN is 0, out of range clamps. */
static inline uint64_t f64_to_int_sat(double x, int kind)
{
	static const uint64_t min[4] = {0x80000000u, 0, 0x8000000000000000ull, 0};
	static const uint64_t max[4] = {0x7fffffffu, 0xffffffffu, 0x7fffffffffffffffull,
					0xffffffffffffffffull};
	int r = f64_to_int_check(x, kind);
	if (r == 1)
		return 0;
	if (r == 2)
		return x < 0 ? min[kind] : max[kind];
	return f64_to_int(x, kind);
}

#endif
