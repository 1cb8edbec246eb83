/* An output sink built for another ABI: the registry must refuse it. */
#include <strobe/output.h>

static int out_open(const struct strobe_host *host, FILE *fp, const char *opts, void **sink)
{
	fputs("bad-abi sink opened\n", fp);
	return 0;
}

static void out_close(void *sink) {}

static const struct strobe_output_ops out_ops = {
	.abi = STROBE_OUTPUT_ABI + 98,
	.size = sizeof(struct strobe_output_ops),
	.name = "badabi",
	.open = out_open,
	.close = out_close,
};

STROBE_EXPORT const struct strobe_output_ops *strobe_output_entry(void);
STROBE_EXPORT const struct strobe_output_ops *strobe_output_entry(void)
{
	return &out_ops;
}
