/*
 * The newer declarations of the bpftrace language (0.21 and later):
 * `let $x[: type][ = value]` statements, `let @m = hash(N);` map
 * declarations and `macro name(args) { ... }` at the top level, and block
 * expressions `{ statements; value }`.
 */
#include "parser_internal.h"

/* The type after `let $x:` (a name, struct/union/enum NAME, '*'s, one [N]). */
static bool parse_decl_type(struct parser *p, struct typespec *ty, struct loc *end)
{
	enum tok_kind k = peek_kind(p, 0);
	bool tagged = k == T_STRUCT || k == T_UNION || k == T_ENUM;
	if (!(tagged ? peek_kind(p, 1) == T_IDENT : k == T_IDENT)) {
		syntax_error(p, peek(p, tagged), "type");
		return false;
	}
	unsigned j = tagged ? 2 : 1;
	while (j < LOOKAHEAD - 4 && peek_kind(p, j) == T_STAR)
		j++;
	if (peek_kind(p, j) == T_LBRACKET && (peek_kind(p, j + 1) != T_INT || peek_kind(p, j + 2) != T_RBRACKET)) {
		syntax_error(p, peek(p, j + 1), "integer");
		return false;
	}
	struct type_shape s = { .ntok = j, .tagged = tagged };
	*ty = parse_type(p, &s, end);
	return true;
}

struct node *parse_let(struct parser *p)
{
	struct token kw = next(p);
	struct token v = *peek(p, 0);
	if (v.kind != T_VAR) {
		syntax_error(p, &v, "variable");
		return NULL;
	}
	next(p);
	struct node *n = mk(p, N_LET, kw.loc), *var = mk(p, N_VAR, v.loc);
	struct loc end = v.loc;
	var->u.ident.name = tok_str(p, &v);
	n->u.let.var = var;
	if (accept(p, T_COLON)) {
		if (!parse_decl_type(p, &n->u.let.ty, &end))
			return NULL;
		n->u.let.typed = true;
	}
	if (peek_kind(p, 0) == T_ASSIGN) {
		struct node *a = mk(p, N_ASSIGN, v.loc);
		a->u.assign.op_loc = next(p).loc;
		a->u.assign.target = ast_clone(p->a, var);
		if (!(a->u.assign.value = parse_expr(p)))
			return NULL;
		a->loc = loc_span(v.loc, a->u.assign.value->loc);
		n->u.let.assign = a;
		end = a->loc;
	}
	n->loc = loc_span(kw.loc, end);
	return n;
}

struct node *parse_block_expr(struct parser *p)
{
	struct token open = *peek(p, 0);
	struct node *n = mk(p, N_BLOCK_EXPR, open.loc);
	struct node *b = parse_block(p);
	if (!b)
		return NULL;
	/* the value: a last expression statement with no ';' after it */
	struct node **last = &b->u.list.head;
	while (*last && (*last)->next)
		last = &(*last)->next;
	if (*last && (*last)->kind == N_EXPR_STMT && !p->semi_after_last) {
		n->u.block_expr.value = (*last)->u.unary.operand;
		*last = NULL;
	}
	n->u.block_expr.block = b;
	n->loc = b->loc;
	return n;
}

/* let @m = kind(N); */
static struct node *parse_map_decl(struct parser *p)
{
	struct token kw = next(p);
	struct token m = *peek(p, 0);
	if (m.kind != T_MAP) {
		syntax_error(p, &m, "map");
		return NULL;
	}
	next(p);
	struct node *n = mk(p, N_LET, kw.loc), *map = mk(p, N_MAP, m.loc);
	map->u.map.name = tok_str(p, &m);
	n->u.let.var = map;
	struct loc end;
	if (!expect(p, T_ASSIGN, "=", NULL) || !(n->u.let.assign = parse_expr(p)) || !expect(p, T_SEMI, ";", &end))
		return NULL;
	n->loc = loc_span(kw.loc, n->u.let.assign->loc);
	return n;
}

/* macro name($var, @map, expr, ...) { body } */
static struct node *parse_macro(struct parser *p)
{
	struct token kw = next(p);
	struct token name = *peek(p, 0);
	if (name.kind != T_IDENT) {
		syntax_error(p, &name, "identifier");
		return NULL;
	}
	next(p);
	struct node *n = mk(p, N_MACRO, kw.loc);
	struct node **tail = &n->u.macro.params;
	n->u.macro.name = tok_str(p, &name);
	if (!expect(p, T_LPAREN, "(", NULL))
		return NULL;
	while (peek_kind(p, 0) != T_RPAREN) {
		if (n->u.macro.nparams && !expect(p, T_COMMA, ") or \",\"", NULL))
			return NULL;
		struct token a = *peek(p, 0);
		if (a.kind != T_VAR && a.kind != T_MAP && a.kind != T_IDENT) {
			syntax_error(p, &a, "variable, map or identifier");
			return NULL;
		}
		next(p);
		struct node *param = mk(p, a.kind == T_VAR ? N_VAR : a.kind == T_MAP ? N_MAP : N_IDENT, a.loc);
		if (a.kind == T_MAP)
			param->u.map.name = tok_str(p, &a);
		else
			param->u.ident.name = tok_str(p, &a);
		append(&tail, param);
		n->u.macro.nparams++;
	}
	next(p); /* ) */
	if (peek_kind(p, 0) != T_LBRACE) {
		syntax_error(p, peek(p, 0), "{");
		return NULL;
	}
	if (!(n->u.macro.body = parse_block_expr(p)))
		return NULL;
	n->loc = loc_span(kw.loc, name.loc);
	return n;
}

bool parse_decl(struct parser *p, struct node *prog)
{
	bool let = lexer_at_word(&p->lx, "let");
	if (!let && !lexer_at_word(&p->lx, "macro"))
		return false;
	struct node *n = let ? parse_map_decl(p) : parse_macro(p);
	if (!n) {
		/* the error is reported; the text after the tokens read ahead is read raw again */
		while (p->nbuf && peek_kind(p, 0) != T_EOF)
			next(p);
		return true;
	}
	struct node **list = let ? &prog->u.program.decls : &prog->u.program.macros;
	while (*list)
		list = &(*list)->next;
	*list = n;
	return true;
}
