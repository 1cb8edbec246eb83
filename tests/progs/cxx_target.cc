// Target for the C++ uprobe tests: namespaced functions, an overload, a
// method and a template, called once each in this order:
//   strobe_ns::add(1, 2), strobe_ns::add(1.5), strobe_ns::Widget::twice(21),
//   strobe_ns::inner::scale<int>(4), plain_c(5)
// Usage: cxx_target [wait]; with "wait", only after reading a byte (or EOF) from stdin.
#include <cstdio>
#include <cstring>

#define NOINLINE __attribute__((noinline, noipa, used))

volatile long sink;

namespace strobe_ns {
NOINLINE int add(int a, int b)
{
	return a + b;
}

NOINLINE double add(double a)
{
	return a + 1;
}

struct Widget {
	int base;
	NOINLINE int twice(int x)
	{
		return 2 * x + base;
	}
};

namespace inner {
template <typename T> NOINLINE T scale(T x)
{
	return x * 3;
}
template int scale<int>(int);
} // namespace inner
} // namespace strobe_ns

extern "C" NOINLINE int plain_c(int x)
{
	return x + 100;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "wait"))
		(void)getchar();
	strobe_ns::Widget w{ 0 };
	long total = strobe_ns::add(1, 2);
	total += (long)strobe_ns::add(1.5);
	total += w.twice(21);
	total += strobe_ns::inner::scale<int>(4);
	total += plain_c(5);
	sink = total;
	std::printf("total=%ld\n", total);
	return 0;
}
