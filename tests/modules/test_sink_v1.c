/*
 * An output sink built against the first ABI 1 table (up to time(), before
 * the optional slots): accepted, the later slots are never called. It is
 * also a minimal filter-free sink: it prints what it gets, tagged.
 */
#include <stddef.h>
#include <stdlib.h>
#include <strobe/output.h>

static int out_open(const struct strobe_host *host, FILE *fp, const char *opts, void **sink)
{
	*sink = fp;
	fprintf(fp, "v1 open %s\n", opts ? opts : "-");
	return 0;
}

static void out_attached(void *sink, unsigned n)
{
	fprintf(sink, "v1 attached %u\n", n);
}

static void out_printf(void *sink, uint32_t id, const char *text, size_t len,
		       const struct strobe_value *args, size_t nargs)
{
	fprintf(sink, "v1 printf %u %zu args: %.*s", id, nargs, (int)len, text);
}

static void out_close(void *sink)
{
	fputs("v1 close\n", sink);
}

static const struct strobe_output_ops out_ops = {
	.abi = STROBE_OUTPUT_ABI,
	.size = offsetofend(struct strobe_output_ops, time),
	.name = "v1",
	.open = out_open,
	.attached = out_attached,
	.printf = out_printf,
	.close = out_close,
};

STROBE_EXPORT const struct strobe_output_ops *strobe_output_entry(void);
STROBE_EXPORT const struct strobe_output_ops *strobe_output_entry(void)
{
	return &out_ops;
}
