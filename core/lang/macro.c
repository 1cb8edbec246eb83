/*
 * bpftrace macros (0.22): `macro name($var, @map, expr) { ... }` at the top
 * level; every call name(...) (or a bare `name` for a macro without
 * parameters) is replaced by a copy of the body as a block expression.
 *
 * Parameters: `$v` takes a scratch variable and `@m` a map, both by
 * reference; `x` takes any expression, inserted wherever x appears (a
 * variable or map passed there is only read). The body is hygienic: its own
 * variables are renamed apart from the caller's, and it may use no other
 * variable or map than those passed in.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ast.h"

#define MAX_MACRO_DEPTH 32
/*
 * An expansion copies the body and, into it, an argument once per use: m(m(m(...)))
 * of a body `x + x` doubles at each call. The nodes all expansions may make; an
 * expansion's height (its own expansions included) is at most MAX_TREE_DEPTH nodes,
 * as the parser's trees: beyond, later passes would run out of memory or of C stack.
 */
#define MAX_EXPANDED_NODES (1u << 20)
#define MAX_EXPANDED_HEIGHT MAX_TREE_DEPTH

struct expander {
	struct arena *a;
	struct diags *d;
	struct node *macros;
	const struct node *stack[MAX_MACRO_DEPTH]; /* the macros being expanded, outermost first */
	unsigned depth;
	unsigned serial; /* expansions so far: renamed variables are unique per expansion */
	size_t nodes;    /* the nodes expansions made so far, at most MAX_EXPANDED_NODES */
	bool gave_up;    /* beyond a limit: no more expansions (nor errors) */
};

/* One expansion: the macro, the call's arguments and the body's own variables. */
struct subst {
	const struct node *macro;
	struct node *args;
	const char **locals; /* variables the body assigns or declares */
	size_t nlocals, cap;
	unsigned serial;
	const struct loc *site; /* the call's */
	bool failed;            /* an error was reported at site */
};

static bool too_deep(struct expander *x, struct subst *s)
{
	if (!x->gave_up)
		diag_error(x->d, s->site, "macro expansion nested too deeply (more than %d levels)",
			   MAX_EXPANDED_HEIGHT);
	x->gave_up = s->failed = true;
	return false;
}

/* Room for a copy of n, counted into x->nodes? Else an error at the call and false. */
static bool spend(struct expander *x, struct subst *s, const struct node *n)
{
	unsigned height = 0;
	if (x->nodes <= MAX_EXPANDED_NODES)
		height = ast_measure(n, MAX_EXPANDED_HEIGHT, &x->nodes, MAX_EXPANDED_NODES);
	if (x->nodes > MAX_EXPANDED_NODES) {
		if (!x->gave_up)
			diag_error(x->d, s->site, "macro expansions too large (more than %u nodes)",
				   MAX_EXPANDED_NODES);
		x->gave_up = s->failed = true;
		return false;
	}
	return height <= MAX_EXPANDED_HEIGHT || too_deep(x, s);
}

/* Is the expansion `body` within MAX_EXPANDED_HEIGHT? Else an error at the call and false. */
static bool low_enough(struct expander *x, struct subst *s, const struct node *body)
{
	size_t nodes = 0;
	return ast_measure(body, MAX_EXPANDED_HEIGHT, &nodes, SIZE_MAX) <= MAX_EXPANDED_HEIGHT || too_deep(x, s);
}

static void walk(struct expander *x, struct node **slot, bool stmt);

static const struct node *find_macro(const struct expander *x, const char *name)
{
	for (const struct node *m = x->macros; m; m = m->next)
		if (!strcmp(m->u.macro.name, name))
			return m;
	return NULL;
}

static const char *param_name(const struct node *p)
{
	return p->kind == N_MAP ? p->u.map.name : p->u.ident.name;
}

/* The argument passed for the parameter of this kind and name, or NULL. */
static struct node *arg_for(const struct subst *s, enum node_kind kind, const char *name)
{
	struct node *a = s->args;
	for (const struct node *p = s->macro->u.macro.params; p; p = p->next, a = a->next)
		if (p->kind == kind && !strcmp(param_name(p), name))
			return a;
	return NULL;
}

static bool is_local(const struct subst *s, const char *name)
{
	for (size_t i = 0; i < s->nlocals; i++)
		if (!strcmp(s->locals[i], name))
			return true;
	return false;
}

/* Collect the variables the body assigns or declares (not its parameters). */
static void collect_locals(struct expander *x, struct subst *s, const struct node *n)
{
	for (; n; n = n->next) {
		const struct node *var = NULL;
		switch (n->kind) {
		case N_ASSIGN: var = n->u.assign.target; break;
		case N_LET: var = n->u.let.var; break;
		case N_FOR_MAP: var = n->u.for_map.var; break;
		case N_FOR_RANGE: var = n->u.for_range.var; break;
		default: break;
		}
		if (var && var->kind == N_VAR && !arg_for(s, N_VAR, var->u.ident.name) &&
		    !is_local(s, var->u.ident.name)) {
			if (s->nlocals == s->cap) {
				s->cap = s->cap ? s->cap * 2 : 8;
				s->locals = arena_grow(x->a, s->locals, s->nlocals, s->cap, sizeof(*s->locals));
			}
			s->locals[s->nlocals++] = var->u.ident.name;
		}
		switch (n->kind) {
		case N_BLOCK: collect_locals(x, s, n->u.list.head); break;
		case N_BLOCK_EXPR: collect_locals(x, s, n->u.block_expr.block); break;
		case N_LET: collect_locals(x, s, n->u.let.assign); break;
		case N_IF:
			collect_locals(x, s, n->u.if_.then);
			collect_locals(x, s, n->u.if_.else_);
			break;
		case N_UNROLL:
		case N_WHILE: collect_locals(x, s, n->u.loop.body); break;
		case N_FOR_MAP: collect_locals(x, s, n->u.for_map.body); break;
		case N_FOR_RANGE: collect_locals(x, s, n->u.for_range.body); break;
		default: break;
		}
	}
}

/* Rename the body's variables and maps to the caller's, insert the expression arguments. */
static void substitute(struct expander *x, struct subst *s, struct node **slot)
{
	struct node *n = *slot;
	if (!n)
		return;
	switch (n->kind) {
	case N_VAR: {
		const char *name = n->u.ident.name;
		struct node *a = arg_for(s, N_VAR, name);
		if (a)
			n->u.ident.name = a->u.ident.name;
		else if (is_local(s, name))
			n->u.ident.name = arena_printf(x->a, "$%s_%u_%s", s->macro->u.macro.name, s->serial, name);
		else
			diag_error(x->d, &n->loc,
			    "Unhygienic access to variable: $%s. Variables must be passed into the macro as arguments.",
			    name);
		return;
	}
	case N_MAP: {
		struct node *a = arg_for(s, N_MAP, n->u.map.name);
		if (a)
			n->u.map.name = a->u.map.name;
		else
			diag_error(x->d, &n->loc,
			    "Unhygienic access to map: @%s. Maps must be passed into the macro as arguments.",
			    n->u.map.name);
		for (struct node **k = &n->u.map.keys; *k; k = &(*k)->next)
			substitute(x, s, k);
		return;
	}
	case N_IDENT:
	case N_BUILTIN: {
		struct node *a = arg_for(s, N_IDENT, n->u.ident.name);
		if (!a || !spend(x, s, a))
			return;
		struct node *c = ast_clone(x->a, a);
		if (c->kind == N_VAR || c->kind == N_MAP) {
			/* passed to an expression parameter: read, never assigned */
			struct node *b = arena_zalloc(x->a, sizeof(*b));
			b->kind = N_BLOCK_EXPR;
			b->loc = c->loc;
			b->u.block_expr.block = arena_zalloc(x->a, sizeof(*b->u.block_expr.block));
			b->u.block_expr.block->kind = N_BLOCK;
			b->u.block_expr.block->loc = c->loc;
			b->u.block_expr.value = c;
			c = b;
		}
		c->next = n->next;
		*slot = c;
		return;
	}
	default:
		break;
	}
	/* every child slot of n */
	switch (n->kind) {
	case N_BLOCK:
	case N_TUPLE:
		for (struct node **c = &n->u.list.head; *c; c = &(*c)->next)
			substitute(x, s, c);
		break;
	case N_CALL:
		for (struct node **c = &n->u.call.args; *c; c = &(*c)->next)
			substitute(x, s, c);
		break;
	case N_EXPR_STMT:
	case N_RETURN: substitute(x, s, &n->u.unary.operand); break;
	case N_ASSIGN:
		substitute(x, s, &n->u.assign.target);
		substitute(x, s, &n->u.assign.value);
		break;
	case N_LET:
		substitute(x, s, &n->u.let.var);
		substitute(x, s, &n->u.let.assign);
		break;
	case N_BLOCK_EXPR:
		substitute(x, s, &n->u.block_expr.block);
		substitute(x, s, &n->u.block_expr.value);
		break;
	case N_IF:
		substitute(x, s, &n->u.if_.cond);
		substitute(x, s, &n->u.if_.then);
		substitute(x, s, &n->u.if_.else_);
		break;
	case N_UNROLL:
	case N_WHILE:
		substitute(x, s, &n->u.loop.cond);
		substitute(x, s, &n->u.loop.body);
		break;
	case N_FOR_MAP:
		substitute(x, s, &n->u.for_map.var);
		substitute(x, s, &n->u.for_map.map);
		substitute(x, s, &n->u.for_map.body);
		break;
	case N_FOR_RANGE:
		substitute(x, s, &n->u.for_range.var);
		substitute(x, s, &n->u.for_range.lo);
		substitute(x, s, &n->u.for_range.hi);
		substitute(x, s, &n->u.for_range.body);
		break;
	case N_BINOP:
		substitute(x, s, &n->u.binop.left);
		substitute(x, s, &n->u.binop.right);
		break;
	case N_UNOP: substitute(x, s, &n->u.unop.operand); break;
	case N_INCDEC: substitute(x, s, &n->u.incdec.operand); break;
	case N_TERNARY:
		substitute(x, s, &n->u.ternary.cond);
		substitute(x, s, &n->u.ternary.then);
		substitute(x, s, &n->u.ternary.else_);
		break;
	case N_FIELD: substitute(x, s, &n->u.field.base); break;
	case N_INDEX:
		substitute(x, s, &n->u.index.base);
		substitute(x, s, &n->u.index.index);
		break;
	case N_CAST: substitute(x, s, &n->u.cast.operand); break;
	case N_SIZEOF: substitute(x, s, &n->u.size_of.expr); break;
	case N_OFFSETOF: substitute(x, s, &n->u.offset_of.expr); break;
	default: break;
	}
}

static const char *arg_kind(const struct node *a)
{
	return a->kind == N_VAR ? "a variable" : a->kind == N_MAP ? "a map" : "an expression";
}

/* The arguments against the parameters: false (with an error) if they do not fit. */
static bool check_args(struct expander *x, const struct node *m, const struct node *call, struct node *args,
		       unsigned nargs)
{
	if (nargs != m->u.macro.nparams) {
		diag_error(x->d, &call->loc, "Call to macro %s() has the wrong number of arguments: %u (expects %u)",
			   m->u.macro.name, nargs, m->u.macro.nparams);
		return false;
	}
	struct node *a = args;
	for (const struct node *p = m->u.macro.params; p; p = p->next, a = a->next) {
		if (p->kind == N_IDENT || p->kind == a->kind)
			continue;
		diag_error(x->d, &a->loc, "Mismatched arg. %s() expects %s for arg %s%s but got %s.", m->u.macro.name,
			   p->kind == N_VAR ? "a variable" : "a map", p->kind == N_VAR ? "$" : "@", param_name(p),
			   arg_kind(a));
		return false;
	}
	return true;
}

/* The expansion of the macro m called at `call` (an N_CALL or a bare N_IDENT), or NULL. */
static struct node *expand(struct expander *x, const struct node *m, struct node *call, bool stmt)
{
	struct node *args = call->kind == N_CALL ? call->u.call.args : NULL;
	unsigned nargs = call->kind == N_CALL ? call->u.call.nargs : 0;
	for (unsigned i = 0; i < x->depth; i++) {
		if (x->stack[i] != m)
			continue;
		char chain[512];
		size_t len = 0;
		chain[0] = 0;
		for (unsigned j = i; j < x->depth && len < sizeof(chain); j++)
			len += (size_t)snprintf(chain + len, sizeof(chain) - len, "%s > ", x->stack[j]->u.macro.name);
		diag_error(x->d, &call->loc, "Recursive macro call detected. Call chain: %s%s", chain, m->u.macro.name);
		return NULL;
	}
	if (x->depth == MAX_MACRO_DEPTH) {
		diag_error(x->d, &call->loc, "macro calls nested too deeply (at most %d)", MAX_MACRO_DEPTH);
		return NULL;
	}
	if (!check_args(x, m, call, args, nargs))
		return NULL;
	if (!stmt && !m->u.macro.body->u.block_expr.value) {
		diag_error(x->d, &call->loc,
			   "Macro '%s' expanded to a block instead of a block expression. Try removing the semicolon "
			   "from the end of the last statement in the macro body.",
			   m->u.macro.name);
		return NULL;
	}
	struct subst s = { .macro = m, .args = args, .serial = x->serial++, .site = &call->loc };
	if (!spend(x, &s, m->u.macro.body))
		return NULL;
	struct node *body = ast_clone_expanded(x->a, m->u.macro.body, &call->loc);
	collect_locals(x, &s, body->u.block_expr.block);
	substitute(x, &s, &body);
	if (s.failed || !low_enough(x, &s, body))
		return NULL;
	body->u.block_expr.macro = m->u.macro.name;
	body->loc = call->loc;
	/* macros called by the body */
	x->stack[x->depth++] = m;
	walk(x, &body->u.block_expr.block, true);
	walk(x, &body->u.block_expr.value, false);
	x->depth--;
	if (x->gave_up || !low_enough(x, &s, body))
		return NULL;
	return body;
}

/* Expand the macro calls in *slot and below; stmt: *slot is a statement's expression. */
static void walk(struct expander *x, struct node **slot, bool stmt)
{
	struct node *n = *slot;
	if (!n || x->gave_up)
		return;
	switch (n->kind) {
	case N_CALL:
		for (struct node **c = &n->u.call.args; *c; c = &(*c)->next)
			walk(x, c, false);
		/* fall through */
	case N_IDENT:
	case N_BUILTIN: {
		const struct node *m = find_macro(x, n->kind == N_CALL ? n->u.call.name : n->u.ident.name);
		if (!m || (n->kind != N_CALL && m->u.macro.nparams))
			return;
		struct node *e = expand(x, m, n, stmt);
		if (e) {
			e->next = n->next;
			*slot = e;
		}
		return;
	}
	case N_PROBE:
		walk(x, &n->u.probe.filter, false);
		walk(x, &n->u.probe.body, true);
		return;
	case N_BLOCK:
		for (struct node **c = &n->u.list.head; *c; c = &(*c)->next)
			walk(x, c, true);
		return;
	case N_TUPLE:
		for (struct node **c = &n->u.list.head; *c; c = &(*c)->next)
			walk(x, c, false);
		return;
	case N_MAP:
		for (struct node **c = &n->u.map.keys; *c; c = &(*c)->next)
			walk(x, c, false);
		return;
	case N_EXPR_STMT: walk(x, &n->u.unary.operand, true); return;
	case N_RETURN: walk(x, &n->u.unary.operand, false); return;
	case N_ASSIGN:
		walk(x, &n->u.assign.target, false);
		walk(x, &n->u.assign.value, false);
		return;
	case N_LET: walk(x, &n->u.let.assign, true); return;
	case N_BLOCK_EXPR:
		walk(x, &n->u.block_expr.block, true);
		walk(x, &n->u.block_expr.value, false);
		return;
	case N_IF:
		walk(x, &n->u.if_.cond, false);
		walk(x, &n->u.if_.then, true);
		walk(x, &n->u.if_.else_, true);
		return;
	case N_UNROLL:
	case N_WHILE:
		walk(x, &n->u.loop.cond, false);
		walk(x, &n->u.loop.body, true);
		return;
	case N_FOR_MAP: walk(x, &n->u.for_map.body, true); return;
	case N_FOR_RANGE:
		walk(x, &n->u.for_range.lo, false);
		walk(x, &n->u.for_range.hi, false);
		walk(x, &n->u.for_range.body, true);
		return;
	case N_BINOP:
		walk(x, &n->u.binop.left, false);
		walk(x, &n->u.binop.right, false);
		return;
	case N_UNOP: walk(x, &n->u.unop.operand, false); return;
	case N_INCDEC: walk(x, &n->u.incdec.operand, false); return;
	case N_TERNARY:
		walk(x, &n->u.ternary.cond, false);
		walk(x, &n->u.ternary.then, stmt);
		walk(x, &n->u.ternary.else_, stmt);
		return;
	case N_FIELD: walk(x, &n->u.field.base, false); return;
	case N_INDEX:
		walk(x, &n->u.index.base, false);
		walk(x, &n->u.index.index, false);
		return;
	case N_CAST: walk(x, &n->u.cast.operand, false); return;
	case N_SIZEOF: walk(x, &n->u.size_of.expr, false); return;
	case N_OFFSETOF: walk(x, &n->u.offset_of.expr, false); return;
	default: return;
	}
}

int macro_expand(struct arena *a, struct node *prog, struct diags *d)
{
	struct expander x = { .a = a, .d = d, .macros = prog->u.program.macros };
	unsigned before = d->nerrors;
	for (const struct node *m = x.macros; m; m = m->next)
		for (const struct node *o = x.macros; o != m; o = o->next)
			if (!strcmp(o->u.macro.name, m->u.macro.name)) {
				diag_error(d, &m->loc, "Redefinition of existing macro: %s", m->u.macro.name);
				break;
			}
	for (struct node **p = &prog->u.program.probes; *p; p = &(*p)->next)
		walk(&x, p, true);
	return d->nerrors == before ? 0 : -1;
}
