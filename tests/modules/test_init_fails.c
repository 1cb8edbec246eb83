/* A provider whose init() fails: the registry must refuse it with the reason, once. */
#include <errno.h>
#include <strobe/provider.h>

static int if_init(const struct strobe_host *host, void **st)
{
	return -EACCES;
}
static int if_list(void *st, const char *type, const char *glob, bool verbose, strobe_list_fn fn,
		   void *ctx)
{
	return -EFAULT; /* never called */
}
static int if_resolve(void *st, const char *type, const char *target, struct strobe_resolver *r)
{
	return -EFAULT;
}
static int if_attach(void *st, const struct strobe_attach_req *req, struct strobe_link **out,
		     char *errbuf, size_t errlen)
{
	return -EFAULT;
}
static void if_detach(void *st, struct strobe_link *link) {}

static const struct strobe_provider_ops if_ops = {
	.abi = STROBE_PROVIDER_ABI,
	.size = sizeof(struct strobe_provider_ops),
	.name = "initfails",
	.init = if_init,
	.list = if_list,
	.resolve = if_resolve,
	.attach = if_attach,
	.detach = if_detach,
};

STROBE_EXPORT const struct strobe_provider_ops *strobe_provider_entry(void);
STROBE_EXPORT const struct strobe_provider_ops *strobe_provider_entry(void)
{
	return &if_ops;
}
