/*
 * The Prometheus exporter (-f prometheus[:ADDR:PORT]): serves GET /metrics
 * in the Prometheus text format (version 0.0.4) while the trace runs; every
 * scrape reads the maps at that moment (a snapshot through the live table of
 * output.h). Default address 127.0.0.1:9935.
 *
 *	@name (count, sum)        strobe_name_total       counter
 *	@name (min, max, avg, =)  strobe_name             gauge
 *	@name (stats)             strobe_name_count/_sum  summary, strobe_name_avg gauge
 *	@name (hist, lhist)       strobe_name_bucket{le}, _sum, _count   histogram
 *
 * Keys become labels: `key` for one key, key0..keyN for a tuple, or the
 * names of the metric_labels config setting; the prefix is metric_prefix
 * (default "strobe_"). A map whose keys or values have no metric form
 * (stacks, strings, records) is skipped with one warning.
 *
 * The sockets are non-blocking and watched by the core's event loop: a
 * request is read and its answer written as far as the client allows, never
 * waiting. At most MAX_CLIENTS connections are open (the oldest is dropped
 * for a new one), a request is at most MAX_REQUEST bytes, an answer at most
 * MAX_BODY bytes (else 500), and each connection ends after one answer.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <strobe/output.h>

#define DEFAULT_ADDR "127.0.0.1"
#define DEFAULT_PORT "9935"
#define DEFAULT_PREFIX "strobe_"
#define MAX_CLIENTS 64
#define MAX_REQUEST 8192
#define MAX_BODY (64u << 20)
#define MAX_LABELS 16
#define CLIENT_TIMEOUT_S 30

struct buf {
	char *s;
	size_t len, cap;
	bool full; /* out of memory or past MAX_BODY: the answer is a 500 */
};

struct client {
	int fd;
	uint64_t since; /* CLOCK_MONOTONIC ns: the oldest is dropped first when all slots are taken */
	char req[MAX_REQUEST];
	size_t rlen;
	struct buf out; /* the answer, once the request is complete */
	size_t off;     /* bytes of out sent */
	bool head;      /* a HEAD request: the answer's headers only */
};

struct prom {
	const struct strobe_host *host;
	FILE *fp;
	int lfd;
	char where[128]; /* "127.0.0.1:9935" */
	const struct strobe_output_live *live;
	struct client *clients[MAX_CLIENTS];
	const char *prefix;
	char *labels[MAX_LABELS]; /* metric_labels, split */
	size_t nlabels;
	char **warned;
	size_t nwarned;
};

static void buf_put(struct buf *b, const char *s, size_t n)
{
	if (b->full)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 4096;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = cap <= MAX_BODY ? realloc(b->s, cap) : NULL;
		if (!p) {
			b->full = true;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void buf_str(struct buf *b, const char *s)
{
	buf_put(b, s, strlen(s));
}

STROBE_PRINTF(2, 3) static void buf_fmt(struct buf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(tmp)) {
		buf_put(b, tmp, (size_t)n);
		return;
	}
	char *big = malloc((size_t)n + 1); /* a long name: never cut a line */
	if (!big) {
		b->full = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	buf_put(b, big, (size_t)n);
	free(big);
}

/* A label value: \, " and newline escaped; bytes that are not UTF-8 become U+FFFD. */
static void buf_label_value(struct buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
		bool ok = len && i + len <= n && !(len == 2 && c < 0xc2);
		for (size_t k = 1; ok && k < len; k++)
			ok = ((unsigned char)s[i + k] & 0xc0) == 0x80;
		if (!ok) {
			buf_str(b, "\xef\xbf\xbd");
			i++;
			continue;
		}
		if (c == '\\')
			buf_str(b, "\\\\");
		else if (c == '"')
			buf_str(b, "\\\"");
		else if (c == '\n')
			buf_str(b, "\\n");
		else
			buf_put(b, s + i, len);
		i += len;
	}
}

/* ---- maps to metrics ---- */

/* A warning about a map, once per run: msg is the whole text. */
static void warn_once(struct prom *pr, const char *msg)
{
	for (size_t i = 0; i < pr->nwarned; i++)
		if (!strcmp(pr->warned[i], msg))
			return;
	char **w = realloc(pr->warned, (pr->nwarned + 1) * sizeof(*w));
	if (!w)
		return;
	pr->warned = w;
	if ((w[pr->nwarned] = strdup(msg)))
		pr->nwarned++;
	pr->host->log(STROBE_LOG_WARNING, "prometheus: %s", msg);
}

static bool label_value_ok(const struct strobe_value *v)
{
	switch (v->kind) {
	case STROBE_V_INT:
	case STROBE_V_UINT:
	case STROBE_V_BOOL:
	case STROBE_V_STR:
	case STROBE_V_SYM:
		return true;
	default:
		return false;
	}
}

/* The key parts of an entry (none, one, or a tuple's items). */
static size_t key_parts(const struct strobe_value *key, const struct strobe_value **parts)
{
	if (key->kind == STROBE_V_NONE)
		return 0;
	if (key->kind == STROBE_V_TUPLE) {
		*parts = key->list.items;
		return key->list.n;
	}
	*parts = key;
	return 1;
}

static void buf_label(struct buf *b, const struct strobe_value *v)
{
	switch (v->kind) {
	case STROBE_V_INT:
		buf_fmt(b, "%" PRId64, v->i);
		break;
	case STROBE_V_UINT:
		buf_fmt(b, "%" PRIu64, v->u);
		break;
	case STROBE_V_BOOL:
		buf_str(b, v->u ? "true" : "false");
		break;
	case STROBE_V_STR:
		buf_label_value(b, v->str.s, strnlen(v->str.s, v->str.len));
		break;
	case STROBE_V_SYM:
		if (v->sym.name)
			buf_label_value(b, v->sym.name, strlen(v->sym.name));
		else
			buf_fmt(b, "0x%" PRIx64, v->sym.addr);
		break;
	default:
		break;
	}
}

/* One sample line: NAME{labels[,le="LE"]} VALUE */
static void sample(struct prom *pr, struct buf *b, const char *name, const char *suffix,
		   const struct strobe_value *key, const char *le, const char *value)
{
	const struct strobe_value *parts = NULL;
	size_t n = key_parts(key, &parts);
	buf_str(b, name);
	buf_str(b, suffix);
	if (n || le) {
		buf_str(b, "{");
		for (size_t i = 0; i < n; i++) {
			if (pr->nlabels == n)
				buf_fmt(b, "%s%s=\"", i ? "," : "", pr->labels[i]);
			else if (n == 1)
				buf_str(b, "key=\"");
			else
				buf_fmt(b, "%skey%zu=\"", i ? "," : "", i);
			buf_label(b, &parts[i]);
			buf_str(b, "\"");
		}
		if (le)
			buf_fmt(b, "%sle=\"%s\"", n ? "," : "", le);
		buf_str(b, "}");
	}
	buf_fmt(b, " %s\n", value);
}

static void family(struct buf *b, const char *name, const char *suffix, const char *type, const char *map,
		   const char *what)
{
	buf_fmt(b, "# HELP %s%s %s of the map %s\n", name, suffix, what, map);
	buf_fmt(b, "# TYPE %s%s %s\n", name, suffix, type);
}

static bool int_value(const struct strobe_value *v, char *out, size_t n)
{
	if (v->kind == STROBE_V_INT)
		snprintf(out, n, "%" PRId64, v->i);
	else if (v->kind == STROBE_V_UINT || v->kind == STROBE_V_BOOL)
		snprintf(out, n, "%" PRIu64, v->u);
	else
		return false;
	return true;
}

/* A histogram entry: cumulative buckets by inclusive upper bound (hi - 1: values are integers). */
static void hist_samples(struct prom *pr, struct buf *b, const char *name, const struct strobe_map_entry *e)
{
	const struct strobe_hist *h = &e->value.hist;
	uint64_t cum = 0;
	double sum = 0;
	char le[32], val[32];
	for (size_t i = 0; i < h->n; i++) {
		const struct strobe_bucket *k = &h->buckets[i];
		cum += k->count;
		/* _sum: the kernel keeps counts only; each bucket counts as its middle (exact for one-value buckets) */
		sum += (double)k->count * (k->overflow ? (double)k->lo
				       : k->underflow ? (double)(k->hi - 1)
						      : ((double)k->lo + (double)(k->hi - 1)) / 2);
		if (k->overflow)
			continue;
		snprintf(le, sizeof(le), "%" PRId64, k->hi - 1);
		snprintf(val, sizeof(val), "%" PRIu64, cum);
		sample(pr, b, name, "_bucket", &e->key, le, val);
	}
	snprintf(val, sizeof(val), "%" PRIu64, cum);
	sample(pr, b, name, "_bucket", &e->key, "+Inf", val);
	char s[64];
	snprintf(s, sizeof(s), "%.17g", sum);
	sample(pr, b, name, "_sum", &e->key, NULL, s);
	sample(pr, b, name, "_count", &e->key, NULL, val);
}

/* Why a map has no metric form, or NULL. */
static const char *unmappable(const struct strobe_map_view *m)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct strobe_value *parts = NULL;
		size_t n = key_parts(&m->entries[i].key, &parts);
		for (size_t k = 0; k < n; k++)
			if (!label_value_ok(&parts[k]))
				return "its keys hold values that are not numbers, strings or symbols (stacks, records, buffers)";
		if (n > MAX_LABELS)
			return "its keys have too many parts";
		enum strobe_value_kind vk = m->entries[i].value.kind;
		if (m->kind == STROBE_MAP_VALUE && vk != STROBE_V_INT && vk != STROBE_V_UINT && vk != STROBE_V_BOOL)
			return "its values are not numbers";
	}
	return NULL;
}

/* A sample name one map's family uses in this scrape, and that map. */
struct claim {
	char *name, *map;
};

struct scrape {
	struct prom *pr;
	struct buf *b;
	struct claim *claims;
	size_t nclaims;
};

/*
 * Claim the sample names NAME + each suffix for map m, unless another map of
 * this scrape has one of them (@x = count() and @x_total = 5 would both be
 * strobe_x_total, which no Prometheus parser accepts): the map that comes
 * first keeps the names; for the other, the first clashing name is put in
 * *clash and the map that owns it is returned.
 */
static const char *claim_names(struct scrape *sc, const char *m, const char *name, const char *const *suffixes,
			       size_t n, char *clash, size_t clashlen)
{
	for (size_t k = 0; k < n; k++) {
		snprintf(clash, clashlen, "%s%s", name, suffixes[k]);
		for (size_t i = 0; i < sc->nclaims; i++)
			if (!strcmp(sc->claims[i].name, clash))
				return sc->claims[i].map;
	}
	struct claim *c = realloc(sc->claims, (sc->nclaims + n) * sizeof(*c));
	if (!c)
		return NULL;
	sc->claims = c;
	for (size_t k = 0; k < n; k++) {
		size_t len = strlen(name) + strlen(suffixes[k]) + 1;
		char *s = malloc(len), *owner = strdup(m);
		if (!s || !owner) {
			free(s);
			free(owner);
			break;
		}
		snprintf(s, len, "%s%s", name, suffixes[k]);
		c[sc->nclaims++] = (struct claim){ s, owner };
	}
	return NULL;
}

static void scrape_free(struct scrape *sc)
{
	for (size_t i = 0; i < sc->nclaims; i++) {
		free(sc->claims[i].name);
		free(sc->claims[i].map);
	}
	free(sc->claims);
}

static void map_metrics(void *arg, const struct strobe_map_view *m)
{
	struct scrape *sc = arg;
	struct prom *pr = sc->pr;
	struct buf *b = sc->b;
	const char *why = unmappable(m);
	char msg[512];
	if (why) {
		snprintf(msg, sizeof(msg), "%s is not exported: %s", m->name, why);
		warn_once(pr, msg);
		return;
	}
	/* metric_labels applies when it names every part of the key */
	const struct strobe_value *parts = NULL;
	size_t nparts = key_parts(&m->entries[0].key, &parts);
	if (pr->nlabels && nparts && pr->nlabels != nparts) {
		snprintf(msg, sizeof(msg), "metric_labels names %zu labels, the keys of %s have %zu parts: "
					   "its labels are %s", pr->nlabels, m->name, nparts, nparts == 1 ? "key" : "key0..keyN");
		warn_once(pr, msg);
	}
	char name[256];
	const char *bare = m->name[0] == '@' ? m->name + 1 : m->name;
	if ((size_t)snprintf(name, sizeof(name), "%s%s", pr->prefix, bare) >= sizeof(name)) {
		snprintf(msg, sizeof(msg), "%.64s... is not exported: its metric name is longer than %zu bytes",
			 m->name, sizeof(name) - 1);
		warn_once(pr, msg);
		return;
	}
	size_t nl = strlen(name);
	if (!bare[0] && nl > 1 && name[nl - 1] == '_')
		name[nl - 1] = '\0'; /* "@": strobe */
	static const char *const counter[] = { "_total" }, *const gauge[] = { "" },
			  *const summary[] = { "", "_sum", "_count", "_avg" },
			  *const histogram[] = { "", "_bucket", "_sum", "_count" };
	const char *const *names = m->kind == STROBE_MAP_COUNT || m->kind == STROBE_MAP_SUM ? counter
				 : m->kind == STROBE_MAP_STATS ? summary
				 : m->kind == STROBE_MAP_HIST || m->kind == STROBE_MAP_LHIST ? histogram : gauge;
	size_t nnames = names == counter || names == gauge ? 1 : 4;
	char clash[300];
	const char *owner = m->kind == STROBE_MAP_TSERIES ? NULL
			  : claim_names(sc, m->name, name, names, nnames, clash, sizeof(clash));
	if (owner) {
		snprintf(msg, sizeof(msg), "%s is not exported: its metric %s is %s's", m->name, clash, owner);
		warn_once(pr, msg);
		return;
	}
	char val[64];
	switch (m->kind) {
	case STROBE_MAP_COUNT:
	case STROBE_MAP_SUM:
		family(b, name, "_total", "counter", m->name, m->kind == STROBE_MAP_COUNT ? "count()" : "sum()");
		for (size_t i = 0; i < m->n; i++)
			if (int_value(&m->entries[i].value, val, sizeof(val)))
				sample(pr, b, name, "_total", &m->entries[i].key, NULL, val);
		break;
	case STROBE_MAP_VALUE:
	case STROBE_MAP_MIN:
	case STROBE_MAP_MAX:
	case STROBE_MAP_AVG:
		family(b, name, "", "gauge", m->name,
		       m->kind == STROBE_MAP_MIN ? "min()" : m->kind == STROBE_MAP_MAX ? "max()"
						     : m->kind == STROBE_MAP_AVG ? "avg()" : "the value");
		for (size_t i = 0; i < m->n; i++) {
			const struct strobe_value *v = &m->entries[i].value;
			if (v->kind == STROBE_V_STATS)
				snprintf(val, sizeof(val), "%" PRId64, v->stats.average);
			else if (!int_value(v, val, sizeof(val)))
				continue;
			sample(pr, b, name, "", &m->entries[i].key, NULL, val);
		}
		break;
	case STROBE_MAP_STATS:
		family(b, name, "", "summary", m->name, "stats(): count and sum");
		for (size_t i = 0; i < m->n; i++) {
			const struct strobe_stats *s = &m->entries[i].value.stats;
			snprintf(val, sizeof(val), "%" PRId64, s->total);
			sample(pr, b, name, "_sum", &m->entries[i].key, NULL, val);
			snprintf(val, sizeof(val), "%" PRIu64, s->count);
			sample(pr, b, name, "_count", &m->entries[i].key, NULL, val);
		}
		family(b, name, "_avg", "gauge", m->name, "stats(): average");
		for (size_t i = 0; i < m->n; i++) {
			snprintf(val, sizeof(val), "%" PRId64, m->entries[i].value.stats.average);
			sample(pr, b, name, "_avg", &m->entries[i].key, NULL, val);
		}
		break;
	case STROBE_MAP_HIST:
	case STROBE_MAP_LHIST:
		family(b, name, "", "histogram", m->name, m->kind == STROBE_MAP_HIST ? "hist()" : "lhist()");
		for (size_t i = 0; i < m->n; i++)
			if (m->entries[i].value.kind == STROBE_V_HIST)
				hist_samples(pr, b, name, &m->entries[i]);
		break;
	case STROBE_MAP_TSERIES: /* Prometheus keeps the history itself: the series is a scrape's job */
		snprintf(msg, sizeof(msg), "%s is not exported: a tseries() map has no single value to scrape",
			 m->name);
		warn_once(pr, msg);
		break;
	}
}

/* ---- HTTP ---- */

static void client_close(struct prom *pr, size_t i)
{
	struct client *c = pr->clients[i];
	pr->live->watch(pr->live->ctx, c->fd, 0);
	close(c->fd);
	free(c->out.s);
	free(c);
	pr->clients[i] = NULL;
}

static void respond(struct client *c, const char *status, const char *type, const char *body, size_t len)
{
	struct buf *o = &c->out;
	free(o->s);
	*o = (struct buf){ 0 };
	buf_fmt(o, "HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", status,
		type, len);
	if (!c->head)
		buf_put(o, body, len);
}

static void answer(struct prom *pr, struct client *c)
{
	char method[16], path[256];
	if (sscanf(c->req, "%15s %255s", method, path) != 2) {
		respond(c, "400 Bad Request", "text/plain", "bad request\n", 12);
		return;
	}
	path[strcspn(path, "?")] = '\0';
	c->head = !strcmp(method, "HEAD");
	if (strcmp(method, "GET") && !c->head) {
		respond(c, "405 Method Not Allowed", "text/plain", "only GET and HEAD\n", 18);
		return;
	}
	if (!strcmp(path, "/")) {
		static const char home[] = "<html><body><a href=\"/metrics\">/metrics</a></body></html>\n";
		respond(c, "200 OK", "text/html", home, sizeof(home) - 1);
		return;
	}
	if (strcmp(path, "/metrics")) {
		respond(c, "404 Not Found", "text/plain", "not found: try /metrics\n", 24);
		return;
	}
	struct buf body = { 0 };
	struct scrape sc = { pr, &body };
	int e = pr->live->snapshot(pr->live->ctx, map_metrics, &sc);
	if (e < 0 || body.full) {
		respond(c, "500 Internal Server Error", "text/plain", "the metrics do not fit in memory\n", 33);
		pr->host->log(STROBE_LOG_WARNING, "prometheus: a scrape failed: %s",
			      e < 0 ? strerror(-e) : "the answer is larger than 64 MiB");
	} else {
		respond(c, "200 OK", "text/plain; version=0.0.4; charset=utf-8", body.s ? body.s : "", body.len);
	}
	scrape_free(&sc);
	free(body.s);
}

static void client_read(struct prom *pr, size_t i)
{
	struct client *c = pr->clients[i];
	for (;;) {
		ssize_t n = recv(c->fd, c->req + c->rlen, sizeof(c->req) - 1 - c->rlen, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0) { /* gone, or closed before a whole request */
			client_close(pr, i);
			return;
		}
		c->rlen += (size_t)n;
		c->req[c->rlen] = '\0';
		if (strstr(c->req, "\r\n\r\n") || strstr(c->req, "\n\n"))
			break;
		if (c->rlen == sizeof(c->req) - 1) {
			respond(c, "431 Request Header Fields Too Large", "text/plain", "request too large\n", 18);
			break;
		}
	}
	if (!c->out.len)
		answer(pr, c);
	if (c->out.full || pr->live->watch(pr->live->ctx, c->fd, STROBE_WATCH_WRITE) < 0)
		client_close(pr, i);
}

static void client_write(struct prom *pr, size_t i)
{
	struct client *c = pr->clients[i];
	while (c->off < c->out.len) {
		ssize_t n = send(c->fd, c->out.s + c->off, c->out.len - c->off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0)
			break;
		c->off += (size_t)n;
	}
	client_close(pr, i);
}

/* Accept what is pending; drop connections older than CLIENT_TIMEOUT_S, or the oldest when full. */
static void accept_clients(struct prom *pr)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	uint64_t now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	for (size_t i = 0; i < MAX_CLIENTS; i++)
		if (pr->clients[i] && now - pr->clients[i]->since > CLIENT_TIMEOUT_S * 1000000000ull)
			client_close(pr, i);
	for (;;) {
		int fd = accept4(pr->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0 && errno == EINTR)
			continue;
		if (fd < 0)
			return; /* EAGAIN, or an error of that connection */
		size_t slot = 0, oldest = 0;
		while (slot < MAX_CLIENTS && pr->clients[slot])
			slot++;
		if (slot == MAX_CLIENTS) {
			for (size_t i = 1; i < MAX_CLIENTS; i++)
				if (pr->clients[i]->since < pr->clients[oldest]->since)
					oldest = i;
			client_close(pr, oldest);
			slot = oldest;
		}
		struct client *c = calloc(1, sizeof(*c));
		if (!c || pr->live->watch(pr->live->ctx, fd, STROBE_WATCH_READ) < 0) {
			free(c);
			close(fd);
			continue;
		}
		c->fd = fd;
		c->since = now;
		pr->clients[slot] = c;
	}
}

static void prom_ready(void *sink, int fd, uint32_t events)
{
	struct prom *pr = sink;
	if (fd == pr->lfd) {
		accept_clients(pr);
		return;
	}
	for (size_t i = 0; i < MAX_CLIENTS; i++) {
		struct client *c = pr->clients[i];
		if (!c || c->fd != fd)
			continue;
		if (c->out.len)
			client_write(pr, i);
		else
			client_read(pr, i);
		return;
	}
}

static void prom_live(void *sink, const struct strobe_output_live *live)
{
	struct prom *pr = sink;
	pr->live = live;
	const char *prefix = live->config(live->ctx, "metric_prefix");
	pr->prefix = prefix ? prefix : DEFAULT_PREFIX;
	const char *labels = live->config(live->ctx, "metric_labels");
	for (const char *p = labels; p && *p && pr->nlabels < MAX_LABELS;) {
		size_t n = strcspn(p, ",");
		pr->labels[pr->nlabels] = strndup(p, n);
		if (pr->labels[pr->nlabels])
			pr->nlabels++;
		p += n + (p[n] == ',');
	}
	int e = live->watch(live->ctx, pr->lfd, STROBE_WATCH_READ);
	if (e < 0)
		pr->host->log(STROBE_LOG_ERROR, "prometheus: cannot serve %s: %s", pr->where, strerror(-e));
}

static void prom_attached(void *sink, unsigned nprobes)
{
	struct prom *pr = sink;
	fprintf(pr->fp, "Attaching %u probe%s...\nServing metrics on http://%s/metrics\n", nprobes,
		nprobes == 1 ? "" : "s", pr->where);
	fflush(pr->fp);
}

/* "ADDR:PORT", "PORT", "ADDR", "[V6]:PORT"; empty parts take the defaults. */
static int prom_listen(const struct strobe_host *host, const char *opts, struct prom *pr)
{
	char addr[96] = DEFAULT_ADDR, port[16] = DEFAULT_PORT;
	if (opts && opts[0]) {
		const char *colon = strrchr(opts, ':');
		bool v6 = opts[0] == '[';
		if (v6 && (!strchr(opts, ']') || (colon && colon < strchr(opts, ']'))))
			colon = NULL;
		if (!colon && !v6 && strspn(opts, "0123456789") == strlen(opts)) {
			snprintf(port, sizeof(port), "%s", opts);
		} else {
			size_t n = colon ? (size_t)(colon - opts) : strlen(opts);
			if (v6) { /* [::1] */
				opts++;
				n -= 2;
			}
			if (n >= sizeof(addr) || (colon && strlen(colon + 1) >= sizeof(port))) {
				host->log(STROBE_LOG_ERROR, "prometheus: bad address '%s' (ADDR:PORT)", opts);
				return -ECANCELED;
			}
			if (n)
				snprintf(addr, sizeof(addr), "%.*s", (int)n, opts);
			if (colon && colon[1])
				snprintf(port, sizeof(port), "%s", colon + 1);
		}
	}
	char *end;
	long p = strtol(port, &end, 10);
	if (*end || p < 1 || p > 65535) {
		host->log(STROBE_LOG_ERROR, "prometheus: bad port '%s' (1 to 65535)", port);
		return -ECANCELED;
	}
	snprintf(pr->where, sizeof(pr->where), strchr(addr, ':') ? "[%s]:%s" : "%s:%s", addr, port);
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV }, *ai;
	int e = getaddrinfo(addr, port, &hints, &ai);
	if (e) {
		host->log(STROBE_LOG_ERROR, "prometheus: cannot resolve '%s': %s", addr, gai_strerror(e));
		return -ECANCELED;
	}
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 128) < 0) {
		e = errno;
		host->log(STROBE_LOG_ERROR, "prometheus: cannot listen on %s: %s%s", pr->where, strerror(e),
			  e == EADDRINUSE ? " (choose another with -f prometheus:ADDR:PORT)" : "");
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return -ECANCELED;
	}
	freeaddrinfo(ai);
	pr->lfd = fd;
	return 0;
}

static int prom_open(const struct strobe_host *host, FILE *fp, const char *opts, void **sink)
{
	struct prom *pr = calloc(1, sizeof(*pr));
	if (!pr)
		return -ENOMEM;
	pr->host = host;
	pr->fp = fp;
	int e = prom_listen(host, opts, pr);
	if (e < 0) {
		free(pr);
		return e;
	}
	*sink = pr;
	return 0;
}

static void prom_exiting(void *sink)
{
	struct prom *pr = sink;
	for (size_t i = 0; i < MAX_CLIENTS; i++)
		if (pr->clients[i])
			client_close(pr, i);
	pr->live = NULL; /* valid until here */
}

static void prom_close(void *sink)
{
	struct prom *pr = sink;
	for (size_t i = 0; i < MAX_CLIENTS; i++) { /* exiting() was not called: an error before the loop */
		if (pr->clients[i]) {
			close(pr->clients[i]->fd);
			free(pr->clients[i]->out.s);
			free(pr->clients[i]);
		}
	}
	close(pr->lfd);
	for (size_t i = 0; i < pr->nlabels; i++)
		free(pr->labels[i]);
	for (size_t i = 0; i < pr->nwarned; i++)
		free(pr->warned[i]);
	free(pr->warned);
	fflush(pr->fp);
	free(pr);
}

static const struct strobe_output_ops prom_ops = {
	.abi = STROBE_OUTPUT_ABI,
	.size = sizeof(struct strobe_output_ops),
	.name = "prometheus",
	.open = prom_open,
	.attached = prom_attached,
	.exiting = prom_exiting,
	.close = prom_close,
	.live = prom_live,
	.ready = prom_ready,
};

STROBE_EXPORT const struct strobe_output_ops *strobe_output_entry(void);
STROBE_EXPORT const struct strobe_output_ops *strobe_output_entry(void)
{
	return &prom_ops;
}
