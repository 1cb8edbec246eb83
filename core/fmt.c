/*
 * printf format strings: parsed into specs once by semantic analysis,
 * for the runtime to render (fmt.h).
 */
#include "fmt.h"

#include <stdio.h>
#include <string.h>

int fmt_parse(const char *fmt, struct fmt_spec *specs, size_t max, char *err, size_t errlen)
{
	int n = 0;
	for (const char *p = fmt; *p; p++) {
		if (*p != '%')
			continue;
		if (p[1] == '%') {
			p++;
			continue;
		}
		const char *start = p++;
		const char *flags = p;
		while (*p && strchr("-+ #0", *p))
			p++;
		size_t nflags = (size_t)(p - flags);
		const char *width = p;
		while (*p >= '0' && *p <= '9')
			p++;
		size_t nwidth = (size_t)(p - width);
		const char *prec = p;
		if (*p == '.') {
			p++;
			while (*p >= '0' && *p <= '9')
				p++;
		}
		size_t nprec = (size_t)(p - prec);
		const char *mods = p;
		while (*p && strchr("hlzjt", *p))
			p++; /* length modifiers: rendered as 64-bit, truncated to int_bits */
		uint8_t bits = 32;
		if (p > mods)
			bits = *mods != 'h' ? 64 : p - mods >= 2 ? 8 : 16;
		struct fmt_spec s = { .start = (size_t)(start - fmt), .conv = *p, .int_bits = bits };
		switch (*p) {
		case 'd': case 'i': case 'u': case 'x': case 'X': case 'o': case 'c': case 'p':
			s.cls = FMT_INT;
			break;
		case 's':
			s.cls = FMT_STR;
			break;
		case 'r':
			s.cls = FMT_BUF;
			if (p[1] == 'x' || p[1] == 'h')
				s.buf_mode = *++p;
			break;
		case 'g':
			if (p[1] == 'r') {
				s.cls = FMT_GFP;
				p++;
				break;
			}
			/* fall through */
		default:
			if (*p)
				snprintf(err, errlen, "printf: Unknown format string token: %.*s",
					 (int)(p - start + 1), start);
			else
				snprintf(err, errlen, "printf: Unknown format string token: %s", start);
			return -1;
		}
		s.end = (size_t)(p - fmt) + 1;
		if (nflags + nwidth + nprec > sizeof(s.cspec) - 8) {
			snprintf(err, errlen, "printf: format specifier too long: %.*s",
				 (int)(s.end - s.start), start);
			return -1;
		}
		const char *len = s.cls == FMT_INT && s.conv != 'c' && s.conv != 'p' ? "ll" : "";
		char conv = s.cls == FMT_INT ? s.conv : 's';
		snprintf(s.cspec, sizeof(s.cspec), "%%%.*s%.*s%.*s%s%c", (int)nflags, flags,
			 (int)nwidth, width, (int)nprec, prec, len, conv == 'i' ? 'd' : conv);
		if ((size_t)n < max)
			specs[n] = s;
		n++;
	}
	return n;
}
