/*
 * strobe --tools: the ready-to-use scripts (share/strobe/tools, or tools/ of
 * a build tree), each with the one-line description of its header comment.
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "driver.h"

#ifndef STROBE_PREFIX
#define STROBE_PREFIX "/usr/local"
#endif

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Where the tools are, next to this executable first (installed or a build tree). */
static bool tools_dir(char *out, size_t len)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash = n > 0 ? (exe[n] = '\0', strrchr(exe, '/')) : NULL;
	if (slash) {
		*slash = '\0';
		static const char *const rel[] = { "../share/strobe/tools", "../tools" };
		for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
			char path[PATH_MAX];
			if (snprintf(path, sizeof(path), "%s/%s", exe, rel[i]) < (int)sizeof(path) && is_dir(path) &&
			    realpath(path, out) && strlen(out) < len)
				return true;
		}
	}
	snprintf(out, len, "%s", STROBE_PREFIX "/share/strobe/tools");
	return is_dir(out);
}

/*
 * The description in the header's "NAME.bt  Description..." line and the
 * indented lines that continue it, or "".
 */
static void describe(const char *dir, const char *name, char *out, size_t len)
{
	char path[PATH_MAX], line[512];
	size_t used = 0;
	out[0] = '\0';
	if (snprintf(path, sizeof(path), "%s/%s", dir, name) >= (int)sizeof(path))
		return;
	FILE *fp = fopen(path, "r");
	bool in = false;
	for (int i = 0; fp && i < 16 && fgets(line, sizeof(line), fp); i++) {
		char *at = in ? line : strstr(line, name);
		if (!at)
			continue;
		if (in) { /* " *               more words" continues it; anything else ends it */
			if (strncmp(at, " *", 2) || strspn(at + 2, " \t") < 4)
				break;
			at += 2;
		} else {
			at += strlen(name);
			in = true;
		}
		at += strspn(at, " \t");
		at[strcspn(at, "\n")] = '\0';
		int w = snprintf(out + used, len - used, "%s%s", used ? " " : "", at);
		if (w < 0 || (size_t)w >= len - used)
			break;
		used += (size_t)w;
	}
	if (fp)
		fclose(fp);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int driver_list_tools(FILE *fp)
{
	char dir[PATH_MAX];
	if (!tools_dir(dir, sizeof(dir))) {
		fprintf(stderr, "ERROR: no tools directory (looked next to strobe and in %s)\n", dir);
		return -1;
	}
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "ERROR: cannot read %s\n", dir);
		return -1;
	}
	char **names = NULL;
	size_t n = 0;
	for (struct dirent *e; (e = readdir(d));) {
		size_t l = strlen(e->d_name);
		if (l < 4 || strcmp(e->d_name + l - 3, ".bt"))
			continue;
		char **grown = realloc(names, (n + 1) * sizeof(*names));
		char *copy = strdup(e->d_name);
		if (!grown || !copy) {
			free(copy);
			names = grown ? grown : names;
			break;
		}
		names = grown;
		names[n++] = copy;
	}
	closedir(d);
	qsort(names, n, sizeof(*names), by_name);
	fprintf(fp, "Tools in %s (run one with: strobe %s/NAME.bt):\n", dir, dir);
	for (size_t i = 0; i < n; i++) {
		char desc[400];
		describe(dir, names[i], desc, sizeof(desc));
		fprintf(fp, "  %-18s %s\n", names[i], desc);
		free(names[i]);
	}
	free(names);
	return 0;
}
