/*
 * The module registry: plugins.d parsing, lazy loading and the checks that
 * refuse broken modules. INI files are written into a temporary directory
 * named by STROBE_PLUGIN_PATH; the modules are built from tests/modules/ next
 * to this binary in modules/.
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "registry.h"

static char logbuf[16384];

static void test_log(enum strobe_log_level level, const char *fmt, ...) STROBE_PRINTF(2, 3);
static void test_log(enum strobe_log_level level, const char *fmt, ...)
{
	static const char *const prefix[] = { "ERROR: ", "WARNING: ", "", "DEBUG: " };
	size_t off = strlen(logbuf);
	snprintf(logbuf + off, sizeof(logbuf) - off, "%s", prefix[level]);
	off = strlen(logbuf);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(logbuf + off, sizeof(logbuf) - off, fmt, ap);
	va_end(ap);
	off = strlen(logbuf);
	snprintf(logbuf + off, sizeof(logbuf) - off, "\n");
}

static const struct strobe_host test_host = {
	.size = sizeof(struct strobe_host),
	.log = test_log,
};

struct fixture {
	char dir[64];
	struct registry *reg;
	struct arena arena;
	struct diags diags;
};

/* build/tests/modules/<name>.so, found from this binary's own path. */
static const char *module_path(const char *name)
{
	static char path[PATH_MAX + 64];
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	assert_true(n > 0);
	exe[n] = '\0';
	*strrchr(exe, '/') = '\0';
	snprintf(path, sizeof(path), "%s/modules/%s.so", exe, name);
	return path;
}

static bool is_loaded(const char *path)
{
	void *h = dlopen(path, RTLD_NOW | RTLD_NOLOAD);
	if (h)
		dlclose(h);
	return h != NULL;
}

static void write_ini(struct fixture *f, const char *name, const char *fmt, ...)
	STROBE_PRINTF(3, 4);
static void write_ini(struct fixture *f, const char *name, const char *fmt, ...)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	va_list ap;
	va_start(ap, fmt);
	vfprintf(fp, fmt, ap);
	va_end(ap);
	fclose(fp);
}

/* A provider section naming a test module by absolute path. */
static void write_provider(struct fixture *f, const char *file, const char *name,
			   const char *module)
{
	write_ini(f, file, "[provider]\nname = %s\nlibrary = %s\nabi = 1\n", name, module_path(module));
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/strobe-registry-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	setenv("STROBE_PLUGIN_PATH", f->dir, 1);
	logbuf[0] = '\0';
	diags_init(&f->diags, NULL);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	registry_close(f->reg);
	arena_release(&f->arena);
	diags_release(&f->diags);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static struct registry *open_registry(struct fixture *f)
{
	assert_int_equal(registry_open(&f->reg, &test_host), 0);
	return f->reg;
}

static void test_good_file_and_aliases(void **state)
{
	struct fixture *f = *state;
	write_ini(f, "fake.ini",
		  "; a comment\n[provider]\nname = fake\naliases = f, fk\nlibrary = %s ; inline\nabi = 1\n",
		  module_path("test_good_provider"));
	struct registry *reg = open_registry(f);
	assert_string_equal(logbuf, "");
	char err[512];
	const char *canon = NULL;
	struct provider *p = registry_provider(reg, "fake", &canon, err, sizeof(err));
	assert_non_null(p);
	assert_string_equal(canon, "fake");
	assert_string_equal(provider_name(p), "fake");
	assert_ptr_equal(registry_provider(reg, "f", &canon, err, sizeof(err)), p);
	assert_ptr_equal(registry_provider(reg, "FK", &canon, err, sizeof(err)), p);
	assert_string_equal(canon, "fake");
}

static void test_relative_library(void **state)
{
	struct fixture *f = *state;
	char sub[PATH_MAX], link[PATH_MAX];
	snprintf(sub, sizeof(sub), "%s/lib", f->dir);
	assert_int_equal(mkdir(sub, 0755), 0);
	snprintf(link, sizeof(link), "%s/lib/fake.so", f->dir);
	assert_int_equal(symlink(module_path("test_good_provider"), link), 0);
	/* library is relative to the INI file's directory, not to the cwd. */
	write_ini(f, "fake.ini", "[provider]\nname = fake\nlibrary = lib/fake.so\n");
	struct registry *reg = open_registry(f);
	char err[512];
	assert_non_null(registry_provider(reg, "fake", NULL, err, sizeof(err)));
}

static void test_lazy_loading(void **state)
{
	struct fixture *f = *state;
	const char *path = module_path("test_good_provider");
	write_provider(f, "fake.ini", "fake", "test_good_provider");
	assert_false(is_loaded(path));
	struct registry *reg = open_registry(f);
	assert_false(is_loaded(path));
	char err[512];
	assert_non_null(registry_provider(reg, "fake", NULL, err, sizeof(err)));
	assert_true(is_loaded(path));
	registry_close(reg);
	f->reg = NULL;
	assert_false(is_loaded(path));
}

static void test_unknown_key_skips_only_that_section(void **state)
{
	struct fixture *f = *state;
	write_ini(f, "a_bad.ini", "[provider]\nname = typo\nlibary = x.so\n");
	write_provider(f, "b_good.ini", "fake", "test_good_provider");
	struct registry *reg = open_registry(f);
	char expect[PATH_MAX];
	snprintf(expect, sizeof(expect), "WARNING: %s/a_bad.ini:3: unknown key 'libary'\n", f->dir);
	assert_string_equal(logbuf, expect);
	char err[512];
	assert_null(registry_provider(reg, "typo", NULL, err, sizeof(err)));
	assert_string_equal(err, "Invalid probe type: typo (known: BEGIN, END, fake)");
	assert_non_null(registry_provider(reg, "fake", NULL, err, sizeof(err)));
}

static void test_syntax_error_and_bad_sections(void **state)
{
	struct fixture *f = *state;
	write_ini(f, "a.ini", "[provider]\nname = x\nthis line is not a key\n");
	write_ini(f, "b.ini", "[widget]\nname = w\n\n[provider]\naliases = q\nlibrary = y.so\n");
	write_provider(f, "c.ini", "fake", "test_good_provider");
	struct registry *reg = open_registry(f);
	assert_non_null(strstr(logbuf, "a.ini:3: syntax error, file skipped"));
	assert_non_null(strstr(logbuf, "b.ini:1: unknown section '[widget]', skipped"));
	assert_non_null(strstr(logbuf, "b.ini:4: [provider] section without 'name', skipped"));
	char err[512];
	assert_null(registry_provider(reg, "x", NULL, err, sizeof(err)));
	assert_non_null(registry_provider(reg, "fake", NULL, err, sizeof(err)));
}

static void test_missing_library(void **state)
{
	struct fixture *f = *state;
	write_ini(f, "gone.ini", "[provider]\nname = gone\nlibrary = /nonexistent/gone.so\n");
	struct registry *reg = open_registry(f);
	char err[512];
	assert_null(registry_provider(reg, "gone", NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "provider 'gone'"));
	assert_non_null(strstr(err, "/nonexistent/gone.so"));
	assert_non_null(strstr(err, "gone.ini:1"));
	/* The failure is remembered, not retried. */
	char err2[512];
	assert_null(registry_provider(reg, "gone", NULL, err2, sizeof(err2)));
	assert_string_equal(err, err2);
}

static void expect_refused(struct fixture *f, const char *module, const char *symbol,
			   const char *needle)
{
	write_ini(f, "m.ini", "[provider]\nname = m\nlibrary = %s\n%s%s%s", module_path(module),
		  symbol ? "symbol = " : "", symbol ? symbol : "", symbol ? "\n" : "");
	struct registry *reg = open_registry(f);
	char err[512];
	assert_null(registry_provider(reg, "m", NULL, err, sizeof(err)));
	if (!strstr(err, needle))
		fail_msg("'%s' does not contain '%s'", err, needle);
	/* A refused module is not left loaded. */
	assert_false(is_loaded(module_path(module)));
}

static void test_wrong_abi(void **state)
{
	char expect[PATH_MAX + 128];
	snprintf(expect, sizeof(expect), "provider 'm' (%s) was built for ABI 99, strobe has 1",
		 module_path("test_bad_abi"));
	expect_refused(*state, "test_bad_abi", NULL, expect);
}

static void test_wrong_abi_in_ini_is_refused_before_dlopen(void **state)
{
	struct fixture *f = *state;
	write_ini(f, "m.ini", "[provider]\nname = m\nlibrary = %s\nabi = 2\n",
		  module_path("test_good_provider"));
	struct registry *reg = open_registry(f);
	char err[512];
	assert_null(registry_provider(reg, "m", NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "was built for ABI 2, strobe has 1"));
	assert_false(is_loaded(module_path("test_good_provider")));
}

static void test_too_small(void **state)
{
	expect_refused(*state, "test_small_size", NULL, "ops table too small");
}

static void test_missing_callback(void **state)
{
	expect_refused(*state, "test_no_attach", NULL, "lacks the required callback attach()");
}

static void test_init_fails(void **state)
{
	char expect[PATH_MAX + 128];
	snprintf(expect, sizeof(expect), "provider 'm' (%s) failed to initialise: Permission denied",
		 module_path("test_init_fails"));
	expect_refused(*state, "test_init_fails", NULL, expect);
}

static void test_init_failure_is_remembered(void **state)
{
	struct fixture *f = *state;
	write_provider(f, "m.ini", "m", "test_init_fails");
	struct registry *reg = open_registry(f);
	char err[512], err2[512];
	assert_null(registry_provider(reg, "m", NULL, err, sizeof(err)));
	assert_null(registry_provider(reg, "m", NULL, err2, sizeof(err2)));
	assert_string_equal(err, err2);
	/* -l reports it and goes on. */
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	assert_true(registry_list(reg, "m:*", false, fp, NULL) < 0);
	fclose(fp);
	assert_string_equal(buf, "");
	free(buf);
	assert_non_null(strstr(logbuf, "ERROR: provider 'm'"));
	assert_non_null(strstr(logbuf, "failed to initialise: Permission denied"));
}

/* The last diagnostic's message. */
static const char *last_diag(struct fixture *f)
{
	struct diag *d = f->diags.head;
	assert_non_null(d);
	while (d->next)
		d = d->next;
	return d->msg;
}

static void test_failing_callbacks(void **state)
{
	struct fixture *f = *state;
	write_provider(f, "failing.ini", "failing", "test_failing_provider");
	struct registry *reg = open_registry(f);
	char err[512];
	struct provider *p = registry_provider(reg, "failing", NULL, err, sizeof(err));
	assert_non_null(p);
	struct loc loc = { 1, 1, 1, 12 };
	struct probe_attach *pa = NULL;
	size_t n = 0;
	/* A resolve that fails without saying why gets a message anyway. */
	assert_int_equal(provider_resolve(p, "failing", "silent", &f->arena, &pa, &n, &f->diags, &loc),
			 -EIO);
	assert_string_equal(last_diag(f), "invalid failing probe 'silent': Input/output error");
	assert_int_equal(f->diags.head->loc.end_col, 12);
	/* A resolve that expands to zero probes. */
	assert_int_equal(provider_resolve(p, "failing", "empty", &f->arena, &pa, &n, &f->diags, &loc),
			 -ENOENT);
	assert_string_equal(last_diag(f), "failing:empty matched no probes");
	/* An error after a partial expansion keeps none of it. */
	assert_int_equal(provider_resolve(p, "failing", "half", &f->arena, &pa, &n, &f->diags, &loc),
			 -EINVAL);
	assert_string_equal(last_diag(f), "half of half went wrong");
	assert_int_equal(f->diags.nerrors, 3);
	assert_int_equal(n, 0);
	assert_int_equal(provider_resolve(p, "failing", "x", &f->arena, &pa, &n, &f->diags, &loc), 0);
	assert_int_equal(n, 1);

	/* attach errors, with and without a message. */
	struct strobe_attach_req req = { .size = sizeof(req), .type = "failing", .target = "x", .pid = -1 };
	struct strobe_link *link = NULL;
	assert_int_equal(provider_attach(p, &req, &link, err, sizeof(err)), -ENODEV);
	assert_null(link);
	assert_string_equal(err, "the device for x is gone");
	req.target = "quiet";
	assert_int_equal(provider_attach(p, &req, &link, err, sizeof(err)), -EBUSY);
	assert_null(link);
	assert_string_equal(err, "Device or resource busy");
	/* Detaching nothing is harmless. */
	provider_detach(p, NULL);

	/* A list that fails still prints what it listed, and returns the error. */
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	assert_int_equal(registry_list(reg, "failing:*", false, fp, NULL), -EIO);
	fclose(fp);
	assert_string_equal(buf, "failing:one\n");
	free(buf);
}

static void test_missing_entry_symbol(void **state)
{
	expect_refused(*state, "test_good_provider", "nope",
		       "does not export the entry symbol 'nope'");
}

static void test_shared_library(void **state)
{
	struct fixture *f = *state;
	const char *path = module_path("test_good_provider");
	write_ini(f, "two.ini", "[provider]\nname = one\nlibrary = %s\n\n[provider]\nname = two\nlibrary = %s\n",
		  path, path);
	struct registry *reg = open_registry(f);
	char err[512];
	struct provider *one = registry_provider(reg, "one", NULL, err, sizeof(err));
	struct provider *two = registry_provider(reg, "two", NULL, err, sizeof(err));
	assert_non_null(one);
	assert_non_null(two);
	assert_ptr_not_equal(one, two);
	struct loc loc = { 1, 1, 1, 5 };
	struct probe_attach *pa = NULL;
	size_t n = 0;
	assert_int_equal(provider_resolve(two, "two", "a", &f->arena, &pa, &n, &f->diags, &loc), 0);
	assert_int_equal(n, 1);
	assert_string_equal(pa[0].name, "two:a");
	assert_ptr_equal(pa[0].provider, two);
}

static void test_resolve(void **state)
{
	struct fixture *f = *state;
	write_provider(f, "fake.ini", "fake", "test_good_provider");
	struct registry *reg = open_registry(f);
	char err[512];
	const char *canon;
	struct provider *p = registry_provider(reg, "fake", &canon, err, sizeof(err));
	assert_non_null(p);
	struct loc loc = { 1, 1, 1, 7 };
	struct probe_attach *pa = NULL;
	size_t n = 0;
	assert_int_equal(provider_resolve(p, canon, "*", &f->arena, &pa, &n, &f->diags, &loc), 0);
	assert_int_equal(n, 2);
	assert_string_equal(pa[0].name, "fake:a");
	assert_string_equal(pa[1].name, "fake:b");
	assert_string_equal(pa[1].target, "b");
	assert_string_equal(pa[1].type, "fake");
	assert_int_equal(pa[1].prog_type, 7);
	assert_int_equal(pa[1].builtins, STROBE_BUILTIN_ARGS);
	assert_ptr_equal(pa[1].provider, p);
	assert_int_equal(pa[1].nargs, 2);
	assert_string_equal(pa[1].args[0].name, "x");
	assert_int_equal(pa[1].args[0].offset, 8);
	assert_true(pa[1].args[0].is_signed);
	assert_string_equal(pa[1].args[1].pointee, "char");
	assert_int_equal(pa[1].args[1].count, 16);

	/* A second attach point appends. */
	assert_int_equal(provider_resolve(p, canon, "a", &f->arena, &pa, &n, &f->diags, &loc), 0);
	assert_int_equal(n, 3);
	assert_string_equal(pa[0].name, "fake:a");
	assert_string_equal(pa[2].name, "fake:a");
	assert_int_equal(f->diags.nerrors, 0);

	assert_int_equal(provider_resolve(p, canon, "warn", &f->arena, &pa, &n, &f->diags, &loc), 0);
	assert_int_equal(n, 4);
	assert_int_equal(f->diags.nwarnings, 1);
	assert_string_equal(f->diags.head->msg, "just a warning");
	assert_int_equal(f->diags.head->loc.end_col, 7);
}

static void test_resolve_errors(void **state)
{
	struct fixture *f = *state;
	write_provider(f, "fake.ini", "fake", "test_good_provider");
	struct registry *reg = open_registry(f);
	char err[512];
	struct provider *p = registry_provider(reg, "fake", NULL, err, sizeof(err));
	struct loc loc = { 1, 1, 1, 9 };
	struct probe_attach *pa = NULL;
	size_t n = 0;
	assert_int_equal(provider_resolve(p, "fake", "bad", &f->arena, &pa, &n, &f->diags, &loc),
			 -EINVAL);
	assert_int_equal(f->diags.nerrors, 1);
	assert_string_equal(f->diags.head->msg, "bad target: bad");
	assert_int_equal(f->diags.head->loc.end_col, 9);
	/* a wildcard matching nothing is dropped without a word (the driver reports it if nothing is left) */
	assert_int_equal(provider_resolve(p, "fake", "zz*", &f->arena, &pa, &n, &f->diags, &loc), 1);
	assert_int_equal(f->diags.nerrors, 1);
	assert_int_equal(n, 0);
}

static void test_attach_detach(void **state)
{
	struct fixture *f = *state;
	write_provider(f, "fake.ini", "fake", "test_good_provider");
	struct registry *reg = open_registry(f);
	char err[512];
	struct provider *p = registry_provider(reg, "fake", NULL, err, sizeof(err));
	struct strobe_attach_req req = { .size = sizeof(req), .type = "fake", .target = "a", .pid = -1 };
	struct strobe_link *link = NULL;
	assert_int_equal(provider_attach(p, &req, &link, err, sizeof(err)), 0);
	assert_non_null(link);
	assert_int_equal(link->nr_attached, 1);
	provider_detach(p, link);
	req.target = "b";
	link = NULL;
	assert_int_equal(provider_attach(p, &req, &link, err, sizeof(err)), -EPERM);
	assert_null(link);
	assert_string_equal(err, "cannot attach to b");
}

static char *list_to_string(struct registry *reg, const char *pattern, bool verbose)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	assert_int_equal(registry_list(reg, pattern, verbose, fp, NULL), 0);
	fclose(fp);
	return buf;
}

static void expect_list(struct registry *reg, const char *pattern, bool verbose, const char *want)
{
	char *got = list_to_string(reg, pattern, verbose);
	assert_string_equal(got, want);
	free(got);
}

static void test_list(void **state)
{
	struct fixture *f = *state;
	write_ini(f, "fake.ini", "[provider]\nname = fake\naliases = f\nlibrary = %s\n",
		  module_path("test_good_provider"));
	struct registry *reg = open_registry(f);
	expect_list(reg, NULL, false, "fake:a\nfake:b\n");
	expect_list(reg, "", false, "fake:a\nfake:b\n");
	expect_list(reg, "fake:*", false, "fake:a\nfake:b\n");
	expect_list(reg, "f:b", false, "fake:b\n");
	expect_list(reg, "*b*", false, "fake:b\n");
	expect_list(reg, "fa*:a", false, "fake:a\n");
	expect_list(reg, "nomatch:*", false, "");
	expect_list(reg, "fake:a", true, "fake:a\n    int x\n    char comm[16]\n");
}

static void test_outputs(void **state)
{
	struct fixture *f = *state;
	write_ini(f, "out.ini", "[output]\nname = fakeout\nlibrary = %s\nabi = 1\n",
		  module_path("test_good_output"));
	struct registry *reg = open_registry(f);
	char err[512], *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	struct output out = { 0 };
	assert_int_equal(registry_output(reg, "fakeout", fp, "opt", &out, err, sizeof(err)), 0);
	/* Optional callbacks the sink left out are filled with no-ops. */
	out.ops->attached(out.sink, 1);
	out.ops->printf(out.sink, 0, "x", 1, NULL, 0);
	struct strobe_map_view view = { .name = "@x" };
	out.ops->map(out.sink, &view);
	out.ops->lost(out.sink, 3);
	out.ops->exiting(out.sink);
	output_close(&out);
	fclose(fp);
	assert_string_equal(buf, "open opt\nclose\n");
	free(buf);

	struct output none = { 0 };
	assert_int_equal(registry_output(reg, "json", stdout, NULL, &none, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "unknown output format 'json' (known: fakeout)");
	/* An output is not a probe type. */
	assert_null(registry_provider(reg, "fakeout", NULL, err, sizeof(err)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_good_file_and_aliases, setup, teardown),
		cmocka_unit_test_setup_teardown(test_relative_library, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lazy_loading, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_key_skips_only_that_section, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syntax_error_and_bad_sections, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_library, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_abi, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_abi_in_ini_is_refused_before_dlopen, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_too_small, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_callback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_fails, setup, teardown),
		cmocka_unit_test_setup_teardown(test_init_failure_is_remembered, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failing_callbacks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_entry_symbol, setup, teardown),
		cmocka_unit_test_setup_teardown(test_shared_library, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolve, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolve_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attach_detach, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outputs, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
