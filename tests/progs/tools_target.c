/* Target of tests/runtime/tools.test: provokes the events the tools/ scripts trace.
 *   tools_target thread          create one thread and join it
 *   tools_target tcp PORT        listen on 127.0.0.1:PORT, connect, send 5000 bytes
 *                                each way, close both ends
 *   tools_target spin SECONDS    burn CPU in tools_spin() for SECONDS */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void *thread_main(void *arg)
{
	return arg;
}

static int xfer(int from, int to, size_t n)
{
	static char buf[8192];
	size_t got = 0;
	memset(buf, 'x', sizeof buf);
	if (write(from, buf, n) != (ssize_t)n)
		return -1;
	while (got < n) {
		ssize_t r = read(to, buf, sizeof buf);
		if (r <= 0)
			return -1;
		got += (size_t)r;
	}
	return 0;
}

static int tcp(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)port) };
	int one = 1, l, c, s;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	l = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(l, (struct sockaddr *)&a, sizeof a) || listen(l, 1)) {
		perror("bind/listen");
		return 1;
	}
	c = socket(AF_INET, SOCK_STREAM, 0);
	if (connect(c, (struct sockaddr *)&a, sizeof a)) {
		perror("connect");
		return 1;
	}
	s = accept(l, NULL, NULL);
	if (s < 0 || xfer(c, s, 5000) || xfer(s, c, 5000)) {
		perror("transfer");
		return 1;
	}
	close(c);
	usleep(10000);
	close(s);
	close(l);
	return 0;
}

__attribute__((noinline)) static unsigned long tools_spin(double secs)
{
	struct timespec t0, t;
	volatile unsigned long n = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	do {
		for (int i = 0; i < 100000; i++)
			n++;
		clock_gettime(CLOCK_MONOTONIC, &t);
	} while ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 < secs);
	return n;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "thread")) {
		pthread_t t;
		if (pthread_create(&t, NULL, thread_main, NULL))
			return 1;
		return pthread_join(t, NULL) ? 1 : 0;
	}
	if (argc >= 3 && !strcmp(argv[1], "tcp"))
		return tcp(atoi(argv[2]));
	if (argc >= 3 && !strcmp(argv[1], "spin"))
		return tools_spin(atof(argv[2])) ? 0 : 1;
	fprintf(stderr, "usage: tools_target thread | tcp PORT | spin SECONDS\n");
	return 2;
}
