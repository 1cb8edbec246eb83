/*
 * Value decoding: the bytes of one value of a script type (a map key or value,
 * an event argument) turned into a strobe_value for sinks and printf.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <inttypes.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "../cgroup.h"
#include "runtime_internal.h"

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

/* Depth-first search under dir (path) for the cgroup whose id is id; rel is the path below the mount. */
static bool find_cgroup(struct strbuf *path, size_t root_len, uint64_t id, int depth)
{
	uint64_t here;
	if (cgroup_id(path->s, &here) == 0 && here == id)
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
		char *save = NULL;
		for (char *tok = strtok_r(opts, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
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

/* T_TIMESTAMP, T_INET, T_MACADDR, T_STRERROR, T_CGROUP_PATH, T_USERNAME, T_SYSCALL_NAME (types.h) as text. */
static void decode_text(struct arena *a, const struct type *ty, const uint8_t *bytes, struct strobe_value *v)
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
	case T_SYSCALL_NAME: {
		char num[24];
		const char *s = syscall_name_of(u);
		if (!s) { /* not a syscall of this architecture: its number */
			snprintf(num, sizeof(num), "%" PRIu64, u);
			s = num;
		}
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

/* A bitfield's bits, sign-extended for signed fields; reads stay inside the `avail` bytes. */
static void decode_bitfield(const struct type_field *f, const uint8_t *bytes, uint32_t avail,
			    struct strobe_value *v)
{
	uint8_t word[8] = { 0 };
	uint32_t size = f->type->size <= 8 ? f->type->size : 8;
	if (size > avail)
		size = avail;
	memcpy(word, bytes + f->offset, size);
	uint64_t raw = (uint64_t)read_int(word, 8, false);
	raw >>= f->bit_offset;
	if (f->bit_width < 64)
		raw &= (UINT64_C(1) << f->bit_width) - 1;
	v->kind = f->type->is_signed ? STROBE_V_INT : STROBE_V_UINT;
	if (f->type->is_signed && f->bit_width < 64 && (raw >> (f->bit_width - 1)) & 1)
		raw |= ~((UINT64_C(1) << f->bit_width) - 1); /* sign-extend */
	v->u = raw;
}

/*
 * Tuples become STROBE_V_TUPLE; records STROBE_V_RECORD with their field
 * names. Fields without a type (BTF types strobe cannot represent) are left
 * out. A record's fields were completed by sema (sema_complete_value).
 */
static void decode_fields(struct arena *a, const struct type *ty, const uint8_t *bytes,
			  struct strobe_value *v)
{
	struct strobe_value *items = arena_zalloc(a, (ty->nfields ? ty->nfields : 1) * sizeof(*items));
	const char **names = NULL;
	bool record = ty->kind == T_RECORD;
	if (record)
		names = arena_zalloc(a, (ty->nfields ? ty->nfields : 1) * sizeof(*names));
	uint32_t n = 0;
	for (uint32_t i = 0; i < ty->nfields; i++) {
		const struct type_field *f = &ty->fields[i];
		bool fits = !f->type ? false : f->bit_width ? f->offset < ty->size : f->offset + f->type->size <= ty->size;
		if (!f->type || !fits)
			continue;
		if (f->bit_width && f->type->kind == T_INT) {
			decode_bitfield(f, bytes, ty->size - f->offset, &items[n]);
		} else if (f->type->kind == T_POINTER) {
			/* a pointer member prints as a signed integer in bpftrace 0.17 */
			items[n].kind = STROBE_V_INT;
			items[n].i = read_int(bytes + f->offset, 8, true);
		}
		else {
			value_decode(a, f->type, bytes + f->offset, &items[n]);
		}
		if (record)
			names[n] = f->name ? f->name : "";
		n++;
	}
	v->kind = record ? STROBE_V_RECORD : STROBE_V_TUPLE;
	v->list.items = items;
	v->list.n = n;
	v->list.names = names;
}

/*
 * An enum's value equal to one of its enumerators prints as the name
 * (bpftrace 0.24): a symbol whose address is the value, so %d still prints
 * the number. Others stay integers.
 */
static void decode_enum(const struct type *ty, struct strobe_value *v)
{
	for (uint32_t i = 0; i < ty->nenumerators; i++) {
		if (ty->enumerators[i].value != v->i)
			continue;
		v->kind = STROBE_V_SYM;
		v->sym.addr = v->u;
		v->sym.name = ty->enumerators[i].name;
		return;
	}
}

/* The `probe` builtin's names (program.h), set by value_set_probe_names. */
static const char *const *probe_names;
static size_t nprobe_names;
static const char *str_trailer;

void value_decode(struct arena *a, const struct type *ty, const uint8_t *bytes,
		  struct strobe_value *v)
{
	memset(v, 0, sizeof(*v));
	if (!ty)
		return;
	switch (ty->kind) {
	case T_INT:
		if (ty->is_signed) {
			v->kind = STROBE_V_INT;
			v->i = read_int(bytes, ty->size, true);
		} else {
			v->kind = STROBE_V_UINT;
			v->u = (uint64_t)read_int(bytes, ty->size, false);
		}
		decode_enum(ty, v);
		break;
	case T_BOOL:
		v->kind = STROBE_V_BOOL;
		v->u = bytes[0] != 0;
		break;
	case T_STRING: {
		size_t n = strnlen((const char *)bytes, type_string_capacity(ty));
		v->kind = STROBE_V_STR;
		v->str.s = arena_strndup(a, (const char *)bytes, n);
		v->str.len = n;
		if (ty->trunc && bytes[ty->size - 1]) { /* str() cut it */
			const char *t = str_trailer ? str_trailer : "..";
			v->str.s = arena_printf(a, "%s%s", v->str.s, t);
			v->str.len = n + strlen(t);
		}
		break;
	}
	case T_BUFFER: {
		uint32_t n;
		memcpy(&n, bytes, 4);
		uint32_t cap = ty->size > 4 ? ty->size - 4 : 0;
		if (n > cap)
			n = cap;
		char *s = arena_zalloc(a, n + 1);
		memcpy(s, bytes + 4, n);
		v->kind = STROBE_V_BUF;
		v->str.s = s;
		v->str.len = n;
		break;
	}
	case T_POINTER: {
		/* only map keys keep a pointer type (values are stored as int64): "0x1" as in bpftrace 0.17 */
		uint64_t p = (uint64_t)read_int(bytes, ty->size ? ty->size : 8, false);
		char *hex = arena_printf(a, "0x%" PRIx64, p);
		v->kind = STROBE_V_STR;
		v->str.s = hex;
		v->str.len = strlen(hex);
		break;
	}
	case T_ARRAY: {
		struct strobe_value *items = arena_zalloc(a, (ty->count ? ty->count : 1) * sizeof(*items));
		uint32_t stride = ty->elem ? ty->elem->size : 0;
		for (uint32_t i = 0; i < ty->count; i++) {
			if (ty->elem && ty->elem->kind == T_POINTER) { /* as pointer members print: signed */
				items[i].kind = STROBE_V_INT;
				items[i].i = read_int(bytes + (size_t)i * stride, 8, true);
				continue;
			}
			value_decode(a, ty->elem, bytes + (size_t)i * stride, &items[i]);
		}
		v->kind = STROBE_V_ARRAY;
		v->list.items = items;
		v->list.n = ty->count;
		break;
	}
	case T_TUPLE:
	case T_RECORD:
		decode_fields(a, ty, bytes, v);
		break;
	case T_KSYM:
		v->kind = STROBE_V_SYM;
		v->sym.addr = (uint64_t)read_int(bytes, 8, false);
		v->sym.name = ksym_lookup(v->sym.addr, NULL); /* ksym() prints no offset */
		break;
	case T_USYM:
		v->kind = STROBE_V_SYM;
		v->sym.addr = (uint64_t)read_int(bytes, 8, false);
		v->sym.name = usym_lookup(a, (uint32_t)read_int(bytes + 8, 8, false), v->sym.addr, false,
					  &v->sym.module);
		v->sym.module = NULL; /* usym() prints the name only */
		break;
	case T_KSTACK:
	case T_USTACK:
		stack_decode(a, ty, bytes, v);
		break;
	case T_PROBE: {
		uint64_t idx = (uint64_t)read_int(bytes, 8, false);
		const char *name = idx < nprobe_names && probe_names[idx] ? probe_names[idx] : "";
		v->kind = STROBE_V_STR;
		v->str.s = name;
		v->str.len = strlen(name);
		break;
	}
	default:
		decode_text(a, ty, bytes, v); /* strftime, ntop, strerror... */
		break;
	}
}

void value_set_str_trailer(const char *trailer)
{
	str_trailer = trailer;
}

void value_set_probe_names(const char *const *names, size_t n)
{
	probe_names = names;
	nprobe_names = n;
}
