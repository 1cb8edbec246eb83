/*
 * --cgroup PATH and --container NAME|ID: the cgroup every provider probe is
 * limited to, as the kernel names it (its id and level in the v2 hierarchy).
 */
#ifndef STROBE_CGROUP_H
#define STROBE_CGROUP_H

#include <stddef.h>
#include <stdint.h>

struct cgroup_target {
	uint64_t id;    /* the cgroup v2 id (the directory's file handle) */
	uint32_t level; /* depth below the hierarchy's root: 0 for the root */
	int task;       /* a process in the cgroup or below it, or -1: user probes resolve through it */
};

/*
 * A cgroup directory: a v2 one, or a v1 one whose twin in the v2 hierarchy
 * (same path under the cgroup2 mount, as systemd's hybrid layout keeps)
 * exists. Returns 0, or -errno with a message in err. t->task is the first
 * process listed in its cgroup.procs, or in those of the cgroups below it
 * (a container's tasks often sit in a child).
 */
/* The cgroup id of directory path: its kernfs file handle (its inode number if none). 0 or -errno. */
int cgroup_id(const char *path, uint64_t *id);

int cgroup_resolve(const char *path, struct cgroup_target *t, char *err, size_t errlen);

/*
 * A container's cgroup directory, whatever runtime created it: a directory
 * under the cgroup2 mount named by the container's id (full or a prefix of
 * at least 4 characters) as docker, podman, containerd and cri-o name them
 * (docker-ID.scope, libpod-ID.scope, cri-containerd-ID.scope, crio-ID.scope,
 * docker/ID). A name that matches no id is asked of docker or podman
 * (`inspect --format {{.Id}}`) when one is installed. Returns 0 with the
 * path in path, or -errno with a message in err.
 */
int cgroup_find_container(const char *name, char *path, size_t len, char *err, size_t errlen);

#endif
