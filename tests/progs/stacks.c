/*
 * Target for the stack and symbol tests: main -> outer_fn -> middle_fn ->
 * inner_fn, which makes one getppid() syscall; then it stays alive for a
 * second, so that its addresses can still be symbolised from /proc/PID/maps.
 */
#include <sys/syscall.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline, noipa, used))

volatile long sink;

NOINLINE long inner_fn(long x)
{
	sink = syscall(SYS_getppid);
	return x + 1;
}

NOINLINE long middle_fn(long x)
{
	return inner_fn(x * 2) + 1;
}

NOINLINE long outer_fn(long x)
{
	return middle_fn(x + 3) + 1;
}

int main(void)
{
	sink = outer_fn(1);
	sleep(1);
	return 0;
}
