/*
 * Raw tracepoints (`rawtracepoint:event`, `rawtracepoint:module:event`),
 * described from kernel BTF: every raw tracepoint has a
 * `typedef void (*btf_trace_<event>)(void *__data, args...)`.
 */
#ifndef TP_RAWTP_H
#define TP_RAWTP_H

#include <stdbool.h>
#include <stddef.h>
#include <strobe/provider.h>

/* BPF programs get at most 12 arguments (MAX_BPF_FUNC_ARGS). */
#define RAWTP_MAX_ARGS 12

struct rawtp_state;

struct rawtp_state *rawtp_new(const struct strobe_host *host);
void rawtp_free(struct rawtp_state *st);

int rawtp_list(struct rawtp_state *st, const char *type, const char *glob, bool verbose,
	       strobe_list_fn fn, void *ctx);
int rawtp_resolve(struct rawtp_state *st, const char *type, const char *target,
		  struct strobe_resolver *r, unsigned max_probes);
/* Refuse a wildcard that matched count > max probes (BPFTRACE_MAX_PROBES). */
void tp_limit_error(struct strobe_resolver *r, size_t count, unsigned max);
/* On success *fd is the raw tracepoint link. */
int rawtp_attach(struct rawtp_state *st, const struct strobe_attach_req *req, int *fd,
		 char *errbuf, size_t errlen);

#endif
