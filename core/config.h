/*
 * The run's settings: bpftrace's config variables. Defaults, then the
 * script's `config = { key = value; ... }` block, then the environment
 * (BPFTRACE_<KEY> and the older names), which overrides the block.
 */
#ifndef STROBE_CONFIG_H
#define STROBE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "diag.h"
#include "runtime/runtime.h"

struct node;

struct config {
	uint32_t max_strlen;    /* string capacity */
	uint32_t max_map_keys;  /* entries of a map */
	uint32_t max_probes;    /* attach points of a run */
	uint32_t max_cat_bytes; /* bytes cat() prints */
	uint32_t perf_rb_pages; /* ring buffer pages per CPU; 0: the default size */
	enum missing_probes missing_probes;
	int unstable_addr; /* an enum unstable_use (core/lang/compile.h): &$x, &@m[k] */
	bool print_maps_on_exit;
	const char *stack_mode; /* default mode of kstack/ustack: "bpftrace", "perf", "raw" */
	const char *str_trunc_trailer; /* after strings str() truncated; "" for none */
	/* for the Prometheus sink (docs/outputs.md); NULL when unset */
	const char *metric_prefix; /* a metric name prefix: [a-zA-Z_:][a-zA-Z0-9_:]* */
	const char *metric_labels; /* label names for map keys, "comm,pid" */
};

/*
 * Fill c from the defaults, the config block (an N_CONFIG node or NULL;
 * its errors are located in d) and the environment (errors logged).
 * -EINVAL after any error.
 */
int config_load(struct config *c, const struct node *block, struct diags *d);
/* The value of a string setting (metric_prefix, metric_labels), or NULL if unset or not a string. */
const char *config_string(const struct config *c, const char *key);

#endif
