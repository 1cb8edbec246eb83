/* -c 'CMD': word splitting and command resolution (core/child.c), spawn/release/stop. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"

/* Split cmd and check the words: want is a NULL-terminated list. */
static void check_split(const char *cmd, const char *const *want)
{
	char **argv = NULL, err[256] = "";
	int n = child_split_words(cmd, &argv, err, sizeof(err));
	size_t nwant = 0;
	while (want[nwant])
		nwant++;
	if (n != (int)nwant)
		fail_msg("'%s': %d words, want %zu (%s)", cmd, n, nwant, err);
	for (size_t i = 0; i < nwant; i++)
		assert_string_equal(argv[i], want[i]);
	assert_null(argv[nwant]);
	child_free_words(argv);
}

static void test_split_plain(void **state)
{
	(void)state;
	check_split("ls", (const char *[]){ "ls", NULL });
	check_split("  /bin/ls   -l\t/tmp \n", (const char *[]){ "/bin/ls", "-l", "/tmp", NULL });
	check_split("a b c d e f g h i j", (const char *[]){ "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", NULL });
}

static void test_split_quotes(void **state)
{
	(void)state;
	check_split("echo 'a  b' \"c d\"", (const char *[]){ "echo", "a  b", "c d", NULL });
	/* quotes join with what is next to them; empty quotes are an empty word */
	check_split("x'y'\"z\" '' \"\"", (const char *[]){ "xyz", "", "", NULL });
	/* single quotes are literal */
	check_split("'a\\b \"c\"'", (const char *[]){ "a\\b \"c\"", NULL });
	/* double quotes: \" \\ \$ \` escape, other backslashes stay */
	check_split("\"a\\\"b\\\\c\\$d\\`e\\nf\"", (const char *[]){ "a\"b\\c$d`e\\nf", NULL });
	/* outside quotes a backslash quotes the next character; \newline joins */
	check_split("a\\ b c\\'d e\\\nf", (const char *[]){ "a b", "c'd", "ef", NULL });
	/* no expansion */
	check_split("echo $HOME ~ * a;b |", (const char *[]){ "echo", "$HOME", "~", "*", "a;b", "|", NULL });
}

static void test_split_errors(void **state)
{
	(void)state;
	static const char *const bad[] = { "", "   ", "echo 'a", "echo \"a", "echo \"a\\\"", "echo a\\" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char **argv = NULL, err[256] = "";
		assert_int_equal(child_split_words(bad[i], &argv, err, sizeof(err)), -EINVAL);
		assert_null(argv);
		assert_true(err[0] != '\0');
	}
	char **argv = NULL, err[256];
	child_split_words("x 'y", &argv, err, sizeof(err));
	assert_non_null(strstr(err, "unterminated '"));
}

static void test_resolve(void **state)
{
	(void)state;
	char *path = NULL, err[256] = "";
	assert_int_equal(child_resolve("/bin/sh", &path, err, sizeof(err)), 0);
	assert_string_equal(path, "/bin/sh");
	free(path);

	const char *old = getenv("PATH");
	char *saved = old ? strdup(old) : NULL;
	setenv("PATH", "/nonexistent-dir:/bin", 1);
	assert_int_equal(child_resolve("sh", &path, err, sizeof(err)), 0);
	assert_string_equal(path, "/bin/sh");
	free(path);
	/* a directory is not a command, nor is a file without x */
	assert_int_equal(child_resolve("/tmp", &path, err, sizeof(err)), -ENOENT);
	assert_int_equal(child_resolve("/etc/passwd", &path, err, sizeof(err)), -ENOENT);
	assert_int_equal(child_resolve("strobe-no-such-command", &path, err, sizeof(err)), -ENOENT);
	assert_string_equal(err, "path 'strobe-no-such-command' does not exist or is not executable");
	if (saved) {
		setenv("PATH", saved, 1);
		free(saved);
	} else {
		unsetenv("PATH");
	}
}

static void test_spawn(void **state)
{
	(void)state;
	struct child c;
	char err[256] = "";
	/* released: the command runs and its status is kept */
	assert_int_equal(child_spawn("/bin/sh -c 'exit 7'", &c, err, sizeof(err)), 0);
	assert_true(c.pid > 0);
	assert_false(child_exited(&c)); /* waits for the release */
	child_release(&c);
	while (!child_exited(&c))
		usleep(1000);
	assert_true(WIFEXITED(c.status));
	assert_int_equal(WEXITSTATUS(c.status), 7);
	child_stop(&c); /* already reaped: nothing to do */

	/* never released: stopping it reaps it */
	assert_int_equal(child_spawn("/bin/sh -c 'exit 7'", &c, err, sizeof(err)), 0);
	pid_t pid = c.pid;
	child_stop(&c);
	assert_true(c.exited);
	assert_int_equal(kill(pid, 0), -1);

	/* still running: SIGTERM ends it */
	assert_int_equal(child_spawn("/bin/sleep 5", &c, err, sizeof(err)), 0);
	child_release(&c);
	usleep(50 * 1000);
	child_stop(&c);
	assert_true(c.exited);
	assert_true(WIFSIGNALED(c.status));
	assert_int_equal(WTERMSIG(c.status), SIGTERM);

	assert_int_equal(child_spawn("strobe-no-such-command", &c, err, sizeof(err)), -ENOENT);
	assert_int_equal(c.pid, 0);
	child_stop(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_plain),
		cmocka_unit_test(test_split_quotes),
		cmocka_unit_test(test_split_errors),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_spawn),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
