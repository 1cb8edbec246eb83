/*
 * AST names and the -d dump: one node per line, one space of indent per
 * level, "kind details" on each line, children below in source order.
 */
#include "ast.h"

#include <string.h>

#include "builtins.h"

static struct node *clone_node(struct arena *a, const struct node *n, const struct loc *site);

static struct node *clone_list(struct arena *a, const struct node *n, const struct loc *site)
{
	struct node *head = NULL, **tail = &head;
	for (; n; n = n->next) {
		*tail = clone_node(a, n, site);
		tail = &(*tail)->next;
	}
	return head;
}

static struct node *clone_node(struct arena *a, const struct node *n, const struct loc *site)
{
	if (!n)
		return NULL;
	struct node *c = arena_zalloc(a, sizeof(*c));
	*c = *n;
	c->next = NULL;
	c->type = NULL;
	if (site && !c->loc.expanded_from)
		c->loc.expanded_from = site;
	switch (n->kind) {
	case N_PROBE:
		c->u.probe.attach = clone_list(a, n->u.probe.attach, site);
		c->u.probe.filter = clone_node(a, n->u.probe.filter, site);
		c->u.probe.body = clone_node(a, n->u.probe.body, site);
		break;
	case N_CONFIG:
	case N_BLOCK:
	case N_TUPLE: c->u.list.head = clone_list(a, n->u.list.head, site); break;
	case N_CONFIG_ITEM: c->u.config_item.value = clone_node(a, n->u.config_item.value, site); break;
	case N_EXPR_STMT:
	case N_RETURN: c->u.unary.operand = clone_node(a, n->u.unary.operand, site); break;
	case N_ASSIGN:
		c->u.assign.target = clone_node(a, n->u.assign.target, site);
		c->u.assign.value = clone_node(a, n->u.assign.value, site);
		break;
	case N_IF:
		c->u.if_.cond = clone_node(a, n->u.if_.cond, site);
		c->u.if_.then = clone_node(a, n->u.if_.then, site);
		c->u.if_.else_ = clone_node(a, n->u.if_.else_, site);
		break;
	case N_UNROLL:
	case N_WHILE:
		c->u.loop.cond = clone_node(a, n->u.loop.cond, site);
		c->u.loop.body = clone_node(a, n->u.loop.body, site);
		break;
	case N_FOR_MAP:
		c->u.for_map.var = clone_node(a, n->u.for_map.var, site);
		c->u.for_map.map = clone_node(a, n->u.for_map.map, site);
		c->u.for_map.body = clone_node(a, n->u.for_map.body, site);
		break;
	case N_FOR_RANGE:
		c->u.for_range.var = clone_node(a, n->u.for_range.var, site);
		c->u.for_range.lo = clone_node(a, n->u.for_range.lo, site);
		c->u.for_range.hi = clone_node(a, n->u.for_range.hi, site);
		c->u.for_range.body = clone_node(a, n->u.for_range.body, site);
		break;
	case N_MAP: c->u.map.keys = clone_list(a, n->u.map.keys, site); break;
	case N_CALL: c->u.call.args = clone_list(a, n->u.call.args, site); break;
	case N_BINOP:
		if (site && !c->u.binop.op_loc.expanded_from)
			c->u.binop.op_loc.expanded_from = site;
		c->u.binop.left = clone_node(a, n->u.binop.left, site);
		c->u.binop.right = clone_node(a, n->u.binop.right, site);
		break;
	case N_UNOP: c->u.unop.operand = clone_node(a, n->u.unop.operand, site); break;
	case N_INCDEC: c->u.incdec.operand = clone_node(a, n->u.incdec.operand, site); break;
	case N_TERNARY:
		c->u.ternary.cond = clone_node(a, n->u.ternary.cond, site);
		c->u.ternary.then = clone_node(a, n->u.ternary.then, site);
		c->u.ternary.else_ = clone_node(a, n->u.ternary.else_, site);
		break;
	case N_FIELD: c->u.field.base = clone_node(a, n->u.field.base, site); break;
	case N_INDEX:
		c->u.index.base = clone_node(a, n->u.index.base, site);
		c->u.index.index = clone_node(a, n->u.index.index, site);
		break;
	case N_CAST: c->u.cast.operand = clone_node(a, n->u.cast.operand, site); break;
	case N_SIZEOF: c->u.size_of.expr = clone_node(a, n->u.size_of.expr, site); break;
	case N_OFFSETOF: c->u.offset_of.expr = clone_node(a, n->u.offset_of.expr, site); break;
	case N_LET:
		c->u.let.var = clone_node(a, n->u.let.var, site);
		c->u.let.assign = clone_node(a, n->u.let.assign, site);
		break;
	case N_BLOCK_EXPR:
		c->u.block_expr.block = clone_node(a, n->u.block_expr.block, site);
		c->u.block_expr.value = clone_node(a, n->u.block_expr.value, site);
		break;
	default: break;
	}
	return c;
}

struct node *ast_clone(struct arena *a, const struct node *n)
{
	return clone_node(a, n, NULL);
}

struct node *ast_clone_expanded(struct arena *a, const struct node *n, const struct loc *site)
{
	struct loc *at = arena_zalloc(a, sizeof(*at));
	*at = *site;
	return clone_node(a, n, at);
}

/* The heads of n's child lists (a single child is a list of one): at most 4. */
static size_t children(const struct node *n, const struct node *kids[4])
{
	size_t k = 0;
	switch (n->kind) {
	case N_PROGRAM:
		kids[k++] = n->u.program.probes;
		kids[k++] = n->u.program.config;
		kids[k++] = n->u.program.decls;
		kids[k++] = n->u.program.macros;
		break;
	case N_PROBE:
		kids[k++] = n->u.probe.attach;
		kids[k++] = n->u.probe.filter;
		kids[k++] = n->u.probe.body;
		break;
	case N_CONFIG:
	case N_BLOCK:
	case N_TUPLE: kids[k++] = n->u.list.head; break;
	case N_CONFIG_ITEM: kids[k++] = n->u.config_item.value; break;
	case N_MACRO:
		kids[k++] = n->u.macro.params;
		kids[k++] = n->u.macro.body;
		break;
	case N_EXPR_STMT:
	case N_RETURN: kids[k++] = n->u.unary.operand; break;
	case N_ASSIGN:
		kids[k++] = n->u.assign.target;
		kids[k++] = n->u.assign.value;
		break;
	case N_IF:
		kids[k++] = n->u.if_.cond;
		kids[k++] = n->u.if_.then;
		kids[k++] = n->u.if_.else_;
		break;
	case N_UNROLL:
	case N_WHILE:
		kids[k++] = n->u.loop.cond;
		kids[k++] = n->u.loop.body;
		break;
	case N_FOR_MAP:
		kids[k++] = n->u.for_map.var;
		kids[k++] = n->u.for_map.map;
		kids[k++] = n->u.for_map.body;
		break;
	case N_FOR_RANGE:
		kids[k++] = n->u.for_range.var;
		kids[k++] = n->u.for_range.lo;
		kids[k++] = n->u.for_range.hi;
		kids[k++] = n->u.for_range.body;
		break;
	case N_MAP: kids[k++] = n->u.map.keys; break;
	case N_CALL: kids[k++] = n->u.call.args; break;
	case N_BINOP:
		kids[k++] = n->u.binop.left;
		kids[k++] = n->u.binop.right;
		break;
	case N_UNOP: kids[k++] = n->u.unop.operand; break;
	case N_INCDEC: kids[k++] = n->u.incdec.operand; break;
	case N_TERNARY:
		kids[k++] = n->u.ternary.cond;
		kids[k++] = n->u.ternary.then;
		kids[k++] = n->u.ternary.else_;
		break;
	case N_FIELD: kids[k++] = n->u.field.base; break;
	case N_INDEX:
		kids[k++] = n->u.index.base;
		kids[k++] = n->u.index.index;
		break;
	case N_CAST: kids[k++] = n->u.cast.operand; break;
	case N_SIZEOF: kids[k++] = n->u.size_of.expr; break;
	case N_OFFSETOF: kids[k++] = n->u.offset_of.expr; break;
	case N_LET:
		kids[k++] = n->u.let.var;
		kids[k++] = n->u.let.assign;
		break;
	case N_BLOCK_EXPR:
		kids[k++] = n->u.block_expr.block;
		kids[k++] = n->u.block_expr.value;
		break;
	default: break;
	}
	return k;
}

unsigned ast_measure(const struct node *n, unsigned max_height, size_t *nodes, size_t max_nodes)
{
	if (!n)
		return 0;
	if (max_height == 0 || ++*nodes > max_nodes)
		return max_height + 1;
	const struct node *kids[4];
	size_t k = children(n, kids);
	unsigned h = 0;
	for (size_t i = 0; i < k; i++)
		for (const struct node *c = kids[i]; c; c = c->next) {
			unsigned ch = ast_measure(c, max_height - 1, nodes, max_nodes);
			if (ch > max_height - 1)
				return max_height + 1;
			if (ch > h)
				h = ch;
		}
	return h + 1;
}

const char *op_name(enum op op)
{
	switch (op) {
	case OP_NONE: return "=";
	case OP_ADD: return "+";
	case OP_SUB: return "-";
	case OP_MUL: return "*";
	case OP_DIV: return "/";
	case OP_MOD: return "%";
	case OP_BAND: return "&";
	case OP_BOR: return "|";
	case OP_BXOR: return "^";
	case OP_SHL: return "<<";
	case OP_SHR: return ">>";
	case OP_LAND: return "&&";
	case OP_LOR: return "||";
	case OP_EQ: return "==";
	case OP_NE: return "!=";
	case OP_LT: return "<";
	case OP_LE: return "<=";
	case OP_GT: return ">";
	case OP_GE: return ">=";
	case OP_NEG: return "-";
	case OP_LNOT: return "!";
	case OP_BNOT: return "~";
	case OP_DEREF: return "*";
	case OP_ADDR: return "&";
	}
	return "?";
}

const char *node_kind_name(enum node_kind k)
{
	switch (k) {
	case N_PROGRAM: return "program";
	case N_PROBE: return "probe";
	case N_ATTACH: return "attach";
	case N_CONFIG: return "config";
	case N_CONFIG_ITEM: return "config_item";
	case N_CDEF: return "cdef";
	case N_BLOCK: return "block";
	case N_EXPR_STMT: return "expr_stmt";
	case N_ASSIGN: return "assign";
	case N_IF: return "if";
	case N_UNROLL: return "unroll";
	case N_WHILE: return "while";
	case N_FOR_MAP: return "for_map";
	case N_FOR_RANGE: return "for_range";
	case N_BREAK: return "break";
	case N_CONTINUE: return "continue";
	case N_RETURN: return "return";
	case N_INT: return "int";
	case N_STRING: return "string";
	case N_BOOL: return "bool";
	case N_BUILTIN: return "builtin";
	case N_IDENT: return "ident";
	case N_VAR: return "var";
	case N_MAP: return "map";
	case N_POSITIONAL: return "positional";
	case N_PARAMCOUNT: return "paramcount";
	case N_CALL: return "call";
	case N_BINOP: return "binop";
	case N_UNOP: return "unop";
	case N_INCDEC: return "incdec";
	case N_TERNARY: return "ternary";
	case N_FIELD: return "field";
	case N_INDEX: return "index";
	case N_TUPLE: return "tuple";
	case N_CAST: return "cast";
	case N_SIZEOF: return "sizeof";
	case N_OFFSETOF: return "offsetof";
	case N_MACRO: return "macro";
	case N_LET: return "let";
	case N_BLOCK_EXPR: return "block_expr";
	}
	return "?";
}

/* "struct task_struct *", "uint8[8]" */
static void dump_type(FILE *fp, const struct typespec *t)
{
	fputs(t->name ? t->name : "?", fp);
	if (t->ptr_depth)
		fputc(' ', fp);
	for (unsigned i = 0; i < t->ptr_depth; i++)
		fputc('*', fp);
	if (t->array_len >= 0)
		fprintf(fp, "[%lld]", (long long)t->array_len);
	else if (t->array_len == TYPESPEC_ARRAY_INFERRED)
		fputs("[]", fp);
}

/* A string literal on one line, escaped the way it would be written. */
static void dump_string(FILE *fp, const char *s, size_t len)
{
	fputc('"', fp);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		switch (c) {
		case '\n': fputs("\\n", fp); break;
		case '\t': fputs("\\t", fp); break;
		case '\r': fputs("\\r", fp); break;
		case '"': fputs("\\\"", fp); break;
		case '\\': fputs("\\\\", fp); break;
		default:
			if (c < ' ' || c >= 0x7f)
				fprintf(fp, "\\x%02x", c);
			else
				fputc(c, fp);
		}
	}
	fputc('"', fp);
}

static void dump(FILE *fp, const struct node *n, int depth);

/* Set for the duration of ast_dump_typed(). */
static const char *(*typer)(void *ctx, const struct type *t);
static void *typer_ctx;

static void dump_list(FILE *fp, const struct node *n, int depth)
{
	for (; n; n = n->next)
		dump(fp, n, depth);
}

/* A line with no node of its own, grouping the children below it ("filter", "else"). */
static void label(FILE *fp, const char *what, int depth)
{
	fprintf(fp, "%*s%s\n", depth, "", what);
}

static void dump(FILE *fp, const struct node *n, int depth)
{
	fprintf(fp, "%*s%s", depth, "", node_kind_name(n->kind));
	switch (n->kind) {
	case N_ATTACH: fprintf(fp, " %s", n->u.attach.text); break;
	case N_CONFIG_ITEM: fprintf(fp, " %s", n->u.config_item.key); break;
	case N_CDEF:
		fprintf(fp, " %s%s%s", n->u.cdef.kind, *n->u.cdef.name ? " " : "", n->u.cdef.name);
		break;
	case N_ASSIGN:
		fprintf(fp, " %s", op_name(n->u.assign.op));
		if (n->u.assign.op != OP_NONE)
			fputc('=', fp);
		break;
	case N_INT: fprintf(fp, " %llu", (unsigned long long)n->u.integer.value); break;
	case N_STRING:
		fputc(' ', fp);
		dump_string(fp, n->u.string.s, n->u.string.len);
		break;
	case N_BOOL: fputs(n->u.boolean ? " true" : " false", fp); break;
	case N_BUILTIN:
	case N_IDENT: fprintf(fp, " %s", n->u.ident.name); break;
	case N_VAR: fprintf(fp, " $%s", n->u.ident.name); break;
	case N_MAP: fprintf(fp, " @%s", n->u.map.name); break;
	case N_POSITIONAL: fprintf(fp, " $%u", n->u.positional.index); break;
	case N_PARAMCOUNT: fputs(" $#", fp); break;
	case N_CALL: fprintf(fp, " %s", n->u.call.fn ? builtin_of(n)->name : n->u.call.name); break;
	case N_BINOP: fprintf(fp, " %s", op_name(n->u.binop.op)); break;
	case N_UNOP: fprintf(fp, " %s", op_name(n->u.unop.op)); break;
	case N_INCDEC:
		fprintf(fp, " %s%s", n->u.incdec.prefix ? "pre" : "post",
			n->u.incdec.increment ? "++" : "--");
		break;
	case N_FIELD: fprintf(fp, " %s%s", n->u.field.arrow ? "->" : ".", n->u.field.name); break;
	case N_CAST:
		fputs(" (", fp);
		dump_type(fp, &n->u.cast.to);
		fputc(')', fp);
		break;
	case N_SIZEOF:
		if (!n->u.size_of.expr) {
			fputs(" (", fp);
			dump_type(fp, &n->u.size_of.ty);
			fputc(')', fp);
		}
		break;
	case N_OFFSETOF:
		if (!n->u.offset_of.expr) {
			fputs(" (", fp);
			dump_type(fp, &n->u.offset_of.ty);
			fputc(')', fp);
		}
		fprintf(fp, " %s", n->u.offset_of.field);
		break;
	case N_MACRO: fprintf(fp, " %s", n->u.macro.name); break;
	case N_LET:
		if (n->u.let.typed) {
			fputs(" : ", fp);
			dump_type(fp, &n->u.let.ty);
		}
		break;
	case N_BLOCK_EXPR:
		if (n->u.block_expr.macro)
			fprintf(fp, " %s()", n->u.block_expr.macro);
		break;
	default:
		break;
	}
	if (typer && n->type)
		fprintf(fp, " :: %s", typer(typer_ctx, n->type));
	fputc('\n', fp);

	int d = depth + 1;
	switch (n->kind) {
	case N_PROGRAM:
		dump_list(fp, n->u.program.cdefs, d);
		if (n->u.program.config)
			dump(fp, n->u.program.config, d);
		dump_list(fp, n->u.program.decls, d);
		dump_list(fp, n->u.program.macros, d);
		dump_list(fp, n->u.program.probes, d);
		break;
	case N_MACRO:
		dump_list(fp, n->u.macro.params, d);
		dump(fp, n->u.macro.body, d);
		break;
	case N_LET:
		dump(fp, n->u.let.var, d);
		if (n->u.let.assign)
			dump(fp, n->u.let.assign, d);
		break;
	case N_BLOCK_EXPR:
		dump(fp, n->u.block_expr.block, d);
		if (n->u.block_expr.value)
			dump(fp, n->u.block_expr.value, d);
		break;
	case N_PROBE:
		dump_list(fp, n->u.probe.attach, d);
		if (n->u.probe.filter) {
			label(fp, "filter", d);
			dump(fp, n->u.probe.filter, d + 1);
		}
		if (n->u.probe.body)
			dump(fp, n->u.probe.body, d);
		break;
	case N_CONFIG:
	case N_BLOCK:
	case N_TUPLE: dump_list(fp, n->u.list.head, d); break;
	case N_CONFIG_ITEM: dump(fp, n->u.config_item.value, d); break;
	case N_EXPR_STMT:
	case N_RETURN:
		if (n->u.unary.operand)
			dump(fp, n->u.unary.operand, d);
		break;
	case N_ASSIGN:
		dump(fp, n->u.assign.target, d);
		dump(fp, n->u.assign.value, d);
		break;
	case N_IF:
		dump(fp, n->u.if_.cond, d);
		dump(fp, n->u.if_.then, d);
		if (n->u.if_.else_) {
			label(fp, "else", d);
			dump(fp, n->u.if_.else_, d + 1);
		}
		break;
	case N_UNROLL:
	case N_WHILE:
		dump(fp, n->u.loop.cond, d);
		dump(fp, n->u.loop.body, d);
		break;
	case N_FOR_MAP:
		dump(fp, n->u.for_map.var, d);
		dump(fp, n->u.for_map.map, d);
		dump(fp, n->u.for_map.body, d);
		break;
	case N_FOR_RANGE:
		dump(fp, n->u.for_range.var, d);
		dump(fp, n->u.for_range.lo, d);
		dump(fp, n->u.for_range.hi, d);
		dump(fp, n->u.for_range.body, d);
		break;
	case N_MAP: dump_list(fp, n->u.map.keys, d); break;
	case N_CALL: dump_list(fp, n->u.call.args, d); break;
	case N_BINOP:
		dump(fp, n->u.binop.left, d);
		dump(fp, n->u.binop.right, d);
		break;
	case N_UNOP: dump(fp, n->u.unop.operand, d); break;
	case N_INCDEC: dump(fp, n->u.incdec.operand, d); break;
	case N_TERNARY:
		dump(fp, n->u.ternary.cond, d);
		if (n->u.ternary.then)
			dump(fp, n->u.ternary.then, d);
		dump(fp, n->u.ternary.else_, d);
		break;
	case N_FIELD: dump(fp, n->u.field.base, d); break;
	case N_INDEX:
		dump(fp, n->u.index.base, d);
		dump(fp, n->u.index.index, d);
		break;
	case N_CAST: dump(fp, n->u.cast.operand, d); break;
	case N_SIZEOF:
		if (n->u.size_of.expr)
			dump(fp, n->u.size_of.expr, d);
		break;
	case N_OFFSETOF:
		if (n->u.offset_of.expr)
			dump(fp, n->u.offset_of.expr, d);
		break;
	default:
		break;
	}
}

void ast_dump(FILE *fp, const struct node *n)
{
	if (n)
		dump(fp, n, 0);
}

void ast_dump_typed(FILE *fp, const struct node *n, const char *(*type_name)(void *ctx, const struct type *t),
		    void *ctx)
{
	typer = type_name;
	typer_ctx = ctx;
	ast_dump(fp, n);
	typer = NULL;
	typer_ctx = NULL;
}
