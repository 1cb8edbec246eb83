/*
 * floor: load a hand-written BPF object (floor_*.bpf.o), attach all its
 * programs, print __BPFTRACE_NOTIFY_PROBES_ATTACHED, wait for SIGINT or
 * SIGTERM, detach and exit. The per-event cost of a tracer cannot be lower
 * than that of these programs.
 */
#include <bpf/libbpf.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_WARN ? vfprintf(stderr, fmt, ap) : 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: floor OBJECT.bpf.o\n");
		return 2;
	}
	libbpf_set_print(quiet);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	struct bpf_object *obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || libbpf_get_error(obj) || bpf_object__load(obj)) {
		fprintf(stderr, "floor: cannot load %s\n", argv[1]);
		return 1;
	}
	struct bpf_link *links[8];
	int n = 0;
	struct bpf_program *prog;
	bpf_object__for_each_program(prog, obj) {
		if (n == 8)
			break;
		links[n] = bpf_program__attach(prog);
		if (!links[n] || libbpf_get_error(links[n])) {
			fprintf(stderr, "floor: cannot attach %s\n", bpf_program__name(prog));
			return 1;
		}
		n++;
	}
	printf("__BPFTRACE_NOTIFY_PROBES_ATTACHED\n");
	fflush(stdout);
	while (!stop)
		pause();
	for (int i = 0; i < n; i++)
		bpf_link__destroy(links[i]);
	bpf_object__close(obj);
	return 0;
}
