/*
 * Output sinks: finding one by name, loading its module and opening it
 * on a stream.
 */
#include "registry_internal.h"

#include <errno.h>
#include <string.h>

int registry_output(struct registry *reg, const char *name, FILE *fp, const char *opts,
		    struct output *out, char *err, size_t errlen)
{
	struct provider *s = registry_find_section(reg->sections, SEC_OUTPUT, name);
	if (!s) {
		size_t off = (size_t)snprintf(err, errlen, "unknown output format '%s' (known:", name);
		const char *sep = " ";
		for (struct provider *q = reg->sections; q && off < errlen; q = q->next) {
			if (q->kind != SEC_OUTPUT)
				continue;
			off += (size_t)snprintf(err + off, errlen - off, "%s%s", sep, q->name);
			sep = ", ";
		}
		if (off < errlen)
			snprintf(err + off, errlen - off, ")");
		return -ENOENT;
	}
	const char *why = module_load(reg, s->mod);
	if (why) {
		snprintf(err, errlen, "%s", why);
		return -ENOENT;
	}
	void *sink = NULL;
	int e = s->mod->oops.open(reg->host, fp, opts, &sink);
	if (e < 0) {
		snprintf(err, errlen, "output '%s' failed to open: %s", name, strerror(-e));
		return e;
	}
	out->ops = &s->mod->oops;
	out->sink = sink;
	return 0;
}

void output_close(struct output *out)
{
	if (out->ops)
		out->ops->close(out->sink);
	out->ops = NULL;
	out->sink = NULL;
}
