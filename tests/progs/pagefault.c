/*
 * Touch fresh anonymous pages so that the kernel takes page faults:
 *   pagefault [PAGES]   (default 2000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long pages = argc > 1 ? atol(argv[1]) : 2000;
	long psz = sysconf(_SC_PAGESIZE);
	if (pages <= 0 || psz <= 0)
		return 2;
	size_t len = (size_t)pages * (size_t)psz;
	volatile char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	/* one fault per page: with transparent huge pages "always" (Debian's 6.1) a
	 * 2 MiB-aligned stretch would fault once */
	madvise((void *)p, len, MADV_NOHUGEPAGE);
	for (size_t off = 0; off < len; off += (size_t)psz)
		p[off] = 1;
	munmap((void *)p, len);
	return 0;
}
