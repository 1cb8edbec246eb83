/*
 * The table of builtins and functions: each one's name, argument counts,
 * restrictions, sema check and codegen emitters; the lookup by name.
 */
#include "builtins.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "codegen_internal.h"

#define IDENT(t) .flags = BF_IDENT, .check = t
#define CALL(lo, hi, f) .flags = BF_CALL | (f), .min_args = lo, .max_args = hi
#define AGG(k, n) CALL(n, n, 0), .agg = k

const struct builtin_def builtins[B__COUNT] = {
	[B_NONE] = { "" },
	[B_PID] = { "pid", .flags = BF_IDENT | BF_CALL, .max_args = 1, .check = pidns_check, .value = pid_value },
	[B_TID] = { "tid", .flags = BF_IDENT | BF_CALL, .max_args = 1, .check = pidns_check, .value = tid_value },
	[B_PPID] = { "ppid", IDENT(ppid_check) }, /* sema makes it curtask->real_parent->tgid */
	[B_PROBETYPE] = { "probetype", .flags = BF_IDENT | BF_CALL, .check = probetype_check }, /* a literal */
	[B_PCOMM] = { "pcomm", .flags = BF_IDENT | BF_CALL, .max_args = 1, .check = pcomm_check }, /* task->group_leader->comm */
	[B_UID] = { "uid", IDENT(u64_check), .value = uid_value },
	[B_GID] = { "gid", IDENT(u64_check), .value = gid_value },
	[B_USERNAME] = { "username", IDENT(username_check), .value = uid_value },
	[B_NSECS] = { "nsecs", .flags = BF_IDENT | BF_CALL, .max_args = 1, .check = nsecs_check, .value = nsecs_value },
	[B_ELAPSED] = { "elapsed", IDENT(u64_check), .value = elapsed_value },
	[B_CPU] = { "cpu", IDENT(u32_check), .value = cpu_value },
	[B_NCPUS] = { "ncpus", IDENT(u64_check), .value = ncpus_value },
	[B_COMM] = { "comm", .flags = BF_IDENT | BF_CALL, .max_args = 1, .check = comm_check, .bytes = comm_bytes },
	[B_CURTASK] = { "curtask", IDENT(curtask_check), .value = curtask_value },
	[B_CGROUP] = { "cgroup", IDENT(u64_check), .value = cgroup_value },
	[B_RAND] = { "rand", IDENT(u32_check), .value = rand_value },
	[B_JIFFIES] = { "jiffies", IDENT(u64_check), .value = jiffies_value },
	[B_PROBE] = { "probe", IDENT(probe_check), .value = probe_value },
	[B_FUNC] = { "func", IDENT(func_check), .value = func_value, .bytes = func_bytes },
	[B_RETVAL] = { "retval", IDENT(retval_check), .value = retval_value },
	[B_ARGS] = { "args", IDENT(args_check), .bytes = args_bytes },
	[B_CTX] = { "ctx", IDENT(ctx_check), .value = ctx_value },
	[B_CPID] = { "cpid", IDENT(cpid_check), .value = cpid_value },
	[B_NUMAID] = { "numaid", IDENT(u32_check), .value = numaid_value },
	[B_USERMODE] = { "usermode", IDENT(usermode_check), .value = usermode_value },
	[B_HAS_CPID] = { "has_cpid", IDENT(has_cpid_check), .value = has_cpid_value },
	[B_ARGN] = { "arg", .flags = BF_IDENT | BF_INDEXED, .check = argn_check, .value = argn_value },
	[B_SARGN] = { "sarg", .flags = BF_IDENT | BF_INDEXED, .check = sargn_check, .value = sargn_value },
	[B_KSTACK] = { "kstack", .flags = BF_IDENT | BF_CALL, .max_args = 2, .check = stack_check,
		       .value = kstack_value },
	[B_USTACK] = { "ustack", .flags = BF_IDENT | BF_CALL, .max_args = 2, .check = stack_check,
		       .bytes = ustack_bytes },
	[B_COUNT] = { "count", AGG(AGG_COUNT, 0) },
	[B_SUM] = { "sum", AGG(AGG_SUM, 1) },
	[B_MIN] = { "min", AGG(AGG_MIN, 1) },
	[B_MAX] = { "max", AGG(AGG_MAX, 1) },
	[B_AVG] = { "avg", AGG(AGG_AVG, 1) },
	[B_STATS] = { "stats", AGG(AGG_STATS, 1) },
	[B_HIST] = { "hist", CALL(1, 2, 0), .few_args = "requires one argument", /* 0.17 said so; hist(n, k) came later */
		     .agg = AGG_HIST },
	[B_LHIST] = { "lhist", AGG(AGG_LHIST, 4) },
	[B_TSERIES] = { "tseries", CALL(3, 4, 0), .agg = AGG_TSERIES },
	[B_PRINTF] = { "printf", CALL(1, NARGS_ANY, BF_VOID), .check = format_check, .stmt = printf_stmt },
	[B_PRINT] = { "print", CALL(1, 3, BF_VOID), .check = print_check, .stmt = print_stmt },
	[B_CLEAR] = { "clear", CALL(1, 1, BF_VOID), .check = clear_check, .stmt = clear_stmt },
	[B_ZERO] = { "zero", CALL(1, 1, BF_VOID), .check = clear_check, .stmt = zero_stmt },
	[B_DELETE] = { "delete", CALL(1, 2, 0), .check = delete_check, .value = delete_value },
	[B_EXIT] = { "exit", CALL(0, 1, BF_VOID | BF_NO_FOR), .check = exit_check, .stmt = exit_stmt },
	[B_TIME] = { "time", CALL(0, 1, BF_VOID), .check = time_check, .stmt = time_stmt },
	[B_STR] = { "str", CALL(1, 2, 0), .check = str_check, .bytes = str_bytes },
	[B_REG] = { "reg", CALL(1, 1, 0), .check = reg_check, .value = reg_value },
	[B_KSYM] = { "ksym", CALL(1, 1, 0), .check = sym_check, .value = first_arg_value },
	[B_USYM] = { "usym", CALL(1, 1, 0), .check = sym_check, .bytes = usym_bytes },
	[B_KADDR] = { "kaddr", CALL(1, 1, 0), .check = kaddr_check }, /* sema makes it an integer */
	[B_UADDR] = { "uaddr", CALL(1, 1, 0), .check = uaddr_check, .value = uaddr_value },
	[B_STRNCMP] = { "strncmp", CALL(3, 3, 0), .check = strncmp_check, .value = strncmp_value },
	[B_STRLEN] = { "strlen", CALL(1, 1, 0), .check = strlen_check, .value = strlen_value },
	[B_STRCONTAINS] = { "strcontains", CALL(2, 2, 0), .check = strcontains_check, .value = strcontains_value },
	[B_BSWAP] = { "bswap", CALL(1, 1, 0), .check = bswap_check, .value = bswap_value },
	[B_STRERROR] = { "strerror", CALL(1, 1, 0), .check = strerror_check, .value = first_arg_value },
	[B_CGROUP_PATH] = { "cgroup_path", CALL(1, 2, 0), .check = cgroup_path_check, .value = first_arg_value },
	[B_KPTR] = { "kptr", CALL(1, 1, 0), .check = ptr_check, .value = first_arg_value },
	[B_UPTR] = { "uptr", CALL(1, 1, 0), .check = ptr_check, .value = first_arg_value },
	[B_CGROUPID] = { "cgroupid", CALL(1, 1, 0), .check = cgroupid_check }, /* sema makes it an integer */
	[B_STRFTIME] = { "strftime", CALL(2, 2, 0), .check = strftime_check, .value = strftime_value },
	[B_NTOP] = { "ntop", CALL(1, 2, 0), .check = ntop_check, .bytes = ntop_bytes },
	[B_MACADDR] = { "macaddr", CALL(1, 1, 0), .check = macaddr_check, .value = macaddr_value },
	[B_BUF] = { "buf", CALL(1, 2, 0), .check = buf_check, .bytes = buf_bytes },
	[B_JOIN] = { "join", CALL(1, 2, 0), .check = join_check, .stmt = join_stmt },
	[B_CAT] = { "cat", CALL(1, NARGS_ANY, BF_VOID), .few_args = "requires at least one argument",
		    .check = format_check, .stmt = cat_stmt },
	[B_SYSTEM] = { "system", CALL(1, NARGS_ANY, BF_VOID | BF_UNSAFE), .few_args = "requires at least one argument",
		       .check = format_check, .stmt = system_stmt },
	[B_SIGNAL] = { "signal", CALL(1, 1, BF_UNSAFE | BF_NO_BEGIN_END), .check = signal_check,
		       .stmt = signal_stmt },
	[B_PTON] = { "pton", CALL(1, 1, 0), .check = pton_check, .bytes = pton_bytes },
	[B_LEN] = { "len", CALL(1, 1, 0), .check = len_check, .value = len_value },
	[B_ERRORF] = { "errorf", CALL(1, NARGS_ANY, BF_VOID), .check = format_check, .stmt = errorf_stmt },
	[B_WARNF] = { "warnf", CALL(1, NARGS_ANY, BF_VOID), .check = format_check, .stmt = warnf_stmt },
	[B_ASSERT] = { "assert", CALL(2, 2, BF_VOID), .check = assert_check, .stmt = assert_stmt },
	[B_GETOPT] = { "getopt", CALL(1, 3, 0), .check = getopt_check }, /* sema makes it a literal */
	[B_DEBUGF] = { "debugf", CALL(1, NARGS_ANY, BF_VOID), .check = debugf_check, .stmt = debugf_stmt },
	[B_HAS_KEY] = { "has_key", CALL(2, 2, 0), .check = has_key_check, .value = has_key_value },
	[B_SIGNAL_THREAD] = { "signal_thread", CALL(1, 1, BF_UNSAFE | BF_NO_BEGIN_END), .check = signal_check,
			      .stmt = signal_stmt },
	/* sema makes these literals */
	[B_IS_ARRAY] = { "is_array", CALL(1, 1, 0), .check = is_type_check },
	[B_IS_INTEGER] = { "is_integer", CALL(1, 1, 0), .check = is_type_check },
	[B_IS_LITERAL] = { "is_literal", CALL(1, 1, 0), .check = is_type_check },
	[B_IS_PTR] = { "is_ptr", CALL(1, 1, 0), .check = is_type_check },
	[B_IS_STR] = { "is_str", CALL(1, 1, 0), .check = is_type_check },
	[B_IS_UNSIGNED_INTEGER] = { "is_unsigned_integer", CALL(1, 1, 0), .check = is_type_check },
	/* static checks and kernel lookups of docs/stdlib.md 0.26 */
	[B_FAIL] = { "fail", CALL(1, NARGS_ANY, BF_VOID), .few_args = "requires at least one argument",
		     .check = fail_check, .stmt = comptime_stmt }, /* an error when checked, if reached */
	[B_STATIC_ASSERT] = { "static_assert", CALL(2, 2, BF_VOID), .check = static_assert_check,
			      .stmt = comptime_stmt },
	[B_FIND] = { "find", CALL(3, 3, 0), .check = find_check, .value = find_value },
	[B_PERCPU_KADDR] = { "percpu_kaddr", CALL(1, 2, 0), .check = percpu_kaddr_check, .value = percpu_kaddr_value },
	[B_SOCKET_COOKIE] = { "socket_cookie", CALL(1, 1, 0), .check = socket_cookie_check,
			      .value = socket_cookie_value },
	[B_KFUNC_EXIST] = { "kfunc_exist", CALL(1, 1, 0), .check = kfunc_check }, /* sema makes these literals */
	[B_KFUNC_ALLOWED] = { "kfunc_allowed", CALL(1, 1, 0), .check = kfunc_check },
	[B_PATH] = { "path", CALL(1, 2, 0), .check = path_check, .bytes = path_bytes },
	/* string functions of docs/stdlib.md 0.26 */
	[B_GLOBMATCH] = { "globmatch", CALL(2, 2, 0), .check = globmatch_check, .value = globmatch_value },
	[B_MEMCMP] = { "memcmp", CALL(3, 3, 0), .check = memcmp_check, .value = memcmp_value },
	[B_STRCAP] = { "strcap", CALL(1, 1, 0), .check = strcap_check }, /* sema makes it an integer */
	[B_STRSTR] = { "strstr", CALL(2, 2, 0), .check = strstr_check, .value = strstr_value },
	[B_SYSCALL_NAME] = { "syscall_name", CALL(1, 1, 0), .check = syscall_name_check, .value = first_arg_value },
};

/* After an indexed row's name: 0-255, without leading zeros. */
static bool index_of(const char *s, size_t len, unsigned *index)
{
	unsigned v = 0;
	if (len < 1 || len > 3 || (s[0] == '0' && len > 1))
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	if (v > 255)
		return false;
	if (index)
		*index = v;
	return true;
}

enum builtin builtin_find(const char *s, size_t len, unsigned flag, unsigned *index)
{
	for (size_t i = B_NONE + 1; i < B__COUNT; i++) {
		const struct builtin_def *b = &builtins[i];
		size_t n = strlen(b->name);
		if (!(b->flags & flag) || len < n || memcmp(b->name, s, n))
			continue;
		if (b->flags & BF_INDEXED ? index_of(s + n, len - n, index) : len == n)
			return (enum builtin)i;
	}
	return B_NONE;
}

const struct builtin_def *builtin_of(const struct node *n)
{
	return &builtins[n->kind == N_CALL ? n->u.call.fn : n->u.ident.builtin];
}

/* One section of --info: the rows with `flag`, wrapped at 100 columns. */
static void info_section(FILE *fp, const char *title, unsigned flag)
{
	size_t col = 0;
	fprintf(fp, "\n%s\n", title);
	for (size_t i = B_NONE + 1; i < B__COUNT; i++) {
		const struct builtin_def *b = &builtins[i];
		if (!(b->flags & flag))
			continue;
		char word[64];
		int n = snprintf(word, sizeof(word), "%s%s%s", b->name, b->flags & BF_INDEXED ? "N" : "",
				 b->flags & BF_UNSAFE ? " (--unsafe)" : "");
		if (col && col + (size_t)n + 2 > 100) {
			fputc('\n', fp);
			col = 0;
		}
		col += (size_t)fprintf(fp, "%s%s", col ? ", " : "  ", word);
	}
	fputc('\n', fp);
}

void compile_info(FILE *fp)
{
	info_section(fp, "Builtins", BF_IDENT);
	info_section(fp, "Functions", BF_CALL);
}
