/*
 * 32-bit syscalls from a 64-bit process: `int $0x80` runs the i386 syscall
 * table (TS_COMPAT). i386 getpid is 20, which is writev on x86-64, so a
 * tracer that mistakes raw_syscalls numbers for x86-64 ones would report
 * sys_enter_writev. Then 7 native getppid() calls as a marker.
 */
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	long ok = 0;
#if defined(__x86_64__)
	for (int i = 0; i < 10; i++) {
		long ret = 20; /* __NR_getpid in the i386 table */
		__asm__ volatile("int $0x80" : "+a"(ret) : : "memory", "r8", "r9", "r10", "r11");
		ok += ret == getpid();
	}
#endif
	for (int i = 0; i < 7; i++)
		syscall(SYS_getppid);
	printf("compat getpid calls: %ld\n", ok);
	return 0;
}
