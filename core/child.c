/*
 * -c 'CMD': the traced child, forked before compiling, held on a pipe until
 * every probe is attached, then exec'd; the run ends when it exits (child.h).
 */
#include "child.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define STOP_GRACE_MS 500

void child_free_words(char **argv)
{
	if (!argv)
		return;
	for (char **a = argv; *a; a++)
		free(*a);
	free(argv);
}

int child_split_words(const char *cmd, char ***argvp, char *err, size_t errlen)
{
	size_t len = strlen(cmd), n = 0, cap = 4;
	char **argv = calloc(cap, sizeof(*argv));
	char *word = malloc(len + 1); /* a word is never longer than cmd */
	if (!argv || !word)
		goto nomem;
	const char *s = cmd;
	for (;;) {
		while (*s == ' ' || *s == '\t' || *s == '\n')
			s++;
		if (!*s)
			break;
		size_t w = 0;
		while (*s && *s != ' ' && *s != '\t' && *s != '\n') {
			if (*s == '\'') {
				const char *q = strchr(s + 1, '\'');
				if (!q) {
					snprintf(err, errlen, "unterminated ' in command '%s'", cmd);
					goto inval;
				}
				memcpy(word + w, s + 1, (size_t)(q - s - 1));
				w += (size_t)(q - s - 1);
				s = q + 1;
			} else if (*s == '"') {
				for (s++; *s != '"'; s++) {
					if (!*s) {
						snprintf(err, errlen, "unterminated \" in command '%s'", cmd);
						goto inval;
					}
					if (*s == '\\' && s[1] == '\n') {
						s++; /* a line continuation: both go */
						continue;
					}
					if (*s == '\\' && (s[1] == '"' || s[1] == '\\' || s[1] == '$' || s[1] == '`'))
						s++;
					word[w++] = *s;
				}
				s++;
			} else if (*s == '\\') {
				if (!s[1]) {
					snprintf(err, errlen, "command '%s' ends with a lone \\", cmd);
					goto inval;
				}
				if (s[1] != '\n')
					word[w++] = s[1];
				s += 2;
			} else {
				word[w++] = *s++;
			}
		}
		if (n + 2 > cap) {
			char **v = realloc(argv, cap * 2 * sizeof(*v));
			if (!v)
				goto nomem;
			argv = v;
			cap *= 2;
		}
		if (!(argv[n] = malloc(w + 1)))
			goto nomem;
		memcpy(argv[n], word, w);
		argv[n++][w] = '\0';
		argv[n] = NULL;
	}
	free(word);
	if (!n) {
		snprintf(err, errlen, "the command is empty");
		child_free_words(argv);
		return -EINVAL;
	}
	*argvp = argv;
	return (int)n;
nomem:
	snprintf(err, errlen, "out of memory");
	free(word);
	child_free_words(argv);
	return -ENOMEM;
inval:
	free(word);
	child_free_words(argv);
	return -EINVAL;
}

static bool executable_file(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

int child_resolve(const char *name, char **path, char *err, size_t errlen)
{
	if (strchr(name, '/')) {
		if (!executable_file(name))
			goto missing;
		*path = strdup(name);
		return *path ? 0 : -ENOMEM;
	}
	const char *dirs = getenv("PATH");
	if (!dirs)
		dirs = "/usr/local/bin:/usr/bin:/bin";
	size_t nlen = strlen(name);
	while (*name) {
		const char *end = strchrnul(dirs, ':');
		size_t dlen = (size_t)(end - dirs);
		char *cand = malloc(dlen + nlen + 3);
		if (!cand)
			return -ENOMEM;
		/* an empty PATH entry is the current directory */
		snprintf(cand, dlen + nlen + 3, "%.*s/%s", dlen ? (int)dlen : 1, dlen ? dirs : ".", name);
		if (executable_file(cand)) {
			*path = cand;
			return 0;
		}
		free(cand);
		if (!*end)
			break;
		dirs = end + 1;
	}
missing:
	snprintf(err, errlen, "path '%s' does not exist or is not executable", name);
	return -ENOENT;
}

char **child_command(const char *cmd)
{
	char **argv, *path, err[256];
	if (child_split_words(cmd, &argv, err, sizeof(err)) < 0)
		return NULL;
	if (!argv[0] || child_resolve(argv[0], &path, err, sizeof(err)) < 0) {
		child_free_words(argv);
		return NULL;
	}
	free(argv[0]);
	argv[0] = path;
	return argv;
}

int child_spawn(const char *cmd, struct child *c, char *err, size_t errlen)
{
	*c = (struct child){ .release_fd = -1 };
	char **argv = NULL, *path = NULL;
	int fds[2], rc = child_split_words(cmd, &argv, err, errlen);
	if (rc < 0)
		return rc;
	if ((rc = child_resolve(argv[0], &path, err, errlen)) < 0)
		goto out;
	if (pipe2(fds, O_CLOEXEC) < 0) {
		rc = -errno;
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		goto out;
	}
	fflush(NULL); /* nothing buffered is written twice */
	pid_t pid = fork();
	if (pid < 0) {
		rc = -errno;
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		goto out;
	}
	if (pid == 0) {
		close(fds[1]);
		char go;
		ssize_t r;
		while ((r = read(fds[0], &go, 1)) < 0 && errno == EINTR)
			;
		if (r != 1)
			_exit(127); /* strobe gave up (or died) before attaching */
		execv(path, argv);
		fprintf(stderr, "ERROR: failed to execute '%s': %s\n", path, strerror(errno));
		_exit(127);
	}
	close(fds[0]);
	c->pid = pid;
	c->release_fd = fds[1];
	rc = 0;
out:
	free(path);
	child_free_words(argv);
	return rc;
}

void child_release(struct child *c)
{
	if (c->release_fd < 0)
		return;
	ssize_t r;
	while ((r = write(c->release_fd, "g", 1)) < 0 && errno == EINTR)
		;
	close(c->release_fd);
	c->release_fd = -1;
}

bool child_exited(struct child *c)
{
	if (!c->pid || c->exited)
		return true;
	int status;
	pid_t r = waitpid(c->pid, &status, WNOHANG);
	if (r == c->pid || (r < 0 && errno == ECHILD)) {
		c->exited = true;
		c->status = r == c->pid ? status : 0;
	}
	return c->exited;
}

void child_stop(struct child *c)
{
	if (c->release_fd >= 0) {
		close(c->release_fd); /* a child still waiting reads EOF and exits */
		c->release_fd = -1;
	}
	if (!c->pid || child_exited(c))
		return;
	kill(c->pid, SIGTERM);
	for (int ms = 0; ms < STOP_GRACE_MS; ms += 10) {
		if (child_exited(c))
			return;
		nanosleep(&(struct timespec){ .tv_nsec = 10 * 1000 * 1000 }, NULL);
	}
	kill(c->pid, SIGKILL);
	int status = 0;
	while (waitpid(c->pid, &status, 0) < 0 && errno == EINTR)
		;
	c->exited = true;
	c->status = status;
}
