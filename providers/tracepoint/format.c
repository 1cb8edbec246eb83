/*
 * A format file has one line per field:
 *
 *	field:const char * filename;	offset:24;	size:8;	signed:0;
 *	field:char prev_comm[16];	offset:8;	size:16;	signed:0;
 *	field:__data_loc char[] filename;	offset:8;	size:4;	signed:0;
 *
 * The declaration is C: a type, a name, and possibly an array count.
 */
#include "format.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static char *dup_trimmed(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return strndup(s, n);
}

/* The number after "key:" in the line, or -1. */
static long field_number(const char *line, const char *end, const char *key)
{
	size_t klen = strlen(key);
	for (const char *p = line; p + klen <= end; p++) {
		if (strncmp(p, key, klen) || (p > line && p[-1] != '\t' && p[-1] != ' ' && p[-1] != ';'))
			continue;
		char *num_end;
		errno = 0;
		long v = strtol(p + klen, &num_end, 10);
		if (errno || num_end == p + klen || v < 0)
			return -1;
		return v;
	}
	return -1;
}

static bool is_ident(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/*
 * "const char *" -> "char"; "struct sockaddr *" -> "struct sockaddr";
 * "char **" -> "char *"; "const char *const *" -> "char *".
 */
static char *pointee_of(const char *ctype)
{
	size_t n = strlen(ctype);
	while (n && isspace((unsigned char)ctype[n - 1]))
		n--;
	if (n && ctype[n - 1] == '*')
		n--;
	/* "char *const" (from "const char *const *"): the qualifier does not matter here. */
	while (n && isspace((unsigned char)ctype[n - 1]))
		n--;
	if (n > 5 && !strncmp(ctype + n - 5, "const", 5) &&
	    (ctype[n - 6] == '*' || isspace((unsigned char)ctype[n - 6])))
		n -= 5;
	const char *s = ctype;
	for (;;) {
		if (!strncmp(s, "const ", 6) && (size_t)(s - ctype) + 6 <= n)
			s += 6;
		else if (!strncmp(s, "volatile ", 9) && (size_t)(s - ctype) + 9 <= n)
			s += 9;
		else
			break;
	}
	return dup_trimmed(s, n - (size_t)(s - ctype));
}

/* Fill a from the declaration decl[0..len) plus size/signedness. */
static int parse_decl(const char *decl, size_t len, struct strobe_arg *a)
{
	while (len && isspace((unsigned char)decl[len - 1]))
		len--;
	const char *end = decl + len;
	long count = -1;
	if (len && end[-1] == ']') {
		const char *open = memrchr(decl, '[', len);
		if (!open)
			return -EINVAL;
		char *num_end;
		/* "[]" is a flexible array (ftrace's own events): count 0. */
		count = open + 1 == end - 1 ? 0 : strtol(open + 1, &num_end, 10);
		if (open + 1 != end - 1 && (num_end != end - 1 || count <= 0))
			return -EINVAL;
		end = open;
		while (end > decl && isspace((unsigned char)end[-1]))
			end--;
	}
	const char *name = end;
	while (name > decl && is_ident(name[-1]))
		name--;
	if (name == end || name == decl)
		return -EINVAL;
	a->name = strndup(name, (size_t)(end - name));
	a->ctype = dup_trimmed(decl, (size_t)(name - decl));
	if (!a->name || !a->ctype)
		return -ENOMEM;
	const char *ct = a->ctype;
	if (!*ct)
		return -EINVAL;

	if (!strncmp(ct, "__data_loc ", 11)) {
		/* "__data_loc char[]": a u32 holding (length << 16 | offset). */
		const char *elem = ct + 11;
		size_t n = strlen(elem);
		if (n >= 2 && !strcmp(elem + n - 2, "[]"))
			n -= 2;
		a->kind = STROBE_ARG_DATA_LOC;
		a->pointee = dup_trimmed(elem, n);
	} else if (count >= 0) {
		a->kind = STROBE_ARG_ARRAY;
		a->count = (uint32_t)count;
		a->elem_size = count ? a->size / (uint32_t)count : 0;
		a->pointee = strdup(ct);
	} else if (ct[strlen(ct) - 1] == '*') {
		a->kind = STROBE_ARG_PTR;
		a->pointee = pointee_of(ct);
	} else {
		a->kind = STROBE_ARG_INT;
		return 0;
	}
	return a->pointee ? 0 : -ENOMEM;
}

static void arg_release(struct strobe_arg *a)
{
	free((char *)a->name);
	free((char *)a->ctype);
	free((char *)a->pointee);
}

void tp_format_release(struct tp_format *f)
{
	for (size_t i = 0; i < f->n; i++)
		arg_release(&f->args[i]);
	free(f->args);
	f->args = NULL;
	f->n = 0;
}

int tp_format_parse(const char *text, bool user_ptrs, struct tp_format *out)
{
	struct tp_format f = { 0 };
	size_t cap = 0;
	int err = 0;
	for (const char *line = text; line && *line;) {
		const char *eol = strchr(line, '\n');
		const char *end = eol ? eol : line + strlen(line);
		const char *field = memmem(line, (size_t)(end - line), "field:", 6);
		if (field) {
			const char *decl = field + 6;
			const char *semi = memchr(decl, ';', (size_t)(end - decl));
			long offset = field_number(line, end, "offset:");
			long size = field_number(line, end, "size:");
			long is_signed = field_number(line, end, "signed:");
			if (!semi || offset < 0 || size < 0) {
				err = -EINVAL;
				break;
			}
			struct strobe_arg a = {
				.loc = STROBE_LOC_CTX,
				.offset = (int32_t)offset,
				.size = (uint32_t)size,
				.is_signed = is_signed == 1,
			};
			err = parse_decl(decl, (size_t)(semi - decl), &a);
			if (err) {
				arg_release(&a);
				break;
			}
			if (a.kind == STROBE_ARG_PTR)
				a.user = user_ptrs;
			/* The header fields every event has are not arguments. */
			if (!strncmp(a.name, "common_", 7)) {
				arg_release(&a);
			} else {
				if (f.n == cap) {
					cap = cap ? cap * 2 : 8;
					struct strobe_arg *grown = realloc(f.args, cap * sizeof(*grown));
					if (!grown) {
						arg_release(&a);
						err = -ENOMEM;
						break;
					}
					f.args = grown;
				}
				f.args[f.n++] = a;
			}
		}
		line = eol ? eol + 1 : NULL;
	}
	if (err) {
		tp_format_release(&f);
		return err;
	}
	*out = f;
	return 0;
}
