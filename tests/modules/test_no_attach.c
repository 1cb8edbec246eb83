/* A provider that forgot its required attach() callback. */
#include <strobe/provider.h>

static int na_list(void *st, const char *type, const char *glob, bool verbose, strobe_list_fn fn,
		   void *ctx)
{
	return 0;
}
static int na_resolve(void *st, const char *type, const char *target, struct strobe_resolver *r)
{
	return 0;
}
static void na_detach(void *st, struct strobe_link *link) {}

static const struct strobe_provider_ops na_ops = {
	.abi = STROBE_PROVIDER_ABI,
	.size = sizeof(struct strobe_provider_ops),
	.name = "noattach",
	.list = na_list,
	.resolve = na_resolve,
	.detach = na_detach,
};

STROBE_EXPORT const struct strobe_provider_ops *strobe_provider_entry(void);
STROBE_EXPORT const struct strobe_provider_ops *strobe_provider_entry(void)
{
	return &na_ops;
}
