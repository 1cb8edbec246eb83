/*
 * bpftrace's config variables: defaults, the script's config block, then
 * the environment (BPFTRACE_<KEY>), which overrides the block (config.h).
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "host.h"
#include "lang/ast.h"

#define MAX_STRLEN 1024

enum key_kind {
	K_UINT,       /* 1..max */
	K_POW2,       /* a power of 2, 1..max */
	K_BOOL,
	K_MISSING,    /* error | warn | ignore */
	K_UNSTABLE,   /* warn | error | enable: an enum unstable_use */
	K_STACK_MODE, /* bpftrace | perf | raw */
	K_METRIC,     /* a metric name prefix (Prometheus), or "" */
	K_LABELS,     /* label names, comma separated (Prometheus) */
	K_TEXT,       /* any string */
	K_NO_EFFECT,  /* accepted so bpftrace scripts run; strobe has nothing it changes */
};

struct key {
	const char *name;
	enum key_kind kind;
	size_t offset;
	uint32_t max;
	const char *env[3]; /* read before BPFTRACE_<NAME>, first set wins */
};

#define AT(f) offsetof(struct config, f)
static const struct key keys[] = {
	{ "max_strlen", K_UINT, AT(max_strlen), MAX_STRLEN, { "STROBE_MAX_STRLEN" } },
	{ "max_map_keys", K_UINT, AT(max_map_keys), 1u << 24, { 0 } },
	{ "max_probes", K_UINT, AT(max_probes), 1u << 20, { 0 } },
	{ "max_cat_bytes", K_UINT, AT(max_cat_bytes), 1u << 24, { 0 } },
	{ "perf_rb_pages", K_POW2, AT(perf_rb_pages), 1u << 18, { 0 } },
	{ "missing_probes", K_MISSING, AT(missing_probes), 0, { 0 } },
	{ "unstable_addr", K_UNSTABLE, AT(unstable_addr), 0, { 0 } },
	{ "print_maps_on_exit", K_BOOL, AT(print_maps_on_exit), 0, { 0 } },
	{ "stack_mode", K_STACK_MODE, AT(stack_mode), 0, { 0 } },
	{ "metric_prefix", K_METRIC, AT(metric_prefix), 0, { 0 } },
	{ "metric_labels", K_LABELS, AT(metric_labels), 0, { 0 } },
	{ "cache_user_symbols", K_NO_EFFECT, 0, 0, { 0 } },
	{ "cpp_demangle", K_NO_EFFECT, 0, 0, { 0 } },
	{ "lazy_symbolication", K_NO_EFFECT, 0, 0, { 0 } },
	{ "license", K_NO_EFFECT, 0, 0, { 0 } },
	{ "log_size", K_NO_EFFECT, 0, 0, { 0 } },
	{ "max_bpf_progs", K_NO_EFFECT, 0, 0, { 0 } },
	{ "on_stack_limit", K_NO_EFFECT, 0, 0, { 0 } },
	{ "show_debug_info", K_NO_EFFECT, 0, 0, { 0 } },
	{ "str_trunc_trailer", K_TEXT, AT(str_trunc_trailer), 0, { 0 } },
	{ "use_blazesym", K_NO_EFFECT, 0, 0, { 0 } },
};

/* Environment-only names kept from bpftrace 0.17; in a config block they are an error. */
static const struct {
	const char *old, *key;
} renamed[] = {
	{ "strlen", "max_strlen" },
	{ "map_keys_max", "max_map_keys" },
	{ "cat_bytes_max", "max_cat_bytes" },
	{ "no_cpp_demangle", "cpp_demangle" },
};

static const struct key *find_key(const char *name)
{
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!strcasecmp(keys[i].name, name))
			return &keys[i];
	return NULL;
}

static void *field(struct config *c, const struct key *k)
{
	return (char *)c + k->offset;
}

/* A Prometheus metric name (prefix: may be empty) or label name; label names have no ':'. */
static bool metric_name_ok(const char *s, size_t n, bool label)
{
	for (size_t i = 0; i < n; i++)
		if (!(isalpha((unsigned char)s[i]) || s[i] == '_' || (!label && s[i] == ':') ||
		      (i > 0 && isdigit((unsigned char)s[i]))))
			return false;
	return !label || (n > 0 && strncmp(s, "__", 2));
}

/* A text value of key k (from the environment, or a string/identifier in the block). */
static int set_text(struct config *c, const struct key *k, const char *v, char *why, size_t whylen)
{
	switch (k->kind) {
	case K_UINT:
	case K_POW2: {
		char *end;
		errno = 0;
		unsigned long n = strtoul(v, &end, 10);
		if (errno || *end || end == v || *v == '-' || n == 0 || n > k->max) {
			snprintf(why, whylen, "must be a number between 1 and %u", k->max);
			return -EINVAL;
		}
		if (k->kind == K_POW2 && (n & (n - 1))) {
			snprintf(why, whylen, "must be a power of 2");
			return -EINVAL;
		}
		*(uint32_t *)field(c, k) = (uint32_t)n;
		return 0;
	}
	case K_BOOL:
		if (!strcmp(v, "1") || !strcasecmp(v, "true")) {
			*(bool *)field(c, k) = true;
			return 0;
		}
		if (!strcmp(v, "0") || !strcasecmp(v, "false")) {
			*(bool *)field(c, k) = false;
			return 0;
		}
		snprintf(why, whylen, "must be true or false");
		return -EINVAL;
	case K_MISSING: {
		static const char *const names[] = { [MISSING_PROBES_ERROR] = "error", [MISSING_PROBES_WARN] = "warn",
						      [MISSING_PROBES_IGNORE] = "ignore" };
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (!strcmp(v, names[i])) {
				*(enum missing_probes *)field(c, k) = (enum missing_probes)i;
				return 0;
			}
		snprintf(why, whylen, "must be error, warn or ignore");
		return -EINVAL;
	}
	case K_UNSTABLE: {
		static const char *const names[] = { "warn", "error", "enable" }; /* enum unstable_use's order */
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (!strcmp(v, names[i])) {
				*(int *)field(c, k) = (int)i;
				return 0;
			}
		snprintf(why, whylen, "must be warn, error or enable");
		return -EINVAL;
	}
	case K_STACK_MODE: {
		static const char *const modes[] = { "bpftrace", "perf", "raw" };
		for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
			if (!strcmp(v, modes[i])) {
				*(const char **)field(c, k) = modes[i];
				return 0;
			}
		snprintf(why, whylen, "must be bpftrace, perf or raw");
		return -EINVAL;
	}
	case K_METRIC:
		if (!metric_name_ok(v, strlen(v), false)) {
			snprintf(why, whylen, "must be a metric name prefix ([a-zA-Z_:][a-zA-Z0-9_:]*)");
			return -EINVAL;
		}
		*(const char **)field(c, k) = v;
		return 0;
	case K_LABELS:
		for (const char *p = v;; p++) {
			size_t n = strcspn(p, ",");
			if (!metric_name_ok(p, n, true)) {
				snprintf(why, whylen, "must be label names ([a-zA-Z_][a-zA-Z0-9_]*) separated by ','");
				return -EINVAL;
			}
			/* histograms add le and summaries quantile; a sample may not repeat a label */
			if ((n == 2 && !strncmp(p, "le", 2)) || (n == 8 && !strncmp(p, "quantile", 8))) {
				snprintf(why, whylen, "'%.*s' is a label Prometheus reserves for histograms and summaries",
					 (int)n, p);
				return -EINVAL;
			}
			for (const char *q = v; q < p; q += strcspn(q, ",") + 1)
				if (strcspn(q, ",") == n && !strncmp(q, p, n)) {
					snprintf(why, whylen, "label '%.*s' is named twice", (int)n, p);
					return -EINVAL;
				}
			p += n;
			if (!*p)
				break;
		}
		*(const char **)field(c, k) = v;
		return 0;
	case K_TEXT:
		*(const char **)field(c, k) = v;
		return 0;
	case K_NO_EFFECT:
		return 0;
	}
	return -EINVAL;
}

const char *config_string(const struct config *c, const char *key)
{
	const struct key *k = find_key(key);
	if (!k || (k->kind != K_METRIC && k->kind != K_LABELS))
		return NULL;
	return *(const char *const *)((const char *)c + k->offset);
}

static const char *value_kind(const struct node *v)
{
	switch (v->kind) {
	case N_INT: return "int";
	case N_STRING: return "string";
	case N_BOOL: return "bool";
	default: return "expression";
	}
}

static int set_item(struct config *c, const struct node *item, struct diags *d)
{
	const char *name = item->u.config_item.key;
	const struct node *v = item->u.config_item.value;
	/* bpftrace accepts the environment spelling in the block too */
	if (!strncasecmp(name, "BPFTRACE_", 9))
		name += 9;
	for (size_t i = 0; i < sizeof(renamed) / sizeof(renamed[0]); i++)
		if (!strcasecmp(name, renamed[i].old)) {
			diag_error(d, &item->loc, "%s has been renamed to %s", name, renamed[i].key);
			return -EINVAL;
		}
	const struct key *k = find_key(name);
	if (!k && strncasecmp(name, "unstable_", 9)) {
		diag_error(d, &item->loc, "Unrecognized config variable: %s", item->u.config_item.key);
		return -EINVAL;
	}
	if (!k || k->kind == K_NO_EFFECT)
		return 0;

	char text[32];
	const char *s = NULL;
	bool want_int = k->kind == K_UINT || k->kind == K_POW2;
	if (v->kind == N_INT && (want_int || k->kind == K_BOOL)) {
		snprintf(text, sizeof(text), "%llu", (unsigned long long)v->u.integer.value);
		s = text;
	} else if (v->kind == N_BOOL && k->kind == K_BOOL) {
		s = v->u.boolean ? "true" : "false";
	} else if (!want_int && k->kind != K_BOOL && v->kind == N_STRING) {
		s = v->u.string.s;
	} else if (!want_int && k->kind != K_BOOL && (v->kind == N_IDENT || v->kind == N_BUILTIN)) {
		s = v->u.ident.name; /* stack_mode = perf */
	}
	if (!s) {
		diag_error(d, &v->loc, "Invalid type for %s. Type: %s. Expected Type: %s", k->name, value_kind(v),
			   want_int ? "int" : k->kind == K_BOOL ? "bool" : "string");
		return -EINVAL;
	}
	char why[96];
	if (set_text(c, k, s, why, sizeof(why)) < 0) {
		diag_error(d, &v->loc, "Invalid value for %s: %s", k->name, why);
		return -EINVAL;
	}
	return 0;
}

/* The first set variable of k's environment names: the extra ones, then BPFTRACE_<NAME>, then 0.17's. */
static int set_from_env(struct config *c, const struct key *k)
{
	static const struct {
		const char *key, *env;
	} old_env[] = {
		{ "max_strlen", "BPFTRACE_STRLEN" },
		{ "max_map_keys", "BPFTRACE_MAP_KEYS_MAX" },
		{ "max_cat_bytes", "BPFTRACE_CAT_BYTES_MAX" },
	};
	char upper[64] = "BPFTRACE_";
	size_t n = strlen(upper);
	for (const char *p = k->name; *p && n + 1 < sizeof(upper); p++)
		upper[n++] = (char)toupper((unsigned char)*p);
	upper[n] = '\0';

	const char *names[6];
	size_t nn = 0;
	for (size_t i = 0; i < 3 && k->env[i]; i++)
		names[nn++] = k->env[i];
	names[nn++] = upper;
	for (size_t i = 0; i < sizeof(old_env) / sizeof(old_env[0]); i++)
		if (!strcmp(old_env[i].key, k->name))
			names[nn++] = old_env[i].env;

	for (size_t i = 0; i < nn; i++) {
		const char *v = secure_getenv(names[i]);
		if (!v)
			continue;
		char why[96];
		if (set_text(c, k, v, why, sizeof(why)) < 0) {
			core_log(STROBE_LOG_ERROR, "env var %s %s, not '%s'", names[i], why, v);
			return -EINVAL;
		}
		return 0;
	}
	return 0;
}

int config_load(struct config *c, const struct node *block, struct diags *d)
{
	*c = (struct config){
		.max_strlen = 64,
		.max_map_keys = 4096,
		.max_probes = 1024, /* bpftrace 0.23; 0.17 had 512 */
		.max_cat_bytes = 10240,
		.missing_probes = MISSING_PROBES_ERROR,
		.print_maps_on_exit = true,
		.stack_mode = "bpftrace",
		.str_trunc_trailer = "..",
	};
	int err = 0;
	for (const struct node *item = block ? block->u.list.head : NULL; item; item = item->next)
		if (set_item(c, item, d) < 0)
			err = -EINVAL;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (keys[i].kind != K_NO_EFFECT && set_from_env(c, &keys[i]) < 0)
			err = -EINVAL;
	return err;
}
