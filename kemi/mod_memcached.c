/*
 * Module entry: exports, parameters, init, per-process client, destroy.
 *
 * Drop-in for Kamailio's shipped memcached module (same module name, params
 * and PVs), plus KSR.memcached.* KEMI functions with their native cfg twins
 * (mc_get, mc_sets, ...), RPC and statistics.
 *
 * Params are checked by their setters while the config is parsed, so
 * `kamailio -c` refuses bad values; mod_init adds the checks that need the
 * whole config (SASL: username with password and binary).
 *
 * Processes: mod_init runs in the main process before fork; it validates
 * the configuration (creating a client and freeing it at once: creation is
 * lazy, nothing connects), and with SASL configured checks the credentials
 * with one round trip per server on that client before freeing it. child_init
 * creates one client per process, skipping PROC_INIT, PROC_MAIN and
 * PROC_TCP_MAIN (the main process's child_init runs before the TCP workers
 * fork, so they would inherit it). A client is only ever freed by the process
 * that created it.
 */
#include <limits.h>
#include <string.h>

#include "core/dprint.h"
#include "core/mem/mem.h"
#include "core/pvar.h"
#include "core/rpc.h"
#include "core/script_cb.h"
#include "core/sr_module.h"

#include "ki_memcached.h"
#include "mc_cfg.h"
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
/* The circuit breaker is on by default: a server that times out once is
 * skipped by this process for retry_time seconds, so each SIP request waits
 * at most one timeout when memcached is silent (not one per operation, which
 * stalled every worker). The short retry bounds what a single slow reply
 * costs, and brings a recovered server back within 2 s. */
#define MC_MOD_DEFAULT_FAILURE_LIMIT 1
#define MC_MOD_DEFAULT_RETRY 2
/* memcached's own largest item size (-I 1024m) */
#define MC_MOD_MAX_VALUE_LIMIT (1024 * 1024 * 1024)

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
	.failure_limit = MC_MOD_DEFAULT_FAILURE_LIMIT,
	.retry_time = MC_MOD_DEFAULT_RETRY,
	.redistribute = 0,
	.username = "",
	.password = "",
};
/* clang-format on */

static int mod_init(void);
static int child_init(int rank);
static int mc_mod_param_servers(modparam_t type, void *val);
static void mod_destroy(void);

/*
 * Integer params are checked while the config is parsed (PARAM_USE_FUNC), so
 * `kamailio -c` refuses a bad value too. Kamailio does not pass the param
 * name to the setter: one thin setter per param, each calling mc_mod_param_int
 * with its name, which finds its row here.
 */
typedef struct mc_int_param {
	const char *name;
	int *dst;
	int min;
	int max;
	const char *allowed; /* what the refusal says is expected */
} mc_int_param_t;

/* clang-format off */
static const mc_int_param_t mc_mod_int_params[] = {
	{"expire",         &mc_mod_params.expire,         0, INT_MAX,
		"seconds, 0 = never"},
	{"mode",           &mc_mod_params.mode,           0, 1,
		"0 = set or 1 = add"},
	{"timeout",        &mc_mod_params.timeout,        1, INT_MAX,
		"milliseconds, 1 or more"},
	{"memory",         &mc_mod_params.memory,         0, 1,
		"0 or 1"},
	{"stringify",      &mc_mod_params.stringify,      0, 1,
		"0 or 1"},
	{"binary",         &mc_mod_params.binary,         0, 1,
		"0 = text or 1 = binary protocol"},
	{"max_value_size", &mc_mod_params.max_value_size, 0, MC_MOD_MAX_VALUE_LIMIT,
		"bytes, 0 = the default 1048576, at most 1073741824"},
	{"failure_limit",  &mc_mod_params.failure_limit,  0, INT_MAX,
		"0 = breaker off, or a number of failures"},
	{"retry_time",     &mc_mod_params.retry_time,     0, INT_MAX,
		"seconds, 0 or more"},
	{"redistribute",   &mc_mod_params.redistribute,   0, 1,
		"0 or 1"},
};
/* clang-format on */

/* Checks and stores the value of the int param called name; 0 or -1. */
static int mc_mod_param_int(const char *name, void *val)
{
	const mc_int_param_t *p = NULL;
	size_t i;
	int v = (int)(long)val;

	for(i = 0; i < sizeof(mc_mod_int_params) / sizeof(mc_mod_int_params[0]); i++)
		if(strcmp(mc_mod_int_params[i].name, name) == 0)
			p = &mc_mod_int_params[i];
	if(p == NULL) {
		LM_BUG("modparam %s: not an integer param of this module\n", name);
		return -1;
	}
	if(v < p->min || v > p->max) {
		LM_ERR("modparam %s: %d refused (expected %s)\n", name, v, p->allowed);
		return -1;
	}
	*p->dst = v;
	return 0;
}

/* clang-format off */
#define MC_INT_PARAM_SETTER(pname)                               \
	static int mc_mod_param_##pname(modparam_t type, void *val)     \
	{                                                            \
		(void)type;                                              \
		return mc_mod_param_int(#pname, val);                       \
	}

MC_INT_PARAM_SETTER(expire)
MC_INT_PARAM_SETTER(mode)
MC_INT_PARAM_SETTER(timeout)
MC_INT_PARAM_SETTER(memory)
MC_INT_PARAM_SETTER(stringify)
MC_INT_PARAM_SETTER(binary)
MC_INT_PARAM_SETTER(max_value_size)
MC_INT_PARAM_SETTER(failure_limit)
MC_INT_PARAM_SETTER(retry_time)
MC_INT_PARAM_SETTER(redistribute)
/* clang-format on */

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
	{"servers",        PARAM_STRING | PARAM_USE_FUNC, (void *)mc_mod_param_servers},
	{"expire",         PARAM_INT | PARAM_USE_FUNC, (void *)mc_mod_param_expire},
	{"mode",           PARAM_INT | PARAM_USE_FUNC, (void *)mc_mod_param_mode},
	{"timeout",        PARAM_INT | PARAM_USE_FUNC, (void *)mc_mod_param_timeout},
	{"memory",         PARAM_INT | PARAM_USE_FUNC, (void *)mc_mod_param_memory},
	{"stringify",      PARAM_INT | PARAM_USE_FUNC, (void *)mc_mod_param_stringify},
	{"prefix",         PARAM_STRING, &mc_mod_params.prefix},
	{"binary",         PARAM_INT | PARAM_USE_FUNC, (void *)mc_mod_param_binary},
	{"max_value_size", PARAM_INT | PARAM_USE_FUNC, (void *)mc_mod_param_max_value_size},
	{"failure_limit",  PARAM_INT | PARAM_USE_FUNC, (void *)mc_mod_param_failure_limit},
	{"retry_time",     PARAM_INT | PARAM_USE_FUNC, (void *)mc_mod_param_retry_time},
	{"redistribute",   PARAM_INT | PARAM_USE_FUNC, (void *)mc_mod_param_redistribute},
	{"username",       PARAM_STRING, &mc_mod_params.username},
	{"password",       PARAM_STRING, &mc_mod_params.password},
	{0, 0, 0}
};

__attribute__((visibility("default"))) struct module_exports exports = {
	"memcached",     /* module name */
	DEFAULT_DLFLAGS, /* dlopen flags */
	mc_cfg_cmds,     /* exported cfg functions (mc_get, mc_sets, ...) */
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
static int mc_mod_param_servers(modparam_t type, void *val)
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

/*
 * What cannot be checked while the config is parsed: the int params are
 * checked by their setters and servers by mc_mod_param_servers, but whether
 * username and password come together is only known once every modparam
 * line has been read. So `kamailio -c` does not catch it; a real start stops
 * here. (username without binary = 1 is refused by mc_client_new, called
 * next in mod_init, likewise only at a real start.)
 */
static int mc_mod_check_params(void)
{
	const mc_mod_params_t *p = &mc_mod_params;

	if((p->username && p->username[0]) != (p->password && p->password[0])) {
		LM_ERR("modparam username and password: set both or neither (only "
			   "%s is set)\n",
				(p->username && p->username[0]) ? "username" : "password");
		return -1;
	}
	return 0;
}

/* mc_client_probe callback: one line per server that did not answer. */
static void mc_mod_probe_server(const char *server, mc_status_t st,
		int auth_failed, const char *msg, void *arg)
{
	int *refused = (int *)arg;

	if(st == MC_OK) {
		LM_DBG("memcached server %s accepted the SASL credentials of user "
			   "'%s'\n",
				server, mc_mod_params.username);
		return;
	}
	if(auth_failed) {
		/* the user name helps the operator; the password is never shown */
		LM_ERR("memcached server %s: authentication failed: check "
			   "username/password (SASL user '%s'); not starting\n",
				server, mc_mod_params.username);
		*refused = 1;
		return;
	}
	LM_WARN("memcached server %s: SASL credentials not checked at start-up: "
			"%s; starting anyway, calls to it fail until it answers\n",
			server, msg);
}

/*
 * With SASL, wrong credentials would otherwise only show as every call
 * failing: check them now with one round trip per server, on the client
 * mod_init created (freed by it in this same process). A definite
 * authentication failure stops start-up; a server that cannot be reached
 * does not (memcached down at start-up must not stop Kamailio). Returns 0,
 * or -1 when a server refused the credentials.
 */
static int mc_mod_check_credentials(mc_client_t *c)
{
	int refused = 0;

	mc_client_probe(c, mc_mod_probe_server, &refused);
	return refused ? -1 : 0;
}

/*
 * After each request and reply route: big values read by the script were
 * copied by the engine or used up by the route, so their buffers go back to
 * pkg memory (a 1 MB read must not pin 1 MB per worker for ever); the
 * last mget's results are dropped; quiet writes that no later call
 * confirmed are confirmed now, so a lost one is counted and logged while
 * its request is fresh (a round trip only in that case).
 */
static int mc_mod_script_done(sip_msg_t *msg, unsigned int flags, void *param)
{
	(void)msg;
	(void)flags;
	(void)param;
	ki_mc_trim();
	pv_mc_trim();
	mc_mod_quiet_confirm();
	mc_mod_route_end();
	return 1;
}

/* Before each request and reply route: quiet writes for this message may
 * wait in the send buffer, mc_mod_script_done sends (and confirms) them. */
static int mc_mod_script_start(sip_msg_t *msg, unsigned int flags, void *param)
{
	(void)flags;
	(void)param;
	mc_mod_route_begin(msg->id, msg->pid);
	return 1;
}

static int mod_init(void)
{
	mc_client_t *c = NULL;

	if(mc_mod_check_params() < 0)
		return -1;
	if(mc_mod_params.memory == 1)
		LM_INFO("modparam memory=1 is ignored: values are always copied out "
				"of libmemcached, which uses the system allocator\n");

	/* Validate servers and the rest now, so a bad config stops start-up
	 * with a message naming the problem. Creation does not connect. */
	if((c = mc_mod_client_new("invalid memcached configuration")) == NULL)
		return -1;
	if(mc_mod_params.username && mc_mod_params.username[0] &&
			mc_mod_check_credentials(c) < 0) {
		mc_client_free(c);
		return -1;
	}
	mc_client_free(c);

	if(register_script_cb(mc_mod_script_done,
			   POST_SCRIPT_CB | REQUEST_CB | ONREPLY_CB, 0) < 0) {
		LM_ERR("cannot register the post-script callback\n");
		return -1;
	}
	if(register_script_cb(mc_mod_script_start,
			   PRE_SCRIPT_CB | REQUEST_CB | ONREPLY_CB, 0) < 0) {
		LM_ERR("cannot register the pre-script callback\n");
		return -1;
	}
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
