/*
 * plugins.d INI files: each [provider] or [output] section checked and added
 * to the registry with the module it names; sections found by name or alias.
 */
#include "registry_internal.h"

#include <errno.h>
#include <ini.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct provider *registry_find_section(struct provider *list, enum section_kind kind, const char *name)
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

void section_free(struct provider *s)
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

void plugin_ini_read(struct registry *reg, const char *dir, const char *path)
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
