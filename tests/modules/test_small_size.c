/* A provider whose table claims to end before the required callbacks. */
#include <stddef.h>
#include <strobe/provider.h>

static const struct strobe_provider_ops small_ops = {
	.abi = STROBE_PROVIDER_ABI,
	.size = offsetof(struct strobe_provider_ops, list),
	.name = "small",
};

STROBE_EXPORT const struct strobe_provider_ops *strobe_provider_entry(void);
STROBE_EXPORT const struct strobe_provider_ops *strobe_provider_entry(void)
{
	return &small_ops;
}
