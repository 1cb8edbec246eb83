/*
 * A python interpreter of our own for the python: tests: CPython's main()
 * (Py_BytesMain) linked from libpython3.11.so, so this binary has no USDT
 * probes and the library it loads (DT_NEEDED, found through ld.so.cache or
 * its RUNPATH $ORIGIN) has them, as an interpreter built with
 * --enable-shared or a program embedding python.
 */
int Py_BytesMain(int argc, char **argv);

int main(int argc, char **argv)
{
	return Py_BytesMain(argc, argv);
}
