/*
 * The uprobe/usdt ELF helpers: attach-point splitting, ld.so.cache parsing
 * (a crafted cache and the system's), path resolution like the dynamic
 * loader, function symbols of .symtab/.dynsym and address-to-offset
 * translation. The helpers' source is compiled in.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../providers/lib/uelf.c"

__attribute__((noinline, used)) int strobe_elfsym_probe_me(int x);
__attribute__((noinline, used)) int strobe_elfsym_probe_me(int x)
{
	return x * 3 + 1;
}

static void test_split(void **state)
{
	char *p[4];
	int n = uelf_split("/bin/bash:readline", p, 4);
	assert_int_equal(n, 2);
	assert_string_equal(p[0], "/bin/bash");
	assert_string_equal(p[1], "readline");
	uelf_split_free(p, n);

	n = uelf_split("\"/tmp/a:b\":\"NS::f*\"", p, 4);
	assert_int_equal(n, 2);
	assert_string_equal(p[0], "/tmp/a:b");
	assert_string_equal(p[1], "NS::f*");
	uelf_split_free(p, n);

	n = uelf_split("libc:c:malloc", p, 4);
	assert_int_equal(n, 3);
	assert_string_equal(p[2], "malloc");
	uelf_split_free(p, n);

	n = uelf_split("x:", p, 4);
	assert_int_equal(n, 2);
	assert_string_equal(p[1], "");
	uelf_split_free(p, n);

	assert_int_equal(uelf_split("a:b:c:d:e", p, 4), -E2BIG);
	assert_int_equal(uelf_split("\"a:b", p, 4), -EINVAL);
}

/* A cache in the glibc 2.32+ format with three x86-64 entries and one i386 entry. */
static void write_cache(const char *path)
{
	struct ldcache_new_header h = { .nlibs = 4 };
	memcpy(h.magic, LDCACHE_NEW_MAGIC, 20);
	const char *strs[] = { "libcap.so.2", "/lib/x86_64-linux-gnu/libcap.so.2",
			       "libc.so.6",   "/lib32/libc.so.6",
			       "libc.so.6",   "/lib/x86_64-linux-gnu/libc.so.6",
			       "libz.so.1",   "/usr/lib/x86_64-linux-gnu/libz.so.1" };
	int flags[] = { 0x0303, 0x0003, 0x0303, 0x0303 };
	char strings[1024];
	uint32_t off[8];
	size_t len = 0, base = sizeof(h) + 4 * sizeof(struct ldcache_new_entry);
	for (int i = 0; i < 8; i++) {
		off[i] = (uint32_t)(base + len);
		memcpy(strings + len, strs[i], strlen(strs[i]) + 1);
		len += strlen(strs[i]) + 1;
	}
	h.len_strings = (uint32_t)len;
	FILE *fp = fopen(path, "wb");
	assert_non_null(fp);
	fwrite(&h, sizeof(h), 1, fp);
	for (int i = 0; i < 4; i++) {
		struct ldcache_new_entry e = { .flags = flags[i], .key = off[2 * i], .value = off[2 * i + 1] };
		fwrite(&e, sizeof(e), 1, fp);
	}
	fwrite(strings, len, 1, fp);
	fclose(fp);
}

static void test_ldcache_crafted(void **state)
{
	char path[] = "/tmp/strobe-test-ldcache-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	write_cache(path);
	char out[PATH_MAX];
	assert_int_equal(uelf_ldcache_lookup(path, "libc", out, sizeof(out)), 0);
	assert_string_equal(out, "/lib/x86_64-linux-gnu/libc.so.6"); /* not libcap, not lib32 */
	assert_int_equal(uelf_ldcache_lookup(path, "libc.so.6", out, sizeof(out)), 0);
	assert_string_equal(out, "/lib/x86_64-linux-gnu/libc.so.6");
	assert_int_equal(uelf_ldcache_lookup(path, "libcap", out, sizeof(out)), 0);
	assert_string_equal(out, "/lib/x86_64-linux-gnu/libcap.so.2");
	assert_int_equal(uelf_ldcache_lookup(path, "libz", out, sizeof(out)), 0);
	assert_int_equal(uelf_ldcache_lookup(path, "libnosuch", out, sizeof(out)), -ENOENT);
	/* a truncated cache is rejected, not overrun */
	assert_int_equal(truncate(path, 60), 0);
	assert_int_equal(uelf_ldcache_lookup(path, "libc", out, sizeof(out)), -ENOENT);
	unlink(path);
}

static void test_resolve_path(void **state)
{
	char out[PATH_MAX];
	assert_int_equal(uelf_resolve_path("libc", out, sizeof(out)), 0);
	assert_non_null(strstr(out, "libc.so"));
	assert_int_equal(uelf_resolve_path("/bin/sh", out, sizeof(out)), 0);
	assert_string_equal(out, "/bin/sh"); /* absolute paths are kept as written */
	assert_int_equal(uelf_resolve_path("sh", out, sizeof(out)), 0); /* $PATH */
	assert_int_equal(uelf_resolve_path("/nonexistent/x", out, sizeof(out)), -ENOENT);
	assert_int_equal(uelf_resolve_path("libstrobe-nonexistent", out, sizeof(out)), -ENOENT);
	assert_int_equal(uelf_resolve_path("/tmp", out, sizeof(out)), -ENOENT); /* a directory */
	char cwd[PATH_MAX];
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir("/bin"), 0);
	assert_int_equal(uelf_resolve_path("./sh", out, sizeof(out)), 0);
	assert_true(out[0] == '/');
	assert_int_equal(chdir(cwd), 0);
}

static void test_own_symbols(void **state)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	assert_true(n > 0);
	self[n] = '\0';
	int fd;
	Elf *elf;
	assert_int_equal(uelf_open(self, &fd, &elf), 0);
	struct uelf_sym *v;
	size_t nv;
	assert_int_equal(uelf_functions(elf, &v, &nv), 0);
	const struct uelf_sym *me = NULL, *mainsym = NULL;
	for (size_t i = 0; i < nv; i++) {
		if (i)
			assert_true(strcmp(v[i - 1].name, v[i].name) <= 0); /* sorted */
		if (!strcmp(v[i].name, "strobe_elfsym_probe_me"))
			me = &v[i];
		if (!strcmp(v[i].name, "main"))
			mainsym = &v[i];
	}
	assert_non_null(me);
	assert_non_null(mainsym);
	assert_true(me->size > 0);
	/* The file offset holds the function's bytes: compare with the mapped code. */
	uint64_t off = 0;
	assert_int_equal(uelf_vaddr_to_offset(elf, me->addr, &off), 0);
	unsigned char file_bytes[4];
	assert_int_equal(pread(fd, file_bytes, sizeof(file_bytes), (off_t)off), (ssize_t)sizeof(file_bytes));
	assert_memory_equal(file_bytes, (const void *)strobe_elfsym_probe_me, sizeof(file_bytes));
	assert_int_equal(uelf_vaddr_to_offset(elf, 0xffffffffff000000ull, &off), -ENOENT);
	uint64_t addr, size;
	assert_true(uelf_symbol(elf, "strobe_elfsym_probe_me", &addr, &size));
	assert_true(addr == me->addr);
	assert_true(size == me->size);
	assert_false(uelf_symbol(elf, "strobe_elfsym_no_such_symbol", &addr, &size));
	uelf_functions_free(v, nv);
	uelf_close(fd, elf);
	assert_int_equal(strobe_elfsym_probe_me(2), 7);
}

static void test_versioned_libc(void **state)
{
	char path[PATH_MAX];
	assert_int_equal(uelf_resolve_path("libc", path, sizeof(path)), 0);
	int fd;
	Elf *elf;
	assert_int_equal(uelf_open(path, &fd, &elf), 0);
	struct uelf_sym *v;
	size_t nv;
	assert_int_equal(uelf_functions(elf, &v, &nv), 0);
	bool malloc_found = false;
	for (size_t i = 0; i < nv; i++) {
		assert_null(strchr(v[i].name, '@'));
		if (!strcmp(v[i].name, "malloc"))
			malloc_found = true;
	}
	assert_true(malloc_found);
	uelf_functions_free(v, nv);
	uelf_close(fd, elf);
}

static void test_not_elf(void **state)
{
	int fd;
	Elf *elf;
	assert_int_equal(uelf_open("/etc/hostname", &fd, &elf), -ENOEXEC);
	assert_int_equal(uelf_open("/nonexistent", &fd, &elf), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split),	      cmocka_unit_test(test_ldcache_crafted),
		cmocka_unit_test(test_resolve_path),  cmocka_unit_test(test_own_symbols),
		cmocka_unit_test(test_versioned_libc), cmocka_unit_test(test_not_elf),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
