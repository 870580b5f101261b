/*
 * RPC commands (kamcmd / kamctl rpc through ctl or jsonrpcs):
 *   memcached.get key              value (struct: key, value, flags)
 *   memcached.set key value [exp]  stores a string value
 *   memcached.delete key
 *   memcached.inc key [delta]      new value (delta 1 by default)
 *   memcached.servers              each server, breaker state, failures
 *   memcached.stats                each server's own "stats"
 *   memcached.flush confirm        flushes every server
 * Errors are faults: 404 missing key, 400 bad input, 500 server trouble,
 * with the reason. RPC runs in the ctl/jsonrpcs process: its client is this
 * process's own (created on first use, see mc_mod_client), so what
 * memcached.servers shows is the breaker as seen by that process.
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/dprint.h"
#include "core/rpc.h"
#include "core/rpc_lookup.h"

#include "mc_config.h"
#include "mc_mod.h"
#include "mc_rpc.h"

/* Sends the fault for a failed operation (status already logged). */
static void mc_rpc_fault(
		rpc_t *rpc, void *ctx, mc_client_t *c, mc_status_t st, str *key)
{
	const char *msg = c != NULL ? mc_client_errstr(c) : NULL;

	if(msg == NULL || msg[0] == '\0')
		msg = mc_strerror(st);
	switch(st) {
	case MC_NOT_FOUND:
		rpc->fault(ctx, 404, "key '%.*s' not found", key->len, key->s);
		break;
	case MC_NOT_STORED:
		rpc->fault(ctx, 409, "key '%.*s' not stored", key->len, key->s);
		break;
	case MC_BAD_INPUT:
	case MC_TOO_BIG:
		rpc->fault(ctx, 400, "%s", msg);
		break;
	default:
		rpc->fault(ctx, 500, "%s", msg);
		break;
	}
}

/*
 * Ends an operation on key: mc_mod_done counts and logs st like a script
 * call; anything but MC_OK is answered with its fault. 1 when st is MC_OK,
 * else 0 (the fault is sent).
 */
static int mc_rpc_done(rpc_t *rpc, void *ctx, mc_client_t *c, mc_mod_op_t op,
		mc_status_t st, str *key)
{
	if(mc_mod_done(c, op, st, key->s, key->len) == MC_RET_OK)
		return 1;
	mc_rpc_fault(rpc, ctx, c, st, key);
	return 0;
}

/* Refuses a negative argument before any operation: recorded and logged
 * like a script's refusal (mc_mod_fail), fault 400. */
static void mc_rpc_negative(rpc_t *rpc, void *ctx, mc_mod_op_t op, str *key,
		const char *what, int n)
{
	char reason[32];

	snprintf(reason, sizeof(reason), "negative %s", what);
	mc_mod_fail(op, key->s, key->len, reason);
	rpc->fault(ctx, 400, "negative %s %d", what, n);
}

/* This process's client, or a fault. */
static mc_client_t *mc_rpc_client(rpc_t *rpc, void *ctx)
{
	mc_client_t *c = mc_mod_client();

	if(c == NULL)
		rpc->fault(ctx, 500, "no memcached client in this process");
	return c;
}

/* The only argument, the key, and this process's client; NULL after a
 * fault (400 missing key, 500 no client). */
static mc_client_t *mc_rpc_key_client(rpc_t *rpc, void *ctx, str *key)
{
	if(rpc->scan(ctx, ".S", key) < 1) {
		rpc->fault(ctx, 400, "missing key");
		return NULL;
	}
	return mc_rpc_client(rpc, ctx);
}

static const char *mc_rpc_get_doc[] = {
		"Reads a key: its value (an integer when integer-flagged and the "
		"canonical decimal of a 32-bit int, else the bytes as a string) and "
		"flags.",
		0};

static void mc_rpc_get(rpc_t *rpc, void *ctx)
{
	mc_client_t *c;
	mc_value_t v;
	mc_status_t st;
	str key = STR_NULL;
	str val;
	void *th;
	int64_t n;

	if((c = mc_rpc_key_client(rpc, ctx, &key)) == NULL)
		return;
	memset(&v, 0, sizeof(v));
	st = mc_get(c, key.s, key.len, &v);
	if(!mc_rpc_done(rpc, ctx, c, MC_OP_GET, st, &key))
		return;
	if(rpc->add(ctx, "{", &th) < 0)
		return;
	val.s = (char *)v.data;
	val.len = (int)v.len;
	/* RPC "d" is a C int on every Kamailio: numbers within it only */
	if(mc_mod_value_int(&v, 0, INT_MIN, INT_MAX, &n))
		rpc->struct_add(th, "Sdu", "key", &key, "value", (int)n, "flags",
				(unsigned int)v.flags);
	else
		rpc->struct_add(th, "SSu", "key", &key, "value", &val, "flags",
				(unsigned int)v.flags);
}

static const char *mc_rpc_set_doc[] = {
		"Stores a string value: key value [expire seconds, default the "
		"expire param].",
		0};

static void mc_rpc_set(rpc_t *rpc, void *ctx)
{
	mc_client_t *c;
	mc_status_t st;
	str key = STR_NULL, val = STR_NULL;
	int expiry = -1;
	int64_t exp = MC_EXPIRY_DEFAULT;

	if(rpc->scan(ctx, ".S.S*d", &key, &val, &expiry) < 2) {
		rpc->fault(ctx, 400, "usage: memcached.set key value [expire]");
		return;
	}
	if(expiry != -1 && mc_mod_expiry(expiry, &exp) < 0) {
		mc_rpc_negative(rpc, ctx, MC_OP_SET, &key, "expiry", expiry);
		return;
	}
	if((c = mc_rpc_client(rpc, ctx)) == NULL)
		return;
	st = mc_store(c, MC_STORE_SET, key.s, key.len, val.s, val.len,
			MC_FLAG_STRING, exp);
	if(!mc_rpc_done(rpc, ctx, c, MC_OP_SET, st, &key))
		return;
	rpc->add(ctx, "s", "stored");
}

static const char *mc_rpc_delete_doc[] = {"Deletes a key.", 0};

static void mc_rpc_delete(rpc_t *rpc, void *ctx)
{
	mc_client_t *c;
	mc_status_t st;
	str key = STR_NULL;

	if((c = mc_rpc_key_client(rpc, ctx, &key)) == NULL)
		return;
	st = mc_delete(c, key.s, key.len);
	if(!mc_rpc_done(rpc, ctx, c, MC_OP_DELETE, st, &key))
		return;
	rpc->add(ctx, "s", "deleted");
}

static const char *mc_rpc_inc_doc[] = {
		"Increments a counter: key [delta, default 1]; returns the new value.",
		0};

static void mc_rpc_inc(rpc_t *rpc, void *ctx)
{
	mc_client_t *c;
	mc_status_t st;
	str key = STR_NULL;
	int delta = 1;
	uint64_t nv = 0;

	if(rpc->scan(ctx, ".S*d", &key, &delta) < 1) {
		rpc->fault(ctx, 400, "usage: memcached.inc key [delta]");
		return;
	}
	if(delta < 0) {
		mc_rpc_negative(rpc, ctx, MC_OP_INCR, &key, "delta", delta);
		return;
	}
	if((c = mc_rpc_client(rpc, ctx)) == NULL)
		return;
	st = mc_incr(c, key.s, key.len, (uint64_t)delta, &nv);
	if(!mc_rpc_done(rpc, ctx, c, MC_OP_INCR, st, &key))
		return;
	if(nv <= (uint64_t)INT32_MAX)
		rpc->add(ctx, "d", (int)nv);
	else
		rpc->rpl_printf(ctx, "%llu", (unsigned long long)nv);
}

static const char *mc_rpc_breaker_names[] = {
		[MC_BREAKER_CLOSED] = "closed",
		[MC_BREAKER_OPEN] = "open",
		[MC_BREAKER_HALF_OPEN] = "half-open",
};

/* What a per-server command adds to server i's struct th. */
typedef void (*mc_rpc_server_f)(rpc_t *rpc, void *th, mc_client_t *c,
		size_t i, const mc_server_info_t *si);

/* One struct per server of this process's client, filled by f; a fault
 * when there is no client. */
static void mc_rpc_each_server(rpc_t *rpc, void *ctx, mc_rpc_server_f f)
{
	mc_client_t *c;
	mc_server_info_t si;
	size_t i, n;
	void *th;

	if((c = mc_rpc_client(rpc, ctx)) == NULL)
		return;
	n = mc_client_server_count(c);
	for(i = 0; i < n; i++) {
		if(mc_client_server_info(c, i, &si) != MC_OK)
			continue;
		if(rpc->add(ctx, "{", &th) < 0)
			return;
		f(rpc, th, c, i, &si);
	}
}

static const char *mc_rpc_servers_doc[] = {
		"Lists the servers with the circuit breaker state, consecutive "
		"failures and trips (as seen by the RPC process).",
		0};

static void mc_rpc_server_row(rpc_t *rpc, void *th, mc_client_t *c, size_t i,
		const mc_server_info_t *si)
{
	const char *state;

	(void)c;
	(void)i;
	state = (size_t)si->state < sizeof(mc_rpc_breaker_names) /
										sizeof(mc_rpc_breaker_names[0])
					? mc_rpc_breaker_names[si->state]
					: "?";
	rpc->struct_add(th, "sdssdd", "host", si->host, "port", (int)si->port,
			"state", state, "enabled",
			si->state == MC_BREAKER_OPEN ? "no" : "yes", "failures",
			(int)si->failures, "trips", (int)si->trips);
}

static void mc_rpc_servers(rpc_t *rpc, void *ctx)
{
	mc_rpc_each_server(rpc, ctx, mc_rpc_server_row);
}

typedef struct mc_rpc_stats_walk {
	rpc_t *rpc;
	void *th;
} mc_rpc_stats_walk_t;

static int mc_rpc_stat(const char *name, const char *value, void *arg)
{
	mc_rpc_stats_walk_t *w = (mc_rpc_stats_walk_t *)arg;

	w->rpc->struct_add(w->th, "s", name, value);
	return 0;
}

static const char *mc_rpc_stats_doc[] = {
		"Each server's own statistics (memcached's \"stats\"); over the "
		"binary protocol with the SASL credentials when binary is 1.",
		0};

static void mc_rpc_server_stats_row(rpc_t *rpc, void *th, mc_client_t *c,
		size_t i, const mc_server_info_t *si)
{
	mc_rpc_stats_walk_t w;
	mc_status_t st;
	char name[MC_SERVER_NAME_MAX];

	rpc->struct_add(th, "sd", "server", si->host, "port", (int)si->port);
	w.rpc = rpc;
	w.th = th;
	st = mc_client_server_stats(c, i, mc_rpc_stat, &w);
	/* counted and logged (rate-limited) like any other failure */
	mc_server_addr_format(name, sizeof(name), si->host, si->port);
	if(mc_mod_done(c, MC_OP_STATS, st, name, strlen(name)) != MC_RET_OK)
		rpc->struct_add(th, "s", "error",
				mc_client_errstr(c)[0] ? mc_client_errstr(c) : mc_strerror(st));
}

static void mc_rpc_stats(rpc_t *rpc, void *ctx)
{
	mc_rpc_each_server(rpc, ctx, mc_rpc_server_stats_row);
}

static const char *mc_rpc_flush_doc[] = {
		"Flushes every server (all keys, not only this module's prefix). "
		"Guarded: needs the argument \"confirm\".",
		0};

static void mc_rpc_flush(rpc_t *rpc, void *ctx)
{
	mc_client_t *c;
	mc_status_t st;
	str confirm = STR_NULL;
	str all = str_init("*");

	if(rpc->scan(ctx, "*.S", &confirm) < 1 || confirm.len != 7 ||
			memcmp(confirm.s, "confirm", 7) != 0) {
		rpc->fault(ctx, 400,
				"memcached.flush deletes every key on every server: run "
				"'memcached.flush confirm'");
		return;
	}
	if((c = mc_rpc_client(rpc, ctx)) == NULL)
		return;
	st = mc_flush(c);
	if(!mc_rpc_done(rpc, ctx, c, MC_OP_FLUSH, st, &all))
		return;
	LM_INFO("memcached.flush: every server flushed (by RPC)\n");
	rpc->add(ctx, "s", "flushed");
}

/* clang-format off */
static rpc_export_t mc_rpc_cmds[] = {
	{"memcached.get",     mc_rpc_get,     mc_rpc_get_doc,     0},
	{"memcached.set",     mc_rpc_set,     mc_rpc_set_doc,     0},
	{"memcached.delete",  mc_rpc_delete,  mc_rpc_delete_doc,  0},
	{"memcached.inc",     mc_rpc_inc,     mc_rpc_inc_doc,     0},
	{"memcached.servers", mc_rpc_servers, mc_rpc_servers_doc, RET_ARRAY},
	{"memcached.stats",   mc_rpc_stats,   mc_rpc_stats_doc,   RET_ARRAY},
	{"memcached.flush",   mc_rpc_flush,   mc_rpc_flush_doc,   0},
	{0, 0, 0, 0}
};
/* clang-format on */

int mc_rpc_register(void)
{
	if(rpc_register_array(mc_rpc_cmds) != 0) {
		LM_ERR("cannot register the memcached RPC commands\n");
		return -1;
	}
	return 0;
}
