/*
 * Rendering printf() text from a ring-buffer payload, with the specs core/fmt.c
 * parsed, and the text of decoded values as %s prints them.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "runtime_internal.h"

void render_buffer(struct strbuf *out, char mode, const uint8_t *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		uint8_t c = data[i];
		if (mode == 'h')
			sb_addf(out, i ? " %02x" : "%02x", c);
		else if (mode == 0 && c >= 0x20 && c < 0x7f)
			sb_add(out, (const char *)&c, 1);
		else
			sb_addf(out, "\\x%02x", c);
	}
}

void render_value_text(struct strbuf *out, const struct strobe_value *v)
{
	switch (v->kind) {
	case STROBE_V_INT:
		sb_addf(out, "%lld", (long long)v->i);
		break;
	case STROBE_V_UINT:
		sb_addf(out, "%llu", (unsigned long long)v->u);
		break;
	case STROBE_V_BOOL:
		sb_addf(out, "%s", v->u ? "true" : "false");
		break;
	case STROBE_V_STR:
	case STROBE_V_BUF:
		sb_add(out, v->str.s, v->str.len);
		break;
	case STROBE_V_TUPLE:
	case STROBE_V_ARRAY:
		sb_add(out, v->kind == STROBE_V_TUPLE ? "(" : "[", 1);
		for (size_t i = 0; i < v->list.n; i++) {
			if (i)
				sb_add(out, v->kind == STROBE_V_TUPLE ? ", " : ",", v->kind == STROBE_V_TUPLE ? 2 : 1);
			render_value_text(out, &v->list.items[i]);
		}
		sb_add(out, v->kind == STROBE_V_TUPLE ? ")" : "]", 1);
		break;
	case STROBE_V_SYM:
		if (v->sym.name)
			sb_addf(out, "%s", v->sym.name);
		else if (!v->sym.addr)
			sb_add(out, "0", 1); /* bpftrace prints addresses as (void *): 0 is "0" */
		else
			sb_addf(out, "0x%llx", (unsigned long long)v->sym.addr);
		break;
	case STROBE_V_STACK:
		/* as the text sink prints a stack value (bpftrace 0.17's %s of a stack) */
		if (v->list.n)
			sb_add(out, "\n", 1);
		for (size_t i = 0; i < v->list.n; i++) {
			const struct strobe_value *f = &v->list.items[i];
			if (f->kind == STROBE_V_SYM && v->list.mode == STROBE_STACK_PERF) {
				sb_addf(out, "\t%llx %s", (unsigned long long)f->sym.addr,
					f->sym.name ? f->sym.name : "[unknown]");
				if (f->sym.module)
					sb_addf(out, " (%s)", f->sym.module);
			} else if (f->kind == STROBE_V_SYM && v->list.mode == STROBE_STACK_RAW) {
				sb_addf(out, "%llx", (unsigned long long)f->sym.addr);
			} else {
				sb_add(out, "        ", 8);
				render_value_text(out, f);
			}
			sb_add(out, "\n", 1);
		}
		break;
	case STROBE_V_STATS:
		sb_addf(out, "%lld", (long long)v->stats.average);
		break;
	default:
		break;
	}
}

/* Literal text between specifiers: "%%" prints one '%'. */
static void add_literal(struct strbuf *out, const char *s, size_t n)
{
	size_t from = 0;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '%' && i + 1 < n && s[i + 1] == '%') {
			sb_add(out, s + from, i + 1 - from);
			from = i + 2;
			i++;
		}
	}
	sb_add(out, s + from, n - from);
}

static long long int_bits(const struct strobe_value *v)
{
	switch (v->kind) {
	case STROBE_V_INT:
		return v->i;
	case STROBE_V_UINT:
	case STROBE_V_BOOL:
		return (long long)v->u;
	case STROBE_V_SYM:
		return (long long)v->sym.addr;
	case STROBE_V_STATS:
		return v->stats.average;
	default:
		return 0;
	}
}

/* The value C's printf would see for spec s (fmt.h int_bits): signed for d/i, else unsigned. */
static long long c_int_arg(const struct fmt_spec *s, long long v)
{
	bool sig = s->conv == 'd' || s->conv == 'i';
	switch (s->int_bits) {
	case 8: return sig ? (long long)(signed char)v : (long long)(unsigned char)v;
	case 16: return sig ? (long long)(short)v : (long long)(unsigned short)v;
	case 32: return sig ? (long long)(int)v : (long long)(unsigned int)v;
	default: return v;
	}
}

/* Decimal digits of v, without the C library (the hot path of printf delivery). */
static void add_decimal(struct strbuf *out, unsigned long long v, bool negative)
{
	char buf[24];
	char *p = buf + sizeof(buf);
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	if (negative)
		*--p = '-';
	sb_add(out, p, (size_t)(buf + sizeof(buf) - p));
}

static void render_spec(struct strbuf *out, const struct fmt_spec *s, const struct strobe_value *v,
			struct strbuf *tmp)
{
	/* no flags, width or precision: "%lld", "%llu", "%s" as fmt.c rewrites them */
	bool plain = s->cspec[1] == 'l' ? !strcmp(s->cspec + 2, "ld") || !strcmp(s->cspec + 2, "lu") || !strcmp(s->cspec + 2, "li")
					: !strcmp(s->cspec, "%s");
	switch (s->cls) {
	case FMT_INT:
		if (plain && s->conv != 'c' && s->conv != 'p') {
			long long x = c_int_arg(s, int_bits(v));
			bool neg = s->conv != 'u' && x < 0;
			unsigned long long mag = s->conv == 'u' ? (unsigned long long)x
								: neg ? 0ull - (unsigned long long)x : (unsigned long long)x;
			add_decimal(out, mag, neg);
		} else if (s->conv == 'c')
			sb_addf(out, s->cspec, (int)int_bits(v));
		else if (s->conv == 'p')
			sb_addf(out, s->cspec, (void *)(uintptr_t)int_bits(v));
		else
			sb_addf(out, s->cspec, c_int_arg(s, int_bits(v)));
		break;
	case FMT_STR:
		if (plain && v->kind == STROBE_V_STR) { /* as "%s" would: up to a NUL */
			sb_add(out, v->str.s, strnlen(v->str.s, v->str.len));
			break;
		}
		tmp->len = 0;
		sb_add(tmp, "", 0);
		render_value_text(tmp, v);
		sb_addf(out, s->cspec, tmp->s);
		break;
	case FMT_GFP: /* the names, then the spec's width and flags as %s */
		tmp->len = 0;
		sb_add(tmp, "", 0);
		gfp_flags_text(tmp, (uint64_t)int_bits(v));
		sb_addf(out, s->cspec, tmp->s);
		break;
	case FMT_BUF:
		if (v->kind == STROBE_V_BUF || v->kind == STROBE_V_STR)
			render_buffer(out, s->buf_mode, (const uint8_t *)v->str.s, v->str.len);
		else
			render_value_text(out, v);
		break;
	}
}

int printf_render(const struct prog_printf *pf, const struct fmt_spec *specs, size_t nspecs,
		  const uint8_t *payload, size_t len, struct strbuf *out, struct arena *a,
		  struct strobe_value *args)
{
	out->len = 0;
	sb_add(out, "", 0);
	for (uint32_t i = 0; i < pf->nargs; i++) {
		uint32_t size = pf->arg_types[i] ? pf->arg_types[i]->size : 0;
		if ((size_t)pf->arg_offsets[i] + size > len)
			return -EINVAL;
		value_decode(a, pf->arg_types[i], payload + pf->arg_offsets[i], &args[i]);
	}
	struct strbuf tmp = { 0 };
	size_t pos = 0;
	for (size_t i = 0; i < nspecs; i++) {
		add_literal(out, pf->fmt + pos, specs[i].start - pos);
		pos = specs[i].end;
		if (i < pf->nargs)
			render_spec(out, &specs[i], &args[i], &tmp);
		else /* sema checks the count; print the spec rather than garbage */
			sb_add(out, pf->fmt + specs[i].start, specs[i].end - specs[i].start);
	}
	add_literal(out, pf->fmt + pos, strlen(pf->fmt + pos));
	sb_free(&tmp);
	return 0;
}
