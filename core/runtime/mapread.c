/*
 * Reading maps: raw bytes from the kernel, decoded (decode.c), aggregated across
 * CPUs, sorted in bpftrace 0.17's order, for the sink.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "runtime_internal.h"

int key_compare(const struct type *ty, const uint8_t *a, const uint8_t *b)
{
	if (!ty)
		return 0;
	switch (ty->kind) {
	case T_INT:
	case T_BOOL:
	case T_POINTER:
	case T_KSYM:
	case T_PROBE:
	case T_TIMESTAMP: {
		/* bpftrace 0.17 compares integer keys as unsigned: -1 sorts last. */
		uint64_t x = (uint64_t)read_int(a, ty->size, ty->is_signed);
		uint64_t y = (uint64_t)read_int(b, ty->size, ty->is_signed);
		return x < y ? -1 : x > y;
	}
	case T_STRING:
		return strncmp((const char *)a, (const char *)b, ty->size);
	case T_TUPLE:
		for (uint32_t i = 0; i < ty->nfields; i++) {
			const struct type_field *f = &ty->fields[i];
			int c = key_compare(f->type, a + f->offset, b + f->offset);
			if (c)
				return c;
		}
		return 0;
	default:
		return memcmp(a, b, ty->size);
	}
}

bool map_is_percpu(int bpf_type)
{
	return bpf_type == BPF_MAP_TYPE_PERCPU_HASH || bpf_type == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       bpf_type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
}

uint32_t map_value_stride(const struct prog_map *m)
{
	/* The kernel copies each CPU's value at an 8-byte aligned slot. */
	return map_is_percpu(m->bpf_type) ? (m->value_size + 7) & ~7u : m->value_size;
}

/* ---- aggregation and sorting ---- */

enum sort_by { SORT_BY_KEY, SORT_BY_SIGNED, SORT_BY_UNSIGNED };

struct work {
	const uint8_t *key; /* user key bytes */
	uint64_t sort;      /* the value sorted by (int64 bits if SORT_BY_SIGNED) */
	struct strobe_value value;
};

struct sort_ctx {
	const struct type *key;
	enum sort_by by;
	size_t key_size;
};

static int work_cmp(const void *x, const void *y, void *ctx)
{
	const struct work *a = x, *b = y;
	const struct sort_ctx *c = ctx;
	if (c->by == SORT_BY_SIGNED && a->sort != b->sort)
		return (int64_t)a->sort < (int64_t)b->sort ? -1 : 1;
	if (c->by == SORT_BY_UNSIGNED && a->sort != b->sort)
		return a->sort < b->sort ? -1 : 1;
	/* Ties (and key-sorted maps): by key, so the order is deterministic. */
	int r = key_compare(c->key, a->key, b->key);
	return r ? r : memcmp(a->key, b->key, c->key_size);
}

static const uint8_t *cpu_value(const struct map_raw *raw, size_t entry, uint32_t cpu)
{
	return raw->values + (entry * raw->ncpus + cpu) * raw->value_stride;
}

/* Aggregations of signed arguments are signed (a missing type means int64). */
static bool agg_signed(const struct prog_map *m)
{
	return !m->value || m->value->kind != T_INT || m->value->is_signed;
}

static void set_int(struct strobe_value *v, bool is_signed, uint64_t bits)
{
	v->kind = is_signed ? STROBE_V_INT : STROBE_V_UINT;
	v->u = bits;
}

/* Combine the per-CPU copies of one non-histogram entry. */
static void aggregate(struct arena *a, const struct prog_map *m, const struct map_raw *raw,
		      size_t i, struct work *w, enum sort_by *by)
{
	bool sig = agg_signed(m);
	switch (m->agg) {
	case AGG_COUNT:
	case AGG_SUM: {
		uint64_t total = 0;
		for (uint32_t c = 0; c < raw->ncpus; c++)
			total += (uint64_t)read_int(cpu_value(raw, i, c), 8, true);
		sig = m->agg == AGG_SUM && sig;
		set_int(&w->value, sig, total);
		w->sort = total;
		*by = sig ? SORT_BY_SIGNED : SORT_BY_UNSIGNED;
		break;
	}
	case AGG_MIN:
	case AGG_MAX: {
		bool have = false;
		uint64_t best = 0;
		for (uint32_t c = 0; c < raw->ncpus; c++) {
			const uint8_t *v = cpu_value(raw, i, c);
			uint64_t val = (uint64_t)read_int(v, 8, true);
			if (!read_int(v + 8, 8, false))
				continue; /* this CPU never saw a value */
			bool less = sig ? (int64_t)val < (int64_t)best : val < best;
			bool better = m->agg == AGG_MIN ? less : (!less && val != best);
			if (!have || better)
				best = val;
			have = true;
		}
		set_int(&w->value, sig, best);
		w->sort = best;
		*by = sig ? SORT_BY_SIGNED : SORT_BY_UNSIGNED;
		break;
	}
	case AGG_AVG:
	case AGG_STATS: {
		uint64_t total = 0, count = 0;
		for (uint32_t c = 0; c < raw->ncpus; c++) {
			const uint8_t *v = cpu_value(raw, i, c);
			total += (uint64_t)read_int(v, 8, true);
			count += (uint64_t)read_int(v + 8, 8, false);
		}
		int64_t avg = 0;
		if (count)
			avg = sig ? (int64_t)total / (int64_t)count : (int64_t)(total / count);
		w->value.kind = STROBE_V_STATS;
		w->value.stats = (struct strobe_stats){ .count = count, .total = (int64_t)total,
							.average = avg, .is_avg = m->agg == AGG_AVG };
		w->sort = (uint64_t)avg;
		*by = sig ? SORT_BY_SIGNED : SORT_BY_UNSIGNED;
		break;
	}
	default: {
		const uint8_t *v = cpu_value(raw, i, 0);
		value_decode(a, m->value, v, &w->value);
		if (m->value && (m->value->kind == T_INT || m->value->kind == T_BOOL)) {
			w->sort = (uint64_t)read_int(v, m->value->size, m->value->is_signed);
			*by = m->value->is_signed ? SORT_BY_SIGNED : SORT_BY_UNSIGNED;
		} else {
			*by = SORT_BY_KEY;
		}
		break;
	}
	}
}

/* [lo, hi) of histogram bucket idx, per the numbering in program.h. */
static void bucket_bounds(const struct prog_map *m, uint64_t idx, uint64_t last_idx,
			  struct strobe_bucket *b)
{
	if (m->agg == AGG_LHIST) {
		int64_t min = m->hist_args[0], max = m->hist_args[1], step = m->hist_args[2];
		if (idx == 0) {
			*b = (struct strobe_bucket){ .lo = INT64_MIN, .hi = min, .underflow = true };
		} else if (idx >= last_idx) {
			*b = (struct strobe_bucket){ .lo = max, .hi = INT64_MAX, .overflow = true };
		} else {
			b->lo = min + (int64_t)(idx - 1) * step;
			b->hi = b->lo + step;
		}
		return;
	}
	uint64_t k = (uint64_t)m->hist_args[0], n = UINT64_C(1) << k, j = idx - 1;
	if (idx == 0) {
		*b = (struct strobe_bucket){ .lo = INT64_MIN, .hi = 0, .underflow = true };
		return;
	}
	if (j < n) {
		*b = (struct strobe_bucket){ .lo = (int64_t)j, .hi = (int64_t)j + 1 };
		return;
	}
	uint64_t l = (j >> k) - 1, x = j & (n - 1);
	if (l + k >= 63) {
		*b = (struct strobe_bucket){ .lo = INT64_MAX, .hi = INT64_MAX, .overflow = true };
		return;
	}
	b->lo = (int64_t)((n + x) << l);
	b->hi = l + k + 1 >= 63 && x + 1 == n ? INT64_MAX : (int64_t)((n + x + 1) << l);
}

/* The overflow bucket's index of a linear histogram (last = ">= max"). */
static uint64_t lhist_last_index(const struct prog_map *m)
{
	int64_t min = m->hist_args[0], max = m->hist_args[1], step = m->hist_args[2];
	if (step <= 0 || max <= min)
		return 1;
	return (uint64_t)((max - min) / step) + 1;
}

struct hist_sort_ctx {
	const struct map_raw *raw;
	size_t key_size, user_size;
};

static int hist_index_cmp(const void *x, const void *y, void *ctx)
{
	const struct hist_sort_ctx *c = ctx;
	size_t a = *(const size_t *)x, b = *(const size_t *)y;
	return memcmp(c->raw->keys + a * c->key_size, c->raw->keys + b * c->key_size, c->user_size);
}

/* The entries' indexes sorted by user key (the key minus its trailing u64), so that a group is a run; free() it. */
static size_t *order_by_user_key(struct hist_sort_ctx *hc)
{
	size_t *order = malloc((hc->raw->n ? hc->raw->n : 1) * sizeof(*order));
	if (!order)
		return NULL;
	for (size_t i = 0; i < hc->raw->n; i++)
		order[i] = i;
	qsort_r(order, hc->raw->n, sizeof(*order), hist_index_cmp, hc);
	return order;
}

/*
 * Histograms: group entries by user key (the key minus its trailing u64
 * bucket), sum each bucket across CPUs, keep first..last non-empty bucket.
 * Returns the number of work entries filled.
 */
static size_t build_hists(struct arena *a, const struct prog_map *m, const struct map_raw *raw,
			  struct work *works)
{
	size_t ks = m->key_size, us = ks >= 8 ? ks - 8 : 0;
	struct hist_sort_ctx hc = { raw, ks, us };
	size_t *order = order_by_user_key(&hc);
	if (!order)
		return 0;

	uint64_t lin_last = lhist_last_index(m);
	size_t nworks = 0;
	for (size_t g = 0; g < raw->n;) {
		size_t end = g + 1;
		while (end < raw->n && !hist_index_cmp(&order[g], &order[end], &hc))
			end++;
		/* Per-bucket counts of this group. */
		uint64_t max_idx = 0;
		for (size_t j = g; j < end; j++) {
			uint64_t idx = (uint64_t)read_int(raw->keys + order[j] * ks + us, 8, false);
			if (idx > max_idx)
				max_idx = idx;
		}
		if (max_idx > 4096)
			max_idx = 4096; /* a corrupt index must not make us allocate the world */
		uint64_t *counts = calloc(max_idx + 1, sizeof(*counts));
		if (!counts)
			break;
		for (size_t j = g; j < end; j++) {
			uint64_t idx = (uint64_t)read_int(raw->keys + order[j] * ks + us, 8, false);
			if (idx > max_idx)
				continue;
			for (uint32_t c = 0; c < raw->ncpus; c++)
				counts[idx] += (uint64_t)read_int(cpu_value(raw, order[j], c), 8, false);
		}
		uint64_t first = 0, last = 0, total = 0;
		bool any = false;
		for (uint64_t idx = 0; idx <= max_idx; idx++) {
			if (!counts[idx])
				continue;
			if (!any)
				first = idx;
			last = idx;
			any = true;
			total += counts[idx];
		}
		size_t nb = any ? (size_t)(last - first + 1) : 0;
		struct strobe_bucket *buckets = arena_zalloc(a, (nb ? nb : 1) * sizeof(*buckets));
		for (size_t k = 0; k < nb; k++) {
			bucket_bounds(m, first + k, lin_last, &buckets[k]);
			buckets[k].count = counts[first + k];
		}
		free(counts);

		struct work *w = &works[nworks++];
		w->key = raw->keys + order[g] * ks;
		w->sort = total;
		w->value.kind = STROBE_V_HIST;
		w->value.hist = (struct strobe_hist){
			.kind = m->agg == AGG_LHIST ? STROBE_HIST_LINEAR : STROBE_HIST_LOG2,
			.bits = m->agg == AGG_HIST ? (uint32_t)m->hist_args[0] : 0,
			.step = m->agg == AGG_LHIST ? m->hist_args[2] : 0,
			.buckets = buckets,
			.n = nb,
		};
		g = end;
	}
	free(order);
	return nworks;
}

/* A tseries slot's value: the average of an "avg" series, else as stored. */
static int64_t tseries_value(const struct prog_map *m, const uint8_t *slot)
{
	int64_t v = read_int(slot, 8, true);
	uint64_t count = (uint64_t)read_int(slot + 16, 8, false);
	if (m->hist_args[2] != TSERIES_AVG || !count)
		return v;
	return agg_signed(m) ? v / (int64_t)count : (int64_t)((uint64_t)v / count);
}

/*
 * Time series: group slots by user key (the key minus its trailing u64
 * slot). Every series ends at the map's latest interval and starts at its
 * own first one within the last `intervals` (as bpftrace prints them);
 * intervals nothing was recorded in are not present.
 */
static size_t build_tseries(struct arena *a, const struct prog_map *m, const struct map_raw *raw,
			    struct work *works)
{
	size_t ks = m->key_size, us = ks >= 8 ? ks - 8 : 0;
	uint64_t last = 0, span = (uint64_t)m->hist_args[1];
	for (size_t i = 0; i < raw->n; i++) {
		uint64_t e = (uint64_t)read_int(cpu_value(raw, i, 0) + 8, 8, false);
		last = e > last ? e : last;
	}
	uint64_t oldest = last >= span ? last - span + 1 : 0;
	struct hist_sort_ctx hc = { raw, ks, us };
	size_t *order = order_by_user_key(&hc);
	if (!order)
		return 0;
	size_t nworks = 0;
	for (size_t g = 0; g < raw->n;) {
		size_t end = g + 1;
		while (end < raw->n && !hist_index_cmp(&order[g], &order[end], &hc))
			end++;
		uint64_t first = last;
		for (size_t j = g; j < end; j++) {
			uint64_t e = (uint64_t)read_int(cpu_value(raw, order[j], 0) + 8, 8, false);
			if (e >= oldest && e < first)
				first = e;
		}
		size_t np = (size_t)(last - first + 1);
		struct strobe_tseries_point *pts = arena_zalloc(a, np * sizeof(*pts));
		for (size_t k = 0; k < np; k++)
			pts[k].start_ns = (first + k) * (uint64_t)m->hist_args[0];
		for (size_t j = g; j < end; j++) {
			const uint8_t *slot = cpu_value(raw, order[j], 0);
			uint64_t e = (uint64_t)read_int(slot + 8, 8, false);
			if (e < first || e > last)
				continue; /* an interval older than the series shows */
			pts[e - first] = (struct strobe_tseries_point){ pts[e - first].start_ns, tseries_value(m, slot), true };
		}
		struct work *w = &works[nworks++];
		w->key = raw->keys + order[g] * ks;
		w->value.kind = STROBE_V_TSERIES;
		w->value.tseries = (struct strobe_tseries){ pts, np, (uint64_t)m->hist_args[0] };
		g = end;
	}
	free(order);
	return nworks;
}

static void divide(struct strobe_value *v, uint64_t div)
{
	switch (v->kind) {
	case STROBE_V_INT:
		v->i /= (int64_t)div;
		break;
	case STROBE_V_UINT:
		v->u /= div;
		break;
	case STROBE_V_STATS:
		/* bpftrace divides avg() maps; stats() ignore top/div (sema warns). */
		if (v->stats.is_avg)
			v->stats.average /= (int64_t)div;
		break;
	case STROBE_V_HIST:
		for (size_t k = 0; k < v->hist.n; k++)
			((struct strobe_bucket *)v->hist.buckets)[k].count /= div;
		break;
	default:
		break;
	}
}

static enum strobe_map_kind view_kind(enum agg_kind agg)
{
	switch (agg) {
	case AGG_COUNT: return STROBE_MAP_COUNT;
	case AGG_SUM: return STROBE_MAP_SUM;
	case AGG_MIN: return STROBE_MAP_MIN;
	case AGG_MAX: return STROBE_MAP_MAX;
	case AGG_AVG: return STROBE_MAP_AVG;
	case AGG_STATS: return STROBE_MAP_STATS;
	case AGG_HIST: return STROBE_MAP_HIST;
	case AGG_LHIST: return STROBE_MAP_LHIST;
	case AGG_TSERIES: return STROBE_MAP_TSERIES;
	default: return STROBE_MAP_VALUE;
	}
}

void map_build_view(const struct prog_map *m, const struct map_raw *raw, uint64_t top,
		    uint64_t div, struct map_view_buf *out)
{
	struct arena *a = &out->arena;
	*a = (struct arena)ARENA_INIT;
	out->view = (struct strobe_map_view){ .name = m->name, .kind = view_kind(m->agg),
					      .keyed = m->key != NULL };
	if (!raw->n)
		return;

	struct work *works = calloc(raw->n, sizeof(*works));
	if (!works)
		return;
	struct sort_ctx sc = { .key = m->key, .by = SORT_BY_KEY, .key_size = m->key_size };
	size_t n;
	if (m->agg == AGG_HIST || m->agg == AGG_LHIST) {
		n = build_hists(a, m, raw, works);
		sc.by = SORT_BY_UNSIGNED; /* by total count */
		sc.key_size = m->key_size >= 8 ? m->key_size - 8 : 0;
	} else if (m->agg == AGG_TSERIES) {
		n = build_tseries(a, m, raw, works);
		sc.key_size = m->key_size >= 8 ? m->key_size - 8 : 0;
	} else {
		n = raw->n;
		for (size_t i = 0; i < n; i++) {
			works[i].key = raw->keys + i * m->key_size;
			aggregate(a, m, raw, i, &works[i], &sc.by);
		}
	}
	if (!m->key)
		sc.key_size = 0; /* scalar maps have one entry; nothing to compare */
	qsort_r(works, n, sizeof(*works), work_cmp, &sc);

	/* top: the largest entries, still printed in ascending order. */
	size_t from = top && n > top ? n - (size_t)top : 0;
	struct strobe_map_entry *entries = arena_zalloc(a, (n - from ? n - from : 1) * sizeof(*entries));
	for (size_t i = from; i < n; i++) {
		struct strobe_map_entry *e = &entries[i - from];
		if (m->key)
			value_decode(a, m->key, works[i].key, &e->key);
		e->value = works[i].value;
		if (div > 1)
			divide(&e->value, div);
	}
	free(works);
	out->view.entries = entries;
	out->view.n = n - from;
}

void map_view_release(struct map_view_buf *v)
{
	arena_release(&v->arena);
	v->view.entries = NULL;
	v->view.n = 0;
}

/* ---- kernel access ---- */

static uint32_t map_ncpus(const struct prog_map *m)
{
	if (!map_is_percpu(m->bpf_type))
		return 1;
	int n = libbpf_num_possible_cpus();
	return n > 0 ? (uint32_t)n : 1;
}

/* Every key of the map (snapshot, so callers may delete while walking it). */
static int collect_keys(const struct prog_map *m, uint8_t **keys_out, size_t *n_out)
{
	size_t ks = m->key_size ? m->key_size : 8, n = 0, cap = 0;
	uint8_t *keys = NULL;
	const uint8_t *prev = NULL;
	uint8_t *key = malloc(ks);
	if (!key)
		return -ENOMEM;
	/* A concurrently deleted key restarts the walk: bound it by the map size. */
	size_t limit = m->max_entries ? (size_t)m->max_entries * 2 : SIZE_MAX;
	while (n < limit) {
		if (bpf_map_get_next_key(m->fd, prev, key) < 0) {
			if (errno == ENOENT)
				break;
			int e = -errno;
			free(key);
			free(keys);
			return e;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			uint8_t *nk = realloc(keys, cap * ks);
			if (!nk) {
				free(key);
				free(keys);
				return -ENOMEM;
			}
			keys = nk;
		}
		memcpy(keys + n * ks, key, ks);
		prev = keys + n * ks;
		n++;
	}
	free(key);
	*keys_out = keys;
	*n_out = n;
	return 0;
}

int map_read_raw(const struct prog_map *m, struct map_raw *raw)
{
	memset(raw, 0, sizeof(*raw));
	raw->ncpus = map_ncpus(m);
	raw->value_stride = map_value_stride(m);
	size_t ks = m->key_size ? m->key_size : 8;
	size_t vbytes = (size_t)raw->ncpus * raw->value_stride;
	uint8_t *keys;
	size_t n;
	int err = collect_keys(m, &keys, &n);
	if (err < 0)
		return err;
	raw->values = malloc((n ? n : 1) * vbytes);
	if (!raw->values) {
		free(keys);
		return -ENOMEM;
	}
	raw->keys = keys;
	/* Compact in place: keys deleted since the walk are skipped. */
	for (size_t i = 0; i < n; i++) {
		uint8_t *dst_val = raw->values + raw->n * vbytes;
		if (bpf_map_lookup_elem(m->fd, keys + i * ks, dst_val) < 0) {
			if (errno == ENOENT)
				continue;
			err = -errno;
			map_raw_release(raw);
			return err;
		}
		if (raw->n != i)
			memmove(keys + raw->n * ks, keys + i * ks, ks);
		raw->n++;
	}
	return 0;
}

void map_raw_release(struct map_raw *raw)
{
	free(raw->keys);
	free(raw->values);
	memset(raw, 0, sizeof(*raw));
}

int map_clear(const struct prog_map *m)
{
	if (m->bpf_type == BPF_MAP_TYPE_ARRAY || m->bpf_type == BPF_MAP_TYPE_PERCPU_ARRAY)
		return map_zero(m); /* array slots cannot be deleted */
	uint8_t *keys;
	size_t n, ks = m->key_size ? m->key_size : 8;
	int err = collect_keys(m, &keys, &n);
	if (err < 0)
		return err;
	for (size_t i = 0; i < n && !err; i++)
		if (bpf_map_delete_elem(m->fd, keys + i * ks) < 0 && errno != ENOENT)
			err = -errno;
	free(keys);
	return err;
}

int map_zero(const struct prog_map *m)
{
	uint8_t *keys;
	size_t n, ks = m->key_size ? m->key_size : 8;
	int err = collect_keys(m, &keys, &n);
	if (err < 0)
		return err;
	void *zero = calloc(map_ncpus(m), map_value_stride(m) ? map_value_stride(m) : 8);
	if (!zero) {
		free(keys);
		return -ENOMEM;
	}
	for (size_t i = 0; i < n && !err; i++)
		if (bpf_map_update_elem(m->fd, keys + i * ks, zero, BPF_EXIST) < 0 && errno != ENOENT)
			err = -errno;
	free(zero);
	free(keys);
	return err;
}
