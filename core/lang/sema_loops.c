/*
 * Checks of for loops and of the map functions that read a map in the
 * kernel: len(), has_key(), and aggregations read as integers.
 *
 * `for ($kv : @m) { ... }` and `for ($i : lo..hi) { ... }` become BPF
 * callback subprograms (codegen_loops.c). The loop variable belongs to the
 * loop: it may not shadow a variable set before the loop, and it is
 * undefined after it. Other scratch variables are shared with the probe:
 * the body reads and writes them (bpftrace since 0.22). `break` and
 * `continue` end the callback; `return` leaves the probe; exit() is refused
 * in for loops, as bpftrace does since 0.25.
 */
#include <string.h>

#include "sema_internal.h"

static struct types *T(struct sema *s)
{
	return &s->p->types;
}

const struct type *sema_agg_read_type(struct sema *s, const struct prog_map *m, const struct loc *loc)
{
	switch (m->agg) {
	case AGG_COUNT:
		return type_int(T(s), 8, false);
	case AGG_SUM:
	case AGG_MIN:
	case AGG_MAX:
	case AGG_AVG:
		return type_int(T(s), 8, m->value && m->value->is_signed);
	default:
		sema_error(s, loc, "The %s aggregation %s can not be read in an expression, only printed",
			   type_name(T(s), type_agg(T(s), m->agg, m->value)), m->name);
		return NULL;
	}
}

/* The loop variable: defined in the body only, never over a variable set before the loop. */
static void loop_body(struct sema *s, struct node *var, const struct type *t, struct node *body)
{
	const char *name = var->u.ident.name;
	if (sema_var_assigned(s, name)) {
		sema_error(s, &var->loc, "Loop declaration shadows existing variable: $%s", name);
		return;
	}
	sema_var_bind(s, var, t);
	sema_stmt(s, body);
	sema_var_unbind(s, name);
}

static void for_map(struct sema *s, struct node *n)
{
	struct node *mn = n->u.for_map.map;
	const struct type *kv = NULL;
	struct prog_map *m = sema_map_named(s, n, mn, false);
	if (m && !m->key) {
		sema_error(s, &mn->loc, "Loop expression must be a map with keys: %s has none", m->name);
	} else if (m && m->value) {
		const struct type *v = m->agg == AGG_NONE ? m->value : sema_agg_read_type(s, m, &mn->loc);
		if (v) {
			const struct type *items[] = { m->key, sema_storage_type(s, v) };
			kv = type_tuple(T(s), items, 2);
		}
	}
	mn->type = kv;
	loop_body(s, n->u.for_map.var, kv, n->u.for_map.body);
}

static bool range_end(struct sema *s, struct node *e, const char *which, const struct type **out)
{
	const struct type *t = sema_expr(s, e);
	*out = t;
	if (t && !type_is_scalar(t)) {
		sema_error(s, &e->loc, "Loop range requires an integer for the %s value (%s provided)", which,
			   sema_kind_word(t));
		return false;
	}
	return t != NULL;
}

static void for_range(struct sema *s, struct node *n)
{
	const struct type *lo, *hi, *t = NULL;
	bool ok = range_end(s, n->u.for_range.lo, "start", &lo);
	ok = range_end(s, n->u.for_range.hi, "end", &hi) && ok;
	if (ok)
		t = type_int(T(s), 8, !int_op_unsigned(lo, hi));
	loop_body(s, n->u.for_range.var, t, n->u.for_range.body);
}

void sema_for(struct sema *s, struct node *n)
{
	if (s->final)
		s->cs->callbacks = true;
	if (n->kind == N_FOR_MAP)
		for_map(s, n);
	else
		for_range(s, n);
}

void sema_key_args(struct node *map)
{
	struct node *k = map->next;
	map->u.map.keys = k;
	map->u.map.nkeys = 1;
	if (k->kind == N_TUPLE) {
		map->u.map.keys = k->u.list.head;
		map->u.map.nkeys = 0;
		for (struct node *e = k->u.list.head; e; e = e->next)
			map->u.map.nkeys++;
	}
}

/* The map argument of len(@m), has_key(@m, k): a whole map. */
static bool map_only(struct sema *s, struct node *n)
{
	struct node *a0 = n->u.call.args;
	if (a0->kind == N_MAP && !a0->u.map.nkeys)
		return true;
	const struct type *t = sema_expr(s, a0);
	if (t && (t->kind == T_KSTACK || t->kind == T_USTACK) && n->u.call.fn == B_LEN)
		sema_error(s, &n->loc, "len() of a stack held in a variable or map is not supported: write len(%s)",
			   t->kind == T_KSTACK ? "kstack" : "ustack");
	else
		sema_error(s, &n->loc, "%s() expects a map to be provided", n->u.call.name);
	return false;
}

/* len(kstack), len(ustack(perf, 5)): frames, counted as the probe runs */
static bool is_stack_call(const struct node *a)
{
	return (a->kind == N_BUILTIN && (a->u.ident.builtin == B_KSTACK || a->u.ident.builtin == B_USTACK)) ||
	       (a->kind == N_CALL && (a->u.call.fn == B_KSTACK || a->u.call.fn == B_USTACK));
}

const struct type *len_check(struct sema *s, struct node *n)
{
	struct node *a0 = n->u.call.args;
	if (is_stack_call(a0))
		return sema_expr(s, a0) ? type_int(T(s), 8, true) : NULL;
	if (!map_only(s, n))
		return NULL;
	struct prog_map *m = sema_map_named(s, n, n->u.call.args, false);
	if (!m)
		return NULL;
	if (!m->key) {
		sema_error(s, &n->loc, "len() expects a map with explicit keys (non-scalar map)");
		return NULL;
	}
	if (m->agg == AGG_HIST || m->agg == AGG_LHIST || m->agg == AGG_TSERIES) {
		sema_error(s, &n->loc, "len() of the %s map %s is not supported: it counts buckets, not keys",
			   type_name(T(s), type_agg(T(s), m->agg, NULL)), m->name);
		return NULL;
	}
	if (s->final)
		s->cs->callbacks = true;
	return type_int(T(s), 8, true);
}

const struct type *has_key_check(struct sema *s, struct node *n)
{
	struct node *a0 = n->u.call.args;
	if (!map_only(s, n))
		return NULL;
	int i = prog_map_find(s->p, a0->u.map.name);
	if (i >= 0 && !s->p->maps[i].key && s->p->maps[i].value) {
		sema_error(s, &n->loc, "has_key() expects a map with explicit keys (non-scalar map)");
		return NULL;
	}
	/* has_key(@m, k): k is checked as if written @m[k]; (k1, k2) as @m[k1, k2] */
	sema_key_args(a0);
	struct prog_map *m = sema_map_named(s, n, a0, true);
	a0->u.map.keys = NULL;
	a0->u.map.nkeys = 0;
	if (!m)
		return NULL;
	if (!m->key) {
		sema_error(s, &n->loc, "has_key() expects a map with explicit keys (non-scalar map)");
		return NULL;
	}
	if (m->agg == AGG_HIST || m->agg == AGG_LHIST || m->agg == AGG_TSERIES) {
		sema_error(s, &n->loc, "has_key() on the %s map %s is not supported: its entries are buckets",
			   type_name(T(s), type_agg(T(s), m->agg, NULL)), m->name);
		return NULL;
	}
	return type_bool(T(s));
}

/*
 * find(@m, k, $v): true and $v = @m[k] when the key is there. The first
 * check rewrites the arguments into @m and that assignment (args: the map,
 * then an N_ASSIGN), which is checked like any other; codegen makes it from
 * the lookup that found the key.
 */
const struct type *find_check(struct sema *s, struct node *n)
{
	struct node *a0 = n->u.call.args, *asg = a0->next;
	if (asg->kind != N_ASSIGN) {
		struct node *key = asg, *var = key->next;
		if (!map_only(s, n))
			return NULL;
		if (var->kind != N_VAR) {
			sema_expr(s, var);
			sema_error(s, &var->loc, "find() expects a scratch variable as its third argument");
			return NULL;
		}
		struct node *read = arena_zalloc(&s->p->arena, sizeof(*read));
		*read = (struct node){ .kind = N_MAP, .loc = a0->loc, .next = key };
		read->u.map.name = a0->u.map.name;
		sema_key_args(read);
		read->next = NULL;
		key->next = NULL;
		asg = arena_zalloc(&s->p->arena, sizeof(*asg));
		*asg = (struct node){ .kind = N_ASSIGN, .loc = n->loc };
		asg->u.assign = (struct n_assign){ .target = var, .op = OP_NONE, .value = read, .op_loc = var->loc };
		a0->next = asg;
	}
	struct node *var = asg->u.assign.target;
	int i = prog_map_find(s->p, a0->u.map.name);
	if (i >= 0 && !s->p->maps[i].key && s->p->maps[i].value) {
		sema_error(s, &n->loc, "find() expects a map with explicit keys (non-scalar map)");
		return NULL;
	}
	if (!sema_var_assigned(s, var->u.ident.name)) {
		sema_error(s, &var->loc, "Undefined or undeclared variable: $%s", var->u.ident.name);
		return NULL;
	}
	sema_stmt(s, asg);
	return type_bool(T(s));
}
