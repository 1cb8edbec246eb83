/*
 * Scopes and declarations (bpftrace 0.21 and later): a scratch variable
 * first assigned or declared in a block is not visible after the block;
 * `let $x[: type][ = value]` declares one; `{ statements; value }` is an
 * expression; `let @m = lruhash(N);` chooses the BPF map behind @m.
 */
#include <inttypes.h>
#include <linux/bpf.h>
#include <string.h>

#include "sema_internal.h"

/* ---- variables: one per name and block (slot), found by name or by the slot a node recorded ---- */

/* The visible variable named `name`, else the last one of that name (out of scope), else NULL. */
struct var *var_find(struct sema *s, const char *name)
{
	struct var *last = NULL;
	for (size_t i = s->scope->n; i-- > 0;) {
		struct var *v = &s->scope->vars[i];
		if (strcmp(v->name, name))
			continue;
		if (v->assigned)
			return v;
		if (!last)
			last = v;
	}
	return last;
}

struct var *var_of(struct sema *s, struct node *x)
{
	struct var *v = NULL;
	if (x->u.ident.slot) {
		for (size_t i = 0; i < s->scope->n && !v; i++)
			if (!strcmp(s->scope->vars[i].slot, x->u.ident.slot))
				v = &s->scope->vars[i];
	} else {
		v = var_find(s, x->u.ident.name);
	}
	if (v)
		x->u.ident.slot = v->slot;
	return v;
}

struct var *var_add(struct sema *s, const char *name)
{
	struct scope *sc = s->scope;
	size_t same = 0;
	for (size_t i = 0; i < sc->n; i++)
		same += !strcmp(sc->vars[i].name, name);
	if (sc->n == sc->cap) {
		sc->cap = sc->cap ? sc->cap * 2 : 8;
		sc->vars = arena_grow(&s->p->arena, sc->vars, sc->n, sc->cap, sizeof(*sc->vars));
	}
	struct var *v = &sc->vars[sc->n++];
	*v = (struct var){ .name = name, .slot = same ? arena_printf(&s->p->arena, "%s#%zu", name, same + 1) : name };
	return v;
}

bool sema_var_assigned(struct sema *s, const char *name)
{
	struct var *v = var_find(s, name);
	return v && v->assigned;
}

void sema_var_bind(struct sema *s, struct node *var, const struct type *t)
{
	struct var *v = var_of(s, var);
	if (!v) {
		v = var_add(s, var->u.ident.name);
		var->u.ident.slot = v->slot;
	}
	if (t && v->type != t) {
		v->type = t;
		s->changed = true;
	}
	v->assigned = t != NULL;
	var->type = v->type;
}

void sema_var_unbind(struct sema *s, const char *name)
{
	struct var *v = var_find(s, name);
	if (v)
		v->assigned = false;
}

/* ---- blocks ---- */

const struct type *sema_block(struct sema *s, struct node *block, struct node *value)
{
	size_t n = s->scope->n;
	bool *visible = n ? arena_zalloc(&s->p->arena, n) : NULL;
	for (size_t i = 0; i < n; i++)
		visible[i] = s->scope->vars[i].assigned;
	for (struct node *st = block->u.list.head; st; st = st->next)
		sema_stmt(s, st);
	const struct type *t = value ? sema_expr(s, value) : type_none(s->t);
	/* what the block assigned first is gone after it */
	for (size_t i = 0; i < s->scope->n; i++)
		if (i >= n || !visible[i])
			s->scope->vars[i].assigned = false;
	return t;
}

bool sema_block_expr(struct sema *s, struct node *n, const struct type **out)
{
	if (n->kind != N_BLOCK_EXPR)
		return false;
	*out = sema_block(s, n->u.block_expr.block, n->u.block_expr.value);
	return true;
}

/* The type `let $x: TYPE` names, or NULL after an error. */
static const struct type *declared_type(struct sema *s, struct node *n)
{
	const struct typespec *ts = &n->u.let.ty;
	if (!ts->ptr_depth && ts->array_len == -1 && !strcmp(ts->name, "bool"))
		return type_bool(s->t);
	/* the type of a cast of 0 to it: integers, pointers, strings, integer arrays */
	struct node zero = { .kind = N_INT, .loc = n->loc };
	struct node cast = { .kind = N_CAST, .loc = n->loc, .u.cast = { .to = *ts, .operand = &zero } };
	if (!strcmp(ts->name, "string") && !ts->ptr_depth)
		return type_string(s->t, ts->array_len > 0 ? (uint32_t)ts->array_len : s->p->strlen);
	return sema_expr(s, &cast);
}

/* Does the integer literal v fit the integer type t? */
static bool literal_fits(const struct type *t, int64_t v)
{
	unsigned bits = t->size * 8;
	if (bits == 64)
		return t->is_signed || v >= 0;
	if (t->is_signed)
		return v >= -(INT64_C(1) << (bits - 1)) && v < (INT64_C(1) << (bits - 1));
	return v >= 0 && v < (INT64_C(1) << bits);
}

/*
 * `$x = v` where `let $x: int-type` or `bool` declared $x: v converted to
 * the type as C converts it (a literal must fit an integer type).
 */
void sema_declared_value(struct sema *s, struct node *assign, const struct var *var)
{
	struct node *v = assign->u.assign.value;
	if (!var->declared || !var->type || (var->type->kind != T_INT && var->type->kind != T_BOOL) ||
	    (v->kind == N_CAST && v->u.cast.implicit)) /* converted in an earlier pass */
		return;
	int64_t lit;
	if (var->type->kind == T_INT && sema_int_literal(v, &lit) && !literal_fits(var->type, lit)) {
		sema_error(s, &v->loc, "Type mismatch for $%s: the value %" PRId64 " does not fit type '%s'",
		    var->name, lit, sema_tname(s, var->type));
		return;
	}
	struct node *c = arena_zalloc(&s->p->arena, sizeof(*c));
	c->kind = N_CAST;
	c->loc = v->loc;
	c->u.cast.to = *var->declared;
	c->u.cast.operand = v;
	c->u.cast.implicit = true;
	assign->u.assign.value = c;
}

void sema_let(struct sema *s, struct node *n)
{
	if (n->kind != N_LET) {
		sema_error(s, &n->loc, "%s is not supported yet", node_kind_name(n->kind));
		return;
	}
	struct node *var = n->u.let.var;
	const char *name = var->u.ident.name;
	bool first_seen = !var->u.ident.slot; /* in the first pass */
	struct var *v = var_of(s, var);
	if (v && v->assigned) {
		sema_error(s, &n->loc,
		    "Variable declarations need to occur before variable usage or assignment. Variable: $%s", name);
		return;
	}
	if (!v || first_seen) /* each let declares its block's own variable */
		v = var_add(s, name);
	var->u.ident.slot = v->slot;
	if (n->u.let.typed) {
		const struct type *t = declared_type(s, n);
		if (!t)
			return;
		if (v->type != t) {
			v->type = t;
			s->changed = true;
		}
		v->declared = &n->u.let.ty;
		if (n->u.let.assign)
			sema_declared_value(s, n->u.let.assign, v);
	}
	if (!v->type && s->final)
		v->type = type_int(s->t, 8, true); /* never assigned anything else: an int64 0 */
	v->assigned = true; /* `let $x;` is 0 until assigned */
	var->type = v->type;
	if (n->u.let.assign)
		sema_stmt(s, n->u.let.assign);
}

/* ---- let @m = hash(N) ---- */

static const struct {
	const char *name;
	int bpf_type;
	bool percpu;
} map_kinds[] = {
	{ "hash", BPF_MAP_TYPE_HASH, false },
	{ "lruhash", BPF_MAP_TYPE_LRU_HASH, false },
	{ "percpuhash", BPF_MAP_TYPE_PERCPU_HASH, true },
	{ "percpulruhash", BPF_MAP_TYPE_LRU_PERCPU_HASH, true },
};

static const char *kind_name(int bpf_type)
{
	for (size_t i = 0; i < sizeof(map_kinds) / sizeof(map_kinds[0]); i++)
		if (map_kinds[i].bpf_type == bpf_type)
			return map_kinds[i].name;
	return "?";
}

static void map_decl(struct sema *s, struct node *n)
{
	struct node *map = n->u.let.var, *call = n->u.let.assign;
	int kind = -1;
	for (size_t i = 0; call->kind == N_CALL && i < sizeof(map_kinds) / sizeof(map_kinds[0]); i++)
		if (!strcmp(call->u.call.name, map_kinds[i].name))
			kind = (int)i;
	if (kind < 0) {
		struct diag *e = diag_error(s->d, &call->loc, "Invalid bpf map type: %s",
					    call->kind == N_CALL ? call->u.call.name : node_kind_name(call->kind));
		diag_hint(s->d, e, "valid map types: hash, lruhash, percpuhash, percpulruhash");
		return;
	}
	int64_t entries;
	if (call->u.call.nargs != 1 || !sema_int_literal(call->u.call.args, &entries) || entries < 1 ||
	    entries > UINT32_MAX) {
		diag_error(s->d, &call->loc, "%s() takes one argument: the maximum number of entries, a positive integer",
			   call->u.call.name);
		return;
	}
	for (struct node *o = n->next; o; o = o->next)
		if (!strcmp(o->u.let.var->u.map.name, map->u.map.name))
			diag_error(s->d, &o->loc, "Map @%s is declared twice", map->u.map.name);
	int i = prog_map_find(s->p, map->u.map.name);
	if (i < 0) {
		diag_warning(s->d, &n->loc, "Unused map: @%s", map->u.map.name);
		return;
	}
	struct prog_map *m = &s->p->maps[i];
	/* aggregations are per-CPU values, plain values are not */
	bool percpu = m->agg != AGG_NONE;
	if (percpu != map_kinds[kind].percpu) {
		diag_error(s->d, &map->loc,
			   "Incompatible map types. Type from declaration: %s. Type from value/key type: %s",
			   map_kinds[kind].name, kind_name(percpu ? BPF_MAP_TYPE_PERCPU_HASH : BPF_MAP_TYPE_HASH));
		return;
	}
	m->decl_type = map_kinds[kind].bpf_type;
	m->decl_entries = (uint32_t)entries;
}

void sema_map_decls(struct sema *s, struct node *decls)
{
	for (struct node *n = decls; n; n = n->next)
		map_decl(s, n);
}
