/*
 * Target for the record tests (tests/runtime/records*.test): passes a
 * pointer to a struct with known contents to rec_point(), twice (a = -5,
 * then -4), and a union to rec_union(). The scripts declare the same
 * types and read them from this process's memory through uprobes.
 */
#include <string.h>

#define NOINLINE __attribute__((noinline, noipa, used))

struct inner {
	short x;
	unsigned char y;
};

struct point {
	int a;
	long b;
	char name[8];
	struct inner in;
	int arr[3];
	unsigned int f1 : 3;
	int f2 : 5;
	struct point *next;
};

union num {
	unsigned int u;
	unsigned char bytes[4];
};

volatile long sink;

NOINLINE int rec_point(struct point *p)
{
	sink += p->a;
	return p->a;
}

NOINLINE int rec_union(union num *n)
{
	sink += n->u;
	return (int)n->u;
}

int main(void)
{
	struct point p;
	union num n;
	memset(&p, 0, sizeof(p));
	p.a = -5;
	p.b = 1234567890123L;
	strcpy(p.name, "hi");
	p.in.x = -3;
	p.in.y = 200;
	p.arr[0] = 7;
	p.arr[1] = 8;
	p.arr[2] = 9;
	p.f1 = 5;
	p.f2 = -3;
	p.next = (struct point *)0x10;
	for (int i = 0; i < 2; i++) {
		p.a += i;
		rec_point(&p);
	}
	n.u = 0x01020304;
	rec_union(&n);
	return 0;
}
