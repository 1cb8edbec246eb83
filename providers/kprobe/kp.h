/* The kprobe provider's parts: kprobe.c (kprobe/kretprobe, state, ops), kfunc.c (fentry/fexit), kfuncs.c (the kernel's functions). */
#ifndef STROBE_KP_H
#define STROBE_KP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include <strobe/provider.h>

struct kp_state;
struct kf_state;

/* available_filter_functions, read once: sorted names, or NULL when unreadable */
struct kp_traceable {
	char **names;
	size_t n;
	bool tried;
};

/* BPFTRACE_MAX_PROBES: a wildcard matching more is almost surely a mistake. */
#define KP_MAX_PROBES 1024 /* the core's default (core/config.c) */

/*
 * Whether name is in available_filter_functions (ftrace can trace it: not
 * notrace, not inlined away). *known is false when that list cannot be read
 * (no tracefs, or EPERM as on the development machines): then the answer is
 * true for every name.
 */
bool kp_traceable(struct kp_traceable *t, const char *name, bool *known);
void kp_traceable_free(struct kp_traceable *t);
/* available_filter_functions from tracefs or debugfs, or NULL */
FILE *kp_open_filter_functions(void);
/* qsort/bsearch order of char * names */
int kp_name_cmp(const void *a, const void *b);

/* "try tracepoint:syscalls:sys_enter_read ..." for a kernel function, into buf. */
void kp_suggest(const char *func, bool ret, char *buf, size_t len);

/* Split "MODULE:FUNC" or "FUNC" into buf; errors through r. */
int kp_split_target(const char *type, const char *target, char *buf, size_t len, const char **mod,
		    char **func, struct strobe_resolver *r);

/* ---- kfunc.c: kfunc/kretfunc (fentry/fexit) ---- */
struct kf_state *kf_new(void);
void kf_free(struct kf_state *kf);
int kf_resolve(struct kf_state *kf, struct kp_traceable *kp, const char *type, const char *target,
	       struct strobe_resolver *r);
int kf_list(struct kf_state *kf, struct kp_traceable *kp, const char *type, const char *glob, bool verbose,
	    strobe_list_fn fn, void *ctx);
/* Link a loaded fentry/fexit program: a link fd, or -errno with errbuf set. */
int kf_attach(const struct strobe_attach_req *req, char *errbuf, size_t errlen);

#endif
