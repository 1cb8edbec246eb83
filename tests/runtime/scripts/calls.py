# Known calls for the python: runtime tests (tests/runtime/python.test):
# middle() 7 times, leaf() 10 times, one full collection. An argument waits that long first (-p).
import gc
import sys
import time


def leaf(n):
    return n + 1


def middle(n):
    return leaf(n) * 2


if len(sys.argv) > 1:
    time.sleep(float(sys.argv[1]))
for i in range(7):
    middle(i)
for i in range(3):
    leaf(i)
gc.collect()
