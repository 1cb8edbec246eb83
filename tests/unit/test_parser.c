/* Parser: every construct through ast_dump, every error path through struct diags. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/ast.h"

struct parsed {
	struct arena arena;
	struct source src;
	struct diags diags;
	struct node *ast;
	int rc;
};

static struct parsed *parse(const char *text)
{
	struct parsed *p = calloc(1, sizeof(*p));
	struct parse_opts opts = { .have_btf = true };
	p->src = (struct source){ "stdin", text, strlen(text) };
	diags_init(&p->diags, &p->src);
	p->rc = parse_program(&p->arena, &p->src, &opts, &p->diags, &p->ast);
	return p;
}

static void parsed_free(struct parsed *p)
{
	diags_release(&p->diags);
	arena_release(&p->arena);
	free(p);
}

static char *dump_to_string(const struct node *n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	for (; n; n = n->next)
		ast_dump(fp, n);
	fclose(fp);
	return buf;
}

static char *emit_to_string(const struct diags *d)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	diags_emit(d, fp);
	fclose(fp);
	return buf;
}

/* Parse text, which must be valid, and compare the dump of `pick` of it. */
static void check_dump_of(const char *text, const char *expected, int pick)
{
	struct parsed *p = parse(text);
	if (p->rc != 0) {
		char *e = emit_to_string(&p->diags);
		fail_msg("parse failed for %s:\n%s", text, e);
	}
	const struct node *n = p->ast;
	if (pick) /* the statements of the first probe's block */
		n = n->u.program.probes->u.probe.body->u.list.head;
	char *got = dump_to_string(n);
	if (strcmp(got, expected) != 0)
		fail_msg("dump of %s:\n%s\nexpected:\n%s", text, got, expected);
	free(got);
	parsed_free(p);
}

static void check_program(const char *text, const char *expected)
{
	check_dump_of(text, expected, 0);
}

/* The statements in "BEGIN { stmts }", dumped from depth 0. */
static void check_stmts(const char *stmts, const char *expected)
{
	char *text;
	assert_true(asprintf(&text, "BEGIN { %s }", stmts) > 0);
	check_dump_of(text, expected, 1);
	free(text);
}

/* Parse text, which must fail; check diagnostic number idx. */
static void check_error_n(const char *text, unsigned idx, const char *msg, uint32_t line,
			  uint32_t col, uint32_t end_col)
{
	struct parsed *p = parse(text);
	assert_int_equal(p->rc, -EINVAL);
	const struct diag *e = p->diags.head;
	for (unsigned i = 0; i < idx && e; i++)
		e = e->next;
	if (!e)
		fail_msg("%s: no diagnostic %u", text, idx);
	if (strcmp(e->msg, msg) != 0 || e->loc.line != line || e->loc.col != col ||
	    e->loc.end_col != end_col)
		fail_msg("%s: got %u:%u-%u '%s', expected %u:%u-%u '%s'", text, e->loc.line, e->loc.col,
			 e->loc.end_col, e->msg, line, col, end_col, msg);
	assert_int_equal(e->severity, DIAG_ERROR);
	parsed_free(p);
}

/* text fails with exactly one error. */
static void check_error(const char *text, const char *msg, uint32_t line, uint32_t col,
			uint32_t end_col)
{
	struct parsed *p = parse(text);
	assert_int_equal(p->rc, -EINVAL);
	if (p->diags.nerrors != 1) {
		char *e = emit_to_string(&p->diags);
		fail_msg("%s: %u errors, expected 1:\n%s", text, p->diags.nerrors, e);
	}
	parsed_free(p);
	check_error_n(text, 0, msg, line, col, end_col);
}

static void check_emit(const char *text, const char *expected)
{
	struct parsed *p = parse(text);
	assert_int_equal(p->rc, -EINVAL);
	char *got = emit_to_string(&p->diags);
	assert_string_equal(got, expected);
	free(got);
	parsed_free(p);
}

/* ---- probes and top level ---- */

static void test_probe(void **state)
{
	check_program("tracepoint:syscalls:sys_enter_openat { @[comm] = count(); }",
		      "program\n"
		      " probe\n"
		      "  attach tracepoint:syscalls:sys_enter_openat\n"
		      "  block\n"
		      "   assign =\n"
		      "    map @\n"
		      "     builtin comm\n"
		      "    call count\n");
	check_program("BEGIN{}END{}begin{}end{}",
		      "program\n probe\n  attach BEGIN\n  block\n probe\n  attach END\n  block\n"
		      " probe\n  attach begin\n  block\n probe\n  attach end\n  block\n");
}

static void test_attach_list(void **state)
{
	check_program("kprobe:a,kprobe:b+4 ,\n kretprobe:c* {}\nuprobe:\"/path with space\":func,"
		      "usdt:/bin/x:\"prov\":probe, profile:hz:99,interval:s:1 {}",
		      "program\n"
		      " probe\n"
		      "  attach kprobe:a\n"
		      "  attach kprobe:b+4\n"
		      "  attach kretprobe:c*\n"
		      "  block\n"
		      " probe\n"
		      "  attach uprobe:\"/path with space\":func\n"
		      "  attach usdt:/bin/x:\"prov\":probe\n"
		      "  attach profile:hz:99\n"
		      "  attach interval:s:1\n"
		      "  block\n");

	struct parsed *p = parse("uprobe:/bin/bash:readline,BEGIN { }");
	assert_int_equal(p->rc, 0);
	const struct node *probe = p->ast->u.program.probes;
	const struct node *a = probe->u.probe.attach;
	assert_int_equal(a->kind, N_ATTACH);
	assert_string_equal(a->u.attach.type, "uprobe");
	assert_string_equal(a->u.attach.target, "/bin/bash:readline");
	assert_int_equal(a->loc.col, 1);
	assert_int_equal(a->loc.end_col, 26);
	assert_null(a->next);
	/* BEGIN runs apart: a probe of its own with a copy of the body */
	assert_non_null(probe->next);
	a = probe->next->u.probe.attach;
	assert_null(a->next);
	assert_ptr_not_equal(probe->next->u.probe.body, probe->u.probe.body);
	assert_string_equal(a->u.attach.text, "BEGIN");
	assert_string_equal(a->u.attach.type, "BEGIN");
	assert_string_equal(a->u.attach.target, "");
	assert_int_equal(probe->loc.col, 1);
	assert_int_equal(probe->loc.end_col, 32);
	assert_int_equal(probe->u.probe.index, 0);
	parsed_free(p);
}

static void test_filters(void **state)
{
	const char *expected = "program\n"
			       " probe\n"
			       "  attach uprobe:/bin/bash:readline\n"
			       "  filter\n"
			       "   binop ==\n"
			       "    builtin pid\n"
			       "    int 1\n"
			       "  block\n";
	check_program("uprobe:/bin/bash:readline /pid == 1/ { }", expected);
	check_program("uprobe:/bin/bash:readline\n/pid == 1/\n{ }", expected);
	check_program("BEGIN/$x / 2 == 1/{}",
		      "program\n probe\n  attach BEGIN\n  filter\n   binop ==\n    binop /\n"
		      "     var $x\n     int 2\n    int 1\n  block\n");
	/* As in bpftrace, without a blank the '/' is part of the attach point. */
	check_program("kprobe:f/pid/{}", "program\n probe\n  attach kprobe:f/pid/\n  block\n");
	check_program("kprobe:a, kprobe:b /comm == \"x\" && pid != 0/ { exit() }",
		      "program\n probe\n  attach kprobe:a\n  attach kprobe:b\n  filter\n"
		      "   binop &&\n    binop ==\n     builtin comm\n     string \"x\"\n"
		      "    binop !=\n     builtin pid\n     int 0\n  block\n   expr_stmt\n"
		      "    call exit\n");
}

static void test_cdefs_and_config(void **state)
{
	const char *text = "#!/usr/bin/env bpftrace\n"
			   "#include <linux/sched.h>\n"
			   "struct foo { int a; char b[8]; };\n"
			   "union u { int x; struct { int y; } s; }\n"
			   "enum { A, B }\n"
			   "config = { max_strlen = 100; stack_mode = perf; license = \"GPL\" }\n"
			   "BEGIN { }";
	check_program(text, "program\n"
			    " cdef struct foo\n"
			    " cdef union u\n"
			    " cdef enum\n"
			    " config\n"
			    "  config_item max_strlen\n"
			    "   int 100\n"
			    "  config_item stack_mode\n"
			    "   ident perf\n"
			    "  config_item license\n"
			    "   string \"GPL\"\n"
			    " probe\n"
			    "  attach BEGIN\n"
			    "  block\n");
	struct parsed *p = parse(text);
	const struct node *c = p->ast->u.program.cdefs;
	assert_string_equal(c->u.cdef.kind, "struct");
	assert_string_equal(c->u.cdef.name, "foo");
	assert_string_equal(c->u.cdef.text, "struct foo { int a; char b[8]; }");
	assert_int_equal(c->loc.line, 3);
	c = c->next;
	assert_string_equal(c->u.cdef.text, "union u { int x; struct { int y; } s; }");
	assert_string_equal(c->next->u.cdef.name, "");
	const struct node *item = p->ast->u.program.config->u.list.head;
	assert_string_equal(item->u.config_item.key, "max_strlen");
	assert_int_equal(item->loc.line, 6);
	assert_int_equal(item->loc.col, 12);
	assert_int_equal(item->loc.end_col, 28);
	parsed_free(p);
}

static void test_preprocessor(void **state)
{
	check_program("#define MAX 10\n"
		      "#define NAME \"x\" // a comment\n"
		      "#ifdef BPFTRACE_HAVE_BTF\n"
		      "BEGIN { @a = MAX; }\n"
		      "#else\n"
		      "BEGIN { @b = MAX; }\n"
		      "#endif\n"
		      "#if !defined(NOPE) && 1\n"
		      "END /* x */ { @c = NAME }\n"
		      "#endif\n",
		      "program\n probe\n  attach BEGIN\n  block\n   assign =\n    map @a\n"
		      "    int 10\n probe\n  attach END\n  block\n   assign =\n    map @c\n"
		      "    string \"x\"\n");

	/* A macro's tokens are located at its use. */
	struct parsed *p = parse("#define ONE 1\nBEGIN { @x = ONE; }");
	const struct node *v = p->ast->u.program.probes->u.probe.body->u.list.head->u.assign.value;
	assert_int_equal(v->loc.line, 2);
	assert_int_equal(v->loc.col, 14);
	assert_int_equal(v->loc.end_col, 17);
	parsed_free(p);
}

/* ---- statements ---- */

static void test_assignments(void **state)
{
	check_stmts("$x = 1; @y = $x; @m[1, \"a\"] = 2; @ = 3; @[pid] = 4",
		    "assign =\n var $x\n int 1\n"
		    "assign =\n map @y\n var $x\n"
		    "assign =\n map @m\n  int 1\n  string \"a\"\n int 2\n"
		    "assign =\n map @\n int 3\n"
		    "assign =\n map @\n  builtin pid\n int 4\n");
	check_stmts("$a += 1; $a -= 1; $a *= 1; $a /= 1; $a %= 1; $a &= 1; $a |= 1; $a ^= 1;"
		    "$a <<= 1; $a >>= 1",
		    "assign +=\n var $a\n int 1\nassign -=\n var $a\n int 1\n"
		    "assign *=\n var $a\n int 1\nassign /=\n var $a\n int 1\n"
		    "assign %=\n var $a\n int 1\nassign &=\n var $a\n int 1\n"
		    "assign |=\n var $a\n int 1\nassign ^=\n var $a\n int 1\n"
		    "assign <<=\n var $a\n int 1\nassign >>=\n var $a\n int 1\n");
	check_stmts("$p->x = 1; $t.a = 2; $arr[0] = 3; *$p = 4",
		    "assign =\n field ->x\n  var $p\n int 1\n"
		    "assign =\n field .a\n  var $t\n int 2\n"
		    "assign =\n index\n  var $arr\n  int 0\n int 3\n"
		    "assign =\n unop *\n  var $p\n int 4\n");

	struct parsed *p = parse("BEGIN { @x += 1 }");
	const struct node *a = p->ast->u.program.probes->u.probe.body->u.list.head;
	assert_int_equal(a->kind, N_ASSIGN);
	assert_int_equal(a->u.assign.op, OP_ADD);
	assert_int_equal(a->loc.col, 9);
	assert_int_equal(a->loc.end_col, 16);
	parsed_free(p);
}

static void test_incdec(void **state)
{
	check_stmts("@a++; @b--; ++$c; --@d[1]; $e = $f++",
		    "expr_stmt\n incdec post++\n  map @a\n"
		    "expr_stmt\n incdec post--\n  map @b\n"
		    "expr_stmt\n incdec pre++\n  var $c\n"
		    "expr_stmt\n incdec pre--\n  map @d\n   int 1\n"
		    "assign =\n var $e\n incdec post++\n  var $f\n");
}

/* bpftrace 0.21+: let, map declarations, macros (expanded by the parser), block expressions */
static void test_declarations(void **state)
{
	check_program("let @m = lruhash(8); macro inc($a) { $a + 1 } "
		      "BEGIN { let $x: uint16 = 1; let $y; $z = { $x }; print(inc($x)); }",
		      "program\n"
		      " let\n"
		      "  map @m\n"
		      "  call lruhash\n"
		      "   int 8\n"
		      " macro inc\n"
		      "  var $a\n"
		      "  block_expr\n"
		      "   block\n"
		      "   binop +\n"
		      "    var $a\n"
		      "    int 1\n"
		      " probe\n"
		      "  attach BEGIN\n"
		      "  block\n"
		      "   let : uint16\n"
		      "    var $x\n"
		      "    assign =\n"
		      "     var $x\n"
		      "     int 1\n"
		      "   let\n"
		      "    var $y\n"
		      "   assign =\n"
		      "    var $z\n"
		      "    block_expr\n"
		      "     block\n"
		      "     var $x\n"
		      "   expr_stmt\n"
		      "    call print\n"
		      "     block_expr inc()\n"
		      "      block\n"
		      "      binop +\n"
		      "       var $x\n"
		      "       int 1\n");
}

static void test_if(void **state)
{
	check_stmts("if ($x > 1) { @a = 1; } else if !$y { @b = 2 } else { @c = 3 }",
		    "if\n"
		    " binop >\n  var $x\n  int 1\n"
		    " block\n  assign =\n   map @a\n   int 1\n"
		    " else\n"
		    "  if\n"
		    "   unop !\n    var $y\n"
		    "   block\n    assign =\n     map @b\n     int 2\n"
		    "   else\n"
		    "    block\n     assign =\n      map @c\n      int 3\n");
	/* No ';' is needed after a block statement. */
	check_stmts("if (1) { } $x = 1", "if\n int 1\n block\nassign =\n var $x\n int 1\n");
}

static void test_loops(void **state)
{
	check_stmts("unroll(5) { @i++ }", "unroll\n int 5\n block\n  expr_stmt\n   incdec post++\n"
					    "    map @i\n");
	check_stmts("while ($i < 10) { $i++; if ($i == 5) { break; } continue; }",
		    "while\n binop <\n  var $i\n  int 10\n block\n  expr_stmt\n   incdec post++\n"
		    "    var $i\n  if\n   binop ==\n    var $i\n    int 5\n   block\n    break\n"
		    "  continue\n");
	check_stmts("for ($kv : @m) { print($kv.0) }",
		    "for_map\n var $kv\n map @m\n block\n  expr_stmt\n   call print\n"
		    "    field .0\n     var $kv\n");
	check_stmts("for ($i : 0..$1) { return }",
		    "for_range\n var $i\n int 0\n positional $1\n block\n  return\n");
	check_stmts("for ($i : 1 + 1..10 * 2) { }",
		    "for_range\n var $i\n binop +\n  int 1\n  int 1\n binop *\n  int 10\n  int 2\n"
		    " block\n");
}

static void test_misc_statements(void **state)
{
	check_stmts(";; return; ; return 1; { $x = 1; { } }; exit();",
		    "return\nreturn\n int 1\nblock\n assign =\n  var $x\n  int 1\n block\n"
		    "expr_stmt\n call exit\n");
	check_stmts("delete(@m[1, 2]); delete(@m, 2); clear(@m); print(@m, 10)",
		    "expr_stmt\n call delete\n  map @m\n   int 1\n   int 2\n"
		    "expr_stmt\n call delete\n  map @m\n  int 2\n"
		    "expr_stmt\n call clear\n  map @m\n"
		    "expr_stmt\n call print\n  map @m\n  int 10\n");
	check_stmts("printf(\"%s %d\\n\", comm, pid)",
		    "expr_stmt\n call printf\n  string \"%s %d\\n\"\n  builtin comm\n  builtin pid\n");
}

/* ---- expressions ---- */

static void test_precedence(void **state)
{
	check_stmts("1 + 2 * 3 - 4 / 5 % 6",
		    "expr_stmt\n binop -\n  binop +\n   int 1\n   binop *\n    int 2\n    int 3\n"
		    "  binop %\n   binop /\n    int 4\n    int 5\n   int 6\n");
	check_stmts("1 || 2 && 3 | 4 ^ 5 & 6 == 7 < 8 << 9 + 10",
		    "expr_stmt\n binop ||\n  int 1\n  binop &&\n   int 2\n   binop |\n    int 3\n"
		    "    binop ^\n     int 4\n     binop &\n      int 5\n      binop ==\n"
		    "       int 6\n       binop <\n        int 7\n        binop <<\n"
		    "         int 8\n         binop +\n          int 9\n          int 10\n");
	check_stmts("1 != 2 >= 3 > 4 <= 5 >> 6",
		    "expr_stmt\n binop !=\n  int 1\n  binop <=\n   binop >\n    binop >=\n     int 2\n"
		    "     int 3\n    int 4\n   binop >>\n    int 5\n    int 6\n");
	check_stmts("(1 + 2) * 3", "expr_stmt\n binop *\n  binop +\n   int 1\n   int 2\n  int 3\n");
	check_stmts("-1 * ~2 - !3 + *$p + &$q",
		    "expr_stmt\n binop +\n  binop +\n   binop -\n    binop *\n     unop -\n"
		    "      int 1\n     unop ~\n      int 2\n    unop !\n     int 3\n"
		    "   unop *\n    var $p\n  unop &\n   var $q\n");
	check_stmts("$a ? 1 : $b ? 2 : 3",
		    "expr_stmt\n ternary\n  var $a\n  int 1\n  ternary\n   var $b\n   int 2\n"
		    "   int 3\n");
	check_stmts("--$x - -1", "expr_stmt\n binop -\n  incdec pre--\n   var $x\n  unop -\n"
				 "   int 1\n");

	struct parsed *p = parse("BEGIN { @x = 1 + 2 * 3; }");
	const struct node *v = p->ast->u.program.probes->u.probe.body->u.list.head->u.assign.value;
	assert_int_equal(v->kind, N_BINOP);
	assert_int_equal(v->u.binop.op, OP_ADD);
	assert_int_equal(v->loc.col, 14);
	assert_int_equal(v->loc.end_col, 23);
	assert_int_equal(v->u.binop.right->loc.col, 18);
	parsed_free(p);
}

static void test_literals(void **state)
{
	check_stmts("0x1f; 010; 1_000; 1e6; 5ul; 18446744073709551615; true; false",
		    "expr_stmt\n int 31\nexpr_stmt\n int 8\nexpr_stmt\n int 1000\n"
		    "expr_stmt\n int 1000000\nexpr_stmt\n int 5\n"
		    "expr_stmt\n int 18446744073709551615\nexpr_stmt\n bool true\n"
		    "expr_stmt\n bool false\n");
	check_stmts("\"a\\tb\\\"\\\\\\x41\\101\\0z\"", "expr_stmt\n string \"a\\tb\\\"\\\\AA\\x00z\"\n");

	struct parsed *p = parse("BEGIN { \"a\\0b\" }");
	const struct node *s = p->ast->u.program.probes->u.probe.body->u.list.head->u.unary.operand;
	assert_int_equal(s->kind, N_STRING);
	assert_int_equal(s->u.string.len, 3);
	assert_memory_equal(s->u.string.s, "a\0b", 4);
	parsed_free(p);
}

static void test_variables_and_builtins(void **state)
{
	check_stmts("$x; $1; $10; $#; @; @m; pid; comm; arg0; sarg3; args; retval; foo; kstack; "
		    "kstack(5); ustack(perf, 3)",
		    "expr_stmt\n var $x\nexpr_stmt\n positional $1\nexpr_stmt\n positional $10\n"
		    "expr_stmt\n paramcount $#\nexpr_stmt\n map @\nexpr_stmt\n map @m\n"
		    "expr_stmt\n builtin pid\nexpr_stmt\n builtin comm\nexpr_stmt\n builtin arg0\n"
		    "expr_stmt\n builtin sarg3\nexpr_stmt\n builtin args\n"
		    "expr_stmt\n builtin retval\nexpr_stmt\n ident foo\nexpr_stmt\n builtin kstack\n"
		    "expr_stmt\n call kstack\n  int 5\n"
		    "expr_stmt\n call ustack\n  ident perf\n  int 3\n");
}

static void test_postfix(void **state)
{
	check_stmts("args->filename; args.x.y; $t.0; $t.1.2; @m[1].f; $a[1][2]; curtask->mm->owner",
		    "expr_stmt\n field ->filename\n  builtin args\n"
		    "expr_stmt\n field .y\n  field .x\n   builtin args\n"
		    "expr_stmt\n field .0\n  var $t\n"
		    "expr_stmt\n field .2\n  field .1\n   var $t\n"
		    "expr_stmt\n field .f\n  map @m\n   int 1\n"
		    "expr_stmt\n index\n  index\n   var $a\n   int 1\n  int 2\n"
		    "expr_stmt\n field ->owner\n  field ->mm\n   builtin curtask\n");

	struct parsed *p = parse("BEGIN { $t.1 }");
	const struct node *f = p->ast->u.program.probes->u.probe.body->u.list.head->u.unary.operand;
	assert_int_equal(f->kind, N_FIELD);
	assert_true(f->u.field.tuple_index);
	assert_int_equal(f->u.field.index, 1);
	assert_false(f->u.field.arrow);
	parsed_free(p);
}

static void test_tuples(void **state)
{
	check_stmts("$t = (1, \"a\", (2, 3)); $u = (1); @m[(1, 2)] = 1",
		    "assign =\n var $t\n tuple\n  int 1\n  string \"a\"\n  tuple\n   int 2\n   int 3\n"
		    "assign =\n var $u\n int 1\n"
		    "assign =\n map @m\n  tuple\n   int 1\n   int 2\n int 1\n");
}

static void test_casts(void **state)
{
	check_stmts("(uint32)$x; (int8 *)arg0; (struct task_struct *)curtask; (uint8[8])$x; "
		    "(struct foo)$y; (int8 **)0; (uint64)-1; (union u *)arg1; (pid_t)$z; (enum e)1",
		    "expr_stmt\n cast (uint32)\n  var $x\n"
		    "expr_stmt\n cast (int8 *)\n  builtin arg0\n"
		    "expr_stmt\n cast (struct task_struct *)\n  builtin curtask\n"
		    "expr_stmt\n cast (uint8[8])\n  var $x\n"
		    "expr_stmt\n cast (struct foo)\n  var $y\n"
		    "expr_stmt\n cast (int8 **)\n  int 0\n"
		    "expr_stmt\n cast (uint64)\n  unop -\n   int 1\n"
		    "expr_stmt\n cast (union u *)\n  builtin arg1\n"
		    "expr_stmt\n cast (pid_t)\n  var $z\n"
		    "expr_stmt\n cast (enum e)\n  int 1\n");
	/* Parenthesised names that are not types stay expressions. */
	check_stmts("(x) - 1; (a * b); (pid); (x)",
		    "expr_stmt\n binop -\n  ident x\n  int 1\n"
		    "expr_stmt\n binop *\n  ident a\n  ident b\n"
		    "expr_stmt\n builtin pid\nexpr_stmt\n ident x\n");
	/* A cast binds tighter than binary operators. */
	check_stmts("(uint8)$x + 1", "expr_stmt\n binop +\n  cast (uint8)\n   var $x\n  int 1\n");

	struct parsed *p = parse("BEGIN { (struct task_struct **)curtask }");
	const struct node *c = p->ast->u.program.probes->u.probe.body->u.list.head->u.unary.operand;
	assert_int_equal(c->kind, N_CAST);
	assert_string_equal(c->u.cast.to.name, "struct task_struct");
	assert_int_equal(c->u.cast.to.ptr_depth, 2);
	assert_int_equal(c->u.cast.to.array_len, -1);
	parsed_free(p);
}

static void test_sizeof_offsetof(void **state)
{
	check_stmts("sizeof(struct foo); sizeof($x); sizeof(uint32); sizeof(int *); sizeof(1 + 2); "
		    "offsetof(struct s, f.g.h); offsetof(s, f)",
		    "expr_stmt\n sizeof (struct foo)\n"
		    "expr_stmt\n sizeof\n  var $x\n"
		    "expr_stmt\n sizeof (uint32)\n"
		    "expr_stmt\n sizeof (int *)\n"
		    "expr_stmt\n sizeof\n  binop +\n   int 1\n   int 2\n"
		    "expr_stmt\n offsetof (struct s) f.g.h\n"
		    "expr_stmt\n offsetof (s) f\n");
}

static void test_realistic_scripts(void **state)
{
	check_program("// opensnoop-like\n"
		      "#include <linux/sched.h>\n"
		      "BEGIN\n"
		      "{\n"
		      "\tprintf(\"Tracing open syscalls... Hit Ctrl-C to end.\\n\");\n"
		      "\tprintf(\"%-6s %-16s %4s %3s %s\\n\", \"PID\", \"COMM\", \"FD\", \"ERR\", \"PATH\");\n"
		      "}\n"
		      "\n"
		      "tracepoint:syscalls:sys_enter_open,\n"
		      "tracepoint:syscalls:sys_enter_openat\n"
		      "{\n"
		      "\t@filename[tid] = args->filename;\n"
		      "}\n"
		      "\n"
		      "tracepoint:syscalls:sys_exit_open,\n"
		      "tracepoint:syscalls:sys_exit_openat\n"
		      "/@filename[tid]/\n"
		      "{\n"
		      "\t$ret = args->ret;\n"
		      "\t$fd = $ret >= 0 ? $ret : -1;\n"
		      "\t$errno = $ret >= 0 ? 0 : - $ret;\n"
		      "\tprintf(\"%-6d %-16s %4d %3d %s\\n\", pid, comm, $fd, $errno,\n"
		      "\t    str(@filename[tid]));\n"
		      "\tdelete(@filename[tid]);\n"
		      "}\n"
		      "\n"
		      "END\n"
		      "{\n"
		      "\tclear(@filename);\n"
		      "}\n",
		      "program\n"
		      " probe\n"
		      "  attach BEGIN\n"
		      "  block\n"
		      "   expr_stmt\n"
		      "    call printf\n"
		      "     string \"Tracing open syscalls... Hit Ctrl-C to end.\\n\"\n"
		      "   expr_stmt\n"
		      "    call printf\n"
		      "     string \"%-6s %-16s %4s %3s %s\\n\"\n"
		      "     string \"PID\"\n"
		      "     string \"COMM\"\n"
		      "     string \"FD\"\n"
		      "     string \"ERR\"\n"
		      "     string \"PATH\"\n"
		      " probe\n"
		      "  attach tracepoint:syscalls:sys_enter_open\n"
		      "  attach tracepoint:syscalls:sys_enter_openat\n"
		      "  block\n"
		      "   assign =\n"
		      "    map @filename\n"
		      "     builtin tid\n"
		      "    field ->filename\n"
		      "     builtin args\n"
		      " probe\n"
		      "  attach tracepoint:syscalls:sys_exit_open\n"
		      "  attach tracepoint:syscalls:sys_exit_openat\n"
		      "  filter\n"
		      "   map @filename\n"
		      "    builtin tid\n"
		      "  block\n"
		      "   assign =\n"
		      "    var $ret\n"
		      "    field ->ret\n"
		      "     builtin args\n"
		      "   assign =\n"
		      "    var $fd\n"
		      "    ternary\n"
		      "     binop >=\n"
		      "      var $ret\n"
		      "      int 0\n"
		      "     var $ret\n"
		      "     unop -\n"
		      "      int 1\n"
		      "   assign =\n"
		      "    var $errno\n"
		      "    ternary\n"
		      "     binop >=\n"
		      "      var $ret\n"
		      "      int 0\n"
		      "     int 0\n"
		      "     unop -\n"
		      "      var $ret\n"
		      "   expr_stmt\n"
		      "    call printf\n"
		      "     string \"%-6d %-16s %4d %3d %s\\n\"\n"
		      "     builtin pid\n"
		      "     builtin comm\n"
		      "     var $fd\n"
		      "     var $errno\n"
		      "     call str\n"
		      "      map @filename\n"
		      "       builtin tid\n"
		      "   expr_stmt\n"
		      "    call delete\n"
		      "     map @filename\n"
		      "      builtin tid\n"
		      " probe\n"
		      "  attach END\n"
		      "  block\n"
		      "   expr_stmt\n"
		      "    call clear\n"
		      "     map @filename\n");

	check_program("kprobe:vfs_read /comm == \"bash\"/ {\n"
		      "  @start[tid] = nsecs;\n"
		      "  if (arg2 > 4096) {\n"
		      "    if (pid != 1) { @big[comm, pid] = count() } else { @init++ }\n"
		      "  }\n"
		      "}\n"
		      "kretprobe:vfs_read /@start[tid]/ {\n"
		      "  @us = hist((nsecs - @start[tid]) / 1000); delete(@start, tid)\n"
		      "}\n"
		      "interval:s:5 { print(@big); clear(@big); }",
		      "program\n"
		      " probe\n"
		      "  attach kprobe:vfs_read\n"
		      "  filter\n"
		      "   binop ==\n    builtin comm\n    string \"bash\"\n"
		      "  block\n"
		      "   assign =\n    map @start\n     builtin tid\n    builtin nsecs\n"
		      "   if\n"
		      "    binop >\n     builtin arg2\n     int 4096\n"
		      "    block\n"
		      "     if\n"
		      "      binop !=\n       builtin pid\n       int 1\n"
		      "      block\n       assign =\n        map @big\n         builtin comm\n"
		      "         builtin pid\n        call count\n"
		      "      else\n       block\n        expr_stmt\n         incdec post++\n"
		      "          map @init\n"
		      " probe\n"
		      "  attach kretprobe:vfs_read\n"
		      "  filter\n   map @start\n    builtin tid\n"
		      "  block\n"
		      "   assign =\n    map @us\n    call hist\n     binop /\n      binop -\n"
		      "       builtin nsecs\n       map @start\n        builtin tid\n      int 1000\n"
		      "   expr_stmt\n    call delete\n     map @start\n     builtin tid\n"
		      " probe\n"
		      "  attach interval:s:5\n"
		      "  block\n"
		      "   expr_stmt\n    call print\n     map @big\n"
		      "   expr_stmt\n    call clear\n     map @big\n");
}

/* ---- errors ---- */

static void test_error_unexpected_token(void **state)
{
	check_error("BEGIN { @x = ; }", "syntax error, unexpected ;", 1, 14, 15);
	check_error("BEGIN { @x = 1 foo; }", "syntax error, unexpected identifier, expecting ; or }",
		    1, 16, 19);
	check_error("BEGIN { @x = 1 @y; }", "syntax error, unexpected map, expecting ; or }", 1, 16, 18);
	check_error("BEGIN { @x = 1 pid }", "syntax error, unexpected builtin, expecting ; or }", 1,
		    16, 19);
	check_error("BEGIN { @x = 1 exit() }", "syntax error, unexpected call, expecting ; or }", 1,
		    16, 20);
	check_error("BEGIN { @x = 1 \"s\" }", "syntax error, unexpected string, expecting ; or }", 1,
		    16, 19);
	check_error("BEGIN { 1 = 2 }", "syntax error, unexpected =", 1, 11, 12);
	check_error("BEGIN { @x[] = 1 }", "syntax error, unexpected ]", 1, 12, 13);
	check_error("BEGIN { if 1 { } else 2 }", "syntax error, unexpected integer, expecting {", 1,
		    23, 24);
	check_error("BEGIN { while 1 @x++ }", "syntax error, unexpected map, expecting {", 1, 17, 19);
	check_error("BEGIN { unroll 5 {} }", "syntax error, unexpected integer, expecting (", 1, 16,
		    17);
	check_error("BEGIN { for (@x : @m) {} }", "syntax error, unexpected map, expecting variable",
		    1, 14, 16);
	check_error("BEGIN { for ($x : 1) {} }", "for loop must iterate over a map or a range (lo..hi)",
		    1, 19, 20);
	check_error("BEGIN { $x = $y. ; }", "syntax error, unexpected ;, expecting identifier", 1, 18,
		    19);
	check_error("BEGIN { $x = (1, 2; }", "syntax error, unexpected ;, expecting ) or \",\"", 1,
		    19, 20);
	check_error("BEGIN { $x = 1 ? 2; }", "syntax error, unexpected ;, expecting :", 1, 19, 20);
	check_error("kprobe:f @x", "syntax error, unexpected map, expecting {", 1, 10, 12);
	/* Only a '/' followed by '{' ends a filter; this one divides. */
	check_error("kprobe:f /pid/ @x", "syntax error, unexpected end of file, expecting /", 1, 16,
		    18);
	check_error("kprobe:f /pid { }", "syntax error, unexpected {, expecting /", 1, 15, 16);
	check_error("kprobe:f, { }", "syntax error, unexpected {", 1, 11, 12);
	check_error("; BEGIN { }", "syntax error, unexpected ;", 1, 1, 2);
	check_error("BEGIN { offsetof(struct, a) }", "syntax error, unexpected ,, expecting identifier",
		    1, 24, 25);
}

static void test_error_unbalanced(void **state)
{
	check_error("BEGIN { @x = 1; ", "syntax error, unexpected end of file, expecting }", 1, 15,
		    16);
	check_error("BEGIN { if (1) { @x = 1; }", "syntax error, unexpected end of file, expecting }",
		    1, 26, 27);
	check_error("BEGIN { printf(\"hi\"",
		    "syntax error, unexpected end of file, expecting ) or \",\"", 1, 16, 20);
	check_error("BEGIN { $x = 1 } }", "syntax error, unexpected }", 1, 18, 19);
	check_error("BEGIN { @x = (1 }", "syntax error, unexpected }, expecting )", 1, 17, 18);
	check_error("BEGIN { @x[1 = 2 }", "syntax error, unexpected =, expecting ] or \",\"", 1, 14,
		    15);
	check_error("kprobe:f", "syntax error, unexpected end of file, expecting {", 1, 1, 9);
	check_error("struct foo { int a;\nBEGIN { }",
		    "syntax error, unexpected end of file, expecting }", 1, 1, 20);
}

static void test_error_lexical(void **state)
{
	check_error("BEGIN { `x }", "invalid character '`'", 1, 9, 10);
	check_error("BEGIN { @x = 99999999999999999999; }",
		    "Integer literal out of range: 99999999999999999999", 1, 14, 34);
	check_error("BEGIN { @x = 08; }", "Found trailing non-numeric characters", 1, 14, 16);
	check_error("BEGIN { printf(\"\\q\"); }", "invalid escape character '\\q'", 1, 17, 19);
	/* bpftrace reports the string and then the end of file it swallowed. */
	check_error_n("BEGIN { printf(\"hi); }", 0, "unterminated string", 1, 16, 23);
	check_error_n("BEGIN { printf(\"hi); }", 1,
		      "syntax error, unexpected end of file, expecting ) or \",\"", 1, 16, 23);
	check_error_n("BEGIN { /* abc ", 0, "end of file during comment", 1, 9, 16);
	check_error_n("BEGIN { /* abc ", 1, "syntax error, unexpected end of file, expecting }", 1, 9,
		      16);
	check_error("#if 1\nBEGIN { }", "unterminated conditional directive", 1, 1, 6);
	check_error("#ifdef X\n#else\n#else\n#endif\nBEGIN {}", "#else after #else", 3, 1, 6);
}

static void test_error_empty_program(void **state)
{
	const char *empties[] = { "", "   \n\t ", "// nothing\n/* at all */", "#if 0\nBEGIN {}\n#endif" };
	for (size_t i = 0; i < 4; i++) {
		struct parsed *p = parse(empties[i]);
		assert_int_equal(p->rc, -EINVAL);
		assert_int_equal(p->diags.nerrors, 1);
		assert_string_equal(p->diags.head->msg, "Program is empty");
		assert_int_equal(p->diags.head->loc.line, 0);
		parsed_free(p);
	}
	struct parsed *p = parse("struct a { int x; }\nconfig = { max_strlen = 1 }");
	assert_int_equal(p->rc, -EINVAL);
	assert_string_equal(p->diags.head->msg, "No probes in program");
	parsed_free(p);
	check_emit("", "ERROR: Program is empty\n");
}

static void test_error_recovery(void **state)
{
	/* Several errors in one run, one per broken statement or probe. */
	const char *text = "BEGIN { @x = ; @y = 1 2; @z = 3 }\n"
			   "kprobe:f { `; $a = (1 + ; }\n"
			   "END { @ok = 1 }";
	struct parsed *p = parse(text);
	assert_int_equal(p->rc, -EINVAL);
	assert_int_equal(p->diags.nerrors, 4);
	parsed_free(p);
	check_error_n(text, 0, "syntax error, unexpected ;", 1, 14, 15);
	check_error_n(text, 1, "syntax error, unexpected integer, expecting ; or }", 1, 23, 24);
	check_error_n(text, 2, "invalid character '`'", 2, 12, 13);
	/* The bad character is dropped, leaving an empty statement. */
	check_error_n(text, 3, "syntax error, unexpected ;", 2, 25, 26);

	/* A deeply nested expression is an error, not a stack overflow. */
	size_t n = 100000;
	char *deep = malloc(n * 2 + 32);
	strcpy(deep, "BEGIN { @x = ");
	size_t len = strlen(deep);
	memset(deep + len, '(', n);
	strcpy(deep + len + n, "1 }");
	p = parse(deep);
	assert_int_equal(p->rc, -EINVAL);
	assert_string_equal(p->diags.head->msg, "program nested too deeply");
	parsed_free(p);
	memset(deep, '{', n);
	strcpy(deep + n, "");
	p = parse(deep);
	assert_int_equal(p->rc, -EINVAL);
	parsed_free(p);
	free(deep);
}

/* prefix, n times link, suffix (malloc'd) */
static char *repeated(const char *prefix, const char *link, size_t n, const char *suffix)
{
	size_t lp = strlen(prefix), ll = strlen(link), ls = strlen(suffix);
	char *s = malloc(lp + ll * n + ls + 1);
	memcpy(s, prefix, lp);
	for (size_t i = 0; i < n; i++)
		memcpy(s + lp + i * ll, link, ll);
	memcpy(s + lp + ll * n, suffix, ls + 1);
	return s;
}

/*
 * Left-deep chains (a + b + c, x.f.g, x[1][2], else if) are read by loops, but
 * every later pass recurses once per link: beyond MAX_TREE_DEPTH (1000) levels they
 * are "nested too deeply", at the link that is one too many, as 100 KB of "+ 1"
 * (which overflowed sema's and codegen's stack).
 */
static void test_deep_chains(void **state)
{
	static const struct {
		const char *prefix, *link, *suffix;
		char at; /* the error's first character */
		size_t ok; /* links accepted */
	} chains[] = {
		{ "BEGIN { @x = 1", " + 1", "; }", '+', 900 },
		{ "BEGIN { @x = 1", " * 1", "; }", '*', 900 },
		{ "BEGIN { @x = 1", " && 1", "; }", '&', 900 },
		{ "BEGIN { @x = 1", " == 1", "; }", '=', 900 },
		{ "BEGIN { @x = $t", ".0", "; }", '.', 900 },
		{ "BEGIN { @x = $t", "->f", "; }", '-', 900 },
		{ "BEGIN { @x = @a", "[0]", "; }", '[', 900 },
		{ "BEGIN { $x", "++", "; }", '+', 900 },
		{ "BEGIN { if (1) {}", " else if (1) {}", " }", '1', 900 }, /* the condition, one level down */
		/* recursions of the parser's own, at most 200 */
		{ "BEGIN { @x = ", "(int8)", "1; }", '(', 190 },
		{ "BEGIN { @x = ", "-", "1; }", '-', 190 },
	};
	for (size_t i = 0; i < sizeof(chains) / sizeof(chains[0]); i++) {
		char *text = repeated(chains[i].prefix, chains[i].link, chains[i].ok, chains[i].suffix);
		struct parsed *p = parse(text);
		if (p->rc != 0)
			fail_msg("%zu links of '%s': %s", chains[i].ok, chains[i].link, p->diags.head->msg);
		parsed_free(p);
		free(text);
		text = repeated(chains[i].prefix, chains[i].link, 100000, chains[i].suffix);
		p = parse(text);
		assert_int_equal(p->rc, -EINVAL);
		assert_int_equal(p->diags.nerrors, 1);
		assert_string_equal(p->diags.head->msg, "program nested too deeply");
		const struct loc *at = &p->diags.head->loc;
		assert_int_equal(at->line, 1);
		assert_true(at->col > strlen(chains[i].prefix) && at->col < strlen(text));
		if (text[at->col - 1] != chains[i].at)
			fail_msg("'%s': the error is at column %u, '%.8s'", chains[i].link, at->col, text + at->col - 1);
		parsed_free(p);
		free(text);
	}
	/* a chain inside a nesting, itself the first operand of a chain: one tree */
	char *inner = repeated("BEGIN { @x = (1", " + 1", 600, ")");
	char *text = repeated(inner, " + 1", 300, "; }");
	struct parsed *p = parse(text);
	assert_int_equal(p->rc, 0);
	parsed_free(p);
	free(text);
	text = repeated(inner, " + 1", 500, "; }");
	p = parse(text);
	assert_int_equal(p->rc, -EINVAL);
	assert_string_equal(p->diags.head->msg, "program nested too deeply");
	parsed_free(p);
	free(text);
	free(inner);
}

/* Macro expansions stay within the same height, and within a number of nodes. */
static void test_macro_limits(void **state)
{
	char *text = repeated("macro m(x) { x", " + 1", 600, " } BEGIN { @x = m(m(1)); }");
	struct parsed *p = parse(text);
	assert_int_equal(p->rc, -EINVAL);
	assert_int_equal(p->diags.nerrors, 1);
	assert_string_equal(p->diags.head->msg, "macro expansion nested too deeply (more than 1000 levels)");
	assert_int_equal(p->diags.head->loc.col, strstr(text, "m(m(1))") - text + 1);
	parsed_free(p);
	free(text);
	text = repeated("macro m(x) { x", " + 1", 600, " } BEGIN { @x = m(1); @y = m(2); }");
	p = parse(text);
	assert_int_equal(p->rc, 0);
	parsed_free(p);
	free(text);
	/* x + x doubles at each call: 2^19 copies of 1 */
	char *calls = repeated("BEGIN { @x = ", "m(", 19, "1");
	text = repeated(calls, ")", 19, "; }");
	char *prog = malloc(strlen(text) + 32);
	snprintf(prog, strlen(text) + 32, "macro m(x) { x + x } %s", text);
	p = parse(prog);
	assert_int_equal(p->rc, -EINVAL);
	assert_int_equal(p->diags.nerrors, 1);
	assert_string_equal(p->diags.head->msg, "macro expansions too large (more than 1048576 nodes)");
	parsed_free(p);
	free(prog);
	free(text);
	free(calls);
}

static void test_emit(void **state)
{
	check_emit("BEGIN { @x = ; }",
		   "stdin:1:14-15: ERROR: syntax error, unexpected ;\n"
		   "BEGIN { @x = ; }\n"
		   "             ~\n");
	check_emit("BEGIN {\n\tprintf(\"hi); }",
		   "stdin:2:9-16: ERROR: unterminated string\n"
		   "    printf(\"hi); }\n"
		   "           ~~~~~~~\n"
		   "stdin:2:9-16: ERROR: syntax error, unexpected end of file, expecting ) or \",\"\n"
		   "    printf(\"hi); }\n"
		   "           ~~~~~~~\n");
	check_emit("BEGIN { @x = 1 } }",
		   "stdin:1:18-19: ERROR: syntax error, unexpected }\n"
		   "BEGIN { @x = 1 } }\n"
		   "                 ~\n");
}

/* A long line shows DIAG_LINE_WIDTH (100) columns, from a third of that before the span. */
static void test_emit_long_line(void **state)
{
	char a[201], text[512], want[1024];
	memset(a, 'a', 200);
	a[200] = '\0';
	/* the error is at column 217; from 33 columns before it, 184..283 are shown */
	snprintf(text, sizeof(text), "BEGIN { @x = %s + ; %s }", a, a);
	struct parsed *p = parse(text);
	char *got = emit_to_string(&p->diags);
	snprintf(want, sizeof(want),
		 "stdin:1:217-218: ERROR: syntax error, unexpected ;\n"
		 "...%.30s + ; %.65s...\n"
		 "%*s~\n", a, a, 36, "");
	assert_string_equal(got, want);
	free(got);
	parsed_free(p);
	/* near the start of the line: no leading "..." */
	snprintf(text, sizeof(text), "BEGIN { @x = ; %s }", a);
	p = parse(text);
	got = emit_to_string(&p->diags);
	snprintf(want, sizeof(want),
		 "stdin:1:14-15: ERROR: syntax error, unexpected ;\n"
		 "BEGIN { @x = ; %.85s...\n"
		 "             ~\n", a);
	assert_string_equal(got, want);
	free(got);
	parsed_free(p);
	/* near the end: the last 100 columns */
	snprintf(text, sizeof(text), "BEGIN { %s; @x = ; }", a);
	p = parse(text);
	got = emit_to_string(&p->diags);
	snprintf(want, sizeof(want),
		 "stdin:1:216-217: ERROR: syntax error, unexpected ;\n"
		 "...%.90s; @x = ; }\n"
		 "%*s~\n", a, 100, "");
	assert_string_equal(got, want);
	free(got);
	parsed_free(p);
}

/* Reading stops after DIAG_MAX_ERRORS errors; the rest of the script is not read. */
static void test_error_limit(void **state)
{
	char text[4096];
	memset(text, '`', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	for (size_t i = 0; i < sizeof(text) - 1; i += 2)
		text[i] = '\x01';
	struct parsed *p = parse(text);
	assert_int_equal(p->rc, -EINVAL);
	assert_true(diags_full(&p->diags));
	unsigned shown = 0;
	for (const struct diag *e = p->diags.head; e; e = e->next)
		shown++;
	assert_int_equal(shown, DIAG_MAX_ERRORS);
	char *got = emit_to_string(&p->diags);
	static const char tail[] = "\nERROR: too many errors, stopped after the first 20\n";
	size_t n = strlen(got);
	assert_true(n > strlen(tail));
	assert_string_equal(got + n - strlen(tail), tail);
	free(got);
	parsed_free(p);
}

/* ---- robustness ---- */

static const char *const scripts[] = {
	"#!/usr/bin/env bpftrace\n#include <linux/sched.h>\n#define N 10\n"
	"struct foo { int a; char b[8]; };\nconfig = { max_strlen = 100 }\n"
	"uprobe:/bin/bash:readline /pid == N/ { @[comm, ustack(3)] = count(); }\n"
	"kprobe:f+4,kprobe:g { $t = (1, \"a\\n\"); @x = $t.0 + sizeof(struct foo); }\n"
	"BEGIN { if ($1 > 0) { unroll(3) { @i++ } } else if !$# { while ($i < 5) { $i += 1; } }\n"
	"  for ($kv : @x) { print($kv); } for ($j : 0..10) { break; } }\n"
	"END { $p = (struct task_struct *)curtask; printf(\"%d\\n\", $p->pid); delete(@x, 1); }\n",
	"#ifdef BPFTRACE_HAVE_BTF\ntracepoint:syscalls:sys_enter_* { @[probe] = count() }\n#else\n"
	"BEGIN { /* c */ @x = 0x1f | 010 & ~1_000 ^ 1e3 << 2 >> 1; $y = $x ? -1 : *&$x; }\n#endif\n"
	"interval:s:1 { print(@); clear(@); exit(); }\n",
};

static void parse_quietly(const char *text, size_t len)
{
	struct arena a = ARENA_INIT;
	struct source src = { "fuzz", text, len };
	struct diags d;
	struct node *ast = NULL;
	diags_init(&d, &src);
	int rc = parse_program(&a, &src, NULL, &d, &ast);
	assert_true(rc == 0 || rc == -EINVAL);
	assert_true((rc == 0) == (d.nerrors == 0));
	if (rc == 0) {
		FILE *null = fopen("/dev/null", "w");
		ast_dump(null, ast);
		fclose(null);
	}
	FILE *null = fopen("/dev/null", "w");
	diags_emit(&d, null);
	fclose(null);
	diags_release(&d);
	arena_release(&a);
}

static void test_truncations(void **state)
{
	for (size_t s = 0; s < sizeof(scripts) / sizeof(scripts[0]); s++) {
		size_t len = strlen(scripts[s]);
		for (size_t n = 0; n <= len; n++) {
			char *prefix = strndup(scripts[s], n); /* NUL-terminated, as a source must be */
			parse_quietly(prefix, n);
			free(prefix);
		}
	}
}

static void test_random_bytes(void **state)
{
	static const char alphabet[] = "{}()[];,:./*-+<>=!&|^~?@$#\"'\\\n \t0123456789abcxyz_ifelse";
	unsigned seed = 12345;
	char buf[256];
	for (int round = 0; round < 3000; round++) {
		size_t len = 0;
		size_t want = (size_t)(rand_r(&seed) % (sizeof(buf) - 1));
		for (; len < want; len++) {
			unsigned r = (unsigned)rand_r(&seed);
			buf[len] = round % 3 == 0 ? (char)(r % 255 + 1) : alphabet[r % (sizeof(alphabet) - 1)];
		}
		buf[len] = '\0';
		parse_quietly(buf, len);
	}
	/* Mutations of a real script: one byte replaced at each position. */
	const char *base = scripts[0];
	size_t len = strlen(base);
	char *copy = strdup(base);
	for (size_t i = 0; i < len; i++) {
		char saved = copy[i];
		copy[i] = alphabet[i % (sizeof(alphabet) - 1)];
		parse_quietly(copy, len);
		copy[i] = saved;
	}
	free(copy);
}

static void test_names(void **state)
{
	assert_string_equal(op_name(OP_ADD), "+");
	assert_string_equal(op_name(OP_SHR), ">>");
	assert_string_equal(op_name(OP_LNOT), "!");
	assert_string_equal(op_name(OP_NONE), "=");
	assert_string_equal(node_kind_name(N_FOR_RANGE), "for_range");
	assert_string_equal(node_kind_name(N_PROGRAM), "program");
	assert_string_equal(node_kind_name(N_OFFSETOF), "offsetof");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe),
		cmocka_unit_test(test_attach_list),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_cdefs_and_config),
		cmocka_unit_test(test_preprocessor),
		cmocka_unit_test(test_assignments),
		cmocka_unit_test(test_incdec),
		cmocka_unit_test(test_declarations),
		cmocka_unit_test(test_if),
		cmocka_unit_test(test_loops),
		cmocka_unit_test(test_misc_statements),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_literals),
		cmocka_unit_test(test_variables_and_builtins),
		cmocka_unit_test(test_postfix),
		cmocka_unit_test(test_tuples),
		cmocka_unit_test(test_casts),
		cmocka_unit_test(test_sizeof_offsetof),
		cmocka_unit_test(test_realistic_scripts),
		cmocka_unit_test(test_error_unexpected_token),
		cmocka_unit_test(test_error_unbalanced),
		cmocka_unit_test(test_error_lexical),
		cmocka_unit_test(test_error_empty_program),
		cmocka_unit_test(test_error_recovery),
		cmocka_unit_test(test_emit),
		cmocka_unit_test(test_deep_chains),
		cmocka_unit_test(test_macro_limits),
		cmocka_unit_test(test_emit_long_line),
		cmocka_unit_test(test_error_limit),
		cmocka_unit_test(test_truncations),
		cmocka_unit_test(test_random_bytes),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
