/*
 * Resolving attach points: the strobe_resolver table a provider fills with
 * attachments, their arguments and how they are dispatched and attached.
 */
#include "registry_internal.h"

#include "child.h"

#include <errno.h>
#include <linux/bpf.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* The resolver handed to a provider: collects attachments, then appends them. */
struct strobe_attachment {
	size_t index; /* into resolve_ctx.items */
	size_t cap;   /* of the args array */
	struct strobe_arg *args;
};

struct resolve_ctx {
	struct strobe_resolver r; /* first: the provider sees only this */
	struct provider *p;
	const char *type;
	struct arena *a;
	struct diags *d;
	const struct loc *loc;
	struct probe_attach *items;
	size_t n, cap;
	unsigned nerrors;
};

static const char *arena_strdup_or_null(struct arena *a, const char *s)
{
	return s ? arena_strdup(a, s) : NULL;
}

static struct strobe_attachment *resolver_add(struct strobe_resolver *r, const char *name,
					      const char *target, int prog_type, unsigned builtins)
{
	struct resolve_ctx *c = (struct resolve_ctx *)r;
	if (!name || !target)
		return NULL;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 8;
		c->items = realloc(c->items, c->cap * sizeof(*c->items));
		if (!c->items)
			abort();
	}
	struct probe_attach *pa = &c->items[c->n];
	memset(pa, 0, sizeof(*pa));
	pa->name = arena_strdup(c->a, name);
	pa->type = c->type;
	pa->target = arena_strdup(c->a, target);
	pa->prog_type = prog_type;
	pa->builtins = builtins;
	pa->provider = c->p;
	struct strobe_attachment *h = arena_zalloc(c->a, sizeof(*h));
	h->index = c->n++;
	return h;
}

static int resolver_add_arg(struct strobe_resolver *r, struct strobe_attachment *h,
			    const struct strobe_arg *arg)
{
	struct resolve_ctx *c = (struct resolve_ctx *)r;
	if (!h || !arg || !arg->name || (arg->kind == STROBE_ARG_STR_LEN && !arg->length))
		return -EINVAL;
	struct probe_attach *pa = &c->items[h->index];
	if (pa->nargs == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 8;
		h->args = arena_grow(c->a, h->args, pa->nargs, cap, sizeof(*h->args));
		h->cap = cap;
	}
	struct strobe_arg *dst = &h->args[pa->nargs++];
	/* Fields appended to strobe_arg are read only for the kinds that define them,
	 * so a provider built before they existed is never read past its struct. */
	memset(dst, 0, sizeof(*dst));
	memcpy(dst, arg, offsetof(struct strobe_arg, index_reg));
	if (arg->loc == STROBE_LOC_REG_INDEX_MEM || arg->kind == STROBE_ARG_STR_LEN) {
		dst->index_reg = arg->index_reg;
		dst->scale = arg->scale;
	}
	if (arg->kind == STROBE_ARG_STR_LEN)
		dst->length = arena_strdup(c->a, arg->length);
	dst->name = arena_strdup(c->a, arg->name);
	dst->ctype = arena_strdup_or_null(c->a, arg->ctype);
	dst->pointee = arena_strdup_or_null(c->a, arg->pointee);
	pa->args = h->args;
	return 0;
}

static int resolver_set_dispatch(struct strobe_resolver *r, struct strobe_attachment *h,
				 const struct strobe_dispatch *d)
{
	struct resolve_ctx *c = (struct resolve_ctx *)r;
	if (!h || !d || d->size < offsetofend(struct strobe_dispatch, task_mask) || !d->shared ||
	    !*d->shared || d->value >= STROBE_DISPATCH_MAX_VALUE || d->ctx_offset % 8)
		return -EINVAL;
	struct probe_attach *pa = &c->items[h->index];
	pa->dispatch = *d;
	pa->dispatch.size = sizeof(pa->dispatch);
	pa->dispatch.shared = arena_strdup(c->a, d->shared);
	return 0;
}

static int resolver_set_btf_target(struct strobe_resolver *r, struct strobe_attachment *h,
				   const struct strobe_btf_target *t)
{
	struct resolve_ctx *c = (struct resolve_ctx *)r;
	if (!h || !t || t->size < offsetofend(struct strobe_btf_target, hint) || !t->func ||
	    !*t->func || (t->attach_type != BPF_TRACE_FENTRY && t->attach_type != BPF_TRACE_FEXIT))
		return -EINVAL;
	struct probe_attach *pa = &c->items[h->index];
	if (pa->prog_type != BPF_PROG_TYPE_TRACING)
		return -EINVAL;
	pa->btf_target = *t;
	pa->btf_target.size = sizeof(pa->btf_target);
	pa->btf_target.func = arena_strdup(c->a, t->func);
	pa->btf_target.module = arena_strdup_or_null(c->a, t->module);
	pa->btf_target.hint = arena_strdup_or_null(c->a, t->hint);
	return 0;
}

static int resolver_set_multi(struct strobe_resolver *r, struct strobe_attachment *h,
			      int attach_type)
{
	struct resolve_ctx *c = (struct resolve_ctx *)r;
	if (!h || attach_type <= 0)
		return -EINVAL;
	c->items[h->index].multi_attach_type = attach_type;
	return 0;
}

static int resolver_set_newest_first(struct strobe_resolver *r, struct strobe_attachment *h)
{
	struct resolve_ctx *c = (struct resolve_ctx *)r;
	if (!h)
		return -EINVAL;
	c->items[h->index].newest_first = true;
	return 0;
}

/* A provider's message, located at the attach point. */
static void report(struct strobe_resolver *r, bool error, const char *fmt, va_list ap)
{
	struct resolve_ctx *c = (struct resolve_ctx *)r;
	char msg[1024];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (error) {
		diag_error(c->d, c->loc, "%s", msg);
		c->nerrors++;
	} else {
		diag_warning(c->d, c->loc, "%s", msg);
	}
}

static void resolver_error(struct strobe_resolver *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(r, true, fmt, ap);
	va_end(ap);
}

static void resolver_warning(struct strobe_resolver *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	report(r, false, fmt, ap);
	va_end(ap);
}

void registry_set_target_pid(struct registry *reg, int pid)
{
	reg->target_pid = pid > 0 ? pid : -1;
}

void registry_set_target_cmd(struct registry *reg, char **argv)
{
	child_free_words(reg->cmd_argv);
	reg->cmd_argv = argv;
}

int provider_resolve(struct provider *p, const char *type, const char *target, struct arena *a,
		     struct probe_attach **attach, size_t *nattach, struct diags *d,
		     const struct loc *loc)
{
	struct module *m = p->mod;
	const char *why = module_load(p->reg, m);
	if (why) {
		diag_error(d, loc, "%s", why);
		return -ENOENT;
	}
	struct resolve_ctx c = {
		.r = { .size = sizeof(struct strobe_resolver),
		       .add = resolver_add,
		       .add_arg = resolver_add_arg,
		       .error = resolver_error,
		       .warning = resolver_warning,
		       .set_dispatch = resolver_set_dispatch,
		       .pid = p->reg->target_pid,
		       .set_btf_target = resolver_set_btf_target,
		       .set_multi = resolver_set_multi,
		       .set_newest_first = resolver_set_newest_first,
		       .cmd_argv = (const char *const *)p->reg->cmd_argv },
		.p = p,
		.type = arena_strdup(a, type ? type : p->name),
		.a = a,
		.d = d,
		.loc = loc,
	};
	int err = m->pops.resolve(m->st, c.type, target ? target : "", &c.r);
	if (err < 0 || c.nerrors) {
		if (!c.nerrors)
			diag_error(d, loc, "invalid %s probe '%s': %s", c.type, target ? target : "",
				   strerror(err < 0 ? -err : EINVAL));
		free(c.items);
		return err < 0 ? err : -EINVAL;
	}
	if (c.n == 0) {
		free(c.items);
		/* bpftrace drops a wildcard that matches nothing (tools list variants such as
		 * kprobe:f.constprop.* that a kernel may lack); the driver reports it when
		 * nothing is left to attach */
		if (target && strpbrk(target, "*?["))
			return 1;
		diag_error(d, loc, "%s:%s matched no probes", c.type, target ? target : "");
		return -ENOENT;
	}
	struct probe_attach *grown = arena_grow(a, *attach, *nattach, *nattach + c.n, sizeof(**attach));
	memcpy(grown + *nattach, c.items, c.n * sizeof(*c.items));
	*attach = grown;
	*nattach += c.n;
	free(c.items);
	return 0;
}

/* One diagnostic of a scratch list into d, as sev, its message followed by suffix. */
static void diag_copy(struct diags *d, const struct diag *g, enum diag_severity sev, const char *suffix)
{
	struct diag *c = sev == DIAG_ERROR ? diag_error(d, &g->loc, "%s%s", g->msg, suffix)
					   : diag_warning(d, &g->loc, "%s%s", g->msg, suffix);
	if (g->hint)
		diag_hint(d, c, "%s", g->hint);
}

int provider_resolve_or_skip(struct provider *p, const char *type, const char *target, struct arena *a,
			     struct probe_attach **attach, size_t *nattach, struct diags *d,
			     const struct loc *loc, bool warn)
{
	struct diags scratch;
	diags_init(&scratch, d->src);
	int rc = provider_resolve(p, type, target, a, attach, nattach, &scratch, loc);
	bool skip = rc == -ENOENT;
	for (const struct diag *g = scratch.head; g; g = g->next) {
		if (!skip || g->severity != DIAG_ERROR)
			diag_copy(d, g, g->severity, "");
		else if (warn)
			diag_copy(d, g, DIAG_WARNING, "; skipped (missing_probes = warn)");
	}
	diags_release(&scratch);
	return skip ? 1 : rc;
}
