/*
 * The asynchronous events join(), cat() and system() (program.h EV_JOIN,
 * EV_CAT, EV_SYSTEM), handed to the sink's join/cat/syscall slots.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../diag.h"
#include "output_chain.h"
#include "runtime_internal.h"

#define CAT_BYTES_DEFAULT 10240

static void emit_join(struct run_state *st, uint32_t id, const uint8_t *payload, size_t len)
{
	const struct program *p = st->p;
	const char *sep = id < p->nstrings && p->strings[id] ? p->strings[id] : " ";
	struct strbuf out = { 0 };
	sb_add(&out, "", 0);
	for (size_t i = 0; i < JOIN_ARGS && (i + 1) * JOIN_ARG_SIZE <= len; i++) {
		const char *arg = (const char *)payload + i * JOIN_ARG_SIZE;
		size_t n = strnlen(arg, JOIN_ARG_SIZE);
		if (!n)
			break;
		if (i)
			sb_add(&out, sep, strlen(sep));
		sb_add(&out, arg, n);
	}
	if (st->out->ops->join)
		st->out->ops->join(st->out->sink, out.s, out.len);
	sb_free(&out);
}

/* Render the printf-like arguments of printf `id` into st->text; false if they are bad. */
static bool render_format(struct run_state *st, uint32_t id, const uint8_t *payload, size_t len, struct arena *a)
{
	const struct program *p = st->p;
	if (id >= p->nprintfs)
		return false;
	return printf_render(&p->printfs[id], st->specs[id], (size_t)st->nspecs[id], payload, len, &st->text, a,
			     st->args) == 0;
}

static void emit_cat(struct run_state *st, uint32_t id, const uint8_t *payload, size_t len)
{
	struct arena a = ARENA_INIT;
	if (!render_format(st, id, payload, len, &a)) {
		arena_release(&a);
		return;
	}
	FILE *f = fopen(st->text.s, "r");
	if (!f) {
		fprintf(stderr, "ERROR: failed to open file '%s': %s\n", st->text.s, strerror(errno));
		arena_release(&a);
		return;
	}
	size_t max = st->p->max_cat_bytes ? st->p->max_cat_bytes : CAT_BYTES_DEFAULT, n = 0;
	char *buf = malloc(max + 1);
	if (buf) {
		size_t got;
		while (n < max && (got = fread(buf + n, 1, max - n, f)) > 0)
			n += got;
		if (st->out->ops->cat)
			st->out->ops->cat(st->out->sink, buf, n);
	}
	free(buf);
	fclose(f);
	arena_release(&a);
}

static void emit_system(struct run_state *st, uint32_t id, const uint8_t *payload, size_t len)
{
	struct arena a = ARENA_INIT;
	if (!render_format(st, id, payload, len, &a)) {
		arena_release(&a);
		return;
	}
	fflush(NULL); /* what was printed so far comes before the command's output */
	FILE *f = popen(st->text.s, "r");
	if (!f) {
		fprintf(stderr, "ERROR: failed to run '%s': %s\n", st->text.s, strerror(errno));
		arena_release(&a);
		return;
	}
	struct strbuf out = { 0 };
	char buf[4096];
	size_t got;
	sb_add(&out, "", 0);
	while ((got = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_add(&out, buf, got);
	pclose(f);
	if (st->out->ops->syscall)
		st->out->ops->syscall(st->out->sink, out.s, out.len);
	sb_free(&out);
	arena_release(&a);
}

/* errorf/warnf/assert: the text, located at the call as the compiler's diagnostics are */
static void emit_diag(struct run_state *st, enum diag_severity sev, uint32_t id, const uint8_t *payload,
		      size_t len)
{
	struct arena a = ARENA_INIT;
	if (render_format(st, id, payload, len, &a)) {
		fflush(NULL); /* after what was printed before it */
		diag_render(st->p->src, sev, &st->p->printfs[id].loc, st->text.s, NULL, stderr);
	}
	arena_release(&a);
}

/* bpftrace's names of the helpers -k reports (codegen: cg_check_helper) */
static const char *helper_name(uint32_t id)
{
	switch (id) {
	case 1: return "map_lookup_elem";
	case 3: return "map_delete_elem";
	case 45: return "probe_read_str";
	case 112: return "probe_read_user";
	case 113: return "probe_read_kernel";
	case 114: return "probe_read_user_str";
	case 115: return "probe_read_kernel_str";
	default: return "helper";
	}
}

/* -k: a failing helper, once per place: to a sink that records it (JSON), else as a located warning */
static void emit_helper_error(struct run_state *st, uint32_t id, const uint8_t *payload, size_t len)
{
	struct helper_error_event e;
	if (len < sizeof(e))
		return;
	memcpy(&e, payload, sizeof(e));
	uint64_t site = (uint64_t)e.line << 32 | e.col;
	for (size_t i = 0; i < st->nhelper_sites; i++)
		if (st->helper_sites[i] == site)
			return;
	uint64_t *more = realloc(st->helper_sites, (st->nhelper_sites + 1) * sizeof(*more));
	if (!more)
		return;
	st->helper_sites = more;
	st->helper_sites[st->nhelper_sites++] = site;
	const char *msg = e.retcode < 0 ? strerror((int)-e.retcode) : "";
	if (output_chain_takes_helper_errors(st->out)) {
		struct strobe_helper_error he = { .helper = helper_name(id), .retcode = e.retcode, .msg = msg,
						  .filename = st->p->src ? st->p->src->name : NULL,
						  .line = e.line, .col = e.col };
		st->out->ops->helper_error(st->out->sink, &he);
		return;
	}
	char text[256];
	if (e.retcode < 0)
		snprintf(text, sizeof(text), "Failed to %s: %s (%" PRId64 ")", helper_name(id), msg, e.retcode);
	else
		snprintf(text, sizeof(text), "Failed to %s: 0", helper_name(id));
	struct loc l = { .line = e.line, .col = e.col, .end_line = e.line, .end_col = e.end_col };
	fflush(NULL);
	diag_render(st->p->src, DIAG_WARNING, &l, text, NULL, stderr);
}

bool handle_func_event(struct run_state *st, uint32_t kind, uint32_t id, const uint8_t *payload, size_t len)
{
	switch (kind) {
	case EV_JOIN:
		emit_join(st, id, payload, len);
		return true;
	case EV_CAT:
		emit_cat(st, id, payload, len);
		return true;
	case EV_SYSTEM:
		emit_system(st, id, payload, len);
		return true;
	case EV_HELPER_ERROR:
		emit_helper_error(st, id, payload, len);
		return true;
	case EV_ERRORF:
	case EV_WARNF:
		emit_diag(st, kind == EV_ERRORF ? DIAG_ERROR : DIAG_WARNING, id, payload, len);
		return true;
	default:
		return false;
	}
}
