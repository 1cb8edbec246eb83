/*
 * User-space symbols: an address of a process mapped to its ELF file (PT_LOAD)
 * and looked up in .symtab, else .dynsym; cached per file and per process.
 */
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runtime_internal.h"

struct usym {
	uint64_t addr, size;
	char *name;
};

struct ufile {
	char *path;
	struct usym *syms;
	size_t nsyms;
	GElf_Phdr *loads; /* PT_LOAD segments */
	size_t nloads;
	struct ufile *next;
};

struct umap {
	uint64_t start, end, offset;
	struct ufile *file;
};

struct uproc {
	uint32_t pid;
	struct umap *maps;
	size_t nmaps;
	struct uproc *next;
};

static struct ufile *files;
static struct uproc *procs;

static int usym_cmp(const void *x, const void *y)
{
	const struct usym *a = x, *b = y;
	return a->addr < b->addr ? -1 : a->addr > b->addr;
}

static void load_symtab(Elf *e, Elf_Scn *scn, GElf_Shdr *sh, struct ufile *f)
{
	Elf_Data *d = elf_getdata(scn, NULL);
	if (!d || !sh->sh_entsize)
		return;
	size_t n = sh->sh_size / sh->sh_entsize;
	f->syms = calloc(n ? n : 1, sizeof(*f->syms));
	if (!f->syms)
		return;
	for (size_t i = 0; i < n; i++) {
		GElf_Sym s;
		if (!gelf_getsym(d, (int)i, &s) || !s.st_value || s.st_shndx == SHN_UNDEF)
			continue;
		int type = GELF_ST_TYPE(s.st_info);
		if (type != STT_FUNC && type != STT_GNU_IFUNC)
			continue;
		const char *name = elf_strptr(e, sh->sh_link, s.st_name);
		if (!name || !*name)
			continue;
		f->syms[f->nsyms++] = (struct usym){ s.st_value, s.st_size, strdup(name) };
	}
	qsort(f->syms, f->nsyms, sizeof(*f->syms), usym_cmp);
}

static struct ufile *file_get(const char *path)
{
	for (struct ufile *f = files; f; f = f->next)
		if (!strcmp(f->path, path))
			return f;
	struct ufile *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	f->path = strdup(path);
	f->next = files;
	files = f;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return f;
	elf_version(EV_CURRENT);
	Elf *e = elf_begin(fd, ELF_C_READ, NULL);
	size_t nph = 0;
	if (e && !elf_getphdrnum(e, &nph)) {
		f->loads = calloc(nph ? nph : 1, sizeof(*f->loads));
		for (size_t i = 0; f->loads && i < nph; i++) {
			GElf_Phdr ph;
			if (gelf_getphdr(e, (int)i, &ph) && ph.p_type == PT_LOAD)
				f->loads[f->nloads++] = ph;
		}
		Elf_Scn *scn = NULL, *dyn = NULL;
		GElf_Shdr sh, dynsh;
		bool have = false;
		while ((scn = elf_nextscn(e, scn))) {
			if (!gelf_getshdr(scn, &sh))
				continue;
			if (sh.sh_type == SHT_SYMTAB) {
				load_symtab(e, scn, &sh, f);
				have = f->nsyms > 0;
			} else if (sh.sh_type == SHT_DYNSYM) {
				dyn = scn;
				dynsh = sh;
			}
		}
		if (!have && dyn) {
			free(f->syms);
			f->syms = NULL;
			f->nsyms = 0;
			load_symtab(e, dyn, &dynsh, f);
		}
	}
	if (e)
		elf_end(e);
	close(fd);
	return f;
}

static struct uproc *proc_get(uint32_t pid)
{
	for (struct uproc *p = procs; p; p = p->next)
		if (p->pid == pid)
			return p;
	struct uproc *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->pid = pid;
	p->next = procs;
	procs = p;
	char path[64], line[4096];
	snprintf(path, sizeof(path), "/proc/%u/maps", pid);
	FILE *fp = fopen(path, "r");
	if (!fp)
		return p; /* gone: its addresses stay unknown */
	size_t cap = 0;
	while (fgets(line, sizeof(line), fp)) {
		unsigned long long start, end, off;
		char perms[8];
		int pos = 0;
		if (sscanf(line, "%llx-%llx %7s %llx %*s %*s %n", &start, &end, perms, &off, &pos) < 4 || !pos)
			continue;
		char *file = line + pos;
		file[strcspn(file, "\n")] = '\0';
		if (file[0] != '/' || perms[2] != 'x')
			continue;
		if (p->nmaps == cap) {
			cap = cap ? cap * 2 : 16;
			struct umap *m = realloc(p->maps, cap * sizeof(*m));
			if (!m)
				break;
			p->maps = m;
		}
		p->maps[p->nmaps++] = (struct umap){ start, end, off, file_get(file) };
	}
	fclose(fp);
	return p;
}

const char *usym_lookup(struct arena *a, uint32_t pid, uint64_t addr, bool offset, const char **module)
{
	*module = NULL;
	struct uproc *p = proc_get(pid);
	for (size_t i = 0; p && i < p->nmaps; i++) {
		const struct umap *m = &p->maps[i];
		if (addr < m->start || addr >= m->end || !m->file)
			continue;
		const struct ufile *f = m->file;
		*module = f->path;
		uint64_t foff = addr - m->start + m->offset, vaddr = foff;
		for (size_t j = 0; j < f->nloads; j++) {
			const GElf_Phdr *ph = &f->loads[j];
			if (foff >= ph->p_offset && foff < ph->p_offset + ph->p_filesz) {
				vaddr = foff - ph->p_offset + ph->p_vaddr;
				break;
			}
		}
		/* the last symbol at or below vaddr that contains it (or has no size) */
		size_t lo = 0, hi = f->nsyms;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (f->syms[mid].addr <= vaddr)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (!lo)
			return NULL;
		const struct usym *s = &f->syms[lo - 1];
		if (s->size && vaddr >= s->addr + s->size)
			return NULL;
		return offset ? arena_printf(a, "%s+%" PRIu64, s->name, vaddr - s->addr) : s->name;
	}
	return NULL;
}

void usyms_release(void)
{
	while (procs) {
		struct uproc *p = procs;
		procs = p->next;
		free(p->maps);
		free(p);
	}
	while (files) {
		struct ufile *f = files;
		files = f->next;
		for (size_t i = 0; i < f->nsyms; i++)
			free(f->syms[i].name);
		free(f->syms);
		free(f->loads);
		free(f->path);
		free(f);
	}
}
