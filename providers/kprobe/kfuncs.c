/*
 * What the kprobe and kfunc probes know of the kernel's functions: which
 * ftrace can trace, the tracepoint to use instead of one, MODULE:FUNC.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kp.h"

int kp_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

FILE *kp_open_filter_functions(void)
{
	FILE *f = fopen("/sys/kernel/tracing/available_filter_functions", "re");
	return f ? f : fopen("/sys/kernel/debug/tracing/available_filter_functions", "re");
}

bool kp_traceable(struct kp_traceable *st, const char *name, bool *known)
{
	if (!st->tried) {
		st->tried = true;
		FILE *f = kp_open_filter_functions();
		char line[1024];
		size_t cap = 0, n = 0;
		char **v = NULL;
		bool ok = f != NULL;
		while (ok && fgets(line, sizeof(line), f)) { /* EPERM shows at the first read */
			line[strcspn(line, " \t\n")] = '\0';
			if (!line[0])
				continue;
			if (n == cap) {
				cap = cap ? cap * 2 : 4096;
				char **g = realloc(v, cap * sizeof(*g));
				if (!g) {
					ok = false;
					break;
				}
				v = g;
			}
			if (!(v[n] = strdup(line))) {
				ok = false;
				break;
			}
			n++;
		}
		if (f)
			fclose(f);
		if (ok && n) {
			qsort(v, n, sizeof(*v), kp_name_cmp);
			st->names = v;
			st->n = n;
		} else {
			for (size_t i = 0; i < n; i++)
				free(v[i]);
			free(v);
		}
	}
	*known = st->names != NULL;
	if (!st->names)
		return true;
	return bsearch(&name, st->names, st->n, sizeof(char *), kp_name_cmp) != NULL;
}

void kp_traceable_free(struct kp_traceable *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->names[i]);
	free(t->names);
	*t = (struct kp_traceable){ 0 };
}

/* ---- tracepoint equivalents ------------------------------------------ */

static const struct {
	const char *func, *syscall; /* syscalls:sys_{enter,exit}_<syscall>, or NULL: none */
} kp_equiv[] = {
	{ "do_sys_openat2", "openat" },
	{ "do_sys_open", "openat" },
	{ "do_filp_open", "openat" },
	{ "vfs_open", "openat" },
	{ "vfs_read", "read" },
	{ "ksys_read", "read" },
	{ "vfs_write", "write" },
	{ "ksys_write", "write" },
	{ "vfs_readv", "readv" },
	{ "vfs_writev", "writev" },
	{ "do_nanosleep", "clock_nanosleep" },
	{ "hrtimer_nanosleep", "clock_nanosleep" },
	{ "do_unlinkat", "unlinkat" },
	{ "do_mkdirat", "mkdirat" },
	{ "do_renameat2", "renameat2" },
	{ "do_execveat_common", "execve" },
	{ "do_exit", "exit_group" },
	{ "kernel_clone", "clone" },
	{ "do_mmap", "mmap" },
	{ "__sys_connect", "connect" },
	{ "__sys_accept4", "accept4" },
	{ "__sys_bind", "bind" },
	{ "__sys_sendto", "sendto" },
	{ "__sys_recvfrom", "recvfrom" },
	{ "ksys_ioctl", "ioctl" },
	{ "do_epoll_wait", "epoll_wait" },
	{ "tcp_connect", NULL },
	{ "tcp_sendmsg", NULL },
	{ "tcp_recvmsg", NULL },
};

/* Other events that stand in for common kernel functions. */
static const struct {
	const char *func, *event;
} kp_equiv_tp[] = {
	{ "tcp_connect", "tracepoint:sock:inet_sock_set_state" },
	{ "tcp_set_state", "tracepoint:sock:inet_sock_set_state" },
	{ "tcp_retransmit_skb", "tracepoint:tcp:tcp_retransmit_skb" },
	{ "tcp_v4_connect", "tracepoint:sock:inet_sock_set_state" },
	{ "tcp_v6_connect", "tracepoint:sock:inet_sock_set_state" },
	{ "kfree_skb", "tracepoint:skb:kfree_skb" },
	{ "blk_account_io_start", "tracepoint:block:block_io_start" },
	{ "blk_account_io_done", "tracepoint:block:block_io_done" },
	{ "blk_mq_start_request", "tracepoint:block:block_rq_issue" },
	{ "__blk_account_io_start", "tracepoint:block:block_io_start" },
	{ "schedule", "tracepoint:sched:sched_switch" },
	{ "finish_task_switch", "tracepoint:sched:sched_switch" },
	{ "try_to_wake_up", "tracepoint:sched:sched_waking" },
	{ "wake_up_new_task", "tracepoint:sched:sched_wakeup_new" },
	{ "do_exit", "tracepoint:sched:sched_process_exit" },
	{ "handle_mm_fault", "tracepoint:exceptions:page_fault_user" },
	{ "__kmalloc", "tracepoint:kmem:kmalloc" },
	{ "kmalloc", "tracepoint:kmem:kmalloc" },
	{ "kfree", "tracepoint:kmem:kfree" },
	{ "kmem_cache_alloc", "tracepoint:kmem:kmem_cache_alloc" },
	{ "oom_kill_process", "tracepoint:oom:mark_victim" },
	{ "irq_enter", "tracepoint:irq:irq_handler_entry" },
};

/* The suggestion for func ("try ..."), into buf. */
void kp_suggest(const char *func, bool ret, char *buf, size_t len)
{
	char base[256];
	snprintf(base, sizeof(base), "%s", func);
	char *plus = strchr(base, '+');
	if (plus)
		*plus = '\0';
	const char *colon = strrchr(base, ':');
	const char *f = colon ? colon + 1 : base;
	const char *dir = ret ? "exit" : "enter";
	static const char *const prefixes[] = { "__x64_sys_", "__ia32_sys_", "__arm64_sys_",
						"__se_sys_", "__do_sys_", "ksys_", "sys_" };
	const char *sc = NULL;
	bool known = false;
	for (size_t i = 0; i < sizeof(kp_equiv) / sizeof(kp_equiv[0]); i++)
		if (!strcmp(kp_equiv[i].func, f)) {
			sc = kp_equiv[i].syscall;
			known = true;
			break;
		}
	const char *tp = NULL;
	for (size_t i = 0; i < sizeof(kp_equiv_tp) / sizeof(kp_equiv_tp[0]); i++)
		if (!strcmp(kp_equiv_tp[i].func, f)) {
			tp = kp_equiv_tp[i].event;
			break;
		}
	if (!known)
		for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
			size_t pl = strlen(prefixes[i]);
			if (!strncmp(f, prefixes[i], pl) && f[pl]) {
				sc = f + pl;
				break;
			}
		}
	if (sc && tp)
		snprintf(buf, len, "try tracepoint:syscalls:sys_%s_%s or %s", dir, sc, tp);
	else if (sc)
		snprintf(buf, len, "try tracepoint:syscalls:sys_%s_%s", dir, sc);
	else if (tp)
		snprintf(buf, len, "try %s", tp);
	else
		snprintf(buf, len, "no tracepoint is known to match %s; see -l 'tracepoint:*'", f);
}

/* Split TARGET into an optional MODULE and FUNC (with +OFFSET); into buf. */
int kp_split_target(const char *type, const char *target, char *buf, size_t len, const char **mod,
		    char **func, struct strobe_resolver *r)
{
	if (strlen(target) >= len) {
		r->error(r, "%s:%s: name too long", type, target);
		return -ENAMETOOLONG;
	}
	memcpy(buf, target, strlen(target) + 1);
	char *colon = strchr(buf, ':');
	*mod = NULL;
	*func = buf;
	if (colon) {
		*colon = '\0';
		*mod = buf;
		*func = colon + 1;
		if (strchr(*func, ':')) {
			r->error(r, "%s probe type takes at most 2 arguments (%s:[MODULE:]FUNCTION)",
				 type, type);
			return -EINVAL;
		}
		if (!**mod)
			*mod = NULL;
	}
	if (!**func) {
		r->error(r, "%s probe type requires a function name (%s:[MODULE:]FUNCTION)", type,
			 type);
		return -EINVAL;
	}
	return 0;
}
