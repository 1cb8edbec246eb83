/*
 * Semantic analysis of kernel and script types: field walks
 * through pointers and records, `*` and `&`, casts to pointer types,
 * sizeof, offsetof, indexing, pointer arithmetic and enum identifiers.
 * Records come from script definitions (cdef.c) or from vmlinux BTF
 * (core/btf.c), which is read only when a record is first dereferenced.
 *
 * Rules and messages follow bpftrace 0.17: `->` on pointers to records,
 * `.` on records (and on `args`, handled in sema.c); `char` arrays are
 * strings; pointers print nowhere but in printf/maps, as integers.
 */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "../btf.h"
#include "sema_internal.h"

static struct types *types_of(struct sema *s)
{
	return &s->p->types;
}

static const char *tname(struct sema *s, const struct type *t)
{
	return type_name(types_of(s), t);
}

/* uprobe, uretprobe, usdt: an integer cast to a pointer points into the traced process */
static bool user_probe(struct sema *s)
{
	const char *pt = sema_probe_type(s);
	return pt[0] == 'u';
}

const struct type *sema_record_pointer(struct sema *s, const char *name, bool user)
{
	return type_pointer(types_of(s), type_record(types_of(s), name), user);
}

/* A record's definition must be known to look inside it: script, then BTF. */
bool sema_define_record(struct sema *s, const struct type *rec, const struct loc *loc)
{
	if (rec->defined || btf_define_record(types_of(s), rec) == 0)
		return true;
	sema_error(s, loc, "Unknown struct/union: '%s'", rec->name);
	return false;
}

/* 0: found; -ENOENT: no such field; -ENOTSUP: a type strobe cannot represent. */
static int record_field(struct sema *s, const struct type *rec, const char *name, struct type_field *out)
{
	if (!rec->btf_id) {
		for (uint32_t i = 0; i < rec->nfields; i++) {
			if (rec->fields[i].name && !strcmp(rec->fields[i].name, name)) {
				*out = rec->fields[i];
				return 0;
			}
		}
		return -ENOENT;
	}
	return btf_record_field(types_of(s), rec, name, out);
}

static bool find_field(struct sema *s, const struct type *rec, const char *name, const struct loc *loc,
		       struct type_field *out)
{
	int err = record_field(s, rec, name, out);
	if (err == -ENOENT)
		sema_error(s, loc, "Struct/union of type '%s' does not contain a field named '%s'", rec->name, name);
	else if (err)
		sema_error(s, loc, "Field '%s' of '%s' has a type that cannot be used (not supported yet)", name,
			   rec->name);
	return err == 0;
}

/*
 * Is the value of n read from user memory? A walk keeps the address space
 * of the pointer it started from.
 */
bool sema_node_user(const struct node *n)
{
	switch (n->kind) {
	case N_UNOP:
		return n->u.unop.operand->type && n->u.unop.operand->type->kind == T_POINTER &&
		       n->u.unop.operand->type->user;
	case N_FIELD:
		if (n->u.field.base->type && n->u.field.base->type->kind == T_POINTER)
			return n->u.field.base->type && n->u.field.base->type->user;
		return sema_node_user(n->u.field.base);
	case N_INDEX:
		if (n->u.index.base->type && n->u.index.base->type->kind == T_POINTER)
			return n->u.index.base->type->user;
		return sema_node_user(n->u.index.base);
	default:
		return false;
	}
}

/* A pointer read from user memory points to user memory. */
static const struct type *in_space(struct sema *s, const struct type *t, bool user)
{
	if (user && t->kind == T_POINTER && !t->user)
		return type_pointer(types_of(s), t->elem, true);
	return t;
}

/* base->name, base.name (not args, not tuples) */
const struct type *sema_field(struct sema *s, struct node *n)
{
	const struct type *bt = sema_expr(s, n->u.field.base);
	const char *f = n->u.field.name;
	const struct type *rec;
	if (!bt)
		return NULL;
	/* '.' on a pointer to a record reads through it; '->' is an alias of '.', as in today's bpftrace */
	if (bt->kind == T_POINTER) {
		rec = bt->elem;
		if (rec->kind != T_RECORD) {
			sema_error(s, &n->loc, "Can not access field '%s' on expression of type '%s'", f, tname(s, bt));
			return NULL;
		}
	} else if (bt->kind == T_RECORD) {
		rec = bt;
	} else {
		sema_error(s, &n->loc, "Can not access field '%s' on expression of type '%s'", f, tname(s, bt));
		return NULL;
	}
	if (!sema_define_record(s, rec, &n->loc))
		return NULL;
	struct type_field fld;
	if (!find_field(s, rec, f, &n->loc, &fld))
		return NULL;
	n->u.field.offset = fld.offset;
	n->u.field.bit_offset = fld.bit_offset;
	n->u.field.bit_width = fld.bit_width;
	/* a record the program holds ($v.f, @m[k].f) forgot where it was read from: in
	 * uprobes its pointers are taken to point into the traced process, as integers are */
	bool held = bt->kind == T_RECORD && !sema_is_walk(n->u.field.base);
	return in_space(s, fld.type, sema_node_user(n) || (held && user_probe(s)));
}

/* Nodes that denote memory: what `&` takes the address of and what codegen reads through. */
bool sema_is_walk(const struct node *n)
{
	switch (n->kind) {
	case N_UNOP:
		return n->u.unop.op == OP_DEREF;
	case N_FIELD:
		return !n->u.field.tuple_index &&
		       !(n->u.field.base->kind == N_BUILTIN && n->u.field.base->u.ident.builtin == B_ARGS);
	case N_INDEX:
		return true;
	default:
		return false;
	}
}

/* *p and &x */
const struct type *sema_ptr_unop(struct sema *s, struct node *n, const struct type *t)
{
	struct types *ty = types_of(s);
	if (n->u.unop.op == OP_ADDR) {
		struct node *x = n->u.unop.operand;
		if (x->kind == N_VAR || x->kind == N_MAP) {
			/* &$x, &@m[k] (bpftrace's unstable_addr): the variable's stack slot, the map's value */
			int mi = x->kind == N_MAP ? prog_map_find(s->p, x->u.map.name) : -1;
			if (mi >= 0 && s->p->maps[mi].agg != AGG_NONE) {
				sema_error(s, &n->loc, "The & operator can not be used on an aggregation map (per-CPU values)");
				return NULL;
			}
			const char *what = x->kind == N_VAR ? "variable" : "map value";
			if (s->o->unstable_addr == UNSTABLE_ERROR) {
				sema_error(s, &n->loc, "the address of a %s is an unstable feature, refused by config "
						       "unstable_addr = error", what);
				return NULL;
			}
			if (s->final && s->o->unstable_addr == UNSTABLE_WARN)
				diag_warning(s->d, &n->loc, "the address of a %s is an unstable feature of bpftrace "
							    "(unstable_addr = warn): it is valid in this probe only", what);
			return type_pointer(ty, t->kind == T_BOOL ? type_bool(ty) : t, false);
		}
		if (!sema_is_walk(x) || (x->kind == N_FIELD && x->u.field.bit_width)) {
			sema_error(s, &n->loc,
				   "The & operator can only be used on struct fields, array elements and dereferences");
			return NULL;
		}
		if (x->kind == N_INDEX && !(x->u.index.base->type->kind == T_POINTER || sema_is_walk(x->u.index.base))) {
			sema_error(s, &n->loc, "The & operator can not be used on a value held by the program");
			return NULL;
		}
		return type_pointer(ty, t, sema_node_user(x));
	}
	/* OP_DEREF */
	if (t->kind == T_POINTER) {
		const struct type *e = t->elem;
		if (e->kind == T_NONE) {
			sema_error(s, &n->loc, "Can not dereference a pointer to '%s'", tname(s, e));
			return NULL;
		}
		if (e->kind == T_RECORD && !sema_define_record(s, e, &n->loc))
			return NULL;
		return in_space(s, e, t->user);
	}
	if (t->kind == T_INT)
		return type_int(ty, t->size, false); /* bpftrace reads an integer address */
	if (t->kind == T_RECORD)
		sema_error(s, &n->loc, "Can not dereference struct/union of type '%s'. It is not a pointer.",
			   tname(s, t));
	else
		sema_error(s, &n->loc, "Can not dereference type '%s'", tname(s, t));
	return NULL;
}

static const struct {
	const char *name;
	uint32_t size;
	bool is_signed;
} int_names[] = {
	{ "int8", 1, true },   { "int16", 2, true },   { "int32", 4, true },   { "int64", 8, true },
	{ "uint8", 1, false }, { "uint16", 2, false }, { "uint32", 4, false }, { "uint64", 8, false },
	{ "char", 1, true },   { "short", 2, true },   { "int", 4, true },     { "long", 8, true },
	{ "unsigned", 4, false }, { "signed", 4, true }, { "size_t", 8, false },
};

/*
 * The type a typespec names (the pointers and array included), or NULL
 * with *unknown set to the name that is not a type.
 */
static const struct type *spec_type(struct sema *s, const struct typespec *ts, const struct loc *loc,
				    bool user, bool *unknown, bool quiet)
{
	struct types *ty = types_of(s);
	const struct type *base = NULL;
	*unknown = false;
	for (size_t i = 0; i < sizeof(int_names) / sizeof(int_names[0]) && !base; i++)
		if (!strcmp(ts->name, int_names[i].name))
			base = type_int(ty, int_names[i].size, int_names[i].is_signed);
	if (!base && !strcmp(ts->name, "bool"))
		base = type_bool(ty);
	if (!base && !strcmp(ts->name, "void"))
		base = type_none(ty);
	if (!base && (!strncmp(ts->name, "struct ", 7) || !strncmp(ts->name, "union ", 6))) {
		base = type_record(ty, ts->name);
		if (quiet && !base->defined && btf_define_record(ty, base) < 0) {
			*unknown = true;
			return NULL;
		}
		if (!sema_define_record(s, base, loc))
			return NULL;
	}
	if (!base && !strcmp(ts->name, "string"))
		base = type_string(ty, s->p->strlen);
	if (!base && !strncmp(ts->name, "enum ", 5))
		base = sema_cdef_enum_type(s, ts->name);
	if (!base)
		base = btf_type_by_name(ty, ts->name); /* typedefs: pid_t, u64 */
	if (!base) {
		*unknown = true;
		return NULL;
	}
	for (unsigned i = 0; i < ts->ptr_depth; i++)
		base = type_pointer(ty, base, user);
	if (ts->array_len >= 0) {
		if (base->kind == T_NONE || !base->size)
			return NULL;
		base = type_array(ty, base, (uint32_t)ts->array_len);
	}
	return base;
}

/* (struct x *)e, (int32 *)e, (uint8[8])e: the casts sema.c leaves to us. */
const struct type *sema_type_cast(struct sema *s, struct node *n, const struct type *t)
{
	const struct typespec *ts = &n->u.cast.to;
	bool unknown;
	if (ts->array_len == TYPESPEC_ARRAY_INFERRED) {
		struct typespec elem = *ts;
		elem.array_len = -1;
		const struct type *e = spec_type(s, &elem, &n->loc, user_probe(s), &unknown, false);
		if (!e || !t) {
			if (unknown)
				sema_error(s, &n->loc, "Unknown type: '%s'", ts->name);
			return NULL;
		}
		if (!e->size || !t->size || t->size % e->size) {
			sema_error(s, &n->loc, "Cannot cast from \"%s\" to \"%s[]\"", tname(s, t), tname(s, e));
			return NULL;
		}
		n->u.cast.to.array_len = t->size / e->size; /* fixed for later passes and codegen */
	}
	const char *spelled = ts->ptr_depth ? arena_printf(&s->p->arena, "%s %.*s", ts->name,
							   (int)ts->ptr_depth, "**********")
					    : ts->name;
	if (ts->array_len >= 0)
		spelled = arena_printf(&s->p->arena, "%s[%" PRId64 "]", spelled, ts->array_len);
	const struct type *to = spec_type(s, ts, &n->loc, user_probe(s), &unknown, false);
	if (!to) {
		if (unknown)
			sema_error(s, &n->loc, "Unknown type: '%s'", ts->name);
		return NULL;
	}
	if (!t)
		return NULL;
	if (to->kind == T_POINTER) {
		if (!type_is_scalar(t)) {
			sema_error(s, &n->loc, "Cannot cast from \"%s\" to \"%s\"", tname(s, t), tname(s, to));
			return NULL;
		}
		return to;
	}
	if (to->kind == T_ARRAY && (to->elem->kind == T_INT || to->elem->kind == T_BOOL)) {
		/* (uint8[8])x, (bool[2])(uint16)x: the bytes of an integer (bpftrace 0.19), or an array of the same size */
		if ((type_is_scalar(t) && t->kind != T_POINTER && (to->size == 8 || to->size == t->size)) ||
		    ((t->kind == T_ARRAY || t->kind == T_STRING) && t->size == to->size))
			return to;
		sema_error(s, &n->loc, "Cannot cast from \"%s\" to \"%s\"", tname(s, t), tname(s, to));
		return NULL;
	}
	if (to->kind == T_INT && t->kind == T_ARRAY && t->size == to->size && t->size <= 8)
		return to; /* (uint64)$bytes */
	if (to->kind == T_INT && type_is_scalar(t))
		return to;
	sema_error(s, &n->loc, "Cannot cast from \"%s\" to \"%s\"", tname(s, t), spelled);
	return NULL;
}

/* sizeof(type) / sizeof(expr) -> an integer literal */
static const struct type *size_of(struct sema *s, struct node *n)
{
	struct types *ty = types_of(s);
	const struct type *t;
	if (n->u.size_of.expr) {
		t = sema_expr(s, n->u.size_of.expr);
		if (!t)
			return NULL;
		if (t->kind == T_RECORD && !sema_define_record(s, t, &n->loc))
			return NULL;
	} else {
		bool unknown;
		const struct typespec *ts = &n->u.size_of.ty;
		t = spec_type(s, ts, &n->loc, false, &unknown, true);
		int64_t v;
		uint32_t size = 0;
		/* sizeof(ENUM_VALUE): bpftrace types an enum value as a 64-bit integer,
		 * whatever the size of its enum (a script's or the kernel's) */
		if (!t && unknown && !ts->ptr_depth && ts->array_len == -1 &&
		    (sema_cdef_enum(s, ts->name, &v, NULL) == 0 || btf_enum_value(ts->name, &v, &size) == 0)) {
			n->kind = N_INT;
			n->u.integer.value = 8;
			return type_int(ty, 8, false);
		}
		if (!t) {
			if (unknown)
				sema_error(s, &n->loc, "Unknown identifier: '%s'", ts->name);
			return NULL;
		}
	}
	n->kind = N_INT;
	n->u.integer.value = t->size;
	return type_int(ty, 8, false);
}

/* offsetof(struct x, a.b.c), offsetof(expr, a.b.c) -> an integer literal */
static const struct type *offset_of(struct sema *s, struct node *n)
{
	struct types *ty = types_of(s);
	const struct typespec *ts = &n->u.offset_of.ty;
	bool unknown = false;
	const struct type *t = n->u.offset_of.expr ? sema_expr(s, n->u.offset_of.expr)
						 : spec_type(s, ts, &n->loc, false, &unknown, true);
	if (!t) {
		if (unknown)
			sema_error(s, &n->loc, "Unknown identifier: '%s'", ts->name);
		return NULL;
	}
	uint64_t off = 0;
	const char *path = n->u.offset_of.field;
	while (*path) {
		const char *dot = strchr(path, '.');
		size_t len = dot ? (size_t)(dot - path) : strlen(path);
		char *name = arena_strndup(&s->p->arena, path, len);
		if (t->kind != T_RECORD) {
			sema_error(s, &n->loc, "'%s' is not a record type.", tname(s, t));
			return NULL;
		}
		if (!sema_define_record(s, t, &n->loc))
			return NULL;
		struct type_field f;
		if (!find_field(s, t, name, &n->loc, &f))
			return NULL;
		off += f.offset;
		t = f.type;
		path += len + (dot ? 1 : 0);
	}
	n->kind = N_INT;
	n->u.integer.value = off;
	return type_int(ty, 8, false);
}

/* base[index] */
static const struct type *index_expr(struct sema *s, struct node *n)
{
	const struct type *bt = sema_expr(s, n->u.index.base);
	const struct type *it = sema_expr(s, n->u.index.index);
	if (!bt || !it)
		return NULL;
	if (bt->kind == T_STRING) { /* $s[0], "/"[0] (bpftrace 0.24): a string's bytes as int8[N] */
		struct node *c = arena_zalloc(&s->p->arena, sizeof(*c));
		*c = (struct node){ .kind = N_CAST, .loc = n->u.index.base->loc };
		c->u.cast = (struct n_cast){ .to = { .name = "int8", .array_len = bt->size }, .operand = n->u.index.base,
					     .implicit = true };
		n->u.index.base = c;
		if (!(bt = sema_expr(s, c)))
			return NULL;
	}
	if (bt->kind != T_ARRAY && bt->kind != T_POINTER) {
		sema_error(s, &n->loc, "The array index operator [] can only be used on arrays and pointers, found %s.",
			   sema_kind_word(bt));
		return NULL;
	}
	if (!type_is_scalar(it)) {
		sema_error(s, &n->loc, "The array index operator [] expects an integer index (%s provided)",
			   sema_kind_word(it));
		return NULL;
	}
	int64_t i;
	if (bt->kind == T_ARRAY && sema_int_literal(n->u.index.index, &i) && (i < 0 || (uint64_t)i >= bt->count)) {
		sema_error(s, &n->loc, "the index %" PRId64 " is out of bounds for array of size %u", i, bt->count);
		return NULL;
	}
	const struct type *e = bt->elem;
	if (e->kind == T_NONE) {
		sema_error(s, &n->loc, "Can not index a pointer to '%s'", tname(s, e));
		return NULL;
	}
	if (e->kind == T_RECORD && !sema_define_record(s, e, &n->loc))
		return NULL;
	return in_space(s, e, sema_node_user(n));
}

/*
 * Macros of the system headers scripts #include (bpftrace 0.17 reads them
 * with clang; strobe reads no headers): the address families of
 * <sys/socket.h>, used by the tcp* tools, and the task states of
 * <linux/sched.h> (runqlat.bt), as Linux 5.14+ defines them. Known only to
 * scripts that have an #include line, as in bpftrace.
 */
static int header_macro(struct sema *s, const char *name, int64_t *v)
{
	static const struct { const char *name; int64_t value; } macros[] = {
		{ "AF_UNSPEC", 0 }, { "AF_UNIX", 1 }, { "AF_LOCAL", 1 }, { "AF_INET", 2 },
		{ "AF_INET6", 10 }, { "AF_NETLINK", 16 }, { "AF_PACKET", 17 },
		{ "TASK_RUNNING", 0x0 }, { "TASK_INTERRUPTIBLE", 0x1 }, { "TASK_UNINTERRUPTIBLE", 0x2 },
		{ "__TASK_STOPPED", 0x4 }, { "__TASK_TRACED", 0x8 }, { "EXIT_DEAD", 0x10 }, { "EXIT_ZOMBIE", 0x20 },
		{ "TASK_PARKED", 0x40 }, { "TASK_DEAD", 0x80 }, { "TASK_WAKEKILL", 0x100 }, { "TASK_WAKING", 0x200 },
		{ "TASK_NOLOAD", 0x400 }, { "TASK_NEW", 0x800 }, { "TASK_KILLABLE", 0x102 }, { "TASK_STOPPED", 0x104 },
		{ "TASK_TRACED", 0x8 }, { "TASK_IDLE", 0x402 },
	};
	const struct source *src = s->p->src;
	if (!src || !src->text || !strstr(src->text, "#include"))
		return -ENOENT;
	for (size_t i = 0; i < sizeof(macros) / sizeof(macros[0]); i++) {
		if (!strcmp(macros[i].name, name)) {
			*v = macros[i].value;
			return 0;
		}
	}
	return -ENOENT;
}

/*
 * An enumerator of a script enum or of BTF: the identifier becomes its value,
 * typed by its named enum, unsigned 64-bit as bpftrace types enum values. A
 * header's macro is a literal (int64), as after bpftrace's preprocessor.
 */
static const struct type *ident(struct sema *s, struct node *n)
{
	int64_t v;
	const struct type *ty = NULL;
	bool script = sema_cdef_enum(s, n->u.ident.name, &v, &ty) == 0;
	if (script || btf_enum_value(n->u.ident.name, &v, NULL) == 0) {
		if (!script)
			ty = btf_enum_type(types_of(s), n->u.ident.name);
		if (!ty) /* an anonymous enum's */
			ty = type_int(types_of(s), 8, false);
	} else if (header_macro(s, n->u.ident.name, &v) < 0) {
		sema_error(s, &n->loc, "Unknown identifier: '%s'", n->u.ident.name);
		return NULL;
	}
	n->kind = N_INT;
	n->u.integer.value = (uint64_t)v;
	return ty ? ty : type_int(types_of(s), 8, true);
}

bool sema_btf_expr(struct sema *s, struct node *n, const struct type **out)
{
	switch (n->kind) {
	case N_SIZEOF: *out = size_of(s, n); return true;
	case N_OFFSETOF: *out = offset_of(s, n); return true;
	case N_INDEX: *out = index_expr(s, n); return true;
	case N_IDENT: *out = ident(s, n); return true;
	default: return false;
	}
}

/* p + n, n + p, p - n: a pointer, scaled by its element's size in codegen. */
bool sema_ptr_binop(struct sema *s, struct node *n, const struct type *l, const struct type *r,
		    const struct type **out)
{
	enum op op = n->u.binop.op;
	bool lp = l->kind == T_POINTER, rp = r->kind == T_POINTER;
	if (!lp && !rp)
		return false;
	if (op != OP_ADD && op != OP_SUB)
		return false;
	if (lp && rp) {
		sema_error(s, &n->loc, "The %s operator can not be used on expressions of types %s, %s", op_name(op),
			   tname(s, l), tname(s, r));
		*out = NULL;
		return true;
	}
	if (rp && op == OP_SUB)
		return false; /* n - p: an integer, as in bpftrace */
	const struct type *p = lp ? l : r;
	if (p->elem->kind == T_RECORD && !sema_define_record(s, p->elem, &n->loc)) {
		*out = NULL;
		return true;
	}
	*out = p;
	return true;
}

/* The records inside a value of type t, completed with every field (btf.h, btf_complete_record). */
static void complete_value(struct types *ty, const struct type *t, int depth)
{
	if (!t || depth > 32)
		return;
	switch (t->kind) {
	case T_ARRAY:
		complete_value(ty, t->elem, depth + 1);
		break;
	case T_RECORD:
		if (btf_complete_record(ty, t) < 0)
			break;
		/* fall through */
	case T_TUPLE:
		for (uint32_t i = 0; i < t->nfields; i++)
			complete_value(ty, t->fields[i].type, depth + 1);
		break;
	default:
		break;
	}
}

void sema_complete_values(struct program *p)
{
	for (size_t i = 0; i < p->nmaps; i++) {
		complete_value(&p->types, p->maps[i].key, 0);
		complete_value(&p->types, p->maps[i].value, 0);
	}
	for (size_t i = 0; i < p->nprint_values; i++)
		complete_value(&p->types, p->print_values[i], 0);
}
