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
