/*
 * -l and -lv: the probes every matching provider offers, with their
 * arguments when verbose.
 */
#include "registry_internal.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

struct list_ctx {
	FILE *fp;
	const char *filter; /* full-name glob */
	bool verbose;
	size_t arg_size; /* of the provider's records */
	size_t count;
};

static void list_print_arg(FILE *fp, const struct strobe_arg *a)
{
	const char *ctype = a->ctype;
	if (!ctype) {
		switch (a->kind) {
		case STROBE_ARG_PTR:
			ctype = "void *";
			break;
		case STROBE_ARG_DATA_LOC:
			ctype = "__data_loc char[]";
			break;
		default:
			ctype = a->is_signed ? "int64" : "uint64";
			break;
		}
	}
	if (a->kind == STROBE_ARG_ARRAY && a->count)
		fprintf(fp, "    %s %s[%u]\n", ctype, a->name, a->count);
	else if (a->kind == STROBE_ARG_ARRAY)
		fprintf(fp, "    %s %s[]\n", ctype, a->name);
	else
		fprintf(fp, "    %s %s\n", ctype, a->name);
}

static int list_one(void *ctx, const struct strobe_listing *l)
{
	struct list_ctx *c = ctx;
	if (c->filter && fnmatch(c->filter, l->name, 0))
		return 0;
	fprintf(c->fp, "%s\n", l->name);
	/* Records of the provider's size: members it lacks read as zero. */
	for (size_t i = 0; c->verbose && l->args && i < l->nargs; i++) {
		struct strobe_arg a = { 0 };
		memcpy(&a, (const char *)l->args + i * c->arg_size,
		       c->arg_size < sizeof(a) ? c->arg_size : sizeof(a));
		list_print_arg(c->fp, &a);
	}
	c->count++;
	return 0;
}

/* all: a listing of every provider, not of p's type by name (strobe_host.listing_all) */
static int list_provider(struct registry *reg, struct provider *p, const char *glob,
			 const char *filter, bool verbose, bool all, FILE *fp, size_t *count)
{
	const char *why = module_load(reg, p->mod);
	if (why) {
		reg->host->log(STROBE_LOG_ERROR, "%s", why);
		return -ENOENT;
	}
	struct list_ctx c = { .fp = fp, .filter = filter, .verbose = verbose, .arg_size = p->mod->arg_size };
	reg->listing_all = all;
	int rc = p->mod->pops.list(p->mod->st, p->name, glob, verbose, list_one, &c);
	reg->listing_all = false;
	if (count)
		*count += c.count;
	return rc;
}

int registry_list(struct registry *reg, const char *pattern, bool verbose, FILE *fp, size_t *count)
{
	if (count)
		*count = 0;
	int first_err = 0;
	const char *colon = pattern ? strchr(pattern, ':') : NULL;
	if (colon) {
		char *type = strndup(pattern, (size_t)(colon - pattern));
		if (!type)
			return -ENOMEM;
		const char *rest = *(colon + 1) ? colon + 1 : "*";
		struct provider *p = strpbrk(type, "*?[")
					     ? NULL
					     : registry_find_section(reg->sections, SEC_PROVIDER, type);
		if (p) {
			/* An alias lists under the canonical name: t:sched:* is tracepoint:sched:*. */
			/* The provider applies the glob itself: it may list a resolved name
			 * (uprobe:libc:* lists uprobe:/lib/x86_64-linux-gnu/libc.so.6:...). */
			first_err = list_provider(reg, p, rest, NULL, verbose, false, fp, count);
		} else {
			for (struct provider *q = reg->sections; q; q = q->next) {
				if (q->kind != SEC_PROVIDER || fnmatch(type, q->name, FNM_CASEFOLD))
					continue;
				int e = list_provider(reg, q, rest, pattern, verbose, true, fp, count);
				if (e < 0 && !first_err)
					first_err = e;
			}
		}
		free(type);
		return first_err;
	}
	/* No type given: a glob over every full probe name. */
	char *filter = pattern && *pattern ? (strpbrk(pattern, "*?[") ? xstrdup(pattern)
								      : xasprintf("*%s*", pattern))
					   : NULL;
	for (struct provider *q = reg->sections; q; q = q->next) {
		if (q->kind != SEC_PROVIDER)
			continue;
		int e = list_provider(reg, q, "*", filter, verbose, true, fp, count);
		if (e < 0 && !first_err)
			first_err = e;
	}
	free(filter);
	return first_err;
}
