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
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "../fuzz/fuzz_check.c"

/*
 * The inputs run on a thread with a small stack, so that a recursion growing
 * with the input shows at the size of a file kept here: the 40 KB sum of
 * regressions/sum-chain-40k.bt needed more than 512 KiB (more than 4 MiB under
 * ASan, whose frames are larger) before the parser bounded chains; 100 KB of it
 * overflowed strobe's 8 MiB.
 */
#if defined(__SANITIZE_ADDRESS__)
#define REPLAY_STACK (4u << 20)
#else
#define REPLAY_STACK (512u << 10)
#endif
#define REPLAY_MAX_INPUT (1u << 20) /* the script size limit */

struct replay {
	const char *pattern;
	size_t n;        /* inputs run */
	const char *bad; /* one that could not be read */
};

static void *replay_thread(void *arg)
{
	struct replay *r = arg;
	glob_t g;
	if (glob(r->pattern, 0, NULL, &g) != 0)
		return NULL;
	char *buf = malloc(REPLAY_MAX_INPUT);
	for (size_t i = 0; buf && i < g.gl_pathc && !r->bad; i++) {
		FILE *f = fopen(g.gl_pathv[i], "rb");
		if (!f) {
			r->bad = "an input could not be opened";
			break;
		}
		size_t n = fread(buf, 1, REPLAY_MAX_INPUT, f);
		fclose(f);
		if (LLVMFuzzerTestOneInput((const uint8_t *)buf, n) != 0)
			r->bad = "the target did not return 0";
		r->n++;
	}
	free(buf);
	globfree(&g);
	return NULL;
}

static size_t replay(const char *pattern)
{
	struct replay r = { .pattern = pattern };
	pthread_attr_t attr;
	pthread_t t;
	assert_int_equal(pthread_attr_init(&attr), 0);
	assert_int_equal(pthread_attr_setstacksize(&attr, REPLAY_STACK), 0);
	assert_int_equal(pthread_create(&t, &attr, replay_thread, &r), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	pthread_attr_destroy(&attr);
	if (r.bad)
		fail_msg("%s: %s", pattern, r.bad);
	return r.n;
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
