#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "mc_test_server.h"

#define START_DEADLINE_MS 10000
#define STOP_DEADLINE_MS 5000

unsigned long long mc_test_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000ULL +
		   (unsigned long long)ts.tv_nsec / 1000000ULL;
}

static void _nap_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while(nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

const char *mc_test_addr(char *buf, size_t len, unsigned int port)
{
	snprintf(buf, len, "127.0.0.1:%u", port);
	return buf;
}

static int _listen_socket(unsigned int port, unsigned int *bound)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd, one = 1;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if(fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	if(bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
			listen(fd, 128) != 0 ||
			getsockname(fd, (struct sockaddr *)&sa, &sl) != 0) {
		close(fd);
		return -1;
	}
	*bound = ntohs(sa.sin_port);
	return fd;
}

unsigned int mc_test_free_port(void)
{
	unsigned int port = 0;
	int fd = _listen_socket(0, &port);

	if(fd < 0)
		return 0;
	close(fd);
	return port;
}

int mc_test_port_accepts(unsigned int port)
{
	struct sockaddr_in sa;
	int fd, ok;

	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if(fd < 0)
		return 0;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa.sin_port = htons((uint16_t)port);
	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

static int _exited(pid_t pid)
{
	int status;

	return waitpid(pid, &status, WNOHANG) == pid;
}

/*
 * Runs argv[0] with argv in a child that dies with the test, and polls
 * ready(what) until it is true: returns the child's pid, or -1 when the
 * fork fails, the child exits first (reaped), or START_DEADLINE_MS passes
 * (the child is killed and reaped).
 */
static pid_t spawn_until_ready(const char *const *argv,
		int (*ready)(const void *what), const void *what)
{
	unsigned long long deadline;
	pid_t pid;

	pid = fork();
	if(pid < 0)
		return -1;
	if(pid == 0) {
		/* never outlive the test, even when it fails half-way */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		execv(argv[0], (char *const *)argv);
		_exit(127);
	}
	deadline = mc_test_now_ms() + START_DEADLINE_MS;
	while(mc_test_now_ms() < deadline) {
		if(_exited(pid))
			return -1;
		if(ready(what))
			return pid;
		_nap_ms(10);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return -1;
}

static int tcp_ready(const void *port)
{
	return mc_test_port_accepts(*(const unsigned int *)port);
}

static int _memcached_once(
		mc_test_server_t *s, unsigned int port, const char *const *extra)
{
	const char *bin = getenv("MC_TEST_MEMCACHED");
	const char *argv[64];
	char portstr[16];
	size_t n = 0, i;
	pid_t pid;

	if(bin == NULL)
		bin = "/usr/bin/memcached";
	snprintf(portstr, sizeof(portstr), "%u", port);
	argv[n++] = bin;
	argv[n++] = "-l";
	argv[n++] = "127.0.0.1";
	argv[n++] = "-p";
	argv[n++] = portstr;
	argv[n++] = "-U";
	argv[n++] = "0";
	if(geteuid() == 0) {
		argv[n++] = "-u";
		argv[n++] = "root";
	}
	for(i = 0; extra && extra[i] && n < 63; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;

	/* an early exit is e.g. the port taken meanwhile */
	if((pid = spawn_until_ready(argv, tcp_ready, &port)) < 0)
		return -1;
	s->pid = pid;
	s->port = port;
	return 0;
}

int mc_test_memcached_start(
		mc_test_server_t *s, unsigned int port, const char *const *extra)
{
	int attempt;

	s->pid = 0;
	for(attempt = 0; attempt < (port ? 1 : 5); attempt++) {
		if(_memcached_once(s, port ? port : mc_test_free_port(), extra) == 0)
			return 0;
	}
	fprintf(stderr, "test: cannot start memcached on port %u\n", port);
	return -1;
}

/* 1 when something accepts stream connections on the unix socket path */
static int _unix_accepts(const char *path)
{
	struct sockaddr_un sa;
	int fd, ok;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
		return 0;
	ok = connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0;
	close(fd);
	return ok;
}

static int unix_ready(const void *path)
{
	return _unix_accepts((const char *)path);
}

int mc_test_memcached_unix_start(mc_test_server_t *s, const char *path)
{
	const char *bin = getenv("MC_TEST_MEMCACHED");
	const char *argv[16];
	size_t n = 0;
	pid_t pid;

	s->pid = 0;
	s->port = 0;
	if(bin == NULL)
		bin = "/usr/bin/memcached";
	unlink(path);
	argv[n++] = bin;
	argv[n++] = "-s";
	argv[n++] = path;
	argv[n++] = "-U";
	argv[n++] = "0";
	if(geteuid() == 0) {
		argv[n++] = "-u";
		argv[n++] = "root";
	}
	argv[n] = NULL;
	if((pid = spawn_until_ready(argv, unix_ready, path)) < 0) {
		fprintf(stderr, "test: cannot start memcached on %s\n", path);
		return -1;
	}
	s->pid = pid;
	return 0;
}

/*
 * Listens on a free loopback port and forks a child that runs serve(lfd,
 * arg) and never returns; the parent records the child's pid and the port.
 * Returns 0, or -1 when the socket or the fork fails.
 */
static int _fork_server(mc_test_server_t *s,
		void (*serve)(int lfd, void *arg), void *arg)
{
	unsigned int port = 0;
	int lfd;
	pid_t pid;

	s->pid = 0;
	lfd = _listen_socket(0, &port);
	if(lfd < 0)
		return -1;
	pid = fork();
	if(pid < 0) {
		close(lfd);
		return -1;
	}
	if(pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		serve(lfd, arg);
		_exit(0);
	}
	close(lfd);
	s->pid = pid;
	s->port = port;
	return 0;
}

/* accepts and holds every connection; never reads, never answers */
static void _silent_serve(int lfd, void *arg)
{
	int fds[256];
	size_t n = 0;
	int null = open("/dev/null", O_RDWR);

	(void)arg;
	/* release the test's output pipes so ctest never waits on us */
	if(null >= 0) {
		dup2(null, 1);
		dup2(null, 2);
	}
	for(;;) {
		int fd = accept(lfd, NULL, NULL);

		if(fd >= 0 && n < sizeof(fds) / sizeof(fds[0]))
			fds[n++] = fd;
		else if(fd >= 0)
			close(fd);
	}
}

int mc_test_silent_start(mc_test_server_t *s)
{
	return _fork_server(s, _silent_serve, NULL);
}

/*
 * never accepts, and its accept queue is full: the kernel drops new SYNs,
 * so a client's connect neither succeeds nor fails (a server too busy to
 * take connections, as far as a client can tell)
 */
static void _full_serve(int lfd, void *arg)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fds[8], i, null = open("/dev/null", O_RDWR);

	(void)arg;
	if(null >= 0) {
		dup2(null, 1);
		dup2(null, 2);
	}
	if(listen(lfd, 0) != 0 || getsockname(lfd, (struct sockaddr *)&sa, &sl))
		_exit(1);
	/* backlog 0 holds one or two; the rest of ours fill it for sure */
	for(i = 0; i < 8; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if(fds[i] >= 0)
			(void)connect(fds[i], (struct sockaddr *)&sa, sizeof(sa));
	}
	for(;;)
		pause();
}

int mc_test_full_start(mc_test_server_t *s)
{
	return _fork_server(s, _full_serve, NULL);
}

/* the scripted server's replies: one per request, in order, over all its
 * connections (the child's copy) */
typedef struct mc_test_script {
	const char *const *replies;
	size_t next;
	unsigned int delay_ms;
} mc_test_script_t;

/* 1 when a text-protocol command line is followed by a data block */
static int _has_data(const char *line)
{
	static const char *const stores[] = {
			"set ", "add ", "replace ", "append ", "prepend ", "cas ", NULL};
	size_t i;

	for(i = 0; stores[i]; i++)
		if(strncmp(line, stores[i], strlen(stores[i])) == 0)
			return 1;
	return 0;
}

/* serves one connection of the scripted server; 0 when the client left */
static int _scripted_conn(int fd, mc_test_script_t *sc)
{
	char in[8192], *nl;
	size_t have = 0, n;
	ssize_t r;
	int skip_data = 0;

	for(;;) {
		r = read(fd, in + have, sizeof(in) - 1 - have);
		if(r <= 0)
			return 0;
		have += (size_t)r;
		in[have] = '\0';
		while((nl = strstr(in, "\r\n")) != NULL) {
			*nl = '\0';
			if(skip_data) {
				skip_data = 0; /* the value's line (short values only) */
			} else if(strncmp(in, "quit", 4) == 0) {
				return 0;
			} else {
				skip_data = _has_data(in);
				if(sc->replies[sc->next] == NULL)
					return 1; /* script over: silence */
				if(sc->delay_ms)
					_nap_ms((long)sc->delay_ms);
				n = strlen(sc->replies[sc->next]);
				if(write(fd, sc->replies[sc->next], n) != (ssize_t)n)
					return 0;
				sc->next++;
			}
			have -= (size_t)(nl + 2 - in);
			memmove(in, nl + 2, have + 1);
		}
	}
}

static void _scripted_serve(int lfd, void *arg)
{
	mc_test_script_t sc = *(mc_test_script_t *)arg;
	int fd, null = open("/dev/null", O_RDWR);

	if(null >= 0) {
		dup2(null, 1);
		dup2(null, 2);
	}
	signal(SIGPIPE, SIG_IGN);
	for(;;) {
		fd = accept(lfd, NULL, NULL);
		if(fd < 0)
			continue;
		if(_scripted_conn(fd, &sc))
			for(;;)
				pause();
		close(fd);
	}
}

int mc_test_scripted_start(mc_test_server_t *s, const char *const *replies,
		unsigned int delay_ms)
{
	mc_test_script_t sc = {replies, 0, delay_ms};

	return _fork_server(s, _scripted_serve, &sc);
}

/*
 * Reads command lines ("...\r\n") from fd and calls line(fd, cmd, arg) for
 * each, cmd NUL-terminated; returns when the client leaves or line returns
 * non-zero.
 */
static void _each_line(
		int fd, int (*line)(int fd, const char *cmd, void *arg), void *arg)
{
	char in[4096], *nl;
	size_t have = 0;
	ssize_t r;

	for(;;) {
		r = read(fd, in + have, sizeof(in) - 1 - have);
		if(r <= 0)
			return;
		have += (size_t)r;
		in[have] = '\0';
		while((nl = strstr(in, "\r\n")) != NULL) {
			*nl = '\0';
			if(line(fd, in, arg) != 0)
				return;
			have -= (size_t)(nl + 2 - in);
			memmove(in, nl + 2, have + 1);
		}
	}
}

/* one command of the laggard; *delay_ms before the first get's reply */
static int _laggard_line(int fd, const char *in, void *arg)
{
	unsigned int *delay_ms = (unsigned int *)arg;
	char out[4096 + 64];
	int n;

	if(strncmp(in, "get ", 4) == 0)
		n = snprintf(out, sizeof(out),
				"VALUE %s 1 %zu\r\nvalue-of-%s\r\nEND\r\n", in + 4,
				strlen(in + 4) + 9, in + 4);
	else if(strncmp(in, "version", 7) == 0)
		n = snprintf(out, sizeof(out), "VERSION 1.6.18\r\n");
	else if(strncmp(in, "quit", 4) == 0)
		return 1;
	else
		n = snprintf(out, sizeof(out), "ERROR\r\n");
	if(*delay_ms && strncmp(in, "get ", 4) == 0) {
		_nap_ms((long)*delay_ms);
		*delay_ms = 0;
	}
	return write(fd, out, (size_t)n) != n;
}

/* serves one connection of the laggard; delay_ms before the first reply */
static void _laggard_conn(int fd, unsigned int delay_ms)
{
	_each_line(fd, _laggard_line, &delay_ms);
}

/* one process per connection; only the first connection's first get lags */
static void _laggard_serve(int lfd, void *arg)
{
	unsigned int delay_ms = *(unsigned int *)arg, conns = 0;
	int fd;

	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_IGN); /* no zombies */
	for(;;) {
		fd = accept(lfd, NULL, NULL);
		if(fd < 0)
			continue;
		conns++;
		if(fork() == 0) {
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			close(lfd);
			_laggard_conn(fd, conns == 1 ? delay_ms : 0);
			_exit(0);
		}
		close(fd);
	}
}

int mc_test_laggard_start(mc_test_server_t *s, unsigned int delay_ms)
{
	return _fork_server(s, _laggard_serve, &delay_ms);
}

/* the trickler's pace: a statistic every interval_ms, lines of them */
typedef struct mc_test_trickle {
	unsigned int interval_ms, lines;
} mc_test_trickle_t;

/* one command of the trickler */
static int _trickle_line(int fd, const char *in, void *arg)
{
	const mc_test_trickle_t *t = (const mc_test_trickle_t *)arg;
	char out[64];
	unsigned int i;
	int n;

	if(strncmp(in, "stats", 5) == 0) {
		for(i = 0; i < t->lines; i++) {
			n = snprintf(out, sizeof(out), "STAT n%u %u\r\n", i, i);
			if(write(fd, out, (size_t)n) != n)
				return 1;
			_nap_ms((long)t->interval_ms);
		}
		n = snprintf(out, sizeof(out), "END\r\n");
	} else if(strncmp(in, "version", 7) == 0) {
		n = snprintf(out, sizeof(out), "VERSION 1.6.18\r\n");
	} else {
		n = snprintf(out, sizeof(out), "ERROR\r\n");
	}
	return write(fd, out, (size_t)n) != n;
}

static void _trickle_serve(int lfd, void *arg)
{
	mc_test_trickle_t t = *(mc_test_trickle_t *)arg;
	int fd;

	signal(SIGPIPE, SIG_IGN);
	for(;;) {
		fd = accept(lfd, NULL, NULL);
		if(fd < 0)
			continue;
		_each_line(fd, _trickle_line, &t);
		close(fd);
	}
}

int mc_test_trickle_start(
		mc_test_server_t *s, unsigned int interval_ms, unsigned int lines)
{
	mc_test_trickle_t t = {interval_ms, lines};

	return _fork_server(s, _trickle_serve, &t);
}

void mc_test_server_stop(mc_test_server_t *s)
{
	unsigned long long deadline;

	if(s->pid <= 0)
		return;
	kill(s->pid, SIGTERM);
	deadline = mc_test_now_ms() + STOP_DEADLINE_MS;
	while(!_exited(s->pid)) {
		if(mc_test_now_ms() > deadline) {
			kill(s->pid, SIGKILL);
			waitpid(s->pid, NULL, 0);
			break;
		}
		_nap_ms(5);
	}
	s->pid = 0;
}
