/*
 * A memcached server's own statistics (the text protocol's "stats"), for the
 * RPC command memcached.stats. libmemcached and libc only, no Kamailio.
 *
 * The statistics are read over a short-lived libmemcached handle of their
 * own, not over a client's: a client's connections must stay in step with
 * their replies, and this read must not disturb them. mc_server_stats makes
 * a text-protocol handle (any server reachable with the text protocol; a
 * server that requires SASL does not answer it at all: MC_TIMEOUT);
 * mc_client_server_stats, the entry point, reads a binary/SASL client's
 * server over a clone of the client's settings with mc_stats_read.
 */
#ifndef MC_STATS_H
#define MC_STATS_H

#include <stddef.h>

#include <libmemcached/memcached.h>

#include "mc_status.h"

/*
 * Called once per "STAT name value" line, in the server's order. name and
 * value are NUL-terminated and valid only during the call. Returning
 * non-zero stops the walk (mc_server_stats then returns MC_OK).
 */
typedef int (*mc_stats_fn)(const char *name, const char *value, void *arg);

/*
 * Connects to host:port (host: IPv4/IPv6 literal or name; a path starting
 * with '/' is a unix socket and port is ignored), sends "stats", and calls fn
 * for each statistic. timeout_ms (0: 500 ms) bounds connecting and every
 * wait for the server, and the whole call ends within about twice
 * timeout_ms, as a client's calls do: a server that accepts and never
 * answers costs about timeout_ms. On a failure part-way through the reply,
 * fn may already have been called for the statistics before it.
 * Returns MC_OK; MC_BAD_INPUT (no host or fn); MC_CONNECTION (cannot resolve
 * or connect, or the server closed); MC_TIMEOUT; MC_ERROR (the server
 * answered something other than statistics); MC_NO_MEMORY. On failure err
 * (errlen bytes, always NUL-terminated when errlen > 0) says what happened,
 * naming the server. Nothing to free.
 */
mc_status_t mc_server_stats(const char *host, unsigned int port,
		unsigned int timeout_ms, mc_stats_fn fn, void *arg, char *err,
		size_t errlen);

/*
 * The read itself, on a handle the caller made for it and frees: mc holds
 * one server (a text-protocol handle of mc_server_stats, or a clone of a
 * client's binary/SASL settings) and has never been used, so an error on it
 * is this read's. name is the server as messages name it; timeout_ms (> 0)
 * is the handle's wait. Same bound, callbacks, returns and err as
 * mc_server_stats.
 */
mc_status_t mc_stats_read(memcached_st *mc, const char *name,
		unsigned int timeout_ms, mc_stats_fn fn, void *arg, char *err,
		size_t errlen);

#endif
