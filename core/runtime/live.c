/*
 * Live sinks (output.h, struct strobe_output_live): map snapshots on demand,
 * and the event loop over the ring buffer plus the file descriptors a sink
 * watches (the Prometheus exporter's sockets). Also the maps printed at exit,
 * which are a snapshot too.
 */
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "../config.h"
#include "runtime_internal.h"

static int map_name_cmp(const void *x, const void *y)
{
	const struct prog_map *a = *(const struct prog_map *const *)x;
	const struct prog_map *b = *(const struct prog_map *const *)y;
	return strcmp(a->name ? a->name : "", b->name ? b->name : "");
}

int maps_each(const struct program *p, bool with_empty,
	      void (*fn)(void *arg, const struct strobe_map_view *map), void *arg)
{
	const struct prog_map **order = malloc((p->nmaps ? p->nmaps : 1) * sizeof(*order));
	if (!order)
		return -ENOMEM;
	size_t n = 0;
	for (size_t i = 0; i < p->nmaps; i++)
		if (p->maps[i].name && p->maps[i].name[0] == '@')
			order[n++] = &p->maps[i];
	qsort(order, n, sizeof(*order), map_name_cmp);
	for (size_t i = 0; i < n; i++) {
		struct map_raw raw;
		if (map_read_raw(order[i], &raw) < 0)
			continue;
		struct map_view_buf view;
		map_build_view(order[i], &raw, 0, 1, &view);
		if (with_empty || view.view.n)
			fn(arg, &view.view);
		map_view_release(&view);
		map_raw_release(&raw);
	}
	free(order);
	return 0;
}

static int live_snapshot(void *ctx, void (*fn)(void *arg, const struct strobe_map_view *map), void *arg)
{
	struct live *lv = ctx;
	return maps_each(lv->p, false, fn, arg);
}

static int live_watch(void *ctx, int fd, uint32_t events)
{
	struct live *lv = ctx;
	if (lv->over) /* the loop is over (sinks close their fds in exiting()) */
		return events ? -ESHUTDOWN : 0;
	if (fd < 0 || fd == lv->ring_fd)
		return -EBADF;
	if (lv->epfd < 0) { /* the first fd: the loop waits on the ring buffer and the fds from now on */
		if (!events)
			return 0;
		struct epoll_event ring = { .events = EPOLLIN, .data.fd = lv->ring_fd };
		lv->epfd = epoll_create1(EPOLL_CLOEXEC);
		if (lv->epfd < 0 || epoll_ctl(lv->epfd, EPOLL_CTL_ADD, lv->ring_fd, &ring) < 0) {
			int e = errno;
			if (lv->epfd >= 0)
				close(lv->epfd);
			lv->epfd = -1;
			return -e;
		}
	}
	struct epoll_event ev = { .data.fd = fd };
	ev.events = (events & STROBE_WATCH_READ ? EPOLLIN : 0) | (events & STROBE_WATCH_WRITE ? EPOLLOUT : 0);
	if (!events) {
		if (epoll_ctl(lv->epfd, EPOLL_CTL_DEL, fd, NULL) < 0)
			return errno == ENOENT ? 0 : -errno;
		lv->nwatch--;
		return 0;
	}
	if (epoll_ctl(lv->epfd, EPOLL_CTL_MOD, fd, &ev) == 0)
		return 0;
	if (errno != ENOENT || epoll_ctl(lv->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	lv->nwatch++;
	return 0;
}

static const char *live_config(void *ctx, const char *key)
{
	struct live *lv = ctx;
	return lv->cfg ? config_string(lv->cfg, key) : NULL;
}

void live_start(struct live *lv, struct program *p, struct output *out, struct ring_buffer *rb,
		const struct config *cfg)
{
	*lv = (struct live){ .epfd = -1, .p = p, .out = out, .rb = rb, .cfg = cfg };
	if (!out->ops->live || !out->ops->ready)
		return;
	lv->ring_fd = ring_buffer__epoll_fd(rb);
	lv->table = (struct strobe_output_live){
		.size = sizeof(lv->table),
		.ctx = lv,
		.snapshot = live_snapshot,
		.watch = live_watch,
		.config = live_config,
	};
	out->ops->live(out->sink, &lv->table);
}

bool live_active(const struct live *lv)
{
	return lv->nwatch > 0;
}

#define LIVE_EVENTS 16

int live_poll(struct live *lv, int timeout_ms)
{
	struct epoll_event evs[LIVE_EVENTS];
	int n = epoll_wait(lv->epfd, evs, LIVE_EVENTS, timeout_ms);
	if (n < 0)
		return -errno;
	int consumed = 0;
	for (int i = 0; i < n; i++) {
		if (evs[i].data.fd == lv->ring_fd) {
			int c = ring_buffer__consume(lv->rb);
			if (c < 0)
				return c;
			consumed += c;
			continue;
		}
		uint32_t ready = (evs[i].events & EPOLLOUT ? STROBE_WATCH_WRITE : 0) |
				 (evs[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP) ? STROBE_WATCH_READ : 0);
		lv->out->ops->ready(lv->out->sink, evs[i].data.fd, ready);
	}
	return consumed;
}

void live_stop(struct live *lv)
{
	if (lv->epfd >= 0)
		close(lv->epfd);
	lv->epfd = -1;
	lv->nwatch = 0;
	lv->over = true;
}
