/*
 * The module registry: the plugins.d search path, a provider looked up (and
 * loaded) by its probe type, and the calls into a loaded provider.
 */
#include "registry_internal.h"

#include "child.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef STROBE_PREFIX
#define STROBE_PREFIX "/usr/local"
#endif
#define INSTALLED_PLUGINS_D STROBE_PREFIX "/lib/strobe/plugins.d"

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
		plugin_ini_read(reg, dir, path);
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

/* The registry host->provider() answers from: callbacks get no context. */
static struct registry *host_registry;

static const struct strobe_provider_ops *host_provider(const char *type, void **st)
{
	struct registry *reg = host_registry;
	struct provider *p = reg && type ? registry_find_section(reg->sections, SEC_PROVIDER, type) : NULL;
	if (!p)
		return NULL;
	const char *why = module_load(reg, p->mod);
	if (why) {
		reg->host->log(STROBE_LOG_ERROR, "%s", why);
		return NULL;
	}
	*st = p->mod->st;
	return &p->mod->pops;
}

static bool host_listing_all(void)
{
	return host_registry && host_registry->listing_all;
}

int registry_open(struct registry **out, const struct strobe_host *host)
{
	struct registry *reg = xcalloc(1, sizeof(*reg));
	memcpy(&reg->host_copy, host,
	       host->size < sizeof(reg->host_copy) ? host->size : sizeof(reg->host_copy));
	reg->host_copy.size = sizeof(reg->host_copy);
	reg->host_copy.provider = host_provider;
	reg->host_copy.listing_all = host_listing_all;
	reg->host = &reg->host_copy;
	host_registry = reg;
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
		/* installed: PREFIX/bin/strobe reads PREFIX/lib/strobe/plugins.d, wherever PREFIX is */
		char *installed = n > 0 ? xasprintf("%s/../lib/strobe/plugins.d", exe) : NULL;
		if (build_dir && is_dir(build_dir))
			registry_read_dir(reg, build_dir);
		else if (installed && is_dir(installed))
			registry_read_dir(reg, installed);
		else
			registry_read_dir(reg, INSTALLED_PLUGINS_D);
		free(build_dir);
		free(installed);
	}
	*out = reg;
	return 0;
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

void registry_info(struct registry *reg, FILE *fp, const char *(*kernel_missing)(const char *provider))
{
	for (struct provider *p = reg->sections; p; p = p->next) {
		if (p->kind != SEC_PROVIDER)
			continue;
		const char *why = module_load(reg, p->mod);
		fprintf(fp, "  %s: %s", p->name, why ? "no" : "yes");
		for (size_t i = 0; i < p->naliases; i++)
			fprintf(fp, "%s%s", i ? ", " : " (also ", p->aliases[i]);
		if (p->naliases)
			fputc(')', fp);
		const char *missing = !why && kernel_missing ? kernel_missing(p->name) : NULL;
		if (missing)
			fprintf(fp, "; this kernel: no (%s)", missing);
		fputc('\n', fp);
		if (why)
			fprintf(fp, "    %s\n", why);
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

void registry_close(struct registry *reg)
{
	if (!reg)
		return;
	for (struct module *m = reg->modules; m;) {
		struct module *next = m->next;
		module_free(m);
		m = next;
	}
	for (struct provider *p = reg->sections; p;) {
		struct provider *next = p->next;
		section_free(p);
		p = next;
	}
	if (host_registry == reg)
		host_registry = NULL;
	child_free_words(reg->cmd_argv);
	free(reg);
}
