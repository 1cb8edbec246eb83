/*
 * The JSON sink (-f json): bpftrace 0.17's records, byte for byte.
 *
 *	{"type": "attached_probes", "data": {"probes": 1}}
 *	{"type": "printf", "data": "hi\n"}
 *	{"type": "map", "data": {"@m": {"k1": 1, "k2": 2}}}
 *	{"type": "hist", "data": {"@h": [{"max": -1, "count": 1}, {"min": 0, "max": 0, "count": 1}]}}
 *
 * Strictly one complete object per line: each record is built in memory and
 * written with one write (looping over partial writes and EINTR), so a
 * reader never sees half an object, even when strobe is killed. Objects and
 * hist buckets use ", " and ": "; tuples and arrays are unspaced; stacks are
 * the text bpftrace prints for them, in a string. At exit, before the maps,
 * two empty lines, as bpftrace writes them. Integers that a double cannot hold
 * exactly are strings (where 0.17 writes bare numbers that parsers reading
 * doubles round: strobe's one departure). Strings are valid JSON whatever the bytes: control
 * characters become \u00XX, and bytes that are not valid UTF-8 become the
 * code point of the same value (\u0080..\u00ff, Latin-1), so no byte is lost.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <strobe/output.h>

struct jbuf {
	char *s;
	size_t len, cap;
	bool oom;
};

struct json_sink {
	FILE *fp;
	struct jbuf b;
};

static void jb_reserve(struct jbuf *b, size_t n)
{
	if (b->oom || b->len + n + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + n + 1)
		cap *= 2;
	char *s = realloc(b->s, cap);
	if (!s) {
		b->oom = true;
		return;
	}
	b->s = s;
	b->cap = cap;
}

static void jb_put(struct jbuf *b, const char *s, size_t n)
{
	jb_reserve(b, n);
	if (b->oom)
		return;
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void jb_puts(struct jbuf *b, const char *s)
{
	jb_put(b, s, strlen(s));
}

static void jb_putc(struct jbuf *b, char c)
{
	jb_put(b, &c, 1);
}

static void jb_printf(struct jbuf *b, const char *fmt, ...) STROBE_PRINTF(2, 3);
static void jb_printf(struct jbuf *b, const char *fmt, ...)
{
	char tmp[64];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n > 0)
		jb_put(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

/* Length of the valid UTF-8 sequence at s (1..4), or 0 if it is not one. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	uint32_t cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, UTF-16 surrogates and code points past U+10FFFF. */
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

/* A JSON string literal of the bytes s[0..n). */
static void json_string(struct jbuf *b, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	jb_putc(b, '"');
	size_t i = 0;
	while (i < n) {
		unsigned char c = s[i];
		size_t run = i;
		/* Copy plain ASCII in one go. */
		while (run < n && s[run] >= 0x20 && s[run] < 0x80 && s[run] != '"' && s[run] != '\\')
			run++;
		if (run > i) {
			jb_put(b, str + i, run - i);
			i = run;
			continue;
		}
		switch (c) {
		case '"':
			jb_puts(b, "\\\"");
			i++;
			continue;
		case '\\':
			jb_puts(b, "\\\\");
			i++;
			continue;
		case '\n':
			jb_puts(b, "\\n");
			i++;
			continue;
		case '\t':
			jb_puts(b, "\\t");
			i++;
			continue;
		case '\r':
			jb_puts(b, "\\r");
			i++;
			continue;
		default:
			break;
		}
		if (c < 0x20) {
			jb_printf(b, "\\u%04x", c);
			i++;
			continue;
		}
		size_t len = utf8_seq(s + i, n - i);
		if (len) {
			jb_put(b, str + i, len);
			i += len;
		} else {
			jb_printf(b, "\\u%04x", c); /* not UTF-8: the byte as a Latin-1 code point */
			i++;
		}
	}
	jb_putc(b, '"');
}

/* 2^63 as a double: the first value past int64/uint64 ranges' halves. */
#define TWO_63 9223372036854775808.0

/* Does v survive a trip through a double (what JSON parsers use)? */
static bool int_fits_double(int64_t v)
{
	double d = (double)v;
	if (d >= TWO_63 || d < -TWO_63)
		return false;
	return (int64_t)d == v;
}

static bool uint_fits_double(uint64_t v)
{
	double d = (double)v;
	if (d >= 2 * TWO_63)
		return false;
	return (uint64_t)d == v;
}

static void json_int(struct jbuf *b, int64_t v)
{
	if (int_fits_double(v))
		jb_printf(b, "%" PRId64, v);
	else
		jb_printf(b, "\"%" PRId64 "\"", v);
}

static void json_uint(struct jbuf *b, uint64_t v)
{
	if (uint_fits_double(v))
		jb_printf(b, "%" PRIu64, v);
	else
		jb_printf(b, "\"%" PRIu64 "\"", v);
}

/* Buffers: printable ASCII as is, other bytes as \xNN (bpftrace's buf text). */
static void buf_text(struct jbuf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 32 && c <= 126)
			jb_putc(b, (char)c);
		else
			jb_printf(b, "\\x%02x", c);
	}
}

static void sym_text(struct jbuf *b, const struct strobe_sym *s)
{
	if (s->name)
		jb_puts(b, s->name);
	else if (s->addr)
		jb_printf(b, "0x%" PRIx64, s->addr);
	else
		jb_putc(b, '0');
}

static void key_text(struct jbuf *b, const struct strobe_value *v);

/*
 * A stack as bpftrace 0.17 writes it in JSON, its text output: a newline,
 * then a line per frame, indented 4 in a map key and 8 in a value; perf mode
 * "\t<hex ip> sym[ (module)]", raw mode the hex ip alone.
 */
static void stack_text(struct jbuf *b, const struct strobe_value_list *frames, int indent)
{
	if (!frames->n)
		return;
	jb_putc(b, '\n');
	for (size_t i = 0; i < frames->n; i++) {
		const struct strobe_value *f = &frames->items[i];
		if (f->kind != STROBE_V_SYM) {
			jb_printf(b, "%*s", indent, "");
			key_text(b, f);
		} else if (frames->mode == STROBE_STACK_PERF) {
			jb_printf(b, "\t%" PRIx64 " ", f->sym.addr);
			jb_puts(b, f->sym.name ? f->sym.name : "[unknown]");
			if (f->sym.module) {
				jb_puts(b, " (");
				jb_puts(b, f->sym.module);
				jb_putc(b, ')');
			}
		} else if (frames->mode == STROBE_STACK_RAW) {
			jb_printf(b, "%" PRIx64, f->sym.addr);
		} else {
			jb_printf(b, "%*s", indent, "");
			sym_text(b, &f->sym);
		}
		jb_putc(b, '\n');
	}
}

/* The text of v, for a map key or a sym/buffer string (not yet quoted). */
static void key_text(struct jbuf *b, const struct strobe_value *v)
{
	switch (v->kind) {
	case STROBE_V_NONE:
		break;
	case STROBE_V_INT:
		jb_printf(b, "%" PRId64, v->i);
		break;
	case STROBE_V_UINT:
		jb_printf(b, "%" PRIu64, v->u);
		break;
	case STROBE_V_BOOL:
		jb_puts(b, v->u ? "true" : "false");
		break;
	case STROBE_V_STR:
		jb_put(b, v->str.s, strnlen(v->str.s, v->str.len));
		break;
	case STROBE_V_BUF:
		buf_text(b, v->str.s, v->str.len);
		break;
	case STROBE_V_TUPLE:
	case STROBE_V_ARRAY:
		for (size_t i = 0; i < v->list.n; i++) {
			if (i)
				jb_putc(b, ',');
			key_text(b, &v->list.items[i]);
		}
		break;
	case STROBE_V_STACK:
		stack_text(b, &v->list, 4);
		break;
	case STROBE_V_SYM:
		sym_text(b, &v->sym);
		break;
	case STROBE_V_STATS:
		jb_printf(b, "%" PRId64, v->stats.average);
		break;
	case STROBE_V_HIST:
	case STROBE_V_TSERIES:
		break;
	case STROBE_V_RECORD: /* as bpftrace 0.17 writes a record key: {.a=1,.b=x} */
		jb_putc(b, '{');
		for (size_t i = 0; i < v->list.n; i++) {
			if (i)
				jb_putc(b, ',');
			jb_printf(b, ".%s=", v->list.names && v->list.names[i] ? v->list.names[i] : "");
			key_text(b, &v->list.items[i]);
		}
		jb_putc(b, '}');
		break;
	}
}

/* A JSON string of key_text(v): keys are always strings. */
static void json_key(struct jbuf *b, const struct strobe_value *v)
{
	struct jbuf t = { 0 };
	key_text(&t, v);
	if (t.oom)
		b->oom = true;
	json_string(b, t.s ? t.s : "", t.len);
	free(t.s);
}

static void json_hist(struct jbuf *b, const struct strobe_hist *h)
{
	jb_putc(b, '[');
	for (size_t i = 0; i < h->n; i++) {
		const struct strobe_bucket *k = &h->buckets[i];
		if (i)
			jb_puts(b, ", ");
		jb_putc(b, '{');
		/* [lo, hi) becomes the closed interval [min, max]. */
		if (!k->underflow) {
			jb_puts(b, "\"min\": ");
			json_int(b, k->lo);
			jb_puts(b, ", ");
		}
		if (!k->overflow) {
			jb_puts(b, "\"max\": ");
			json_int(b, k->hi == INT64_MAX ? INT64_MAX : k->hi - 1);
			jb_puts(b, ", ");
		}
		jb_puts(b, "\"count\": ");
		json_uint(b, k->count);
		jb_putc(b, '}');
	}
	jb_putc(b, ']');
}

/* tseries(): the intervals something was recorded in, each starting at a local ISO 8601 time. */
static void json_tseries(struct jbuf *b, const struct strobe_tseries *t)
{
	jb_putc(b, '[');
	bool first = true;
	for (size_t i = 0; i < t->n; i++) {
		const struct strobe_tseries_point *p = &t->points[i];
		if (!p->present)
			continue;
		time_t secs = (time_t)(p->start_ns / 1000000000u);
		struct tm tm;
		char when[40];
		localtime_r(&secs, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
		jb_printf(b, "%s{\"interval_start\": \"%s.%03u\", \"value\": ", first ? "" : ", ", when,
			  (unsigned)(p->start_ns % 1000000000u / 1000000u));
		json_int(b, p->value);
		jb_putc(b, '}');
		first = false;
	}
	jb_putc(b, ']');
}

static void json_value(struct jbuf *b, const struct strobe_value *v)
{
	switch (v->kind) {
	case STROBE_V_NONE:
		jb_puts(b, "null");
		break;
	case STROBE_V_INT:
		json_int(b, v->i);
		break;
	case STROBE_V_UINT:
		json_uint(b, v->u);
		break;
	case STROBE_V_BOOL:
		jb_puts(b, v->u ? "true" : "false");
		break;
	case STROBE_V_STR:
		json_string(b, v->str.s, strnlen(v->str.s, v->str.len));
		break;
	case STROBE_V_BUF:
	case STROBE_V_SYM:
		json_key(b, v);
		break;
	case STROBE_V_STACK: {
		struct jbuf t = { 0 };
		stack_text(&t, &v->list, 8);
		if (t.oom)
			b->oom = true;
		json_string(b, t.s ? t.s : "", t.len);
		free(t.s);
		break;
	}
	case STROBE_V_TUPLE:
	case STROBE_V_ARRAY:
		jb_putc(b, '[');
		for (size_t i = 0; i < v->list.n; i++) {
			if (i)
				jb_putc(b, ',');
			json_value(b, &v->list.items[i]);
		}
		jb_putc(b, ']');
		break;
	case STROBE_V_STATS:
		if (v->stats.is_avg) {
			json_int(b, v->stats.average);
		} else {
			jb_puts(b, "{\"count\": ");
			json_uint(b, v->stats.count);
			jb_puts(b, ", \"average\": ");
			json_int(b, v->stats.average);
			jb_puts(b, ", \"total\": ");
			json_int(b, v->stats.total);
			jb_putc(b, '}');
		}
		break;
	case STROBE_V_RECORD: /* bpftrace 0.17: { "a": 1, "b": "x" } */
		jb_puts(b, "{ ");
		for (size_t i = 0; i < v->list.n; i++) {
			const char *name = v->list.names && v->list.names[i] ? v->list.names[i] : "";
			if (i)
				jb_puts(b, ", ");
			json_string(b, name, strlen(name));
			jb_puts(b, ": ");
			json_value(b, &v->list.items[i]);
		}
		jb_puts(b, " }");
		break;
	case STROBE_V_HIST:
		json_hist(b, &v->hist);
		break;
	case STROBE_V_TSERIES:
		json_tseries(b, &v->tseries);
		break;
	}
}

/* ---- records ---------------------------------------------------------- */

static void rec_begin(struct json_sink *s, const char *type)
{
	s->b.len = 0;
	s->b.oom = false;
	jb_puts(&s->b, "{\"type\": ");
	json_string(&s->b, type, strlen(type));
}

/* One write for the whole line; a record that ran out of memory is dropped. */
static void rec_end(struct json_sink *s)
{
	jb_puts(&s->b, "}\n");
	if (s->b.oom)
		return;
	const char *p = s->b.s;
	size_t n = s->b.len;
	int fd = fileno(s->fp);
	if (fd < 0) { /* a memory stream (tests) */
		fwrite(p, 1, n, s->fp);
		fflush(s->fp);
		return;
	}
	fflush(s->fp); /* whatever another sink (Lua) wrote first */
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			/* a full disk, a closed pipe: stdio fails the same way and sets the
			 * stream's error flag, which the core reports with a non-zero exit */
			fwrite(p, 1, n, s->fp);
			fflush(s->fp);
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

static void rec_text(struct json_sink *s, const char *type, const char *text, size_t len)
{
	rec_begin(s, type);
	jb_puts(&s->b, ", \"data\": ");
	json_string(&s->b, text, len);
	rec_end(s);
}

static int json_open(const struct strobe_host *host, FILE *fp, const char *opts, void **out)
{
	struct json_sink *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->fp = fp;
	*out = s;
	return 0;
}

static void json_attached(void *sink, unsigned nprobes)
{
	struct json_sink *s = sink;
	rec_begin(s, "attached_probes");
	jb_printf(&s->b, ", \"data\": {\"probes\": %u}", nprobes);
	rec_end(s);
}

static void json_printf(void *sink, uint32_t fmt_id, const char *text, size_t len,
			const struct strobe_value *args, size_t nargs)
{
	rec_text(sink, "printf", text, len);
}

static const char *map_type(enum strobe_map_kind k)
{
	switch (k) {
	case STROBE_MAP_AVG:
	case STROBE_MAP_STATS:
		return "stats";
	case STROBE_MAP_HIST:
	case STROBE_MAP_LHIST:
		return "hist";
	case STROBE_MAP_TSERIES:
		return "tseries";
	default:
		return "map";
	}
}

static void json_map(void *sink, const struct strobe_map_view *m)
{
	struct json_sink *s = sink;
	if (m->n == 0)
		return; /* an empty map prints nothing */
	rec_begin(s, map_type(m->kind));
	jb_puts(&s->b, ", \"data\": {");
	json_string(&s->b, m->name, strlen(m->name));
	jb_puts(&s->b, ": ");
	bool keyed = m->keyed || m->entries[0].key.kind != STROBE_V_NONE;
	if (keyed) {
		jb_putc(&s->b, '{');
		for (size_t i = 0; i < m->n; i++) {
			if (i)
				jb_puts(&s->b, ", ");
			json_key(&s->b, &m->entries[i].key);
			jb_puts(&s->b, ": ");
			json_value(&s->b, &m->entries[i].value);
		}
		jb_putc(&s->b, '}');
	} else {
		json_value(&s->b, &m->entries[0].value);
	}
	jb_putc(&s->b, '}');
	rec_end(s);
}

static void json_print_value(void *sink, const struct strobe_value *v)
{
	struct json_sink *s = sink;
	rec_begin(s, "value");
	jb_puts(&s->b, ", \"data\": ");
	json_value(&s->b, v);
	rec_end(s);
}

static void json_lost(void *sink, uint64_t nevents)
{
	struct json_sink *s = sink;
	rec_begin(s, "lost_events");
	jb_puts(&s->b, ", \"data\": {\"events\": ");
	json_uint(&s->b, nevents);
	jb_putc(&s->b, '}');
	rec_end(s);
}

static void json_time(void *sink, const char *text, size_t len)
{
	rec_text(sink, "time", text, len);
}

static void json_join(void *sink, const char *text, size_t len)
{
	rec_text(sink, "join", text, len);
}

static void json_cat(void *sink, const char *text, size_t len)
{
	rec_text(sink, "cat", text, len);
}

static void json_syscall(void *sink, const char *text, size_t len)
{
	rec_text(sink, "syscall", text, len);
}

/* bpftrace 0.17's fields: the helper, its return code and the place (no message, no file). */
static void json_helper_error(void *sink, const struct strobe_helper_error *e)
{
	struct json_sink *s = sink;
	rec_begin(s, "helper_error");
	jb_puts(&s->b, ", \"helper\": ");
	json_string(&s->b, e->helper ? e->helper : "", e->helper ? strlen(e->helper) : 0);
	jb_puts(&s->b, ", \"retcode\": ");
	json_int(&s->b, e->retcode);
	jb_printf(&s->b, ", \"line\": %u, \"col\": %u", e->line, e->col);
	rec_end(s);
}

/*
 * bpftrace 0.17 writes two empty lines at exit, before the maps, in JSON as
 * in text (readers of its NDJSON skip empty lines).
 */
static void json_exiting(void *sink)
{
	struct json_sink *s = sink;
	fputs("\n\n", s->fp);
	fflush(s->fp);
}

static void json_close(void *sink)
{
	struct json_sink *s = sink;
	if (!s)
		return;
	fflush(s->fp);
	free(s->b.s);
	free(s);
}

static const struct strobe_output_ops json_ops = {
	.abi = STROBE_OUTPUT_ABI,
	.size = sizeof(struct strobe_output_ops),
	.name = "json",
	.open = json_open,
	.attached = json_attached,
	.printf = json_printf,
	.map = json_map,
	.value = json_print_value,
	.lost = json_lost,
	.exiting = json_exiting,
	.close = json_close,
	.time = json_time,
	.join = json_join,
	.cat = json_cat,
	.syscall = json_syscall,
	.helper_error = json_helper_error,
};

STROBE_EXPORT const struct strobe_output_ops *strobe_output_entry(void);
STROBE_EXPORT const struct strobe_output_ops *strobe_output_entry(void)
{
	return &json_ops;
}
