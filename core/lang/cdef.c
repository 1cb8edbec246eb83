/*
 * Struct, union and enum definitions written in a script (before the
 * probes, as in bpftrace): `struct foo { int a; char name[16]; struct foo
 * *next; unsigned int flag : 1; };`. The parser keeps each definition as
 * text (N_CDEF); this reads the C declarations bpftrace scripts use and
 * defines the record with C's layout (natural alignment, SysV bitfields),
 * or records the enumerators. Types not spelled here (pid_t, struct
 * list_head by value) come from BTF.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../btf.h"
#include "sema_internal.h"

#define CDEF_MAX_FIELDS 512
/* struct { struct { ... } }: each level a recursion and a layout of CDEF_MAX_FIELDS */
#define CDEF_MAX_NESTING 64
/* anon_id of a script's anonymous struct/union (BTF ids are smaller) */
#define ANON_BASE 0x80000000u

struct cdef_enum {
	const char *name;
	int64_t value;
	const struct type *type; /* its named enum's (type_enum), or NULL */
};

struct cdef_state {
	struct cdef_enum *enums;
	size_t nenums, cap;
};

struct cdef_state *sema_cdef_state(struct sema *s)
{
	struct program *p = s->p;
	struct compile_state *cs = p->compile_state;
	if (!cs->cdefs)
		cs->cdefs = arena_zalloc(&p->arena, sizeof(*cs->cdefs));
	return cs->cdefs;
}

struct cx {
	struct sema *s;
	struct types *t;
	struct arena *a;
	const char *p, *end;
	const struct loc *loc;
	unsigned nesting; /* record_body's recursion */
	bool failed;
};

static void cx_error(struct cx *x, const char *fmt, const char *arg)
{
	if (!x->failed)
		sema_error(x->s, x->loc, fmt, arg);
	x->failed = true;
}

static void skip_space(struct cx *x)
{
	for (;;) {
		while (x->p < x->end && isspace((unsigned char)*x->p))
			x->p++;
		if (x->p + 1 < x->end && x->p[0] == '/' && x->p[1] == '/') {
			while (x->p < x->end && *x->p != '\n')
				x->p++;
		} else if (x->p + 1 < x->end && x->p[0] == '/' && x->p[1] == '*') {
			const char *e = strstr(x->p + 2, "*/");
			x->p = e && e < x->end ? e + 2 : x->end;
		} else {
			return;
		}
	}
}

/* The next identifier (NUL-terminated copy), or NULL if none starts here. */
static const char *word(struct cx *x)
{
	skip_space(x);
	const char *b = x->p;
	if (b >= x->end || !(isalpha((unsigned char)*b) || *b == '_'))
		return NULL;
	while (x->p < x->end && (isalnum((unsigned char)*x->p) || *x->p == '_'))
		x->p++;
	return arena_strndup(x->a, b, (size_t)(x->p - b));
}

static bool peek_word(struct cx *x, const char *w)
{
	skip_space(x);
	size_t n = strlen(w);
	return (size_t)(x->end - x->p) >= n && !strncmp(x->p, w, n) &&
	       !(x->p + n < x->end && (isalnum((unsigned char)x->p[n]) || x->p[n] == '_'));
}

static bool at_punct(struct cx *x, char c)
{
	skip_space(x);
	return x->p < x->end && *x->p == c;
}

static bool punct(struct cx *x, char c)
{
	skip_space(x);
	if (x->p < x->end && *x->p == c) {
		x->p++;
		return true;
	}
	return false;
}

static bool number(struct cx *x, int64_t *v)
{
	skip_space(x);
	bool neg = punct(x, '-');
	skip_space(x);
	char *e;
	if (x->p >= x->end || !isdigit((unsigned char)*x->p))
		return false;
	unsigned long long u = strtoull(x->p, &e, 0);
	x->p = e;
	while (x->p < x->end && strchr("uUlL", *x->p))
		x->p++;
	*v = neg ? -(int64_t)u : (int64_t)u;
	return true;
}

static struct cdef_enum *enum_find(struct sema *s, const char *name)
{
	struct cdef_state *cd = sema_cdef_state(s);
	for (size_t i = 0; i < cd->nenums; i++)
		if (!strcmp(cd->enums[i].name, name))
			return &cd->enums[i];
	return NULL;
}

static void add_enum(struct cx *x, const char *name, int64_t v)
{
	struct cdef_state *cd = sema_cdef_state(x->s);
	if (enum_find(x->s, name))
		return;
	if (cd->nenums == cd->cap) {
		size_t cap = cd->cap ? cd->cap * 2 : 16;
		cd->enums = arena_grow(x->a, cd->enums, cd->nenums, cap, sizeof(*cd->enums));
		cd->cap = cap;
	}
	cd->enums[cd->nenums++] = (struct cdef_enum){ name, v, NULL };
}

/* A named enum's enumerators, added from index `from` on, get its type. */
static void enum_type(struct cx *x, const char *name, size_t from)
{
	struct cdef_state *cd = sema_cdef_state(x->s);
	size_t n = cd->nenums - from;
	if (!name || !n)
		return;
	struct type_enumerator *e = arena_zalloc(x->a, n * sizeof(*e));
	for (size_t i = 0; i < n; i++)
		e[i] = (struct type_enumerator){ cd->enums[from + i].name, cd->enums[from + i].value };
	const struct type *ty = type_enum(x->t, arena_printf(x->a, "enum %s", name), 8, false, e, (uint32_t)n);
	for (size_t i = from; i < cd->nenums; i++)
		cd->enums[i].type = ty;
}

/* enum [name] { A, B = 5, C } (the keyword already read); its type is the enum's integer */
static const struct type *enum_body(struct cx *x)
{
	const char *name = word(x);
	if (!punct(x, '{')) { /* a use: enum e field */
		const struct type *e = name ? sema_cdef_enum_type(x->s, arena_printf(x->a, "enum %s", name)) : NULL;
		return e ? type_int_resized(x->t, e, 4) : type_int(x->t, 4, false);
	}
	size_t first = sema_cdef_state(x->s)->nenums;
	int64_t next = 0;
	while (!x->failed && !punct(x, '}')) {
		const char *e = word(x);
		if (!e) {
			cx_error(x, "syntax error in enum definition near '%.20s'", x->p < x->end ? x->p : "");
			return NULL;
		}
		int64_t v = next;
		if (punct(x, '=')) {
			const char *ref;
			struct cdef_enum *known;
			if (!number(x, &v)) {
				if ((ref = word(x)) && (known = enum_find(x->s, ref)))
					v = known->value;
				else
					cx_error(x, "enum value of '%s' must be an integer", e);
			}
		}
		add_enum(x, e, v);
		next = v + 1;
		if (punct(x, ','))
			continue;
		if (punct(x, '}'))
			break;
		cx_error(x, "syntax error in enum definition near '%s'", e);
	}
	enum_type(x, name, first);
	return type_int(x->t, 4, false);
}

static const struct type *record_body(struct cx *x, const char *kind, const char *name);

/* Base type words: "unsigned long", "u32", "struct foo", "union { ... }". */
static const struct type *base_type(struct cx *x)
{
	static const struct { const char *name; uint32_t size; bool is_signed; } named[] = {
		{ "int8_t", 1, true }, { "int16_t", 2, true }, { "int32_t", 4, true }, { "int64_t", 8, true },
		{ "uint8_t", 1, false }, { "uint16_t", 2, false }, { "uint32_t", 4, false }, { "uint64_t", 8, false },
		{ "int8", 1, true }, { "int16", 2, true }, { "int32", 4, true }, { "int64", 8, true },
		{ "uint8", 1, false }, { "uint16", 2, false }, { "uint32", 4, false }, { "uint64", 8, false },
		{ "u8", 1, false }, { "u16", 2, false }, { "u32", 4, false }, { "u64", 8, false },
		{ "s8", 1, true }, { "s16", 2, true }, { "s32", 4, true }, { "s64", 8, true },
		{ "__u8", 1, false }, { "__u16", 2, false }, { "__u32", 4, false }, { "__u64", 8, false },
		{ "__s8", 1, true }, { "__s16", 2, true }, { "__s32", 4, true }, { "__s64", 8, true },
		{ "size_t", 8, false }, { "ssize_t", 8, true }, { "bool", 1, false }, { "_Bool", 1, false },
		{ "uintptr_t", 8, false }, { "intptr_t", 8, true },
	};
	bool is_unsigned = false, is_signed = false, any = false;
	int longs = 0, size = 0;
	for (;;) {
		if (peek_word(x, "const") || peek_word(x, "volatile")) {
			word(x);
			continue;
		}
		if (peek_word(x, "struct") || peek_word(x, "union")) {
			if (any)
				break;
			const char *kind = word(x);
			const char *name = word(x);
			skip_space(x);
			if (x->p < x->end && *x->p == '{')
				return record_body(x, kind, name);
			if (!name) {
				cx_error(x, "syntax error in %s definition", kind);
				return NULL;
			}
			return type_record(x->t, arena_printf(x->a, "%s %s", kind, name));
		}
		if (peek_word(x, "enum")) {
			word(x);
			return enum_body(x);
		}
		const char *save = x->p;
		const char *w = word(x);
		if (!w)
			break;
		if (!strcmp(w, "unsigned")) {
			is_unsigned = any = true;
		} else if (!strcmp(w, "signed")) {
			is_signed = any = true;
		} else if (!strcmp(w, "char")) {
			size = 1;
			any = true;
		} else if (!strcmp(w, "short")) {
			size = 2;
			any = true;
		} else if (!strcmp(w, "int")) {
			if (!size)
				size = 4;
			any = true;
		} else if (!strcmp(w, "long")) {
			longs++;
			any = true;
		} else if (any) {
			x->p = save; /* the declarator's name */
			break;
		} else {
			if (!strcmp(w, "void"))
				return type_none(x->t);
			for (size_t i = 0; i < sizeof(named) / sizeof(named[0]); i++)
				if (!strcmp(w, named[i].name))
					return type_int(x->t, named[i].size, named[i].is_signed);
			const struct type *bt = btf_type_by_name(x->t, w); /* pid_t, a kernel typedef */
			if (!bt)
				cx_error(x, "Unknown type '%s' in a struct definition", w);
			return bt;
		}
	}
	if (!any) {
		cx_error(x, "syntax error in a struct definition near '%.20s'", x->p < x->end ? x->p : "");
		return NULL;
	}
	if (longs)
		size = 8;
	(void)is_signed;
	return type_int(x->t, size ? (uint32_t)size : 4, !is_unsigned);
}

struct layout {
	struct type_field fields[CDEF_MAX_FIELDS];
	uint32_t n;
	uint64_t bits;  /* next free bit (structs) */
	uint32_t size, align;
	bool is_union;
};

static void place(struct cx *x, struct layout *l, const char *name, const struct type *t, int width)
{
	if (l->n == CDEF_MAX_FIELDS) {
		cx_error(x, "too many fields in '%s'", name ? name : "struct");
		return;
	}
	uint32_t a = t->align ? t->align : 1, size = t->size;
	struct type_field *f = &l->fields[l->n];
	memset(f, 0, sizeof(*f));
	f->name = name;
	f->type = t;
	if (width >= 0) {
		uint64_t unit = (uint64_t)size * 8, start = l->is_union ? 0 : l->bits;
		if (width && start / unit != (start + (uint64_t)width - 1) / unit)
			start = (start + unit - 1) / unit * unit; /* would straddle its unit */
		if (!width) { /* `int : 0` ends the unit */
			l->bits = (start + unit - 1) / unit * unit;
			return;
		}
		f->offset = (uint32_t)(start / 8);
		f->bit_offset = (uint16_t)(start % 8);
		f->bit_width = (uint16_t)width;
		if (!l->is_union)
			l->bits = start + (uint64_t)width;
		uint32_t end = (uint32_t)((start + (uint64_t)width + 7) / 8);
		if (end > l->size)
			l->size = end;
	} else {
		uint64_t off = l->is_union ? 0 : ((l->bits + 7) / 8 + a - 1) / a * a;
		f->offset = (uint32_t)off;
		if (!l->is_union)
			l->bits = (off + size) * 8;
		if (off + size > l->size)
			l->size = (uint32_t)(off + size);
	}
	if (a > l->align)
		l->align = a;
	if (name)
		l->n++;
}

/* { members } of a struct or union (the `{` not yet read); the record it defines. */
static const struct type *record_body(struct cx *x, const char *kind, const char *name)
{
	if (x->nesting == CDEF_MAX_NESTING) {
		cx_error(x, "%s definitions nested too deeply (at most 64)", kind); /* CDEF_MAX_NESTING */
		return NULL;
	}
	struct layout *l = calloc(1, sizeof(*l));
	if (!l)
		abort();
	x->nesting++;
	l->is_union = !strcmp(kind, "union");
	l->align = 1;
	punct(x, '{');
	while (!x->failed && !punct(x, '}')) {
		if (x->p >= x->end) {
			cx_error(x, "syntax error, unexpected end of %s definition", kind);
			break;
		}
		const struct type *bt = base_type(x);
		if (!bt)
			break;
		if (punct(x, ';') || at_punct(x, '}')) {
			/* an anonymous struct/union: its members belong to this record */
			if (bt->kind == T_RECORD && bt->anon_id >= ANON_BASE) {
				place(x, l, NULL, bt, -1); /* reserves its bytes; the offset is left in fields[n] */
				uint32_t base_off = l->fields[l->n].offset;
				for (uint32_t i = 0; i < bt->nfields && l->n < CDEF_MAX_FIELDS; i++) {
					l->fields[l->n] = bt->fields[i];
					l->fields[l->n].offset += base_off;
					l->n++;
				}
			}
			continue;
		}
		do {
			const struct type *t = bt;
			while (punct(x, '*'))
				t = type_pointer(x->t, t, false);
			const char *fname = word(x);
			if (!fname) {
				cx_error(x, "syntax error in a struct definition near '%.20s'", x->p < x->end ? x->p : "");
				break;
			}
			int64_t n, width = -1, dims[8];
			int ndims = 0;
			bool bad_dim = false;
			while (punct(x, '[')) {
				if (!number(x, &n) || !punct(x, ']') || n < 0 || ndims == 8) {
					cx_error(x, "array size of field '%s' must be an integer", fname);
					bad_dim = true;
					break;
				}
				dims[ndims++] = n;
			}
			if (bad_dim)
				break;
			/* an array's size needs its element's: define a record element first */
			if (ndims && t->kind == T_RECORD && !sema_define_record(x->s, t, x->loc)) {
				x->failed = true;
				break;
			}
			/* int m[2][3]: an array of 2 arrays of 3; char s[2][4]: 2 strings of 4 */
			for (int d = ndims - 1; d >= 0; d--) {
				if (d == ndims - 1 && t->kind == T_INT && t->size == 1 && bt == t && t->is_signed)
					t = type_string(x->t, (uint32_t)dims[d]); /* char name[16] */
				else
					t = type_array(x->t, t, (uint32_t)dims[d]);
			}
			if (punct(x, ':') && !number(x, &width)) {
				cx_error(x, "bit width of field '%s' must be an integer", fname);
				break;
			}
			if (t->kind == T_NONE) {
				cx_error(x, "field '%s' has type void", fname);
				break;
			}
			if (t->kind == T_RECORD && !sema_define_record(x->s, t, x->loc)) {
				x->failed = true;
				break;
			}
			if (width >= 0 && t->kind != T_INT) {
				cx_error(x, "bit-field '%s' has non-integral type", fname);
				break;
			}
			place(x, l, fname, t, (int)width);
		} while (!x->failed && punct(x, ','));
		/* clang accepts the last member without its ';' (with a warning), so bpftrace does */
		if (!x->failed && !punct(x, ';') && !at_punct(x, '}'))
			cx_error(x, "expected ';' after field in %s definition", kind);
	}
	const struct type *rec = NULL;
	if (!x->failed) {
		uint32_t size = (l->size + l->align - 1) / l->align * l->align;
		static uint32_t anon_seq;
		if (name)
			rec = type_record(x->t, arena_printf(x->a, "%s %s", kind, name));
		else /* anonymous: a record of its own, flattened into the enclosing one */
			rec = type_record_anon(x->t, kind, ANON_BASE + anon_seq++);
		if (!rec->defined || !name)
			type_record_define(x->t, rec, size, l->align, l->fields, l->n, 0);
		else
			cx_error(x, "Redefinition of '%s'", rec->name);
	}
	free(l);
	x->nesting--;
	return rec;
}

void sema_cdefs(struct sema *s, struct node *cdefs)
{
	for (struct node *n = cdefs; n; n = n->next) {
		struct cx x = { .s = s, .t = &s->p->types, .a = &s->p->arena, .p = n->u.cdef.text,
				.loc = &n->loc };
		x.end = x.p + strlen(x.p);
		if (peek_word(&x, "enum")) {
			word(&x);
			enum_body(&x);
			continue;
		}
		const char *kind = word(&x);
		const char *name = word(&x);
		if (!kind || !name)
			continue;
		skip_space(&x);
		record_body(&x, kind, name);
	}
}

int sema_cdef_enum(struct sema *s, const char *name, int64_t *value, const struct type **type)
{
	struct cdef_enum *e = enum_find(s, name);
	if (!e)
		return -ENOENT;
	*value = e->value;
	if (type)
		*type = e->type;
	return 0;
}

const struct type *sema_cdef_enum_type(struct sema *s, const char *tag)
{
	struct cdef_state *cd = sema_cdef_state(s);
	for (size_t i = 0; i < cd->nenums; i++)
		if (cd->enums[i].type && !strcmp(cd->enums[i].type->name, tag))
			return cd->enums[i].type;
	return NULL;
}
