/*
 * BTF types and the walks through them: a small synthetic BTF
 * (built with libbpf's btf__add_* API, handed to core_btf_override) stands
 * for vmlinux, so the rules and messages are checked without the kernel's
 * types; one test checks laziness against the real vmlinux BTF.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <bpf/btf.h>
#include <errno.h>
#include <linux/bpf.h>
#include <linux/btf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "btf.h"
#include "lang/compile.h"

#include "fake_probes.h"

static struct btf *fake;

/*
 * struct task_struct {            // size 64
 *     int pid;                    // 0
 *     int tgid;                   // 4
 *     char comm[16];              // 8
 *     struct task_struct *parent; // 24
 *     unsigned int a:3, b:5;      // 32 (bits 256..263)
 *     union { int u_i; long u_l; }; // 40 (anonymous)
 *     struct list_head tasks;     // 48
 * };
 * struct list_head { struct list_head *next, *prev; }; // 16
 * enum fake_e { FAKE_ONE = 1, FAKE_BIG = 300 };
 * typedef int pid_t;
 * struct blob { unsigned char b[4]; int m[2][2]; float f; };
 */
static int setup(void **state)
{
	(void)state;
	struct btf *b = btf__new_empty();
	int t_int = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	int t_uint = btf__add_int(b, "unsigned int", 4, 0);
	int t_char = btf__add_int(b, "char", 1, BTF_INT_SIGNED);
	int t_long = btf__add_int(b, "long", 8, BTF_INT_SIGNED);
	int t_uchar = btf__add_int(b, "unsigned char", 1, 0);
	int fwd_task = btf__add_fwd(b, "task_struct", BTF_FWD_STRUCT);
	int fwd_list = btf__add_fwd(b, "list_head", BTF_FWD_STRUCT);
	int t_comm = btf__add_array(b, t_int, t_char, 16);
	int t_taskp = btf__add_ptr(b, fwd_task);
	int t_listp = btf__add_ptr(b, fwd_list);
	int t_union = btf__add_union(b, NULL, 8);
	btf__add_field(b, "u_i", t_int, 0, 0);
	btf__add_field(b, "u_l", t_long, 0, 0);
	int t_list = btf__add_struct(b, "list_head", 16);
	btf__add_field(b, "next", t_listp, 0, 0);
	btf__add_field(b, "prev", t_listp, 64, 0);
	btf__add_struct(b, "task_struct", 64);
	btf__add_field(b, "pid", t_int, 0, 0);
	btf__add_field(b, "tgid", t_int, 32, 0);
	btf__add_field(b, "comm", t_comm, 64, 0);
	btf__add_field(b, "parent", t_taskp, 192, 0);
	btf__add_field(b, "a", t_uint, 256, 3);
	btf__add_field(b, "b", t_uint, 259, 5);
	btf__add_field(b, NULL, t_union, 320, 0);
	btf__add_field(b, "tasks", t_list, 384, 0);
	int t_bytes = btf__add_array(b, t_int, t_uchar, 4);
	int t_row = btf__add_array(b, t_int, t_int, 2);
	int t_grid = btf__add_array(b, t_int, t_row, 2);
	int t_float = btf__add_float(b, "float", 4);
	btf__add_struct(b, "blob", 24);
	btf__add_field(b, "b", t_bytes, 0, 0);
	btf__add_field(b, "m", t_grid, 32, 0);
	btf__add_field(b, "f", t_float, 160, 0);
	btf__add_enum(b, "fake_e", 4);
	btf__add_enum_value(b, "FAKE_ONE", 1);
	btf__add_enum_value(b, "FAKE_BIG", 300);
	btf__add_typedef(b, "pid_t", t_int);
	fake = b;
	core_btf_override(fake);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	core_btf_override(NULL);
	btf__free(fake);
	return 0;
}

/* The type of the first printf argument of text. */
static const char *arg_type(const char *text)
{
	static char buf[128];
	struct checked *c = check(text);
	if (c->rc)
		diags_emit(&c->d, stderr);
	assert_int_equal(c->rc, 0);
	assert_true(c->p.nprintfs >= 1);
	snprintf(buf, sizeof(buf), "%s", type_name(&c->p.types, c->p.printfs[0].arg_types[0]));
	checked_free(c);
	return buf;
}

/* The value of sizeof/offsetof/an enumerator: printf's first argument after rewriting. */
static uint64_t const_value(const char *expr)
{
	char text[256];
	snprintf(text, sizeof(text), "BEGIN { printf(\"%%d\", %s); }", expr);
	struct checked *c = check(text);
	if (c->rc)
		diags_emit(&c->d, stderr);
	assert_int_equal(c->rc, 0);
	struct node *call = c->p.probes[0].ast->u.probe.body->u.list.head->u.unary.operand;
	struct node *arg = call->u.call.args->next;
	assert_int_equal(arg->kind, N_INT);
	uint64_t v = arg->u.integer.value;
	checked_free(c);
	return v;
}

static void test_walks(void **state)
{
	(void)state;
	expect_ok("BEGIN { printf(\"%d %s\\n\", curtask->pid, curtask->comm); }");
	expect_ok("BEGIN { printf(\"%d\\n\", curtask->parent->parent->tgid); }");
	expect_ok("BEGIN { printf(\"%d\\n\", ((struct task_struct *)curtask)->parent->tgid); }");
	expect_ok("BEGIN { printf(\"%d\\n\", (*curtask).pid); }");
	expect_ok("BEGIN { printf(\"%p\\n\", curtask->tasks.next->prev); }");
	expect_ok("BEGIN { $p = &curtask->tgid; printf(\"%d\\n\", *$p); }");
	expect_ok("BEGIN { @[curtask->comm] = count(); @p = curtask->parent; }");
	expect_ok("tracepoint:syscalls:sys_enter_read { $t = (struct task_struct *)args->fd; printf(\"%d\\n\", $t->pid); }");
	/* types: ints, strings for char arrays, pointers, bitfields, anonymous unions */
	assert_string_equal(arg_type("BEGIN { printf(\"%d\", curtask->pid); }"), "int64");
	assert_string_equal(arg_type("BEGIN { printf(\"%s\", curtask->comm); }"), "string[16]");
	assert_string_equal(arg_type("BEGIN { printf(\"%d\", curtask->b); }"), "uint64");
	assert_string_equal(arg_type("BEGIN { printf(\"%d\", curtask->u_l); }"), "int64");
	assert_string_equal(arg_type("BEGIN { printf(\"%d\", curtask->parent); }"), "int64");
	assert_string_equal(arg_type("BEGIN { printf(\"%d\", curtask + 1); }"), "int64");
}

static void test_node_types(void **state)
{
	(void)state;
	struct checked *c = check("BEGIN { $a = curtask->parent; $b = curtask->b; $c = ((struct blob *)0)->b; "
				  "$d = curtask->tasks; }");
	/* $d = a record, held by value */
	assert_int_equal(c->rc, 0);
	struct node *s = c->p.probes[0].ast->u.probe.body->u.list.head;
	assert_string_equal(type_name(&c->p.types, s->u.assign.value->type), "struct task_struct *");
	struct node *bf = s->next->u.assign.value;
	assert_string_equal(type_name(&c->p.types, bf->type), "uint32");
	assert_int_equal(bf->u.field.offset, 32);
	assert_int_equal(bf->u.field.bit_offset, 3);
	assert_int_equal(bf->u.field.bit_width, 5);
	assert_string_equal(type_name(&c->p.types, s->next->next->u.assign.value->type), "uint8[4]");
	assert_string_equal(type_name(&c->p.types, s->next->next->next->u.assign.target->type), "struct list_head");
	checked_free(c);
}

static void test_constants(void **state)
{
	(void)state;
	assert_int_equal(const_value("sizeof(struct task_struct)"), 64);
	assert_int_equal(const_value("sizeof(struct list_head)"), 16);
	assert_int_equal(const_value("sizeof(curtask)"), 8);
	assert_int_equal(const_value("sizeof(*curtask)"), 64);
	assert_int_equal(const_value("sizeof(curtask->comm)"), 16);
	assert_int_equal(const_value("sizeof(pid_t)"), 4);
	assert_int_equal(const_value("offsetof(struct task_struct, parent)"), 24);
	assert_int_equal(const_value("offsetof(struct task_struct, u_l)"), 40);
	assert_int_equal(const_value("offsetof(struct task_struct, tasks.prev)"), 56);
	assert_int_equal(const_value("FAKE_BIG"), 300);
}

static void test_script_structs(void **state)
{
	(void)state;
	assert_int_equal(const_value("sizeof(struct task_struct)"), 64);
	struct checked *c = check("struct foo { int a; char b[3]; long c; short d; } "
				  "union u { int i; char c[6]; } "
				  "struct s { union u x; struct { int y; int z; }; unsigned int f1:3; int f2:4; struct list_head l; } "
				  "enum color { RED, GREEN = 5, BLUE } "
				  "BEGIN { printf(\"%d %d %d %d %d %d %d\", sizeof(struct foo), sizeof(union u), "
				  "sizeof(struct s), offsetof(struct s, z), offsetof(struct s, l), BLUE, "
				  "((struct foo *)0)->c); }");
	if (c->rc)
		diags_emit(&c->d, stderr);
	assert_int_equal(c->rc, 0);
	struct node *a = c->p.probes[0].ast->u.probe.body->u.list.head->u.unary.operand->u.call.args->next;
	static const uint64_t want[] = { 24, 8, 40, 12, 24, 6 };
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++, a = a->next) {
		assert_int_equal(a->kind, N_INT);
		assert_int_equal(a->u.integer.value, want[i]);
	}
	assert_int_equal(a->u.field.offset, 8);
	checked_free(c);
	expect_error("struct bad { nosuchtype x; } BEGIN { exit(); }",
		     "Unknown type 'nosuchtype' in a struct definition", 1, 29);
	/* multi-dimensional arrays: arrays of arrays, char ones arrays of strings */
	c = check("struct g { int a; int m[2][3]; char n[2][4]; struct list_head l[2]; } "
		  "BEGIN { $m = ((struct g *)0)->m; $r = ((struct g *)0)->m[1]; $n = ((struct g *)0)->n; "
		  "$i = ((struct g *)0)->m[1][2]; printf(\"%d %d\", sizeof(struct g), offsetof(struct g, l)); }");
	if (c->rc)
		diags_emit(&c->d, stderr);
	assert_int_equal(c->rc, 0);
	struct node *st = c->p.probes[0].ast->u.probe.body->u.list.head;
	assert_string_equal(type_name(&c->p.types, st->u.assign.target->type), "int32[3][2]");
	assert_string_equal(type_name(&c->p.types, st->next->u.assign.target->type), "int32[3]");
	assert_string_equal(type_name(&c->p.types, st->next->next->u.assign.target->type), "string[4][2]");
	assert_string_equal(type_name(&c->p.types, st->next->next->next->u.assign.value->type), "int32");
	a = st->next->next->next->next->u.unary.operand->u.call.args->next;
	assert_int_equal(a->u.integer.value, 72); /* 4 + 24 + 8, l at 40 (aligned), 2 * 16 */
	assert_int_equal(a->next->u.integer.value, 40);
	checked_free(c);
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("BEGIN { print(curtask->nope); }",
		     "Struct/union of type 'struct task_struct' does not contain a field named 'nope'", 15, 28);
	expect_error("BEGIN { print(curtask->pid->x); }",
		     "Can not access field 'x' on expression of type 'int32'", 15, 30);
	expect_error("BEGIN { print(((struct nope *)curtask)->x); }", "Unknown struct/union: 'struct nope'", 16, 38);
	expect_error("BEGIN { print(sizeof(struct nope)); }", "Unknown identifier: 'struct nope'", 15, 34);
	expect_error("BEGIN { print(NOPE); }", "Unknown identifier: 'NOPE'", 15, 19);
	expect_error("BEGIN { print(curtask->pid[0]); }",
		     "The array index operator [] can only be used on arrays and pointers, found integer.", 15, 30);
	expect_error("BEGIN { print(curtask - curtask); }",
		     "The - operator can not be used on expressions of types struct task_struct *, struct task_struct *",
		     15, 32);
	expect_error("BEGIN { print(curtask); }", "struct task_struct * type passed to print() is not printable", 9,
		     23);
	expect_error("BEGIN { print(*curtask->parent, 1); }", "Non-map print() only takes 1 argument, 2 found", 9, 35);
	expect_error("BEGIN { printf(\"%d\", *curtask); }",
		     "printf: %d specifier expects a value of type integer (record supplied)", 9, 31);
	expect_error("BEGIN { print(((struct blob *)0)->f); }",
		     "Field 'f' of 'struct blob' has a type that cannot be used (not supported yet)", 16, 36);
	expect_error("BEGIN { print(((struct blob *)0)->b[4]); }",
		     "the index 4 is out of bounds for array of size 4", 16, 39);
	expect_error("BEGIN { print(&(1 + 2)); }",
		     "The & operator can only be used on struct fields, array elements and dereferences", 15, 22);
	expect_error("BEGIN { print((struct task_struct *)comm); }",
		     "Cannot cast from \"string[16]\" to \"struct task_struct *\"", 15, 41);
}

static const struct type_field *field_named(const struct type *rec, const char *name)
{
	for (uint32_t i = 0; i < rec->nfields; i++)
		if (rec->fields[i].name && !strcmp(rec->fields[i].name, name))
			return &rec->fields[i];
	return NULL;
}

/* Records as values: variables, maps, keys, print(), and their whole field lists. */
static void test_records(void **state)
{
	(void)state;
	struct checked *c = check("BEGIN { $t = *curtask; @m[$t.pid] = $t; @k[curtask->tasks] = count(); "
				  "print(*(struct blob *)0); $e = $t == *curtask->parent; printf(\"%d\\n\", $t.tasks.next == 0); }");
	if (c->rc)
		diags_emit(&c->d, stderr);
	assert_int_equal(c->rc, 0);
	const struct type *task = c->p.maps[0].value;
	assert_string_equal(type_name(&c->p.types, task), "struct task_struct");
	assert_int_equal(c->p.maps[0].value_size, 64);
	/* every member in order, the anonymous union's inline; bitfields keep their bits */
	assert_int_equal(task->nfields, 9);
	static const char *const names[] = { "pid", "tgid", "comm", "parent", "a", "b", "u_i", "u_l", "tasks" };
	for (uint32_t i = 0; i < 9; i++)
		assert_string_equal(task->fields[i].name, names[i]);
	assert_int_equal(field_named(task, "b")->offset, 32);
	assert_int_equal(field_named(task, "b")->bit_offset, 3);
	assert_int_equal(field_named(task, "b")->bit_width, 5);
	assert_int_equal(field_named(task, "u_l")->offset, 40);
	assert_string_equal(type_name(&c->p.types, field_named(task, "comm")->type), "string[16]");
	/* nested records by value are completed too; the key is one */
	const struct type *list = field_named(task, "tasks")->type;
	assert_int_equal(list->nfields, 2);
	assert_ptr_equal(c->p.maps[1].key, list);
	assert_int_equal(c->p.maps[1].key_size, 16);
	/* a member of a type strobe cannot hold (float f) is left out; int m[2][2] is an array of arrays */
	const struct type *blob = c->p.print_values[0];
	assert_int_equal(blob->nfields, 2);
	assert_string_equal(blob->fields[0].name, "b");
	assert_string_equal(type_name(&c->p.types, blob->fields[1].type), "int32[2][2]");
	assert_int_equal(blob->fields[1].type->size, 16);
	assert_int_equal(blob->fields[1].offset, 4);
	checked_free(c);

	expect_error("BEGIN { $t = *curtask; $t = curtask->tasks; }",
		     "Type mismatch for $t: trying to assign value of type 'struct list_head' when variable already "
		     "contains a value of type 'struct task_struct'", 27, 28);
	expect_error("BEGIN { @t = *curtask; @t = curtask->tasks; }",
		     "Type mismatch for @t: trying to assign value of type 'struct list_head' when map already "
		     "contains a value of type 'struct task_struct'", 27, 28);
	expect_error("BEGIN { $e = *curtask == curtask->tasks; }",
		     "Type mismatch for '==': comparing 'struct task_struct' with 'struct list_head'", 14, 40);
	expect_error("BEGIN { $e = *curtask < *curtask; }",
		     "Type mismatch for '<': comparing 'struct task_struct' with 'struct task_struct'", 14, 33);
	expect_error("BEGIN { if (curtask->tasks) { } }", "Invalid condition in if(): record", 13, 27);
	expect_error("BEGIN { @s = sum(curtask->tasks); }", "sum() only supports integer arguments (record provided)",
		     14, 33);
	expect_error("BEGIN { $t = curtask->tasks; $x = *$t; }",
		     "Can not dereference struct/union of type 'struct list_head'. It is not a pointer.", 35, 38);
	expect_error("BEGIN { $t = curtask->tasks; $x = $t.nope; }",
		     "Struct/union of type 'struct list_head' does not contain a field named 'nope'", 35, 42);
	expect_error("BEGIN { $t = pid ? curtask->tasks : curtask->tasks; }", "Ternary return type unsupported record",
		     14, 51);
	expect_error("BEGIN { $t = curtask->tasks; printf(\"%s\", $t); }",
		     "printf: %s specifier expects a value of type string (record supplied)", 30, 46);
}

/* Against the real vmlinux BTF: nothing is read until a record is looked into. */
static void test_lazy_vmlinux(void **state)
{
	(void)state;
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		skip();
		return;
	}
	core_btf_override(NULL);
	expect_ok("BEGIN { $t = curtask; printf(\"%d %p\\n\", pid, $t); @[curtask] = count(); }");
	assert_false(core_btf_loaded());
	struct checked *c = check("BEGIN { printf(\"%d %s\\n\", curtask->parent->pid, curtask->comm); }");
	assert_int_equal(c->rc, 0);
	assert_true(core_btf_loaded());
	/* two records and a few integers, pointers and strings: not the task_struct graph */
	assert_true(c->p.types.n < 40);
	checked_free(c);
	core_btf_override(fake);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walks),
		cmocka_unit_test(test_node_types),
		cmocka_unit_test(test_constants),
		cmocka_unit_test(test_script_structs),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_records),
		cmocka_unit_test(test_lazy_vmlinux),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
