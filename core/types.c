/*
 * The type system's store: types interned per run, so equal types are one
 * pointer, and their names as errors and -d print them.
 */
#include "types.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void types_init(struct types *t)
{
	memset(t, 0, sizeof(*t));
}

void types_release(struct types *t)
{
	free(t->all);
	arena_release(&t->arena);
	memset(t, 0, sizeof(*t));
}

bool type_equal(const struct type *a, const struct type *b)
{
	if (a == b)
		return true;
	if (a && a->kind == T_RECORD)
		return false; /* records are unique per name (type_record) */
	if (!a || !b || a->kind != b->kind || a->size != b->size || a->is_signed != b->is_signed ||
	    a->user != b->user || a->trunc != b->trunc || a->count != b->count || a->nfields != b->nfields || a->agg != b->agg)
		return false;
	if ((a->name || b->name) && (!a->name || !b->name || strcmp(a->name, b->name)))
		return false;
	if (!type_equal(a->elem, b->elem) || !type_equal(a->agg_arg, b->agg_arg))
		return false;
	for (uint32_t i = 0; i < a->nfields; i++) {
		const struct type_field *fa = &a->fields[i], *fb = &b->fields[i];
		if (fa->offset != fb->offset || fa->bit_offset != fb->bit_offset ||
		    fa->bit_width != fb->bit_width || !type_equal(fa->type, fb->type))
			return false;
		if ((fa->name || fb->name) && (!fa->name || !fb->name || strcmp(fa->name, fb->name)))
			return false;
	}
	return true;
}

/* A new type, equal to none before it (records are unique by identity). */
static struct type *add_unique(struct types *t, const struct type *proto)
{
	if (t->n == t->cap) {
		uint32_t cap = t->cap ? t->cap * 2 : 64;
		const struct type **all = realloc(t->all, cap * sizeof(*all));
		if (!all)
			abort();
		t->all = all;
		t->cap = cap;
	}
	struct type *ty = arena_zalloc(&t->arena, sizeof(*ty));
	*ty = *proto;
	t->all[t->n++] = ty;
	return ty;
}

/*
 * Return the interned copy of *proto, copying it (and its fields array) into
 * the arena the first time. Components are already interned, so a linear scan
 * with structural equality is enough for the few dozen types a script has.
 */
static const struct type *intern(struct types *t, const struct type *proto)
{
	for (uint32_t i = 0; i < t->n; i++)
		if (type_equal(t->all[i], proto))
			return t->all[i];
	struct type *ty = add_unique(t, proto);
	if (proto->nfields) {
		struct type_field *f = arena_zalloc(&t->arena, proto->nfields * sizeof(*f));
		memcpy(f, proto->fields, proto->nfields * sizeof(*f));
		ty->fields = f;
	}
	return ty;
}

const struct type *type_record(struct types *t, const char *name)
{
	for (uint32_t i = 0; i < t->n; i++)
		if (t->all[i]->kind == T_RECORD && !t->all[i]->anon_id && !strcmp(t->all[i]->name, name))
			return t->all[i];
	struct type p = { .kind = T_RECORD, .align = 1, .name = arena_strdup(&t->arena, name) };
	return add_unique(t, &p);
}

const struct type *type_record_anon(struct types *t, const char *kind, uint32_t btf_id)
{
	for (uint32_t i = 0; i < t->n; i++)
		if (t->all[i]->kind == T_RECORD && t->all[i]->anon_id == btf_id)
			return t->all[i];
	struct type p = { .kind = T_RECORD, .align = 1, .anon_id = btf_id,
			  .name = arena_printf(&t->arena, "%s (anonymous)", kind) };
	return add_unique(t, &p);
}

void type_record_define(struct types *t, const struct type *rec, uint32_t size, uint32_t align,
			const struct type_field *fields, uint32_t nfields, uint32_t btf_id)
{
	/* records are owned by t (type_record), completed here once */
	struct type *r = (struct type *)rec;
	r->size = size;
	r->align = align ? align : 1;
	r->btf_id = btf_id;
	r->defined = true;
	if (nfields) {
		struct type_field *f = arena_zalloc(&t->arena, nfields * sizeof(*f));
		memcpy(f, fields, nfields * sizeof(*f));
		for (uint32_t i = 0; i < nfields; i++)
			if (f[i].name)
				f[i].name = arena_strdup(&t->arena, f[i].name);
		r->fields = f;
		r->nfields = nfields;
	}
}

const struct type *type_int(struct types *t, uint32_t size, bool is_signed)
{
	struct type p = { .kind = T_INT, .size = size, .align = size, .is_signed = is_signed };
	return intern(t, &p);
}

const struct type *type_enum(struct types *t, const char *name, uint32_t size, bool is_signed,
			     const struct type_enumerator *e, uint32_t n)
{
	struct type p = { .kind = T_INT, .size = size, .align = size, .is_signed = is_signed, .name = name };
	for (uint32_t i = 0; i < t->n; i++)
		if (type_equal(t->all[i], &p))
			return t->all[i];
	struct type_enumerator *copy = arena_zalloc(&t->arena, (n ? n : 1) * sizeof(*copy));
	for (uint32_t i = 0; i < n; i++)
		copy[i] = (struct type_enumerator){ arena_strdup(&t->arena, e[i].name), e[i].value };
	p.name = arena_strdup(&t->arena, name);
	p.enumerators = copy;
	p.nenumerators = n;
	return add_unique(t, &p);
}

const struct type *type_int_resized(struct types *t, const struct type *ty, uint32_t size)
{
	if (!ty->name)
		return type_int(t, size, ty->is_signed);
	return type_enum(t, ty->name, size, ty->is_signed, ty->enumerators, ty->nenumerators);
}

const struct type *type_bool(struct types *t)
{
	return type_bool_resized(t, 1);
}

/* A bool held in a map, tuple or event slot, where scalars take 8 bytes. */
const struct type *type_bool_resized(struct types *t, uint32_t size)
{
	struct type p = { .kind = T_BOOL, .size = size, .align = size };
	return intern(t, &p);
}

const struct type *type_none(struct types *t)
{
	struct type p = { .kind = T_NONE };
	return intern(t, &p);
}

const struct type *type_string(struct types *t, uint32_t size)
{
	struct type p = { .kind = T_STRING, .size = size, .align = 1 };
	return intern(t, &p);
}

const struct type *type_string_trunc(struct types *t, uint32_t cap)
{
	struct type p = { .kind = T_STRING, .size = cap + 1, .align = 1, .trunc = true };
	return intern(t, &p);
}

uint32_t type_string_capacity(const struct type *ty)
{
	return ty->trunc ? ty->size - 1 : ty->size;
}

const struct type *type_pointer(struct types *t, const struct type *elem, bool user)
{
	struct type p = { .kind = T_POINTER, .size = 8, .align = 8, .elem = elem, .user = user };
	return intern(t, &p);
}

const struct type *type_array(struct types *t, const struct type *elem, uint32_t count)
{
	struct type p = { .kind = T_ARRAY, .size = elem->size * count, .align = elem->align,
			  .elem = elem, .count = count };
	return intern(t, &p);
}

const struct type *type_tuple(struct types *t, const struct type *const *items, uint32_t n)
{
	struct type_field *f = calloc(n ? n : 1, sizeof(*f));
	if (!f)
		abort();
	uint32_t off = 0, align = 1;
	for (uint32_t i = 0; i < n; i++) {
		uint32_t a = items[i]->align ? items[i]->align : 1;
		off = (off + a - 1) / a * a;
		f[i].type = items[i];
		f[i].offset = off;
		off += items[i]->size;
		if (a > align)
			align = a;
	}
	struct type p = { .kind = T_TUPLE, .size = (off + align - 1) / align * align, .align = align,
			  .fields = f, .nfields = n };
	const struct type *ty = intern(t, &p);
	free(f);
	return ty;
}

const struct type *type_agg(struct types *t, enum agg_kind agg, const struct type *arg)
{
	struct type p = { .kind = T_AGG, .agg = agg, .agg_arg = arg };
	return intern(t, &p);
}

const struct type *type_simple(struct types *t, enum type_kind kind)
{
	static const uint32_t sizes[] = {
		[T_KSTACK] = 8, [T_USTACK] = 16, [T_KSYM] = 8, [T_USYM] = 16, [T_TIMESTAMP] = 8,
		[T_PROBE] = 8, [T_INET] = 24, [T_MACADDR] = 8, [T_STRERROR] = 8, [T_CGROUP_PATH] = 8,
		[T_USERNAME] = 8, [T_SYSCALL_NAME] = 8,
	};
	uint32_t size = (unsigned)kind < sizeof(sizes) / sizeof(sizes[0]) ? sizes[kind] : 0;
	struct type p = { .kind = kind, .size = size, .align = size ? 8 : 1 };
	return intern(t, &p);
}

const struct type *type_timestamp(struct types *t, const char *fmt)
{
	/* the format outlives the AST it came from */
	struct type p = { .kind = T_TIMESTAMP, .size = 8, .align = 8, .name = arena_strdup(&t->arena, fmt) };
	return intern(t, &p);
}

const struct type *type_cgroup_path(struct types *t, const char *filter)
{
	struct type p = { .kind = T_CGROUP_PATH, .size = 8, .align = 8,
			  .name = filter ? arena_strdup(&t->arena, filter) : NULL };
	return intern(t, &p);
}

const struct type *type_buffer(struct types *t, uint32_t cap)
{
	struct type p = { .kind = T_BUFFER, .size = 4 + cap, .align = 4 };
	return intern(t, &p);
}

const struct type *type_stack(struct types *t, enum type_kind kind, const char *mode, uint32_t nframes)
{
	struct type p = { .kind = kind, .size = kind == T_USTACK ? 16 : 8, .align = 8, .count = nframes,
			  .name = mode };
	return intern(t, &p);
}

static const char *agg_name(enum agg_kind agg)
{
	switch (agg) {
	case AGG_COUNT: return "count";
	case AGG_SUM: return "sum";
	case AGG_MIN: return "min";
	case AGG_MAX: return "max";
	case AGG_AVG: return "avg";
	case AGG_STATS: return "stats";
	case AGG_HIST: return "hist";
	case AGG_LHIST: return "lhist";
	case AGG_TSERIES: return "tseries";
	case AGG_NONE: break;
	}
	return "none";
}

const char *type_name(struct types *t, const struct type *ty)
{
	if (!ty)
		return "none";
	switch (ty->kind) {
	case T_NONE: return "none";
	case T_INT:
		if (ty->name)
			return ty->name;
		return arena_printf(&t->arena, "%sint%u", ty->is_signed ? "" : "u", ty->size * 8);
	case T_BOOL: return "bool";
	case T_STRING: return arena_printf(&t->arena, "string[%u]", type_string_capacity(ty));
	case T_BUFFER: return arena_printf(&t->arena, "buffer[%u]", ty->size > 4 ? ty->size - 4 : 0);
	case T_POINTER: {
		const char *e = type_name(t, ty->elem);
		size_t n = strlen(e);
		/* "int8 *" then "int8 **": stars stick together like bpftrace prints them */
		return arena_printf(&t->arena, "%s%s*", e, n && e[n - 1] == '*' ? "" : " ");
	}
	case T_ARRAY: return arena_printf(&t->arena, "%s[%u]", type_name(t, ty->elem), ty->count);
	case T_TUPLE: {
		const char *s = "(";
		for (uint32_t i = 0; i < ty->nfields; i++)
			s = arena_printf(&t->arena, "%s%s%s", s, i ? "," : "",
					 type_name(t, ty->fields[i].type));
		return arena_printf(&t->arena, "%s)", s);
	}
	case T_RECORD: return ty->name ? ty->name : "struct";
	case T_KSTACK: return "kstack";
	case T_USTACK: return "ustack";
	case T_KSYM: return "ksym";
	case T_USYM: return "usym";
	case T_TIMESTAMP: return "timestamp";
	case T_AGG: return agg_name(ty->agg);
	case T_PROBE: return "probe";
	case T_INET: return "inet";
	case T_MACADDR: return "mac_address";
	case T_STRERROR: return "strerror_t";
	case T_USERNAME: return "username";
	case T_CGROUP_PATH: return "cgroup_path_t";
	case T_SYSCALL_NAME: return "syscall_name_t";
	}
	return "none";
}
