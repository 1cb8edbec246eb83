/*
 * CPU-bound target for the flame graph tests: for argv[1] seconds (default
 * 2), main calls hot_fn for about nine tenths of the time and cold_fn for the
 * rest; then it sleeps argv[2] seconds (default 2), so that its addresses can
 * still be symbolised when the maps print. Built with frame pointers, so
 * ustack walks hot_fn -> main (gcc leaves the frame pointer out of leaf
 * functions; asking for the frame's address keeps it).
 */
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noipa, used))

volatile unsigned long sink;

NOINLINE void hot_fn(void)
{
	sink += (unsigned long)__builtin_frame_address(0) & 1;
	for (unsigned long i = 0; i < 900000; i++)
		sink += i * i;
}

NOINLINE void cold_fn(void)
{
	sink += (unsigned long)__builtin_frame_address(0) & 1;
	for (unsigned long i = 0; i < 100000; i++)
		sink += i * i;
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 2;
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		hot_fn();
		cold_fn();
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 < secs);
	sleep(argc > 2 ? (unsigned)atoi(argv[2]) : 2);
	return 0;
}
