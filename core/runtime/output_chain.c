/*
 * The output chain (output_chain.h): several sinks behind one struct output, so
 * the runtime calls out->ops->X(out->sink, ...) and knows nothing of filters.
 */
#include "output_chain.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "../host.h"

#define CHAIN_MAX 8

struct chain;

struct chain_link {
	struct output out;
	char *name;
	struct strobe_output_ctl ctl;
	struct strobe_output_live live; /* ctx: this link */
	struct chain *ch;
	bool filter;
};

/* A file descriptor a live sink watches, and which sink. */
struct chain_watch {
	int fd;
	struct chain_link *owner;
};

struct chain {
	struct chain_link v[CHAIN_MAX];
	size_t n;
	const struct strobe_output_live *core_live; /* the runtime's, for the live sinks */
	struct chain_watch *watches;
	size_t nwatches;
	bool quiet;
	bool suppressed; /* set by the current filter through ctl->suppress */
	bool failed;     /* a filter failed the run: deliver nothing more */
};

static void ctl_suppress(void *ctx)
{
	struct chain *ch = ctx;
	ch->suppressed = true;
}

/* Stop the run the way SIGTERM does, if the runtime is listening for it. */
static void request_stop(void)
{
	struct sigaction cur;
	if (sigaction(SIGTERM, NULL, &cur) < 0)
		return;
	if (!(cur.sa_flags & SA_SIGINFO) && (cur.sa_handler == SIG_DFL || cur.sa_handler == SIG_IGN))
		return; /* not running (yet, or any more): the exit status tells */
	raise(SIGTERM);
}

static void ctl_fail(void *ctx, const char *msg)
{
	struct chain *ch = ctx;
	if (ch->failed)
		return;
	ch->failed = true;
	fflush(NULL); /* what was printed so far comes before the error */
	core_log(STROBE_LOG_ERROR, "%s", msg && msg[0] ? msg : "output sink failed");
	request_stop();
}

/* Deliver one record to each sink in turn until a filter suppresses it. */
#define CHAIN_EACH(ch, slot, ...)                                                    \
	do {                                                                         \
		for (size_t i_ = 0; i_ < (ch)->n && !(ch)->failed; i_++) {           \
			struct chain_link *l_ = &(ch)->v[i_];                        \
			if (!l_->out.ops->slot)                                      \
				continue;                                            \
			(ch)->suppressed = false;                                    \
			l_->out.ops->slot(l_->out.sink, __VA_ARGS__);                \
			if ((ch)->suppressed)                                        \
				break;                                               \
		}                                                                    \
		(ch)->suppressed = false;                                            \
	} while (0)

static void chain_attached(void *sink, unsigned nprobes)
{
	struct chain *ch = sink;
	for (size_t i = 0; i < ch->n && !ch->failed; i++) {
		struct chain_link *l = &ch->v[i];
		/* -q: the banner is not printed, but filters still learn the count. */
		if ((ch->quiet && !l->filter) || !l->out.ops->attached)
			continue;
		ch->suppressed = false;
		l->out.ops->attached(l->out.sink, nprobes);
		if (ch->suppressed)
			break;
	}
	ch->suppressed = false;
}

static void chain_printf(void *sink, uint32_t fmt_id, const char *text, size_t len,
			 const struct strobe_value *args, size_t nargs)
{
	CHAIN_EACH((struct chain *)sink, printf, fmt_id, text, len, args, nargs);
}

static void chain_map(void *sink, const struct strobe_map_view *map)
{
	CHAIN_EACH((struct chain *)sink, map, map);
}

static void chain_value(void *sink, const struct strobe_value *v)
{
	CHAIN_EACH((struct chain *)sink, value, v);
}

static void chain_lost(void *sink, uint64_t nevents)
{
	CHAIN_EACH((struct chain *)sink, lost, nevents);
}

static void chain_exiting(void *sink)
{
	struct chain *ch = sink;
	for (size_t i = 0; i < ch->n && !ch->failed; i++)
		if (ch->v[i].out.ops->exiting)
			ch->v[i].out.ops->exiting(ch->v[i].out.sink);
}

static void chain_time(void *sink, const char *text, size_t len)
{
	CHAIN_EACH((struct chain *)sink, time, text, len);
}

static void chain_join(void *sink, const char *text, size_t len)
{
	CHAIN_EACH((struct chain *)sink, join, text, len);
}

static void chain_cat(void *sink, const char *text, size_t len)
{
	CHAIN_EACH((struct chain *)sink, cat, text, len);
}

static void chain_syscall(void *sink, const char *text, size_t len)
{
	CHAIN_EACH((struct chain *)sink, syscall, text, len);
}

bool output_chain_takes_helper_errors(const struct output *out)
{
	const struct chain *ch = out->sink;
	for (size_t i = 0; ch && i < ch->n; i++)
		if (ch->v[i].out.ops->helper_error)
			return true;
	return false;
}

static void chain_helper_error(void *sink, const struct strobe_helper_error *e)
{
	CHAIN_EACH((struct chain *)sink, helper_error, e);
}

/* Live sinks: the runtime's table, with watched fds remembered by owner for chain_ready(). */
static int link_snapshot(void *ctx, void (*fn)(void *arg, const struct strobe_map_view *map), void *arg)
{
	const struct strobe_output_live *core = ((struct chain_link *)ctx)->ch->core_live;
	return core->snapshot(core->ctx, fn, arg);
}

static int link_watch(void *ctx, int fd, uint32_t events)
{
	struct chain_link *l = ctx;
	struct chain *ch = l->ch;
	size_t i = 0;
	while (i < ch->nwatches && ch->watches[i].fd != fd)
		i++;
	if (i == ch->nwatches && events) {
		struct chain_watch *w = realloc(ch->watches, (ch->nwatches + 1) * sizeof(*w));
		if (!w)
			return -ENOMEM;
		ch->watches = w;
		ch->nwatches++;
	}
	int e = ch->core_live->watch(ch->core_live->ctx, fd, events);
	if (e < 0 || !events) { /* forget it */
		if (i < ch->nwatches)
			ch->watches[i] = ch->watches[--ch->nwatches];
		return e;
	}
	ch->watches[i] = (struct chain_watch){ fd, l };
	return 0;
}

static const char *link_config(void *ctx, const char *key)
{
	const struct strobe_output_live *core = ((struct chain_link *)ctx)->ch->core_live;
	return core->config(core->ctx, key);
}

static void chain_live(void *sink, const struct strobe_output_live *live)
{
	struct chain *ch = sink;
	ch->core_live = live;
	for (size_t i = 0; i < ch->n && !ch->failed; i++) {
		struct chain_link *l = &ch->v[i];
		if (!l->out.ops->live || !l->out.ops->ready)
			continue;
		l->ch = ch;
		l->live = (struct strobe_output_live){
			.size = sizeof(l->live),
			.ctx = l,
			.snapshot = link_snapshot,
			.watch = link_watch,
			.config = link_config,
		};
		l->out.ops->live(l->out.sink, &l->live);
	}
}

static void chain_ready(void *sink, int fd, uint32_t events)
{
	struct chain *ch = sink;
	for (size_t i = 0; i < ch->nwatches && !ch->failed; i++) {
		if (ch->watches[i].fd == fd) {
			struct chain_link *l = ch->watches[i].owner;
			l->out.ops->ready(l->out.sink, fd, events);
			return;
		}
	}
}

static void chain_free(struct chain *ch)
{
	for (size_t i = 0; i < ch->n; i++) {
		output_close(&ch->v[i].out);
		free(ch->v[i].name);
	}
	free(ch->watches);
	free(ch);
}

static void chain_close(void *sink)
{
	chain_free(sink);
}

static const struct strobe_output_ops chain_ops = {
	.abi = STROBE_OUTPUT_ABI,
	.size = sizeof(struct strobe_output_ops),
	.name = "chain",
	.attached = chain_attached,
	.printf = chain_printf,
	.map = chain_map,
	.value = chain_value,
	.lost = chain_lost,
	.exiting = chain_exiting,
	.close = chain_close,
	.time = chain_time,
	.join = chain_join,
	.cat = chain_cat,
	.syscall = chain_syscall,
	.helper_error = chain_helper_error,
	.live = chain_live,
	.ready = chain_ready,
};

static int chain_add(struct chain *ch, struct registry *reg, const char *name, const char *opts,
		     FILE *fp, char *err, size_t errlen)
{
	if (ch->n == CHAIN_MAX) {
		snprintf(err, errlen, "too many output sinks (at most %d)", CHAIN_MAX);
		return -E2BIG;
	}
	struct chain_link *l = &ch->v[ch->n];
	memset(l, 0, sizeof(*l));
	l->name = strdup(name);
	if (!l->name) {
		snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	int e = registry_output(reg, name, fp, opts, &l->out, err, errlen);
	if (e < 0) {
		if (e == -ECANCELED)
			err[0] = '\0'; /* the sink said why */
		free(l->name);
		return e;
	}
	l->filter = l->out.ops->chain != NULL;
	ch->n++;
	return 0;
}

int output_chain_open(struct registry *reg, const char *spec, FILE *fp, bool quiet,
		      struct output *out, char *err, size_t errlen)
{
	struct chain *ch = calloc(1, sizeof(*ch));
	char *copy = strdup(spec ? spec : "text");
	int e = 0;
	if (!ch || !copy) {
		snprintf(err, errlen, "out of memory");
		free(ch);
		free(copy);
		return -ENOMEM;
	}
	ch->quiet = quiet;
	char *save = NULL;
	for (char *item = strtok_r(copy, ",", &save); item && !e; item = strtok_r(NULL, ",", &save)) {
		char *opts = strchr(item, ':');
		if (opts)
			*opts++ = '\0';
		if (!item[0]) {
			snprintf(err, errlen, "empty output format in '%s'", spec);
			e = -EINVAL;
			break;
		}
		e = chain_add(ch, reg, item, opts, fp, err, errlen);
	}
	if (!e && ch->n == 0) {
		snprintf(err, errlen, "empty output format '%s'", spec ? spec : "");
		e = -EINVAL;
	}
	/* A filter needs something to filter for. */
	if (!e && ch->v[ch->n - 1].filter)
		e = chain_add(ch, reg, "text", NULL, fp, err, errlen);
	free(copy);
	if (e < 0) {
		chain_free(ch);
		return e;
	}
	for (size_t i = 0; i < ch->n; i++) {
		struct chain_link *l = &ch->v[i];
		if (!l->filter)
			continue;
		l->ctl = (struct strobe_output_ctl){
			.size = sizeof(l->ctl),
			.ctx = ch,
			.suppress = ctl_suppress,
			.fail = ctl_fail,
			.next = i + 1 < ch->n ? ch->v[i + 1].name : NULL,
		};
		l->out.ops->chain(l->out.sink, &l->ctl);
	}
	out->ops = &chain_ops;
	out->sink = ch;
	return 0;
}

int output_chain_close(struct output *out)
{
	struct chain *ch = out->sink;
	if (!ch || out->ops != &chain_ops) {
		output_close(out);
		return 0;
	}
	/* Close filters first-to-last: a filter's last words (Lua's on_end) may still fail. */
	for (size_t i = 0; i < ch->n; i++) {
		output_close(&ch->v[i].out);
		free(ch->v[i].name);
	}
	ch->n = 0;
	int rc = ch->failed ? -1 : 0;
	free(ch->watches);
	free(ch);
	out->ops = NULL;
	out->sink = NULL;
	return rc;
}
