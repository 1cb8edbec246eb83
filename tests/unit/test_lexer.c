/* Lexer and preprocessor: tokens, literals, locations, directives, attach points. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/lexer.h"

struct lx_fixture {
	struct arena arena;
	struct source src;
	struct diags diags;
	struct lexer lx;
};

static struct lx_fixture *lx_open(const char *text, bool have_btf)
{
	struct lx_fixture *f = calloc(1, sizeof(*f));
	f->src = (struct source){ "stdin", text, strlen(text) };
	diags_init(&f->diags, &f->src);
	lexer_init(&f->lx, &f->arena, &f->src, &f->diags, have_btf);
	return f;
}

static void lx_close(struct lx_fixture *f)
{
	diags_release(&f->diags);
	arena_release(&f->arena);
	free(f);
}

static struct token tok(struct lx_fixture *f)
{
	struct token t;
	lexer_next(&f->lx, &t);
	return t;
}

/* Lex all of text and check the kinds, ending with T_EOF. */
static void check_kinds(const char *text, const enum tok_kind *kinds, size_t n)
{
	struct lx_fixture *f = lx_open(text, false);
	for (size_t i = 0; i < n; i++) {
		struct token t = tok(f);
		if (t.kind != kinds[i])
			fail_msg("%s: token %zu is '%s' (%d), expected %d", text, i, tok_name(&t), t.kind,
				 kinds[i]);
	}
	assert_int_equal(tok(f).kind, T_EOF);
	assert_int_equal(f->diags.nerrors, 0);
	lx_close(f);
}

#define CHECK_KINDS(text, ...)                                                           \
	do {                                                                             \
		static const enum tok_kind k_[] = { __VA_ARGS__ };                       \
		check_kinds(text, k_, sizeof(k_) / sizeof(k_[0]));                       \
	} while (0)

static void assert_loc(struct loc l, uint32_t line, uint32_t col, uint32_t end_col)
{
	if (l.line != line || l.col != col || l.end_col != end_col)
		fail_msg("loc %u:%u-%u, expected %u:%u-%u", l.line, l.col, l.end_col, line, col, end_col);
}

/* The one error lexing text records: message and span. */
static void check_lex_error(const char *text, const char *msg, uint32_t line, uint32_t col,
			    uint32_t end_col)
{
	struct lx_fixture *f = lx_open(text, false);
	for (int i = 0; i < 100 && tok(f).kind != T_EOF; i++)
		;
	lexer_finish(&f->lx);
	assert_int_equal(f->diags.nerrors, 1);
	assert_string_equal(f->diags.head->msg, msg);
	assert_loc(f->diags.head->loc, line, col, end_col);
	lx_close(f);
}

static void test_punctuation(void **state)
{
	CHECK_KINDS("<<= >>= << >> <= >= < > == != = ! && || & | ^ ~",
		    T_SHL_ASSIGN, T_SHR_ASSIGN, T_SHL, T_SHR, T_LE, T_GE, T_LT, T_GT, T_EQ, T_NE,
		    T_ASSIGN, T_BANG, T_LAND, T_LOR, T_AMP, T_PIPE, T_CARET, T_TILDE);
	CHECK_KINDS("+= -= *= /= %= &= |= ^= ++ -- + - * / %",
		    T_ADD_ASSIGN, T_SUB_ASSIGN, T_MUL_ASSIGN, T_DIV_ASSIGN, T_MOD_ASSIGN,
		    T_AND_ASSIGN, T_OR_ASSIGN, T_XOR_ASSIGN, T_INC, T_DEC, T_PLUS, T_MINUS, T_STAR,
		    T_SLASH, T_PERCENT);
	CHECK_KINDS("{ } ( ) [ ] , ; : . .. -> ?", T_LBRACE, T_RBRACE, T_LPAREN, T_RPAREN,
		    T_LBRACKET, T_RBRACKET, T_COMMA, T_SEMI, T_COLON, T_DOT, T_DOTDOT, T_ARROW,
		    T_QUESTION);
	/* Longest match without spaces. */
	CHECK_KINDS("a->b--c<<=1", T_IDENT, T_ARROW, T_IDENT, T_DEC, T_IDENT, T_SHL_ASSIGN, T_INT);
	CHECK_KINDS("0..10", T_INT, T_DOTDOT, T_INT);
	CHECK_KINDS("$t.0.1", T_VAR, T_DOT, T_INT, T_DOT, T_INT);
}

static void test_endpred(void **state)
{
	/* A '/' followed by '{' (across blanks and comments) closes a filter. */
	CHECK_KINDS("a / b /{", T_IDENT, T_SLASH, T_IDENT, T_ENDPRED, T_LBRACE);
	CHECK_KINDS("a/ /* c */\n {", T_IDENT, T_ENDPRED, T_LBRACE);
}

static void test_words(void **state)
{
	CHECK_KINDS("if else unroll while for break continue return sizeof offsetof true false "
		    "struct union enum config",
		    T_IF, T_ELSE, T_UNROLL, T_WHILE, T_FOR, T_BREAK, T_CONTINUE, T_RETURN, T_SIZEOF,
		    T_OFFSETOF, T_TRUE, T_FALSE, T_STRUCT, T_UNION, T_ENUM, T_IDENT);
	CHECK_KINDS("$x $1 $# @ @m @_a1", T_VAR, T_POSITIONAL, T_PARAMCOUNT, T_MAP, T_MAP, T_MAP);

	struct lx_fixture *f = lx_open("$var @map[ $12 exit() exit ()", false);
	struct token t = tok(f);
	assert_int_equal(t.len, 3);
	assert_memory_equal(t.text, "var", 3);
	t = tok(f);
	assert_int_equal(t.len, 3);
	assert_memory_equal(t.text, "map", 3);
	assert_int_equal(tok(f).kind, T_LBRACKET);
	t = tok(f);
	assert_int_equal(t.kind, T_POSITIONAL);
	assert_int_equal(t.ival, 12);
	t = tok(f);
	assert_true(t.call);
	assert_string_equal(tok_name(&t), "call");
	tok(f);
	tok(f);
	t = tok(f);
	assert_false(t.call);
	assert_string_equal(tok_name(&t), "identifier");
	lx_close(f);
}

static void test_builtin_names(void **state)
{
	const char *yes[] = { "pid", "comm", "kstack", "arg0", "arg255", "sarg0", "sarg255", "usermode" };
	const char *no[] = { "arg256", "arg01", "sarg", "argx", "pids", "exit", "arg" };
	for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_true(is_builtin_name(yes[i], strlen(yes[i])));
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_false(is_builtin_name(no[i], strlen(no[i])));
}

static uint64_t lex_int(const char *text)
{
	struct lx_fixture *f = lx_open(text, false);
	struct token t = tok(f);
	assert_int_equal(t.kind, T_INT);
	assert_int_equal(f->diags.nerrors, 0);
	assert_int_equal(tok(f).kind, T_EOF);
	uint64_t v = t.ival;
	lx_close(f);
	return v;
}

static void test_integers(void **state)
{
	assert_int_equal(lex_int("0"), 0);
	assert_int_equal(lex_int("42"), 42);
	assert_int_equal(lex_int("0x1F"), 31);
	assert_int_equal(lex_int("0XfF"), 255);
	assert_int_equal(lex_int("010"), 8);
	assert_int_equal(lex_int("1_000_000"), 1000000);
	assert_int_equal(lex_int("1e6"), 1000000);
	assert_int_equal(lex_int("5E0"), 5);
	assert_int_equal(lex_int("5u"), 5);
	assert_int_equal(lex_int("5ul"), 5);
	assert_int_equal(lex_int("5LL"), 5);
	assert_int_equal(lex_int("5ull"), 5);
	assert_int_equal(lex_int("0x10UL"), 16);
	assert_true(lex_int("18446744073709551615") == UINT64_MAX);
	assert_true(lex_int("0xffffffffffffffff") == UINT64_MAX);
	assert_true(lex_int("1e19") == 10000000000000000000ull);
}

static void test_integer_errors(void **state)
{
	check_lex_error("18446744073709551616", "Integer literal out of range: 18446744073709551616",
			1, 1, 21);
	check_lex_error("x = 0x1ffffffffffffffff;", "Integer literal out of range: 0x1ffffffffffffffff",
			1, 5, 24);
	check_lex_error("2e19", "Integer literal out of range: 2e19", 1, 1, 5);
	check_lex_error("1e99999999999999999999", "Integer literal out of range: 1e99999999999999999999",
			1, 1, 23);
	check_lex_error("08", "Found trailing non-numeric characters", 1, 1, 3);
	check_lex_error("12abc", "Found trailing non-numeric characters", 1, 1, 6);
	check_lex_error("0x", "Found trailing non-numeric characters", 1, 1, 3);
	check_lex_error("1e", "Found trailing non-numeric characters", 1, 1, 3);
}

static void test_strings(void **state)
{
	struct lx_fixture *f = lx_open("\"a\\n\\t\\r\\\\\\\"b\\x41\\101\\0c\\x7\" \"\"", false);
	struct token t = tok(f);
	assert_int_equal(t.kind, T_STRING);
	assert_int_equal(t.slen, 12);
	assert_memory_equal(t.sval, "a\n\t\r\\\"bAA\0c\a", 12);
	assert_loc(t.loc, 1, 1, 29);
	t = tok(f);
	assert_int_equal(t.kind, T_STRING);
	assert_int_equal(t.slen, 0);
	assert_string_equal(t.sval, "");
	assert_int_equal(f->diags.nerrors, 0);
	lx_close(f);
}

static void test_string_errors(void **state)
{
	check_lex_error("x \"abc", "unterminated string", 1, 3, 7);
	check_lex_error("x \"abc\ny", "unterminated string", 1, 3, 7);
	check_lex_error("\"a\\qb\"", "invalid escape character '\\q'", 1, 3, 5);
	check_lex_error("\"a\\x\"", "invalid escape character '\\x'", 1, 3, 5);
}

static void test_comments_and_locations(void **state)
{
	struct lx_fixture *f = lx_open("// line\n  a /* x\n y */ b\n\tc", false);
	struct token t = tok(f);
	assert_loc(t.loc, 2, 3, 4);
	t = tok(f);
	assert_loc(t.loc, 3, 7, 8);
	t = tok(f);
	assert_loc(t.loc, 4, 2, 3); /* byte columns: a tab is one */
	t = tok(f);
	assert_int_equal(t.kind, T_EOF);
	assert_loc(t.loc, 4, 2, 3); /* end of file is reported at the last token */
	lx_close(f);

	check_lex_error("a /* never\nends", "end of file during comment", 1, 3, 11);
}

static void test_bad_characters(void **state)
{
	check_lex_error("a ` b", "invalid character '`'", 1, 3, 4);
	check_lex_error("a\x01", "invalid character '\\x01'", 1, 2, 3);
	check_lex_error("$", "invalid character '$'", 1, 1, 2);
	check_lex_error("x # y", "invalid character '#'", 1, 3, 4);
	check_lex_error("\xc3\xa9", "invalid character '\xc3\xa9'", 1, 1, 3);
}

static void test_shebang_and_include(void **state)
{
	CHECK_KINDS("#!/usr/bin/env bpftrace\n#include <linux/bpf.h>\nBEGIN", T_IDENT);
	/* a header found nowhere is an error at its name; a kernel header needs no file with BTF */
	check_lex_error("BEGIN\n #include \"strobe-no-such.h\"\n", "'strobe-no-such.h' file not found", 2, 11, 29);
	check_lex_error("#include <strobe/no-such.h>\nBEGIN", "'strobe/no-such.h' file not found", 1, 10, 28);
	struct lx_fixture *f = lx_open("#include <net/strobe-no-such.h>\nBEGIN", true);
	assert_int_equal(tok(f).kind, T_IDENT);
	assert_int_equal(f->diags.nerrors, 0);
	lx_close(f);
}

static void test_define(void **state)
{
	struct lx_fixture *f = lx_open("#define N 10 // ten\n#define S \"s\"\n#define E\n"
				       "#define TWO N + N\n#define SELF SELF + 1\n"
				       "x = TWO; E S SELF", false);
	struct token t = tok(f);
	assert_int_equal(t.kind, T_IDENT);
	assert_int_equal(tok(f).kind, T_ASSIGN);
	/* Expansion tokens take the location of the use. */
	for (int i = 0; i < 3; i++) {
		t = tok(f);
		assert_int_equal(t.kind, i == 1 ? T_PLUS : T_INT);
		assert_loc(t.loc, 6, 5, 8);
	}
	assert_int_equal(t.ival, 10);
	assert_int_equal(tok(f).kind, T_SEMI);
	t = tok(f);
	assert_int_equal(t.kind, T_STRING);
	assert_string_equal(t.sval, "s");
	/* A macro naming itself is not expanded again. */
	t = tok(f);
	assert_int_equal(t.kind, T_IDENT);
	assert_memory_equal(t.text, "SELF", 4);
	assert_int_equal(tok(f).kind, T_PLUS);
	assert_int_equal(tok(f).kind, T_INT);
	assert_int_equal(tok(f).kind, T_EOF);
	assert_int_equal(f->diags.nerrors, 0);
	lx_close(f);

	/* #undef, and function-like macros are left to the C definitions. */
	CHECK_KINDS("#define A 1\n#undef A\n#define F(x) x\nA F", T_IDENT, T_IDENT);
}

static void test_conditionals(void **state)
{
	CHECK_KINDS("#if 0\nskipped ` \"\n#else\nkept\n#endif", T_IDENT);
	CHECK_KINDS("#if 1\nkept\n#else\nskipped\n#endif", T_IDENT);
	CHECK_KINDS("#define X 2\n#if X == 2 && !defined(Y) && (defined X || 0)\n1\n#endif", T_INT);
	CHECK_KINDS("#ifdef X\n1\n#elif 1\nif\n#elif 1\n2\n#else\n3\n#endif", T_IF);
	CHECK_KINDS("#ifndef X\n#if 0\n1\n#else\nwhile\n#endif\n#endif", T_WHILE);
	CHECK_KINDS("#if 0\n#if 1\n1\n#endif\n#define Z\n#else\nZ\n#endif", T_IDENT);
	CHECK_KINDS("  #  if 1 // comment\nx\n  #  endif", T_IDENT);

	struct lx_fixture *f = lx_open("#ifdef BPFTRACE_HAVE_BTF\nbtf\n#else\nnobtf\n#endif", true);
	struct token t = tok(f);
	assert_memory_equal(t.text, "btf", 3);
	lx_close(f);
	f = lx_open("#ifdef BPFTRACE_HAVE_BTF\nbtf\n#else\nnobtf\n#endif", false);
	t = tok(f);
	assert_memory_equal(t.text, "nobtf", 5);
	lx_close(f);
}

static void test_directive_errors(void **state)
{
	check_lex_error("#if 1\nx", "unterminated conditional directive", 1, 1, 6);
	check_lex_error("#else\n", "#else without #if", 1, 1, 6);
	check_lex_error("#if 1\n#else\n#else\n#endif", "#else after #else", 3, 1, 6);
	check_lex_error("#endif", "#endif without #if", 1, 1, 7);
	check_lex_error("#if 1 +\n#endif", "invalid preprocessor expression", 1, 1, 8);
	check_lex_error("#frob x", "unknown preprocessor directive '#frob'", 1, 1, 8);
	check_lex_error("#define\n", "macro name missing", 1, 1, 8);
	check_lex_error("#error stop here", "#error stop here", 1, 1, 17);
}

static struct token attach(struct lx_fixture *f)
{
	struct token t;
	assert_true(lexer_attach(&f->lx, &t));
	assert_int_equal(t.kind, T_ATTACH);
	return t;
}

#define ASSERT_TEXT(tk, s)                                    \
	do {                                                  \
		struct token t_ = (tk);                       \
		assert_int_equal(t_.len, strlen(s));          \
		assert_memory_equal(t_.text, s, strlen(s));   \
	} while (0)

static void test_attach_points(void **state)
{
	struct lx_fixture *f = lx_open("uprobe:/bin/bash:readline /pid/ {", false);
	struct token t = attach(f);
	ASSERT_TEXT(t, "uprobe:/bin/bash:readline");
	assert_loc(t.loc, 1, 1, 26);
	assert_true(lexer_accept_char(&f->lx, '/'));
	lx_close(f);

	/* With a ':' the '/' belongs to the attach point (bpftrace does the same). */
	f = lx_open("kprobe:f/pid/{", false);
	t = attach(f);
	ASSERT_TEXT(t, "kprobe:f/pid/");
	assert_int_equal(lexer_peek_char(&f->lx), '{');
	lx_close(f);

	f = lx_open("BEGIN/1/{", false);
	t = attach(f);
	ASSERT_TEXT(t, "BEGIN");
	assert_int_equal(lexer_peek_char(&f->lx), '/');
	lx_close(f);

	f = lx_open("kprobe:a,kprobe:b ,\n  t:s:e* uprobe:\"/a b\":f usdt:/x:\"p\":q", false);
	ASSERT_TEXT(attach(f), "kprobe:a");
	assert_true(lexer_accept_char(&f->lx, ','));
	ASSERT_TEXT(attach(f), "kprobe:b");
	assert_true(lexer_accept_char(&f->lx, ','));
	t = attach(f);
	ASSERT_TEXT(t, "t:s:e*");
	assert_loc(t.loc, 2, 3, 9);
	assert_false(lexer_accept_char(&f->lx, ','));
	ASSERT_TEXT(attach(f), "uprobe:\"/a b\":f");
	ASSERT_TEXT(attach(f), "usdt:/x:\"p\":q");
	assert_false(lexer_attach(&f->lx, &t));
	assert_int_equal(f->diags.nerrors, 0);
	lx_close(f);

	f = lx_open("  { x", false);
	assert_false(lexer_attach(&f->lx, &t));
	assert_int_equal(tok(f).kind, T_LBRACE);
	lx_close(f);

	f = lx_open("uprobe:\"/a b", false);
	attach(f);
	assert_int_equal(f->diags.nerrors, 1);
	assert_string_equal(f->diags.head->msg, "unterminated string");
	lx_close(f);
}

static void test_top_level_shapes(void **state)
{
	struct lx_fixture *f = lx_open(" struct foo /* c */ { int a; struct { int b; } c; } ;", false);
	assert_true(lexer_at_cdef(&f->lx));
	assert_false(lexer_at_config(&f->lx));
	struct token t;
	lexer_cdef(&f->lx, &t);
	ASSERT_TEXT(t, "struct foo /* c */ { int a; struct { int b; } c; }");
	assert_true(lexer_accept_char(&f->lx, ';'));
	assert_int_equal(lexer_peek_char(&f->lx), -1);
	lx_close(f);

	const char *cdefs[] = { "union u {", "enum {", "enum e\n{" };
	for (size_t i = 0; i < 3; i++) {
		f = lx_open(cdefs[i], false);
		assert_true(lexer_at_cdef(&f->lx));
		lx_close(f);
	}
	const char *not_cdefs[] = { "struct {", "structs a {", "struct a b {", "kprobe:f {" };
	for (size_t i = 0; i < 4; i++) {
		f = lx_open(not_cdefs[i], false);
		assert_false(lexer_at_cdef(&f->lx));
		lx_close(f);
	}

	f = lx_open("config\n = {", false);
	assert_true(lexer_at_config(&f->lx));
	lx_close(f);
	f = lx_open("config == 1", false);
	assert_false(lexer_at_config(&f->lx));
	lx_close(f);
	f = lx_open("configs = 1", false);
	assert_false(lexer_at_config(&f->lx));
	lx_close(f);

	f = lx_open("struct a { int x;", false);
	lexer_cdef(&f->lx, &t);
	assert_int_equal(f->diags.nerrors, 1);
	assert_string_equal(f->diags.head->msg, "syntax error, unexpected end of file, expecting }");
	lx_close(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_punctuation),
		cmocka_unit_test(test_endpred),
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_builtin_names),
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_integer_errors),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_string_errors),
		cmocka_unit_test(test_comments_and_locations),
		cmocka_unit_test(test_bad_characters),
		cmocka_unit_test(test_shebang_and_include),
		cmocka_unit_test(test_define),
		cmocka_unit_test(test_conditionals),
		cmocka_unit_test(test_directive_errors),
		cmocka_unit_test(test_attach_points),
		cmocka_unit_test(test_top_level_shapes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
