/* Run a command N times; print median/min/max wall ms and peak RSS MiB (wait4). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: measure RUNS cmd [args...]\n");
		return 2;
	}
	int runs = atoi(argv[1]);
	double *ms = calloc((size_t)runs, sizeof(*ms)), *rss = calloc((size_t)runs, sizeof(*rss));
	for (int i = 0; i < runs; i++) {
		struct timespec a, b;
		clock_gettime(CLOCK_MONOTONIC, &a);
		pid_t pid = fork();
		if (pid == 0) {
			int fd = open("/dev/null", O_WRONLY);
			dup2(fd, 1);
			dup2(fd, 2);
			execvp(argv[2], argv + 2);
			_exit(127);
		}
		int st;
		struct rusage ru;
		wait4(pid, &st, 0, &ru);
		clock_gettime(CLOCK_MONOTONIC, &b);
		ms[i] = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
		rss[i] = (double)ru.ru_maxrss / 1024.0;
	}
	qsort(ms, (size_t)runs, sizeof(*ms), cmp);
	qsort(rss, (size_t)runs, sizeof(*rss), cmp);
	printf("%.1f %.1f %.1f %.1f\n", ms[runs / 2], ms[0], ms[runs - 1], rss[runs / 2]);
	return 0;
}
