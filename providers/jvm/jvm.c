/* SPDX-License-Identifier: MIT */
/*
 * jvm: HotSpot's USDT probes in libjvm.so (provider "hotspot") with typed,
 * named arguments; HotSpot passes strings as a pointer and a length, not
 * NUL-terminated (STROBE_ARG_STR_LEN). Resolved and attached through the
 * usdt provider (include/strobe/delegate.h); built with its own Makefile
 * and `pkg-config strobe`, as a third party builds a module.
 *
 *   jvm:PROBE         libjvm.so of the java on PATH; with -p PID the one the
 *                     process maps; with -c CMD the one of CMD's java
 *   jvm:/path/to/libjvm.so:PROBE  (or a java binary: its lib/server/libjvm.so)
 *
 * The method, allocation and monitor probes fire only in a JVM started with
 * -XX:+ExtendedDTraceProbes (or -XX:+DTraceMethodProbes, ...): resolve()
 * warns when the target runs without it, -l says so.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <strobe/delegate.h>

#define INT(n, c) { n, c, STROBE_ARG_INT, NULL }
#define STRLEN(n) { n, "string", STROBE_ARG_STR_LEN, n "_len" }, INT(n "_len", "uint64")

/* hotspot.d and hotspot_jni.d of OpenJDK, in argument order. */
static const struct strobe_typed_probe jvm_probes[] = {
	{ "vm__init__begin", 0, { { 0 } } },
	{ "vm__init__end", 0, { { 0 } } },
	{ "vm__shutdown", 0, { { 0 } } },
	{ "gc__begin", 1, { INT("is_full", "bool") } },
	{ "gc__end", 0, { { 0 } } },
	{ "class__loaded", 4, { STRLEN("class_name"), INT("loader_id", "uint64"), INT("is_shared", "bool") } },
	{ "class__unloaded", 4, { STRLEN("class_name"), INT("loader_id", "uint64"), INT("is_shared", "bool") } },
	{ "thread__start", 5, { STRLEN("name"), INT("java_tid", "uint64"), INT("native_tid", "uint64"),
				INT("is_daemon", "bool") } },
	{ "thread__stop", 5, { STRLEN("name"), INT("java_tid", "uint64"), INT("native_tid", "uint64"),
			       INT("is_daemon", "bool") } },
	{ "method__entry", 7, { INT("tid", "uint64"), STRLEN("class_name"), STRLEN("method_name"),
				STRLEN("signature") } },
	{ "method__return", 7, { INT("tid", "uint64"), STRLEN("class_name"), STRLEN("method_name"),
				 STRLEN("signature") } },
	{ "object__alloc", 4, { INT("tid", "uint64"), STRLEN("class_name"), INT("size", "uint64") } },
	{ "monitor__contended__enter", 4, { INT("tid", "uint64"), INT("monitor_id", "uint64"),
					    STRLEN("class_name") } },
	{ "monitor__contended__entered", 4, { INT("tid", "uint64"), INT("monitor_id", "uint64"),
					      STRLEN("class_name") } },
	{ "monitor__contended__exit", 4, { INT("tid", "uint64"), INT("monitor_id", "uint64"),
					   STRLEN("class_name") } },
};
#define NPROBES (sizeof(jvm_probes) / sizeof(jvm_probes[0]))

/* The probes HotSpot fires only with a flag that ExtendedDTraceProbes implies. */
static const char *extended_flag(const char *probe)
{
	if (!strncmp(probe, "method__", 8))
		return "DTraceMethodProbes";
	if (!strncmp(probe, "object__alloc", 13))
		return "DTraceAllocProbes";
	if (!strncmp(probe, "monitor__", 9))
		return "DTraceMonitorProbes";
	return NULL;
}

struct jvm_state {
	const struct strobe_host *host;
	struct strobe_base usdt;
};

static int jvm_init(const struct strobe_host *host, void **st)
{
	struct jvm_state *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->host = host;
	*st = s;
	return 0;
}

static void jvm_fini(void *st)
{
	free(st);
}

/* libjvm.so itself, or a java launcher's JDK's lib/server/libjvm.so. */
static int libjvm_of(const char *what, char *out, size_t len, char *err, size_t errlen)
{
	char real[PATH_MAX];
	if (!realpath(what, real)) {
		snprintf(err, errlen, "jvm: %s: %s", what, strerror(errno));
		return -ENOENT;
	}
	const char *base = strrchr(real, '/') + 1;
	if (!strncmp(base, "libjvm", 6)) {
		snprintf(out, len, "%s", real);
		return 0;
	}
	char *slash = strrchr(real, '/');
	*slash = '\0';
	if (snprintf(out, len, "%s/../lib/server/libjvm.so", real) >= (int)len || !realpath(out, real)) {
		snprintf(err, errlen, "jvm: %s has no ../lib/server/libjvm.so: name libjvm.so, jvm:/path/to/libjvm.so:PROBE",
			 what);
		return -ENOENT;
	}
	snprintf(out, len, "%s", real);
	return 0;
}

/* libjvm.so to resolve against: explicit, the -c command's java, "*" for -p, else java on PATH. */
static int jvm_library(const char *explicit, const struct strobe_resolver *r, char *out, size_t len,
		       char *err, size_t errlen)
{
	const char *const *cmd =
		r && r->size >= offsetofend(struct strobe_resolver, cmd_argv) ? r->cmd_argv : NULL;
	int pid = r && r->size >= offsetofend(struct strobe_resolver, pid) ? r->pid : -1;
	char java[PATH_MAX];
	if (explicit)
		return libjvm_of(explicit, out, len, err, errlen);
	if (cmd && cmd[0])
		return libjvm_of(cmd[0], out, len, err, errlen);
	if (pid > 0) {
		snprintf(out, len, "*");
		return 0;
	}
	if (!strobe_find_in_path("java", java, sizeof(java))) {
		snprintf(err, errlen, "jvm: no java on PATH: install a JDK (openjdk-17-jdk-headless) or name libjvm.so, jvm:/path/to/libjvm.so:PROBE");
		return -ENOENT;
	}
	return libjvm_of(java, out, len, err, errlen);
}

static int jvm_present(struct jvm_state *s, const char *lib, bool *found, char *err, size_t errlen)
{
	const char *why = NULL;
	if (strobe_base_get(s->host, &s->usdt, "usdt", &why) < 0) {
		snprintf(err, errlen, "jvm: needs the usdt provider: %s", why);
		return -ENOENT;
	}
	if (!strcmp(lib, "*")) { /* -p: the process's maps are searched at resolve */
		for (size_t i = 0; i < NPROBES; i++)
			found[i] = true;
		return 0;
	}
	char glob[PATH_MAX + 16];
	snprintf(glob, sizeof(glob), "%s:hotspot:*", lib);
	if (!strobe_typed_present(&s->usdt, glob, jvm_probes, NPROBES, found)) {
		snprintf(err, errlen, "%s has no hotspot USDT probes (a JVM built without DTrace support): use an OpenJDK that has them (Debian's openjdk-17)",
			 lib);
		return -ENOENT;
	}
	return 0;
}

/* Whether text (NUL-separated words, len bytes) turns flag on: -XX:+Flag or -XX:+ExtendedDTraceProbes. */
static bool flag_in(const char *text, size_t len, const char *flag)
{
	char want[64];
	snprintf(want, sizeof(want), "-XX:+%s", flag);
	for (size_t i = 0; i + 5 < len; i++)
		if (!strncmp(text + i, want, strlen(want)) || !strncmp(text + i, "-XX:+ExtendedDTraceProbes", 25))
			return true;
	return false;
}

static bool file_has_flag(const char *path, const char *flag)
{
	static char buf[1 << 16];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, buf, sizeof(buf));
	close(fd);
	return n > 0 && flag_in(buf, (size_t)n, flag);
}

/* The -c command (with the JAVA_TOOL_OPTIONS it inherits) or process pid turns flag on. */
static bool target_has_flag(const char *const *cmd, int pid, const char *flag)
{
	if (cmd) {
		for (size_t i = 0; cmd[i]; i++)
			if (flag_in(cmd[i], strlen(cmd[i]), flag))
				return true;
		static const char *const vars[] = { "JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "_JAVA_OPTIONS" };
		for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
			const char *v = getenv(vars[i]);
			if (v && flag_in(v, strlen(v), flag))
				return true;
		}
		return false;
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/cmdline", pid);
	if (file_has_flag(path, flag))
		return true;
	snprintf(path, sizeof(path), "/proc/%d/environ", pid);
	return file_has_flag(path, flag);
}

/* Say when a probe the glob names never fires in the target for want of its flag. */
static void check_extended(const char *glob, struct strobe_resolver *r)
{
	const char *const *cmd = r->size >= offsetofend(struct strobe_resolver, cmd_argv) ? r->cmd_argv : NULL;
	int pid = r->size >= offsetofend(struct strobe_resolver, pid) ? r->pid : -1;
	for (size_t i = 0; i < NPROBES; i++) {
		const char *flag = extended_flag(jvm_probes[i].name);
		if (!flag || fnmatch(glob, jvm_probes[i].name, 0))
			continue;
		if (!cmd && pid <= 0)
			r->warning(r, "jvm:%s fires only in JVMs started with -XX:+ExtendedDTraceProbes (or -XX:+%s)",
				   jvm_probes[i].name, flag);
		else if (!target_has_flag(cmd, pid, flag))
			r->warning(r, "%s runs without -XX:+ExtendedDTraceProbes (or -XX:+%s): jvm:%s never fires there",
				   cmd ? "the command" : "the process", flag, jvm_probes[i].name);
		else
			continue;
		return; /* one warning says it */
	}
}

static int jvm_list(void *st, const char *type, const char *glob, bool verbose, strobe_list_fn fn,
		    void *ctx)
{
	struct jvm_state *s = st;
	char explicit[PATH_MAX], lib[PATH_MAX], err[PATH_MAX + 256];
	const char *probe = strobe_typed_split(glob ? glob : "*", explicit, sizeof(explicit));
	bool found[NPROBES];
	int e = jvm_library(explicit[0] ? explicit : NULL, NULL, lib, sizeof(lib), err, sizeof(err));
	if (!e)
		e = jvm_present(s, lib, found, err, sizeof(err));
	bool all = strobe_listing_all(s->host, glob);
	if (e) {
		/* strobe -l lists every provider: a missing JVM is said there, not fatal */
		if (all) {
			s->host->log(STROBE_LOG_WARNING, "jvm: probes not listed: %s", strncmp(err, "jvm: ", 5) ? err : err + 5);
			return 0;
		}
		s->host->log(STROBE_LOG_ERROR, "%s", err);
		return e;
	}
	for (size_t i = 0; !all && i < NPROBES; i++) /* said when jvm: is listed by name */
		if (found[i] && extended_flag(jvm_probes[i].name) && !fnmatch(probe, jvm_probes[i].name, 0)) {
			s->host->log(STROBE_LOG_WARNING,
				     "jvm:method__*, object__alloc and monitor__* fire only in JVMs started with -XX:+ExtendedDTraceProbes");
			break;
		}
	return strobe_typed_list_glob(type, explicit, probe, jvm_probes, NPROBES, found, verbose, fn, ctx);
}

static int jvm_resolve(void *st, const char *type, const char *target, struct strobe_resolver *r)
{
	struct jvm_state *s = st;
	char explicit[PATH_MAX], lib[PATH_MAX], err[PATH_MAX + 256];
	const char *probe = strobe_typed_split(target, explicit, sizeof(explicit));
	bool found[NPROBES];
	int e = jvm_library(explicit[0] ? explicit : NULL, r, lib, sizeof(lib), err, sizeof(err));
	if (!e)
		e = jvm_present(s, lib, found, err, sizeof(err));
	if (e) {
		r->error(r, "%s", err);
		return e;
	}
	e = strobe_typed_resolve_glob(&s->usdt, type, explicit, lib, "hotspot", probe, jvm_probes, NPROBES,
				      found, r);
	if (!e)
		check_extended(probe, r);
	return e;
}

static int jvm_attach(void *st, const struct strobe_attach_req *req, struct strobe_link **out,
		      char *errbuf, size_t errlen)
{
	struct jvm_state *s = st;
	return strobe_typed_attach(&s->usdt, req, out, errbuf, errlen);
}

static void jvm_detach(void *st, struct strobe_link *link)
{
	struct jvm_state *s = st;
	s->usdt.ops->detach(s->usdt.st, link);
}

static const struct strobe_provider_ops jvm_ops = {
	.abi = STROBE_PROVIDER_ABI,
	.size = sizeof(struct strobe_provider_ops),
	.name = "jvm",
	.init = jvm_init,
	.fini = jvm_fini,
	.list = jvm_list,
	.resolve = jvm_resolve,
	.attach = jvm_attach,
	.detach = jvm_detach,
	.arg_size = sizeof(struct strobe_arg),
};

STROBE_EXPORT const struct strobe_provider_ops *strobe_provider_entry(void);
STROBE_EXPORT const struct strobe_provider_ops *strobe_provider_entry(void)
{
	return &jvm_ops;
}
