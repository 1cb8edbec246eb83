/* The shared user-ELF helpers, compiled into this module too (all symbols hidden). */
#include "../uprobe/uelf.c"
