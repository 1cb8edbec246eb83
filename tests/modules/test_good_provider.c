/*
 * A well-formed provider for the registry tests: type "fake" with probes
 * fake:a and fake:b. Targets "none" match nothing, "bad" is refused.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <strobe/provider.h>

static const struct strobe_arg fake_args[] = {
	{ .name = "x", .ctype = "int", .loc = STROBE_LOC_CTX, .kind = STROBE_ARG_INT, .offset = 8,
	  .size = 4, .is_signed = true },
	{ .name = "comm", .ctype = "char", .loc = STROBE_LOC_CTX, .kind = STROBE_ARG_ARRAY,
	  .offset = 12, .size = 16, .pointee = "char", .elem_size = 1, .count = 16 },
};
static const char *const fake_probes[] = { "a", "b" };

static int fake_init(const struct strobe_host *host, void **st)
{
	static int state = 42;
	*st = &state;
	return 0;
}

static int fake_list(void *st, const char *type, const char *glob, bool verbose, strobe_list_fn fn,
		     void *ctx)
{
	for (size_t i = 0; i < 2; i++) {
		if (glob && fnmatch(glob, fake_probes[i], 0))
			continue;
		char name[64];
		snprintf(name, sizeof(name), "%s:%s", type, fake_probes[i]);
		struct strobe_listing l = { .name = name, .args = fake_args, .nargs = 2 };
		if (fn(ctx, &l))
			break;
	}
	return 0;
}

static int fake_resolve(void *st, const char *type, const char *target, struct strobe_resolver *r)
{
	if (*(int *)st != 42)
		return -EFAULT; /* init() was not called */
	if (!strcmp(target, "bad")) {
		r->error(r, "bad target: %s", target);
		return -EINVAL;
	}
	if (!strcmp(target, "warn"))
		r->warning(r, "just a warning");
	for (size_t i = 0; i < 2; i++) {
		if (fnmatch(target, fake_probes[i], 0) && strcmp(target, "warn"))
			continue;
		char name[64];
		snprintf(name, sizeof(name), "%s:%s", type, fake_probes[i]);
		struct strobe_attachment *a = r->add(r, name, fake_probes[i], 7, STROBE_BUILTIN_ARGS);
		for (size_t j = 0; j < 2; j++)
			r->add_arg(r, a, &fake_args[j]);
		if (!strcmp(target, "warn"))
			break;
	}
	return 0;
}

struct fake_link {
	struct strobe_link base;
};

static int fake_attach(void *st, const struct strobe_attach_req *req, struct strobe_link **out,
		       char *errbuf, size_t errlen)
{
	if (!strcmp(req->target, "b")) {
		snprintf(errbuf, errlen, "cannot attach to %s", req->target);
		return -EPERM;
	}
	struct fake_link *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	l->base.nr_attached = 1;
	*out = &l->base;
	return 0;
}

static void fake_detach(void *st, struct strobe_link *link)
{
	free(link);
}

static const struct strobe_provider_ops fake_ops = {
	.abi = STROBE_PROVIDER_ABI,
	.size = sizeof(struct strobe_provider_ops),
	.name = "fake",
	.init = fake_init,
	.list = fake_list,
	.resolve = fake_resolve,
	.attach = fake_attach,
	.detach = fake_detach,
};

STROBE_EXPORT const struct strobe_provider_ops *strobe_provider_entry(void);
STROBE_EXPORT const struct strobe_provider_ops *strobe_provider_entry(void)
{
	return &fake_ops;
}
