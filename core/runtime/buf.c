/*
 * The runtime's leaf helpers: the growable text buffer and little-endian
 * integer reads from raw bytes. They call nothing else of strobe.
 */
#include "buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int64_t read_int(const uint8_t *bytes, uint32_t size, bool is_signed)
{
	switch (size) {
	case 1:
		return is_signed ? (int8_t)bytes[0] : bytes[0];
	case 2: {
		uint16_t v;
		memcpy(&v, bytes, 2);
		return is_signed ? (int16_t)v : v;
	}
	case 4: {
		uint32_t v;
		memcpy(&v, bytes, 4);
		return is_signed ? (int64_t)(int32_t)v : (int64_t)v;
	}
	default: {
		int64_t v;
		memcpy(&v, bytes, 8);
		return v;
	}
	}
}

void sb_reserve(struct strbuf *b, size_t extra)
{
	if (b->len + extra + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + extra + 1)
		cap *= 2;
	char *s = realloc(b->s, cap);
	if (!s) {
		fputs("strobe: out of memory\n", stderr);
		abort();
	}
	b->s = s;
	b->cap = cap;
}

void sb_add(struct strbuf *b, const char *s, size_t n)
{
	sb_reserve(b, n);
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void sb_addf(struct strbuf *b, const char *fmt, ...)
{
	sb_reserve(b, 64); /* most fit: format once */
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	if (n <= 0) {
		b->s[b->len] = '\0';
		return;
	}
	if ((size_t)n >= b->cap - b->len) {
		sb_reserve(b, (size_t)n);
		va_start(ap, fmt);
		vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	b->len += (size_t)n;
}

void sb_free(struct strbuf *b)
{
	free(b->s);
	*b = (struct strbuf){ 0 };
}
