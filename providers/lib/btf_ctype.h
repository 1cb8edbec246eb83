/* C spellings of BTF types, for the tracepoint and kprobe modules (providers/lib, linked into each). */
#ifndef STROBE_PROVIDERS_BTF_CTYPE_H
#define STROBE_PROVIDERS_BTF_CTYPE_H

#include <bpf/btf.h>
#include <stddef.h>
#include <stdint.h>
#include <strobe/provider.h>

/* "struct task_struct *", "const char *", "int[16]"; "void" for id 0. */
void btf_ctype(const struct btf *btf, uint32_t id, char *buf, size_t len);
/* The type of *id without typedefs, qualifiers and type tags (*id updated); NULL past 32 levels. */
const struct btf_type *btf_ctype_strip(const struct btf *btf, uint32_t *id);
/*
 * *a (zeroed first) for an argument of BTF type type_id: kind, size,
 * signedness, its C spelling in ctype and a pointer's target in pointee
 * (both buffers the caller keeps). The caller sets name, loc and offset.
 */
void btf_ctype_arg(const struct btf *btf, uint32_t type_id, struct strobe_arg *a, char *ctype, size_t ctype_len,
		   char *pointee, size_t pointee_len);

#endif
