/*
 * The registry's own structures and helpers, shared only by the files that
 * make it up (see registry.h).
 */
#ifndef STROBE_REGISTRY_INTERNAL_H
#define STROBE_REGISTRY_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "registry.h"
#include "xalloc.h"

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
	size_t arg_size; /* of the provider's struct strobe_arg records (strobe_listing.args) */
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
	const struct strobe_host *host; /* &host_copy */
	struct strobe_host host_copy;   /* the caller's, with the registry's own slots */
	struct provider *sections, **tail;
	struct module *modules;
	int target_pid; /* strobe_resolver.pid */
	char **cmd_argv; /* strobe_resolver.cmd_argv */
	bool listing_all; /* strobe_host.listing_all: -l of every provider under way */
};

/* Read one INI file of dir into reg (plugin_ini.c): bad files are reported and skipped. */
void plugin_ini_read(struct registry *reg, const char *dir, const char *path);
void section_free(struct provider *s);
/* The section of this kind named name or aliased so: an exact match first, then one ignoring case. */
struct provider *registry_find_section(struct provider *list, enum section_kind kind, const char *name);

/* Load m once (module_load.c): NULL, or why it failed, remembered so every later use reports it. */
const char *module_load(struct registry *reg, struct module *m);
/* fini() and dlclose() m if it was loaded, and free it. */
void module_free(struct module *m);

#endif
