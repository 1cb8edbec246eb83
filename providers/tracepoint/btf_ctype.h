/* C spellings of BTF types, shared by the tracepoint and kprobe modules (btf_ctype.c). */
#ifndef STROBE_PROVIDERS_BTF_CTYPE_H
#define STROBE_PROVIDERS_BTF_CTYPE_H

#include <bpf/btf.h>
#include <stddef.h>
#include <stdint.h>

/* "struct task_struct *", "const char *", "int[16]"; "void" for id 0. */
void btf_ctype(const struct btf *btf, uint32_t id, char *buf, size_t len);
/* The type of *id without typedefs, qualifiers and type tags (*id updated); NULL past 32 levels. */
const struct btf_type *btf_ctype_strip(const struct btf *btf, uint32_t *id);

#endif
