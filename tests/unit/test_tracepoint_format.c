/*
 * The tracefs format parser, on format files copied from the development
 * kernel (Linux 6.18). The parser's source is compiled in directly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../providers/tracepoint/format.c"

#define COMMON_FIELDS                                                                     \
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"             \
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"             \
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"     \
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"                          \
	"\n"

static const char sys_enter_openat[] =
	"name: sys_enter_openat\n"
	"ID: 782\n"
	"format:\n" COMMON_FIELDS
	"\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;\n"
	"\tfield:int dfd;\toffset:16;\tsize:8;\tsigned:0;\n"
	"\tfield:const char * filename;\toffset:24;\tsize:8;\tsigned:0;\n"
	"\tfield:int flags;\toffset:32;\tsize:8;\tsigned:0;\n"
	"\tfield:umode_t mode;\toffset:40;\tsize:8;\tsigned:0;\n"
	"\n"
	"print fmt: \"dfd: 0x%08lx, filename: 0x%08lx, flags: 0x%08lx, mode: 0x%08lx\", "
	"((unsigned long)(REC->dfd)), ((unsigned long)(REC->filename)), "
	"((unsigned long)(REC->flags)), ((unsigned long)(REC->mode))\n";

static const char sched_switch[] =
	"name: sched_switch\n"
	"ID: 372\n"
	"format:\n" COMMON_FIELDS
	"\tfield:char prev_comm[16];\toffset:8;\tsize:16;\tsigned:0;\n"
	"\tfield:pid_t prev_pid;\toffset:24;\tsize:4;\tsigned:1;\n"
	"\tfield:int prev_prio;\toffset:28;\tsize:4;\tsigned:1;\n"
	"\tfield:long prev_state;\toffset:32;\tsize:8;\tsigned:1;\n"
	"\tfield:char next_comm[16];\toffset:40;\tsize:16;\tsigned:0;\n"
	"\tfield:pid_t next_pid;\toffset:56;\tsize:4;\tsigned:1;\n"
	"\tfield:int next_prio;\toffset:60;\tsize:4;\tsigned:1;\n"
	"\n"
	"print fmt: \"prev_comm=%s prev_pid=%d prev_prio=%d prev_state=%s%s ==> next_comm=%s "
	"next_pid=%d next_prio=%d\", REC->prev_comm, REC->prev_pid\n";

static const char sched_process_exec[] =
	"name: sched_process_exec\n"
	"ID: 365\n"
	"format:\n" COMMON_FIELDS
	"\tfield:__data_loc char[] filename;\toffset:8;\tsize:4;\tsigned:0;\n"
	"\tfield:pid_t pid;\toffset:12;\tsize:4;\tsigned:1;\n"
	"\tfield:pid_t old_pid;\toffset:16;\tsize:4;\tsigned:1;\n"
	"\n"
	"print fmt: \"filename=%s pid=%d old_pid=%d\", __get_str(filename), REC->pid, REC->old_pid\n";

static const char sys_enter_execve[] =
	"name: sys_enter_execve\n"
	"ID: 862\n"
	"format:\n" COMMON_FIELDS
	"\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;\n"
	"\tfield:const char * filename;\toffset:16;\tsize:8;\tsigned:0;\n"
	"\tfield:const char *const * argv;\toffset:24;\tsize:8;\tsigned:0;\n"
	"\tfield:const char *const * envp;\toffset:32;\tsize:8;\tsigned:0;\n";

/* ftrace's own events end with a flexible array. */
static const char ftrace_print[] =
	"name: print\n"
	"ID: 5\n"
	"format:\n" COMMON_FIELDS
	"\tfield:unsigned long ip;\toffset:8;\tsize:8;\tsigned:0;\n"
	"\tfield:char buf[];\toffset:16;\tsize:0;\tsigned:0;\n";

static void expect_arg(const struct strobe_arg *a, const char *name, const char *ctype,
		       enum strobe_arg_kind kind, int32_t offset, uint32_t size, bool is_signed)
{
	assert_string_equal(a->name, name);
	assert_string_equal(a->ctype, ctype);
	assert_int_equal(a->kind, kind);
	assert_int_equal(a->loc, STROBE_LOC_CTX);
	assert_int_equal(a->offset, offset);
	assert_int_equal(a->size, size);
	assert_int_equal(a->is_signed, is_signed);
}

static void test_openat(void **state)
{
	struct tp_format f;
	assert_int_equal(tp_format_parse(sys_enter_openat, true, &f), 0);
	assert_int_equal(f.n, 5);
	expect_arg(&f.args[0], "__syscall_nr", "int", STROBE_ARG_INT, 8, 4, true);
	expect_arg(&f.args[1], "dfd", "int", STROBE_ARG_INT, 16, 8, false);
	expect_arg(&f.args[2], "filename", "const char *", STROBE_ARG_PTR, 24, 8, false);
	assert_string_equal(f.args[2].pointee, "char");
	assert_true(f.args[2].user);
	assert_false(f.args[1].user);
	expect_arg(&f.args[3], "flags", "int", STROBE_ARG_INT, 32, 8, false);
	expect_arg(&f.args[4], "mode", "umode_t", STROBE_ARG_INT, 40, 8, false);
	tp_format_release(&f);
}

static void test_sched_switch(void **state)
{
	struct tp_format f;
	assert_int_equal(tp_format_parse(sched_switch, false, &f), 0);
	assert_int_equal(f.n, 7);
	expect_arg(&f.args[0], "prev_comm", "char", STROBE_ARG_ARRAY, 8, 16, false);
	assert_int_equal(f.args[0].count, 16);
	assert_int_equal(f.args[0].elem_size, 1);
	assert_string_equal(f.args[0].pointee, "char");
	expect_arg(&f.args[1], "prev_pid", "pid_t", STROBE_ARG_INT, 24, 4, true);
	expect_arg(&f.args[3], "prev_state", "long", STROBE_ARG_INT, 32, 8, true);
	expect_arg(&f.args[4], "next_comm", "char", STROBE_ARG_ARRAY, 40, 16, false);
	expect_arg(&f.args[6], "next_prio", "int", STROBE_ARG_INT, 60, 4, true);
	tp_format_release(&f);
}

static void test_data_loc(void **state)
{
	struct tp_format f;
	assert_int_equal(tp_format_parse(sched_process_exec, false, &f), 0);
	assert_int_equal(f.n, 3);
	expect_arg(&f.args[0], "filename", "__data_loc char[]", STROBE_ARG_DATA_LOC, 8, 4, false);
	assert_string_equal(f.args[0].pointee, "char");
	expect_arg(&f.args[2], "old_pid", "pid_t", STROBE_ARG_INT, 16, 4, true);
	tp_format_release(&f);
}

static void test_pointer_to_pointer(void **state)
{
	struct tp_format f;
	assert_int_equal(tp_format_parse(sys_enter_execve, true, &f), 0);
	assert_int_equal(f.n, 4);
	expect_arg(&f.args[2], "argv", "const char *const *", STROBE_ARG_PTR, 24, 8, false);
	assert_string_equal(f.args[2].pointee, "char *");
	assert_string_equal(f.args[1].pointee, "char");
	tp_format_release(&f);
}

static void test_flexible_array(void **state)
{
	struct tp_format f;
	assert_int_equal(tp_format_parse(ftrace_print, false, &f), 0);
	assert_int_equal(f.n, 2);
	expect_arg(&f.args[1], "buf", "char", STROBE_ARG_ARRAY, 16, 0, false);
	assert_int_equal(f.args[1].count, 0);
	tp_format_release(&f);
}

static void test_malformed(void **state)
{
	struct tp_format f = { 0 };
	assert_int_equal(tp_format_parse("\tfield:int x;\toffset:8;\n", false, &f), -EINVAL);
	assert_int_equal(tp_format_parse("\tfield:int;\toffset:8;\tsize:4;\tsigned:1;\n", false, &f),
			 -EINVAL);
	assert_int_equal(tp_format_parse("\tfield:int x[zz];\toffset:8;\tsize:4;\tsigned:1;\n", false,
					 &f),
			 -EINVAL);
	assert_null(f.args);
	assert_int_equal(tp_format_parse("", false, &f), 0);
	assert_int_equal(f.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_openat),
		cmocka_unit_test(test_sched_switch),
		cmocka_unit_test(test_data_loc),
		cmocka_unit_test(test_pointer_to_pointer),
		cmocka_unit_test(test_flexible_array),
		cmocka_unit_test(test_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
