/*
 * A provider for the multi-attach tests (tests/runtime/multi.test): type
 * "multi" with points m1 m2 m3 (attach_multi links them), f1 f2 (attach_multi
 * refuses them), x1 x2 (linked with another attach type, so never in a group
 * with the others) and solo. Nothing reaches the kernel: attach()
 * and attach_multi() check what they were handed and say on stderr what
 * they did, for the tests to read.
 */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <strobe/provider.h>

static const char *const points[] = { "m1", "m2", "m3", "f1", "f2", "x1", "x2", "solo" };
#define NPOINTS (sizeof(points) / sizeof(points[0]))

static int multi_list(void *st, const char *type, const char *glob, bool verbose, strobe_list_fn fn,
		      void *ctx)
{
	for (size_t i = 0; i < NPOINTS; i++) {
		char name[64];
		snprintf(name, sizeof(name), "%s:%s", type, points[i]);
		struct strobe_listing l = { .name = name };
		if ((!glob || !fnmatch(glob, points[i], 0)) && fn(ctx, &l))
			break;
	}
	return 0;
}

static int multi_resolve(void *st, const char *type, const char *target, struct strobe_resolver *r)
{
	for (size_t i = 0; i < NPOINTS; i++) {
		if (fnmatch(target, points[i], 0))
			continue;
		char name[64];
		snprintf(name, sizeof(name), "%s:%s", type, points[i]);
		struct strobe_attachment *a = r->add(r, name, points[i], BPF_PROG_TYPE_KPROBE, 0);
		if (!a)
			return -ENOMEM;
		int rc = r->set_multi(r, a, points[i][0] == 'x' ? BPF_PERF_EVENT : BPF_TRACE_KPROBE_MULTI);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static struct strobe_link *new_link(size_t n)
{
	struct strobe_link *l = calloc(1, sizeof(*l));
	if (l)
		l->nr_attached = n;
	return l;
}

static int multi_attach(void *st, const struct strobe_attach_req *req, struct strobe_link **out,
			char *errbuf, size_t errlen)
{
	if (fcntl(req->prog_fd, F_GETFD) < 0) {
		snprintf(errbuf, errlen, "%s: no program fd", req->target);
		return -EBADF;
	}
	if (!(*out = new_link(1)))
		return -ENOMEM;
	fprintf(stderr, "multi-test: attach %s\n", req->target);
	return 0;
}

static int multi_attach_multi(void *st, const struct strobe_attach_req *reqs, size_t n,
			      struct strobe_link **out, char *errbuf, size_t errlen)
{
	char names[256] = "";
	size_t len = 0;
	for (size_t i = 0; i < n; i++) {
		if (reqs[i].prog_fd != reqs[0].prog_fd || fcntl(reqs[i].prog_fd, F_GETFD) < 0) {
			snprintf(errbuf, errlen, "%s: not the group's program fd", reqs[i].target);
			return -EBADF;
		}
		for (size_t j = 0; j < i; j++)
			if (reqs[j].cookie == reqs[i].cookie) {
				snprintf(errbuf, errlen, "%s and %s share cookie %llu", reqs[j].target,
					 reqs[i].target, (unsigned long long)reqs[i].cookie);
				return -EINVAL;
			}
		if (reqs[i].target[0] == 'f') {
			snprintf(errbuf, errlen, "%s refuses to be linked with others", reqs[i].target);
			return -EOPNOTSUPP;
		}
		len += (size_t)snprintf(names + len, len < sizeof(names) ? sizeof(names) - len : 0, "%s%s",
					i ? "," : "", reqs[i].target);
	}
	if (!(*out = new_link(n)))
		return -ENOMEM;
	fprintf(stderr, "multi-test: one link for %s\n", names);
	return 0;
}

static void multi_detach(void *st, struct strobe_link *link)
{
	free(link);
}

static const struct strobe_provider_ops multi_ops = {
	.abi = STROBE_PROVIDER_ABI,
	.size = sizeof(struct strobe_provider_ops),
	.name = "multi",
	.list = multi_list,
	.resolve = multi_resolve,
	.attach = multi_attach,
	.detach = multi_detach,
	.attach_multi = multi_attach_multi,
};

STROBE_EXPORT const struct strobe_provider_ops *strobe_provider_entry(void);
STROBE_EXPORT const struct strobe_provider_ops *strobe_provider_entry(void)
{
	return &multi_ops;
}
