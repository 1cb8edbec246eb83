/* x86-64 SDT argument specs (see usdt_args.h). */
#include "usdt_args.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* struct pt_regs slots: r15 r14 r13 r12 bp bx r11 r10 r9 r8 ax cx dx si di orig_ax ip cs flags sp ss */
enum { R15, R14, R13, R12, RBP, RBX, R11, R10, R9, R8, RAX, RCX, RDX, RSI, RDI, ORIG_RAX, RIP,
       CS, EFLAGS, RSP, SS };

static const struct {
	const char *names[4]; /* 64, 32, 16, 8 bits */
	int slot;
} regs[] = {
	{ { "rax", "eax", "ax", "al" }, RAX }, { { "rbx", "ebx", "bx", "bl" }, RBX },
	{ { "rcx", "ecx", "cx", "cl" }, RCX }, { { "rdx", "edx", "dx", "dl" }, RDX },
	{ { "rsi", "esi", "si", "sil" }, RSI }, { { "rdi", "edi", "di", "dil" }, RDI },
	{ { "rbp", "ebp", "bp", "bpl" }, RBP }, { { "rsp", "esp", "sp", "spl" }, RSP },
	{ { "r8", "r8d", "r8w", "r8b" }, R8 },	{ { "r9", "r9d", "r9w", "r9b" }, R9 },
	{ { "r10", "r10d", "r10w", "r10b" }, R10 }, { { "r11", "r11d", "r11w", "r11b" }, R11 },
	{ { "r12", "r12d", "r12w", "r12b" }, R12 }, { { "r13", "r13d", "r13w", "r13b" }, R13 },
	{ { "r14", "r14d", "r14w", "r14b" }, R14 }, { { "r15", "r15d", "r15w", "r15b" }, R15 },
	{ { "rip", "eip", "ip", NULL }, RIP },
};

int usdt_reg_number(const char *name)
{
	for (size_t i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
		for (int w = 0; w < 4; w++)
			if (regs[i].names[w] && !strcmp(regs[i].names[w], name))
				return regs[i].slot;
	return -1;
}

/* "%name" at *p (stops at ',' ')' or the end); advances *p. */
static int parse_reg(const char **p, char *err, size_t errlen)
{
	const char *s = *p;
	if (*s != '%') {
		snprintf(err, errlen, "expected a register at '%s'", s);
		return -1;
	}
	s++;
	char name[8];
	size_t n = 0;
	while (isalnum((unsigned char)s[n]) && n < sizeof(name) - 1)
		n++;
	memcpy(name, s, n);
	name[n] = '\0';
	int r = usdt_reg_number(name);
	if (r < 0) {
		if (!strcmp(name, "ah") || !strcmp(name, "bh") || !strcmp(name, "ch") || !strcmp(name, "dh"))
			snprintf(err, errlen, "high-byte register %%%s is not supported", name);
		else
			snprintf(err, errlen, "unknown register %%%s", name);
		return -1;
	}
	*p = s + n;
	return r;
}

/* A displacement: numbers and at most one symbol joined by + and -. */
static int parse_disp(const char *s, size_t len, int64_t *num, char *sym, size_t symlen, char *err,
		      size_t errlen)
{
	*num = 0;
	sym[0] = '\0';
	size_t i = 0;
	while (i < len) {
		int sign = 1;
		while (i < len && (s[i] == '+' || s[i] == '-')) {
			if (s[i] == '-')
				sign = -sign;
			i++;
		}
		if (i == len)
			break;
		if (isdigit((unsigned char)s[i])) {
			char buf[32];
			size_t k = 0;
			while (i < len && isalnum((unsigned char)s[i]) && k < sizeof(buf) - 1)
				buf[k++] = s[i++];
			buf[k] = '\0';
			char *end;
			errno = 0;
			unsigned long long v = strtoull(buf, &end, 0);
			if (errno || *end) {
				snprintf(err, errlen, "invalid displacement '%.*s'", (int)len, s);
				return -EINVAL;
			}
			*num += sign * (int64_t)v;
		} else if (isalpha((unsigned char)s[i]) || s[i] == '_' || s[i] == '.') {
			size_t k = 0;
			if (sym[0] || sign < 0) {
				snprintf(err, errlen, "unsupported symbolic displacement '%.*s'", (int)len, s);
				return -EINVAL;
			}
			while (i < len && (isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '.' ||
					   s[i] == '$' || s[i] == '@')) {
				if (k + 1 < symlen)
					sym[k++] = s[i];
				i++;
			}
			sym[k] = '\0';
		} else {
			snprintf(err, errlen, "invalid displacement '%.*s'", (int)len, s);
			return -EINVAL;
		}
	}
	return 0;
}

int usdt_parse_arg(const char *spec, struct usdt_arg *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	struct strobe_arg *a = &out->a;
	a->kind = STROBE_ARG_INT;
	a->reg = -1;
	a->index_reg = -1;
	a->size = 8;
	a->user = true;
	const char *op = spec;
	const char *at = strchr(spec, '@');
	if (at) {
		const char *s = spec;
		if (*s == '-') {
			a->is_signed = true;
			s++;
		} else if (*s == '+') {
			s++;
		}
		char *end;
		unsigned long n = strtoul(s, &end, 10);
		if (end != at || (n != 1 && n != 2 && n != 4 && n != 8)) {
			snprintf(err, errlen, "invalid argument size in '%s'", spec);
			return -EINVAL;
		}
		a->size = (uint32_t)n;
		op = at + 1;
	}
	if (*op == '%') {
		int r = parse_reg(&op, err, errlen);
		if (r < 0)
			return -EINVAL;
		if (*op) {
			snprintf(err, errlen, "trailing text after the register in '%s'", spec);
			return -EINVAL;
		}
		a->loc = STROBE_LOC_REG;
		a->reg = r;
		return 0;
	}
	if (*op == '$') {
		char *end;
		errno = 0;
		long long v = strtoll(op + 1, &end, 0);
		if (errno || end == op + 1 || *end) {
			/* an unsigned 64-bit immediate */
			errno = 0;
			v = (long long)strtoull(op + 1, &end, 0);
			if (errno || end == op + 1 || *end) {
				snprintf(err, errlen, "invalid immediate in '%s'", spec);
				return -EINVAL;
			}
		}
		a->loc = STROBE_LOC_CONST;
		a->value = v;
		return 0;
	}
	/* Memory: [disp](base[,index[,scale]]) or a bare displacement. */
	const char *paren = strchr(op, '(');
	size_t dlen = paren ? (size_t)(paren - op) : strlen(op);
	int64_t disp;
	if (!paren && !dlen) {
		snprintf(err, errlen, "empty operand in '%s'", spec);
		return -EINVAL;
	}
	if (parse_disp(op, dlen, &disp, out->sym, sizeof(out->sym), err, errlen))
		return -EINVAL;
	if (disp < INT32_MIN || disp > INT32_MAX) {
		snprintf(err, errlen, "displacement out of range in '%s'", spec);
		return -EINVAL;
	}
	a->offset = (int32_t)disp;
	int base = -1, index = -1;
	uint32_t scale = 1;
	if (paren) {
		const char *p = paren + 1;
		if (*p != ',') {
			if ((base = parse_reg(&p, err, errlen)) < 0)
				return -EINVAL;
		}
		if (*p == ',') {
			p++;
			if ((index = parse_reg(&p, err, errlen)) < 0)
				return -EINVAL;
			if (*p == ',') {
				p++;
				char *end;
				unsigned long sc = strtoul(p, &end, 10);
				if (end == p || (sc != 1 && sc != 2 && sc != 4 && sc != 8)) {
					snprintf(err, errlen, "invalid scale in '%s'", spec);
					return -EINVAL;
				}
				scale = (uint32_t)sc;
				p = end;
			}
		}
		if (*p != ')' || p[1]) {
			snprintf(err, errlen, "invalid memory operand '%s'", spec);
			return -EINVAL;
		}
		if (index == RIP) {
			snprintf(err, errlen, "%%rip cannot be an index register in '%s'", spec);
			return -EINVAL;
		}
	}
	if (base == RIP) {
		if (index >= 0) {
			snprintf(err, errlen, "invalid memory operand '%s'", spec);
			return -EINVAL;
		}
		out->rip = true;
	}
	if (index >= 0 || base < 0) {
		a->loc = STROBE_LOC_REG_INDEX_MEM;
		a->reg = base;
		a->index_reg = index;
		a->scale = scale;
	} else {
		a->loc = STROBE_LOC_REG_MEM;
		a->reg = base;
	}
	return 0;
}

int usdt_parse_args(const char *spec, struct usdt_arg *out, int max, char *err, size_t errlen)
{
	int n = 0;
	const char *p = spec ? spec : "";
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		const char *end = p;
		while (*end && !isspace((unsigned char)*end))
			end++;
		if (n == max) {
			snprintf(err, errlen, "more than %d arguments", max);
			return -E2BIG;
		}
		char tok[256];
		if ((size_t)(end - p) >= sizeof(tok)) {
			snprintf(err, errlen, "argument too long: '%.40s...'", p);
			return -EINVAL;
		}
		memcpy(tok, p, (size_t)(end - p));
		tok[end - p] = '\0';
		int e = usdt_parse_arg(tok, &out[n], err, errlen);
		if (e)
			return e;
		n++;
		p = end;
	}
	return n;
}
