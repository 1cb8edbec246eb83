/*
 * Checks of the string functions of bpftrace 0.26's docs/stdlib.md:
 * globmatch, memcmp, strcap, strstr, syscall_name (rows of builtins.c);
 * codegen_strfuncs.c emits what passes. Type errors point at the argument.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sema_internal.h"

static void set_byte(struct glob_elem *e, unsigned b)
{
	e->bits[b / 64] |= 1ull << (b % 64);
}

int glob_parse(const char *pat, size_t len, struct glob *g, const char **err)
{
	*g = (struct glob){ 0 };
	g->elems = calloc(len ? len : 1, sizeof(*g->elems));
	g->seg_start = calloc(len + 1, sizeof(*g->seg_start));
	g->seg_len = calloc(len + 1, sizeof(*g->seg_len));
	if (!g->elems || !g->seg_start || !g->seg_len)
		abort();
	g->nsegs = 1;
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)pat[i];
		if (ch == '*') {
			g->seg_start[g->nsegs++] = g->nelems;
			continue;
		}
		struct glob_elem *e = &g->elems[g->nelems++];
		g->seg_len[g->nsegs - 1]++;
		if (ch == '?') {
			for (unsigned b = 1; b < 256; b++)
				set_byte(e, b);
		} else if (ch == '[') {
			size_t j = i + 1;
			bool negate = j < len && pat[j] == '!';
			if (negate)
				j++;
			size_t first = j;
			struct glob_elem set = { { 0 } };
			/* a ']' first in the class is one of its characters, as in fnmatch(3) */
			while (j < len && (pat[j] != ']' || j == first)) {
				unsigned lo = (unsigned char)pat[j], hi = lo;
				if (j + 2 < len && pat[j + 1] == '-' && pat[j + 2] != ']') {
					hi = (unsigned char)pat[j + 2];
					j += 2;
				}
				if (lo > hi) {
					*err = "a range's first character comes after its last";
					glob_free(g);
					return -1;
				}
				for (unsigned b = lo; b <= hi; b++)
					set_byte(&set, b);
				j++;
			}
			if (j >= len) {
				*err = "'[' without a closing ']'";
				glob_free(g);
				return -1;
			}
			for (int w = 0; w < 4; w++)
				e->bits[w] = negate ? ~set.bits[w] : set.bits[w];
			i = j;
		} else {
			set_byte(e, ch);
		}
		e->bits[0] &= ~1ull; /* a NUL ends the string: nothing matches it */
	}
	return 0;
}

void glob_free(struct glob *g)
{
	free(g->elems);
	free(g->seg_start);
	free(g->seg_len);
	*g = (struct glob){ 0 };
}

/* A string argument (T_STRING: literals, comm, str(), char arrays read as strings). */
static bool string_arg(struct sema *s, struct node *call, struct node *a, const char *what)
{
	const struct type *t = sema_expr(s, a);
	if (!t)
		return false;
	if (t->kind != T_STRING) {
		sema_error(s, &a->loc, "%s() expects a string as %s (%s provided)", call->u.call.name, what,
			   sema_kind_word(t));
		return false;
	}
	return true;
}

/* globmatch(str, pat): pat is a literal, compiled into the program (codegen_strfuncs.c). */
const struct type *globmatch_check(struct sema *s, struct node *n)
{
	struct node *str = n->u.call.args, *pat = str->next;
	bool ok = string_arg(s, n, str, "first argument");
	if (!string_arg(s, n, pat, "pattern") || !ok)
		return NULL;
	if (pat->kind != N_STRING) {
		sema_error(s, &pat->loc, "globmatch() pattern must be a string literal");
		return NULL;
	}
	const char *err;
	struct glob g;
	if (glob_parse(pat->u.string.s, pat->u.string.len, &g, &err) < 0) {
		sema_error(s, &pat->loc, "globmatch() pattern: %s", err);
		return NULL;
	}
	glob_free(&g);
	return type_bool(s->t);
}

/* strstr(haystack, needle): the index of needle's first occurrence, -1 if none. */
const struct type *strstr_check(struct sema *s, struct node *n)
{
	struct node *h = n->u.call.args;
	bool ok = string_arg(s, n, h, "haystack");
	if (!string_arg(s, n, h->next, "needle") || !ok)
		return NULL;
	return type_int(s->t, 8, true);
}

/* The bytes memcmp() may compare of an operand of type t; 0 if it has none. */
static uint32_t memcmp_bytes(const struct node *a, const struct type *t)
{
	switch (t->kind) {
	case T_STRING: return a->kind == N_STRING ? (uint32_t)a->u.string.len + 1 : type_string_capacity(t);
	case T_BUFFER: return t->size > 4 ? t->size - 4 : 0;
	case T_ARRAY:
	case T_RECORD:
	case T_TUPLE: return t->size;
	default: return 0;
	}
}

/* memcmp(left, right, count): count is a literal no larger than either operand. */
const struct type *memcmp_check(struct sema *s, struct node *n)
{
	struct node *l = n->u.call.args, *r = l->next, *cnt = r->next;
	const struct type *lt = sema_expr(s, l), *rt = sema_expr(s, r), *ct = sema_expr(s, cnt);
	if (!lt || !rt || !ct)
		return NULL;
	bool ok = true;
	struct node *ops[] = { l, r };
	const struct type *tys[] = { lt, rt };
	for (int i = 0; i < 2; i++)
		if (!memcmp_bytes(ops[i], tys[i])) {
			sema_error(s, &ops[i]->loc,
				   "memcmp() expects a string, buffer, array or record as %s operand (%s provided)",
				   i ? "right" : "left", sema_kind_word(tys[i]));
			ok = false;
		}
	int64_t count;
	if (!sema_int_literal(cnt, &count) || count < 0) {
		sema_error(s, &cnt->loc, "memcmp() count must be a non-negative integer literal");
		return NULL;
	}
	if (!ok)
		return NULL;
	for (int i = 0; i < 2; i++) {
		uint32_t have = memcmp_bytes(ops[i], tys[i]);
		if ((uint64_t)count > have) {
			sema_error(s, &cnt->loc, "memcmp() count (%" PRId64 ") is larger than the %s operand (%u bytes)",
				   count, i ? "right" : "left", have);
			return NULL;
		}
	}
	return type_int(s->t, 8, true);
}

/* strcap(s): the capacity of a string (its declared size), an array or a pointer str() would read. */
const struct type *strcap_check(struct sema *s, struct node *n)
{
	struct node *a = n->u.call.args;
	const struct type *t = sema_expr(s, a);
	if (!t)
		return NULL;
	uint64_t cap;
	if (t->kind == T_STRING)
		cap = type_string_capacity(t);
	else if (t->kind == T_ARRAY && t->elem && t->elem->kind == T_INT && t->elem->size == 1)
		cap = t->count;
	else if (t->kind == T_POINTER && t->elem && t->elem->kind == T_INT && t->elem->size == 1)
		cap = s->p->strlen;
	else {
		sema_error(s, &a->loc, "strcap() expects a string, an int8 array or an int8 pointer (%s provided)",
			   sema_kind_word(t));
		return NULL;
	}
	n->kind = N_INT; /* known now */
	n->u.integer.value = cap;
	return type_int(s->t, 8, true);
}

/* syscall_name(nr): the number, named by user space when printed (decode.c). */
const struct type *syscall_name_check(struct sema *s, struct node *n)
{
	struct node *a = n->u.call.args;
	const struct type *t = sema_expr(s, a);
	if (!t)
		return NULL;
	if (!type_is_scalar(t)) {
		sema_error(s, &a->loc, "syscall_name() expects an integer (%s provided)", sema_kind_word(t));
		return NULL;
	}
	return type_simple(s->t, T_SYSCALL_NAME);
}
