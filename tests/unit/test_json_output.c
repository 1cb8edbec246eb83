/*
 * The JSON sink: string escaping, number rules, every record type and the
 * map shapes of bpftrace 0.17's -f json (", " between hist buckets, unspaced
 * tuples, stacks as their text, two empty lines at exit), but big integers
 * as strings. The sink's source
 * is compiled in directly; records go to a memory stream.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../outputs/json/json.c"

/* json_string() of n bytes, as a NUL-terminated string the test frees. */
static char *esc(const char *s, size_t n)
{
	struct jbuf b = { 0 };
	json_string(&b, s, n);
	assert_false(b.oom);
	return b.s;
}

#define ESC_EQ(in, want)                                  \
	do {                                              \
		char *got_ = esc((in), sizeof(in) - 1);   \
		assert_string_equal(got_, (want));        \
		free(got_);                               \
	} while (0)

static void test_escape_basic(void **state)
{
	ESC_EQ("", "\"\"");
	ESC_EQ("hello", "\"hello\"");
	ESC_EQ("a\"b", "\"a\\\"b\"");
	ESC_EQ("back\\slash", "\"back\\\\slash\"");
	ESC_EQ("nl\ntab\tcr\r", "\"nl\\ntab\\tcr\\r\"");
	ESC_EQ("/ stays", "\"/ stays\"");
}

static void test_escape_control(void **state)
{
	ESC_EQ("\x01\x02\x1f", "\"\\u0001\\u0002\\u001f\"");
	ESC_EQ("\b\f", "\"\\u0008\\u000c\"");
	ESC_EQ("\x7f", "\"\x7f\""); /* DEL is valid in JSON strings */
	/* An embedded NUL is a control character like any other. */
	char *got = esc("a\0b", 3);
	assert_string_equal(got, "\"a\\u0000b\"");
	free(got);
}

static void test_escape_utf8(void **state)
{
	/* Valid sequences of every length pass through. */
	ESC_EQ("\xc3\xa9", "\"\xc3\xa9\"");
	ESC_EQ("\xe2\x82\xac", "\"\xe2\x82\xac\"");
	ESC_EQ("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"");
	/* Invalid bytes become their Latin-1 code point. */
	ESC_EQ("\xff", "\"\\u00ff\"");
	ESC_EQ("\x80", "\"\\u0080\"");
	ESC_EQ("\xc3(", "\"\\u00c3(\"");       /* truncated 2-byte sequence */
	ESC_EQ("\xe2\x82", "\"\\u00e2\\u0082\""); /* truncated at the end */
	ESC_EQ("\xc0\xaf", "\"\\u00c0\\u00af\""); /* overlong '/' */
	ESC_EQ("\xe0\x80\xaf", "\"\\u00e0\\u0080\\u00af\""); /* overlong 3-byte */
	ESC_EQ("\xed\xa0\x80", "\"\\u00ed\\u00a0\\u0080\""); /* UTF-16 surrogate */
	ESC_EQ("\xf4\x90\x80\x80", "\"\\u00f4\\u0090\\u0080\\u0080\""); /* > U+10FFFF */
	ESC_EQ("ok\xffok", "\"ok\\u00ffok\"");
}

static char *num(bool is_signed, uint64_t v)
{
	struct jbuf b = { 0 };
	if (is_signed)
		json_int(&b, (int64_t)v);
	else
		json_uint(&b, v);
	return b.s;
}

#define NUM_EQ(sig, v, want)                        \
	do {                                        \
		char *got_ = num((sig), (uint64_t)(v)); \
		assert_string_equal(got_, (want));  \
		free(got_);                         \
	} while (0)

static void test_numbers(void **state)
{
	NUM_EQ(true, 0, "0");
	NUM_EQ(true, -1, "-1");
	NUM_EQ(true, INT64_C(9007199254740992), "9007199254740992");    /* 2^53 */
	NUM_EQ(true, INT64_C(9007199254740993), "\"9007199254740993\""); /* 2^53 + 1 */
	NUM_EQ(true, -INT64_C(9007199254740992), "-9007199254740992");
	NUM_EQ(true, -INT64_C(9007199254740993), "\"-9007199254740993\"");
	NUM_EQ(true, INT64_C(1) << 60, "1152921504606846976"); /* exact in a double */
	NUM_EQ(true, INT64_MAX, "\"9223372036854775807\"");
	NUM_EQ(true, INT64_MIN, "-9223372036854775808"); /* -2^63 is exact */
	NUM_EQ(false, 0, "0");
	NUM_EQ(false, UINT64_MAX, "\"18446744073709551615\"");
	NUM_EQ(false, UINT64_C(1) << 63, "9223372036854775808");
	NUM_EQ(false, (UINT64_C(1) << 63) + 1, "\"9223372036854775809\"");
}

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
	assert_int_equal(c->ops->abi, STROBE_OUTPUT_ABI);
	assert_int_equal(c->ops->size, sizeof(struct strobe_output_ops));
	assert_null(c->ops->chain); /* json is a sink, not a filter */
	assert_int_equal(c->ops->open(NULL, c->fp, NULL, &c->sink), 0);
}

static void cap_expect(struct capture *c, const char *want)
{
	c->ops->close(c->sink);
	fclose(c->fp);
	assert_string_equal(c->buf, want);
	free(c->buf);
}

#define V_INT(x) { .kind = STROBE_V_INT, .i = (x) }
#define V_UINT(x) { .kind = STROBE_V_UINT, .u = (x) }
#define V_STR(x) { .kind = STROBE_V_STR, .str = { (x), sizeof(x) - 1 } }

static void put_map(struct capture *c, const char *name, enum strobe_map_kind kind,
		    const struct strobe_map_entry *e, size_t n)
{
	struct strobe_map_view m = { .name = name, .kind = kind, .keyed = n && e[0].key.kind, .entries = e, .n = n };
	c->ops->map(c->sink, &m);
}

static void test_records(void **state)
{
	struct capture c;
	cap_open(&c);
	c.ops->attached(c.sink, 2);
	struct strobe_value args[] = { V_INT(5), V_STR("x") };
	c.ops->printf(c.sink, 3, "hi 5 x\n", 7, args, 2);
	c.ops->time(c.sink, "12:00:01\n", 9);
	c.ops->join(c.sink, "/bin/echo,X,Y", 13);
	c.ops->cat(c.sink, "Linux\n", 6);
	c.ops->syscall(c.sink, "a b\n", 4);
	c.ops->lost(c.sink, 2835);
	struct strobe_helper_error he = { .helper = "probe_read_user", .retcode = -14, .msg = "Bad address",
					  .filename = "stdin", .line = 1, .col = 87 };
	c.ops->helper_error(c.sink, &he);
	struct strobe_value five = V_INT(5);
	c.ops->value(c.sink, &five);
	c.ops->exiting(c.sink);
	cap_expect(&c,
		   "{\"type\": \"attached_probes\", \"data\": {\"probes\": 2}}\n"
		   "{\"type\": \"printf\", \"data\": \"hi 5 x\\n\"}\n"
		   "{\"type\": \"time\", \"data\": \"12:00:01\\n\"}\n"
		   "{\"type\": \"join\", \"data\": \"/bin/echo,X,Y\"}\n"
		   "{\"type\": \"cat\", \"data\": \"Linux\\n\"}\n"
		   "{\"type\": \"syscall\", \"data\": \"a b\\n\"}\n"
		   "{\"type\": \"lost_events\", \"data\": {\"events\": 2835}}\n"
		   "{\"type\": \"helper_error\", \"helper\": \"probe_read_user\", "
		   "\"retcode\": -14, \"line\": 1, \"col\": 87}\n"
		   "{\"type\": \"value\", \"data\": 5}\n"
		   "\n\n");
}

static void test_values(void **state)
{
	struct capture c;
	cap_open(&c);
	struct strobe_value items[] = { V_INT(1), V_STR("two"), { .kind = STROBE_V_BOOL, .u = 1 } };
	struct strobe_value tup = { .kind = STROBE_V_TUPLE, .list = { items, 3 } };
	c.ops->value(c.sink, &tup);
	struct strobe_value arr_items[] = { V_INT(5), V_INT(6) };
	struct strobe_value arr = { .kind = STROBE_V_ARRAY, .list = { arr_items, 2 } };
	c.ops->value(c.sink, &arr);
	struct strobe_value buf = { .kind = STROBE_V_BUF, .str = { "ab\x01\xff", 4 } };
	c.ops->value(c.sink, &buf);
	struct strobe_value frames[] = {
		{ .kind = STROBE_V_SYM, .sym = { .addr = 0xffffffff81000010, .name = "vfs_read+16" } },
		{ .kind = STROBE_V_SYM, .sym = { .addr = 0x7f0011, .name = NULL } },
	};
	struct strobe_value stack = { .kind = STROBE_V_STACK, .list = { frames, 2 } };
	c.ops->value(c.sink, &stack);
	struct strobe_value none = { .kind = STROBE_V_NONE };
	c.ops->value(c.sink, &none);
	struct strobe_value str = V_STR("q\"uote");
	c.ops->value(c.sink, &str);
	cap_expect(&c, "{\"type\": \"value\", \"data\": [1,\"two\",true]}\n"
		       "{\"type\": \"value\", \"data\": [5,6]}\n"
		       "{\"type\": \"value\", \"data\": \"ab\\\\x01\\\\xff\"}\n"
		       "{\"type\": \"value\", \"data\": \"\\n        vfs_read+16\\n        0x7f0011\\n\"}\n"
		       "{\"type\": \"value\", \"data\": null}\n"
		       "{\"type\": \"value\", \"data\": \"q\\\"uote\"}\n");
}

/* Records (STROBE_V_RECORD): objects as values, bpftrace 0.17's {.a=1} text as keys. */
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
	struct strobe_map_entry k[] = { { .key = key, .value = V_UINT(2) } };
	put_map(&c, "@k", STROBE_MAP_COUNT, k, 1);
	struct strobe_map_entry v[] = { { .key = V_INT(1), .value = rec } };
	put_map(&c, "@v", STROBE_MAP_VALUE, v, 1);
	cap_expect(&c, "{\"type\": \"value\", \"data\": { \"a\": -5, \"name\": \"hi\", \"in\": { \"x\": -3, \"y\": 200 }, "
		       "\"arr\": [7,8] }}\n"
		       "{\"type\": \"map\", \"data\": {\"@k\": {\"{.x=-3,.y=200}\": 2}}}\n"
		       "{\"type\": \"map\", \"data\": {\"@v\": {\"1\": { \"a\": -5, \"name\": \"hi\", \"in\": { \"x\": -3, "
		       "\"y\": 200 }, \"arr\": [7,8] }}}}\n");
}

static void test_maps(void **state)
{
	struct capture c;
	cap_open(&c);
	struct strobe_map_entry sc[] = { { .value = V_UINT(1) } };
	put_map(&c, "@c", STROBE_MAP_COUNT, sc, 1);
	struct strobe_map_entry m[] = {
		{ .key = V_STR("k1"), .value = V_INT(1) },
		{ .key = V_STR("k\"2"), .value = V_INT(2) },
	};
	put_map(&c, "@m", STROBE_MAP_VALUE, m, 2);
	struct strobe_value tk[] = { V_INT(1), V_STR("x") };
	struct strobe_map_entry t[] = { { .key = { .kind = STROBE_V_TUPLE, .list = { tk, 2 } }, .value = V_INT(3) } };
	put_map(&c, "@t", STROBE_MAP_SUM, t, 1);
	struct strobe_map_entry ik[] = { { .key = V_INT(-4), .value = V_UINT(UINT64_MAX) } };
	put_map(&c, "@", STROBE_MAP_MAX, ik, 1);
	put_map(&c, "@empty", STROBE_MAP_COUNT, NULL, 0); /* prints nothing */
	struct strobe_map_entry avg[] = { { .value = { .kind = STROBE_V_STATS, .stats = { 2, 12, 6, true } } } };
	put_map(&c, "@a", STROBE_MAP_AVG, avg, 1);
	struct strobe_map_entry st[] = { { .key = V_STR("x"),
					   .value = { .kind = STROBE_V_STATS, .stats = { 2, 12, 6, false } } } };
	put_map(&c, "@sk", STROBE_MAP_STATS, st, 1);
	cap_expect(&c, "{\"type\": \"map\", \"data\": {\"@c\": 1}}\n"
		       "{\"type\": \"map\", \"data\": {\"@m\": {\"k1\": 1, \"k\\\"2\": 2}}}\n"
		       "{\"type\": \"map\", \"data\": {\"@t\": {\"1,x\": 3}}}\n"
		       "{\"type\": \"map\", \"data\": {\"@\": {\"-4\": \"18446744073709551615\"}}}\n"
		       "{\"type\": \"stats\", \"data\": {\"@a\": 6}}\n"
		       "{\"type\": \"stats\", \"data\": {\"@sk\": {\"x\": {\"count\": 2, \"average\": 6, \"total\": 12}}}}\n");
}

static void test_hists(void **state)
{
	struct capture c;
	cap_open(&c);
	struct strobe_bucket log2[] = {
		{ .lo = INT64_MIN, .hi = 0, .underflow = true, .count = 1 },
		{ .lo = 0, .hi = 1, .count = 1 },
		{ .lo = 1, .hi = 2, .count = 0 },
		{ .lo = 2, .hi = 4, .count = 1 },
	};
	struct strobe_map_entry h[] = { { .value = { .kind = STROBE_V_HIST, .hist = { .kind = STROBE_HIST_LOG2, .step = 0, .buckets = log2, .n = 4 } } } };
	put_map(&c, "@h", STROBE_MAP_HIST, h, 1);
	struct strobe_bucket lin[] = {
		{ .lo = INT64_MIN, .hi = 0, .underflow = true, .count = 2 },
		{ .lo = 0, .hi = 10, .count = 1 },
		{ .lo = 100, .hi = INT64_MAX, .overflow = true, .count = 3 },
	};
	struct strobe_map_entry l[] = { { .key = V_STR("a"),
					  .value = { .kind = STROBE_V_HIST, .hist = { .kind = STROBE_HIST_LINEAR, .step = 10, .buckets = lin, .n = 3 } } } };
	put_map(&c, "@l", STROBE_MAP_LHIST, l, 1);
	struct strobe_map_entry e[] = { { .value = { .kind = STROBE_V_HIST, .hist = { .kind = STROBE_HIST_LOG2, .step = 0, .buckets = NULL, .n = 0 } } } };
	put_map(&c, "@e", STROBE_MAP_HIST, e, 1);
	cap_expect(&c, "{\"type\": \"hist\", \"data\": {\"@h\": [{\"max\": -1, \"count\": 1}, {\"min\": 0, \"max\": 0, \"count\": 1}, "
		       "{\"min\": 1, \"max\": 1, \"count\": 0}, {\"min\": 2, \"max\": 3, \"count\": 1}]}}\n"
		       "{\"type\": \"hist\", \"data\": {\"@l\": {\"a\": [{\"max\": -1, \"count\": 2}, {\"min\": 0, \"max\": 9, \"count\": 1}, "
		       "{\"min\": 100, \"count\": 3}]}}}\n"
		       "{\"type\": \"hist\", \"data\": {\"@e\": []}}\n");
}

/* A big record (a long printf) is still one line, written whole. */
static void test_long_record(void **state)
{
	struct capture c;
	cap_open(&c);
	size_t n = 100000;
	char *text = malloc(n);
	assert_non_null(text);
	for (size_t i = 0; i < n; i++)
		text[i] = (char)(i % 7 == 0 ? '\n' : 'a' + i % 26);
	c.ops->printf(c.sink, 0, text, n, NULL, 0);
	free(text);
	c.ops->close(c.sink);
	fclose(c.fp);
	size_t lines = 0;
	for (size_t i = 0; i < c.len; i++)
		lines += c.buf[i] == '\n';
	assert_int_equal(lines, 1);
	assert_int_equal(c.buf[c.len - 1], '\n');
	assert_int_equal(strncmp(c.buf, "{\"type\": \"printf\", \"data\": \"\\nbcdefg\\n", 38), 0);
	free(c.buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_basic),
		cmocka_unit_test(test_escape_control),
		cmocka_unit_test(test_escape_utf8),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_maps),
		cmocka_unit_test(test_struct_values),
		cmocka_unit_test(test_hists),
		cmocka_unit_test(test_long_record),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
