/* User-space ELF helpers shared by the uprobe and usdt providers (see uelf.h). */
#include "uelf.h"

#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <glob.h>
#include <limits.h>
#include <linux/perf_event.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- attach-point text ---------------------------------------------- */

void uelf_split_free(char **parts, int n)
{
	for (int i = 0; i < n; i++)
		free(parts[i]);
}

int uelf_split(const char *s, char **parts, int max)
{
	int n = 0;
	size_t len = strlen(s);
	char *cur = malloc(len + 1);
	if (!cur)
		return -ENOMEM;
	size_t k = 0;
	bool quoted = false;
	for (const char *p = s;; p++) {
		if (*p == '"') {
			quoted = !quoted;
			continue;
		}
		if (*p && (*p != ':' || quoted)) {
			cur[k++] = *p;
			continue;
		}
		if (n == max) {
			free(cur);
			uelf_split_free(parts, n);
			return -E2BIG;
		}
		cur[k] = '\0';
		parts[n] = strdup(cur);
		if (!parts[n]) {
			free(cur);
			uelf_split_free(parts, n);
			return -ENOMEM;
		}
		n++;
		k = 0;
		if (!*p)
			break;
	}
	free(cur);
	if (quoted) {
		uelf_split_free(parts, n);
		return -EINVAL;
	}
	return n;
}

/* ---- finding files ---------------------------------------------------- */

#define LDCACHE_NEW_MAGIC "glibc-ld.so.cache1.1"
#define LDCACHE_OLD_MAGIC "ld.so-1.7.0"
#define LDCACHE_FLAG_ELF_LIBC6 0x0003
#define LDCACHE_FLAG_TYPE_MASK 0x00ff
#define LDCACHE_FLAG_REQUIRED_MASK 0xff00
#define LDCACHE_FLAG_X8664_LIB64 0x0300

struct ldcache_new_header {
	char magic[20]; /* "glibc-ld.so.cache" "1.1" */
	uint32_t nlibs;
	uint32_t len_strings;
	uint8_t flags;
	uint8_t pad[3];
	uint32_t extension_offset;
	uint32_t unused[3];
};

struct ldcache_new_entry {
	int32_t flags;
	uint32_t key, value; /* string offsets from the new header */
	uint32_t osversion;
	uint64_t hwcap;
};

/* "libc" matches "libc", "libc.so" and "libc.so.6" but not "libcap.so.2". */
static bool libname_matches(const char *name, const char *key)
{
	size_t n = strlen(name);
	if (strncmp(name, key, n))
		return false;
	return key[n] == '\0' || !strncmp(key + n, ".so", 3);
}

int uelf_ldcache_lookup(const char *cache, const char *name, char *out, size_t len)
{
	int fd = open(cache ? cache : "/etc/ld.so.cache", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	struct stat sb;
	if (fstat(fd, &sb) < 0 || sb.st_size < (off_t)sizeof(struct ldcache_new_header) ||
	    sb.st_size > (64 << 20)) {
		close(fd);
		return -ENOENT;
	}
	size_t size = (size_t)sb.st_size;
	char *buf = malloc(size + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	size_t got = 0;
	while (got < size) {
		ssize_t r = read(fd, buf + got, size - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	buf[got] = '\0';
	size = got;

	/* The old format (12-byte entries) may precede the new one. */
	size_t start = 0;
	if (size > 16 && !memcmp(buf, LDCACHE_OLD_MAGIC, strlen(LDCACHE_OLD_MAGIC))) {
		uint32_t nold;
		memcpy(&nold, buf + 12, 4);
		start = 16 + (size_t)nold * 12;
		start = (start + 7) & ~(size_t)7;
	}
	int ret = -ENOENT;
	if (start + sizeof(struct ldcache_new_header) > size ||
	    memcmp(buf + start, LDCACHE_NEW_MAGIC, strlen(LDCACHE_NEW_MAGIC)))
		goto out;
	struct ldcache_new_header h;
	memcpy(&h, buf + start, sizeof(h));
	size_t entries = start + sizeof(h);
	if (h.nlibs > (size - entries) / sizeof(struct ldcache_new_entry))
		goto out;
	for (uint32_t i = 0; i < h.nlibs; i++) {
		struct ldcache_new_entry e;
		memcpy(&e, buf + entries + i * sizeof(e), sizeof(e));
		if ((e.flags & LDCACHE_FLAG_TYPE_MASK) != LDCACHE_FLAG_ELF_LIBC6 ||
		    (e.flags & LDCACHE_FLAG_REQUIRED_MASK) != LDCACHE_FLAG_X8664_LIB64)
			continue;
		if (start + e.key >= size || start + e.value >= size)
			continue;
		const char *key = buf + start + e.key, *value = buf + start + e.value;
		if (!libname_matches(name, key))
			continue;
		if ((size_t)snprintf(out, len, "%s", value) >= len) {
			ret = -ENAMETOOLONG;
			goto out;
		}
		ret = 0;
		goto out;
	}
out:
	free(buf);
	return ret;
}

static bool is_regular(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && access(path, R_OK) == 0;
}

/* name, name.so or name.so.N in one directory. */
static bool find_in_dir(const char *dir, const char *name, char *out, size_t len)
{
	static const char *const suffixes[] = { "", ".so", ".so.0", ".so.1", ".so.2", ".so.3",
						".so.4", ".so.5", ".so.6", ".so.7", ".so.8" };
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		if ((size_t)snprintf(out, len, "%s/%s%s", dir, name, suffixes[i]) >= len)
			continue;
		if (is_regular(out))
			return true;
	}
	return false;
}

int uelf_resolve_path(const char *spec, char *out, size_t len)
{
	if (!spec || !*spec)
		return -ENOENT;
	if (strchr(spec, '/')) {
		if (spec[0] == '/') {
			if ((size_t)snprintf(out, len, "%s", spec) >= len)
				return -ENAMETOOLONG;
		} else {
			char abs[PATH_MAX];
			if (!realpath(spec, abs))
				return -ENOENT;
			if ((size_t)snprintf(out, len, "%s", abs) >= len)
				return -ENAMETOOLONG;
		}
		return is_regular(out) ? 0 : -ENOENT;
	}
	if (uelf_ldcache_lookup(NULL, spec, out, len) == 0 && is_regular(out))
		return 0;
	static const char *const dirs[] = { "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
					    "/lib64", "/usr/lib64", "/lib", "/usr/lib",
					    "/usr/local/lib" };
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
		if (find_in_dir(dirs[i], spec, out, len))
			return 0;
	/* An executable on $PATH: uprobe:bash:readline */
	const char *path = getenv("PATH");
	if (!path)
		path = "/usr/local/bin:/usr/bin:/bin";
	while (*path) {
		const char *colon = strchr(path, ':');
		size_t dlen = colon ? (size_t)(colon - path) : strlen(path);
		if (dlen && (size_t)snprintf(out, len, "%.*s/%s", (int)dlen, path, spec) < len &&
		    is_regular(out) && access(out, X_OK) == 0)
			return 0;
		path += dlen + (colon ? 1 : 0);
	}
	return -ENOENT;
}

/* ---- ELF ---------------------------------------------------------------- */

int uelf_open(const char *path, int *fdp, Elf **elfp)
{
	if (elf_version(EV_CURRENT) == EV_NONE)
		return -EINVAL;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
	if (!elf || elf_kind(elf) != ELF_K_ELF) {
		if (elf)
			elf_end(elf);
		close(fd);
		return -ENOEXEC;
	}
	*fdp = fd;
	*elfp = elf;
	return 0;
}

void uelf_close(int fd, Elf *elf)
{
	if (elf)
		elf_end(elf);
	if (fd >= 0)
		close(fd);
}

static int sym_cmp(const void *x, const void *y)
{
	const struct uelf_sym *a = x, *b = y;
	int c = strcmp(a->name, b->name);
	if (c)
		return c;
	return a->addr < b->addr ? -1 : a->addr > b->addr;
}

void uelf_functions_free(struct uelf_sym *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].name);
	free(v);
}

/* Calls fn for each defined symbol of .symtab and .dynsym; nonzero stops. */
typedef int (*sym_fn)(void *ctx, const GElf_Sym *sym, const char *name);

static int each_symbol(Elf *elf, sym_fn fn, void *ctx)
{
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		if (!gelf_getshdr(scn, &sh) || (sh.sh_type != SHT_SYMTAB && sh.sh_type != SHT_DYNSYM))
			continue;
		Elf_Data *data = elf_getdata(scn, NULL);
		if (!data || !sh.sh_entsize)
			continue;
		size_t n = sh.sh_size / sh.sh_entsize;
		for (size_t i = 0; i < n; i++) {
			GElf_Sym sym;
			if (!gelf_getsym(data, (int)i, &sym) || sym.st_shndx == SHN_UNDEF || !sym.st_name)
				continue;
			const char *name = elf_strptr(elf, sh.sh_link, sym.st_name);
			if (!name || !*name)
				continue;
			int r = fn(ctx, &sym, name);
			if (r)
				return r;
		}
	}
	return 0;
}

struct collect_ctx {
	struct uelf_sym *v;
	size_t n, cap;
};

static int collect_function(void *ctx, const GElf_Sym *sym, const char *name)
{
	struct collect_ctx *c = ctx;
	int type = GELF_ST_TYPE(sym->st_info);
	if ((type != STT_FUNC && type != STT_GNU_IFUNC) || !sym->st_value)
		return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 256;
		struct uelf_sym *v = realloc(c->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		c->v = v;
		c->cap = cap;
	}
	const char *at = strchr(name, '@');
	char *copy = at ? strndup(name, (size_t)(at - name)) : strdup(name);
	if (!copy)
		return -ENOMEM;
	c->v[c->n++] = (struct uelf_sym){ copy, sym->st_value, sym->st_size };
	return 0;
}

/*
 * MiniDebugInfo: stripped binaries (Fedora's, among others) may carry a
 * .gnu_debugdata section, an xz-compressed ELF holding the .symtab that
 * strip removed. Returns the decompressed image (malloc'd) or NULL.
 */
#define DEBUGDATA_MAX (256u << 20)

static void *read_gnu_debugdata(Elf *elf, size_t *len)
{
	size_t shstrndx;
	if (elf_getshdrstrndx(elf, &shstrndx))
		return NULL;
	Elf_Scn *scn = NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		GElf_Shdr sh;
		const char *name;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_PROGBITS ||
		    !(name = elf_strptr(elf, shstrndx, sh.sh_name)) || strcmp(name, ".gnu_debugdata"))
			continue;
		Elf_Data *data = elf_rawdata(scn, NULL);
		if (!data || !data->d_buf || !data->d_size)
			return NULL;
		lzma_stream strm = LZMA_STREAM_INIT;
		if (lzma_stream_decoder(&strm, UINT64_MAX, 0) != LZMA_OK)
			return NULL;
		size_t cap = data->d_size * 4 + 4096, n = 0;
		uint8_t *buf = malloc(cap);
		strm.next_in = data->d_buf;
		strm.avail_in = data->d_size;
		lzma_ret ret = LZMA_OK;
		while (buf && ret == LZMA_OK) {
			if (n == cap) {
				uint8_t *g = cap < DEBUGDATA_MAX ? realloc(buf, cap * 2) : NULL;
				if (!g) {
					free(buf);
					buf = NULL;
					break;
				}
				buf = g;
				cap *= 2;
			}
			strm.next_out = buf + n;
			strm.avail_out = cap - n;
			ret = lzma_code(&strm, LZMA_FINISH);
			n = cap - strm.avail_out;
		}
		lzma_end(&strm);
		if (ret != LZMA_STREAM_END) {
			free(buf);
			return NULL;
		}
		*len = n;
		return buf;
	}
	return NULL;
}

/* The function symbols of the .gnu_debugdata ELF, if there is one, into c. */
static int collect_debugdata(Elf *elf, struct collect_ctx *c)
{
	size_t len;
	void *img = read_gnu_debugdata(elf, &len);
	if (!img)
		return 0;
	int err = 0;
	Elf *mini = elf_memory(img, len);
	if (mini && elf_kind(mini) == ELF_K_ELF)
		err = each_symbol(mini, collect_function, c);
	if (mini)
		elf_end(mini);
	free(img);
	return err;
}

int uelf_functions(Elf *elf, struct uelf_sym **out, size_t *nout)
{
	struct collect_ctx c = { 0 };
	int err = each_symbol(elf, collect_function, &c);
	if (!err)
		err = collect_debugdata(elf, &c);
	if (err) {
		uelf_functions_free(c.v, c.n);
		return err;
	}
	if (c.n)
		qsort(c.v, c.n, sizeof(*c.v), sym_cmp);
	size_t k = 0;
	for (size_t i = 0; i < c.n; i++) {
		if (k && !strcmp(c.v[k - 1].name, c.v[i].name) && c.v[k - 1].addr == c.v[i].addr) {
			if (c.v[i].size > c.v[k - 1].size)
				c.v[k - 1].size = c.v[i].size;
			free(c.v[i].name);
			continue;
		}
		c.v[k++] = c.v[i];
	}
	*out = c.v;
	*nout = k;
	return 0;
}

struct find_ctx {
	const char *name;
	uint64_t addr, size;
	bool found;
};

static int find_symbol(void *ctx, const GElf_Sym *sym, const char *name)
{
	struct find_ctx *c = ctx;
	size_t n = strlen(c->name);
	if (strncmp(name, c->name, n) || (name[n] && name[n] != '@'))
		return 0;
	c->addr = sym->st_value;
	c->size = sym->st_size;
	c->found = true;
	return 1;
}

bool uelf_symbol(Elf *elf, const char *name, uint64_t *addr, uint64_t *size)
{
	struct find_ctx c = { .name = name };
	each_symbol(elf, find_symbol, &c);
	if (c.found) {
		*addr = c.addr;
		*size = c.size;
	}
	return c.found;
}

/*
 * The PT_LOAD segment holding x, a virtual address (by_offset false) or a
 * file offset; 0, -ENOENT or -ENOEXEC.
 */
static int load_segment(Elf *elf, uint64_t x, bool by_offset, GElf_Phdr *out)
{
	size_t n;
	if (elf_getphdrnum(elf, &n) != 0)
		return -ENOEXEC;
	for (size_t i = 0; i < n; i++) {
		GElf_Phdr ph;
		if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD)
			continue;
		uint64_t start = by_offset ? ph.p_offset : ph.p_vaddr, size = by_offset ? ph.p_filesz : ph.p_memsz;
		if (x >= start && x < start + size) {
			*out = ph;
			return 0;
		}
	}
	return -ENOENT;
}

/* The virtual address of a file offset. */
static int offset_to_vaddr(Elf *elf, uint64_t off, uint64_t *vaddr)
{
	GElf_Phdr ph;
	int err = load_segment(elf, off, true, &ph);
	if (!err)
		*vaddr = off - ph.p_offset + ph.p_vaddr;
	return err;
}

int uelf_probe_symbol(const char *target, const char *name, int64_t *addr, uint32_t *size, bool *relative)
{
	/* target: "FILE:0xOFFSET[:...]" as the uprobe and usdt providers add() it */
	const char *colon = strstr(target, ":0x");
	if (!colon)
		return -EINVAL;
	char *path = strndup(target, (size_t)(colon - target));
	uint64_t probe_off = strtoull(colon + 1, NULL, 16);
	if (!path)
		return -ENOMEM;
	int fd = -1;
	Elf *elf = NULL;
	int err = uelf_open(path, &fd, &elf);
	free(path);
	if (err < 0)
		return err;
	uint64_t sym_addr = 0, sym_size = 0, probe_vaddr = 0;
	GElf_Ehdr eh;
	if (!uelf_symbol(elf, name, &sym_addr, &sym_size) || !sym_addr) {
		err = -ENOENT;
	} else if (!gelf_getehdr(elf, &eh)) {
		err = -ENOEXEC;
	} else if (eh.e_type == ET_DYN) {
		/* loaded anywhere: the symbol's distance from the probed address */
		err = offset_to_vaddr(elf, probe_off, &probe_vaddr);
		*addr = (int64_t)(sym_addr - probe_vaddr);
		*relative = true;
	} else {
		*addr = (int64_t)sym_addr;
		*relative = false;
	}
	*size = sym_size > UINT32_MAX ? 0 : (uint32_t)sym_size;
	uelf_close(fd, elf);
	return err;
}

int uelf_vaddr_to_offset(Elf *elf, uint64_t vaddr, uint64_t *off)
{
	GElf_Phdr ph;
	int err = load_segment(elf, vaddr, false, &ph);
	if (!err)
		*off = vaddr - ph.p_vaddr + ph.p_offset;
	return err;
}

/* ---- attach ------------------------------------------------------------- */

static int read_sysfs_int(const char *path, const char *prefix, long *out)
{
	char buf[64];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -EINVAL;
	buf[n] = '\0';
	const char *p = buf;
	size_t plen = prefix ? strlen(prefix) : 0;
	if (plen && strncmp(p, prefix, plen))
		return -EINVAL;
	char *end;
	errno = 0;
	*out = strtol(p + plen, &end, 10);
	return errno || end == p + plen ? -EINVAL : 0;
}

int uelf_attach(const char *path, uint64_t offset, uint64_t ref_ctr_offset, bool retprobe,
		int pid, int prog_fd, uint64_t cookie, struct strobe_perf_fd *out, char *err,
		size_t errlen)
{
	static const char dev[] = "/sys/bus/event_source/devices/uprobe";
	long type, bit = 0;
	int e = read_sysfs_int("/sys/bus/event_source/devices/uprobe/type", NULL, &type);
	if (e) {
		snprintf(err, errlen, "the kernel has no uprobe PMU (%s/type: %s)", dev, strerror(-e));
		return e;
	}
	if (retprobe && (e = read_sysfs_int("/sys/bus/event_source/devices/uprobe/format/retprobe",
					    "config:", &bit))) {
		snprintf(err, errlen, "the kernel's uprobe PMU has no retprobe format: %s",
			 strerror(-e));
		return e;
	}
	if (ref_ctr_offset && ref_ctr_offset >= (1ull << 32)) {
		snprintf(err, errlen, "semaphore offset 0x%llx does not fit the kernel's ref_ctr_offset",
			 (unsigned long long)ref_ctr_offset);
		return -ERANGE;
	}
	struct perf_event_attr attr = {
		.type = (uint32_t)type,
		.size = sizeof(attr),
		.config = (retprobe ? 1ull << bit : 0) | (ref_ctr_offset << 32),
		.config1 = (uint64_t)(uintptr_t)path,
		.config2 = offset,
		.sample_period = 1,
		.wakeup_events = 1,
	};
	/* pid -1 needs a cpu; the probe still fires on every CPU. */
	int pfd = strobe_perf_event_open(&attr, pid > 0 ? pid : -1, pid > 0 ? -1 : 0);
	if (pfd < 0) {
		e = pfd;
		if (e == -ESRCH)
			snprintf(err, errlen, "process %d does not exist", pid);
		else if (e == -EINVAL && ref_ctr_offset)
			snprintf(err, errlen,
				 "perf_event_open(%s, offset 0x%llx, semaphore 0x%llx) failed: %s (a kernel before "
				 "4.20 has no uprobe reference counters; is the semaphore already set by another tool?)",
				 path, (unsigned long long)offset, (unsigned long long)ref_ctr_offset,
				 strerror(-e));
		else
			snprintf(err, errlen, "perf_event_open(uprobe %s, offset 0x%llx) failed: %s", path,
				 (unsigned long long)offset, strerror(-e));
		return e;
	}
	int lfd = -1;
	e = strobe_perf_link(pfd, prog_fd, cookie, &lfd);
	if (e) {
		snprintf(err, errlen, "cannot attach the program to uprobe %s:0x%llx: %s", path,
			 (unsigned long long)offset, strerror(-e));
		close(pfd);
		return e;
	}
	out->perf_fd = pfd;
	out->link_fd = lfd;
	return 0;
}

/* ---- the target process ------------------------------------------------ */

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;
	return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

int uelf_target_pid(int pid)
{
	if (pid <= 0)
		return -1;
	char exe[64];
	snprintf(exe, sizeof(exe), "/proc/%d/exe", pid);
	return same_file(exe, "/proc/self/exe") ? -1 : pid;
}

/* path as strobe reaches it: through /proc/PID/root when the process has another root. */
static int pid_file(int pid, const char *path, char *out, size_t len)
{
	char root[64];
	snprintf(root, sizeof(root), "/proc/%d/root", pid);
	int n = same_file(root, "/") ? snprintf(out, len, "%s", path)
				     : snprintf(out, len, "%s%s", root, path);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* A file the process maps: its path as /proc/PID/maps shows it and one of its mappings. */
struct map_ent {
	char *path;
	char range[48]; /* "START-END": /proc/PID/map_files/START-END opens it in any namespace */
};

static int map_cmp(const void *x, const void *y)
{
	const struct map_ent *a = x, *b = y;
	return strcmp(a->path, b->path);
}

static void maps_free(struct map_ent *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].path);
	free(v);
}

/* The files the process maps executable, unique, sorted by path. */
static int pid_maps(int pid, struct map_ent **out, size_t *nout)
{
	char mpath[64];
	snprintf(mpath, sizeof(mpath), "/proc/%d/maps", pid);
	FILE *f = fopen(mpath, "re");
	if (!f)
		return -errno;
	struct map_ent *v = NULL;
	size_t n = 0, cap = 0;
	char *line = NULL;
	size_t lcap = 0;
	int err = 0;
	while (getline(&line, &lcap, f) > 0) {
		char range[48], perms[8];
		int off = 0;
		if (sscanf(line, "%47s %7s %*s %*s %*s %n", range, perms, &off) < 2 || !off ||
		    !strchr(perms, 'x'))
			continue;
		char *p = line + off;
		p[strcspn(p, "\n")] = '\0';
		if (*p != '/' || strstr(p, " (deleted)"))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			struct map_ent *g = realloc(v, cap * sizeof(*v));
			if (!g) {
				err = -ENOMEM;
				break;
			}
			v = g;
		}
		if (!(v[n].path = strdup(p))) {
			err = -ENOMEM;
			break;
		}
		snprintf(v[n].range, sizeof(v[n].range), "%s", range);
		n++;
	}
	free(line);
	fclose(f);
	if (err) {
		maps_free(v, n);
		return err;
	}
	if (n)
		qsort(v, n, sizeof(*v), map_cmp);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (k && !strcmp(v[k - 1].path, v[i].path)) {
			free(v[i].path);
			continue;
		}
		v[k++] = v[i];
	}
	*out = v;
	*nout = k;
	return 0;
}

/*
 * Where strobe opens a mapped file: the mapping itself (/proc/PID/map_files,
 * right whatever namespace or root the path belongs to), else the path
 * through the process's root, else the path as it is.
 */
static int mapped_file(int pid, const struct map_ent *m, char *out, size_t len)
{
	snprintf(out, len, "/proc/%d/map_files/%s", pid, m->range);
	if (is_regular(out))
		return 0;
	if (pid_file(pid, m->path, out, len) == 0 && is_regular(out))
		return 0;
	snprintf(out, len, "%s", m->path);
	return is_regular(out) ? 0 : -ENOENT;
}

static bool is_wild_path(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

static int push_file(struct uelf_file **v, size_t *n, const char *name, const char *file)
{
	struct uelf_file *g = realloc(*v, (*n + 1) * sizeof(**v));
	if (!g)
		return -ENOMEM;
	*v = g;
	snprintf(g[*n].name, sizeof(g[*n].name), "%s", name);
	snprintf(g[*n].file, sizeof(g[*n].file), "%s", file);
	(*n)++;
	return 0;
}

int uelf_targets(const char *type, const char *spec, int pid, struct uelf_file **out, size_t *nout,
		 char *msg, size_t len)
{
	struct uelf_file *v = NULL;
	size_t n = 0;
	char name[PATH_MAX], file[PATH_MAX];
	int err = 0;
	*out = NULL;
	*nout = 0;
	if (!spec) {
		char exe[64];
		snprintf(exe, sizeof(exe), "/proc/%d/exe", pid);
		ssize_t r = pid > 0 ? readlink(exe, name, sizeof(name) - 1) : -1;
		if (r <= 0) {
			snprintf(msg, len, "%s probe type requires 2 arguments (%s:BINARY:FUNCTION), or -p PID",
				 type, type);
			return -EINVAL;
		}
		name[r] = '\0';
		if ((err = pid_file(pid, name, file, sizeof(file))) || (err = push_file(&v, &n, name, file)))
			goto fail;
		goto done;
	}
	if (is_wild_path(spec)) {
		if (pid > 0) {
			struct map_ent *maps = NULL;
			size_t nm = 0;
			if ((err = pid_maps(pid, &maps, &nm))) {
				snprintf(msg, len, "cannot read the mappings of process %d: %s", pid, strerror(-err));
				return err;
			}
			for (size_t i = 0; i < nm && !err; i++) {
				if (fnmatch(spec, maps[i].path, 0) || mapped_file(pid, &maps[i], file, sizeof(file)))
					continue;
				err = push_file(&v, &n, maps[i].path, file);
			}
			maps_free(maps, nm);
			if (err)
				goto fail;
			if (!n) {
				snprintf(msg, len, "no file mapped by process %d matches %s", pid, spec);
				return -ENOENT;
			}
			goto done;
		}
		if (!strcmp(spec, "*")) {
			snprintf(msg, len, "%s:*:... searches the files a process maps: it needs -p PID", type);
			return -EINVAL;
		}
		glob_t g;
		if (glob(spec, 0, NULL, &g) == 0) {
			for (size_t i = 0; i < g.gl_pathc && !err; i++)
				if (is_regular(g.gl_pathv[i]) && realpath(g.gl_pathv[i], name))
					err = push_file(&v, &n, name, name);
		}
		globfree(&g);
		if (err)
			goto fail;
		if (!n) {
			snprintf(msg, len, "%s target file '%s' does not exist or is not executable", type, spec);
			return -ENOENT;
		}
		goto done;
	}
	if (pid > 0 && !strchr(spec, '/')) {
		struct map_ent *maps = NULL;
		size_t nm = 0;
		if (pid_maps(pid, &maps, &nm) == 0) {
			for (size_t i = 0; i < nm && !n && !err; i++) {
				const char *base = strrchr(maps[i].path, '/') + 1;
				if ((!strcmp(base, spec) || libname_matches(spec, base)) &&
				    mapped_file(pid, &maps[i], file, sizeof(file)) == 0)
					err = push_file(&v, &n, maps[i].path, file);
			}
			maps_free(maps, nm);
			if (err)
				goto fail;
			if (n)
				goto done;
		}
	}
	if (pid > 0 && spec[0] == '/') {
		snprintf(name, sizeof(name), "%s", spec);
		if ((err = pid_file(pid, name, file, sizeof(file))))
			goto fail;
		if (!is_regular(file))
			err = -ENOENT;
	} else {
		err = uelf_resolve_path(spec, name, sizeof(name));
		snprintf(file, sizeof(file), "%s", name);
	}
	if (err) {
		snprintf(msg, len, "%s target file '%s' does not exist or is not executable", type, spec);
		return err;
	}
	if ((err = push_file(&v, &n, name, file)))
		goto fail;
done:
	*out = v;
	*nout = n;
	return 0;
fail:
	free(v);
	snprintf(msg, len, "%s: %s", spec ? spec : "(executable)", strerror(-err));
	return err;
}
