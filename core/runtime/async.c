/*
 * The user-space half of issue 4's functions: the values printed as text
 * (strftime, ntop, macaddr, strerror, cgroup_path; types.h) and the
 * asynchronous events join(), cat() and system() (program.h EV_JOIN, EV_CAT,
 * EV_SYSTEM), handed to the sink's join/cat/syscall slots.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <pwd.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "runtime_internal.h"

#define CAT_BYTES_DEFAULT 10240

static void set_text(struct arena *a, struct strobe_value *v, const char *s, size_t n)
{
	v->kind = STROBE_V_STR;
	v->str.s = arena_strndup(a, s, n);
	v->str.len = n;
}

/* CLOCK_REALTIME at boot (CLOCK_MONOTONIC 0) in ns: bpftrace 0.17's strftime() base for nsecs. */
static uint64_t boot_time_ns(void)
{
	static uint64_t boot;
	if (!boot) {
		struct timespec rt, mono;
		clock_gettime(CLOCK_REALTIME, &rt);
		clock_gettime(CLOCK_MONOTONIC, &mono);
		boot = ((uint64_t)rt.tv_sec * 1000000000u + (uint64_t)rt.tv_nsec) -
		       ((uint64_t)mono.tv_sec * 1000000000u + (uint64_t)mono.tv_nsec);
	}
	return boot;
}

/* strftime(fmt, ns since boot); "%f" is the microseconds, as in bpftrace. */
static void format_timestamp(struct arena *a, const char *fmt, uint64_t ns, struct strobe_value *v)
{
	uint64_t t = boot_time_ns() + ns;
	time_t secs = (time_t)(t / 1000000000u);
	char usec[16];
	snprintf(usec, sizeof(usec), "%06u", (unsigned)(t % 1000000000u / 1000u));
	struct strbuf f = { 0 };
	sb_add(&f, "", 0);
	for (const char *p = fmt; *p; p++) {
		if (p[0] == '%' && p[1] == '%') {
			sb_add(&f, p, 2);
			p++;
		} else if (p[0] == '%' && p[1] == 'f') {
			sb_add(&f, usec, strlen(usec));
			p++;
		} else {
			sb_add(&f, p, 1);
		}
	}
	struct tm tm;
	localtime_r(&secs, &tm);
	char out[1024];
	size_t n = f.s[0] ? strftime(out, sizeof(out), f.s, &tm) : 0;
	set_text(a, v, out, n);
	sb_free(&f);
}

static int path_cgroup_id(const char *path, uint64_t *id)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h;
	int mount_id;
	h.fh.handle_bytes = sizeof(h.id);
	if (name_to_handle_at(AT_FDCWD, path, &h.fh, &mount_id, 0) == 0 && h.fh.handle_bytes == sizeof(h.id)) {
		memcpy(id, h.fh.f_handle, sizeof(*id));
		return 0;
	}
	struct stat st;
	if (stat(path, &st) < 0)
		return -1;
	*id = st.st_ino;
	return 0;
}

/* Depth-first search under dir (path) for the cgroup whose id is id; rel is the path below the mount. */
static bool find_cgroup(struct strbuf *path, size_t root_len, uint64_t id, int depth)
{
	uint64_t here;
	if (path_cgroup_id(path->s, &here) == 0 && here == id)
		return true;
	if (depth > 64)
		return false;
	DIR *d = opendir(path->s);
	if (!d)
		return false;
	struct dirent *e;
	bool found = false;
	size_t len = path->len;
	while (!found && (e = readdir(d))) {
		if (e->d_type != DT_DIR || !strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		path->len = len;
		sb_add(path, "/", 1);
		sb_add(path, e->d_name, strlen(e->d_name));
		found = find_cgroup(path, root_len, id, depth + 1);
	}
	if (!found) {
		path->len = len;
		path->s[len] = '\0';
	}
	closedir(d);
	(void)root_len;
	return found;
}

struct cg_mount {
	char name[128];
	char dir[512];
	bool v2;
};

static int mount_cmp(const void *x, const void *y)
{
	const struct cg_mount *a = x, *b = y;
	if (a->v2 != b->v2)
		return a->v2 ? -1 : 1;
	return strcmp(a->name, b->name);
}

/* cgroup_path(id[, filter]): "hierarchy:path" for every cgroup hierarchy holding the id (whose name matches the filter glob), as bpftrace 0.17. */
static void format_cgroup_path(struct arena *a, uint64_t id, const char *filter, struct strobe_value *v)
{
	struct cg_mount *mounts = NULL;
	size_t n = 0;
	FILE *f = fopen("/proc/self/mountinfo", "r");
	char line[4096];
	while (f && fgets(line, sizeof(line), f)) {
		char *sep = strstr(line, " - ");
		char dir[512], fstype[64], source[256], opts[1024] = "";
		if (!sep || sscanf(line, "%*s %*s %*s %*s %511s", dir) != 1 ||
		    sscanf(sep + 3, "%63s %255s %1023s", fstype, source, opts) < 2)
			continue;
		bool v2 = !strcmp(fstype, "cgroup2");
		if (!v2 && strcmp(fstype, "cgroup"))
			continue;
		struct cg_mount *nm = realloc(mounts, (n + 1) * sizeof(*mounts));
		if (!nm)
			break;
		mounts = nm;
		struct cg_mount *m = &mounts[n++];
		memset(m, 0, sizeof(*m));
		snprintf(m->dir, sizeof(m->dir), "%s", dir);
		m->v2 = v2;
		if (v2) {
			snprintf(m->name, sizeof(m->name), "unified");
			continue;
		}
		/* the controllers (or name=X) among the super options */
		size_t k = 0;
		for (char *tok = strtok(opts, ","); tok; tok = strtok(NULL, ",")) {
			if (!strcmp(tok, "rw") || !strcmp(tok, "ro") || !strncmp(tok, "release_agent", 13) ||
			    !strcmp(tok, "clone_children") || !strcmp(tok, "noprefix") || !strcmp(tok, "xattr"))
				continue;
			if (!strncmp(tok, "name=", 5))
				tok += 5;
			k += (size_t)snprintf(m->name + k, k < sizeof(m->name) ? sizeof(m->name) - k : 0, "%s%s",
					      k ? "," : "", tok);
			if (k >= sizeof(m->name))
				break;
		}
	}
	if (f)
		fclose(f);
	if (n)
		qsort(mounts, n, sizeof(*mounts), mount_cmp);
	struct strbuf out = { 0 }, path = { 0 };
	sb_add(&out, "", 0);
	for (size_t i = 0; i < n; i++) {
		path.len = 0;
		sb_add(&path, mounts[i].dir, strlen(mounts[i].dir));
		size_t root = path.len;
		if (filter && fnmatch(filter, mounts[i].name, 0))
			continue;
		if (!find_cgroup(&path, root, id, 0))
			continue;
		const char *rel = path.len > root ? path.s + root : "/";
		sb_addf(&out, "%s%s:%s", out.len ? "," : "", mounts[i].name, rel);
	}
	set_text(a, v, out.s, out.len);
	sb_free(&out);
	sb_free(&path);
	free(mounts);
}

void value_decode_func(struct arena *a, const struct type *ty, const uint8_t *bytes, struct strobe_value *v)
{
	uint64_t u = (uint64_t)read_int(bytes, 8, false);
	switch (ty->kind) {
	case T_TIMESTAMP:
		if (!ty->name) {
			v->kind = STROBE_V_UINT;
			v->u = u;
			break;
		}
		format_timestamp(a, ty->name, u, v);
		break;
	case T_INET: {
		char buf[INET6_ADDRSTRLEN] = "";
		int af = u == AF_INET6 ? AF_INET6 : u == AF_INET ? AF_INET : -1;
		if (af < 0 || !inet_ntop(af, bytes + 8, buf, sizeof(buf)))
			buf[0] = '\0';
		set_text(a, v, buf, strlen(buf));
		break;
	}
	case T_MACADDR: {
		char buf[32];
		snprintf(buf, sizeof(buf), "%02X:%02X:%02X:%02X:%02X:%02X", bytes[0], bytes[1], bytes[2],
			 bytes[3], bytes[4], bytes[5]);
		set_text(a, v, buf, strlen(buf));
		break;
	}
	case T_STRERROR: {
		const char *s = strerror((int)u);
		set_text(a, v, s, strlen(s));
		break;
	}
	case T_CGROUP_PATH:
		format_cgroup_path(a, u, ty->name, v);
		break;
	case T_USERNAME: {
		/* bpftrace prints the uid when /etc/passwd has no name for it */
		struct passwd pw, *found = NULL;
		char buf[1024], num[24];
		const char *name = num;
		if (getpwuid_r((uid_t)u, &pw, buf, sizeof(buf), &found) == 0 && found)
			name = found->pw_name;
		else
			snprintf(num, sizeof(num), "%" PRIu64, u);
		set_text(a, v, name, strlen(name));
		break;
	}
	default:
		break;
	}
}

static void emit_join(struct run_state *st, uint32_t id, const uint8_t *payload, size_t len)
{
	const struct program *p = st->p;
	const char *sep = id < p->nstrings && p->strings[id] ? p->strings[id] : " ";
	struct strbuf out = { 0 };
	sb_add(&out, "", 0);
	for (size_t i = 0; i < JOIN_ARGS && (i + 1) * JOIN_ARG_SIZE <= len; i++) {
		const char *arg = (const char *)payload + i * JOIN_ARG_SIZE;
		size_t n = strnlen(arg, JOIN_ARG_SIZE);
		if (!n)
			break;
		if (i)
			sb_add(&out, sep, strlen(sep));
		sb_add(&out, arg, n);
	}
	if (st->out->ops->join)
		st->out->ops->join(st->out->sink, out.s, out.len);
	sb_free(&out);
}

/* Render the printf-like arguments of printf `id` into st->text; false if they are bad. */
static bool render_format(struct run_state *st, uint32_t id, const uint8_t *payload, size_t len, struct arena *a)
{
	const struct program *p = st->p;
	if (id >= p->nprintfs)
		return false;
	return printf_render(&p->printfs[id], st->specs[id], (size_t)st->nspecs[id], payload, len, &st->text, a,
			     st->args) == 0;
}

static void emit_cat(struct run_state *st, uint32_t id, const uint8_t *payload, size_t len)
{
	struct arena a = ARENA_INIT;
	if (!render_format(st, id, payload, len, &a)) {
		arena_release(&a);
		return;
	}
	FILE *f = fopen(st->text.s, "r");
	if (!f) {
		fprintf(stderr, "ERROR: failed to open file '%s': %s\n", st->text.s, strerror(errno));
		arena_release(&a);
		return;
	}
	size_t max = st->p->max_cat_bytes ? st->p->max_cat_bytes : CAT_BYTES_DEFAULT, n = 0;
	char *buf = malloc(max + 1);
	if (buf) {
		size_t got;
		while (n < max && (got = fread(buf + n, 1, max - n, f)) > 0)
			n += got;
		if (st->out->ops->cat)
			st->out->ops->cat(st->out->sink, buf, n);
	}
	free(buf);
	fclose(f);
	arena_release(&a);
}

static void emit_system(struct run_state *st, uint32_t id, const uint8_t *payload, size_t len)
{
	struct arena a = ARENA_INIT;
	if (!render_format(st, id, payload, len, &a)) {
		arena_release(&a);
		return;
	}
	fflush(NULL); /* what was printed so far comes before the command's output */
	FILE *f = popen(st->text.s, "r");
	if (!f) {
		fprintf(stderr, "ERROR: failed to run '%s': %s\n", st->text.s, strerror(errno));
		arena_release(&a);
		return;
	}
	struct strbuf out = { 0 };
	char buf[4096];
	size_t got;
	sb_add(&out, "", 0);
	while ((got = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_add(&out, buf, got);
	pclose(f);
	if (st->out->ops->syscall)
		st->out->ops->syscall(st->out->sink, out.s, out.len);
	sb_free(&out);
	arena_release(&a);
}

bool handle_func_event(struct run_state *st, uint32_t kind, uint32_t id, const uint8_t *payload, size_t len)
{
	switch (kind) {
	case EV_JOIN:
		emit_join(st, id, payload, len);
		return true;
	case EV_CAT:
		emit_cat(st, id, payload, len);
		return true;
	case EV_SYSTEM:
		emit_system(st, id, payload, len);
		return true;
	default:
		return false;
	}
}
