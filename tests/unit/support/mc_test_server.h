/*
 * Test support: real memcached servers and a silent server, each on a free
 * loopback port, stopped by the pid that was started. Readiness is polled
 * (connect until accepted), never waited for with a fixed sleep.
 */
#ifndef MC_TEST_SERVER_H
#define MC_TEST_SERVER_H

#include <stddef.h>
#include <sys/types.h>

typedef struct mc_test_server {
	pid_t pid; /* 0 when not running */
	unsigned int port;
} mc_test_server_t;

/* A TCP port on 127.0.0.1 that was free a moment ago (bind to port 0). */
unsigned int mc_test_free_port(void);

/*
 * Starts "memcached -l 127.0.0.1 -p PORT -U 0" plus extra (NULL-terminated
 * argv tail, may be NULL) on port (0 = pick a free one), polls until it
 * accepts. Returns 0, or -1 with a message on stderr.
 */
int mc_test_memcached_start(
		mc_test_server_t *s, unsigned int port, const char *const *extra);

/*
 * Starts "memcached -s PATH -U 0" (unix socket only; an old file at path is
 * removed first), polls until it accepts. s->port is 0. Returns 0 or -1.
 */
int mc_test_memcached_unix_start(mc_test_server_t *s, const char *path);

/*
 * Starts a server that listens and accepts but never reads nor answers (a
 * forked child). Returns 0 or -1.
 */
int mc_test_silent_start(mc_test_server_t *s);

/*
 * Starts a server whose connects never complete: it never accepts and its
 * accept queue is full, so the kernel drops new SYNs (a forked child).
 * Returns 0 or -1.
 */
int mc_test_full_start(mc_test_server_t *s);

/*
 * Starts a fake text-protocol memcached that answers each request (a
 * command line; a store's data line is read with it, short values only)
 * with the next of replies (NULL-terminated, each a complete reply such as
 * "NOT_FOUND\r\n"), one connection after another; once the script is
 * over it never answers again. Each reply is sent delay_ms after its
 * request. replies must stay valid until the fork (the child has its own
 * copy). Returns 0 or -1.
 */
int mc_test_scripted_start(
		mc_test_server_t *s, const char *const *replies, unsigned int delay_ms);

/*
 * Starts a fake text-protocol memcached (forked child, one process per
 * connection) that answers "get KEY" with the value "value-of-KEY" and
 * "version". The first request of the first connection is answered only
 * after delay_ms: the late reply a client must never read as the answer to
 * a later request. Returns 0 or -1.
 */
int mc_test_laggard_start(mc_test_server_t *s, unsigned int delay_ms);

/*
 * Starts a fake text-protocol memcached (forked child, one connection at a
 * time) that answers "version" at once and "stats" with lines statistics,
 * one every interval_ms, then END: each wait is short, the whole reply
 * long. Anything else gets ERROR. Returns 0 or -1.
 */
int mc_test_trickle_start(
		mc_test_server_t *s, unsigned int interval_ms, unsigned int lines);

/* Stops the server by its pid (SIGTERM, then SIGKILL) and reaps it. */
void mc_test_server_stop(mc_test_server_t *s);

/* 1 when something accepts TCP connections on 127.0.0.1:port. */
int mc_test_port_accepts(unsigned int port);

/* Monotonic milliseconds, for asserting time bounds. */
unsigned long long mc_test_now_ms(void);

/* "127.0.0.1:PORT" into buf. */
const char *mc_test_addr(char *buf, size_t len, unsigned int port);

#endif
