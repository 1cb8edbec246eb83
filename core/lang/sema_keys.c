/*
 * Map keys of today's bpftrace (0.22 on): a tuple is a key. `@m[(1, "x")]`
 * and `@m[$t]` with $t = (1, "x") name the same entry as `@m[1, "x"]`, so a
 * tuple key is laid out as the key of several keys is: each item stored
 * (integers in 8 bytes, sema_storage_type).
 */
#include "sema_internal.h"

const struct type *sema_tuple_key(struct sema *s, const struct type *t)
{
	const struct type *items[MAX_PRINTF_ARGS];
	uint32_t n = t->nfields < MAX_PRINTF_ARGS ? t->nfields : MAX_PRINTF_ARGS;
	for (uint32_t i = 0; i < n; i++) {
		const struct type *f = t->fields[i].type;
		items[i] = f->kind == T_POINTER ? f : sema_storage_type(s, f);
	}
	return type_tuple(&s->p->types, items, n);
}
