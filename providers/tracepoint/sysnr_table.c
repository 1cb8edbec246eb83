/*
 * The #define lines of <asm/unistd_64.h> at build time (the Makefile
 * generates sysnr_header.inc from it; see sysnr.h).
 */
#include "sysnr.h"

const char sysnr_builtin_text[] =
#include "sysnr_header.inc"
	"";
