/*
 * The output chain: what -f names, as one struct output the runtime calls.
 *
 *	-f text                  the text sink
 *	-f json                  the JSON sink
 *	-f lua:hooks.lua         the Lua filter, then text
 *	-f lua:hooks.lua,json    the Lua filter, then json
 *
 * A spec is a comma-separated list of sinks, each `name[:options]`. Every
 * record goes to the sinks in order; a filter (a sink with the chain slot)
 * can suppress the record for the sinks after it, and can fail the run. A
 * filter last in the list gets "text" appended. The chain also applies -q
 * (filters still see attached(); the sinks after them do not).
 */
#ifndef STROBE_OUTPUT_CHAIN_H
#define STROBE_OUTPUT_CHAIN_H

#include <stdbool.h>
#include <stdio.h>

#include "../registry.h"

/*
 * Open every sink of spec on fp and fill *out (its ops are the chain's).
 * On failure returns <0 with a message in err, or with err empty when a
 * sink already reported the reason.
 */
int output_chain_open(struct registry *reg, const char *spec, FILE *fp, bool quiet,
		      struct output *out, char *err, size_t errlen);
/* Does a sink of the chain record failing helpers itself (JSON)? Else the runtime prints them. */
bool output_chain_takes_helper_errors(const struct output *out);
/* Close every sink; returns -1 if a sink failed the run (exit non-zero), else 0. */
int output_chain_close(struct output *out);

#endif
