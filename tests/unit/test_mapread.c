/* Map decoding, cross-CPU aggregation, bpftrace 0.17 sort order, top/div and histogram buckets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <linux/bpf.h>

#include "runtime/runtime_internal.h"

static const struct type t_u64 = { .kind = T_INT, .size = 8, .align = 8 };
static const struct type t_s64 = { .kind = T_INT, .size = 8, .align = 8, .is_signed = true };
static const struct type t_s32 = { .kind = T_INT, .size = 4, .align = 4, .is_signed = true };
static const struct type t_str4 = { .kind = T_STRING, .size = 4, .align = 1 };
static const struct type_field tup_fields[] = {
	{ .type = &t_s64, .offset = 0 },
	{ .type = &t_str4, .offset = 8 },
};
static const struct type t_tuple = { .kind = T_TUPLE, .size = 16, .align = 8, .fields = tup_fields,
				     .nfields = 2 };

/* A hand-built map dump: up to 8 entries, up to 4 CPUs, 16-byte values. */
struct fake {
	uint8_t keys[8 * 24];
	uint8_t values[8 * 4 * 16];
	struct map_raw raw;
	size_t key_size;
};

static void fake_init(struct fake *f, size_t key_size, uint32_t ncpus, uint32_t stride)
{
	memset(f, 0, sizeof(*f));
	f->key_size = key_size;
	f->raw = (struct map_raw){ .keys = f->keys, .values = f->values, .ncpus = ncpus,
				   .value_stride = stride };
}

/* Append an entry: key bytes, then per-CPU pairs of u64 words (one or two per CPU). */
static void fake_add(struct fake *f, const void *key, const uint64_t *words)
{
	size_t i = f->raw.n++;
	memcpy(f->keys + i * f->key_size, key, f->key_size);
	memcpy(f->values + i * f->raw.ncpus * f->raw.value_stride, words,
	       (size_t)f->raw.ncpus * f->raw.value_stride);
}

static void add_u64_key(struct fake *f, uint64_t key, const uint64_t *words)
{
	fake_add(f, &key, words);
}

static struct prog_map agg_map(enum agg_kind agg, const struct type *key, const struct type *arg,
			       uint32_t value_size)
{
	return (struct prog_map){ .name = "@m", .agg = agg, .key = key, .value = arg, .key_size = 8,
				  .value_size = value_size, .bpf_type = BPF_MAP_TYPE_PERCPU_HASH,
				  .max_entries = 4096, .fd = -1 };
}

static void test_read_int(void **state)
{
	(void)state;
	uint8_t b[8] = { 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0 };
	assert_int_equal(read_int(b, 1, true), -1);
	assert_int_equal(read_int(b, 1, false), 255);
	assert_int_equal(read_int(b, 2, true), -1);
	assert_int_equal(read_int(b, 4, true), -1);
	assert_int_equal(read_int(b, 4, false), 0xffffffffLL);
	assert_int_equal(read_int(b, 8, true), 0xffffffffLL);
}

static void test_decode_values(void **state)
{
	(void)state;
	struct arena a = ARENA_INIT;
	struct strobe_value v;
	uint8_t tup[16] = { 0 };
	int64_t n = -7;
	memcpy(tup, &n, 8);
	memcpy(tup + 8, "abcd", 4); /* full string: no NUL inside the field */
	value_decode(&a, &t_tuple, tup, &v);
	assert_int_equal(v.kind, STROBE_V_TUPLE);
	assert_int_equal(v.list.n, 2);
	assert_int_equal(v.list.items[0].kind, STROBE_V_INT);
	assert_int_equal(v.list.items[0].i, -7);
	assert_int_equal(v.list.items[1].kind, STROBE_V_STR);
	assert_int_equal(v.list.items[1].str.len, 4);
	assert_string_equal(v.list.items[1].str.s, "abcd");

	/* Integers occupy 8 bytes; an int32 is read from the low half, sign-extended. */
	int64_t wide = -3;
	value_decode(&a, &t_s32, (const uint8_t *)&wide, &v);
	assert_int_equal(v.kind, STROBE_V_INT);
	assert_int_equal(v.i, -3);

	static const struct type t_arr = { .kind = T_ARRAY, .size = 16, .elem = &t_u64, .count = 2 };
	uint64_t arr[2] = { 5, 6 };
	value_decode(&a, &t_arr, (const uint8_t *)arr, &v);
	assert_int_equal(v.kind, STROBE_V_ARRAY);
	assert_int_equal(v.list.n, 2);
	assert_int_equal(v.list.items[1].u, 6);

	static const struct type t_buf = { .kind = T_BUFFER, .size = 8 };
	uint8_t buf[8] = { 9, 0, 0, 0, 'a', 0, 'b', 'c' }; /* length larger than capacity: clamped */
	value_decode(&a, &t_buf, buf, &v);
	assert_int_equal(v.kind, STROBE_V_BUF);
	assert_int_equal(v.str.len, 4);
	assert_memory_equal(v.str.s, "a\0bc", 4);

	value_decode(&a, NULL, buf, &v);
	assert_int_equal(v.kind, STROBE_V_NONE);
	arena_release(&a);
}

/* Records decode with their field names; bitfields by their bits, pointers as signed integers. */
static void test_decode_records(void **state)
{
	(void)state;
	static const struct type t_s16 = { .kind = T_INT, .size = 2, .align = 2, .is_signed = true };
	static const struct type t_u8 = { .kind = T_INT, .size = 1, .align = 1 };
	static const struct type t_u32 = { .kind = T_INT, .size = 4, .align = 4 };
	static const struct type t_i32 = { .kind = T_INT, .size = 4, .align = 4, .is_signed = true };
	static const struct type t_rs4 = { .kind = T_STRING, .size = 4, .align = 1 };
	static const struct type t_ptr = { .kind = T_POINTER, .size = 8, .align = 8, .elem = &t_u8 };
	static const struct type_field inner_f[] = {
		{ .name = "x", .type = &t_s16, .offset = 0 },
		{ .name = "y", .type = &t_u8, .offset = 2 },
	};
	static const struct type t_inner = { .kind = T_RECORD, .size = 4, .align = 2, .name = "struct inner",
					     .fields = inner_f, .nfields = 2, .defined = true };
	/* struct { struct inner in; char s[4]; unsigned f1:3; int f2:5; void *p; float skipped; } */
	static const struct type_field outer_f[] = {
		{ .name = "in", .type = &t_inner, .offset = 0 },
		{ .name = "s", .type = &t_rs4, .offset = 4 },
		{ .name = "f1", .type = &t_u32, .offset = 8, .bit_offset = 0, .bit_width = 3 },
		{ .name = "f2", .type = &t_i32, .offset = 8, .bit_offset = 3, .bit_width = 5 },
		{ .name = "p", .type = &t_ptr, .offset = 16 },
		{ .name = "beyond", .type = &t_ptr, .offset = 20 }, /* past the end: left out */
	};
	static const struct type t_outer = { .kind = T_RECORD, .size = 24, .align = 8, .name = "struct outer",
					     .fields = outer_f, .nfields = 6, .defined = true };
	uint8_t b[24] = { 0 };
	int16_t x = -3;
	memcpy(b, &x, 2);
	b[2] = 200;
	memcpy(b + 4, "hi", 2);
	b[8] = 5 | (0x1d << 3); /* f1 = 5, f2 = -3 */
	int64_t p = -131387335714400;
	memcpy(b + 16, &p, 8);
	struct arena a = ARENA_INIT;
	struct strobe_value v;
	value_decode(&a, &t_outer, b, &v);
	assert_int_equal(v.kind, STROBE_V_RECORD);
	assert_int_equal(v.list.n, 5);
	assert_string_equal(v.list.names[0], "in");
	assert_int_equal(v.list.items[0].kind, STROBE_V_RECORD);
	assert_string_equal(v.list.items[0].list.names[1], "y");
	assert_int_equal(v.list.items[0].list.items[0].i, -3);
	assert_int_equal(v.list.items[0].list.items[1].u, 200);
	assert_string_equal(v.list.items[1].str.s, "hi");
	assert_int_equal(v.list.items[2].kind, STROBE_V_UINT);
	assert_int_equal(v.list.items[2].u, 5);
	assert_int_equal(v.list.items[3].kind, STROBE_V_INT);
	assert_int_equal(v.list.items[3].i, -3);
	assert_string_equal(v.list.names[4], "p");
	assert_int_equal(v.list.items[4].kind, STROBE_V_INT);
	assert_int_equal(v.list.items[4].i, p);
	/* an array of pointers (a BTF member like ptrace_bps[4]): signed integers too */
	static const struct type t_parr = { .kind = T_ARRAY, .size = 16, .align = 8, .elem = &t_ptr, .count = 2 };
	int64_t ptrs[2] = { 0, -2 };
	value_decode(&a, &t_parr, (const uint8_t *)ptrs, &v);
	assert_int_equal(v.kind, STROBE_V_ARRAY);
	assert_int_equal(v.list.items[1].kind, STROBE_V_INT);
	assert_int_equal(v.list.items[1].i, -2);
	/* tuples have no names */
	value_decode(&a, &t_tuple, b, &v);
	assert_int_equal(v.kind, STROBE_V_TUPLE);
	assert_null(v.list.names);
	arena_release(&a);
	/* the value union keeps its size with the appended list member (ABI) */
	assert_true(sizeof(struct strobe_value) <= 40);
}

static void test_key_compare(void **state)
{
	(void)state;
	int64_t m1 = -1, two = 2;
	/* bpftrace 0.17 sorts integer keys as unsigned: -1 after 2. */
	assert_true(key_compare(&t_s64, (uint8_t *)&two, (uint8_t *)&m1) < 0);
	assert_true(key_compare(&t_str4, (const uint8_t *)"ab\0\0", (const uint8_t *)"b\0\0\0") < 0);
	uint8_t a[16] = { 1 }, b[16] = { 1 };
	memcpy(a + 8, "b", 1);
	memcpy(b + 8, "a", 1);
	assert_true(key_compare(&t_tuple, a, b) > 0);
	b[0] = 2;
	assert_true(key_compare(&t_tuple, a, b) < 0);
	assert_int_equal(key_compare(NULL, a, b), 0);
}

static void test_count_across_cpus(void **state)
{
	(void)state;
	struct fake f;
	fake_init(&f, 8, 3, 8);
	add_u64_key(&f, 9, (const uint64_t[]){ 1, 1, 1 });
	add_u64_key(&f, 5, (const uint64_t[]){ 3, 0, 0 });
	add_u64_key(&f, 2, (const uint64_t[]){ 0, 7, 0 });
	struct prog_map m = agg_map(AGG_COUNT, &t_u64, NULL, 8);
	struct map_view_buf v;
	map_build_view(&m, &f.raw, 0, 1, &v);
	assert_int_equal(v.view.kind, STROBE_MAP_COUNT);
	assert_true(v.view.keyed);
	assert_int_equal(v.view.n, 3);
	/* By value ascending; the tie (3, 3) by key. */
	assert_int_equal(v.view.entries[0].key.u, 5);
	assert_int_equal(v.view.entries[1].key.u, 9);
	assert_int_equal(v.view.entries[1].value.kind, STROBE_V_UINT);
	assert_int_equal(v.view.entries[1].value.u, 3);
	assert_int_equal(v.view.entries[2].key.u, 2);
	assert_int_equal(v.view.entries[2].value.u, 7);
	map_view_release(&v);

	/* top 2: the two largest, still ascending; div 2 divides them. */
	map_build_view(&m, &f.raw, 2, 2, &v);
	assert_int_equal(v.view.n, 2);
	assert_int_equal(v.view.entries[0].key.u, 9);
	assert_int_equal(v.view.entries[0].value.u, 1);
	assert_int_equal(v.view.entries[1].key.u, 2);
	assert_int_equal(v.view.entries[1].value.u, 3);
	map_view_release(&v);

	/* top larger than the map: everything. */
	map_build_view(&m, &f.raw, 10, 0, &v);
	assert_int_equal(v.view.n, 3);
	map_view_release(&v);
}

static void test_sum_signed(void **state)
{
	(void)state;
	struct fake f;
	fake_init(&f, 8, 2, 8);
	add_u64_key(&f, 1, (const uint64_t[]){ (uint64_t)-10, 4 });
	add_u64_key(&f, 2, (const uint64_t[]){ 1, 1 });
	struct prog_map m = agg_map(AGG_SUM, &t_u64, &t_s64, 8);
	struct map_view_buf v;
	map_build_view(&m, &f.raw, 0, 1, &v);
	assert_int_equal(v.view.n, 2);
	assert_int_equal(v.view.entries[0].value.kind, STROBE_V_INT);
	assert_int_equal(v.view.entries[0].value.i, -6);
	assert_int_equal(v.view.entries[1].value.i, 2);
	map_view_release(&v);
	map_build_view(&m, &f.raw, 0, 4, &v);
	assert_int_equal(v.view.entries[0].value.i, -1); /* truncation toward zero */
	map_view_release(&v);

	/* Unsigned argument: an unsigned sum. */
	m.value = &t_u64;
	map_build_view(&m, &f.raw, 0, 1, &v);
	assert_int_equal(v.view.entries[0].value.kind, STROBE_V_UINT);
	assert_int_equal(v.view.entries[0].key.u, 2);
	map_view_release(&v);
}

static void test_min_max(void **state)
{
	(void)state;
	struct fake f;
	/* { s64 value; u64 set } per CPU; unset CPUs are ignored. */
	fake_init(&f, 8, 3, 16);
	add_u64_key(&f, 1, (const uint64_t[]){ 5, 1, (uint64_t)-100, 0, 8, 1 });
	add_u64_key(&f, 2, (const uint64_t[]){ 0, 0, (uint64_t)-3, 1, 0, 0 });
	add_u64_key(&f, 3, (const uint64_t[]){ 0, 0, 0, 0, 0, 0 });
	struct prog_map m = agg_map(AGG_MIN, &t_u64, &t_s64, 16);
	struct map_view_buf v;
	map_build_view(&m, &f.raw, 0, 1, &v);
	assert_int_equal(v.view.kind, STROBE_MAP_MIN);
	assert_int_equal(v.view.n, 3);
	assert_int_equal(v.view.entries[0].key.u, 2);
	assert_int_equal(v.view.entries[0].value.i, -3);
	assert_int_equal(v.view.entries[1].key.u, 3);
	assert_int_equal(v.view.entries[1].value.i, 0); /* never set (zeroed) */
	assert_int_equal(v.view.entries[2].key.u, 1);
	assert_int_equal(v.view.entries[2].value.i, 5);
	map_view_release(&v);

	m.agg = AGG_MAX;
	map_build_view(&m, &f.raw, 0, 1, &v);
	assert_int_equal(v.view.kind, STROBE_MAP_MAX);
	assert_int_equal(v.view.entries[0].key.u, 2);
	assert_int_equal(v.view.entries[0].value.i, -3);
	assert_int_equal(v.view.entries[2].key.u, 1);
	assert_int_equal(v.view.entries[2].value.i, 8);
	map_view_release(&v);
}

static void test_avg_stats(void **state)
{
	(void)state;
	struct fake f;
	/* { s64 total; u64 count } per CPU. */
	fake_init(&f, 8, 2, 16);
	add_u64_key(&f, 1, (const uint64_t[]){ 10, 1, 0, 0 });
	add_u64_key(&f, 2, (const uint64_t[]){ 3, 1, 4, 1 });
	add_u64_key(&f, 3, (const uint64_t[]){ (uint64_t)-7, 1, 2, 1 });
	struct prog_map m = agg_map(AGG_AVG, &t_u64, &t_s64, 16);
	struct map_view_buf v;
	map_build_view(&m, &f.raw, 0, 1, &v);
	assert_int_equal(v.view.kind, STROBE_MAP_AVG);
	assert_int_equal(v.view.n, 3);
	const struct strobe_value *e0 = &v.view.entries[0].value;
	assert_int_equal(e0->kind, STROBE_V_STATS);
	assert_true(e0->stats.is_avg);
	assert_int_equal(v.view.entries[0].key.u, 3);
	assert_int_equal(e0->stats.average, -2); /* -5 / 2, integer division */
	assert_int_equal(v.view.entries[1].key.u, 2);
	assert_int_equal(v.view.entries[1].value.stats.average, 3);
	assert_int_equal(v.view.entries[1].value.stats.count, 2);
	assert_int_equal(v.view.entries[1].value.stats.total, 7);
	assert_int_equal(v.view.entries[2].value.stats.average, 10);
	map_view_release(&v);

	/* avg maps divide the average; stats maps ignore div (bpftrace warns at compile time). */
	map_build_view(&m, &f.raw, 1, 3, &v);
	assert_int_equal(v.view.n, 1);
	assert_int_equal(v.view.entries[0].value.stats.average, 3);
	map_view_release(&v);
	m.agg = AGG_STATS;
	map_build_view(&m, &f.raw, 0, 3, &v);
	assert_int_equal(v.view.kind, STROBE_MAP_STATS);
	assert_false(v.view.entries[2].value.stats.is_avg);
	assert_int_equal(v.view.entries[2].value.stats.average, 10);
	assert_int_equal(v.view.entries[2].value.stats.count, 1);
	map_view_release(&v);
}

struct hkey {
	uint64_t user, bucket;
};

static void test_hist(void **state)
{
	(void)state;
	struct fake f;
	fake_init(&f, 16, 2, 8);
	/* user key 7: buckets 0 (< 0), 1 (0), 4 ([4, 8)) across CPUs; user key 3: bucket 2. */
	fake_add(&f, &(struct hkey){ 7, 4 }, (const uint64_t[]){ 1, 2 });
	fake_add(&f, &(struct hkey){ 3, 2 }, (const uint64_t[]){ 0, 1 });
	fake_add(&f, &(struct hkey){ 7, 0 }, (const uint64_t[]){ 1, 0 });
	fake_add(&f, &(struct hkey){ 7, 1 }, (const uint64_t[]){ 0, 1 });
	fake_add(&f, &(struct hkey){ 3, 9 }, (const uint64_t[]){ 0, 0 }); /* zeroed: trimmed */
	struct prog_map m = agg_map(AGG_HIST, &t_u64, &t_s64, 8);
	m.key_size = 16;
	struct map_view_buf v;
	map_build_view(&m, &f.raw, 0, 1, &v);
	assert_int_equal(v.view.kind, STROBE_MAP_HIST);
	assert_int_equal(v.view.n, 2);
	/* By total count: key 3 (1) before key 7 (5). */
	assert_int_equal(v.view.entries[0].key.u, 3);
	const struct strobe_hist *h = &v.view.entries[0].value.hist;
	assert_int_equal(h->kind, STROBE_HIST_LOG2);
	assert_int_equal(h->n, 1);
	assert_int_equal(h->buckets[0].lo, 1);
	assert_int_equal(h->buckets[0].hi, 2);
	assert_int_equal(h->buckets[0].count, 1);

	assert_int_equal(v.view.entries[1].key.u, 7);
	h = &v.view.entries[1].value.hist;
	assert_int_equal(h->n, 5);
	assert_true(h->buckets[0].underflow);
	assert_int_equal(h->buckets[0].hi, 0);
	assert_int_equal(h->buckets[0].count, 1);
	assert_int_equal(h->buckets[1].lo, 0);
	assert_int_equal(h->buckets[1].hi, 1);
	assert_int_equal(h->buckets[2].lo, 1); /* empty middle buckets stay */
	assert_int_equal(h->buckets[2].count, 0);
	assert_int_equal(h->buckets[3].lo, 2);
	assert_int_equal(h->buckets[3].hi, 4);
	assert_int_equal(h->buckets[4].lo, 4);
	assert_int_equal(h->buckets[4].hi, 8);
	assert_int_equal(h->buckets[4].count, 3);
	map_view_release(&v);

	/* top 1 keeps the biggest histogram; div divides counts. */
	map_build_view(&m, &f.raw, 1, 2, &v);
	assert_int_equal(v.view.n, 1);
	assert_int_equal(v.view.entries[0].key.u, 7);
	assert_int_equal(v.view.entries[0].value.hist.buckets[4].count, 1);
	assert_int_equal(v.view.entries[0].value.hist.buckets[0].count, 0);
	map_view_release(&v);
}

static void test_hist_scalar_all_zero(void **state)
{
	(void)state;
	struct fake f;
	fake_init(&f, 8, 1, 8);
	add_u64_key(&f, 5, (const uint64_t[]){ 0 });
	struct prog_map m = agg_map(AGG_HIST, NULL, &t_s64, 8);
	struct map_view_buf v;
	map_build_view(&m, &f.raw, 0, 1, &v);
	assert_false(v.view.keyed);
	assert_int_equal(v.view.n, 1);
	assert_int_equal(v.view.entries[0].key.kind, STROBE_V_NONE);
	assert_int_equal(v.view.entries[0].value.hist.n, 0);
	map_view_release(&v);
}

static void test_lhist(void **state)
{
	(void)state;
	struct fake f;
	fake_init(&f, 8, 2, 8);
	/* lhist(x, 0, 100, 10): 0 is < 0, 1..10 are [0,10)..[90,100), 11 is >= 100. */
	add_u64_key(&f, 11, (const uint64_t[]){ 1, 0 });
	add_u64_key(&f, 0, (const uint64_t[]){ 0, 1 });
	add_u64_key(&f, 3, (const uint64_t[]){ 2, 2 });
	struct prog_map m = agg_map(AGG_LHIST, NULL, &t_s64, 8);
	m.hist_args[0] = 0;
	m.hist_args[1] = 100;
	m.hist_args[2] = 10;
	struct map_view_buf v;
	map_build_view(&m, &f.raw, 0, 1, &v);
	assert_int_equal(v.view.kind, STROBE_MAP_LHIST);
	assert_int_equal(v.view.n, 1);
	const struct strobe_hist *h = &v.view.entries[0].value.hist;
	assert_int_equal(h->kind, STROBE_HIST_LINEAR);
	assert_int_equal(h->step, 10);
	assert_int_equal(h->n, 12);
	assert_true(h->buckets[0].underflow);
	assert_int_equal(h->buckets[0].hi, 0);
	assert_int_equal(h->buckets[1].lo, 0);
	assert_int_equal(h->buckets[1].hi, 10);
	assert_int_equal(h->buckets[3].lo, 20);
	assert_int_equal(h->buckets[3].count, 4);
	assert_int_equal(h->buckets[10].lo, 90);
	assert_int_equal(h->buckets[10].hi, 100);
	assert_true(h->buckets[11].overflow);
	assert_int_equal(h->buckets[11].lo, 100);
	assert_int_equal(h->buckets[11].count, 1);
	map_view_release(&v);

	/* Only the buckets from the first to the last non-empty one. */
	fake_init(&f, 8, 1, 8);
	add_u64_key(&f, 2, (const uint64_t[]){ 1 });
	m.hist_args[0] = -20;
	map_build_view(&m, &f.raw, 0, 1, &v);
	h = &v.view.entries[0].value.hist;
	assert_int_equal(h->n, 1);
	assert_int_equal(h->buckets[0].lo, -10);
	assert_int_equal(h->buckets[0].hi, 0);
	map_view_release(&v);
}

static void test_plain_values(void **state)
{
	(void)state;
	struct fake f;
	/* Plain int values: by value (signed). */
	fake_init(&f, 8, 1, 8);
	add_u64_key(&f, 1, (const uint64_t[]){ 3 });
	add_u64_key(&f, 2, (const uint64_t[]){ (uint64_t)-5 });
	struct prog_map m = { .name = "@v", .key = &t_u64, .value = &t_s64, .key_size = 8,
			      .value_size = 8, .bpf_type = BPF_MAP_TYPE_HASH };
	struct map_view_buf v;
	map_build_view(&m, &f.raw, 0, 1, &v);
	assert_int_equal(v.view.kind, STROBE_MAP_VALUE);
	assert_int_equal(v.view.entries[0].key.u, 2);
	assert_int_equal(v.view.entries[0].value.i, -5);
	map_view_release(&v);

	/* String values: by key; signed integer keys compare unsigned (0, 2, -1). */
	fake_init(&f, 8, 1, 4);
	int64_t keys[] = { -1, 2, 0 };
	fake_add(&f, &keys[0], (const uint64_t[]){ 'a' });
	fake_add(&f, &keys[1], (const uint64_t[]){ 'b' });
	fake_add(&f, &keys[2], (const uint64_t[]){ 'c' });
	m = (struct prog_map){ .name = "@s", .key = &t_s64, .value = &t_str4, .key_size = 8,
			       .value_size = 4, .bpf_type = BPF_MAP_TYPE_HASH };
	map_build_view(&m, &f.raw, 0, 1, &v);
	assert_int_equal(v.view.n, 3);
	assert_int_equal(v.view.entries[0].key.i, 0);
	assert_string_equal(v.view.entries[0].value.str.s, "c");
	assert_int_equal(v.view.entries[1].key.i, 2);
	assert_int_equal(v.view.entries[2].key.i, -1);
	map_view_release(&v);

	/* Empty map: no entries, still a valid view. */
	fake_init(&f, 8, 1, 8);
	map_build_view(&m, &f.raw, 0, 1, &v);
	assert_int_equal(v.view.n, 0);
	assert_string_equal(v.view.name, "@s");
	map_view_release(&v);
}

static void test_value_stride(void **state)
{
	(void)state;
	struct prog_map m = { .value_size = 12, .bpf_type = BPF_MAP_TYPE_PERCPU_HASH };
	assert_int_equal(map_value_stride(&m), 16);
	m.bpf_type = BPF_MAP_TYPE_HASH;
	assert_int_equal(map_value_stride(&m), 12);
	assert_true(map_is_percpu(BPF_MAP_TYPE_PERCPU_ARRAY));
	assert_false(map_is_percpu(BPF_MAP_TYPE_ARRAY));
}

/* T_PROBE values decode to their names and compare as integers. */
static void test_probe_names(void **state)
{
	(void)state;
	static const char *names[] = { "BEGIN", "tracepoint:syscalls:sys_enter_read" };
	static const struct type t_probe = { .kind = T_PROBE, .size = 8, .align = 8 };
	value_set_probe_names(names, 2);
	struct arena a = ARENA_INIT;
	struct strobe_value v;
	uint64_t idx = 1;
	value_decode(&a, &t_probe, (const uint8_t *)&idx, &v);
	assert_int_equal(v.kind, STROBE_V_STR);
	assert_string_equal(v.str.s, "tracepoint:syscalls:sys_enter_read");
	assert_int_equal(v.str.len, strlen(names[1]));
	idx = 7; /* out of range: empty, never a crash */
	value_decode(&a, &t_probe, (const uint8_t *)&idx, &v);
	assert_string_equal(v.str.s, "");
	uint64_t x = 0, y = 1;
	assert_true(key_compare(&t_probe, (const uint8_t *)&x, (const uint8_t *)&y) < 0);
	value_set_probe_names(NULL, 0);
	arena_release(&a);
}

static void test_ksym(void **state)
{
	(void)state;
	/* An address below every symbol is unknown (printed as hex by sinks). */
	static const struct type t_ksym = { .kind = T_KSYM, .size = 8, .align = 8 };
	struct arena a = ARENA_INIT;
	struct strobe_value v;
	uint64_t one = 1;
	value_decode(&a, &t_ksym, (const uint8_t *)&one, &v);
	assert_int_equal(v.kind, STROBE_V_SYM);
	assert_int_equal(v.sym.addr, 1);
	assert_null(v.sym.name);
	/* A real kernel symbol, when kallsyms shows addresses (root). */
	FILE *f = fopen("/proc/kallsyms", "r");
	unsigned long long addr = 0;
	char type, name[256];
	while (f && fscanf(f, "%llx %c %255s%*[^\n]", &addr, &type, name) == 3)
		if (addr && !strcmp(name, "_text"))
			break;
	if (f)
		fclose(f);
	if (addr && !strcmp(name, "_text")) {
		uint64_t off = 99;
		const char *s = ksym_lookup(addr + 3, &off);
		assert_non_null(s);
		assert_int_equal(off, 3);
	}
	ksyms_release();
	arena_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_int),
		cmocka_unit_test(test_probe_names),
		cmocka_unit_test(test_decode_values),
		cmocka_unit_test(test_key_compare),
		cmocka_unit_test(test_decode_records),
		cmocka_unit_test(test_count_across_cpus),
		cmocka_unit_test(test_sum_signed),
		cmocka_unit_test(test_min_max),
		cmocka_unit_test(test_avg_stats),
		cmocka_unit_test(test_hist),
		cmocka_unit_test(test_hist_scalar_all_zero),
		cmocka_unit_test(test_lhist),
		cmocka_unit_test(test_plain_values),
		cmocka_unit_test(test_value_stride),
		cmocka_unit_test(test_ksym),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
