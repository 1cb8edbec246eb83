/*
 * The fuzz target's function (tests/fuzz/fuzz_check.c) over every input in
 * tests/fuzz/regressions/ (what fuzzing once found) and the scripts in tools/: each
 * must be checked without a crash, a leak or undefined behaviour (the
 * sanitizers of `make SANITIZE=1 test` watch).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>

#include "../fuzz/fuzz_check.c"

static size_t replay(const char *pattern)
{
	glob_t g;
	if (glob(pattern, 0, NULL, &g) != 0)
		return 0;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		FILE *f = fopen(g.gl_pathv[i], "rb");
		assert_non_null(f);
		char buf[1 << 16];
		size_t n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		assert_int_equal(LLVMFuzzerTestOneInput((const uint8_t *)buf, n), 0);
	}
	size_t n = g.gl_pathc;
	globfree(&g);
	return n;
}

static void test_regressions(void **state)
{
	assert_true(replay("tests/fuzz/regressions/*") > 0);
}

static void test_tools(void **state)
{
	assert_true(replay("tools/*.bt") > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_regressions),
		cmocka_unit_test(test_tools),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
