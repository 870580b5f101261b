/*
 * KEMI functions: KSR.memcached.* for Lua, Python and JavaScript.
 *
 * Each function resolves its parameters, makes one core call and translates
 * the result. Int returns: 1 done, -1 the normal "no" (miss, not stored),
 * -2 error, 2 queued (quiet sets); never 0. Value returns (get, gete, inc, dec,
 * incx) are xvals: an int when the value is the canonical decimal of a number
 * that fits the engine's int (mc_mod_value_int), else the bytes as a string;
 * nil on miss or error (gete: ""). KSR.memcached.status() tells a miss from an
 * error afterwards.
 *
 * KEMI limits: at most 6 params, xval returns only dispatched for 0 to 3
 * params; ints are 32-bit on Kamailio 5.6, and `long` where the headers
 * define SR_KEMIP_LONG (5.7 on), for the engines that keep them exact
 * (mc_kemi_int_range).
 *
 * Adding a function: every place that changes.
 *  1. Here: ki_mc_<name> (resolve, one core call, mc_mod_done) and its entry
 *     in mc_ki_kemi_exports (name, return type, parameter types); its
 *     prototype in ki_memcached.h.
 *  2. The operation: a new MC_OP_* in core/mc_op.h and its name in
 *     core/mc_op.c's table, which core and module share (the build fails
 *     when the table is short; test_op checks that no name is empty). A new
 *     core call: core/mc_client.h (contract), its code in core/mc_ops.c
 *     (one call: mcc_begin, the libmemcached call, mcc_finish) and its unit
 *     test in tests/unit.
 *  3. kemi/mc_cfg.c: the native twin w_mc_<name> (through an mc_cfg_*
 *     helper) and its cmd_export_t entry with the fixup for its parameter
 *     kinds; tests/e2e/scenarios/cfgcheck/test_cfgcheck.py lists each one.
 *  4. doc/memcached.md: a KSR.memcached.<name> section (lua, python and js
 *     examples) and an mc_<name>( section (ctest -R doc fails otherwise),
 *     return codes included.
 *  5. tests/e2e/scenarios/api: the op in each engine's script (script.lua,
 *     script.py, script.js, native.cfg), its signature in test_api.py's
 *     SIGNATURES (checked against <engine>.api_list), and tests of its
 *     behaviour run per engine (lua51, lua54, python, jsdt, native).
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/dprint.h"
#include "core/kemi.h"
#include "core/str.h"

#include "mc_batch.h"

#include "ki_memcached.h"
#include "mc_mod.h"

#define MC_STR2(x) #x
#define MC_STR(x) MC_STR2(x)

/* Returned xval and the module-owned bytes its string points to: valid
 * until the next value-returning call in this process; the engines copy
 * them at once (htable's _htc_kemi_local). */
static sr_kemi_xval_t mc_ki_xval;

/*
 * The engine's int: what a returned number may hold exactly. 32 bits
 * everywhere (SR_KEMIP_INT: a Lua integer, a JS number, a Python int).
 * Beyond that only where KEMI has 64-bit ints (SR_KEMIP_LONG, 5.7 on) and
 * the routing engine keeps them exact: app_python3 makes a Python int of a
 * long, and native cfg (no KEMI engine: the mc_<name> functions) stores it
 * in a `long` PV. app_lua and app_jsdt push a long as a double
 * (lua_pushnumber, duk_push_number): Lua 5.4 would see the float
 * 2147483648.0, and beyond 2^53 digits would be lost, so there a number
 * beyond 32 bits comes back as its decimal string, as on 5.6.
 */
static void mc_kemi_int_range(int64_t *lo, int64_t *hi)
{
	*lo = INT_MIN;
	*hi = INT_MAX;
#ifdef SR_KEMIP_LONG
	{
		sr_kemi_eng_t *eng = sr_kemi_eng_get();

		if(eng == NULL
				|| (eng->ename.len >= 6
						&& strncmp(eng->ename.s, "python", 6) == 0)) {
			*lo = LONG_MIN;
			*hi = LONG_MAX;
		}
	}
#endif
}
static mc_mod_buf_t mc_ki_kemi_buf = {NULL, 0};

/* The last mget of this process: its keys (a copy of the script's string,
 * pkg), the items pointing into it, and the values (core-owned). Cleared
 * after each script (ki_mc_trim): a value read in one request is never
 * handed out in another. */
static mc_mod_buf_t mc_ki_mget_keys = {NULL, 0};
static mc_mget_item_t mc_ki_mget_items[MC_MGET_MAX];
static size_t mc_ki_mget_n = 0;
static mc_mget_buf_t mc_ki_mget_vals = {NULL, 0, 0};

static void mc_ki_mget_clear(void);

void ki_mc_destroy(void)
{
	mc_mod_buf_free(&mc_ki_kemi_buf);
	mc_ki_mget_clear();
	mc_mod_buf_free(&mc_ki_mget_keys);
}

void ki_mc_trim(void)
{
	mc_mod_buf_trim(&mc_ki_kemi_buf);
	mc_ki_mget_clear();
}

static sr_kemi_xval_t *mc_ki_xval_null(int rmode)
{
	memset(&mc_ki_xval, 0, sizeof(mc_ki_xval));
	sr_kemi_xval_null(&mc_ki_xval, rmode);
	return &mc_ki_xval;
}

/* A copy of s/len, read by op on key, as the string xval; null (rmode),
 * status() -2 and an ERROR line if it cannot be copied. */
static sr_kemi_xval_t *mc_ki_xval_str(
		mc_mod_op_t op, str *key, const char *s, size_t len, int rmode)
{
	char *b;

	b = mc_mod_buf_get(&mc_ki_kemi_buf, len);
	if(b == NULL) {
		mc_mod_nomem(op, key->s, key->len, len);
		return mc_ki_xval_null(rmode);
	}
	memcpy(b, s, len);
	b[len] = '\0';
	memset(&mc_ki_xval, 0, sizeof(mc_ki_xval));
	mc_ki_xval.vtype = SR_KEMIP_STR;
	mc_ki_xval.v.s.s = b;
	mc_ki_xval.v.s.len = (int)len;
	return &mc_ki_xval;
}

/* n as the int xval: SR_KEMIP_INT when it fits 32 bits (an integer in
 * every engine), else SR_KEMIP_LONG; precondition: within
 * mc_kemi_int_range. */
static sr_kemi_xval_t *mc_ki_xval_int(int64_t n)
{
	memset(&mc_ki_xval, 0, sizeof(mc_ki_xval));
#ifdef SR_KEMIP_LONG
	if(n < INT_MIN || n > INT_MAX) {
		mc_ki_xval.vtype = SR_KEMIP_LONG;
		mc_ki_xval.v.l = (long)n;
		return &mc_ki_xval;
	}
#endif
	mc_ki_xval.vtype = SR_KEMIP_INT;
	mc_ki_xval.v.n = (int)n;
	return &mc_ki_xval;
}

/* A counter value: int when it fits the engine's int, else its decimal
 * string. */
static sr_kemi_xval_t *mc_ki_xval_u64(
		mc_mod_op_t op, str *key, uint64_t v, int rmode)
{
	char num[24];
	int64_t lo, hi;
	int n;

	mc_kemi_int_range(&lo, &hi);
	if(v <= (uint64_t)hi)
		return mc_ki_xval_int((int64_t)v);
	n = snprintf(num, sizeof(num), "%llu", (unsigned long long)v);
	return mc_ki_xval_str(op, key, num, (size_t)n, rmode);
}

static sr_kemi_xval_t *mc_ki_get(str *key, int rmode)
{
	mc_client_t *c;
	mc_value_t v;
	int64_t n, lo, hi;

	c = mc_mod_client();
	if(c == NULL) {
		mc_mod_no_client(MC_OP_GET, key->s, key->len);
		return mc_ki_xval_null(rmode);
	}
	memset(&v, 0, sizeof(v));
	if(mc_mod_done(c, MC_OP_GET, mc_get(c, key->s, key->len, &v), key->s,
			   key->len) != MC_RET_OK)
		return mc_ki_xval_null(rmode);
	mc_kemi_int_range(&lo, &hi);
	if(mc_mod_value_int(&v, 0, lo, hi, &n))
		return mc_ki_xval_int(n);
	return mc_ki_xval_str(MC_OP_GET, key, v.data, v.len, rmode);
}

sr_kemi_xval_t *ki_mc_get(sip_msg_t *msg, str *key)
{
	(void)msg;
	return mc_ki_get(key, SR_KEMI_XVAL_NULL_NONE);
}

sr_kemi_xval_t *ki_mc_gete(sip_msg_t *msg, str *key)
{
	(void)msg;
	return mc_ki_get(key, SR_KEMI_XVAL_NULL_EMPTY);
}

int ki_mc_exists(sip_msg_t *msg, str *key)
{
	mc_client_t *c;

	(void)msg;
	if((c = mc_mod_client()) == NULL)
		return mc_mod_no_client(MC_OP_EXISTS, key->s, key->len);
	return mc_mod_done(
			c, MC_OP_EXISTS, mc_exists(c, key->s, key->len), key->s, key->len);
}

static const mc_mod_op_t mc_ki_store_ops[] = {
		[MC_STORE_SET] = MC_OP_SET,
		[MC_STORE_ADD] = MC_OP_ADD,
		[MC_STORE_REPLACE] = MC_OP_REPLACE,
		[MC_STORE_APPEND] = MC_OP_APPEND,
		[MC_STORE_PREPEND] = MC_OP_PREPEND,
};

/* One store; expiry < 0 from a script is refused here because the core
 * reads MC_EXPIRY_DEFAULT (-1) as "the default". use_default selects it. */
static int mc_ki_store(mc_store_mode_t mode, str *key, const char *val,
		size_t vlen, uint32_t flags, int expiry, int use_default)
{
	mc_mod_op_t op = mc_ki_store_ops[mode];
	mc_client_t *c;
	int64_t exp = MC_EXPIRY_DEFAULT;

	if(!use_default &&
			mc_mod_expiry_or_fail(op, key->s, key->len, expiry, &exp) < 0)
		return MC_RET_ERR;
	if((c = mc_mod_client()) == NULL)
		return mc_mod_no_client(op, key->s, key->len);
	return mc_mod_done(c, op,
			mc_store(c, mode, key->s, key->len, val, vlen, flags, exp), key->s,
			key->len);
}

static int mc_ki_store_int(
		mc_store_mode_t mode, str *key, int val, int expiry, int use_default)
{
	char num[16];
	int n;

	n = snprintf(num, sizeof(num), "%d", val);
	return mc_ki_store(mode, key, num, (size_t)n, 0, expiry, use_default);
}

/* A quiet set (mc_set_quiet): MC_RET_QUEUED once sent, or once in the send
 * buffer when msg's route runs here (its post-script callback sends it). */
static int mc_ki_store_quiet(sip_msg_t *msg, str *key, const char *val,
		size_t vlen, uint32_t flags, int expiry, int use_default)
{
	mc_client_t *c;
	int64_t exp = MC_EXPIRY_DEFAULT;

	if(!use_default &&
			mc_mod_expiry_or_fail(
					MC_OP_SET_QUIET, key->s, key->len, expiry, &exp) < 0)
		return MC_RET_ERR;
	if((c = mc_mod_client()) == NULL)
		return mc_mod_no_client(MC_OP_SET_QUIET, key->s, key->len);
	mc_client_quiet_defer(c, msg != NULL && mc_mod_route_is(msg->id, msg->pid));
	return mc_mod_done_quiet(c, MC_OP_SET_QUIET,
			mc_set_quiet(c, key->s, key->len, val, vlen, flags, exp), key->s,
			key->len);
}

static int mc_ki_store_quiet_int(
		sip_msg_t *msg, str *key, int val, int expiry, int use_default)
{
	char num[16];
	int n;

	n = snprintf(num, sizeof(num), "%d", val);
	return mc_ki_store_quiet(msg, key, num, (size_t)n, 0, expiry, use_default);
}

int ki_mc_setsq(sip_msg_t *msg, str *key, str *val)
{
	return mc_ki_store_quiet(msg, key, val->s, val->len, MC_FLAG_STRING, 0, 1);
}

int ki_mc_setiq(sip_msg_t *msg, str *key, int val)
{
	return mc_ki_store_quiet_int(msg, key, val, 0, 1);
}

int ki_mc_setxsq(sip_msg_t *msg, str *key, str *val, int expiry)
{
	return mc_ki_store_quiet(
			msg, key, val->s, val->len, MC_FLAG_STRING, expiry, 0);
}

int ki_mc_setxiq(sip_msg_t *msg, str *key, int val, int expiry)
{
	return mc_ki_store_quiet_int(msg, key, val, expiry, 0);
}

int ki_mc_sets(sip_msg_t *msg, str *key, str *val)
{
	(void)msg;
	return mc_ki_store(MC_STORE_SET, key, val->s, val->len, MC_FLAG_STRING, 0, 1);
}

int ki_mc_seti(sip_msg_t *msg, str *key, int val)
{
	(void)msg;
	return mc_ki_store_int(MC_STORE_SET, key, val, 0, 1);
}

int ki_mc_setxs(sip_msg_t *msg, str *key, str *val, int expiry)
{
	(void)msg;
	return mc_ki_store(
			MC_STORE_SET, key, val->s, val->len, MC_FLAG_STRING, expiry, 0);
}

int ki_mc_setxi(sip_msg_t *msg, str *key, int val, int expiry)
{
	(void)msg;
	return mc_ki_store_int(MC_STORE_SET, key, val, expiry, 0);
}

int ki_mc_add(sip_msg_t *msg, str *key, str *val, int expiry)
{
	(void)msg;
	return mc_ki_store(
			MC_STORE_ADD, key, val->s, val->len, MC_FLAG_STRING, expiry, 0);
}

int ki_mc_addi(sip_msg_t *msg, str *key, int val, int expiry)
{
	(void)msg;
	return mc_ki_store_int(MC_STORE_ADD, key, val, expiry, 0);
}

int ki_mc_replace(sip_msg_t *msg, str *key, str *val, int expiry)
{
	(void)msg;
	return mc_ki_store(
			MC_STORE_REPLACE, key, val->s, val->len, MC_FLAG_STRING, expiry, 0);
}

int ki_mc_append(sip_msg_t *msg, str *key, str *val)
{
	(void)msg;
	return mc_ki_store(
			MC_STORE_APPEND, key, val->s, val->len, MC_FLAG_STRING, 0, 1);
}

int ki_mc_prepend(sip_msg_t *msg, str *key, str *val)
{
	(void)msg;
	return mc_ki_store(
			MC_STORE_PREPEND, key, val->s, val->len, MC_FLAG_STRING, 0, 1);
}

int ki_mc_delete(sip_msg_t *msg, str *key)
{
	mc_client_t *c;

	(void)msg;
	if((c = mc_mod_client()) == NULL)
		return mc_mod_no_client(MC_OP_DELETE, key->s, key->len);
	return mc_mod_done(
			c, MC_OP_DELETE, mc_delete(c, key->s, key->len), key->s, key->len);
}

int ki_mc_touch(sip_msg_t *msg, str *key, int expiry)
{
	mc_client_t *c;
	int64_t exp;

	(void)msg;
	if(mc_mod_expiry_or_fail(MC_OP_TOUCH, key->s, key->len, expiry, &exp) < 0)
		return MC_RET_ERR;
	if((c = mc_mod_client()) == NULL)
		return mc_mod_no_client(MC_OP_TOUCH, key->s, key->len);
	return mc_mod_done(c, MC_OP_TOUCH, mc_touch(c, key->s, key->len, exp),
			key->s, key->len);
}

/* inc, dec and incx: a negative delta is refused (nil, status -2, logged):
 * memcached counters are unsigned; use dec to go down. */
static sr_kemi_xval_t *mc_ki_counter(
		mc_mod_op_t op, str *key, int delta, int expiry)
{
	mc_client_t *c;
	mc_status_t st;
	uint64_t nv = 0;
	int64_t exp = 0;

	if(delta < 0) {
		mc_mod_fail(op, key->s, key->len,
				op == MC_OP_DECR ? "negative delta (use inc to go up)"
								 : "negative delta (use dec to go down)");
		return mc_ki_xval_null(SR_KEMI_XVAL_NULL_NONE);
	}
	if(op == MC_OP_INCR_CREATE &&
			mc_mod_expiry_or_fail(op, key->s, key->len, expiry, &exp) < 0)
		return mc_ki_xval_null(SR_KEMI_XVAL_NULL_NONE);
	if((c = mc_mod_client()) == NULL) {
		mc_mod_no_client(op, key->s, key->len);
		return mc_ki_xval_null(SR_KEMI_XVAL_NULL_NONE);
	}
	if(op == MC_OP_INCR)
		st = mc_incr(c, key->s, key->len, (uint64_t)delta, &nv);
	else if(op == MC_OP_DECR)
		st = mc_decr(c, key->s, key->len, (uint64_t)delta, &nv);
	else
		st = mc_incr_create(c, key->s, key->len, (uint64_t)delta, exp, &nv);
	if(mc_mod_done(c, op, st, key->s, key->len) != MC_RET_OK)
		return mc_ki_xval_null(SR_KEMI_XVAL_NULL_NONE);
	return mc_ki_xval_u64(op, key, nv, SR_KEMI_XVAL_NULL_NONE);
}

sr_kemi_xval_t *ki_mc_inc(sip_msg_t *msg, str *key, int delta)
{
	(void)msg;
	return mc_ki_counter(MC_OP_INCR, key, delta, 0);
}

sr_kemi_xval_t *ki_mc_dec(sip_msg_t *msg, str *key, int delta)
{
	(void)msg;
	return mc_ki_counter(MC_OP_DECR, key, delta, 0);
}

sr_kemi_xval_t *ki_mc_incx(sip_msg_t *msg, str *key, int delta, int expiry)
{
	(void)msg;
	return mc_ki_counter(MC_OP_INCR_CREATE, key, delta, expiry);
}

/* The first sep in [p, end), or NULL. */
static char *mc_ki_find(char *p, char *end, str *sep)
{
	for(; end - p >= sep->len; p++)
		if(memcmp(p, sep->s, sep->len) == 0)
			return p;
	return NULL;
}

/* Splits the copy of keys at each sep into mc_ki_mget_items; the count, or
 * -1 with the reason in *why. */
static int mc_ki_mget_split(str *keys, str *sep, const char **why)
{
	char *p, *end, *hit;
	size_t n = 0;

	if(sep->len <= 0) {
		*why = "empty separator (give the string between the keys, e.g. "
			   "\",\")";
		return -1;
	}
	if((p = mc_mod_buf_get(&mc_ki_mget_keys, (size_t)keys->len)) == NULL) {
		*why = "out of pkg memory for the keys";
		return -1;
	}
	memcpy(p, keys->s, keys->len);
	end = p + keys->len;
	for(;;) {
		hit = mc_ki_find(p, end, sep);
		if(n == MC_MGET_MAX) {
			*why = "more than " MC_STR(MC_MGET_MAX) " keys";
			return -1;
		}
		mc_ki_mget_items[n].key = p;
		mc_ki_mget_items[n].klen = (size_t)((hit ? hit : end) - p);
		if(mc_ki_mget_items[n++].klen == 0) {
			*why = "an empty key (two separators in a row, or one at an end)";
			return -1;
		}
		if(hit == NULL)
			return (int)n;
		p = hit + sep->len;
	}
}

static void mc_ki_mget_clear(void)
{
	mc_ki_mget_n = 0;
	mc_mod_buf_trim(&mc_ki_mget_keys);
	if(mc_ki_mget_vals.cap > MC_MOD_BUF_KEEP)
		mc_mget_buf_free(&mc_ki_mget_vals);
}

int ki_mc_mget(sip_msg_t *msg, str *keys, str *sep)
{
	mc_client_t *c;
	const char *why = NULL;
	int n;

	(void)msg;
	mc_ki_mget_n = 0;
	if((n = mc_ki_mget_split(keys, sep, &why)) < 0)
		return mc_mod_fail(MC_OP_MGET, keys->s, keys->len, why);
	if((c = mc_mod_client()) == NULL)
		return mc_mod_no_client(MC_OP_MGET, keys->s, keys->len);
	mc_ki_mget_n = (size_t)n;
	return mc_mod_done(c, MC_OP_MGET,
			mc_mget(c, mc_ki_mget_items, mc_ki_mget_n, &mc_ki_mget_vals), keys->s,
			keys->len);
}

static sr_kemi_xval_t *mc_ki_mval(str *key, int rmode)
{
	mc_mget_item_t *it = NULL;
	int64_t n, lo, hi;
	size_t i;

	for(i = 0; i < mc_ki_mget_n && it == NULL; i++)
		if(mc_ki_mget_items[i].klen == (size_t)key->len &&
				memcmp(mc_ki_mget_items[i].key, key->s, key->len) == 0)
			it = &mc_ki_mget_items[i];
	if(it == NULL) {
		mc_mod_fail(MC_OP_MVAL, key->s, key->len,
				"not among the keys of this request's last mget");
		return mc_ki_xval_null(rmode);
	}
	if(mc_mod_item(MC_OP_MVAL, it->st, key->s, key->len) != MC_RET_OK)
		return mc_ki_xval_null(rmode);
	mc_kemi_int_range(&lo, &hi);
	if(mc_mod_value_int(&it->val, 0, lo, hi, &n))
		return mc_ki_xval_int(n);
	return mc_ki_xval_str(MC_OP_MVAL, key, it->val.data, it->val.len, rmode);
}

sr_kemi_xval_t *ki_mc_mval(sip_msg_t *msg, str *key)
{
	(void)msg;
	return mc_ki_mval(key, SR_KEMI_XVAL_NULL_NONE);
}

int ki_mc_status(sip_msg_t *msg)
{
	(void)msg;
	return mc_mod_last();
}

/* clang-format off */
static sr_kemi_t mc_ki_kemi_exports[] = {
	{ str_init("memcached"), str_init("get"),
		SR_KEMIP_XVAL, ki_mc_get,
		{ SR_KEMIP_STR, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("memcached"), str_init("gete"),
		SR_KEMIP_XVAL, ki_mc_gete,
		{ SR_KEMIP_STR, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("memcached"), str_init("exists"),
		SR_KEMIP_INT, ki_mc_exists,
		{ SR_KEMIP_STR, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("memcached"), str_init("sets"),
		SR_KEMIP_INT, ki_mc_sets,
		{ SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("memcached"), str_init("seti"),
		SR_KEMIP_INT, ki_mc_seti,
		{ SR_KEMIP_STR, SR_KEMIP_INT, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("memcached"), str_init("setxs"),
		SR_KEMIP_INT, ki_mc_setxs,
		{ SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_INT,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("memcached"), str_init("setxi"),
		SR_KEMIP_INT, ki_mc_setxi,
		{ SR_KEMIP_STR, SR_KEMIP_INT, SR_KEMIP_INT,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("memcached"), str_init("setsq"),
		SR_KEMIP_INT, ki_mc_setsq,
		{ SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("memcached"), str_init("setiq"),
		SR_KEMIP_INT, ki_mc_setiq,
		{ SR_KEMIP_STR, SR_KEMIP_INT, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("memcached"), str_init("setxsq"),
		SR_KEMIP_INT, ki_mc_setxsq,
		{ SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_INT,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("memcached"), str_init("setxiq"),
		SR_KEMIP_INT, ki_mc_setxiq,
		{ SR_KEMIP_STR, SR_KEMIP_INT, SR_KEMIP_INT,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("memcached"), str_init("add"),
		SR_KEMIP_INT, ki_mc_add,
		{ SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_INT,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("memcached"), str_init("addi"),
		SR_KEMIP_INT, ki_mc_addi,
		{ SR_KEMIP_STR, SR_KEMIP_INT, SR_KEMIP_INT,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("memcached"), str_init("replace"),
		SR_KEMIP_INT, ki_mc_replace,
		{ SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_INT,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("memcached"), str_init("append"),
		SR_KEMIP_INT, ki_mc_append,
		{ SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("memcached"), str_init("prepend"),
		SR_KEMIP_INT, ki_mc_prepend,
		{ SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("memcached"), str_init("delete"),
		SR_KEMIP_INT, ki_mc_delete,
		{ SR_KEMIP_STR, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("memcached"), str_init("inc"),
		SR_KEMIP_XVAL, ki_mc_inc,
		{ SR_KEMIP_STR, SR_KEMIP_INT, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("memcached"), str_init("dec"),
		SR_KEMIP_XVAL, ki_mc_dec,
		{ SR_KEMIP_STR, SR_KEMIP_INT, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("memcached"), str_init("incx"),
		SR_KEMIP_XVAL, ki_mc_incx,
		{ SR_KEMIP_STR, SR_KEMIP_INT, SR_KEMIP_INT,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("memcached"), str_init("touch"),
		SR_KEMIP_INT, ki_mc_touch,
		{ SR_KEMIP_STR, SR_KEMIP_INT, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("memcached"), str_init("mget"),
		SR_KEMIP_INT, ki_mc_mget,
		{ SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("memcached"), str_init("mval"),
		SR_KEMIP_XVAL, ki_mc_mval,
		{ SR_KEMIP_STR, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("memcached"), str_init("status"),
		SR_KEMIP_INT, ki_mc_status,
		{ SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},

	{ {0, 0}, {0, 0}, 0, NULL, { 0, 0, 0, 0, 0, 0 } }
};
/* clang-format on */

int ki_mc_register(void)
{
	return sr_kemi_modules_add(mc_ki_kemi_exports);
}
