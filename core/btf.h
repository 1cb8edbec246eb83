/*
 * Kernel types from vmlinux BTF (/sys/kernel/btf/vmlinux), read with
 * libbpf's btf.h API and imported into `struct types` on demand.
 *
 * Nothing is loaded until a script needs a kernel type: a record is first a
 * name only, an incomplete "struct task_struct" (types.h, type_record), and the
 * first field access, dereference or sizeof defines it from BTF (its size,
 * alignment and BTF id). Its fields are looked up in BTF one by one as they
 * are used, and a pointer field's pointee is again incomplete, by name, so
 * `curtask->parent->pid` imports two records and two integers, not the
 * task_struct graph.
 *
 * The mapping follows bpftrace (whose 0.17 release imports BTF through
 * clang): typedefs and qualifiers are looked through; `char` arrays are
 * strings, other arrays of integers are arrays; enums are unsigned integers
 * of their size; _Bool is uint8; pointers to functions or void are pointers
 * to none; multi-dimensional arrays are arrays of arrays (int32[3][2] for
 * int m[2][3], as bpftrace spells it); floats are not representable (NULL).
 */
#ifndef STROBE_BTF_H
#define STROBE_BTF_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "types.h"

struct btf;

/* The vmlinux BTF, loaded on the first call; NULL if this kernel has none. */
struct btf *core_btf(void);
/* Tests: use b (still owned by the caller) instead of vmlinux; NULL: back to vmlinux. */
void core_btf_override(struct btf *b);
/* Whether vmlinux BTF has been loaded by this process (start-up cost checks). */
bool core_btf_loaded(void);

/*
 * Define the incomplete record `rec` ("struct x" / "union x") from BTF: 0, or
 * -ENOENT when BTF has no such record (or there is no BTF).
 */
int btf_define_record(struct types *t, const struct type *rec);
/*
 * Field `name` of a BTF-defined record (members of anonymous structs and
 * unions inside it included, as in C): 0 with *out set (offset from the
 * start of rec), -ENOENT if there is none, -ENOTSUP if its type cannot be
 * represented (*out->type is then NULL but the offset is set).
 */
int btf_record_field(struct types *t, const struct type *rec, const char *name, struct type_field *out);
/*
 * Give a BTF-defined record its whole field list (rec->fields), as values
 * of it are decoded: every member in order, the members of anonymous
 * structs and unions inline, members of unrepresentable types left out.
 * Field lookups keep going through BTF (btf_record_field). 0 or -errno;
 * a record that already has fields, or is not from BTF, is left alone.
 */
int btf_complete_record(struct types *t, const struct type *rec);
/* A BTF type by name: "struct x", "union x", "enum x" or a typedef/base name ("pid_t"). */
const struct type *btf_type_by_name(struct types *t, const char *name);
/* The value of enumerator `name` (TASK_COMM_LEN): 0, or -ENOENT. */
/* The BTF id of kernel function `name` (kfunc_exist(), kfuncs' calls), or -ENOENT. */
int btf_func_id(const char *name);
/* The type vmlinux function func returns, or NULL (void, not found, no BTF). */
const struct type *btf_func_return_type(struct types *t, const char *func);

/*
 * Kernel functions (kfuncs) generated code calls. Codegen emits a helper
 * call numbered KFUNC_CALL_BASE + K_x; the loader rewrites it into a call
 * of the kfunc by its vmlinux BTF id (BPF_PSEUDO_KFUNC_CALL).
 */
enum kfunc { K_TASK_FROM_PID, K_TASK_RELEASE, K__COUNT };
#define KFUNC_CALL_BASE 0x7ffe0000
const char *kfunc_name(enum kfunc k);
/* The BTF id of per-cpu kernel variable `name` (a VAR of .data..percpu, percpu_kaddr()), or -ENOENT. */
int btf_percpu_var_id(const char *name);
/* -l 'struct NAME*' and -lv: the BTF structs, unions and enums matching, by name or defined. 0 or -errno. */
int btf_list_types(const char *pattern, bool verbose, FILE *fp);
int btf_enum_value(const char *name, int64_t *value, uint32_t *size); /* size: of its enum type, may be NULL */
/* The named enum holding enumerator `name`, as type_enum() (uint64, as bpftrace); NULL if none or anonymous. */
const struct type *btf_enum_type(struct types *t, const char *name);

#endif
