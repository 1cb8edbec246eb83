/*
 * The newer declarations of the bpftrace language (0.21 and later):
 * `let $x[: type][ = value]` statements, `let @m = hash(N);` map
 * declarations, `macro name(args) { ... }` and `import "file.bt";` at the
 * top level, and block expressions `{ statements; value }`; and the older
 * top-level items that are not probes: C definitions and `config = { }`.
 */
#include "parser_internal.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

/* ---- import "file.bt" / import "dir" (bpftrace 0.24) ---- */

#define IMPORT_MAX_DEPTH 16
#define IMPORT_MAX_BYTES (1u << 20) /* as a script given on the command line */

struct import_state {
	char **done; /* real paths imported (or being imported): each file once, cycles end */
	size_t n, cap;
	unsigned depth;
};

static bool import_seen(struct parser *p, const char *real)
{
	struct import_state *st = p->imports;
	for (size_t i = 0; i < st->n; i++)
		if (!strcmp(st->done[i], real))
			return true;
	if (st->n == st->cap) {
		st->cap = st->cap ? st->cap * 2 : 8;
		st->done = arena_grow(p->a, st->done, st->n, st->cap, sizeof(*st->done));
	}
	st->done[st->n++] = arena_strdup(p->a, real);
	return false;
}

/* The whole of a file, NUL-terminated, in the arena; NULL with errno set. */
static char *read_whole(struct arena *a, const char *path, size_t *len)
{
	FILE *fp = fopen(path, "r");
	if (!fp)
		return NULL;
	char *buf = malloc(IMPORT_MAX_BYTES + 1);
	size_t n = buf ? fread(buf, 1, IMPORT_MAX_BYTES + 1, fp) : 0;
	int err = !buf ? ENOMEM : ferror(fp) ? EIO : n > IMPORT_MAX_BYTES ? EFBIG : 0;
	fclose(fp);
	char *text = err ? NULL : arena_strndup(a, buf ? buf : "", n);
	free(buf);
	errno = err;
	*len = n;
	return text;
}

/* One .bt file's top-level items into prog, parsed as a script of its own (its locations say its name). */
static void import_file(struct parser *p, struct node *prog, const char *path, const struct loc *at)
{
	char real[PATH_MAX];
	if (!realpath(path, real)) {
		diag_error(p->d, at, "cannot import %s: %s", path, strerror(errno));
		return;
	}
	if (import_seen(p, real))
		return;
	size_t len;
	char *text = read_whole(p->a, real, &len);
	if (!text) {
		diag_error(p->d, at, "cannot import %s: %s", path, errno == EFBIG ? "larger than 1 MiB" : strerror(errno));
		return;
	}
	struct source *src = arena_zalloc(p->a, sizeof(*src));
	*src = (struct source){ .name = arena_strdup(p->a, path), .text = text, .len = len };
	struct parser *sub = arena_zalloc(p->a, sizeof(*sub));
	*sub = (struct parser){ .a = p->a, .d = p->d, .positional = p->positional, .npositional = p->npositional,
				.opts = p->opts, .imports = p->imports };
	lexer_init(&sub->lx, p->a, src, p->d, p->opts && p->opts->have_btf);
	sub->lx.incdirs = p->lx.incdirs;
	sub->lx.loc_src = src;
	p->imports->depth++;
	parse_top(sub, prog);
	p->imports->depth--;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* import "x.bt" (a bpftrace script) or "dir" (its .bt files in name order), relative to the importing file. */
static void parse_import(struct parser *p, struct node *prog)
{
	next(p); /* import */
	struct token name = next(p);
	if (name.kind != T_STRING) {
		syntax_error(p, &name, "a quoted file name");
		return;
	}
	char real[PATH_MAX];
	if (!p->imports) { /* the main script counts as imported: a cycle back to it ends there */
		p->imports = arena_zalloc(p->a, sizeof(*p->imports));
		if (p->lx.src && p->lx.src->name && realpath(p->lx.src->name, real))
			import_seen(p, real);
	}
	if (p->imports->depth >= IMPORT_MAX_DEPTH) {
		diag_error(p->d, &name.loc, "imports nested too deeply (at most %d)", IMPORT_MAX_DEPTH);
		return;
	}
	/* relative to the importing file's directory; to the working directory for -e and stdin */
	const char *from = p->lx.src && p->lx.src->name ? p->lx.src->name : "";
	const char *slash = strrchr(from, '/');
	const char *path = name.sval[0] == '/' || !slash || !strcmp(from, "stdin")
		? name.sval : arena_printf(p->a, "%.*s/%s", (int)(slash - from), from, name.sval);
	struct stat st;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
		DIR *dir = opendir(path);
		char **names = NULL;
		size_t n = 0, cap = 0;
		for (struct dirent *e; dir && (e = readdir(dir));) {
			size_t l = strlen(e->d_name);
			if (l <= 3 || strcmp(e->d_name + l - 3, ".bt"))
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 8;
				names = arena_grow(p->a, names, n, cap, sizeof(*names));
			}
			names[n++] = arena_printf(p->a, "%s/%s", path, e->d_name);
		}
		if (dir)
			closedir(dir);
		qsort(names, n, sizeof(*names), by_name);
		for (size_t i = 0; i < n; i++)
			import_file(p, prog, names[i], &name.loc);
		return;
	}
	size_t l = strlen(path);
	if (l < 3 || strcmp(path + l - 3, ".bt")) {
		diag_error(p->d, &name.loc, "cannot import %s: strobe imports bpftrace scripts (.bt) and directories "
					    "of them (C and object files need a C compiler at run time)", name.sval);
		return;
	}
	import_file(p, prog, path, &name.loc);
}

bool parse_decl(struct parser *p, struct node *prog)
{
	if (lexer_at_word(&p->lx, "import")) {
		parse_import(p, prog);
		return true;
	}
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

/* A C definition (struct, union, enum, typedef) as the lexer delimits it. */
struct node *parse_cdef(struct parser *p)
{
	struct token t;
	lexer_cdef(&p->lx, &t);
	struct node *n = mk(p, N_CDEF, t.loc);
	const char *text = tok_str(p, &t);
	size_t kind_len = strcspn(text, " \t\r\n{/");
	const char *name = text + kind_len + strspn(text + kind_len, " \t\r\n");
	n->u.cdef.kind = arena_strndup(p->a, text, kind_len);
	n->u.cdef.name = arena_strndup(p->a, name, strspn(name, "abcdefghijklmnopqrstuvwxyz"
								"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"));
	n->u.cdef.text = text;
	return n;
}

/* config = { key = value; ... } */
struct node *parse_config(struct parser *p)
{
	struct token kw = next(p);
	struct node *n = mk(p, N_CONFIG, kw.loc);
	struct node **tail = &n->u.list.head;
	struct loc end = kw.loc;
	if (!expect(p, T_ASSIGN, "=", NULL) || !expect(p, T_LBRACE, "{", NULL)) {
		resync(p);
		return NULL;
	}
	for (;;) {
		struct token t = *peek(p, 0);
		if (t.kind == T_RBRACE) {
			end = next(p).loc;
			break;
		}
		if (t.kind == T_EOF) {
			syntax_error(p, &t, "}");
			break;
		}
		if (accept(p, T_SEMI))
			continue;
		struct node *item = mk(p, N_CONFIG_ITEM, t.loc);
		if (t.kind != T_IDENT) {
			syntax_error(p, &t, "identifier");
		} else {
			next(p);
			item->u.config_item.key = tok_str(p, &t);
			if (expect(p, T_ASSIGN, "=", NULL) && (item->u.config_item.value = parse_expr(p))) {
				item->loc = loc_span(t.loc, item->u.config_item.value->loc);
				append(&tail, item);
				if (peek_kind(p, 0) != T_RBRACE)
					expect(p, T_SEMI, "; or }", NULL);
			}
		}
		if (p->recovering)
			resync(p);
	}
	n->loc = loc_span(kw.loc, end);
	return n;
}
