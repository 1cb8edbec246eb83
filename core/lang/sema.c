/*
 * Semantic analysis: types every expression, checks builtins and calls
 * against the resolved probes, and describes maps, printfs and BPF
 * functions for the runtime and codegen.
 *
 * Maps are typed by their first assignment anywhere in the program, so a
 * map read in one probe may be typed by a later probe. The checker therefore
 * runs quiet passes until no map or variable type changes, then one final
 * pass that reports errors and records printfs.
 */
#include <errno.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sema_internal.h"

#define MAX_QUIET_PASSES 8
#define MAX_UNROLL 100
#define RECORD_EQ_MAX 256

static const char *tname(struct sema *s, const struct type *t)
{
	return type_name(s->t, t);
}

const char *sema_tname(struct sema *s, const struct type *t)
{
	return tname(s, t);
}

/* The coarse kind names bpftrace uses in "expects ... (string provided)". */
static const char *kind_word(const struct type *t)
{
	switch (t ? t->kind : T_NONE) {
	case T_INT:
	case T_BOOL: return "integer";
	case T_STRING:
	case T_PROBE: return "string"; /* bpftrace types probe as a string */
	case T_BUFFER: return "buffer";
	case T_POINTER: return "pointer";
	case T_ARRAY: return "array";
	case T_TUPLE: return "tuple";
	case T_RECORD: return "record";
	case T_AGG: return "aggregation";
	default: return "none";
	}
}

/* How a value is laid out in maps and events: integers take 8 bytes. */
static const struct type *storage_type(struct sema *s, const struct type *t)
{
	switch (t->kind) {
	case T_INT: return type_int_resized(s->t, t, 8);
	case T_BOOL: return type_bool_resized(s->t, 8);
	case T_POINTER: return type_int(s->t, 8, true); /* bpftrace 0.17 prints a stored pointer signed */
	default: return t;
	}
}

static bool storable(const struct type *t)
{
	return type_is_scalar(t) || sema_func_string_type(t) || t->kind == T_STRING || t->kind == T_PROBE ||
	       t->kind == T_BUFFER ||
	       t->kind == T_TUPLE || (t->kind == T_ARRAY && t->size) ||
	       (t->kind == T_RECORD && t->defined && t->size) ||
	       t->kind == T_KSTACK || t->kind == T_USTACK || t->kind == T_KSYM || t->kind == T_USYM;
}

/*
 * The type a slot of type `old` has after also holding `val`, or NULL if
 * it cannot. Integers of any width mix; strings widen to the longest.
 */
static const struct type *merge(struct sema *s, const struct type *old, const struct type *val)
{
	/* a bool and an integer in one place make an integer (0.17 had no bool) */
	if (old->kind == T_BOOL && val->kind != T_BOOL && type_is_scalar(val))
		return val;
	if (type_is_scalar(old) && type_is_scalar(val))
		return old;
	if (old->kind == T_STRING && val->kind == T_STRING)
		return old->size >= val->size ? old : val;
	if (old->kind == T_TUPLE && val->kind == T_TUPLE && old->nfields == val->nfields) {
		const struct type *items[MAX_PRINTF_ARGS];
		if (old->nfields > MAX_PRINTF_ARGS)
			return NULL;
		for (uint32_t i = 0; i < old->nfields; i++) {
			const struct type *o = old->fields[i].type, *v = val->fields[i].type;
			/* a tuple's integers keep their width: the wider one holds both */
			items[i] = o->kind == T_INT && v->kind == T_INT ? (v->size > o->size ? v : o) : merge(s, o, v);
			if (!items[i])
				return NULL;
		}
		return type_tuple(s->t, items, old->nfields);
	}
	return type_equal(old, val) ? old : NULL;
}

static struct node *nth(struct node *n, unsigned i)
{
	while (n && i--)
		n = n->next;
	return n;
}

/*
 * $name read where no variable of that name is visible; v is the one a block
 * that has ended assigned, if any (bpftrace 0.22 scopes variables to blocks,
 * 0.17 did not: its tools, Debian's tcpconnect.bt among them, read such ones).
 */
static void undefined_var(struct sema *s, const struct node *x, const struct var *v)
{
	if (!s->final)
		return;
	const char *name = x->u.ident.name;
	struct diag *g = diag_error(s->d, &x->loc, "Undefined or undeclared variable: $%s", name);
	if (v)
		diag_hint(s->d, g, "$%s is assigned in a block that has ended; variables are scoped to their "
				   "block since bpftrace 0.22 (0.17 allowed this): declare it before that block "
				   "with `let $%s;`", name, name);
}

/* ---- maps ---- */

int prog_map_find(const struct program *p, const char *name)
{
	for (size_t i = 0; i < p->nmaps; i++)
		if (!strcmp(p->maps[i].name + 1, name))
			return (int)i;
	return -1;
}

static const struct type *expr(struct sema *s, struct node *n);

static const char *key_list(struct sema *s, const struct type *key)
{
	if (!key)
		return "[]";
	if (key->kind != T_TUPLE)
		return arena_printf(&s->p->arena, "[%s]", tname(s, key));
	const char *out = "[";
	for (uint32_t i = 0; i < key->nfields; i++)
		out = arena_printf(&s->p->arena, "%s%s%s", out, i ? ", " : "",
				   tname(s, key->fields[i].type));
	return arena_printf(&s->p->arena, "%s]", out);
}

/*
 * The key type of `keys` (NULL: none); false after an error. One key is
 * that key's type; several make a tuple.
 */
static bool key_type(struct sema *s, struct node *keys, unsigned nkeys, const struct type **out)
{
	const struct type *items[MAX_PRINTF_ARGS];
	unsigned n = 0;
	bool ok = true;
	*out = NULL;
	if (nkeys > MAX_PRINTF_ARGS) {
		sema_error(s, &keys->loc, "too many map keys (%u, at most %d)", nkeys, MAX_PRINTF_ARGS);
		return false;
	}
	for (struct node *k = keys; k; k = k->next) {
		const struct type *t = expr(s, k);
		if (!t) {
			ok = false;
			continue;
		}
		if (t->kind == T_TUPLE && nkeys == 1) /* @m[(1, "x")], @m[$t]: @m[1, "x"] (sema_keys.c) */
			t = sema_tuple_key(s, t);
		if (!storable(t)) {
			sema_error(s, &k->loc, "%s cannot be used as a map key", tname(s, t));
			ok = false;
			continue;
		}
		/* a pointer key keeps its type: bpftrace 0.17 prints it in hex (@a[0x1]) */
		items[n++] = t->kind == T_POINTER ? t : storage_type(s, t);
	}
	if (!ok)
		return false;
	if (n == 1)
		*out = items[0];
	else if (n > 1)
		*out = type_tuple(s->t, items, n);
	return true;
}

/*
 * Look up (or create) the map of an N_MAP node and check its keys. `whole`:
 * the node names the map itself (print(@m)), so its keys are not checked.
 * NULL after an error.
 */
static struct prog_map *map_ref(struct sema *s, struct node *n, bool whole)
{
	const struct type *key;
	if (!key_type(s, n->u.map.keys, n->u.map.nkeys, &key))
		return NULL;
	int i = prog_map_find(s->p, n->u.map.name);
	if (i < 0) {
		struct program *p = s->p;
		if (p->nmaps == s->maps_cap) {
			s->maps_cap = s->maps_cap ? s->maps_cap * 2 : 8;
			p->maps = arena_grow(&p->arena, p->maps, p->nmaps, s->maps_cap, sizeof(*p->maps));
		}
		struct prog_map *m = &p->maps[p->nmaps++];
		m->name = arena_printf(&p->arena, "@%s", n->u.map.name);
		m->key = whole ? NULL : key;
		m->loc = n->loc;
		m->fd = -1;
		s->changed = true;
		return m;
	}
	struct prog_map *m = &s->p->maps[i];
	const struct type *merged = NULL;
	if ((!m->key && !key) || whole)
		return m;
	if (!m->key && !m->value && m->agg == AGG_NONE) {
		/* only named whole so far (print(@m), for ($kv : @m) before @m[k] = v) */
		m->key = key;
		s->changed = true;
		return m;
	}
	if (m->key && key) {
		/* A tuple key is compared item by item, not as a tuple value. */
		bool tuples = m->key->kind == T_TUPLE && key->kind == T_TUPLE;
		if (tuples || (m->key->kind != T_TUPLE && key->kind != T_TUPLE))
			merged = merge(s, m->key, key);
	}
	if (!merged) {
		sema_error(s, &n->loc,
		    "Argument mismatch for %s: trying to access with arguments: %s when map expects arguments: %s",
		    m->name, key_list(s, key), key_list(s, m->key));
		return NULL;
	}
	if (merged != m->key) {
		m->key = merged;
		s->changed = true;
	}
	return m;
}

static struct prog_map *map_use(struct sema *s, struct node *n)
{
	return map_ref(s, n, false);
}

static const char *map_value_name(struct sema *s, const struct prog_map *m)
{
	return m->agg != AGG_NONE ? type_name(s->t, type_agg(s->t, m->agg, m->value)) : tname(s, m->value);
}

/* Record that map m holds plain values of type t (at `site`). */
/* The type a read of plain map m has (struct prog_map, ptr). */
static const struct type *map_read_type(const struct prog_map *m)
{
	return m->ptr ? m->ptr : m->value;
}

static void map_store(struct sema *s, struct prog_map *m, const struct type *t, const struct loc *site)
{
	const struct type *st = storage_type(s, t);
	if (t->kind == T_POINTER && !m->ptr_mixed && m->ptr != t) {
		m->ptr_mixed = m->ptr != NULL;
		m->ptr = m->ptr ? NULL : t;
		s->changed = true;
	}
	if (!m->value && m->agg == AGG_NONE) {
		m->value = st;
		s->changed = true;
		return;
	}
	const struct type *merged = m->agg == AGG_NONE ? merge(s, m->value, st) : NULL;
	if (!merged) {
		sema_error(s, site,
		    "Type mismatch for %s: trying to assign value of type '%s' when map already contains a value of type '%s'",
		    m->name, tname(s, st), map_value_name(s, m));
		return;
	}
	if (merged != m->value) {
		m->value = merged;
		s->changed = true;
	}
}

/* `@m[...] = agg(...)`: check the call and type the map as that aggregation. */
static struct prog_map *agg_assign(struct sema *s, struct node *target, struct node *call,
				   enum agg_kind agg)
{
	struct prog_map *m = map_use(s, target);
	call->type = type_none(s->t);
	bool ok = sema_nargs(s, call);
	const struct type *arg = type_int(s->t, 8, false);
	if (ok && call->u.call.nargs) {
		const struct type *t = expr(s, call->u.call.args);
		if (!t)
			return NULL;
		if (!type_is_scalar(t)) {
			sema_error(s, &call->loc, "%s() only supports integer arguments (%s provided)",
			    call->u.call.name, kind_word(t));
			return NULL;
		}
		arg = storage_type(s, t);
	}
	int64_t hargs[3] = { 0 };
	if (ok && agg == AGG_HIST && call->u.call.nargs == 2) {
		struct node *a = call->u.call.args->next;
		expr(s, a);
		if (!sema_int_literal(a, &hargs[0])) {
			sema_error(s, &a->loc, "hist() k must be an integer literal from 0 to 5");
			ok = false;
		} else if (hargs[0] < 0 || hargs[0] > 5) { /* bpftrace 0.20's words */
			sema_error(s, &call->loc, "hist: bits %" PRId64 " must be 0..5", hargs[0]);
			ok = false;
		}
	}
	if (ok && agg == AGG_TSERIES)
		ok = sema_tseries_args(s, call, hargs);
	if (ok && agg == AGG_LHIST) {
		static const char *const what[] = { "min", "max", "step" };
		for (unsigned i = 0; i < 3; i++) {
			struct node *a = nth(call->u.call.args, i + 1);
			expr(s, a);
			if (!sema_int_literal(a, &hargs[i])) {
				sema_error(s, &a->loc, "lhist() %s must be an integer literal", what[i]);
				ok = false;
			}
		}
		if (ok && hargs[0] < 0)
			sema_error(s, &call->loc, "lhist() min must be non-negative (provided min %" PRId64 ")", hargs[0]);
		else if (ok && hargs[0] >= hargs[1])
			sema_error(s, &call->loc, "lhist() min must be less than max (provided min %" PRId64 " and max %" PRId64 ")",
			    hargs[0], hargs[1]);
		else if (ok && hargs[2] <= 0)
			sema_error(s, &call->loc, "lhist() step must be >= 1 (%" PRId64 " provided)", hargs[2]);
		else if (ok && (hargs[1] - hargs[0]) / hargs[2] > 1000)
			sema_error(s, &call->loc, "lhist() too many buckets, must be <= 1000 (would need %" PRId64 ")",
			    (hargs[1] - hargs[0]) / hargs[2]);
	}
	if (!m || !ok)
		return NULL;
	if (m->agg == AGG_NONE && !m->value) {
		m->agg = agg;
		m->value = arg;
		memcpy(m->hist_args, hargs, sizeof(hargs));
		s->changed = true;
		return m;
	}
	if (m->agg != agg) {
		sema_error(s, &target->loc,
		    "Type mismatch for %s: trying to assign value of type '%s' when map already contains a value of type '%s'",
		    m->name, type_name(s->t, type_agg(s->t, agg, arg)), map_value_name(s, m));
		return NULL;
	}
	if (agg == AGG_LHIST && memcmp(m->hist_args, hargs, sizeof(hargs)))
		sema_error(s, &call->loc, "Different lhist bounds in a single map unsupported");
	if (agg == AGG_HIST && m->hist_args[0] != hargs[0])
		sema_error(s, &call->loc, "Different bits in a single hist, had %" PRId64 " now %" PRId64,
			   m->hist_args[0], hargs[0]);
	/* sum/min/max of signed values anywhere make the map signed */
	if (arg->is_signed && !m->value->is_signed) {
		m->value = arg;
		s->changed = true;
	}
	return m;
}

/* ---- expressions ---- */

static const struct type *binop(struct sema *s, struct node *n)
{
	const struct type *l = expr(s, n->u.binop.left), *r = expr(s, n->u.binop.right);
	enum op op = n->u.binop.op;
	if (!l || !r)
		return NULL;
	if (op == OP_LAND || op == OP_LOR) {
		const struct type *bad = !type_is_scalar(l) ? l : !type_is_scalar(r) ? r : NULL;
		if (bad) {
			sema_error(s, &n->loc, "The %s operator can not be used on expressions of type '%s'",
			    op_name(op), tname(s, bad));
			return NULL;
		}
		return type_bool(s->t);
	}
	const struct type *pt;
	if (sema_ptr_binop(s, n, l, r, &pt))
		return pt;
	bool strings = l->kind == T_STRING && r->kind == T_STRING;
	if ((op == OP_EQ || op == OP_NE) && (strings || (l->kind == T_BUFFER && r->kind == T_BUFFER)))
		return type_bool(s->t);
	if ((op == OP_EQ || op == OP_NE) && type_is_int_array(l) && type_equal(l, r))
		return type_bool(s->t); /* integer arrays compare byte for byte (bpftrace 0.17) */
	if ((op == OP_EQ || op == OP_NE) && l->kind == T_RECORD && l == r && l->defined) {
		/* records too (bpftrace 0.17 accepts them), unrolled byte compares */
		if (l->size > RECORD_EQ_MAX) {
			sema_error(s, &n->loc, "The %s operator can not be used on records larger than %u bytes ('%s' has %u)",
			    op_name(op), RECORD_EQ_MAX, tname(s, l), l->size);
			return NULL;
		}
		return type_bool(s->t);
	}
	if (!type_is_scalar(l) || !type_is_scalar(r)) {
		if (strings)
			sema_error(s, &n->loc, "The %s operator can not be used on expressions of type '%s'",
			    op_name(op), tname(s, l));
		else
			sema_error(s, &n->loc, "Type mismatch for '%s': comparing '%s' with '%s'", op_name(op),
			    tname(s, l), tname(s, r));
		return NULL;
	}
	if (op_is_comparison(op)) {
		sema_sign_compare_warning(s, n); /* sema_static.c */
		return type_bool(s->t);
	}
	return type_int(s->t, 8, !int_op_unsigned(l, r));
}

static const struct type *unop(struct sema *s, struct node *n)
{
	const struct type *t = expr(s, n->u.unop.operand);
	if (!t)
		return NULL;
	switch (n->u.unop.op) {
	case OP_LNOT:
	case OP_NEG:
	case OP_BNOT:
		if (!type_is_scalar(t)) {
			sema_error(s, &n->loc, "The %s operator can not be used on expressions of type '%s'",
			    op_name(n->u.unop.op), tname(s, t));
			return NULL;
		}
		if (n->u.unop.op == OP_LNOT)
			return type_bool(s->t);
		if (n->u.unop.op == OP_NEG)
			return type_int(s->t, 8, true);
		return type_int(s->t, 8, type_is_signed_scalar(t));
	default:
		return sema_ptr_unop(s, n, t);
	}
}

static const struct type *ternary(struct sema *s, struct node *n)
{
	const struct type *c = expr(s, n->u.ternary.cond);
	const struct type *a = n->u.ternary.then ? expr(s, n->u.ternary.then) : c, *b = expr(s, n->u.ternary.else_);
	if (!c || !a || !b)
		return NULL;
	if (!type_is_scalar(c)) {
		sema_error(s, &n->u.ternary.cond->loc, "Invalid condition in ternary: %s", kind_word(c));
		return NULL;
	}
	if (a->kind == T_BOOL && b->kind == T_BOOL)
		return a;
	if (a->kind == T_NONE && b->kind == T_NONE) /* cond ? printf("a") : printf("b") */
		return a;
	if ((a->kind == T_TUPLE && b->kind == T_TUPLE) || (a->kind == T_BUFFER && b->kind == T_BUFFER)) {
		const struct type *m = merge(s, a, b);
		if (m)
			return m;
	}
	if (type_is_scalar(a) && type_is_scalar(b))
		return type_int(s->t, 8, !int_op_unsigned(a, b));
	if (a->kind == T_STRING && b->kind == T_STRING)
		return a->size >= b->size ? a : b;
	if (a->kind == T_RECORD || b->kind == T_RECORD) {
		/* bpftrace 0.17's refusal (REFERENCE.md describes no later form) */
		sema_error(s, &n->loc, "Ternary return type unsupported %s", kind_word(a->kind == T_RECORD ? a : b));
		return NULL;
	}
	sema_error(s, &n->loc, "Ternary operator must return the same type: have '%s' and '%s'", tname(s, a),
	    tname(s, b));
	return NULL;
}

static const struct type *cast(struct sema *s, struct node *n)
{
	const struct type *t = expr(s, n->u.cast.operand);
	const struct typespec *ts = &n->u.cast.to;
	static const struct { const char *name; uint32_t size; bool is_signed; } ints[] = {
		{ "int8", 1, true },  { "int16", 2, true },  { "int32", 4, true },  { "int64", 8, true },
		{ "uint8", 1, false }, { "uint16", 2, false }, { "uint32", 4, false }, { "uint64", 8, false },
	};
	for (size_t i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		if (strcmp(ts->name, ints[i].name) || ts->ptr_depth || ts->array_len != -1)
			continue;
		if (t && !type_is_scalar(t) && !(t->kind == T_ARRAY && t->size == ints[i].size)) {
			sema_error(s, &n->loc, "Cannot cast from \"%s\" to \"%s\"", tname(s, t), ts->name);
			return NULL;
		}
		return t ? type_int(s->t, ints[i].size, ints[i].is_signed) : NULL;
	}
	if (!strcmp(ts->name, "bool") && !ts->ptr_depth && ts->array_len == -1) {
		if (t && !type_is_scalar(t) && t->kind != T_STRING) {
			sema_error(s, &n->loc, "Cannot cast from \"%s\" to \"bool\"", tname(s, t));
			return NULL;
		}
		return t ? type_bool(s->t) : NULL;
	}
	return sema_type_cast(s, n, t);
}

/*
 * A string literal as a value is built in BPF by immediate stores, which
 * LLVM may merge into a memset; the BPF backend expands one of at most 128
 * stores (1,024 bytes, less with an unaligned tail). A megabyte would take
 * LLVM minutes.
 */
#define LITERAL_VALUE_MAX 1000u

static const struct type *literal_type(struct sema *s, struct node *n)
{
	if (n->u.string.len >= LITERAL_VALUE_MAX) {
		sema_error(s, &n->loc, "String is too long (%zu bytes, the limit is %u with the NUL)",
			   n->u.string.len + 1, LITERAL_VALUE_MAX);
		return NULL;
	}
	return type_string(s->t, (uint32_t)n->u.string.len + 1);
}

/*
 * $1..$N and $#: rewritten into the literal they stand for. Inside str() a
 * parameter is its text ("" when missing); elsewhere a number as strtoll
 * reads it whole (0 when missing, -5 and 0x1f too), any other text a string
 * (today's bpftrace; 0.17 refused it), and a number past int64 bpftrace's
 * "used numerically" error.
 */
static const struct type *positional(struct sema *s, struct node *n)
{
	if (n->kind == N_PARAMCOUNT) {
		n->kind = N_INT;
		n->u.integer.value = (uint64_t)(s->o->npositional > 0 ? s->o->npositional : 0);
		return type_int(s->t, 8, true);
	}
	unsigned i = n->u.positional.index;
	bool given = i >= 1 && (int)i <= s->o->npositional;
	const char *v = given ? s->o->positional[i - 1] : n->u.positional.in_str ? "" : "0";
	char *end = (char *)v;
	errno = 0;
	long long x = n->u.positional.in_str ? 0 : strtoll(v, &end, 0);
	if (end == v || *end) { /* str($1), or text that is not a number */
		n->kind = N_STRING;
		n->u.string.s = arena_strdup(&s->p->arena, v);
		n->u.string.len = strlen(v);
		return literal_type(s, n);
	}
	if (errno) { /* a number beyond int64 */
		if (!s->final) /* the error is reported, and the node rewritten, in the final pass */
			return type_int(s->t, 8, true);
		sema_error(s, &n->loc, "$%u used numerically but given \"%s\". Try using str($%u).", i, v, i);
		x = 0;
	}
	n->kind = N_INT;
	n->u.integer.value = x < 0 ? 0 - (uint64_t)x : (uint64_t)x;
	if (x < 0) { /* a negative number is '-' of its magnitude, as a literal would be */
		struct node *mag = arena_zalloc(&s->p->arena, sizeof(*mag));
		*mag = *n;
		mag->next = NULL;
		n->kind = N_UNOP;
		n->u.unop.op = OP_NEG;
		n->u.unop.operand = mag;
		return expr(s, n);
	}
	return type_int(s->t, 8, true);
}

static const struct type *incdec(struct sema *s, struct node *n)
{
	struct node *x = n->u.incdec.operand;
	if (x->kind == N_VAR) {
		struct var *v = var_of(s, x);
		if (!v || !v->assigned) {
			undefined_var(s, x, v);
			return NULL;
		}
		x->type = v->type;
		if (v->type && !type_is_scalar(v->type)) {
			sema_error(s, &n->loc, "The %s operator can not be used on expressions of type '%s'",
			    n->u.incdec.increment ? "++" : "--", tname(s, v->type));
			return NULL;
		}
		return v->type;
	}
	if (x->kind == N_MAP) {
		struct prog_map *m = map_use(s, x);
		if (!m)
			return NULL;
		if (m->agg == AGG_COUNT || m->agg == AGG_SUM) {
			x->type = type_agg(s->t, m->agg, m->value);
			return m->value;
		}
		map_store(s, m, type_int(s->t, 8, true), &x->loc);
		x->type = map_read_type(m);
		return m->value && type_is_scalar(m->value) ? x->type : NULL;
	}
	sema_error(s, &n->loc, "The %s operator can only be used on variables and maps",
	    n->u.incdec.increment ? "++" : "--");
	return NULL;
}

static const struct type *expr_kind(struct sema *s, struct node *n)
{
	switch (n->kind) {
	case N_INT: /* what became an integer when checked (an enumerator, sizeof, $1) keeps its type */
		return n->type ? n->type : type_int(s->t, 8, n->u.integer.value <= INT64_MAX);
	case N_STRING:
		return literal_type(s, n);
	case N_BOOL:
		return type_bool(s->t);
	case N_BUILTIN:
		return builtins[n->u.ident.builtin].check(s, n);
	case N_POSITIONAL:
	case N_PARAMCOUNT:
		return positional(s, n);
	case N_VAR: {
		struct var *v = var_of(s, n);
		if (!v || !v->assigned) {
			undefined_var(s, n, v);
			return NULL;
		}
		return v->type;
	}
	case N_MAP: {
		struct prog_map *m = map_use(s, n);
		if (!m)
			return NULL;
		if (!m->value && m->agg == AGG_NONE && s->assigning_map &&
		    !strcmp(s->assigning_map, n->u.map.name))
			return type_int(s->t, 8, true);
		if (!m->value) {
			sema_error(s, &n->loc, "Undefined map: %s", m->name);
			return NULL;
		}
		if (m->agg != AGG_NONE)
			return sema_agg_read_type(s, m, &n->loc); /* sema_loops.c */
		return map_read_type(m);
	}
	case N_CALL:
		return sema_call(s, n);
	case N_BINOP:
		return binop(s, n);
	case N_UNOP:
		return unop(s, n);
	case N_TERNARY:
		return ternary(s, n);
	case N_INCDEC:
		return incdec(s, n);
	case N_CAST:
		return cast(s, n);
	case N_TUPLE:
		return sema_tuple_expr(s, n);
	case N_FIELD:
		if (n->u.field.tuple_index)
			return sema_tuple_index(s, n);
		if (n->u.field.base->kind == N_BUILTIN && n->u.field.base->u.ident.builtin == B_ARGS)
			return sema_args_field(s, n);
		return sema_field(s, n);
	default: {
		const struct type *bt;
		if (sema_btf_expr(s, n, &bt) || sema_block_expr(s, n, &bt))
			return bt;
	}
		sema_error(s, &n->loc, "%s expressions are not supported yet", node_kind_name(n->kind));
		return NULL;
	}
}

static const struct type *expr(struct sema *s, struct node *n)
{
	const struct type *t = expr_kind(s, n);
	n->type = t;
	return t;
}

/* ---- calls (sema_calls.c) ---- */

/* The first argument of print/clear/zero/delete: a map, defined somewhere. */
static struct prog_map *map_arg(struct sema *s, struct node *call, struct node *a, bool keys_ok)
{
	if (a->kind != N_MAP || (!keys_ok && a->u.map.nkeys)) {
		expr(s, a);
		sema_error(s, &call->loc, "%s() expects a map to be provided", call->u.call.name);
		return NULL;
	}
	struct prog_map *m = map_ref(s, a, !a->u.map.nkeys);
	if (m && !m->value) {
		sema_error(s, &a->loc, "Undefined map: %s", m->name);
		return NULL;
	}
	if (m)
		a->type = m->agg != AGG_NONE ? type_agg(s->t, m->agg, m->value) : m->value;
	return m;
}

/* ---- the checker's helpers for sema_funcs.c (sema_internal.h) ---- */

void sema_error(struct sema *s, const struct loc *loc, const char *fmt, ...)
{
	if (!s->final)
		return;
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	diag_error(s->d, loc, "%s", buf);
}

const struct type *sema_expr(struct sema *s, struct node *n)
{
	return expr(s, n);
}

const char *sema_kind_word(const struct type *t)
{
	return kind_word(t);
}

const char *sema_probe_type(const struct sema *s)
{
	if (s->probe->kind != PROBE_PROVIDER)
		return s->probe->kind == PROBE_SIGNAL ? "self" : probe_kind_name(s->probe->kind);
	return s->probe->nattach ? s->probe->attach[0].type : "this";
}

static void stmt(struct sema *s, struct node *n);

void sema_stmt(struct sema *s, struct node *n)
{
	stmt(s, n);
}

struct prog_map *sema_map_named(struct sema *s, struct node *call, struct node *a, bool keys_ok)
{
	return map_arg(s, call, a, keys_ok);
}

const struct type *sema_storage_type(struct sema *s, const struct type *t)
{
	return storage_type(s, t);
}

bool sema_storable(const struct type *t)
{
	return storable(t);
}

/* ---- statements ---- */

static void cond(struct sema *s, struct node *c, const char *where)
{
	const struct type *t = expr(s, c);
	if (t && !type_is_scalar(t))
		sema_error(s, &c->loc, "Invalid condition in %s: %s", where, kind_word(t));
}

static void assign_var(struct sema *s, struct node *n)
{
	struct node *target = n->u.assign.target, *value = n->u.assign.value;
	const char *name = target->u.ident.name;
	bool first_seen = !target->u.ident.slot; /* in the first pass: not bound to a variable yet */
	struct var *v = var_of(s, target);
	if (value->kind == N_CALL && builtins[value->u.call.fn].agg != AGG_NONE) {
		sema_error(s, &value->loc, "%s() should be directly assigned to a map", value->u.call.name);
		return;
	}
	const struct type *t = expr(s, value);
	if (n->u.assign.op != OP_NONE) {
		if (!v || !v->assigned) {
			undefined_var(s, target, v);
			return;
		}
		target->type = v->type;
		if (t && v->type && (!type_is_scalar(t) || !type_is_scalar(v->type)))
			sema_error(s, &n->loc, "Type mismatch for '%s': comparing '%s' with '%s'",
			    op_name(n->u.assign.op), tname(s, v->type), tname(s, t));
		return;
	}
	if (!t) {
		if (!v)
			v = var_add(s, name);
		target->u.ident.slot = v->slot;
		v->assigned = true; /* its type comes from a map typed later on */
		target->type = v->type;
		return;
	}
	if (!storable(t)) {
		sema_error(s, &n->loc, "Value of type '%s' cannot be assigned to a variable", tname(s, t));
		return;
	}
	/* a $name of a block that ended is gone: this block's may hold another type (bpftrace 0.22) */
	if (!v || (first_seen && !v->assigned && !v->declared && v->type && !merge(s, v->type, t)))
		v = var_add(s, name);
	target->u.ident.slot = v->slot;
	if (v->declared && v->type && (v->type->kind == T_INT || v->type->kind == T_BOOL) && type_is_scalar(t) &&
	    t->kind != T_POINTER) {
		sema_declared_value(s, n, v);
		expr(s, n->u.assign.value);
		v->assigned = true;
		target->type = v->type;
		return;
	}
	if (!v->type) {
		v->type = t;
		s->changed = true;
	} else {
		const struct type *m = merge(s, v->type, t);
		if (!m)
			sema_error(s, &n->u.assign.op_loc,
			    "Type mismatch for $%s: trying to assign value of type '%s' when variable already contains a value of type '%s'",
			    name, tname(s, t), tname(s, v->type));
		else if (m != v->type) {
			v->type = m;
			s->changed = true;
		}
	}
	v->assigned = true;
	target->type = v->type;
}

static void assign_map(struct sema *s, struct node *n)
{
	struct node *target = n->u.assign.target, *value = n->u.assign.value;
	enum agg_kind agg = value->kind == N_CALL ? builtins[value->u.call.fn].agg : AGG_NONE;
	if (agg != AGG_NONE && n->u.assign.op == OP_NONE) {
		struct prog_map *m = agg_assign(s, target, value, agg);
		if (m)
			target->type = type_agg(s->t, m->agg, m->value);
		return;
	}
	s->assigning_map = target->u.map.name;
	const struct type *t = expr(s, value);
	s->assigning_map = NULL;
	struct prog_map *m = map_use(s, target);
	if (!m || !t)
		return;
	if (t->kind == T_NONE || !storable(t)) {
		sema_error(s, &n->loc, "Value of type '%s' cannot be stored in map %s", tname(s, t), m->name);
		return;
	}
	if (n->u.assign.op != OP_NONE) {
		bool count_like = (m->agg == AGG_COUNT || m->agg == AGG_SUM) && n->u.assign.op == OP_ADD;
		if (!type_is_scalar(t)) {
			sema_error(s, &n->loc, "Type mismatch for '%s': comparing '%s' with '%s'",
			    op_name(n->u.assign.op), m->value ? tname(s, m->value) : "int64", tname(s, t));
			return;
		}
		if (count_like) {
			target->type = type_agg(s->t, m->agg, m->value);
			return;
		}
		/* `@x += n` on a map never assigned: a plain int64 map starting at 0 */
		map_store(s, m, m->value ? t : type_int(s->t, 8, true), &target->loc);
		if (m->value && m->agg == AGG_NONE && !type_is_scalar(m->value))
			sema_error(s, &n->loc, "Type mismatch for '%s': comparing '%s' with '%s'",
			    op_name(n->u.assign.op), tname(s, m->value), tname(s, t));
		target->type = map_read_type(m);
		return;
	}
	/* bpftrace 0.17 points a mismatch at the map, but for records at the '=' */
	map_store(s, m, t, t->kind == T_RECORD ? &n->u.assign.op_loc : &target->loc);
	target->type = m->agg == AGG_NONE ? m->value : NULL;
}

static void stmt(struct sema *s, struct node *n)
{
	switch (n->kind) {
	case N_BLOCK:
		sema_block(s, n, NULL);
		break;
	case N_EXPR_STMT:
		expr(s, n->u.unary.operand);
		break;
	case N_ASSIGN:
		if (n->u.assign.target->kind == N_VAR)
			assign_var(s, n);
		else if (n->u.assign.target->kind == N_MAP)
			assign_map(s, n);
		else
			sema_error(s, &n->loc, "Assignment to this kind of expression is not supported yet");
		break;
	case N_IF: { /* a branch the known condition never takes is checked, but fail() there is not reached */
		int64_t v;
		cond(s, n->u.if_.cond, "if()");
		bool known = sema_const_value(n->u.if_.cond, &v);
		s->dead += known && !v;
		stmt(s, n->u.if_.then);
		s->dead -= known && !v;
		s->dead += known && v;
		if (n->u.if_.else_)
			stmt(s, n->u.if_.else_);
		s->dead -= known && v;
		break;
	}
	case N_UNROLL: {
		int64_t count;
		expr(s, n->u.loop.cond);
		if (!sema_int_literal(n->u.loop.cond, &count) || count < 1 || count > MAX_UNROLL)
			sema_error(s, &n->u.loop.cond->loc, "unroll() count must be an integer literal from 1 to %d",
			    MAX_UNROLL);
		stmt(s, n->u.loop.body);
		break;
	}
	case N_WHILE:
		cond(s, n->u.loop.cond, "while()");
		s->loop_depth++;
		stmt(s, n->u.loop.body);
		s->loop_depth--;
		break;
	case N_BREAK:
	case N_CONTINUE:
		if (!s->loop_depth)
			sema_error(s, &n->loc, "%s used outside of a loop", n->kind == N_BREAK ? "break" : "continue");
		break;
	case N_RETURN:
		if (n->u.unary.operand)
			expr(s, n->u.unary.operand);
		break;
	case N_FOR_MAP:
	case N_FOR_RANGE:
		s->loop_depth++;
		s->for_depth++;
		sema_for(s, n); /* sema_loops.c */
		s->for_depth--;
		s->loop_depth--;
		break;
	default:
		sema_let(s, n);
		break;
	}
}

/* ---- functions: one per probe and distinct (program type, argument layout) ---- */

/* Same shared event, guard and task check (or both attached on their own). */
static void check_probe(struct sema *s, size_t i, struct scope *sc)
{
	struct node *pn = s->p->probes[i].ast;
	s->probe = &s->p->probes[i];
	s->scope = sc;
	for (size_t v = 0; v < sc->n; v++)
		sc->vars[v].assigned = false;
	if (pn->u.probe.filter)
		cond(s, pn->u.probe.filter, "filter");
	stmt(s, pn->u.probe.body);
}

int compile_check(struct node *ast, const struct compile_opts *o, struct diags *d, struct program *p)
{
	struct sema s = { .p = p, .t = &p->types, .d = d, .o = o };
	p->strlen = o->strlen ? o->strlen : 64;
	p->max_map_keys = o->max_map_keys ? o->max_map_keys : 4096;
	p->cpid = o->cpid;
	p->filter_pid = o->filter_pid;
	p->helper_errors = o->helper_errors;
	p->filter_cgroup = o->filter_cgroup;
	p->cgroup_id = o->cgroup_id;
	p->cgroup_level = o->cgroup_level;
	p->compile_state = s.cs = arena_zalloc(&p->arena, sizeof(*s.cs));
	struct scope *scopes = arena_zalloc(&p->arena, (p->nprobes ? p->nprobes : 1) * sizeof(*scopes));
	unsigned errors_before = d->nerrors;
	/* probes come in order through p->probes[i].ast; struct definitions first */
	s.final = true;
	sema_cdefs(&s, ast ? ast->u.program.cdefs : NULL);
	s.final = false;

	for (int pass = 0; pass < MAX_QUIET_PASSES; pass++) {
		s.changed = false;
		for (size_t i = 0; i < p->nprobes; i++)
			check_probe(&s, i, &scopes[i]);
		if (!s.changed)
			break;
	}
	s.final = true;
	for (size_t i = 0; i < p->nprobes; i++)
		check_probe(&s, i, &scopes[i]);
	sema_map_decls(&s, ast ? ast->u.program.decls : NULL);
	if (d->nerrors != errors_before)
		return -EINVAL;
	sema_complete_values(p);
	sema_finish_maps(p);
	size_t funcs_cap = 0, min = sema_dispatch_min();
	for (size_t i = 0; i < p->nprobes; i++) /* a dispatched kstack would show the shared event's frames */
		sema_plan_dispatch(&p->probes[i], scopes[i].uses_kstack ? SIZE_MAX : min);
	for (size_t i = 0; i < p->nprobes; i++)
		sema_add_funcs(p, i, scopes[i].uses_args, &funcs_cap);
	sema_build_dispatches(p, &funcs_cap);
	sema_name_probes(p);
	return 0;
}
