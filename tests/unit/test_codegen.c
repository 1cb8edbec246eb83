/* Codegen: programs compile to a BPF ELF with the expected programs and sections. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <bpf/libbpf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lang/compile.h"

/* Fake tracepoint contexts, as the tracepoint provider describes them. */
static const struct strobe_arg openat_args[] = {
	{ .name = "filename", .ctype = "const char *", .loc = STROBE_LOC_CTX, .kind = STROBE_ARG_PTR,
	  .offset = 24, .size = 8, .user = true, .pointee = "char" },
	{ .name = "flags", .ctype = "int", .loc = STROBE_LOC_CTX, .kind = STROBE_ARG_INT, .offset = 32,
	  .size = 8, .is_signed = true },
};
/* Same field names, other offsets: needs its own function. */
static const struct strobe_arg openat2_args[] = {
	{ .name = "filename", .ctype = "const char *", .loc = STROBE_LOC_CTX, .kind = STROBE_ARG_PTR,
	  .offset = 16, .size = 8, .user = true, .pointee = "char" },
	{ .name = "flags", .ctype = "int", .loc = STROBE_LOC_CTX, .kind = STROBE_ARG_INT, .offset = 40,
	  .size = 8, .is_signed = true },
};
static const struct strobe_arg read_args[] = {
	{ .name = "fd", .ctype = "unsigned int", .loc = STROBE_LOC_CTX, .kind = STROBE_ARG_INT,
	  .offset = 16, .size = 8 },
	{ .name = "count", .ctype = "size_t", .loc = STROBE_LOC_CTX, .kind = STROBE_ARG_INT,
	  .offset = 32, .size = 8 },
};
static const struct strobe_arg exec_args[] = {
	{ .name = "filename", .ctype = "__data_loc char[]", .loc = STROBE_LOC_CTX,
	  .kind = STROBE_ARG_DATA_LOC, .offset = 8, .size = 4, .pointee = "char" },
	{ .name = "comm", .ctype = "char[16]", .loc = STROBE_LOC_CTX, .kind = STROBE_ARG_ARRAY,
	  .offset = 12, .size = 16, .pointee = "char", .elem_size = 1, .count = 16 },
};

struct checked {
	struct arena ast_arena;
	struct source src;
	struct diags d;
	struct program p;
	struct node *ast;
	int rc;
};

static void fake_attach(struct program *p, struct probe_attach *a, const char *text)
{
	static const struct {
		const char *event;
		const struct strobe_arg *args;
		size_t nargs;
	} events[] = {
		{ "sys_enter_openat", openat_args, 2 }, { "sys_enter_openat2", openat2_args, 2 },
		{ "sys_enter_read", read_args, 2 },     { "sched_process_exec", exec_args, 2 },
	};
	const char *event = strrchr(text, ':') + 1;
	a->name = arena_strdup(&p->arena, text);
	a->type = "tracepoint";
	a->target = strchr(text, ':') + 1;
	a->prog_type = BPF_PROG_TYPE_TRACEPOINT;
	a->builtins = STROBE_BUILTIN_ARGS;
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++)
		if (!strcmp(events[i].event, event)) {
			a->args = events[i].args;
			a->nargs = events[i].nargs;
		}
}

/* Parse text and resolve its probes by hand: BEGIN, END and the fake tracepoints. */
static struct checked *check(const char *text)
{
	struct checked *c = calloc(1, sizeof(*c));
	struct parse_opts popts = { .have_btf = true };
	c->src = (struct source){ "stdin", text, strlen(text) };
	diags_init(&c->d, &c->src);
	types_init(&c->p.types);
	c->p.ringbuf_fd = -1;
	assert_int_equal(parse_program(&c->ast_arena, &c->src, &popts, &c->d, &c->ast), 0);
	size_t n = 0;
	for (struct node *pr = c->ast->u.program.probes; pr; pr = pr->next)
		n++;
	c->p.probes = arena_zalloc(&c->p.arena, n * sizeof(*c->p.probes));
	c->p.nprobes = n;
	n = 0;
	for (struct node *pr = c->ast->u.program.probes; pr; pr = pr->next, n++) {
		struct probe_info *pi = &c->p.probes[n];
		const char *first = pr->u.probe.attach->u.attach.text;
		pi->ast = pr;
		if (!strcmp(first, "BEGIN") || !strcmp(first, "END")) {
			pi->kind = first[0] == 'B' ? PROBE_BEGIN : PROBE_END;
			continue;
		}
		pi->kind = PROBE_PROVIDER;
		for (struct node *a = pr->u.probe.attach; a; a = a->next)
			pi->nattach++;
		pi->attach = arena_zalloc(&c->p.arena, pi->nattach * sizeof(*pi->attach));
		size_t i = 0;
		for (struct node *a = pr->u.probe.attach; a; a = a->next)
			fake_attach(&c->p, &pi->attach[i++], a->u.attach.text);
	}
	struct compile_opts o = { .strlen = 64, .max_map_keys = 4096 };
	c->rc = compile_check(c->ast, &o, &c->d, &c->p);
	return c;
}

static void checked_free(struct checked *c)
{
	diags_release(&c->d);
	types_release(&c->p.types);
	arena_release(&c->p.arena);
	arena_release(&c->ast_arena);
	free(c);
}

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
	assert_non_null(c->p.elf);
	assert_true(c->p.elf_size > 64);
	assert_memory_equal(c->p.elf, "\x7f" "ELF", 4);
	return c;
}

static void generated_free(struct checked *c)
{
	free(c->p.elf);
	checked_free(c);
}

static void expect_programs(struct checked *c, const char *const *names, const char *const *sections, size_t n)
{
	struct bpf_object *obj = bpf_object__open_mem(c->p.elf, c->p.elf_size, NULL);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hello),
		cmocka_unit_test(test_probes_and_maps),
		cmocka_unit_test(test_whole_language),
		cmocka_unit_test(test_probe_and_stop_flag),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
