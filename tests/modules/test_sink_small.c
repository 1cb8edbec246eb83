/* An output sink whose table claims to end before close(): refused. */
#include <stddef.h>
#include <strobe/output.h>

static int out_open(const struct strobe_host *host, FILE *fp, const char *opts, void **sink)
{
	fputs("small sink opened\n", fp);
	return 0;
}

static const struct strobe_output_ops out_ops = {
	.abi = STROBE_OUTPUT_ABI,
	.size = offsetof(struct strobe_output_ops, close),
	.name = "small",
	.open = out_open,
};

STROBE_EXPORT const struct strobe_output_ops *strobe_output_entry(void);
STROBE_EXPORT const struct strobe_output_ops *strobe_output_entry(void)
{
	return &out_ops;
}
