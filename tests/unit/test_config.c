/* The config block and the environment (core/config.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "lang/ast.h"

struct loaded {
	struct arena arena;
	struct source src;
	struct diags diags;
	struct config cfg;
	int rc;
	char *errors;
};

static struct loaded *load(const char *text)
{
	struct loaded *l = calloc(1, sizeof(*l));
	struct parse_opts opts = { 0 };
	struct node *ast = NULL;
	l->src = (struct source){ "stdin", text, strlen(text) };
	diags_init(&l->diags, &l->src);
	assert_int_equal(parse_program(&l->arena, &l->src, &opts, &l->diags, &ast), 0);
	l->rc = config_load(&l->cfg, ast->u.program.config, &l->diags);
	size_t len = 0;
	FILE *fp = open_memstream(&l->errors, &len);
	diags_emit(&l->diags, fp);
	fclose(fp);
	return l;
}

static void loaded_free(struct loaded *l)
{
	diags_release(&l->diags);
	arena_release(&l->arena);
	free(l->errors);
	free(l);
}

static void clear_env(void)
{
	static const char *const names[] = { "STROBE_MAX_STRLEN", "BPFTRACE_MAX_STRLEN", "BPFTRACE_STRLEN",
					     "BPFTRACE_MAX_MAP_KEYS", "BPFTRACE_MAP_KEYS_MAX",
					     "BPFTRACE_STACK_MODE", "BPFTRACE_PERF_RB_PAGES" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		unsetenv(names[i]);
}

static void test_defaults(void **state)
{
	(void)state;
	clear_env();
	struct loaded *l = load("BEGIN {}");
	assert_int_equal(l->rc, 0);
	assert_int_equal(l->cfg.max_strlen, 64);
	assert_int_equal(l->cfg.max_map_keys, 4096);
	assert_int_equal(l->cfg.max_probes, 1024);
	assert_int_equal(l->cfg.perf_rb_pages, 0);
	assert_true(l->cfg.print_maps_on_exit);
	assert_string_equal(l->cfg.stack_mode, "bpftrace");
	assert_int_equal(l->cfg.missing_probes, MISSING_PROBES_ERROR);
	loaded_free(l);
}

static void test_block_values(void **state)
{
	(void)state;
	clear_env();
	struct loaded *l = load("config = { max_strlen = 100; max_map_keys = 7; stack_mode = raw; "
				"print_maps_on_exit = false; missing_probes = \"ignore\"; perf_rb_pages = 16 } BEGIN {}");
	assert_int_equal(l->rc, 0);
	assert_string_equal(l->errors, "");
	assert_int_equal(l->cfg.max_strlen, 100);
	assert_int_equal(l->cfg.max_map_keys, 7);
	assert_string_equal(l->cfg.stack_mode, "raw");
	assert_false(l->cfg.print_maps_on_exit);
	assert_int_equal(l->cfg.missing_probes, MISSING_PROBES_IGNORE);
	assert_int_equal(l->cfg.perf_rb_pages, 16);
	loaded_free(l);
}

static void test_env_overrides_block(void **state)
{
	(void)state;
	clear_env();
	setenv("BPFTRACE_MAX_STRLEN", "9", 1);
	setenv("BPFTRACE_MAP_KEYS_MAX", "11", 1); /* the 0.17 name */
	setenv("BPFTRACE_STACK_MODE", "perf", 1);
	struct loaded *l = load("config = { max_strlen = 100; max_map_keys = 7; stack_mode = raw } BEGIN {}");
	assert_int_equal(l->rc, 0);
	assert_int_equal(l->cfg.max_strlen, 9);
	assert_int_equal(l->cfg.max_map_keys, 11);
	assert_string_equal(l->cfg.stack_mode, "perf");
	loaded_free(l);
	/* the strobe name wins over bpftrace's */
	setenv("STROBE_MAX_STRLEN", "5", 1);
	l = load("BEGIN {}");
	assert_int_equal(l->cfg.max_strlen, 5);
	loaded_free(l);
	clear_env();
}

static void test_block_errors(void **state)
{
	(void)state;
	clear_env();
	struct loaded *l = load("config = { map_keys_max = 1; nope = 2; max_strlen = 0; max_probes = true } BEGIN {}");
	assert_int_equal(l->rc, -22);
	assert_non_null(strstr(l->errors, "stdin:1:12-28: ERROR: map_keys_max has been renamed to max_map_keys\n"));
	assert_non_null(strstr(l->errors, "stdin:1:30-38: ERROR: Unrecognized config variable: nope\n"));
	assert_non_null(strstr(l->errors, "ERROR: Invalid value for max_strlen: must be a number between 1 and 1024\n"));
	assert_non_null(strstr(l->errors, "ERROR: Invalid type for max_probes. Type: bool. Expected Type: int\n"));
	loaded_free(l);
}

static void test_env_error(void **state)
{
	(void)state;
	clear_env();
	setenv("BPFTRACE_PERF_RB_PAGES", "6", 1);
	struct loaded *l = load("BEGIN {}");
	assert_int_equal(l->rc, -22);
	loaded_free(l);
	clear_env();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_block_values),
		cmocka_unit_test(test_env_overrides_block),
		cmocka_unit_test(test_block_errors),
		cmocka_unit_test(test_env_error),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
