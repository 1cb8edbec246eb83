/*
 * Target for the USDT runtime tests. Every probe has a semaphore (the
 * sys/sdt.h semaphore mode is per file); `guarded` fires only when its
 * semaphore is set, and the program prints whether it was.
 * Probes, once each in this order (x = 7 unless argv[1] gives it):
 *   strobe:regs    arguments in registers: 1-, 2-, 4- and 8-byte, signed and unsigned
 *   strobe:consts  immediates: $5, $-1, $0x1234
 *   strobe:stack   memory at %rbp/%rsp + displacement (volatile locals)
 *   strobe:indexed memory at base + index * scale (an array element)
 *   strobe:global  rip-relative memory (a global variable)
 *   strobe:multi   two locations (fires with 1, then 2)
 *   strobe:guarded only when armed; arg0 = 99
 * then report(armed) prints and returns whether the semaphore was set.
 * Usage: usdt_target [X [wait]]; with "wait", the probes fire only after a
 * byte (or EOF) is read from stdin (for -p).
 */
#define _SDT_HAS_SEMAPHORES 1
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/sdt.h>

#define SEMA(p, n) __extension__ unsigned short p##_##n##_semaphore __attribute__((section(".probes"), used))
SEMA(strobe, regs);
SEMA(strobe, consts);
SEMA(strobe, stack);
SEMA(strobe, indexed);
SEMA(strobe, global);
SEMA(strobe, multi);
SEMA(strobe, guarded);

#define NOINLINE __attribute__((noinline, noipa))

long global_counter = 123456789012l;
int table[8] = { 10, 11, 12, 13, 14, 15, 16, 17 };

NOINLINE void regs(signed char a, unsigned short b, int c, unsigned long d, long e)
{
	STAP_PROBE5(strobe, regs, a, b, c, d, e);
}

NOINLINE void consts(void)
{
	STAP_PROBE3(strobe, consts, 5, -1, 0x1234);
}

NOINLINE void stack(int x)
{
	volatile int local = x * 3;
	volatile long wide = -(long)x * 1000000000l;
	volatile short tiny = (short)-x;
	STAP_PROBE3(strobe, stack, local, wide, tiny);
}

NOINLINE void indexed(int i)
{
	volatile int arr[8];
	for (int k = 0; k < 8; k++)
		arr[k] = 100 + k;
	STAP_PROBE2(strobe, indexed, arr[i], table[i]);
}

NOINLINE void global(void)
{
	STAP_PROBE2(strobe, global, global_counter, table[3]);
}

NOINLINE void multi(int which)
{
	if (which == 1)
		STAP_PROBE1(strobe, multi, 1);
	else
		STAP_PROBE1(strobe, multi, 2);
}

/* uretprobe:...:report sees whether strobe:guarded was armed. */
NOINLINE int report(int armed)
{
	printf("semaphore=%d\n", armed);
	return armed;
}

int main(int argc, char **argv)
{
	int x = argc > 1 ? atoi(argv[1]) : 7;
	if (argc > 2 && !strcmp(argv[2], "wait")) {
		/* for -p: start, let the tracer attach, then go on a byte (or EOF) on stdin */
		printf("waiting\n");
		fflush(stdout);
		alarm(30); /* a test whose tracer never started must not leave it behind */
		(void)getchar();
	}
	regs((signed char)-x, 65000, -x * 1000, 0xfffffffffffffff0ul, -1234567890123l);
	consts();
	stack(x);
	indexed(x % 8);
	global();
	multi(1);
	multi(2);
	int armed = strobe_guarded_semaphore != 0;
	if (armed)
		STAP_PROBE1(strobe, guarded, 99);
	report(armed);
	return 0;
}
