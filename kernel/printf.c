/* printf.c — vsnprintf for the kernel: the conversions kernel messages use
 * (%d %i %u %x %X %p %s %c %%) with l, ll and z sizes, a 0 flag and a width.
 * Output is cut at size-1 bytes and always terminated; the return value is
 * the length the whole output would have, as in C. */
#include <kernel/log.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

struct out {
	char *buf;
	size_t size, len;
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void put_num(struct out *o, uint64_t v, unsigned base, bool upper, bool neg, int width,
		    char pad)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0;
	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	if (neg && pad == '0')
		put(o, '-');
	for (int i = n + neg; i < width; i++)
		put(o, pad);
	if (neg && pad != '0')
		put(o, '-');
	while (n)
		put(o, tmp[--n]);
}

static void put_str(struct out *o, const char *s, int width)
{
	if (!s)
		s = "(null)";
	int n = (int)strlen(s);
	for (int i = n; i < width; i++)
		put(o, ' ');
	while (*s)
		put(o, *s++);
}

/* Reads a length modifier: 0 int, 1 long, 2 long long, 3 size_t. */
static int size_mod(const char **f)
{
	if (**f == 'z')
		return (*f)++, 3;
	if (**f != 'l')
		return 0;
	(*f)++;
	if (**f == 'l')
		return (*f)++, 2;
	return 1;
}

static uint64_t arg_unsigned(va_list *ap, int mod)
{
	switch (mod) {
	case 1: return va_arg(*ap, unsigned long);
	case 2: return va_arg(*ap, unsigned long long);
	case 3: return va_arg(*ap, size_t);
	default: return va_arg(*ap, unsigned int);
	}
}

static int64_t arg_signed(va_list *ap, int mod)
{
	switch (mod) {
	case 1: return va_arg(*ap, long);
	case 2: return va_arg(*ap, long long);
	case 3: return (int64_t)va_arg(*ap, size_t);
	default: return va_arg(*ap, int);
	}
}

static void convert(struct out *o, const char **f, va_list *ap)
{
	char pad = ' ';
	int width = 0;
	if (**f == '0')
		pad = '0', (*f)++;
	while (**f >= '0' && **f <= '9')
		width = width * 10 + (*(*f)++ - '0');
	int mod = size_mod(f);
	char c = *(*f)++;
	if (c == 'd' || c == 'i') {
		int64_t v = arg_signed(ap, mod);
		put_num(o, v < 0 ? -(uint64_t)v : (uint64_t)v, 10, false, v < 0, width, pad);
	} else if (c == 'u') {
		put_num(o, arg_unsigned(ap, mod), 10, false, false, width, pad);
	} else if (c == 'x' || c == 'X') {
		put_num(o, arg_unsigned(ap, mod), 16, c == 'X', false, width, pad);
	} else if (c == 'p') {
		put(o, '0'), put(o, 'x');
		put_num(o, (uintptr_t)va_arg(*ap, void *), 16, false, false, 16, '0');
	} else if (c == 's') {
		put_str(o, va_arg(*ap, const char *), width);
	} else if (c == 'c') {
		put(o, (char)va_arg(*ap, int));
	} else {
		put(o, '%');
		if (c && c != '%')
			put(o, c);
		if (!c)
			(*f)--;
	}
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = {buf, size, 0};
	va_list aq;
	va_copy(aq, ap);
	while (*fmt) {
		if (*fmt != '%') {
			put(&o, *fmt++);
			continue;
		}
		fmt++;
		convert(&o, &fmt, &aq);
	}
	va_end(aq);
	if (size)
		buf[o.len < size ? o.len : size - 1] = 0;
	return (int)o.len;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
