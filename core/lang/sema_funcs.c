/*
 * Checks of the string, address and process functions, with bpftrace 0.17's
 * messages: strncmp, strcontains, strlen, join, strftime, ntop, pton, macaddr,
 * bswap, cgroupid, cgroup_path, signal, strerror, kptr, uptr, buf (rows of
 * builtins.c); codegen_funcs.c emits what passes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sema_internal.h"

#define JOIN_DEFAULT_SEP " "

static struct types *T(struct sema *s)
{
	return &s->p->types;
}

bool sema_func_string_type(const struct type *t)
{
	return t && (t->kind == T_INET || t->kind == T_MACADDR || t->kind == T_STRERROR ||
		     t->kind == T_CGROUP_PATH || t->kind == T_TIMESTAMP || t->kind == T_USERNAME ||
		     t->kind == T_SYSCALL_NAME);
}

int sema_pton(const char *text, uint8_t out[16])
{
	/* bpftrace: a ':' makes it IPv6 */
	bool v6 = strchr(text, ':') != NULL;
	if (inet_pton(v6 ? AF_INET6 : AF_INET, text, out) != 1)
		return -1;
	return v6 ? 16 : 4;
}

int sema_signal_number(const char *name)
{
	static const struct { const char *name; int nr; } sigs[] = {
		{ "HUP", 1 },   { "INT", 2 },     { "QUIT", 3 },   { "ILL", 4 },    { "TRAP", 5 },
		{ "ABRT", 6 },  { "IOT", 6 },     { "BUS", 7 },    { "FPE", 8 },    { "KILL", 9 },
		{ "USR1", 10 }, { "SEGV", 11 },   { "USR2", 12 },  { "PIPE", 13 },  { "ALRM", 14 },
		{ "TERM", 15 }, { "STKFLT", 16 }, { "CHLD", 17 },  { "CONT", 18 },  { "STOP", 19 },
		{ "TSTP", 20 }, { "TTIN", 21 },   { "TTOU", 22 },  { "URG", 23 },   { "XCPU", 24 },
		{ "XFSZ", 25 }, { "VTALRM", 26 }, { "PROF", 27 },  { "WINCH", 28 }, { "IO", 29 },
		{ "POLL", 29 }, { "PWR", 30 },    { "SYS", 31 },
	};
	if (!strncmp(name, "SIG", 3))
		name += 3;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (!strcmp(sigs[i].name, name))
			return sigs[i].nr;
	return -1;
}

/* The argument must be an integer (scalar): "f() only supports integer arguments (string provided)". */
static bool int_only(struct sema *s, struct node *call, struct node *a)
{
	const struct type *t = sema_expr(s, a);
	if (!t)
		return false;
	if (!type_is_scalar(t)) {
		sema_error(s, &call->loc, "%s() only supports integer arguments (%s provided)", call->u.call.name,
			   sema_kind_word(t));
		return false;
	}
	return true;
}

static bool string_only(struct sema *s, struct node *call, struct node *a)
{
	const struct type *t = sema_expr(s, a);
	if (!t)
		return false;
	if (t->kind != T_STRING) {
		sema_error(s, &call->loc, "%s() only supports string arguments (%s provided)", call->u.call.name,
			   sema_kind_word(t));
		return false;
	}
	return true;
}

static bool literal_string(struct sema *s, struct node *call, struct node *a)
{
	if (a->kind != N_STRING) {
		sema_error(s, &call->loc, "%s() expects a string literal (%s provided)", call->u.call.name,
			   sema_kind_word(sema_expr(s, a)));
		return false;
	}
	a->type = type_string(T(s), (uint32_t)a->u.string.len + 1);
	return true;
}

/* bpftrace: the cgroup id of a path is the 8-byte file handle of the cgroup directory. */
static int sema_cgroup_id(const char *path, uint64_t *id)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h;
	int mount_id;
	h.fh.handle_bytes = sizeof(h.id);
	if (name_to_handle_at(AT_FDCWD, path, &h.fh, &mount_id, 0) < 0)
		return -errno;
	if (h.fh.handle_bytes != sizeof(h.id))
		return -EOVERFLOW;
	memcpy(id, h.fh.f_handle, sizeof(*id));
	return 0;
}

const struct type *buf_check(struct sema *s, struct node *n)
{
	struct node *a0 = n->u.call.args;
	struct program *p = s->p;
	const struct type *t = sema_expr(s, a0);
	if (!t)
		return NULL;
	uint32_t cap = p->strlen;
	if (!a0->next) {
		if (t->kind != T_ARRAY) {
			sema_error(s, &n->loc, "buf() expects a length argument for non-array type %s",
				   sema_kind_word(t));
			return NULL;
		}
		cap = t->size < cap ? t->size : cap;
	} else {
		if (!type_is_scalar(t) && t->kind != T_ARRAY && t->kind != T_STRING) {
			sema_error(s, &n->loc, "buf() expects an integer, pointer or array as first argument (%s provided)",
				   sema_kind_word(t));
			return NULL;
		}
		const struct type *lt = sema_expr(s, a0->next);
		if (!lt)
			return NULL;
		if (!type_is_scalar(lt)) {
			sema_error(s, &n->loc, "buf() only supports integer arguments (%s provided)", sema_kind_word(lt));
			return NULL;
		}
		int64_t len;
		if (sema_int_literal(a0->next, &len)) {
			if (len < 0) {
				sema_error(s, &n->loc, "Builtin buf requires a non-negative size");
				return NULL;
			}
			if ((uint64_t)len < cap)
				cap = (uint32_t)len;
		}
		if (t->kind == T_ARRAY && t->size < cap) /* strings read on, zero-padded, as in bpftrace */
			cap = t->size;
	}
	if (!cap)
		cap = 1;
	return type_buffer(T(s), cap);
}

const struct type *strncmp_check(struct sema *s, struct node *n)
{
	struct node *a0 = n->u.call.args;
	int64_t len;
	bool ok = string_only(s, n, a0);
	ok = string_only(s, n, a0->next) && ok;
	struct node *ln = a0->next->next;
	const struct type *lt = sema_expr(s, ln);
	if (!ok || !lt)
		return NULL;
	if (!sema_int_literal(ln, &len)) {
		sema_error(s, &n->loc, "strncmp() expects a integer literal (%s provided)", sema_kind_word(lt));
		return NULL;
	}
	if (len < 0) {
		sema_error(s, &n->loc, "Builtin strncmp requires a non-negative size");
		return NULL;
	}
	return type_int(T(s), 8, false);
}

const struct type *strlen_check(struct sema *s, struct node *n)
{
	struct node *a0 = n->u.call.args;
	if (!string_only(s, n, a0))
		return NULL;
	if (a0->kind == N_STRING) { /* known now */
		n->kind = N_INT;
		n->u.integer.value = a0->u.string.len;
	}
	return type_int(T(s), 8, false);
}

const struct type *strcontains_check(struct sema *s, struct node *n)
{
	struct node *a0 = n->u.call.args;
	bool ok = string_only(s, n, a0);
	ok = string_only(s, n, a0->next) && ok;
	return ok ? type_bool(T(s)) : NULL;
}

const struct type *bswap_check(struct sema *s, struct node *n)
{
	struct node *a0 = n->u.call.args;
	if (!int_only(s, n, a0))
		return NULL;
	const struct type *t = a0->type;
	return type_int(T(s), t->kind == T_INT ? t->size : 8, false);
}

const struct type *strerror_check(struct sema *s, struct node *n)
{
	return int_only(s, n, n->u.call.args) ? type_simple(T(s), T_STRERROR) : NULL;
}

const struct type *cgroup_path_check(struct sema *s, struct node *n)
{
	struct node *a0 = n->u.call.args;
	if (!int_only(s, n, a0))
		return NULL;
	struct node *filter = a0->next;
	if (filter) {
		/* a glob over the hierarchies' names ("unified", "cpu,cpuacct", "systemd") */
		const struct type *ft = sema_expr(s, filter);
		if (!ft)
			return NULL;
		if (ft->kind != T_STRING) {
			sema_error(s, &n->loc, "cgroup_path() only supports string arguments (%s provided)",
				   sema_kind_word(ft));
			return NULL;
		}
		if (filter->kind != N_STRING) {
			/* bpftrace 0.17 accepts one and matches nothing with it */
			sema_error(s, &filter->loc, "cgroup_path() filter must be a string literal");
			return NULL;
		}
	}
	return type_cgroup_path(T(s), filter ? filter->u.string.s : NULL);
}

/* kptr(p), uptr(p) */
const struct type *ptr_check(struct sema *s, struct node *n)
{
	struct types *ty = T(s);
	const struct type *t = sema_expr(s, n->u.call.args);
	if (!t)
		return NULL;
	if (!type_is_scalar(t)) {
		sema_error(s, &n->loc, "%s() only supports integer or pointer arguments (%s provided)", n->u.call.name,
			   sema_kind_word(t));
		return NULL;
	}
	const struct type *elem = t->kind == T_POINTER ? t->elem : type_int(ty, 1, true);
	return type_pointer(ty, elem, n->u.call.fn == B_UPTR);
}

const struct type *cgroupid_check(struct sema *s, struct node *n)
{
	struct node *a0 = n->u.call.args;
	uint64_t id = 0;
	if (!literal_string(s, n, a0))
		return NULL;
	int err = sema_cgroup_id(a0->u.string.s, &id);
	if (err < 0) {
		sema_error(s, &n->loc, "Failed to get `cgroupid` for path: \"%s\": %s", a0->u.string.s,
			   strerror(-err));
		return NULL;
	}
	n->kind = N_INT; /* resolved now, like kaddr() */
	n->u.integer.value = id;
	return type_int(T(s), 8, false);
}

const struct type *strftime_check(struct sema *s, struct node *n)
{
	struct node *a0 = n->u.call.args;
	if (!literal_string(s, n, a0) || !int_only(s, n, a0->next))
		return NULL;
	return type_timestamp(T(s), a0->u.string.s);
}

const struct type *ntop_check(struct sema *s, struct node *n)
{
	struct node *a0 = n->u.call.args;
	struct node *addr = a0->next ? a0->next : a0;
	if (a0->next && !int_only(s, n, a0))
		return NULL;
	const struct type *t = sema_expr(s, addr);
	if (!t)
		return NULL;
	if (!type_is_scalar(t) && !(t->kind == T_ARRAY && (t->size == 4 || t->size == 16))) {
		sema_error(s, &n->loc, "ntop() argument must be 4 or 16 bytes in size");
		return NULL;
	}
	return type_simple(T(s), T_INET);
}

const struct type *macaddr_check(struct sema *s, struct node *n)
{
	struct node *a0 = n->u.call.args;
	const struct type *t = sema_expr(s, a0);
	if (!t)
		return NULL;
	if (t->kind == T_STRING || t->kind == T_ARRAY ? t->size < 6 : !type_is_scalar(t)) {
		sema_error(s, &n->loc, "macaddr() argument must be 6 bytes in size");
		if (a0->kind == N_STRING)
			sema_error(s, &n->loc, "macaddr() does not support literal string arguments");
		return NULL;
	}
	if (a0->kind == N_STRING) {
		sema_error(s, &n->loc, "macaddr() does not support literal string arguments");
		return NULL;
	}
	return type_simple(T(s), T_MACADDR);
}

const struct type *join_check(struct sema *s, struct node *n)
{
	struct node *a0 = n->u.call.args;
	if (a0->next && !literal_string(s, n, a0->next))
		return NULL;
	const struct type *t = sema_expr(s, a0);
	if (!t)
		return NULL;
	if (!type_is_scalar(t)) {
		/* sic: bpftrace 0.17 leaves the function name out */
		sema_error(s, &n->loc, "() only supports int or pointer arguments (%s provided)", sema_kind_word(t));
		return NULL;
	}
	if (s->final)
		sema_add_string(s, a0->next ? a0->next->u.string.s : JOIN_DEFAULT_SEP);
	return type_none(T(s));
}

const struct type *signal_check(struct sema *s, struct node *n)
{
	struct node *a0 = n->u.call.args;
	if (a0->kind == N_STRING) {
		a0->type = type_string(T(s), (uint32_t)a0->u.string.len + 1);
		if (sema_signal_number(a0->u.string.s) < 0) {
			sema_error(s, &n->loc, "%s is not a valid signal", a0->u.string.s);
			return NULL;
		}
		return type_none(T(s));
	}
	const struct type *t = sema_expr(s, a0);
	int64_t v;
	if (!t)
		return NULL;
	if (!type_is_scalar(t)) {
		sema_error(s, &n->loc, "signal only accepts string literals or integers (%s provided)",
			   sema_kind_word(t));
		return NULL;
	}
	if (sema_int_literal(a0, &v) && (v < 1 || v > 64)) {
		sema_error(s, &n->loc, "%" PRId64 " is not a valid signal, allowed range: [1,64]", v);
		return NULL;
	}
	return type_none(T(s));
}

/* pton("addr"): resolved now, a uint8[4] (IPv4) or uint8[16] (IPv6) constant */
const struct type *pton_check(struct sema *s, struct node *n)
{
	struct node *a0 = n->u.call.args;
	struct types *ty = T(s);
	uint8_t bytes[16];
	const struct type *t = sema_expr(s, a0);
	if (!t)
		return NULL;
	if (a0->kind != N_STRING) {
		sema_error(s, NULL, "Expected string literal, got %s", type_name(ty, t));
		sema_error(s, &n->loc, "pton() expects an string argument of an IPv4/IPv6 address, got ");
		return NULL;
	}
	int len = sema_pton(a0->u.string.s, bytes);
	if (len < 0) {
		sema_error(s, &n->loc, "pton() expects an string argument of an IPv4/IPv6 address, got %s",
			   a0->u.string.s);
		return NULL;
	}
	return type_array(ty, type_int(ty, 1, false), (uint32_t)len);
}
