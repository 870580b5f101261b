/*
 * Shared adapter runtime: per-process client, status translation and
 * logging, statistics, module-owned buffers. No cache logic: everything that
 * touches memcached is one call into core/.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/counters.h"
#include "core/dprint.h"
#include "core/mem/mem.h"
#include "core/pt.h"

#include "mc_mod.h"

/* At most one outage log line per this many seconds per process. */
#define MC_MOD_OUTAGE_LOG_INTERVAL 10
/* Bytes of a key shown in a log line (the rest is elided). */
#define MC_MOD_LOG_KEY_MAX 64

static mc_client_t *_mc_client = NULL;
/* pid that created _mc_client: a client is never used or freed elsewhere.
 * Compared with my_pid() (Kamailio's process table, set by fork_process in
 * the child): getpid() is a real syscall on every operation. */
static int _mc_client_pid = 0;
static int _mc_last = MC_RET_OK;
/* what _mc_client had counted at the last mc_mod_done */
static mc_counters_t _mc_seen;

static struct timespec _mc_outage_at = {0, 0};
static int _mc_outage_logged = 0;
static unsigned long _mc_outage_suppressed = 0;

static stat_var *_mc_st_hits = NULL;
static stat_var *_mc_st_misses = NULL;
static stat_var *_mc_st_sets = NULL;
static stat_var *_mc_st_errors = NULL;
static stat_var *_mc_st_timeouts = NULL;
static stat_var *_mc_st_trips = NULL;
static stat_var *_mc_st_queued = NULL;
static stat_var *_mc_st_quiet_lost = NULL;
/* quiet writes lost, as last seen (logged when it grows; per process) */
static unsigned long _mc_quiet_lost_seen = 0;
static int _mc_stats_on = 0;
/* the message whose request or reply route runs in this process, between
 * the pre- and the post-script callback (mc_mod_route_begin/_end) */
static int _mc_route_on = 0;
static unsigned int _mc_route_msg_id = 0;
static int _mc_route_msg_pid = 0;

/* clang-format off */
static stat_export_t _mc_stats[] = {
	{"hits",          0, &_mc_st_hits},
	{"misses",        0, &_mc_st_misses},
	{"sets",          0, &_mc_st_sets},
	{"errors",        0, &_mc_st_errors},
	{"timeouts",      0, &_mc_st_timeouts},
	{"breaker_trips", 0, &_mc_st_trips},
	{"queued",        0, &_mc_st_queued},
	{"quiet_lost",    0, &_mc_st_quiet_lost},
	{0, 0, 0}
};

static const char *_mc_op_names[] = {
	[MC_OP_GET] = "get",
	[MC_OP_EXISTS] = "exists",
	[MC_OP_SET] = "set",
	[MC_OP_ADD] = "add",
	[MC_OP_REPLACE] = "replace",
	[MC_OP_APPEND] = "append",
	[MC_OP_PREPEND] = "prepend",
	[MC_OP_DELETE] = "delete",
	[MC_OP_INCR] = "incr",
	[MC_OP_DECR] = "decr",
	[MC_OP_INCR_CREATE] = "incx",
	[MC_OP_TOUCH] = "touch",
	[MC_OP_FLUSH] = "flush",
	[MC_OP_STATS] = "stats",
	[MC_OP_SET_QUIET] = "setq",
	[MC_OP_MGET] = "mget",
	[MC_OP_MVAL] = "mval",
};
/* clang-format on */

const char *mc_mod_op_name(mc_mod_op_t op)
{
	if((size_t)op >= sizeof(_mc_op_names) / sizeof(_mc_op_names[0]) ||
			_mc_op_names[op] == NULL)
		return "?";
	return _mc_op_names[op];
}

/* Core log hook: the core's own messages at the level it chose. */
static void _mc_log(mc_log_level_t level, const char *msg, void *arg)
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
static void _mc_config(mc_config_t *cfg)
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
	cfg->log = _mc_log;
	cfg->log_arg = NULL;
}

mc_client_t *mc_mod_client_new(const char *what)
{
	mc_config_t cfg;
	mc_client_t *c = NULL;
	mc_status_t st;
	char err[256];

	_mc_config(&cfg);
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

	if(_mc_client != NULL && _mc_client_pid == my_pid())
		return 0;
	/* An inherited client belongs to the parent: forget it, never free it
	 * (freeing sends "quit" on the parent's socket). */
	_mc_client = NULL;
	_mc_client_pid = 0;

	if((c = mc_mod_client_new("cannot create the memcached client")) == NULL)
		return -1;
	_mc_client = c;
	_mc_client_pid = my_pid();
	memset(&_mc_seen, 0, sizeof(_mc_seen));
	_mc_quiet_lost_seen = 0;
	return 0;
}

mc_client_t *mc_mod_client(void)
{
	if(_mc_client != NULL && _mc_client_pid == my_pid())
		return _mc_client;
	if(mc_mod_client_init() < 0)
		return NULL;
	return _mc_client;
}

void mc_mod_client_destroy(void)
{
	if(_mc_client != NULL && _mc_client_pid == my_pid())
		mc_client_free(_mc_client);
	_mc_client = NULL;
	_mc_client_pid = 0;
}

int mc_mod_last(void)
{
	return _mc_last;
}

/* Writes key into buf for a log line: printable bytes as they are, others
 * as '?', elided after MC_MOD_LOG_KEY_MAX bytes (a key from a header must not
 * be able to forge log lines). */
static const char *_mc_key_fmt(
		const char *key, size_t klen, char *buf, size_t size)
{
	size_t i, n;

	if(key == NULL) {
		snprintf(buf, size, "<null>");
		return buf;
	}
	n = klen;
	if(n > MC_MOD_LOG_KEY_MAX)
		n = MC_MOD_LOG_KEY_MAX;
	if(n > size - 4)
		n = size - 4;
	for(i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)key[i];
		buf[i] = (ch >= 0x20 && ch < 0x7f) ? (char)ch : '?';
	}
	if(n < klen) {
		memcpy(buf + n, "...", 3);
		n += 3;
	}
	buf[n] = '\0';
	return buf;
}

static int _mc_is_outage(mc_status_t st)
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
static void _mc_log_outage(const char *line)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if(_mc_outage_logged &&
			now.tv_sec - _mc_outage_at.tv_sec < MC_MOD_OUTAGE_LOG_INTERVAL) {
		_mc_outage_suppressed++;
		return;
	}
	if(_mc_outage_suppressed > 0) {
		LM_ERR("%s (and %lu similar errors in the last %ds, not logged)\n",
				line, _mc_outage_suppressed, MC_MOD_OUTAGE_LOG_INTERVAL);
	} else {
		LM_ERR("%s\n", line);
	}
	_mc_outage_at = now;
	_mc_outage_logged = 1;
	_mc_outage_suppressed = 0;
}

static void _mc_stat(stat_var *v)
{
	if(_mc_stats_on && v != NULL)
		update_stat(v, 1);
}

/* Adds what c counted since the last look (per process). */
static void _mc_stat_delta(stat_var *v, unsigned long now, unsigned long *seen)
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
static void _mc_stats_update(mc_client_t *c)
{
	mc_counters_t cnt;

	if(c == NULL)
		return;
	mc_client_counters(c, &cnt);
	/* quiet writes found lost by this call: an outage line, rate-limited */
	if(cnt.quiet_lost > _mc_quiet_lost_seen)
		_mc_log_outage(mc_client_quiet_lost_msg(c));
	_mc_quiet_lost_seen = cnt.quiet_lost;
	if(!_mc_stats_on)
		return;
	_mc_stat_delta(_mc_st_hits, cnt.hits, &_mc_seen.hits);
	_mc_stat_delta(_mc_st_misses, cnt.misses, &_mc_seen.misses);
	_mc_stat_delta(_mc_st_sets, cnt.sets, &_mc_seen.sets);
	_mc_stat_delta(_mc_st_errors, cnt.errors, &_mc_seen.errors);
	_mc_stat_delta(_mc_st_timeouts, cnt.timeouts, &_mc_seen.timeouts);
	_mc_stat_delta(_mc_st_trips, cnt.trips, &_mc_seen.trips);
	_mc_stat_delta(_mc_st_queued, cnt.queued, &_mc_seen.queued);
	_mc_stat_delta(_mc_st_quiet_lost, cnt.quiet_lost, &_mc_seen.quiet_lost);
}

/* The failure line: the core's message when it left one (it names the
 * operation, the key and the reason), else "op 'key': status text". */
static const char *_mc_line(mc_client_t *c, mc_mod_op_t op, mc_status_t st,
		const char *key, size_t klen, char *buf, size_t size)
{
	char kbuf[MC_MOD_LOG_KEY_MAX + 4];
	const char *msg;

	msg = c != NULL ? mc_client_errstr(c) : NULL;
	if(msg != NULL && msg[0] != '\0')
		return msg;
	snprintf(buf, size, "%s '%s': %s", mc_mod_op_name(op),
			_mc_key_fmt(key, klen, kbuf, sizeof(kbuf)), mc_strerror(st));
	return buf;
}

int mc_mod_done(mc_client_t *c, mc_mod_op_t op, mc_status_t st, const char *key,
		size_t klen)
{
	char buf[MC_MOD_LOG_KEY_MAX + 128];
	const char *line;

	_mc_stats_update(c);
	if(st == MC_OK) {
		_mc_last = MC_RET_OK;
		return MC_RET_OK;
	}
	line = _mc_line(c, op, st, key, klen, buf, sizeof(buf));
	if(st == MC_NOT_FOUND || st == MC_NOT_STORED) {
		LM_DBG("%s\n", line);
		_mc_last = MC_RET_NO;
		return MC_RET_NO;
	}
	if(_mc_is_outage(st))
		_mc_log_outage(line);
	else
		LM_ERR("%s\n", line);
	_mc_last = MC_RET_ERR;
	return MC_RET_ERR;
}

void mc_mod_quiet_confirm(void)
{
	mc_client_t *c = _mc_client;

	/* only this process's own client; nothing to do without one */
	if(c == NULL || _mc_client_pid != my_pid())
		return;
	mc_quiet_confirm(c);
	_mc_stats_update(c);
}

void mc_mod_route_begin(unsigned int msg_id, int msg_pid)
{
	_mc_route_on = 1;
	_mc_route_msg_id = msg_id;
	_mc_route_msg_pid = msg_pid;
}

void mc_mod_route_end(void)
{
	_mc_route_on = 0;
}

int mc_mod_route_is(unsigned int msg_id, int msg_pid)
{
	return _mc_route_on && msg_id == _mc_route_msg_id &&
		   msg_pid == _mc_route_msg_pid;
}

int mc_mod_done_quiet(mc_client_t *c, mc_mod_op_t op, mc_status_t st,
		const char *key, size_t klen)
{
	if(mc_mod_done(c, op, st, key, klen) != MC_RET_OK)
		return _mc_last;
	_mc_last = MC_RET_QUEUED;
	return MC_RET_QUEUED;
}

int mc_mod_item(mc_mod_op_t op, mc_status_t st, const char *key, size_t klen)
{
	char kbuf[MC_MOD_LOG_KEY_MAX + 4];

	_mc_last = st == MC_OK ? MC_RET_OK
						   : (st == MC_NOT_FOUND ? MC_RET_NO : MC_RET_ERR);
	if(st != MC_OK)
		LM_DBG("%s '%s': %s\n", mc_mod_op_name(op),
				_mc_key_fmt(key, klen, kbuf, sizeof(kbuf)), mc_strerror(st));
	return _mc_last;
}

int mc_mod_fail(
		mc_mod_op_t op, const char *key, size_t klen, const char *reason)
{
	char kbuf[MC_MOD_LOG_KEY_MAX + 4];

	_mc_stat(_mc_st_errors);
	LM_ERR("%s '%s' refused: %s\n", mc_mod_op_name(op),
			_mc_key_fmt(key, klen, kbuf, sizeof(kbuf)), reason);
	_mc_last = MC_RET_ERR;
	return MC_RET_ERR;
}

int mc_mod_nomem(mc_mod_op_t op, const char *key, size_t klen, size_t len)
{
	char kbuf[MC_MOD_LOG_KEY_MAX + 4];

	_mc_stat(_mc_st_errors);
	LM_ERR("%s '%s': out of pkg memory copying a value of %zu bytes for the "
		   "script (raise kamailio -M, or store smaller values)\n",
			mc_mod_op_name(op), _mc_key_fmt(key, klen, kbuf, sizeof(kbuf)),
			len);
	_mc_last = MC_RET_ERR;
	return MC_RET_ERR;
}

int mc_mod_expiry(int expiry, int64_t *out)
{
	if(expiry < 0)
		return -1;
	*out = expiry;
	return 0;
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
	if(register_module_stats("memcached", _mc_stats) != 0) {
		LM_ERR("cannot register the memcached statistics\n");
		return -1;
	}
	_mc_stats_on = 1;
	return 0;
}
