/*
 * ready: run a tracer once and time its start-up and shut-down.
 *
 *   ready [-r WORKLOAD] [-t READY_S] [-x EXIT_S] [-d DETACH_S] -- tracer [args...]
 *
 * The tracer runs with env __BPFTRACE_NOTIFY_PROBES_ATTACHED=1 and with one
 * pipe as both stdout and stderr (strobe prints the marker line on stdout,
 * bpftrace 0.17 on stderr). The pipe is drained all along, so a chatty
 * tracer never blocks on it. Once the line __BPFTRACE_NOTIFY_PROBES_ATTACHED
 * is seen, the optional WORKLOAD (a /bin/sh -c string) runs to completion
 * while the tracer's CPU time (utime+stime of all its threads, from
 * /proc/PID/stat) and RSS are sampled; then the tracer gets SIGINT.
 *
 * This process is a child subreaper, so a helper the tracer leaves behind to
 * finish detaching (strobe's "strobe-detach") is reparented here and waited
 * for: "detached" is when the last descendant is gone, i.e. nothing of this
 * run is attached any more.
 *
 * Prints one line of key=value pairs (times in ms from the fork for ready,
 * from SIGINT for exit and detached; memory in MiB; -1 when not reached):
 *   ready=.. exit=.. detached=.. rss=.. cpu=.. run_rss=.. run_hwm=.. status=..
 * then the workload's stdout, each line prefixed with "wl: ".
 * Exit status 0 if the tracer became ready and exited on SIGINT in time.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MARKER "__BPFTRACE_NOTIFY_PROBES_ATTACHED"

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int pidfd_open_(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/* Line scanner over the tracer's output: only looks for the marker. */
struct scan {
	char line[256];
	size_t n;
	bool seen;
};

static void scan_feed(struct scan *s, const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n') {
			if (s->n == strlen(MARKER) && memcmp(s->line, MARKER, s->n) == 0)
				s->seen = true;
			s->n = 0;
		} else if (s->n < sizeof(s->line)) {
			s->line[s->n++] = buf[i];
		}
	}
}

/* Read what is there; returns false at EOF. */
static bool drain(int fd, struct scan *s)
{
	char buf[65536];
	ssize_t r = read(fd, buf, sizeof(buf));
	if (r > 0) {
		if (s)
			scan_feed(s, buf, (size_t)r);
		return true;
	}
	return r < 0 && (errno == EINTR || errno == EAGAIN);
}

/* utime+stime of the whole process in ms, -1 if gone. */
static double proc_cpu_ms(pid_t pid)
{
	char path[64], buf[2048];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	char *p = strrchr(buf, ')'); /* comm may contain spaces */
	if (!p)
		return -1;
	unsigned long ut = 0, st = 0;
	/* after ")": state(3) ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime(14) stime(15) */
	if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
		return -1;
	return (double)(ut + st) * 1e3 / (double)sysconf(_SC_CLK_TCK);
}

/* VmRSS / VmHWM of the process in MiB, -1 if gone. */
static double proc_status_mib(pid_t pid, const char *key)
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	double v = -1;
	size_t kl = strlen(key);
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, key, kl) == 0 && line[kl] == ':') {
			v = strtod(line + kl + 1, NULL) / 1024.0;
			break;
		}
	fclose(f);
	return v;
}

static volatile sig_atomic_t alarmed;
static void on_alarm(int sig)
{
	(void)sig;
	alarmed = 1;
}

static void usage(void)
{
	fprintf(stderr, "usage: ready [-r WORKLOAD] [-t READY_S] [-x EXIT_S] [-d DETACH_S] -- tracer [args...]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *workload = NULL;
	double ready_s = 60, exit_s = 120, detach_s = 120;
	int c;
	while ((c = getopt(argc, argv, "+r:t:x:d:")) != -1) {
		switch (c) {
		case 'r': workload = optarg; break;
		case 't': ready_s = atof(optarg); break;
		case 'x': exit_s = atof(optarg); break;
		case 'd': detach_s = atof(optarg); break;
		default: usage();
		}
	}
	if (optind >= argc)
		usage();
	char **cmd = argv + optind;

	prctl(PR_SET_CHILD_SUBREAPER, 1);
	signal(SIGPIPE, SIG_IGN);
	struct sigaction sa = { .sa_handler = on_alarm }; /* no SA_RESTART: waitpid returns EINTR */
	sigaction(SIGALRM, &sa, NULL);

	int out[2];
	if (pipe2(out, O_CLOEXEC) < 0) {
		perror("pipe");
		return 2;
	}
	double t0 = now_ms();
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return 2;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);
		dup2(null, 0);
		dup2(out[1], 1);
		dup2(out[1], 2);
		setenv("__BPFTRACE_NOTIFY_PROBES_ATTACHED", "1", 1);
		execvp(cmd[0], cmd);
		_exit(127);
	}
	close(out[1]);
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	int pfd = pidfd_open_(pid);
	if (pfd < 0) {
		perror("pidfd_open");
		kill(pid, SIGKILL);
		return 2;
	}

	struct scan sc = { .n = 0 };
	bool out_open = true, exited = false, timed_out = false;
	double t_ready = -1, t_sig = -1, t_exit = -1;
	int status = 0;
	struct rusage ru = { 0 };
	double cpu = -1, run_rss = -1, run_hwm = -1;
	char *wl_out = NULL;
	size_t wl_len = 0;

	/* 1. until ready (or the tracer exits on its own) */
	while (!sc.seen && !exited) {
		double left = ready_s * 1e3 - (now_ms() - t0);
		if (left <= 0) {
			timed_out = true;
			break;
		}
		struct pollfd p[2] = { { out_open ? out[0] : -1, POLLIN, 0 }, { pfd, POLLIN, 0 } };
		if (poll(p, 2, (int)left + 1) < 0 && errno != EINTR)
			break;
		if (p[0].revents)
			out_open = drain(out[0], &sc);
		if (p[1].revents & POLLIN) {
			if (wait4(pid, &status, WNOHANG, &ru) == pid) {
				exited = true;
				t_exit = now_ms();
			}
		}
	}
	if (sc.seen)
		t_ready = now_ms();

	/* 2. the workload, if any, while the tracer runs */
	if (sc.seen && !exited && workload) {
		int wo[2];
		if (pipe2(wo, O_CLOEXEC) < 0)
			return 2;
		double cpu0 = proc_cpu_ms(pid);
		pid_t w = fork();
		if (w == 0) {
			dup2(wo[1], 1);
			execl("/bin/sh", "sh", "-c", workload, (char *)NULL);
			_exit(127);
		}
		close(wo[1]);
		bool wo_open = true;
		FILE *mem = open_memstream(&wl_out, &wl_len);
		while (wo_open) {
			struct pollfd p[2] = { { out_open ? out[0] : -1, POLLIN, 0 }, { wo[0], POLLIN, 0 } };
			if (poll(p, 2, -1) < 0 && errno != EINTR)
				break;
			if (p[0].revents)
				out_open = drain(out[0], NULL);
			if (p[1].revents) {
				char buf[4096];
				ssize_t r = read(wo[0], buf, sizeof(buf));
				if (r > 0)
					fwrite(buf, 1, (size_t)r, mem);
				else if (r == 0 || errno != EINTR)
					wo_open = false;
			}
		}
		close(wo[0]);
		int wst;
		waitpid(w, &wst, 0);
		double cpu1 = proc_cpu_ms(pid);
		run_rss = proc_status_mib(pid, "VmRSS");
		run_hwm = proc_status_mib(pid, "VmHWM");
		if (cpu0 >= 0 && cpu1 >= 0)
			cpu = cpu1 - cpu0;
		fclose(mem);
	}

	/* 3. SIGINT (or SIGKILL on a ready timeout), until exit */
	if (!exited) {
		t_sig = now_ms();
		kill(pid, timed_out ? SIGKILL : SIGINT);
		bool killed = timed_out;
		while (!exited) {
			double left = exit_s * 1e3 - (now_ms() - t_sig);
			if (left <= 0 && !killed) {
				kill(pid, SIGKILL);
				killed = true;
				timed_out = true;
				left = 10000;
			}
			struct pollfd p[2] = { { out_open ? out[0] : -1, POLLIN, 0 }, { pfd, POLLIN, 0 } };
			if (poll(p, 2, left > 0 ? (int)left + 1 : 1000) < 0 && errno != EINTR)
				break;
			if (p[0].revents)
				out_open = drain(out[0], NULL);
			if ((p[1].revents & POLLIN) && wait4(pid, &status, WNOHANG, &ru) == pid) {
				exited = true;
				t_exit = now_ms();
			}
		}
	}
	close(pfd);
	close(out[0]);

	/* 4. until every descendant (a detach helper) is gone */
	double t_detached = -1;
	alarm((unsigned)(detach_s > 1 ? detach_s : 1));
	for (;;) {
		pid_t r = waitpid(-1, NULL, 0);
		if (r > 0)
			continue;
		if (errno == ECHILD)
			t_detached = now_ms();
		break; /* ECHILD: all gone; EINTR: the alarm */
	}
	alarm(0);
	if (alarmed)
		timed_out = true;

	double base = t_sig >= 0 ? t_sig : t0;
	printf("ready=%.1f exit=%.1f detached=%.1f rss=%.1f cpu=%.0f run_rss=%.1f run_hwm=%.1f status=%d\n",
	       t_ready >= 0 ? t_ready - t0 : -1.0, t_exit >= 0 ? t_exit - base : -1.0,
	       t_detached >= 0 ? t_detached - base : -1.0, (double)ru.ru_maxrss / 1024.0, cpu, run_rss, run_hwm,
	       WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	if (wl_out) {
		char *save = NULL;
		for (char *l = strtok_r(wl_out, "\n", &save); l; l = strtok_r(NULL, "\n", &save))
			printf("wl: %s\n", l);
		free(wl_out);
	}
	return sc.seen && !timed_out ? 0 : 1;
}
