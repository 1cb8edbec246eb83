/*
 * A provider whose callbacks fail in the ways a careless module might:
 * every failure must become a clear error, never a crash.
 *
 *	resolve "silent"  returns -EIO without calling error()
 *	resolve "empty"   returns 0 without adding anything (expands to zero probes)
 *	resolve "half"    adds one probe, then reports an error
 *	attach  "quiet"   fails with -EBUSY and leaves errbuf empty
 *	attach  other     fails with a message
 *	list              reports one probe, then fails with -EIO
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <strobe/provider.h>

static int fp_list(void *st, const char *type, const char *glob, bool verbose, strobe_list_fn fn,
		   void *ctx)
{
	char name[64];
	snprintf(name, sizeof(name), "%s:one", type);
	struct strobe_listing l = { .name = name };
	fn(ctx, &l);
	return -EIO;
}

static int fp_resolve(void *st, const char *type, const char *target, struct strobe_resolver *r)
{
	if (!strcmp(target, "silent"))
		return -EIO;
	if (!strcmp(target, "empty"))
		return 0;
	if (!strcmp(target, "half")) {
		r->add(r, "failing:half", "half", 1, 0);
		r->error(r, "half of %s went wrong", target);
		return -EINVAL;
	}
	r->add(r, "failing:ok", target, 1, 0);
	return 0;
}

static int fp_attach(void *st, const struct strobe_attach_req *req, struct strobe_link **out,
		     char *errbuf, size_t errlen)
{
	if (!strcmp(req->target, "quiet"))
		return -EBUSY;
	snprintf(errbuf, errlen, "the device for %s is gone", req->target);
	return -ENODEV;
}

static void fp_detach(void *st, struct strobe_link *link) {}

static const struct strobe_provider_ops fp_ops = {
	.abi = STROBE_PROVIDER_ABI,
	.size = sizeof(struct strobe_provider_ops),
	.name = "failing",
	.list = fp_list,
	.resolve = fp_resolve,
	.attach = fp_attach,
	.detach = fp_detach,
};

STROBE_EXPORT const struct strobe_provider_ops *strobe_provider_entry(void);
STROBE_EXPORT const struct strobe_provider_ops *strobe_provider_entry(void)
{
	return &fp_ops;
}
