/*
 * Lexer and preprocessor for the bpftrace language. The preprocessor runs
 * inside the lexer (comments, #define, #include, #if...) so that every token
 * keeps its original location; tokens from a macro expansion carry the
 * location of the macro's use.
 *
 * The parser drives the lexer in one of two modes: ordinary tokens
 * (lexer_next) or attach points (lexer_attach), because "uprobe:/bin/x:f"
 * is one word only where a probe is expected.
 */
#ifndef STROBE_LEXER_H
#define STROBE_LEXER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../arena.h"
#include "../diag.h"

enum tok_kind {
	T_EOF,
	T_INT,        /* ival */
	T_STRING,     /* sval/slen: escapes decoded */
	T_IDENT,      /* text/len; call: directly followed by '(' */
	T_VAR,        /* $name: text/len without '$' */
	T_MAP,        /* @name or @: text/len without '@' */
	T_POSITIONAL, /* $1: ival */
	T_PARAMCOUNT, /* $# */
	T_ATTACH,     /* one attach point, text/len as written */
	T_CDEF,       /* struct/union/enum definition, text/len as written */
	/* keywords */
	T_IF, T_ELSE, T_UNROLL, T_WHILE, T_FOR, T_BREAK, T_CONTINUE, T_RETURN,
	T_SIZEOF, T_OFFSETOF, T_TRUE, T_FALSE, T_LET, T_MACRO, T_STRUCT, T_UNION, T_ENUM,
	/* punctuation */
	T_LBRACE, T_RBRACE, T_LPAREN, T_RPAREN, T_LBRACKET, T_RBRACKET,
	T_COMMA, T_SEMI, T_COLON, T_DOT, T_DOTDOT, T_ARROW, T_QUESTION,
	T_ASSIGN, T_ADD_ASSIGN, T_SUB_ASSIGN, T_MUL_ASSIGN, T_DIV_ASSIGN, T_MOD_ASSIGN,
	T_AND_ASSIGN, T_OR_ASSIGN, T_XOR_ASSIGN, T_SHL_ASSIGN, T_SHR_ASSIGN,
	T_INC, T_DEC,
	T_PLUS, T_MINUS, T_STAR, T_SLASH, T_PERCENT,
	T_AMP, T_PIPE, T_CARET, T_TILDE, T_BANG,
	T_LAND, T_LOR, T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE, T_SHL, T_SHR,
	T_ENDPRED, /* the '/' that closes a filter: followed by '{' */
};

struct token {
	enum tok_kind kind;
	struct loc loc;
	const char *text; /* spelling (or name) in the source or macro body; not NUL-terminated */
	size_t len;
	uint64_t ival;
	const char *sval; /* T_STRING, arena, NUL-terminated */
	size_t slen;
	bool call; /* T_IDENT immediately followed by '(' */
};

struct macro;

/* One place text is read from: the script, or the body of a macro in use. */
struct lex_cursor {
	const char *p, *end;
	uint32_t line, col;
};

struct lex_expansion {
	struct lex_cursor cur;
	const struct macro *macro;
	struct loc use; /* where the macro was named */
};

struct lex_cond {
	struct loc loc;  /* the #if, for "unterminated" errors */
	bool active;     /* this branch is being read */
	bool taken;      /* some branch of this #if was already active */
	bool seen_else;
	bool parent_active;
};

#define LEX_MAX_COND 64
#define LEX_MAX_EXPANSION 16

struct lexer {
	struct arena *arena;
	struct diags *diags;
	const struct source *src;
	struct lex_cursor main;
	bool line_start; /* only whitespace since the last newline */
	struct macro *macros;
	struct lex_expansion exp[LEX_MAX_EXPANSION];
	unsigned nexp;
	struct lex_cond cond[LEX_MAX_COND];
	unsigned ncond;
	struct token last; /* the last token returned, to locate end of file */
	const char *const *incdirs; /* -I: searched for #include before the system's directories */
	const struct source *loc_src; /* an imported file: set in every token's loc (diag.h) */
	bool have_btf;                /* kernel headers that are not installed are no error */
};

void lexer_init(struct lexer *lx, struct arena *a, const struct source *src, struct diags *d,
		bool have_btf);
/* --include FILE: the macros of a header, as if the script began with #include <FILE>; -1 if not found. */
int lexer_include(struct lexer *lx, const char *name);
/* The next ordinary token; macros are expanded, bad characters reported and skipped. */
void lexer_next(struct lexer *lx, struct token *t);
/*
 * The next attach point: a run of characters other than whitespace, ',' and
 * '{' (quoted parts may hold anything but a newline). A '/' before any ':'
 * ends it, so "BEGIN/pid == 1/" has a filter. Returns false, consuming
 * nothing, if no attach point starts here.
 */
bool lexer_attach(struct lexer *lx, struct token *t);
/* Skip whitespace, comments and directives; return the next raw character or -1. */
int lexer_peek_char(struct lexer *lx);
/* Consume c if it is the next raw character. */
bool lexer_accept_char(struct lexer *lx, char c);
/* Does a "struct NAME {", "union NAME {" or "enum [NAME] {" definition start here? */
bool lexer_at_cdef(struct lexer *lx);
/* Does "config =" start here? */
bool lexer_at_config(struct lexer *lx);
/* Does the word w (a keyword: let, macro) start here? */
bool lexer_at_word(struct lexer *lx, const char *w);
/* Read the definition lexer_at_cdef found, braces included, as a T_CDEF. */
void lexer_cdef(struct lexer *lx, struct token *t);
/* Location for "end of file" errors: the last token read. */
struct loc lexer_eof_loc(const struct lexer *lx);
/* Report unterminated #if blocks; call once at end of file. */
void lexer_finish(struct lexer *lx);

/* pid, comm, arg0..arg255, ...: names the parser turns into N_BUILTIN. */
bool is_builtin_name(const char *s, size_t n);
/* The token kind as bpftrace's messages name it: "integer", "map", ";", ... */
const char *tok_name(const struct token *t);

/* An integer literal's text s[0..n) (int_literal.c): its value in *out, or what is wrong with it. */
enum int_error { INT_OK, INT_TRAILING, INT_RANGE };
enum int_error int_literal(const char *s, size_t n, uint64_t *out);
/* The value of hex digit c, or -1. */
int hex_digit(int c);

#endif
