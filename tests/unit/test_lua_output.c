/*
 * The Lua filter through its ABI table: the built module
 * ($BUILD/lib/strobe/lua.so) is dlopen'd, as the registry would, and
 * driven with a fake control table. Checks suppression, the values hooks
 * see, on_lost/on_end, and that errors (load and hook) carry file:line and
 * reach ctl->fail exactly once.
 */
#include <dlfcn.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <strobe/output.h>

static const struct strobe_output_ops *ops;
static void *handle;

static char logged[1024];
static void fake_log(enum strobe_log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(logged, sizeof(logged), fmt, ap);
	va_end(ap);
}
static const struct strobe_host host = { .size = sizeof(host), .log = fake_log };

struct fake_ctl {
	struct strobe_output_ctl ctl;
	int suppressed, failed;
	char fail_msg[1024];
};

static void fake_suppress(void *ctx)
{
	((struct fake_ctl *)ctx)->suppressed++;
}

static void fake_fail(void *ctx, const char *msg)
{
	struct fake_ctl *f = ctx;
	f->failed++;
	snprintf(f->fail_msg, sizeof(f->fail_msg), "%s", msg);
}

struct run {
	char script[64];
	char *buf;
	size_t len;
	FILE *fp;
	void *sink;
	struct fake_ctl fc;
};

static int setup(void **state)
{
	const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
	char path[512];
	snprintf(path, sizeof(path), "%s/lib/strobe/lua.so", build);
	handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!handle) {
		fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
		return -1;
	}
	strobe_output_entry_fn entry;
	*(void **)&entry = dlsym(handle, "strobe_output_entry");
	if (!entry)
		return -1;
	ops = entry();
	return 0;
}

static int teardown(void **state)
{
	if (handle)
		dlclose(handle);
	return 0;
}

/* Write the script to a temp file and open the sink on a memory stream. */
static int run_open(struct run *r, const char *lua)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->script, sizeof(r->script), "/tmp/strobe-test-lua-XXXXXX");
	int fd = mkstemp(r->script);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, lua, strlen(lua)), (ssize_t)strlen(lua));
	close(fd);
	r->fp = open_memstream(&r->buf, &r->len);
	logged[0] = '\0';
	int rc = ops->open(&host, r->fp, r->script, &r->sink);
	if (rc == 0) {
		r->fc.ctl = (struct strobe_output_ctl){ .size = sizeof(r->fc.ctl), .ctx = &r->fc,
							.suppress = fake_suppress, .fail = fake_fail, .next = "json" };
		ops->chain(r->sink, &r->fc.ctl);
	}
	return rc;
}

static void run_close(struct run *r)
{
	if (r->sink)
		ops->close(r->sink);
	fclose(r->fp);
	unlink(r->script);
}

static void run_free(struct run *r)
{
	free(r->buf);
}

#define V_INT(x) { .kind = STROBE_V_INT, .i = (x) }
#define V_UINT(x) { .kind = STROBE_V_UINT, .u = (x) }
#define V_STR(x) { .kind = STROBE_V_STR, .str = { (x), sizeof(x) - 1 } }

static void test_table(void **state)
{
	assert_int_equal(ops->abi, STROBE_OUTPUT_ABI);
	assert_int_equal(ops->size, sizeof(struct strobe_output_ops));
	assert_string_equal(ops->name, "lua");
	assert_non_null(ops->chain); /* a filter */
}

static void test_suppress_and_args(void **state)
{
	struct run r;
	assert_int_equal(run_open(&r, "function on_start(i) print('start', i.probes, i.format) end\n"
				      "function on_printf(id, text, a)\n"
				      "  io.write(id, ' ', #a, ' ', a[1], ' ', math.type(a[2]), ' ', a[2], ' ', a[3], '\\n')\n"
				      "  return a[1] ~= 'drop'\n"
				      "end\n"
				      "function on_lost(n) print('lost', n) return false end\n"
				      "function on_end() print('end') end\n"),
			 0);
	ops->attached(r.sink, 4);
	assert_int_equal(r.fc.suppressed, 0);
	struct strobe_value a1[] = { V_STR("keep"), V_INT(-5), V_UINT(UINT64_MAX) };
	ops->printf(r.sink, 2, "x", 1, a1, 3);
	assert_int_equal(r.fc.suppressed, 0);
	struct strobe_value a2[] = { V_STR("drop"), V_INT(1), V_UINT(3) };
	ops->printf(r.sink, 2, "x", 1, a2, 3);
	assert_int_equal(r.fc.suppressed, 1);
	ops->lost(r.sink, 7);
	assert_int_equal(r.fc.suppressed, 2);
	run_close(&r);
	assert_int_equal(r.fc.failed, 0);
	assert_string_equal(r.buf, "start\t4\tjson\n"
				   "2 3 keep integer -5 1.844674407371e+19\n"
				   "2 3 drop integer 1 3\n"
				   "lost\t7\n"
				   "end\n");
	run_free(&r);
}

static void test_map_shapes(void **state)
{
	struct run r;
	assert_int_equal(run_open(&r, "function on_map(name, e, kind)\n"
				      "  for _, x in ipairs(e) do\n"
				      "    local k = type(x.key) == 'table' and table.concat(x.key, '|') or tostring(x.key)\n"
				      "    local v = x.value\n"
				      "    if type(v) == 'table' and v[1] then\n"
				      "      local p = {}\n"
				      "      for _, b in ipairs(v) do p[#p + 1] = tostring(b.min) .. '..' .. tostring(b.max) .. '=' .. b.count end\n"
				      "      v = table.concat(p, ',')\n"
				      "    elseif type(v) == 'table' then v = v.count .. '/' .. v.average .. '/' .. v.total end\n"
				      "    print(name, kind, k, v)\n"
				      "  end\n"
				      "end\n"),
			 0);
	struct strobe_value tk[] = { V_INT(1), V_STR("x") };
	struct strobe_map_entry t[] = { { .key = { .kind = STROBE_V_TUPLE, .list = { tk, 2 } }, .value = V_INT(3) } };
	struct strobe_map_view mt = { .name = "@t", .kind = STROBE_MAP_SUM, .keyed = true, .entries = t, .n = 1 };
	ops->map(r.sink, &mt);
	struct strobe_bucket b[] = {
		{ .lo = INT64_MIN, .hi = 0, .underflow = true, .count = 1 },
		{ .lo = 2, .hi = 4, .count = 2 },
		{ .lo = 100, .hi = INT64_MAX, .overflow = true, .count = 3 },
	};
	struct strobe_map_entry h[] = { { .value = { .kind = STROBE_V_HIST, .hist = { .kind = STROBE_HIST_LOG2, .step = 0, .buckets = b, .n = 3 } } } };
	struct strobe_map_view mh = { .name = "@h", .kind = STROBE_MAP_HIST, .entries = h, .n = 1 };
	ops->map(r.sink, &mh);
	struct strobe_map_entry s[] = { { .key = V_STR("k"), .value = { .kind = STROBE_V_STATS, .stats = { 2, 12, 6, false } } } };
	struct strobe_map_view ms = { .name = "@s", .kind = STROBE_MAP_STATS, .keyed = true, .entries = s, .n = 1 };
	ops->map(r.sink, &ms);
	run_close(&r);
	assert_int_equal(r.fc.suppressed, 0);
	assert_string_equal(r.buf, "@t\tsum\t1|x\t3\n"
				   "@h\thist\tnil\tnil..-1=1,2..3=2,100..nil=3\n"
				   "@s\tstats\tk\t2/6/12\n");
	run_free(&r);
}

/* Records are tables by field name, nested records too; record keys as well. */
static void test_struct_values(void **state)
{
	struct run r;
	assert_int_equal(run_open(&r, "function on_map(name, e, kind)\n"
				      "  local x = e[1]\n"
				      "  print(name, x.key.x, x.key.y, x.value.a, x.value.name, x.value.inner.x, #x.value.arr, x.value[1])\n"
				      "end\n"),
			 0);
	static const char *const inner_names[] = { "x", "y" };
	struct strobe_value inner_items[] = { V_INT(-3), V_UINT(200) };
	struct strobe_value arr_items[] = { V_INT(7), V_INT(8) };
	static const char *const names[] = { "a", "name", "inner", "arr" };
	struct strobe_value items[] = {
		V_INT(-5), V_STR("hi"),
		{ .kind = STROBE_V_RECORD, .list = { .items = inner_items, .n = 2, .names = inner_names } },
		{ .kind = STROBE_V_ARRAY, .list = { arr_items, 2 } },
	};
	struct strobe_map_entry e[] = { {
		.key = { .kind = STROBE_V_RECORD, .list = { .items = inner_items, .n = 2, .names = inner_names } },
		.value = { .kind = STROBE_V_RECORD, .list = { .items = items, .n = 4, .names = names } },
	} };
	struct strobe_map_view m = { .name = "@r", .kind = STROBE_MAP_VALUE, .keyed = true, .entries = e, .n = 1 };
	ops->map(r.sink, &m);
	run_close(&r);
	assert_int_equal(r.fc.failed, 0);
	assert_string_equal(r.buf, "@r\t-3\t200\t-5\thi\t-3\t2\tnil\n");
	run_free(&r);
}

static void test_syntax_error(void **state)
{
	struct run r;
	assert_int_equal(run_open(&r, "-- one\nfunction on_printf(\n  x = = 1\nend\n"), -ECANCELED);
	char want[256];
	snprintf(want, sizeof(want), "%s:3:", r.script);
	assert_non_null(strstr(logged, want));
	run_close(&r);
	run_free(&r);
}

static void test_hook_error_fails_once(void **state)
{
	struct run r;
	assert_int_equal(run_open(&r, "n = 0\n"
				      "function on_printf(id, text, a)\n"
				      "  n = n + 1\n"
				      "  error('boom ' .. n)\n"
				      "end\n"
				      "function on_end() print('on_end must not run after an error') end\n"),
			 0);
	ops->printf(r.sink, 0, "x", 1, NULL, 0);
	ops->printf(r.sink, 0, "x", 1, NULL, 0); /* dead: not called again */
	run_close(&r);
	assert_int_equal(r.fc.failed, 1);
	char want[256];
	snprintf(want, sizeof(want), "%s:4: boom 1 (in on_printf)", r.script);
	assert_string_equal(r.fc.fail_msg, want);
	assert_true(r.buf == NULL || r.buf[0] == '\0');
	run_free(&r);
}

static void test_top_level_error(void **state)
{
	struct run r;
	assert_int_equal(run_open(&r, "local t = nil\nprint(t.x)\n"), -ECANCELED);
	char want[256];
	snprintf(want, sizeof(want), "%s:2: attempt to index a nil value", r.script);
	assert_non_null(strstr(logged, want));
	run_close(&r);
	run_free(&r);
}

static void test_no_script(void **state)
{
	void *sink = NULL;
	logged[0] = '\0';
	assert_int_equal(ops->open(&host, stdout, NULL, &sink), -ECANCELED);
	assert_non_null(strstr(logged, "-f lua:FILE.lua"));
	assert_int_equal(ops->open(&host, stdout, "", &sink), -ECANCELED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_suppress_and_args),
		cmocka_unit_test(test_map_shapes),
		cmocka_unit_test(test_struct_values),
		cmocka_unit_test(test_syntax_error),
		cmocka_unit_test(test_hook_error_fails_once),
		cmocka_unit_test(test_top_level_error),
		cmocka_unit_test(test_no_script),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
