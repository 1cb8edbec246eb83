/*
 * The folded, flamegraph and prometheus sinks through their ABI tables: the
 * built modules ($BUILD/lib/strobe/flame.so, prometheus.so) are dlopen'd as
 * the registry would, and fed hand-made map views. Folded: root-first frames
 * without offsets, merged, ';' in names, tuple keys. Flamegraph: widths and
 * escaping. Prometheus: driven with a fake live table (the test plays the
 * event loop): label escaping (quotes, newlines, bytes that are not UTF-8),
 * cumulative buckets, unmappable maps warned once, 404.
 */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <strobe/output.h>

static char logged[4096];
static int nlogged;
static void fake_log(enum strobe_log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t n = strlen(logged);
	vsnprintf(logged + n, sizeof(logged) - n, fmt, ap);
	va_end(ap);
	n = strlen(logged);
	snprintf(logged + n, sizeof(logged) - n, "\n");
	nlogged++;
}
static const struct strobe_host host = { .size = sizeof(host), .log = fake_log };

static const struct strobe_output_ops *load(const char *lib, const char *sym)
{
	const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
	char path[512];
	snprintf(path, sizeof(path), "%s/lib/strobe/%s", build, lib);
	void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
		return NULL;
	}
	strobe_output_entry_fn entry;
	*(void **)&entry = dlsym(h, sym);
	return entry ? entry() : NULL;
}

#define SYM(n, a) { .kind = STROBE_V_SYM, .sym = { .addr = (a), .name = (n), .module = "/bin/x" } }
#define STACK(f) { .kind = STROBE_V_STACK, .list = { .items = (f), .n = sizeof(f) / sizeof((f)[0]) } }
#define UINT(x) { .kind = STROBE_V_UINT, .u = (x) }
#define STR(s) { .kind = STROBE_V_STR, .str = { (s), sizeof(s) - 1 } }

/* leaf first, as the core hands stacks over */
static const struct strobe_value hot1[] = { SYM("hot_fn+3", 1), SYM("main+10", 2) };
static const struct strobe_value hot2[] = { SYM("hot_fn+9", 3), SYM("main+10", 2) };
static const struct strobe_value odd[] = { SYM("a;b<T>", 4), SYM(NULL, 0xabc) };

static char *run_sink(const struct strobe_output_ops *ops, const struct strobe_map_view *views, size_t n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	void *sink = NULL;
	assert_int_equal(ops->open(&host, fp, NULL, &sink), 0);
	for (size_t i = 0; i < n; i++)
		ops->map(sink, &views[i]);
	ops->close(sink);
	fclose(fp);
	return buf;
}

static void test_folded(void **state)
{
	const struct strobe_output_ops *ops = load("flame.so", "strobe_output_entry");
	assert_non_null(ops);
	struct strobe_value k1[] = { STACK(hot1), STR("burn") }, k2[] = { STACK(hot2), STR("burn") };
	struct strobe_value k3[] = { STACK(odd), STR("burn") };
	struct strobe_map_entry e[] = {
		{ .key = { .kind = STROBE_V_TUPLE, .list = { k1, 2 } }, .value = UINT(5) },
		{ .key = { .kind = STROBE_V_TUPLE, .list = { k2, 2 } }, .value = UINT(7) },
		{ .key = { .kind = STROBE_V_TUPLE, .list = { k3, 2 } }, .value = UINT(1) },
	};
	struct strobe_map_entry plain[] = { { .key = STR("x"), .value = UINT(1) } };
	struct strobe_map_view v[] = {
		{ .name = "@", .kind = STROBE_MAP_COUNT, .keyed = true, .entries = e, .n = 3 },
		{ .name = "@n", .kind = STROBE_MAP_COUNT, .keyed = true, .entries = plain, .n = 1 },
		{ .name = "@n", .kind = STROBE_MAP_COUNT, .keyed = true, .entries = plain, .n = 1 },
	};
	logged[0] = '\0';
	nlogged = 0;
	char *out = run_sink(ops, v, 3);
	assert_string_equal(out, "burn;0xabc;a:b<T> 1\nburn;main;hot_fn 12\n");
	assert_string_equal(logged, "folded: @n is not printed: its key has no kstack or ustack\n");
	free(out);
}

static void test_flamegraph(void **state)
{
	const struct strobe_output_ops *ops = load("flame.so", "strobe_flamegraph_entry");
	assert_non_null(ops);
	assert_string_equal(ops->name, "flamegraph");
	struct strobe_map_entry e[] = {
		{ .key = STACK(hot1), .value = UINT(3) },
		{ .key = STACK(odd), .value = UINT(1) },
	};
	struct strobe_map_view v = { .name = "@", .kind = STROBE_MAP_COUNT, .keyed = true, .entries = e, .n = 2 };
	char *out = run_sink(ops, &v, 1);
	/* 1180 px for 4 samples: all 1180, main 885, hot_fn 885, 0xabc 295 */
	assert_non_null(strstr(out, "<title>all (4 samples, 100.00%)</title><rect x=\"10.00\" y=\"80\" width=\"1180.00\""));
	assert_non_null(strstr(out, "<title>main (3 samples, 75.00%)</title><rect x=\"305.00\" y=\"64\" width=\"885.00\""));
	assert_non_null(strstr(out, "<title>hot_fn (3 samples, 75.00%)</title><rect x=\"305.00\" y=\"48\""));
	assert_non_null(strstr(out, "<title>a:b&lt;T&gt; (1 samples, 25.00%)</title>"));
	assert_non_null(strstr(out, "</script>\n</svg>\n"));
	free(out);
}

/* ---- prometheus, with the test as the event loop ---- */

static const struct strobe_map_view *prom_views;
static size_t prom_nviews;
static int watched[8];
static uint32_t watched_ev[8];

static int fake_snapshot(void *ctx, void (*fn)(void *arg, const struct strobe_map_view *map), void *arg)
{
	for (size_t i = 0; i < prom_nviews; i++)
		fn(arg, &prom_views[i]);
	return 0;
}

static int fake_watch(void *ctx, int fd, uint32_t events)
{
	int slot = -1;
	for (int i = 0; i < 8; i++) {
		if (watched[i] == fd) {
			watched[i] = events ? fd : -1;
			watched_ev[i] = events;
			return 0;
		}
		if (watched[i] < 0 && slot < 0)
			slot = i;
	}
	if (!events)
		return 0;
	if (slot < 0)
		return -ENOSPC;
	watched[slot] = fd;
	watched_ev[slot] = events;
	return 0;
}

static const char *fake_config(void *ctx, const char *key)
{
	return NULL;
}

static const struct strobe_output_live fake_live = {
	.size = sizeof(fake_live), .snapshot = fake_snapshot, .watch = fake_watch, .config = fake_config,
};

/* One request through the sink; returns the answer (malloc'd). */
static char *scrape(const struct strobe_output_ops *ops, void *sink, int port, const char *path)
{
	int c = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(c, (struct sockaddr *)&a, sizeof(a)), 0);
	char req[128];
	int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", path);
	assert_int_equal(write(c, req, (size_t)n), n);
	/* the loop: every watched fd is offered what it waits for, a few rounds */
	for (int round = 0; round < 10; round++)
		for (int i = 0; i < 8; i++)
			if (watched[i] >= 0)
				ops->ready(sink, watched[i], watched_ev[i]);
	char *out = calloc(1, 1 << 16);
	size_t len = 0;
	ssize_t r;
	while ((r = read(c, out + len, (1 << 16) - 1 - len)) > 0)
		len += (size_t)r;
	close(c);
	return out;
}

static void test_prometheus(void **state)
{
	const struct strobe_output_ops *ops = load("prometheus.so", "strobe_output_entry");
	assert_non_null(ops);
	for (int i = 0; i < 8; i++)
		watched[i] = -1;
	srand((unsigned)time(NULL) ^ (unsigned)getpid());
	int port = 0;
	void *sink = NULL;
	char opts[32];
	for (int tries = 0; tries < 20 && !sink; tries++) {
		port = 20000 + rand() % 12000;
		snprintf(opts, sizeof(opts), "127.0.0.1:%d", port);
		if (ops->open(&host, stdout, opts, &sink) != 0)
			sink = NULL;
	}
	assert_non_null(sink);
	ops->live(sink, &fake_live);

	static const struct strobe_value parts[] = { STR("a\"b\\c\nd"), { .kind = STROBE_V_STR, .str = { "x\xff", 2 } } };
	static const struct strobe_bucket b[] = { { .lo = 0, .hi = 1, .count = 2 }, { .lo = 2, .hi = 4, .count = 3 },
						  { .lo = 4, .overflow = true, .count = 1 } };
	struct strobe_map_entry counts[] = { { .key = { .kind = STROBE_V_TUPLE, .list = { parts, 2 } }, .value = UINT(9) } };
	struct strobe_map_entry hist[] = { { .key = { .kind = STROBE_V_NONE },
					     .value = { .kind = STROBE_V_HIST, .hist = { .buckets = b, .n = 3 } } } };
	struct strobe_value stack[] = { STACK(hot1) };
	struct strobe_map_entry stacks[] = { { .key = stack[0], .value = UINT(1) } };
	struct strobe_map_view v[] = {
		{ .name = "@c", .kind = STROBE_MAP_COUNT, .keyed = true, .entries = counts, .n = 1 },
		{ .name = "@h", .kind = STROBE_MAP_HIST, .entries = hist, .n = 1 },
		{ .name = "@s", .kind = STROBE_MAP_COUNT, .keyed = true, .entries = stacks, .n = 1 },
	};
	prom_views = v;
	prom_nviews = 3;
	logged[0] = '\0';
	nlogged = 0;
	char *out = scrape(ops, sink, port, "/metrics");
	char *body = strstr(out, "\r\n\r\n");
	assert_non_null(body);
	assert_string_equal(body + 4,
			    "# HELP strobe_c_total count() of the map @c\n"
			    "# TYPE strobe_c_total counter\n"
			    "strobe_c_total{key0=\"a\\\"b\\\\c\\nd\",key1=\"x\xef\xbf\xbd\"} 9\n"
			    "# HELP strobe_h hist() of the map @h\n"
			    "# TYPE strobe_h histogram\n"
			    "strobe_h_bucket{le=\"0\"} 2\n"
			    "strobe_h_bucket{le=\"3\"} 5\n"
			    "strobe_h_bucket{le=\"+Inf\"} 6\n"
			    "strobe_h_sum 11.5\n"
			    "strobe_h_count 6\n");
	free(out);
	out = scrape(ops, sink, port, "/metrics");
	free(out);
	/* one warning for @s over two scrapes */
	assert_int_equal(nlogged, 1);
	assert_non_null(strstr(logged, "prometheus: @s is not exported"));
	out = scrape(ops, sink, port, "/nope");
	assert_non_null(strstr(out, "HTTP/1.1 404 Not Found\r\n"));
	free(out);
	ops->exiting(sink);
	ops->close(sink);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_folded),
		cmocka_unit_test(test_flamegraph),
		cmocka_unit_test(test_prometheus),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
