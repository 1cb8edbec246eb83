/*
 * Probes after attach-point resolution: what each provider said about the
 * attach points of one probe. Built by the driver through the registry,
 * read by semantic analysis and codegen, attached by the runtime.
 */
#ifndef STROBE_PROBE_H
#define STROBE_PROBE_H

#include <stddef.h>
#include <strobe/provider.h>

struct node;
struct provider; /* core/registry.h */

struct probe_attach {
	const char *name;   /* full canonical name: "tracepoint:syscalls:sys_enter_openat" */
	const char *type;   /* canonical probe type: "tracepoint" */
	const char *target; /* provider part handed back to attach() */
	int prog_type;      /* enum bpf_prog_type */
	unsigned builtins;  /* STROBE_BUILTIN_* */
	const struct strobe_arg *args; /* strings owned by the run's arena */
	size_t nargs;
	struct provider *provider;
	/* Set by the provider's set_dispatch() (dispatch.shared != NULL);
	 * cleared by compile_check when the attachment is attached on its own. */
	struct strobe_dispatch dispatch;
	/* The `probe` builtin's value, an index into program.probe_names.
	 * Attachments with the same name share it (e.g. the locations of one USDT
	 * probe), so @[probe] has one key per name. Set by compile_check; the
	 * runtime attaches with it as the BPF cookie. */
	size_t name_id;
	/* Set by the provider's set_btf_target() (btf_target.func != NULL):
	 * a fentry/fexit attachment, loaded for that kernel function on its own. */
	struct strobe_btf_target btf_target;
	/* Set by the provider's set_multi(): the expected attach type
	 * (BPF_TRACE_KPROBE_MULTI) under which the attachment may be attached in
	 * a group through attach_multi(); 0: one by one only. */
	int multi_attach_type;
	/* Set by the provider's set_newest_first(): the kernel runs this event's
	 * programs newest first, so the runtime attaches such probes in reverse. */
	bool newest_first;
};

enum probe_kind {
	PROBE_BEGIN,
	PROBE_END,
	PROBE_PROVIDER,
	PROBE_SIGNAL, /* self:signal:SIGUSR1 (bpftrace 0.22): run when strobe receives SIGUSR1 */
	PROBE__COUNT
};

/* The name of a probe the core runs itself ("BEGIN", "END", "self:signal:SIGUSR1"), NULL for a provider's. */
static inline const char *probe_kind_name(enum probe_kind k)
{
	return k == PROBE_BEGIN ? "BEGIN" : k == PROBE_END ? "END" : k == PROBE_SIGNAL ? "self:signal:SIGUSR1" : NULL;
}

struct probe_info {
	struct node *ast; /* the N_PROBE */
	enum probe_kind kind;
	struct probe_attach *attach; /* empty for BEGIN/END */
	size_t nattach;
	/* BEGIN/END: the index of "BEGIN"/"END" in program.probe_names; provider
	 * probes: attach[0].name_id (each attachment has its own, see name_id).
	 * Set by compile_check. */
	size_t name_index;
};

#endif
