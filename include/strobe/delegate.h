/* SPDX-License-Identifier: MIT */
/*
 * Probes of a runtime over another provider's events: a provider that
 * offers `python:function__entry` with typed, named arguments resolves,
 * attaches and detaches through the registered `usdt` provider
 * (strobe_host.provider) and renames and retypes what it adds. Header only:
 * a module built against an installed strobe (pkg-config strobe) gets it
 * with the rest of the ABI. providers/python and providers/jvm use it;
 * docs/providers.md walks through the python one.
 *
 * A typed probe lists the base probe's arguments in order: argument k of the
 * base event becomes args.<args[k].name>, of kind args[k].kind (INT keeps
 * the base's size and sign; STR and STR_LEN read a string from the traced
 * process through the pointer the base argument holds).
 */
#ifndef STROBE_DELEGATE_H
#define STROBE_DELEGATE_H

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <strobe/provider.h>

#define STROBE_TYPED_MAX_ARGS 8

struct strobe_typed_arg {
	const char *name;  /* "filename" */
	const char *ctype; /* for -lv: "string", "int32" */
	enum strobe_arg_kind kind;
	const char *length; /* STROBE_ARG_STR_LEN: the argument holding the length */
};

struct strobe_typed_probe {
	const char *name; /* the base probe's name: "function__entry" */
	size_t nargs;
	struct strobe_typed_arg args[STROBE_TYPED_MAX_ARGS];
};

/* The resolver handed to the base provider: forwards to `outer`, typed. */
struct strobe_typed_resolver {
	struct strobe_resolver r; /* first */
	struct strobe_resolver *outer;
	const char *name; /* the attachments' probe name: "python:function__entry" */
	const struct strobe_typed_probe *def;
	struct strobe_attachment *last;
	size_t argi;     /* arguments added to `last` */
	char error[512]; /* the base provider's first error, reported by the caller */
};

static inline struct strobe_attachment *strobe_typed_add(struct strobe_resolver *r, const char *name,
							 const char *target, int prog_type,
							 unsigned builtins)
{
	struct strobe_typed_resolver *t = (struct strobe_typed_resolver *)r;
	(void)name;
	(void)builtins; /* args.NAME replaces the base's argN */
	t->argi = 0;
	return t->last = t->outer->add(t->outer, t->name, target, prog_type, STROBE_BUILTIN_ARGS);
}

static inline int strobe_typed_add_arg(struct strobe_resolver *r, struct strobe_attachment *a,
				       const struct strobe_arg *arg)
{
	struct strobe_typed_resolver *t = (struct strobe_typed_resolver *)r;
	if (t->argi >= t->def->nargs)
		return 0; /* more base arguments than the typed probe knows: not offered */
	const struct strobe_typed_arg *d = &t->def->args[t->argi++];
	struct strobe_arg typed = *arg;
	typed.name = d->name;
	typed.ctype = d->ctype;
	if (d->kind == STROBE_ARG_STR || d->kind == STROBE_ARG_STR_LEN) {
		typed.kind = d->kind;
		typed.size = 8;
		typed.user = true;
		typed.length = d->length;
		if (arg->loc != STROBE_LOC_REG_INDEX_MEM) {
			typed.index_reg = -1;
			typed.scale = 1;
		}
	}
	return t->outer->add_arg(t->outer, a, &typed);
}

static inline void strobe_typed_error(struct strobe_resolver *r, const char *fmt, ...)
	STROBE_PRINTF(2, 3);
static inline void strobe_typed_error(struct strobe_resolver *r, const char *fmt, ...)
{
	struct strobe_typed_resolver *t = (struct strobe_typed_resolver *)r;
	if (t->error[0])
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(t->error, sizeof(t->error), fmt, ap);
	va_end(ap);
}

static inline void strobe_typed_warning(struct strobe_resolver *r, const char *fmt, ...)
	STROBE_PRINTF(2, 3);
static inline void strobe_typed_warning(struct strobe_resolver *r, const char *fmt, ...)
{
	struct strobe_typed_resolver *t = (struct strobe_typed_resolver *)r;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	t->outer->warning(t->outer, "%s", msg);
}

static inline int strobe_typed_newest_first(struct strobe_resolver *r, struct strobe_attachment *a)
{
	struct strobe_typed_resolver *t = (struct strobe_typed_resolver *)r;
	strobe_newest_first(t->outer, a);
	return 0;
}

/* The base provider a typed provider works through, looked up once (main thread). */
struct strobe_base {
	const char *type; /* "usdt" */
	const struct strobe_provider_ops *ops;
	void *st;
};

/* 0, or -ENOENT with why set: the core lends no providers, or type is not registered. */
static inline int strobe_base_get(const struct strobe_host *h, struct strobe_base *b,
				  const char *type, const char **why)
{
	if (b->ops)
		return 0;
	b->type = type;
	if (h->size < offsetofend(struct strobe_host, provider) || !h->provider)
		*why = "this strobe is too old to lend providers (strobe_host.provider)";
	else if (!(b->ops = h->provider(type, &b->st)))
		*why = "the provider is not registered or failed to load";
	return b->ops ? 0 : -ENOENT;
}

/*
 * Resolve `target` through the base provider, adding its attachments to r
 * as `name` with def's typed arguments. 0, or -errno with t->error set: the
 * caller words the message.
 */
static inline int strobe_typed_resolve(const struct strobe_base *b, const char *target,
				       const char *name, const struct strobe_typed_probe *def,
				       struct strobe_resolver *r, struct strobe_typed_resolver *t)
{
	memset(t, 0, sizeof(*t));
	t->r.size = sizeof(t->r);
	t->r.add = strobe_typed_add;
	t->r.add_arg = strobe_typed_add_arg;
	t->r.error = strobe_typed_error;
	t->r.warning = strobe_typed_warning;
	t->r.pid = r->size >= offsetofend(struct strobe_resolver, pid) ? r->pid : -1;
	t->r.set_newest_first = strobe_typed_newest_first;
	t->outer = r;
	t->name = name;
	t->def = def;
	int err = b->ops->resolve(b->st, b->type, target, &t->r);
	if (!err && t->error[0])
		err = -EINVAL;
	return err;
}

/* attach() of a typed provider: the base provider's, with the target its add() gave. */
static inline int strobe_typed_attach(const struct strobe_base *b, const struct strobe_attach_req *req,
				      struct strobe_link **out, char *errbuf, size_t errlen)
{
	if (!b->ops) {
		snprintf(errbuf, errlen, "no %s provider to attach through", b->type);
		return -ENOENT;
	}
	struct strobe_attach_req base = *req;
	base.size = sizeof(base);
	base.type = b->type;
	return b->ops->attach(b->st, &base, out, errbuf, errlen);
}

/* Which of n typed probes the base lists under glob ("/usr/bin/python3.11:python:*"). */
struct strobe_typed_present {
	const struct strobe_typed_probe *defs;
	size_t n, count;
	bool *found;
};

static inline int strobe_typed_present_cb(void *ctx, const struct strobe_listing *l)
{
	struct strobe_typed_present *p = (struct strobe_typed_present *)ctx;
	const char *last = strrchr(l->name, ':');
	for (size_t i = 0; last && i < p->n; i++)
		if (!p->found[i] && !strcmp(last + 1, p->defs[i].name)) {
			p->found[i] = true;
			p->count++;
		}
	return 0;
}

/* The number of defs[] the base lists under glob; found[i] says which. */
static inline size_t strobe_typed_present(const struct strobe_base *b, const char *glob,
					  const struct strobe_typed_probe *defs, size_t n, bool *found)
{
	struct strobe_typed_present p = { .defs = defs, .n = n, .found = found };
	memset(found, 0, n * sizeof(*found));
	b->ops->list(b->st, b->type, glob, false, strobe_typed_present_cb, &p);
	return p.count;
}

/*
 * list(): whether the core lists every provider (strobe -l, no type named:
 * strobe_host.listing_all), where an unusable default target is a warning,
 * not an error. A core without the slot: a bare "*" glob.
 */
static inline bool strobe_listing_all(const struct strobe_host *h, const char *glob)
{
	if (h->size >= offsetofend(struct strobe_host, listing_all) && h->listing_all)
		return h->listing_all();
	return !glob || !strcmp(glob, "*");
}

/* One -l line for a typed probe: name, and with verbose its typed arguments. */
static inline int strobe_typed_list(const char *name, const struct strobe_typed_probe *def, bool verbose,
				    strobe_list_fn fn, void *ctx)
{
	struct strobe_arg args[STROBE_TYPED_MAX_ARGS];
	memset(args, 0, sizeof(args));
	for (size_t i = 0; i < def->nargs; i++) {
		args[i].name = def->args[i].name;
		args[i].ctype = def->args[i].ctype;
		args[i].kind = def->args[i].kind;
	}
	struct strobe_listing l = { .name = name, .args = verbose ? args : NULL,
				    .nargs = verbose ? def->nargs : 0 };
	return fn(ctx, &l);
}

/* "PROBE" or "/path/to/binary:PROBE": the binary into bin ("" if none), the probe glob returned. */
static inline const char *strobe_typed_split(const char *target, char *bin, size_t len)
{
	const char *colon = strrchr(target, ':');
	bin[0] = '\0';
	if (!colon)
		return target;
	snprintf(bin, len, "%.*s", (int)(colon - target), target);
	return colon + 1;
}

/* The executable `name` in $PATH, into out. */
static inline bool strobe_find_in_path(const char *name, char *out, size_t len)
{
	const char *path = getenv("PATH");
	for (const char *d = path ? path : "/usr/bin:/bin"; d; d = strchr(d, ':') ? strchr(d, ':') + 1 : NULL) {
		int dlen = (int)strcspn(d, ":");
		snprintf(out, len, "%.*s/%s", dlen ? dlen : 1, dlen ? d : ".", name);
		if (access(out, X_OK) == 0)
			return true;
	}
	return false;
}

/* The probe name an attachment or listing line gets: TYPE:[EXPLICIT:]PROBE; false if too long. */
static inline bool strobe_typed_name(char *out, size_t len, const char *type, const char *explicit,
				     const char *probe)
{
	return snprintf(out, len, "%s:%s%s%s", type, explicit ? explicit : "",
			explicit && *explicit ? ":" : "", probe) < (int)len;
}

/* -l: every def the binary has (found[]) matching glob. */
static inline int strobe_typed_list_glob(const char *type, const char *explicit, const char *glob,
					 const struct strobe_typed_probe *defs, size_t n, const bool *found,
					 bool verbose, strobe_list_fn fn, void *ctx)
{
	for (size_t i = 0; i < n; i++) {
		if (!found[i] || fnmatch(glob, defs[i].name, 0))
			continue;
		char name[4096];
		if (strobe_typed_name(name, sizeof(name), type, explicit, defs[i].name) &&
		    strobe_typed_list(name, &defs[i], verbose, fn, ctx))
			break;
	}
	return 0;
}

/*
 * resolve(): every def matching glob, over the base probe "BIN:PROVIDER:NAME"
 * (bin "*" with r->pid: the files the process maps). found[] as from
 * strobe_typed_present; a probe the binary lacks is an error unless glob is
 * a wildcard. 0, or -errno after r->error().
 */
static inline int strobe_typed_resolve_glob(const struct strobe_base *b, const char *type,
					    const char *explicit, const char *bin,
					    const char *provider, const char *glob,
					    const struct strobe_typed_probe *defs, size_t n,
					    const bool *found, struct strobe_resolver *r)
{
	bool wild = strpbrk(glob, "*?[") != NULL, any = false;
	for (size_t i = 0; i < n; i++) {
		if (fnmatch(glob, defs[i].name, 0))
			continue;
		any = true;
		if (!found[i]) {
			if (wild)
				continue;
			r->error(r, "%s has no %s probe %s", bin, type, defs[i].name);
			return -ENOENT;
		}
		char base[4096], name[4096];
		if (snprintf(base, sizeof(base), "%s:%s:%s", bin, provider, defs[i].name) >= (int)sizeof(base) ||
		    !strobe_typed_name(name, sizeof(name), type, explicit, defs[i].name)) {
			r->error(r, "%s: path too long", bin);
			return -ENAMETOOLONG;
		}
		struct strobe_typed_resolver t;
		int e = strobe_typed_resolve(b, base, name, &defs[i], r, &t);
		if (e) {
			const char *why = t.error[0] ? t.error : strerror(-e);
			if (!strcmp(bin, "*"))
				r->error(r, "process %d maps no file with %s's probes (%s)", r->pid, type, why);
			else
				r->error(r, "%s", why);
			return e;
		}
	}
	if (!any) {
		r->error(r, "%s has no probe %s (strobe -l '%s:*' lists them)", type, glob, type);
		return -ENOENT;
	}
	return 0;
}

#endif
