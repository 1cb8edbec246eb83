/*
 * --info: what this kernel and this build support, as bpftrace's --info
 * reports it: the system, the build, kernel features, map and program types;
 * whether this kernel runs a probe type; which kfuncs a program type may call
 * (kfunc_allowed()).
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dirent.h>
#include <errno.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "../btf.h"
#include "runtime.h"

static const char *yes(bool b)
{
	return b ? "yes" : "no";
}

/* libbpf's probes: 1 supported, 0 not, < 0 could not tell */
static const char *probed(int rc)
{
	return rc == 1 ? "yes" : rc == 0 ? "no" : "unknown";
}

static bool module_btf(void)
{
	DIR *d = opendir("/sys/kernel/btf");
	bool found = false;
	for (struct dirent *e; d && !found && (e = readdir(d));)
		found = e->d_name[0] != '.' && strcmp(e->d_name, "vmlinux");
	if (d)
		closedir(d);
	return found;
}

static bool have_path(const char *p)
{
	return access(p, F_OK) == 0;
}

void runtime_info(FILE *fp)
{
	struct utsname u;
	if (uname(&u) == 0)
		fprintf(fp, "System\n  OS: %s %s %s\n  Arch: %s\n\n", u.sysname, u.release, u.version, u.machine);

	static const struct { const char *name; enum bpf_map_type type; } maps[] = {
		{ "hash", BPF_MAP_TYPE_HASH },
		{ "percpu hash", BPF_MAP_TYPE_PERCPU_HASH },
		{ "lru hash", BPF_MAP_TYPE_LRU_HASH },
		{ "percpu lru hash", BPF_MAP_TYPE_LRU_PERCPU_HASH },
		{ "array", BPF_MAP_TYPE_ARRAY },
		{ "percpu array", BPF_MAP_TYPE_PERCPU_ARRAY },
		{ "stack_trace", BPF_MAP_TYPE_STACK_TRACE },
		{ "perf_event_array", BPF_MAP_TYPE_PERF_EVENT_ARRAY },
		{ "ringbuf", BPF_MAP_TYPE_RINGBUF },
		{ "prog_array", BPF_MAP_TYPE_PROG_ARRAY },
	};
	static const struct { const char *name; enum bpf_prog_type type; } progs[] = {
		{ "kprobe", BPF_PROG_TYPE_KPROBE },
		{ "tracepoint", BPF_PROG_TYPE_TRACEPOINT },
		{ "raw_tracepoint", BPF_PROG_TYPE_RAW_TRACEPOINT },
		{ "perf_event", BPF_PROG_TYPE_PERF_EVENT },
		{ "tracing (fentry/fexit)", BPF_PROG_TYPE_TRACING },
	};
	fputs("Kernel features\n", fp);
	fprintf(fp, "  btf: %s\n", yes(have_path("/sys/kernel/btf/vmlinux")));
	fprintf(fp, "  module btf: %s\n", yes(module_btf()));
	fprintf(fp, "  tracefs: %s\n", yes(have_path("/sys/kernel/tracing/events") ||
					    have_path("/sys/kernel/debug/tracing/events")));
	fprintf(fp, "  kprobes (kprobe PMU): %s\n", yes(have_path("/sys/bus/event_source/devices/kprobe")));
	fprintf(fp, "  uprobes (uprobe PMU): %s\n", yes(have_path("/sys/bus/event_source/devices/uprobe")));
	fprintf(fp, "  bpf_loop: %s\n",
		probed(libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_loop, NULL)));
	fprintf(fp, "  get_func_ip: %s\n",
		probed(libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_get_func_ip, NULL)));
	fprintf(fp, "  get_attach_cookie: %s\n",
		probed(libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_get_attach_cookie, NULL)));
	fprintf(fp, "  send_signal: %s\n",
		probed(libbpf_probe_bpf_helper(BPF_PROG_TYPE_KPROBE, BPF_FUNC_send_signal, NULL)));
	fputs("\nMap types\n", fp);
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		fprintf(fp, "  %s: %s\n", maps[i].name, probed(libbpf_probe_bpf_map_type(maps[i].type, NULL)));
	fputs("\nProgram types\n", fp);
	for (size_t i = 0; i < sizeof(progs) / sizeof(progs[0]); i++)
		fprintf(fp, "  %s: %s\n", progs[i].name, probed(libbpf_probe_bpf_prog_type(progs[i].type, NULL)));
}

/* Hardware counters: a cycles counter of this process opens (no CPU PMU: ENOENT, as in a VM). */
static bool have_cpu_pmu(void)
{
	struct perf_event_attr a = { .type = PERF_TYPE_HARDWARE, .size = sizeof(a),
				     .config = PERF_COUNT_HW_CPU_CYCLES, .disabled = 1, .exclude_kernel = 1 };
	int fd = (int)syscall(__NR_perf_event_open, &a, 0, -1, -1, PERF_FLAG_FD_CLOEXEC);
	if (fd >= 0)
		close(fd);
	return fd >= 0 || (errno != ENOENT && errno != EOPNOTSUPP);
}

const char *runtime_probe_type_missing(const char *provider)
{
	static const struct {
		const char *names[3];
		enum bpf_prog_type prog;
		const char *why_prog;
	} kinds[] = {
		{ { "kprobe", "kretprobe" }, BPF_PROG_TYPE_KPROBE, "kprobe programs refused" },
		{ { "uprobe", "uretprobe", "usdt" }, BPF_PROG_TYPE_KPROBE, "kprobe programs refused" },
		{ { "kfunc", "kretfunc" }, BPF_PROG_TYPE_TRACING, "fentry/fexit programs refused" },
		{ { "tracepoint" }, BPF_PROG_TYPE_TRACEPOINT, "tracepoint programs refused" },
		{ { "rawtracepoint" }, BPF_PROG_TYPE_RAW_TRACEPOINT, "raw_tracepoint programs refused" },
		{ { "interval", "profile", "software" }, BPF_PROG_TYPE_PERF_EVENT, "perf_event programs refused" },
		{ { "hardware" }, BPF_PROG_TYPE_PERF_EVENT, "perf_event programs refused" },
	};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		bool match = false;
		for (size_t j = 0; j < 3 && kinds[i].names[j]; j++)
			match |= !strcmp(provider, kinds[i].names[j]);
		if (!match)
			continue;
		const char *name = kinds[i].names[0];
		if (!strcmp(name, "kprobe") && !have_path("/sys/bus/event_source/devices/kprobe"))
			return "no kprobe PMU";
		if (!strcmp(name, "uprobe") && !have_path("/sys/bus/event_source/devices/uprobe"))
			return "no uprobe PMU";
		if (!strcmp(name, "kfunc") && !have_path("/sys/kernel/btf/vmlinux"))
			return "no BTF";
		if (!strcmp(name, "tracepoint") && !have_path("/sys/kernel/tracing/events") &&
		    !have_path("/sys/kernel/debug/tracing/events"))
			return "no tracefs";
		if (!strcmp(name, "hardware") && !have_cpu_pmu())
			return "no hardware performance counters";
		/* a probe that cannot tell (< 0) is not a refusal */
		return libbpf_probe_bpf_prog_type(kinds[i].prog, NULL) == 0 ? kinds[i].why_prog : NULL;
	}
	return NULL;
}

bool runtime_kfunc_allowed(const char *name, int prog_type)
{
	int id = btf_func_id(name);
	if (id < 0)
		return false;
	struct bpf_insn insns[] = {
		{ .code = BPF_JMP | BPF_CALL, .src_reg = BPF_PSEUDO_KFUNC_CALL, .imm = id },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	char log[4096] = "", refused[256];
	/* tracing programs name a function to attach to: the kfunc itself will do */
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .log_buf = log, .log_size = sizeof(log), .log_level = 1,
		    .expected_attach_type = prog_type == BPF_PROG_TYPE_TRACING ? BPF_TRACE_FENTRY : 0,
		    .attach_btf_id = prog_type == BPF_PROG_TYPE_TRACING ? (uint32_t)id : 0);
	int fd = bpf_prog_load((enum bpf_prog_type)prog_type, NULL, "GPL", insns, 3, &opts);
	if (fd >= 0) {
		close(fd);
		return true;
	}
	snprintf(refused, sizeof(refused), "calling kernel function %s is not allowed", name);
	return !strstr(log, refused);
}
