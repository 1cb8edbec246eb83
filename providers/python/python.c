/* SPDX-License-Identifier: MIT */
/*
 * python: CPython's USDT probes (python:function__entry, python:line, ...)
 * with typed, named arguments, resolved and attached through the usdt
 * provider (include/strobe/delegate.h). Built as a third party builds a
 * module: its own Makefile, `pkg-config strobe`, nothing else of the tree.
 *
 *   python:PROBE              the python3 on PATH; with -p PID the process's
 *                             binary or libpython; with -c CMD CMD's interpreter
 *   python:/path/python3.X:PROBE   that interpreter
 *
 * An interpreter without probes that loads libpython3.X.so (--enable-shared,
 * or a program embedding python) is resolved against that library
 * (libpython.c). CPython's probes are semaphore-gated: the usdt provider
 * attaches them with the semaphore's offset, so the kernel activates them in
 * every process.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <strobe/delegate.h>

#include "libpython.h"

#define STR(n) { n, "string", STROBE_ARG_STR, NULL }
#define INT(n, c) { n, c, STROBE_ARG_INT, NULL }

/* CPython's Include/pydtrace.d, in argument order. */
static const struct strobe_typed_probe py_probes[] = {
	{ "function__entry", 3, { STR("filename"), STR("funcname"), INT("lineno", "int32") } },
	{ "function__return", 3, { STR("filename"), STR("funcname"), INT("lineno", "int32") } },
	{ "line", 3, { STR("filename"), STR("funcname"), INT("lineno", "int32") } },
	{ "gc__start", 1, { INT("generation", "int32") } },
	{ "gc__done", 1, { INT("collected", "int64") } },
	{ "import__find__load__start", 1, { STR("modulename") } },
	{ "import__find__load__done", 2, { STR("modulename"), INT("found", "int32") } },
	{ "audit", 2, { STR("event"), INT("arguments", "uint64") } },
};
#define NPROBES (sizeof(py_probes) / sizeof(py_probes[0]))

struct py_state {
	const struct strobe_host *host;
	struct strobe_base usdt;
};

static int py_init(const struct strobe_host *host, void **st)
{
	struct py_state *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->host = host;
	*st = s;
	return 0;
}

static void py_fini(void *st)
{
	free(st);
}

/* A launcher script (pyenv's shim) names no ELF file: ask it for sys.executable. */
static bool is_script(const char *path)
{
	char magic[2] = { 0 };
	FILE *f = fopen(path, "rb");
	if (!f)
		return false;
	bool script = fread(magic, 1, 2, f) == 2 && magic[0] == '#' && magic[1] == '!';
	fclose(f);
	return script;
}

static bool sys_executable(const char *launcher, char *out, size_t len)
{
	int fds[2];
	if (pipe(fds) < 0)
		return false;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execl(launcher, launcher, "-c", "import sys; print(sys.executable)", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	size_t n = 0;
	ssize_t got = 1;
	while (pid > 0 && n < len - 1 && (got = read(fds[0], out + n, len - 1 - n)) > 0)
		n += (size_t)got;
	close(fds[0]);
	int status = 0;
	if (pid > 0)
		waitpid(pid, &status, 0);
	if (!n || got < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
		return false;
	out[n] = '\0';
	out[strcspn(out, "\n")] = '\0';
	return out[0] == '/';
}

/*
 * The interpreter binary to resolve against: the explicit one, the -c
 * command's, else python3 on PATH; realpath'd, launcher scripts followed.
 * "*" with -p PID: every file the process maps (its binary or libpython).
 */
static int py_binary(const char *explicit, const struct strobe_resolver *r, char *out, size_t len,
		     char *err, size_t errlen)
{
	const char *const *cmd =
		r && r->size >= offsetofend(struct strobe_resolver, cmd_argv) ? r->cmd_argv : NULL;
	int pid = r && r->size >= offsetofend(struct strobe_resolver, pid) ? r->pid : -1;
	char found[PATH_MAX];
	const char *what = explicit ? explicit : cmd && cmd[0] ? cmd[0] : NULL;
	if (!what && pid > 0) {
		snprintf(out, len, "*");
		return 0;
	}
	if (!what) {
		if (!strobe_find_in_path("python3", found, sizeof(found))) {
			snprintf(err, errlen,
				 "no python3 on PATH: install one built with USDT probes (Debian's python3) or name it, python:/usr/bin/python3.11:PROBE");
			return -ENOENT;
		}
		what = found;
	}
	char real[PATH_MAX];
	if (!realpath(what, real)) {
		snprintf(err, errlen, "python interpreter %s: %s", what, strerror(errno));
		return -ENOENT;
	}
	/* only a launcher named python* is asked: -c may name any script */
	const char *base = strrchr(what, '/') ? strrchr(what, '/') + 1 : what;
	if (is_script(real) && (strncmp(base, "python", 6) || !sys_executable(real, real, sizeof(real)))) {
		snprintf(err, errlen, "%s is a script that did not tell its interpreter (sys.executable): name the interpreter, python:/path/to/python3.X:PROBE",
			 what);
		return -ENOENT;
	}
	snprintf(out, len, "%s", real);
	return 0;
}

#define PY_HINT                                                                              \
	"use one that has them, python:/usr/bin/python3.11:PROBE (Debian's python3), or name " \
	"the file that has them, python:/path/to/libpython3.X.so:PROBE"

/* How many of CPython's probes file has (found[]). */
static size_t py_probes_in(struct py_state *s, const char *file, bool *found)
{
	char glob[PATH_MAX + 16];
	if (snprintf(glob, sizeof(glob), "%s:python:*", file) >= (int)sizeof(glob))
		return 0;
	return strobe_typed_present(&s->usdt, glob, py_probes, NPROBES, found);
}

/* The files process pid maps, its executable first: "/path\0/path\0...\0", n of them. */
static char *py_maps(int pid, size_t *n)
{
	char path[64], line[PATH_MAX + 128];
	size_t len = 0, cap = 4096;
	char *list = malloc(cap);
	*n = 0;
	if (!list)
		return NULL;
	snprintf(path, sizeof(path), "/proc/%d/exe", pid);
	ssize_t k = readlink(path, line, sizeof(line) - 1);
	if (k > 0) {
		memcpy(list, line, (size_t)k);
		list[k] = '\0';
		len = (size_t)k + 1;
		(*n)++;
	}
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	FILE *f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		char *file = strchr(line, '/'), perms[8] = "";
		if (!file || sscanf(line, "%*s %7s", perms) != 1 || !strchr(perms, 'x'))
			continue;
		bool seen = false;
		for (size_t i = 0, off = 0; i < *n && !seen; i++, off += strlen(list + off) + 1)
			seen = !strcmp(list + off, file);
		size_t fl = strlen(file) + 1;
		if (seen)
			continue;
		if (len + fl > cap) {
			char *more = realloc(list, cap *= 2);
			if (!more)
				break;
			list = more;
		}
		memcpy(list + len, file, fl);
		len += fl;
		(*n)++;
	}
	if (f)
		fclose(f);
	return list;
}

/*
 * -p PID: the file of the process that has CPython's probes into which
 * (the files it maps named *python*, then the others; its executable first
 * each time), or -ENOENT with err saying what to do. The usdt provider
 * expands "*" over the process's files at resolve.
 */
static int py_process(struct py_state *s, int pid, char *which, size_t len, char *err, size_t errlen)
{
	size_t n = 0;
	char *files = py_maps(pid, &n);
	bool found[NPROBES];
	int e = -ENOENT;
	for (int pass = 0; pass < 2 && e; pass++) {
		const char *f = files;
		for (size_t i = 0; f && i < n && e; i++, f += strlen(f) + 1) {
			const char *base = strrchr(f, '/') ? strrchr(f, '/') + 1 : f;
			if ((strstr(base, "python") != NULL) != (pass == 0))
				continue;
			char root[PATH_MAX + 32];
			if (snprintf(root, sizeof(root), "/proc/%d/root%s", pid, f) < (int)sizeof(root) &&
			    py_probes_in(s, root, found)) {
				snprintf(which, len, "%s", f);
				e = 0;
			}
		}
	}
	if (e)
		snprintf(err, errlen,
			 "process %d (%s) maps no file with python USDT probes (a CPython built without --with-dtrace, or no python): run the program with a python that has them (Debian's /usr/bin/python3.11), or name the file that has them, python:/path/to/libpython3.X.so:PROBE",
			 pid, files && n ? files : "gone?");
	free(files);
	return e;
}

/*
 * The probes bin has (found[]). An interpreter without them that loads
 * libpython (DT_NEEDED) is replaced in bin by that library when it has
 * them. "*" (-p): into which, the file of the process that has them.
 * 0, or -ENOENT with err saying why there are none and what to do.
 */
static int py_present(struct py_state *s, char *bin, size_t binlen, int pid, bool *found, char *which,
		      size_t whichlen, char *err, size_t errlen)
{
	const char *why = NULL;
	if (strobe_base_get(s->host, &s->usdt, "usdt", &why) < 0) {
		snprintf(err, errlen, "python: needs the usdt provider: %s", why);
		return -ENOENT;
	}
	if (!strcmp(bin, "*")) { /* -p: the process's maps are searched at resolve */
		for (size_t i = 0; i < NPROBES; i++)
			found[i] = true;
		return py_process(s, pid, which, whichlen, err, errlen);
	}
	snprintf(which, whichlen, "%s", bin);
	if (py_probes_in(s, bin, found))
		return 0;
	char lib[PATH_MAX];
	int k = py_needed_libpython(bin, lib, sizeof(lib));
	if (k > 0 && py_probes_in(s, lib, found)) {
		snprintf(bin, binlen, "%s", lib);
		snprintf(which, whichlen, "%s", lib);
		return 0;
	}
	if (k > 0)
		snprintf(err, errlen,
			 "neither %s nor %s, the libpython it loads, has python USDT probes (CPython built without --with-dtrace): " PY_HINT,
			 bin, lib);
	else if (k < 0)
		snprintf(err, errlen,
			 "%s has no python USDT probes, and %s, the libpython it loads, is not where the dynamic loader would look (its RUNPATH, LD_LIBRARY_PATH, ld.so.cache, /usr/lib): name it, python:/path/to/%s:PROBE",
			 bin, lib, lib);
	else
		snprintf(err, errlen, "%s has no python USDT probes (CPython built without --with-dtrace): " PY_HINT, bin);
	return -ENOENT;
}

/*
 * CPython 3.11 fires function__entry only from its tracing path (gh-98894:
 * Python-to-Python calls are inlined in the eval loop, and the probe moved
 * to the RESUME of DO_TRACING, run only while the line probe or a
 * sys.settrace/setprofile hook is on); function__return fires for every
 * frame. Said at resolve, at the probe, when glob takes function__entry.
 */
static void py_check_entry(const char *glob, const char *which, struct strobe_resolver *r)
{
	int major, minor;
	if (fnmatch(glob, "function__entry", 0) || !py_version_of(which, &major, &minor) || major != 3 ||
	    minor != 11)
		return;
	r->warning(r,
		   "CPython 3.11 (%s) fires python:function__entry only while its line probe or a sys.settrace()/setprofile() hook is on (CPython gh-98894): calls from Python code are missed; count calls with python:function__return, which fires for every one",
		   which);
}

static int py_list(void *st, const char *type, const char *glob, bool verbose, strobe_list_fn fn,
		   void *ctx)
{
	struct py_state *s = st;
	char explicit[PATH_MAX], bin[PATH_MAX], which[PATH_MAX], err[3 * PATH_MAX + 512];
	const char *probe = strobe_typed_split(glob ? glob : "*", explicit, sizeof(explicit));
	bool found[NPROBES];
	int e = py_binary(explicit[0] ? explicit : NULL, NULL, bin, sizeof(bin), err, sizeof(err));
	if (!e)
		e = py_present(s, bin, sizeof(bin), -1, found, which, sizeof(which), err, sizeof(err));
	if (e) {
		/* strobe -l lists every provider: an unusable python3 is said there, not fatal */
		if (strobe_listing_all(s->host, glob)) {
			s->host->log(STROBE_LOG_WARNING, "python: probes not listed: %s", err);
			return 0;
		}
		s->host->log(STROBE_LOG_ERROR, "%s", err);
		return e;
	}
	return strobe_typed_list_glob(type, explicit, probe, py_probes, NPROBES, found, verbose, fn, ctx);
}

static int py_resolve(void *st, const char *type, const char *target, struct strobe_resolver *r)
{
	struct py_state *s = st;
	char explicit[PATH_MAX], bin[PATH_MAX], which[PATH_MAX], err[3 * PATH_MAX + 512];
	const char *probe = strobe_typed_split(target, explicit, sizeof(explicit));
	bool found[NPROBES];
	int pid = r->size >= offsetofend(struct strobe_resolver, pid) ? r->pid : -1;
	int e = py_binary(explicit[0] ? explicit : NULL, r, bin, sizeof(bin), err, sizeof(err));
	if (!e)
		e = py_present(s, bin, sizeof(bin), pid, found, which, sizeof(which), err, sizeof(err));
	if (e) {
		r->error(r, "%s", err);
		return e;
	}
	e = strobe_typed_resolve_glob(&s->usdt, type, explicit, bin, "python", probe, py_probes, NPROBES,
				      found, r);
	if (!e)
		py_check_entry(probe, which, r);
	return e;
}

static int py_attach(void *st, const struct strobe_attach_req *req, struct strobe_link **out,
		     char *errbuf, size_t errlen)
{
	struct py_state *s = st;
	return strobe_typed_attach(&s->usdt, req, out, errbuf, errlen);
}

static void py_detach(void *st, struct strobe_link *link)
{
	struct py_state *s = st;
	s->usdt.ops->detach(s->usdt.st, link);
}

static const struct strobe_provider_ops py_ops = {
	.abi = STROBE_PROVIDER_ABI,
	.size = sizeof(struct strobe_provider_ops),
	.name = "python",
	.init = py_init,
	.fini = py_fini,
	.list = py_list,
	.resolve = py_resolve,
	.attach = py_attach,
	.detach = py_detach,
	.arg_size = sizeof(struct strobe_arg),
};

STROBE_EXPORT const struct strobe_provider_ops *strobe_provider_entry(void);
STROBE_EXPORT const struct strobe_provider_ops *strobe_provider_entry(void)
{
	return &py_ops;
}
