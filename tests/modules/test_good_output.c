/*
 * An output sink with only the required callbacks: the registry fills the
 * optional ones with no-ops. It writes "open"/"close" so tests can see it ran.
 */
#include <errno.h>
#include <stdio.h>

#include <strobe/output.h>

static int out_open(const struct strobe_host *host, FILE *fp, const char *opts, void **sink)
{
	fprintf(fp, "open %s\n", opts ? opts : "-");
	*sink = fp;
	return 0;
}

static void out_close(void *sink)
{
	fputs("close\n", sink);
}

static const struct strobe_output_ops out_ops = {
	.abi = STROBE_OUTPUT_ABI,
	.size = STROBE_OUTPUT_OPS_MIN_SIZE,
	.name = "fakeout",
	.open = out_open,
	.close = out_close,
};

STROBE_EXPORT const struct strobe_output_ops *strobe_output_entry(void);
STROBE_EXPORT const struct strobe_output_ops *strobe_output_entry(void)
{
	return &out_ops;
}
