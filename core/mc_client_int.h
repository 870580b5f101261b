/*
 * Inside core only: the client's state and the per-call machinery shared by
 * the files that make up the client. Not for adapters.
 *
 *   mc_client.c        life cycle: configuration, libmemcached behaviours,
 *                      the servers, status and message
 *   mc_call.c          one call from begin to finish: key, route, breaker,
 *                      budget, result mapping, message, counters, log
 *   mc_ops.c           the single-key operations, flush, quiet writes
 *   mc_batch.c         the multi-get
 *   mc_client_stats.c  start-up probe, servers' statistics, counters
 *
 * A call's own state (operation, wire key, how messages name it, server,
 * budget) is an mc_call_t on the caller's stack, passed from mcc_begin (or
 * mcc_call_start) to mcc_finish; the client holds only what outlives a call.
 */
#ifndef MC_CLIENT_INT_H
#define MC_CLIENT_INT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <libmemcached/memcached.h>

#include "mc_breaker.h"
#include "mc_client.h"
#include "mc_clock.h"
#include "mc_config.h"
#include "mc_key.h"
#include "mc_op.h"
#include "mc_result.h"

#define MC_ERRSTR_MAX 640
/* "op 'key'": the op's name and mc_key_format_for_log's key */
#define MC_SUBJECT_MAX (MC_KEY_LOG_MAX + 32)
#define MC_GROUPKEY_MAX (MC_KEY_MAX + 16)
#define MC_SRVNAME_MAX MC_SERVER_NAME_MAX
/* the value buffer kept between calls; a larger one lives for one call */
#define MC_BUF_KEEP 4096

typedef struct mc_server {
	/*
	 * This server's own handle (a clone of the client's settings holding
	 * only it): its connection is closed alone when a call to it fails, the
	 * other servers' connections stay up.
	 */
	memcached_st *mc;
	char *host;
	/* host's address, resolved once when the client is created, so no
	 * (blocking) name lookup ever happens on a call or a reconnect */
	char *addr;
	unsigned int port;
	mc_breaker_t br;
	/* binary without credentials: 1 once the server served us unauthenticated
	 */
	int auth_ok;
	/* 1 once a call on the current connection got an answer: a broken
	 * stream on it then may be the server's close (mcc_retry_closed) */
	int live;
	/* quiet writes sent on the connection and not yet confirmed by a
	 * later reply on it (mc_quiet_confirm), and the last one's subject */
	unsigned long quiet_pending;
	char quiet_last[MC_SUBJECT_MAX];
} mc_server_t;

struct mc_client {
	/* all servers: settings and key distribution only, never any I/O */
	memcached_st *mc;
	mc_status_t status;
	char errstr[MC_ERRSTR_MAX];

	/* the value handed out by mc_get, reused call after call */
	char *buf;
	size_t bufcap;

	char *prefix;
	size_t plen;
	unsigned int timeout_ms;
	int64_t default_expiry;
	size_t max_value;
	int binary;
	unsigned int failure_limit;
	unsigned int retry_s;
	int redistribute;
	int sasl; /* credentials configured */
	mc_log_fn log;
	void *log_arg;
	/* mc_client_quiet_defer: a quiet set may wait in its connection's send
	 * buffer and leave with the next call on that connection */
	int quiet_defer;
	/* sum of the servers' quiet_pending; the last loss, in words */
	unsigned long quiet_pending;
	char quiet_lost_msg[MC_ERRSTR_MAX + MC_SRVNAME_MAX + MC_SUBJECT_MAX + 64];

	mc_counters_t counters;
	size_t nservers;
	mc_server_t *servers;
};

/* One call, on the caller's stack, from mcc_begin / mcc_call_start to
 * mcc_finish. */
typedef struct mc_call {
	mc_op_t op;
	/* 1 for a call on a key of one server (its breaker judges the outcome);
	 * 0 for calls to every server (flush, probe, stats) */
	int keyed;
	/* 1 for mc_set_quiet's store: its set goes out with noreply */
	int quiet;
	/* 1 once the call was made again on a new connection (mcc_retry_closed) */
	int retried;
	size_t srv; /* the server the call talks to */
	char wkey[MC_KEY_MAX]; /* the wire key (mc_key_derive) */
	size_t wklen;
	/* the key that picks the server: the wire key, or "wirekey#n" when the
	 * breaker redistributed it */
	char gkey[MC_GROUPKEY_MAX];
	size_t gklen;
	/* how messages name the call: "op 'key'" (log-safe, "op 'key...' (N
	 * bytes)" for a long one), or "op" for a call without a key */
	char subj[MC_SUBJECT_MAX];
	/* the call's budget: it ends by deadline_ms, whatever it has to do;
	 * armed_ms is the wait the last libmemcached call was given */
	uint64_t deadline_ms;
	unsigned int armed_ms;
} mc_call_t;

/* The handle of the call's server. */
static inline memcached_st *mcc_smc(mc_client_t *c, const mc_call_t *call)
{
	return c->servers[call->srv].mc;
}

/* ---- mc_client.c ---- */

/* Sets status and message (printf; NULL: "") on c; returns st. */
mc_status_t mcc_fail(mc_client_t *c, mc_status_t st, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));

/* "host:port" ("[v6]:port", a unix socket's path) of s into dst. */
void mcc_srv_name(const mc_server_t *s, char *dst, size_t len);

/*
 * A new handle with base's settings (protocol, timeouts, SASL credentials)
 * holding only server s; the caller frees it with memcached_free. NULL when
 * out of memory or the server cannot be added (*rc says which).
 */
memcached_st *mcc_one_server(
		memcached_st *base, const mc_server_t *s, memcached_return_t *rc);

/* ---- mc_call.c ---- */

/*
 * Starts a call without a key (or before its key is known): op, no key,
 * server 0, the budget started, the previous call's big value freed.
 */
void mcc_call_start(mc_client_t *c, mc_call_t *call, mc_op_t op);

/* Names the call by key in its messages (log-safe) and makes it keyed. */
void mcc_call_key(mc_call_t *call, const char *key, size_t klen);

/*
 * Starts a keyed call: derives the wire key and picks its server. Returns
 * MC_OK, MC_BAD_INPUT (empty key), MC_NO_MEMORY, or MC_DISABLED when the
 * server is skipped by its breaker and no live server may take the key
 * (message on c).
 */
mc_status_t mcc_begin(mc_client_t *c, mc_call_t *call, mc_op_t op,
		const char *key, size_t klen);

/* Starts the budget of a call (or of one server's share of a call to every
 * server): about twice the timeout, e.g. a slow connect then a slow reply. */
void mcc_budget(mc_client_t *c, mc_call_t *call);

/*
 * Before each libmemcached call: gives its waits what is left of the
 * budget, at most timeout. 0 when nothing is left: the caller reports
 * MEMCACHED_TIMEOUT.
 */
int mcc_arm(mc_client_t *c, mc_call_t *call);

/* Closes the call's server's connection: nothing late can be read from it
 * any more. The other servers' connections stay open. */
void mcc_drop(mc_client_t *c, const mc_call_t *call);

/* Before the first keyed call on a binary connection without credentials:
 * MC_OK when the server serves us (see mc_call.c), else the failure. */
mc_status_t mcc_auth_probe(mc_client_t *c, mc_call_t *call);

/* After a call's libmemcached call answered rc: 1 when the call is to be
 * made again, once, because the server had closed a connection that
 * answered before (a restart; see mc_call.c), with that connection
 * dropped; 0: finish with rc. Usage: do { ...rc = call... } while(it). */
int mcc_retry_closed(mc_client_t *c, mc_call_t *call, memcached_return_t rc);

/* The server refused our credentials, or wants some we do not have. */
int mcc_is_auth_failure(memcached_return_t rc);

/* rc, or the errno-bearing reason of a text get/touch whose connect failed
 * at once (see mc_call.c). */
memcached_return_t mcc_connect_reason(
		mc_client_t *c, mc_call_t *call, memcached_return_t rc);

/* The result of a call to "every" server on the call's server's own
 * handle: its own error instead of SOME_ERRORS. */
memcached_return_t mcc_srv_rc(
		mc_client_t *c, const mc_call_t *call, memcached_return_t rc);

/*
 * Ends a call with libmemcached's rc: maps it, drops the connection when it
 * may be out of step, records the breaker outcome, settles the server's
 * quiet writes and leaves status and message on c; returns the status.
 */
mc_status_t mcc_finish(mc_client_t *c, mc_call_t *call, memcached_return_t rc);

/* What went wrong, in words, for a failure r of libmemcached call rc on mc
 * ("timeout after N ms", "connection failure (connection refused)", ...). */
void mcc_detail(mc_client_t *c, memcached_st *mc, memcached_return_t rc,
		mc_result_t r, char *buf, size_t len);

/* The call's expiry (MC_EXPIRY_DEFAULT: the configured one) into *out;
 * MC_BAD_INPUT (message on c) when out of range. */
mc_status_t mcc_expiry(
		mc_client_t *c, const mc_call_t *call, int64_t expiry, time_t *out);

/* Counts a finished public call (errors, timeouts); returns st. */
mc_status_t mcc_count(mc_client_t *c, mc_status_t st);

#endif
