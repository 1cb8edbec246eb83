/*
 * Kernel types from vmlinux BTF, imported into struct types on demand: a record
 * is defined when first used, its fields looked up one by one (btf.h).
 */
#include "btf.h"

#include <bpf/btf.h>
#include <bpf/libbpf_common.h>
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <stdarg.h>
#include <linux/btf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct btf *vmlinux, *override;
static bool tried;

struct btf *core_btf(void)
{
	if (override)
		return override;
	if (!tried) {
		tried = true;
		vmlinux = btf__load_vmlinux_btf(); /* NULL (errno set) without BTF */
	}
	return vmlinux;
}

void core_btf_override(struct btf *b)
{
	override = b;
}

bool core_btf_loaded(void)
{
	return vmlinux != NULL;
}

/* Look through typedefs and qualifiers. */
static uint32_t skip_mods(const struct btf *b, uint32_t id)
{
	for (int guard = 0; id && guard < 64; guard++) {
		const struct btf_type *t = btf__type_by_id(b, id);
		if (!t || !(btf_is_mod(t) || btf_is_typedef(t) || btf_is_type_tag(t) || btf_is_decl_tag(t)))
			break;
		id = t->type;
	}
	return id;
}

static const char *name_of(const struct btf *b, const struct btf_type *t)
{
	const char *n = btf__name_by_offset(b, t->name_off);
	return n ? n : "";
}

static const struct type *import(struct types *t, const struct btf *b, uint32_t id, int depth);
static const struct type *enum_of(struct types *t, const struct btf *b, const struct btf_type *bt, uint32_t size,
				  bool is_signed);

/* C alignment of type id (BTF does not record it), without importing anything. */
static uint32_t align_of(const struct btf *b, uint32_t id, int depth)
{
	id = skip_mods(b, id);
	const struct btf_type *bt = id ? btf__type_by_id(b, id) : NULL;
	if (!bt || depth > 32)
		return 1;
	if (btf_is_int(bt) || btf_is_any_enum(bt) || btf_is_float(bt))
		return bt->size > 8 ? 8 : bt->size ? bt->size : 1;
	if (btf_is_ptr(bt))
		return 8;
	if (btf_is_array(bt))
		return align_of(b, btf_array(bt)->type, depth + 1);
	if (!btf_is_composite(bt))
		return 1;
	uint32_t align = 1;
	const struct btf_member *m = btf_members(bt);
	for (uint16_t i = 0; i < btf_vlen(bt) && align < 8; i++) {
		uint32_t a = align_of(b, m[i].type, depth + 1);
		if (a > align)
			align = a;
	}
	return align;
}

/* A struct or union by value: its record, defined (size, align, BTF id) but without fields. */
static const struct type *import_record(struct types *t, const struct btf *b, uint32_t id)
{
	const struct btf_type *bt = btf__type_by_id(b, id);
	const char *kind = btf_is_union(bt) ? "union" : "struct";
	const char *name = name_of(b, bt);
	const struct type *rec;
	if (*name) {
		char full[256];
		snprintf(full, sizeof(full), "%s %s", kind, name);
		rec = type_record(t, full);
	} else {
		rec = type_record_anon(t, kind, id);
	}
	if (rec->defined)
		return rec;
	type_record_define(t, rec, bt->size, align_of(b, id, 0), NULL, 0, id);
	return rec;
}

/* A pointer's target: records stay incomplete, by name, so nothing behind them is read. */
static const struct type *import_pointee(struct types *t, const struct btf *b, uint32_t id, int depth)
{
	id = skip_mods(b, id);
	const struct btf_type *bt = id ? btf__type_by_id(b, id) : NULL;
	if (!bt || btf_is_func_proto(bt))
		return type_none(t);
	if (btf_is_composite(bt) || btf_is_fwd(bt)) {
		const char *name = name_of(b, bt);
		bool is_union = btf_is_fwd(bt) ? btf_kflag(bt) : btf_is_union(bt);
		if (!*name)
			return import_record(t, b, id);
		char full[256];
		snprintf(full, sizeof(full), "%s %s", is_union ? "union" : "struct", name);
		return type_record(t, full);
	}
	const struct type *e = import(t, b, id, depth + 1);
	return e ? e : type_none(t);
}

static const struct type *import(struct types *t, const struct btf *b, uint32_t id, int depth)
{
	if (depth > 64)
		return NULL;
	id = skip_mods(b, id);
	const struct btf_type *bt = id ? btf__type_by_id(b, id) : NULL;
	if (!bt)
		return NULL;
	if (btf_is_int(bt)) {
		uint8_t enc = btf_int_encoding(bt);
		if (enc & BTF_INT_BOOL)
			return type_int(t, 1, false);
		if (bt->size > 8 || (bt->size & (bt->size - 1)))
			return NULL; /* __int128 */
		if (!strcmp(name_of(b, bt), "char"))
			return type_int(t, 1, true);
		return type_int(t, bt->size, enc & BTF_INT_SIGNED);
	}
	if (btf_is_any_enum(bt)) {
		if (bt->size < 1 || bt->size > 8)
			return NULL;
		const struct type *e = enum_of(t, b, bt, bt->size, false);
		return e ? e : type_int(t, bt->size, false);
	}
	if (btf_is_ptr(bt))
		return type_pointer(t, import_pointee(t, b, bt->type, depth), false);
	if (btf_is_array(bt)) {
		const struct btf_array *a = btf_array(bt);
		uint32_t eid = skip_mods(b, a->type);
		const struct btf_type *et = btf__type_by_id(b, eid);
		if (!et)
			return NULL;
		if (btf_is_array(et)) { /* multi-dimensional: an array of arrays, as in bpftrace */
			const struct type *e = import(t, b, eid, depth + 1);
			return e && e->size ? type_array(t, e, a->nelems) : NULL;
		}
		if (btf_is_int(et) && et->size == 1 && !strcmp(name_of(b, et), "char"))
			return type_string(t, a->nelems);
		const struct type *e = import(t, b, eid, depth + 1);
		return e && e->size ? type_array(t, e, a->nelems) : NULL;
	}
	if (btf_is_composite(bt))
		return import_record(t, b, id);
	return NULL; /* func, float, fwd by value */
}

int btf_define_record(struct types *t, const struct type *rec)
{
	if (rec->defined)
		return 0;
	struct btf *b = core_btf();
	if (!b)
		return -ENOENT;
	const char *name = rec->name;
	int kind = !strncmp(name, "struct ", 7) ? BTF_KIND_STRUCT : !strncmp(name, "union ", 6) ? BTF_KIND_UNION : -1;
	if (kind < 0)
		return -ENOENT;
	int id = btf__find_by_name_kind(b, strchr(name, ' ') + 1, (uint32_t)kind);
	if (id <= 0)
		return -ENOENT;
	const struct type *r = import_record(t, b, (uint32_t)id);
	return r == rec ? 0 : -ENOENT;
}

/* Member i of `bt`, at `bits` from the record's start, as a field of type ft. */
static void member_field(const struct btf_type *bt, uint16_t i, uint32_t bits, const char *name,
			 const struct type *ft, struct type_field *out)
{
	memset(out, 0, sizeof(*out));
	out->name = name;
	out->type = ft;
	out->offset = bits / 8;
	uint32_t width = btf_member_bitfield_size(bt, i);
	if (width) {
		out->bit_offset = (uint16_t)(bits % 8);
		out->bit_width = (uint16_t)width;
	}
}

/* Search the members of composite `id` (and of its anonymous members) for `name`. */
static int find_member(struct types *t, const struct btf *b, uint32_t id, const char *name, uint32_t base_bits,
		       struct type_field *out, int depth)
{
	const struct btf_type *bt = btf__type_by_id(b, id);
	const struct btf_member *m = btf_members(bt);
	for (uint16_t i = 0; i < btf_vlen(bt); i++) {
		uint32_t bits = base_bits + btf_member_bit_offset(bt, i);
		const char *mname = btf__name_by_offset(b, m[i].name_off);
		if (mname && *mname) {
			if (strcmp(mname, name))
				continue;
			member_field(bt, i, bits, mname, import(t, b, m[i].type, 1), out);
			return out->type ? 0 : -ENOTSUP;
		}
		uint32_t mid = skip_mods(b, m[i].type);
		const struct btf_type *mt = btf__type_by_id(b, mid);
		if (mt && btf_is_composite(mt) && depth < 16) {
			int err = find_member(t, b, mid, name, bits, out, depth + 1);
			if (err != -ENOENT)
				return err;
		}
	}
	return -ENOENT;
}

int btf_record_field(struct types *t, const struct type *rec, const char *name, struct type_field *out)
{
	struct btf *b = core_btf();
	if (!b || !rec->btf_id)
		return -ENOENT;
	return find_member(t, b, rec->btf_id, name, 0, out, 0);
}

struct field_list {
	struct type_field *items;
	uint32_t n, cap;
};

/* Every member of composite `id`, anonymous members' own members inline (as bpftrace prints them). */
static int collect_members(struct types *t, const struct btf *b, uint32_t id, uint32_t base_bits,
			   struct field_list *out, int depth)
{
	const struct btf_type *bt = btf__type_by_id(b, id);
	const struct btf_member *m = btf_members(bt);
	for (uint16_t i = 0; i < btf_vlen(bt); i++) {
		uint32_t bits = base_bits + btf_member_bit_offset(bt, i);
		const char *mname = btf__name_by_offset(b, m[i].name_off);
		if (!mname || !*mname) {
			uint32_t mid = skip_mods(b, m[i].type);
			const struct btf_type *mt = btf__type_by_id(b, mid);
			if (mt && btf_is_composite(mt) && depth < 16) {
				int err = collect_members(t, b, mid, bits, out, depth + 1);
				if (err)
					return err;
			}
			continue;
		}
		const struct type *ft = import(t, b, m[i].type, 1);
		if (!ft)
			continue; /* floats, __int128: not representable, not printed */
		if (out->n == out->cap) {
			uint32_t cap = out->cap ? out->cap * 2 : 16;
			struct type_field *items = realloc(out->items, cap * sizeof(*items));
			if (!items)
				return -ENOMEM;
			out->items = items;
			out->cap = cap;
		}
		member_field(bt, i, bits, mname, ft, &out->items[out->n++]);
	}
	return 0;
}

int btf_complete_record(struct types *t, const struct type *rec)
{
	struct btf *b = core_btf();
	if (!rec->btf_id || rec->nfields)
		return 0;
	if (!b)
		return -ENOENT;
	struct field_list fl = { 0 };
	int err = collect_members(t, b, rec->btf_id, 0, &fl, 0);
	if (!err && fl.n)
		type_record_define(t, rec, rec->size, rec->align, fl.items, fl.n, rec->btf_id);
	free(fl.items);
	return err;
}

const struct type *btf_type_by_name(struct types *t, const char *name)
{
	struct btf *b = core_btf();
	if (!b)
		return NULL;
	int kind = BTF_KIND_TYPEDEF;
	const char *bare = name;
	if (!strncmp(name, "struct ", 7)) {
		const struct type *rec = type_record(t, name);
		return btf_define_record(t, rec) == 0 ? rec : NULL;
	}
	if (!strncmp(name, "union ", 6)) {
		const struct type *rec = type_record(t, name);
		return btf_define_record(t, rec) == 0 ? rec : NULL;
	}
	if (!strncmp(name, "enum ", 5)) {
		kind = BTF_KIND_ENUM;
		bare = name + 5;
	}
	int id = btf__find_by_name_kind(b, bare, (uint32_t)kind);
	if (id <= 0 && kind == BTF_KIND_ENUM)
		id = btf__find_by_name_kind(b, bare, BTF_KIND_ENUM64);
	if (id <= 0 && kind == BTF_KIND_TYPEDEF)
		id = btf__find_by_name_kind(b, bare, BTF_KIND_INT);
	return id > 0 ? import(t, b, (uint32_t)id, 0) : NULL;
}

/* Enumerator i of enum bt: its name (never NULL) and value. */
static const char *enumerator_at(const struct btf *b, const struct btf_type *bt, uint16_t i, int64_t *value)
{
	const char *en;
	if (btf_is_enum64(bt)) {
		const struct btf_enum64 *e = btf_enum64(bt) + i;
		en = btf__name_by_offset(b, e->name_off);
		*value = (int64_t)btf_enum64_value(e);
	} else {
		const struct btf_enum *e = btf_enum(bt) + i;
		en = btf__name_by_offset(b, e->name_off);
		*value = btf_kflag(bt) ? (int64_t)e->val : (int64_t)(uint32_t)e->val;
	}
	return en ? en : "";
}

/* Named enum bt as type_enum() of size bytes; an anonymous enum's values are plain integers (NULL). */
static const struct type *enum_of(struct types *t, const struct btf *b, const struct btf_type *bt, uint32_t size,
				  bool is_signed)
{
	if (!bt->name_off)
		return NULL;
	uint16_t n = btf_vlen(bt);
	struct type_enumerator *e = calloc(n ? n : 1, sizeof(*e));
	if (!e)
		return NULL;
	for (uint16_t i = 0; i < n; i++)
		e[i].name = enumerator_at(b, bt, i, &e[i].value);
	char tag[256];
	snprintf(tag, sizeof(tag), "enum %s", name_of(b, bt));
	const struct type *ty = type_enum(t, tag, size, is_signed, e, n);
	free(e);
	return ty;
}

/* The BTF enum holding enumerator `name` (its id, 0 if none), with the enumerator's value. */
static uint32_t enumerator_owner(const struct btf *b, const char *name, int64_t *value)
{
	uint32_t n = btf__type_cnt(b);
	for (uint32_t id = 1; id < n; id++) {
		const struct btf_type *bt = btf__type_by_id(b, id);
		if (!btf_is_any_enum(bt))
			continue;
		for (uint16_t i = 0; i < btf_vlen(bt); i++) {
			if (strcmp(enumerator_at(b, bt, i, value), name))
				continue;
			return id;
		}
	}
	return 0;
}

int btf_enum_value(const char *name, int64_t *value, uint32_t *size)
{
	struct btf *b = core_btf();
	uint32_t id = b ? enumerator_owner(b, name, value) : 0;
	if (!id)
		return -ENOENT;
	if (size)
		*size = btf__type_by_id(b, id)->size;
	return 0;
}

const struct type *btf_enum_type(struct types *t, const char *name)
{
	struct btf *b = core_btf();
	int64_t v;
	uint32_t id = b ? enumerator_owner(b, name, &v) : 0;
	return id ? enum_of(t, b, btf__type_by_id(b, id), 8, false) : NULL;
}

const char *kfunc_name(enum kfunc k)
{
	static const char *const names[K__COUNT] = {
		[K_TASK_FROM_PID] = "bpf_task_from_pid",
		[K_TASK_RELEASE] = "bpf_task_release",
	};
	return (unsigned)k < K__COUNT ? names[k] : NULL;
}

const struct type *btf_func_return_type(struct types *t, const char *func)
{
	struct btf *b = core_btf();
	int id = b ? btf__find_by_name_kind(b, func, BTF_KIND_FUNC) : -ENOENT;
	const struct btf_type *fn = id > 0 ? btf__type_by_id(b, (uint32_t)id) : NULL;
	const struct btf_type *proto = fn ? btf__type_by_id(b, fn->type) : NULL;
	if (!proto || !btf_is_func_proto(proto) || !proto->type)
		return NULL;
	return import(t, b, proto->type, 0);
}

int btf_func_id(const char *name)
{
	struct btf *b = core_btf();
	int id = b ? btf__find_by_name_kind(b, name, BTF_KIND_FUNC) : -ENOENT;
	return id > 0 ? id : -ENOENT;
}

int btf_percpu_var_id(const char *name)
{
	struct btf *b = core_btf();
	int id = b ? btf__find_by_name_kind(b, name, BTF_KIND_VAR) : -ENOENT;
	int sec = b && id > 0 ? btf__find_by_name_kind(b, ".data..percpu", BTF_KIND_DATASEC) : -ENOENT;
	if (sec <= 0)
		return -ENOENT;
	const struct btf_type *ds = btf__type_by_id(b, (uint32_t)sec);
	const struct btf_var_secinfo *v = btf_var_secinfos(ds);
	for (uint16_t i = 0; i < btf_vlen(ds); i++, v++)
		if (v->type == (uint32_t)id)
			return id;
	return -ENOENT;
}

static void dump_printf(void *ctx, const char *fmt, va_list args)
{
	vfprintf(ctx, fmt, args);
}

/*
 * One -lv definition as bpftrace prints it: libbpf's C dump of the type (which
 * leads with the types it depends on), cut to the type's own definition.
 */
static void print_def(const struct btf *b, uint32_t id, const char *full, FILE *fp)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	if (!mem)
		return;
	struct btf_dump *dm = btf_dump__new(b, dump_printf, mem, NULL);
	if (dm) {
		btf_dump__dump_type(dm, id);
		btf_dump__free(dm);
	}
	fclose(mem);
	size_t flen = strlen(full);
	for (char *line = buf; line && *line;) {
		if (!strncmp(line, full, flen) && !strncmp(line + flen, " {\n", 3)) {
			char *end = strstr(line, "\n};\n");
			if (end)
				fprintf(fp, "%.*s\n", (int)(end + 4 - line), line);
			break;
		}
		line = strchr(line, '\n');
		line = line ? line + 1 : NULL;
	}
	free(buf);
}

struct listed_type {
	char *full; /* "struct task_struct" */
	uint32_t id;
};

static int by_full_name(const void *a, const void *b)
{
	const struct listed_type *x = a, *y = b;
	int c = strcmp(x->full, y->full);
	return c ? c : x->id < y->id ? -1 : x->id > y->id;
}

/* -l 'struct task*': the matching types sorted by name, each name once (the first of its
 * definitions, by BTF id, for -lv), as bpftrace lists them. */
int btf_list_types(const char *pattern, bool verbose, FILE *fp)
{
	const struct btf *b = core_btf();
	if (!b)
		return -ENOENT;
	uint32_t n = btf__type_cnt(b);
	struct listed_type *found = NULL;
	size_t nfound = 0, cap = 0;
	int rc = 0;
	for (uint32_t id = 1; id < n && !rc; id++) {
		const struct btf_type *t = btf__type_by_id(b, id);
		const char *kw = btf_is_struct(t) ? "struct " : btf_is_union(t) ? "union "
				 : btf_is_any_enum(t)			      ? "enum "
									      : NULL;
		/* anonymous types and enum forward declarations have nothing to list; an empty struct
		 * is listed (a struct's forward declaration is a FWD, not a struct) */
		if (!kw || !t->name_off || (*kw == 'e' && !btf_vlen(t)))
			continue;
		char full[256];
		snprintf(full, sizeof(full), "%s%s", kw, name_of(b, t));
		if (fnmatch(pattern, full, 0))
			continue;
		if (nfound == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			struct listed_type *grown = realloc(found, ncap * sizeof(*found));
			if (!grown) {
				rc = -ENOMEM;
				break;
			}
			found = grown, cap = ncap;
		}
		if (!(found[nfound].full = strdup(full))) {
			rc = -ENOMEM;
			break;
		}
		found[nfound++].id = id;
	}
	if (!rc && nfound)
		qsort(found, nfound, sizeof(*found), by_full_name);
	for (size_t i = 0; i < nfound && !rc; i++) {
		if (i && !strcmp(found[i].full, found[i - 1].full))
			continue;
		if (verbose)
			print_def(b, found[i].id, found[i].full, fp);
		else
			fprintf(fp, "%s\n", found[i].full);
	}
	for (size_t i = 0; i < nfound; i++)
		free(found[i].full);
	free(found);
	return rc;
}
