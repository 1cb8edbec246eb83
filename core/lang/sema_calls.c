/*
 * The checks of the calls that are the language's own (printf, print, clear,
 * zero, delete, exit, time, str, reg, ksym, usym, kaddr), and what every
 * call goes through first: its row of builtins.c, its argument count.
 */
#include <stdint.h>
#include <string.h>

#include "../fmt.h"
#include "../registry.h"
#include "sema_internal.h"

static struct loc name_loc(const struct node *n, const char *name)
{
	struct loc l = n->loc;
	l.end_line = l.line;
	l.end_col = l.col + (uint32_t)strlen(name);
	return l;
}

/* bpftrace's argument-count messages, for the bounds of the call's row. */
bool sema_nargs(struct sema *s, const struct node *call)
{
	const struct builtin_def *b = &builtins[call->u.call.fn];
	unsigned n = call->u.call.nargs, min = b->min_args, max = b->max_args;
	const char *f = call->u.call.name;
	if (n >= min && n <= max)
		return true;
	if (n < min && b->few_args)
		sema_error(s, &call->loc, "%s() %s (%u provided)", f, b->few_args, n);
	else if (min == max && min == 0)
		sema_error(s, &call->loc, "%s() requires no arguments (%u provided)", f, n);
	else if (min == max && min == 1)
		sema_error(s, &call->loc, "%s() requires one argument (%u provided)", f, n);
	else if (min == max)
		sema_error(s, &call->loc, "%s() requires %u arguments (%u provided)", f, min, n);
	else if (n < min)
		sema_error(s, &call->loc, "%s() requires at least %u argument%s (%u provided)", f, min,
		    min == 1 ? "" : "s", n);
	else
		sema_error(s, &call->loc, "%s() takes up to %u argument%s (%u provided)", f, max,
		    max == 1 ? "" : "s", n);
	return false;
}

static bool printf_arg_ok(const struct fmt_spec *sp, const struct type *t)
{
	switch (sp->cls) {
	case FMT_INT:
	case FMT_GFP: return type_is_scalar(t);
	case FMT_STR:
		return sema_func_string_type(t) || t->kind == T_STRING || t->kind == T_PROBE ||
		       (t->kind == T_INT && t->nenumerators) || t->kind == T_KSTACK ||
		       t->kind == T_USTACK || t->kind == T_KSYM || t->kind == T_USYM;
	case FMT_BUF: return t->kind == T_BUFFER;
	}
	return false;
}

static void record_printf(struct sema *s, struct node *n, const char *fmt,
			  const struct type *const *types, unsigned nargs)
{
	struct program *p = s->p;
	if (p->nprintfs == s->printfs_cap) {
		size_t old = s->printfs_cap;
		s->printfs_cap = old ? old * 2 : 8;
		p->printfs = arena_grow(&p->arena, p->printfs, p->nprintfs, s->printfs_cap, sizeof(*p->printfs));
		s->cs->printf_nodes = arena_grow(&p->arena, s->cs->printf_nodes, p->nprintfs,
						 s->printfs_cap, sizeof(*s->cs->printf_nodes));
	}
	struct prog_printf *pf = &p->printfs[p->nprintfs];
	s->cs->printf_nodes[p->nprintfs++] = n;
	pf->fmt = fmt;
	pf->nargs = nargs;
	pf->loc = n->loc;
	pf->arg_types = arena_zalloc(&p->arena, (nargs ? nargs : 1) * sizeof(*pf->arg_types));
	pf->arg_offsets = arena_zalloc(&p->arena, (nargs ? nargs : 1) * sizeof(*pf->arg_offsets));
	uint32_t off = 0;
	for (unsigned i = 0; i < nargs; i++) {
		/* every argument 8-byte aligned so that codegen copies in 8-byte words */
		off = (off + 7) & ~7u;
		pf->arg_types[i] = sema_storage_type(s, types[i]);
		pf->arg_offsets[i] = off;
		off += pf->arg_types[i]->size;
	}
	pf->size = (off + 7) & ~7u;
}

/*
 * A format and its arguments (printf, cat, system, debugf): the literal, the
 * specifiers against the arguments' types. At most max_args arguments;
 * types[] gets theirs. Returns their number, or -1 after an error.
 */
static int check_format(struct sema *s, struct node *n, unsigned max_args, const struct type **types)
{
	struct node *f = n->u.call.args;
	const char *fn = n->u.call.name;
	if (f->kind != N_STRING) {
		const struct type *t = sema_expr(s, f);
		sema_error(s, &n->loc, "%s() expects a string literal (%s provided)", fn, sema_kind_word(t));
		return -1;
	}
	f->type = type_string(s->t, (uint32_t)f->u.string.len + 1);
	unsigned nargs = 0;
	bool ok = true;
	for (struct node *a = f->next; a; a = a->next) {
		const struct type *t = sema_expr(s, a);
		if (nargs < max_args)
			types[nargs] = t;
		nargs++;
		ok = ok && t;
	}
	struct fmt_spec specs[MAX_PRINTF_ARGS];
	char msg[256];
	int nspecs = fmt_parse(f->u.string.s, specs, MAX_PRINTF_ARGS, msg, sizeof(msg));
	if (nspecs < 0) {
		sema_error(s, &n->loc, "%s", msg);
		return -1;
	}
	if (nargs > max_args || (unsigned)nspecs > max_args) {
		sema_error(s, &n->loc, "%s: too many arguments (at most %u)", fn, max_args);
		return -1;
	}
	if ((unsigned)nspecs > nargs) {
		sema_error(s, &n->loc, "%s: Not enough arguments for format string (%u supplied, %d expected)",
		    fn, nargs, nspecs);
		return -1;
	}
	if ((unsigned)nspecs < nargs) {
		sema_error(s, &n->loc, "%s: Too many arguments for format string (%u supplied, %d expected)",
		    fn, nargs, nspecs);
		return -1;
	}
	if (!ok)
		return -1;
	for (unsigned i = 0; i < nargs; i++) {
		if (printf_arg_ok(&specs[i], types[i]))
			continue;
		static const char *const cls[] = { [FMT_INT] = "integer", [FMT_STR] = "string",
						   [FMT_BUF] = "buffer", [FMT_GFP] = "integer" };
		/* bpftrace names the conversion, without flags or width */
		int wide = specs[i].buf_mode || specs[i].cls == FMT_GFP ? 2 : 1; /* %rx, %gr */
		const char *conv = f->u.string.s + specs[i].end - wide;
		sema_error(s, &n->loc, "%s: %%%.*s specifier expects a value of type %s (%s supplied)",
		    fn, wide, conv, cls[specs[i].cls], sema_kind_word(types[i]));
		ok = false;
	}
	return ok ? (int)nargs : -1;
}

static void check_printf(struct sema *s, struct node *n)
{
	const struct type *types[MAX_PRINTF_ARGS];
	int nargs = check_format(s, n, MAX_PRINTF_ARGS, types);
	if (nargs >= 0 && s->final)
		record_printf(s, n, n->u.call.args->u.string.s, types, (unsigned)nargs);
}

/*
 * debugf(fmt, ...): bpf_trace_printk takes at most 3 arguments, integers or
 * strings (%s reads them where they lie), with bpftrace 0.17's warning.
 */
const struct type *debugf_check(struct sema *s, struct node *n)
{
	const struct type *types[MAX_PRINTF_ARGS];
	if (s->final && n->u.call.args->kind == N_STRING)
		diag_warning(s->d, &n->loc, "The debugf() builtin is not recommended for production use. For more "
					    "information see bpf_trace_printk in bpf-helpers(7).");
	int nargs = check_format(s, n, MAX_PRINTF_ARGS, types);
	if (nargs > 3) {
		sema_error(s, &n->loc, "debugf: Cannot use more than 3 conversion specifiers");
		return type_none(s->t);
	}
	for (int i = 0; i < nargs; i++)
		if (!type_is_scalar(types[i]) && types[i]->kind != T_STRING) {
			sema_error(s, &n->loc, "debugf() only supports integer and string arguments (%s provided)",
				   sema_tname(s, types[i]));
			break;
		}
	return type_none(s->t);
}

/* The first argument of print/clear/zero/delete: a map, defined somewhere. */

static void add_print_value(struct sema *s, struct node *n, const struct type *t)
{
	struct program *p = s->p;
	if (p->nprint_values == s->print_values_cap) {
		s->print_values_cap = s->print_values_cap ? s->print_values_cap * 2 : 8;
		p->print_values = arena_grow(&p->arena, p->print_values, p->nprint_values,
					     s->print_values_cap, sizeof(*p->print_values));
		s->cs->print_value_nodes = arena_grow(&p->arena, s->cs->print_value_nodes,
						      p->nprint_values, s->print_values_cap,
						      sizeof(*s->cs->print_value_nodes));
	}
	s->cs->print_value_nodes[p->nprint_values] = n;
	p->print_values[p->nprint_values++] = sema_storage_type(s, t);
}

void sema_add_string(struct sema *s, const char *str)
{
	struct program *p = s->p;
	for (size_t i = 0; i < p->nstrings; i++)
		if (!strcmp(p->strings[i], str))
			return;
	if (p->nstrings == s->strings_cap) {
		s->strings_cap = s->strings_cap ? s->strings_cap * 2 : 8;
		p->strings = arena_grow(&p->arena, p->strings, p->nstrings, s->strings_cap,
					sizeof(*p->strings));
	}
	p->strings[p->nstrings++] = str;
}

static bool int_arg(struct sema *s, struct node *call, struct node *a, const char *what)
{
	const struct type *t = sema_expr(s, a);
	if (t && !type_is_scalar(t)) {
		sema_error(s, &call->loc, "%s() expects an integer %s (%s provided)", call->u.call.name, what,
		    sema_kind_word(t));
		return false;
	}
	return t != NULL;
}

const struct type *sema_call(struct sema *s, struct node *n)
{
	const struct builtin_def *b = &builtins[n->u.call.fn];
	const char *f = n->u.call.name;
	bool ok = true;
	if (n->u.call.fn == B_NONE) {
		struct loc l = name_loc(n, f);
		for (struct node *a = n->u.call.args; a; a = a->next)
			sema_expr(s, a);
		sema_error(s, &l, "Unknown function: %s", f);
		return NULL;
	}
	if (b->agg != AGG_NONE) {
		sema_error(s, &n->loc, "%s() should be directly assigned to a map", f);
		return NULL;
	}
	if ((b->flags & BF_UNSAFE) && !s->o->unsafe)
		sema_error(s, &n->loc, "%s() is an unsafe function being used in safe mode", f);
	if ((b->flags & BF_NO_FOR) && s->for_depth)
		sema_error(s, &n->loc, "%s() is not allowed inside a for-loop", f);
	if ((b->flags & BF_NO_BEGIN_END) && s->probe->kind != PROBE_PROVIDER) {
		sema_error(s, &n->loc, "%s can not be used with \"%s\" probes", f, sema_probe_type(s));
		ok = false;
	}
	if (!sema_nargs(s, n))
		return b->flags & BF_VOID ? type_none(s->t) : NULL;
	const struct type *t = b->check(s, n);
	return ok ? t : NULL;
}

/* printf, cat, system: a format and its arguments, recorded as a printf (program.h prog_printf) */
const struct type *format_check(struct sema *s, struct node *n)
{
	check_printf(s, n);
	return type_none(s->t);
}

const struct type *print_check(struct sema *s, struct node *n)
{
	struct node *a0 = n->u.call.args;
	if (a0->kind == N_MAP && !a0->u.map.nkeys) {
		sema_map_named(s, n, a0, false);
		for (struct node *a = a0->next; a; a = a->next)
			int_arg(s, n, a, a == a0->next ? "top" : "div");
		return type_none(s->t);
	}
	const struct type *t = sema_expr(s, a0);
	if (n->u.call.nargs > 1)
		sema_error(s, &n->loc, "Non-map print() only takes 1 argument, %u found", n->u.call.nargs);
	else if (t && t->kind == T_POINTER && /* kptr()/uptr() print as the integer in 0.17 */
		 !(a0->kind == N_CALL && (a0->u.call.fn == B_KPTR || a0->u.call.fn == B_UPTR)))
		sema_error(s, &n->loc, "%s type passed to print() is not printable", sema_tname(s, t));
	else if (t && !sema_storable(t))
		sema_error(s, &n->loc, "print() of a value of type '%s' is not supported yet", sema_tname(s, t));
	else if (t && s->final)
		add_print_value(s, n, t);
	return type_none(s->t);
}

/* clear(@m), zero(@m) */
const struct type *clear_check(struct sema *s, struct node *n)
{
	sema_map_named(s, n, n->u.call.args, false);
	return type_none(s->t);
}

const struct type *delete_check(struct sema *s, struct node *n)
{
	struct node *a0 = n->u.call.args;
	if (n->u.call.nargs == 1) {
		struct prog_map *m = sema_map_named(s, n, a0, true);
		if (!m)
			return NULL;
		if (a0->kind == N_MAP && !a0->u.map.nkeys && m->key && s->final) {
			sema_error(s, &n->loc, "delete() of %s, a map with keys, needs a key: delete(%s, key)", m->name,
				   m->name);
			return NULL;
		}
		return type_bool(s->t);
	}
	/* delete(@m, k): check k as if written @m[k] */
	if (a0->kind != N_MAP || a0->u.map.nkeys) {
		sema_error(s, &n->loc, "delete() expects a map to be provided");
		return NULL;
	}
	sema_key_args(a0); /* (k1, k2) is @m[k1, k2] (sema_loops.c) */
	struct prog_map *m = sema_map_named(s, n, a0, true);
	a0->u.map.keys = NULL;
	a0->u.map.nkeys = 0;
	if (m && !m->key)
		sema_error(s, &n->loc, "delete() of a key of %s, which has no keys", m->name);
	return m && m->key ? type_bool(s->t) : NULL;
}

/* The value of --name[=value] after the program, or NULL when not given ("" for a bare --name). */
static const char *named_arg(const struct sema *s, const char *name)
{
	size_t n = strlen(name);
	for (int i = 0; i < s->o->nnamed; i++) {
		const char *a = s->o->named[i];
		if (!strncmp(a, name, n) && (a[n] == '=' || !a[n]))
			return a[n] ? a + n + 1 : "";
	}
	return NULL;
}

/*
 * getopt("name"[, default[, "help"]]): the script's option --name[=value],
 * resolved now. The default's type is the option's: a bool (no default:
 * false; --name, =true or =1 set it), an integer or a string.
 */
const struct type *getopt_check(struct sema *s, struct node *n)
{
	struct node *name = n->u.call.args, *def = name->next;
	if (name->kind != N_STRING || (def && def->next && def->next->kind != N_STRING)) {
		sema_error(s, &n->loc, "getopt() expects a string literal name and help text");
		return NULL;
	}
	int64_t iv = 0;
	bool is_int = def && sema_int_literal(def, &iv), is_str = def && def->kind == N_STRING;
	if (def && !is_int && !is_str && def->kind != N_BOOL) {
		sema_error(s, &def->loc, "getopt() default must be a literal bool, integer or string");
		return NULL;
	}
	const char *v = named_arg(s, name->u.string.s);
	if (is_str) {
		const char *text = v ? v : def->u.string.s;
		n->kind = N_STRING;
		n->u.string.s = arena_strdup(&s->p->arena, text);
		n->u.string.len = strlen(text);
		return type_string(s->t, (uint32_t)n->u.string.len + 1);
	}
	if (is_int) {
		char *end = NULL;
		long long x = v ? strtoll(v, &end, 0) : iv;
		if (v && (!*v || *end)) {
			sema_error(s, &n->loc, "getopt(): --%s expects an integer, not '%s'", name->u.string.s, v);
			return NULL;
		}
		n->kind = N_INT;
		n->u.integer.value = (uint64_t)x;
		return type_int(s->t, 8, true);
	}
	bool b = def ? def->u.boolean : false;
	if (v)
		b = !*v || !strcmp(v, "true") || !strcmp(v, "1");
	if (v && *v && !b && strcmp(v, "false") && strcmp(v, "0")) {
		sema_error(s, &n->loc, "getopt(): --%s expects true, false, 1 or 0, not '%s'", name->u.string.s, v);
		return NULL;
	}
	n->kind = N_BOOL;
	n->u.boolean = b;
	return type_bool(s->t);
}

/* assert(cond, "msg"): the message is recorded as a format of its own text */
const struct type *assert_check(struct sema *s, struct node *n)
{
	struct node *cond = n->u.call.args, *msg = cond->next;
	int_arg(s, n, cond, "condition");
	if (msg->kind != N_STRING) {
		sema_error(s, &n->loc, "assert() expects a string literal message (%s provided)",
			   sema_kind_word(sema_expr(s, msg)));
		return type_none(s->t);
	}
	msg->type = type_string(s->t, (uint32_t)msg->u.string.len + 1);
	if (s->final) {
		size_t len = msg->u.string.len;
		char *fmt = arena_zalloc(&s->p->arena, 2 * len + 1), *o = fmt;
		for (size_t i = 0; i < len; i++) /* a '%' in the message is text */
			o = msg->u.string.s[i] == '%' ? (*o++ = '%', *o++ = '%', o) : (*o++ = msg->u.string.s[i], o);
		record_printf(s, n, fmt, NULL, 0);
	}
	return type_none(s->t);
}

const struct type *exit_check(struct sema *s, struct node *n)
{
	if (n->u.call.args)
		int_arg(s, n, n->u.call.args, "exit code");
	return type_none(s->t);
}

const struct type *time_check(struct sema *s, struct node *n)
{
	struct node *a0 = n->u.call.args;
	if (a0 && a0->kind != N_STRING) {
		sema_error(s, &n->loc, "time() expects a string literal (%s provided)", sema_kind_word(sema_expr(s, a0)));
		return type_none(s->t);
	}
	if (a0)
		a0->type = type_string(s->t, (uint32_t)a0->u.string.len + 1);
	if (s->final)
		sema_add_string(s, a0 ? a0->u.string.s : "%H:%M:%S\n");
	return type_none(s->t);
}

const struct type *str_check(struct sema *s, struct node *n)
{
	struct node *a0 = n->u.call.args;
	if (a0->kind == N_POSITIONAL)
		a0->u.positional.in_str = true;
	if (a0->kind == N_PARAMCOUNT) {
		struct loc at = loc_span(n->loc, a0->loc); /* from the call's name to $#, as bpftrace 0.17 places it */
		sema_error(s, &at, "use $#, not str($#)");
		return NULL;
	}
	const struct type *t = sema_expr(s, a0);
	if (a0->next)
		int_arg(s, n, a0->next, "length");
	if (t && !type_is_scalar(t) && t->kind != T_STRING) {
		sema_error(s, &n->loc, "str() expects an integer or a pointer type as first argument (%s provided)",
		    sema_kind_word(t));
		return NULL;
	}
	return t ? type_string_trunc(s->t, s->p->strlen) : NULL; /* str_trunc_trailer: codegen sets the flag */
}

const struct type *reg_check(struct sema *s, struct node *n)
{
	struct node *a0 = n->u.call.args;
	if (a0->kind != N_STRING) {
		sema_error(s, &n->loc, "reg() expects a string literal (%s provided)", sema_kind_word(sema_expr(s, a0)));
		return NULL;
	}
	a0->type = type_string(s->t, (uint32_t)a0->u.string.len + 1);
	if (!sema_offers(s, STROBE_BUILTIN_REGS)) {
		sema_error(s, &n->loc, "reg can not be used with \"%s\" probes",
		    sema_probe_type(s));
		return NULL;
	}
	if (sema_reg_offset(a0->u.string.s) < 0) {
		sema_error(s, &n->loc, "'%s' is not a valid register", a0->u.string.s);
		return NULL;
	}
	return type_int(s->t, 8, false);
}

/* ksym(addr), usym(addr) */
const struct type *sym_check(struct sema *s, struct node *n)
{
	if (!int_arg(s, n, n->u.call.args, "address"))
		return NULL;
	return type_simple(s->t, n->u.call.fn == B_KSYM ? T_KSYM : T_USYM);
}

/* kaddr("sym"): resolved now, the call becomes its address */
const struct type *kaddr_check(struct sema *s, struct node *n)
{
	struct node *a0 = n->u.call.args;
	uint64_t addr = 0;
	if (a0->kind != N_STRING) {
		sema_error(s, &n->loc, "kaddr() expects a string literal (%s provided)", sema_kind_word(sema_expr(s, a0)));
		return NULL;
	}
	if (sema_kaddr(a0->u.string.s, &addr) < 0) {
		sema_error(s, &n->loc, "Failed to resolve kernel symbol: %s", a0->u.string.s);
		return NULL;
	}
	n->kind = N_INT;
	n->u.integer.value = addr;
	return type_int(s->t, 8, false);
}

/* One specifier of fail()'s format for a literal argument, as printf would print it. */
static void format_literal(char *out, size_t len, const struct fmt_spec *sp, const struct node *a)
{
	int64_t v = 0;
	if (sema_const_string(a)) {
		snprintf(out, len, sp->cspec, sema_const_string(a)->u.string.s);
		return;
	}
	sema_const_value(a, &v);
	bool sig = sp->conv == 'd' || sp->conv == 'i';
	if (sp->cls == FMT_STR) /* an enumerator printed with %s: its number */
		snprintf(out, len, "%lld", (long long)v);
	else if (sp->conv == 'c')
		snprintf(out, len, sp->cspec, (int)v);
	else if (sp->conv == 'p')
		snprintf(out, len, sp->cspec, (void *)(uintptr_t)v);
	else if (sp->int_bits == 8)
		snprintf(out, len, sp->cspec, sig ? (long long)(signed char)v : (long long)(unsigned char)v);
	else if (sp->int_bits == 16)
		snprintf(out, len, sp->cspec, sig ? (long long)(short)v : (long long)(unsigned short)v);
	else if (sp->int_bits == 32)
		snprintf(out, len, sp->cspec, sig ? (long long)(int)v : (long long)(unsigned int)v);
	else
		snprintf(out, len, sp->cspec, (long long)v);
}

/*
 * fail(fmt, args...): where it is reached once the checker has decided what
 * it can (not in a branch of an if() known not to be taken), an error at the
 * call with the message formatted from its literal arguments.
 */
const struct type *fail_check(struct sema *s, struct node *n)
{
	const struct type *types[MAX_PRINTF_ARGS];
	struct node *f = n->u.call.args;
	if (check_format(s, n, MAX_PRINTF_ARGS, types) < 0)
		return type_none(s->t);
	for (struct node *a = f->next; a; a = a->next) {
		int64_t v;
		if (!sema_const_string(a) && !sema_const_value(a, &v)) {
			sema_error(s, &a->loc, "fail() arguments must be literals or positional parameters");
			return type_none(s->t);
		}
	}
	if (s->dead || !s->final)
		return type_none(s->t);
	struct fmt_spec specs[MAX_PRINTF_ARGS];
	char msg[512], one[256];
	int nspecs = fmt_parse(f->u.string.s, specs, MAX_PRINTF_ARGS, msg, sizeof(msg));
	size_t used = 0, pos = 0;
	const char *text = f->u.string.s;
	struct node *a = f->next;
	msg[0] = '\0';
	for (int i = 0; i <= nspecs; i++) {
		size_t end = i < nspecs ? specs[i].start : strlen(text);
		for (size_t j = pos; j < end && used + 1 < sizeof(msg); j++) {
			msg[used++] = text[j];
			j += text[j] == '%' && text[j + 1] == '%'; /* "%%" prints one '%' */
		}
		msg[used] = '\0';
		if (i == nspecs)
			break;
		format_literal(one, sizeof(one), &specs[i], a);
		used += (size_t)snprintf(msg + used, sizeof(msg) - used, "%s", one);
		used = used < sizeof(msg) ? used : sizeof(msg) - 1;
		pos = specs[i].end;
		a = a->next;
	}
	sema_error(s, &n->loc, "%s", msg);
	return type_none(s->t);
}
