/*
 * Lexer with the preprocessor built in: comments, object-like #define,
 * #include (a header's object-like macros), #if/#ifdef/#ifndef/#elif/#else/#endif.
 */
#include "lexer.h"

#include "headers.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "builtins.h"

struct macro {
	const char *name;
	size_t nlen;
	const char *body;
	size_t blen;
	struct macro *next;
};

/* ---- cursors ---- */

static int cur_peek(const struct lex_cursor *c, size_t k)
{
	return c->p + k < c->end ? (unsigned char)c->p[k] : -1;
}

static void cur_adv(struct lex_cursor *c)
{
	if (*c->p == '\n') {
		c->line++;
		c->col = 1;
	} else {
		c->col++;
	}
	c->p++;
}

static struct lex_cursor *cur(struct lexer *lx)
{
	return lx->nexp ? &lx->exp[lx->nexp - 1].cur : &lx->main;
}

static bool is_ident_start(int c)
{
	return c == '_' || (c >= 0 && isalpha(c));
}

static bool is_ident_char(int c)
{
	return c == '_' || (c >= 0 && isalnum(c));
}

/* Location of the text between cursor positions a and b; a macro's use site inside an expansion. */
static struct loc span(const struct lexer *lx, const struct lex_cursor *a, const struct lex_cursor *b)
{
	if (lx->nexp)
		return lx->exp[0].use;
	return (struct loc){ a->line, a->col, b->line, b->col, .src = lx->loc_src };
}

/* From a to the end of a's line: used for errors that run to end of line or file. */
static struct loc span_to_eol(const struct lexer *lx, const struct lex_cursor *a)
{
	struct lex_cursor b = *a;
	while (b.p < b.end && *b.p != '\n')
		cur_adv(&b);
	if (b.col == a->col)
		b.col++;
	return span(lx, a, &b);
}

/* ---- macros ---- */

static struct macro *macro_find(const struct lexer *lx, const char *name, size_t n)
{
	for (struct macro *m = lx->macros; m; m = m->next)
		if (m->nlen == n && memcmp(m->name, name, n) == 0)
			return m;
	return NULL;
}

static void macro_define(struct lexer *lx, const char *name, size_t n, const char *body, size_t blen)
{
	struct macro *m = macro_find(lx, name, n);
	if (!m) {
		m = arena_zalloc(lx->arena, sizeof(*m));
		m->name = name;
		m->nlen = n;
		m->next = lx->macros;
		lx->macros = m;
	}
	m->body = body;
	m->blen = blen;
}

static void macro_undef(struct lexer *lx, const char *name, size_t n)
{
	for (struct macro **pm = &lx->macros; *pm; pm = &(*pm)->next)
		if ((*pm)->nlen == n && memcmp((*pm)->name, name, n) == 0) {
			*pm = (*pm)->next;
			return;
		}
}

static void header_define(void *ctx, const char *name, size_t n, const char *body, size_t blen)
{
	macro_define(ctx, name, n, body, blen);
}

/*
 * Kernel headers (<linux/...>, <net/...>, <asm/...>): their types come from
 * BTF, so one that is not installed (no kernel headers here, as is usual) is
 * no error; bpftrace's own tools include <net/sock.h> and the like.
 */
static bool kernel_header(const char *name)
{
	static const char *const dirs[] = { "linux/", "net/", "asm/", "asm-generic/", "uapi/", "trace/",
					    "generated/", "scsi/", "crypto/", "drm/", "media/", "rdma/",
					    "sound/", "keys/", "xen/", "kvm/", "acpi/", "video/", "soc/",
					    "misc/", "target/", "dt-bindings/", "clocksource/", "ras/",
					    "cxl/", "kunit/", "vdso/", "ufs/", "pcmcia/", "math-emu/" };
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (!strncmp(name, dirs[i], strlen(dirs[i])))
			return true;
	return false;
}

int lexer_include(struct lexer *lx, const char *name)
{
	if (header_include(lx->arena, lx->incdirs, name, false, NULL, header_define, lx) == 0)
		return 0;
	return lx->have_btf && kernel_header(name) ? 0 : -1;
}

/*
 * #include <x> / "x": the header's macros. A header found nowhere on the
 * include path is an error, as with bpftrace's clang ("'x' file not found"),
 * located at the name; a kernel header needs no file when BTF has the types.
 */
static void pp_include(struct lexer *lx, const struct lex_cursor *start, const char *p, const char *eol)
{
	while (p < eol && (*p == ' ' || *p == '\t'))
		p++;
	if (p >= eol || (*p != '<' && *p != '"'))
		return;
	char close = *p == '<' ? '>' : '"';
	const char *q = memchr(p + 1, close, (size_t)(eol - p - 1));
	if (!q)
		return;
	char *name = arena_strndup(lx->arena, p + 1, (size_t)(q - p - 1));
	char *dir = NULL;
	const char *slash = lx->src->name ? strrchr(lx->src->name, '/') : NULL;
	if (close == '"')
		dir = slash ? arena_strndup(lx->arena, lx->src->name, (size_t)(slash - lx->src->name)) : ".";
	if (header_include(lx->arena, lx->incdirs, name, close == '"', dir, header_define, lx) == 0 ||
	    (lx->have_btf && kernel_header(name)))
		return;
	struct lex_cursor a = *start, b;
	while (a.p < p)
		cur_adv(&a);
	b = a;
	while (b.p <= q)
		cur_adv(&b);
	struct loc l = span(lx, &a, &b);
	diag_error(lx->diags, &l, "'%s' file not found", name);
}

/* ---- whitespace, comments, directives ---- */

static bool cond_active(const struct lexer *lx)
{
	return lx->ncond == 0 || lx->cond[lx->ncond - 1].active;
}

/* Skip a comment at c if there is one; report one that never ends. */
static bool skip_comment(struct lexer *lx, struct lex_cursor *c)
{
	if (cur_peek(c, 0) != '/')
		return false;
	if (cur_peek(c, 1) == '/') {
		while (c->p < c->end && *c->p != '\n')
			cur_adv(c);
		return true;
	}
	if (cur_peek(c, 1) != '*')
		return false;
	struct lex_cursor start = *c;
	cur_adv(c);
	cur_adv(c);
	for (;;) {
		if (c->p >= c->end) {
			struct loc l = span_to_eol(lx, &start);
			diag_error(lx->diags, &l, "end of file during comment");
			lx->last.loc = l; /* "unexpected end of file" points here too */
			return true;
		}
		if (cur_peek(c, 0) == '*' && cur_peek(c, 1) == '/') {
			cur_adv(c);
			cur_adv(c);
			return true;
		}
		cur_adv(c);
	}
}

/* Non-destructive skip of whitespace and comments on a copy (for lookahead). */
static void skip_blank_copy(struct lex_cursor *c)
{
	for (;;) {
		int ch = cur_peek(c, 0);
		if (ch >= 0 && isspace(ch)) {
			cur_adv(c);
		} else if (ch == '/' && cur_peek(c, 1) == '/') {
			while (c->p < c->end && *c->p != '\n')
				cur_adv(c);
		} else if (ch == '/' && cur_peek(c, 1) == '*') {
			const char *e = memmem(c->p + 2, (size_t)(c->end - c->p - 2), "*/", 2);
			if (!e)
				return;
			while (c->p < e + 2)
				cur_adv(c);
		} else {
			return;
		}
	}
}

struct pp_eval {
	struct lexer *lx;
	const char *p, *end;
	unsigned depth;
	bool bad;
};

static void pp_blank(struct pp_eval *e)
{
	while (e->p < e->end && (*e->p == ' ' || *e->p == '\t'))
		e->p++;
}

static bool pp_accept(struct pp_eval *e, const char *s)
{
	pp_blank(e);
	size_t n = strlen(s);
	if ((size_t)(e->end - e->p) >= n && memcmp(e->p, s, n) == 0) {
		e->p += n;
		return true;
	}
	return false;
}

static size_t pp_ident(struct pp_eval *e, const char **name)
{
	pp_blank(e);
	*name = e->p;
	while (e->p < e->end && is_ident_char((unsigned char)*e->p))
		e->p++;
	return (size_t)(e->p - *name);
}

static int64_t pp_or(struct pp_eval *e);

static int64_t pp_primary(struct pp_eval *e)
{
	const char *name;
	if (++e->depth > 100) {
		e->bad = true;
		return 0;
	}
	int64_t v = 0;
	pp_blank(e);
	if (pp_accept(e, "!")) {
		v = !pp_primary(e);
	} else if (pp_accept(e, "-")) {
		v = -pp_primary(e);
	} else if (pp_accept(e, "(")) {
		v = pp_or(e);
		e->bad |= !pp_accept(e, ")");
	} else if (e->p < e->end && isdigit((unsigned char)*e->p)) {
		const char *s = e->p;
		while (e->p < e->end && is_ident_char((unsigned char)*e->p))
			e->p++;
		uint64_t u = 0;
		e->bad |= int_literal(s, (size_t)(e->p - s), &u) != INT_OK;
		v = (int64_t)u;
	} else {
		size_t n = pp_ident(e, &name);
		if (n == 7 && memcmp(name, "defined", 7) == 0) {
			bool paren = pp_accept(e, "(");
			n = pp_ident(e, &name);
			e->bad |= n == 0 || (paren && !pp_accept(e, ")"));
			v = n && macro_find(e->lx, name, n) != NULL;
		} else if (n) {
			/* An undefined name is 0, as in C; a macro counts if it is a number. */
			const struct macro *m = macro_find(e->lx, name, n);
			uint64_t u = 0;
			if (m) {
				struct pp_eval sub = { e->lx, m->body, m->body + m->blen, e->depth, false };
				u = (uint64_t)pp_or(&sub);
				pp_blank(&sub);
				if (sub.bad || sub.p != sub.end)
					u = 0;
			}
			v = (int64_t)u;
		} else {
			e->bad = true;
		}
	}
	e->depth--;
	return v;
}

static int64_t pp_cmp(struct pp_eval *e)
{
	int64_t l = pp_primary(e);
	if (pp_accept(e, "=="))
		return l == pp_primary(e);
	if (pp_accept(e, "!="))
		return l != pp_primary(e);
	if (pp_accept(e, "<="))
		return l <= pp_primary(e);
	if (pp_accept(e, ">="))
		return l >= pp_primary(e);
	if (pp_accept(e, "<"))
		return l < pp_primary(e);
	if (pp_accept(e, ">"))
		return l > pp_primary(e);
	return l;
}

static int64_t pp_and(struct pp_eval *e)
{
	int64_t v = pp_cmp(e);
	while (pp_accept(e, "&&")) {
		int64_t r = pp_cmp(e);
		v = v && r;
	}
	return v;
}

static int64_t pp_or(struct pp_eval *e)
{
	int64_t v = pp_and(e);
	while (pp_accept(e, "||")) {
		int64_t r = pp_and(e);
		v = v || r;
	}
	return v;
}

/* Evaluate the condition of #if/#elif in [p, end); report a malformed one. */
static bool pp_condition(struct lexer *lx, const char *p, const char *end, const struct loc *where)
{
	struct pp_eval e = { lx, p, end, 0, false };
	/* Comments may follow the condition. */
	const char *c = memmem(p, (size_t)(end - p), "//", 2);
	const char *c2 = memmem(p, (size_t)(end - p), "/*", 2);
	if (c2 && (!c || c2 < c))
		c = c2;
	if (c)
		e.end = c;
	int64_t v = pp_or(&e);
	pp_blank(&e);
	if (e.bad || e.p != e.end) {
		diag_error(lx->diags, where, "invalid preprocessor expression");
		return false;
	}
	return v != 0;
}

static void cond_push(struct lexer *lx, const struct loc *where, bool value)
{
	if (lx->ncond == LEX_MAX_COND) {
		diag_error(lx->diags, where, "#if nested too deeply");
		return;
	}
	bool parent = cond_active(lx);
	lx->cond[lx->ncond++] = (struct lex_cond){
		.loc = *where, .active = parent && value, .taken = parent && value, .parent_active = parent
	};
}

/* Handle one directive line; the main cursor is at '#', left at the end of the line. */
static void directive(struct lexer *lx)
{
	struct lex_cursor *c = &lx->main;
	struct lex_cursor start = *c;
	const char *eol = memchr(c->p, '\n', (size_t)(c->end - c->p));
	if (!eol)
		eol = c->end;
	struct loc where = span_to_eol(lx, &start);
	struct pp_eval e = { lx, c->p + 1, eol, 0, false };
	const char *word;
	size_t wlen = pp_ident(&e, &word);
	const char *rest = e.p;
	/* Leave the cursor at the end of the line; directives never span lines. */
	c->col += (uint32_t)(eol - c->p);
	c->p = eol;

#define IS(w) (wlen == sizeof(w) - 1 && memcmp(word, w, wlen) == 0)
	struct lex_cond *top = lx->ncond ? &lx->cond[lx->ncond - 1] : NULL;
	if (IS("if")) {
		cond_push(lx, &where, cond_active(lx) && pp_condition(lx, rest, eol, &where));
	} else if (IS("ifdef") || IS("ifndef")) {
		const char *name;
		size_t n = pp_ident(&e, &name);
		if (n == 0 && cond_active(lx))
			diag_error(lx->diags, &where, "macro name missing");
		bool def = n && macro_find(lx, name, n);
		cond_push(lx, &where, IS("ifdef") ? def : !def);
	} else if (IS("elif") || IS("else")) {
		if (!top || top->seen_else) {
			diag_error(lx->diags, &where, top ? "#%.*s after #else" : "#%.*s without #if",
				   (int)wlen, word);
			return;
		}
		bool value = IS("else") || (top->parent_active && !top->taken &&
					    pp_condition(lx, rest, eol, &where));
		top->seen_else = IS("else");
		top->active = top->parent_active && !top->taken && value;
		top->taken |= top->active;
	} else if (IS("endif")) {
		if (!top)
			diag_error(lx->diags, &where, "#endif without #if");
		else
			lx->ncond--;
	} else if (!cond_active(lx)) {
		/* Other directives in a skipped branch are not looked at. */
	} else if (IS("define")) {
		const char *name;
		size_t n = pp_ident(&e, &name);
		if (n == 0 || !is_ident_start((unsigned char)*name)) {
			diag_error(lx->diags, &where, "macro name missing");
		} else if (e.p < eol && *e.p == '(') {
			/* Function-like macros only matter to C definitions; we have no C preprocessor. */
		} else {
			pp_blank(&e);
			macro_define(lx, name, n, e.p, (size_t)(eol - e.p));
		}
	} else if (IS("undef")) {
		const char *name;
		size_t n = pp_ident(&e, &name);
		macro_undef(lx, name, n);
	} else if (IS("error")) {
		pp_blank(&e);
		diag_error(lx->diags, &where, "#error %.*s", (int)(eol - e.p), e.p);
	} else if (IS("include")) {
		pp_include(lx, &start, rest, eol);
	} else if (!IS("pragma") && !IS("warning")) {
		diag_error(lx->diags, &where, "unknown preprocessor directive '#%.*s'", (int)wlen, word);
	}
#undef IS
}

/*
 * Skip whitespace, comments, directives and skipped #if branches in the
 * current input. Returns false at the end of that input.
 */
static bool skip_space(struct lexer *lx)
{
	if (diags_full(lx->diags)) {
		/* too many errors: the rest of the script is not read */
		lx->nexp = 0;
		lx->main.p = lx->main.end;
		return false;
	}
	struct lex_cursor *c = cur(lx);
	bool in_main = lx->nexp == 0;
	for (;;) {
		int ch = cur_peek(c, 0);
		if (ch < 0)
			return false;
		if (in_main && lx->line_start && ch == '#') {
			directive(lx);
		} else if (ch == '\n') {
			cur_adv(c);
			lx->line_start = in_main;
		} else if (isspace(ch)) {
			cur_adv(c);
		} else if (in_main && !cond_active(lx)) {
			while (c->p < c->end && *c->p != '\n')
				cur_adv(c);
		} else if (!skip_comment(lx, c)) {
			lx->line_start = false;
			return true;
		}
	}
}

/* ---- tokens ---- */

static const struct {
	const char *word;
	enum tok_kind kind;
} keywords[] = {
	{ "if", T_IF },		    { "else", T_ELSE },	      { "unroll", T_UNROLL },
	{ "while", T_WHILE },	    { "for", T_FOR },	      { "break", T_BREAK },
	{ "continue", T_CONTINUE }, { "return", T_RETURN },   { "sizeof", T_SIZEOF },
	{ "offsetof", T_OFFSETOF }, { "true", T_TRUE },	      { "false", T_FALSE },
	{ "struct", T_STRUCT },	    { "union", T_UNION },     { "enum", T_ENUM },
	{ "let", T_LET },	    { "macro", T_MACRO },
};

/* Punctuation, longest spelling first within each leading character. */
static const struct {
	const char *s;
	enum tok_kind kind;
} puncts[] = {
	{ "<<=", T_SHL_ASSIGN }, { ">>=", T_SHR_ASSIGN }, { "->", T_ARROW },   { "..", T_DOTDOT },
	{ "++", T_INC },	 { "--", T_DEC },	  { "+=", T_ADD_ASSIGN }, { "-=", T_SUB_ASSIGN },
	{ "*=", T_MUL_ASSIGN },	 { "/=", T_DIV_ASSIGN },  { "%=", T_MOD_ASSIGN }, { "&=", T_AND_ASSIGN },
	{ "|=", T_OR_ASSIGN },	 { "^=", T_XOR_ASSIGN },  { "&&", T_LAND },	  { "||", T_LOR },
	{ "==", T_EQ },		 { "!=", T_NE },	  { "<=", T_LE },	  { ">=", T_GE },
	{ "<<", T_SHL },	 { ">>", T_SHR },	  { "{", T_LBRACE },	  { "}", T_RBRACE },
	{ "(", T_LPAREN },	 { ")", T_RPAREN },	  { "[", T_LBRACKET },	  { "]", T_RBRACKET },
	{ ",", T_COMMA },	 { ";", T_SEMI },	  { ":", T_COLON },	  { ".", T_DOT },
	{ "?", T_QUESTION },	 { "=", T_ASSIGN },	  { "+", T_PLUS },	  { "-", T_MINUS },
	{ "*", T_STAR },	 { "/", T_SLASH },	  { "%", T_PERCENT },	  { "&", T_AMP },
	{ "|", T_PIPE },	 { "^", T_CARET },	  { "~", T_TILDE },	  { "!", T_BANG },
	{ "<", T_LT },		 { ">", T_GT },
};

bool is_builtin_name(const char *s, size_t n)
{
	return builtin_find(s, n, BF_IDENT, NULL) != B_NONE;
}

static int simple_escape(int e)
{
	switch (e) {
	case 'n': return '\n';
	case 't': return '\t';
	case 'r': return '\r';
	case '\\': return '\\';
	case '"': return '"';
	case '\'': return '\'';
	default: return -1;
	}
}

static void lex_string(struct lexer *lx, struct lex_cursor *c, struct token *t)
{
	struct lex_cursor start = *c;
	/* decoded, the literal is no longer than its source text up to the closing quote or line end */
	const char *q = c->p + 1;
	while (q < c->end && *q != '"' && *q != '\n')
		q += *q == '\\' && q + 1 < c->end && q[1] != '\n' ? 2 : 1;
	char *out = arena_zalloc(lx->arena, (size_t)(q - c->p));
	size_t n = 0;
	cur_adv(c);
	for (;;) {
		int ch = cur_peek(c, 0);
		if (ch < 0 || ch == '\n') {
			struct loc l = span(lx, &start, c);
			diag_error(lx->diags, &l, "unterminated string");
			break;
		}
		if (ch == '"') {
			cur_adv(c);
			break;
		}
		if (ch != '\\') {
			out[n++] = (char)ch;
			cur_adv(c);
			continue;
		}
		struct lex_cursor esc = *c;
		cur_adv(c);
		int e = cur_peek(c, 0);
		int simple = simple_escape(e);
		if (simple >= 0) {
			out[n++] = (char)simple;
			cur_adv(c);
		} else if (e >= '0' && e <= '7') {
			unsigned v = 0;
			for (int k = 0; k < 3 && cur_peek(c, 0) >= '0' && cur_peek(c, 0) <= '7'; k++) {
				v = v * 8 + (unsigned)(cur_peek(c, 0) - '0');
				cur_adv(c);
			}
			out[n++] = (char)v;
		} else if (e == 'x' && hex_digit(cur_peek(c, 1)) >= 0) {
			cur_adv(c);
			unsigned v = 0;
			for (int k = 0; k < 2 && hex_digit(cur_peek(c, 0)) >= 0; k++) {
				v = v * 16 + (unsigned)hex_digit(cur_peek(c, 0));
				cur_adv(c);
			}
			out[n++] = (char)v;
		} else {
			if (e >= 0 && e != '\n')
				cur_adv(c);
			struct loc l = span(lx, &esc, c);
			if (e > ' ' && e < 0x7f)
				diag_error(lx->diags, &l, "invalid escape character '\\%c'", e);
			else
				diag_error(lx->diags, &l, "invalid escape character");
		}
	}
	t->kind = T_STRING;
	t->sval = out;
	t->slen = n;
}

/* Lex one token from the current input, which is at a non-blank character. */
static bool lex_token(struct lexer *lx, struct token *t)
{
	struct lex_cursor *c = cur(lx);
	struct lex_cursor start = *c;
	int ch = cur_peek(c, 0);
	memset(t, 0, sizeof(*t));
	t->text = c->p;

	if (is_ident_start(ch)) {
		while (is_ident_char(cur_peek(c, 0)))
			cur_adv(c);
		t->kind = T_IDENT;
		t->len = (size_t)(c->p - t->text);
		for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
			if (strlen(keywords[i].word) == t->len && memcmp(keywords[i].word, t->text, t->len) == 0)
				t->kind = keywords[i].kind;
		t->call = cur_peek(c, 0) == '(';
	} else if (isdigit(ch)) {
		while (is_ident_char(cur_peek(c, 0)))
			cur_adv(c);
		t->kind = T_INT;
		t->len = (size_t)(c->p - t->text);
		struct loc l = span(lx, &start, c);
		switch (int_literal(t->text, t->len, &t->ival)) {
		case INT_OK:
			break;
		case INT_TRAILING:
			diag_error(lx->diags, &l, "Found trailing non-numeric characters");
			break;
		case INT_RANGE:
			diag_error(lx->diags, &l, "Integer literal out of range: %.*s", (int)t->len, t->text);
			break;
		}
	} else if (ch == '"') {
		lex_string(lx, c, t);
		t->len = (size_t)(c->p - t->text);
	} else if (ch == '$' && isdigit(cur_peek(c, 1))) {
		cur_adv(c);
		t->text = c->p;
		while (isdigit(cur_peek(c, 0))) {
			if (t->ival < 1000000)
				t->ival = t->ival * 10 + (unsigned)(cur_peek(c, 0) - '0');
			cur_adv(c);
		}
		t->kind = T_POSITIONAL;
		t->len = (size_t)(c->p - t->text);
	} else if (ch == '$' && cur_peek(c, 1) == '#') {
		cur_adv(c);
		cur_adv(c);
		t->kind = T_PARAMCOUNT;
		t->len = 2;
	} else if ((ch == '$' && is_ident_start(cur_peek(c, 1))) || ch == '@') {
		cur_adv(c);
		t->text = c->p;
		if (ch == '@' || is_ident_start(cur_peek(c, 0)))
			while (is_ident_char(cur_peek(c, 0)))
				cur_adv(c);
		t->kind = ch == '$' ? T_VAR : T_MAP;
		t->len = (size_t)(c->p - t->text);
	} else {
		size_t avail = (size_t)(c->end - c->p);
		size_t i;
		for (i = 0; i < sizeof(puncts) / sizeof(puncts[0]); i++) {
			size_t n = strlen(puncts[i].s);
			if (n <= avail && memcmp(c->p, puncts[i].s, n) == 0)
				break;
		}
		if (i == sizeof(puncts) / sizeof(puncts[0])) {
			/* Report a whole UTF-8 sequence as one character. */
			cur_adv(c);
			if (ch >= 0x80)
				while ((cur_peek(c, 0) & 0xc0) == 0x80)
					cur_adv(c);
			struct loc l = span(lx, &start, c);
			if (ch < ' ' || ch == 0x7f)
				diag_error(lx->diags, &l, "invalid character '\\x%02x'", ch);
			else
				diag_error(lx->diags, &l, "invalid character '%.*s'",
					   (int)(c->p - start.p), start.p);
			return false;
		}
		t->kind = puncts[i].kind;
		t->len = strlen(puncts[i].s);
		for (size_t k = 0; k < t->len; k++)
			cur_adv(c);
		if (t->kind == T_SLASH) {
			/* A '/' followed by '{' closes a filter. */
			struct lex_cursor look = *c;
			skip_blank_copy(&look);
			if (cur_peek(&look, 0) == '{')
				t->kind = T_ENDPRED;
		}
	}
	t->loc = span(lx, &start, c);
	return true;
}

/* Start expanding the macro t names, unless it is already being expanded. */
static bool expand(struct lexer *lx, const struct token *t)
{
	const struct macro *m = macro_find(lx, t->text, t->len);
	if (!m)
		return false;
	for (unsigned i = 0; i < lx->nexp; i++)
		if (lx->exp[i].macro == m)
			return false;
	if (lx->nexp == LEX_MAX_EXPANSION) {
		diag_error(lx->diags, &t->loc, "macro expansion nested too deeply");
		return false;
	}
	struct lex_expansion *e = &lx->exp[lx->nexp++];
	e->cur = (struct lex_cursor){ m->body, m->body + m->blen, 1, 1 };
	e->macro = m;
	e->use = t->loc;
	return true;
}

void lexer_next(struct lexer *lx, struct token *t)
{
	for (;;) {
		if (!skip_space(lx)) {
			if (lx->nexp) {
				lx->nexp--;
				continue;
			}
			memset(t, 0, sizeof(*t));
			t->kind = T_EOF;
			t->loc = lexer_eof_loc(lx);
			return;
		}
		if (!lex_token(lx, t))
			continue;
		if (t->kind == T_IDENT && expand(lx, t))
			continue;
		lx->last = *t;
		return;
	}
}

/* Raw reads work on the script itself: drop what is left of a macro in use. */
static struct lex_cursor *raw(struct lexer *lx)
{
	lx->nexp = 0;
	skip_space(lx);
	return &lx->main;
}

int lexer_peek_char(struct lexer *lx)
{
	return cur_peek(raw(lx), 0);
}

bool lexer_accept_char(struct lexer *lx, char ch)
{
	struct lex_cursor *c = raw(lx);
	if (cur_peek(c, 0) != (unsigned char)ch)
		return false;
	struct lex_cursor start = *c;
	cur_adv(c);
	memset(&lx->last, 0, sizeof(lx->last));
	lx->last.loc = span(lx, &start, c);
	return true;
}

bool lexer_attach(struct lexer *lx, struct token *t)
{
	struct lex_cursor *c = raw(lx);
	struct lex_cursor start = *c;
	bool colon = false;
	for (;;) {
		int ch = cur_peek(c, 0);
		if (ch < 0 || isspace(ch) || ch < ' ' || strchr(",{}();", ch))
			break;
		if (ch == '/' && !colon && c->p > start.p)
			break;
		if (ch == ':')
			colon = true;
		if (ch == '"') {
			struct lex_cursor quote = *c;
			cur_adv(c);
			while (cur_peek(c, 0) >= 0 && cur_peek(c, 0) != '\n' && cur_peek(c, 0) != '"')
				cur_adv(c);
			if (cur_peek(c, 0) != '"') {
				struct loc l = span(lx, &quote, c);
				diag_error(lx->diags, &l, "unterminated string");
				break;
			}
		}
		cur_adv(c);
	}
	if (c->p == start.p)
		return false;
	memset(t, 0, sizeof(*t));
	t->kind = T_ATTACH;
	t->text = start.p;
	t->len = (size_t)(c->p - start.p);
	t->loc = span(lx, &start, c);
	lx->last = *t;
	return true;
}

static bool word_at(const struct lex_cursor *c, const char *w)
{
	size_t n = strlen(w);
	return (size_t)(c->end - c->p) >= n && memcmp(c->p, w, n) == 0 && !is_ident_char(cur_peek(c, n));
}

bool lexer_at_cdef(struct lexer *lx)
{
	struct lex_cursor c = *raw(lx);
	bool is_enum = word_at(&c, "enum");
	if (!is_enum && !word_at(&c, "struct") && !word_at(&c, "union"))
		return false;
	while (is_ident_char(cur_peek(&c, 0)))
		cur_adv(&c);
	skip_blank_copy(&c);
	bool named = is_ident_start(cur_peek(&c, 0));
	while (is_ident_char(cur_peek(&c, 0)))
		cur_adv(&c);
	skip_blank_copy(&c);
	return cur_peek(&c, 0) == '{' && (named || is_enum);
}

bool lexer_at_config(struct lexer *lx)
{
	struct lex_cursor c = *raw(lx);
	if (!word_at(&c, "config"))
		return false;
	for (int i = 0; i < 6; i++)
		cur_adv(&c);
	skip_blank_copy(&c);
	return cur_peek(&c, 0) == '=' && cur_peek(&c, 1) != '=';
}

bool lexer_at_word(struct lexer *lx, const char *w)
{
	return word_at(raw(lx), w);
}

void lexer_cdef(struct lexer *lx, struct token *t)
{
	struct lex_cursor *c = raw(lx);
	struct lex_cursor start = *c;
	unsigned depth = 0;
	memset(t, 0, sizeof(*t));
	t->kind = T_CDEF;
	t->text = c->p;
	while (c->p < c->end) {
		int ch = cur_peek(c, 0);
		if (skip_comment(lx, c))
			continue;
		cur_adv(c);
		if (ch == '{') {
			depth++;
		} else if (ch == '}' && --depth == 0) {
			t->len = (size_t)(c->p - t->text);
			t->loc = span(lx, &start, c);
			lx->last = *t;
			return;
		}
	}
	t->len = (size_t)(c->p - t->text);
	t->loc = span(lx, &start, c);
	struct loc l = span_to_eol(lx, &start);
	diag_error(lx->diags, &l, "syntax error, unexpected end of file, expecting }");
	lx->last = *t;
}

struct loc lexer_eof_loc(const struct lexer *lx)
{
	if (lx->last.loc.line)
		return lx->last.loc;
	return (struct loc){ 1, 1, 1, 2 };
}

void lexer_finish(struct lexer *lx)
{
	for (unsigned i = 0; i < lx->ncond; i++)
		diag_error(lx->diags, &lx->cond[i].loc, "unterminated conditional directive");
	lx->ncond = 0;
}

void lexer_init(struct lexer *lx, struct arena *a, const struct source *src, struct diags *d,
		bool have_btf)
{
	memset(lx, 0, sizeof(*lx));
	lx->arena = a;
	lx->diags = d;
	lx->src = src;
	lx->main = (struct lex_cursor){ src->text, src->text + src->len, 1, 1 };
	lx->line_start = true;
	lx->have_btf = have_btf;
	if (have_btf)
		macro_define(lx, "BPFTRACE_HAVE_BTF", strlen("BPFTRACE_HAVE_BTF"), "1", 1);
	/* A "#!" interpreter line is not a directive. */
	if (src->len >= 2 && src->text[0] == '#' && src->text[1] == '!')
		while (lx->main.p < lx->main.end && *lx->main.p != '\n')
			cur_adv(&lx->main);
}

const char *tok_name(const struct token *t)
{
	switch (t->kind) {
	case T_EOF: return "end of file";
	case T_INT: return "integer";
	case T_STRING: return "string";
	case T_IDENT:
		if (is_builtin_name(t->text, t->len))
			return "builtin";
		return t->call ? "call" : "identifier";
	case T_VAR: return "variable";
	case T_MAP: return "map";
	case T_POSITIONAL: return "positional parameter";
	case T_PARAMCOUNT: return "$#";
	case T_ATTACH: return "attach point";
	case T_CDEF: return "struct definition";
	case T_ENDPRED: return "end predicate";
	default:
		break;
	}
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (keywords[i].kind == t->kind)
			return keywords[i].word;
	for (size_t i = 0; i < sizeof(puncts) / sizeof(puncts[0]); i++)
		if (puncts[i].kind == t->kind)
			return puncts[i].s;
	return "token";
}
