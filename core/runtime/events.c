/*
 * Ring-buffer events: each record decoded by kind (printf, print, clear, exit...)
 * and handed as typed values to the sink.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime_internal.h"

int run_state_init(struct run_state *st, struct program *p, struct output *out)
{
	memset(st, 0, sizeof(*st));
	st->p = p;
	st->out = out;
	value_set_probe_names(p->probe_names, p->nprobe_names);
	value_set_str_trailer(p->str_trunc_trailer);
	stacks_set_program(p);
	size_t n = p->nprintfs ? p->nprintfs : 1;
	st->specs = calloc(n, sizeof(*st->specs));
	st->nspecs = calloc(n, sizeof(*st->nspecs));
	if (!st->specs || !st->nspecs)
		return -ENOMEM;
	uint32_t max_args = 1;
	for (size_t i = 0; i < p->nprintfs; i++) {
		const struct prog_printf *pf = &p->printfs[i];
		char err[256];
		int ns = fmt_parse(pf->fmt, NULL, 0, err, sizeof(err));
		if (ns < 0)
			ns = 0; /* sema already rejected bad formats */
		st->specs[i] = calloc(ns ? (size_t)ns : 1, sizeof(**st->specs));
		if (!st->specs[i])
			return -ENOMEM;
		st->nspecs[i] = ns ? fmt_parse(pf->fmt, st->specs[i], (size_t)ns, err, sizeof(err)) : 0;
		if (pf->nargs > max_args)
			max_args = pf->nargs;
	}
	st->args = calloc(max_args, sizeof(*st->args));
	return st->args ? 0 : -ENOMEM;
}

void run_state_release(struct run_state *st)
{
	if (st->specs)
		for (size_t i = 0; i < st->p->nprintfs; i++)
			free(st->specs[i]);
	free(st->specs);
	free(st->nspecs);
	free(st->args);
	sb_free(&st->text);
	arena_release(&st->scratch);
	free(st->helper_sites);
	st->helper_sites = NULL;
	st->nhelper_sites = 0;
	st->specs = NULL;
	st->nspecs = NULL;
	st->args = NULL;
}

int print_map(struct run_state *st, const struct prog_map *m, uint64_t top, uint64_t div)
{
	struct map_raw raw;
	int err = map_read_raw(m, &raw);
	if (err < 0) {
		fprintf(stderr, "ERROR: failed to read map %s: %s\n", m->name, strerror(-err));
		return err;
	}
	struct map_view_buf view;
	map_build_view(m, &raw, top, div, &view);
	if (st->out->ops->map)
		st->out->ops->map(st->out->sink, &view.view);
	map_view_release(&view);
	map_raw_release(&raw);
	return 0;
}

static void emit_printf(struct run_state *st, uint32_t id, const uint8_t *payload, size_t len)
{
	const struct program *p = st->p;
	if (id >= p->nprintfs)
		return;
	const struct prog_printf *pf = &p->printfs[id];
	arena_reset(&st->scratch);
	if (printf_render(pf, st->specs[id], (size_t)st->nspecs[id], payload, len, &st->text, &st->scratch,
			  st->args) == 0 &&
	    st->out->ops->printf)
		st->out->ops->printf(st->out->sink, id, st->text.s, st->text.len, st->args, pf->nargs);
}

static void emit_value(struct run_state *st, uint32_t id, const uint8_t *payload, size_t len)
{
	const struct program *p = st->p;
	if (id >= p->nprint_values || !p->print_values[id] || p->print_values[id]->size > len)
		return;
	struct arena a = ARENA_INIT;
	struct strobe_value v;
	value_decode(&a, p->print_values[id], payload, &v);
	if (st->out->ops->value)
		st->out->ops->value(st->out->sink, &v);
	arena_release(&a);
}

static void emit_time(struct run_state *st, uint32_t id)
{
	const struct program *p = st->p;
	const char *fmt = id < p->nstrings && p->strings[id] ? p->strings[id] : "%H:%M:%S\n";
	char buf[512];
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	size_t n = strftime(buf, sizeof(buf), fmt, &tm);
	st->out->ops->time(st->out->sink, buf, n);
}

static uint64_t payload_u64(const uint8_t *payload, size_t len, size_t off, uint64_t dflt)
{
	if (off + 8 > len)
		return dflt;
	uint64_t v;
	memcpy(&v, payload + off, 8);
	return v;
}

int handle_event(void *ctx, void *data, size_t size)
{
	struct run_state *st = ctx;
	struct event_hdr hdr;
	if (st->in_loop && st->exit_seen)
		return -EINTR; /* stop polling: see run_state.in_loop */
	/* libbpf has already consumed this record: show it, then stop polling. */
	int ret = st->in_loop && st->stop_signal && *st->stop_signal ? -EINTR : 0;
	/* After exit() nothing but END's own output is shown (as bpftrace does). */
	if (st->exit_seen || size < sizeof(hdr))
		return ret;
	memcpy(&hdr, data, sizeof(hdr));
	const uint8_t *payload = (const uint8_t *)data + sizeof(hdr);
	size_t len = size - sizeof(hdr);
	struct program *p = st->p;

	switch (hdr.kind) {
	case EV_PRINTF:
		emit_printf(st, hdr.id, payload, len);
		break;
	case EV_EXIT:
		st->exit_seen = true;
		st->exit_code = (int)(int64_t)payload_u64(payload, len, 0, 0);
		break;
	case EV_PRINT_MAP:
		if (hdr.id < p->nmaps)
			print_map(st, &p->maps[hdr.id], payload_u64(payload, len, 0, 0),
				  payload_u64(payload, len, 8, 1));
		break;
	case EV_CLEAR:
	case EV_ZERO:
		if (hdr.id < p->nmaps) {
			const struct prog_map *m = &p->maps[hdr.id];
			int err = hdr.kind == EV_CLEAR ? map_clear(m) : map_zero(m);
			if (err < 0)
				fprintf(stderr, "ERROR: failed to %s map %s: %s\n",
					hdr.kind == EV_CLEAR ? "clear" : "zero", m->name, strerror(-err));
		}
		break;
	case EV_PRINT_VALUE:
		emit_value(st, hdr.id, payload, len);
		break;
	case EV_TIME:
		emit_time(st, hdr.id);
		break;
	default:
		/* async.c; unknown kinds come from a newer compiler: ignore */
		handle_func_event(st, hdr.kind, hdr.id, payload, len);
		break;
	}
	return ret;
}
