/* SPDX-License-Identifier: MIT */
/*
 * Where a python's probes live: the libpython an interpreter loads (its
 * DT_NEEDED, found as the dynamic loader finds it) and the version a file
 * is of (python3.11, libpython3.11.so.1.0).
 */
#ifndef PY_LIBPYTHON_H
#define PY_LIBPYTHON_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The DT_NEEDED of ELF file `bin` whose name starts with "libpython", as
 * the dynamic loader would find it: bin's DT_RPATH (when it has no
 * DT_RUNPATH), LD_LIBRARY_PATH, DT_RUNPATH ($ORIGIN expanded), ld.so.cache,
 * then the standard directories; only a file of bin's machine.
 * 1: found, its path in out; 0: bin needs no libpython (or is no ELF file);
 * -1: needed but not found, its name in out.
 */
int py_needed_libpython(const char *bin, char *out, size_t len);

/* The python version a file's name gives: "python3.11", "libpython3.11.so.1.0" -> 3, 11. */
bool py_version_of(const char *path, int *major, int *minor);

#endif
