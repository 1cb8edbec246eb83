/* for loops, len(), has_key() and aggregation reads: the checker's rules and messages, and the object codegen emits. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/compile.h"

#include "fake_probes.h"

/* The type checking gave `name` (a variable of the first probe) this type. */
static const struct type *first_var_type(struct checked *c, const char *name, struct node *n)
{
	if (!n)
		return NULL;
	if (n->kind == N_VAR && !strcmp(n->u.ident.name, name))
		return n->type;
	return NULL;
}

static void test_accepts_loops(void **state)
{
	(void)state;
	static const char *const progs[] = {
		"BEGIN { @m[1] = 2; for ($kv : @m) { printf(\"%d %d\\n\", $kv.0, $kv.1); } }",
		"BEGIN { @m[1, \"a\"] = \"x\"; for ($kv : @m) { printf(\"%d %s %s\\n\", $kv.0.0, $kv.0.1, $kv.1); } }",
		"BEGIN { @c[comm] = count(); @s[1] = sum(-1); @a[1] = avg(2); @n[1] = min(1); @x[1] = max(1); "
		"for ($kv : @c) { } for ($kv : @s) { } for ($kv : @a) { } for ($kv : @n) { } for ($kv : @x) { } }",
		"BEGIN { $t = 0; for ($i : 0..10) { $t += $i; if ($i > 5) { break; } continue; } }",
		"BEGIN { $n = 3; for ($i : $n..$n * 2) { for ($j : 0..$i) { @m[$i, $j] = 1; } } }",
		"BEGIN { @m[1] = 1; for ($kv : @m) { for ($i : 0..2) { return; } } }",
		/* the loop variable's name is free again after the loop */
		"BEGIN { for ($i : 0..2) { } for ($i : 0..3) { } @m[1] = 1; for ($i : @m) { } }",
		/* a map typed by a later probe */
		"BEGIN { for ($kv : @later) { printf(\"%s\\n\", $kv.1); } } END { @later[1] = \"s\"; }",
		"BEGIN { @m[1] = 1; @c = count(); $a = len(@m); $b = has_key(@m, 1); if (has_key(@m, 2)) { } "
		"@k[1, 2] = 1; $c = has_key(@k, (1, 2)); $d = @c + 1; @x = @c; print(@c); }",
		"BEGIN { @c[1] = count(); print(@c[1]); $v = @c[1] * 2; }",
		"BEGIN { @k[1, \"a\"] = 1; delete(@k, (1, \"a\")); delete(@k[1, \"b\"]); @s[1] = 1; delete(@s, 1); }",
	};
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++)
		expect_ok(progs[i]);
}

static void test_loop_types(void **state)
{
	(void)state;
	struct checked *c = check("BEGIN { @m[1, \"ab\"] = (uint32)7; @c[2] = count(); "
				  "for ($kv : @m) { } for ($kc : @c) { } for ($i : 0..3) { } }");
	assert_int_equal(c->rc, 0);
	struct node *n = c->p.probes[0].ast->u.probe.body->u.list.head;
	while (n && n->kind != N_FOR_MAP)
		n = n->next;
	assert_non_null(n);
	const struct type *kv = first_var_type(c, "kv", n->u.for_map.var);
	assert_non_null(kv);
	assert_string_equal(type_name(&c->p.types, kv), "((int64,string[3]),uint64)");
	n = n->next;
	assert_string_equal(type_name(&c->p.types, n->u.for_map.var->type), "(int64,uint64)");
	n = n->next;
	assert_string_equal(type_name(&c->p.types, n->u.for_range.var->type), "int64");
	checked_free(c);
}

static void test_loop_errors(void **state)
{
	(void)state;
	expect_error("BEGIN { for ($kv : @m) { } }", "Undefined map: @m", 20, 22);
	expect_error("BEGIN { @m = 1; for ($kv : @m) { } }", "Loop expression must be a map with keys: @m has none",
		     28, 30);
	expect_error("BEGIN { $kv = 1; @m[1] = 1; for ($kv : @m) { $kv.0; } }",
		     "Loop declaration shadows existing variable: $kv", 34, 37);
	expect_error("BEGIN { @m[1] = 1; for ($kv : @m) { } $x = $kv; }", "Undefined or undeclared variable: $kv",
		     44, 47);
	expect_error("BEGIN { for ($i : \"a\"..3) { } }",
		     "Loop range requires an integer for the start value (string provided)", 19, 22);
	expect_error("BEGIN { for ($i : 0..comm) { } }",
		     "Loop range requires an integer for the end value (string provided)", 22, 26);
	expect_error("BEGIN { @m[1] = 1; for ($kv : @m) { exit(); } }", "exit() is not allowed inside a for-loop", 37,
		     43);
	expect_error("BEGIN { @h[1] = hist(3); for ($kv : @h) { } }",
		     "The hist aggregation @h can not be read in an expression, only printed", 37, 39);
	expect_error("BEGIN { @m[1] = 1; for ($kv : @m) { $kv.2; } }",
		     "Invalid tuple index: 2. Found 2 elements in tuple.", 37, 42);
	/* break and continue belong to loops; for loops count */
	expect_error("BEGIN { for ($i : 0..2) { } continue; }", "continue used outside of a loop", 29, 37);
}

static void test_map_function_errors(void **state)
{
	(void)state;
	expect_error("BEGIN { $x = len(@m); }", "Undefined map: @m", 18, 20);
	expect_error("BEGIN { @m = 1; $x = len(@m); }", "len() expects a map with explicit keys (non-scalar map)", 22,
		     29);
	expect_error("BEGIN { $x = len(1); }", "len() expects a map to be provided", 14, 20);
	expect_error("BEGIN { @m[1] = 1; $x = len(@m, 1); }", "len() requires one argument (2 provided)", 25, 35);
	expect_error("BEGIN { @m[1] = 1; $x = has_key(@m); }", "has_key() requires 2 arguments (1 provided)", 25, 36);
	expect_error("BEGIN { @m[1] = 1; $x = has_key(@m[1], 1); }", "has_key() expects a map to be provided", 25,
		     42);
	expect_error("BEGIN { @m = 1; $x = has_key(@m, 1); }",
		     "has_key() expects a map with explicit keys (non-scalar map)", 22, 36);
	expect_error("BEGIN { @m[1] = 1; $x = has_key(@m, \"a\"); }",
		     "Argument mismatch for @m: trying to access with arguments: [string[2]] when map expects arguments: [int64]",
		     33, 35);
	expect_error("BEGIN { @k[1, \"a\"] = 1; delete(@k, (1, 2)); }",
		     "Argument mismatch for @k: trying to access with arguments: [int64, int64] when map expects arguments: [int64, string[2]]",
		     32, 34);
	expect_error("BEGIN { @h[1] = lhist(1, 0, 10, 1); $x = len(@h); }",
		     "len() of the lhist map @h is not supported: it counts buckets, not keys", 42, 49);
	expect_error("BEGIN { @s = stats(1); $x = @s; }",
		     "The stats aggregation @s can not be read in an expression, only printed", 29, 31);
}

/* The loop body is a static subprogram in .text, and the object carries BTF func info for it. */
static void test_codegen_callbacks(void **state)
{
	(void)state;
	struct checked *c = check("BEGIN { @m[1] = 1; $s = 0; for ($kv : @m) { $s += $kv.1; } "
				  "for ($i : 0..3) { $s += $i; } printf(\"%d %d\\n\", $s, len(@m)); }");
	assert_int_equal(c->rc, 0);
	for (size_t i = 0; i < c->p.nmaps; i++)
		c->p.maps[i].fd = -1;
	int rc = compile_codegen(c->ast, &c->p, &c->d);
	if (rc)
		diags_emit(&c->d, stderr);
	assert_int_equal(rc, 0);
	assert_int_equal(c->p.nobjects, 1);
	struct bpf_object *obj = bpf_object__open_mem(c->p.objects[0].elf, c->p.objects[0].size, NULL);
	assert_non_null(obj);
	size_t nprogs = 0;
	struct bpf_program *prog;
	bpf_object__for_each_program(prog, obj)
		nprogs++;
	assert_int_equal(nprogs, 1); /* callbacks are subprograms */
	struct btf *btf = bpf_object__btf(obj);
	assert_non_null(btf);
	unsigned funcs = 0, statics = 0;
	for (unsigned id = 1; id < btf__type_cnt(btf); id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		if (!btf_is_func(t))
			continue;
		funcs++;
		statics += btf_vlen(t) == BTF_FUNC_STATIC; /* a FUNC keeps its linkage in vlen */
	}
	assert_int_equal(funcs, 4);   /* the probe, two loop bodies, len()'s counter */
	assert_int_equal(statics, 3);
	bpf_object__close(obj);
	prog_objects_release(&c->p);
	checked_free(c);
}

/* Without loops the object stays as it was: no BTF. */
static void test_codegen_no_callbacks_no_btf(void **state)
{
	(void)state;
	struct checked *c = check("BEGIN { @m[1] = 1; printf(\"%d\\n\", has_key(@m, 1)); }");
	assert_int_equal(c->rc, 0);
	for (size_t i = 0; i < c->p.nmaps; i++)
		c->p.maps[i].fd = -1;
	assert_int_equal(compile_codegen(c->ast, &c->p, &c->d), 0);
	assert_int_equal(c->p.nobjects, 1);
	struct bpf_object *obj = bpf_object__open_mem(c->p.objects[0].elf, c->p.objects[0].size, NULL);
	assert_non_null(obj);
	assert_null(bpf_object__btf(obj));
	bpf_object__close(obj);
	prog_objects_release(&c->p);
	checked_free(c);
}

/* func is a user symbol in uprobes (STROBE_BUILTIN_FUNC_USER), stored as { address, tgid }. */
static void test_uprobe_func_is_usym(void **state)
{
	(void)state;
	struct checked *c = check("uprobe:/bin/true:main { @[func] = count(); printf(\"%s\\n\", func); $f = func; }");
	if (c->rc)
		diags_emit(&c->d, stderr);
	assert_int_equal(c->rc, 0);
	assert_int_equal(c->p.nmaps, 1);
	assert_int_equal(c->p.maps[0].key->kind, T_USYM);
	assert_string_equal(type_name(&c->p.types, c->p.maps[0].key), "usym");
	assert_int_equal(c->p.maps[0].key_size, 16);
	checked_free(c);
	expect_error("BEGIN { $f = func; }", "The func builtin can not be used with 'BEGIN' probes", 14, 18);
}

/* A probe that takes kernel stacks gets its own events, not the shared raw_syscalls one. */
static void test_kstack_probes_are_not_dispatched(void **state)
{
	(void)state;
	static const char *const progs[] = {
		"tracepoint:syscalls:sys_enter_openat,tracepoint:syscalls:sys_enter_read { @[kstack] = count(); }",
		"tracepoint:syscalls:sys_enter_openat,tracepoint:syscalls:sys_enter_read { @[kstack(perf, 3)] = count(); }",
		"tracepoint:syscalls:sys_enter_openat,tracepoint:syscalls:sys_enter_read { printf(\"%s\", kstack); }",
		"tracepoint:syscalls:sys_enter_openat,tracepoint:syscalls:sys_enter_read { @[ustack] = count(); }",
	};
	static const size_t want[] = { 0, 0, 0, 1 };
	setenv("STROBE_DISPATCH_MIN", "1", 1);
	fake_dispatch = true;
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++) {
		struct checked *c = check(progs[i]);
		assert_int_equal(c->rc, 0);
		if (c->p.ndispatches != want[i])
			fprintf(stderr, "%s: %zu dispatches\n", progs[i], c->p.ndispatches);
		assert_int_equal(c->p.ndispatches, want[i]);
		checked_free(c);
	}
	fake_dispatch = false;
	unsetenv("STROBE_DISPATCH_MIN");
}

/* pton(): a constant uint8[4] or uint8[16], stored, printed and compared like bpftrace 0.17's int arrays. */
static void test_pton(void **state)
{
	(void)state;
	struct checked *c = check("BEGIN { @a = pton(\"1.2.3.4\"); @b[pton(\"::1\")] = 1; $x = pton(\"10.0.0.1\"); "
				  "$e = $x == pton(\"10.0.0.1\"); print($x); print((1, $x)); $n = ntop($x); }");
	if (c->rc)
		diags_emit(&c->d, stderr);
	assert_int_equal(c->rc, 0);
	assert_string_equal(type_name(&c->p.types, c->p.maps[0].value), "uint8[4]");
	assert_string_equal(type_name(&c->p.types, c->p.maps[1].key), "uint8[16]");
	checked_free(c);
	expect_error("BEGIN { $a = pton(\"nonsense\"); }",
		     "pton() expects an string argument of an IPv4/IPv6 address, got nonsense", 14, 30);
	expect_error("BEGIN { $a = pton(\"1.2.3.4\", 1); }", "pton() requires one argument (2 provided)", 14, 32);
	expect_error_n("BEGIN { $s = \"1.2.3.4\"; $a = pton($s); }", "Expected string literal, got string[8]", 0, 0, 2);
	expect_error("BEGIN { printf(\"%s\\n\", pton(\"1.2.3.4\")); }",
		     "printf: %s specifier expects a value of type string (array supplied)", 9, 40);
	expect_error("BEGIN { $a = pton(\"1.2.3.4\") == pton(\"::1\"); }",
		     "Type mismatch for '==': comparing 'uint8[4]' with 'uint8[16]'", 14, 44);
}

static void test_cgroup_path_filter(void **state)
{
	(void)state;
	struct checked *c = check("BEGIN { @a = cgroup_path(cgroup, \"un*\"); @b = cgroup_path(cgroup); }");
	assert_int_equal(c->rc, 0);
	assert_int_equal(c->p.maps[0].value->kind, T_CGROUP_PATH);
	assert_string_equal(c->p.maps[0].value->name, "un*");
	assert_null(c->p.maps[1].value->name);
	checked_free(c);
	expect_error("BEGIN { printf(\"%s\", cgroup_path(cgroup, 1)); }",
		     "cgroup_path() only supports string arguments (integer provided)", 22, 44);
	expect_error("BEGIN { $f = \"x\"; printf(\"%s\", cgroup_path(cgroup, $f)); }",
		     "cgroup_path() filter must be a string literal", 52, 54);
	expect_error("BEGIN { $x = cgroup_path(cgroup, \"a\", \"b\"); }",
		     "cgroup_path() takes up to 2 arguments (3 provided)", 14, 43);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts_loops),
		cmocka_unit_test(test_loop_types),
		cmocka_unit_test(test_loop_errors),
		cmocka_unit_test(test_map_function_errors),
		cmocka_unit_test(test_codegen_callbacks),
		cmocka_unit_test(test_codegen_no_callbacks_no_btf),
		cmocka_unit_test(test_uprobe_func_is_usym),
		cmocka_unit_test(test_kstack_probes_are_not_dispatched),
		cmocka_unit_test(test_pton),
		cmocka_unit_test(test_cgroup_path_filter),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
