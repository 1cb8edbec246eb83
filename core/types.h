/*
 * The type system shared by core/lang (semantic analysis, codegen) and
 * core/runtime (decoding map and event bytes). Types are interned in a
 * `struct types` with its own arena, so they outlive the AST.
 */
#ifndef STROBE_TYPES_H
#define STROBE_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#include "arena.h"

enum type_kind {
	T_NONE,    /* no value (statements, void calls) */
	T_INT,     /* size 1/2/4/8, is_signed */
	T_BOOL,    /* size 1 */
	T_STRING,  /* fixed capacity `size` bytes, NUL-padded */
	T_BUFFER,  /* buf(): u32 length + `size - 4` bytes */
	T_POINTER, /* elem; user = user address space */
	T_ARRAY,   /* elem x count */
	T_TUPLE,   /* fields (names NULL), packed with natural alignment */
	T_RECORD,  /* struct/union: fields, name "struct task_struct" */
	T_KSTACK,  /* u64 stack id */
	T_USTACK,  /* u64 stack id + u64 pid */
	T_KSYM,    /* u64 address, printed symbolised */
	T_USYM,    /* u64 address + u64 pid */
	T_TIMESTAMP,
	T_AGG,     /* an aggregation (count() etc.): only valid as a map value; agg says which */
	T_PROBE,   /* the probe builtin: u64 index into program.probe_names, printed as the name */
	/* Values of functions that print as text (core/runtime/decode.c); T_TIMESTAMP is strftime(): u64 ns since boot, name = the format. */
	T_INET,        /* ntop(): u64 address family (AF_INET/AF_INET6) + 16 address bytes */
	T_MACADDR,     /* macaddr(): 6 bytes (size 8, zero-padded), printed "AA:BB:CC:DD:EE:FF" */
	T_STRERROR,    /* strerror(): u64 errno, printed as its message */
	T_CGROUP_PATH, /* cgroup_path(): u64 cgroup id, printed as its paths */
	T_USERNAME,    /* the username builtin: u64 uid, printed as the user's name */
	T_SYSCALL_NAME, /* syscall_name(): u64 syscall number, printed as its name */
};

enum agg_kind {
	AGG_NONE, AGG_COUNT, AGG_SUM, AGG_MIN, AGG_MAX, AGG_AVG, AGG_STATS, AGG_HIST, AGG_LHIST, AGG_TSERIES,
};

struct type;

/* One value of an enum (T_INT with enumerators). */
struct type_enumerator {
	const char *name;
	int64_t value;
};

struct type_field {
	const char *name; /* NULL for tuple items */
	const struct type *type;
	uint32_t offset;
	uint16_t bit_offset, bit_width; /* bit_width 0: not a bitfield */
};

struct type {
	enum type_kind kind;
	uint32_t size;
	uint32_t align;
	bool is_signed;
	bool user;                 /* T_POINTER: user address space */
	bool trunc;                /* T_STRING of str(): `size - 1` bytes of string, then 1 if str() cut it */
	const char *name;          /* T_RECORD: "struct task_struct"; T_INT: NULL, or "enum e" (type_enum) */
	const struct type *elem;   /* T_POINTER, T_ARRAY */
	uint32_t count;            /* T_ARRAY */
	const struct type_field *fields; /* T_TUPLE, T_RECORD */
	uint32_t nfields;
	enum agg_kind agg;         /* T_AGG */
	const struct type *agg_arg; /* T_AGG: type of the aggregated value (sum/min/max/...) */
	/* BTF (core/btf.c). */
	uint32_t btf_id; /* T_RECORD imported from vmlinux BTF: its type id (fields read on demand) */
	bool defined;    /* T_RECORD: size, align and (script structs) fields are known */
	uint32_t anon_id; /* T_RECORD: an anonymous BTF struct/union, keyed by its BTF id */
	/* T_INT of an enum: its values, printed by name (core/runtime/decode.c). */
	const struct type_enumerator *enumerators;
	uint32_t nenumerators;
};

struct types {
	struct arena arena;
	/* interning table, owned by types.c */
	const struct type **all;
	uint32_t n, cap;
};

void types_init(struct types *t);
void types_release(struct types *t);

/* Constructors return interned types: equal types are the same pointer. */
const struct type *type_int(struct types *t, uint32_t size, bool is_signed);
/*
 * An enum's integer: T_INT named "enum e" (interned by name, size and sign;
 * the first call's enumerators, copied, stay with it). A value equal to one
 * of them decodes as its name (bpftrace 0.24). type_int_resized() keeps it.
 */
const struct type *type_enum(struct types *t, const char *name, uint32_t size, bool is_signed,
			     const struct type_enumerator *e, uint32_t n);
/* ty (a T_INT, enum or not) with another size. */
const struct type *type_int_resized(struct types *t, const struct type *ty, uint32_t size);
const struct type *type_bool(struct types *t);
const struct type *type_bool_resized(struct types *t, uint32_t size);
const struct type *type_none(struct types *t);
const struct type *type_string(struct types *t, uint32_t size);
/* str()'s result: a string of capacity cap and the byte that says it was truncated (types.h trunc). */
const struct type *type_string_trunc(struct types *t, uint32_t cap);
/* The bytes a T_STRING holds, its NUL included (size, less a trunc flag). */
uint32_t type_string_capacity(const struct type *ty);
const struct type *type_pointer(struct types *t, const struct type *elem, bool user);
const struct type *type_array(struct types *t, const struct type *elem, uint32_t count);
const struct type *type_tuple(struct types *t, const struct type *const *items, uint32_t n);
const struct type *type_agg(struct types *t, enum agg_kind agg, const struct type *arg);
const struct type *type_simple(struct types *t, enum type_kind kind); /* stacks, syms, timestamp */

/*
 * kstack/ustack: T_KSTACK or T_USTACK with count = the frame limit and name
 * = the stack mode ("bpftrace", "perf", "raw").
 */
const struct type *type_stack(struct types *t, enum type_kind kind, const char *mode, uint32_t nframes);

/* strftime(): T_TIMESTAMP with name = fmt (interned by content). */
const struct type *type_timestamp(struct types *t, const char *fmt);
/* cgroup_path(id, filter): T_CGROUP_PATH with name = the filter glob (NULL: every hierarchy). */
const struct type *type_cgroup_path(struct types *t, const char *filter);
/* buf(): T_BUFFER of u32 length + cap bytes. */
const struct type *type_buffer(struct types *t, uint32_t cap);

/*
 * Records (T_RECORD) are not interned by structure but by name: there is one
 * record per name ("struct task_struct"), incomplete (defined false, size 0)
 * until its definition is needed. type_record_define() completes it in
 * place, from a script definition or from BTF (core/btf.c), so a pointer to
 * a record can be typed without reading any BTF. Anonymous BTF records are
 * keyed by their BTF id. A record's fields may stay unset (nfields 0, btf_id
 * set): core/btf.c looks fields up in BTF when they are accessed.
 */
const struct type *type_record(struct types *t, const char *name);
const struct type *type_record_anon(struct types *t, const char *kind, uint32_t btf_id);
void type_record_define(struct types *t, const struct type *rec, uint32_t size, uint32_t align,
			const struct type_field *fields, uint32_t nfields, uint32_t btf_id);

bool type_equal(const struct type *a, const struct type *b);
/* bpftrace's spelling: "int64", "uint8", "string[64]", "(int64,string[2])", "struct x *". */
const char *type_name(struct types *t, const struct type *ty);

#endif
