/*
 * The cache client over libmemcached. One per process (see mc_client.h).
 *
 * Every operation follows the same path: derive the wire key (mc_key.c),
 * pick the server (libmemcached's distribution, then the breaker), make one
 * libmemcached call, map its result in mc_result.c, record the outcome in the
 * server's breaker and leave status + message on the client.
 */
#include <errno.h>
#include <inttypes.h>
#include <netdb.h>
#include <sys/socket.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libmemcached/memcached.h>

#include "mc_breaker.h"
#include "mc_client.h"
#include "mc_client_int.h"
#include "mc_config.h"
#include "mc_key.h"
#include "mc_result.h"
#include "mc_stats.h"
#include "mc_value.h"

#define MC_ERRSTR_MAX 640
#define MC_LOGKEY_SHOW 48 /* key bytes quoted in a message */
#define MC_LOGKEY_MAX (MC_LOGKEY_SHOW * 4 + 32)
#define MC_GROUPKEY_MAX (MC_KEY_MAX + 16)
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
	/* quiet writes sent on the connection and not yet confirmed by a
	 * later reply on it (mc_quiet_confirm), and the last one's subject */
	unsigned long quiet_pending;
	char quiet_last[MC_LOGKEY_MAX + 16];
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
	/* 1 during mc_set_quiet: its set goes out with noreply */
	int quiet;
	/* mc_client_quiet_defer: a quiet set may wait in its connection's send
	 * buffer and leave with the next call on that connection */
	int quiet_defer;
	/* sum of the servers' quiet_pending; the last loss, in words */
	unsigned long quiet_pending;
	char quiet_lost_msg[MC_ERRSTR_MAX + MC_HOST_MAX + 320];

	mc_counters_t counters;
	size_t nservers;
	mc_server_t *servers;

	/* the current call: wire key, routing key and its server */
	char wkey[MC_KEY_MAX];
	size_t wklen;
	char gkey[MC_GROUPKEY_MAX];
	size_t gklen;
	size_t srv;
	const char *op;
	char logkey[MC_LOGKEY_MAX];
	/* the call's budget: it ends by deadline_ms, whatever it has to do;
	 * armed_ms is the wait the last libmemcached call was given */
	uint64_t deadline_ms;
	unsigned int armed_ms;
};

/* ---- messages ---------------------------------------------------------- */

/*
 * Quotes a caller's key for a message: printable ASCII as is, the rest as
 * \xHH, at most MC_LOGKEY_SHOW bytes, then the full length.
 */
static void _key_for_log(char *dst, size_t dstlen, const char *key, size_t klen)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, o = 0, show = klen > MC_LOGKEY_SHOW ? MC_LOGKEY_SHOW : klen;
	unsigned char ch;

	for(i = 0; key != NULL && i < show && o + 5 < dstlen; i++) {
		ch = (unsigned char)key[i];
		if(ch >= 0x20 && ch < 0x7f && ch != '\'' && ch != '\\') {
			dst[o++] = (char)ch;
		} else {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = hex[ch >> 4];
			dst[o++] = hex[ch & 0x0f];
		}
	}
	dst[o] = '\0';
	if(show < klen)
		snprintf(dst + o, dstlen - o, "...' (%zu bytes)", klen);
}


/* Every public operation returns through here: one place counts. */
static mc_status_t _count(mc_client_t *c, mc_status_t st)
{
	if(mc_status_is_error(st))
		c->counters.errors++;
	if(st == MC_TIMEOUT)
		c->counters.timeouts++;
	return st;
}

/*
 * The subject of a message: "op 'key'" (or "op 'key...' (N bytes)" for a
 * long one), or just "op" for calls without a key.
 */
static const char *_subject(mc_client_t *c, char *buf, size_t len)
{
	if(c->logkey[0] == '\0')
		snprintf(buf, len, "%s", c->op);
	else
		snprintf(buf, len, "%s '%s%s", c->op, c->logkey,
				strchr(c->logkey, '\'') ? "" : "'");
	return buf;
}

#define KQ(c) (c)->logkey, (strchr((c)->logkey, '\'') ? "" : "'")

static void _log(mc_client_t *c, mc_log_level_t lvl, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));

static void _log(mc_client_t *c, mc_log_level_t lvl, const char *fmt, ...)
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

static void _srv_name(const mc_server_t *s, char *dst, size_t len)
{
	if(s->host[0] == '/') /* a unix socket */
		snprintf(dst, len, "%s", s->host);
	else
		snprintf(dst, len, strchr(s->host, ':') ? "[%s]:%u" : "%s:%u", s->host,
				s->port);
}

static void _record(mc_client_t *c, mc_status_t st);
static void _drop(mc_client_t *c);
static void _buf_release(mc_client_t *c);

/* The handle of the current call's server (c->srv). */
static memcached_st *_smc(mc_client_t *c)
{
	return c->servers[c->srv].mc;
}

/* Starts the budget of a call (or of one server's share of a call to every
 * server): about twice the timeout, e.g. a slow connect then a slow reply. */
static void _budget(mc_client_t *c)
{
	c->deadline_ms = mc_breaker_now_ms() + 2 * (uint64_t)c->timeout_ms;
}

/*
 * Before each libmemcached call of an operation: gives every wait of that
 * call (connect, each poll) what is left of the budget, at most timeout.
 * libmemcached bounds each wait, not the operation; an operation can make
 * several calls (the binary protocol's probe on a new connection, incx's
 * rounds), so without this a call could wait a multiple of timeout.
 * 0 when nothing is left: the caller reports MEMCACHED_TIMEOUT.
 */
static int _arm(mc_client_t *c)
{
	uint64_t now = mc_breaker_now_ms(), left;

	if(now >= c->deadline_ms)
		return 0;
	left = c->deadline_ms - now;
	if(left > c->timeout_ms)
		left = c->timeout_ms;
	c->armed_ms = (unsigned int)left;
	memcached_behavior_set(_smc(c), MEMCACHED_BEHAVIOR_POLL_TIMEOUT, left);
	memcached_behavior_set(_smc(c), MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT, left);
	return 1;
}

/* libmemcached's texts are upper case ("ITEM TOO BIG") */
static void _lower(char *s)
{
	for(; *s; s++)
		if(*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/* ---- per call ---------------------------------------------------------- */

/*
 * After a call on c->srv: its quiet writes still pending are confirmed by
 * any reply read on the connection after them (memcached handles a
 * connection's requests in order), and lost when the call failed and
 * closed the connection (closed, reset, timed out, out of step: whether
 * memcached read them is unknown): counted in quiet_lost, and the loss put into
 * words for the adapter (mc_client_quiet_lost_msg).
 */
static void _quiet_settle(mc_client_t *c, int failed)
{
	mc_server_t *s;
	char name[MC_HOST_MAX + 16];

	if(c->nservers == 0 || c->quiet_pending == 0)
		return;
	s = &c->servers[c->srv];
	if(s->quiet_pending == 0 || (c->quiet && !failed))
		return; /* a quiet write reads no reply: it confirms nothing */
	if(failed) {
		_srv_name(s, name, sizeof(name));
		c->counters.quiet_lost += s->quiet_pending;
		snprintf(c->quiet_lost_msg, sizeof(c->quiet_lost_msg),
				"%lu quiet write(s) to %s lost, last %s (%s)", s->quiet_pending,
				name, s->quiet_last, c->errstr);
	}
	c->quiet_pending -= s->quiet_pending;
	s->quiet_pending = 0;
}

static mc_status_t _finish(mc_client_t *c, memcached_return_t rc);

/*
 * libmemcached's text get and touch report a connect that failed at once
 * (refused, no route) without its errno: get overwrites the error, touch
 * calls it a write failure. Only then, and only within the call's budget,
 * ask again with a delete of a key nobody stores, whose failure keeps the
 * errno, so the message says why ("connection refused"). A connect that
 * timed out is reported as a timeout already and is not retried.
 */
static memcached_return_t _connect_reason(mc_client_t *c, memcached_return_t rc)
{
	static const char probe[] = "\001mc_core_reason_probe";
	memcached_return_t rrc;

	if(c->binary ||
			(rc != MEMCACHED_CONNECTION_FAILURE &&
					rc != MEMCACHED_WRITE_FAILURE) ||
			memcached_last_error_errno(_smc(c)) != 0 || !_arm(c))
		return rc;
	rrc = memcached_delete(_smc(c), probe, sizeof(probe) - 1, 0);
	if(rrc == MEMCACHED_CONNECTION_FAILURE &&
			memcached_last_error_errno(_smc(c)) != 0)
		return rrc;
	return rc;
}

/* The server refused our credentials, or wants some we do not have. */
static int _is_auth_failure(memcached_return_t rc)
{
	return rc == MEMCACHED_AUTH_FAILURE || rc == MEMCACHED_AUTH_PROBLEM ||
		   rc == MEMCACHED_AUTH_CONTINUE;
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
static mc_status_t _auth_probe(mc_client_t *c)
{
	static const char probe[] = "\001mc_core_auth_probe";
	mc_server_t *s;
	memcached_return_t rc;
	char name[MC_HOST_MAX + 16], subj[MC_LOGKEY_MAX + 32];

	if(!c->binary || c->sasl || c->nservers == 0)
		return MC_OK;
	s = &c->servers[c->srv];
	if(s->auth_ok)
		return MC_OK;
	rc = _arm(c) ? memcached_delete_by_key(_smc(c), c->gkey, c->gklen, probe,
						   sizeof(probe) - 1, 0)
				 : MEMCACHED_TIMEOUT;
	if(_is_auth_failure(rc)) {
		_drop(c);
		_srv_name(s, name, sizeof(name));
		_record(c, MC_ERROR);
		return mcc_fail(c, MC_ERROR,
				"%s: server %s requires SASL authentication (set username "
				"and password)",
				_subject(c, subj, sizeof(subj)), name);
	}
	if(rc != MEMCACHED_NOTFOUND && memcached_failed(rc))
		return _finish(c, rc);
	s->auth_ok = 1;
	return MC_OK;
}

/*
 * Starts a keyed call: derives the wire key and picks its server. Returns
 * MC_OK, MC_BAD_INPUT (empty key), MC_NO_MEMORY, or MC_DISABLED when the
 * server is skipped by its breaker and no live server may take the key.
 */
static mc_status_t _begin(
		mc_client_t *c, const char *op, const char *key, size_t klen)
{
	mc_status_t st;
	mc_server_t *s;
	uint64_t now;
	char name[MC_HOST_MAX + 16];
	size_t i, idx;

	c->op = op;
	_budget(c);
	_buf_release(c);
	_key_for_log(c->logkey, sizeof(c->logkey), key, klen);
	st = mc_key_derive(c->prefix, c->plen, key, klen, c->wkey, &c->wklen, NULL);
	if(st == MC_BAD_INPUT)
		return mcc_fail(c, st, "%s: empty key (give a non-empty key)", op);
	if(st != MC_OK)
		return mcc_fail(
				c, st, "%s '%s%s: out of memory deriving the key", op, KQ(c));
	memcpy(c->gkey, c->wkey, c->wklen);
	c->gklen = c->wklen;
	c->srv = 0;
	if(c->nservers > 1)
		c->srv = memcached_generate_hash(c->mc, c->wkey, c->wklen);
	if(c->srv >= c->nservers)
		c->srv = 0;
	if(c->failure_limit == 0 || c->nservers == 0)
		return MC_OK;

	now = mc_breaker_now_ms();
	s = &c->servers[c->srv];
	if(mc_breaker_allow(&s->br, c->failure_limit, now))
		return MC_OK;

	if(c->redistribute && c->nservers > 1) {
		/*
		 * Rehash "wirekey#n" until a live server comes up: deterministic,
		 * so every process agrees, and keys of live servers never move.
		 */
		for(i = 1; i <= 8 * c->nservers; i++) {
			c->gklen = (size_t)snprintf(c->gkey, sizeof(c->gkey), "%.*s#%zu",
					(int)c->wklen, c->wkey, i);
			idx = memcached_generate_hash(c->mc, c->gkey, c->gklen);
			if(idx < c->nservers && mc_breaker_allow(&c->servers[idx].br,
											c->failure_limit, now)) {
				c->srv = idx;
				return MC_OK;
			}
		}
	}
	_srv_name(s, name, sizeof(name));
	return mcc_fail(c, MC_DISABLED,
			"%s '%s%s: server %s disabled after %u consecutive failures, "
			"retried in %" PRIu64 " s (check memcached there)",
			op, KQ(c), name, s->br.failures,
			(s->br.retry_at_ms - now + 999) / 1000);
}

/* Closes the current call's server's connection: nothing late can be read
 * from it any more. The other servers' connections stay open. */
static void _drop(mc_client_t *c)
{
	if(c->nservers == 0)
		return;
	memcached_quit(_smc(c));
	c->servers[c->srv].auth_ok = 0;
}

/* Breaker bookkeeping after a call that reached for c->srv. */
static void _record(mc_client_t *c, mc_status_t st)
{
	mc_server_t *s;
	mc_breaker_event_t ev;
	char name[MC_HOST_MAX + 16];

	/* only keyed calls judge one server (flush talks to all) */
	if(c->nservers == 0 || c->logkey[0] == '\0')
		return;
	s = &c->servers[c->srv];
	ev = mc_breaker_record(&s->br, st == MC_CONNECTION || st == MC_TIMEOUT,
			c->failure_limit, c->retry_s, mc_breaker_now_ms());
	if(ev == MC_BREAKER_NONE || ev == MC_BREAKER_REOPENED)
		return;
	_srv_name(s, name, sizeof(name));
	if(ev == MC_BREAKER_TRIPPED) {
		c->counters.trips++;
		_log(c, MC_LOG_ERR,
				"memcached server %s disabled after %u consecutive "
				"failures (last: %s); retried in %u s%s",
				name, s->br.failures, c->errstr, c->retry_s,
				c->redistribute && c->nservers > 1
						? ", its keys go to the other servers"
						: "");
	} else {
		_log(c, MC_LOG_INFO, "memcached server %s is back", name);
	}
}

/*
 * Ends a call with libmemcached's rc: maps it, drops the connection when it
 * may be out of step (never read a late reply as the answer to a later
 * request), records the breaker outcome and writes the message.
 */
/* What went wrong, in words, for a failure r of libmemcached call rc on mc
 * ("timeout after N ms", "connection failure (Connection refused)", ...). */
static void _detail(mc_client_t *c, memcached_st *mc, memcached_return_t rc,
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
	_lower(buf);
}

static mc_status_t _finish(mc_client_t *c, memcached_return_t rc)
{
	mc_result_t r = mc_result_map(rc);
	char name[MC_HOST_MAX + 16];
	char detail[160];
	char subj[MC_LOGKEY_MAX + 32];

	/* before _drop: memcached_quit clears the last error and its errno */
	if(mc_status_is_error(r.status))
		_detail(c, c->nservers ? _smc(c) : c->mc, rc, r, detail,
				sizeof(detail));
	if(r.drop)
		_drop(c);

	switch(r.status) {
	case MC_OK:
		mcc_fail(c, MC_OK, NULL);
		break;
	case MC_NOT_FOUND:
		mcc_fail(c, MC_NOT_FOUND, "%s '%s%s: not found", c->op, KQ(c));
		break;
	case MC_NOT_STORED:
		mcc_fail(c, MC_NOT_STORED, "%s '%s%s: not stored", c->op, KQ(c));
		break;
	default:
		name[0] = '\0';
		if(c->nservers)
			_srv_name(&c->servers[c->srv], name, sizeof(name));
		mcc_fail(c, r.status, "%s: %s talking to %s (%s)",
				_subject(c, subj, sizeof(subj)), detail, name, r.hint);
		break;
	}
	_record(c, c->status);
	_quiet_settle(c, r.drop && mc_status_is_error(r.status));
	return c->status;
}

static mc_status_t _expiry(mc_client_t *c, int64_t expiry, time_t *out)
{
	if(expiry == MC_EXPIRY_DEFAULT)
		expiry = c->default_expiry;
	if(expiry < 0 || (uint64_t)expiry > UINT32_MAX)
		return mcc_fail(c, MC_BAD_INPUT,
				"%s '%s%s: bad expiry %" PRId64
				" (expected 0 to 4294967295 seconds; 0 = never)",
				c->op, KQ(c), expiry);
	*out = (time_t)expiry;
	return MC_OK;
}

/* ---- life cycle -------------------------------------------------------- */

static int _behave(memcached_st *mc, memcached_behavior_t b, uint64_t v)
{
	return memcached_success(memcached_behavior_set(mc, b, v));
}

/*
 * host's first address as a numeric string (a unix socket path as it is),
 * malloc'ed; NULL with the reason in why. The one name lookup for host: it
 * happens here, when the client is created, never on a call.
 */
static char *_resolve(const char *host, char *why, size_t whylen)
{
	struct addrinfo hints, *ai = NULL;
	char num[NI_MAXHOST];
	int rc;

	snprintf(why, whylen, "out of memory");
	if(host[0] == '/')
		return strdup(host);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	rc = getaddrinfo(host, NULL, &hints, &ai);
	if(rc != 0 || ai == NULL) {
		snprintf(why, whylen, "%s", gai_strerror(rc));
		return NULL;
	}
	rc = getnameinfo(ai->ai_addr, ai->ai_addrlen, num, sizeof(num), NULL, 0,
			NI_NUMERICHOST);
	freeaddrinfo(ai);
	if(rc != 0) {
		snprintf(why, whylen, "%s", gai_strerror(rc));
		return NULL;
	}
	snprintf(why, whylen, "out of memory");
	return strdup(num);
}

/*
 * A new handle with base's settings (protocol, timeouts, SASL credentials)
 * holding only server s; the caller frees it with memcached_free. NULL when
 * out of memory or the server cannot be added (*rc says which).
 */
static memcached_st *_one_server(
		memcached_st *base, const mc_server_t *s, memcached_return_t *rc)
{
	memcached_st *mc = memcached_clone(NULL, base);

	*rc = MEMCACHED_MEMORY_ALLOCATION_FAILURE;
	if(mc == NULL)
		return NULL;
	memcached_servers_reset(mc);
	if(s->addr[0] == '/')
		*rc = memcached_server_add_unix_socket(mc, s->addr);
	else
		*rc = memcached_server_add(mc, s->addr, (in_port_t)s->port);
	if(memcached_failed(*rc)) {
		memcached_free(mc);
		return NULL;
	}
	return mc;
}

mc_status_t mc_client_new(
		const mc_config_t *cfg, mc_client_t **out, char *err, size_t errlen)
{
	mc_client_t *c = NULL;
	mc_server_addr_t addrs[MC_SERVERS_MAX];
	size_t n = 0, i;
	mc_status_t st = MC_BAD_INPUT;
	char lmerr[512];
	const memcached_instance_st *inst;
	memcached_return_t rc;
	uint64_t tmo;

	if(out)
		*out = NULL;
	if(err && errlen)
		err[0] = '\0';
	if(cfg == NULL || out == NULL || cfg->servers == NULL) {
		mc_errf(err, errlen,
				"servers: not set (expected "
				"host[:port][,host[:port]...] or --...)");
		return MC_BAD_INPUT;
	}
	if(cfg->default_expiry < 0 || (uint64_t)cfg->default_expiry > UINT32_MAX) {
		mc_errf(err, errlen,
				"expire: bad default expiry %" PRId64
				" (expected 0 to 4294967295 seconds; 0 = never)",
				cfg->default_expiry);
		return MC_BAD_INPUT;
	}
	if(cfg->username && cfg->username[0]) {
		if(!cfg->binary) {
			mc_errf(err, errlen,
					"username: SASL needs the binary protocol "
					"(set binary to 1)");
			return MC_BAD_INPUT;
		}
		if(cfg->password == NULL) {
			mc_errf(err, errlen, "password: not set while username is");
			return MC_BAD_INPUT;
		}
	}

	c = calloc(1, sizeof(*c));
	if(c == NULL)
		goto nomem;
	c->timeout_ms = cfg->timeout_ms ? cfg->timeout_ms : MC_DEFAULT_TIMEOUT_MS;
	c->default_expiry = cfg->default_expiry;
	c->max_value =
			cfg->max_value_size ? cfg->max_value_size : MC_DEFAULT_MAX_VALUE;
	c->binary = cfg->binary ? 1 : 0;
	c->failure_limit = cfg->failure_limit;
	c->retry_s = cfg->retry_s;
	c->redistribute = cfg->redistribute ? 1 : 0;
	c->sasl = cfg->username && cfg->username[0];
	c->log = cfg->log;
	c->log_arg = cfg->log_arg;
	if(cfg->prefix && cfg->prefix[0]) {
		c->plen = strlen(cfg->prefix);
		c->prefix = malloc(c->plen);
		if(c->prefix == NULL)
			goto nomem;
		memcpy(c->prefix, cfg->prefix, c->plen);
	}

	if(mc_servers_is_libmemcached_config(cfg->servers)) {
		lmerr[0] = '\0';
		if(memcached_failed(libmemcached_check_configuration(
				   cfg->servers, strlen(cfg->servers), lmerr, sizeof(lmerr)))) {
			mc_errf(err, errlen, "servers: bad libmemcached configuration: %s",
					lmerr);
			goto fail;
		}
		c->mc = memcached(cfg->servers, strlen(cfg->servers));
		if(c->mc == NULL)
			goto nomem;
	} else {
		if(mc_servers_parse(cfg->servers, addrs, MC_SERVERS_MAX, &n, err,
				   errlen) != MC_OK)
			goto fail;
		c->mc = memcached_create(NULL);
		if(c->mc == NULL)
			goto nomem;
		for(i = 0; i < n; i++) {
			if(memcached_failed(
					   addrs[i].host[0] == '/'
							   ? memcached_server_add_unix_socket(
										 c->mc, addrs[i].host)
							   : memcached_server_add(c->mc, addrs[i].host,
										 (in_port_t)addrs[i].port))) {
				mc_errf(err, errlen, "servers: cannot add '%s' (%s)",
						addrs[i].host, memcached_last_error_message(c->mc));
				goto fail;
			}
		}
		/* consistent hashing: removing a server moves only its keys */
		if(n > 1 && (!_behave(c->mc, MEMCACHED_BEHAVIOR_DISTRIBUTION,
							 MEMCACHED_DISTRIBUTION_CONSISTENT_KETAMA) ||
							!_behave(c->mc, MEMCACHED_BEHAVIOR_KETAMA_HASH,
									MEMCACHED_HASH_MD5))) {
			mc_errf(err, errlen, "servers: cannot set ketama distribution");
			goto fail;
		}
	}
	if(memcached_server_count(c->mc) == 0) {
		mc_errf(err, errlen, "servers: no server configured");
		goto fail;
	}

	/*
	 * The timeout bounds connect and every wait for the socket. Our breaker
	 * does the backing off, so libmemcached's own (which would answer
	 * "temporarily disabled" for retry_timeout seconds) is neutralised.
	 */
	tmo = c->timeout_ms;
	if(!_behave(c->mc, MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT, tmo) ||
			!_behave(c->mc, MEMCACHED_BEHAVIOR_POLL_TIMEOUT, tmo) ||
			!_behave(c->mc, MEMCACHED_BEHAVIOR_RCV_TIMEOUT, tmo * 1000) ||
			!_behave(c->mc, MEMCACHED_BEHAVIOR_SND_TIMEOUT, tmo * 1000) ||
			!_behave(c->mc, MEMCACHED_BEHAVIOR_TCP_NODELAY, 1) ||
			!_behave(c->mc, MEMCACHED_BEHAVIOR_SERVER_TIMEOUT_LIMIT,
					UINT32_MAX) ||
			!_behave(c->mc, MEMCACHED_BEHAVIOR_RETRY_TIMEOUT, 0) ||
			(c->binary &&
					!_behave(c->mc, MEMCACHED_BEHAVIOR_BINARY_PROTOCOL, 1))) {
		mc_errf(err, errlen, "cannot set libmemcached behaviour: %s",
				memcached_last_error_message(c->mc));
		goto fail;
	}
	c->binary =
			memcached_behavior_get(c->mc, MEMCACHED_BEHAVIOR_BINARY_PROTOCOL)
					? 1
					: 0;
	if(cfg->username && cfg->username[0]) {
		if(memcached_failed(memcached_set_sasl_auth_data(
				   c->mc, cfg->username, cfg->password))) {
			/* the message names the user, never the password */
			mc_errf(err, errlen, "username: cannot set SASL data for '%s'",
					cfg->username);
			goto fail;
		}
	}

	c->nservers = memcached_server_count(c->mc);
	c->servers = calloc(c->nservers, sizeof(*c->servers));
	if(c->servers == NULL)
		goto nomem;
	for(i = 0; i < c->nservers; i++) {
		inst = memcached_server_instance_by_position(c->mc, (uint32_t)i);
		c->servers[i].host = strdup(memcached_server_name(inst));
		if(c->servers[i].host == NULL)
			goto nomem;
		c->servers[i].port = memcached_server_port(inst);
		c->servers[i].addr = _resolve(c->servers[i].host, lmerr, sizeof(lmerr));
		if(c->servers[i].addr == NULL) {
			mc_errf(err, errlen,
					"servers: cannot resolve '%s' (%s; names are resolved "
					"once, at start-up)",
					c->servers[i].host, lmerr);
			goto fail;
		}
		c->servers[i].mc = _one_server(c->mc, &c->servers[i], &rc);
		if(c->servers[i].mc == NULL) {
			if(rc == MEMCACHED_MEMORY_ALLOCATION_FAILURE)
				goto nomem;
			mc_errf(err, errlen, "servers: cannot add '%s' (%s)",
					c->servers[i].host, memcached_strerror(NULL, rc));
			goto fail;
		}
	}
	*out = c;
	return MC_OK;

nomem:
	st = MC_NO_MEMORY;
	mc_errf(err, errlen, "out of memory creating the memcached client");
fail:
	mc_client_free(c);
	return st;
}

void mc_client_free(mc_client_t *c)
{
	size_t i;

	if(c == NULL)
		return;
	if(c->mc)
		memcached_free(c->mc);
	for(i = 0; c->servers && i < c->nservers; i++) {
		if(c->servers[i].mc)
			memcached_free(c->servers[i].mc);
		free(c->servers[i].host);
		free(c->servers[i].addr);
	}
	free(c->servers);
	free(c->prefix);
	free(c->buf);
	free(c);
}

mc_status_t mc_client_status(const mc_client_t *c)
{
	return c ? c->status : MC_ERROR;
}

const char *mc_client_errstr(const mc_client_t *c)
{
	return c ? c->errstr : "no client";
}

/* ---- operations -------------------------------------------------------- */

/*
 * Frees a value buffer larger than MC_BUF_KEEP: a big value costs memory
 * only until the next call on the client (when it stops being valid).
 */
static void _buf_release(mc_client_t *c)
{
	if(c->bufcap <= MC_BUF_KEEP)
		return;
	free(c->buf);
	c->buf = NULL;
	c->bufcap = 0;
}

static mc_status_t _keep(mc_client_t *c, const char *v, size_t len)
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

/* get, or (out == NULL) only whether the key is there */
static mc_status_t _get(mc_client_t *c, const char *op, const char *key,
		size_t klen, mc_value_t *out)
{
	memcached_return_t rc = MEMCACHED_SUCCESS;
	char *v = NULL;
	size_t vlen = 0;
	uint32_t flags = 0;
	mc_status_t st;

	if(out) {
		out->data = NULL;
		out->len = 0;
		out->flags = 0;
	}
	if((st = _begin(c, op, key, klen)) != MC_OK ||
			(st = _auth_probe(c)) != MC_OK)
		return st;
	if(_arm(c))
		v = memcached_get_by_key(_smc(c), c->gkey, c->gklen, c->wkey, c->wklen,
				&vlen, &flags, &rc);
	else
		rc = MEMCACHED_TIMEOUT;
	st = _finish(c, _connect_reason(c, rc));
	if(st == MC_OK && out && vlen > c->max_value) {
		/* memcached -I may allow more than this client is to hand on */
		free(v);
		return mcc_fail(c, MC_TOO_BIG,
				"%s '%s%s: value of %zu bytes is above the limit of %zu for "
				"reads (raise max_value_size, or store less)",
				op, KQ(c), vlen, c->max_value);
	}
	if(st == MC_OK && out) {
		if(_keep(c, v, v ? vlen : 0) != MC_OK) {
			free(v);
			return mcc_fail(c, MC_NO_MEMORY,
					"%s '%s%s: out of memory copying a value of %zu bytes", op,
					KQ(c), vlen);
		}
		out->data = c->buf;
		out->len = mc_value_unpad(c->buf, v ? vlen : 0);
		out->flags = flags;
		c->buf[out->len] = '\0';
	}
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
	return _count(c, _get(c, "get", key, klen, out));
}

mc_status_t mc_exists(mc_client_t *c, const char *key, size_t klen)
{
	/* a plain get: libmemcached's memcached_exist adds the key */
	return _count(c, _get(c, "exists", key, klen, NULL));
}

static const char *_store_op(mc_store_mode_t mode)
{
	switch(mode) {
	case MC_STORE_SET:
		return "set";
	case MC_STORE_ADD:
		return "add";
	case MC_STORE_REPLACE:
		return "replace";
	case MC_STORE_APPEND:
		return "append";
	case MC_STORE_PREPEND:
		return "prepend";
	}
	return "store";
}

static mc_status_t _do_store(mc_client_t *c, mc_store_mode_t mode,
		const char *key, size_t klen, const char *val, size_t vlen,
		uint32_t flags, int64_t expiry)
{
	const char *op = _store_op(mode);
	memcached_return_t rc = MEMCACHED_FAILURE;
	int buffering;
	mc_status_t st;
	time_t exp = 0;

	if((st = _begin(c, op, key, klen)) != MC_OK)
		return st;
	if(_expiry(c, expiry, &exp) != MC_OK)
		return c->status;
	if(vlen > c->max_value)
		return mcc_fail(c, MC_TOO_BIG,
				"%s '%s%s: value of %zu bytes is above the limit of %zu "
				"(store less, or raise max_value_size and memcached -I)",
				op, KQ(c), vlen, c->max_value);
	if(val == NULL) {
		if(vlen)
			return mcc_fail(c, MC_BAD_INPUT, "%s '%s%s: no value given", op, KQ(c));
		val = "";
	}
	if((st = _auth_probe(c)) != MC_OK)
		return st;
	if(!_arm(c))
		return _finish(c, MEMCACHED_TIMEOUT);
	switch(mode) {
	case MC_STORE_SET:
		/* noreply only around the set itself: the auth probe above must
		 * read its answer */
		if(c->quiet)
			memcached_behavior_set(_smc(c), MEMCACHED_BEHAVIOR_NOREPLY, 1);
		/*
		 * Deferred: the set stays in libmemcached's send buffer and leaves
		 * in one packet with the next request on this connection (its own
		 * send costs the sender as much CPU as a round trip on loopback).
		 * The flag itself, not MEMCACHED_BEHAVIOR_BUFFER_REQUESTS: setting
		 * that behaviour closes every connection of the handle. Text
		 * answers SUCCESS, binary BUFFERED (both mean queued).
		 */
		buffering = _smc(c)->flags.buffer_requests;
		if(c->quiet && c->quiet_defer)
			_smc(c)->flags.buffer_requests = 1;
		rc = memcached_set_by_key(_smc(c), c->gkey, c->gklen, c->wkey, c->wklen,
				val, vlen, exp, flags);
		_smc(c)->flags.buffer_requests = buffering;
		if(c->quiet)
			memcached_behavior_set(_smc(c), MEMCACHED_BEHAVIOR_NOREPLY, 0);
		break;
	case MC_STORE_ADD:
		rc = memcached_add_by_key(_smc(c), c->gkey, c->gklen, c->wkey, c->wklen,
				val, vlen, exp, flags);
		break;
	case MC_STORE_REPLACE:
		rc = memcached_replace_by_key(_smc(c), c->gkey, c->gklen, c->wkey,
				c->wklen, val, vlen, exp, flags);
		break;
	case MC_STORE_APPEND:
		rc = memcached_append_by_key(_smc(c), c->gkey, c->gklen, c->wkey,
				c->wklen, val, vlen, exp, flags);
		break;
	case MC_STORE_PREPEND:
		rc = memcached_prepend_by_key(_smc(c), c->gkey, c->gklen, c->wkey,
				c->wklen, val, vlen, exp, flags);
		break;
	default:
		return mcc_fail(c, MC_BAD_INPUT, "store: unknown mode %d", (int)mode);
	}
	/* binary protocol: replace/append/prepend on a missing key is ENOENT */
	if(mode != MC_STORE_SET && rc == MEMCACHED_NOTFOUND)
		rc = MEMCACHED_NOTSTORED;
	st = _finish(c, rc);
	if(st == MC_OK && c->quiet) {
		c->counters.queued++;
		c->quiet_pending++;
		c->servers[c->srv].quiet_pending++;
		_subject(c, c->servers[c->srv].quiet_last,
				sizeof(c->servers[c->srv].quiet_last));
	} else if(st == MC_OK)
		c->counters.sets++;
	return st;
}

static mc_status_t _do_delete(mc_client_t *c, const char *key, size_t klen)
{
	mc_status_t st;

	if((st = _begin(c, "delete", key, klen)) != MC_OK ||
			(st = _auth_probe(c)) != MC_OK)
		return st;
	if(!_arm(c))
		return _finish(c, MEMCACHED_TIMEOUT);
	return _finish(c, memcached_delete_by_key(_smc(c), c->gkey, c->gklen,
							  c->wkey, c->wklen, 0));
}

static mc_status_t _do_touch(
		mc_client_t *c, const char *key, size_t klen, int64_t expiry)
{
	memcached_return_t rc;
	mc_status_t st;
	time_t exp = 0;
	uint64_t t0;

	if((st = _begin(c, "touch", key, klen)) != MC_OK)
		return st;
	if(_expiry(c, expiry, &exp) != MC_OK)
		return c->status;
	if((st = _auth_probe(c)) != MC_OK)
		return st;
	if(!_arm(c))
		return _finish(c, MEMCACHED_TIMEOUT);
	t0 = mc_breaker_now_ms();
	rc = memcached_touch_by_key(
			_smc(c), c->gkey, c->gklen, c->wkey, c->wklen, exp);
	/*
	 * libmemcached's touch reports any failure to send, a connect that timed
	 * out included, as WRITE_FAILURE (the cause is not kept). Refused
	 * connects and broken sockets fail at once; one that used up the whole
	 * timeout waited for a slow server: a timeout.
	 */
	if(rc == MEMCACHED_WRITE_FAILURE && mc_breaker_now_ms() - t0 >= c->armed_ms)
		rc = MEMCACHED_TIMEOUT;
	return _finish(c, _connect_reason(c, rc));
}

/* the server's answer to incr/decr on a value that is not a number */
static mc_status_t _not_a_number(mc_client_t *c, mc_status_t st)
{
	if(st != MC_BAD_INPUT)
		return st;
	return mcc_fail(c, MC_BAD_INPUT,
			"%s '%s%s: value is not a number (store a decimal number "
			"before counting on it)",
			c->op, KQ(c));
}

/*
 * libmemcached reports the binary protocol's DELTA_BADVAL ("non-numeric
 * value") as UNKNOWN_READ_FAILURE, like a broken stream. Tell them apart on a
 * fresh connection: 1 when the key holds something that is not a number.
 */
static int _binary_nan(mc_client_t *c)
{
	memcached_return_t rc = MEMCACHED_SUCCESS;
	size_t vlen = 0;
	uint32_t flags = 0;
	uint64_t n;
	char *v;
	int nan;

	_drop(c);
	if(!_arm(c))
		return 0;
	v = memcached_get_by_key(
			_smc(c), c->gkey, c->gklen, c->wkey, c->wklen, &vlen, &flags, &rc);
	nan = memcached_success(rc) &&
		  mc_value_to_u64(v ? v : "", v ? vlen : 0, &n) != MC_OK;
	free(v);
	return nan;
}

static mc_status_t _delta(
		mc_client_t *c, int up, uint64_t delta, uint64_t *newval)
{
	memcached_return_t rc;
	uint64_t v = 0;

	if(!_arm(c))
		rc = MEMCACHED_TIMEOUT;
	else if(up)
		rc = memcached_increment_by_key(
				_smc(c), c->gkey, c->gklen, c->wkey, c->wklen, delta, &v);
	else
		rc = memcached_decrement_by_key(
				_smc(c), c->gkey, c->gklen, c->wkey, c->wklen, delta, &v);
	if(memcached_success(rc) && newval)
		*newval = v;
	if(c->binary && rc == MEMCACHED_UNKNOWN_READ_FAILURE && _binary_nan(c))
		rc = MEMCACHED_CLIENT_ERROR;
	return _not_a_number(c, _finish(c, rc));
}

static mc_status_t _do_incr(mc_client_t *c, const char *key, size_t klen,
		uint64_t delta, uint64_t *newval)
{
	mc_status_t st;

	if((st = _begin(c, "incr", key, klen)) != MC_OK ||
			(st = _auth_probe(c)) != MC_OK)
		return st;
	return _delta(c, 1, delta, newval);
}

static mc_status_t _do_decr(mc_client_t *c, const char *key, size_t klen,
		uint64_t delta, uint64_t *newval)
{
	mc_status_t st;

	if((st = _begin(c, "decr", key, klen)) != MC_OK ||
			(st = _auth_probe(c)) != MC_OK)
		return st;
	return _delta(c, 0, delta, newval);
}

/* Rounds of incr-then-add before incr_create gives up on a key that keeps
 * vanishing between the two (each round is two round trips). */
#define MC_INCR_CREATE_ROUNDS 8

static mc_status_t _do_incr_create(mc_client_t *c, const char *key, size_t klen,
		uint64_t delta, int64_t expiry, uint64_t *newval)
{
	char num[24];
	int n, round;
	mc_status_t st;
	time_t exp = 0;

	if((st = _begin(c, "incr", key, klen)) != MC_OK)
		return st;
	if(_expiry(c, expiry, &exp) != MC_OK)
		return c->status;
	if((st = _auth_probe(c)) != MC_OK)
		return st;
	n = snprintf(num, sizeof(num), "%" PRIu64, delta);
	/*
	 * incr; on a miss add at delta; if the add lost to another creator,
	 * incr again. That incr can miss too: the key expired (a per-second
	 * rate-limit key) or was deleted since. So loop, bounded: a
	 * create-or-increment answers a number or an error, never a miss.
	 */
	for(round = 0; round < MC_INCR_CREATE_ROUNDS; round++) {
		st = _delta(c, 1, delta, newval);
		if(st != MC_NOT_FOUND)
			return st;
		st = _finish(
				c, _arm(c) ? memcached_add_by_key(_smc(c), c->gkey, c->gklen,
									 c->wkey, c->wklen, num, (size_t)n, exp, 0)
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
			"incr '%s%s: the key vanished between increment and create %d "
			"times in a row (is something deleting it, or is its expiry "
			"shorter than a round trip?)",
			KQ(c), MC_INCR_CREATE_ROUNDS);
}

/*
 * The result of a call on the current server's own handle: libmemcached
 * answers SOME_ERRORS for calls that go to "every" server (flush, version);
 * with one server, its own error is the one that counts.
 */
static memcached_return_t _srv_rc(mc_client_t *c, memcached_return_t rc)
{
	if(rc != MEMCACHED_SOME_ERRORS)
		return rc;
	rc = memcached_server_error_return(
			memcached_server_instance_by_position(_smc(c), 0));
	return memcached_failed(rc) ? rc : MEMCACHED_SOME_ERRORS;
}

/* Flushes the current server: MEMCACHED_SUCCESS only once it answered. */
static memcached_return_t _flush_one(mc_client_t *c)
{
	static const char probe[] = "\001mc_core_flush_probe";
	memcached_return_t rc;

	_budget(c);
	if(!_arm(c))
		return MEMCACHED_TIMEOUT;
	rc = _srv_rc(c, memcached_flush(_smc(c), 0));
	/*
	 * The binary flush reads the server's reply but ignores what it says
	 * (and a version round trip is skipped for a server whose version is
	 * known): a delete of a key nobody stores, on the same connection,
	 * answers only after the server has processed the flush.
	 */
	if(memcached_success(rc) && c->binary) {
		rc = _arm(c) ? memcached_delete(_smc(c), probe, sizeof(probe) - 1, 0)
					 : MEMCACHED_TIMEOUT;
		if(rc == MEMCACHED_NOTFOUND)
			rc = MEMCACHED_SUCCESS;
	}
	if(memcached_failed(rc) && mc_result_map(rc).drop)
		_drop(c);
	return rc;
}

static mc_status_t _do_flush(mc_client_t *c)
{
	memcached_return_t rc = MEMCACHED_SUCCESS, irc;
	size_t i, failed = 0;

	c->op = "flush";
	_buf_release(c);
	c->logkey[0] = '\0';
	/* every server, each on its own connection; name the one that failed,
	 * a timeout first */
	for(i = 0; i < c->nservers; i++) {
		c->srv = i;
		irc = _flush_one(c);
		if(memcached_failed(irc) &&
				(memcached_success(rc) || (irc == MEMCACHED_TIMEOUT &&
												  rc != MEMCACHED_TIMEOUT))) {
			rc = irc;
			failed = i;
		}
	}
	c->srv = failed;
	return _finish(c, rc);
}

/* public entry points: the work above, counted once */
mc_status_t mc_store(mc_client_t *c, mc_store_mode_t mode, const char *key,
		size_t klen, const char *val, size_t vlen, uint32_t flags,
		int64_t expiry)
{
	return _count(c, _do_store(c, mode, key, klen, val, vlen, flags, expiry));
}

mc_status_t mc_set_quiet(mc_client_t *c, const char *key, size_t klen,
		const char *val, size_t vlen, uint32_t flags, int64_t expiry)
{
	mc_status_t st;

	c->quiet = 1;
	st = _do_store(c, MC_STORE_SET, key, klen, val, vlen, flags, expiry);
	c->quiet = 0;
	return _count(c, st);
}

/* One round trip to c->srv behind its quiet writes: a delete of a key
 * mc_key_derive never produces (a control character), answered NOTFOUND. */
static mc_status_t _confirm_one(mc_client_t *c)
{
	static const char probe[] = "\001mc_core_quiet_probe";
	memcached_return_t rc;

	_budget(c);
	rc = _arm(c) ? memcached_delete(_smc(c), probe, sizeof(probe) - 1, 0)
				 : MEMCACHED_TIMEOUT;
	if(rc == MEMCACHED_NOTFOUND)
		rc = MEMCACHED_SUCCESS;
	return _finish(c, rc);
}

mc_status_t mc_quiet_confirm(mc_client_t *c)
{
	mc_status_t st, first = MC_OK;
	size_t i;

	if(c == NULL || c->quiet_pending == 0)
		return MC_OK;
	c->op = "confirm";
	_buf_release(c);
	for(i = 0; i < c->nservers && c->quiet_pending > 0; i++) {
		if(c->servers[i].quiet_pending == 0)
			continue;
		c->srv = i;
		/* the breaker and messages see the last quiet write's key */
		snprintf(c->logkey, sizeof(c->logkey), "%s", "(quiet writes)");
		st = _confirm_one(c);
		if(st != MC_OK && first == MC_OK)
			first = st;
	}
	return _count(c, first);
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

mc_status_t mc_delete(mc_client_t *c, const char *key, size_t klen)
{
	return _count(c, _do_delete(c, key, klen));
}

mc_status_t mc_touch(
		mc_client_t *c, const char *key, size_t klen, int64_t expiry)
{
	return _count(c, _do_touch(c, key, klen, expiry));
}

mc_status_t mc_incr(mc_client_t *c, const char *key, size_t klen,
		uint64_t delta, uint64_t *newval)
{
	return _count(c, _do_incr(c, key, klen, delta, newval));
}

mc_status_t mc_decr(mc_client_t *c, const char *key, size_t klen,
		uint64_t delta, uint64_t *newval)
{
	return _count(c, _do_decr(c, key, klen, delta, newval));
}

mc_status_t mc_incr_create(mc_client_t *c, const char *key, size_t klen,
		uint64_t delta, int64_t expiry, uint64_t *newval)
{
	return _count(c, _do_incr_create(c, key, klen, delta, expiry, newval));
}

mc_status_t mc_flush(mc_client_t *c)
{
	return _count(c, _do_flush(c));
}

mc_status_t mc_client_probe(mc_client_t *c, mc_probe_fn fn, void *arg)
{
	memcached_return_t irc;
	mc_status_t st, first = MC_OK;
	char name[MC_HOST_MAX + 16];
	size_t i;

	if(c == NULL)
		return MC_BAD_INPUT;
	c->op = "probe";
	_buf_release(c);
	c->logkey[0] = '\0'; /* no key: _finish leaves the breakers alone */
	for(i = 0; i < c->nservers; i++) {
		c->srv = i;
		_budget(c);
		irc = _arm(c) ? _srv_rc(c, memcached_version(_smc(c)))
					  : MEMCACHED_TIMEOUT;
		st = _finish(c, irc);
		if(st != MC_OK && first == MC_OK)
			first = st;
		if(fn != NULL) {
			_srv_name(&c->servers[i], name, sizeof(name));
			fn(name, st, st != MC_OK && _is_auth_failure(irc), c->errstr, arg);
		}
	}
	return first; /* _finish closed each failed server's connection */
}

/* ---- a server's own statistics ---------------------------------------- */

typedef struct mc_stats_walk {
	mc_stats_fn fn;
	void *arg;
	size_t seen;
	int stop;
} mc_stats_walk_t;

/* memcached_stat_execute callback: one statistic, passed on NUL-terminated
 * (long names and values are cut; memcached's are short). */
static memcached_return_t _stat_one(const memcached_instance_st *inst,
		const char *key, size_t klen, const char *value, size_t vlen, void *ctx)
{
	mc_stats_walk_t *w = (mc_stats_walk_t *)ctx;
	char name[128], val[512];

	(void)inst;
	w->seen++;
	if(w->stop)
		return MEMCACHED_SUCCESS; /* read the rest: stay in step */
	snprintf(name, sizeof(name), "%.*s", (int)klen, key ? key : "");
	snprintf(val, sizeof(val), "%.*s", (int)vlen, value ? value : "");
	w->stop = w->fn(name, val, w->arg) != 0;
	return MEMCACHED_SUCCESS;
}

/*
 * Binary protocol (and so SASL): libmemcached's stats over a clone of c's
 * settings (protocol, timeouts, SASL credentials) holding only this server,
 * freed at once; c's own connections never carry it.
 */
static mc_status_t _binary_stats(
		mc_client_t *c, const mc_server_t *s, mc_stats_fn fn, void *arg)
{
	memcached_st *mc = NULL;
	memcached_return_t rc;
	mc_stats_walk_t w = {fn, arg, 0, 0};
	char name[MC_HOST_MAX + 16], detail[160];
	mc_status_t st;

	_srv_name(s, name, sizeof(name));
	mc = _one_server(c->mc, s, &rc);
	if(mc == NULL && rc == MEMCACHED_MEMORY_ALLOCATION_FAILURE)
		return mcc_fail(c, MC_NO_MEMORY, "stats: out of memory for %s", name);
	if(mc != NULL)
		rc = memcached_stat_execute(mc, NULL, _stat_one, &w);
	if(memcached_failed(rc)) {
		mc_result_t r = mc_result_map(rc);

		_detail(c, mc, rc, r, detail, sizeof(detail));
		st = mcc_fail(c, r.status, "stats: %s talking to %s (%s)", detail, name,
				r.hint);
	} else if(w.seen == 0) {
		/* a SASL server answers a client without credentials with an
		 * error libmemcached reads as "no statistics" */
		st = mcc_fail(c, MC_ERROR,
				"stats: no statistics from %s (does it require SASL "
				"authentication? set username and password)",
				name);
	} else {
		st = mcc_fail(c, MC_OK, NULL);
	}
	memcached_free(mc);
	return st;
}

static mc_status_t _server_stats(
		mc_client_t *c, size_t index, mc_stats_fn fn, void *arg)
{
	char err[MC_ERRSTR_MAX];
	mc_status_t st;

	c->op = "stats";
	_buf_release(c);
	c->logkey[0] = '\0';
	if(index >= c->nservers || fn == NULL)
		return mcc_fail(c, MC_BAD_INPUT, "stats: no server %zu", index);
	if(c->binary)
		return _binary_stats(c, &c->servers[index], fn, arg);
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
	return _count(c, _server_stats(c, index, fn, arg));
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
	out->state = mc_breaker_state_at(&s->br, mc_breaker_now_ms());
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

/* ---- for mc_batch.c (mc_client_int.h) -------------------------------- */

mc_status_t mcc_route(mc_client_t *c, const char *op, const char *key,
		size_t klen, size_t *srv, char *wkey, size_t *wklen)
{
	mc_status_t st = _begin(c, op, key, klen);

	if(st != MC_OK)
		return st;
	*srv = c->srv;
	memcpy(wkey, c->wkey, c->wklen);
	*wklen = c->wklen;
	return MC_OK;
}

mc_status_t mcc_mget_server(mc_client_t *c, size_t srv, const char *logkey,
		size_t logklen, const char *const *wkeys, const size_t *wklens,
		size_t n, mcc_fetch_fn fn, void *arg)
{
	memcached_result_st res, *r;
	memcached_return_t rc;
	mc_status_t st;

	c->op = "mget";
	c->srv = srv;
	_budget(c);
	_key_for_log(c->logkey, sizeof(c->logkey), logkey, logklen);
	/* the auth probe routes by c->gkey: any key of this server will do */
	memcpy(c->gkey, wkeys[0], wklens[0]);
	c->gklen = wklens[0];
	if((st = _auth_probe(c)) != MC_OK)
		return st;
	if(!_arm(c))
		return _finish(c, MEMCACHED_TIMEOUT);
	rc = memcached_mget(_smc(c), wkeys, wklens, n);
	if(memcached_failed(rc))
		return _finish(c, rc);
	if(memcached_result_create(_smc(c), &res) == NULL) {
		_drop(c); /* replies are on their way: never read them later */
		return mcc_fail(c, MC_NO_MEMORY, "mget '%s%s: out of memory", KQ(c));
	}
	/* every reply is read, whatever fn does with it: the connection stays
	 * in step; each wait gets what is left of the budget */
	for(;;) {
		if(!_arm(c)) {
			rc = MEMCACHED_TIMEOUT;
			break;
		}
		r = memcached_fetch_result(_smc(c), &res, &rc);
		if(r == NULL)
			break;
		fn(arg, memcached_result_key_value(r), memcached_result_key_length(r),
				memcached_result_value(r), memcached_result_length(r),
				memcached_result_flags(r));
	}
	memcached_result_free(&res);
	/* the end of the replies reads as END, or NOTFOUND when libmemcached
	 * has nothing more (measured: also after every key was found) */
	if(rc == MEMCACHED_END || rc == MEMCACHED_NOTFOUND)
		rc = MEMCACHED_SUCCESS;
	return _finish(c, rc);
}

size_t mcc_max_value(const mc_client_t *c)
{
	return c->max_value;
}

void mcc_count_reads(mc_client_t *c, unsigned long hits, unsigned long misses)
{
	c->counters.hits += hits;
	c->counters.misses += misses;
}

mc_status_t mcc_fail(mc_client_t *c, mc_status_t st, const char *fmt, ...)
{
	va_list ap;

	c->status = st;
	if(fmt == NULL) {
		c->errstr[0] = '\0';
		return st;
	}
	va_start(ap, fmt);
	vsnprintf(c->errstr, sizeof(c->errstr), fmt, ap);
	va_end(ap);
	return st;
}

mc_status_t mcc_count(mc_client_t *c, mc_status_t st)
{
	return _count(c, st);
}
