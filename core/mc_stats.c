/*
 * mc_server_stats: a server's own "stats" through libmemcached, over a
 * text-protocol handle of its own that lives for one call. See mc_stats.h.
 *
 * No socket code here: libmemcached connects, sends and reads, with the
 * timeouts mc_client_new sets on the client's handles, and
 * memcached_stat_execute walks the reply. What libmemcached does not do,
 * this file does:
 * - the call's budget: libmemcached bounds each wait, not the whole call,
 *   so each statistic read gives the next wait only what is left of about
 *   twice the timeout, as the client does for its calls (a server sending
 *   its reply a line at a time cannot hold the RPC process);
 * - a failure of the stats reply after the version round trip, which
 *   memcached_stat_execute answers with success (memcached_server_execute
 *   drops the per-server result), and an error line where the statistics
 *   should be, which it reads as an empty list.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <libmemcached/memcached.h>

#include "mc_clock.h"
#include "mc_config.h"
#include "mc_result.h"
#include "mc_stats.h"

#define MC_STATS_DEFAULT_TIMEOUT_MS 500

typedef struct mc_stats_walk {
	mc_stats_fn fn;
	void *arg;
	size_t seen;
	int stop;
	memcached_st *mc;		 /* the call's handle, whose waits are armed */
	unsigned int timeout_ms; /* one wait at most */
	uint64_t deadline_ms;	 /* the call's end: about twice timeout_ms */
} mc_stats_walk_t;

/* Gives w->mc's next waits what is left of the call's budget, at most the
 * timeout. Once it is spent the wait is 0, which libmemcached answers with
 * MEMCACHED_TIMEOUT at once (bytes already read are still parsed). */
static void mcs_arm(mc_stats_walk_t *w)
{
	uint64_t now = mc_clock_ms(), left;

	left = now < w->deadline_ms ? w->deadline_ms - now : 0;
	if(left > w->timeout_ms)
		left = w->timeout_ms;
	memcached_behavior_set(w->mc, MEMCACHED_BEHAVIOR_POLL_TIMEOUT, left);
}

/* memcached_stat_execute callback: one statistic, passed on NUL-terminated
 * (long names and values are cut; memcached's are short). libmemcached
 * ignores what this returns, so a stop only stops the calls to fn; the rest
 * of the reply is read, and the handle is freed right after. */
static memcached_return_t mcs_one(const memcached_instance_st *inst,
		const char *key, size_t klen, const char *value, size_t vlen, void *ctx)
{
	mc_stats_walk_t *w = (mc_stats_walk_t *)ctx;
	char name[128], val[512];

	(void)inst;
	w->seen++;
	mcs_arm(w);
	if(w->stop)
		return MEMCACHED_SUCCESS;
	snprintf(name, sizeof(name), "%.*s", (int)klen, key ? key : "");
	snprintf(val, sizeof(val), "%.*s", (int)vlen, value ? value : "");
	w->stop = w->fn(name, val, w->arg) != 0;
	return MEMCACHED_SUCCESS;
}

/*
 * A text-protocol handle holding only host:port, with the timeouts the
 * client sets on its own (mc_client_new): timeout_ms bounds connect and
 * every wait for the socket; no libmemcached back-off. NULL with *rc on
 * failure. The caller frees it with memcached_free.
 */
static memcached_st *mcs_handle(const char *host, unsigned int port,
		unsigned int timeout_ms, memcached_return_t *rc)
{
	const memcached_behavior_t b[] = {MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT,
			MEMCACHED_BEHAVIOR_POLL_TIMEOUT, MEMCACHED_BEHAVIOR_RCV_TIMEOUT,
			MEMCACHED_BEHAVIOR_SND_TIMEOUT, MEMCACHED_BEHAVIOR_RETRY_TIMEOUT};
	const uint64_t v[] = {timeout_ms, timeout_ms, timeout_ms * 1000ULL,
			timeout_ms * 1000ULL, 0};
	memcached_st *mc = memcached_create(NULL);
	size_t i;

	*rc = MEMCACHED_MEMORY_ALLOCATION_FAILURE;
	if(mc == NULL)
		return NULL;
	for(i = 0; i < sizeof(b) / sizeof(b[0]); i++)
		if(memcached_failed(*rc = memcached_behavior_set(mc, b[i], v[i])))
			goto fail;
	if(host[0] == '/')
		*rc = memcached_server_add_unix_socket(mc, host);
	else
		*rc = memcached_server_add(mc, host, (in_port_t)port);
	if(memcached_success(*rc))
		return mc;
fail:
	memcached_free(mc);
	return NULL;
}

/* libmemcached's failure rc on mc (NULL: no handle) as a status, with the
 * message in the client's words: "stats: timeout after 100 ms talking to
 * 10.0.0.1:11211 (server slow or unreachable; ...)". */
static mc_status_t mcs_fail(memcached_st *mc, memcached_return_t rc,
		const char *name, unsigned int timeout_ms, char *err, size_t errlen)
{
	mc_result_t r = mc_result_map(rc);
	int eno = mc ? memcached_last_error_errno(mc) : 0;
	char detail[160], *p;

	if(r.status == MC_TIMEOUT)
		snprintf(detail, sizeof(detail), "timeout after %u ms", timeout_ms);
	else if(eno != 0 && r.status == MC_CONNECTION)
		snprintf(detail, sizeof(detail), "%s (%s)", memcached_strerror(mc, rc),
				strerror(eno));
	else
		snprintf(detail, sizeof(detail), "%s", memcached_strerror(mc, rc));
	for(p = detail; *p; p++)
		if(*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	mc_errf(err, errlen, "stats: %s talking to %s (%s)", detail, name, r.hint);
	return r.status == MC_OK ? MC_ERROR : r.status;
}

mc_status_t mc_stats_read(memcached_st *mc, const char *name,
		unsigned int timeout_ms, mc_stats_fn fn, void *arg, char *err,
		size_t errlen)
{
	mc_stats_walk_t w = {fn, arg, 0, 0, mc, timeout_ms, 0};
	memcached_return_t rc;

	w.deadline_ms = mc_clock_ms() + 2 * (uint64_t)timeout_ms;
	/* connects; memcached_stat_execute starts with it, done here so that
	 * the stats reply gets what is left of the budget */
	rc = memcached_version(mc);
	if(memcached_fatal(rc)) {
		rc = memcached_last_error(mc);
	} else {
		mcs_arm(&w);
		rc = memcached_stat_execute(mc, NULL, mcs_one, &w);
		/* success even when the stats reply failed: the handle is new, so
		 * an error on it is this reply's */
		if(memcached_success(rc))
			rc = memcached_last_error(mc);
	}
	if(rc == MEMCACHED_MEMORY_ALLOCATION_FAILURE) {
		mc_errf(err, errlen, "stats: out of memory for %s", name);
		return MC_NO_MEMORY;
	}
	if(rc == MEMCACHED_INVALID_ARGUMENTS) {
		/* how libmemcached reads the server's "ERROR" (we send no
		 * arguments) */
		mc_errf(err, errlen, "stats: %s answered ERROR to stats", name);
		return MC_ERROR;
	}
	if(memcached_failed(rc))
		return mcs_fail(mc, rc, name, timeout_ms, err, errlen);
	if(w.seen == 0) {
		/* an error line (SERVER_ERROR ...) where the statistics should be,
		 * which libmemcached reads as an empty list */
		mc_errf(err, errlen, "stats: no statistics from %s", name);
		return MC_ERROR;
	}
	return MC_OK;
}

mc_status_t mc_server_stats(const char *host, unsigned int port,
		unsigned int timeout_ms, mc_stats_fn fn, void *arg, char *err,
		size_t errlen)
{
	memcached_st *mc;
	memcached_return_t rc;
	char name[MC_SERVER_NAME_MAX];
	mc_status_t st;

	if(err && errlen)
		err[0] = '\0';
	if(host == NULL || host[0] == '\0' || fn == NULL) {
		mc_errf(err, errlen, "stats: no server given");
		return MC_BAD_INPUT;
	}
	if(timeout_ms == 0)
		timeout_ms = MC_STATS_DEFAULT_TIMEOUT_MS;
	mc_server_addr_format(name, sizeof(name), host, port);
	mc = mcs_handle(host, port, timeout_ms, &rc);
	if(mc == NULL && rc == MEMCACHED_MEMORY_ALLOCATION_FAILURE) {
		mc_errf(err, errlen, "stats: out of memory for %s", name);
		return MC_NO_MEMORY;
	}
	if(mc == NULL)
		return mcs_fail(NULL, rc, name, timeout_ms, err, errlen);
	st = mc_stats_read(mc, name, timeout_ms, fn, arg, err, errlen);
	memcached_free(mc);
	return st;
}
