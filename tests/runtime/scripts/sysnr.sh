#!/bin/sh
# sysnr.sh NAME: this architecture's number for syscall NAME, from the C library's headers,
# so that tests reading __syscall_nr hold on any architecture.
printf '#include <sys/syscall.h>\nSYS_%s\n' "$1" | ${CC:-cc} -E -P -x c - | tail -n 1
