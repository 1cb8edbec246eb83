/*
 * A provider built against the first ABI 1 header: struct strobe_arg ended
 * at `count` (64 bytes) and the ops table at detach(). Its -lv listing must
 * read as it was written (type "oldlist", probe oldlist:p with three
 * arguments), though the core's struct strobe_arg is larger now.
 */
#include <errno.h>
#include <stdio.h>

#include <strobe/provider.h>

/* The layout of the time, member for member. */
struct old_arg {
	const char *name;
	const char *ctype;
	enum strobe_loc_kind loc;
	enum strobe_arg_kind kind;
	int32_t offset;
	uint32_t size;
	bool is_signed;
	bool user;
	int reg;
	int64_t value;
	const char *pointee;
	uint32_t elem_size;
	uint32_t count;
};
_Static_assert(sizeof(struct old_arg) == 64, "the first ABI 1 struct strobe_arg had 64 bytes");

static const struct old_arg old_args[] = {
	{ .name = "first", .ctype = "int", .loc = STROBE_LOC_CTX, .kind = STROBE_ARG_INT, .size = 4 },
	{ .name = "second", .ctype = "long", .loc = STROBE_LOC_CTX, .kind = STROBE_ARG_INT, .offset = 8,
	  .size = 8 },
	{ .name = "third", .ctype = "char", .loc = STROBE_LOC_CTX, .kind = STROBE_ARG_ARRAY,
	  .offset = 16, .pointee = "char", .elem_size = 1, .count = 16 },
};

static int old_list(void *st, const char *type, const char *glob, bool verbose, strobe_list_fn fn,
		    void *ctx)
{
	char name[64];
	snprintf(name, sizeof(name), "%s:p", type);
	struct strobe_listing l = { .name = name, .args = (const struct strobe_arg *)old_args,
				    .nargs = 3 };
	fn(ctx, &l);
	return 0;
}

static int old_resolve(void *st, const char *type, const char *target, struct strobe_resolver *r)
{
	return -ENOTSUP;
}

static int old_attach(void *st, const struct strobe_attach_req *req, struct strobe_link **out,
		      char *errbuf, size_t errlen)
{
	return -ENOTSUP;
}

static void old_detach(void *st, struct strobe_link *link)
{
}

static const struct strobe_provider_ops old_ops = {
	.abi = STROBE_PROVIDER_ABI,
	.size = STROBE_PROVIDER_OPS_MIN_SIZE, /* the table of the time ended at detach */
	.name = "oldlist",
	.list = old_list,
	.resolve = old_resolve,
	.attach = old_attach,
	.detach = old_detach,
};

STROBE_EXPORT const struct strobe_provider_ops *strobe_provider_entry(void);
STROBE_EXPORT const struct strobe_provider_ops *strobe_provider_entry(void)
{
	return &old_ops;
}
