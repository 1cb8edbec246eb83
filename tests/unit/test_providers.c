/*
 * The real tracepoint and perf modules, loaded through the registry from
 * the build tree's plugins.d: listing and resolving against this kernel's
 * tracefs, and (as root) attaching a tiny hand-assembled program that
 * counts its runs and records its BPF cookie.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <limits.h>
#include <linux/bpf.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "host.h"
#include "runtime/registry.h"

struct fixture {
	struct registry *reg;
	struct arena arena;
	struct diags diags;
	struct probe_attach *pa;
	size_t n;
};

static char plugins_dir[PATH_MAX + 32];

static int group_setup(void **state)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	*strrchr(exe, '/') = '\0';
	snprintf(plugins_dir, sizeof(plugins_dir), "%s/../plugins.d", exe);
	setenv("STROBE_PLUGIN_PATH", plugins_dir, 1);
	return 0;
}

static int setup(void **state)
{
	char probe[PATH_MAX + 64];
	snprintf(probe, sizeof(probe), "%s/tracepoint.ini", plugins_dir);
	*state = NULL;
	if (access(probe, R_OK) || !core_tracefs())
		return 0; /* the tests skip */
	struct fixture *f = calloc(1, sizeof(*f));
	diags_init(&f->diags, NULL);
	assert_int_equal(registry_open(&f->reg, &core_host), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	if (!f)
		return 0;
	registry_close(f->reg);
	arena_release(&f->arena);
	diags_release(&f->diags);
	free(f);
	return 0;
}

/* The fixture, or skip when the modules are not built or there is no tracefs. */
static struct fixture *need(void **state)
{
	if (!*state) {
		print_message("build/plugins.d or tracefs missing: skipped\n");
		skip();
	}
	return *state;
}

static char *list(struct fixture *f, const char *pattern, bool verbose)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	assert_int_equal(registry_list(f->reg, pattern, verbose, fp), 0);
	fclose(fp);
	return buf;
}

static void expect_list(struct fixture *f, const char *pattern, bool verbose, const char *want)
{
	char *got = list(f, pattern, verbose);
	assert_string_equal(got, want);
	free(got);
}

static void test_list_tracepoints(void **state)
{
	struct fixture *f = need(state);
	expect_list(f, "tracepoint:sched:sched_switch", false, "tracepoint:sched:sched_switch\n");
	expect_list(f, "t:sched:sched_sw*", false,
		    "tracepoint:sched:sched_swap_numa\ntracepoint:sched:sched_switch\n");
	expect_list(f, "*sched_switch*", false, "tracepoint:sched:sched_switch\n");
	/* bpftrace -lv layout. */
	expect_list(f, "tracepoint:syscalls:sys_enter_openat", true,
		    "tracepoint:syscalls:sys_enter_openat\n"
		    "    int __syscall_nr\n"
		    "    int dfd\n"
		    "    const char * filename\n"
		    "    int flags\n"
		    "    umode_t mode\n");
	expect_list(f, "tracepoint:sched:sched_switch", true,
		    "tracepoint:sched:sched_switch\n"
		    "    char prev_comm[16]\n"
		    "    pid_t prev_pid\n"
		    "    int prev_prio\n"
		    "    long prev_state\n"
		    "    char next_comm[16]\n"
		    "    pid_t next_pid\n"
		    "    int next_prio\n");
	expect_list(f, "tracepoint:sched:sched_process_exec", true,
		    "tracepoint:sched:sched_process_exec\n"
		    "    __data_loc char[] filename\n"
		    "    pid_t pid\n"
		    "    pid_t old_pid\n");
	char *all = list(f, NULL, false);
	assert_non_null(strstr(all, "\ntracepoint:syscalls:sys_enter_openat\n"));
	assert_non_null(strstr(all, "software:cpu-clock:\n"));
	free(all);
}

static struct provider *get(struct fixture *f, const char *type, const char **canon)
{
	char err[512];
	struct provider *p = registry_provider(f->reg, type, canon, err, sizeof(err));
	if (!p)
		fail_msg("%s", err);
	return p;
}

static int resolve(struct fixture *f, const char *type, const char *target)
{
	const char *canon;
	struct provider *p = get(f, type, &canon);
	struct loc loc = { 1, 1, 1, 10 };
	return provider_resolve(p, canon, target, &f->arena, &f->pa, &f->n, &f->diags, &loc);
}

/* Resolving must fail with exactly this message. */
static void expect_error(struct fixture *f, const char *type, const char *target, const char *msg)
{
	unsigned before = f->diags.nerrors;
	assert_true(resolve(f, type, target) < 0);
	assert_int_equal(f->diags.nerrors, before + 1);
	struct diag *last = f->diags.head;
	while (last->next)
		last = last->next;
	assert_string_equal(last->msg, msg);
}

static void test_resolve_tracepoints(void **state)
{
	struct fixture *f = need(state);
	assert_int_equal(resolve(f, "t", "syscalls:sys_enter_openat"), 0);
	assert_int_equal(f->n, 1);
	assert_string_equal(f->pa[0].name, "tracepoint:syscalls:sys_enter_openat");
	assert_string_equal(f->pa[0].type, "tracepoint");
	assert_string_equal(f->pa[0].target, "syscalls:sys_enter_openat");
	assert_int_equal(f->pa[0].prog_type, BPF_PROG_TYPE_TRACEPOINT);
	assert_int_equal(f->pa[0].builtins, STROBE_BUILTIN_ARGS);
	assert_int_equal(f->pa[0].nargs, 5);
	assert_string_equal(f->pa[0].args[2].name, "filename");
	assert_int_equal(f->pa[0].args[2].kind, STROBE_ARG_PTR);
	assert_true(f->pa[0].args[2].user);

	assert_int_equal(resolve(f, "tracepoint", "sched:sched_wakeup*"), 0);
	assert_int_equal(f->n, 3);
	assert_string_equal(f->pa[1].name, "tracepoint:sched:sched_wakeup");
	assert_string_equal(f->pa[2].name, "tracepoint:sched:sched_wakeup_new");
	assert_false(f->pa[1].args[0].user);

	expect_error(f, "tracepoint", "nope:nope", "tracepoint not found: nope:nope");
	expect_error(f, "tracepoint", "nope*:*", "tracepoints not found: nope*:*");
	expect_error(f, "tracepoint", "sched", "tracepoint probe type requires 2 arguments");
	expect_error(f, "tracepoint", "*:*",
		     "Can not attach more than 512 probes; a more specific wildcard is needed");
}

static void test_resolve_perf(void **state)
{
	struct fixture *f = need(state);
	assert_int_equal(resolve(f, "interval", "s:1"), 0);
	assert_int_equal(resolve(f, "i", "hz:10"), 0);
	assert_int_equal(resolve(f, "profile", "hz:99"), 0);
	assert_int_equal(resolve(f, "software", "faults:10"), 0);
	assert_int_equal(f->n, 4);
	assert_string_equal(f->pa[0].name, "interval:s:1");
	assert_string_equal(f->pa[1].name, "interval:hz:10");
	assert_string_equal(f->pa[2].type, "profile");
	assert_int_equal(f->pa[2].prog_type, BPF_PROG_TYPE_PERF_EVENT);

	expect_error(f, "interval", "xx:5", "xx is not an accepted unit of time");
	expect_error(f, "interval", "s", "interval probe type requires 2 arguments");
	expect_error(f, "interval", "s:abc", "interval period should be a positive integer");
	expect_error(f, "interval", "s:0", "interval period should be a positive integer");
	expect_error(f, "profile", "hz:0", "profile frequency should be a positive integer");
	expect_error(f, "profile", "hz:-1", "profile frequency should be a positive integer");
	expect_error(f, "software", "nope:1", "nope is not a software probe");
	expect_error(f, "hardware", "cycles:x", "hardware count should be a positive integer");
}

/* ---- attaching, as root -------------------------------------------- */

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })

/* counts[0] += 1; counts[1] = bpf_get_attach_cookie(ctx); */
static int load_counter(enum bpf_prog_type type, int map_fd)
{
	struct bpf_insn insns[] = {
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, 6, 1, 0, 0),
		INSN(BPF_ST | BPF_MEM | BPF_W, 10, 0, -4, 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0),
		INSN(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -4),
		INSN(BPF_LD | BPF_DW | BPF_IMM, 1, BPF_PSEUDO_MAP_FD, 0, map_fd),
		INSN(0, 0, 0, 0, 0),
		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem),
		INSN(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 2, 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, 1, 0, 0, 1),
		INSN(BPF_STX | BPF_ATOMIC | BPF_DW, 0, 1, 0, BPF_ADD),
		INSN(BPF_ST | BPF_MEM | BPF_W, 10, 0, -4, 1),
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, 2, 10, 0, 0),
		INSN(BPF_ALU64 | BPF_ADD | BPF_K, 2, 0, 0, -4),
		INSN(BPF_LD | BPF_DW | BPF_IMM, 1, BPF_PSEUDO_MAP_FD, 0, map_fd),
		INSN(0, 0, 0, 0, 0),
		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem),
		INSN(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 4, 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, 7, 0, 0, 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_X, 1, 6, 0, 0),
		INSN(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_attach_cookie),
		INSN(BPF_STX | BPF_MEM | BPF_DW, 7, 0, 0, 0),
		INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 0),
		INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	static char log[65536];
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_buf = log, .log_size = sizeof(log), .log_level = 1);
	int fd = bpf_prog_load(type, "strobe_test", "GPL", insns, sizeof(insns) / sizeof(insns[0]),
			       &opts);
	if (fd < 0)
		fail_msg("program load failed: %s\n%s", strerror(errno), log);
	return fd;
}

static uint64_t counter(int map_fd, uint32_t slot)
{
	uint64_t v = 0;
	assert_int_equal(bpf_map_lookup_elem(map_fd, &slot, &v), 0);
	return v;
}

static void attach_and_count(struct fixture *f, const char *type, const char *target,
			     enum bpf_prog_type prog_type, void (*trigger)(void))
{
	if (geteuid() != 0) {
		print_message("not root: attach not tested\n");
		return;
	}
	int map_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 8, 2, NULL);
	assert_true(map_fd >= 0);
	int prog_fd = load_counter(prog_type, map_fd);
	const char *canon;
	struct provider *p = get(f, type, &canon);
	struct strobe_attach_req req = {
		.size = sizeof(req), .type = canon, .target = target, .prog_fd = prog_fd,
		.cookie = 0x1234, .pid = -1,
	};
	struct strobe_link *link = NULL;
	char err[512];
	if (provider_attach(p, &req, &link, err, sizeof(err)) < 0)
		fail_msg("attach %s:%s: %s", type, target, err);
	assert_int_equal(link->nr_attached, 1);
	trigger();
	provider_detach(p, link);
	/* A run already in flight on another CPU may finish after detach. */
	usleep(20000);
	uint64_t hits = counter(map_fd, 0);
	assert_true(hits > 0);
	assert_int_equal(counter(map_fd, 1), 0x1234);
	/* Detached: no more runs. */
	trigger();
	assert_int_equal(counter(map_fd, 0), hits);
	close(prog_fd);
	close(map_fd);
}

static void call_getppid(void)
{
	for (int i = 0; i < 5; i++)
		syscall(SYS_getppid);
}

static void spin_200ms(void)
{
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	do
		clock_gettime(CLOCK_MONOTONIC, &now);
	while ((now.tv_sec - start.tv_sec) * 1000000000L + (now.tv_nsec - start.tv_nsec) < 200000000L);
}

static void test_attach_tracepoint(void **state)
{
	attach_and_count(need(state), "tracepoint", "syscalls:sys_enter_getppid",
			 BPF_PROG_TYPE_TRACEPOINT, call_getppid);
}

static void test_attach_interval(void **state)
{
	attach_and_count(need(state), "interval", "ms:10", BPF_PROG_TYPE_PERF_EVENT, spin_200ms);
}

static void test_attach_profile(void **state)
{
	attach_and_count(need(state), "profile", "hz:99", BPF_PROG_TYPE_PERF_EVENT, spin_200ms);
}

static void test_attach_errors(void **state)
{
	struct fixture *f = need(state);
	const char *canon;
	struct provider *p = get(f, "tracepoint", &canon);
	struct strobe_attach_req req = {
		.size = sizeof(req), .type = canon, .target = "nope:nope", .prog_fd = -1, .pid = -1,
	};
	struct strobe_link *link = NULL;
	char err[512];
	assert_true(provider_attach(p, &req, &link, err, sizeof(err)) < 0);
	assert_null(link);
	assert_string_equal(err, "cannot read the id of tracepoint nope:nope: No such file or directory");
	if (geteuid() != 0)
		return;
	req.target = "syscalls:sys_enter_getppid";
	assert_true(provider_attach(p, &req, &link, err, sizeof(err)) < 0);
	assert_non_null(strstr(err, "cannot attach the program to tracepoint syscalls:sys_enter_getppid"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_list_tracepoints, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolve_tracepoints, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolve_perf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attach_tracepoint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attach_interval, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attach_profile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attach_errors, setup, teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
