/*
 * The USDT provider: SystemTap SDT probes (.note.stapsdt) of executables and
 * shared libraries.
 *
 *	usdt:BIN:NAME            any provider's probe NAME
 *	usdt:BIN:PROVIDER:NAME   U:   globs in PROVIDER and NAME
 *
 * BIN is found like uprobe's (uelf_targets): with -p PID, bare names through
 * the process's maps and `usdt:*:...` over every file it maps.
 *
 * Each location of a probe is one attachment (a probe inlined in two places
 * has two, whose arguments may live in different registers). Arguments come
 * from the note's spec string (usdt_args.c). Semaphores are armed by the
 * kernel through the uprobe's reference counter offset (Linux >= 4.20) for
 * as long as the probe is attached, in every process that maps the file.
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
#include "usdt_args.h"

#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

#define USDT_MAX_PROBES 512
#define NT_STAPSDT 3

struct usdt_link {
	struct strobe_link base;
	struct strobe_perf_fd ev;
};

struct usdt_note {
	char *provider, *name, *args;
	uint64_t pc, sema; /* virtual addresses, adjusted for .stapsdt.base */
	size_t order;
};

static void notes_free(struct usdt_note *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].provider);
		free(v[i].name);
		free(v[i].args);
	}
	free(v);
}

static int note_cmp(const void *x, const void *y)
{
	const struct usdt_note *a = x, *b = y;
	int c = strcmp(a->provider, b->provider);
	if (!c)
		c = strcmp(a->name, b->name);
	if (!c)
		c = a->order < b->order ? -1 : a->order > b->order;
	return c;
}

static const struct strobe_host *usdt_host; /* for warnings */

static int usdt_init(const struct strobe_host *host, void **st)
{
	usdt_host = host;
	*st = NULL;
	return 0;
}

static void bad_note(const char *file, size_t off)
{
	if (usdt_host && usdt_host->log)
		usdt_host->log(STROBE_LOG_WARNING, "%s: skipping a malformed USDT note at offset %zu of .note.stapsdt",
			       file, off);
}

#define NOTE_ALIGN(x) (((x) + 3) & ~(size_t)3)

/* The next offset from off that starts a stapsdt note header, or size. */
static size_t next_stapsdt(const unsigned char *buf, size_t size, size_t off)
{
	for (; off + 20 <= size; off += 4) {
		GElf_Nhdr nh;
		memcpy(&nh, buf + off, sizeof(nh));
		if (nh.n_namesz == 8 && nh.n_type == NT_STAPSDT && !memcmp(buf + off + 12, "stapsdt", 8))
			return off;
	}
	return size;
}

/*
 * Every stapsdt note of the file, sorted by provider, name, then note order.
 * A malformed note is skipped with a warning: one whose sizes run past the
 * section, up to the next note header found; one whose strings do not fit
 * its size, alone.
 */
static int read_notes(Elf *elf, const char *file, struct usdt_note **out, size_t *nout)
{
	size_t shstrndx;
	if (elf_getshdrstrndx(elf, &shstrndx))
		return -ENOEXEC;
	uint64_t base_addr = 0;
	bool have_base = false;
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;
		if (gelf_getshdr(scn, &sh) && (name = elf_strptr(elf, shstrndx, sh.sh_name)) &&
		    !strcmp(name, ".stapsdt.base")) {
			base_addr = sh.sh_addr;
			have_base = true;
		}
	}
	struct usdt_note *v = NULL;
	size_t n = 0, cap = 0;
	scn = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *sname;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_NOTE ||
		    !(sname = elf_strptr(elf, shstrndx, sh.sh_name)) || strcmp(sname, ".note.stapsdt"))
			continue;
		Elf_Data *data = elf_getdata(scn, NULL); /* note headers in host byte order */
		if (!data || !data->d_buf)
			continue;
		const unsigned char *buf = data->d_buf;
		size_t size = data->d_size;
		for (size_t off = 0, next; off + sizeof(GElf_Nhdr) <= size; off = next) {
			GElf_Nhdr nh;
			memcpy(&nh, buf + off, sizeof(nh));
			size_t name_off = off + sizeof(nh), desc_off = name_off + NOTE_ALIGN(nh.n_namesz);
			if (nh.n_namesz > size || desc_off > size || nh.n_descsz > size - desc_off) {
				bad_note(file, off);
				next = next_stapsdt(buf, size, off + 4);
				continue;
			}
			next = desc_off + NOTE_ALIGN(nh.n_descsz);
			if (nh.n_type != NT_STAPSDT || nh.n_namesz != 8 || memcmp(buf + name_off, "stapsdt", 8))
				continue;
			const char *desc = (const char *)buf + desc_off, *end = desc + nh.n_descsz;
			const char *prov = desc + 24, *pname = NULL, *args = NULL;
			if (nh.n_descsz >= 3 * 8 + 3 && (pname = memchr(prov, '\0', (size_t)(end - prov))) &&
			    ++pname < end)
				args = memchr(pname, '\0', (size_t)(end - pname));
			if (!args) {
				bad_note(file, off);
				continue;
			}
			args++;
			uint64_t pc, base, sema;
			memcpy(&pc, desc, 8);
			memcpy(&base, desc + 8, 8);
			memcpy(&sema, desc + 16, 8);
			const char *args_end = args < end ? memchr(args, '\0', (size_t)(end - args)) : NULL;
			if (have_base && base) {
				/* prelink moved the file: shift by the same amount as .stapsdt.base */
				pc += base_addr - base;
				if (sema)
					sema += base_addr - base;
			}
			if (n == cap) {
				cap = cap ? cap * 2 : 32;
				struct usdt_note *g = realloc(v, cap * sizeof(*v));
				if (!g) {
					notes_free(v, n);
					return -ENOMEM;
				}
				v = g;
			}
			v[n] = (struct usdt_note){
				.provider = strdup(prov),
				.name = strdup(pname),
				.args = args_end ? strdup(args) : strdup(""),
				.pc = pc,
				.sema = sema,
				.order = n,
			};
			if (!v[n].provider || !v[n].name || !v[n].args) {
				notes_free(v, n + 1);
				return -ENOMEM;
			}
			n++;
		}
	}
	if (n)
		qsort(v, n, sizeof(*v), note_cmp);
	*out = v;
	*nout = n;
	return 0;
}

/* The parsed attach point: BIN plus a PROVIDER glob (NULL: any) and a NAME glob. */
struct usdt_target {
	char *parts[3];
	int n;
	const char *provider, *name;
	struct uelf_file *files; /* what BIN names: one file, or several for a glob */
	size_t nfiles;
};

static void usdt_target_free(struct usdt_target *t)
{
	if (t->n > 0)
		uelf_split_free(t->parts, t->n);
	free(t->files);
}

static int usdt_target_parse(const char *target, int pid, struct usdt_target *t, char *msg, size_t len)
{
	memset(t, 0, sizeof(*t));
	t->n = uelf_split(target, t->parts, 3);
	if (t->n < 2) {
		if (t->n == -EINVAL)
			snprintf(msg, len, "unterminated quote in usdt:%s", target);
		else
			snprintf(msg, len, "usdt probe type requires 2 or 3 arguments "
				 "(usdt:BINARY:[PROVIDER:]NAME)");
		if (t->n < 0)
			t->n = 0;
		return -EINVAL;
	}
	t->provider = t->n == 3 ? t->parts[1] : NULL;
	t->name = t->parts[t->n - 1];
	if (!*t->name || (t->provider && !*t->provider)) {
		snprintf(msg, len, "usdt probe type requires a probe name");
		return -EINVAL;
	}
	return uelf_targets("usdt", t->parts[0], pid, &t->files, &t->nfiles, msg, len);
}

static bool note_matches(const struct usdt_target *t, const struct usdt_note *n)
{
	return (!t->provider || !fnmatch(t->provider, n->provider, 0)) && !fnmatch(t->name, n->name, 0);
}

static const char *int_ctype(uint32_t size, bool is_signed)
{
	static const char *const names[2][4] = { { "uint8", "uint16", "uint32", "uint64" },
						 { "int8", "int16", "int32", "int64" } };
	int i = size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;
	return names[is_signed][i];
}

/* ---- list ------------------------------------------------------------ */

static int usdt_list_file(const char *type, const struct usdt_target *t, const struct uelf_file *f,
			  bool verbose, strobe_list_fn fn, void *ctx);

static int usdt_list(void *st, const char *type, const char *glob, bool verbose, strobe_list_fn fn,
		     void *ctx)
{
	if (!glob || !strchr(glob, ':'))
		return 0; /* a binary is needed */
	struct usdt_target t;
	char msg[PATH_MAX + 128];
	if (usdt_target_parse(glob, -1, &t, msg, sizeof(msg))) {
		usdt_target_free(&t);
		return 0;
	}
	int stop = 0;
	for (size_t f = 0; f < t.nfiles && !stop; f++)
		stop = usdt_list_file(type, &t, &t.files[f], verbose, fn, ctx);
	usdt_target_free(&t);
	return 0;
}

static int usdt_list_file(const char *type, const struct usdt_target *t, const struct uelf_file *f,
			  bool verbose, strobe_list_fn fn, void *ctx)
{
	int fd;
	Elf *elf;
	struct usdt_note *notes = NULL;
	size_t n = 0;
	char msg[256];
	int stop = 0;
	if (uelf_open(f->file, &fd, &elf) == 0) {
		read_notes(elf, f->name, &notes, &n);
		uelf_close(fd, elf);
	}
	for (size_t i = 0; i < n && !stop; i++) {
		if (i && !strcmp(notes[i].provider, notes[i - 1].provider) &&
		    !strcmp(notes[i].name, notes[i - 1].name))
			continue;
		if (!note_matches(t, &notes[i]))
			continue;
		char *name;
		if (asprintf(&name, "%s:%s:%s:%s", type, f->name, notes[i].provider, notes[i].name) < 0)
			break;
		struct usdt_arg args[USDT_MAX_ARGS];
		struct strobe_arg la[USDT_MAX_ARGS];
		char names[USDT_MAX_ARGS][16];
		struct strobe_listing l = { .name = name };
		int na = verbose ? usdt_parse_args(notes[i].args, args, USDT_MAX_ARGS, msg, sizeof(msg)) : 0;
		for (int k = 0; k < na; k++) {
			la[k] = args[k].a;
			snprintf(names[k], sizeof(names[k]), "arg%d", k);
			la[k].name = names[k];
			la[k].ctype = int_ctype(la[k].size, la[k].is_signed);
		}
		l.args = na > 0 ? la : NULL;
		l.nargs = na > 0 ? (size_t)na : 0;
		stop = fn(ctx, &l);
		free(name);
	}
	notes_free(notes, n);
	return stop;
}

/* ---- resolve --------------------------------------------------------- */

/* Turn symbolic and rip-relative displacements into plain locations for this probe. */
static int fix_arg(Elf *elf, const struct usdt_note *note, struct usdt_arg *ua, char *msg,
		   size_t len)
{
	struct strobe_arg *a = &ua->a;
	if (!ua->sym[0] && !ua->rip)
		return 0;
	uint64_t sym = 0, sym_size;
	if (ua->sym[0] && !uelf_symbol(elf, ua->sym, &sym, &sym_size)) {
		snprintf(msg, len, "symbol '%s' of an argument of %s:%s is not in the symbol table",
			 ua->sym, note->provider, note->name);
		return -ENOENT;
	}
	int64_t v;
	if (ua->rip) {
		if (!ua->sym[0]) {
			snprintf(msg, len, "a %%rip-relative argument of %s:%s has no symbol", note->provider,
				 note->name);
			return -EINVAL;
		}
		/* During a uprobe handler, regs->ip is the probe's address. */
		v = (int64_t)(sym - note->pc) + a->offset;
	} else {
		v = (int64_t)sym + a->offset; /* absolute (non-PIE) address */
	}
	if (v < INT32_MIN || v > INT32_MAX) {
		snprintf(msg, len, "an argument of %s:%s is too far from the probe", note->provider,
			 note->name);
		return -ERANGE;
	}
	a->offset = (int32_t)v;
	return 0;
}

static int usdt_add(Elf *elf, struct strobe_resolver *r, const char *type, const struct uelf_file *f,
		    const struct usdt_note *note)
{
	char msg[512];
	uint64_t off, sema_off = 0;
	if (uelf_vaddr_to_offset(elf, note->pc, &off)) {
		r->error(r, "probe %s:%s at 0x%" PRIx64 " is not in a loadable segment of %s",
			 note->provider, note->name, note->pc, f->name);
		return -ENOEXEC;
	}
	if (note->sema && uelf_vaddr_to_offset(elf, note->sema, &sema_off)) {
		r->error(r, "the semaphore of probe %s:%s is not in a loadable segment of %s",
			 note->provider, note->name, f->name);
		return -ENOEXEC;
	}
	struct usdt_arg args[USDT_MAX_ARGS];
	int na = usdt_parse_args(note->args, args, USDT_MAX_ARGS, msg, sizeof(msg));
	if (na < 0) {
		r->error(r, "cannot parse the arguments of %s:%s ('%s'): %s", note->provider, note->name,
			 note->args, msg);
		return na;
	}
	char *name, *target;
	if (asprintf(&name, "%s:%s:%s:%s", type, f->name, note->provider, note->name) < 0)
		return -ENOMEM;
	if (asprintf(&target, "%s:0x%" PRIx64 ":0x%" PRIx64, f->file, off, sema_off) < 0) {
		free(name);
		return -ENOMEM;
	}
	struct strobe_attachment *a = r->add(r, name, target, BPF_PROG_TYPE_KPROBE, STROBE_BUILTIN_ARGN);
	free(name);
	free(target);
	if (!a)
		return -ENOMEM;
	strobe_newest_first(r, a); /* USDT probes are uprobes */
	for (int k = 0; k < na; k++) {
		int err = fix_arg(elf, note, &args[k], msg, sizeof(msg));
		if (err) {
			r->error(r, "%s", msg);
			return err;
		}
		char aname[16];
		snprintf(aname, sizeof(aname), "arg%d", k);
		args[k].a.name = aname;
		args[k].a.ctype = int_ctype(args[k].a.size, args[k].a.is_signed);
		if ((err = r->add_arg(r, a, &args[k].a)))
			return err;
	}
	return 0;
}

/* The matching probes of one file. many: BIN named several files (unreadable ones are skipped). */
static int usdt_resolve_file(struct strobe_resolver *r, const char *type, const struct usdt_target *t,
			     const struct uelf_file *f, bool many, unsigned *count)
{
	int fd = -1, err;
	Elf *elf = NULL;
	struct usdt_note *notes = NULL;
	size_t n = 0;
	if ((err = uelf_open(f->file, &fd, &elf))) {
		if (!many)
			r->error(r, "cannot read '%s' as an ELF file: %s", f->name, strerror(-err));
		return many ? 0 : err;
	}
	if ((err = read_notes(elf, f->name, &notes, &n))) {
		if (!many)
			r->error(r, "cannot read the USDT notes of %s: %s", f->name, strerror(-err));
		else
			err = 0;
		goto out;
	}
	for (size_t i = 0; i < n && !err; i++) {
		if (!note_matches(t, &notes[i]))
			continue;
		if (++*count > USDT_MAX_PROBES) {
			r->error(r, "Can not attach more than %d probes; a more specific wildcard is needed",
				 USDT_MAX_PROBES);
			err = -E2BIG;
			break;
		}
		err = usdt_add(elf, r, type, f, &notes[i]);
	}
out:
	notes_free(notes, n);
	uelf_close(fd, elf);
	return err;
}

static int usdt_resolve(void *st, const char *type, const char *target, struct strobe_resolver *r)
{
	struct usdt_target t;
	char msg[PATH_MAX + 128];
	int pid = r->size >= offsetofend(struct strobe_resolver, pid) ? uelf_target_pid(r->pid) : -1;
	int err = usdt_target_parse(target, pid, &t, msg, sizeof(msg));
	if (err) {
		r->error(r, "%s", msg);
		usdt_target_free(&t);
		return err;
	}
	bool many = strpbrk(t.parts[0], "*?[") != NULL;
	bool wild = strpbrk(t.name, "*?[") || (t.provider && strpbrk(t.provider, "*?["));
	unsigned count = 0;
	for (size_t f = 0; f < t.nfiles && !err; f++)
		err = usdt_resolve_file(r, type, &t, &t.files[f], many, &count);
	if (!err && !count && !wild) {
		const char *where = t.nfiles == 1 ? t.files[0].name : t.parts[0];
		if (t.provider)
			r->error(r, "usdt probe %s:%s not found in %s", t.provider, t.name, where);
		else
			r->error(r, "usdt probe %s not found in %s", t.name, where);
		err = -ENOENT;
	}
	usdt_target_free(&t);
	return err;
}

/* ---- attach ---------------------------------------------------------- */

static int usdt_attach(void *st, const struct strobe_attach_req *req, struct strobe_link **out,
		       char *errbuf, size_t errlen)
{
	/* "PATH:0xOFFSET:0xSEMAPHORE_OFFSET"; the path may hold colons. */
	char path[PATH_MAX];
	const char *c2 = strrchr(req->target, ':');
	const char *c1 = NULL;
	for (const char *p = req->target; c2 && p < c2; p++)
		if (*p == ':')
			c1 = p;
	uint64_t off, sema;
	char *end1, *end2;
	if (!c1 || (size_t)(c1 - req->target) >= sizeof(path) ||
	    ((off = strtoull(c1 + 1, &end1, 0)), end1 != c2) ||
	    ((sema = strtoull(c2 + 1, &end2, 0)), *end2)) {
		snprintf(errbuf, errlen, "invalid usdt target '%s'", req->target);
		return -EINVAL;
	}
	memcpy(path, req->target, (size_t)(c1 - req->target));
	path[c1 - req->target] = '\0';
	struct usdt_link *l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	int err = uelf_attach(path, off, sema, false, req->pid, req->prog_fd, req->cookie, &l->ev, errbuf,
			      errlen);
	if (err) {
		free(l);
		return err;
	}
	l->base.nr_attached = 1;
	*out = &l->base;
	return 0;
}

static void usdt_detach(void *st, struct strobe_link *link)
{
	struct usdt_link *l = container_of(link, struct usdt_link, base);
	strobe_perf_detach(&l->ev);
	free(l);
}

static int usdt_symbol(void *st, const char *type, const char *target, const char *name, int64_t *addr,
		       uint32_t *size, bool *relative)
{
	(void)st;
	(void)type;
	return uelf_probe_symbol(target, name, addr, size, relative);
}

static const struct strobe_provider_ops usdt_ops = {
	.abi = STROBE_PROVIDER_ABI,
	.size = sizeof(struct strobe_provider_ops),
	.name = "usdt",
	.init = usdt_init,
	.list = usdt_list,
	.resolve = usdt_resolve,
	.attach = usdt_attach,
	.detach = usdt_detach,
	.symbol = usdt_symbol,
	.arg_size = sizeof(struct strobe_arg),
};

STROBE_EXPORT const struct strobe_provider_ops *strobe_provider_entry(void);
STROBE_EXPORT const struct strobe_provider_ops *strobe_provider_entry(void)
{
	return &usdt_ops;
}
