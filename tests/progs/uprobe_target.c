/*
 * Target for the uprobe runtime tests: functions with known arguments and
 * return values, called once each (fact recursively), in a fixed order,
 * then malloc(12345).
 * Usage: uprobe_target [N [wait]]   runs the calls N times (default 1);
 * with "wait", only after reading a byte (or EOF) from stdin.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noipa, used))

volatile long sink;

/* read by uaddr() tests */
volatile long uaddr_long = 0x1122334455667788l;
volatile int uaddr_int = -7;
const char *volatile uaddr_str = "from a global pointer";

NOINLINE int add3(int a, int b, int c)
{
	return a + b + c;
}

NOINLINE long six_args(long a, unsigned char b, short c, int d, long e, unsigned long f)
{
	return a + b + c + d + e + (long)f;
}

/* the last two on the stack (x86-64): sarg0 and sarg1 */
NOINLINE long eight_args(long a, long b, long c, long d, long e, long f, long g, long h)
{
	return a + b + c + d + e + f + g + h;
}

NOINLINE int negate(int x)
{
	return -x;
}

NOINLINE const char *greet(const char *who)
{
	static char msg[32]; /* written here, so resident when uretprobe reads it */
	sink = (long)strlen(who);
	strcpy(msg, "hello from greet");
	return msg;
}

NOINLINE int fact(int n)
{
	return n <= 1 ? 1 : n * fact(n - 1);
}

NOINLINE void nothing(void)
{
	sink++;
}

/* Three functions for wildcard counts: uprobe:...:fn_* matches exactly these. */
NOINLINE int fn_one(void)
{
	return 1;
}

NOINLINE int fn_two(void)
{
	return 2;
}

NOINLINE int fn_three(void)
{
	return 3;
}

NOINLINE unsigned long big(void)
{
	return 0xfedcba9876543210ul;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 1;
	long total = 0;
	sink = (long)strlen(uaddr_str); /* its page resident for the tracer's read */
	if (argc > 2 && !strcmp(argv[2], "wait")) {
		/* for -p: start, let the tracer attach, then go on a byte (or EOF) on stdin */
		printf("waiting\n");
		fflush(stdout);
		alarm(120); /* a test whose tracer never started must not leave it behind (TCG guests are slow) */
		(void)getchar();
	}
	for (int i = 0; i < n; i++) {
		total += add3(1, 2, 3);
		total += six_args(-1, 200, -300, 40000, 5000000000l, 6);
		total += negate(42);
		total += eight_args(1, 2, 3, 4, 5, 6, 70, 80) - 171; /* 0: total= stays as the tests know it */
		char who[] = "strobe"; /* on the stack: resident when greet() is entered */
		total += (long)strlen(greet(who));
		total += fact(5);
		nothing();
		total += (long)(big() & 1);
		total += fn_one() + fn_two() + fn_three();
		sink = (long)malloc(12345); /* uprobe:libc:malloc sees 12345 */
		free((void *)sink);
	}
	printf("total=%ld\n", total);
	return 0;
}
