/*
 * The text sink, byte for byte against bpftrace 0.17's output. Expected
 * strings were captured from /usr/bin/bpftrace 0.17 on the development VM.
 * The sink's source is compiled in directly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../outputs/text/text.c"

struct capture {
	char *buf;
	size_t len;
	FILE *fp;
	const struct strobe_output_ops *ops;
	void *sink;
};

static void cap_open(struct capture *c)
{
	c->buf = NULL;
	c->len = 0;
	c->fp = open_memstream(&c->buf, &c->len);
	c->ops = strobe_output_entry();
	assert_int_equal(c->ops->open(NULL, c->fp, NULL, &c->sink), 0);
}

/* Close the sink and compare everything it wrote. */
static void cap_expect(struct capture *c, const char *want)
{
	c->ops->close(c->sink);
	fclose(c->fp);
	assert_string_equal(c->buf, want);
	free(c->buf);
}

#define V_INT(x) { .kind = STROBE_V_INT, .i = (x) }
#define V_UINT(x) { .kind = STROBE_V_UINT, .u = (x) }
#define V_STR(x) { .kind = STROBE_V_STR, .str = { (x), sizeof(x) } }

static void print_map(struct capture *c, const char *name, enum strobe_map_kind kind,
		      const struct strobe_map_entry *e, size_t n)
{
	struct strobe_map_view m = { .name = name, .kind = kind, .keyed = n && e[0].key.kind, .entries = e, .n = n };
	c->ops->map(c->sink, &m);
}

static void test_banner_printf_lost_exit(void **state)
{
	struct capture c;
	cap_open(&c);
	c.ops->attached(c.sink, 1);
	c.ops->attached(c.sink, 3);
	c.ops->printf(c.sink, 0, "hi 5\nxx", 5, NULL, 0);
	c.ops->lost(c.sink, 2835);
	c.ops->exiting(c.sink);
	cap_expect(&c, "Attaching 1 probe...\nAttaching 3 probes...\nhi 5\nLost 2835 events\n\n\n");
}

static void test_scalar_and_keyed_maps(void **state)
{
	struct capture c;
	cap_open(&c);
	struct strobe_map_entry a[] = { { .key = { .kind = STROBE_V_NONE }, .value = V_INT(1) } };
	print_map(&c, "@a", STROBE_MAP_VALUE, a, 1);
	struct strobe_map_entry neg[] = { { .value = V_INT(-5) } };
	print_map(&c, "@neg", STROBE_MAP_VALUE, neg, 1);
	struct strobe_map_entry m[] = {
		{ .key = V_STR("k1"), .value = V_UINT(1) },
		{ .key = V_STR("k2"), .value = V_UINT(2) },
	};
	print_map(&c, "@m", STROBE_MAP_COUNT, m, 2);
	struct strobe_value tkey[] = { V_INT(1), V_STR("x") };
	struct strobe_map_entry t[] = {
		{ .key = { .kind = STROBE_V_TUPLE, .list = { tkey, 2 } }, .value = V_UINT(3) },
	};
	print_map(&c, "@t", STROBE_MAP_SUM, t, 1);
	struct strobe_map_entry s[] = { { .value = V_STR("s") } };
	print_map(&c, "@str", STROBE_MAP_VALUE, s, 1);
	struct strobe_value inner[] = { V_INT(2), V_STR("x") };
	struct strobe_value tup[] = { V_INT(1), { .kind = STROBE_V_TUPLE, .list = { inner, 2 } } };
	struct strobe_map_entry ar[] = {
		{ .key = V_INT(1), .value = { .kind = STROBE_V_TUPLE, .list = { tup, 2 } } },
	};
	print_map(&c, "@ar", STROBE_MAP_VALUE, ar, 1);
	cap_expect(&c, "@a: 1\n@neg: -5\n@m[k1]: 1\n@m[k2]: 2\n@t[1, x]: 3\n@str: s\n@ar[1]: (1, (2, x))\n");
}

static void test_avg_and_stats(void **state)
{
	struct capture c;
	cap_open(&c);
	struct strobe_map_entry v[] = {
		{ .value = { .kind = STROBE_V_STATS, .stats = { 1, 4, 4, true } } },
	};
	print_map(&c, "@v", STROBE_MAP_AVG, v, 1);
	struct strobe_map_entry ak[] = {
		{ .key = V_STR("y"), .value = { .kind = STROBE_V_STATS, .stats = { 1, 4, 4, true } } },
		{ .key = V_STR("z"), .value = { .kind = STROBE_V_STATS, .stats = { 1, 5, 5, true } } },
	};
	print_map(&c, "@ak", STROBE_MAP_AVG, ak, 2);
	struct strobe_map_entry st[] = {
		{ .value = { .kind = STROBE_V_STATS, .stats = { 2, 12, 6, false } } },
	};
	print_map(&c, "@s", STROBE_MAP_STATS, st, 1);
	print_map(&c, "@empty", STROBE_MAP_STATS, NULL, 0);
	cap_expect(&c, "@v: 4\n\n"
		       "@ak[y]: 4\n@ak[z]: 5\n\n"
		       "@s: count 2, average 6, total 12\n\n"
		       "\n\n");
}

#define BAR52 "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@"
#define NOBAR "                                                    "

static void test_hist(void **state)
{
	struct capture c;
	cap_open(&c);
	struct strobe_bucket b[] = {
		{ .hi = 0, .underflow = true, .count = 1 },
		{ .lo = 0, .hi = 1, .count = 1 },
		{ .lo = 1, .hi = 2, .count = 0 },
		{ .lo = 2, .hi = 4, .count = 0 },
		{ .lo = 4, .hi = 8, .count = 1 },
		{ .lo = 512, .hi = 1024, .count = 1 },
		{ .lo = 1024, .hi = 2048, .count = 1 },
	};
	struct strobe_map_entry h[] = {
		{ .value = { .kind = STROBE_V_HIST, .hist = { .kind = STROBE_HIST_LOG2, .step = 0, .buckets = b, .n = 7 } } },
	};
	print_map(&c, "@h", STROBE_MAP_HIST, h, 1);
	struct strobe_bucket big[] = { { .lo = 4 << 20, .hi = 8 << 20, .count = 1 } };
	struct strobe_bucket three[] = {
		{ .lo = 1, .hi = 2, .count = 1 },
		{ .lo = 2, .hi = 4, .count = 0 },
		{ .lo = 4, .hi = 8, .count = 3 },
	};
	struct strobe_map_entry hk[] = {
		{ .key = V_STR("b"), .value = { .kind = STROBE_V_HIST, .hist = { .kind = STROBE_HIST_LOG2, .step = 0, .buckets = big, .n = 1 } } },
		{ .key = V_STR("c"), .value = { .kind = STROBE_V_HIST, .hist = { .kind = STROBE_HIST_LOG2, .step = 0, .buckets = three, .n = 3 } } },
	};
	print_map(&c, "@hk", STROBE_MAP_HIST, hk, 2);
	print_map(&c, "@e", STROBE_MAP_HIST, NULL, 0);
	cap_expect(&c, "@h: \n"
		       "(..., 0)               1 |" BAR52 "|\n"
		       "[0]                    1 |" BAR52 "|\n"
		       "[1]                    0 |" NOBAR "|\n"
		       "[2, 4)                 0 |" NOBAR "|\n"
		       "[4, 8)                 1 |" BAR52 "|\n"
		       "[512, 1K)              1 |" BAR52 "|\n"
		       "[1K, 2K)               1 |" BAR52 "|\n"
		       "\n"
		       "@hk[b]: \n"
		       "[4M, 8M)               1 |" BAR52 "|\n"
		       "\n"
		       "@hk[c]: \n"
		       "[1]                    1 |@@@@@@@@@@@@@@@@@                                   |\n"
		       "[2, 4)                 0 |" NOBAR "|\n"
		       "[4, 8)                 3 |" BAR52 "|\n"
		       "\n"
		       "\n");
}

static void test_hist_large_labels(void **state)
{
	char buf[32];
	log2_label(buf, sizeof(buf), 1ull << 30, 0);
	assert_string_equal(buf, "1G");
	log2_label(buf, sizeof(buf), 1ull << 42, 0);
	assert_string_equal(buf, "4T");
	log2_label(buf, sizeof(buf), 1ull << 62, 0);
	assert_string_equal(buf, "4194304T");
	/* hist(n, k): the suffix follows the shift of 2^k-sized steps, as in bpftrace */
	log2_label(buf, sizeof(buf), 1280, 2);
	assert_string_equal(buf, "1280");
	log2_label(buf, sizeof(buf), 5ull << 20, 2);
	assert_string_equal(buf, "5M");
	log2_label(buf, sizeof(buf), 3ull << 10, 1);
	assert_string_equal(buf, "3K");
	linear_label(buf, sizeof(buf), 3072);
	assert_string_equal(buf, "3K");
	linear_label(buf, sizeof(buf), 2 * 1048576);
	assert_string_equal(buf, "2M");
	linear_label(buf, sizeof(buf), 100000);
	assert_string_equal(buf, "100000");
	linear_label(buf, sizeof(buf), -1024);
	assert_string_equal(buf, "-1K");
}

static void test_lhist(void **state)
{
	struct capture c;
	cap_open(&c);
	struct strobe_bucket b[] = {
		{ .hi = 0, .underflow = true, .count = 1 },
		{ .lo = 0, .hi = 10, .count = 1 },
		{ .lo = 10, .hi = 20, .count = 0 },
		{ .lo = 90, .hi = 100, .count = 0 },
		{ .lo = 100, .overflow = true, .count = 1 },
	};
	struct strobe_map_entry l[] = {
		{ .value = { .kind = STROBE_V_HIST, .hist = { .kind = STROBE_HIST_LINEAR, .step = 10, .buckets = b, .n = 5 } } },
	};
	print_map(&c, "@l", STROBE_MAP_LHIST, l, 1);
	struct strobe_bucket k[] = { { .lo = 2048, .hi = 3072, .count = 1 } };
	struct strobe_bucket big[] = { { .lo = 0, .hi = 100000, .count = 1 } };
	struct strobe_bucket s[] = {
		{ .lo = 3, .hi = 4, .count = 2 },
		{ .lo = 4, .hi = 5, .count = 0 },
		{ .lo = 5, .hi = 6, .count = 1 },
	};
	struct strobe_map_entry lk[] = {
		{ .key = V_INT(1), .value = { .kind = STROBE_V_HIST, .hist = { .kind = STROBE_HIST_LINEAR, .step = 1024, .buckets = k, .n = 1 } } },
		{ .key = V_INT(2), .value = { .kind = STROBE_V_HIST, .hist = { .kind = STROBE_HIST_LINEAR, .step = 100000, .buckets = big, .n = 1 } } },
		{ .key = V_INT(3), .value = { .kind = STROBE_V_HIST, .hist = { .kind = STROBE_HIST_LINEAR, .step = 1, .buckets = s, .n = 3 } } },
	};
	print_map(&c, "@lk", STROBE_MAP_LHIST, lk, 3);
	cap_expect(&c, "@l: \n"
		       "(..., 0)               1 |" BAR52 "|\n"
		       "[0, 10)                1 |" BAR52 "|\n"
		       "[10, 20)               0 |" NOBAR "|\n"
		       "[90, 100)              0 |" NOBAR "|\n"
		       "[100, ...)             1 |" BAR52 "|\n"
		       "\n"
		       "@lk[1]: \n"
		       "[2K, 3K)               1 |" BAR52 "|\n"
		       "\n"
		       "@lk[2]: \n"
		       "[0, 100000)            1 |" BAR52 "|\n"
		       "\n"
		       "@lk[3]: \n"
		       "[3, 4)                 2 |" BAR52 "|\n"
		       "[4, 5)                 0 |" NOBAR "|\n"
		       "[5, 6)                 1 |@@@@@@@@@@@@@@@@@@@@@@@@@@                          |\n"
		       "\n");
}

static void test_empty_maps(void **state)
{
	struct capture c;
	cap_open(&c);
	print_map(&c, "@m", STROBE_MAP_VALUE, NULL, 0);
	print_map(&c, "@v", STROBE_MAP_AVG, NULL, 0);
	cap_expect(&c, "\n\n\n");
}

static void test_stacks_and_syms(void **state)
{
	struct capture c;
	cap_open(&c);
	struct strobe_value frames[] = {
		{ .kind = STROBE_V_SYM, .sym = { 0xffffffff814b0b2d, "perf_syscall_enter+397", NULL } },
		{ .kind = STROBE_V_SYM, .sym = { 0xffffffff81000000, "syscall_trace_enter+384", NULL } },
	};
	struct strobe_value ustack[] = {
		{ .kind = STROBE_V_SYM, .sym = { 0x7f6d32c234f7, NULL, NULL } },
	};
	struct strobe_value stack = { .kind = STROBE_V_STACK, .list = { frames, 2 } };
	c.ops->value(c.sink, &stack);
	struct strobe_map_entry key[] = { { .key = stack, .value = V_UINT(1) } };
	print_map(&c, "@st", STROBE_MAP_COUNT, key, 1);
	struct strobe_map_entry val[] = { { .value = stack } };
	print_map(&c, "@x", STROBE_MAP_VALUE, val, 1);
	struct strobe_map_entry uval[] = {
		{ .key = V_INT(1), .value = { .kind = STROBE_V_STACK, .list = { ustack, 1 } } },
	};
	print_map(&c, "@y", STROBE_MAP_VALUE, uval, 1);
	struct strobe_value tup[] = { V_INT(1), { .kind = STROBE_V_STACK, .list = { frames, 1 } } };
	struct strobe_map_entry w[] = { { .value = { .kind = STROBE_V_TUPLE, .list = { tup, 2 } } } };
	print_map(&c, "@w", STROBE_MAP_VALUE, w, 1);
	struct strobe_map_entry z[] = { { .value = { .kind = STROBE_V_SYM, .sym = { 0, NULL, NULL } } } };
	print_map(&c, "@z", STROBE_MAP_VALUE, z, 1);
	cap_expect(&c, "\n        perf_syscall_enter+397\n        syscall_trace_enter+384\n\n"
		       "@st[\n    perf_syscall_enter+397\n    syscall_trace_enter+384\n]: 1\n"
		       "@x: \n        perf_syscall_enter+397\n        syscall_trace_enter+384\n\n"
		       "@y[1]: \n        0x7f6d32c234f7\n\n"
		       "@w: (1, \n        perf_syscall_enter+397\n)\n"
		       "@z: 0\n");
}

/* Records: "{ .a = 1 }" as values (in tuples too), "{.a=1}" inside map keys. */
static void test_struct_values(void **state)
{
	struct capture c;
	cap_open(&c);
	static const char *const inner_names[] = { "x", "y" };
	struct strobe_value inner_items[] = { V_INT(-3), V_UINT(200) };
	struct strobe_value arr_items[] = { V_INT(7), V_INT(8) };
	static const char *const names[] = { "a", "name", "in", "arr" };
	struct strobe_value items[] = {
		V_INT(-5), V_STR("hi"),
		{ .kind = STROBE_V_RECORD, .list = { .items = inner_items, .n = 2, .names = inner_names } },
		{ .kind = STROBE_V_ARRAY, .list = { arr_items, 2 } },
	};
	struct strobe_value rec = { .kind = STROBE_V_RECORD, .list = { .items = items, .n = 4, .names = names } };
	c.ops->value(c.sink, &rec);
	struct strobe_value key = { .kind = STROBE_V_RECORD, .list = { .items = inner_items, .n = 2, .names = inner_names } };
	struct strobe_value tup_items[] = { V_INT(1), key };
	struct strobe_value tup = { .kind = STROBE_V_TUPLE, .list = { tup_items, 2 } };
	c.ops->value(c.sink, &tup);
	struct strobe_map_entry k[] = { { .key = key, .value = V_UINT(2) } };
	print_map(&c, "@k", STROBE_MAP_COUNT, k, 1);
	struct strobe_value multi[] = { V_STR("hi"), key };
	struct strobe_map_entry mk[] = { { .key = { .kind = STROBE_V_TUPLE, .list = { multi, 2 } }, .value = V_INT(1) } };
	print_map(&c, "@n", STROBE_MAP_VALUE, mk, 1);
	struct strobe_map_entry v[] = { { .value = key } };
	print_map(&c, "@v", STROBE_MAP_VALUE, v, 1);
	cap_expect(&c, "{ .a = -5, .name = hi, .in = { .x = -3, .y = 200 }, .arr = [7,8] }\n"
		       "(1, { .x = -3, .y = 200 })\n"
		       "@k[{.x=-3,.y=200}]: 2\n"
		       "@n[hi, {.x=-3,.y=200}]: 1\n"
		       "@v: { .x = -3, .y = 200 }\n");
}

static void test_print_values(void **state)
{
	struct capture c;
	cap_open(&c);
	struct strobe_value five = V_INT(5), minus = V_INT(-3), str = V_STR("str");
	struct strobe_value items[] = { V_INT(1), V_STR("a") };
	struct strobe_value tup = { .kind = STROBE_V_TUPLE, .list = { items, 2 } };
	struct strobe_value arr_items[] = { V_INT(1), V_INT(2) };
	struct strobe_value arr = { .kind = STROBE_V_ARRAY, .list = { arr_items, 2 } };
	struct strobe_value buf = { .kind = STROBE_V_BUF, .str = { "ab\x01", 3 } };
	struct strobe_value yes = { .kind = STROBE_V_BOOL, .u = 1 };
	c.ops->value(c.sink, &five);
	c.ops->value(c.sink, &tup);
	c.ops->value(c.sink, &str);
	c.ops->value(c.sink, &minus);
	c.ops->value(c.sink, &arr);
	c.ops->value(c.sink, &buf);
	c.ops->value(c.sink, &yes);
	cap_expect(&c, "5\n(1, a)\nstr\n-3\n[1,2]\nab\\x01\ntrue\n");
}

static void test_only_entry_is_exported(void **state)
{
	const struct strobe_output_ops *ops = strobe_output_entry();
	assert_int_equal(ops->abi, STROBE_OUTPUT_ABI);
	assert_int_equal(ops->size, sizeof(struct strobe_output_ops));
	assert_string_equal(ops->name, "text");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_banner_printf_lost_exit),
		cmocka_unit_test(test_scalar_and_keyed_maps),
		cmocka_unit_test(test_avg_and_stats),
		cmocka_unit_test(test_hist),
		cmocka_unit_test(test_hist_large_labels),
		cmocka_unit_test(test_lhist),
		cmocka_unit_test(test_empty_maps),
		cmocka_unit_test(test_stacks_and_syms),
		cmocka_unit_test(test_print_values),
		cmocka_unit_test(test_struct_values),
		cmocka_unit_test(test_only_entry_is_exported),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
