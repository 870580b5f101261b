/*
 * The operations on keys (mc_client.h): get, exists, store (and the quiet
 * set with its confirmation), delete, touch, incr, decr, incx; and flush.
 * Each is one call (mc_call.c: begin, libmemcached, finish), counted once by
 * its public entry point.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc_client_int.h"
#include "mc_value.h"

/* ---- get, exists ------------------------------------------------------- */

/* Copies a value into the client's buffer (valid until the next call). */
static mc_status_t mcc_keep(mc_client_t *c, const char *v, size_t len)
{
	char *nb;
	size_t cap;

	if(len + 1 > c->bufcap) {
		cap = len + 1 <= MC_BUF_KEEP ? MC_BUF_KEEP : len + 1;
		nb = realloc(c->buf, cap);
		if(nb == NULL)
			return MC_NO_MEMORY;
		c->buf = nb;
		c->bufcap = cap;
	}
	if(len)
		memcpy(c->buf, v, len);
	c->buf[len] = '\0';
	return MC_OK;
}

/* The value v (vlen bytes, flags) fetched by get, handed to the caller in
 * out: checked against max_value, copied, decr padding trimmed. */
static mc_status_t mcc_get_value(mc_client_t *c, const mc_call_t *call,
		const char *v, size_t vlen, uint32_t flags, mc_value_t *out)
{
	if(vlen > c->max_value) /* memcached -I may allow more than we hand on */
		return mcc_fail(c, MC_TOO_BIG,
				"%s: value of %zu bytes is above the limit of %zu for "
				"reads (raise max_value_size, or store less)",
				call->subj, vlen, c->max_value);
	if(mcc_keep(c, v, v ? vlen : 0) != MC_OK)
		return mcc_fail(c, MC_NO_MEMORY,
				"%s: out of memory copying a value of %zu bytes", call->subj,
				vlen);
	out->data = c->buf;
	out->len = mc_value_unpad(c->buf, v ? vlen : 0);
	out->flags = flags;
	c->buf[out->len] = '\0';
	return MC_OK;
}

/* get, or (out == NULL) only whether the key is there */
static mc_status_t mcc_get(mc_client_t *c, mc_op_t op, const char *key,
		size_t klen, mc_value_t *out)
{
	memcached_return_t rc = MEMCACHED_SUCCESS;
	mc_call_t call;
	char *v = NULL;
	size_t vlen = 0;
	uint32_t flags = 0;
	mc_status_t st;

	if(out) {
		out->data = NULL;
		out->len = 0;
		out->flags = 0;
	}
	if((st = mcc_begin(c, &call, op, key, klen)) != MC_OK)
		return st;
	do {
		if((st = mcc_auth_probe(c, &call)) != MC_OK)
			return st;
		if(mcc_arm(c, &call))
			v = memcached_get_by_key(mcc_smc(c, &call), call.gkey, call.gklen,
					call.wkey, call.wklen, &vlen, &flags, &rc);
		else
			rc = MEMCACHED_TIMEOUT;
	} while(mcc_retry_closed(c, &call, rc));
	st = mcc_finish(c, &call, mcc_connect_reason(c, &call, rc));
	if(st == MC_OK && out)
		st = mcc_get_value(c, &call, v, vlen, flags, out);
	/* libmemcached memory never leaves core */
	free(v);
	if(st == MC_OK)
		c->counters.hits++;
	else if(st == MC_NOT_FOUND)
		c->counters.misses++;
	return st;
}

mc_status_t mc_get(
		mc_client_t *c, const char *key, size_t klen, mc_value_t *out)
{
	return mcc_count(c, mcc_get(c, MC_OP_GET, key, klen, out));
}

mc_status_t mc_exists(mc_client_t *c, const char *key, size_t klen)
{
	/* a plain get: libmemcached's memcached_exist adds the key */
	return mcc_count(c, mcc_get(c, MC_OP_EXISTS, key, klen, NULL));
}

/* ---- store ------------------------------------------------------------- */

/* libmemcached's store calls, and the operations, by mode: one signature */
typedef memcached_return_t (*mcc_store_fn)(memcached_st *, const char *,
		size_t, const char *, size_t, const char *, size_t, time_t, uint32_t);

/* clang-format off */
static const struct {
	mcc_store_fn fn;
	mc_op_t op;
} mcc_stores[] = {
	[MC_STORE_SET] = {memcached_set_by_key, MC_OP_SET},
	[MC_STORE_ADD] = {memcached_add_by_key, MC_OP_ADD},
	[MC_STORE_REPLACE] = {memcached_replace_by_key, MC_OP_REPLACE},
	[MC_STORE_APPEND] = {memcached_append_by_key, MC_OP_APPEND},
	[MC_STORE_PREPEND] = {memcached_prepend_by_key, MC_OP_PREPEND},
};
/* clang-format on */

#define MC_STORE_MODES (sizeof(mcc_stores) / sizeof(mcc_stores[0]))

static mc_op_t mcc_store_op(mc_store_mode_t mode, int quiet)
{
	if(quiet)
		return MC_OP_SET_QUIET;
	/* an unknown mode is refused by mcc_store */
	return (size_t)mode < MC_STORE_MODES ? mcc_stores[mode].op : MC_OP_SET;
}

/* The one libmemcached call of a store; preconditions: mode known, armed. */
static memcached_return_t mcc_store_send(mc_client_t *c, mc_call_t *call,
		mc_store_mode_t mode, const char *val, size_t vlen, time_t exp,
		uint32_t flags)
{
	memcached_st *mc = mcc_smc(c, call);
	memcached_return_t rc;
	bool buffering = mc->flags.buffer_requests;

	/* noreply only around the set itself (a quiet store is a set): the
	 * auth probe before it must read its answer */
	if(call->quiet)
		memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_NOREPLY, 1);
	/*
	 * Deferred: the set stays in libmemcached's send buffer and leaves in
	 * one packet with the next request on this connection (its own send
	 * costs the sender as much CPU as a round trip on loopback). The flag
	 * itself, not MEMCACHED_BEHAVIOR_BUFFER_REQUESTS: setting that
	 * behaviour closes every connection of the handle. Text answers
	 * SUCCESS, binary BUFFERED (both mean queued).
	 */
	if(call->quiet && c->quiet_defer)
		mc->flags.buffer_requests = true;
	rc = mcc_stores[mode].fn(mc, call->gkey, call->gklen, call->wkey,
			call->wklen, val, vlen, exp, flags);
	mc->flags.buffer_requests = buffering;
	if(call->quiet)
		memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_NOREPLY, 0);
	return rc;
}

/* Counts a store that succeeded; a quiet one stays pending on its server. */
static void mcc_stored(mc_client_t *c, const mc_call_t *call)
{
	mc_server_t *s = &c->servers[call->srv];

	if(!call->quiet) {
		c->counters.sets++;
		return;
	}
	c->counters.queued++;
	c->quiet_pending++;
	s->quiet_pending++;
	snprintf(s->quiet_last, sizeof(s->quiet_last), "%s", call->subj);
}

static mc_status_t mcc_store(mc_client_t *c, int quiet, mc_store_mode_t mode,
		const char *key, size_t klen, const char *val, size_t vlen,
		uint32_t flags, int64_t expiry)
{
	memcached_return_t rc;
	mc_call_t call;
	mc_status_t st;
	time_t exp = 0;

	if((st = mcc_begin(c, &call, mcc_store_op(mode, quiet), key, klen))
			!= MC_OK)
		return st;
	call.quiet = quiet;
	if(mcc_expiry(c, &call, expiry, &exp) != MC_OK)
		return c->status;
	if(vlen > c->max_value)
		return mcc_fail(c, MC_TOO_BIG,
				"%s: value of %zu bytes is above the limit of %zu "
				"(store less, or raise max_value_size and memcached -I)",
				call.subj, vlen, c->max_value);
	if(val == NULL && vlen)
		return mcc_fail(c, MC_BAD_INPUT, "%s: no value given", call.subj);
	if(val == NULL)
		val = "";
	if((size_t)mode >= MC_STORE_MODES)
		return mcc_fail(c, MC_BAD_INPUT, "store: unknown mode %d", (int)mode);
	do {
		if((st = mcc_auth_probe(c, &call)) != MC_OK)
			return st;
		rc = mcc_arm(c, &call)
					 ? mcc_store_send(c, &call, mode, val, vlen, exp, flags)
					 : MEMCACHED_TIMEOUT;
	} while(mcc_retry_closed(c, &call, rc));
	/* binary protocol: replace/append/prepend on a missing key is ENOENT */
	if(mode != MC_STORE_SET && rc == MEMCACHED_NOTFOUND)
		rc = MEMCACHED_NOTSTORED;
	if((st = mcc_finish(c, &call, rc)) == MC_OK)
		mcc_stored(c, &call);
	return st;
}

mc_status_t mc_store(mc_client_t *c, mc_store_mode_t mode, const char *key,
		size_t klen, const char *val, size_t vlen, uint32_t flags,
		int64_t expiry)
{
	return mcc_count(
			c, mcc_store(c, 0, mode, key, klen, val, vlen, flags, expiry));
}

/* ---- quiet writes ------------------------------------------------------ */

mc_status_t mc_set_quiet(mc_client_t *c, const char *key, size_t klen,
		const char *val, size_t vlen, uint32_t flags, int64_t expiry)
{
	return mcc_count(c,
			mcc_store(c, 1, MC_STORE_SET, key, klen, val, vlen, flags, expiry));
}

/* One round trip to call->srv behind its quiet writes: a delete of a key
 * mc_key_derive never produces (a control character), answered NOTFOUND. */
static mc_status_t mcc_confirm_one(mc_client_t *c, mc_call_t *call)
{
	static const char probe[] = "\001mc_core_quiet_probe";
	memcached_return_t rc;

	mcc_budget(c, call);
	call->retried = 0;
	do
		rc = mcc_arm(c, call) ? memcached_delete(mcc_smc(c, call), probe,
										sizeof(probe) - 1, 0)
							  : MEMCACHED_TIMEOUT;
	while(mcc_retry_closed(c, call, rc));
	if(rc == MEMCACHED_NOTFOUND)
		rc = MEMCACHED_SUCCESS;
	return mcc_finish(c, call, rc);
}

mc_status_t mc_quiet_confirm(mc_client_t *c)
{
	mc_status_t st, first = MC_OK;
	mc_call_t call;
	size_t i;

	if(c == NULL || c->quiet_pending == 0)
		return MC_OK;
	mcc_call_start(c, &call, MC_OP_CONFIRM);
	/* the breaker judges the server; messages name the quiet writes */
	mcc_call_key(&call, "(quiet writes)", sizeof("(quiet writes)") - 1);
	for(i = 0; i < c->nservers && c->quiet_pending > 0; i++) {
		if(c->servers[i].quiet_pending == 0)
			continue;
		call.srv = i;
		st = mcc_confirm_one(c, &call);
		if(st != MC_OK && first == MC_OK)
			first = st;
	}
	return mcc_count(c, first);
}

void mc_client_quiet_defer(mc_client_t *c, int on)
{
	if(c != NULL)
		c->quiet_defer = on ? 1 : 0;
}

const char *mc_client_quiet_lost_msg(const mc_client_t *c)
{
	return c ? c->quiet_lost_msg : "";
}

/* ---- delete, touch ----------------------------------------------------- */

static mc_status_t mcc_delete(mc_client_t *c, const char *key, size_t klen)
{
	memcached_return_t rc;
	mc_call_t call;
	mc_status_t st;

	if((st = mcc_begin(c, &call, MC_OP_DELETE, key, klen)) != MC_OK)
		return st;
	do {
		if((st = mcc_auth_probe(c, &call)) != MC_OK)
			return st;
		rc = mcc_arm(c, &call) ? memcached_delete_by_key(mcc_smc(c, &call),
										 call.gkey, call.gklen, call.wkey,
										 call.wklen, 0)
							   : MEMCACHED_TIMEOUT;
	} while(mcc_retry_closed(c, &call, rc));
	return mcc_finish(c, &call, rc);
}

mc_status_t mc_delete(mc_client_t *c, const char *key, size_t klen)
{
	return mcc_count(c, mcc_delete(c, key, klen));
}

static mc_status_t mcc_touch(
		mc_client_t *c, const char *key, size_t klen, int64_t expiry)
{
	memcached_return_t rc;
	mc_call_t call;
	mc_status_t st;
	time_t exp = 0;
	uint64_t t0;

	if((st = mcc_begin(c, &call, MC_OP_TOUCH, key, klen)) != MC_OK)
		return st;
	if(mcc_expiry(c, &call, expiry, &exp) != MC_OK)
		return c->status;
	do {
		if((st = mcc_auth_probe(c, &call)) != MC_OK)
			return st;
		if(!mcc_arm(c, &call))
			return mcc_finish(c, &call, MEMCACHED_TIMEOUT);
		t0 = mc_clock_ms();
		rc = memcached_touch_by_key(mcc_smc(c, &call), call.gkey, call.gklen,
				call.wkey, call.wklen, exp);
		/*
		 * libmemcached's touch reports any failure to send, a connect that
		 * timed out included, as WRITE_FAILURE (the cause is not kept).
		 * Refused connects and broken sockets fail at once; one that used
		 * up the whole timeout waited for a slow server: a timeout.
		 */
		if(rc == MEMCACHED_WRITE_FAILURE
				&& mc_clock_ms() - t0 >= call.armed_ms)
			rc = MEMCACHED_TIMEOUT;
	} while(mcc_retry_closed(c, &call, rc));
	return mcc_finish(c, &call, mcc_connect_reason(c, &call, rc));
}

mc_status_t mc_touch(
		mc_client_t *c, const char *key, size_t klen, int64_t expiry)
{
	return mcc_count(c, mcc_touch(c, key, klen, expiry));
}

/* ---- counters ---------------------------------------------------------- */

/* the server's answer to incr/decr on a value that is not a number */
static mc_status_t mcc_not_a_number(
		mc_client_t *c, const mc_call_t *call, mc_status_t st)
{
	if(st != MC_BAD_INPUT)
		return st;
	return mcc_fail(c, MC_BAD_INPUT,
			"%s: value is not a number (store a decimal number "
			"before counting on it)",
			call->subj);
}

/*
 * libmemcached reports the binary protocol's DELTA_BADVAL ("non-numeric
 * value") as UNKNOWN_READ_FAILURE, like a broken stream. Tell them apart on a
 * fresh connection: 1 when the key holds something that is not a number.
 */
static int mcc_binary_nan(mc_client_t *c, mc_call_t *call)
{
	memcached_return_t rc = MEMCACHED_SUCCESS;
	size_t vlen = 0;
	uint32_t flags = 0;
	uint64_t n;
	char *v;
	int nan;

	mcc_drop(c, call);
	if(!mcc_arm(c, call))
		return 0;
	v = memcached_get_by_key(mcc_smc(c, call), call->gkey, call->gklen,
			call->wkey, call->wklen, &vlen, &flags, &rc);
	nan = memcached_success(rc)
		  && mc_value_to_u64(v ? v : "", v ? vlen : 0, &n) != MC_OK;
	free(v);
	return nan;
}

static mc_status_t mcc_delta(
		mc_client_t *c, mc_call_t *call, int up, uint64_t delta, uint64_t *newval)
{
	memcached_return_t rc;
	mc_status_t st;
	uint64_t v = 0;

	do {
		/* before every incr on a new connection (an incr to a server that
		 * wants SASL aborts inside libmemcached): mcc_auth_probe */
		if((st = mcc_auth_probe(c, call)) != MC_OK)
			return st;
		if(!mcc_arm(c, call))
			rc = MEMCACHED_TIMEOUT;
		else if(up)
			rc = memcached_increment_by_key(mcc_smc(c, call), call->gkey,
					call->gklen, call->wkey, call->wklen, delta, &v);
		else
			rc = memcached_decrement_by_key(mcc_smc(c, call), call->gkey,
					call->gklen, call->wkey, call->wklen, delta, &v);
	} while(mcc_retry_closed(c, call, rc));
	if(memcached_success(rc) && newval)
		*newval = v;
	if(c->binary && rc == MEMCACHED_UNKNOWN_READ_FAILURE
			&& mcc_binary_nan(c, call))
		rc = MEMCACHED_CLIENT_ERROR;
	return mcc_not_a_number(c, call, mcc_finish(c, call, rc));
}

/* incr (up = 1) or decr */
static mc_status_t mcc_incr_decr(mc_client_t *c, int up, const char *key,
		size_t klen, uint64_t delta, uint64_t *newval)
{
	mc_call_t call;
	mc_status_t st;

	if((st = mcc_begin(c, &call, up ? MC_OP_INCR : MC_OP_DECR, key, klen))
			!= MC_OK)
		return st;
	return mcc_delta(c, &call, up, delta, newval);
}

mc_status_t mc_incr(mc_client_t *c, const char *key, size_t klen,
		uint64_t delta, uint64_t *newval)
{
	return mcc_count(c, mcc_incr_decr(c, 1, key, klen, delta, newval));
}

mc_status_t mc_decr(mc_client_t *c, const char *key, size_t klen,
		uint64_t delta, uint64_t *newval)
{
	return mcc_count(c, mcc_incr_decr(c, 0, key, klen, delta, newval));
}

/* Rounds of incr-then-add before incr_create gives up on a key that keeps
 * vanishing between the two (each round is two round trips). */
#define MC_INCR_CREATE_ROUNDS 8

static mc_status_t mcc_incr_create(mc_client_t *c, const char *key,
		size_t klen, uint64_t delta, int64_t expiry, uint64_t *newval)
{
	char num[24];
	int n, round;
	mc_call_t call;
	mc_status_t st;
	time_t exp = 0;

	if((st = mcc_begin(c, &call, MC_OP_INCR_CREATE, key, klen)) != MC_OK)
		return st;
	if(mcc_expiry(c, &call, expiry, &exp) != MC_OK)
		return c->status;
	n = snprintf(num, sizeof(num), "%" PRIu64, delta);
	/*
	 * incr; on a miss add at delta; if the add lost to another creator,
	 * incr again. That incr can miss too: the key expired (a per-second
	 * rate-limit key) or was deleted since. So loop, bounded: a
	 * create-or-increment answers a number or an error, never a miss.
	 */
	for(round = 0; round < MC_INCR_CREATE_ROUNDS; round++) {
		st = mcc_delta(c, &call, 1, delta, newval);
		if(st != MC_NOT_FOUND)
			return st;
		st = mcc_finish(c, &call,
				mcc_arm(c, &call) ? memcached_add_by_key(mcc_smc(c, &call),
											call.gkey, call.gklen, call.wkey,
											call.wklen, num, (size_t)n, exp, 0)
								  : MEMCACHED_TIMEOUT);
		if(st == MC_OK) {
			c->counters.sets++; /* created: a store like any other */
			if(newval)
				*newval = delta;
			return st;
		}
		if(st != MC_NOT_STORED)
			return st;
	}
	return mcc_fail(c, MC_ERROR,
			"%s: the key vanished between increment and create %d "
			"times in a row (is something deleting it, or is its expiry "
			"shorter than a round trip?)",
			call.subj, MC_INCR_CREATE_ROUNDS);
}

mc_status_t mc_incr_create(mc_client_t *c, const char *key, size_t klen,
		uint64_t delta, int64_t expiry, uint64_t *newval)
{
	return mcc_count(
			c, mcc_incr_create(c, key, klen, delta, expiry, newval));
}

/* ---- flush ------------------------------------------------------------- */

static memcached_return_t mcc_binary_flush_rc(const memcached_st *mc)
{
	memcached_return_t last = memcached_last_error(mc);

	return memcached_failed(last) ? last : MEMCACHED_SUCCESS;
}

/* Flushes call->srv: MEMCACHED_SUCCESS only once it answered. */
static memcached_return_t mcc_flush_one(mc_client_t *c, mc_call_t *call)
{
	static const char probe[] = "\001mc_core_flush_probe";
	memcached_return_t rc;

	mcc_budget(c, call);
	call->retried = 0;
	do {
		rc = mcc_arm(c, call)
					 ? mcc_srv_rc(c, call, memcached_flush(mcc_smc(c, call), 0))
					 : MEMCACHED_TIMEOUT;
		/* the binary flush answers SUCCESS when it could not read the
		 * reply (a closed connection); the failure stays the last error */
		if(memcached_success(rc) && c->binary)
			rc = mcc_binary_flush_rc(mcc_smc(c, call));
	} while(mcc_retry_closed(c, call, rc));
	/*
	 * The binary flush reads the server's reply but ignores what it says
	 * (and a version round trip is skipped for a server whose version is
	 * known): a delete of a key nobody stores, on the same connection,
	 * answers only after the server has processed the flush.
	 */
	if(memcached_success(rc) && c->binary) {
		rc = mcc_arm(c, call) ? memcached_delete(mcc_smc(c, call), probe,
										sizeof(probe) - 1, 0)
							  : MEMCACHED_TIMEOUT;
		if(rc == MEMCACHED_NOTFOUND)
			rc = MEMCACHED_SUCCESS;
	}
	if(memcached_failed(rc) && mc_result_map(rc).drop)
		mcc_drop(c, call);
	return rc;
}

static mc_status_t mcc_flush(mc_client_t *c)
{
	memcached_return_t rc = MEMCACHED_SUCCESS, irc;
	mc_call_t call;
	size_t i, failed = 0;

	mcc_call_start(c, &call, MC_OP_FLUSH);
	/* every server, each on its own connection; name the one that failed,
	 * a timeout first */
	for(i = 0; i < c->nservers; i++) {
		call.srv = i;
		irc = mcc_flush_one(c, &call);
		if(memcached_failed(irc)
				&& (memcached_success(rc)
						|| (irc == MEMCACHED_TIMEOUT
								&& rc != MEMCACHED_TIMEOUT))) {
			rc = irc;
			failed = i;
		}
	}
	call.srv = failed;
	return mcc_finish(c, &call, rc);
}

mc_status_t mc_flush(mc_client_t *c)
{
	return mcc_count(c, mcc_flush(c));
}
