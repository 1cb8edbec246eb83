/*
 * From the module codegen.c built to BPF objects (program.h, p->objects):
 * optimise, select instructions, emit ELF. That is most of the compile time
 * (LLVM's instruction selection alone is ~70% of it), so a program of many
 * functions is compiled in shards on several threads, each in its own LLVM
 * context, parsed from the module's bitcode with the other shards' functions
 * deleted: one ELF object per shard, which the loader loads side by side
 * (maps are the core's, referenced by fd, so the objects share nothing else).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <llvm-c/Analysis.h>
#include <llvm-c/BitReader.h>
#include <llvm-c/BitWriter.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>

#include "codegen_internal.h"

/* Below this many functions one thread is faster: a shard costs a context, a bitcode parse and a thread. */
#define SHARD_MIN_FUNCS 8
#define SHARDS_MAX 8

int cg_init_target(LLVMTargetMachineRef *tm, char **msg)
{
	LLVMInitializeBPFTargetInfo();
	LLVMInitializeBPFTarget();
	LLVMInitializeBPFTargetMC();
	LLVMInitializeBPFAsmPrinter();
	LLVMTargetRef target;
	if (LLVMGetTargetFromTriple("bpfel", &target, msg))
		return -ENOENT;
	*tm = LLVMCreateTargetMachine(target, "bpfel", "v2", "", LLVMCodeGenLevelDefault, LLVMRelocStatic,
				      LLVMCodeModelDefault);
	return *tm ? 0 : -ENOMEM;
}

/* One module's way to an object, on whichever thread compiles it. */
struct shard {
	LLVMContextRef ctx;
	LLVMModuleRef mod;
	LLVMTargetMachineRef tm;
	void *elf;
	size_t size;
	/* the first error: LLVM's own (llvm_error, from its diagnostic handler) or ours */
	char *llvm_error;
	char *error;
	int err;
};

/* LLVM's backend repeats an error at every place it meets it: keep the first. */
static void llvm_diagnostic(LLVMDiagnosticInfoRef info, void *arg)
{
	struct shard *s = arg;
	if (LLVMGetDiagInfoSeverity(info) != LLVMDSError || s->llvm_error)
		return;
	char *desc = LLVMGetDiagInfoDescription(info);
	s->llvm_error = strdup(desc);
	LLVMDisposeMessage(desc);
	if (!s->err)
		s->err = -EINVAL;
}

static void shard_fail(struct shard *s, int err, const char *what, const char *msg)
{
	if (s->err)
		return;
	s->err = err;
	size_t n = strlen(what) + strlen(msg ? msg : "") + 3;
	s->error = malloc(n);
	if (s->error)
		snprintf(s->error, n, "%s: %s", what, msg ? msg : "unknown error");
}

static void shard_compile(struct shard *s, const struct program *p)
{
	/*
	 * The programs are straight-line code over allocas, map helpers and
	 * verifier-bounded loops (unroll is expanded by codegen): promoting,
	 * combining and simplifying is what the verifier and the code size
	 * need; memcpyopt and the second instcombine drop the temporary copies
	 * of strings and records that would otherwise overflow the 512-byte
	 * stack. default<O2> took 1.6x the instructions to compile bench/'s
	 * large script (callgrind), and every test passes with either.
	 * globaldce drops what only another shard's functions use.
	 */
	LLVMPassBuilderOptionsRef opts = LLVMCreatePassBuilderOptions();
	LLVMErrorRef e = LLVMRunPasses(
		s->mod, "globaldce,function(sroa,early-cse,instcombine,memcpyopt,simplifycfg,instcombine)", s->tm, opts);
	LLVMDisposePassBuilderOptions(opts);
	if (e) {
		char *em = LLVMGetErrorMessage(e);
		shard_fail(s, -EINVAL, "internal error: LLVM passes failed", em);
		LLVMDisposeErrorMessage(em);
		return;
	}
	if (p->dump_ir_opt) {
		char *ir = LLVMPrintModuleToString(s->mod);
		fputs(ir, p->dump_ir_opt);
		LLVMDisposeMessage(ir);
	}
	char *msg = NULL;
	if (p->emit_llvm && LLVMPrintModuleToFile(s->mod, p->emit_llvm, &msg)) {
		char what[512];
		snprintf(what, sizeof(what), "failed to write the LLVM IR to '%s'", p->emit_llvm);
		shard_fail(s, -EIO, what, msg);
		LLVMDisposeMessage(msg);
		return;
	}
	LLVMContextSetDiagnosticHandler(s->ctx, llvm_diagnostic, s);
	LLVMMemoryBufferRef buf;
	if (LLVMTargetMachineEmitToMemoryBuffer(s->tm, s->mod, LLVMObjectFile, &msg, &buf)) {
		shard_fail(s, -EINVAL, "BPF code generation failed", msg);
		LLVMDisposeMessage(msg);
		return;
	}
	if (!s->err) {
		s->size = LLVMGetBufferSize(buf);
		s->elf = malloc(s->size);
		if (s->elf)
			memcpy(s->elf, LLVMGetBufferStart(buf), s->size);
		else
			s->err = -ENOMEM;
	}
	LLVMDisposeMemoryBuffer(buf);
}

/* What a shard thread starts from: the whole module as bitcode, and which functions are its own. */
struct shard_job {
	struct shard s;
	const struct program *p;
	LLVMMemoryBufferRef bitcode;
	uint32_t index;
	pthread_t thread;
	bool started;
};

static void *shard_run(void *arg)
{
	struct shard_job *j = arg;
	struct shard *s = &j->s;
	char *msg = NULL;
	int err = cg_init_target(&s->tm, &msg);
	if (err) {
		shard_fail(s, err, "LLVM has no BPF target", msg);
		LLVMDisposeMessage(msg);
		return NULL;
	}
	s->ctx = LLVMContextCreate();
	/* the buffer is the main thread's: parse from a view of it, which this thread may free */
	LLVMMemoryBufferRef view = LLVMCreateMemoryBufferWithMemoryRange(
		LLVMGetBufferStart(j->bitcode), LLVMGetBufferSize(j->bitcode), "strobe", 0);
	if (LLVMParseBitcodeInContext2(s->ctx, view, &s->mod)) {
		shard_fail(s, -EINVAL, "internal error", "the module's bitcode does not parse");
		LLVMDisposeMemoryBuffer(view);
		return NULL;
	}
	LLVMDisposeMemoryBuffer(view);
	for (size_t i = 0; i < j->p->nfuncs; i++) {
		if (j->p->funcs[i].object == j->index)
			continue;
		LLVMValueRef fn = LLVMGetNamedFunction(s->mod, j->p->funcs[i].name);
		if (fn)
			LLVMDeleteFunction(fn);
	}
	shard_compile(s, j->p);
	return NULL;
}

static void shard_release(struct shard *s)
{
	if (s->mod)
		LLVMDisposeModule(s->mod);
	if (s->ctx)
		LLVMContextDispose(s->ctx);
	if (s->tm)
		LLVMDisposeTargetMachine(s->tm);
	free(s->elf);
	free(s->llvm_error);
	free(s->error);
}

/* CPUs this process may run on. */
static unsigned usable_cpus(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0)
		return (unsigned)CPU_COUNT(&set);
	return 1;
}

/*
 * How many shards: STROBE_CODEGEN_THREADS when set (1: none), else one per
 * usable CPU with at least SHARD_MIN_FUNCS functions each. The dumps of
 * optimised IR want one module, --emit-elf one object.
 */
static uint32_t shard_count(const struct program *p)
{
	if (p->dump_ir_opt || p->emit_llvm || p->one_object)
		return 1;
	const char *env = secure_getenv("STROBE_CODEGEN_THREADS");
	unsigned long want = env && *env ? strtoul(env, NULL, 10) : 0;
	if (!want) {
		want = usable_cpus();
		if (want > p->nfuncs / SHARD_MIN_FUNCS)
			want = p->nfuncs / SHARD_MIN_FUNCS;
	}
	if (want > SHARDS_MAX)
		want = SHARDS_MAX;
	if (want > p->nfuncs)
		want = p->nfuncs;
	return want ? (uint32_t)want : 1;
}

/*
 * An LLVM error ("stack limit exceeded", unsupported calls) as one
 * diagnostic at the probe whose function it names, not a line LLVM prints.
 */
static void report_llvm_error(struct cg *c, char *desc)
{
	for (size_t n = strlen(desc); n && (desc[n - 1] == '\n' || desc[n - 1] == ' '); n--)
		desc[n - 1] = '\0';
	const struct prog_func *f = NULL;
	const char *in = strstr(desc, "in function ");
	for (size_t i = 0; in && i < c->p->nfuncs && !f; i++) {
		size_t n = strlen(c->p->funcs[i].name);
		if (!strncmp(in + 12, c->p->funcs[i].name, n) && in[12 + n] == ' ')
			f = &c->p->funcs[i];
	}
	const char *msg = strstr(desc, "): ");
	msg = msg ? msg + 3 : desc;
	struct diag *g = diag_error(c->d, f && f->probe->ast ? &f->probe->ast->loc : NULL,
				    "BPF code generation failed: %s", msg);
	if (strstr(msg, "stack limit"))
		diag_hint(c->d, g, "this probe holds too many values at once; split it, or use fewer or shorter "
				   "strings (max_strlen)");
}

/* The shard's result as p->objects[i], or its error as a diagnostic; 0 or -errno. */
static int shard_collect(struct cg *c, struct shard *s, uint32_t i)
{
	if (s->llvm_error) {
		report_llvm_error(c, s->llvm_error);
		return s->err;
	}
	if (s->err) {
		diag_error(c->d, NULL, "%s", s->error ? s->error : strerror(-s->err));
		return s->err;
	}
	c->p->objects[i] = (struct prog_object){ .elf = s->elf, .size = s->size };
	s->elf = NULL;
	return 0;
}

int cg_emit_objects(struct cg *c, LLVMTargetMachineRef tm)
{
	struct program *p = c->p;
	char *msg = NULL;
	if (LLVMVerifyModule(c->mod, LLVMReturnStatusAction, &msg)) {
		diag_error(c->d, NULL, "internal error: invalid LLVM IR: %s", msg);
		LLVMDisposeMessage(msg);
		return -EINVAL;
	}
	LLVMDisposeMessage(msg);
	if (p->dump_ir) {
		char *ir = LLVMPrintModuleToString(c->mod);
		fputs(ir, p->dump_ir);
		LLVMDisposeMessage(ir);
	}
	prog_objects_release(p);
	uint32_t n = shard_count(p);
	p->objects = calloc(n, sizeof(*p->objects));
	if (!p->objects)
		return -ENOMEM;
	p->nobjects = n;
	if (n == 1) {
		/* the module as built, on this thread */
		for (size_t i = 0; i < p->nfuncs; i++)
			p->funcs[i].object = 0;
		struct shard s = { .ctx = c->ctx, .mod = c->mod, .tm = tm };
		shard_compile(&s, p);
		int err = shard_collect(c, &s, 0);
		s.ctx = NULL, s.mod = NULL, s.tm = NULL; /* codegen.c's */
		shard_release(&s);
		return err;
	}
	/* round robin: a script's probes tend to be alike in size */
	for (size_t i = 0; i < p->nfuncs; i++)
		p->funcs[i].object = (uint32_t)(i % n);
	LLVMMemoryBufferRef bitcode = LLVMWriteBitcodeToMemoryBuffer(c->mod);
	struct shard_job *jobs = calloc(n, sizeof(*jobs));
	if (!bitcode || !jobs) {
		if (bitcode)
			LLVMDisposeMemoryBuffer(bitcode);
		free(jobs);
		return -ENOMEM;
	}
	for (uint32_t i = 0; i < n; i++)
		jobs[i] = (struct shard_job){ .p = p, .bitcode = bitcode, .index = i };
	for (uint32_t i = 1; i < n; i++)
		jobs[i].started = pthread_create(&jobs[i].thread, NULL, shard_run, &jobs[i]) == 0;
	shard_run(&jobs[0]);
	for (uint32_t i = 1; i < n; i++) {
		if (jobs[i].started)
			pthread_join(jobs[i].thread, NULL);
		else
			shard_run(&jobs[i]); /* no thread: compile it here */
	}
	int err = 0;
	for (uint32_t i = 0; i < n; i++) {
		if (!err)
			err = shard_collect(c, &jobs[i].s, i);
		shard_release(&jobs[i].s);
	}
	free(jobs);
	LLVMDisposeMemoryBuffer(bitcode);
	return err;
}
