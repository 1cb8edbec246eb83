/* Known syscalls for the scale tests: getppid() 100 times, getpgrp() 50 times. */
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
	for (int i = 0; i < 100; i++)
		syscall(SYS_getppid);
	for (int i = 0; i < 50; i++)
		syscall(SYS_getpgrp);
	return 0;
}
