/*
 * libFuzzer target: the front end, as driver_run runs it up to the kernel:
 * preprocess, lex, parse, config block, probe resolution, semantic check.
 * Providers are faked by probe type (the context each family offers), since
 * the real ones read tracefs, kallsyms and ELF files of this machine.
 *
 *	make fuzz                  FUZZ_SECONDS (default 60) of fuzzing from the seed corpus
 *	build-fuzz/fuzz_check FILE...   run inputs once (a crash to reproduce)
 *
 * tests/unit/test_fuzz_regressions.c runs every input under
 * tests/fuzz/regressions/ through the same function in `make test`.
 */
#include <ctype.h>
#include <linux/bpf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "registry.h"
#include "lang/ast.h"
#include "lang/compile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * uaddr() asks the uprobe provider, which reads ELF files: in place of
 * core/runtime/registry.c's (the static library's object is then not
 * linked), every symbol is 8 bytes at 0x1000.
 */
int provider_symbol(struct provider *p, const char *type, const char *target, const char *name, int64_t *addr,
		    uint32_t *size, bool *relative)
{
	*addr = 0x1000;
	*size = 8;
	*relative = false;
	return 0;
}

static const struct strobe_arg fuzz_tp_args[] = {
	{ .name = "filename", .ctype = "const char *", .loc = STROBE_LOC_CTX, .kind = STROBE_ARG_PTR,
	  .offset = 16, .size = 8, .user = true, .pointee = "char" },
	{ .name = "flags", .ctype = "int", .loc = STROBE_LOC_CTX, .kind = STROBE_ARG_INT, .offset = 24,
	  .size = 8, .is_signed = true },
};

/* What the provider of this probe type would say about an attach point; false: unknown type. */
static bool fuzz_resolve(struct program *p, struct probe_attach *a, const struct n_attach *at)
{
	static const struct {
		const char *types;
		int prog_type;
		unsigned builtins;
	} families[] = {
		{ " tracepoint t ", BPF_PROG_TYPE_TRACEPOINT, STROBE_BUILTIN_ARGS },
		{ " rawtracepoint rt ", BPF_PROG_TYPE_RAW_TRACEPOINT, STROBE_BUILTIN_ARGN },
		{ " kprobe k uprobe u usdt U ", BPF_PROG_TYPE_KPROBE,
		  STROBE_BUILTIN_ARGN | STROBE_BUILTIN_FUNC | STROBE_BUILTIN_REGS },
		{ " kretprobe kr uretprobe ur ", BPF_PROG_TYPE_KPROBE,
		  STROBE_BUILTIN_RETVAL | STROBE_BUILTIN_FUNC | STROBE_BUILTIN_REGS },
		{ " profile p software s hardware h ", BPF_PROG_TYPE_PERF_EVENT, STROBE_BUILTIN_REGS },
		{ " interval i ", BPF_PROG_TYPE_PERF_EVENT, 0 },
	};
	char word[64];
	if (strlen(at->type) + 3 > sizeof(word))
		return false;
	snprintf(word, sizeof(word), " %s ", at->type);
	for (size_t i = 0; i < sizeof(families) / sizeof(families[0]); i++)
		if (strstr(families[i].types, word)) {
			a->name = arena_strdup(&p->arena, at->text);
			a->type = at->type;
			a->target = at->target;
			a->prog_type = families[i].prog_type;
			a->builtins = families[i].builtins;
			if (families[i].builtins & STROBE_BUILTIN_ARGS) {
				a->args = fuzz_tp_args;
				a->nargs = sizeof(fuzz_tp_args) / sizeof(fuzz_tp_args[0]);
			}
			return true;
		}
	return false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1); /* a source is NUL-terminated */
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct source src = { "fuzz", text, size };
	struct arena ast_arena = ARENA_INIT;
	struct program p = { .ringbuf_fd = -1, .stop_fd = -1 };
	struct diags d;
	struct node *ast;
	struct config cfg;
	struct parse_opts popts = { .have_btf = true };
	diags_init(&d, &src);
	types_init(&p.types);
	p.src = &src;
	if (parse_program(&ast_arena, &src, &popts, &d, &ast) < 0 ||
	    config_load(&cfg, ast->u.program.config, &d) < 0)
		goto out;
	for (struct node *pr = ast->u.program.probes; pr; pr = pr->next)
		p.nprobes++;
	p.probes = arena_zalloc(&p.arena, (p.nprobes ? p.nprobes : 1) * sizeof(*p.probes));
	size_t n = 0;
	for (struct node *pr = ast->u.program.probes; pr; pr = pr->next, n++) {
		struct probe_info *pi = &p.probes[n];
		const struct n_attach *first = &pr->u.probe.attach->u.attach;
		pi->ast = pr;
		pi->kind = PROBE_PROVIDER;
		if (!strcasecmp(first->type, "BEGIN") || !strcasecmp(first->type, "END")) {
			pi->kind = tolower((unsigned char)first->type[0]) == 'b' ? PROBE_BEGIN : PROBE_END;
			continue;
		}
		for (struct node *at = pr->u.probe.attach; at; at = at->next)
			pi->nattach++;
		pi->attach = arena_zalloc(&p.arena, pi->nattach * sizeof(*pi->attach));
		size_t i = 0;
		for (struct node *at = pr->u.probe.attach; at; at = at->next, i++)
			if (!fuzz_resolve(&p, &pi->attach[i], &at->u.attach))
				diag_error(&d, &at->loc, "Invalid probe type: %s", at->u.attach.type);
	}
	if (!diags_ok(&d))
		goto out;
	struct compile_opts copts = { .strlen = cfg.max_strlen, .max_map_keys = cfg.max_map_keys, .cpid = 1 };
	compile_check(ast, &copts, &d, &p);
out:;
	static FILE *null;
	if (null || (null = fopen("/dev/null", "w")))
		diags_emit(&d, null); /* rendering is part of the front end too */
	diags_release(&d);
	types_release(&p.types);
	arena_release(&p.arena);
	arena_release(&ast_arena);
	free(text);
	return 0;
}
