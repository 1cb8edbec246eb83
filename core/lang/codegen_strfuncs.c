/*
 * Codegen of the string functions sema_strfuncs.c checks: globmatch,
 * memcmp, strstr (i64 values). memcmp is straight-line code over its
 * literal count of bytes; strstr is a bounded loop over the haystack, and
 * globmatch one per segment of its (literal) pattern.
 */
#include <stdlib.h>

#include "codegen_internal.h"

/* The bytes a string operand holds: a literal's characters and NUL, else its capacity. */
static uint32_t str_cap(const struct node *n)
{
	return n->kind == N_STRING ? (uint32_t)n->u.string.len + 1 : type_string_capacity(n->type);
}

/* Byte i of string n (at ptr, NULL for literals): a constant for literals and past its capacity. */
static LLVMValueRef byte_at(struct cg *c, struct node *n, LLVMValueRef ptr, uint32_t i)
{
	if (n->kind == N_STRING)
		return LLVMConstInt(c->i8, i < n->u.string.len ? (unsigned char)n->u.string.s[i] : 0, 0);
	if (i >= str_cap(n))
		return LLVMConstInt(c->i8, 0, 0);
	return LLVMBuildLoad2(c->b, c->i8, cg_ptr_off(c, ptr, i), "");
}

static LLVMValueRef i1(struct cg *c, bool v)
{
	return LLVMConstInt(c->i1, v, 0);
}

static bool has_byte(const struct glob_elem *e, unsigned b)
{
	return e->bits[b / 64] >> (b % 64) & 1;
}

/* Whether byte b is in the element's set: one unsigned range compare per run of bytes. */
static LLVMValueRef elem_match(struct cg *c, const struct glob_elem *e, LLVMValueRef b)
{
	LLVMValueRef m = i1(c, false);
	for (unsigned lo = 1; lo < 256; lo++) {
		if (!has_byte(e, lo))
			continue;
		unsigned hi = lo;
		while (hi + 1 < 256 && has_byte(e, hi + 1))
			hi++;
		LLVMValueRef in;
		if (lo == hi)
			in = LLVMBuildICmp(c->b, LLVMIntEQ, b, LLVMConstInt(c->i8, lo, 0), "");
		else
			in = LLVMBuildICmp(c->b, LLVMIntULE, LLVMBuildSub(c->b, b, LLVMConstInt(c->i8, lo, 0), ""),
					   LLVMConstInt(c->i8, hi - lo, 0), "");
		m = LLVMBuildOr(c->b, m, in, "");
		lo = hi;
	}
	return m;
}

/* A zeroed buffer of `size` bytes holding string n's bytes (a copy, so reads past them are zeroes). */
static LLVMValueRef padded(struct cg *c, struct node *n, uint32_t size)
{
	LLVMValueRef buf = cg_alloca(c, size, "padded");
	cg_zero(c, buf, size);
	if (n->kind == N_STRING)
		for (uint32_t i = 0; i < n->u.string.len; i++)
			LLVMBuildStore(c->b, byte_at(c, n, NULL, i), cg_ptr_off(c, buf, i));
	else
		cg_copy(c, buf, 1, cg_string(c, n), 1, str_cap(n));
	return buf;
}

/*
 * A loop over a position pos in [0, limit) of a string in buf: the body
 * block decides whether pos matches (scan_close), the loop goes on while
 * buf[pos] is not the NUL. Blocks: head (pos < limit?), body, next, hit, done.
 */
struct scan_loop {
	LLVMBasicBlockRef pre, head, body, next, hit, done;
	LLVMValueRef pos;
};

static void scan_open(struct cg *c, struct scan_loop *l, uint32_t limit)
{
	l->pre = LLVMGetInsertBlock(c->b);
	l->head = cg_block(c, "scan_head");
	l->body = cg_block(c, "scan_body");
	l->next = cg_block(c, "scan_next");
	l->hit = cg_block(c, "scan_hit");
	l->done = cg_block(c, "scan_done");
	LLVMBuildBr(c->b, l->head);
	LLVMPositionBuilderAtEnd(c->b, l->head);
	l->pos = LLVMBuildPhi(c->b, c->i64, "pos");
	LLVMBuildCondBr(c->b, LLVMBuildICmp(c->b, LLVMIntULT, l->pos, cg_const(c, limit), ""), l->body, l->done);
	LLVMPositionBuilderAtEnd(c->b, l->body);
}

/* matched (an i1) ends the loop at hit; else the next position, unless buf[pos] is the NUL. At done after. */
static void scan_close(struct cg *c, struct scan_loop *l, LLVMValueRef buf, LLVMValueRef matched)
{
	LLVMBuildCondBr(c->b, matched, l->hit, l->next);
	LLVMPositionBuilderAtEnd(c->b, l->next);
	LLVMValueRef here = LLVMBuildLoad2(c->b, c->i8, cg_ptr_at(c, buf, l->pos), "");
	LLVMValueRef step = LLVMBuildAdd(c->b, l->pos, cg_const(c, 1), "");
	LLVMBuildCondBr(c->b, LLVMBuildICmp(c->b, LLVMIntEQ, here, LLVMConstInt(c->i8, 0, 0), ""), l->done, l->head);
	LLVMPositionBuilderAtEnd(c->b, l->hit);
	LLVMBuildBr(c->b, l->done);
	LLVMValueRef in[] = { cg_const(c, 0), step };
	LLVMBasicBlockRef from[] = { l->pre, l->next };
	LLVMAddIncoming(l->pos, in, from, 2);
	LLVMPositionBuilderAtEnd(c->b, l->done);
}

/*
 * The first start p >= cur (p < npos, no NUL before p) where the elements
 * elems[0..len) match buf[p..p+len) and, with need_end, buf[p + len] is the
 * NUL. A loop over p (the verifier walks npos iterations); *found says if any.
 */
static LLVMValueRef scan(struct cg *c, LLVMValueRef buf, uint32_t npos, LLVMValueRef cur, const struct glob_elem *elems,
			 uint32_t len, bool need_end, LLVMValueRef *found)
{
	struct scan_loop l;
	scan_open(c, &l, npos);
	LLVMValueRef p = l.pos;
	LLVMBasicBlockRef test = cg_block(c, "glob_test");
	LLVMBuildCondBr(c->b, LLVMBuildICmp(c->b, LLVMIntULT, p, cur, ""), l.next, test);
	LLVMPositionBuilderAtEnd(c->b, test);
	LLVMValueRef m = i1(c, true);
	for (uint32_t j = 0; j < len; j++) {
		LLVMValueRef byte = LLVMBuildLoad2(c->b, c->i8, cg_ptr_at(c, buf, LLVMBuildAdd(c->b, p, cg_const(c, j), "")), "");
		m = LLVMBuildAnd(c->b, m, elem_match(c, &elems[j], byte), "");
	}
	if (need_end) {
		LLVMValueRef byte = LLVMBuildLoad2(c->b, c->i8, cg_ptr_at(c, buf, LLVMBuildAdd(c->b, p, cg_const(c, len), "")), "");
		m = LLVMBuildAnd(c->b, m, LLVMBuildICmp(c->b, LLVMIntEQ, byte, LLVMConstInt(c->i8, 0, 0), ""), "");
	}
	scan_close(c, &l, buf, m); /* no start after the string's NUL */
	LLVMValueRef f = LLVMBuildPhi(c->b, c->i1, "found"), pos = LLVMBuildPhi(c->b, c->i64, "pos");
	LLVMValueRef f_in[] = { i1(c, false), i1(c, false), i1(c, true) };
	LLVMValueRef pos_in[] = { p, p, p };
	LLVMBasicBlockRef from[] = { l.head, l.next, l.hit };
	LLVMAddIncoming(f, f_in, from, 3);
	LLVMAddIncoming(pos, pos_in, from, 3);
	*found = f;
	return pos;
}

/*
 * globmatch(s, pat): pat = seg0 * seg1 * ... * segN. seg0 must match at 0,
 * each middle segment at its leftmost place after the previous one (the
 * leftmost is never worse), the last one where s ends. s is first copied
 * into a zeroed buffer long enough for any segment to be read past its end.
 */
LLVMValueRef globmatch_value(struct cg *c, struct node *n)
{
	struct node *sn = n->u.call.args, *pn = sn->next;
	struct glob g;
	const char *err;
	if (glob_parse(pn->u.string.s, pn->u.string.len, &g, &err) < 0) { /* sema checked it */
		cg_fail(c, &pn->loc, "internal error: globmatch() pattern: %s", err);
		return cg_const(c, 0);
	}
	uint32_t cap = str_cap(sn), npos = cap + 1, maxlen = 0;
	for (uint32_t k = 0; k < g.nsegs; k++)
		if (g.seg_len[k] > maxlen)
			maxlen = g.seg_len[k];
	LLVMValueRef buf = padded(c, sn, npos + maxlen + 1);
	LLVMValueRef ok = i1(c, true), cur = cg_const(c, 0);
	for (uint32_t k = 0; k < g.nsegs; k++) {
		bool last = k + 1 == g.nsegs;
		LLVMValueRef found;
		/* seg0 only at 0 */
		LLVMValueRef pos = scan(c, buf, k == 0 ? 1 : npos, cur, &g.elems[g.seg_start[k]], g.seg_len[k], last, &found);
		ok = LLVMBuildAnd(c->b, ok, found, "");
		cur = LLVMBuildAdd(c->b, pos, cg_const(c, g.seg_len[k]), "");
	}
	glob_free(&g);
	return LLVMBuildZExt(c->b, ok, c->i64, "globmatch");
}

/*
 * strstr(h, s): the first i (h has no NUL before it) where every byte of s
 * before its NUL matches h[i + j]; -1 if none. A loop over i (h is copied
 * into a zeroed buffer so that h[i + j] can always be read).
 */
LLVMValueRef strstr_value(struct cg *c, struct node *n)
{
	struct node *h = n->u.call.args, *nd = h->next;
	uint32_t hcap = str_cap(h), ncap = nd->kind == N_STRING ? (uint32_t)nd->u.string.len : str_cap(nd);
	LLVMValueRef hb = padded(c, h, hcap + ncap + 1);
	LLVMValueRef np = nd->kind == N_STRING ? NULL : cg_string(c, nd);
	LLVMValueRef zero = LLVMConstInt(c->i8, 0, 0);
	struct scan_loop l;
	scan_open(c, &l, hcap);
	LLVMValueRef i = l.pos, ok = i1(c, true), ended = i1(c, false);
	for (uint32_t j = 0; j < ncap; j++) { /* a literal needle's NUL is not compared */
		LLVMValueRef b = LLVMBuildLoad2(c->b, c->i8, cg_ptr_at(c, hb, LLVMBuildAdd(c->b, i, cg_const(c, j), "")), "");
		LLVMValueRef nb = byte_at(c, nd, np, j);
		if (nd->kind != N_STRING)
			ended = LLVMBuildOr(c->b, ended, LLVMBuildICmp(c->b, LLVMIntEQ, nb, zero, ""), "");
		ok = LLVMBuildAnd(c->b, ok, LLVMBuildOr(c->b, ended, LLVMBuildICmp(c->b, LLVMIntEQ, b, nb, ""), ""), "");
	}
	scan_close(c, &l, hb, ok);
	LLVMValueRef r = LLVMBuildPhi(c->b, c->i64, "strstr");
	LLVMValueRef r_in[] = { cg_const(c, (uint64_t)-1), cg_const(c, (uint64_t)-1), i };
	LLVMBasicBlockRef from[] = { l.head, l.next, l.hit };
	LLVMAddIncoming(r, r_in, from, 3);
	return r;
}

/* Byte i of a memcmp() operand: strings and literals as above, a buffer's bytes after its length. */
static LLVMValueRef operand_byte(struct cg *c, struct node *n, LLVMValueRef ptr, uint32_t i)
{
	if (n->type->kind == T_STRING)
		return byte_at(c, n, ptr, i);
	uint32_t off = n->type->kind == T_BUFFER ? 4 : 0;
	return LLVMBuildLoad2(c->b, c->i8, cg_ptr_off(c, ptr, off + i), "");
}

/*
 * memcmp(l, r, count): l[i] - r[i] (bytes as unsigned) at the first i that
 * differs, else 0. Integer arithmetic only, as string_eq() does: branches
 * per byte multiply the verifier's states. d | -d has its sign bit set
 * when d != 0; alive (all ones) lasts until the first difference.
 */
LLVMValueRef memcmp_value(struct cg *c, struct node *n)
{
	struct node *l = n->u.call.args, *r = l->next;
	uint64_t count = (uint64_t)r->next->u.integer.value;
	LLVMValueRef lp = l->kind == N_STRING ? NULL : cg_string(c, l);
	LLVMValueRef rp = r->kind == N_STRING ? NULL : cg_string(c, r);
	LLVMValueRef alive = LLVMConstAllOnes(c->i64), out = cg_const(c, 0);
	for (uint32_t i = 0; i < count; i++) {
		LLVMValueRef a = LLVMBuildZExt(c->b, operand_byte(c, l, lp, i), c->i64, "");
		LLVMValueRef b = LLVMBuildZExt(c->b, operand_byte(c, r, rp, i), c->i64, "");
		LLVMValueRef d = cg_opaque_i64(c, LLVMBuildSub(c->b, a, b, ""));
		out = LLVMBuildOr(c->b, out, LLVMBuildAnd(c->b, alive, d, ""), "");
		LLVMValueRef differs = LLVMBuildAShr(c->b, LLVMBuildOr(c->b, d, LLVMBuildNeg(c->b, d, ""), ""),
						     cg_const(c, 63), "");
		alive = LLVMBuildAnd(c->b, alive, LLVMBuildNot(c->b, cg_opaque_i64(c, differs), ""), "");
	}
	return out;
}
