/* The BTF type spellings of the tracepoint module, compiled into this one too (all symbols hidden). */
#include "../tracepoint/btf_ctype.c"
