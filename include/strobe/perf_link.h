/* SPDX-License-Identifier: MIT */
/*
 * Linking a BPF program to a perf event: a header-only helper shared by the
 * providers that attach through perf events (tracepoint, interval, profile,
 * software, hardware — and any third-party provider that needs the same).
 * Modules link nothing from the core, so everything here is static inline
 * and uses only the kernel's perf_event_open(2) and libbpf's low-level
 * bpf.h.
 *
 *	struct strobe_perf_fd ev;
 *	int err = strobe_perf_attach(&attr, pid, cpu, prog_fd, cookie, &ev);
 *	...
 *	strobe_perf_detach(&ev);
 *
 * strobe_perf_attach() prefers a BPF perf link (bpf_link_create with
 * BPF_PERF_EVENT, kernel >= 5.15), which carries the attachment's BPF
 * cookie (bpf_get_attach_cookie(), the `probe` builtin). On older kernels
 * it falls back to PERF_EVENT_IOC_SET_BPF + PERF_EVENT_IOC_ENABLE, where
 * cookies do not exist.
 */
#ifndef STROBE_PERF_LINK_H
#define STROBE_PERF_LINK_H

#include <bpf/bpf.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* One perf event with a program linked to it. */
struct strobe_perf_fd {
	int perf_fd;
	int link_fd; /* -1 when attached with the ioctl fallback */
};

/* perf_event_open(2); a new fd (close-on-exec) or -errno. */
static inline int strobe_perf_event_open(struct perf_event_attr *attr, int pid, int cpu)
{
	if (!attr->size)
		attr->size = sizeof(*attr);
	int fd = (int)syscall(SYS_perf_event_open, attr, pid, cpu, -1, PERF_FLAG_FD_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/*
 * Link prog_fd to the already opened perf event perf_fd. On success
 * *link_fd is the link (or -1 after the ioctl fallback) and 0 is returned;
 * on failure -errno, and perf_fd is left open for the caller to close.
 */
static inline int strobe_perf_link(int perf_fd, int prog_fd, uint64_t cookie, int *link_fd)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .perf_event.bpf_cookie = cookie);
	int lfd = bpf_link_create(prog_fd, perf_fd, BPF_PERF_EVENT, &opts);
	if (lfd >= 0) {
		*link_fd = lfd;
		return 0;
	}
	/* Kernels before 5.15 have no perf links (and no cookies): the old way. */
	if (ioctl(perf_fd, PERF_EVENT_IOC_SET_BPF, prog_fd) < 0 ||
	    ioctl(perf_fd, PERF_EVENT_IOC_ENABLE, 0) < 0)
		return -errno;
	*link_fd = -1;
	return 0;
}

/*
 * Open the event and link the program to it. Returns 0 and fills *out, or
 * a negative errno with nothing left open. *failed_step says which step
 * failed ("perf_event_open" or "link") so that messages can be precise.
 */
static inline int strobe_perf_attach(struct perf_event_attr *attr, int pid, int cpu, int prog_fd,
				     uint64_t cookie, struct strobe_perf_fd *out,
				     const char **failed_step)
{
	int pfd = strobe_perf_event_open(attr, pid, cpu);
	if (pfd < 0) {
		if (failed_step)
			*failed_step = "perf_event_open";
		return pfd;
	}
	int lfd = -1;
	int err = strobe_perf_link(pfd, prog_fd, cookie, &lfd);
	if (err) {
		if (failed_step)
			*failed_step = "link";
		close(pfd);
		return err;
	}
	out->perf_fd = pfd;
	out->link_fd = lfd;
	return 0;
}

/* Undo strobe_perf_attach(): the program stops running on the event. */
static inline void strobe_perf_detach(struct strobe_perf_fd *ev)
{
	if (ev->link_fd >= 0)
		close(ev->link_fd);
	else if (ev->perf_fd >= 0)
		ioctl(ev->perf_fd, PERF_EVENT_IOC_DISABLE, 0);
	if (ev->perf_fd >= 0)
		close(ev->perf_fd);
	ev->perf_fd = ev->link_fd = -1;
}

#endif
