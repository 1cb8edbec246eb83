/*
 * Failure counters (program.h COUNTER_*): lost ring-buffer events and failed
 * map updates, reported here; the ring buffer's size (BPFTRACE_PERF_RB_PAGES).
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../host.h"
#include "runtime_internal.h"

int counters_create(struct program *p, char *err, size_t errlen)
{
	p->counters_fd = -1;
	int fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, "counters", 4, 8, COUNTER_SLOTS(p), NULL);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errlen, "failed to create the failure counters: %s", strerror(e));
		return -e;
	}
	p->counters_fd = fd;
	/* bpftrace 0.17 sizes a perf buffer of N pages per CPU; one ring buffer holds them all */
	if (p->perf_rb_pages && !p->ringbuf_size) {
		long page = sysconf(_SC_PAGESIZE);
		int ncpus = libbpf_num_possible_cpus();
		uint64_t size = (uint64_t)p->perf_rb_pages * (uint64_t)(page > 0 ? page : 4096) *
				(uint64_t)(ncpus > 0 ? ncpus : 1);
		p->ringbuf_size = size > (1u << 30) ? 1u << 30 : (uint32_t)size;
	}
	return 0;
}

void counters_release(struct program *p)
{
	if (p->counters_fd > 0)
		close(p->counters_fd);
	p->counters_fd = -1;
}

/* The sum over CPUs of slot `slot`. */
static uint64_t counter_read(const struct program *p, uint32_t slot)
{
	if (p->counters_fd <= 0)
		return 0;
	int ncpus = libbpf_num_possible_cpus();
	if (ncpus <= 0)
		return 0;
	uint64_t *v = calloc((size_t)ncpus, 8), total = 0;
	if (v && bpf_map_lookup_elem(p->counters_fd, &slot, v) == 0)
		for (int i = 0; i < ncpus; i++)
			total += v[i];
	free(v);
	return total;
}

void counters_report_lost(struct run_state *st)
{
	uint64_t lost = counter_read(st->p, COUNTER_LOST);
	if (lost > st->lost_reported) {
		if (st->out->ops->lost)
			st->out->ops->lost(st->out->sink, lost - st->lost_reported);
		st->lost_reported = lost;
	}
}

void counters_report_full(const struct program *p)
{
	for (size_t i = 0; i < p->nmaps; i++) {
		uint64_t n = counter_read(p, COUNTER_MAP(i));
		if (!n || !core_warnings())
			continue;
		fprintf(stderr,
			"WARNING: Map full; can't update element of %s (%" PRIu64 " update%s failed, max_map_keys is %u). "
			"Try increasing BPFTRACE_MAP_KEYS_MAX\n",
			p->maps[i].name, n, n == 1 ? "" : "s", p->maps[i].max_entries);
	}
}
