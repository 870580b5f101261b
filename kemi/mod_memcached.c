/*
 * Module entry: exports, parameters, init, per-process client, destroy.
 *
 * Drop-in for Kamailio's shipped memcached module (same module name, params
 * and PVs), plus KSR.memcached.* KEMI functions, RPC and statistics.
 *
 * Processes: mod_init runs in the main process before fork; it only
 * validates the configuration (creating a client and freeing it at once:
 * creation is lazy, nothing connects). child_init creates one client per
 * process, skipping PROC_INIT, PROC_MAIN and PROC_TCP_MAIN (the main
 * process's child_init runs before the TCP workers fork, so they would
 * inherit it). A client is only ever freed by the process that created it.
 */
#include <string.h>

#include "core/dprint.h"
#include "core/mem/mem.h"
#include "core/pvar.h"
#include "core/rpc.h"
#include "core/sr_module.h"

#include "ki_memcached.h"
#include "mc_config.h"
#include "mc_mod.h"
#include "mc_pv.h"
#include "mc_rpc.h"

/* What the loader looks up keeps default visibility (-fvisibility=hidden). */
#pragma GCC visibility push(default)
MODULE_VERSION
#pragma GCC visibility pop

/* Defaults: the shipped module's documented values where it has the param. */
#define MC_MOD_DEFAULT_SERVERS "127.0.0.1:11211"
#define MC_MOD_DEFAULT_EXPIRE 10800
#define MC_MOD_DEFAULT_RETRY 10

/* clang-format off */
mc_mod_params_t mc_mod_params = {
	.servers = MC_MOD_DEFAULT_SERVERS,
	.expire = MC_MOD_DEFAULT_EXPIRE,
	.mode = 0,
	.timeout = MC_DEFAULT_TIMEOUT_MS,
	.memory = 0,
	.stringify = 0,
	.prefix = "",
	.binary = 0,
	.max_value_size = MC_DEFAULT_MAX_VALUE,
	.failure_limit = 0,
	.retry_time = MC_MOD_DEFAULT_RETRY,
	.redistribute = 0,
	.username = "",
	.password = "",
};
/* clang-format on */

static int mod_init(void);
static int child_init(int rank);
static int _mc_param_servers(modparam_t type, void *val);
static void mod_destroy(void);

/* clang-format off */
static pv_export_t mod_pvs[] = {
	{ {"mct", sizeof("mct") - 1}, PVT_OTHER, pv_get_mc_value,
		pv_set_mc_value, pv_parse_mc_name, 0, 0, 0 },
	{ {"mcinc", sizeof("mcinc") - 1}, PVT_OTHER, pv_get_mc_value,
		pv_set_mc_inc, pv_parse_mc_name, 0, 0, 0 },
	{ {"mcdec", sizeof("mcdec") - 1}, PVT_OTHER, pv_get_mc_value,
		pv_set_mc_dec, pv_parse_mc_name, 0, 0, 0 },
	{ {"mctex", sizeof("mctex") - 1}, PVT_OTHER, pv_get_null,
		pv_set_mc_expire, pv_parse_mc_name, 0, 0, 0 },
	{ {0, 0}, 0, 0, 0, 0, 0, 0, 0 }
};

static param_export_t params[] = {
	{"servers",        PARAM_STRING | PARAM_USE_FUNC, (void *)_mc_param_servers},
	{"expire",         PARAM_INT,    &mc_mod_params.expire},
	{"mode",           PARAM_INT,    &mc_mod_params.mode},
	{"timeout",        PARAM_INT,    &mc_mod_params.timeout},
	{"memory",         PARAM_INT,    &mc_mod_params.memory},
	{"stringify",      PARAM_INT,    &mc_mod_params.stringify},
	{"prefix",         PARAM_STRING, &mc_mod_params.prefix},
	{"binary",         PARAM_INT,    &mc_mod_params.binary},
	{"max_value_size", PARAM_INT,    &mc_mod_params.max_value_size},
	{"failure_limit",  PARAM_INT,    &mc_mod_params.failure_limit},
	{"retry_time",     PARAM_INT,    &mc_mod_params.retry_time},
	{"redistribute",   PARAM_INT,    &mc_mod_params.redistribute},
	{"username",       PARAM_STRING, &mc_mod_params.username},
	{"password",       PARAM_STRING, &mc_mod_params.password},
	{0, 0, 0}
};

__attribute__((visibility("default"))) struct module_exports exports = {
	"memcached",     /* module name */
	DEFAULT_DLFLAGS, /* dlopen flags */
	0,               /* exported functions (none: KEMI and PVs) */
	params,          /* exported parameters */
	0,               /* RPC methods */
	mod_pvs,         /* exported pseudo-variables */
	0,               /* response handling function */
	mod_init,        /* module init function */
	child_init,      /* per-child init function */
	mod_destroy      /* module destroy function */
};
/* clang-format on */

__attribute__((visibility("default"))) int mod_register(
		char *path, int *dlflags, void *p1, void *p2)
{
	(void)path;
	(void)dlflags;
	(void)p1;
	(void)p2;
	return ki_mc_register() < 0 ? -1 : 0;
}

/*
 * modparam("memcached", "servers", ...): validated while the config is
 * parsed, so `kamailio -c` (which does not run mod_init) already refuses a
 * bad value with a message naming the problem. The check creates a client
 * with only this setting and frees it at once (creation does not connect).
 */
static int _mc_param_servers(modparam_t type, void *val)
{
	mc_config_t cfg;
	mc_client_t *c = NULL;
	mc_status_t st;
	char err[256];
	char *copy = NULL;
	size_t len;

	(void)type;
	if(val == NULL || ((char *)val)[0] == '\0') {
		LM_ERR("modparam servers: empty (expected host[:port][,...] or a "
			   "libmemcached option string starting with --)\n");
		return -1;
	}
	memset(&cfg, 0, sizeof(cfg));
	cfg.servers = (const char *)val;
	err[0] = '\0';
	st = mc_client_new(&cfg, &c, err, sizeof(err));
	if(st != MC_OK || c == NULL) {
		/* a libmemcached option string may carry credentials: not echoed */
		LM_ERR("modparam servers '%s' refused: %s\n",
				mc_servers_is_libmemcached_config((char *)val) ? "--..."
															   : (char *)val,
				err[0] ? err : mc_strerror(st));
		return -1;
	}
	mc_client_free(c);

	len = strlen((char *)val);
	copy = (char *)pkg_malloc(len + 1);
	if(copy == NULL) {
		PKG_MEM_ERROR;
		return -1;
	}
	memcpy(copy, val, len + 1);
	/* the previous value is the default literal or an earlier copy: kept,
	 * a repeated modparam is rare and tiny */
	mc_mod_params.servers = copy;
	return 0;
}

/* Range checks the core cannot do (it sees converted values). */
static int _mc_check_params(void)
{
	const mc_mod_params_t *p = &mc_mod_params;

	if(p->servers == NULL || p->servers[0] == '\0') {
		LM_ERR("modparam servers: empty (expected host[:port][,...] or a "
			   "libmemcached option string starting with --)\n");
		return -1;
	}
	if(p->expire < 0) {
		LM_ERR("modparam expire: %d is negative (expected 0 = never, or "
			   "seconds)\n",
				p->expire);
		return -1;
	}
	if(p->mode != 0 && p->mode != 1) {
		LM_ERR("modparam mode: %d (expected 0 = set or 1 = add)\n", p->mode);
		return -1;
	}
	if(p->timeout <= 0) {
		LM_ERR("modparam timeout: %d (expected milliseconds > 0)\n",
				p->timeout);
		return -1;
	}
	if(p->max_value_size < 0) {
		LM_ERR("modparam max_value_size: %d is negative\n", p->max_value_size);
		return -1;
	}
	if(p->failure_limit < 0 || p->retry_time < 0) {
		LM_ERR("modparam failure_limit/retry_time: negative (%d/%d)\n",
				p->failure_limit, p->retry_time);
		return -1;
	}
	if((p->username && p->username[0]) != (p->password && p->password[0])) {
		LM_ERR("modparam username and password: set both or neither\n");
		return -1;
	}
	return 0;
}

static int mod_init(void)
{
	mc_config_t cfg;
	mc_client_t *c = NULL;
	mc_status_t st;
	char err[256];

	if(_mc_check_params() < 0)
		return -1;
	if(mc_mod_params.memory == 1)
		LM_INFO("modparam memory=1 is ignored: values are always copied out "
				"of libmemcached, which uses the system allocator\n");

	/* Validate servers and the rest now, so a bad config stops start-up
	 * with a message naming the problem. Creation does not connect. */
	mc_mod_config(&cfg);
	err[0] = '\0';
	st = mc_client_new(&cfg, &c, err, sizeof(err));
	if(st != MC_OK || c == NULL) {
		LM_ERR("invalid memcached configuration: %s\n",
				err[0] ? err : mc_strerror(st));
		return -1;
	}
	mc_client_free(c);

	if(mc_rpc_register() < 0)
		return -1;
	if(mc_mod_stats_register() < 0)
		return -1;
	LM_DBG("servers '%s', timeout %d ms, expire %d s\n",
			mc_servers_is_libmemcached_config(mc_mod_params.servers)
					? "--..."
					: mc_mod_params.servers,
			mc_mod_params.timeout, mc_mod_params.expire);
	return 0;
}

static int child_init(int rank)
{
	if(rank == PROC_INIT || rank == PROC_MAIN || rank == PROC_TCP_MAIN)
		return 0;
	/* A failure here is not fatal: the client is created again on first
	 * use, and operations report errors meanwhile. */
	if(mc_mod_client_init() < 0)
		LM_ERR("no memcached client in process rank %d yet\n", rank);
	return 0;
}

static void mod_destroy(void)
{
	mc_mod_client_destroy();
	ki_mc_destroy();
	pv_mc_destroy();
}
