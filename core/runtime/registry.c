/*
 * The module registry. plugins.d INI files name providers and outputs;
 * reading them loads nothing. A module is dlopen'd the first time one of
 * its probe types or outputs is asked for, validated (entry symbol, ABI
 * version, table size, required callbacks) and its table copied with
 * defaults filled in for the optional slots, so callers never test for NULL.
 */
#include "registry.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fnmatch.h>
#include <ini.h>
#include <linux/bpf.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef STROBE_PREFIX
#define STROBE_PREFIX "/usr/local"
#endif
#define INSTALLED_PLUGINS_D STROBE_PREFIX "/lib/strobe/plugins.d"

enum section_kind { SEC_PROVIDER, SEC_OUTPUT };

/*
 * One loaded (or not yet loaded) entry table: a library plus an entry
 * symbol. Several INI sections may share one (perf.so serves interval and
 * profile), so it is loaded, init()ed and fini()ed once.
 */
struct module {
	enum section_kind kind;
	char *path;   /* library, absolute or relative to the cwd */
	char *symbol; /* entry symbol */
	char *origin; /* "file.ini:line" of the first section naming it */
	char *what;   /* "provider 'tracepoint'", for messages */
	unsigned ini_abi;
	bool tried; /* load attempted; error says why it failed, if it did */
	char *error;
	void *handle;
	struct strobe_provider_ops pops;
	struct strobe_output_ops oops;
	void *st; /* provider state from init() */
	struct module *next;
};

/* One [provider] or [output] section (outputs use the same shape). */
struct provider {
	struct registry *reg;
	enum section_kind kind;
	char *name;
	char **aliases;
	size_t naliases;
	struct module *mod;
	struct provider *next;
};

struct registry {
	const struct strobe_host *host;
	struct provider *sections, **tail;
	struct module *modules;
	int target_pid; /* strobe_resolver.pid */
};

static char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p) {
		fputs("strobe: out of memory\n", stderr);
		abort();
	}
	return p;
}

static void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n, size);
	if (!p) {
		fputs("strobe: out of memory\n", stderr);
		abort();
	}
	return p;
}

static char *xasprintf(const char *fmt, ...) STROBE_PRINTF(1, 2);
static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	va_start(ap, fmt);
	int n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0) {
		fputs("strobe: out of memory\n", stderr);
		abort();
	}
	return s;
}

/* ---- INI parsing ---------------------------------------------------- */

/* A section being read: committed when the next one starts or at EOF. */
struct pending {
	bool active;
	bool bad; /* an error was reported: drop the section */
	enum section_kind kind;
	unsigned line; /* of the first key */
	char *name, *aliases, *library, *symbol;
	long abi;
	bool have_abi;
};

struct ini_ctx {
	struct registry *reg;
	const char *path; /* the INI file */
	const char *dir;  /* its directory */
	FILE *fp;
	unsigned lineno; /* line the reader handed out last */
	bool mid_line;   /* the last read ended inside a line */
	struct pending cur;
	struct provider *sections, **tail; /* committed sections of this file */
};

static void pending_clear(struct pending *p)
{
	free(p->name);
	free(p->aliases);
	free(p->library);
	free(p->symbol);
	memset(p, 0, sizeof(*p));
}

static struct provider *registry_find_section(struct provider *list, enum section_kind kind,
					      const char *name)
{
	/* An exact match first: U is usdt and u is uprobe, as in bpftrace. */
	for (int exact = 1; exact >= 0; exact--) {
		int (*cmp)(const char *, const char *) = exact ? strcmp : strcasecmp;
		for (struct provider *p = list; p; p = p->next) {
			if (p->kind != kind)
				continue;
			if (!cmp(p->name, name))
				return p;
			for (size_t i = 0; i < p->naliases; i++)
				if (!cmp(p->aliases[i], name))
					return p;
		}
	}
	return NULL;
}

static struct module *registry_module(struct registry *reg, enum section_kind kind,
				      const char *path, const char *symbol)
{
	for (struct module *m = reg->modules; m; m = m->next)
		if (m->kind == kind && !strcmp(m->path, path) && !strcmp(m->symbol, symbol))
			return m;
	return NULL;
}

static void split_aliases(struct provider *s, const char *text)
{
	char *copy = xstrdup(text), *save = NULL;
	for (char *tok = strtok_r(copy, ", \t", &save); tok; tok = strtok_r(NULL, ", \t", &save)) {
		s->aliases = realloc(s->aliases, (s->naliases + 1) * sizeof(*s->aliases));
		if (!s->aliases)
			abort();
		s->aliases[s->naliases++] = xstrdup(tok);
	}
	free(copy);
}

static void section_free(struct provider *s)
{
	for (size_t i = 0; i < s->naliases; i++)
		free(s->aliases[i]);
	free(s->aliases);
	free(s->name);
	free(s);
}

/* Validate the pending section and move it to the file's list. */
static void ini_commit(struct ini_ctx *c)
{
	struct pending *p = &c->cur;
	struct registry *reg = c->reg;
	const char *what = p->kind == SEC_PROVIDER ? "provider" : "output";
	if (!p->active || p->bad)
		goto out;
	if (!p->name || !*p->name) {
		reg->host->log(STROBE_LOG_WARNING, "%s:%u: [%s] section without 'name', skipped",
			       c->path, p->line, what);
		goto out;
	}
	if (!p->library || !*p->library) {
		reg->host->log(STROBE_LOG_WARNING, "%s:%u: %s '%s' has no 'library', skipped", c->path,
			       p->line, what, p->name);
		goto out;
	}
	/* First definition wins: earlier directories on the path override later ones. */
	if (registry_find_section(reg->sections, p->kind, p->name) ||
	    registry_find_section(c->sections, p->kind, p->name))
		goto out;

	char *lib = p->library[0] == '/' ? xstrdup(p->library)
					 : xasprintf("%s/%s", c->dir, p->library);
	const char *symbol = p->symbol ? p->symbol
				       : p->kind == SEC_PROVIDER ? "strobe_provider_entry"
								 : "strobe_output_entry";
	struct module *m = registry_module(reg, p->kind, lib, symbol);
	if (!m) {
		m = xcalloc(1, sizeof(*m));
		m->kind = p->kind;
		m->path = lib;
		m->symbol = xstrdup(symbol);
		m->origin = xasprintf("%s:%u", c->path, p->line);
		m->what = xasprintf("%s '%s'", what, p->name);
		m->ini_abi = p->have_abi ? (unsigned)p->abi : 0;
		m->next = reg->modules;
		reg->modules = m;
	} else {
		free(lib);
	}

	struct provider *s = xcalloc(1, sizeof(*s));
	s->reg = reg;
	s->kind = p->kind;
	s->name = xstrdup(p->name);
	if (p->aliases)
		split_aliases(s, p->aliases);
	s->mod = m;
	*c->tail = s;
	c->tail = &s->next;
out:
	pending_clear(p);
}

/* fgets for inih that also tells us the line number and where sections start. */
static char *ini_read_line(char *str, int num, void *stream)
{
	struct ini_ctx *c = stream;
	char *line = fgets(str, num, c->fp);
	if (!line)
		return NULL;
	/* inih reads long lines in pieces: count a line only where one starts. */
	bool starts_line = !c->mid_line;
	size_t len = strlen(line);
	c->mid_line = len && line[len - 1] != '\n';
	if (!starts_line)
		return line;
	c->lineno++;
	const char *s = line + strspn(line, " \t");
	if (*s == '[') {
		ini_commit(c);
		c->cur.line = c->lineno;
	}
	return line;
}

static int ini_set_str(char **slot, const char *value)
{
	free(*slot);
	*slot = xstrdup(value);
	return 1;
}

/* inih handler: nonzero means success. We always continue and track errors ourselves. */
static int ini_on_key(void *user, const char *section, const char *key, const char *value)
{
	struct ini_ctx *c = user;
	struct pending *p = &c->cur;
	struct strobe_host const *host = c->reg->host;
	if (!p->active) {
		p->active = true;
		if (!p->line)
			p->line = c->lineno;
		if (!strcasecmp(section, "provider")) {
			p->kind = SEC_PROVIDER;
		} else if (!strcasecmp(section, "output")) {
			p->kind = SEC_OUTPUT;
		} else {
			host->log(STROBE_LOG_WARNING, "%s:%u: unknown section '[%s]', skipped", c->path,
				  p->line, section);
			p->bad = true;
		}
	}
	if (p->bad)
		return 1;
	if (!strcasecmp(key, "name"))
		return ini_set_str(&p->name, value);
	if (!strcasecmp(key, "aliases"))
		return ini_set_str(&p->aliases, value);
	if (!strcasecmp(key, "library"))
		return ini_set_str(&p->library, value);
	if (!strcasecmp(key, "symbol"))
		return ini_set_str(&p->symbol, value);
	if (!strcasecmp(key, "abi")) {
		char *end;
		errno = 0;
		p->abi = strtol(value, &end, 10);
		if (errno || end == value || *end || p->abi < 0) {
			host->log(STROBE_LOG_WARNING, "%s:%u: invalid abi '%s'", c->path, c->lineno,
				  value);
			p->bad = true;
		}
		p->have_abi = true;
		return 1;
	}
	host->log(STROBE_LOG_WARNING, "%s:%u: unknown key '%s'", c->path, c->lineno, key);
	p->bad = true;
	return 1;
}

static void registry_read_ini(struct registry *reg, const char *dir, const char *path)
{
	struct ini_ctx c = { .reg = reg, .path = path, .dir = dir };
	c.tail = &c.sections;
	c.fp = fopen(path, "re");
	if (!c.fp) {
		reg->host->log(STROBE_LOG_WARNING, "%s: %s", path, strerror(errno));
		return;
	}
	int err = ini_parse_stream(ini_read_line, &c, ini_on_key, &c);
	ini_commit(&c);
	fclose(c.fp);
	if (err) {
		/* A syntax error makes the whole file suspect: keep none of it. */
		if (err > 0)
			reg->host->log(STROBE_LOG_WARNING, "%s:%d: syntax error, file skipped", path,
				       err);
		else
			reg->host->log(STROBE_LOG_WARNING, "%s: cannot parse, file skipped", path);
		while (c.sections) {
			struct provider *next = c.sections->next;
			section_free(c.sections);
			c.sections = next;
		}
		return;
	}
	if (c.sections) {
		*reg->tail = c.sections;
		reg->tail = c.tail;
	}
}

static int ini_filter(const struct dirent *d)
{
	size_t n = strlen(d->d_name);
	return d->d_name[0] != '.' && n > 4 && !strcmp(d->d_name + n - 4, ".ini");
}

static void registry_read_dir(struct registry *reg, const char *dir)
{
	struct dirent **names;
	int n = scandir(dir, &names, ini_filter, alphasort);
	if (n < 0)
		return; /* a missing directory on the path is not an error */
	for (int i = 0; i < n; i++) {
		char *path = xasprintf("%s/%s", dir, names[i]->d_name);
		registry_read_ini(reg, dir, path);
		free(path);
		free(names[i]);
	}
	free(names);
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int registry_open(struct registry **out, const struct strobe_host *host)
{
	struct registry *reg = xcalloc(1, sizeof(*reg));
	reg->host = host;
	reg->target_pid = -1;
	reg->tail = &reg->sections;

	const char *env = secure_getenv("STROBE_PLUGIN_PATH");
	if (env && *env) {
		char *copy = xstrdup(env), *save = NULL;
		for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save))
			registry_read_dir(reg, d);
		free(copy);
	} else {
		char exe[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		char *build_dir = NULL;
		if (n > 0) {
			exe[n] = '\0';
			char *slash = strrchr(exe, '/');
			if (slash) {
				*slash = '\0';
				build_dir = xasprintf("%s/plugins.d", exe);
			}
		}
		if (build_dir && is_dir(build_dir))
			registry_read_dir(reg, build_dir);
		else
			registry_read_dir(reg, INSTALLED_PLUGINS_D);
		free(build_dir);
	}
	*out = reg;
	return 0;
}

/* ---- lazy loading ---------------------------------------------------- */

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

static char *module_do_load(struct registry *reg, struct module *m)
{
	unsigned abi = m->kind == SEC_PROVIDER ? STROBE_PROVIDER_ABI : STROBE_OUTPUT_ABI;
	/* The INI's abi lets us refuse a module without running any of its code. */
	if (m->ini_abi && m->ini_abi != abi)
		return xasprintf("%s (%s) was built for ABI %u, strobe has %u", m->what, m->path,
				 m->ini_abi, abi);
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
static const char *module_load(struct registry *reg, struct module *m)
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

/* ---- providers ----------------------------------------------------- */

/* "BEGIN, END, interval, i, ..." */
static void known_types(struct registry *reg, char *buf, size_t len)
{
	size_t off = (size_t)snprintf(buf, len, "BEGIN, END");
	for (struct provider *p = reg->sections; p && off < len; p = p->next) {
		if (p->kind != SEC_PROVIDER)
			continue;
		off += (size_t)snprintf(buf + off, len - off, ", %s", p->name);
		for (size_t i = 0; i < p->naliases && off < len; i++)
			off += (size_t)snprintf(buf + off, len - off, ", %s", p->aliases[i]);
	}
}

struct provider *registry_provider(struct registry *reg, const char *type, const char **canonical,
				   char *err, size_t errlen)
{
	struct provider *p = registry_find_section(reg->sections, SEC_PROVIDER, type);
	if (!p) {
		char known[1024];
		known_types(reg, known, sizeof(known));
		snprintf(err, errlen, "Invalid probe type: %s (known: %s)", type, known);
		return NULL;
	}
	const char *why = module_load(reg, p->mod);
	if (why) {
		snprintf(err, errlen, "%s", why);
		return NULL;
	}
	if (canonical)
		*canonical = p->name;
	return p;
}

const char *provider_name(const struct provider *p)
{
	return p->name;
}

/* The resolver handed to a provider: collects attachments, then appends them. */
struct strobe_attachment {
	size_t index; /* into resolve_ctx.items */
	size_t cap;   /* of the args array */
	struct strobe_arg *args;
};

struct resolve_ctx {
	struct strobe_resolver r; /* first: the provider sees only this */
	struct provider *p;
	const char *type;
	struct arena *a;
	struct diags *d;
	const struct loc *loc;
	struct probe_attach *items;
	size_t n, cap;
	unsigned nerrors;
};

static const char *arena_strdup_or_null(struct arena *a, const char *s)
{
	return s ? arena_strdup(a, s) : NULL;
}

static struct strobe_attachment *resolver_add(struct strobe_resolver *r, const char *name,
					      const char *target, int prog_type, unsigned builtins)
{
	struct resolve_ctx *c = (struct resolve_ctx *)r;
	if (!name || !target)
		return NULL;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 8;
		c->items = realloc(c->items, c->cap * sizeof(*c->items));
		if (!c->items)
			abort();
	}
	struct probe_attach *pa = &c->items[c->n];
	memset(pa, 0, sizeof(*pa));
	pa->name = arena_strdup(c->a, name);
	pa->type = c->type;
	pa->target = arena_strdup(c->a, target);
	pa->prog_type = prog_type;
	pa->builtins = builtins;
	pa->provider = c->p;
	struct strobe_attachment *h = arena_zalloc(c->a, sizeof(*h));
	h->index = c->n++;
	return h;
}

static int resolver_add_arg(struct strobe_resolver *r, struct strobe_attachment *h,
			    const struct strobe_arg *arg)
{
	struct resolve_ctx *c = (struct resolve_ctx *)r;
	if (!h || !arg || !arg->name)
		return -EINVAL;
	struct probe_attach *pa = &c->items[h->index];
	if (pa->nargs == h->cap) {
		size_t cap = h->cap ? h->cap * 2 : 8;
		h->args = arena_grow(c->a, h->args, pa->nargs, cap, sizeof(*h->args));
		h->cap = cap;
	}
	struct strobe_arg *dst = &h->args[pa->nargs++];
	/* Fields appended to strobe_arg are read only for the kinds that define them,
	 * so a provider built before they existed is never read past its struct. */
	if (arg->loc == STROBE_LOC_REG_INDEX_MEM) {
		*dst = *arg;
	} else {
		memset(dst, 0, sizeof(*dst));
		memcpy(dst, arg, offsetof(struct strobe_arg, index_reg));
	}
	dst->name = arena_strdup(c->a, arg->name);
	dst->ctype = arena_strdup_or_null(c->a, arg->ctype);
	dst->pointee = arena_strdup_or_null(c->a, arg->pointee);
	pa->args = h->args;
	return 0;
}

static int resolver_set_dispatch(struct strobe_resolver *r, struct strobe_attachment *h,
				 const struct strobe_dispatch *d)
{
	struct resolve_ctx *c = (struct resolve_ctx *)r;
	if (!h || !d || d->size < offsetofend(struct strobe_dispatch, task_mask) || !d->shared ||
	    !*d->shared || d->value >= STROBE_DISPATCH_MAX_VALUE || d->ctx_offset % 8)
		return -EINVAL;
	struct probe_attach *pa = &c->items[h->index];
	pa->dispatch = *d;
	pa->dispatch.size = sizeof(pa->dispatch);
	pa->dispatch.shared = arena_strdup(c->a, d->shared);
	return 0;
}

static int resolver_set_btf_target(struct strobe_resolver *r, struct strobe_attachment *h,
				   const struct strobe_btf_target *t)
{
	struct resolve_ctx *c = (struct resolve_ctx *)r;
	if (!h || !t || t->size < offsetofend(struct strobe_btf_target, hint) || !t->func ||
	    !*t->func || (t->attach_type != BPF_TRACE_FENTRY && t->attach_type != BPF_TRACE_FEXIT))
		return -EINVAL;
	struct probe_attach *pa = &c->items[h->index];
	if (pa->prog_type != BPF_PROG_TYPE_TRACING)
		return -EINVAL;
	pa->btf_target = *t;
	pa->btf_target.size = sizeof(pa->btf_target);
	pa->btf_target.func = arena_strdup(c->a, t->func);
	pa->btf_target.module = arena_strdup_or_null(c->a, t->module);
	pa->btf_target.hint = arena_strdup_or_null(c->a, t->hint);
	return 0;
}

static int resolver_set_multi(struct strobe_resolver *r, struct strobe_attachment *h,
			      int attach_type)
{
	struct resolve_ctx *c = (struct resolve_ctx *)r;
	if (!h || attach_type <= 0)
		return -EINVAL;
	c->items[h->index].multi_attach_type = attach_type;
	return 0;
}

static void resolver_error(struct strobe_resolver *r, const char *fmt, ...)
{
	struct resolve_ctx *c = (struct resolve_ctx *)r;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag_error(c->d, c->loc, "%s", msg);
	c->nerrors++;
}

static void resolver_warning(struct strobe_resolver *r, const char *fmt, ...)
{
	struct resolve_ctx *c = (struct resolve_ctx *)r;
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	diag_warning(c->d, c->loc, "%s", msg);
}

void registry_set_target_pid(struct registry *reg, int pid)
{
	reg->target_pid = pid > 0 ? pid : -1;
}

int provider_resolve(struct provider *p, const char *type, const char *target, struct arena *a,
		     struct probe_attach **attach, size_t *nattach, struct diags *d,
		     const struct loc *loc)
{
	struct module *m = p->mod;
	const char *why = module_load(p->reg, m);
	if (why) {
		diag_error(d, loc, "%s", why);
		return -ENOENT;
	}
	struct resolve_ctx c = {
		.r = { .size = sizeof(struct strobe_resolver),
		       .add = resolver_add,
		       .add_arg = resolver_add_arg,
		       .error = resolver_error,
		       .warning = resolver_warning,
		       .set_dispatch = resolver_set_dispatch,
		       .pid = p->reg->target_pid,
		       .set_btf_target = resolver_set_btf_target,
		       .set_multi = resolver_set_multi },
		.p = p,
		.type = arena_strdup(a, type ? type : p->name),
		.a = a,
		.d = d,
		.loc = loc,
	};
	int err = m->pops.resolve(m->st, c.type, target ? target : "", &c.r);
	if (err < 0 || c.nerrors) {
		if (!c.nerrors)
			diag_error(d, loc, "invalid %s probe '%s': %s", c.type, target ? target : "",
				   strerror(err < 0 ? -err : EINVAL));
		free(c.items);
		return err < 0 ? err : -EINVAL;
	}
	if (c.n == 0) {
		diag_error(d, loc, "%s:%s matched no probes", c.type, target ? target : "");
		return -ENOENT;
	}
	struct probe_attach *grown = arena_grow(a, *attach, *nattach, *nattach + c.n, sizeof(**attach));
	memcpy(grown + *nattach, c.items, c.n * sizeof(*c.items));
	*attach = grown;
	*nattach += c.n;
	free(c.items);
	return 0;
}

int provider_attach(struct provider *p, const struct strobe_attach_req *req,
		    struct strobe_link **out, char *err, size_t errlen)
{
	struct module *m = p->mod;
	const char *why = module_load(p->reg, m);
	if (why) {
		snprintf(err, errlen, "%s", why);
		return -ENOENT;
	}
	if (errlen)
		err[0] = '\0';
	int e = m->pops.attach(m->st, req, out, err, errlen);
	if (e < 0 && errlen && !err[0])
		snprintf(err, errlen, "%s", strerror(-e));
	return e;
}

int provider_attach_multi(struct provider *p, const struct strobe_attach_req *reqs, size_t n,
			  struct strobe_link **out, char *err, size_t errlen)
{
	struct module *m = p->mod;
	if (errlen)
		err[0] = '\0';
	const char *why = module_load(p->reg, m);
	if (why) {
		snprintf(err, errlen, "%s", why);
		return -ENOENT;
	}
	if (!m->pops.attach_multi) {
		snprintf(err, errlen, "the %s provider cannot attach several points at once", p->name);
		return -EOPNOTSUPP;
	}
	int e = m->pops.attach_multi(m->st, reqs, n, out, err, errlen);
	if (e < 0 && errlen && !err[0])
		snprintf(err, errlen, "%s", strerror(-e));
	return e;
}

int provider_symbol(struct provider *p, const char *type, const char *target, const char *name, int64_t *addr,
		    uint32_t *size, bool *relative)
{
	if (!p->mod->pops.symbol)
		return -EOPNOTSUPP;
	*size = 0;
	*relative = false;
	return p->mod->pops.symbol(p->mod->st, type, target, name, addr, size, relative);
}

void provider_detach(struct provider *p, struct strobe_link *link)
{
	if (link && p->mod->handle)
		p->mod->pops.detach(p->mod->st, link);
}

/* ---- -l ------------------------------------------------------------ */

struct list_ctx {
	FILE *fp;
	const char *filter; /* full-name glob */
	bool verbose;
	size_t count;
};

static void list_print_arg(FILE *fp, const struct strobe_arg *a)
{
	const char *ctype = a->ctype;
	if (!ctype) {
		switch (a->kind) {
		case STROBE_ARG_PTR:
			ctype = "void *";
			break;
		case STROBE_ARG_DATA_LOC:
			ctype = "__data_loc char[]";
			break;
		default:
			ctype = a->is_signed ? "int64" : "uint64";
			break;
		}
	}
	if (a->kind == STROBE_ARG_ARRAY && a->count)
		fprintf(fp, "    %s %s[%u]\n", ctype, a->name, a->count);
	else if (a->kind == STROBE_ARG_ARRAY)
		fprintf(fp, "    %s %s[]\n", ctype, a->name);
	else
		fprintf(fp, "    %s %s\n", ctype, a->name);
}

static int list_one(void *ctx, const struct strobe_listing *l)
{
	struct list_ctx *c = ctx;
	if (c->filter && fnmatch(c->filter, l->name, 0))
		return 0;
	fprintf(c->fp, "%s\n", l->name);
	if (c->verbose)
		for (size_t i = 0; i < l->nargs; i++)
			list_print_arg(c->fp, &l->args[i]);
	c->count++;
	return 0;
}

static int list_provider(struct registry *reg, struct provider *p, const char *glob,
			 const char *filter, bool verbose, FILE *fp)
{
	const char *why = module_load(reg, p->mod);
	if (why) {
		reg->host->log(STROBE_LOG_ERROR, "%s", why);
		return -ENOENT;
	}
	struct list_ctx c = { .fp = fp, .filter = filter, .verbose = verbose };
	return p->mod->pops.list(p->mod->st, p->name, glob, verbose, list_one, &c);
}

int registry_list(struct registry *reg, const char *pattern, bool verbose, FILE *fp)
{
	int first_err = 0;
	const char *colon = pattern ? strchr(pattern, ':') : NULL;
	if (colon) {
		char *type = strndup(pattern, (size_t)(colon - pattern));
		if (!type)
			return -ENOMEM;
		const char *rest = *(colon + 1) ? colon + 1 : "*";
		struct provider *p = strpbrk(type, "*?[")
					     ? NULL
					     : registry_find_section(reg->sections, SEC_PROVIDER, type);
		if (p) {
			/* An alias lists under the canonical name: t:sched:* is tracepoint:sched:*. */
			/* The provider applies the glob itself: it may list a resolved name
			 * (uprobe:libc:* lists uprobe:/lib/x86_64-linux-gnu/libc.so.6:...). */
			first_err = list_provider(reg, p, rest, NULL, verbose, fp);
		} else {
			for (struct provider *q = reg->sections; q; q = q->next) {
				if (q->kind != SEC_PROVIDER || fnmatch(type, q->name, FNM_CASEFOLD))
					continue;
				int e = list_provider(reg, q, rest, pattern, verbose, fp);
				if (e < 0 && !first_err)
					first_err = e;
			}
		}
		free(type);
		return first_err;
	}
	/* No type given: a glob over every full probe name. */
	char *filter = pattern && *pattern ? (strpbrk(pattern, "*?[") ? xstrdup(pattern)
								      : xasprintf("*%s*", pattern))
					   : NULL;
	for (struct provider *q = reg->sections; q; q = q->next) {
		if (q->kind != SEC_PROVIDER)
			continue;
		int e = list_provider(reg, q, "*", filter, verbose, fp);
		if (e < 0 && !first_err)
			first_err = e;
	}
	free(filter);
	return first_err;
}

/* ---- outputs ------------------------------------------------------- */

int registry_output(struct registry *reg, const char *name, FILE *fp, const char *opts,
		    struct output *out, char *err, size_t errlen)
{
	struct provider *s = registry_find_section(reg->sections, SEC_OUTPUT, name);
	if (!s) {
		size_t off = (size_t)snprintf(err, errlen, "unknown output format '%s' (known:", name);
		const char *sep = " ";
		for (struct provider *q = reg->sections; q && off < errlen; q = q->next) {
			if (q->kind != SEC_OUTPUT)
				continue;
			off += (size_t)snprintf(err + off, errlen - off, "%s%s", sep, q->name);
			sep = ", ";
		}
		if (off < errlen)
			snprintf(err + off, errlen - off, ")");
		return -ENOENT;
	}
	const char *why = module_load(reg, s->mod);
	if (why) {
		snprintf(err, errlen, "%s", why);
		return -ENOENT;
	}
	void *sink = NULL;
	int e = s->mod->oops.open(reg->host, fp, opts, &sink);
	if (e < 0) {
		snprintf(err, errlen, "output '%s' failed to open: %s", name, strerror(-e));
		return e;
	}
	out->ops = &s->mod->oops;
	out->sink = sink;
	return 0;
}

void output_close(struct output *out)
{
	if (out->ops)
		out->ops->close(out->sink);
	out->ops = NULL;
	out->sink = NULL;
}

void registry_close(struct registry *reg)
{
	if (!reg)
		return;
	for (struct module *m = reg->modules; m;) {
		struct module *next = m->next;
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
		m = next;
	}
	for (struct provider *p = reg->sections; p;) {
		struct provider *next = p->next;
		section_free(p);
		p = next;
	}
	free(reg);
}
