/*
 * Target for the record tests (tests/runtime/records*.test): passes a
 * pointer to a struct with known contents to rec_point(), twice (a = -5,
 * then -4), a union to rec_union() and a struct of multi-dimensional arrays
 * and an array of structs to rec_grid(). The scripts declare the same
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

struct grid {
	int a;
	int m[2][3];
	char names[2][4];
	struct inner pts[2];
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

NOINLINE int rec_grid(struct grid *g)
{
	sink += g->a;
	return g->a;
}

int main(void)
{
	struct grid g;
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
	static struct point other = { .a = 42 };
	p.next = &other;
	for (int i = 0; i < 2; i++) {
		p.a += i;
		rec_point(&p);
	}
	n.u = 0x01020304;
	rec_union(&n);
	memset(&g, 0, sizeof(g));
	g.a = 1;
	for (int i = 0; i < 6; i++)
		g.m[i / 3][i % 3] = i + 10;
	strcpy(g.names[0], "ab");
	strcpy(g.names[1], "cd");
	g.pts[0].x = 1;
	g.pts[1].x = -2;
	g.pts[1].y = 9;
	rec_grid(&g);
	return 0;
}
