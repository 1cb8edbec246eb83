/*
 * The parser's state and token helpers, shared by parser.c and the files
 * that parse the newer constructs (parser_decl.c: let, map declarations,
 * macros and block expressions).
 */
#ifndef STROBE_PARSER_INTERNAL_H
#define STROBE_PARSER_INTERNAL_H

#include <string.h>

#include "ast.h"
#include "lexer.h"

#define LOOKAHEAD 16
/* Deeper nesting than this is surely garbage; stop before the C stack runs out. */
#define MAX_DEPTH 200
/* (the tree it builds is at most MAX_TREE_DEPTH deep, ast.h) */

struct parser {
	struct lexer lx;
	struct arena *a;
	struct diags *d;
	struct token buf[LOOKAHEAD]; /* tokens read ahead, buf[0] is next */
	unsigned nbuf;
	bool recovering;   /* a syntax error was reported; quiet until resynchronised */
	bool eof_reported; /* nothing more can be said after "unexpected end of file" */
	unsigned depth; /* the parser's own recursion (enter), at most MAX_DEPTH */
	unsigned level; /* the tree's depth here, at most MAX_TREE_DEPTH: nestings and chain links */
	unsigned reach; /* the deepest level of the nodes built since a chain reset it (chain_link) */
	bool semi_after_last; /* parse_block: its last statement was followed by ';' */
	unsigned nprobes;
	char *const *positional;
	int npositional;
	const struct parse_opts *opts;
	struct import_state *imports; /* the files imported so far (parser_decl.c), shared with imported parsers */
	bool param_reported; /* str($0): parse_call reported the next positional, located at the call */
};

/* The top-level items of p's source into prog (parser.c); false if there were none. */
bool parse_top(struct parser *p, struct node *prog);

static inline const struct token *peek(struct parser *p, unsigned k)
{
	while (p->nbuf <= k)
		lexer_next(&p->lx, &p->buf[p->nbuf++]);
	return &p->buf[k];
}

static inline enum tok_kind peek_kind(struct parser *p, unsigned k)
{
	return peek(p, k)->kind;
}

static inline struct token next(struct parser *p)
{
	struct token t = *peek(p, 0);
	if (t.kind != T_EOF) {
		p->nbuf--;
		memmove(&p->buf[0], &p->buf[1], p->nbuf * sizeof(p->buf[0]));
	}
	return t;
}

static inline void syntax_error(struct parser *p, const struct token *t, const char *expecting)
{
	if (p->recovering || p->eof_reported)
		return;
	p->recovering = true;
	p->eof_reported = t->kind == T_EOF;
	if (expecting)
		diag_error(p->d, &t->loc, "syntax error, unexpected %s, expecting %s", tok_name(t),
			   expecting);
	else
		diag_error(p->d, &t->loc, "syntax error, unexpected %s", tok_name(t));
}

static inline bool accept(struct parser *p, enum tok_kind k)
{
	if (peek_kind(p, 0) != k)
		return false;
	next(p);
	return true;
}

/* Consume a k token or report it missing; *end gets its location. */
static inline bool expect(struct parser *p, enum tok_kind k, const char *what, struct loc *end)
{
	const struct token *t = peek(p, 0);
	if (t->kind != k) {
		syntax_error(p, t, what);
		return false;
	}
	if (end)
		*end = t->loc;
	next(p);
	return true;
}

/* Skip to just after the next ';' or to the '}' closing the current block. */
static inline void resync(struct parser *p)
{
	unsigned depth = 0;
	for (;;) {
		enum tok_kind k = peek_kind(p, 0);
		if (k == T_EOF || (k == T_RBRACE && depth == 0))
			break;
		next(p);
		if (k == T_SEMI && depth == 0)
			break;
		if (k == T_LBRACE)
			depth++;
		else if (k == T_RBRACE)
			depth--;
	}
	p->recovering = false;
}

static inline bool too_deep(struct parser *p, const struct loc *at)
{
	if (!p->recovering)
		diag_error(p->d, at, "program nested too deeply");
	p->recovering = true;
	return false;
}

/* One level down the tree (an else-if's else); p->level-- after. */
static inline bool descend(struct parser *p, const struct loc *at)
{
	if (p->level >= MAX_TREE_DEPTH)
		return too_deep(p, at);
	if (++p->level > p->reach)
		p->reach = p->level;
	return true;
}

/* One level down, by a recursion of the parser's; leave() after. */
static inline bool enter(struct parser *p)
{
	if (p->depth >= MAX_DEPTH || !descend(p, &peek(p, 0)->loc))
		return too_deep(p, &peek(p, 0)->loc);
	p->depth++;
	return true;
}

static inline void leave(struct parser *p)
{
	p->depth--;
	p->level--;
}

/*
 * A left-deep chain: chain_start before its first operand, chain_link for each node
 * made over the chain so far and the operand just read (if any), which puts the
 * chain one level deeper; false, with "nested too deeply" at `at`, beyond
 * MAX_TREE_DEPTH. chain_end when done.
 */
struct chain {
	unsigned outer; /* p->reach before the chain */
	unsigned reach; /* the deepest level in the chain so far */
};

static inline void chain_start(struct parser *p, struct chain *c)
{
	c->outer = p->reach;
	c->reach = p->reach = p->level;
}

static inline bool chain_link(struct parser *p, struct chain *c, const struct loc *at)
{
	c->reach = (p->reach > c->reach ? p->reach : c->reach) + 1;
	p->reach = p->level; /* for the next operand */
	return c->reach <= MAX_TREE_DEPTH || too_deep(p, at);
}

static inline void chain_end(struct parser *p, struct chain *c)
{
	if (p->reach > c->reach)
		c->reach = p->reach;
	p->reach = c->outer > c->reach ? c->outer : c->reach;
}

static inline struct node *mk(struct parser *p, enum node_kind k, struct loc loc)
{
	struct node *n = arena_zalloc(p->a, sizeof(*n));
	n->kind = k;
	n->loc = loc;
	return n;
}

static inline const char *tok_str(struct parser *p, const struct token *t)
{
	return arena_strndup(p->a, t->text, t->len);
}

/* Append n to the list whose last `next` pointer is *tail. */
static inline void append(struct node ***tail, struct node *n)
{
	**tail = n;
	*tail = &n->next;
}

struct type_shape {
	unsigned ntok;    /* tokens in the type, up to the ')' */
	bool tagged;      /* struct/union/enum X */
	bool decorated;   /* has '*' or '[N]' */
};

/* parser.c */
struct node *parse_expr(struct parser *p);
struct node *parse_block(struct parser *p);
/* One statement; *block_like is set for those that need no ';' after them. */
struct node *parse_stmt(struct parser *p, bool *block_like);
/* Read a type whose shape is known; *end is its last token's location. */
struct typespec parse_type(struct parser *p, const struct type_shape *s, struct loc *end);

/* parser_decl.c */
/* let $x [: type] [= value] (the next token is `let`) */
struct node *parse_let(struct parser *p);
/* `{ statements; expression }` in an expression's place (the next token is '{'). */
struct node *parse_block_expr(struct parser *p);
/* Top level: `let @m = hash(N);` or `macro name(args) { ... }`; false if neither starts here. */
bool parse_decl(struct parser *p, struct node *prog);
/* Top-level items that are not probes (parser_decl.c): a C definition, `config = { ... }`. */
struct node *parse_cdef(struct parser *p);
struct node *parse_config(struct parser *p);

#endif
