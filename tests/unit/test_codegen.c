/* Codegen: programs compile to a BPF ELF with the expected programs and sections. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/compile.h"

#include "fake_probes.h"

/* Check and generate code for text (map fds stay -1: nothing is loaded). */
static struct checked *generate(const char *text)
{
	struct checked *c = check(text);
	if (c->rc)
		diags_emit(&c->d, stderr);
	assert_int_equal(c->rc, 0);
	for (size_t i = 0; i < c->p.nmaps; i++)
		c->p.maps[i].fd = -1;
	int rc = compile_codegen(c->ast, &c->p, &c->d);
	if (rc)
		diags_emit(&c->d, stderr);
	assert_int_equal(rc, 0);
	assert_true(c->p.nobjects >= 1);
	for (size_t i = 0; i < c->p.nobjects; i++) {
		assert_true(c->p.objects[i].size > 64);
		assert_memory_equal(c->p.objects[i].elf, "\x7f" "ELF", 4);
	}
	return c;
}

static void generated_free(struct checked *c)
{
	prog_objects_release(&c->p);
	checked_free(c);
}

static void expect_programs(struct checked *c, const char *const *names, const char *const *sections, size_t n)
{
	assert_int_equal(c->p.nobjects, 1);
	struct bpf_object *obj = bpf_object__open_mem(c->p.objects[0].elf, c->p.objects[0].size, NULL);
	assert_non_null(obj);
	assert_int_equal(libbpf_get_error(obj), 0);
	size_t i = 0;
	struct bpf_program *prog;
	bpf_object__for_each_program(prog, obj) {
		assert_true(i < n);
		assert_string_equal(bpf_program__name(prog), names[i]);
		assert_string_equal(bpf_program__section_name(prog), sections[i]);
		i++;
	}
	assert_int_equal(i, n);
	bpf_object__close(obj);
}

static void test_hello(void **state)
{
	(void)state;
	struct checked *c = generate("BEGIN { printf(\"hello %d %s\\n\", pid, comm); exit(); }");
	const char *names[] = { "probe_0_0" }, *sections[] = { "raw_tp/strobe_0" };
	expect_programs(c, names, sections, 1);
	generated_free(c);
}

static void test_probes_and_maps(void **state)
{
	(void)state;
	struct checked *c = generate(
		"BEGIN { @x = 5; @s = sum(3); } "
		"tracepoint:syscalls:sys_enter_openat { @[comm] = count(); printf(\"%s\\n\", str(args->filename)); } "
		"tracepoint:syscalls:sys_enter_openat,tracepoint:syscalls:sys_enter_openat2 { @f[args.flags] = count(); } "
		"END { print(@x); clear(@s); zero(@); }");
	const char *names[] = { "probe_0_0", "probe_1_0", "probe_2_0", "probe_2_1", "probe_3_0" };
	const char *sections[] = { "raw_tp/strobe_0", "tracepoint/strobe_1", "tracepoint/strobe_2",
				   "tracepoint/strobe_3", "raw_tp/strobe_4" };
	expect_programs(c, names, sections, 5);
	generated_free(c);
}

/* probe as a constant (one attach point, BEGIN) and through the attach cookie (several). */
static void test_probe_and_stop_flag(void **state)
{
	(void)state;
	struct checked *c = generate("BEGIN { @[probe] = count(); } tracepoint:syscalls:sys_enter_read { @[probe] = count(); } "
				     "tracepoint:syscalls:sys_enter_openat,tracepoint:syscalls:sys_enter_openat2 { @[probe] = count(); printf(\"%s\\n\", probe); }");
	assert_int_equal(c->p.nprobe_names, 4);
	generated_free(c);
	c = check("tracepoint:syscalls:sys_enter_read { @[probe] = count(); }");
	assert_int_equal(c->rc, 0);
	c->p.stop_fd = -1; /* no stop flag: no check emitted, still valid code */
	c->p.maps[0].fd = -1;
	assert_int_equal(compile_codegen(c->ast, &c->p, &c->d), 0);
	generated_free(c);
}

static void test_whole_language(void **state)
{
	(void)state;
	struct checked *c = generate(
		"BEGIN { @ts[tid] = nsecs; @m[1, \"a\"] = comm; } "
		"tracepoint:syscalls:sys_enter_read /@ts[tid]/ { $d = nsecs - @ts[tid]; @h = hist($d); "
		"@l[comm] = lhist($d, 0, 1000, 10); @mn = min($d); @mx = max($d); @a = avg($d); @st = stats($d); "
		"delete(@ts[tid]); delete(@m[1, \"a\"]); } "
		"tracepoint:sched:sched_process_exec { $s = args.comm == \"bash\" ? str(args.filename) : \"other\"; "
		"$i = 0; while ($i < 4) { $i++; if ($i == 2) { continue; } else { break; } } unroll(3) { $i += 1; } "
		"@c++; @n += 2; @n++; printf(\"%s %d %d %d\\n\", $s, $i && 1, !$i, (uint8)$i); time(); print(1); "
		"if (uid == 0) { return; } exit(2); }");
	assert_int_equal(c->p.nfuncs, 3);
	generated_free(c);
}

/*
 * The programs of object i by name, in p->funcs order, NULL-terminated in
 * names (at most 15); the number of static functions (subprograms) its BTF has.
 */
static unsigned object_programs(struct checked *c, size_t i, const char **names)
{
	struct bpf_object *obj = bpf_object__open_mem(c->p.objects[i].elf, c->p.objects[i].size, NULL);
	assert_non_null(obj);
	size_t n = 0;
	struct bpf_program *prog;
	bpf_object__for_each_program(prog, obj) {
		assert_true(n < 15);
		names[n++] = strdup(bpf_program__name(prog));
	}
	names[n] = NULL;
	unsigned statics = 0;
	struct btf *btf = bpf_object__btf(obj);
	for (unsigned id = 1; btf && id < btf__type_cnt(btf); id++) {
		const struct btf_type *t = btf__type_by_id(btf, id);
		statics += btf_is_func(t) && btf_vlen(t) == BTF_FUNC_STATIC;
	}
	bpf_object__close(obj);
	return statics;
}

/*
 * STROBE_CODEGEN_THREADS=3: three objects, compiled on three threads, each
 * with the functions p->funcs[i].object names and nothing else (for-loop
 * callbacks go with the function that calls them); =1: one object.
 */
static void test_shards(void **state)
{
	(void)state;
	const char *src = "BEGIN { @m[1] = 1; } "
			  "tracepoint:syscalls:sys_enter_read { @r = count(); } "
			  "tracepoint:syscalls:sys_enter_openat { for ($kv : @m) { @o[$kv.0] = count(); } } "
			  "tracepoint:syscalls:sys_enter_openat2 { @o2 = count(); } "
			  "END { print(@m); }";
	setenv("STROBE_CODEGEN_THREADS", "3", 1);
	struct checked *c = generate(src);
	unsetenv("STROBE_CODEGEN_THREADS");
	assert_int_equal(c->p.nfuncs, 5);
	assert_int_equal(c->p.nobjects, 3);
	size_t seen = 0;
	for (size_t i = 0; i < c->p.nobjects; i++) {
		const char *names[16];
		unsigned statics = object_programs(c, i, names);
		/* the for loop's callback, only beside the function that calls it */
		assert_int_equal(statics, c->p.funcs[2].object == i ? 1 : 0);
		size_t n = 0;
		for (size_t f = 0; f < c->p.nfuncs; f++) {
			if (c->p.funcs[f].object != i)
				continue;
			assert_non_null(names[n]);
			assert_string_equal(names[n], c->p.funcs[f].name);
			n++;
		}
		assert_null(names[n]);
		for (size_t k = 0; k < n; k++)
			free((char *)names[k]);
		seen += n;
	}
	assert_int_equal(seen, c->p.nfuncs);
	generated_free(c);
	setenv("STROBE_CODEGEN_THREADS", "1", 1);
	c = generate(src);
	unsetenv("STROBE_CODEGEN_THREADS");
	assert_int_equal(c->p.nobjects, 1);
	generated_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shards),
		cmocka_unit_test(test_hello),
		cmocka_unit_test(test_probes_and_maps),
		cmocka_unit_test(test_whole_language),
		cmocka_unit_test(test_probe_and_stop_flag),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
