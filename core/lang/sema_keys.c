/*
 * Tuples: their values, their items, and as map keys.
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

/* (a, b, ...): a tuple of its items' types (integers keep their width). */
const struct type *sema_tuple_expr(struct sema *s, struct node *n)
{
	const struct type *items[MAX_PRINTF_ARGS];
	uint32_t k = 0;
	bool ok = true;
	for (struct node *e = n->u.list.head; e; e = e->next) {
		const struct type *t = sema_expr(s, e);
		if (!t) {
			ok = false;
			continue;
		}
		if (!sema_storable(t) || t->kind == T_NONE) {
			sema_error(s, &e->loc, "Value of type '%s' cannot be part of a tuple", sema_tname(s, t));
			ok = false;
			continue;
		}
		if (k == MAX_PRINTF_ARGS) {
			sema_error(s, &n->loc, "too many tuple items (at most %d)", MAX_PRINTF_ARGS);
			return NULL;
		}
		/* a C struct, as bpftrace lays tuples out: integers keep their width */
		items[k++] = t->kind == T_INT ? t : sema_storage_type(s, t);
	}
	return ok ? type_tuple(s->t, items, k) : NULL;
}

/* $t.0 */
const struct type *sema_tuple_index(struct sema *s, struct node *n)
{
	const struct type *t = sema_expr(s, n->u.field.base);
	unsigned i = n->u.field.index;
	if (!t)
		return NULL;
	if (t->kind != T_TUPLE) {
		sema_error(s, &n->loc, "Can not access index '%u' on expression of type '%s'", i, sema_tname(s, t));
		return NULL;
	}
	if (i >= t->nfields) {
		sema_error(s, &n->loc, "Invalid tuple index: %u. Found %u elements in tuple.", i, t->nfields);
		return NULL;
	}
	return t->fields[i].type;
}
