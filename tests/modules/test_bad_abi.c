/* A provider built for a future ABI: the registry must refuse it. */
#include <strobe/provider.h>

static int bad_list(void *st, const char *type, const char *glob, bool verbose, strobe_list_fn fn,
		    void *ctx)
{
	return 0;
}
static int bad_resolve(void *st, const char *type, const char *target, struct strobe_resolver *r)
{
	return 0;
}
static int bad_attach(void *st, const struct strobe_attach_req *req, struct strobe_link **out,
		      char *errbuf, size_t errlen)
{
	return -1;
}
static void bad_detach(void *st, struct strobe_link *link) {}

static const struct strobe_provider_ops bad_ops = {
	.abi = STROBE_PROVIDER_ABI + 98,
	.size = sizeof(struct strobe_provider_ops),
	.name = "badabi",
	.list = bad_list,
	.resolve = bad_resolve,
	.attach = bad_attach,
	.detach = bad_detach,
};

STROBE_EXPORT const struct strobe_provider_ops *strobe_provider_entry(void);
STROBE_EXPORT const struct strobe_provider_ops *strobe_provider_entry(void)
{
	return &bad_ops;
}
