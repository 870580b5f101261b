/*
 * What the client tells about its servers (mc_client.h): the start-up
 * probe, a server's own statistics (memcached's "stats"), the servers'
 * breaker states, and the client's counters.
 */
#include <stdio.h>
#include <string.h>

#include "mc_client_int.h"
#include "mc_stats.h"

/* ---- start-up probe ---------------------------------------------------- */

mc_status_t mc_client_probe(mc_client_t *c, mc_probe_fn fn, void *arg)
{
	memcached_return_t irc;
	mc_status_t st, first = MC_OK;
	char name[MC_SRVNAME_MAX];
	mc_call_t call;
	size_t i;

	if(c == NULL)
		return MC_BAD_INPUT;
	/* no key: mcc_finish leaves the breakers alone */
	mcc_call_start(c, &call, MC_OP_PROBE);
	for(i = 0; i < c->nservers; i++) {
		call.srv = i;
		mcc_budget(c, &call);
		irc = mcc_arm(c, &call)
					  ? mcc_srv_rc(c, &call, memcached_version(mcc_smc(c, &call)))
					  : MEMCACHED_TIMEOUT;
		st = mcc_finish(c, &call, irc);
		if(st != MC_OK && first == MC_OK)
			first = st;
		if(fn != NULL) {
			mcc_srv_name(&c->servers[i], name, sizeof(name));
			fn(name, st, st != MC_OK && mcc_is_auth_failure(irc), c->errstr,
					arg);
		}
	}
	return first; /* mcc_finish closed each failed server's connection */
}

/* ---- a server's own statistics ---------------------------------------- */

/*
 * Binary protocol (and so SASL): the read over a clone of c's settings
 * (protocol, timeouts, SASL credentials) holding only this server, freed at
 * once; c's own connections never carry it.
 */
static mc_status_t mcc_binary_stats(
		mc_client_t *c, const mc_server_t *s, mc_stats_fn fn, void *arg)
{
	memcached_st *mc;
	memcached_return_t rc;
	char name[MC_SRVNAME_MAX], err[MC_ERRSTR_MAX];
	mc_status_t st;

	mcc_srv_name(s, name, sizeof(name));
	mc = mcc_one_server(c->mc, s, &rc);
	if(mc == NULL && rc == MEMCACHED_MEMORY_ALLOCATION_FAILURE)
		return mcc_fail(c, MC_NO_MEMORY, "stats: out of memory for %s", name);
	if(mc == NULL)
		return mcc_fail(c, MC_ERROR, "stats: cannot address %s (%s)", name,
				memcached_strerror(NULL, rc));
	err[0] = '\0';
	st = mc_stats_read(mc, name, c->timeout_ms, fn, arg, err, sizeof(err));
	memcached_free(mc);
	if(st == MC_ERROR && strstr(err, "no statistics") != NULL)
		/* a SASL server answers a client without credentials with an
		 * error libmemcached reads as "no statistics" */
		return mcc_fail(c, st,
				"%s (does it require SASL authentication? set username and "
				"password)",
				err);
	return st == MC_OK ? mcc_fail(c, MC_OK, NULL) : mcc_fail(c, st, "%s", err);
}

static mc_status_t mcc_server_stats(
		mc_client_t *c, size_t index, mc_stats_fn fn, void *arg)
{
	char err[MC_ERRSTR_MAX];
	mc_call_t call;
	mc_status_t st;

	mcc_call_start(c, &call, MC_OP_STATS);
	if(index >= c->nservers || fn == NULL)
		return mcc_fail(c, MC_BAD_INPUT, "stats: no server %zu", index);
	if(c->binary)
		return mcc_binary_stats(c, &c->servers[index], fn, arg);
	err[0] = '\0';
	/* the address resolved at creation: no name lookup on a call */
	st = mc_server_stats(c->servers[index].addr, c->servers[index].port,
			c->timeout_ms, fn, arg, err, sizeof(err));
	if(st == MC_OK)
		return mcc_fail(c, MC_OK, NULL);
	return mcc_fail(c, st, "%s", err);
}

mc_status_t mc_client_server_stats(
		mc_client_t *c, size_t index, mc_stats_fn fn, void *arg)
{
	if(c == NULL)
		return MC_BAD_INPUT;
	return mcc_count(c, mcc_server_stats(c, index, fn, arg));
}

/* ---- state ------------------------------------------------------------- */

size_t mc_client_server_count(const mc_client_t *c)
{
	return c ? c->nservers : 0;
}

mc_status_t mc_client_server_info(
		const mc_client_t *c, size_t index, mc_server_info_t *out)
{
	const mc_server_t *s;

	if(c == NULL || out == NULL || index >= c->nservers)
		return MC_BAD_INPUT;
	s = &c->servers[index];
	out->host = s->host;
	out->port = s->port;
	out->state = mc_breaker_state_at(&s->br, mc_clock_ms());
	out->failures = s->br.failures;
	out->trips = s->br.trips;
	return MC_OK;
}

void mc_client_counters(const mc_client_t *c, mc_counters_t *out)
{
	if(c == NULL) {
		memset(out, 0, sizeof(*out));
		return;
	}
	*out = c->counters;
}
