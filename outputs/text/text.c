/*
 * The text sink: bpftrace 0.17's text layouts, byte for byte.
 *
 *	@name[key]: value          plain, count, sum, min, max maps
 *	@t[1, x]: 3                several keys
 *	@st: count 2, average 6, total 12   (then a blank line after the map)
 *	@h: ␠                      histograms: rows, then a blank line
 *	[4, 8)                 1 |@@@@...@@@@|
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <strobe/output.h>

#define HIST_BAR_WIDTH 52

struct text_sink {
	FILE *fp;
};

/* Where a value is printed: stacks are indented 4 inside a map key, 8 elsewhere. */
enum text_ctx { IN_VALUE, IN_KEY };

static void text_value(FILE *fp, const struct strobe_value *v, enum text_ctx ctx);

/* bpftrace prints addresses through (void *): 0 is "0", others "0x...". */
static void text_addr(FILE *fp, uint64_t addr)
{
	if (addr)
		fprintf(fp, "0x%" PRIx64, addr);
	else
		fputc('0', fp);
}

static void text_sym(FILE *fp, const struct strobe_sym *s)
{
	if (s->name)
		fputs(s->name, fp);
	else
		text_addr(fp, s->addr);
}

static void text_list(FILE *fp, const struct strobe_value_list *l, const char *sep,
		      enum text_ctx ctx)
{
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			fputs(sep, fp);
		text_value(fp, &l->items[i], ctx);
	}
}

/*
 * Records, as bpftrace 0.17 prints them: "{ .a = 1, .b = { .c = 2 } }" as
 * a value, "{.a=1,.b={.c=2}}" inside a map key.
 */
static void text_record(FILE *fp, const struct strobe_value_list *l, enum text_ctx ctx)
{
	bool key = ctx == IN_KEY;
	fputs(key ? "{" : "{ ", fp);
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			fputs(key ? "," : ", ", fp);
		fprintf(fp, key ? ".%s=" : ".%s = ", l->names && l->names[i] ? l->names[i] : "");
		text_value(fp, &l->items[i], ctx);
	}
	fputs(key ? "}" : " }", fp);
}

/* Buffers: printable ASCII as is, other bytes as \xNN. */
static void text_buf(FILE *fp, const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 32 && c <= 126)
			fputc(c, fp);
		else
			fprintf(fp, "\\x%02x", c);
	}
}

/*
 * bpftrace 0.17: a newline, then one line per frame: "sym+off" indented 8
 * (4 inside a map key); perf mode "\t<hex ip> sym+off[ (module)]"; raw
 * mode the hex ip alone. No stack at all (a user stack in a kernel thread,
 * a kernel stack sampled in user mode) prints nothing: "@[]: 3".
 */
static void text_stack(FILE *fp, const struct strobe_value_list *frames, enum text_ctx ctx)
{
	int indent = ctx == IN_KEY ? 4 : 8;
	if (!frames->n)
		return;
	fputc('\n', fp);
	for (size_t i = 0; i < frames->n; i++) {
		const struct strobe_value *f = &frames->items[i];
		if (f->kind != STROBE_V_SYM) {
			fprintf(fp, "%*s", indent, "");
			text_value(fp, f, ctx);
		} else if (frames->mode == STROBE_STACK_PERF) {
			fprintf(fp, "\t%" PRIx64 " %s", f->sym.addr, f->sym.name ? f->sym.name : "[unknown]");
			if (f->sym.module)
				fprintf(fp, " (%s)", f->sym.module);
		} else if (frames->mode == STROBE_STACK_RAW) {
			fprintf(fp, "%" PRIx64, f->sym.addr);
		} else {
			fprintf(fp, "%*s", indent, "");
			text_sym(fp, &f->sym);
		}
		fputc('\n', fp);
	}
}

static void text_stats(FILE *fp, const struct strobe_stats *s)
{
	if (s->is_avg)
		fprintf(fp, "%" PRId64, s->average);
	else
		fprintf(fp, "count %" PRIu64 ", average %" PRId64 ", total %" PRId64, s->count,
			s->average, s->total);
}

/*
 * Log2 labels, as bpftrace's hist_index_label: v = m << p with m in
 * [2^k, 2^(k+1)), printed as m << (p % 10) with the suffix of p / 10, T at
 * most as in 0.17 (512, 1K, 2M; with k = 2, 1280 rather than 1K).
 */
static void log2_label(char *buf, size_t len, uint64_t v, unsigned k)
{
	static const char suffix[] = { 0, 'K', 'M', 'G', 'T' };
	if (v == 0) {
		/* The top bucket's end, 2^64, wrapped. */
		snprintf(buf, len, "%" PRIu64 "T", (uint64_t)1 << 24);
		return;
	}
	unsigned top = 63;
	while (!(v >> top))
		top--;
	unsigned p = top > k ? top - k : 0, decade = p / 10 < 4 ? p / 10 : 4;
	uint64_t shown = (v >> p) << (p - 10 * decade);
	if (decade)
		snprintf(buf, len, "%" PRIu64 "%c", shown, suffix[decade]);
	else
		snprintf(buf, len, "%" PRIu64, shown);
}

/* Linear labels: K/M only for exact multiples (bpftrace 0.17's lhist_index_label). */
static void linear_label(char *buf, size_t len, int64_t v)
{
	if (v != 0 && v % 1048576 == 0)
		snprintf(buf, len, "%" PRId64 "M", v / 1048576);
	else if (v != 0 && v % 1024 == 0)
		snprintf(buf, len, "%" PRId64 "K", v / 1024);
	else
		snprintf(buf, len, "%" PRId64, v);
}

static void bucket_label(char *buf, size_t len, const struct strobe_hist *h,
			 const struct strobe_bucket *b)
{
	char lo[32], hi[32];
	if (h->kind == STROBE_HIST_LOG2) {
		if (b->underflow) {
			snprintf(buf, len, "(..., 0)");
			return;
		}
		/*
		 * the values below 2^(k+1) have a bucket each, printed [v]: 0 and 1
		 * with k = 0 as in 0.17, 0..2*2^k-1 as bpftrace's hist(n, k) prints them
		 */
		if (!b->overflow && b->hi - b->lo == 1 && b->lo < (INT64_C(2) << h->bits)) {
			snprintf(buf, len, "[%" PRId64 "]", b->lo);
			return;
		}
		log2_label(lo, sizeof(lo), (uint64_t)b->lo, h->bits);
		log2_label(hi, sizeof(hi), (uint64_t)b->hi, h->bits);
	} else {
		linear_label(lo, sizeof(lo), b->lo);
		linear_label(hi, sizeof(hi), b->hi);
	}
	if (b->underflow)
		snprintf(buf, len, "(..., %s)", hi);
	else if (b->overflow)
		snprintf(buf, len, "[%s, ...)", lo);
	else
		snprintf(buf, len, "[%s, %s)", lo, hi);
}

static void text_hist_rows(FILE *fp, const struct strobe_hist *h)
{
	uint64_t max = 0;
	for (size_t i = 0; i < h->n; i++)
		if (h->buckets[i].count > max)
			max = h->buckets[i].count;
	for (size_t i = 0; i < h->n; i++) {
		const struct strobe_bucket *b = &h->buckets[i];
		char label[80], bar[HIST_BAR_WIDTH + 1];
		bucket_label(label, sizeof(label), h, b);
		/* bpftrace computes the bar in single-precision float; so do we. */
		int width = max ? (int)((float)b->count / (float)max * HIST_BAR_WIDTH) : 0;
		memset(bar, ' ', HIST_BAR_WIDTH);
		memset(bar, '@', (size_t)width);
		bar[HIST_BAR_WIDTH] = '\0';
		fprintf(fp, "%-16s%8" PRIu64 " |%s|\n", label, b->count, bar);
	}
}

/* A tseries interval's start in local time, "10:41:46.700". */
static void text_clock(FILE *fp, uint64_t ns)
{
	time_t secs = (time_t)(ns / 1000000000u);
	struct tm tm;
	char buf[32];
	localtime_r(&secs, &tm);
	strftime(buf, sizeof(buf), "%H:%M:%S", &tm);
	fprintf(fp, "%s.%03u", buf, (unsigned)(ns % 1000000000u / 1000000u));
}

#define TS_WIDTH 52 /* columns from the low end of the axis to the high end */

/* "             -5                                                  5" */
static void text_tseries_labels(FILE *fp, int64_t lo, int64_t hi)
{
	char l[24], h[24];
	int nl = snprintf(l, sizeof(l), "%" PRId64, lo), nh = snprintf(h, sizeof(h), "%" PRId64, hi);
	int gap = TS_WIDTH + 1 - nl - nh;
	fprintf(fp, "%13s%s%*s%s\n", "", l, gap > 1 ? gap : 1, "", h);
}

/* The chart of a tseries() value, as bpftrace 0.26 draws it (docs/stdlib.md). */
static void text_tseries(FILE *fp, const struct strobe_tseries *t)
{
	bool any = false;
	int64_t lo = 0, hi = 0;
	for (size_t i = 0; i < t->n; i++) {
		if (!t->points[i].present)
			continue;
		int64_t v = t->points[i].value;
		lo = !any || v < lo ? v : lo;
		hi = !any || v > hi ? v : hi;
		any = true;
	}
	if (lo == hi) {
		lo--;
		hi++;
	}
	double scale = (double)TS_WIDTH / ((double)hi - (double)lo);
	int zero = lo < 0 && hi > 0 ? (int)((double)-lo * scale) : -1;
	char axis[TS_WIDTH + 2];
	memset(axis, '_', TS_WIDTH + 1);
	axis[TS_WIDTH + 1] = '\0';
	text_tseries_labels(fp, lo, hi);
	axis[0] = axis[TS_WIDTH] = '|';
	fprintf(fp, "hh:mm:ss.ms  %s\n", axis);
	for (size_t i = 0; i < t->n; i++) {
		const struct strobe_tseries_point *p = &t->points[i];
		char row[TS_WIDTH + 2];
		memset(row, ' ', TS_WIDTH + 1);
		row[TS_WIDTH + 1] = '\0';
		row[0] = row[TS_WIDTH] = '|';
		if (zero > 0)
			row[zero] = '.';
		if (p->present)
			row[(int)(((double)p->value - (double)lo) * scale)] = '*';
		text_clock(fp, p->start_ns);
		fprintf(fp, " %s ", row);
		if (p->present)
			fprintf(fp, "%" PRId64 "\n", p->value);
		else
			fputs("-\n", fp);
	}
	axis[0] = axis[TS_WIDTH] = 'v';
	fprintf(fp, "%13s%s\n", "", axis);
	text_tseries_labels(fp, lo, hi);
}

static void text_value(FILE *fp, const struct strobe_value *v, enum text_ctx ctx)
{
	switch (v->kind) {
	case STROBE_V_NONE:
		break;
	case STROBE_V_INT:
		fprintf(fp, "%" PRId64, v->i);
		break;
	case STROBE_V_UINT:
		fprintf(fp, "%" PRIu64, v->u);
		break;
	case STROBE_V_BOOL:
		fputs(v->u ? "true" : "false", fp);
		break;
	case STROBE_V_STR:
		fwrite(v->str.s, 1, strnlen(v->str.s, v->str.len), fp);
		break;
	case STROBE_V_BUF:
		text_buf(fp, v->str.s, v->str.len);
		break;
	case STROBE_V_TUPLE:
		fputc('(', fp);
		text_list(fp, &v->list, ", ", ctx);
		fputc(')', fp);
		break;
	case STROBE_V_ARRAY:
		fputc('[', fp);
		text_list(fp, &v->list, ",", ctx);
		fputc(']', fp);
		break;
	case STROBE_V_STACK:
		text_stack(fp, &v->list, ctx);
		break;
	case STROBE_V_SYM:
		text_sym(fp, &v->sym);
		break;
	case STROBE_V_STATS:
		text_stats(fp, &v->stats);
		break;
	case STROBE_V_HIST:
		text_hist_rows(fp, &v->hist);
		break;
	case STROBE_V_RECORD:
		text_record(fp, &v->list, ctx);
		break;
	case STROBE_V_TSERIES:
		text_tseries(fp, &v->tseries);
		break;
	}
}

/* "@name", "@name[k]", "@name[k1, k2]" */
static void text_map_key(FILE *fp, const struct strobe_map_view *m, const struct strobe_map_entry *e)
{
	fputs(m->name, fp);
	if (e->key.kind == STROBE_V_NONE)
		return;
	fputc('[', fp);
	if (e->key.kind == STROBE_V_TUPLE)
		text_list(fp, &e->key.list, ", ", IN_KEY);
	else
		text_value(fp, &e->key, IN_KEY);
	fputc(']', fp);
}

static int text_open(const struct strobe_host *host, FILE *fp, const char *opts, void **out)
{
	struct text_sink *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->fp = fp;
	*out = s;
	return 0;
}

static void text_attached(void *sink, unsigned nprobes)
{
	struct text_sink *s = sink;
	fprintf(s->fp, "Attaching %u probe%s...\n", nprobes, nprobes == 1 ? "" : "s");
}

static void text_printf(void *sink, uint32_t fmt_id, const char *text, size_t len,
			const struct strobe_value *args, size_t nargs)
{
	struct text_sink *s = sink;
	fwrite(text, 1, len, s->fp);
}

static void text_map(void *sink, const struct strobe_map_view *m)
{
	struct text_sink *s = sink;
	FILE *fp = s->fp;
	bool hist = m->kind == STROBE_MAP_HIST || m->kind == STROBE_MAP_LHIST;
	bool stats = m->kind == STROBE_MAP_AVG || m->kind == STROBE_MAP_STATS;
	/* An empty map is a bare newline, as in bpftrace 0.17. */
	if (m->n == 0)
		fputc('\n', fp);
	for (size_t i = 0; i < m->n; i++) {
		const struct strobe_map_entry *e = &m->entries[i];
		text_map_key(fp, m, e);
		if (e->value.kind == STROBE_V_TSERIES) { /* "@name:" and the chart */
			fputs(":\n", fp);
			text_tseries(fp, &e->value.tseries);
			fputc('\n', fp);
			continue;
		}
		fputs(": ", fp);
		if (hist && e->value.kind == STROBE_V_HIST) {
			fputc('\n', fp);
			text_hist_rows(fp, &e->value.hist);
			fputc('\n', fp);
			continue;
		}
		text_value(fp, &e->value, IN_VALUE);
		fputc('\n', fp);
	}
	if (stats)
		fputc('\n', fp);
}

static void text_print_value(void *sink, const struct strobe_value *v)
{
	struct text_sink *s = sink;
	text_value(s->fp, v, IN_VALUE);
	fputc('\n', s->fp);
}

static void text_lost(void *sink, uint64_t nevents)
{
	struct text_sink *s = sink;
	fprintf(s->fp, "Lost %" PRIu64 " events\n", nevents);
}

static void text_time(void *sink, const char *text, size_t len)
{
	struct text_sink *s = sink;
	fwrite(text, 1, len, s->fp);
}

/* join(): one line, as bpftrace 0.17 prints it. */
static void text_join(void *sink, const char *text, size_t len)
{
	struct text_sink *s = sink;
	fwrite(text, 1, len, s->fp);
	fputc('\n', s->fp);
}

/* cat() and system(): the bytes as read, nothing added. */
static void text_raw(void *sink, const char *text, size_t len)
{
	struct text_sink *s = sink;
	fwrite(text, 1, len, s->fp);
}

static void text_exiting(void *sink)
{
	struct text_sink *s = sink;
	fputs("\n\n", s->fp);
}

static void text_close(void *sink)
{
	struct text_sink *s = sink;
	if (!s)
		return;
	fflush(s->fp);
	free(s);
}

static const struct strobe_output_ops text_ops = {
	.abi = STROBE_OUTPUT_ABI,
	.size = sizeof(struct strobe_output_ops),
	.name = "text",
	.open = text_open,
	.attached = text_attached,
	.printf = text_printf,
	.map = text_map,
	.value = text_print_value,
	.lost = text_lost,
	.exiting = text_exiting,
	.close = text_close,
	.time = text_time,
	.join = text_join,
	.cat = text_raw,
	.syscall = text_raw,
};

STROBE_EXPORT const struct strobe_output_ops *strobe_output_entry(void);
STROBE_EXPORT const struct strobe_output_ops *strobe_output_entry(void)
{
	return &text_ops;
}
