/*
 * The syscall number table of the tracepoint provider (sysnr.h): parsing
 * <asm/unistd_64.h> and looking tracepoint names up. The source is compiled
 * in directly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../providers/tracepoint/sysnr.c"

static void test_parse_header(void **state)
{
	(void)state;
	static const char text[] = "#ifndef _ASM_UNISTD_64_H\n"
				   "#define _ASM_UNISTD_64_H\n"
				   "\n"
				   "#define __NR_read 0\n"
				   "#define __NR_write 1\n"
				   "#  define\t__NR_openat\t257 /* comment */\n"
				   "#define __NR_x32_thing (__X32_SYSCALL_BIT + 512)\n"
				   "#define __NR_bad 12x\n"
				   "#define __NR_ 5\n"
				   "#define __NR_futex_waitv 449\r\n"
				   "#define __NR_last 450";
	struct sysnr_table t;
	assert_int_equal(sysnr_parse(text, &t), 0);
	assert_int_equal(t.n, 5);
	assert_int_equal(sysnr_lookup(&t, "read"), 0);
	assert_int_equal(sysnr_lookup(&t, "write"), 1);
	assert_int_equal(sysnr_lookup(&t, "openat"), 257);
	assert_int_equal(sysnr_lookup(&t, "futex_waitv"), 449);
	assert_int_equal(sysnr_lookup(&t, "last"), 450);
	assert_int_equal(sysnr_lookup(&t, "x32_thing"), -1);
	assert_int_equal(sysnr_lookup(&t, "bad"), -1);
	assert_int_equal(sysnr_lookup(&t, "nosuchcall"), -1);
	sysnr_release(&t);
	assert_int_equal(sysnr_parse("", &t), 0);
	assert_int_equal(t.n, 0);
	sysnr_release(&t);
}

/* Tracepoints named after the kernel function, and syscalls newer than the header. */
static void test_builtin_names(void **state)
{
	(void)state;
	struct sysnr_table t;
	assert_int_equal(sysnr_parse("#define __NR_stat 4\n", &t), 0);
#if defined(__x86_64__)
	assert_int_equal(sysnr_lookup(&t, "newstat"), 4);
	assert_int_equal(sysnr_lookup(&t, "umount"), 166);
	assert_int_equal(sysnr_lookup(&t, "sendfile64"), 40);
	assert_int_equal(sysnr_lookup(&t, "cachestat"), 451);
	assert_int_equal(sysnr_lookup(&t, "file_setattr"), 469);
	assert_int_equal(sysnr_lookup(NULL, "uretprobe"), 335);
#endif
	assert_int_equal(sysnr_lookup(&t, "stat"), 4);
	assert_int_equal(sysnr_lookup(&t, "newfoo"), -1);
	sysnr_release(&t);
}

/* The header embedded at build time parses and has the numbers every x86-64 kernel has. */
static void test_embedded_header(void **state)
{
	(void)state;
#if defined(__x86_64__)
	static const char *const want[] = { "read", "write", "openat", "getppid", "getpgrp", "exit_group" };
	static const int nrs[] = { 0, 1, 257, 110, 111, 231 };
	struct sysnr_table t;
	/* tests/run runs from the top of the tree; $BUILD is build or build-san */
	char path[256];
	const char *build = getenv("BUILD");
	snprintf(path, sizeof(path), "%s/gen/sysnr_header.inc", build && *build ? build : "build");
	FILE *fp = fopen(path, "r");
	if (!fp) {
		skip();
		return;
	}
	/* the .inc is C string literals: undo the quoting */
	char line[512], *text = calloc(1, 1 << 16);
	size_t len = 0;
	while (fgets(line, sizeof(line), fp)) {
		char *q = strchr(line, '"'), *e = strrchr(line, '"');
		if (!q || e <= q)
			continue;
		for (char *c = q + 1; c < e && len + 2 < (1 << 16); c++) {
			if (*c == 0x5c && c[1] == 'n') {
				text[len++] = '\n';
				c++;
			} else {
				text[len++] = *c;
			}
		}
	}
	fclose(fp);
	assert_int_equal(sysnr_parse(text, &t), 0);
	assert_true(t.n > 300);
	for (size_t i = 0; i < sizeof(nrs) / sizeof(nrs[0]); i++)
		assert_int_equal(sysnr_lookup(&t, want[i]), nrs[i]);
	sysnr_release(&t);
	free(text);
#endif
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_header),
		cmocka_unit_test(test_builtin_names),
		cmocka_unit_test(test_embedded_header),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
