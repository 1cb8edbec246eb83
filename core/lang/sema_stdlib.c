/*
 * Checks of bpftrace's later standard library (docs/stdlib.md, 0.22-0.26)
 * that need more than a builtins.c row: tseries() arguments.
 */
#include <string.h>

#include "sema_internal.h"

bool sema_int_literal(const struct node *n, int64_t *v)
{
	if (n->kind == N_INT) {
		*v = (int64_t)n->u.integer.value;
		return n->u.integer.value <= INT64_MAX;
	}
	if (n->kind == N_UNOP && n->u.unop.op == OP_NEG && n->u.unop.operand->kind == N_INT &&
	    n->u.unop.operand->u.integer.value <= INT64_MAX) {
		*v = -(int64_t)n->u.unop.operand->u.integer.value;
		return true;
	}
	return false;
}

/* bpftrace's bound on num_intervals */
#define TSERIES_MAX_INTERVALS 1000

bool sema_tseries_args(struct sema *s, struct node *call, int64_t hargs[3])
{
	static const char *const aggs[] = { [TSERIES_AVG] = "avg", [TSERIES_MAX] = "max", [TSERIES_MIN] = "min",
					    [TSERIES_SUM] = "sum" };
	struct node *interval = call->u.call.args->next, *count = interval->next, *agg = count->next;
	sema_expr(s, interval);
	sema_expr(s, count);
	if (!sema_int_literal(interval, &hargs[0]) || hargs[0] <= 0) {
		sema_error(s, &interval->loc, "tseries() interval_ns must be a positive integer literal or duration");
		return false;
	}
	if (!sema_int_literal(count, &hargs[1]) || hargs[1] < 1 || hargs[1] > TSERIES_MAX_INTERVALS) {
		sema_error(s, &count->loc, "tseries() num_intervals must be an integer literal from 1 to %d",
			   TSERIES_MAX_INTERVALS);
		return false;
	}
	hargs[2] = TSERIES_LAST;
	if (!agg)
		return true;
	for (int i = TSERIES_AVG; agg->kind == N_STRING && i <= TSERIES_SUM; i++) {
		if (!strcmp(agg->u.string.s, aggs[i])) {
			hargs[2] = i;
			agg->type = type_string(&s->p->types, (uint32_t)agg->u.string.len + 1);
			return true;
		}
	}
	sema_error(s, &agg->loc, "tseries() aggregation must be one of \"avg\", \"max\", \"min\", \"sum\"");
	return false;
}

/* n becomes the literal `v` (compile-time functions). */
static const struct type *make_bool(struct sema *s, struct node *n, bool v)
{
	n->kind = N_BOOL;
	n->u.boolean = v;
	return sema_expr(s, n);
}

/* probetype: the probe's type as bpftrace names it; BEGIN and END are "special". */
const struct type *probetype_check(struct sema *s, struct node *n)
{
	const char *t = s->probe->kind != PROBE_PROVIDER ? "special" : sema_probe_type(s);
	n->kind = N_STRING;
	n->u.string = (struct n_string){ .s = t, .len = strlen(t) };
	return sema_expr(s, n);
}

/* pcomm, pcomm(task): task->group_leader->comm, the current task's by default. */
const struct type *pcomm_check(struct sema *s, struct node *n)
{
	struct arena *a = &s->p->arena;
	struct node *task = n->kind == N_CALL ? n->u.call.args : NULL, *leader = arena_zalloc(a, sizeof(*leader));
	if (!task) {
		task = arena_zalloc(a, sizeof(*task));
		*task = (struct node){ .kind = N_BUILTIN, .loc = n->loc };
		task->u.ident = (struct n_ident){ .name = "curtask", .builtin = B_CURTASK };
	}
	*leader = (struct node){ .kind = N_FIELD, .loc = n->loc };
	leader->u.field = (struct n_field){ .base = task, .name = "group_leader", .arrow = true };
	n->kind = N_FIELD;
	n->u.field = (struct n_field){ .base = leader, .name = "comm", .arrow = true };
	return sema_expr(s, n);
}

/* is_array(e), is_integer(e), ...: whether e (checked, never run) is one. */
const struct type *is_type_check(struct sema *s, struct node *n)
{
	struct node *e = n->u.call.args;
	enum builtin fn = n->u.call.fn;
	bool literal = e->kind == N_INT || e->kind == N_STRING || e->kind == N_BOOL;
	const struct type *t = sema_expr(s, e);
	if (!t)
		return NULL;
	switch (fn) {
	case B_IS_ARRAY: return make_bool(s, n, t->kind == T_ARRAY);
	case B_IS_INTEGER: return make_bool(s, n, t->kind == T_INT);
	case B_IS_LITERAL: return make_bool(s, n, literal);
	case B_IS_PTR: return make_bool(s, n, t->kind == T_POINTER);
	case B_IS_STR: return make_bool(s, n, t->kind == T_STRING);
	default: return make_bool(s, n, t->kind == T_INT && !t->is_signed);
	}
}
