/*
 * Stack-keyed maps as folded stacks (-f folded) or an SVG flame graph
 * (-f flamegraph -o out.svg): the format of FlameGraph, inferno and
 * speedscope, one line per distinct stack:
 *
 *	burn;main;hot_fn 97
 *
 * Frames go root first. A key that is a tuple gives its strings and
 * integers (comm, pid) as root frames, in key order, then its user stacks,
 * then its kernel stacks. Frame names drop the "+offset" so that samples in
 * one function merge; an unknown frame is its address. A map whose key holds
 * no stack, or whose values are not counts or sums, is skipped with one
 * warning. folded prints each map as the core hands it over (print(@m) and
 * at exit); flamegraph keeps the last view of every map and draws them all
 * as one graph at close.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <strobe/output.h>

#include "flame.h"

struct folded_map {
	char *name;
	struct fold *folds;
	size_t n;
};

struct flame_sink {
	const struct strobe_host *host;
	FILE *fp;
	bool svg;
	struct folded_map *maps; /* flamegraph: the last view of each map */
	size_t nmaps;
	char **warned; /* maps already warned about */
	size_t nwarned;
};

struct sbuf {
	char *s;
	size_t len, cap;
	bool oom;
};

static void sb_put(struct sbuf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 128;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->s, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

/* Append one frame: ';' separates frames, so it becomes ':'; line breaks become spaces. */
static void sb_frame(struct sbuf *b, const char *name, size_t n)
{
	if (b->len)
		sb_put(b, ";", 1);
	for (size_t i = 0; i < n; i++) {
		char c = name[i] == ';' ? ':' : (name[i] == '\n' || name[i] == '\r') ? ' ' : name[i];
		sb_put(b, &c, 1);
	}
}

static void sb_sym(struct sbuf *b, const struct strobe_sym *sym)
{
	if (!sym->name || !sym->name[0]) {
		char addr[32];
		int n = snprintf(addr, sizeof(addr), "0x%" PRIx64, sym->addr);
		sb_frame(b, addr, (size_t)n);
		return;
	}
	const char *plus = strrchr(sym->name, '+');
	sb_frame(b, sym->name, plus && plus != sym->name ? (size_t)(plus - sym->name) : strlen(sym->name));
}

static bool is_user_stack(const struct strobe_value *v)
{
	for (size_t i = 0; i < v->list.n; i++)
		if (v->list.items[i].kind == STROBE_V_SYM && v->list.items[i].sym.module)
			return true;
	return false;
}

/* Frames of one stack, root (the last frame) first. */
static void sb_stack(struct sbuf *b, const struct strobe_value *v)
{
	for (size_t i = v->list.n; i-- > 0;)
		if (v->list.items[i].kind == STROBE_V_SYM)
			sb_sym(b, &v->list.items[i].sym);
}

static bool has_stack(const struct strobe_value *key)
{
	if (key->kind == STROBE_V_STACK)
		return true;
	if (key->kind != STROBE_V_TUPLE)
		return false;
	for (size_t i = 0; i < key->list.n; i++)
		if (key->list.items[i].kind == STROBE_V_STACK)
			return true;
	return false;
}

/* The folded frames of a key (has_stack() is true). */
static void fold_key(struct sbuf *b, const struct strobe_value *key)
{
	if (key->kind == STROBE_V_STACK) {
		sb_stack(b, key);
		return;
	}
	const struct strobe_value *items = key->list.items;
	for (size_t i = 0; i < key->list.n; i++) {
		char num[32];
		int n = 0;
		switch (items[i].kind) {
		case STROBE_V_STR:
			sb_frame(b, items[i].str.s, strnlen(items[i].str.s, items[i].str.len));
			break;
		case STROBE_V_INT:
			n = snprintf(num, sizeof(num), "%" PRId64, items[i].i);
			sb_frame(b, num, (size_t)n);
			break;
		case STROBE_V_UINT:
			n = snprintf(num, sizeof(num), "%" PRIu64, items[i].u);
			sb_frame(b, num, (size_t)n);
			break;
		case STROBE_V_SYM:
			sb_sym(b, &items[i].sym);
			break;
		default:
			break;
		}
	}
	for (int user = 1; user >= 0; user--)
		for (size_t i = 0; i < key->list.n; i++)
			if (items[i].kind == STROBE_V_STACK && is_user_stack(&items[i]) == (bool)user)
				sb_stack(b, &items[i]);
}

static bool value_count(const struct strobe_value *v, uint64_t *count)
{
	if (v->kind == STROBE_V_UINT || v->kind == STROBE_V_BOOL) {
		*count = v->u;
		return true;
	}
	if (v->kind == STROBE_V_INT) {
		*count = v->i > 0 ? (uint64_t)v->i : 0;
		return true;
	}
	return false;
}

int fold_cmp(const void *x, const void *y)
{
	const unsigned char *a = (const unsigned char *)((const struct fold *)x)->stack;
	const unsigned char *b = (const unsigned char *)((const struct fold *)y)->stack;
	for (;; a++, b++) {
		unsigned ca = *a == ';' ? 1 : *a, cb = *b == ';' ? 1 : *b;
		if (ca != cb)
			return ca < cb ? -1 : 1;
		if (!ca)
			return 0;
	}
}

static void folds_free(struct fold *f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(f[i].stack);
	free(f);
}

/* Sort and merge equal stacks (several addresses of one function); returns the new count. */
static size_t folds_merge(struct fold *f, size_t n)
{
	if (!n)
		return 0;
	qsort(f, n, sizeof(*f), fold_cmp);
	size_t out = 0;
	for (size_t i = 1; i < n; i++) {
		if (!strcmp(f[out].stack, f[i].stack)) {
			f[out].count += f[i].count;
			free(f[i].stack);
		} else {
			f[++out] = f[i];
		}
	}
	return out + 1;
}

static void warn_once(struct flame_sink *s, const char *map, const char *why)
{
	for (size_t i = 0; i < s->nwarned; i++)
		if (!strcmp(s->warned[i], map))
			return;
	char **w = realloc(s->warned, (s->nwarned + 1) * sizeof(*w));
	if (!w)
		return;
	s->warned = w;
	if ((w[s->nwarned] = strdup(map)))
		s->nwarned++;
	s->host->log(STROBE_LOG_WARNING, "%s: %s is not printed: %s", s->svg ? "flamegraph" : "folded", map,
		     why);
}

/* The folds of a map view (sorted, merged), or -errno; *n is 0 for a map that has no stacks. */
static int fold_map(struct flame_sink *s, const struct strobe_map_view *m, struct fold **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	if (!m->n)
		return 0;
	if (!has_stack(&m->entries[0].key)) {
		warn_once(s, m->name, "its key has no kstack or ustack");
		return 0;
	}
	struct fold *f = calloc(m->n, sizeof(*f));
	if (!f)
		return -ENOMEM;
	size_t k = 0;
	for (size_t i = 0; i < m->n; i++) {
		uint64_t count;
		if (!value_count(&m->entries[i].value, &count)) {
			warn_once(s, m->name, "its values are not counts (use count() or sum())");
			folds_free(f, k);
			return 0;
		}
		if (!count)
			continue;
		struct sbuf b = { 0 };
		fold_key(&b, &m->entries[i].key);
		if (b.oom) {
			free(b.s);
			folds_free(f, k);
			return -ENOMEM;
		}
		if (!b.s)
			b.s = strdup("[unknown]");
		if (!b.s) {
			folds_free(f, k);
			return -ENOMEM;
		}
		f[k++] = (struct fold){ b.s, count };
	}
	*out = f;
	*n = folds_merge(f, k);
	return 0;
}

static void flame_map(void *sink, const struct strobe_map_view *m)
{
	struct flame_sink *s = sink;
	struct fold *f;
	size_t n;
	if (fold_map(s, m, &f, &n) < 0) {
		s->host->log(STROBE_LOG_ERROR, "%s: out of memory folding %s", s->svg ? "flamegraph" : "folded",
			     m->name);
		return;
	}
	if (!s->svg) {
		for (size_t i = 0; i < n; i++)
			fprintf(s->fp, "%s %" PRIu64 "\n", f[i].stack, f[i].count);
		folds_free(f, n);
		return;
	}
	if (!n) {
		free(f);
		return;
	}
	for (size_t i = 0; i < s->nmaps; i++) {
		if (!strcmp(s->maps[i].name, m->name)) {
			folds_free(s->maps[i].folds, s->maps[i].n);
			s->maps[i].folds = f;
			s->maps[i].n = n;
			return;
		}
	}
	struct folded_map *maps = realloc(s->maps, (s->nmaps + 1) * sizeof(*maps));
	char *name = strdup(m->name);
	if (!maps || !name) {
		if (maps)
			s->maps = maps;
		free(name);
		folds_free(f, n);
		s->host->log(STROBE_LOG_ERROR, "flamegraph: out of memory keeping %s", m->name);
		return;
	}
	s->maps = maps;
	s->maps[s->nmaps++] = (struct folded_map){ name, f, n };
}

/* flamegraph: every map's stacks as one graph. */
static void flame_draw(struct flame_sink *s)
{
	size_t total = 0;
	for (size_t i = 0; i < s->nmaps; i++)
		total += s->maps[i].n;
	struct fold *all = calloc(total ? total : 1, sizeof(*all));
	if (!all) {
		s->host->log(STROBE_LOG_ERROR, "flamegraph: out of memory");
		return;
	}
	struct sbuf title = { 0 };
	sb_put(&title, "Flame Graph", 11);
	size_t k = 0;
	for (size_t i = 0; i < s->nmaps; i++) {
		sb_put(&title, i ? ", " : ": ", 2);
		sb_put(&title, s->maps[i].name, strlen(s->maps[i].name));
		for (size_t j = 0; j < s->maps[i].n; j++)
			all[k++] = s->maps[i].folds[j]; /* borrowed: the stacks stay the maps' */
	}
	qsort(all, k, sizeof(*all), fold_cmp);
	if (svg_write(s->fp, title.oom ? "Flame Graph" : title.s, all, k) < 0)
		s->host->log(STROBE_LOG_ERROR, "flamegraph: cannot write the SVG: %s", strerror(errno));
	free(title.s);
	free(all);
}

static int flame_open_as(const struct strobe_host *host, FILE *fp, const char *opts, void **sink, bool svg)
{
	if (opts && opts[0]) {
		host->log(STROBE_LOG_ERROR, "%s takes no options ('%s'); write the file with -o FILE",
			  svg ? "flamegraph" : "folded", opts);
		return -ECANCELED;
	}
	struct flame_sink *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->host = host;
	s->fp = fp;
	s->svg = svg;
	*sink = s;
	return 0;
}

static int folded_open(const struct strobe_host *host, FILE *fp, const char *opts, void **sink)
{
	return flame_open_as(host, fp, opts, sink, false);
}

static int flamegraph_open(const struct strobe_host *host, FILE *fp, const char *opts, void **sink)
{
	return flame_open_as(host, fp, opts, sink, true);
}

static void flame_close(void *sink)
{
	struct flame_sink *s = sink;
	if (s->svg)
		flame_draw(s);
	for (size_t i = 0; i < s->nmaps; i++) {
		free(s->maps[i].name);
		folds_free(s->maps[i].folds, s->maps[i].n);
	}
	for (size_t i = 0; i < s->nwarned; i++)
		free(s->warned[i]);
	free(s->warned);
	free(s->maps);
	fflush(s->fp);
	free(s);
}

static const struct strobe_output_ops folded_ops = {
	.abi = STROBE_OUTPUT_ABI,
	.size = sizeof(struct strobe_output_ops),
	.name = "folded",
	.open = folded_open,
	.map = flame_map,
	.close = flame_close,
};

static const struct strobe_output_ops flamegraph_ops = {
	.abi = STROBE_OUTPUT_ABI,
	.size = sizeof(struct strobe_output_ops),
	.name = "flamegraph",
	.open = flamegraph_open,
	.map = flame_map,
	.close = flame_close,
};

STROBE_EXPORT const struct strobe_output_ops *strobe_output_entry(void);
STROBE_EXPORT const struct strobe_output_ops *strobe_output_entry(void)
{
	return &folded_ops;
}

STROBE_EXPORT const struct strobe_output_ops *strobe_flamegraph_entry(void);
STROBE_EXPORT const struct strobe_output_ops *strobe_flamegraph_entry(void)
{
	return &flamegraph_ops;
}
