/* printf format strings: parsed once by semantic analysis, rendered by the runtime. */
#ifndef STROBE_FMT_H
#define STROBE_FMT_H

#include <stddef.h>
#include <stdint.h>

enum fmt_class {
	FMT_INT,  /* d i u x X o c p, with length modifiers */
	FMT_STR,  /* s */
	FMT_BUF,  /* r rx rh */
	FMT_GFP,  /* gr: an integer's GFP flags by name */
};

struct fmt_spec {
	size_t start, end; /* byte span of the specifier in the format, '%' included */
	char conv;         /* 'd', 'u', 'x', 's', 'r', ... */
	char buf_mode;     /* %r: 0, %rx: 'x', %rh: 'h' */
	enum fmt_class cls;
	char cspec[32];    /* the specifier rewritten for the C library: "%-10s", "%5lld" */
	/*
	 * FMT_INT: the width C's printf reads the argument at, from the length
	 * modifier: 64 (l, ll, z, j, t), 32 (none), 16 (h), 8 (hh). bpftrace
	 * 0.17 hands its 64-bit values to printf as written, so "%d" of 2^32+5
	 * prints 5 and "%x" of -1 prints ffffffff; the runtime truncates the
	 * same way.
	 */
	uint8_t int_bits;
};

/*
 * Parse fmt. Returns the number of specifiers (filling up to max), or -1
 * with a message in err ("printf: Unknown format string token: %f").
 * "%%" is not a specifier.
 */
int fmt_parse(const char *fmt, struct fmt_spec *specs, size_t max, char *err, size_t errlen);

#endif
