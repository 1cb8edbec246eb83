/*
 * The uprobe provider: user function entry and return.
 *
 *	uprobe:BIN:FUNC   u:      FUNC may be a glob, "quoted", FUNC+OFFSET or an address
 *	uretprobe:BIN:FUNC  ur:
 *	uprobe:BIN:cpp:"NS::f*"   C++: FUNC matches demangled names only
 *
 * C++ symbols match by their demangled name as well (__cxa_demangle), with
 * or without the parameter list: "ns::W::twice", "ns::add(int, int)"; a
 * demangled name without parameters attaches every overload. Probe names
 * keep the mangled symbol (one per attachment, as bpftrace 0.17 shows), -l
 * lists mangled names, and -l 'uprobe:BIN:cpp:GLOB' the demangled ones.
 *
 * BIN is a path (absolute, or relative to the working directory) or a bare
 * name resolved like the dynamic loader does (ld.so.cache, the standard
 * library directories) or like a shell does ($PATH). With -p PID (see
 * uelf_targets), a bare name is first looked up in the process's maps, a
 * path is read through /proc/PID/root, `*` (any glob) expands over the
 * files it maps and `uprobe:FUNC` is a function of its executable; without
 * one, a path glob goes through glob(3). Symbols come from
 * .symtab and .dynsym, and for a stripped binary from the .symtab of its
 * xz-compressed .gnu_debugdata (MiniDebugInfo); the probe's file offset
 * from the PT_LOAD headers.
 * Attaching opens a perf uprobe event (the uprobe PMU) and links the
 * BPF_PROG_TYPE_KPROBE program to it with its cookie.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <strobe/provider.h>

#include "../lib/uelf.h"

#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

/* BPFTRACE_MAX_PROBES: a wildcard matching more is almost surely a mistake. */
#define UP_MAX_PROBES 512

struct up_link {
	struct strobe_link base;
	struct strobe_perf_fd ev;
};

static bool is_wild(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

/* An address or offset written as a number: 0x1199, 4505. */
static bool parse_number(const char *s, uint64_t *out)
{
	if (!*s || *s == '-' || *s == '+')
		return false;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 0);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

/* A split target: BIN (NULL: the -p process's executable), an optional language, FUNC. */
struct up_target {
	char *parts[16];
	int n;
	const char *bin;
	const char *func;
	bool cpp;                /* BIN:cpp:FUNC: FUNC matches demangled C++ names only */
	struct uelf_file *files; /* what BIN names: one file, or several for a glob */
	size_t nfiles;
};

static void up_target_free(struct up_target *t)
{
	if (t->n > 0)
		uelf_split_free(t->parts, t->n);
	free(t->files);
}

/* 0, or -errno with msg set. pid: the target process, or -1. */
static int up_target_parse(const char *type, const char *target, int pid, struct up_target *t,
			   char *msg, size_t len)
{
	memset(t, 0, sizeof(*t));
	t->n = uelf_split(target, t->parts, 16);
	if (t->n == -EINVAL) {
		snprintf(msg, len, "unterminated quote in %s:%s", type, target);
		return -EINVAL;
	}
	/* BIN:cpp:ns::f unquoted: the C++ name keeps its colons */
	if (t->n > 3 && (!strcmp(t->parts[1], "cpp") || !strcmp(t->parts[1], "c++"))) {
		size_t l = 0;
		for (int i = 2; i < t->n; i++)
			l += strlen(t->parts[i]) + 1;
		char *joined = malloc(l);
		if (!joined) {
			snprintf(msg, len, "out of memory");
			return -ENOMEM;
		}
		size_t at = 0;
		for (int i = 2; i < t->n; i++)
			at += (size_t)snprintf(joined + at, l - at, "%s%s", i > 2 ? ":" : "", t->parts[i]);
		uelf_split_free(t->parts + 2, t->n - 2);
		t->parts[2] = joined;
		t->n = 3;
	}
	/* uprobe:FUNC names a function of the -p process's executable */
	if (t->n < (pid > 0 ? 1 : 2) || t->n > 3) {
		if (t->n < 0)
			t->n = 0;
		snprintf(msg, len, "%s probe type requires 2 arguments (%s:BINARY:FUNCTION)", type, type);
		return -EINVAL;
	}
	t->bin = t->n > 1 ? t->parts[0] : NULL;
	t->func = t->parts[t->n - 1];
	if (t->n == 3) {
		const char *lang = t->parts[1];
		if (!strcmp(lang, "cpp") || !strcmp(lang, "c++")) {
			t->cpp = true;
		} else if (strcmp(lang, "c")) {
			snprintf(msg, len, "unknown language '%s' in %s:%s (known: c, cpp)", lang, type, target);
			return -EINVAL;
		}
	}
	if (!*t->func) {
		snprintf(msg, len, "%s probe type requires a function name", type);
		return -EINVAL;
	}
	return uelf_targets(type, t->bin, pid, &t->files, &t->nfiles, msg, len);
}

/* ---- C++ names ------------------------------------------------------- */

/* libstdc++'s demangler (the C ABI symbol; MODLIBS_uprobe links -lstdc++). */
char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

/* The demangled name of a C++ symbol (malloc'd), or NULL for other symbols. */
static char *demangle(const char *sym)
{
	if (strncmp(sym, "_Z", 2))
		return NULL;
	int status = -1;
	char *d = __cxa_demangle(sym, NULL, NULL, &status);
	if (status) {
		free(d);
		return NULL;
	}
	return d;
}

/*
 * The qualified name of a demangled one, without the parameter list and
 * without a template function's return type: "int ns::f<int>(int)" -> "ns::f<int>".
 */
static char *demangled_name(const char *d)
{
	int depth = 0;
	const char *start = d, *end = d + strlen(d);
	for (const char *p = d; *p; p++) {
		if (*p == '<')
			depth++;
		else if (*p == '>' && depth)
			depth--;
		else if (!depth && *p == ' ' && strncmp(p - (p - d >= 8 ? 8 : 0), "operator", 8))
			start = p + 1;
		else if (!depth && *p == '(' && p != d) {
			end = p;
			break;
		}
	}
	return strndup(start, (size_t)(end - start));
}

/*
 * Whether symbol sym matches the FUNC pattern (a glob or a name). C++
 * symbols match by their demangled name too, with or without the parameter
 * list ("ns::W::twice", "ns::add(int, int)"); with cpp only by those.
 * *shown (may be NULL) gets the full demangled name when it matched by it.
 */
static bool func_matches(const char *pattern, const char *sym, bool cpp, char **shown)
{
	if (shown)
		*shown = NULL;
	if (!cpp && !fnmatch(pattern, sym, 0))
		return true;
	/* a plain C name can only be a mangled one, or a demangled one if it has "::" */
	if (!cpp && !strstr(pattern, "::") && !strchr(pattern, '*') && !strchr(pattern, '('))
		return false;
	char *d = demangle(sym);
	if (!d)
		return false;
	char *name = demangled_name(d);
	bool ok = !fnmatch(pattern, d, 0) || (name && !fnmatch(pattern, name, 0));
	free(name);
	if (ok && shown)
		*shown = d;
	else
		free(d);
	return ok;
}

/* ---- list ------------------------------------------------------------ */

static int up_list(void *st, const char *type, const char *glob, bool verbose, strobe_list_fn fn,
		   void *ctx)
{
	/* Without a binary there is nothing to list (strobe -l lists every provider). */
	if (!glob || !strchr(glob, ':'))
		return 0;
	struct up_target t;
	char msg[512];
	int err = up_target_parse(type, glob, -1, &t, msg, sizeof(msg));
	if (err) {
		up_target_free(&t);
		return 0;
	}
	int stop = 0;
	for (size_t f = 0; f < t.nfiles && !stop; f++) {
		int fd;
		Elf *elf;
		struct uelf_sym *syms = NULL;
		size_t n = 0;
		if (uelf_open(t.files[f].file, &fd, &elf) == 0) {
			uelf_functions(elf, &syms, &n);
			uelf_close(fd, elf);
		}
		for (size_t i = 0; i < n && !stop; i++) {
			if (i && !strcmp(syms[i].name, syms[i - 1].name))
				continue;
			char *shown;
			if (!func_matches(t.func, syms[i].name, t.cpp, &shown))
				continue;
			/* BIN:cpp:... lists the demangled names, usable as they are (quoted) */
			char *name;
			int r;
			if (t.cpp)
				r = asprintf(&name, "%s:%s:cpp:%s", type, t.files[f].name, shown);
			else
				r = asprintf(&name, "%s:%s:%s", type, t.files[f].name, syms[i].name);
			free(shown);
			if (r < 0)
				break;
			struct strobe_listing l = { .name = name };
			stop = fn(ctx, &l);
			free(name);
		}
		uelf_functions_free(syms, n);
	}
	up_target_free(&t);
	return 0;
}

/* ---- resolve --------------------------------------------------------- */

static unsigned up_builtins(const char *type)
{
	bool ret = !strcmp(type, "uretprobe");
	return (ret ? STROBE_BUILTIN_RETVAL : STROBE_BUILTIN_ARGN) | STROBE_BUILTIN_FUNC |
	       STROBE_BUILTIN_FUNC_USER | STROBE_BUILTIN_REGS;
}

static int up_add(struct strobe_resolver *r, const char *type, const struct uelf_file *f,
		  const char *what, uint64_t offset)
{
	char *name, *target;
	if (asprintf(&name, "%s:%s:%s", type, f->name, what) < 0)
		return -ENOMEM;
	if (asprintf(&target, "%s:0x%" PRIx64, f->file, offset) < 0) {
		free(name);
		return -ENOMEM;
	}
	struct strobe_attachment *a = r->add(r, name, target, BPF_PROG_TYPE_KPROBE, up_builtins(type));
	free(name);
	free(target);
	strobe_newest_first(r, a); /* uprobe consumers of one address run newest first */
	return a ? 0 : -ENOMEM;
}

/*
 * FUNC in one file. many: the BIN spec named several files, so a file
 * that cannot be read or lacks the function is skipped, not an error.
 * *count counts attachments over every file.
 */
static int up_resolve_file(struct strobe_resolver *r, const char *type, const struct up_target *t,
			   const struct uelf_file *f, bool many, unsigned *count)
{
	int fd = -1;
	Elf *elf = NULL;
	struct uelf_sym *syms = NULL;
	size_t n = 0;
	int err = uelf_open(f->file, &fd, &elf);
	if (err) {
		if (many)
			return 0;
		r->error(r, "cannot read '%s' as an ELF file: %s", f->name, strerror(-err));
		return err;
	}
	uint64_t addr, off;
	if (parse_number(t->func, &addr)) {
		/* An address: the virtual address of the instruction. */
		err = uelf_vaddr_to_offset(elf, addr, &off);
		if (err) {
			if (many) {
				err = 0;
				goto out;
			}
			r->error(r, "address 0x%" PRIx64 " is not in a loadable segment of %s", addr,
				 f->name);
			goto out;
		}
		(*count)++;
		err = up_add(r, type, f, t->func, off);
		goto out;
	}
	err = uelf_functions(elf, &syms, &n);
	if (err) {
		if (many) {
			err = 0;
			goto out;
		}
		r->error(r, "cannot read the symbols of %s: %s", f->name, strerror(-err));
		goto out;
	}
	if (is_wild(t->func)) {
		if (strchr(t->func, '+')) {
			r->error(r, "an offset cannot be combined with a wildcard: %s", t->func);
			err = -EINVAL;
			goto out;
		}
		for (size_t i = 0; i < n && !err; i++) {
			if ((i && !strcmp(syms[i].name, syms[i - 1].name)) ||
			    !func_matches(t->func, syms[i].name, t->cpp, NULL))
				continue;
			if (++*count > UP_MAX_PROBES) {
				r->error(r, "Can not attach more than %d probes; a more specific wildcard is needed",
					 UP_MAX_PROBES);
				err = -E2BIG;
				break;
			}
			if (uelf_vaddr_to_offset(elf, syms[i].addr, &off))
				continue;
			err = up_add(r, type, f, syms[i].name, off);
		}
		/* No match: the core reports that nothing was attached. */
		goto out;
	}
	char fname[512];
	uint64_t plus = 0;
	const char *p = strchr(t->func, '+');
	snprintf(fname, sizeof(fname), "%.*s", (int)(p ? (size_t)(p - t->func) : strlen(t->func)), t->func);
	if (p && !parse_number(p + 1, &plus)) {
		r->error(r, "invalid offset '%s' in %s", p + 1, t->func);
		err = -EINVAL;
		goto out;
	}
	const struct uelf_sym *sym = NULL;
	for (size_t i = 0; i < n && !sym && !t->cpp; i++)
		if (!strcmp(syms[i].name, fname))
			sym = &syms[i];
	if (!sym && !p && (t->cpp || strstr(fname, "::"))) {
		/* A demangled C++ name: every overload (and clone) of it, under its mangled name. */
		for (size_t i = 0; i < n && !err; i++) {
			if ((i && !strcmp(syms[i].name, syms[i - 1].name)) ||
			    !func_matches(fname, syms[i].name, true, NULL) ||
			    uelf_vaddr_to_offset(elf, syms[i].addr, &off))
				continue;
			if (++*count > UP_MAX_PROBES) {
				r->error(r, "Can not attach more than %d probes; a more specific wildcard is needed",
					 UP_MAX_PROBES);
				err = -E2BIG;
				break;
			}
			sym = &syms[i];
			err = up_add(r, type, f, syms[i].name, off);
		}
		if (sym || err)
			goto out;
	}
	if (!sym) {
		if (!many) {
			r->error(r, "Could not resolve symbol: %s:%s", f->name, fname);
			err = -ENOENT;
		}
		goto out;
	}
	if (p && sym->size && plus >= sym->size) {
		r->error(r, "Offset outside the function bounds ('%s' size is %" PRIu64 ")", fname,
			 sym->size);
		err = -ERANGE;
		goto out;
	}
	err = uelf_vaddr_to_offset(elf, sym->addr + plus, &off);
	if (err) {
		if (many) {
			err = 0;
			goto out;
		}
		r->error(r, "symbol %s of %s is not in a loadable segment", fname, f->name);
		goto out;
	}
	if (++*count > UP_MAX_PROBES) {
		r->error(r, "Can not attach more than %d probes; a more specific wildcard is needed",
			 UP_MAX_PROBES);
		err = -E2BIG;
		goto out;
	}
	err = up_add(r, type, f, t->func, off);
out:
	uelf_functions_free(syms, n);
	uelf_close(fd, elf);
	return err;
}

static int resolver_pid(const struct strobe_resolver *r)
{
	return r->size >= offsetofend(struct strobe_resolver, pid) ? uelf_target_pid(r->pid) : -1;
}

static int up_resolve(void *st, const char *type, const char *target, struct strobe_resolver *r)
{
	struct up_target t;
	char msg[PATH_MAX + 256];
	int err = up_target_parse(type, target, resolver_pid(r), &t, msg, sizeof(msg));
	if (err) {
		r->error(r, "%s", msg);
		up_target_free(&t);
		return err;
	}
	bool many = t.bin && strpbrk(t.bin, "*?[");
	unsigned count = 0;
	for (size_t f = 0; f < t.nfiles && !err; f++)
		err = up_resolve_file(r, type, &t, &t.files[f], many, &count);
	if (!err && many && !count && !is_wild(t.func)) {
		r->error(r, "Could not resolve symbol: %s:%s", t.bin, t.func);
		err = -ENOENT;
	}
	up_target_free(&t);
	return err;
}

/* ---- attach ---------------------------------------------------------- */

/* "PATH:0xOFFSET" (the path may hold colons: split at the last one). */
static int up_parse_attach_target(const char *target, char *path, size_t len, uint64_t *off)
{
	const char *colon = strrchr(target, ':');
	if (!colon || (size_t)(colon - target) >= len || !parse_number(colon + 1, off))
		return -EINVAL;
	memcpy(path, target, (size_t)(colon - target));
	path[colon - target] = '\0';
	return 0;
}

static int up_attach(void *st, const struct strobe_attach_req *req, struct strobe_link **out,
		     char *errbuf, size_t errlen)
{
	char path[PATH_MAX];
	uint64_t off;
	if (up_parse_attach_target(req->target, path, sizeof(path), &off)) {
		snprintf(errbuf, errlen, "invalid uprobe target '%s'", req->target);
		return -EINVAL;
	}
	struct up_link *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	int err = uelf_attach(path, off, 0, !strcmp(req->type, "uretprobe"), req->pid, req->prog_fd,
			      req->cookie, &l->ev, errbuf, errlen);
	if (err) {
		free(l);
		return err;
	}
	l->base.nr_attached = 1;
	*out = &l->base;
	return 0;
}

static void up_detach(void *st, struct strobe_link *link)
{
	struct up_link *l = container_of(link, struct up_link, base);
	strobe_perf_detach(&l->ev);
	free(l);
}

static int up_symbol(void *st, const char *type, const char *target, const char *name, int64_t *addr,
		     uint32_t *size, bool *relative)
{
	(void)st;
	(void)type;
	return uelf_probe_symbol(target, name, addr, size, relative);
}

static const struct strobe_provider_ops up_ops = {
	.abi = STROBE_PROVIDER_ABI,
	.size = sizeof(struct strobe_provider_ops),
	.name = "uprobe",
	.list = up_list,
	.resolve = up_resolve,
	.attach = up_attach,
	.detach = up_detach,
	.symbol = up_symbol,
	.arg_size = sizeof(struct strobe_arg),
};

STROBE_EXPORT const struct strobe_provider_ops *strobe_provider_entry(void);
STROBE_EXPORT const struct strobe_provider_ops *strobe_provider_entry(void)
{
	return &up_ops;
}
