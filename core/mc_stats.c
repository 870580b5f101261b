/*
 * mc_server_stats: "stats" over a short-lived text-protocol connection.
 * See mc_stats.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "mc_stats.h"

#define MC_STATS_DEFAULT_TIMEOUT_MS 500
#define MC_STATS_REPLY_MAX (1024 * 1024) /* a stats reply is a few KB */

static long long _now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for events on fd until deadline: 1 ready, 0 timeout, -1 error. */
static int _wait(int fd, short events, long long deadline)
{
	struct pollfd p;
	long long left;
	int r;

	for(;;) {
		left = deadline - _now_ms();
		if(left <= 0)
			return 0;
		p.fd = fd;
		p.events = events;
		p.revents = 0;
		r = poll(&p, 1, (int)left);
		if(r < 0 && errno == EINTR)
			continue;
		if(r < 0)
			return -1;
		if(r == 0)
			return 0;
		return 1;
	}
}

/* Non-blocking connect of fd to sa within deadline: MC_OK or a status. */
static mc_status_t _connect(int fd, const struct sockaddr *sa, socklen_t salen,
		long long deadline, int *eno)
{
	int soerr = 0;
	socklen_t len = sizeof(soerr);
	int r;

	*eno = 0;
	if(connect(fd, sa, salen) == 0)
		return MC_OK;
	if(errno != EINPROGRESS) {
		*eno = errno;
		return MC_CONNECTION;
	}
	r = _wait(fd, POLLOUT, deadline);
	if(r == 0)
		return MC_TIMEOUT;
	if(r < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0) {
		*eno = errno;
		return MC_CONNECTION;
	}
	if(soerr != 0) {
		*eno = soerr;
		return MC_CONNECTION;
	}
	return MC_OK;
}

/* A connected non-blocking socket to host:port, or -1 with *st and err. */
static int _open(const char *host, unsigned int port, long long deadline,
		mc_status_t *st, char *name, char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL, *ai;
	struct sockaddr_un sun;
	char portstr[16];
	int fd = -1, eno = 0, r;

	*st = MC_CONNECTION;
	if(host[0] == '/') {
		if(strlen(host) >= sizeof(sun.sun_path)) {
			*st = MC_BAD_INPUT;
			mc_errf(err, errlen, "stats %s: socket path too long", name);
			return -1;
		}
		memset(&sun, 0, sizeof(sun));
		sun.sun_family = AF_UNIX;
		strcpy(sun.sun_path, host);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if(fd < 0) {
			mc_errf(err, errlen, "stats %s: socket: %s", name, strerror(errno));
			return -1;
		}
		*st = _connect(
				fd, (struct sockaddr *)&sun, sizeof(sun), deadline, &eno);
		goto done;
	}

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	snprintf(portstr, sizeof(portstr), "%u", port);
	r = getaddrinfo(host, portstr, &hints, &res);
	if(r != 0 || res == NULL) {
		mc_errf(err, errlen, "stats %s: cannot resolve: %s", name,
				gai_strerror(r));
		return -1;
	}
	for(ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family,
				ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
				ai->ai_protocol);
		if(fd < 0) {
			eno = errno;
			continue;
		}
		*st = _connect(fd, ai->ai_addr, ai->ai_addrlen, deadline, &eno);
		if(*st == MC_OK || *st == MC_TIMEOUT)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);

done:
	if(*st == MC_OK)
		return fd;
	if(fd >= 0)
		close(fd);
	if(*st == MC_TIMEOUT)
		mc_errf(err, errlen, "stats %s: connect timeout", name);
	else
		mc_errf(err, errlen, "stats %s: cannot connect: %s", name,
				eno ? strerror(eno) : "no address");
	return -1;
}

/* Calls fn for each "STAT name value" line of buf (len bytes, ends with
 * "END\r\n"). */
static void _walk(char *buf, size_t len, mc_stats_fn fn, void *arg)
{
	char *p = buf, *end = buf + len, *eol, *name, *value, *sp;

	while(p < end && (eol = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		*eol = '\0';
		if(eol > p && eol[-1] == '\r')
			eol[-1] = '\0';
		if(strncmp(p, "STAT ", 5) == 0) {
			name = p + 5;
			sp = strchr(name, ' ');
			value = "";
			if(sp != NULL) {
				*sp = '\0';
				value = sp + 1;
			}
			if(fn(name, value, arg) != 0)
				return;
		}
		p = eol + 1;
	}
}

/* The reply state of buf: 0 incomplete, 1 statistics ending with an "END"
 * line, -1 an error line (ERROR, CLIENT_ERROR ..., SERVER_ERROR ...). */
static int _complete(const char *buf, size_t len, const char **line)
{
	const char *p;

	if(len < 2 || buf[len - 2] != '\r' || buf[len - 1] != '\n')
		return 0;
	for(p = buf + len - 2; p > buf && p[-1] != '\n'; p--)
		;
	*line = p;
	if((size_t)(buf + len - p) == 5 && memcmp(p, "END\r\n", 5) == 0)
		return 1;
	if(strncmp(p, "ERROR", 5) == 0 || strncmp(p, "CLIENT_ERROR", 12) == 0 ||
			strncmp(p, "SERVER_ERROR", 12) == 0)
		return -1;
	return 0;
}

mc_status_t mc_server_stats(const char *host, unsigned int port,
		unsigned int timeout_ms, mc_stats_fn fn, void *arg, char *err,
		size_t errlen)
{
	static const char cmd[] = "stats\r\n";
	char name[300];
	char *buf = NULL, *nb;
	const char *line = NULL;
	size_t len = 0, size = 0, sent = 0;
	long long deadline;
	mc_status_t st = MC_OK;
	ssize_t n;
	int fd = -1, r, done = 0;

	if(err && errlen)
		err[0] = '\0';
	if(host == NULL || host[0] == '\0' || fn == NULL) {
		mc_errf(err, errlen, "stats: no server given");
		return MC_BAD_INPUT;
	}
	if(host[0] == '/')
		snprintf(name, sizeof(name), "%s", host);
	else
		snprintf(name, sizeof(name), strchr(host, ':') ? "[%s]:%u" : "%s:%u",
				host, port);
	deadline =
			_now_ms() + (timeout_ms ? timeout_ms : MC_STATS_DEFAULT_TIMEOUT_MS);

	fd = _open(host, port, deadline, &st, name, err, errlen);
	if(fd < 0)
		goto out;

	while(sent < sizeof(cmd) - 1) {
		r = _wait(fd, POLLOUT, deadline);
		if(r <= 0) {
			st = r == 0 ? MC_TIMEOUT : MC_CONNECTION;
			mc_errf(err, errlen, "stats %s: %s", name,
					r == 0 ? "send timeout" : strerror(errno));
			goto out;
		}
		n = send(fd, cmd + sent, sizeof(cmd) - 1 - sent, MSG_NOSIGNAL);
		if(n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if(n < 0) {
			st = MC_CONNECTION;
			mc_errf(err, errlen, "stats %s: send: %s", name, strerror(errno));
			goto out;
		}
		sent += (size_t)n;
	}

	while(done == 0) {
		if(len + 4096 + 1 > size) {
			if(size >= MC_STATS_REPLY_MAX) {
				st = MC_ERROR;
				mc_errf(err, errlen, "stats %s: reply larger than %d bytes",
						name, MC_STATS_REPLY_MAX);
				goto out;
			}
			size = size ? size * 2 : 16384;
			nb = realloc(buf, size);
			if(nb == NULL) {
				st = MC_NO_MEMORY;
				mc_errf(err, errlen, "stats %s: out of memory", name);
				goto out;
			}
			buf = nb;
		}
		r = _wait(fd, POLLIN, deadline);
		if(r <= 0) {
			st = r == 0 ? MC_TIMEOUT : MC_CONNECTION;
			mc_errf(err, errlen, "stats %s: %s", name,
					r == 0 ? "no complete reply within the timeout"
						   : strerror(errno));
			goto out;
		}
		n = recv(fd, buf + len, size - len - 1, 0);
		if(n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if(n <= 0) {
			st = MC_CONNECTION;
			mc_errf(err, errlen, "stats %s: %s", name,
					n == 0 ? "connection closed by the server"
						   : strerror(errno));
			goto out;
		}
		len += (size_t)n;
		buf[len] = '\0';
		done = _complete(buf, len, &line);
	}
	if(done < 0) {
		/* show the server's error line */
		st = MC_ERROR;
		buf[len - 2] = '\0';
		mc_errf(err, errlen, "stats %s: server answered '%.100s'", name, line);
		goto out;
	}
	_walk(buf, len, fn, arg);
	st = MC_OK;

out:
	if(fd >= 0)
		close(fd);
	free(buf);
	return st;
}
