/*
 * User-space ELF helpers shared by the uprobe and usdt providers: finding a
 * binary or library like the dynamic loader does, reading function symbols,
 * translating virtual addresses to file offsets, splitting attach-point
 * text, and attaching a program through the perf uprobe PMU.
 */
#ifndef STROBE_UELF_H
#define STROBE_UELF_H

#include <gelf.h>
#include <limits.h>
#include <libelf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <strobe/perf_link.h>

/* Split "a:b:c" at unquoted colons into at most max parts (quotes removed). */
int uelf_split(const char *s, char **parts, int max);
void uelf_split_free(char **parts, int n);

/* An entry of /etc/ld.so.cache named name or name.so[.N...], x86-64 only. */
int uelf_ldcache_lookup(const char *cache, const char *name, char *out, size_t len);

/*
 * Resolve a uprobe target file: an absolute path (kept as is), a relative
 * one (made absolute), or a bare name looked up in ld.so.cache, the standard
 * library directories and $PATH. 0, or -ENOENT/-ENOEXEC.
 */
int uelf_resolve_path(const char *spec, char *out, size_t len);

/*
 * The process probes resolve against: pid (> 0), or -1 when there is none
 * or it is still a fork of strobe that has not exec'd (the -c child before
 * it is released): its maps would be strobe's own.
 */
int uelf_target_pid(int pid);

/* One file a BIN spec names: name as the process sees it (probe names), file as strobe opens it. */
struct uelf_file {
	char name[PATH_MAX];
	char file[PATH_MAX];
};

/*
 * The files a BIN spec names, for process pid (-1: none). With a pid, a bare
 * name is first looked up among the files the process maps (libc ->
 * /usr/lib/x86_64-linux-gnu/libc.so.6), paths are read through
 * /proc/PID/root when its root is not ours, a glob (`*`) matches the paths
 * of its mapped executable files (sorted), and a NULL spec is its
 * executable. Without one, a glob goes through glob(3) (`*` alone is refused:
 * it needs -p). 0 and *n >= 1, or -errno with msg set.
 */
int uelf_targets(const char *type, const char *spec, int pid, struct uelf_file **out, size_t *n,
		 char *msg, size_t len);

/* Open an ELF file for reading. */
int uelf_open(const char *path, int *fd, Elf **elf);
void uelf_close(int fd, Elf *elf);

struct uelf_sym {
	char *name;    /* without any @VERSION suffix */
	uint64_t addr; /* st_value */
	uint64_t size;
};

/*
 * Function symbols of .symtab and .dynsym, and of the .symtab in the
 * xz-compressed .gnu_debugdata ELF (MiniDebugInfo) of a stripped binary;
 * sorted by name, then address; unique (name, addr).
 */
int uelf_functions(Elf *elf, struct uelf_sym **out, size_t *n);
void uelf_functions_free(struct uelf_sym *v, size_t n);
/* Any symbol (object or function) named name, its st_value and st_size; false if absent. */
bool uelf_symbol(Elf *elf, const char *name, uint64_t *addr, uint64_t *size);
/*
 * uaddr(name) for a probe at target ("FILE:0xOFFSET..."): the symbol's
 * address and size; for a position-independent FILE (*relative), its
 * distance from the probed address instead. -ENOENT if it is absent.
 */
int uelf_probe_symbol(const char *target, const char *name, int64_t *addr, uint32_t *size, bool *relative);

/* The file offset of a virtual address, through the PT_LOAD program headers. */
int uelf_vaddr_to_offset(Elf *elf, uint64_t vaddr, uint64_t *off);

/* perf uprobe PMU attach into *out; strobe_perf_detach() (perf_link.h) undoes it. */
int uelf_attach(const char *path, uint64_t offset, uint64_t ref_ctr_offset, bool retprobe,
		int pid, int prog_fd, uint64_t cookie, struct strobe_perf_fd *out, char *err,
		size_t errlen);

#endif
