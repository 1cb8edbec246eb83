/*
 * workload: call getppid() in a tight loop and report the cost per call.
 *
 *   workload -n MILLIONS      make that many calls
 *   workload -t SECONDS       call for that long
 *
 * Prints "ns_per_op=.. calls=.. secs=.. pid=..". The raw syscall is used so
 * nothing in libc can short-cut it.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	double millions = 0, secs = 0;
	int c;
	while ((c = getopt(argc, argv, "n:t:")) != -1) {
		switch (c) {
		case 'n': millions = atof(optarg); break;
		case 't': secs = atof(optarg); break;
		default:
			fprintf(stderr, "usage: workload -n MILLIONS | -t SECONDS\n");
			return 2;
		}
	}
	if ((millions <= 0) == (secs <= 0)) {
		fprintf(stderr, "usage: workload -n MILLIONS | -t SECONDS\n");
		return 2;
	}
	unsigned long calls = 0;
	double t0 = now_s(), t1;
	if (millions > 0) {
		unsigned long n = (unsigned long)(millions * 1e6);
		for (; calls < n; calls++)
			syscall(SYS_getppid);
		t1 = now_s();
	} else {
		for (;;) {
			for (int i = 0; i < 4096; i++)
				syscall(SYS_getppid);
			calls += 4096;
			t1 = now_s();
			if (t1 - t0 >= secs)
				break;
		}
	}
	printf("ns_per_op=%.1f calls=%lu secs=%.3f pid=%d\n", (t1 - t0) * 1e9 / (double)calls, calls, t1 - t0,
	       (int)getpid());
	return 0;
}
