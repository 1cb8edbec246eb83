/*
 * --cgroup and --container (cgroup.h): a cgroup directory to the id and
 * level the BPF filter compares (bpf_get_current_ancestor_cgroup_id), and a
 * container name or id to its cgroup directory.
 */
#include "cgroup.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#define CGROUP2_MAGIC 0x63677270
#define CGROUP1_MAGIC 0x27e0eb
#define CONTAINER_DEPTH 6 /* how deep under the cgroup2 mount a container is looked for */

/* The mount point of the first mount of fstype whose mount point is a prefix of path (any if NULL). */
static int find_mount(const char *fstype, const char *path, char *out, size_t len)
{
	FILE *f = fopen("/proc/self/mountinfo", "r");
	if (!f)
		return -errno;
	char line[4096];
	size_t best = 0;
	while (fgets(line, sizeof(line), f)) {
		char mnt[PATH_MAX], type[64];
		const char *sep = strstr(line, " - ");
		if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mnt) != 1 || sscanf(sep + 3, "%63s", type) != 1 ||
		    strcmp(type, fstype))
			continue;
		size_t n = strlen(mnt);
		if (path && (strncmp(path, mnt, n) || (path[n] && path[n] != '/' && strcmp(mnt, "/"))))
			continue;
		if (n >= len || (best && n <= best))
			continue;
		memcpy(out, mnt, n + 1);
		best = n;
		if (!path)
			break;
	}
	fclose(f);
	return best ? 0 : -ENOENT;
}

/* The first process of dir's cgroup.procs, or of the cgroups below it; -1 if none. */
static int first_task(const char *dir, int depth)
{
	char path[PATH_MAX];
	int pid = -1;
	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	FILE *f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%d", &pid) != 1)
			pid = -1;
		fclose(f);
	}
	DIR *d = pid < 0 && depth > 0 ? opendir(dir) : NULL;
	struct dirent *e;
	while (d && pid < 0 && (e = readdir(d))) {
		if (e->d_type == DT_DIR && e->d_name[0] != '.' &&
		    (size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) < sizeof(path))
			pid = first_task(path, depth - 1);
	}
	if (d)
		closedir(d);
	return pid;
}

/* The cgroup id: the kernfs file handle of the directory (its inode number if none). */
int cgroup_id(const char *path, uint64_t *id)
{
	struct {
		struct file_handle fh;
		uint64_t id;
	} h = { .fh.handle_bytes = sizeof(uint64_t) };
	int mount_id;
	if (name_to_handle_at(AT_FDCWD, path, &h.fh, &mount_id, 0) == 0 && h.fh.handle_bytes == sizeof(uint64_t)) {
		memcpy(id, h.fh.f_handle, sizeof(*id));
		return 0;
	}
	struct stat st;
	if (stat(path, &st) < 0)
		return -errno;
	*id = st.st_ino;
	return 0;
}

int cgroup_resolve(const char *path, struct cgroup_target *t, char *err, size_t errlen)
{
	char real[PATH_MAX], v2[PATH_MAX], twin[PATH_MAX];
	struct statfs sf;
	struct stat st;
	if (!realpath(path, real) || stat(real, &st) < 0) {
		snprintf(err, errlen, "cgroup '%s' does not exist: %s", path, strerror(errno));
		return -ENOENT;
	}
	if (!S_ISDIR(st.st_mode) || statfs(real, &sf) < 0 ||
	    (sf.f_type != CGROUP2_MAGIC && sf.f_type != CGROUP1_MAGIC)) {
		snprintf(err, errlen, "'%s' is not a cgroup directory", path);
		return -EINVAL;
	}
	if (find_mount("cgroup2", sf.f_type == CGROUP2_MAGIC ? real : NULL, v2, sizeof(v2)) < 0) {
		snprintf(err, errlen, "no cgroup v2 hierarchy is mounted: the kernel filters probes by v2 cgroup");
		return -ENOENT;
	}
	const char *rel;
	if (sf.f_type == CGROUP2_MAGIC) {
		rel = real + strlen(v2);
	} else {
		/* v1: the same path in the v2 hierarchy (systemd's hybrid layout keeps both) */
		char v1[PATH_MAX];
		if (find_mount("cgroup", real, v1, sizeof(v1)) < 0) {
			snprintf(err, errlen, "'%s' is not under a cgroup v1 mount", path);
			return -EINVAL;
		}
		rel = real + strlen(v1);
		if ((size_t)snprintf(twin, sizeof(twin), "%s%s", v2, rel) >= sizeof(twin) || stat(twin, &st) < 0 ||
		    !S_ISDIR(st.st_mode)) {
			snprintf(err, errlen,
				 "'%s' is a cgroup v1 directory and '%s' does not exist: the kernel filters "
				 "probes by v2 cgroup; give the tasks' cgroup v2 directory",
				 path, twin);
			return -ENOENT;
		}
		memcpy(real, twin, strlen(twin) + 1);
		rel = real + strlen(v2);
	}
	t->level = 0;
	for (const char *p = rel; *p; p++)
		if (*p == '/' && p[1] && p[1] != '/')
			t->level++;
	int e = cgroup_id(real, &t->id);
	if (e < 0) {
		snprintf(err, errlen, "cannot read the id of cgroup '%s': %s", path, strerror(-e));
		return e;
	}
	t->task = t->level ? first_task(real, CONTAINER_DEPTH) : -1; /* the root: everything, no one */
	return 0;
}

/* The container id in a cgroup directory's name, or NULL: docker-ID.scope, libpod-ID, ID. */
static const char *name_id(const char *name, size_t *len)
{
	static const char *const prefixes[] = { "docker-", "libpod-", "cri-containerd-", "crio-", "containerd-" };
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++)
		if (!strncmp(name, prefixes[i], strlen(prefixes[i]))) {
			name += strlen(prefixes[i]);
			break;
		}
	size_t n = strspn(name, "0123456789abcdef");
	if (n < 12 || (name[n] && strcmp(name + n, ".scope")))
		return NULL;
	*len = n;
	return name;
}

struct search {
	const char *id;
	char found[PATH_MAX];
	size_t nfound;
	char other[PATH_MAX]; /* a second match, for the error */
};

static void search_dir(const char *dir, int depth, struct search *s)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_type != DT_DIR || e->d_name[0] == '.')
			continue;
		char path[PATH_MAX];
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= sizeof(path))
			continue;
		size_t n;
		const char *id = name_id(e->d_name, &n);
		if (id && strlen(s->id) <= n && !strncmp(id, s->id, strlen(s->id))) {
			snprintf(s->nfound ? s->other : s->found, PATH_MAX, "%s", path);
			s->nfound++;
			continue; /* a container's own sub-cgroups are its */
		}
		if (depth > 1)
			search_dir(path, depth - 1, s);
	}
	closedir(d);
}

/* The id docker or podman gives a container name, or -errno. */
static int runtime_id(const char *name, char *id, size_t len)
{
	static const char *const runtimes[] = { "docker", "podman" };
	for (size_t i = 0; i < sizeof(runtimes) / sizeof(runtimes[0]); i++) {
		int fds[2];
		if (pipe2(fds, O_CLOEXEC) < 0)
			return -errno;
		pid_t pid = fork();
		if (pid == 0) {
			dup2(fds[1], 1);
			int null = open("/dev/null", O_WRONLY);
			if (null >= 0)
				dup2(null, 2);
			execlp(runtimes[i], runtimes[i], "inspect", "--format", "{{.Id}}", "--", name, (char *)NULL);
			_exit(127);
		}
		close(fds[1]);
		ssize_t n = pid > 0 ? read(fds[0], id, len - 1) : -1;
		close(fds[0]);
		int status = 0;
		if (pid > 0)
			waitpid(pid, &status, 0);
		if (n > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			id[n] = '\0';
			id[strcspn(id, "\n")] = '\0';
			if (id[0])
				return 0;
		}
	}
	return -ENOENT;
}

int cgroup_find_container(const char *name, char *path, size_t len, char *err, size_t errlen)
{
	char v2[PATH_MAX], id[128];
	if (find_mount("cgroup2", NULL, v2, sizeof(v2)) < 0) {
		snprintf(err, errlen, "no cgroup v2 hierarchy is mounted: cannot find container '%s'", name);
		return -ENOENT;
	}
	struct search s = { .id = name };
	bool hex = strlen(name) >= 4 && strspn(name, "0123456789abcdef") == strlen(name);
	if (hex)
		search_dir(v2, CONTAINER_DEPTH, &s);
	if (!s.nfound && runtime_id(name, id, sizeof(id)) == 0) {
		s.id = id;
		search_dir(v2, CONTAINER_DEPTH, &s);
	}
	if (s.nfound > 1) {
		snprintf(err, errlen, "container '%s' is ambiguous: %s and %s (give more of its id)", name, s.found,
			 s.other);
		return -EINVAL;
	}
	if (!s.nfound) {
		snprintf(err, errlen,
			 "no container '%s': no cgroup under %s is named by that id (docker-ID.scope, "
			 "libpod-ID.scope, cri-containerd-ID.scope, crio-ID.scope, docker/ID)%s",
			 name, v2, hex ? "" : ", and neither docker nor podman knows the name");
		return -ENOENT;
	}
	snprintf(path, len, "%s", s.found);
	return 0;
}
