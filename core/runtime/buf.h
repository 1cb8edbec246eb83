/* The runtime's leaf helpers (buf.c): a growable text buffer and integer reads from raw bytes. */
#ifndef STROBE_RUNTIME_BUF_H
#define STROBE_RUNTIME_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A growable text buffer, always NUL-terminated once anything was added. */
struct strbuf {
	char *s;
	size_t len, cap;
};

void sb_reserve(struct strbuf *b, size_t extra);
void sb_add(struct strbuf *b, const char *s, size_t n);
void sb_addf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_free(struct strbuf *b);

/* Little-endian integer of `size` bytes (1/2/4/8), sign-extended if is_signed. */
int64_t read_int(const uint8_t *bytes, uint32_t size, bool is_signed);

#endif
