/*
 * x86-64 SystemTap SDT argument specs ("-4@%eax 8@-8(%rbp) -1@$5
 * 4@8(%rsp,%rax,4) 8@counter(%rip)") into strobe argument locations.
 */
#ifndef STROBE_USDT_ARGS_H
#define STROBE_USDT_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#include <strobe/provider.h>

#define USDT_MAX_ARGS 32 /* bpftrace 0.17 allowed 12; sys/sdt.h defines up to 12 */

struct usdt_arg {
	struct strobe_arg a; /* loc, size, is_signed, reg, offset, value, index_reg, scale */
	char sym[128];       /* a symbol in the displacement ("counter", "12+table"), or "" */
	bool rip;            /* base register %rip: the provider rebases to the probe address */
};

/* pt_regs register number of an x86-64 register name without '%' ("eax", "r8d"); -1 if unknown. */
int usdt_reg_number(const char *name);

/* Parse one argument spec; 0, or -EINVAL with err set. */
int usdt_parse_arg(const char *spec, struct usdt_arg *out, char *err, size_t errlen);

/* Parse a whole argument string; the number of arguments, or -EINVAL/-E2BIG with err set. */
int usdt_parse_args(const char *spec, struct usdt_arg *out, int max, char *err, size_t errlen);

#endif
