/*
 * -c 'CMD': the traced child. It is forked before compiling (cpid is a
 * constant in the BPF code), waits on a pipe until every probe is attached,
 * then execs CMD; the run ends when it exits.
 */
#ifndef STROBE_CHILD_H
#define STROBE_CHILD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct child {
	pid_t pid;      /* 0: none */
	int release_fd; /* write end of the pipe the child waits on; -1 once released */
	bool exited;    /* reaped */
	int status;     /* waitpid() status once exited */
};

/*
 * Split cmd into words like a shell does, without running one: blanks
 * separate words; '...' is literal; "..." is literal except \" \\ \$ \`
 * and \newline; a backslash outside quotes quotes the next character.
 * No expansion ($VAR, ~, globs, ;, |). On success *argv is a
 * NULL-terminated vector (free with child_free_words) and the word count
 * is returned; on error -EINVAL (unterminated quote, no words) with err set.
 */
int child_split_words(const char *cmd, char ***argv, char *err, size_t errlen);
void child_free_words(char **argv);
/*
 * Resolve argv[0] like execvp (a name without '/' is looked up in PATH) into
 * an executable regular file. 0 and a malloc'd *path, or -errno with err set.
 */
int child_resolve(const char *name, char **path, char *err, size_t errlen);
/* CMD's words with argv[0] replaced by the file it execs (child_free_words), NULL on error. */
char **child_command(const char *cmd);
/* Fork the child for cmd; it waits for child_release. 0, or -errno with err set. */
int child_spawn(const char *cmd, struct child *c, char *err, size_t errlen);
/* Let the child exec CMD. */
void child_release(struct child *c);
/* Reap the child if it exited (never blocks); true once it has. */
bool child_exited(struct child *c);
/* End the child if it still runs (SIGTERM, then SIGKILL after a grace period), reap it, close the pipe. */
void child_stop(struct child *c);

#endif
