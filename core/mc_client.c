/*
 * The client's life cycle (mc_client.h): checks the configuration, builds
 * the libmemcached handle with its behaviours (timeouts, protocol, SASL,
 * distribution), resolves and clones one handle per server, frees it all;
 * and the client's status and message. One per process.
 */
#include <inttypes.h>
#include <netdb.h>
#include <sys/socket.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc_client_int.h"

/* ---- status and message ------------------------------------------------ */

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

mc_status_t mc_client_status(const mc_client_t *c)
{
	return c ? c->status : MC_ERROR;
}

const char *mc_client_errstr(const mc_client_t *c)
{
	return c ? c->errstr : "no client";
}

void mcc_srv_name(const mc_server_t *s, char *dst, size_t len)
{
	mc_server_addr_format(dst, len, s->host, s->port);
}

/* ---- the servers ------------------------------------------------------- */

/*
 * host's first address as a numeric string (a unix socket path as it is),
 * malloc'ed; NULL with the reason in why. The one name lookup for host: it
 * happens here, when the client is created, never on a call.
 */
static char *mcc_resolve(const char *host, char *why, size_t whylen)
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

memcached_st *mcc_one_server(
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

/*
 * Server i of c->mc: its name and port, its address resolved once, its own
 * handle. MC_OK, MC_BAD_INPUT (err written) or MC_NO_MEMORY.
 */
static mc_status_t mcc_server_init(
		mc_client_t *c, size_t i, char *err, size_t errlen)
{
	const memcached_instance_st *inst;
	mc_server_t *s = &c->servers[i];
	memcached_return_t rc;
	char why[512];

	inst = memcached_server_instance_by_position(c->mc, (uint32_t)i);
	s->host = strdup(memcached_server_name(inst));
	if(s->host == NULL)
		return MC_NO_MEMORY;
	s->port = memcached_server_port(inst);
	s->addr = mcc_resolve(s->host, why, sizeof(why));
	if(s->addr == NULL) {
		mc_errf(err, errlen,
				"servers: cannot resolve '%s' (%s; names are resolved "
				"once, at start-up)",
				s->host, why);
		return MC_BAD_INPUT;
	}
	s->mc = mcc_one_server(c->mc, s, &rc);
	if(s->mc != NULL)
		return MC_OK;
	if(rc == MEMCACHED_MEMORY_ALLOCATION_FAILURE)
		return MC_NO_MEMORY;
	mc_errf(err, errlen, "servers: cannot add '%s' (%s)", s->host,
			memcached_strerror(NULL, rc));
	return MC_BAD_INPUT;
}

static mc_status_t mcc_servers_init(mc_client_t *c, char *err, size_t errlen)
{
	mc_status_t st;
	size_t i;

	c->nservers = memcached_server_count(c->mc);
	c->servers = calloc(c->nservers, sizeof(*c->servers));
	if(c->servers == NULL)
		return MC_NO_MEMORY;
	for(i = 0; i < c->nservers; i++)
		if((st = mcc_server_init(c, i, err, errlen)) != MC_OK)
			return st;
	return MC_OK;
}

/* ---- the libmemcached handle ------------------------------------------- */

static int mcc_behave(memcached_st *mc, memcached_behavior_t b, uint64_t v)
{
	return memcached_success(memcached_behavior_set(mc, b, v));
}

/* servers in libmemcached's own configuration language ("--SERVER=...") */
static mc_status_t mcc_handle_from_config(
		mc_client_t *c, const char *servers, char *err, size_t errlen)
{
	char lmerr[512];

	lmerr[0] = '\0';
	if(memcached_failed(libmemcached_check_configuration(
			   servers, strlen(servers), lmerr, sizeof(lmerr)))) {
		mc_errf(err, errlen, "servers: bad libmemcached configuration: %s",
				lmerr);
		return MC_BAD_INPUT;
	}
	c->mc = memcached(servers, strlen(servers));
	return c->mc == NULL ? MC_NO_MEMORY : MC_OK;
}

/* servers as "host[:port][,host[:port]...]" (mc_config.h) */
static mc_status_t mcc_handle_from_list(
		mc_client_t *c, const char *servers, char *err, size_t errlen)
{
	mc_server_addr_t addrs[MC_SERVERS_MAX];
	memcached_return_t rc;
	size_t n = 0, i;

	if(mc_servers_parse(servers, addrs, MC_SERVERS_MAX, &n, err, errlen)
			!= MC_OK)
		return MC_BAD_INPUT;
	c->mc = memcached_create(NULL);
	if(c->mc == NULL)
		return MC_NO_MEMORY;
	for(i = 0; i < n; i++) {
		rc = addrs[i].host[0] == '/'
					 ? memcached_server_add_unix_socket(c->mc, addrs[i].host)
					 : memcached_server_add(c->mc, addrs[i].host,
							 (in_port_t)addrs[i].port);
		if(memcached_failed(rc)) {
			mc_errf(err, errlen, "servers: cannot add '%s' (%s)", addrs[i].host,
					memcached_last_error_message(c->mc));
			return MC_BAD_INPUT;
		}
	}
	/* consistent hashing: removing a server moves only its keys */
	if(n > 1
			&& (!mcc_behave(c->mc, MEMCACHED_BEHAVIOR_DISTRIBUTION,
						MEMCACHED_DISTRIBUTION_CONSISTENT_KETAMA)
					|| !mcc_behave(c->mc, MEMCACHED_BEHAVIOR_KETAMA_HASH,
							MEMCACHED_HASH_MD5))) {
		mc_errf(err, errlen, "servers: cannot set ketama distribution");
		return MC_BAD_INPUT;
	}
	return MC_OK;
}

/*
 * The timeout bounds connect and every wait for the socket. Our breaker
 * does the backing off, so libmemcached's own (which would answer
 * "temporarily disabled" for retry_timeout seconds) is neutralised.
 */
static mc_status_t mcc_behaviours(
		mc_client_t *c, const mc_config_t *cfg, char *err, size_t errlen)
{
	uint64_t tmo = c->timeout_ms;

	if(!mcc_behave(c->mc, MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT, tmo)
			|| !mcc_behave(c->mc, MEMCACHED_BEHAVIOR_POLL_TIMEOUT, tmo)
			|| !mcc_behave(c->mc, MEMCACHED_BEHAVIOR_RCV_TIMEOUT, tmo * 1000)
			|| !mcc_behave(c->mc, MEMCACHED_BEHAVIOR_SND_TIMEOUT, tmo * 1000)
			|| !mcc_behave(c->mc, MEMCACHED_BEHAVIOR_TCP_NODELAY, 1)
			|| !mcc_behave(c->mc, MEMCACHED_BEHAVIOR_SERVER_TIMEOUT_LIMIT,
					UINT32_MAX)
			|| !mcc_behave(c->mc, MEMCACHED_BEHAVIOR_RETRY_TIMEOUT, 0)
			|| (c->binary
					&& !mcc_behave(
							c->mc, MEMCACHED_BEHAVIOR_BINARY_PROTOCOL, 1))) {
		mc_errf(err, errlen, "cannot set libmemcached behaviour: %s",
				memcached_last_error_message(c->mc));
		return MC_BAD_INPUT;
	}
	c->binary =
			memcached_behavior_get(c->mc, MEMCACHED_BEHAVIOR_BINARY_PROTOCOL)
					? 1
					: 0;
	if(c->sasl
			&& memcached_failed(memcached_set_sasl_auth_data(
					c->mc, cfg->username, cfg->password))) {
		/* the message names the user, never the password */
		mc_errf(err, errlen, "username: cannot set SASL data for '%s'",
				cfg->username);
		return MC_BAD_INPUT;
	}
	return MC_OK;
}

static mc_status_t mcc_handle_init(
		mc_client_t *c, const mc_config_t *cfg, char *err, size_t errlen)
{
	mc_status_t st;

	if(mc_servers_is_libmemcached_config(cfg->servers))
		st = mcc_handle_from_config(c, cfg->servers, err, errlen);
	else
		st = mcc_handle_from_list(c, cfg->servers, err, errlen);
	if(st != MC_OK)
		return st;
	if(memcached_server_count(c->mc) == 0) {
		mc_errf(err, errlen, "servers: no server configured");
		return MC_BAD_INPUT;
	}
	return mcc_behaviours(c, cfg, err, errlen);
}

/* ---- create, free ------------------------------------------------------ */

/* What is wrong with cfg before anything is built; MC_OK or MC_BAD_INPUT. */
static mc_status_t mcc_config_check(
		const mc_config_t *cfg, char *err, size_t errlen)
{
	if(cfg == NULL || cfg->servers == NULL) {
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
	return MC_OK;
}

/* The plain settings of cfg into c (defaults applied); MC_NO_MEMORY when
 * the prefix cannot be copied. */
static mc_status_t mcc_settings(mc_client_t *c, const mc_config_t *cfg)
{
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
			return MC_NO_MEMORY;
		memcpy(c->prefix, cfg->prefix, c->plen);
	}
	return MC_OK;
}

mc_status_t mc_client_new(
		const mc_config_t *cfg, mc_client_t **out, char *err, size_t errlen)
{
	mc_client_t *c = NULL;
	mc_status_t st;

	if(out)
		*out = NULL;
	if(err && errlen)
		err[0] = '\0';
	if(out == NULL)
		cfg = NULL; /* nowhere to put it: refused like a missing config */
	if((st = mcc_config_check(cfg, err, errlen)) != MC_OK)
		return st;
	c = calloc(1, sizeof(*c));
	st = c == NULL ? MC_NO_MEMORY : mcc_settings(c, cfg);
	if(st == MC_OK)
		st = mcc_handle_init(c, cfg, err, errlen);
	if(st == MC_OK)
		st = mcc_servers_init(c, err, errlen);
	if(st == MC_OK) {
		*out = c;
		return MC_OK;
	}
	if(st == MC_NO_MEMORY)
		mc_errf(err, errlen, "out of memory creating the memcached client");
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
