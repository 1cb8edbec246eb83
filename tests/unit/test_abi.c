/*
 * The public ABI's layout, pinned: every struct of include/strobe/ has the
 * size asserted here. A member appended on purpose updates its line (and
 * docs/abi.md's changelog); any other change of size fails the build. The
 * arrays the core and the modules exchange (strobe_value items, map
 * entries, histogram buckets) are indexed with these sizes on both sides,
 * so theirs must never change; struct strobe_arg records carry their size
 * (strobe_provider_ops.arg_size).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <strobe/output.h>
#include <strobe/perf_link.h>
#include <strobe/provider.h>

_Static_assert(sizeof(struct strobe_arg) == 80, "struct strobe_arg");
_Static_assert(sizeof(struct strobe_attach_req) == 48, "struct strobe_attach_req");
_Static_assert(sizeof(struct strobe_btf_target) == 32, "struct strobe_btf_target");
_Static_assert(sizeof(struct strobe_bucket) == 32, "struct strobe_bucket");
_Static_assert(sizeof(struct strobe_dispatch) == 40, "struct strobe_dispatch");
_Static_assert(sizeof(struct strobe_helper_error) == 40, "struct strobe_helper_error");
_Static_assert(sizeof(struct strobe_hist) == 32, "struct strobe_hist");
_Static_assert(sizeof(struct strobe_host) == 48, "struct strobe_host");
_Static_assert(sizeof(struct strobe_link) == 4, "struct strobe_link");
_Static_assert(sizeof(struct strobe_listing) == 24, "struct strobe_listing");
_Static_assert(sizeof(struct strobe_map_entry) == 80, "struct strobe_map_entry");
_Static_assert(sizeof(struct strobe_map_view) == 32, "struct strobe_map_view");
_Static_assert(sizeof(struct strobe_output_ctl) == 40, "struct strobe_output_ctl");
_Static_assert(sizeof(struct strobe_output_ops) == 144, "struct strobe_output_ops");
_Static_assert(sizeof(struct strobe_output_live) == 40, "struct strobe_output_live");
_Static_assert(sizeof(struct strobe_perf_fd) == 8, "struct strobe_perf_fd");
_Static_assert(sizeof(struct strobe_provider_ops) == 88, "struct strobe_provider_ops");
_Static_assert(sizeof(struct strobe_resolver) == 88, "struct strobe_resolver");
_Static_assert(sizeof(struct strobe_stats) == 32, "struct strobe_stats");
_Static_assert(sizeof(struct strobe_sym) == 24, "struct strobe_sym");
_Static_assert(sizeof(struct strobe_value) == 40, "struct strobe_value");
_Static_assert(sizeof(struct strobe_value_list) == 32, "struct strobe_value_list");

/* The layouts of struct strobe_arg the core reads older providers' listings with. */
_Static_assert(offsetof(struct strobe_arg, index_reg) == 64, "the first ABI 1 strobe_arg");
_Static_assert(offsetofend(struct strobe_arg, scale) == 72, "strobe_arg with index_reg, scale");
_Static_assert(offsetofend(struct strobe_arg, length) == sizeof(struct strobe_arg),
	       "strobe_arg ends at length");

/* The order of appended slots the core infers an older provider's strobe_arg size from. */
static void test_slot_order(void **state)
{
	(void)state;
	assert_true(STROBE_PROVIDER_OPS_MIN_SIZE < offsetofend(struct strobe_provider_ops, symbol));
	assert_true(offsetofend(struct strobe_provider_ops, symbol) <
		    offsetofend(struct strobe_provider_ops, arg_size));
	assert_true(offsetofend(struct strobe_host, online_cpus) < offsetofend(struct strobe_host, provider));
	assert_true(offsetofend(struct strobe_host, provider) < offsetofend(struct strobe_host, listing_all));
	assert_true(offsetofend(struct strobe_resolver, set_newest_first) <
		    offsetofend(struct strobe_resolver, cmd_argv));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_slot_order),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
