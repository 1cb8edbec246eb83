/*
 * Syscall names by number for syscall_name(): this architecture's table,
 * generated at build time from <sys/syscall.h> (Makefile, syscall_names.h).
 */
#include <stddef.h>
#include <stdint.h>

#include "runtime_internal.h"

static const struct {
	uint32_t nr;
	const char *name;
} names[] = {
#include "syscall_names.h"
};

const char *syscall_name_of(uint64_t nr)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].nr == nr)
			return names[i].name;
	return NULL;
}
