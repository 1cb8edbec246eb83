/*
 * Loading a module: the library checked, dlopen'd, its entry table validated
 * (symbol, ABI, size, callbacks) and copied with defaults in optional slots.
 */
#include "registry_internal.h"

#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int def_init(const struct strobe_host *host, void **st)
{
	*st = NULL;
	return 0;
}
static void def_fini(void *st) {}
static void def_attached(void *sink, unsigned nprobes) {}
static void def_printf(void *sink, uint32_t fmt_id, const char *text, size_t len,
		       const struct strobe_value *args, size_t nargs)
{
}
static void def_map(void *sink, const struct strobe_map_view *map) {}
static void def_value(void *sink, const struct strobe_value *v) {}
static void def_lost(void *sink, uint64_t nevents) {}
static void def_exiting(void *sink) {}
static void def_time(void *sink, const char *text, size_t len) {}

/* Both tables start with abi and size: check them before reading anything else. */
static char *module_check_header(const struct module *m, uint32_t abi, uint32_t size,
				 uint32_t want_abi, size_t min_size)
{
	if (abi != want_abi)
		return xasprintf("%s (%s) was built for ABI %u, strobe has %u", m->what, m->path,
				 abi, want_abi);
	if (size < min_size)
		return xasprintf("%s (%s): ops table too small (%u bytes, at least %zu expected)",
				 m->what, m->path, size, min_size);
	return NULL;
}

/*
 * The record size of the provider's strobe_listing.args: arg_size, or for a
 * table too old to have it, the size struct strobe_arg had when the table's
 * last slot was appended (docs/abi.md). 0 in a table that has the slot means
 * the layout of that time, when `length` was the last member.
 */
static size_t provider_arg_size(const struct strobe_provider_ops *p)
{
	if (p->size >= offsetofend(struct strobe_provider_ops, arg_size))
		return p->arg_size ? p->arg_size : offsetofend(struct strobe_arg, length);
	if (p->size >= offsetofend(struct strobe_provider_ops, symbol))
		return offsetofend(struct strobe_arg, scale);
	return offsetof(struct strobe_arg, index_reg);
}

/* Validate a provider table and copy it; NULL or a message. */
static char *module_take_provider(struct module *m, const struct strobe_provider_ops *ops)
{
	char *err = module_check_header(m, ops->abi, ops->size, STROBE_PROVIDER_ABI,
					STROBE_PROVIDER_OPS_MIN_SIZE);
	if (err)
		return err;
	struct strobe_provider_ops *p = &m->pops;
	memset(p, 0, sizeof(*p));
	memcpy(p, ops, ops->size < sizeof(*p) ? ops->size : sizeof(*p));
	const char *missing = !p->list      ? "list"
			      : !p->resolve ? "resolve"
			      : !p->attach  ? "attach"
			      : !p->detach  ? "detach"
					    : NULL;
	if (missing)
		return xasprintf("%s (%s) lacks the required callback %s()", m->what, m->path,
				 missing);
	m->arg_size = provider_arg_size(p);
	if (m->arg_size < offsetof(struct strobe_arg, index_reg))
		return xasprintf("%s (%s) gives arg_size %zu, smaller than any struct strobe_arg",
				 m->what, m->path, m->arg_size);
	if (!p->init)
		p->init = def_init;
	if (!p->fini)
		p->fini = def_fini;
	return NULL;
}

static char *module_take_output(struct module *m, const struct strobe_output_ops *ops)
{
	char *err = module_check_header(m, ops->abi, ops->size, STROBE_OUTPUT_ABI,
					STROBE_OUTPUT_OPS_MIN_SIZE);
	if (err)
		return err;
	struct strobe_output_ops *o = &m->oops;
	memset(o, 0, sizeof(*o));
	memcpy(o, ops, ops->size < sizeof(*o) ? ops->size : sizeof(*o));
	const char *missing = !o->open ? "open" : !o->close ? "close" : NULL;
	if (missing)
		return xasprintf("%s (%s) lacks the required callback %s()", m->what, m->path,
				 missing);
	if (!o->attached)
		o->attached = def_attached;
	if (!o->printf)
		o->printf = def_printf;
	if (!o->map)
		o->map = def_map;
	if (!o->value)
		o->value = def_value;
	if (!o->lost)
		o->lost = def_lost;
	if (!o->exiting)
		o->exiting = def_exiting;
	if (!o->time)
		o->time = def_time;
	return NULL;
}

/*
 * dlopen() maps a library's segments and dies of SIGBUS on the first page
 * past the end of a truncated file: check the ELF header and that every
 * loadable segment lies inside the file before. NULL, or what is wrong. A
 * file that cannot be opened, or is not 64-bit ELF, is left to dlopen(),
 * which says why.
 */
static char *module_check_elf(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	char *err = NULL;
	struct stat st;
	Elf64_Ehdr eh;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode))
		goto out;
	uint64_t size = (uint64_t)st.st_size;
	if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG)) {
		err = xasprintf("not an ELF file (%" PRIu64 " bytes)", size);
		goto out;
	}
	if (eh.e_ident[EI_CLASS] != ELFCLASS64)
		goto out;
	if (eh.e_phentsize != sizeof(Elf64_Phdr) ||
	    eh.e_phoff + (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > size) {
		err = xasprintf("truncated ELF file (%" PRIu64 " bytes): bad program header table",
				size);
		goto out;
	}
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + i * sizeof(ph))) !=
		    (ssize_t)sizeof(ph)) {
			err = xasprintf("cannot read its program headers: %s", strerror(errno));
			goto out;
		}
		if (ph.p_type == PT_LOAD && (ph.p_offset > size || ph.p_filesz > size - ph.p_offset)) {
			err = xasprintf("truncated ELF file (%" PRIu64
					" bytes, a segment ends at byte %" PRIu64 ")",
					size, ph.p_offset + ph.p_filesz);
			goto out;
		}
	}
out:
	close(fd);
	return err;
}

static char *module_do_load(struct registry *reg, struct module *m)
{
	unsigned abi = m->kind == SEC_PROVIDER ? STROBE_PROVIDER_ABI : STROBE_OUTPUT_ABI;
	/* The INI's abi lets us refuse a module without running any of its code. */
	if (m->ini_abi && m->ini_abi != abi)
		return xasprintf("%s (%s) was built for ABI %u, strobe has %u", m->what, m->path,
				 m->ini_abi, abi);
	char *bad = module_check_elf(m->path);
	if (bad) {
		char *msg =
			xasprintf("cannot load %s from %s (%s): %s", m->what, m->path, m->origin, bad);
		free(bad);
		return msg;
	}
	dlerror();
	m->handle = dlopen(m->path, RTLD_NOW | RTLD_LOCAL);
	if (!m->handle) {
		const char *why = dlerror();
		return xasprintf("cannot load %s from %s (%s): %s", m->what, m->path, m->origin,
				 why ? why : "unknown error");
	}
	void *sym = dlsym(m->handle, m->symbol);
	if (!sym)
		return xasprintf("%s (%s) does not export the entry symbol '%s'", m->what, m->path,
				 m->symbol);
	char *err;
	if (m->kind == SEC_PROVIDER) {
		strobe_provider_entry_fn entry;
		*(void **)&entry = sym;
		const struct strobe_provider_ops *ops = entry();
		if (!ops)
			return xasprintf("%s (%s): entry symbol '%s' returned no table", m->what,
					 m->path, m->symbol);
		err = module_take_provider(m, ops);
		if (err)
			return err;
		int e = m->pops.init(reg->host, &m->st);
		if (e < 0)
			return xasprintf("%s (%s) failed to initialise: %s", m->what, m->path,
					 strerror(-e));
	} else {
		strobe_output_entry_fn entry;
		*(void **)&entry = sym;
		const struct strobe_output_ops *ops = entry();
		if (!ops)
			return xasprintf("%s (%s): entry symbol '%s' returned no table", m->what,
					 m->path, m->symbol);
		err = module_take_output(m, ops);
		if (err)
			return err;
	}
	return NULL;
}

/* Load once; a failure is remembered so every later lookup reports it. */
const char *module_load(struct registry *reg, struct module *m)
{
	if (!m->tried) {
		m->tried = true;
		m->error = module_do_load(reg, m);
		if (m->error && m->handle) {
			dlclose(m->handle);
			m->handle = NULL;
		}
	}
	return m->error;
}

void module_free(struct module *m)
{
	if (m->handle) {
		if (m->kind == SEC_PROVIDER)
			m->pops.fini(m->st);
		dlclose(m->handle);
	}
	free(m->path);
	free(m->symbol);
	free(m->origin);
	free(m->what);
	free(m->error);
	free(m);
}
