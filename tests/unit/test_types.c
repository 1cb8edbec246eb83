/* Type interning and bpftrace's type names. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "types.h"

static void test_interning(void **state)
{
	(void)state;
	struct types t;
	types_init(&t);
	assert_ptr_equal(type_int(&t, 8, true), type_int(&t, 8, true));
	assert_ptr_not_equal(type_int(&t, 8, true), type_int(&t, 8, false));
	assert_ptr_equal(type_string(&t, 16), type_string(&t, 16));
	assert_ptr_not_equal(type_string(&t, 16), type_string(&t, 64));
	const struct type *items[] = { type_int(&t, 8, true), type_string(&t, 3) };
	const struct type *tup = type_tuple(&t, items, 2);
	assert_ptr_equal(tup, type_tuple(&t, items, 2));
	assert_ptr_equal(type_pointer(&t, type_int(&t, 1, true), true),
			 type_pointer(&t, type_int(&t, 1, true), true));
	assert_ptr_not_equal(type_pointer(&t, type_int(&t, 1, true), true),
			     type_pointer(&t, type_int(&t, 1, true), false));
	assert_ptr_equal(type_agg(&t, AGG_SUM, items[0]), type_agg(&t, AGG_SUM, items[0]));
	assert_true(type_equal(tup, tup));
	types_release(&t);
}

static void test_layouts(void **state)
{
	(void)state;
	struct types t;
	types_init(&t);
	/* tuples are packed with natural alignment */
	const struct type *items[] = { type_string(&t, 3), type_int(&t, 8, true), type_int(&t, 4, false) };
	const struct type *tup = type_tuple(&t, items, 3);
	assert_int_equal(tup->fields[0].offset, 0);
	assert_int_equal(tup->fields[1].offset, 8);
	assert_int_equal(tup->fields[2].offset, 16);
	assert_int_equal(tup->size, 24);
	assert_int_equal(tup->align, 8);
	const struct type *strs[] = { type_string(&t, 2), type_string(&t, 5) };
	assert_int_equal(type_tuple(&t, strs, 2)->size, 7);
	assert_int_equal(type_array(&t, type_int(&t, 2, false), 4)->size, 8);
	assert_int_equal(type_pointer(&t, type_none(&t), false)->size, 8);
	types_release(&t);
}

static void test_names(void **state)
{
	(void)state;
	struct types t;
	types_init(&t);
	assert_string_equal(type_name(&t, type_int(&t, 8, true)), "int64");
	assert_string_equal(type_name(&t, type_int(&t, 4, false)), "uint32");
	assert_string_equal(type_name(&t, type_int(&t, 1, true)), "int8");
	assert_string_equal(type_name(&t, type_string(&t, 16)), "string[16]");
	assert_string_equal(type_name(&t, type_bool(&t)), "bool");
	assert_string_equal(type_name(&t, type_none(&t)), "none");
	const struct type *items[] = { type_int(&t, 8, true), type_string(&t, 2) };
	assert_string_equal(type_name(&t, type_tuple(&t, items, 2)), "(int64,string[2])");
	const struct type *p = type_pointer(&t, type_int(&t, 1, true), false);
	assert_string_equal(type_name(&t, p), "int8 *");
	assert_string_equal(type_name(&t, type_pointer(&t, p, false)), "int8 **");
	assert_string_equal(type_name(&t, type_array(&t, type_int(&t, 1, false), 8)), "uint8[8]");
	assert_string_equal(type_name(&t, type_agg(&t, AGG_COUNT, items[0])), "count");
	assert_string_equal(type_name(&t, type_agg(&t, AGG_LHIST, items[0])), "lhist");
	assert_string_equal(type_name(&t, type_simple(&t, T_KSTACK)), "kstack");
	types_release(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interning),
		cmocka_unit_test(test_layouts),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
