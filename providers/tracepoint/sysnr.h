/*
 * Syscall numbers for dispatching syscalls:sys_{enter,exit}_X through
 * raw_syscalls:sys_{enter,exit} (tracepoint.c). The kernel does not publish
 * the number of a syscall tracepoint in tracefs, so the table comes from
 * <asm/unistd_64.h> (linux-libc-dev), embedded at build time (sysnr_table.c,
 * or $STROBE_SYSCALL_HEADER at run time), plus the x86-64 syscalls newer
 * than the header and the tracepoints named after the kernel function
 * rather than the syscall (sys_enter_newstat is __NR_stat). A name the
 * table does not know is simply not dispatched: it keeps its own tracepoint.
 */
#ifndef TP_SYSNR_H
#define TP_SYSNR_H

#include <stddef.h>

struct sysnr_entry {
	char *name; /* "openat" */
	int nr;
};

struct sysnr_table {
	struct sysnr_entry *v; /* sorted by name */
	size_t n;
};

/*
 * Parse `#define __NR_<name> <number>` lines (others are ignored, as are
 * numbers that are not plain decimals). Returns 0 or -ENOMEM; on failure
 * *out is empty.
 */
int sysnr_parse(const char *text, struct sysnr_table *out);
/*
 * The number of the syscall whose tracepoints are sys_enter_<event> and
 * sys_exit_<event>, or -1: the parsed table first, then the built-in
 * x86-64 additions and renames (none on other architectures).
 */
int sysnr_lookup(const struct sysnr_table *t, const char *event);
void sysnr_release(struct sysnr_table *t);

/* The embedded header's #define lines (sysnr_table.c); "" if there was none. */
extern const char sysnr_builtin_text[];

#endif
