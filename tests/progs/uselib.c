/*
 * Calls into libstrobetest.so (linked, found through its rpath): lib_square(7), lib_sum of 1..4.
 * Usage: uselib [wait]; with "wait", only after reading a byte (or EOF) from stdin (for -p).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int lib_square(int x);
long lib_sum(const int *v, int n);

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "wait")) {
		alarm(30); /* a test whose tracer never started must not leave it behind */
		(void)getchar();
	}
	int v[] = { 1, 2, 3, 4 };
	printf("square=%d sum=%ld\n", lib_square(7), lib_sum(v, 4));
	return 0;
}
