/*
 * Code for `let` declarations: a declared variable's slot zeroed, or set
 * from its initial value (sema_scope.c checks them).
 */
#include "codegen_internal.h"

void cg_let(struct cg *c, struct node *n)
{
	if (n->kind != N_LET) {
		cg_fail(c, &n->loc, "internal error: no codegen for %s", node_kind_name(n->kind));
		return;
	}
	if (n->u.let.assign) {
		cg_stmt(c, n->u.let.assign);
		return;
	}
	/* `let $x;` is 0 (or empty) each time it is reached */
	const struct type *t = n->u.let.var->type;
	if (t)
		cg_zero(c, cg_var(c, cg_var_key(n->u.let.var), t)->slot, type_in_memory(t) ? t->size : 8);
}
