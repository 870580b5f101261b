/*
 * One call from begin to finish (mc_client_int.h): every operation follows
 * the same path: derive the wire key (mc_key.c), pick the server
 * (libmemcached's distribution, then the breaker), make its libmemcached
 * calls within the call's budget, map the result in mc_result.c, record the
 * outcome in the server's breaker and leave status + message on the client.
 * The call's state is the caller's mc_call_t; the client keeps only what
 * outlives the call (breakers, counters, status, pending quiet writes).
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc_client_int.h"

/* ---- messages ---------------------------------------------------------- */

/* Every public operation returns through here: one place counts. */
mc_status_t mcc_count(mc_client_t *c, mc_status_t st)
{
	if(mc_status_is_error(st))
		c->counters.errors++;
	if(st == MC_TIMEOUT)
		c->counters.timeouts++;
	return st;
}

static void mcc_log(mc_client_t *c, mc_log_level_t lvl, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));

static void mcc_log(mc_client_t *c, mc_log_level_t lvl, const char *fmt, ...)
{
	char msg[MC_ERRSTR_MAX];
	va_list ap;

	if(c->log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->log(lvl, msg, c->log_arg);
}

/* libmemcached's texts are upper case ("ITEM TOO BIG") */
static void mcc_lower(char *s)
{
	for(; *s; s++)
		if(*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/* ---- start, budget ----------------------------------------------------- */

/*
 * Frees a value buffer larger than MC_BUF_KEEP: a big value costs memory
 * only until the next call on the client (when it stops being valid).
 */
static void mcc_buf_release(mc_client_t *c)
{
	if(c->bufcap <= MC_BUF_KEEP)
		return;
	free(c->buf);
	c->buf = NULL;
	c->bufcap = 0;
}

void mcc_call_start(mc_client_t *c, mc_call_t *call, mc_op_t op)
{
	call->op = op;
	call->keyed = 0;
	call->quiet = 0;
	call->retried = 0;
	call->srv = 0;
	call->wklen = 0;
	call->gklen = 0;
	snprintf(call->subj, sizeof(call->subj), "%s", mc_op_name(op));
	mcc_budget(c, call);
	mcc_buf_release(c);
}

void mcc_call_key(mc_call_t *call, const char *key, size_t klen)
{
	char logkey[MC_KEY_LOG_MAX];

	call->keyed = 1;
	if(klen == 0) /* an empty key: the message says so */
		snprintf(call->subj, sizeof(call->subj), "%s", mc_op_name(call->op));
	else
		snprintf(call->subj, sizeof(call->subj), "%s '%s'",
				mc_op_name(call->op),
				mc_key_format_for_log(logkey, sizeof(logkey), key, klen));
}

void mcc_budget(mc_client_t *c, mc_call_t *call)
{
	call->deadline_ms = mc_clock_ms() + 2 * (uint64_t)c->timeout_ms;
}

/*
 * libmemcached bounds each wait, not the operation; an operation can make
 * several calls (the binary protocol's probe on a new connection, incx's
 * rounds), so without this a call could wait a multiple of timeout.
 */
int mcc_arm(mc_client_t *c, mc_call_t *call)
{
	uint64_t now = mc_clock_ms(), left;

	if(now >= call->deadline_ms)
		return 0;
	left = call->deadline_ms - now;
	if(left > c->timeout_ms)
		left = c->timeout_ms;
	call->armed_ms = (unsigned int)left;
	memcached_behavior_set(
			mcc_smc(c, call), MEMCACHED_BEHAVIOR_POLL_TIMEOUT, left);
	memcached_behavior_set(
			mcc_smc(c, call), MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT, left);
	return 1;
}

/* ---- begin: key and server --------------------------------------------- */

/*
 * The key's server is skipped by its breaker: rehash "wirekey#n" until a
 * live server comes up: deterministic, so every process agrees, and keys
 * of live servers never move. 1 with call->srv and call->gkey set, or 0.
 */
static int mcc_redistribute(mc_client_t *c, mc_call_t *call, uint64_t now)
{
	size_t i, idx;

	if(!c->redistribute || c->nservers <= 1)
		return 0;
	for(i = 1; i <= 8 * c->nservers; i++) {
		call->gklen = (size_t)snprintf(call->gkey, sizeof(call->gkey),
				"%.*s#%zu", (int)call->wklen, call->wkey, i);
		idx = memcached_generate_hash(c->mc, call->gkey, call->gklen);
		if(idx < c->nservers
				&& mc_breaker_allow(&c->servers[idx].br, c->failure_limit, now)) {
			call->srv = idx;
			return 1;
		}
	}
	return 0;
}

/* Picks the server of call's wire key: distribution, then the breaker. */
static mc_status_t mcc_route(mc_client_t *c, mc_call_t *call)
{
	mc_server_t *s;
	uint64_t now;
	char name[MC_SRVNAME_MAX];

	memcpy(call->gkey, call->wkey, call->wklen);
	call->gklen = call->wklen;
	call->srv = 0;
	if(c->nservers > 1)
		call->srv = memcached_generate_hash(c->mc, call->wkey, call->wklen);
	if(call->srv >= c->nservers)
		call->srv = 0;
	if(c->failure_limit == 0 || c->nservers == 0)
		return MC_OK;

	now = mc_clock_ms();
	s = &c->servers[call->srv];
	if(mc_breaker_allow(&s->br, c->failure_limit, now)
			|| mcc_redistribute(c, call, now))
		return MC_OK;
	mcc_srv_name(s, name, sizeof(name));
	return mcc_fail(c, MC_DISABLED,
			"%s: server %s disabled after %u consecutive failures, "
			"retried in %" PRIu64 " s (check memcached there)",
			call->subj, name, s->br.failures,
			(s->br.retry_at_ms - now + 999) / 1000);
}

mc_status_t mcc_begin(mc_client_t *c, mc_call_t *call, mc_op_t op,
		const char *key, size_t klen)
{
	mc_status_t st;

	mcc_call_start(c, call, op);
	mcc_call_key(call, key, klen);
	st = mc_key_derive(c->prefix, c->plen, key, klen, call->wkey, &call->wklen,
			NULL);
	if(st == MC_BAD_INPUT)
		return mcc_fail(c, st, "%s: empty key (give a non-empty key)",
				mc_op_name(op));
	if(st != MC_OK)
		return mcc_fail(
				c, st, "%s: out of memory deriving the key", call->subj);
	return mcc_route(c, call);
}

/* ---- connection trouble ------------------------------------------------ */

static void mcc_record(mc_client_t *c, const mc_call_t *call, mc_status_t st);

void mcc_drop(mc_client_t *c, const mc_call_t *call)
{
	if(c->nservers == 0)
		return;
	memcached_quit(mcc_smc(c, call));
	c->servers[call->srv].auth_ok = 0;
	c->servers[call->srv].live = 0;
}

/*
 * libmemcached's text get and touch report a connect that failed at once
 * (refused, no route) without its errno: get overwrites the error, touch
 * calls it a write failure. Only then, and only within the call's budget,
 * ask again with a delete of a key nobody stores, whose failure keeps the
 * errno, so the message says why ("connection refused"). A connect that
 * timed out is reported as a timeout already and is not retried.
 */
memcached_return_t mcc_connect_reason(
		mc_client_t *c, mc_call_t *call, memcached_return_t rc)
{
	static const char probe[] = "\001mc_core_reason_probe";
	memcached_return_t rrc;

	if(c->binary
			|| (rc != MEMCACHED_CONNECTION_FAILURE
					&& rc != MEMCACHED_WRITE_FAILURE)
			|| memcached_last_error_errno(mcc_smc(c, call)) != 0
			|| !mcc_arm(c, call))
		return rc;
	rrc = memcached_delete(mcc_smc(c, call), probe, sizeof(probe) - 1, 0);
	if(rrc == MEMCACHED_CONNECTION_FAILURE
			&& memcached_last_error_errno(mcc_smc(c, call)) != 0)
		return rrc;
	return rc;
}

int mcc_is_auth_failure(memcached_return_t rc)
{
	return rc == MEMCACHED_AUTH_FAILURE || rc == MEMCACHED_AUTH_PROBLEM
		   || rc == MEMCACHED_AUTH_CONTINUE;
}

/*
 * A binary client without credentials talking to a server that requires
 * SASL gets no clear answer from libmemcached: a get reads as a miss, and
 * an incr/decr trips an assertion inside libmemcached that aborts the whole
 * process. So before the first keyed call on each connection, delete a key
 * that mc_key_derive can never produce (it has a control character): a
 * miss means the server serves us, an authentication error is reported as
 * such and nothing else is sent. A delete, not a touch: libmemcached's
 * touch reports every failure to send (a connect refused or timed out) as
 * WRITE_FAILURE, losing the timeout and the errno; its delete keeps them.
 */
mc_status_t mcc_auth_probe(mc_client_t *c, mc_call_t *call)
{
	static const char probe[] = "\001mc_core_auth_probe";
	mc_server_t *s;
	memcached_return_t rc;
	char name[MC_SRVNAME_MAX];

	if(!c->binary || c->sasl || c->nservers == 0)
		return MC_OK;
	s = &c->servers[call->srv];
	if(s->auth_ok)
		return MC_OK;
	rc = mcc_arm(c, call)
				 ? memcached_delete_by_key(mcc_smc(c, call), call->gkey,
						 call->gklen, probe, sizeof(probe) - 1, 0)
				 : MEMCACHED_TIMEOUT;
	if(mcc_is_auth_failure(rc)) {
		mcc_drop(c, call);
		mcc_srv_name(s, name, sizeof(name));
		mcc_record(c, call, MC_ERROR);
		return mcc_fail(c, MC_ERROR,
				"%s: server %s requires SASL authentication (set username "
				"and password)",
				call->subj, name);
	}
	if(rc != MEMCACHED_NOTFOUND && memcached_failed(rc))
		return mcc_finish(c, call, rc);
	s->auth_ok = 1;
	return MC_OK;
}

/*
 * libmemcached answers SOME_ERRORS for calls that go to "every" server
 * (flush, version); with one server, its own error is the one that counts.
 */
memcached_return_t mcc_srv_rc(
		mc_client_t *c, const mc_call_t *call, memcached_return_t rc)
{
	if(rc != MEMCACHED_SOME_ERRORS)
		return rc;
	rc = memcached_server_error_return(
			memcached_server_instance_by_position(mcc_smc(c, call), 0));
	return memcached_failed(rc) ? rc : MEMCACHED_SOME_ERRORS;
}

/* ---- finish ------------------------------------------------------------ */

/* Breaker bookkeeping after a call that reached for call->srv. */
static void mcc_record(mc_client_t *c, const mc_call_t *call, mc_status_t st)
{
	mc_server_t *s;
	mc_breaker_event_t ev;
	char name[MC_SRVNAME_MAX];

	/* only keyed calls judge one server (flush talks to all) */
	if(c->nservers == 0 || !call->keyed)
		return;
	s = &c->servers[call->srv];
	ev = mc_breaker_record(&s->br, st == MC_CONNECTION || st == MC_TIMEOUT,
			c->failure_limit, c->retry_s, mc_clock_ms());
	if(ev == MC_BREAKER_NONE || ev == MC_BREAKER_REOPENED)
		return;
	mcc_srv_name(s, name, sizeof(name));
	if(ev == MC_BREAKER_TRIPPED) {
		c->counters.trips++;
		mcc_log(c, MC_LOG_ERR,
				"memcached server %s disabled after %u consecutive "
				"failures (last: %s); retried in %u s%s",
				name, s->br.failures, c->errstr, c->retry_s,
				c->redistribute && c->nservers > 1
						? ", its keys go to the other servers"
						: "");
	} else {
		mcc_log(c, MC_LOG_INFO, "memcached server %s is back", name);
	}
}

/*
 * After a call on call->srv: its quiet writes still pending are confirmed
 * by any reply read on the connection after them (memcached handles a
 * connection's requests in order), and lost when the call failed and
 * closed the connection (closed, reset, timed out, out of step: whether
 * memcached read them is unknown): counted in quiet_lost, and the loss put
 * into words for the adapter (mc_client_quiet_lost_msg).
 */
static void mcc_quiet_settle(mc_client_t *c, const mc_call_t *call,
		int failed, const char *why)
{
	mc_server_t *s;
	char name[MC_SRVNAME_MAX];

	if(c->nservers == 0 || c->quiet_pending == 0)
		return;
	s = &c->servers[call->srv];
	if(s->quiet_pending == 0 || (call->quiet && !failed))
		return; /* a quiet write reads no reply: it confirms nothing */
	if(failed) {
		mcc_srv_name(s, name, sizeof(name));
		c->counters.quiet_lost += s->quiet_pending;
		snprintf(c->quiet_lost_msg, sizeof(c->quiet_lost_msg),
				"%lu quiet write(s) to %s lost, last %s (%s)", s->quiet_pending,
				name, s->quiet_last, why);
	}
	c->quiet_pending -= s->quiet_pending;
	s->quiet_pending = 0;
}

void mcc_detail(mc_client_t *c, memcached_st *mc, memcached_return_t rc,
		mc_result_t r, char *buf, size_t len)
{
	int eno = memcached_last_error_errno(mc);

	if(r.status == MC_TIMEOUT)
		snprintf(buf, len, "timeout after %u ms", c->timeout_ms);
	else if(eno != 0 && r.status == MC_CONNECTION)
		snprintf(
				buf, len, "%s (%s)", memcached_strerror(mc, rc), strerror(eno));
	else
		snprintf(buf, len, "%s", memcached_strerror(mc, rc));
	mcc_lower(buf);
}

/* call->srv answered on its connection; after mcc_retry_closed, say so
 * (once a restart, per process): a failed retry says why in its error */
static void mcc_live(mc_client_t *c, const mc_call_t *call)
{
	char name[MC_SRVNAME_MAX];

	c->servers[call->srv].live = 1;
	if(!call->retried)
		return;
	mcc_srv_name(&c->servers[call->srv], name, sizeof(name));
	mcc_log(c, MC_LOG_INFO,
			"memcached server %s had closed the connection (restarted?): "
			"%s was made again on a new connection",
			name, call->subj);
}

/* Never read a late reply as the answer to a later request: a connection
 * that may be out of step is dropped. */
mc_status_t mcc_finish(mc_client_t *c, mc_call_t *call, memcached_return_t rc)
{
	mc_result_t r = mc_result_map(rc);
	char name[MC_SRVNAME_MAX];
	char detail[160];

	/* before mcc_drop: memcached_quit clears the last error and its errno */
	if(mc_status_is_error(r.status))
		mcc_detail(c, c->nservers ? mcc_smc(c, call) : c->mc, rc, r, detail,
				sizeof(detail));
	if(r.drop)
		mcc_drop(c, call);

	switch(r.status) {
	case MC_OK:
		mcc_fail(c, MC_OK, NULL);
		break;
	case MC_NOT_FOUND:
		mcc_fail(c, MC_NOT_FOUND, "%s: not found", call->subj);
		break;
	case MC_NOT_STORED:
		mcc_fail(c, MC_NOT_STORED, "%s: not stored", call->subj);
		break;
	default:
		name[0] = '\0';
		if(c->nservers)
			mcc_srv_name(&c->servers[call->srv], name, sizeof(name));
		mcc_fail(c, r.status, "%s: %s talking to %s (%s)", call->subj, detail,
				name, r.hint);
		break;
	}
	mcc_record(c, call, c->status);
	mcc_quiet_settle(
			c, call, r.drop && mc_status_is_error(r.status), c->errstr);
	if(c->nservers && !r.drop && !call->quiet)
		mcc_live(c, call);
	return c->status;
}

/* ---- a connection the server closed ------------------------------------ */

/*
 * rc says the connection broke: what libmemcached answers when its read
 * finds the connection closed (CONNECTION_FAILURE; measured: text and
 * binary, every operation), or a reset (read or write failure). Not a
 * timeout, not an answer that began (PARTIAL_READ), and not the binary
 * protocol's UNKNOWN_READ_FAILURE, which is also how libmemcached reports
 * incr on a value that is not a number (mcc_binary_nan).
 */
static int mcc_is_closed_stream(const mc_client_t *c, memcached_return_t rc)
{
	switch(rc) {
	case MEMCACHED_CONNECTION_FAILURE:
	case MEMCACHED_WRITE_FAILURE:
	case MEMCACHED_READ_FAILURE:
	case MEMCACHED_ERRNO:
		return 1;
	case MEMCACHED_UNKNOWN_READ_FAILURE:
		return !c->binary;
	default:
		return 0;
	}
}

/*
 * memcached closes every connection when it restarts (and idle ones, with
 * -o idle_timeout), and libmemcached finds out only when the next call on
 * one reads: the kernel took its request, the read finds the connection
 * closed. No memcached acted on that request: the process that closed the
 * connection read nothing more from it (unless it died while working on
 * it, a window of microseconds, and then its data died with it, save with
 * memcached's warm restart, -e). So the call is made once more, on a new
 * connection, before it counts as a failure (ndb_redis re-sends a command
 * after a lost connection the same way): a restart costs no failed call
 * and trips no breaker. Only a broken stream on a connection that had
 * answered before qualifies; a timeout (a slow server) and a failed connect
 * (a server down) fail at once as before. Quiet writes still unconfirmed on
 * the closed connection are lost, and counted so first.
 * 1 when the caller is to make its libmemcached call again (arming it).
 */
int mcc_retry_closed(mc_client_t *c, mc_call_t *call, memcached_return_t rc)
{
	mc_server_t *s;
	char why[160];

	if(c->nservers == 0 || call->retried || !mcc_is_closed_stream(c, rc))
		return 0;
	s = &c->servers[call->srv];
	if(!s->live)
		return 0;
	call->retried = 1;
	mcc_detail(c, mcc_smc(c, call), rc, mc_result_map(rc), why, sizeof(why));
	mcc_quiet_settle(c, call, 1, why);
	mcc_drop(c, call);
	return 1;
}

mc_status_t mcc_expiry(
		mc_client_t *c, const mc_call_t *call, int64_t expiry, time_t *out)
{
	if(expiry == MC_EXPIRY_DEFAULT)
		expiry = c->default_expiry;
	if(expiry < 0 || (uint64_t)expiry > UINT32_MAX)
		return mcc_fail(c, MC_BAD_INPUT,
				"%s: bad expiry %" PRId64
				" (expected 0 to 4294967295 seconds; 0 = never)",
				call->subj, expiry);
	*out = (time_t)expiry;
	return MC_OK;
}
