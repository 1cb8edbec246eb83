/* SPDX-License-Identifier: MIT */
/*
 * The libpython an interpreter loads, found without running it: an
 * interpreter built with --enable-shared (or a program embedding python,
 * Py_BytesMain) has CPython's probes in libpython3.X.so, not in itself.
 * Its DT_NEEDED is looked up in the order of the dynamic loader (ld.so(8)):
 * DT_RPATH unless there is a DT_RUNPATH, LD_LIBRARY_PATH, DT_RUNPATH,
 * /etc/ld.so.cache, the standard directories. 64-bit ELF of this byte order.
 */
#define _GNU_SOURCE
#include "libpython.h"

#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_PHDRS 512
#define MAX_DYN (64 * 1024)
#define MAX_STRTAB (1024 * 1024)
#define MAX_CACHE (32 * 1024 * 1024)

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HOST_DATA ELFDATA2LSB
#else
#define HOST_DATA ELFDATA2MSB
#endif

static bool pread_all(int fd, void *buf, size_t len, off_t off)
{
	size_t got = 0;
	while (got < len) {
		ssize_t n = pread(fd, (char *)buf + got, len - got, off + (off_t)got);
		if (n <= 0)
			return false;
		got += (size_t)n;
	}
	return true;
}

static bool read_ehdr(int fd, Elf64_Ehdr *eh)
{
	return pread_all(fd, eh, sizeof(*eh), 0) && !memcmp(eh->e_ident, ELFMAG, SELFMAG) &&
	       eh->e_ident[EI_CLASS] == ELFCLASS64 && eh->e_ident[EI_DATA] == HOST_DATA;
}

/* The machine of ELF file path, 0 if it is none (or not readable). */
static uint16_t elf_machine(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	Elf64_Ehdr eh;
	uint16_t m = read_ehdr(fd, &eh) ? eh.e_machine : 0;
	close(fd);
	return m;
}

/* What the dynamic section of a file says: its DT_NEEDED, DT_RPATH and DT_RUNPATH. */
struct dyn {
	uint16_t machine;
	char *strtab; /* NUL-terminated at strsz */
	size_t strsz;
	uint64_t needed[64];
	size_t nneeded;
	int64_t rpath, runpath; /* offsets in strtab, or -1 */
};

static const char *dyn_str(const struct dyn *d, int64_t off)
{
	return off >= 0 && (uint64_t)off < d->strsz ? d->strtab + off : NULL;
}

static bool read_dyn(const char *path, struct dyn *d)
{
	memset(d, 0, sizeof(*d));
	d->rpath = d->runpath = -1;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	Elf64_Ehdr eh;
	Elf64_Phdr *ph = NULL;
	Elf64_Dyn *dyn = NULL;
	bool ok = false;
	if (!read_ehdr(fd, &eh) || eh.e_phentsize != sizeof(Elf64_Phdr) || !eh.e_phnum || eh.e_phnum > MAX_PHDRS)
		goto out;
	d->machine = eh.e_machine;
	ph = calloc(eh.e_phnum, sizeof(*ph));
	if (!ph || !pread_all(fd, ph, eh.e_phnum * sizeof(*ph), (off_t)eh.e_phoff))
		goto out;
	const Elf64_Phdr *dp = NULL;
	for (size_t i = 0; i < eh.e_phnum; i++)
		if (ph[i].p_type == PT_DYNAMIC)
			dp = &ph[i];
	if (!dp) {
		ok = true; /* static: needs nothing */
		goto out;
	}
	size_t n = (dp->p_filesz < MAX_DYN ? dp->p_filesz : MAX_DYN) / sizeof(Elf64_Dyn);
	dyn = calloc(n ? n : 1, sizeof(*dyn));
	if (!dyn || !pread_all(fd, dyn, n * sizeof(*dyn), (off_t)dp->p_offset))
		goto out;
	uint64_t strtab = 0;
	for (size_t i = 0; i < n && dyn[i].d_tag != DT_NULL; i++) {
		switch (dyn[i].d_tag) {
		case DT_NEEDED:
			if (d->nneeded < sizeof(d->needed) / sizeof(d->needed[0]))
				d->needed[d->nneeded++] = dyn[i].d_un.d_val;
			break;
		case DT_STRTAB:
			strtab = dyn[i].d_un.d_ptr;
			break;
		case DT_STRSZ:
			d->strsz = dyn[i].d_un.d_val;
			break;
		case DT_RPATH:
			d->rpath = (int64_t)dyn[i].d_un.d_val;
			break;
		case DT_RUNPATH:
			d->runpath = (int64_t)dyn[i].d_un.d_val;
			break;
		}
	}
	/* DT_STRTAB is an address: the file offset is that of the PT_LOAD holding it */
	off_t off = -1;
	for (size_t i = 0; i < eh.e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && strtab >= ph[i].p_vaddr && strtab < ph[i].p_vaddr + ph[i].p_filesz)
			off = (off_t)(strtab - ph[i].p_vaddr + ph[i].p_offset);
	if (off < 0 || !d->strsz || d->strsz > MAX_STRTAB)
		goto out;
	d->strtab = malloc(d->strsz + 1);
	if (!d->strtab || !pread_all(fd, d->strtab, d->strsz, off))
		goto out;
	d->strtab[d->strsz] = '\0';
	ok = true;
out:
	free(ph);
	free(dyn);
	close(fd);
	if (!ok) {
		free(d->strtab);
		d->strtab = NULL;
	}
	return ok;
}

/* dir/name, if it is an ELF file of machine; $ORIGIN and ${ORIGIN} in dir are origin. */
static bool try_dir(const char *dir, size_t dlen, const char *name, const char *origin, uint16_t machine,
		    char *out, size_t len)
{
	char path[PATH_MAX];
	size_t o = 0;
	for (size_t i = 0; i < dlen && o < sizeof(path) - 1;) {
		const char *tok = !strncmp(dir + i, "$ORIGIN", 7) ? "$ORIGIN" : !strncmp(dir + i, "${ORIGIN}", 9) ? "${ORIGIN}" : NULL;
		if (tok) {
			o += (size_t)snprintf(path + o, sizeof(path) - o, "%s", origin);
			i += strlen(tok);
		} else if (dir[i] == '$') {
			return false; /* $LIB, $PLATFORM: not expanded here */
		} else {
			path[o++] = dir[i++];
		}
	}
	if (o >= sizeof(path) - 1)
		return false;
	path[o] = '\0';
	if (snprintf(out, len, "%s/%s", path, name) >= (int)len)
		return false;
	return elf_machine(out) == machine;
}

/* The first directory of a ':' or ';' separated list holding name. */
static bool try_list(const char *list, const char *name, const char *origin, uint16_t machine, char *out,
		     size_t len)
{
	for (const char *p = list; p && *p;) {
		size_t n = strcspn(p, ":;");
		if (n && try_dir(p, n, name, origin, machine, out, len))
			return true;
		p += n;
		if (*p)
			p++;
	}
	return false;
}

static uint32_t get32(const unsigned char *p)
{
	uint32_t v;
	memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * /etc/ld.so.cache (glibc's "glibc-ld.so.cache1.1", alone or after the old
 * "ld.so-1.7.0" table): a 48-byte header (nlibs at 20), 24-byte entries
 * (key at 4, value at 8: string offsets from the header).
 */
static bool try_cache(const char *name, uint16_t machine, char *out, size_t len)
{
	static const char magic[] = "glibc-ld.so.cache1.1";
	int fd = open("/etc/ld.so.cache", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	struct stat st;
	unsigned char *buf = NULL;
	bool found = false;
	if (fstat(fd, &st) < 0 || st.st_size < 48 || st.st_size > MAX_CACHE)
		goto out;
	size_t size = (size_t)st.st_size;
	buf = malloc(size + 1);
	if (!buf || !pread_all(fd, buf, size, 0))
		goto out;
	buf[size] = '\0';
	size_t hdr = 0;
	if (!memcmp(buf, "ld.so-1.7.0", 11)) {
		size_t old = 16 + (size_t)get32(buf + 12) * 12;
		hdr = (old + 7) & ~(size_t)7;
		if (hdr + 48 > size || memcmp(buf + hdr, magic, sizeof(magic) - 1))
			hdr = (old + 3) & ~(size_t)3;
	}
	if (hdr + 48 > size || memcmp(buf + hdr, magic, sizeof(magic) - 1))
		goto out;
	uint32_t nlibs = get32(buf + hdr + 20);
	for (size_t i = 0; i < nlibs && !found; i++) {
		size_t e = hdr + 48 + i * 24;
		if (e + 24 > size)
			break;
		size_t key = hdr + get32(buf + e + 4), value = hdr + get32(buf + e + 8);
		if (key >= size || value >= size || strcmp((const char *)buf + key, name))
			continue;
		found = snprintf(out, len, "%s", (const char *)buf + value) < (int)len &&
			elf_machine(out) == machine;
	}
out:
	free(buf);
	close(fd);
	return found;
}

static bool try_default(const char *name, uint16_t machine, char *out, size_t len)
{
	const char *triplet = machine == EM_X86_64 ? "x86_64-linux-gnu" : machine == EM_AARCH64 ? "aarch64-linux-gnu" : NULL;
	char dirs[160];
	if (triplet)
		snprintf(dirs, sizeof(dirs), "/lib/%s:/usr/lib/%s:/lib64:/usr/lib64:/lib:/usr/lib", triplet, triplet);
	else
		snprintf(dirs, sizeof(dirs), "/lib64:/usr/lib64:/lib:/usr/lib");
	return try_list(dirs, name, "", machine, out, len);
}

int py_needed_libpython(const char *bin, char *out, size_t len)
{
	struct dyn d;
	if (!read_dyn(bin, &d))
		return 0;
	const char *name = NULL;
	for (size_t i = 0; i < d.nneeded && !name; i++) {
		const char *s = dyn_str(&d, (int64_t)d.needed[i]);
		if (s && !strncmp(s, "libpython", 9))
			name = s;
	}
	int ret = 0;
	if (name) {
		char origin[PATH_MAX];
		snprintf(origin, sizeof(origin), "%s", bin);
		char *slash = strrchr(origin, '/');
		if (slash)
			*slash = '\0';
		const char *runpath = dyn_str(&d, d.runpath), *rpath = dyn_str(&d, d.rpath);
		bool found;
		if (strchr(name, '/'))
			found = snprintf(out, len, "%s", name) < (int)len && elf_machine(out) == d.machine;
		else
			found = (!runpath && rpath && try_list(rpath, name, origin, d.machine, out, len)) ||
				try_list(getenv("LD_LIBRARY_PATH"), name, origin, d.machine, out, len) ||
				(runpath && try_list(runpath, name, origin, d.machine, out, len)) ||
				try_cache(name, d.machine, out, len) || try_default(name, d.machine, out, len);
		if (found) {
			char real[PATH_MAX];
			if (realpath(out, real))
				snprintf(out, len, "%s", real);
			ret = 1;
		} else {
			snprintf(out, len, "%s", name);
			ret = -1;
		}
	}
	free(d.strtab);
	return ret;
}

bool py_version_of(const char *path, int *major, int *minor)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	if (!strncmp(base, "lib", 3))
		base += 3;
	if (strncmp(base, "python", 6))
		return false;
	char *end;
	long ma = strtol(base + 6, &end, 10);
	if (end == base + 6 || *end != '.')
		return false;
	const char *mi_s = end + 1;
	long mi = strtol(mi_s, &end, 10);
	if (end == mi_s || ma < 0 || ma > 99 || mi < 0 || mi > 999)
		return false;
	*major = (int)ma;
	*minor = (int)mi;
	return true;
}
