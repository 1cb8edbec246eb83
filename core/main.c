/*
 * strobe's command line: options parsed into driver_opts, then the driver
 * runs the script or lists probes.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "driver.h"
#include "host.h"

#define STROBE_VERSION "0.1.0"
/* the bpftrace release whose language and output strobe follows, for tools that check it */
#define BPFTRACE_COMPAT_VERSION "0.21.0"

static void usage(FILE *fp)
{
	fputs("USAGE:\n"
	      "    strobe [options] filename [args...]\n"
	      "    strobe [options] - <stdin input>\n"
	      "    strobe [options] -e 'program' [args...]\n"
	      "\n"
	      "OPTIONS:\n"
	      "    -B MODE        output buffering mode ('line', 'full', 'none')\n"
	      "    -f FORMAT      output format ('text', 'json', 'lua:FILE.lua[,json]', 'folded', 'flamegraph',\n"
	      "                   'prometheus[:ADDR:PORT]')\n"
	      "    -o file        redirect output to file\n"
	      "    -e 'program'   execute this program\n"
	      "    -h, --help     show this help message\n"
	      "    -l [search]    list probes\n"
	      "    -p PID         filter probes to process PID\n"
	      "    --cgroup PATH  filter probes to tasks in the cgroup PATH and below (v2, or v1 with a v2 twin)\n"
	      "    --container NAME|ID  filter probes to the tasks of a container (its cgroup)\n"
	      "    -c 'CMD'       run CMD (split into words like a shell, not run by one); trace it,\n"
	      "                   probes on its binaries fire for it; the trace ends when it exits\n"
	      "    -q             keep messages quiet\n"
	      "    -v             verbose messages (with -l: show probe arguments)\n"
	      "    -d STAGE[,..]  debug output: 'ast' prints the parsed program and stops; 'types' the\n"
	      "                   checked program with types, 'codegen'/'codegen-opt' (or 'ir': both) the\n"
	      "                   LLVM IR before/after optimisation, 'all' every one of those; then it runs\n"
	      "    --emit-elf FILE   write the BPF object to FILE; nothing is loaded\n"
	      "    --emit-llvm FILE  write the optimised LLVM IR to FILE\n"
	      "    --dry-run      compile and load, but attach nothing\n"
	      "    --unsafe       allow unsafe builtin functions (system, signal)\n"
	      "    -I DIR         add DIR to the directories searched for #include\n"
	      "    --include FILE read the macros of header FILE before the program\n"
	      "    --no-warnings  print no warnings\n"
	      "    -k             report failing helpers at run time (not reads); -kk all, lookups too\n"
	      "    --info         what this kernel and build support\n"
	      "    --tools        list the ready-to-use scripts (share/strobe/tools) with what they show\n"
	      "    -V, --version  strobe version\n"
	      "\n"
	      "ENVIRONMENT:\n"
	      "    BPFTRACE_STRLEN        [default: 64] bytes per str()\n"
	      "    BPFTRACE_MAP_KEYS_MAX  [default: 4096] max keys in a map\n"
	      "    STROBE_PLUGIN_PATH     colon-separated plugins.d directories\n"
	      "\n"
	      "EXAMPLES:\n"
	      "strobe -l 'tracepoint:sched:*'\n"
	      "    list the scheduler tracepoints\n"
	      "strobe -e 'tracepoint:raw_syscalls:sys_enter { @[comm] = count(); }'\n"
	      "    count syscalls by process name\n",
	      fp);
}

/* Scripts are text written by people: anything longer is a mistake (strobe /dev/zero). */
#define MAX_SCRIPT_BYTES (1u << 20)

/*
 * Read a whole script (or stdin for "-") into a NUL-terminated buffer. A
 * directory or a device is refused before reading; a pipe is read up to the
 * limit. A file is opened and read without blocking: one that never ends, as
 * tracefs's trace_pipe, would wait forever for more; it is refused at EAGAIN.
 * On failure returns NULL with *why set for "failed to open file 'PATH': WHY" (bpftrace's words),
 * and *open_errno set when the file could not be opened at all.
 */
static char *read_script(const char *path, size_t *len, const char **why, int *open_errno)
{
	int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	char *buf = NULL;
	*why = NULL;
	if (fd > STDIN_FILENO && fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode)) {
		/* a named pipe (or <(...)): wait for its writer and its data, as any reader does */
		close(fd);
		fd = open(path, O_RDONLY | O_CLOEXEC);
	}
	if (fd < 0)
		*open_errno = errno;
	if (fd < 0 || fstat(fd, &st) < 0)
		*why = strerror(errno);
	else if (S_ISDIR(st.st_mode))
		*why = strerror(EISDIR);
	else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode))
		*why = "not a regular file, a pipe or a socket";
	else if (!(buf = malloc(MAX_SCRIPT_BYTES + 2)))
		*why = strerror(ENOMEM);
	size_t n = 0;
	while (!*why) {
		/* one byte more than the limit tells a script that is too long */
		ssize_t got = read(fd, buf + n, MAX_SCRIPT_BYTES + 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && fd > STDIN_FILENO)
			*why = "reading it would block: a stream (as trace_pipe), not a script";
		else if (got < 0)
			*why = strerror(errno);
		else if (got == 0)
			break;
		else if ((n += (size_t)got) > MAX_SCRIPT_BYTES)
			*why = "longer than the limit of 1 MiB for a script";
	}
	if (fd > STDIN_FILENO)
		close(fd);
	if (*why) {
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

/*
 * -p PID, with bpftrace's messages: a decimal number (strtol's: leading
 * blanks and a sign allowed) within [1, PID_MAX_LIMIT], the kernel's
 * largest pid_max (bpftrace names that range whatever pid_max is set to),
 * of a process that exists.
 */
#define PID_MAX_LIMIT 4194304
static int parse_pid(const char *s, int *pid)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (end == s || *end) {
		fprintf(stderr, "ERROR: pid '%s' is not a valid decimal number\n", s);
		return -EINVAL;
	}
	if (errno == ERANGE) {
		fprintf(stderr, "ERROR: pid '%s' outside of integer range\n", s);
		return -ERANGE;
	}
	if (v < 1 || v > PID_MAX_LIMIT) {
		fprintf(stderr, "ERROR: pid '%s' out of valid pid range [1,%d]\n", s, PID_MAX_LIMIT);
		return -ERANGE;
	}
	if (kill((pid_t)v, 0) < 0 && errno == ESRCH) {
		fputs("ERROR: : No such process\n", stderr); /* bpftrace 0.17's words, empty context and all */
		return -ESRCH;
	}
	*pid = (int)v;
	return 0;
}

/* -d STAGE[,STAGE...] as bpftrace names them; "ir" is both codegen stages. */
static int parse_debug_stages(const char *arg, unsigned *out)
{
	static const struct {
		const char *name;
		unsigned bits;
	} stages[] = {
		{ "ast", DEBUG_AST },
		{ "types", DEBUG_TYPES },
		{ "codegen", DEBUG_CODEGEN },
		{ "codegen-opt", DEBUG_CODEGEN_OPT },
		{ "ir", DEBUG_CODEGEN | DEBUG_CODEGEN_OPT },
		{ "all", DEBUG_TYPES | DEBUG_CODEGEN | DEBUG_CODEGEN_OPT },
	};
	char *copy = strdup(arg), *save = NULL;
	int rc = copy ? 0 : -1;
	for (char *tok = copy ? strtok_r(copy, ",", &save) : NULL; tok && rc == 0; tok = strtok_r(NULL, ",", &save)) {
		size_t i = 0;
		while (i < sizeof(stages) / sizeof(stages[0]) && strcmp(stages[i].name, tok))
			i++;
		if (i == sizeof(stages) / sizeof(stages[0])) {
			fprintf(stderr, "ERROR: USAGE: unknown debug stage '%s' (known: ast, types, codegen, "
					"codegen-opt, ir, all)\n", tok);
			rc = -1;
		} else {
			*out |= stages[i].bits;
		}
	}
	free(copy);
	return rc;
}

/* What main() allocates for run(): arrays of argv's words (at most argc each), and the script's text. */
struct cli_buffers {
	const char **incdirs, **includes; /* -I, --include; NULL-terminated */
	char **named, **positional;       /* the script's options and arguments */
	char *text;                       /* a script file's contents */
};

static int run(int argc, char **argv, struct cli_buffers *b)
{
	enum { OPT_DRY_RUN = 256, OPT_HELP, OPT_VERSION, OPT_UNSAFE, OPT_EMIT_ELF, OPT_EMIT_LLVM, OPT_INCLUDE,
	       OPT_NO_WARNINGS, OPT_INFO, OPT_CGROUP, OPT_CONTAINER, OPT_TOOLS };
	static const struct option longopts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "unsafe", no_argument, NULL, OPT_UNSAFE },
		{ "emit-elf", required_argument, NULL, OPT_EMIT_ELF },
		{ "emit-llvm", required_argument, NULL, OPT_EMIT_LLVM },
		{ "include", required_argument, NULL, OPT_INCLUDE },
		{ "no-warnings", no_argument, NULL, OPT_NO_WARNINGS },
		{ "info", no_argument, NULL, OPT_INFO },
		{ "tools", no_argument, NULL, OPT_TOOLS },
		{ "cgroup", required_argument, NULL, OPT_CGROUP },
		{ "container", required_argument, NULL, OPT_CONTAINER },
		{ NULL, 0, NULL, 0 },
	};
	/*
	 * A standard stream closed by the caller is held on /dev/null, so that
	 * nothing strobe opens (a BPF map, the -o file) takes its number; output
	 * meant for a closed stdout is an error below.
	 */
	bool stdout_closed = false;
	for (int fd = 0; fd <= 2; fd++)
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
			stdout_closed |= fd == STDOUT_FILENO;
			open("/dev/null", fd == 0 ? O_RDONLY : O_WRONLY); /* the lowest free number: fd */
		}
	struct driver_opts o = { .output_format = "text", .pid = -1, .buffering = BUFFER_BATCH };
	const char *prog = NULL, *pid_arg = NULL;
	bool list = false;
	const char **incdirs = b->incdirs, **includes = b->includes;
	size_t nincdirs = 0, nincludes = 0;
	o.incdirs = incdirs;
	o.includes = includes;
	int c;

	/* '+': stop at the first non-option, the script's own arguments follow. */
	while ((c = getopt_long(argc, argv, "+e:lhVvqd:p:c:f:o:B:I:k", longopts, NULL)) != -1) {
		switch (c) {
		case 'e':
			prog = optarg;
			break;
		case 'l':
			list = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V': {
			/* run as bpftrace (a link or an installed name), the version scripts parse is bpftrace's */
			const char *self = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
			if (!strcmp(self, "bpftrace"))
				printf("bpftrace v%s (strobe %s)\n", BPFTRACE_COMPAT_VERSION, STROBE_VERSION);
			else
				printf("strobe v%s\n", STROBE_VERSION);
			return 0;
		}
		case 'v':
			o.verbose = true;
			break;
		case 'q':
			o.quiet = true;
			break;
		case 'd':
			if (parse_debug_stages(optarg, &o.debug) < 0)
				return 1;
			break;
		case OPT_EMIT_ELF:
			o.emit_elf = optarg;
			break;
		case OPT_EMIT_LLVM:
			o.emit_llvm = optarg;
			break;
		case 'p':
			pid_arg = optarg; /* the last -p counts; checked after the options, as bpftrace does */
			break;
		case 'c':
			o.cmd = optarg;
			break;
		case 'f':
			o.output_format = optarg;
			break;
		case 'o':
			o.output_file = optarg;
			break;
		case 'B':
			if (strcmp(optarg, "line") == 0)
				o.buffering = BUFFER_LINE;
			else if (strcmp(optarg, "full") == 0)
				o.buffering = BUFFER_FULL;
			else if (strcmp(optarg, "none") == 0)
				o.buffering = BUFFER_NONE;
			else {
				fputs("ERROR: USAGE: -B must be either 'line', 'full', or 'none'.\n", stderr);
				return 1;
			}
			break;
		case OPT_DRY_RUN:
			o.dry_run = true;
			break;
		case OPT_UNSAFE:
			o.unsafe = true;
			break;
		case 'k':
			o.helper_errors++;
			break;
		case 'I':
			incdirs[nincdirs++] = optarg;
			break;
		case OPT_INCLUDE:
			includes[nincludes++] = optarg;
			break;
		case OPT_NO_WARNINGS:
			core_set_warnings(false);
			break;
		case OPT_CGROUP:
			o.cgroup = optarg;
			break;
		case OPT_CONTAINER:
			o.container = optarg;
			break;
		case OPT_INFO:
			return driver_info("v" STROBE_VERSION) < 0 ? 1 : 0;
		case OPT_TOOLS:
			return driver_list_tools(stdout) < 0 ? 1 : 0;
		default:
			usage(stderr);
			return 1;
		}
	}

	if (stdout_closed && (list || !o.output_file)) {
		fputs("ERROR: standard output is closed (-o FILE writes the output to a file)\n", stderr);
		return 1;
	}

	if (o.cgroup && o.container) {
		fputs("ERROR: USAGE: Cannot use both --cgroup and --container.\n", stderr);
		return 1;
	}
	if (o.cmd && pid_arg && *pid_arg) {
		fputs("ERROR: USAGE: Cannot use both -c and -p.\n", stderr);
		return 1;
	}
	if (!list && !prog && optind >= argc) {
		fputs("ERROR: USAGE: filename or -e 'program' required.\n", stderr);
		usage(stderr);
		return 1;
	}
	/* an empty -p is no -p (bpftrace) */
	if (pid_arg && *pid_arg && parse_pid(pid_arg, &o.pid) < 0)
		return 1;

	/* -l with a program (-e, or a script file: no ':' in its name) lists the probes it would attach */
	struct stat st;
	o.list_probes = list && (prog || (optind < argc && !strchr(argv[optind], ':') &&
					  stat(argv[optind], &st) == 0 && S_ISREG(st.st_mode)));
	if (list && !o.list_probes) {
		if (optind + 1 < argc) {
			fputs("ERROR: USAGE: -l takes at most one search pattern\n", stderr);
			return 1;
		}
		return driver_list(optind < argc ? argv[optind] : NULL, o.verbose) < 0 ? 1 : 0;
	}

	struct source src;
	if (prog) {
		src = (struct source){ .name = "stdin", .text = prog, .len = strlen(prog) };
	} else if (optind < argc) {
		const char *path = argv[optind++];
		size_t len;
		const char *why;
		int open_errno = 0;
		char *text = b->text = read_script(path, &len, &why, &open_errno);
		if (!text) {
			fprintf(stderr, "ERROR: failed to open file '%s': %s\n", path, why);
			/* bpftrace exits 255 when the file cannot be opened (its return -1) */
			return open_errno ? 255 : 1;
		}
		src = (struct source){ .name = strcmp(path, "-") == 0 ? "stdin" : path, .text = text, .len = len };
	} else {
		fputs("ERROR: USAGE: filename or -e 'program' required.\n", stderr);
		usage(stderr);
		return 1;
	}
	o.src = &src;
	/* after the program: --name[=value] are the script's options (getopt), the rest $1.. */
	char **named = b->named, **positional = b->positional;
	for (int i = optind; i < argc; i++) {
		if (!strncmp(argv[i], "--", 2) && argv[i][2])
			named[o.nnamed++] = argv[i] + 2;
		else
			positional[o.npositional++] = argv[i];
	}
	o.named = named;
	o.positional = positional;

	return driver_run(&o);
}

int main(int argc, char **argv)
{
	size_t n = (size_t)argc + 1;
	struct cli_buffers b = { .incdirs = calloc(n, sizeof(*b.incdirs)), .includes = calloc(n, sizeof(*b.includes)),
				 .named = calloc(n, sizeof(*b.named)), .positional = calloc(n, sizeof(*b.positional)) };
	int status = 1;
	if (b.incdirs && b.includes && b.named && b.positional)
		status = run(argc, argv, &b);
	else
		fputs("ERROR: out of memory\n", stderr);
	free(b.incdirs);
	free(b.includes);
	free(b.named);
	free(b.positional);
	free(b.text);
	return status;
}
