/*
 * perf-event providers, one module for four probe types:
 *
 *	interval:UNIT:N   a timer on one CPU (UNIT: s, ms, us, hz)
 *	profile:UNIT:N    sampling on every online CPU
 *	interval:1s, profile:100ms, interval:1000   one-part forms: a duration (ns/us/ms/s/m/h/d, ns if none)
 *	software:EVENT[:COUNT], hardware:EVENT[:COUNT]   perf events on every online CPU
 *
 * Each is a perf event with a BPF_PROG_TYPE_PERF_EVENT program linked to it.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <strobe/perf_link.h>
#include <strobe/provider.h>

#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))

struct perf_state {
	const struct strobe_host *host;
};

struct perf_link {
	struct strobe_link base;
	size_t n;
	struct strobe_perf_fd ev[];
};

/* What an attach point asks for, parsed from its target text. */
struct perf_spec {
	uint32_t type;   /* PERF_TYPE_SOFTWARE / _HARDWARE */
	uint64_t config; /* PERF_COUNT_* */
	uint64_t period; /* or frequency, when freq */
	bool freq;
	bool all_cpus;
	bool per_pid; /* honour -p */
};

struct perf_event_name {
	const char *name, *alias;
	uint64_t config;
	uint64_t default_period; /* bpftrace's defaults */
};

/* bpftrace's names, aliases and default periods, in its (alphabetical) -l order. */
static const struct perf_event_name sw_events[] = {
	{ "alignment-faults", NULL, PERF_COUNT_SW_ALIGNMENT_FAULTS, 1 },
	{ "bpf-output", NULL, PERF_COUNT_SW_BPF_OUTPUT, 1 },
	{ "context-switches", "cs", PERF_COUNT_SW_CONTEXT_SWITCHES, 1000 },
	{ "cpu-clock", "cpu", PERF_COUNT_SW_CPU_CLOCK, 1000000 },
	{ "cpu-migrations", NULL, PERF_COUNT_SW_CPU_MIGRATIONS, 1 },
	{ "dummy", NULL, PERF_COUNT_SW_DUMMY, 1 },
	{ "emulation-faults", NULL, PERF_COUNT_SW_EMULATION_FAULTS, 1 },
	{ "major-faults", NULL, PERF_COUNT_SW_PAGE_FAULTS_MAJ, 1 },
	{ "minor-faults", NULL, PERF_COUNT_SW_PAGE_FAULTS_MIN, 100 },
	{ "page-faults", "faults", PERF_COUNT_SW_PAGE_FAULTS, 100 },
	{ "task-clock", NULL, PERF_COUNT_SW_TASK_CLOCK, 1 },
	{ NULL, NULL, 0, 0 },
};

static const struct perf_event_name hw_events[] = {
	{ "backend-stalls", NULL, PERF_COUNT_HW_STALLED_CYCLES_BACKEND, 1000000 },
	{ "branch-instructions", "branches", PERF_COUNT_HW_BRANCH_INSTRUCTIONS, 100000 },
	{ "branch-misses", NULL, PERF_COUNT_HW_BRANCH_MISSES, 100000 },
	{ "bus-cycles", NULL, PERF_COUNT_HW_BUS_CYCLES, 100000 },
	{ "cache-misses", NULL, PERF_COUNT_HW_CACHE_MISSES, 1000000 },
	{ "cache-references", NULL, PERF_COUNT_HW_CACHE_REFERENCES, 1000000 },
	{ "cpu-cycles", "cycles", PERF_COUNT_HW_CPU_CYCLES, 1000000 },
	{ "frontend-stalls", NULL, PERF_COUNT_HW_STALLED_CYCLES_FRONTEND, 1000000 },
	{ "instructions", NULL, PERF_COUNT_HW_INSTRUCTIONS, 1000000 },
	{ "ref-cycles", NULL, PERF_COUNT_HW_REF_CPU_CYCLES, 1000000 },
	{ NULL, NULL, 0, 0 },
};

static int perf_init(const struct strobe_host *host, void **out)
{
	struct perf_state *st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->host = host;
	*out = st;
	return 0;
}

static void perf_fini(void *st)
{
	free(st);
}

/* interval:UNIT:N and profile:UNIT:N; hz counts per second */
static const struct {
	const char *unit;
	uint64_t ns;
} units[] = { { "s", 1000000000ull }, { "ms", 1000000 }, { "us", 1000 }, { "hz", 0 } };

static bool is_timer_type(const char *type)
{
	return !strcmp(type, "interval") || !strcmp(type, "profile");
}

static const struct perf_event_name *event_table(const char *type)
{
	return !strcmp(type, "software") ? sw_events : !strcmp(type, "hardware") ? hw_events : NULL;
}

/* A whole-string positive decimal integer. */
static bool parse_positive(const char *s, uint64_t *out)
{
	if (!*s || *s == '-' || *s == '+')
		return false;
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v == 0)
		return false;
	*out = v;
	return true;
}

/* "1s", "100ms", "5000" (ns): a positive period in nanoseconds; false if s is not one. */
static bool parse_duration(const char *s, uint64_t *ns, char *msg, size_t len, const char *type)
{
	static const struct {
		const char *unit;
		uint64_t ns;
	} durations[] = { { "", 1 }, { "ns", 1 }, { "us", 1000 }, { "ms", 1000000 }, { "s", 1000000000ull },
			  { "m", 60000000000ull }, { "h", 3600000000000ull }, { "d", 86400000000000ull } };
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (end == s || *s == '-' || *s == '+') {
		snprintf(msg, len, "%s probe type requires 2 arguments", type);
		return false;
	}
	for (size_t i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
		if (strcmp(end, durations[i].unit))
			continue;
		if (errno || v == 0 || v > UINT64_MAX / durations[i].ns) {
			snprintf(msg, len, "%s period %s should be a positive integer of at most 64 bits", type, s);
			return false;
		}
		*ns = v * durations[i].ns;
		return true;
	}
	snprintf(msg, len, "%s is not an accepted unit of time", end);
	return false;
}

/* Parse target into *spec; false with a message in msg if it is not valid. */
static bool perf_parse(const char *type, const char *target, struct perf_spec *spec, char *msg,
		       size_t len)
{
	memset(spec, 0, sizeof(*spec));
	const char *colon = strchr(target, ':');
	if (is_timer_type(type)) {
		spec->type = PERF_TYPE_SOFTWARE;
		spec->config = PERF_COUNT_SW_CPU_CLOCK;
		spec->all_cpus = !strcmp(type, "profile");
		spec->per_pid = spec->all_cpus;
		if (!colon)
			return parse_duration(target, &spec->period, msg, len, type);
		if (strchr(colon + 1, ':')) {
			snprintf(msg, len, "%s probe type requires 2 arguments", type);
			return false;
		}
		char unit[16];
		size_t ulen = (size_t)(colon - target);
		snprintf(unit, sizeof(unit), "%.*s", (int)(ulen < sizeof(unit) ? ulen : sizeof(unit) - 1),
			 target);
		size_t i;
		for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
			if (!strcmp(unit, units[i].unit))
				break;
		if (i == sizeof(units) / sizeof(units[0]) || ulen >= sizeof(unit)) {
			snprintf(msg, len, "%.*s is not an accepted unit of time", (int)ulen, target);
			return false;
		}
		uint64_t n;
		bool hz = units[i].ns == 0;
		if (!parse_positive(colon + 1, &n)) {
			snprintf(msg, len, "%s %s should be a positive integer", type,
				 hz ? "frequency" : "period");
			return false;
		}
		if (hz && spec->all_cpus) {
			spec->freq = true;
			spec->period = n;
		} else if (hz) {
			/* interval:hz:N ticks every 1e9/N ns on one CPU. */
			if (n > 1000000000ull) {
				snprintf(msg, len, "%s frequency should be at most 1000000000", type);
				return false;
			}
			spec->period = 1000000000ull / n;
		} else {
			if (n > UINT64_MAX / units[i].ns) {
				snprintf(msg, len, "%s period %s is too large", type, colon + 1);
				return false;
			}
			spec->period = n * units[i].ns;
		}
		return true;
	}

	const struct perf_event_name *table = event_table(type);
	char event[64];
	size_t elen = colon ? (size_t)(colon - target) : strlen(target);
	if (!table || elen == 0 || elen >= sizeof(event) || (colon && strchr(colon + 1, ':'))) {
		snprintf(msg, len, "%s probe type requires 1 or 2 arguments", type);
		return false;
	}
	memcpy(event, target, elen);
	event[elen] = '\0';
	const struct perf_event_name *e;
	for (e = table; e->name; e++)
		if (!strcmp(event, e->name) || (e->alias && !strcmp(event, e->alias)))
			break;
	if (!e->name) {
		snprintf(msg, len, "%s is not a %s probe", event, type);
		return false;
	}
	spec->type = table == sw_events ? PERF_TYPE_SOFTWARE : PERF_TYPE_HARDWARE;
	spec->config = e->config;
	spec->period = e->default_period;
	spec->all_cpus = true;
	spec->per_pid = true;
	if (colon && !parse_positive(colon + 1, &spec->period)) {
		snprintf(msg, len, "%s count should be a positive integer", type);
		return false;
	}
	return true;
}

static int perf_list(void *st, const char *type, const char *glob, bool verbose, strobe_list_fn fn,
		     void *ctx)
{
	const struct perf_event_name *table = event_table(type);
	size_t n = 0;
	if (table)
		while (table[n].name)
			n++;
	else if (is_timer_type(type)) /* interval and profile: one entry per unit */
		n = sizeof(units) / sizeof(units[0]);
	for (size_t i = 0; i < n; i++) {
		const char *what = table ? table[i].name : units[i].unit;
		char name[128];
		snprintf(name, sizeof(name), "%s:%s:", type, what);
		if (glob && fnmatch(glob, name + strlen(type) + 1, 0) && fnmatch(glob, what, 0))
			continue;
		struct strobe_listing l = { .name = name };
		if (fn(ctx, &l))
			return 0;
	}
	return 0;
}

static int perf_resolve(void *st, const char *type, const char *target, struct strobe_resolver *r)
{
	struct perf_spec spec;
	char msg[256];
	if (!perf_parse(type, target, &spec, msg, sizeof(msg))) {
		r->error(r, "%s", msg);
		return -EINVAL;
	}
	char name[512];
	snprintf(name, sizeof(name), "%s:%s", type, target);
	struct strobe_attachment *a = r->add(r, name, target, BPF_PROG_TYPE_PERF_EVENT, 0);
	if (!a)
		return -ENOMEM;
	/* the counted events of one context are handled newest first; timers fire in the order started */
	if (!is_timer_type(type))
		strobe_newest_first(r, a);
	return 0;
}

static void perf_close_link(struct perf_link *l)
{
	for (size_t i = 0; i < l->n; i++)
		strobe_perf_detach(&l->ev[i]);
	free(l);
}

/* Open one event on cpu and link prog_fd to it. */
static int perf_attach_cpu(const struct perf_spec *spec, const struct strobe_attach_req *req,
			   int cpu, struct strobe_perf_fd *ev, const char **step)
{
	struct perf_event_attr attr = {
		.type = spec->type,
		.size = sizeof(attr),
		.config = spec->config,
		.freq = spec->freq,
	};
	if (spec->freq)
		attr.sample_freq = spec->period;
	else
		attr.sample_period = spec->period;
	int pid = spec->per_pid && req->pid > 0 ? req->pid : -1;
	return strobe_perf_attach(&attr, pid, cpu, req->prog_fd, req->cookie, ev, step);
}

static int perf_attach(void *stp, const struct strobe_attach_req *req, struct strobe_link **out,
		       char *errbuf, size_t errlen)
{
	struct perf_state *st = stp;
	struct perf_spec spec;
	char msg[256];
	if (!perf_parse(req->type, req->target, &spec, msg, sizeof(msg))) {
		snprintf(errbuf, errlen, "%s", msg);
		return -EINVAL;
	}
	long ncpus = sysconf(_SC_NPROCESSORS_CONF);
	if (ncpus < 1)
		ncpus = 1;
	int *cpus = calloc((size_t)ncpus, sizeof(*cpus));
	if (!cpus)
		return -ENOMEM;
	int n = st->host->online_cpus ? st->host->online_cpus(cpus, (int)ncpus) : 0;
	if (n <= 0) {
		cpus[0] = 0;
		n = 1;
	}
	if (!spec.all_cpus)
		n = 1; /* interval: the first online CPU */
	struct perf_link *l = calloc(1, sizeof(*l) + (size_t)n * sizeof(l->ev[0]));
	if (!l) {
		free(cpus);
		return -ENOMEM;
	}
	int err = 0;
	for (int i = 0; i < n; i++) {
		const char *step = "perf_event_open";
		err = perf_attach_cpu(&spec, req, cpus[i], &l->ev[l->n], &step);
		if (err) {
			if (spec.type == PERF_TYPE_HARDWARE && !strcmp(step, "perf_event_open") &&
			    (err == -ENOENT || err == -EOPNOTSUPP || err == -ENODEV))
				snprintf(errbuf, errlen,
					 "this machine has no hardware performance counters (PMU): "
					 "perf_event_open on CPU %d failed: %s; use software:cpu-clock "
					 "or profile instead",
					 cpus[i], strerror(-err));
			else if (!strcmp(step, "perf_event_open"))
				snprintf(errbuf, errlen, "perf_event_open for %s:%s on CPU %d failed: %s",
					 req->type, req->target, cpus[i], strerror(-err));
			else
				snprintf(errbuf, errlen,
					 "cannot attach the program to %s:%s on CPU %d: %s", req->type,
					 req->target, cpus[i], strerror(-err));
			break;
		}
		l->n++;
	}
	free(cpus);
	if (err) {
		perf_close_link(l);
		return err;
	}
	/* One probe, however many CPUs it samples on ("Attaching 1 probe..."). */
	l->base.nr_attached = 1;
	*out = &l->base;
	return 0;
}

static void perf_detach(void *st, struct strobe_link *link)
{
	perf_close_link(container_of(link, struct perf_link, base));
}

static const struct strobe_provider_ops perf_ops = {
	.abi = STROBE_PROVIDER_ABI,
	.size = sizeof(struct strobe_provider_ops),
	.name = "perf",
	.init = perf_init,
	.fini = perf_fini,
	.list = perf_list,
	.resolve = perf_resolve,
	.attach = perf_attach,
	.detach = perf_detach,
	.arg_size = sizeof(struct strobe_arg),
};

STROBE_EXPORT const struct strobe_provider_ops *strobe_provider_entry(void);
STROBE_EXPORT const struct strobe_provider_ops *strobe_provider_entry(void)
{
	return &perf_ops;
}
