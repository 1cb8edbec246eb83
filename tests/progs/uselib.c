/* Calls into libstrobetest.so (linked, found through its rpath): lib_square(7), lib_sum of 1..4. */
#include <stdio.h>

int lib_square(int x);
long lib_sum(const int *v, int n);

int main(void)
{
	int v[] = { 1, 2, 3, 4 };
	printf("square=%d sum=%ld\n", lib_square(7), lib_sum(v, 4));
	return 0;
}
