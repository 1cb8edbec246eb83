/*
 * Test fixture shared by the semantic-analysis and codegen tests: parse a
 * program and resolve its probes by hand against fake tracepoint contexts,
 * as the tracepoint provider would describe them, then run compile_check.
 * Include after cmocka.h and lang/compile.h.
 */
#ifndef STROBE_TEST_FAKE_PROBES_H
#define STROBE_TEST_FAKE_PROBES_H

/* Fake tracepoint contexts. */
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

/* Set: fake_attach offers the sys_enter_* events for dispatch, as the tracepoint provider does. */
static bool fake_dispatch;

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
	if (!strncmp(text, "uprobe:", 7)) { /* as the uprobe provider describes them */
		a->type = "uprobe";
		a->prog_type = BPF_PROG_TYPE_KPROBE;
		a->builtins = STROBE_BUILTIN_ARGN | STROBE_BUILTIN_FUNC | STROBE_BUILTIN_FUNC_USER | STROBE_BUILTIN_REGS;
		return;
	}
	for (size_t i = 0; i < sizeof(events) / sizeof(events[0]); i++)
		if (!strcmp(events[i].event, event)) {
			a->args = events[i].args;
			a->nargs = events[i].nargs;
		}
	static const struct { const char *event; uint64_t nr; } nrs[] = {
		{ "sys_enter_openat", 257 }, { "sys_enter_openat2", 437 }, { "sys_enter_read", 0 },
	};
	for (size_t i = 0; fake_dispatch && i < sizeof(nrs) / sizeof(nrs[0]); i++)
		if (!strcmp(nrs[i].event, event))
			a->dispatch = (struct strobe_dispatch){ .size = sizeof(a->dispatch),
								.shared = "raw_syscalls:sys_enter",
								.ctx_offset = 8, .value = nrs[i].nr,
								.task_offset = 16, .task_mask = 2 };
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

/* Checking text gives no error. */
__attribute__((unused)) static void expect_ok(const char *text)
{
	struct checked *c = check(text);
	if (c->rc || c->d.nerrors) {
		fprintf(stderr, "unexpected errors for: %s\n", text);
		diags_emit(&c->d, stderr);
	}
	assert_int_equal(c->rc, 0);
	assert_int_equal(c->d.nerrors, 0);
	checked_free(c);
}

/*
 * The first error is msg at line 1, columns [col, end_col) (col 0: an
 * unlocated error), with nerrors errors in all (0: any number).
 */
__attribute__((unused)) static void expect_error_n(const char *text, const char *msg, uint32_t col, uint32_t end_col,
						   unsigned nerrors)
{
	struct checked *c = check(text);
	assert_int_equal(c->rc, -EINVAL);
	assert_non_null(c->d.head);
	if (strcmp(c->d.head->msg, msg) || c->d.head->loc.col != col || c->d.head->loc.end_col != end_col ||
	    (nerrors && c->d.nerrors != nerrors))
		fprintf(stderr, "for %s\n got: %u-%u %s (%u errors)\nwant: %u-%u %s (%u)\n", text,
			c->d.head->loc.col, c->d.head->loc.end_col, c->d.head->msg, c->d.nerrors, col, end_col, msg,
			nerrors);
	assert_string_equal(c->d.head->msg, msg);
	assert_int_equal(c->d.head->loc.line, col ? 1 : 0);
	assert_int_equal(c->d.head->loc.col, col);
	assert_int_equal(c->d.head->loc.end_col, end_col);
	if (nerrors)
		assert_int_equal(c->d.nerrors, nerrors);
	checked_free(c);
}

__attribute__((unused)) static void expect_error(const char *text, const char *msg, uint32_t col, uint32_t end_col)
{
	expect_error_n(text, msg, col, end_col, 0);
}

#endif
