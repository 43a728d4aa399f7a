/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * mk_console_vformat for a PD, which has no C library: dom's invariant
 * reports and librumpuser's messages (rumpuser_dprintf).  (The rump
 * kernel's printf formats in the kernel and comes one rumpuser_putchar at
 * a time.)
 */
#include <stdbool.h>
#include <stdint.h>

#include <rumpbridge/mk.h>

struct out {
	char *buf;
	size_t n, len; /* capacity, characters produced */
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->n)
		o->buf[o->len] = c;
	o->len++;
}

static void put_padded(struct out *o, const char *s, size_t len, int width, bool left, char pad)
{
	size_t w = width > 0 ? (size_t)width : 0;

	if (!left)
		for (size_t i = len; i < w; i++)
			put(o, pad);
	for (size_t i = 0; i < len; i++)
		put(o, s[i]);
	if (left)
		for (size_t i = len; i < w; i++)
			put(o, ' ');
}

static void put_num(struct out *o, uintmax_t v, bool neg, unsigned base, bool upper, int width,
		    bool left, bool zero)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = digits[v % base];
		v /= base;
	} while (v != 0);
	if (neg) {
		if (zero && !left) { /* the sign goes before the zeros */
			put(o, '-');
			width = width > 0 ? width - 1 : 0;
		} else {
			tmp[--i] = '-';
		}
	}
	put_padded(o, &tmp[i], sizeof(tmp) - i, width, left, zero && !left ? '0' : ' ');
}

int mk_console_vformat(char *buf, size_t n, const char *fmt, va_list ap)
{
	struct out o = {.buf = buf, .n = n};

	for (const char *f = fmt; *f != '\0'; f++) {
		bool left = false, zero = false;
		int width = 0, lng = 0; /* 1 l, 2 ll/j/z/t, -1 h, -2 hh */

		if (*f != '%') {
			put(&o, *f);
			continue;
		}
		for (f++;; f++) {
			if (*f == '-')
				left = true;
			else if (*f == '0')
				zero = true;
			else
				break;
		}
		if (*f == '*') {
			width = va_arg(ap, int);
			f++;
		}
		while (*f >= '0' && *f <= '9')
			width = width * 10 + (*f++ - '0');
		for (;; f++) {
			if (*f == 'l')
				lng++;
			else if (*f == 'j' || *f == 'z' || *f == 't')
				lng = 2;
			else if (*f == 'h')
				lng--;
			else
				break;
		}
		switch (*f) {
		case 'd':
		case 'i': {
			intmax_t v = lng >= 2 ? va_arg(ap, long long)
				     : lng == 1 ? va_arg(ap, long) : va_arg(ap, int);
			if (lng == -1)
				v = (short)v;
			else if (lng <= -2)
				v = (signed char)v;
			put_num(&o, v < 0 ? -(uintmax_t)v : (uintmax_t)v, v < 0, 10, false, width,
				left, zero);
			break;
		}
		case 'u':
		case 'x':
		case 'X':
		case 'o': {
			uintmax_t v = lng >= 2 ? va_arg(ap, unsigned long long)
				      : lng == 1 ? va_arg(ap, unsigned long) : va_arg(ap, unsigned);
			if (lng == -1)
				v = (unsigned short)v;
			else if (lng <= -2)
				v = (unsigned char)v;
			put_num(&o, v, false, *f == 'u' ? 10 : *f == 'o' ? 8 : 16, *f == 'X',
				width, left, zero);
			break;
		}
		case 'p':
			put(&o, '0');
			put(&o, 'x');
			put_num(&o, (uintptr_t)va_arg(ap, void *), false, 16, false, width, left,
				zero);
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			size_t len = 0;
			if (s == NULL)
				s = "(null)";
			while (s[len] != '\0')
				len++;
			put_padded(&o, s, len, width, left, ' ');
			break;
		}
		case 'c': {
			char c = (char)va_arg(ap, int);
			put_padded(&o, &c, 1, width, left, ' ');
			break;
		}
		case '%':
			put(&o, '%');
			break;
		case '\0':
			f--; /* a lone % at the end */
			break;
		default: /* unknown: shown as written */
			put(&o, '%');
			put(&o, *f);
			break;
		}
	}
	if (n > 0)
		buf[o.len < n ? o.len : n - 1] = '\0';
	return o.len > INT32_MAX ? INT32_MAX : (int)o.len;
}

void mk_halt(void)
{
	__builtin_trap(); /* brk: seL4 sends the fault to the PD's fault handler */
}
