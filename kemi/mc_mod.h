/*
 * What the Kamailio adapters (KEMI functions, PVs, RPC) share: the module
 * parameters, this process's client, the translation of a core status into
 * the script convention (with logging), and module-owned return buffers.
 *
 * Everything here is per process: Kamailio forks its workers after mod_init,
 * and each process uses its own client (see mc_mod_client).
 */
#ifndef MC_MOD_H
#define MC_MOD_H

#include <stddef.h>
#include <stdint.h>

#include "mc_client.h"
#include "mc_op.h"

/* Script-facing results: never 0 (0 ends a native route). */
#define MC_RET_OK 1
#define MC_RET_NO (-1)	/* miss / not stored: the normal "no" */
#define MC_RET_ERR (-2) /* server trouble, timeout, bad input */
#define MC_RET_QUEUED 2 /* quiet write sent; memcached's answer not read */

/* Module parameters (modparam("memcached", ...)); see mod_memcached.c. */
typedef struct mc_mod_params {
	char *servers;
	int expire;
	int mode;
	int timeout;
	int memory;
	int stringify;
	char *prefix;
	int binary;
	int max_value_size;
	int failure_limit;
	int retry_time;
	int redistribute;
	char *username;
	char *password;
} mc_mod_params_t;

extern mc_mod_params_t mc_mod_params;

/* Operations, for log lines and statistics: core's table (mc_op.h), so the
 * core's messages and the module's lines name an operation alike. */
typedef mc_op_t mc_mod_op_t;

/*
 * A new client from mc_mod_params (with the core log hook set); NULL when
 * the configuration is refused, logged at ERR as "<what>: <reason>".
 * Creation does not connect. The caller frees it with mc_client_free, in
 * the process that created it.
 */
mc_client_t *mc_mod_client_new(const char *what);

/*
 * The client of the calling process, created on first use when child_init
 * did not create one (e.g. processes forked without child_init). A client
 * inherited from another process is never used nor freed here. NULL when it
 * cannot be created (logged, rate-limited); the caller then reports an error
 * with mc_mod_fail.
 */
mc_client_t *mc_mod_client(void);

/* Creates this process's client (child_init); 0 or -1 (logged). */
int mc_mod_client_init(void);

/* Frees the client if this process created it (mod_destroy). */
void mc_mod_client_destroy(void);

/*
 * Translates the status of one core call made on c for op on key: records it
 * as this process's last status (KSR.memcached.status()), updates the
 * statistics, logs once (misses at DBG, bad input at ERR, server trouble at
 * ERR rate-limited per process) and returns MC_RET_OK, MC_RET_NO or
 * MC_RET_ERR. For MC_OP_EXISTS and lookups, MC_NOT_FOUND is MC_RET_NO.
 */
int mc_mod_done(mc_client_t *c, mc_mod_op_t op, mc_status_t st, const char *key,
		size_t klen);

/*
 * End of a script (post-script callback): confirms this process's pending
 * quiet writes (mc_quiet_confirm: a round trip only to servers whose quiet
 * writes no later call confirmed); a loss is counted (memcached:quiet_lost)
 * and logged, rate-limited. Never creates a client.
 */
void mc_mod_quiet_confirm(void);

/*
 * The route of one message runs in this process: from the pre-script to
 * the post-script callback of a request or reply route (which calls
 * mc_mod_quiet_confirm, then mc_mod_route_end). Quiet writes made for that
 * message (mc_mod_route_is: same msg id and pid) may wait for the next call
 * on their connection (mc_client_quiet_defer); any other, e.g. in a failure
 * route run by a timer, is sent at once. A route that never reaches its
 * post-script callback (another module's pre-script callback dropped the
 * message) leaves a stale begin; a later write matches it only for the
 * same message id and pid, and then waits at most for the next call or
 * the next route's end in this process (it confirms every pending write).
 */
void mc_mod_route_begin(unsigned int msg_id, int msg_pid);
void mc_mod_route_end(void);
int mc_mod_route_is(unsigned int msg_id, int msg_pid);

/*
 * mc_mod_done for a quiet write (mc_set_quiet): MC_RET_QUEUED instead of
 * MC_RET_OK (also what mc_mod_last reports), else the same.
 */
int mc_mod_done_quiet(mc_client_t *c, mc_mod_op_t op, mc_status_t st,
		const char *key, size_t klen);

/*
 * Records the result of one key of the last mget (no core call): MC_OK is
 * MC_RET_OK, MC_NOT_FOUND MC_RET_NO, anything else MC_RET_ERR (that
 * failure was logged by the mget). Logs at DBG only; returns the code.
 */
int mc_mod_item(mc_mod_op_t op, mc_status_t st, const char *key, size_t klen);

/*
 * Records and logs (ERR) an error found by the adapter itself before any core
 * call (negative expiry, negative delta, no client); returns MC_RET_ERR.
 */
int mc_mod_fail(
		mc_mod_op_t op, const char *key, size_t klen, const char *reason);

/*
 * Records and logs (ERR, with the key) that a value of len bytes read for op
 * could not be copied into a module-owned buffer (out of pkg memory): the
 * script gets nil/$null, status() -2, memcached:errors counts it. Returns
 * MC_RET_ERR.
 */
int mc_mod_nomem(mc_mod_op_t op, const char *key, size_t klen, size_t len);

/* MC_RET_* of this process's last operation; MC_RET_OK before any. */
int mc_mod_last(void);

/*
 * Validates a script expiry: 0..INT_MAX seconds (0 = never; above 30 days
 * memcached reads a unix time). Negative is refused (the core would read -1
 * as "the default expiry"). Returns 0 and sets *out, or -1.
 */
int mc_mod_expiry(int expiry, int64_t *out);

/* The refusal of a negative expiry, in every adapter's words. */
#define MC_MOD_NEGATIVE_EXPIRY                                                 \
	"negative expiry (use 0 for never, or a positive number of seconds)"

/*
 * mc_mod_expiry for op on key: 0 and *out, or, for a negative expiry,
 * MC_RET_ERR once refused with MC_MOD_NEGATIVE_EXPIRY (mc_mod_fail).
 */
int mc_mod_expiry_or_fail(
		mc_mod_op_t op, const char *key, size_t klen, int expiry, int64_t *out);

/*
 * Records and logs (mc_mod_fail) that op on key found no client in this
 * process (mc_mod_client returned NULL); returns MC_RET_ERR.
 */
int mc_mod_no_client(mc_mod_op_t op, const char *key, size_t klen);

/*
 * Types a value read from memcached for a script (doc section 8.4): an
 * integer-flagged value (flag bit 0 clear) whose bytes are exactly the
 * canonical decimal of an integer within [min, max] (the caller's int:
 * 32-bit KEMI ints on Kamailio 5.6, long where the headers have them) gives
 * 1 and *out; anything else (string-flagged, "+49...", "0042", "-0", beyond
 * the range, not a number) gives 0 and is handed back as a string, byte for
 * byte. stringify forces 0.
 */
int mc_mod_value_int(const mc_value_t *v, int stringify, int64_t min,
		int64_t max, int64_t *out);

/*
 * A module-owned buffer that grows as needed and is reused on the next call
 * (htable's _htc_kemi_local): what it holds is valid until the next use of
 * the same buffer in this process. pkg memory, freed by mc_mod_buf_free.
 */
typedef struct mc_mod_buf {
	char *s;
	size_t size;
} mc_mod_buf_t;

/* Room for len bytes plus a NUL; NULL on allocation failure, which the
 * caller reports with mc_mod_nomem (it knows the key). */
char *mc_mod_buf_get(mc_mod_buf_t *b, size_t len);
void mc_mod_buf_free(mc_mod_buf_t *b);

/* Buffers up to this size are kept between calls; larger ones (big values)
 * are freed by mc_mod_buf_trim when the script that read them is done. */
#define MC_MOD_BUF_KEEP 4096
void mc_mod_buf_trim(mc_mod_buf_t *b);

/* Statistics: registers memcached:* counters; 0 or -1. */
int mc_mod_stats_register(void);

#endif
