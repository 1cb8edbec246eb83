/* libstrobetest.so: a shared library for the uprobe and usdt tests (tests/progs/uselib). */
#include <sys/sdt.h>

#define API __attribute__((visibility("default"), noinline, noipa))

API int lib_square(int x)
{
	DTRACE_PROBE1(strobelib, square, x);
	return x * x;
}

API long lib_sum(const int *v, int n)
{
	long s = 0;
	for (int i = 0; i < n; i++)
		s += v[i];
	return s;
}
