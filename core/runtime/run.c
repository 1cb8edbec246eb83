/*
 * One run: banner, BEGIN, attach, event loop, detach, END, maps at exit;
 * the signals that end it.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#include "../child.h"
#include "../host.h"
#include "runtime_internal.h"

#define POLL_TIMEOUT_MS 100

static volatile sig_atomic_t stop_signal, print_signal;

static void on_stop_signal(int sig)
{
	stop_signal = sig;
}

/* SIGUSR1: run the self:signal:SIGUSR1 probes, or without them print every map (0.17), and go on */
static void on_print_signal(int sig)
{
	print_signal = sig;
}

struct live_link {
	struct provider *provider;
	struct strobe_link *link;
};

struct links {
	struct live_link *v;
	size_t n, cap;
};

static unsigned count_attach_points(const struct program *p)
{
	unsigned n = 0;
	for (size_t i = 0; i < p->nprobes; i++)
		n += p->probes[i].kind == PROBE_PROVIDER ? (unsigned)p->probes[i].nattach : 1;
	return n;
}

/* BEGIN/END/self: raw_tp programs run once in the kernel via BPF_PROG_TEST_RUN. */
static int run_special(const struct program *p, enum probe_kind kind)
{
	for (size_t i = 0; i < p->nfuncs; i++) {
		const struct prog_func *f = &p->funcs[i];
		if (!f->probe || f->probe->kind != kind)
			continue;
		uint64_t ctx[12] = { 0 }; /* MAX_BPF_FUNC_ARGS u64 arguments, all zero */
		LIBBPF_OPTS(bpf_test_run_opts, opts, .ctx_in = ctx, .ctx_size_in = sizeof(ctx));
		if (bpf_prog_test_run_opts(f->fd, &opts) < 0) {
			int e = errno;
			fprintf(stderr, "ERROR: failed to run %s: %s\n", func_probe_name(f), strerror(e));
			return -e;
		}
	}
	return 0;
}

/*
 * Closing a tracepoint's perf event (and its BPF link) waits for an RCU
 * grace period in the kernel, ~30-70 ms each: 361 syscall tracepoints took
 * ~27 s one after another. Concurrent closers share grace periods, so the
 * links are handed to a pool of threads. Providers only close their own fds
 * in detach(), which makes concurrent detach() of different links safe (see
 * include/strobe/provider.h).
 */
#define DETACH_MAX_THREADS 64
#define DETACH_SERIAL_BELOW 4 /* fewer links than this: not worth a thread */

struct detach_pool {
	struct live_link *v;
	size_t n;
	size_t next; /* atomic */
};

static void *detach_worker(void *arg)
{
	struct detach_pool *pool = arg;
	for (;;) {
		size_t i = __atomic_fetch_add(&pool->next, 1, __ATOMIC_RELAXED);
		if (i >= pool->n)
			break;
		provider_detach(pool->v[i].provider, pool->v[i].link);
	}
	return NULL;
}

static void detach_links(struct links *l)
{
	struct detach_pool pool = { .v = l->v, .n = l->n };
	size_t nthreads = l->n < DETACH_SERIAL_BELOW ? 0 : l->n;
	if (nthreads > DETACH_MAX_THREADS)
		nthreads = DETACH_MAX_THREADS;
	pthread_t tids[DETACH_MAX_THREADS];
	size_t started = 0;
	if (nthreads > 1) {
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		pthread_attr_setstacksize(&attr, 64 * 1024); /* detach() needs little stack */
		for (; started < nthreads - 1; started++)
			if (pthread_create(&tids[started], &attr, detach_worker, &pool) != 0)
				break;
		pthread_attr_destroy(&attr);
	}
	/* This thread works too, so the links are detached even if no thread could start. */
	detach_worker(&pool);
	for (size_t i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	free(l->v);
	*l = (struct links){ 0 };
}

/*
 * Detach everything, without making the user wait for the kernel: with more
 * than DETACH_FOREGROUND_MAX links, a forked child (which shares the fds)
 * closes them while this process only drops its own references, which is
 * instant, and exits. The child releases every program within a grace
 * period or two (link closes run concurrently) and the perf events after
 * it (their closes are serialised by the kernel's event_mutex, ~40 ms
 * each). If the child is killed, the kernel closes its fds at exit, so
 * nothing stays attached either way. Call with stdio flushed: the child
 * leaves with _exit().
 */
#define DETACH_FOREGROUND_MAX 4

static void detach_all(struct links *l, bool background)
{
	if (background && l->n > DETACH_FOREGROUND_MAX && !secure_getenv("STROBE_DETACH_SYNC")) {
		fflush(NULL);
		pid_t pid = fork();
		if (pid == 0) {
			int null = open("/dev/null", O_RDWR | O_CLOEXEC);
			if (null >= 0) {
				/* do not hold the caller's pipes open: $(strobe ...) must see EOF */
				dup2(null, 0);
				dup2(null, 1);
				dup2(null, 2);
			}
			prctl(PR_SET_NAME, "strobe-detach"); /* visible in ps; tests wait for it */
			detach_links(l);
			_exit(0);
		}
		/* pid < 0: no child, the links are detached here, slowly but completely */
	}
	detach_links(l);
}

static int links_add(struct links *l, struct provider *provider, struct strobe_link *link)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 16;
		struct live_link *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = (struct live_link){ provider, link };
	return 0;
}

/*
 * Dispatch groups (program.h, struct prog_dispatch): one attach() of the
 * entry function to the shared event delivers all the group's attach points,
 * so they succeed or fail together.
 */
static int attach_dispatches(const struct program *p, const struct run_opts *o, struct links *l,
			     size_t *tried, size_t *failed)
{
	for (size_t g = 0; g < p->ndispatches; g++) {
		const struct prog_dispatch *d = &p->dispatches[g];
		char err[512] = "";
		struct strobe_link *link = NULL;
		struct strobe_attach_req req = {
			.size = sizeof(req),
			.type = d->type,
			.target = d->shared,
			.prog_fd = p->funcs[d->entry].fd,
			.cookie = 0, /* dispatched functions take `probe` from the dispatch map */
			.pid = o->pid,
		};
		int rc = d->provider ? provider_attach(d->provider, &req, &link, err, sizeof(err)) : -ENOENT;
		*tried += d->nattach;
		if (rc < 0 || !link) {
			if (!err[0])
				snprintf(err, sizeof(err), "%s", strerror(rc < 0 ? -rc : EINVAL));
			const struct prog_func *f = &p->funcs[d->funcs[0]];
			const char *name = f->probe->attach[f->attach_idx[0]].name;
			if (o->missing_probes == MISSING_PROBES_ERROR) {
				fprintf(stderr, "ERROR: Error attaching probe: '%s' (and %zu more, through %s:%s): %s\n",
					name, d->nattach - 1, d->type, d->shared, err);
				fprintf(stderr, "HINT: STROBE_NO_SYSCALL_DISPATCH=1 attaches each tracepoint "
						"on its own\n");
				return rc < 0 ? rc : -EINVAL;
			}
			if (o->missing_probes == MISSING_PROBES_WARN && core_warnings())
				fprintf(stderr, "WARNING: Error attaching probe: '%s' (and %zu more, through %s:%s): %s (skipped)\n",
					name, d->nattach - 1, d->type, d->shared, err);
			*failed += d->nattach;
			continue;
		}
		if (links_add(l, d->provider, link) < 0) {
			provider_detach(d->provider, link);
			return -ENOMEM;
		}
	}
	return 0;
}

/* One attachment through attach(); the missing_probes policy decides what a failure is. */
static int attach_one(const struct probe_attach *a, int prog_fd, const struct run_opts *o,
		      struct links *l, size_t *failed)
{
	char err[512] = "";
	struct strobe_link *link = NULL;
	struct strobe_attach_req req = {
		.size = sizeof(req),
		.type = a->type,
		.target = a->target,
		.prog_fd = prog_fd,
		.cookie = a->name_id, /* program.h: probe_names */
		.pid = o->pid,
	};
	int rc = a->provider ? provider_attach(a->provider, &req, &link, err, sizeof(err)) : -ENOENT;
	if (rc < 0 || !link) {
		if (!err[0])
			snprintf(err, sizeof(err), "%s", strerror(rc < 0 ? -rc : EINVAL));
		if (o->missing_probes == MISSING_PROBES_ERROR) {
			fprintf(stderr, "ERROR: Error attaching probe: '%s': %s\n", a->name, err);
			fprintf(stderr, "HINT: set BPFTRACE_MISSING_PROBES=warn to skip attach points "
					"that cannot be attached\n");
			return rc < 0 ? rc : -EINVAL;
		}
		if (o->missing_probes == MISSING_PROBES_WARN && core_warnings())
			fprintf(stderr, "WARNING: Error attaching probe: '%s': %s (skipped)\n", a->name,
				err);
		(*failed)++;
		return 0;
	}
	if (links_add(l, a->provider, link) < 0) {
		provider_detach(a->provider, link);
		return -ENOMEM;
	}
	return 0;
}

/*
 * Multi-attach (provider.h, set_multi/attach_multi): attachments of one
 * function that share provider, probe type and multi attach type, at least
 * MULTI_MIN of them, go through one attach_multi() with a copy of the
 * program loaded for that attach type (kprobe_multi: one link instead of a
 * perf event per function). Whatever does not work that way (the copy does
 * not load, the kernel has no such link) is left to attach_one() with the
 * normal program; done[j] marks what was attached here. STROBE_NO_MULTI_ATTACH=1
 * turns it off; STROBE_DEBUG_ATTACH=1 says on stderr what happened.
 */
#define MULTI_MIN 2

static int attach_multi_groups(struct program *p, size_t fi, const struct run_opts *o,
			       struct links *l, bool *done)
{
	const struct prog_func *f = &p->funcs[fi];
	const char *off = secure_getenv("STROBE_NO_MULTI_ATTACH");
	bool debug = secure_getenv("STROBE_DEBUG_ATTACH") != NULL;
	if (f->nattach < MULTI_MIN || (off && strcmp(off, "0")))
		return 0;
	struct strobe_attach_req *reqs = calloc(f->nattach, sizeof(*reqs));
	size_t *members = calloc(f->nattach, sizeof(*members));
	bool *seen = calloc(f->nattach, sizeof(*seen));
	if (!reqs || !members || !seen) {
		free(reqs);
		free(members);
		free(seen);
		return -ENOMEM;
	}
	int copy_fd = -1, copy_type = 0, rc = 0;
	char copy_err[512] = "";
	for (size_t j = 0; j < f->nattach && !rc; j++) {
		const struct probe_attach *a = &f->probe->attach[f->attach_idx[j]];
		if (done[j] || seen[j] || !a->multi_attach_type || !a->provider)
			continue;
		size_t n = 0;
		for (size_t k = j; k < f->nattach; k++) {
			const struct probe_attach *b = &f->probe->attach[f->attach_idx[k]];
			if (!done[k] && !seen[k] && b->provider == a->provider && b->multi_attach_type == a->multi_attach_type &&
			    !strcmp(b->type, a->type))
				members[n++] = k;
		}
		if (n < MULTI_MIN)
			continue;
		char err[512] = "";
		if (copy_type != a->multi_attach_type) {
			copy_type = a->multi_attach_type;
			copy_fd = runtime_load_copy(p, fi, copy_type, copy_err, sizeof(copy_err));
		}
		if (copy_fd < 0)
			snprintf(err, sizeof(err), "%s", copy_err);
		struct strobe_link *link = NULL;
		int e = copy_fd;
		if (copy_fd >= 0) {
			for (size_t i = 0; i < n; i++) {
				const struct probe_attach *b = &f->probe->attach[f->attach_idx[members[i]]];
				reqs[i] = (struct strobe_attach_req){
					.size = sizeof(reqs[i]),
					.type = b->type,
					.target = b->target,
					.prog_fd = copy_fd,
					.cookie = b->name_id,
					.pid = o->pid,
				};
			}
			e = provider_attach_multi(a->provider, reqs, n, &link, err, sizeof(err));
		}
		if (e < 0 || !link) {
			if (debug)
				fprintf(stderr, "strobe: attaching %zu %s points of '%s' at once failed: %s; "
						"attaching them one by one\n",
					n, a->type, a->name, err[0] ? err : strerror(e < 0 ? -e : EINVAL));
			for (size_t i = 0; i < n; i++)
				seen[members[i]] = true; /* left for attach_one() */
			continue;
		}
		if (debug)
			fprintf(stderr, "strobe: attached %zu %s points of '%s' through one link\n", n,
				a->type, a->name);
		if (links_add(l, a->provider, link) < 0) {
			provider_detach(a->provider, link);
			rc = -ENOMEM;
			break;
		}
		for (size_t i = 0; i < n; i++)
			done[members[i]] = true;
	}
	free(reqs);
	free(members);
	free(seen);
	return rc;
}

/*
 * Attach every attach point. A failure is an error naming it and the whole
 * run fails (the caller detaches what was attached), unless missing_probes
 * says to warn or ignore; then the run fails only if nothing attached.
 */
static int attach_all(struct program *p, const struct run_opts *o, struct links *l)
{
	size_t failed = 0, tried = 0;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int drc = attach_dispatches(p, o, l, &tried, &failed);
	if (drc < 0)
		return drc;
	/*
	 * Two passes: first the attachments whose event runs its programs newest
	 * first (struct probe_attach, newest_first), last function first, then
	 * the others in order; either way probes on one event fire as written.
	 */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t k = 0; k < p->nfuncs; k++) {
			size_t i = pass == 0 ? p->nfuncs - 1 - k : k;
			const struct prog_func *f = &p->funcs[i];
			if (!f->probe || f->probe->kind != PROBE_PROVIDER || f->dispatch)
				continue;
			bool *done = calloc(f->nattach ? f->nattach : 1, sizeof(*done));
			if (!done)
				return -ENOMEM;
			for (size_t j = 0; j < f->nattach; j++)
				done[j] = f->probe->attach[f->attach_idx[j]].newest_first != (pass == 0);
			int rc = attach_multi_groups(p, i, o, l, done);
			for (size_t j = 0; j < f->nattach && !rc; j++) {
				if (f->probe->attach[f->attach_idx[j]].newest_first != (pass == 0))
					continue;
				tried++;
				if (!done[j])
					rc = attach_one(&f->probe->attach[f->attach_idx[j]], f->fd, o, l, &failed);
			}
			free(done);
			if (rc < 0)
				return rc;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (secure_getenv("STROBE_DEBUG_ATTACH"))
		fprintf(stderr, "strobe: %zu attach points (%zu failed), %zu links, in %.1f ms\n", tried,
			failed, l->n,
			(double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
	if (tried && failed == tried) {
		fprintf(stderr, "ERROR: no probe could be attached (%zu attach point%s failed)\n", failed,
			failed == 1 ? "" : "s");
		return -ENOENT;
	}
	return 0;
}

/*
 * At exit and on SIGUSR1: every user map, sorted by name (bpftrace 0.17's
 * std::map order). Empty maps are handed over too: 0.17's text output
 * prints them as a bare newline (the JSON sink prints nothing for them).
 */
static void print_map_at_exit(void *arg, const struct strobe_map_view *view)
{
	const struct output *out = arg;
	if (out->ops->map)
		out->ops->map(out->sink, view);
}

/* Every map, by name: at exit and on SIGUSR1. */
static void print_all_maps(struct run_state *st)
{
	maps_each(st->p, true, print_map_at_exit, st->out);
}

/* -c: SIGCHLD only interrupts the poll; the loop then reaps the child. */
static void on_child_signal(int sig)
{
	(void)sig;
}

/* SIGINT, SIGTERM and SIGHUP end the run (END runs, maps print); SIGUSR1 prints the maps. */
static const int run_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGUSR1 };
#define NRUN_SIGNALS (sizeof(run_signals) / sizeof(run_signals[0]))

static void install_signals(struct sigaction old[NRUN_SIGNALS])
{
	stop_signal = 0;
	print_signal = 0;
	for (size_t i = 0; i < NRUN_SIGNALS; i++) {
		struct sigaction sa = { .sa_handler = run_signals[i] == SIGUSR1 ? on_print_signal : on_stop_signal };
		sigemptyset(&sa.sa_mask);
		/* No SA_RESTART: the poll must return EINTR so the loop sees the signal. */
		sigaction(run_signals[i], &sa, &old[i]);
	}
}

int runtime_run(struct program *p, struct output *out, const struct run_opts *o)
{
	if (o->dry_run)
		return 0;
	struct run_state st;
	struct links links = { 0 };
	struct ring_buffer *rb = NULL;
	struct sigaction old_signals[NRUN_SIGNALS], old_chld;
	struct live live = { .epfd = -1, .over = true };
	int status = 1, code;

	if (run_state_init(&st, p, out) < 0) {
		fprintf(stderr, "ERROR: out of memory\n");
		run_state_release(&st);
		return 1;
	}
	rb = ring_buffer__new(p->ringbuf_fd, handle_event, &st, NULL);
	if (!rb) {
		fprintf(stderr, "ERROR: cannot open the ring buffer: %s\n", strerror(errno));
		run_state_release(&st);
		return 1;
	}
	install_signals(old_signals);
	if (o->child) {
		struct sigaction sa = { .sa_handler = on_child_signal, .sa_flags = SA_NOCLDSTOP };
		sigemptyset(&sa.sa_mask);
		sigaction(SIGCHLD, &sa, &old_chld);
	}

	if (!o->quiet && out->ops->attached)
		out->ops->attached(out->sink, count_attach_points(p));

	/* BEGIN runs before anything is attached: it may set up maps others read. */
	if (run_special(p, PROBE_BEGIN) < 0)
		goto out;
	ring_buffer__consume(rb);

	if (!st.exit_seen && !stop_signal) {
		if (attach_all(p, o, &links) < 0) {
			runtime_stop(p);
			detach_all(&links, true);
			goto out;
		}
		if (o->notify_attached) {
			fputs("__BPFTRACE_NOTIFY_PROBES_ATTACHED\n", stdout);
			fflush(stdout);
		}
		if (o->child) /* every probe is attached: let it exec the command */
			child_release(o->child);
	}

	/* what BEGIN printed shows now, not with the first event (a pipe or a file is fully buffered) */
	if (o->flush_batches)
		fflush(o->flush_batches);
	/* live sinks (the Prometheus exporter) watch their sockets from the loop */
	if (!st.exit_seen && !stop_signal)
		live_start(&live, p, out, rb, o->cfg);
	st.stop_signal = &stop_signal;
	st.in_loop = true;
	/* with only BEGIN and END nothing more can happen: END follows BEGIN (bpftrace 0.24) */
	bool events = o->child || live_active(&live), on_signal = false;
	for (size_t i = 0; i < p->nprobes; i++) {
		events |= p->probes[i].kind == PROBE_PROVIDER || p->probes[i].kind == PROBE_SIGNAL;
		on_signal |= p->probes[i].kind == PROBE_SIGNAL;
	}
	while (events && !st.exit_seen && !stop_signal && !(o->child && child_exited(o->child))) {
		int err = live_active(&live) ? live_poll(&live, POLL_TIMEOUT_MS) : ring_buffer__poll(rb, POLL_TIMEOUT_MS);
		if (err > 0 && o->flush_batches)
			fflush(o->flush_batches);
		if (print_signal) {
			print_signal = 0;
			if (!on_signal)
				print_all_maps(&st);
			else if (run_special(p, PROBE_SIGNAL) == 0)
				ring_buffer__consume(rb);
			if (o->flush_batches)
				fflush(o->flush_batches);
		}
		counters_report_lost(&st);
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "ERROR: polling the ring buffer failed: %s\n", strerror(-err));
			break;
		}
	}

	/*
	 * Stop tracing: with the stop flag set the programs return at once, so
	 * maps stop changing before END runs and they are printed; the slow
	 * detach comes after the output. Events queued before stopping still
	 * print. Without the flag, detach first, as the only way to stop.
	 */
	st.in_loop = false;
	live_stop(&live);
	if (runtime_stop(p) < 0)
		detach_all(&links, false);
	ring_buffer__consume(rb);
	st.exit_seen = false;
	code = st.exit_code;
	if (run_special(p, PROBE_END) < 0)
		goto out;
	ring_buffer__consume(rb);
	if (st.exit_seen)
		code = st.exit_code;
	counters_report_lost(&st);
	counters_report_full(p);
	if (out->ops->exiting)
		out->ops->exiting(out->sink);
	if (o->print_maps_on_exit)
		print_all_maps(&st);
	status = code;
out:
	live_stop(&live);
	detach_all(&links, true);
	for (size_t i = 0; i < NRUN_SIGNALS; i++)
		sigaction(run_signals[i], &old_signals[i], NULL);
	if (o->child)
		sigaction(SIGCHLD, &old_chld, NULL);
	ring_buffer__free(rb);
	run_state_release(&st);
	return status;
}
