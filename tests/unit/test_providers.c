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
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "host.h"
#include "registry.h"

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
	assert_int_equal(registry_list(f->reg, pattern, verbose, fp, NULL), 0);
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
	/* An untyped glob searches every probe type, as in bpftrace: kprobe and
	 * kfunc functions named like it follow the tracepoints. */
	char *sw = list(f, "*sched_switch*", false);
	assert_non_null(strstr(sw, "tracepoint:sched:sched_switch\nrawtracepoint:sched_switch\n"));
	for (char *line = sw; *line;) {
		char *nl = strchr(line, '\n');
		assert_non_null(nl);
		*nl = '\0';
		assert_non_null(strstr(line, "sched_switch"));
		line = nl + 1;
	}
	free(sw);
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
}

static const char limit_msg[] =
	"Can't attach to %u probes because it exceeds the current limit of %u probes.\n"
	"HINT: You can increase the limit through the BPFTRACE_MAX_PROBES environment variable, "
	"but BE CAREFUL since a high number of probes attached can cause your system to crash.";

/* The error of resolving type:target, which must fail. */
static const char *last_error(struct fixture *f, const char *type, const char *target)
{
	unsigned before = f->diags.nerrors;
	assert_true(resolve(f, type, target) < 0);
	assert_int_equal(f->diags.nerrors, before + 1);
	struct diag *last = f->diags.head;
	while (last->next)
		last = last->next;
	return last->msg;
}

static void test_probe_limit(void **state)
{
	struct fixture *f = need(state);
	unsetenv("BPFTRACE_MAX_PROBES");
	/* t:*:* names how many it matched and how to raise the limit. */
	const char *msg = last_error(f, "t", "*:*");
	unsigned count = 0, limit = 0;
	char want[512];
	assert_int_equal(sscanf(msg, "Can't attach to %u probes because it exceeds the current limit of %u",
				&count, &limit), 2);
	assert_true(count > 1024);
	assert_int_equal(limit, 1024);
	snprintf(want, sizeof(want), limit_msg, count, 1024u);
	assert_string_equal(msg, want);
	assert_int_equal(f->n, 0);

	setenv("BPFTRACE_MAX_PROBES", "2", 1);
	assert_int_equal(resolve(f, "tracepoint", "sched:sched_wakeup*"), 0);
	assert_int_equal(f->n, 2);
	/* A single probe is never limited; raw tracepoints share the limit. */
	setenv("BPFTRACE_MAX_PROBES", "1", 1);
	snprintf(want, sizeof(want), limit_msg, 2u, 1u);
	assert_string_equal(last_error(f, "tracepoint", "sched:sched_wakeup*"), want);
	assert_int_equal(resolve(f, "tracepoint", "sched:sched_switch"), 0);
	assert_int_equal(resolve(f, "rawtracepoint", "sched_switc*"), 0);
	snprintf(want, sizeof(want), limit_msg, 2u, 1u);
	assert_string_equal(last_error(f, "rt", "sched_wakeup*"), want);
	/* Not a positive number: the default. */
	setenv("BPFTRACE_MAX_PROBES", "lots", 1);
	assert_int_equal(resolve(f, "tracepoint", "sched:sched_wakeup*"), 0);
	unsetenv("BPFTRACE_MAX_PROBES");
}

static bool have_btf(void)
{
	return access("/sys/kernel/btf/vmlinux", R_OK) == 0;
}

/* sched_switch gained its prev_state argument in Linux 5.18 */
static bool sched_switch_has_prev_state(void)
{
	struct utsname u;
	int maj = 0, min = 0;
	return uname(&u) == 0 && sscanf(u.release, "%d.%d", &maj, &min) == 2 && (maj > 5 || (maj == 5 && min >= 18));
}

static void test_list_rawtracepoints(void **state)
{
	struct fixture *f = need(state);
	if (!have_btf())
		skip();
	expect_list(f, "rawtracepoint:sched_switch", false, "rawtracepoint:sched_switch\n");
	/* sched_swap_numa exists with CONFIG_NUMA_BALANCING only */
	expect_list(f, "rt:sched_sw*", false,
		    access("/sys/kernel/tracing/events/sched/sched_swap_numa", F_OK) == 0
			    ? "rawtracepoint:sched_swap_numa\nrawtracepoint:sched_switch\n"
			    : "rawtracepoint:sched_switch\n");
	expect_list(f, "rawtracepoint:sched_switch", true,
		    sched_switch_has_prev_state() ? "rawtracepoint:sched_switch\n"
						    "    bool preempt\n"
						    "    struct task_struct * prev\n"
						    "    struct task_struct * next\n"
						    "    unsigned int prev_state\n"
						  : "rawtracepoint:sched_switch\n"
						    "    bool preempt\n"
						    "    struct task_struct * prev\n"
						    "    struct task_struct * next\n");
	expect_list(f, "rawtracepoint:sys_enter", true,
		    "rawtracepoint:sys_enter\n"
		    "    struct pt_regs * regs\n"
		    "    long int id\n");
	expect_list(f, "rawtracepoint:nope*", false, "");
	/* Every raw tracepoint is in the full list, after the tracepoints. */
	char *all = list(f, NULL, false);
	assert_non_null(strstr(all, "\nrawtracepoint:sched_switch\n"));
	assert_non_null(strstr(all, "\nrawtracepoint:sys_enter\n"));
	free(all);
}

static void test_resolve_rawtracepoints(void **state)
{
	struct fixture *f = need(state);
	if (!have_btf())
		skip();
	assert_int_equal(resolve(f, "rt", "sched_switch"), 0);
	assert_int_equal(f->n, 1);
	struct probe_attach *a = &f->pa[0];
	assert_string_equal(a->name, "rawtracepoint:sched_switch");
	assert_string_equal(a->type, "rawtracepoint");
	assert_string_equal(a->target, "sched_switch");
	assert_int_equal(a->prog_type, BPF_PROG_TYPE_RAW_TRACEPOINT);
	assert_int_equal(a->builtins, STROBE_BUILTIN_ARGS | STROBE_BUILTIN_ARGN);
	assert_int_equal(a->nargs, sched_switch_has_prev_state() ? 4 : 3);
	assert_string_equal(a->args[0].name, "preempt");
	assert_int_equal(a->args[0].kind, STROBE_ARG_INT);
	assert_int_equal(a->args[0].size, 1);
	assert_false(a->args[0].is_signed);
	assert_string_equal(a->args[1].name, "prev");
	assert_int_equal(a->args[1].loc, STROBE_LOC_CTX);
	assert_int_equal(a->args[1].offset, 8);
	assert_int_equal(a->args[1].kind, STROBE_ARG_PTR);
	assert_string_equal(a->args[1].pointee, "struct task_struct");
	assert_string_equal(a->args[1].ctype, "struct task_struct *");
	assert_false(a->args[1].user);
	if (sched_switch_has_prev_state()) {
		assert_string_equal(a->args[3].name, "prev_state");
		assert_int_equal(a->args[3].offset, 24);
		assert_int_equal(a->args[3].size, 4);
	}

	/* Signed integers; the module form. */
	assert_int_equal(resolve(f, "rawtracepoint", "vmlinux:sys_enter"), 0);
	assert_int_equal(f->n, 2);
	assert_string_equal(f->pa[1].name, "rawtracepoint:sys_enter");
	assert_string_equal(f->pa[1].args[1].name, "id");
	assert_int_equal(f->pa[1].args[1].size, 8);
	assert_true(f->pa[1].args[1].is_signed);

	/* Wildcards expand in name order. */
	assert_int_equal(resolve(f, "rawtracepoint", "sched_wakeup*"), 0);
	assert_int_equal(f->n, 4);
	assert_string_equal(f->pa[2].name, "rawtracepoint:sched_wakeup");
	assert_string_equal(f->pa[3].name, "rawtracepoint:sched_wakeup_new");

	expect_error(f, "rawtracepoint", "nope", "rawtracepoint not found: nope");
	expect_error(f, "rawtracepoint", "vmlinux:nope", "rawtracepoint not found: vmlinux:nope");
	expect_error(f, "rawtracepoint", "nomodule:sched_switch",
		     "rawtracepoint not found: nomodule:sched_switch");
	expect_error(f, "rawtracepoint", "nope*", "rawtracepoints not found: nope*");
	expect_error(f, "rawtracepoint", "a:b:c",
		     "rawtracepoint probe type requires 1 or 2 arguments ([module:]event)");
	expect_error(f, "rawtracepoint", "",
		     "rawtracepoint probe type requires 1 or 2 arguments ([module:]event)");
	assert_int_equal(f->n, 4);
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

static void test_list_perf(void **state)
{
	struct fixture *f = need(state);
	/* bpftrace's names, in its order; aliases resolve but are not listed. */
	expect_list(f, "software:*", false,
		    "software:alignment-faults:\n"
		    "software:bpf-output:\n"
		    "software:context-switches:\n"
		    "software:cpu-clock:\n"
		    "software:cpu-migrations:\n"
		    "software:dummy:\n"
		    "software:emulation-faults:\n"
		    "software:major-faults:\n"
		    "software:minor-faults:\n"
		    "software:page-faults:\n"
		    "software:task-clock:\n");
	expect_list(f, "hardware:*", false,
		    "hardware:backend-stalls:\n"
		    "hardware:branch-instructions:\n"
		    "hardware:branch-misses:\n"
		    "hardware:bus-cycles:\n"
		    "hardware:cache-misses:\n"
		    "hardware:cache-references:\n"
		    "hardware:cpu-cycles:\n"
		    "hardware:frontend-stalls:\n"
		    "hardware:instructions:\n"
		    "hardware:ref-cycles:\n");
	expect_list(f, "s:cpu*", false, "software:cpu-clock:\nsoftware:cpu-migrations:\n");
	expect_list(f, "software:page-faults:", true, "software:page-faults:\n");
	expect_list(f, "interval:*", false, "interval:s:\ninterval:ms:\ninterval:us:\ninterval:hz:\n");
	expect_list(f, "profile:m*", false, "profile:ms:\n");
	static const char *const sw[] = { "cpu-clock", "cpu", "task-clock", "page-faults", "faults",
					  "context-switches", "cs", "cpu-migrations", "minor-faults",
					  "major-faults", "alignment-faults", "emulation-faults",
					  "dummy", "bpf-output" };
	for (size_t i = 0; i < sizeof(sw) / sizeof(sw[0]); i++)
		assert_int_equal(resolve(f, "software", sw[i]), 0);
	static const char *const hw[] = { "cpu-cycles", "cycles", "instructions",
					  "cache-references", "cache-misses",
					  "branch-instructions", "branches", "branch-misses",
					  "bus-cycles", "frontend-stalls", "backend-stalls",
					  "ref-cycles" };
	for (size_t i = 0; i < sizeof(hw) / sizeof(hw[0]); i++)
		assert_int_equal(resolve(f, "h", hw[i]), 0);
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

static void sleep_a_little(void)
{
	for (int i = 0; i < 5; i++)
		usleep(1000);
}

static void test_attach_rawtracepoint(void **state)
{
	if (!have_btf())
		skip();
	/* The cookie check needs Linux 6.10 (raw tracepoint cookies). */
	attach_and_count(need(state), "rawtracepoint", "sched_switch",
			 BPF_PROG_TYPE_RAW_TRACEPOINT, sleep_a_little);
}

static void touch_fresh_pages(void)
{
	for (int i = 0; i < 4; i++) {
		size_t len = 64 * 4096;
		char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		assert_true(p != MAP_FAILED);
		for (size_t off = 0; off < len; off += 4096)
			p[off] = 1;
		munmap(p, len);
	}
}

static void test_attach_software(void **state)
{
	attach_and_count(need(state), "software", "page-faults:1", BPF_PROG_TYPE_PERF_EVENT,
			 touch_fresh_pages);
}

static void test_attach_hardware_without_pmu(void **state)
{
	struct fixture *f = need(state);
	if (geteuid() != 0)
		skip();
	const char *canon;
	struct provider *p = get(f, "h", &canon);
	struct strobe_attach_req req = {
		.size = sizeof(req), .type = canon, .target = "cycles", .prog_fd = -1, .pid = -1,
	};
	struct strobe_link *link = NULL;
	char err[512];
	assert_true(provider_attach(p, &req, &link, err, sizeof(err)) < 0);
	assert_null(link);
	if (strstr(err, "cannot attach the program")) {
		print_message("this machine has a PMU: the no-PMU message is not tested\n");
		return;
	}
	assert_non_null(strstr(err, "this machine has no hardware performance counters (PMU): "
				    "perf_event_open on CPU "));
	assert_non_null(strstr(err, "use software:cpu-clock or profile instead"));
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

	struct provider *rp = get(f, "rawtracepoint", &canon);
	req.type = canon;
	req.target = "sched_switch";
	assert_true(provider_attach(rp, &req, &link, err, sizeof(err)) < 0);
	assert_null(link);
	assert_string_equal(err, "cannot attach the program to raw tracepoint sched_switch: Bad file descriptor");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_list_tracepoints, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolve_tracepoints, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolve_perf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_perf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_probe_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_rawtracepoints, setup, teardown),
		cmocka_unit_test_setup_teardown(test_resolve_rawtracepoints, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attach_tracepoint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attach_interval, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attach_profile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attach_rawtracepoint, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attach_software, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attach_hardware_without_pmu, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attach_errors, setup, teardown),
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
