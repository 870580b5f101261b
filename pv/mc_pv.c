/*
 * $mct, $mcinc, $mcdec, $mctex: the names, parameters and semantics of
 * Kamailio's shipped memcached module (src/modules/memcached/mcd_var.c),
 * each a thin adapter over one core call, without that module's bugs:
 *  - $mcinc/$mcdec assignment is one atomic incr/decr (no read first), and
 *    $mcinc on a missing key creates it at the delta (race-free), with the
 *    key's "=>expiry" or the expire param;
 *  - $mctex assignment is a touch (no get + set race rewriting the value);
 *  - a value read stays valid after the getter returns (copied into the PV
 *    buffer, or a module-owned buffer when larger than it);
 *  - assigning $null to a missing key is not an error.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/dprint.h"
#include "core/mem/mem.h"
#include "core/pvapi.h"
#include "core/pvar.h"

#include "mc_mod.h"
#include "mc_key.h"
#include "mc_pv.h"

/* What a PV int holds: `int` on Kamailio 5.6, `long` from 5.7 on (taken
 * from the header's field, not from a version number). */
#define MC_PV_INT_MAX                                                          \
	(sizeof(((pv_value_t *)0)->ri) >= sizeof(int64_t) ? INT64_MAX              \
													  : (int64_t)INT32_MAX)
#define MC_PV_INT_MIN (-MC_PV_INT_MAX - 1)

/* Values larger than a PV buffer slot (pv_get_buffer, 8 KB by default) come
 * back through a ring of module-owned buffers, like Kamailio's own ring: one
 * expression may hold several reads at once ($mct(a) + $mct(b)). A value
 * stays valid until MC_PV_BIG_SLOTS more large reads in this process, or
 * the end of the request or reply route that read it (pv_mc_trim, after
 * the script: pkg memory is held only while the value is in use). */
#define MC_PV_BIG_SLOTS 4
static mc_mod_buf_t mc_pv_big[MC_PV_BIG_SLOTS];
static int mc_pv_big_next = 0;

void pv_mc_destroy(void)
{
	int i;

	for(i = 0; i < MC_PV_BIG_SLOTS; i++)
		mc_mod_buf_free(&mc_pv_big[i]);
}

void pv_mc_trim(void)
{
	int i;

	for(i = 0; i < MC_PV_BIG_SLOTS; i++)
		mc_mod_buf_trim(&mc_pv_big[i]);
}

/* Room for len bytes + NUL valid across a few PV reads; NULL when out of
 * pkg memory (the caller reports it). */
static char *mc_pv_slot(size_t len)
{
	mc_mod_buf_t *b;

	if(len < (size_t)pv_get_buffer_size())
		return pv_get_buffer();
	b = &mc_pv_big[mc_pv_big_next];
	mc_pv_big_next = (mc_pv_big_next + 1) % MC_PV_BIG_SLOTS;
	return mc_mod_buf_get(b, len);
}

/*
 * A PV name, split where the config writes "=>": the key's format and, when
 * the name has "=>", the expiry's. Split once, here, on the config's text:
 * what the formats print at run time (a header, a variable) is never split
 * again, so a "=>" in a SIP message stays part of the key.
 */
typedef struct mc_pv_name {
	pv_elem_t *key;
	pv_elem_t *exp; /* NULL: no "=>", or nothing after it */
} mc_pv_name_t;

int pv_parse_mc_name(pv_spec_t *sp, str *in)
{
	mc_pv_name_t *nm = NULL;
	str part;
	size_t arrow;

	if(sp == NULL || in == NULL || in->len <= 0)
		return -1;
	arrow = mc_key_name_arrow(in->s, (size_t)in->len);
	nm = (mc_pv_name_t *)pkg_malloc(sizeof(*nm));
	if(nm == NULL) {
		PKG_MEM_ERROR;
		return -1;
	}
	memset(nm, 0, sizeof(*nm));
	part.s = in->s;
	part.len = (int)arrow;
	if(part.len <= 0 || pv_parse_format(&part, &nm->key) < 0 ||
			nm->key == NULL) {
		LM_ERR("wrong key in [%.*s]\n", in->len, in->s);
		goto error;
	}
	if(arrow + 2 < (size_t)in->len) {
		part.s = in->s + arrow + 2;
		part.len = in->len - (int)arrow - 2;
		if(pv_parse_format(&part, &nm->exp) < 0) {
			LM_ERR("wrong expiry in [%.*s]\n", in->len, in->s);
			goto error;
		}
	}
	sp->pvp.pvn.u.dname = nm;
	sp->pvp.pvn.type = PV_NAME_PVAR;
	return 0;

error:
	if(nm->key)
		pv_elem_free_all(nm->key);
	if(nm->exp)
		pv_elem_free_all(nm->exp);
	pkg_free(nm);
	return -1;
}

/*
 * Prints the PV name's key and, when the name has "=>", its expiry. key
 * points into a PV buffer slot (valid for this call). *expiry keeps its
 * value when none is given. Returns 0, or -1 (logged).
 */
static int mc_pv_key(sip_msg_t *msg, pv_param_t *param, mc_mod_op_t op,
		str *key, int64_t *expiry)
{
	mc_pv_name_t *nm;
	str exp_txt;
	int has_exp = 0;
	unsigned int exp = 0;

	if(msg == NULL || param == NULL || param->pvn.u.dname == NULL) {
		LM_ERR("bad parameters\n");
		return -1;
	}
	nm = (mc_pv_name_t *)param->pvn.u.dname;
	if(pv_printf_s(msg, nm->key, key) != 0) {
		LM_ERR("cannot print the key name\n");
		return -1;
	}
	if(nm->exp == NULL)
		return 0;
	if(pv_printf_s(msg, nm->exp, &exp_txt) != 0) {
		LM_ERR("cannot print the expiry\n");
		return -1;
	}
	if(mc_key_expiry_parse(exp_txt.s, (size_t)exp_txt.len, &has_exp, &exp) !=
			MC_OK) {
		mc_mod_fail(op, key->s, (size_t)key->len,
				"bad expiry after '=>' (expected 0-4294967295 seconds)");
		return -1;
	}
	if(has_exp)
		*expiry = exp;
	return 0;
}

int pv_get_mc_value(sip_msg_t *msg, pv_param_t *param, pv_value_t *res)
{
	mc_client_t *c;
	mc_value_t v;
	str key;
	int64_t exp = 0;
	char *b;
	int64_t n;

	if(res == NULL || mc_pv_key(msg, param, MC_OP_GET, &key, &exp) < 0)
		return pv_get_null(msg, param, res);
	if((c = mc_mod_client()) == NULL) {
		mc_mod_no_client(MC_OP_GET, key.s, key.len);
		return pv_get_null(msg, param, res);
	}
	memset(&v, 0, sizeof(v));
	if(mc_mod_done(c, MC_OP_GET, mc_get(c, key.s, key.len, &v), key.s,
			   key.len) != MC_RET_OK)
		return pv_get_null(msg, param, res);

	/* Copy: v.data lives only until the next core call, and one expression
	 * may read several $mct before using them. */
	if((b = mc_pv_slot(v.len)) == NULL) {
		mc_mod_nomem(MC_OP_GET, key.s, key.len, v.len);
		return pv_get_null(msg, param, res);
	}
	memcpy(b, v.data, v.len);
	b[v.len] = '\0';

	memset(res, 0, sizeof(*res));
	res->rs.s = b;
	res->rs.len = (int)v.len;
	if(mc_mod_value_int(
			   &v, mc_mod_params.stringify, MC_PV_INT_MIN, MC_PV_INT_MAX, &n)) {
		res->ri = n; /* fits: MC_PV_INT_MIN..MC_PV_INT_MAX */
		res->flags = PV_VAL_STR | PV_VAL_INT | PV_TYPE_INT;
	} else {
		res->flags = PV_VAL_STR;
	}
	return 0;
}

/*
 * What an assignment returns to Kamailio: 0 when done, -1 otherwise (a miss,
 * an add finding the key, an error), as the shipped module does. Native
 * scripts rely on it: a route ends with the result of its last action, so
 * `route(CLAIM)` with an add as its last action is the dedup and lock idiom,
 * and an outage is told apart from success the same way. The price is
 * Kamailio core's own ERROR lines for each failed assignment, which this
 * module cannot rate-limit (documented; KEMI functions have no such lines).
 * $null on a missing key is done: the key is gone either way.
 */
static int mc_pv_assigned(mc_status_t st)
{
	return st == MC_OK ? 0 : -1;
}

int pv_set_mc_value(sip_msg_t *msg, pv_param_t *param, int op, pv_value_t *val)
{
	mc_client_t *c;
	mc_store_mode_t mode;
	mc_mod_op_t mop;
	int64_t exp = mc_mod_params.expire;
	char num[24];
	const char *data;
	size_t len;
	uint32_t flags;
	str key;
	mc_status_t st;

	(void)op;
	mode = mc_mod_params.mode == 1 ? MC_STORE_ADD : MC_STORE_SET;
	mop = mode == MC_STORE_ADD ? MC_OP_ADD : MC_OP_SET;
	if(mc_pv_key(msg, param, mop, &key, &exp) < 0)
		return -1;
	if((c = mc_mod_client()) == NULL) {
		mc_mod_no_client(mop, key.s, key.len);
		return -1;
	}

	if(val == NULL || (val->flags & PV_VAL_NULL)) {
		/* $null deletes; a key already gone is fine */
		st = mc_delete(c, key.s, key.len);
		mc_mod_done(c, MC_OP_DELETE, st, key.s, key.len);
		return mc_pv_assigned(st == MC_NOT_FOUND ? MC_OK : st);
	}
	if(val->flags & PV_VAL_INT) {
		/* ri is int on 5.6, long from 5.7: the canonical decimal either way,
		 * which reads back as the same number (doc 8.4) */
		len = (size_t)snprintf(num, sizeof(num), "%lld", (long long)val->ri);
		data = num;
		flags = 0;
	} else {
		data = val->rs.s;
		len = (size_t)val->rs.len;
		flags = MC_FLAG_STRING;
	}
	st = mc_store(c, mode, key.s, key.len, data, len, flags, exp);
	mc_mod_done(c, mop, st, key.s, key.len);
	return mc_pv_assigned(st);
}

/*
 * What the $mcinc, $mcdec and $mctex assignments share: the key (and its
 * "=>expiry" into *exp, which keeps its value when none is given), a value
 * that must be an integer, 0 or more (what names it in the refusal,
 * negative is the refusal of a negative one), and this process's client.
 * Returns the client, or NULL once the refusal is recorded and logged.
 */
static mc_client_t *mc_pv_int_assign(sip_msg_t *msg, pv_param_t *param,
		mc_mod_op_t op, pv_value_t *val, const char *what, const char *negative,
		str *key, int64_t *exp)
{
	mc_client_t *c;
	char why[64];

	if(mc_pv_key(msg, param, op, key, exp) < 0)
		return NULL;
	if(val == NULL || !(val->flags & PV_VAL_INT)) {
		snprintf(why, sizeof(why),
				"the %s must be an integer (strings not allowed)", what);
		mc_mod_fail(op, key->s, key->len, why);
		return NULL;
	}
	if(val->ri < 0) {
		mc_mod_fail(op, key->s, key->len, negative);
		return NULL;
	}
	if((c = mc_mod_client()) == NULL)
		mc_mod_no_client(op, key->s, key->len);
	return c;
}

/*
 * $mcinc/$mcdec assignment: one atomic round trip. $mcinc creates a missing
 * counter at the delta (incr, on a miss add, if the add loses the race incr
 * again), so a counter is the single line `$mcinc(k) = 1;` instead of the
 * shipped module's read, add, then read-and-increment. $mcdec of a missing
 * key stays a miss: there is nothing below zero to create.
 */
static int mc_pv_counter(
		sip_msg_t *msg, pv_param_t *param, mc_mod_op_t mop, pv_value_t *val)
{
	mc_client_t *c;
	mc_status_t st;
	uint64_t nv = 0;
	int64_t exp = mc_mod_params.expire;
	str key;

	c = mc_pv_int_assign(msg, param, mop, val, "delta",
			mop == MC_OP_INCR_CREATE ? "negative delta (use $mcdec to go down)"
									 : "negative delta (use $mcinc to go up)",
			&key, &exp);
	if(c == NULL)
		return -1;
	if(mop == MC_OP_INCR_CREATE)
		st = mc_incr_create(c, key.s, key.len, (uint64_t)val->ri, exp, &nv);
	else
		st = mc_decr(c, key.s, key.len, (uint64_t)val->ri, &nv);
	mc_mod_done(c, mop, st, key.s, key.len);
	return mc_pv_assigned(st);
}

int pv_set_mc_inc(sip_msg_t *msg, pv_param_t *param, int op, pv_value_t *val)
{
	(void)op;
	return mc_pv_counter(msg, param, MC_OP_INCR_CREATE, val);
}

int pv_set_mc_dec(sip_msg_t *msg, pv_param_t *param, int op, pv_value_t *val)
{
	(void)op;
	return mc_pv_counter(msg, param, MC_OP_DECR, val);
}

int pv_set_mc_expire(sip_msg_t *msg, pv_param_t *param, int op, pv_value_t *val)
{
	mc_client_t *c;
	mc_status_t st;
	int64_t exp = 0;
	str key;

	(void)op;
	/* the value is the expiry; a "=>expiry" in the name is checked, unused */
	c = mc_pv_int_assign(msg, param, MC_OP_TOUCH, val, "expiry",
			MC_MOD_NEGATIVE_EXPIRY, &key, &exp);
	if(c == NULL)
		return -1;
	st = mc_touch(c, key.s, key.len, val->ri);
	mc_mod_done(c, MC_OP_TOUCH, st, key.s, key.len);
	return mc_pv_assigned(st);
}
