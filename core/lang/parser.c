/*
 * Recursive-descent parser for the bpftrace language. It only builds nodes;
 * meaning is checked later. Syntax errors use bison's wording, as bpftrace
 * prints them ("syntax error, unexpected X, expecting Y"); after one, the
 * parser skips to the next ';' or '}' and goes on, so one run reports
 * several mistakes.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parser_internal.h"

/* ---- types in casts, sizeof and offsetof ---- */

static const char *const base_types[] = {
	"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "bool", "string",
	"void", "char", "short", "int", "long", "unsigned", "signed", "size_t", "inet", "buffer",
};

static bool is_base_type(const struct token *t)
{
	for (size_t i = 0; i < sizeof(base_types) / sizeof(base_types[0]); i++)
		if (strlen(base_types[i]) == t->len && memcmp(base_types[i], t->text, t->len) == 0)
			return true;
	return false;
}

/* Does a type written as in a cast start at lookahead k and end before a ')'? */
static bool looks_like_type(struct parser *p, unsigned k, struct type_shape *s)
{
	unsigned j = k;
	memset(s, 0, sizeof(*s));
	enum tok_kind first = peek_kind(p, j);
	if (first == T_STRUCT || first == T_UNION || first == T_ENUM) {
		if (peek_kind(p, j + 1) != T_IDENT)
			return false;
		s->tagged = true;
		j += 2;
	} else if (first == T_IDENT && !is_builtin_name(peek(p, j)->text, peek(p, j)->len)) {
		j++;
	} else {
		return false;
	}
	while (j < LOOKAHEAD - 4 && peek_kind(p, j) == T_STAR) {
		s->decorated = true;
		j++;
	}
	if (peek_kind(p, j) == T_LBRACKET) {
		if (peek_kind(p, j + 1) == T_RBRACKET) { /* (uint8[])x */
			s->decorated = true;
			j += 2;
		} else if (peek_kind(p, j + 1) != T_INT || peek_kind(p, j + 2) != T_RBRACKET) {
			return false;
		} else {
			s->decorated = true;
			j += 3;
		}
	}
	if (j >= LOOKAHEAD - 1 || peek_kind(p, j) != T_RPAREN)
		return false;
	s->ntok = j - k;
	return true;
}

/* Read the type looks_like_type found; *end is its last token's location. */
struct typespec parse_type(struct parser *p, const struct type_shape *s, struct loc *end)
{
	struct typespec ty = { .array_len = -1 };
	struct token t = next(p);
	if (s->tagged) {
		struct token name = next(p);
		ty.name = arena_printf(p->a, "%s %.*s", tok_name(&t), (int)name.len, name.text);
		*end = name.loc;
	} else {
		ty.name = tok_str(p, &t);
		*end = t.loc;
	}
	while (peek_kind(p, 0) == T_STAR) {
		*end = next(p).loc;
		ty.ptr_depth++;
	}
	if (accept(p, T_LBRACKET)) {
		if (peek_kind(p, 0) == T_RBRACKET)
			ty.array_len = TYPESPEC_ARRAY_INFERRED;
		else
			ty.array_len = (int64_t)next(p).ival;
		*end = next(p).loc;
	}
	return ty;
}

/* ---- expressions ---- */

static struct node *parse_unary(struct parser *p);

/* Comma-separated expressions up to `close`; returns the count, or -1 on error. */
static int parse_list(struct parser *p, enum tok_kind close, const char *expecting,
		      struct node **head, struct loc *end)
{
	struct node **tail = head;
	int n = 0;
	*head = NULL;
	if (peek_kind(p, 0) == close) {
		*end = next(p).loc;
		return 0;
	}
	for (;;) {
		struct node *e = parse_expr(p);
		if (!e)
			return -1;
		append(&tail, e);
		n++;
		if (accept(p, T_COMMA))
			continue;
		if (!expect(p, close, expecting, end))
			return -1;
		return n;
	}
}

static bool is_field_name(enum tok_kind k)
{
	return k == T_IDENT || (k >= T_IF && k <= T_ENUM);
}

/* $0, or an index past LONG_MAX: bpftrace's parse error (the text is the digits after '$'). */
static bool bad_param_index(const struct token *t)
{
	const char *d = t->text;
	size_t n = t->len;
	while (n && *d == '0')
		d++, n--;
	return n == 0 || n > 19 || (n == 19 && memcmp(d, "9223372036854775807", 19) > 0);
}

static void bad_param(struct parser *p, const struct token *t, const struct loc *at)
{
	diag_error(p->d, at, "param $%.*s is out of integer range [1, 9223372036854775807]", (int)t->len, t->text);
}

static struct node *parse_call(struct parser *p, const struct token *name)
{
	struct node *n = mk(p, N_CALL, name->loc);
	struct loc end;
	next(p); /* ( */
	if (name->len == 3 && !memcmp(name->text, "str", 3) && peek_kind(p, 0) == T_POSITIONAL &&
	    bad_param_index(peek(p, 0))) {
		/* bpftrace 0.17 locates str($0) from the call's name to the parameter */
		struct loc at = loc_span(name->loc, peek(p, 0)->loc);
		bad_param(p, peek(p, 0), &at);
		p->param_reported = true;
	}
	n->u.call.name = tok_str(p, name);
	n->u.call.fn = builtin_find(name->text, name->len, BF_CALL, NULL);
	int nargs = parse_list(p, T_RPAREN, ") or \",\"", &n->u.call.args, &end);
	if (nargs < 0)
		return NULL;
	n->u.call.nargs = (unsigned)nargs;
	n->loc = loc_span(name->loc, end);
	return n;
}

static struct node *parse_sizeof(struct parser *p, const struct token *kw)
{
	struct node *n = mk(p, N_SIZEOF, kw->loc);
	struct loc end;
	struct type_shape s;
	if (!expect(p, T_LPAREN, "(", NULL))
		return NULL;
	n->u.size_of.ty.array_len = -1;
	if (looks_like_type(p, 0, &s))
		n->u.size_of.ty = parse_type(p, &s, &end);
	else if (!(n->u.size_of.expr = parse_expr(p)))
		return NULL;
	if (!expect(p, T_RPAREN, ")", &end))
		return NULL;
	n->loc = loc_span(kw->loc, end);
	return n;
}

static struct node *parse_offsetof(struct parser *p, const struct token *kw)
{
	struct node *n = mk(p, N_OFFSETOF, kw->loc);
	struct loc end;
	struct type_shape s;
	if (!expect(p, T_LPAREN, "(", NULL))
		return NULL;
	/* A type ends at the ',' rather than at a ')'; anything else is an expression (of a record type). */
	enum tok_kind k = peek_kind(p, 0);
	bool tagged = k == T_STRUCT || k == T_UNION || k == T_ENUM;
	const struct token *t0 = peek(p, 0);
	if (tagged && peek_kind(p, 1) != T_IDENT) {
		syntax_error(p, peek(p, 1), "identifier");
		return NULL;
	}
	if (tagged || (k == T_IDENT && peek_kind(p, 1) == T_COMMA && !is_builtin_name(t0->text, t0->len))) {
		s = (struct type_shape){ .ntok = tagged ? 2 : 1, .tagged = tagged };
		n->u.offset_of.ty = parse_type(p, &s, &end);
	} else if (!(n->u.offset_of.expr = parse_expr(p))) {
		return NULL;
	}
	if (!expect(p, T_COMMA, "\",\"", NULL))
		return NULL;
	char *path = NULL;
	do {
		const struct token *f = peek(p, 0);
		if (!is_field_name(f->kind)) {
			syntax_error(p, f, "identifier");
			return NULL;
		}
		path = path ? arena_printf(p->a, "%s.%.*s", path, (int)f->len, f->text)
			    : arena_strndup(p->a, f->text, f->len);
		next(p);
	} while (accept(p, T_DOT));
	n->u.offset_of.field = path;
	if (!expect(p, T_RPAREN, ")", &end))
		return NULL;
	n->loc = loc_span(kw->loc, end);
	return n;
}

static bool can_start_operand(enum tok_kind k, bool ambiguous_ok)
{
	switch (k) {
	case T_INT: case T_STRING: case T_TRUE: case T_FALSE: case T_VAR: case T_MAP:
	case T_POSITIONAL: case T_PARAMCOUNT: case T_IDENT: case T_SIZEOF: case T_OFFSETOF:
	case T_LPAREN: case T_BANG: case T_TILDE:
		return true;
	/* Also binary operators: "(x) - 1" subtracts unless x is a known type. */
	case T_MINUS: case T_STAR: case T_AMP: case T_INC: case T_DEC:
		return ambiguous_ok;
	default:
		return false;
	}
}

/* After '(': a cast, a tuple or a parenthesised expression. */
static struct node *parse_paren(struct parser *p, const struct token *open)
{
	struct type_shape s;
	struct loc end;
	if (looks_like_type(p, 0, &s)) {
		enum tok_kind after = peek_kind(p, s.ntok + 1);
		bool sure = s.tagged || s.decorated || is_base_type(peek(p, 0));
		if (can_start_operand(after, sure)) {
			struct node *n = mk(p, N_CAST, open->loc);
			n->u.cast.to = parse_type(p, &s, &end);
			next(p); /* ) */
			if (!enter(p))
				return NULL;
			n->u.cast.operand = parse_unary(p);
			leave(p);
			if (!n->u.cast.operand)
				return NULL;
			n->loc = loc_span(open->loc, n->u.cast.operand->loc);
			return n;
		}
	}
	struct node *e = parse_expr(p);
	if (!e)
		return NULL;
	if (peek_kind(p, 0) != T_COMMA) {
		if (!expect(p, T_RPAREN, ")", NULL))
			return NULL;
		return e;
	}
	struct node *t = mk(p, N_TUPLE, open->loc);
	struct node *rest;
	next(p);
	if (parse_list(p, T_RPAREN, ") or \",\"", &rest, &end) < 0)
		return NULL;
	e->next = rest;
	t->u.list.head = e;
	t->loc = loc_span(open->loc, end);
	return t;
}

static struct node *parse_primary(struct parser *p)
{
	struct token t = *peek(p, 0);
	struct node *n;
	switch (t.kind) {
	case T_INT:
		next(p);
		n = mk(p, N_INT, t.loc);
		n->u.integer.value = t.ival;
		return n;
	case T_STRING:
		next(p);
		n = mk(p, N_STRING, t.loc);
		n->u.string.s = t.sval;
		n->u.string.len = t.slen;
		return n;
	case T_TRUE:
	case T_FALSE:
		next(p);
		n = mk(p, N_BOOL, t.loc);
		n->u.boolean = t.kind == T_TRUE;
		return n;
	case T_VAR:
		next(p);
		n = mk(p, N_VAR, t.loc);
		n->u.ident.name = tok_str(p, &t);
		return n;
	case T_POSITIONAL:
		next(p);
		if (bad_param_index(&t) && !p->param_reported)
			bad_param(p, &t, &t.loc);
		p->param_reported = false;
		n = mk(p, N_POSITIONAL, t.loc);
		n->u.positional.index = (unsigned)t.ival;
		return n;
	case T_PARAMCOUNT:
		next(p);
		return mk(p, N_PARAMCOUNT, t.loc);
	case T_MAP: {
		next(p);
		n = mk(p, N_MAP, t.loc);
		n->u.map.name = tok_str(p, &t);
		if (peek_kind(p, 0) == T_LBRACKET) {
			struct loc end;
			next(p);
			if (peek_kind(p, 0) == T_RBRACKET) {
				syntax_error(p, peek(p, 0), NULL);
				return NULL;
			}
			int nkeys = parse_list(p, T_RBRACKET, "] or \",\"", &n->u.map.keys, &end);
			if (nkeys < 0)
				return NULL;
			n->u.map.nkeys = (unsigned)nkeys;
			n->loc = loc_span(t.loc, end);
		}
		return n;
	}
	case T_IDENT: {
		if (peek_kind(p, 1) == T_LPAREN) {
			next(p);
			return parse_call(p, &t);
		}
		next(p);
		unsigned index = 0;
		enum builtin b = builtin_find(t.text, t.len, BF_IDENT, &index);
		n = mk(p, b != B_NONE ? N_BUILTIN : N_IDENT, t.loc);
		n->u.ident.name = tok_str(p, &t);
		n->u.ident.builtin = b;
		n->u.ident.index = index;
		return n;
	}
	case T_SIZEOF:
		next(p);
		return parse_sizeof(p, &t);
	case T_OFFSETOF:
		next(p);
		return parse_offsetof(p, &t);
	case T_LPAREN:
		next(p);
		return parse_paren(p, &t);
	case T_LBRACE:
		return parse_block_expr(p);
	default:
		syntax_error(p, &t, NULL);
		return NULL;
	}
}

static struct node *parse_postfix(struct parser *p)
{
	struct chain c;
	chain_start(p, &c);
	struct node *n = parse_primary(p);
	while (n) {
		struct token t = *peek(p, 0);
		if (t.kind == T_DOT || t.kind == T_ARROW) {
			next(p);
			struct token f = *peek(p, 0);
			struct node *fn = mk(p, N_FIELD, loc_span(n->loc, f.loc));
			fn->u.field.base = n;
			fn->u.field.arrow = t.kind == T_ARROW;
			if (f.kind == T_INT && t.kind == T_DOT) {
				fn->u.field.tuple_index = true;
				fn->u.field.index = (unsigned)f.ival;
			} else if (!is_field_name(f.kind)) {
				syntax_error(p, &f, "identifier");
				return NULL;
			}
			fn->u.field.name = tok_str(p, &f);
			next(p);
			n = fn;
		} else if (t.kind == T_LBRACKET) {
			struct loc end;
			next(p);
			struct node *in = mk(p, N_INDEX, n->loc);
			in->u.index.base = n;
			if (!(in->u.index.index = parse_expr(p)) || !expect(p, T_RBRACKET, "]", &end))
				return NULL;
			in->loc = loc_span(n->loc, end);
			n = in;
		} else if (t.kind == T_INC || t.kind == T_DEC) {
			next(p);
			struct node *id = mk(p, N_INCDEC, loc_span(n->loc, t.loc));
			id->u.incdec.operand = n;
			id->u.incdec.increment = t.kind == T_INC;
			n = id;
		} else {
			break;
		}
		if (!chain_link(p, &c, &t.loc))
			n = NULL;
	}
	chain_end(p, &c);
	return n;
}

static struct node *parse_unary(struct parser *p)
{
	struct token t = *peek(p, 0);
	enum op op;
	switch (t.kind) {
	case T_MINUS: op = OP_NEG; break;
	case T_BANG: op = OP_LNOT; break;
	case T_TILDE: op = OP_BNOT; break;
	case T_STAR: op = OP_DEREF; break;
	case T_AMP: op = OP_ADDR; break;
	case T_INC:
	case T_DEC: op = OP_NONE; break;
	default: return parse_postfix(p);
	}
	if (!enter(p))
		return NULL;
	next(p);
	struct node *operand = parse_unary(p);
	leave(p);
	if (!operand)
		return NULL;
	struct node *n;
	if (op == OP_NONE) {
		n = mk(p, N_INCDEC, loc_span(t.loc, operand->loc));
		n->u.incdec.operand = operand;
		n->u.incdec.increment = t.kind == T_INC;
		n->u.incdec.prefix = true;
	} else {
		n = mk(p, N_UNOP, loc_span(t.loc, operand->loc));
		n->u.unop.op = op;
		n->u.unop.operand = operand;
	}
	return n;
}

/* Binary operators by precedence, loosest first; all associate to the left. */
static const struct {
	enum tok_kind tok;
	enum op op;
	unsigned level;
} binops[] = {
	{ T_LOR, OP_LOR, 0 },  { T_LAND, OP_LAND, 1 }, { T_PIPE, OP_BOR, 2 },  { T_CARET, OP_BXOR, 3 },
	{ T_AMP, OP_BAND, 4 }, { T_EQ, OP_EQ, 5 },     { T_NE, OP_NE, 5 },     { T_LT, OP_LT, 6 },
	{ T_LE, OP_LE, 6 },    { T_GT, OP_GT, 6 },     { T_GE, OP_GE, 6 },     { T_SHL, OP_SHL, 7 },
	{ T_SHR, OP_SHR, 7 },  { T_PLUS, OP_ADD, 8 },  { T_MINUS, OP_SUB, 8 }, { T_STAR, OP_MUL, 9 },
	{ T_SLASH, OP_DIV, 9 }, { T_PERCENT, OP_MOD, 9 },
};
#define BINARY_LEVELS 10

static bool binop_at(enum tok_kind k, unsigned level, enum op *op)
{
	for (size_t i = 0; i < sizeof(binops) / sizeof(binops[0]); i++)
		if (binops[i].tok == k && binops[i].level == level) {
			*op = binops[i].op;
			return true;
		}
	return false;
}

static struct node *parse_binary(struct parser *p, unsigned level)
{
	if (level == BINARY_LEVELS)
		return parse_unary(p);
	struct chain c;
	chain_start(p, &c);
	struct node *left = parse_binary(p, level + 1);
	enum op op;
	while (left && binop_at(peek_kind(p, 0), level, &op)) {
		struct loc at = next(p).loc;
		struct node *right = parse_binary(p, level + 1);
		if (!right || !chain_link(p, &c, &at)) {
			left = NULL;
			break;
		}
		struct node *n = mk(p, N_BINOP, loc_span(left->loc, right->loc));
		n->u.binop.op = op;
		n->u.binop.op_loc = at;
		n->u.binop.left = left;
		n->u.binop.right = right;
		left = n;
	}
	chain_end(p, &c);
	return left;
}

struct node *parse_expr(struct parser *p)
{
	if (!enter(p))
		return NULL;
	struct node *n = parse_binary(p, 0);
	if (n && accept(p, T_QUESTION)) {
		struct node *t = mk(p, N_TERNARY, n->loc);
		t->u.ternary.cond = n;
		bool elvis = accept(p, T_COLON); /* a ?: b, then is NULL */
		if ((!elvis && (!(t->u.ternary.then = parse_expr(p)) || !expect(p, T_COLON, ":", NULL))) ||
		    !(t->u.ternary.else_ = parse_expr(p))) {
			n = NULL;
		} else {
			t->loc = loc_span(n->loc, t->u.ternary.else_->loc);
			n = t;
		}
	}
	leave(p);
	return n;
}

/* ---- statements ---- */


/* A block where one is required (after if, while, ...). */
static struct node *require_block(struct parser *p)
{
	if (peek_kind(p, 0) != T_LBRACE) {
		syntax_error(p, peek(p, 0), "{");
		return NULL;
	}
	return parse_block(p);
}

static struct node *parse_if(struct parser *p)
{
	struct token kw = next(p);
	struct node *n = mk(p, N_IF, kw.loc);
	if (!(n->u.if_.cond = parse_expr(p)) || !(n->u.if_.then = require_block(p)))
		return NULL;
	n->loc = loc_span(kw.loc, n->u.if_.then->loc);
	if (accept(p, T_ELSE)) {
		if (peek_kind(p, 0) == T_IF) {
			/* else if ...: one level deeper each */
			if (!descend(p, &peek(p, 0)->loc))
				return NULL;
			n->u.if_.else_ = parse_if(p);
			p->level--;
		} else {
			n->u.if_.else_ = require_block(p);
		}
		if (!n->u.if_.else_)
			return NULL;
		n->loc = loc_span(kw.loc, n->u.if_.else_->loc);
	}
	return n;
}

static struct node *parse_for(struct parser *p)
{
	struct token kw = next(p);
	bool paren = accept(p, T_LPAREN); /* for $x : ... { } needs none (bpftrace 0.23) */
	struct token v = *peek(p, 0);
	if (v.kind != T_VAR) {
		syntax_error(p, &v, paren ? "variable" : "( or variable");
		return NULL;
	}
	next(p);
	struct node *var = mk(p, N_VAR, v.loc);
	var->u.ident.name = tok_str(p, &v);
	if (!expect(p, T_COLON, ":", NULL))
		return NULL;
	struct node *what = parse_expr(p), *n;
	if (!what)
		return NULL;
	if (accept(p, T_DOTDOT)) {
		n = mk(p, N_FOR_RANGE, kw.loc);
		n->u.for_range.var = var;
		n->u.for_range.lo = what;
		if (!(n->u.for_range.hi = parse_expr(p)))
			return NULL;
	} else if (what->kind == N_MAP && what->u.map.nkeys == 0) {
		n = mk(p, N_FOR_MAP, kw.loc);
		n->u.for_map.var = var;
		n->u.for_map.map = what;
	} else {
		diag_error(p->d, &what->loc, "for loop must iterate over a map or a range (lo..hi)");
		p->recovering = true;
		return NULL;
	}
	struct node *body;
	if ((paren && !expect(p, T_RPAREN, ")", NULL)) || !(body = require_block(p)))
		return NULL;
	if (n->kind == N_FOR_RANGE)
		n->u.for_range.body = body;
	else
		n->u.for_map.body = body;
	n->loc = loc_span(kw.loc, body->loc);
	return n;
}

static bool assign_op(enum tok_kind k, enum op *op)
{
	static const struct {
		enum tok_kind tok;
		enum op op;
	} ops[] = {
		{ T_ASSIGN, OP_NONE },	   { T_ADD_ASSIGN, OP_ADD }, { T_SUB_ASSIGN, OP_SUB },
		{ T_MUL_ASSIGN, OP_MUL },  { T_DIV_ASSIGN, OP_DIV }, { T_MOD_ASSIGN, OP_MOD },
		{ T_AND_ASSIGN, OP_BAND }, { T_OR_ASSIGN, OP_BOR },  { T_XOR_ASSIGN, OP_BXOR },
		{ T_SHL_ASSIGN, OP_SHL },  { T_SHR_ASSIGN, OP_SHR },
	};
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (ops[i].tok == k) {
			*op = ops[i].op;
			return true;
		}
	return false;
}

static bool is_lvalue(const struct node *n)
{
	return n->kind == N_VAR || n->kind == N_MAP || n->kind == N_FIELD || n->kind == N_INDEX ||
	       (n->kind == N_UNOP && n->u.unop.op == OP_DEREF);
}

/* An expression statement or an assignment. */
static struct node *parse_simple(struct parser *p)
{
	struct node *e = parse_expr(p);
	if (!e)
		return NULL;
	enum op op;
	if (assign_op(peek_kind(p, 0), &op)) {
		if (!is_lvalue(e)) {
			syntax_error(p, peek(p, 0), NULL);
			return NULL;
		}
		struct loc op_loc = peek(p, 0)->loc;
		next(p);
		struct node *n = mk(p, N_ASSIGN, e->loc);
		n->u.assign.op_loc = op_loc;
		n->u.assign.target = e;
		n->u.assign.op = op;
		if (!(n->u.assign.value = parse_expr(p)))
			return NULL;
		n->loc = loc_span(e->loc, n->u.assign.value->loc);
		return n;
	}
	struct node *n = mk(p, N_EXPR_STMT, e->loc);
	n->u.unary.operand = e;
	return n;
}

/* One statement; *block_like is set for those that need no ';' after them. */
struct node *parse_stmt(struct parser *p, bool *block_like)
{
	struct token t = *peek(p, 0);
	struct node *n;
	*block_like = true;
	switch (t.kind) {
	case T_LBRACE:
		return parse_block(p);
	case T_IF:
		return parse_if(p);
	case T_FOR:
		return parse_for(p);
	case T_UNROLL:
	case T_WHILE:
		next(p);
		n = mk(p, t.kind == T_UNROLL ? N_UNROLL : N_WHILE, t.loc);
		/* unroll needs its parentheses; a while condition is any expression */
		if (t.kind == T_UNROLL && !expect(p, T_LPAREN, "(", NULL))
			return NULL;
		if (!(n->u.loop.cond = parse_expr(p)))
			return NULL;
		if (t.kind == T_UNROLL && !expect(p, T_RPAREN, ")", NULL))
			return NULL;
		if (!(n->u.loop.body = require_block(p)))
			return NULL;
		n->loc = loc_span(t.loc, n->u.loop.body->loc);
		return n;
	default:
		break;
	}
	*block_like = false;
	switch (t.kind) {
	case T_BREAK:
	case T_CONTINUE:
		next(p);
		return mk(p, t.kind == T_BREAK ? N_BREAK : N_CONTINUE, t.loc);
	case T_LET:
		return parse_let(p);
	case T_RETURN:
		next(p);
		n = mk(p, N_RETURN, t.loc);
		if (peek_kind(p, 0) != T_SEMI && peek_kind(p, 0) != T_RBRACE) {
			if (!(n->u.unary.operand = parse_expr(p)))
				return NULL;
			n->loc = loc_span(t.loc, n->u.unary.operand->loc);
		}
		return n;
	case T_IDENT:
		if (t.len == 1 && t.text[0] == '_' && peek_kind(p, 1) == T_ASSIGN) { /* _ = expr: the value discarded */
			next(p);
			next(p);
			struct node *e = parse_expr(p);
			if (!e)
				return NULL;
			n = mk(p, N_EXPR_STMT, loc_span(t.loc, e->loc));
			n->u.unary.operand = e;
			return n;
		}
		return parse_simple(p);
	default:
		return parse_simple(p);
	}
}

/* '{' statements '}': ';' separates statements, may be left out before '}' and after blocks. */
struct node *parse_block(struct parser *p)
{
	struct token open = next(p);
	struct node *b = mk(p, N_BLOCK, open.loc);
	struct node **tail = &b->u.list.head;
	if (!enter(p))
		return NULL;
	for (;;) {
		struct token t = *peek(p, 0);
		if (t.kind == T_RBRACE) {
			next(p);
			b->loc = loc_span(open.loc, t.loc);
			break;
		}
		if (t.kind == T_EOF) {
			syntax_error(p, &t, "}");
			break;
		}
		if (accept(p, T_SEMI))
			continue;
		bool block_like;
		struct node *s = parse_stmt(p, &block_like);
		if (!s || p->recovering) {
			resync(p);
			continue;
		}
		append(&tail, s);
		enum tok_kind k = peek_kind(p, 0);
		p->semi_after_last = k == T_SEMI;
		if (k == T_SEMI) {
			next(p);
		} else if (k != T_RBRACE && !block_like) {
			syntax_error(p, peek(p, 0), "; or }");
			resync(p);
		}
	}
	leave(p);
	return b;
}

/* ---- top level ---- */

/* $N in an attach point is the positional parameter's text (bpftrace: interval:ms:$1, uprobe:$1:main, $1). */
static const char *substitute_positionals(struct parser *p, const char *text)
{
	if (!strchr(text, '$'))
		return text;
	size_t cap = strlen(text) + 1, len = 0;
	for (int i = 0; i < p->npositional; i++)
		cap += strlen(p->positional[i]);
	char *out = arena_zalloc(p->a, cap * 2);
	for (const char *c = text; *c;) {
		if (c[0] == '$' && isdigit((unsigned char)c[1])) {
			char *end;
			unsigned long i = strtoul(c + 1, &end, 10);
			const char *v = i >= 1 && i <= (unsigned long)p->npositional ? p->positional[i - 1] : "";
			size_t vl = strlen(v);
			if (len + vl >= cap * 2)
				break;
			memcpy(out + len, v, vl);
			len += vl;
			c = end;
			continue;
		}
		if (len + 1 >= cap * 2)
			break;
		out[len++] = *c++;
	}
	return out;
}

static struct node *parse_attach(struct parser *p, const struct token *t)
{
	struct node *n = mk(p, N_ATTACH, t->loc);
	const char *text = substitute_positionals(p, tok_str(p, t));
	const char *colon = strchr(text, ':');
	n->u.attach.text = text;
	n->u.attach.type = colon ? arena_strndup(p->a, text, (size_t)(colon - text)) : text;
	n->u.attach.target = colon ? colon + 1 : "";
	return n;
}

/* After an error in a probe's header: skip to its body, if it has one. */
static void skip_to_body(struct parser *p)
{
	while (peek_kind(p, 0) != T_EOF && peek_kind(p, 0) != T_LBRACE)
		next(p);
	p->recovering = false;
}

static bool is_core_attach(const struct node *ap)
{
	return !strcasecmp(ap->u.attach.type, "BEGIN") || !strcasecmp(ap->u.attach.type, "END");
}

/*
 * BEGIN and END run apart from provider probes, so a list that mixes them
 * (BEGIN,END { } or BEGIN,interval:s:1 { }) becomes one probe per BEGIN or
 * END, each with its own copy of the filter and body, after the rest.
 */
static struct node *split_core_probes(struct parser *p, struct node *n)
{
	if (!n->u.probe.attach->next)
		return n;
	struct node *split = NULL, **tail = &split, **ap = &n->u.probe.attach;
	while (*ap) {
		struct node *at = *ap;
		if (!is_core_attach(at) || (at == n->u.probe.attach && !at->next)) {
			ap = &at->next;
			continue;
		}
		*ap = at->next;
		at->next = NULL;
		struct node *c = mk(p, N_PROBE, at->loc);
		c->u.probe.attach = at;
		c->u.probe.filter = ast_clone(p->a, n->u.probe.filter);
		c->u.probe.body = ast_clone(p->a, n->u.probe.body);
		c->u.probe.index = p->nprobes++;
		append(&tail, c);
	}
	if (!n->u.probe.attach)
		return split;
	n->next = split;
	return n;
}

static struct node *parse_probe(struct parser *p)
{
	struct node *n = mk(p, N_PROBE, (struct loc){ 0 });
	struct node **tail = &n->u.probe.attach;
	struct token t;
	n->u.probe.index = p->nprobes++;
	do {
		if (!lexer_attach(&p->lx, &t)) {
			/* Nothing that can be an attach point: '{' with no name, ';', ... */
			struct token bad = *peek(p, 0);
			syntax_error(p, &bad, NULL);
			if (bad.kind != T_LBRACE && bad.kind != T_EOF)
				next(p);
			break;
		}
		struct node *ap = parse_attach(p, &t);
		n->loc = n->u.probe.attach ? loc_span(n->loc, ap->loc) : ap->loc;
		append(&tail, ap);
	} while (lexer_accept_char(&p->lx, ','));

	if (!p->recovering && lexer_accept_char(&p->lx, '/')) {
		n->u.probe.filter = parse_expr(p);
		if (n->u.probe.filter)
			expect(p, T_ENDPRED, "/", NULL);
	}
	if (!p->recovering && peek_kind(p, 0) != T_LBRACE)
		syntax_error(p, peek(p, 0), "{");
	if (p->recovering)
		skip_to_body(p);
	if (peek_kind(p, 0) != T_LBRACE)
		return NULL;
	n->u.probe.body = parse_block(p);
	p->recovering = false;
	if (!n->u.probe.attach || !n->u.probe.body)
		return NULL;
	return split_core_probes(p, n);
}

/* The top-level items of p's source into prog; false if there were none. */
bool parse_top(struct parser *p, struct node *prog)
{
	struct node **cdefs = &prog->u.program.cdefs, **probes = &prog->u.program.probes;
	while (*cdefs)
		cdefs = &(*cdefs)->next;
	while (*probes)
		probes = &(*probes)->next;
	bool empty = true;

	/* Top-level items are read raw: a probe's attach points are not tokens. */
	for (;;) {
		p->recovering = false;
		if (p->nbuf) {
			/* A token left over by error recovery. */
			if (peek_kind(p, 0) == T_EOF)
				break;
			syntax_error(p, peek(p, 0), NULL);
			next(p);
			continue;
		}
		if (lexer_peek_char(&p->lx) < 0)
			break;
		empty = false;
		if (lexer_at_cdef(&p->lx)) {
			append(&cdefs, parse_cdef(p));
		} else if (lexer_at_config(&p->lx)) {
			struct loc where = peek(p, 0)->loc;
			struct node *cfg = parse_config(p);
			if (prog->u.program.config)
				diag_error(p->d, &where, "config block must appear only once");
			else if (p->lx.loc_src)
				diag_error(p->d, &where, "a config block belongs in the main script, not in an imported one");
			else
				prog->u.program.config = cfg;
		} else if (parse_decl(p, prog)) {
			/* an import may have appended items of its own */
			while (*cdefs)
				cdefs = &(*cdefs)->next;
			while (*probes)
				probes = &(*probes)->next;
		} else {
			for (struct node *probe = parse_probe(p), *next; probe; probe = next) {
				next = probe->next; /* several after a split */
				probe->next = NULL;
				append(&probes, probe);
			}
			continue;
		}
		lexer_accept_char(&p->lx, ';');
	}
	lexer_finish(&p->lx);
	return !empty;
}

int parse_program(struct arena *a, const struct source *src, const struct parse_opts *opts,
		  struct diags *d, struct node **out)
{
	struct parser *p = arena_zalloc(a, sizeof(*p));
	p->a = a;
	p->d = d;
	p->opts = opts;
	if (opts) {
		p->positional = opts->positional;
		p->npositional = opts->npositional;
	}
	lexer_init(&p->lx, a, src, d, opts && opts->have_btf);
	unsigned nerrors = d->nerrors;
	if (opts) {
		p->lx.incdirs = opts->incdirs;
		for (const char *const *inc = opts->includes; inc && *inc; inc++)
			if (lexer_include(&p->lx, *inc) < 0)
				diag_error(d, NULL, "'%s' file not found", *inc);
	}
	struct node *prog = mk(p, N_PROGRAM, (struct loc){ 0 });
	bool empty = !parse_top(p, prog);
	if (empty && d->nerrors == nerrors)
		diag_error(d, NULL, "Program is empty");
	else if (!prog->u.program.probes && d->nerrors == nerrors)
		diag_error(d, NULL, "No probes in program");
	if (d->nerrors == nerrors)
		macro_expand(a, prog, d);
	if (d->nerrors != nerrors)
		return -EINVAL;
	*out = prog;
	return 0;
}
