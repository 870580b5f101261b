/*
 * Shared adapter runtime: per-process client, status translation and
 * logging, statistics, module-owned buffers. No cache logic: everything that
 * touches memcached is one call into core/.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/counters.h"
#include "core/dprint.h"
#include "core/mem/mem.h"
#include "core/pt.h"

#include "mc_clock.h"
#include "mc_key.h"
#include "mc_mod.h"

/* At most one outage log line per this many seconds per process. */
#define MC_MOD_OUTAGE_LOG_INTERVAL 10

static mc_client_t *mc_mod_proc_client = NULL;
/* pid that created mc_mod_proc_client: a client is never used or freed elsewhere.
 * Compared with my_pid() (Kamailio's process table, set by fork_process in
 * the child): getpid() is a real syscall on every operation. */
static int mc_mod_client_pid = 0;
static int mc_mod_last_ret = MC_RET_OK;
/* what mc_mod_proc_client had counted at the last mc_mod_done */
static mc_counters_t mc_mod_seen;

/* mc_clock_ms of the last outage line */
static uint64_t mc_mod_outage_at = 0;
static int mc_mod_outage_logged = 0;
static unsigned long mc_mod_outage_suppressed = 0;

static stat_var *mc_mod_st_hits = NULL;
static stat_var *mc_mod_st_misses = NULL;
static stat_var *mc_mod_st_sets = NULL;
static stat_var *mc_mod_st_errors = NULL;
static stat_var *mc_mod_st_timeouts = NULL;
static stat_var *mc_mod_st_trips = NULL;
static stat_var *mc_mod_st_queued = NULL;
static stat_var *mc_mod_st_quiet_lost = NULL;
/* quiet writes lost, as last seen (logged when it grows; per process) */
static unsigned long mc_mod_quiet_lost_seen = 0;
static int mc_mod_stats_on = 0;

/* the message whose request or reply route runs in this process, between
 * the pre- and the post-script callback (mc_mod_route_begin/_end) */
static int mc_mod_route_on = 0;
static unsigned int mc_mod_route_msg_id = 0;
static int mc_mod_route_msg_pid = 0;

/* clang-format off */
static stat_export_t mc_mod_stats[] = {
	{"hits",          0, &mc_mod_st_hits},
	{"misses",        0, &mc_mod_st_misses},
	{"sets",          0, &mc_mod_st_sets},
	{"errors",        0, &mc_mod_st_errors},
	{"timeouts",      0, &mc_mod_st_timeouts},
	{"breaker_trips", 0, &mc_mod_st_trips},
	{"queued",        0, &mc_mod_st_queued},
	{"quiet_lost",    0, &mc_mod_st_quiet_lost},
	{0, 0, 0}
};
/* clang-format on */

/* Core log hook: the core's own messages at the level it chose. */
static void mc_mod_log(mc_log_level_t level, const char *msg, void *arg)
{
	(void)arg;
	switch(level) {
	case MC_LOG_DBG:
		LM_DBG("%s\n", msg);
		break;
	case MC_LOG_INFO:
		LM_INFO("%s\n", msg);
		break;
	case MC_LOG_WARN:
		LM_WARN("%s\n", msg);
		break;
	case MC_LOG_ERR:
	default:
		LM_ERR("%s\n", msg);
		break;
	}
}

/* cfg from mc_mod_params: pointers into the params (process lifetime). */
static void mc_mod_config(mc_config_t *cfg)
{
	const mc_mod_params_t *p = &mc_mod_params;

	memset(cfg, 0, sizeof(*cfg));
	cfg->servers = p->servers;
	cfg->timeout_ms = p->timeout > 0 ? (unsigned int)p->timeout : 0;
	cfg->default_expiry = p->expire;
	cfg->prefix = (p->prefix && p->prefix[0]) ? p->prefix : NULL;
	cfg->binary = p->binary ? 1 : 0;
	cfg->max_value_size = p->max_value_size > 0 ? (size_t)p->max_value_size : 0;
	cfg->failure_limit =
			p->failure_limit > 0 ? (unsigned int)p->failure_limit : 0;
	cfg->retry_s = p->retry_time > 0 ? (unsigned int)p->retry_time : 0;
	cfg->redistribute = p->redistribute ? 1 : 0;
	cfg->username = (p->username && p->username[0]) ? p->username : NULL;
	cfg->password = (p->password && p->password[0]) ? p->password : NULL;
	cfg->log = mc_mod_log;
	cfg->log_arg = NULL;
}

mc_client_t *mc_mod_client_new(const char *what)
{
	mc_config_t cfg;
	mc_client_t *c = NULL;
	mc_status_t st;
	char err[256];

	mc_mod_config(&cfg);
	err[0] = '\0';
	st = mc_client_new(&cfg, &c, err, sizeof(err));
	if(st != MC_OK || c == NULL) {
		LM_ERR("%s: %s\n", what, err[0] ? err : mc_strerror(st));
		return NULL;
	}
	return c;
}

int mc_mod_client_init(void)
{
	mc_client_t *c;

	if(mc_mod_proc_client != NULL && mc_mod_client_pid == my_pid())
		return 0;
	/* An inherited client belongs to the parent: forget it, never free it
	 * (freeing sends "quit" on the parent's socket). */
	mc_mod_proc_client = NULL;
	mc_mod_client_pid = 0;

	if((c = mc_mod_client_new("cannot create the memcached client")) == NULL)
		return -1;
	mc_mod_proc_client = c;
	mc_mod_client_pid = my_pid();
	memset(&mc_mod_seen, 0, sizeof(mc_mod_seen));
	mc_mod_quiet_lost_seen = 0;
	return 0;
}

mc_client_t *mc_mod_client(void)
{
	if(mc_mod_proc_client != NULL && mc_mod_client_pid == my_pid())
		return mc_mod_proc_client;
	if(mc_mod_client_init() < 0)
		return NULL;
	return mc_mod_proc_client;
}

void mc_mod_client_destroy(void)
{
	if(mc_mod_proc_client != NULL && mc_mod_client_pid == my_pid())
		mc_client_free(mc_mod_proc_client);
	mc_mod_proc_client = NULL;
	mc_mod_client_pid = 0;
}

int mc_mod_last(void)
{
	return mc_mod_last_ret;
}

/* key for a log line (mc_key_format_for_log: a key from a header must not be
 * able to forge log lines) */
static const char *mc_mod_key_fmt(
		const char *key, size_t klen, char *buf, size_t size)
{
	return mc_key_format_for_log(buf, size, key, klen);
}

static int mc_mod_is_outage(mc_status_t st)
{
	switch(st) {
	case MC_CONNECTION:
	case MC_TIMEOUT:
	case MC_DISABLED:
	case MC_ERROR:
		return 1;
	default:
		return 0;
	}
}

/* Logs a server-trouble line unless one was logged in the last
 * MC_MOD_OUTAGE_LOG_INTERVAL seconds in this process; then counts it. */
static void mc_mod_log_outage(const char *line)
{
	uint64_t now = mc_clock_ms();

	if(mc_mod_outage_logged &&
			now - mc_mod_outage_at < MC_MOD_OUTAGE_LOG_INTERVAL * 1000u) {
		mc_mod_outage_suppressed++;
		return;
	}
	if(mc_mod_outage_suppressed > 0) {
		LM_ERR("%s (and %lu similar errors in the last %ds, not logged)\n",
				line, mc_mod_outage_suppressed, MC_MOD_OUTAGE_LOG_INTERVAL);
	} else {
		LM_ERR("%s\n", line);
	}
	mc_mod_outage_at = now;
	mc_mod_outage_logged = 1;
	mc_mod_outage_suppressed = 0;
}

static void mc_mod_stat(stat_var *v)
{
	if(mc_mod_stats_on && v != NULL)
		update_stat(v, 1);
}

/* Adds what c counted since the last look (per process). */
static void mc_mod_stat_delta(stat_var *v, unsigned long now, unsigned long *seen)
{
	if(now > *seen && v != NULL)
		update_stat(v, (int)(now - *seen));
	*seen = now;
}

/*
 * The Kamailio statistics mirror the counters of this process's client: the
 * core decides what a hit, a miss, a set (a store, or incx creating the
 * key), an error or a timeout is, in one place, and every adapter call is
 * followed by mc_mod_done, which adds what changed.
 */
static void mc_mod_stats_update(mc_client_t *c)
{
	mc_counters_t cnt;

	if(c == NULL)
		return;
	mc_client_counters(c, &cnt);
	/* quiet writes found lost by this call: an outage line, rate-limited */
	if(cnt.quiet_lost > mc_mod_quiet_lost_seen)
		mc_mod_log_outage(mc_client_quiet_lost_msg(c));
	mc_mod_quiet_lost_seen = cnt.quiet_lost;
	if(!mc_mod_stats_on)
		return;
	mc_mod_stat_delta(mc_mod_st_hits, cnt.hits, &mc_mod_seen.hits);
	mc_mod_stat_delta(mc_mod_st_misses, cnt.misses, &mc_mod_seen.misses);
	mc_mod_stat_delta(mc_mod_st_sets, cnt.sets, &mc_mod_seen.sets);
	mc_mod_stat_delta(mc_mod_st_errors, cnt.errors, &mc_mod_seen.errors);
	mc_mod_stat_delta(mc_mod_st_timeouts, cnt.timeouts, &mc_mod_seen.timeouts);
	mc_mod_stat_delta(mc_mod_st_trips, cnt.trips, &mc_mod_seen.trips);
	mc_mod_stat_delta(mc_mod_st_queued, cnt.queued, &mc_mod_seen.queued);
	mc_mod_stat_delta(mc_mod_st_quiet_lost, cnt.quiet_lost, &mc_mod_seen.quiet_lost);
}

/* The failure line: the core's message when it left one (it names the
 * operation, the key and the reason), else "op 'key': status text". */
static const char *mc_mod_line(mc_client_t *c, mc_mod_op_t op, mc_status_t st,
		const char *key, size_t klen, char *buf, size_t size)
{
	char kbuf[MC_KEY_LOG_MAX];
	const char *msg;

	msg = c != NULL ? mc_client_errstr(c) : NULL;
	if(msg != NULL && msg[0] != '\0')
		return msg;
	snprintf(buf, size, "%s '%s': %s", mc_op_name(op),
			mc_mod_key_fmt(key, klen, kbuf, sizeof(kbuf)), mc_strerror(st));
	return buf;
}

int mc_mod_done(mc_client_t *c, mc_mod_op_t op, mc_status_t st, const char *key,
		size_t klen)
{
	char buf[MC_KEY_LOG_MAX + 128];
	const char *line;

	mc_mod_stats_update(c);
	if(st == MC_OK) {
		mc_mod_last_ret = MC_RET_OK;
		return MC_RET_OK;
	}
	line = mc_mod_line(c, op, st, key, klen, buf, sizeof(buf));
	if(st == MC_NOT_FOUND || st == MC_NOT_STORED) {
		LM_DBG("%s\n", line);
		mc_mod_last_ret = MC_RET_NO;
		return MC_RET_NO;
	}
	if(mc_mod_is_outage(st))
		mc_mod_log_outage(line);
	else
		LM_ERR("%s\n", line);
	mc_mod_last_ret = MC_RET_ERR;
	return MC_RET_ERR;
}

void mc_mod_quiet_confirm(void)
{
	mc_client_t *c = mc_mod_proc_client;

	/* only this process's own client; nothing to do without one */
	if(c == NULL || mc_mod_client_pid != my_pid())
		return;
	mc_quiet_confirm(c);
	mc_mod_stats_update(c);
}

void mc_mod_route_begin(unsigned int msg_id, int msg_pid)
{
	mc_mod_route_on = 1;
	mc_mod_route_msg_id = msg_id;
	mc_mod_route_msg_pid = msg_pid;
}

void mc_mod_route_end(void)
{
	mc_mod_route_on = 0;
}

int mc_mod_route_is(unsigned int msg_id, int msg_pid)
{
	return mc_mod_route_on && msg_id == mc_mod_route_msg_id
		   && msg_pid == mc_mod_route_msg_pid;
}

int mc_mod_done_quiet(mc_client_t *c, mc_mod_op_t op, mc_status_t st,
		const char *key, size_t klen)
{
	if(mc_mod_done(c, op, st, key, klen) != MC_RET_OK)
		return mc_mod_last_ret;
	mc_mod_last_ret = MC_RET_QUEUED;
	return MC_RET_QUEUED;
}

int mc_mod_item(mc_mod_op_t op, mc_status_t st, const char *key, size_t klen)
{
	char kbuf[MC_KEY_LOG_MAX];

	mc_mod_last_ret = st == MC_OK ? MC_RET_OK
						   : (st == MC_NOT_FOUND ? MC_RET_NO : MC_RET_ERR);
	if(st != MC_OK)
		LM_DBG("%s '%s': %s\n", mc_op_name(op),
				mc_mod_key_fmt(key, klen, kbuf, sizeof(kbuf)), mc_strerror(st));
	return mc_mod_last_ret;
}

int mc_mod_fail(
		mc_mod_op_t op, const char *key, size_t klen, const char *reason)
{
	char kbuf[MC_KEY_LOG_MAX];

	mc_mod_stat(mc_mod_st_errors);
	LM_ERR("%s '%s' refused: %s\n", mc_op_name(op),
			mc_mod_key_fmt(key, klen, kbuf, sizeof(kbuf)), reason);
	mc_mod_last_ret = MC_RET_ERR;
	return MC_RET_ERR;
}

int mc_mod_nomem(mc_mod_op_t op, const char *key, size_t klen, size_t len)
{
	char kbuf[MC_KEY_LOG_MAX];

	mc_mod_stat(mc_mod_st_errors);
	LM_ERR("%s '%s': out of pkg memory copying a value of %zu bytes for the "
		   "script (raise kamailio -M, or store smaller values)\n",
			mc_op_name(op), mc_mod_key_fmt(key, klen, kbuf, sizeof(kbuf)),
			len);
	mc_mod_last_ret = MC_RET_ERR;
	return MC_RET_ERR;
}

int mc_mod_expiry(int expiry, int64_t *out)
{
	if(expiry < 0)
		return -1;
	*out = expiry;
	return 0;
}

int mc_mod_expiry_or_fail(
		mc_mod_op_t op, const char *key, size_t klen, int expiry, int64_t *out)
{
	if(mc_mod_expiry(expiry, out) < 0)
		return mc_mod_fail(op, key, klen, MC_MOD_NEGATIVE_EXPIRY);
	return 0;
}

int mc_mod_no_client(mc_mod_op_t op, const char *key, size_t klen)
{
	return mc_mod_fail(op, key, klen, "no client in this process");
}

int mc_mod_value_int(const mc_value_t *v, int stringify, int64_t min,
		int64_t max, int64_t *out)
{
	if(stringify || v->data == NULL || mc_value_is_string(v))
		return 0;
	return mc_value_int(v->data, v->len, min, max, out);
}

char *mc_mod_buf_get(mc_mod_buf_t *b, size_t len)
{
	char *n;
	size_t size;

	if(len + 1 <= b->size)
		return b->s;
	/* small values share one MC_MOD_BUF_KEEP buffer; a big one gets its
	 * exact size, released by mc_mod_buf_trim once the script is done */
	size = len + 1 <= MC_MOD_BUF_KEEP ? MC_MOD_BUF_KEEP : len + 1;
	n = (char *)pkg_malloc(size);
	if(n == NULL)
		return NULL; /* reported by the caller, with the key */
	if(b->s)
		pkg_free(b->s);
	b->s = n;
	b->size = size;
	return b->s;
}

void mc_mod_buf_trim(mc_mod_buf_t *b)
{
	if(b->size > MC_MOD_BUF_KEEP)
		mc_mod_buf_free(b);
}

void mc_mod_buf_free(mc_mod_buf_t *b)
{
	if(b->s)
		pkg_free(b->s);
	b->s = NULL;
	b->size = 0;
}

int mc_mod_stats_register(void)
{
	if(register_module_stats("memcached", mc_mod_stats) != 0) {
		LM_ERR("cannot register the memcached statistics\n");
		return -1;
	}
	mc_mod_stats_on = 1;
	return 0;
}
