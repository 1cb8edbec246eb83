/*
 * Known syscalls for the scale tests: getppid() 100 times, getpgrp() 50 times.
 * getpgrp is a system call of x86-64 only (arm64 has getpgid alone): elsewhere
 * getpgid(0), and the tests that name sys_enter_getpgrp are gated to x86-64.
 */
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	for (int i = 0; i < 100; i++)
		syscall(SYS_getppid);
	for (int i = 0; i < 50; i++)
#ifdef SYS_getpgrp
		syscall(SYS_getpgrp);
#else
		syscall(SYS_getpgid, 0);
#endif
	return 0;
}
