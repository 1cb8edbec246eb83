/* printf rendering from typed ring-buffer payloads. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "runtime/runtime_internal.h"

static const struct type t_u64 = { .kind = T_INT, .size = 8, .align = 8 };
static const struct type t_s64 = { .kind = T_INT, .size = 8, .align = 8, .is_signed = true };
static const struct type t_s32 = { .kind = T_INT, .size = 4, .align = 4, .is_signed = true };
static const struct type t_str8 = { .kind = T_STRING, .size = 8, .align = 1 };
static const struct type t_buf6 = { .kind = T_BUFFER, .size = 10, .align = 4 };

struct rendered {
	struct strbuf text;
	struct arena arena;
	struct strobe_value args[8];
	int rc;
};

/* Render fmt over payload; arguments sit at the given offsets. */
static void render(struct rendered *r, const char *fmt, const struct type **types,
		   const uint32_t *offsets, uint32_t nargs, const void *payload, size_t len)
{
	struct fmt_spec specs[8];
	char err[128];
	int n = fmt_parse(fmt, specs, 8, err, sizeof(err));
	assert_true(n >= 0);
	struct prog_printf pf = { .fmt = fmt, .arg_types = types, .arg_offsets = (uint32_t *)offsets,
				  .nargs = nargs, .size = (uint32_t)len };
	memset(r, 0, sizeof(*r));
	r->rc = printf_render(&pf, specs, (size_t)n, payload, len, &r->text, &r->arena, r->args);
}

static void done(struct rendered *r)
{
	sb_free(&r->text);
	arena_release(&r->arena);
}

static void test_integers(void **state)
{
	(void)state;
	int64_t words[4] = { -42, -1, 255, 7 };
	const uint32_t offs[] = { 0 };
	struct rendered r;
	render(&r, "%d %u %x|%5d|%-4d|%05d %%\n", (const struct type *[]){ &t_s64, &t_u64, &t_u64, &t_s64, &t_s64, &t_s64 },
	       (const uint32_t[]){ 0, 8, 16, 24, 24, 24 }, 6, words, sizeof(words));
	assert_int_equal(r.rc, 0);
	/* like bpftrace 0.17 (C's printf): %u without a length modifier reads 32 bits */
	assert_string_equal(r.text.s, "-42 4294967295 ff|    7|7   |00007 %\n");
	assert_int_equal(r.text.len, strlen(r.text.s));
	assert_int_equal(r.args[0].kind, STROBE_V_INT);
	assert_int_equal(r.args[0].i, -42);
	assert_int_equal(r.args[1].kind, STROBE_V_UINT);
	done(&r);

	/* Length modifiers are accepted; X, o, c. */
	render(&r, "%lld %lu %X %o %c", (const struct type *[]){ &t_s64, &t_u64, &t_u64, &t_u64, &t_s64 },
	       (const uint32_t[]){ 0, 8, 16, 24, 32 }, 5, (int64_t[]){ 5, 8, 255, 8, 'A' }, 40);
	assert_string_equal(r.text.s, "5 8 FF 10 A");
	done(&r);

	/* A 4-byte int stored as 8 bytes. */
	render(&r, "%d", (const struct type *[]){ &t_s32 }, offs, 1, (int64_t[]){ -9 }, 8);
	assert_string_equal(r.text.s, "-9");
	done(&r);
}

static void test_strings(void **state)
{
	(void)state;
	uint8_t payload[16] = { 0 };
	memcpy(payload, "bash", 4);
	memcpy(payload + 8, "12345678", 8); /* fills its field: no NUL */
	const uint32_t offs[] = { 0, 8 };
	struct rendered r;
	render(&r, "[%s] [%-10s] [%10s] [%.2s] [%s]", (const struct type *[]){ &t_str8, &t_str8, &t_str8, &t_str8, &t_str8 },
	       (const uint32_t[]){ 0, 0, 0, 0, 8 }, 5, payload, sizeof(payload));
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.text.s, "[bash] [bash      ] [      bash] [ba] [12345678]");
	assert_int_equal(r.args[4].kind, STROBE_V_STR);
	assert_int_equal(r.args[4].str.len, 8);
	done(&r);

	/* %s of an integer prints it in decimal. */
	render(&r, "%s-%s", (const struct type *[]){ &t_s64, &t_str8 }, offs, 2,
	       (int64_t[]){ -3, 0x6968 }, 16);
	assert_string_equal(r.text.s, "-3-hi");
	done(&r);
}

static void test_buffers(void **state)
{
	(void)state;
	uint8_t payload[10] = { 4, 0, 0, 0, 'a', 'b', 1, '\n', 'z', 'z' };
	const struct type *types[] = { &t_buf6, &t_buf6, &t_buf6 };
	const uint32_t offs[] = { 0, 0, 0 };
	struct rendered r;
	render(&r, "%r|%rx|%rh", types, offs, 3, payload, sizeof(payload));
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.text.s, "ab\\x01\\x0a|\\x61\\x62\\x01\\x0a|61 62 01 0a");
	assert_int_equal(r.args[0].kind, STROBE_V_BUF);
	assert_int_equal(r.args[0].str.len, 4);
	done(&r);
}

static void test_literals_and_errors(void **state)
{
	(void)state;
	struct rendered r;
	render(&r, "100%% done\n", NULL, NULL, 0, "", 0);
	assert_int_equal(r.rc, 0);
	assert_string_equal(r.text.s, "100% done\n");
	done(&r);

	/* A payload shorter than the arguments is rejected, not read past. */
	render(&r, "%d %d", (const struct type *[]){ &t_s64, &t_s64 }, (const uint32_t[]){ 0, 8 }, 2,
	       (int64_t[]){ 1 }, 8);
	assert_int_equal(r.rc, -EINVAL);
	done(&r);

	/* Fewer arguments than specifiers: the extra spec is printed as written. */
	render(&r, "%d and %s", (const struct type *[]){ &t_s64 }, (const uint32_t[]){ 0 }, 1,
	       (int64_t[]){ 1 }, 8);
	assert_string_equal(r.text.s, "1 and %s");
	done(&r);
}

static void test_value_text(void **state)
{
	(void)state;
	struct strobe_value items[2] = { { .kind = STROBE_V_INT, .i = 1 },
					 { .kind = STROBE_V_STR, .str = { "two", 3 } } };
	struct strobe_value tup = { .kind = STROBE_V_TUPLE, .list = { items, 2 } };
	struct strobe_value arr = { .kind = STROBE_V_ARRAY, .list = { items, 1 } };
	struct strobe_value sym = { .kind = STROBE_V_SYM, .sym = { .addr = 0xff } };
	struct strbuf b = { 0 };
	render_value_text(&b, &tup);
	render_value_text(&b, &arr);
	render_value_text(&b, &sym);
	assert_string_equal(b.s, "(1, two)[1]0xff");
	sb_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_buffers),
		cmocka_unit_test(test_literals_and_errors),
		cmocka_unit_test(test_value_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
