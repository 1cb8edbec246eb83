/*
 * C spellings of BTF types for -lv listings and argument descriptions
 * ("struct task_struct *", "const char *"), used by the tracepoint
 * (rawtracepoint) and kprobe (kfunc) modules.
 */
#include "btf_ctype.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void put(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void put(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

/* C spelling of a type ("struct task_struct *", "const char *"). */
static void type_str(const struct btf *btf, uint32_t id, char *buf, size_t len, int depth)
{
	const struct btf_type *t = id ? btf__type_by_id(btf, id) : NULL;
	if (!t || depth > 16) {
		put(buf, len, "void");
		return;
	}
	const char *name = btf__name_by_offset(btf, t->name_off);
	if (!name || !*name)
		name = "(anon)";
	char inner[256];
	switch (btf_kind(t)) {
	case BTF_KIND_INT:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPEDEF:
		put(buf, len, "%s", name);
		break;
	case BTF_KIND_STRUCT:
		put(buf, len, "struct %s", name);
		break;
	case BTF_KIND_UNION:
		put(buf, len, "union %s", name);
		break;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		put(buf, len, "enum %s", name);
		break;
	case BTF_KIND_FWD:
		put(buf, len, "%s %s", btf_kflag(t) ? "union" : "struct", name);
		break;
	case BTF_KIND_CONST:
	case BTF_KIND_VOLATILE:
		type_str(btf, t->type, inner, sizeof(inner), depth + 1);
		put(buf, len, "%s %s", btf_is_const(t) ? "const" : "volatile", inner);
		break;
	case BTF_KIND_PTR: {
		const struct btf_type *to = t->type ? btf__type_by_id(btf, t->type) : NULL;
		if (to && btf_is_func_proto(to)) {
			put(buf, len, "void *");
			break;
		}
		type_str(btf, t->type, inner, sizeof(inner), depth + 1);
		size_t n = strlen(inner);
		put(buf, len, "%s%s", inner, n && inner[n - 1] == '*' ? "*" : " *");
		break;
	}
	case BTF_KIND_ARRAY:
		type_str(btf, btf_array(t)->type, inner, sizeof(inner), depth + 1);
		put(buf, len, "%s[%u]", inner, btf_array(t)->nelems);
		break;
	default: /* restrict, type tags: transparent */
		type_str(btf, t->type, buf, len, depth + 1);
		break;
	}
}

const struct btf_type *btf_ctype_strip(const struct btf *btf, uint32_t *id)
{
	for (int depth = 0; depth < 32; depth++) {
		const struct btf_type *t = *id ? btf__type_by_id(btf, *id) : NULL;
		if (!t || !(btf_is_typedef(t) || btf_is_mod(t) || btf_is_type_tag(t)))
			return t;
		*id = t->type;
	}
	return NULL;
}

void btf_ctype(const struct btf *btf, uint32_t id, char *buf, size_t len)
{
	type_str(btf, id, buf, len, 0);
}

void btf_ctype_arg(const struct btf *btf, uint32_t type_id, struct strobe_arg *a, char *ctype, size_t ctype_len,
		   char *pointee, size_t pointee_len)
{
	memset(a, 0, sizeof(*a));
	a->ctype = ctype;
	btf_ctype(btf, type_id, ctype, ctype_len);
	uint32_t id = type_id;
	const struct btf_type *t = btf_ctype_strip(btf, &id);
	if (t && btf_is_int(t) && t->size <= 8) {
		a->kind = STROBE_ARG_INT;
		a->size = t->size;
		a->is_signed = (btf_int_encoding(t) & BTF_INT_SIGNED) != 0;
	} else if (t && btf_is_any_enum(t) && t->size <= 8) {
		a->kind = STROBE_ARG_INT;
		a->size = t->size;
		a->is_signed = btf_kflag(t);
	} else if (t && btf_is_ptr(t)) {
		a->kind = STROBE_ARG_PTR;
		a->size = 8;
		uint32_t to = t->type;
		const struct btf_type *pt = to ? btf__type_by_id(btf, to) : NULL;
		/* The pointee without its qualifiers: "const char" -> "char". */
		while (pt && (btf_is_mod(pt) || btf_is_type_tag(pt))) {
			to = pt->type;
			pt = to ? btf__type_by_id(btf, to) : NULL;
		}
		btf_ctype(btf, to, pointee, pointee_len);
		a->pointee = pointee;
	} else {
		/* Anything else (a struct by value, a float) is passed as one u64 slot. */
		a->kind = STROBE_ARG_INT;
		a->size = 8;
	}
}
