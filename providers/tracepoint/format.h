/* Parsing tracefs `events/<cat>/<event>/format` files into argument descriptions. */
#ifndef TP_FORMAT_H
#define TP_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <strobe/provider.h>

/* The arguments of one tracepoint; every string is owned by the struct. */
struct tp_format {
	struct strobe_arg *args;
	size_t n;
};

/*
 * Parse the text of a format file. common_* fields are skipped. Pointer
 * fields get user = user_ptrs (syscalls:* pointers point into user memory).
 * Returns 0, -EINVAL for a malformed field line, or -ENOMEM; on failure
 * *out is left empty.
 */
int tp_format_parse(const char *text, bool user_ptrs, struct tp_format *out);
void tp_format_release(struct tp_format *f);

#endif
