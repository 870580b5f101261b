/*
 * The cache client: one per process, created after fork, never shared across
 * processes and never freed in a process that did not create it (freeing an
 * inherited handle sends "quit" on the parent's socket).
 *
 * Every call returns an mc_status_t and leaves, on the client, that status and
 * a human-readable message (mc_client_errstr), as hiredis does with
 * c->err / c->errstr. Keys are run through mc_key_derive (prefix, hashing)
 * inside each call; callers pass the script's key as it is.
 */
#ifndef MC_CLIENT_H
#define MC_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "mc_stats.h"
#include "mc_status.h"

typedef struct mc_client mc_client_t;

typedef enum mc_log_level {
	MC_LOG_DBG = 0,
	MC_LOG_INFO,
	MC_LOG_WARN,
	MC_LOG_ERR
} mc_log_level_t;

/* Host log hook; msg is valid only during the call. */
typedef void (*mc_log_fn)(mc_log_level_t level, const char *msg, void *arg);

/* Expiry argument that means "use mc_config_t.default_expiry". */
#define MC_EXPIRY_DEFAULT (-1)
/*
 * Expiries are seconds; 0 means never; above 30 days (2592000) memcached reads
 * the number as an absolute unix time. Negative values other than
 * MC_EXPIRY_DEFAULT, or values above UINT32_MAX, are MC_BAD_INPUT.
 */
#define MC_EXPIRY_RELATIVE_MAX 2592000

/* Value flag bit 0: set = string, clear = integer (shipped module's typing). */
#define MC_FLAG_STRING 1u

#define MC_DEFAULT_TIMEOUT_MS 500
#define MC_DEFAULT_MAX_VALUE (1024 * 1024)

typedef struct mc_config {
	const char *servers;         /* see mc_config.h; required */
	unsigned int timeout_ms;     /* connect AND every read/write wait; 0 = default */
	int64_t default_expiry;      /* used for MC_EXPIRY_DEFAULT; >= 0 */
	const char *prefix;          /* namespace prepended to every key; may be NULL */
	int binary;                  /* 1 = binary protocol */
	size_t max_value_size;       /* larger values: stores refused before I/O,
	                                reads refused (MC_TOO_BIG); 0 = default */
	unsigned int failure_limit;  /* breaker: consecutive failures to trip; 0 = off */
	unsigned int retry_s;        /* breaker: seconds open before one probe */
	int redistribute;            /* 1 = a tripped server's keys go to live servers */
	const char *username;        /* SASL (needs binary); NULL = none */
	const char *password;        /* never logged, never copied into messages */
	mc_log_fn log;               /* may be NULL */
	void *log_arg;
} mc_config_t;

/*
 * A value returned by mc_get. data is owned by the client, NUL-terminated
 * (the NUL is not counted in len), binary-safe, and valid until the next call
 * on the same client. The bytes are those stored, except one thing: the
 * spaces memcached leaves after a decr that shrinks a number ("10" - 1 is
 * stored as "9 ") are already trimmed from len, whatever the flags (only
 * canonical digits followed by spaces; see mc_value_unpad in mc_value.h).
 */
typedef struct mc_value {
	const char *data;
	size_t len;
	uint32_t flags;
} mc_value_t;

typedef enum mc_store_mode {
	MC_STORE_SET = 0,
	MC_STORE_ADD,     /* MC_NOT_STORED when present */
	MC_STORE_REPLACE, /* MC_NOT_STORED when absent */
	MC_STORE_APPEND,  /* MC_NOT_STORED when absent */
	MC_STORE_PREPEND  /* MC_NOT_STORED when absent */
} mc_store_mode_t;

/*
 * Creates a client. Connects lazily (first operation), so a server that is
 * down at start-up does not fail creation. On failure *out is NULL and err
 * (errlen bytes) says what is wrong with the configuration.
 * The caller frees the client with mc_client_free.
 */
mc_status_t mc_client_new(const mc_config_t *cfg, mc_client_t **out,
		char *err, size_t errlen);

/* Closes connections and frees everything; accepts NULL. */
void mc_client_free(mc_client_t *c);

/* Status and message of the last call on c; the message is "" after MC_OK. */
mc_status_t mc_client_status(const mc_client_t *c);
const char *mc_client_errstr(const mc_client_t *c);

/*
 * Operations. key/klen is the caller's key before derivation. mc_get of a
 * value larger than max_value_size is MC_TOO_BIG (nothing kept). A value
 * buffer above 4 KB is freed at the start of the next call.
 */
mc_status_t mc_get(mc_client_t *c, const char *key, size_t klen,
		mc_value_t *out);
mc_status_t mc_exists(mc_client_t *c, const char *key, size_t klen);
mc_status_t mc_store(mc_client_t *c, mc_store_mode_t mode, const char *key,
		size_t klen, const char *val, size_t vlen, uint32_t flags,
		int64_t expiry);
mc_status_t mc_delete(mc_client_t *c, const char *key, size_t klen);
mc_status_t mc_touch(
		mc_client_t *c, const char *key, size_t klen, int64_t expiry);

/*
 * A quiet set ("set ... noreply"; binary: SETQ): the write is sent before
 * this returns (or deferred: mc_client_quiet_defer), without waiting for
 * memcached's answer, so a later call on
 * the same client (which uses the same connection for the key) sees the
 * value: memcached handles one connection's requests in order. MC_OK means
 * queued (sent, outcome unknown), counted in counters.queued, not sets.
 * What fails before or while sending (bad input, too big, breaker open,
 * connect refused or timed out) is reported like mc_store's failures,
 * counted in errors. A write can also be accepted by the kernel on a
 * connection the server has already closed (it was restarted): so a quiet
 * write stays pending on its server until a later reply on the same
 * connection confirms it (any call to that server, or mc_quiet_confirm);
 * if that connection fails first, the pending writes count in
 * counters.quiet_lost and mc_client_quiet_lost_msg says so. What the server
 * refuses after reading it (out of memory, above its item size) is not
 * reported: memcached sends no reply; libmemcached stays in step
 * (measured, bench/quiet_study.c).
 */
mc_status_t mc_set_quiet(mc_client_t *c, const char *key, size_t klen,
		const char *val, size_t vlen, uint32_t flags, int64_t expiry);

/*
 * Confirms the pending quiet writes: one round trip to each server that has
 * some (none when every one was already confirmed by a later call; cheap
 * to call after every request). MC_OK, or the first failure (message on c;
 * the writes lost count in counters.quiet_lost).
 */
mc_status_t mc_quiet_confirm(mc_client_t *c);

/*
 * on (1): from now on a quiet set may stay in its connection's send buffer
 * instead of being sent before mc_set_quiet returns; it leaves with the
 * next call on that connection (one packet: the send it saves costs as much
 * as a round trip on loopback) or with mc_quiet_confirm, which the caller
 * must then call before the writes would be overdue (the adapter: at the
 * end of the route). Pending, confirmed and lost as above. off (0, the
 * default): sent at once.
 */
void mc_client_quiet_defer(mc_client_t *c, int on);

/* The last loss of quiet writes in words ("N quiet write(s) to host:port
 * lost, last set 'key' (reason)"); "" before any. Owned by c. */
const char *mc_client_quiet_lost_msg(const mc_client_t *c);

/*
 * Counters. *newval receives the value after the operation. decr floors at 0
 * (memcached's rule). A value that is not a decimal number: MC_BAD_INPUT.
 */
mc_status_t mc_incr(mc_client_t *c, const char *key, size_t klen,
		uint64_t delta, uint64_t *newval);
mc_status_t mc_decr(mc_client_t *c, const char *key, size_t klen,
		uint64_t delta, uint64_t *newval);
/*
 * Increments, or creates the key at delta (integer flags) with expiry when it
 * is missing. Race-free across clients: incr, on a miss add, if add loses the
 * race incr again; if the key vanished again meanwhile (expired, deleted),
 * start over, at most 8 rounds. Never MC_NOT_FOUND: MC_OK with *newval, or
 * an error (MC_ERROR when the key kept vanishing). Later increments do not
 * reset the expiry.
 */
mc_status_t mc_incr_create(mc_client_t *c, const char *key, size_t klen,
		uint64_t delta, int64_t expiry, uint64_t *newval);

/* Flushes every server (RPC memcached.flush). */
mc_status_t mc_flush(mc_client_t *c);

/*
 * Value typing helpers (pure). mc_value_is_string: flags bit 0 set.
 * mc_value_to_u64: the value as an unsigned decimal number (surrounding
 * whitespace allowed); MC_BAD_INPUT if it is not one or overflows.
 */
int mc_value_is_string(const mc_value_t *v);
mc_status_t mc_value_to_u64(const char *data, size_t len, uint64_t *out);

/*
 * The typing rule for scripts: 1 and *out when data/len is exactly the
 * canonical decimal of an integer within [min, max] ("0", or an optional '-'
 * then digits without a leading zero); else 0 and *out untouched, and the
 * caller hands the bytes back as a string. Not numbers: "", "-0", "+5",
 * "0042", " 7", "7 ", "1e3", "1.0", anything beyond [min, max].
 */
int mc_value_int(const char *data, size_t len, int64_t min, int64_t max,
		int64_t *out);

/* Servers, for RPC and statistics (mc_breaker_state_t: mc_status.h). */
typedef struct mc_server_info {
	const char *host; /* owned by the client, valid until mc_client_free */
	unsigned int port;
	mc_breaker_state_t state;
	unsigned int failures; /* consecutive */
	unsigned long trips;   /* times the breaker opened */
} mc_server_info_t;

size_t mc_client_server_count(const mc_client_t *c);
mc_status_t mc_client_server_info(
		const mc_client_t *c, size_t index, mc_server_info_t *out);

/*
 * Start-up check, for a client created only for it and freed right after
 * (in the same process): one "version" round trip to every server; with
 * SASL configured, connecting authenticates first. Calls fn once per
 * server, in order, with "host:port", its status (MC_OK: it answered),
 * auth_failed 1 when it refused our credentials (status MC_ERROR), and a
 * message naming the server and the reason ("" after MC_OK; never the
 * password); the strings are valid only during the call. Each server costs
 * at most about twice the timeout. Breakers and counters are not touched.
 * Returns MC_OK when every server answered, else the first failure's status.
 */
typedef void (*mc_probe_fn)(const char *server, mc_status_t st, int auth_failed,
		const char *msg, void *arg);
mc_status_t mc_client_probe(mc_client_t *c, mc_probe_fn fn, void *arg);

/*
 * Server index's own statistics (memcached's "stats"; RPC memcached.stats):
 * calls fn for each, in the server's order (see mc_stats_fn). Never over c's
 * own connections, so a slow or failed read cannot leave them out of step:
 * with the text protocol over mc_server_stats' short-lived connection; with
 * the binary protocol (needed for SASL, whose servers do not answer the text
 * protocol) over a short-lived libmemcached connection with c's settings and
 * credentials. Bounded by the timeout. Breakers are not touched; a failure
 * counts in c's errors (and timeouts).
 * Returns MC_OK, MC_BAD_INPUT (no such server), or the failure's status with
 * the message on c, naming the server (mc_client_errstr). A server that
 * answers no statistics at all (a SASL server to a client without
 * credentials) is MC_ERROR.
 */
mc_status_t mc_client_server_stats(
		mc_client_t *c, size_t index, mc_stats_fn fn, void *arg);

/*
 * Counters since creation, for Kamailio statistics: hits and misses of
 * mc_get / mc_exists (and per key, mc_mget in mc_batch.h); sets: successful
 * mc_store calls and mc_incr_create calls that created the key; queued: see
 * mc_set_quiet; errors and timeouts: calls that returned an
 * error status (mc_status_is_error) or MC_TIMEOUT; trips: breakers opened.
 */
typedef struct mc_counters {
	unsigned long hits, misses, sets, errors, timeouts, trips;
	unsigned long queued; /* mc_set_quiet calls that sent their write */
	unsigned long quiet_lost; /* queued writes whose connection failed */
} mc_counters_t;
void mc_client_counters(const mc_client_t *c, mc_counters_t *out);

#endif
