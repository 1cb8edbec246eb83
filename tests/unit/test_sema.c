/* Semantic analysis: accepted programs, map/printf/func descriptions, and located errors. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/compile.h"

#include "fake_probes.h"

static void test_accepts_foundation_programs(void **state)
{
	(void)state;
	static const char *const progs[] = {
		"BEGIN { printf(\"hello %d %s\\n\", pid, comm); exit(); }",
		"tracepoint:syscalls:sys_enter_openat { @[comm] = count(); }",
		"BEGIN { @x = sum(5); @y = 5; print(@y); clear(@x); zero(@x); }",
		"tracepoint:syscalls:sys_enter_openat { printf(\"%s\\n\", str(args->filename)); }",
		"tracepoint:syscalls:sys_enter_openat { printf(\"%s %d\\n\", str(args.filename, 8), args.flags); }",
		"tracepoint:sched:sched_process_exec { printf(\"%s %s\\n\", str(args->filename), args->comm); }",
		"BEGIN { @ts[tid] = nsecs; } tracepoint:syscalls:sys_enter_read /@ts[tid]/ { @d = hist(nsecs - @ts[tid]); delete(@ts[tid]); }",
		"BEGIN { @m[1, \"a\"] = 1; @m[2, comm] = 2; delete(@m[1, \"a\"]); print(@m, 10); print(@m, 10, 2); }",
		"BEGIN { @k[1] = 1; delete(@k, 1); @v = 1; delete(@v); }",
		"BEGIN { @a = min(1); @b = max(-1); @c = avg(2); @d = stats(3); @e = lhist(5, 0, 100, 10); }",
		"BEGIN { $x = 1; $x += 2; $x++; --$x; $s = \"a\"; $s = \"abc\"; if ($x > 1 && $s == \"abc\") { return; } else { exit(1); } }",
		"BEGIN { $t = pid > 1 ? \"yes\" : \"no\"; printf(\"%s %d %u %x\\n\", $t, !1, ~0, -5 >> 1); time(); time(\"%H\\n\"); }",
		"BEGIN { @x++; @x += 3; @c = count(); @c++; @c += 2; print(1); print(\"s\"); }",
		"BEGIN { printf(\"%d\\n\", @later); } END { @later = 1; }",
		"BEGIN { $i = 0; while ($i < 3) { $i++; if ($i == 2) { break; } continue; } unroll(2) { $i++; } }",
		"BEGIN { printf(\"%d %d %d %d %d %d\\n\", uid, gid, cpu, elapsed, rand, cgroup); $p = curtask; $u = (uint8)257; }",
	};
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++)
		expect_ok(progs[i]);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("BEGIN { foo(1); }", "Unknown function: foo", 9, 12);
	expect_error("BEGIN { @a = hist(); }", "hist() requires one argument (0 provided)", 14, 20);
	expect_error("BEGIN { @x = lhist(1,2); }", "lhist() requires 4 arguments (2 provided)", 14, 24);
	expect_error("BEGIN { @a = count(1); }", "count() requires no arguments (1 provided)", 14, 22);
	expect_error("BEGIN { print(1, 2, 3, 4); }", "print() takes up to 3 arguments (4 provided)", 9, 26);
	expect_error("BEGIN { count(); }", "count() should be directly assigned to a map", 9, 16);
	expect_error("BEGIN { @x = sum(\"a\"); }", "sum() only supports integer arguments (string provided)", 14, 22);
	expect_error("BEGIN { printf(\"%d\\n\", comm); }",
		     "printf: %d specifier expects a value of type integer (string supplied)", 9, 29);
	expect_error("BEGIN { printf(\"%-5s\\n\", 1); }",
		     "printf: %s specifier expects a value of type string (integer supplied)", 9, 28);
	expect_error("BEGIN { printf(\"%d\\n\"); }",
		     "printf: Not enough arguments for format string (0 supplied, 1 expected)", 9, 23);
	expect_error("BEGIN { printf(\"%d\\n\", 1, 2); }",
		     "printf: Too many arguments for format string (2 supplied, 1 expected)", 9, 29);
	expect_error("BEGIN { printf(1); }", "printf() expects a string literal (integer provided)", 9, 18);
	expect_error("BEGIN { printf(\"%f\", 1); }", "printf: Unknown format string token: %f", 9, 24);
	expect_error("BEGIN { $x = \"a\"; $x = 1; }",
		     "Type mismatch for $x: trying to assign value of type 'int64' when variable already contains a value of type 'string[2]'",
		     22, 23);
	expect_error("BEGIN { @a = 1; @a = \"abc\"; }",
		     "Type mismatch for @a: trying to assign value of type 'string[4]' when map already contains a value of type 'int64'",
		     17, 19);
	expect_error("BEGIN { @a = count(); @a = 1; }",
		     "Type mismatch for @a: trying to assign value of type 'int64' when map already contains a value of type 'count'",
		     23, 25);
	expect_error("BEGIN { @a[1] = 1; @a[\"x\"] = 2; }",
		     "Argument mismatch for @a: trying to access with arguments: [string[2]] when map expects arguments: [int64]",
		     20, 27);
	expect_error("BEGIN { print(args->x); }",
		     "The args builtin can only be used with tracepoint/fentry/uprobe probes", 15, 19);
	expect_error("END { $a = arg0; }",
		     "The arg0 builtin can only be used with 'kprobes', 'uprobes' and 'usdt' probes", 12, 16);
	expect_error("tracepoint:syscalls:sys_enter_openat { $x = args->nope; }",
		     "Struct/union of type 'struct _tracepoint_syscalls_sys_enter_openat' does not contain a field named 'nope'",
		     45, 55);
	expect_error("tracepoint:syscalls:sys_enter_openat,tracepoint:syscalls:sys_enter_read { $x = args->filename; }",
		     "Struct/union of type 'struct _tracepoint_syscalls_sys_enter_read' does not contain a field named 'filename'",
		     80, 94);
	expect_error("BEGIN { $y = $x + 1; }", "Undefined or undeclared variable: $x", 14, 16);
	expect_error("BEGIN { printf(\"%d\\n\", @nope); }", "Undefined map: @nope", 24, 29);
	expect_error("BEGIN { $x = \"a\" + 1; }", "Type mismatch for '+': comparing 'string[2]' with 'int64'", 14, 21);
	expect_error("BEGIN { $x = !\"a\"; }", "The ! operator can not be used on expressions of type 'string[2]'", 14, 18);
	expect_error("BEGIN { @x = 1; clear(1); }", "clear() expects a map to be provided", 17, 25);
	expect_error("BEGIN { exit(1, 2); }", "exit() takes up to 1 argument (2 provided)", 9, 19);
	expect_error("BEGIN { break; }", "break used outside of a loop", 9, 14);
}

/* struct { struct { ... } }: each level a recursion (and a layout of 512 fields), at most 64 */
static void test_nested_records(void **state)
{
	(void)state;
	static const unsigned levels[] = { 63, 64, 100000 };
	for (size_t k = 0; k < sizeof(levels) / sizeof(levels[0]); k++) {
		unsigned n = levels[k];
		char *text = malloc(n * 16 + 64);
		size_t len = (size_t)snprintf(text, 64, "struct a { ");
		for (unsigned i = 0; i < n; i++)
			len += (size_t)snprintf(text + len, 16, "struct { ");
		len += (size_t)snprintf(text + len, 16, "int x; ");
		for (unsigned i = 0; i < n; i++)
			len += (size_t)snprintf(text + len, 16, "}; ");
		snprintf(text + len, 64, "}; BEGIN { @ = sizeof(struct a); }");
		struct checked *c = check(text);
		if (n == 63) {
			assert_int_equal(c->rc, 0);
		} else {
			assert_int_equal(c->rc, -EINVAL);
			assert_string_equal(c->d.head->msg, "struct definitions nested too deeply (at most 64)");
		}
		checked_free(c);
		free(text);
	}
}

/* A diagnostic given again (a body checked once per attach point) counts, but is kept and shown once. */
static void test_repeated_diagnostics(void **state)
{
	(void)state;
	struct source src = { "stdin", "BEGIN,END { $x = nope; }", 24 };
	struct diags d;
	diags_init(&d, &src);
	struct loc at = { 1, 18, 1, 22 }, other = { 1, 13, 1, 15 };
	for (int i = 0; i < 2; i++) {
		diag_error(&d, &at, "Unknown identifier: '%s'", "nope");
		diag_warning(&d, &other, "a warning");
	}
	diag_error(&d, &other, "Unknown identifier: '%s'", "nope"); /* elsewhere: another one */
	unsigned kept = 0;
	for (const struct diag *e = d.head; e; e = e->next)
		kept++;
	assert_int_equal(kept, 3);
	assert_int_equal(d.nerrors, 3);
	assert_int_equal(d.nwarnings, 1);
	assert_false(diags_full(&d));
	diags_release(&d);
}

static void test_maps_and_printfs(void **state)
{
	(void)state;
	struct checked *c = check("tracepoint:syscalls:sys_enter_openat { @[comm] = count(); @x = 5; @h[pid] = hist(1); "
				  "@s[1, \"ab\"] = \"v\"; @s[2, \"abcd\"] = \"value\"; printf(\"%d %s %d\\n\", pid, comm, 1); }");
	assert_int_equal(c->rc, 0);
	struct program *p = &c->p;
	assert_int_equal(p->nmaps, 4);

	assert_string_equal(p->maps[0].name, "@");
	assert_int_equal(p->maps[0].agg, AGG_COUNT);
	assert_string_equal(type_name(&p->types, p->maps[0].key), "string[16]");
	assert_int_equal(p->maps[0].key_size, 16);
	assert_int_equal(p->maps[0].value_size, 8);
	assert_int_equal(p->maps[0].bpf_type, BPF_MAP_TYPE_PERCPU_HASH);
	assert_int_equal(p->maps[0].max_entries, 4096);
	assert_int_equal(p->maps[0].loc.col, 40);

	assert_string_equal(p->maps[1].name, "@x");
	assert_null(p->maps[1].key);
	assert_int_equal(p->maps[1].key_size, 8);
	assert_int_equal(p->maps[1].value_size, 8);
	assert_string_equal(type_name(&p->types, p->maps[1].value), "int64");
	assert_int_equal(p->maps[1].bpf_type, BPF_MAP_TYPE_HASH);

	assert_int_equal(p->maps[2].agg, AGG_HIST);
	assert_string_equal(type_name(&p->types, p->maps[2].key), "uint64");
	assert_int_equal(p->maps[2].key_size, 16); /* key + bucket */

	/* string keys and values widen to the longest use */
	assert_string_equal(type_name(&p->types, p->maps[3].key), "(int64,string[5])");
	assert_int_equal(p->maps[3].key_size, 16);
	assert_string_equal(type_name(&p->types, p->maps[3].value), "string[6]");
	assert_int_equal(p->maps[3].value_size, 6);

	assert_int_equal(p->nprintfs, 1);
	const struct prog_printf *pf = &p->printfs[0];
	assert_string_equal(pf->fmt, "%d %s %d\n");
	assert_int_equal(pf->nargs, 3);
	assert_string_equal(type_name(&p->types, pf->arg_types[0]), "uint64");
	assert_string_equal(type_name(&p->types, pf->arg_types[1]), "string[16]");
	assert_int_equal(pf->arg_offsets[0], 0);
	assert_int_equal(pf->arg_offsets[1], 8);
	assert_int_equal(pf->arg_offsets[2], 24);
	assert_int_equal(pf->size, 32);
	checked_free(c);
}

static void test_funcs(void **state)
{
	(void)state;
	struct checked *c = check("BEGIN { } "
				  "tracepoint:syscalls:sys_enter_openat,tracepoint:syscalls:sys_enter_openat2 { @ = count(); } "
				  "tracepoint:syscalls:sys_enter_openat,tracepoint:syscalls:sys_enter_openat2 { @f = args.flags; } "
				  "END { }");
	assert_int_equal(c->rc, 0);
	struct program *p = &c->p;
	assert_int_equal(p->nfuncs, 5);
	assert_string_equal(p->funcs[0].name, "probe_0_0");
	assert_int_equal(p->funcs[0].prog_type, BPF_PROG_TYPE_RAW_TRACEPOINT);
	assert_int_equal(p->funcs[0].nattach, 0);
	/* no args: one function for both attach points */
	assert_string_equal(p->funcs[1].name, "probe_1_0");
	assert_int_equal(p->funcs[1].prog_type, BPF_PROG_TYPE_TRACEPOINT);
	assert_int_equal(p->funcs[1].nattach, 2);
	/* args with different layouts: one function each */
	assert_string_equal(p->funcs[2].name, "probe_2_0");
	assert_int_equal(p->funcs[2].nattach, 1);
	assert_int_equal(p->funcs[2].attach_idx[0], 0);
	assert_string_equal(p->funcs[3].name, "probe_2_1");
	assert_int_equal(p->funcs[3].attach_idx[0], 1);
	assert_ptr_equal(p->funcs[3].probe, &p->probes[2]);
	assert_string_equal(p->funcs[4].name, "probe_3_0");
	assert_int_equal(p->funcs[4].prog_type, BPF_PROG_TYPE_RAW_TRACEPOINT);
	checked_free(c);
}

/* Attach points with the same name (the locations of one USDT probe) share one probe_names index. */
static void test_probe_names_shared(void **state)
{
	(void)state;
	struct checked *c = check("tracepoint:syscalls:sys_enter_read,tracepoint:syscalls:sys_enter_openat,"
				  "tracepoint:syscalls:sys_enter_read { @[probe] = count(); } "
				  "tracepoint:syscalls:sys_enter_openat { @[probe] = count(); } BEGIN { } BEGIN { }");
	assert_int_equal(c->rc, 0);
	struct program *p = &c->p;
	assert_int_equal(p->nprobe_names, 3);
	assert_string_equal(p->probe_names[0], "tracepoint:syscalls:sys_enter_read");
	assert_string_equal(p->probe_names[1], "tracepoint:syscalls:sys_enter_openat");
	assert_string_equal(p->probe_names[2], "BEGIN");
	assert_int_equal(p->probes[0].attach[0].name_id, 0);
	assert_int_equal(p->probes[0].attach[1].name_id, 1);
	assert_int_equal(p->probes[0].attach[2].name_id, 0);
	assert_int_equal(p->probes[1].attach[0].name_id, 1);
	assert_int_equal(p->probes[2].name_index, 2);
	assert_int_equal(p->probes[3].name_index, 2);
	checked_free(c);
	/* cpid needs -c (bpftrace 0.17) */
	expect_error("BEGIN { printf(\"%d\\n\", cpid); exit(); }", "cpid cannot be used without child command", 24,
		     28);
}

/* probe: a T_PROBE index into probe_names, one name per attach point, BEGIN/END included. */
static void test_probe_builtin(void **state)
{
	(void)state;
	struct checked *c = check("BEGIN { @b[probe] = count(); } "
				  "tracepoint:syscalls:sys_enter_openat,tracepoint:syscalls:sys_enter_read { @[probe] = count(); $p = probe; @v = $p; printf(\"%s\\n\", probe); } "
				  "END { @e = probe; }");
	assert_int_equal(c->rc, 0);
	struct program *p = &c->p;
	assert_int_equal(p->nprobe_names, 4);
	assert_string_equal(p->probe_names[0], "BEGIN");
	assert_string_equal(p->probe_names[1], "tracepoint:syscalls:sys_enter_openat");
	assert_string_equal(p->probe_names[2], "tracepoint:syscalls:sys_enter_read");
	assert_string_equal(p->probe_names[3], "END");
	assert_int_equal(p->probes[0].name_index, 0);
	assert_int_equal(p->probes[1].name_index, 1);
	assert_int_equal(p->probes[2].name_index, 3);
	assert_int_equal(p->maps[0].key->kind, T_PROBE);
	assert_int_equal(p->maps[0].key_size, 8);
	assert_string_equal(type_name(&p->types, p->maps[0].key), "probe");
	/* no args: one function for both attach points */
	assert_int_equal(p->nfuncs, 3);
	assert_int_equal(p->funcs[1].nattach, 2);
	checked_free(c);
	expect_error("BEGIN { printf(\"%d\\n\", probe); }",
		     "printf: %d specifier expects a value of type integer (string supplied)", 9, 30);
	expect_error("tracepoint:syscalls:sys_enter_read { $f = func; }",
		     "The func builtin can not be used with 'tracepoint' probes", 43, 47);
	expect_error("BEGIN { $f = func; }", "The func builtin can not be used with 'BEGIN' probes", 14, 18);
}

/* Dispatch groups (program.h, struct prog_dispatch): threshold, layouts, duplicates. */
static void test_dispatch(void **state)
{
	(void)state;
	const char *three = "tracepoint:syscalls:sys_enter_openat,tracepoint:syscalls:sys_enter_openat2,"
			    "tracepoint:syscalls:sys_enter_read";
	char text[512];
	fake_dispatch = true;
	/* below the default threshold: every attach point keeps its own tracepoint */
	unsetenv("STROBE_DISPATCH_MIN");
	snprintf(text, sizeof(text), "%s { @ = count(); }", three);
	struct checked *c = check(text);
	assert_int_equal(c->rc, 0);
	assert_int_equal(c->p.ndispatches, 0);
	assert_null(c->p.probes[0].attach[0].dispatch.shared);
	assert_null(c->p.funcs[0].dispatch);
	checked_free(c);

	setenv("STROBE_DISPATCH_MIN", "1", 1);
	/* no args: one function, attached directly, guarded by a map of nr 0..437 */
	c = check(text);
	assert_int_equal(c->rc, 0);
	struct program *p = &c->p;
	assert_int_equal(p->nfuncs, 1);
	assert_int_equal(p->ndispatches, 1);
	const struct prog_dispatch *d = &p->dispatches[0];
	assert_string_equal(d->shared, "raw_syscalls:sys_enter");
	assert_int_equal(d->nfuncs, 1);
	assert_int_equal(d->entry, 0);
	assert_int_equal(d->nattach, 3);
	assert_int_equal(d->max_entries, 438);
	assert_int_equal(d->ctx_offset, 8);
	assert_int_equal(d->task_offset, 16);
	assert_ptr_equal(p->funcs[0].dispatch, d);
	assert_false(p->funcs[0].dispatcher);
	checked_free(c);

	/* args: one function per layout, and a dispatcher that tail-calls them */
	c = check("tracepoint:syscalls:sys_enter_openat,tracepoint:syscalls:sys_enter_openat2 "
		  "{ @[probe] = count(); @f = args.flags; }");
	assert_int_equal(c->rc, 0);
	p = &c->p;
	assert_int_equal(p->ndispatches, 1);
	d = &p->dispatches[0];
	assert_int_equal(d->nfuncs, 2);
	assert_int_equal(p->nfuncs, 3);
	assert_int_equal(d->entry, 2);
	assert_true(p->funcs[2].dispatcher);
	assert_int_equal(p->funcs[2].nattach, 0);
	assert_string_equal(p->funcs[2].name, "dispatch_0");
	for (size_t i = 0; i < 3; i++)
		assert_ptr_equal(p->funcs[i].dispatch, d);
	checked_free(c);

	/* the same attach point twice: the second runs on its own tracepoint */
	c = check("tracepoint:syscalls:sys_enter_read,tracepoint:syscalls:sys_enter_read { @ = count(); }");
	assert_int_equal(c->rc, 0);
	p = &c->p;
	assert_non_null(p->probes[0].attach[0].dispatch.shared);
	assert_null(p->probes[0].attach[1].dispatch.shared);
	assert_int_equal(p->nfuncs, 2);
	assert_int_equal(p->ndispatches, 1);
	assert_int_equal(p->dispatches[0].nattach, 1);
	assert_null(p->funcs[1].dispatch);
	checked_free(c);
	unsetenv("STROBE_DISPATCH_MIN");
	fake_dispatch = false;
}

static void test_expression_types(void **state)
{
	(void)state;
	struct checked *c = check("tracepoint:syscalls:sys_enter_openat { $a = args->filename; $b = args->flags; "
				  "$c = pid + 1; $d = (uint64)1 + 1; $e = 1 == 2; $f = str($a); $g = comm; }");
	assert_int_equal(c->rc, 0);
	const char *want[] = { "int8 *", "int64", "int64", "uint64", "bool", "string[64]", "string[16]" };
	size_t i = 0;
	for (struct node *s = c->p.probes[0].ast->u.probe.body->u.list.head; s; s = s->next, i++)
		assert_string_equal(type_name(&c->p.types, s->u.assign.target->type), want[i]);
	assert_true(c->p.probes[0].ast->u.probe.body->u.list.head->u.assign.target->type->user);
	checked_free(c);
}

/* Bare args: a record of the arguments in order, naturally aligned, by bpftrace's struct name. */
static void test_args_record(void **state)
{
	(void)state;
	struct checked *c = check("tracepoint:sched:sched_process_exec { print(args); $a = args; @m[$a.comm] = args; }");
	if (c->rc)
		diags_emit(&c->d, stderr);
	assert_int_equal(c->rc, 0);
	const struct type *rec = c->p.print_values[0];
	assert_int_equal(rec->kind, T_RECORD);
	assert_string_equal(rec->name, "struct _tracepoint_sched_sched_process_exec");
	assert_int_equal(rec->nfields, 2);
	assert_string_equal(rec->fields[0].name, "filename");
	assert_string_equal(type_name(&c->p.types, rec->fields[0].type), "string[64]");
	assert_int_equal(rec->fields[1].offset, 64);
	assert_string_equal(type_name(&c->p.types, rec->fields[1].type), "string[16]");
	assert_int_equal(rec->size, 80);
	assert_ptr_equal(c->p.maps[0].value, rec);
	checked_free(c);
	/* pointers and integers: 8-byte slots */
	c = check("tracepoint:syscalls:sys_enter_openat { @a = args; }");
	assert_int_equal(c->rc, 0);
	assert_int_equal(c->p.maps[0].value->size, 16);
	assert_string_equal(c->p.maps[0].value->fields[1].name, "flags");
	assert_int_equal(c->p.maps[0].value->fields[1].offset, 8);
	checked_free(c);
	/* one layout per probe: the same arguments at other offsets are fine */
	expect_ok("tracepoint:syscalls:sys_enter_openat,tracepoint:syscalls:sys_enter_openat2 { print(args); }");
	expect_error("tracepoint:syscalls:sys_enter_openat,tracepoint:syscalls:sys_enter_read { print(args); }",
		     "args of tracepoint:syscalls:sys_enter_openat and tracepoint:syscalls:sys_enter_read differ: use "
		     "args.NAME, or one probe each", 81, 85);
	expect_error("BEGIN { print(args); }", "The args builtin can only be used with tracepoint/fentry/uprobe probes",
		     15, 19);
	expect_error("tracepoint:syscalls:sys_enter_openat { print(*args); }",
		     "Can not dereference struct/union of type 'struct _tracepoint_syscalls_sys_enter_openat'. It is not "
		     "a pointer.", 46, 51);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts_foundation_programs),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_repeated_diagnostics),
		cmocka_unit_test(test_args_record),
		cmocka_unit_test(test_maps_and_printfs),
		cmocka_unit_test(test_funcs),
		cmocka_unit_test(test_expression_types),
		cmocka_unit_test(test_nested_records),
		cmocka_unit_test(test_probe_builtin),
		cmocka_unit_test(test_dispatch),
		cmocka_unit_test(test_probe_names_shared),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
