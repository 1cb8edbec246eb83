/*
 * Folded stacks shared by the two sinks of flame.so: `-f folded` prints them,
 * `-f flamegraph` draws them as an SVG (svg.c).
 */
#ifndef STROBE_FLAME_H
#define STROBE_FLAME_H

#include <stdint.h>
#include <stdio.h>

/* One line of folded output: "root;...;leaf" and its count. */
struct fold {
	char *stack;
	uint64_t count;
};

/*
 * Compare two folded stacks frame by frame (';' sorts before every other
 * byte), so that the stacks under one frame are contiguous once sorted.
 */
int fold_cmp(const void *a, const void *b);

/* Write an interactive SVG flame graph of n folds, sorted by fold_cmp and merged. */
int svg_write(FILE *fp, const char *title, const struct fold *folds, size_t n);

#endif
