/*
 * The USDT argument parser on every x86-64 operand form gcc and clang emit
 * into .note.stapsdt (the forms below are copied from real notes:
 * tests/progs/usdt_target, python3.11, libstdc++). Its source is compiled in.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../providers/usdt/usdt_args.c"

/* pt_regs slots */
#define S_R15 0
#define S_RBP 4
#define S_RBX 5
#define S_R8 9
#define S_RAX 10
#define S_RCX 11
#define S_RDX 12
#define S_RSI 13
#define S_RDI 14
#define S_RIP 16
#define S_RSP 19

static struct usdt_arg parse_ok(const char *spec)
{
	struct usdt_arg a;
	char err[256] = "";
	int rc = usdt_parse_arg(spec, &a, err, sizeof(err));
	if (rc)
		fail_msg("'%s': %s", spec, err);
	return a;
}

static void test_registers(void **state)
{
	struct usdt_arg a = parse_ok("-4@%eax");
	assert_int_equal(a.a.loc, STROBE_LOC_REG);
	assert_int_equal(a.a.reg, S_RAX);
	assert_int_equal(a.a.size, 4);
	assert_true(a.a.is_signed);
	assert_int_equal(a.a.kind, STROBE_ARG_INT);

	a = parse_ok("8@%rdi");
	assert_int_equal(a.a.reg, S_RDI);
	assert_int_equal(a.a.size, 8);
	assert_false(a.a.is_signed);

	a = parse_ok("-1@%dil");
	assert_int_equal(a.a.reg, S_RDI);
	assert_int_equal(a.a.size, 1);
	a = parse_ok("2@%si");
	assert_int_equal(a.a.reg, S_RSI);
	a = parse_ok("-8@%r8");
	assert_int_equal(a.a.reg, S_R8);
	a = parse_ok("4@%r8d");
	assert_int_equal(a.a.reg, S_R8);
	a = parse_ok("1@%r15b");
	assert_int_equal(a.a.reg, S_R15);
	a = parse_ok("2@%r15w");
	assert_int_equal(a.a.reg, S_R15);
	a = parse_ok("-4@%ebp");
	assert_int_equal(a.a.reg, S_RBP);
	a = parse_ok("8@%rbx");
	assert_int_equal(a.a.reg, S_RBX);
	a = parse_ok("8@%rcx");
	assert_int_equal(a.a.reg, S_RCX);
	a = parse_ok("-4@%edx");
	assert_int_equal(a.a.reg, S_RDX);
	a = parse_ok("8@%rsp");
	assert_int_equal(a.a.reg, S_RSP);
}

static void test_constants(void **state)
{
	struct usdt_arg a = parse_ok("-1@$5");
	assert_int_equal(a.a.loc, STROBE_LOC_CONST);
	assert_int_equal(a.a.value, 5);
	assert_int_equal(a.a.size, 1);
	a = parse_ok("-4@$-1");
	assert_int_equal(a.a.value, -1);
	a = parse_ok("4@$0x1234");
	assert_int_equal(a.a.value, 0x1234);
	a = parse_ok("8@$18446744073709551615");
	assert_int_equal(a.a.value, -1);
}

static void test_memory(void **state)
{
	struct usdt_arg a = parse_ok("8@-8(%rbp)");
	assert_int_equal(a.a.loc, STROBE_LOC_REG_MEM);
	assert_int_equal(a.a.reg, S_RBP);
	assert_int_equal(a.a.offset, -8);
	assert_true(a.a.user);
	a = parse_ok("-4@112(%rsp)");
	assert_int_equal(a.a.reg, S_RSP);
	assert_int_equal(a.a.offset, 112);
	a = parse_ok("4@(%rax)");
	assert_int_equal(a.a.loc, STROBE_LOC_REG_MEM);
	assert_int_equal(a.a.offset, 0);
	a = parse_ok("2@0x10(%rdi)");
	assert_int_equal(a.a.offset, 16);
}

static void test_indexed(void **state)
{
	struct usdt_arg a = parse_ok("4@8(%rsp,%rax,4)");
	assert_int_equal(a.a.loc, STROBE_LOC_REG_INDEX_MEM);
	assert_int_equal(a.a.reg, S_RSP);
	assert_int_equal(a.a.index_reg, S_RAX);
	assert_int_equal(a.a.scale, 4);
	assert_int_equal(a.a.offset, 8);
	a = parse_ok("-4@-32(%rbp,%rdi,4)");
	assert_int_equal(a.a.reg, S_RBP);
	assert_int_equal(a.a.index_reg, S_RDI);
	assert_int_equal(a.a.offset, -32);
	a = parse_ok("-4@(%rax,%rdi,4)");
	assert_int_equal(a.a.reg, S_RAX);
	assert_int_equal(a.a.offset, 0);
	a = parse_ok("8@(%rax,%rdx)");
	assert_int_equal(a.a.scale, 1);
	a = parse_ok("8@16(,%rcx,8)");
	assert_int_equal(a.a.loc, STROBE_LOC_REG_INDEX_MEM);
	assert_int_equal(a.a.reg, -1);
	assert_int_equal(a.a.index_reg, S_RCX);
	assert_int_equal(a.a.scale, 8);
}

static void test_symbols(void **state)
{
	struct usdt_arg a = parse_ok("-8@global_counter(%rip)");
	assert_int_equal(a.a.loc, STROBE_LOC_REG_MEM);
	assert_int_equal(a.a.reg, S_RIP);
	assert_true(a.rip);
	assert_string_equal(a.sym, "global_counter");
	assert_int_equal(a.a.offset, 0);
	a = parse_ok("-4@12+table(%rip)");
	assert_string_equal(a.sym, "table");
	assert_int_equal(a.a.offset, 12);
	a = parse_ok("4@table+8(%rip)");
	assert_string_equal(a.sym, "table");
	assert_int_equal(a.a.offset, 8);
	a = parse_ok("4@_ZN3foo3barE-4(%rip)");
	assert_string_equal(a.sym, "_ZN3foo3barE");
	assert_int_equal(a.a.offset, -4);
	/* absolute (non-PIE): no register at all */
	a = parse_ok("8@counter");
	assert_int_equal(a.a.loc, STROBE_LOC_REG_INDEX_MEM);
	assert_int_equal(a.a.reg, -1);
	assert_int_equal(a.a.index_reg, -1);
	assert_string_equal(a.sym, "counter");
	assert_false(a.rip);
}

static void test_no_size(void **state)
{
	/* very old notes have no "N@" prefix */
	struct usdt_arg a = parse_ok("%eax");
	assert_int_equal(a.a.loc, STROBE_LOC_REG);
	assert_int_equal(a.a.size, 8);
}

static void test_errors(void **state)
{
	static const char *const bad[] = { "3@%eax",  "-4@%ah",	    "4@%foo",	      "4@$",
					   "4@8(%rax", "4@8(%rax,%rbx,3)", "4@(%rax,%rip)", "4@",
					   "x@%eax",  "4@8(%rax))", "4@a+b(%rip)",   "4@-sym(%rip)" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct usdt_arg a;
		char err[256] = "";
		if (usdt_parse_arg(bad[i], &a, err, sizeof(err)) == 0)
			fail_msg("'%s' parsed", bad[i]);
		assert_true(err[0] != '\0');
	}
}

static void test_whole_strings(void **state)
{
	struct usdt_arg v[USDT_MAX_ARGS];
	char err[256];
	assert_int_equal(usdt_parse_args("-1@%dil 2@%si -4@%edx 8@%rcx -8@%r8", v, USDT_MAX_ARGS, err,
					 sizeof(err)),
			 5);
	assert_int_equal(v[4].a.reg, S_R8);
	assert_int_equal(usdt_parse_args("", v, USDT_MAX_ARGS, err, sizeof(err)), 0);
	assert_int_equal(usdt_parse_args("  8@%rax   -4@$1 ", v, USDT_MAX_ARGS, err, sizeof(err)), 2);
	assert_int_equal(usdt_parse_args("8@%rax 8@%rbx 8@%rcx", v, 2, err, sizeof(err)), -E2BIG);
	assert_int_equal(usdt_parse_args("8@%rax 8@%bogus", v, USDT_MAX_ARGS, err, sizeof(err)), -EINVAL);
}

static void test_reg_numbers(void **state)
{
	/* x86-64 struct pt_regs order */
	static const char *const order[] = { "r15", "r14", "r13", "r12", "rbp", "rbx", "r11",
					     "r10", "r9",  "r8",  "rax", "rcx", "rdx", "rsi",
					     "rdi" };
	for (int i = 0; i < 15; i++)
		assert_int_equal(usdt_reg_number(order[i]), i);
	assert_int_equal(usdt_reg_number("rip"), 16);
	assert_int_equal(usdt_reg_number("rsp"), 19);
	assert_int_equal(usdt_reg_number("xmm0"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registers),  cmocka_unit_test(test_constants),
		cmocka_unit_test(test_memory),	   cmocka_unit_test(test_indexed),
		cmocka_unit_test(test_symbols),	   cmocka_unit_test(test_no_size),
		cmocka_unit_test(test_errors),	   cmocka_unit_test(test_whole_strings),
		cmocka_unit_test(test_reg_numbers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
