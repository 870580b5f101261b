/*
 * Native kamailio.cfg functions: one mc_<name> per KSR.memcached.<name>.
 *
 * Each w_mc_* resolves its parameters and calls the ki_mc_* function KEMI
 * calls (htable: w_ht_rm -> ki_ht_rm); no cache logic lives here. Return
 * codes are the KEMI ones: 1 done, -1 the normal "no" (miss, not stored,
 * not found), -2 error, 2 queued (the quiet sets, mc_set*q); never 0, which
 * would end the route. Functions that
 * return a value write it to a variable given as their last parameter and
 * return 1, -1 or -2 like the others, so $rc tells a miss from an error.
 *
 * Parameters are checked when Kamailio fixes the config:
 *   string  a literal, one variable ("$var(v)": its value, any size), or
 *           text with variables ("rl:$fU", printed into Kamailio's PV
 *           buffer, pv_buffer_size bytes)
 *   int     a decimal literal or one variable holding an int or a decimal
 *           string; an expiry or a delta given as a literal must not be
 *           negative (from a variable, it is refused at run time, -2, as
 *           KEMI refuses it)
 *   dest    one writable variable ($var, $avp, $xavp, ...)
 * Kamailio calls the fixups when it fixes the config at start-up, not in
 * `kamailio -c` (which checks only the number of parameters). Parameters
 * are constant strings: without a free fixup, Kamailio's parser refuses a
 * non-constant expression ("parameter 1 is not constant"), so a variable is
 * never read twice over ($foo holding "$bar").
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "core/dprint.h"
#include "core/error.h"
#include "core/mem/mem.h"
#include "core/pvapi.h"
#include "core/pvar.h"
#include "core/route.h"
#include "core/lvalue.h"
#include "core/sr_module.h"
#include "core/ut.h"

#include "ki_memcached.h"
#include "mc_cfg.h"
#include "mc_mod.h"

/* Where a parameter's value comes from at run time. */
typedef enum mc_cfg_src {
	MC_CFG_LIT = 0, /* literal string or int, fixed when parsed */
	MC_CFG_PV,		/* one variable: its value */
	MC_CFG_FMT		/* text with variables, printed per call */
} mc_cfg_src_t;

/* A fixed parameter: pkg memory for the process lifetime (no free fixup). */
typedef struct mc_cfg_param {
	char kind; /* 's' string, 'i' int, 'u' int >= 0, 'd' destination */
	int no;	   /* its position, for messages */
	mc_cfg_src_t src;
	str text; /* as written in the config; the literal string value */
	int n;	  /* literal int */
	pv_spec_t *pv;
	pv_elem_t *fmt;
} mc_cfg_param_t;

/* Parses s as exactly one variable into a new spec; NULL when s is not one
 * (silent: the caller says what it expected). */
static pv_spec_t *mc_cfg_parse_pv(str *s)
{
	pv_spec_t *sp;
	char *end;

	if(s->len < 2 || s->s[0] != '$')
		return NULL;
	if((sp = (pv_spec_t *)pkg_mallocxz(sizeof(*sp))) == NULL) {
		PKG_MEM_ERROR;
		return NULL;
	}
	end = pv_parse_spec2(s, sp, 1);
	if(end == NULL || end != s->s + s->len) {
		pv_spec_free(sp);
		return NULL;
	}
	return sp;
}

/* A decimal int literal: optional sign, at least one digit, within int. */
static int mc_cfg_parse_int(str *s, int *out)
{
	if(s->len == 0 || s->s[s->len - 1] < '0' || s->s[s->len - 1] > '9')
		return -1;
	return str2sint(s, out);
}

static int mc_cfg_fix_str(mc_cfg_param_t *p)
{
	if(memchr(p->text.s, '$', p->text.len) == NULL) {
		p->src = MC_CFG_LIT;
		return 0;
	}
	if((p->pv = mc_cfg_parse_pv(&p->text)) != NULL) {
		p->src = MC_CFG_PV;
		return 0;
	}
	if(pv_parse_format(&p->text, &p->fmt) < 0 || p->fmt == NULL) {
		LM_ERR("parameter %d \"%.*s\": bad variable syntax\n", p->no,
				p->text.len, p->text.s);
		return -1;
	}
	p->src = MC_CFG_FMT;
	return 0;
}

static int mc_cfg_fix_int(mc_cfg_param_t *p)
{
	if(p->text.len > 0 && p->text.s[0] == '$') {
		if((p->pv = mc_cfg_parse_pv(&p->text)) == NULL) {
			LM_ERR("parameter %d \"%.*s\": expected an integer or one "
				   "variable\n",
					p->no, p->text.len, p->text.s);
			return -1;
		}
		p->src = MC_CFG_PV;
		return 0;
	}
	if(mc_cfg_parse_int(&p->text, &p->n) < 0) {
		LM_ERR("parameter %d \"%.*s\": not a decimal integer (or one "
			   "variable)\n",
				p->no, p->text.len, p->text.s);
		return -1;
	}
	if(p->kind == 'u' && p->n < 0) {
		LM_ERR("parameter %d \"%.*s\": must not be negative (an expiry: 0 "
			   "is never; a delta: use the other function to go the other "
			   "way)\n",
				p->no, p->text.len, p->text.s);
		return -1;
	}
	p->src = MC_CFG_LIT;
	return 0;
}

static int mc_cfg_fix_dst(mc_cfg_param_t *p)
{
	if((p->pv = mc_cfg_parse_pv(&p->text)) == NULL) {
		LM_ERR("parameter %d \"%.*s\": expected the variable to write the "
			   "result to, e.g. \"$var(r)\"\n",
				p->no, p->text.len, p->text.s);
		return -1;
	}
	if(p->pv->setf == NULL) {
		LM_ERR("parameter %d \"%.*s\": a read-only variable cannot hold the "
			   "result\n",
				p->no, p->text.len, p->text.s);
		return -1;
	}
	p->src = MC_CFG_PV;
	return 0;
}

/*
 * Fixes parameter param_no of a function whose parameter kinds are sig
 * (one letter each, see mc_cfg_param_t.kind). 0, or E_CFG (logged; Kamailio
 * then names the config line and refuses to start).
 */
static int mc_cfg_fixup(const char *sig, void **param, int param_no)
{
	mc_cfg_param_t *p;
	int rc;

	if(param_no < 1 || (size_t)param_no > strlen(sig)) {
		LM_BUG("parameter %d of a function with %zu\n", param_no, strlen(sig));
		return E_BUG;
	}
	if((p = (mc_cfg_param_t *)pkg_mallocxz(sizeof(*p))) == NULL) {
		PKG_MEM_ERROR;
		return E_OUT_OF_MEM;
	}
	p->kind = sig[param_no - 1];
	p->no = param_no;
	p->text.s = (char *)*param;
	p->text.len = (int)strlen(p->text.s);
	if(p->kind == 's')
		rc = mc_cfg_fix_str(p);
	else if(p->kind == 'd')
		rc = mc_cfg_fix_dst(p);
	else
		rc = mc_cfg_fix_int(p);
	if(rc < 0) {
		pkg_free(p);
		return E_CFG;
	}
	*param = (void *)p;
	return 0;
}

/* One fixup per parameter signature: Kamailio does not tell a fixup which
 * function it fixes. */
/* clang-format off */
#define MC_CFG_FIXUP(sig)                                            \
	static int mc_cfg_fixup_##sig(void **param, int param_no)        \
	{                                                                \
		return mc_cfg_fixup(#sig, param, param_no);                  \
	}

MC_CFG_FIXUP(s)
MC_CFG_FIXUP(sd)
MC_CFG_FIXUP(ss)
MC_CFG_FIXUP(si)
MC_CFG_FIXUP(su)
MC_CFG_FIXUP(ssu)
MC_CFG_FIXUP(siu)
MC_CFG_FIXUP(sud)
MC_CFG_FIXUP(suud)
/* clang-format on */

/* Refuses the call: logged with the key (when known) and counted, status
 * -2. Returns MC_RET_ERR. */
static int mc_cfg_refuse(mc_mod_op_t op, const str *key,
		const mc_cfg_param_t *p, const char *what)
{
	char reason[160];

	snprintf(reason, sizeof(reason), "parameter %d \"%.*s\" %s", p->no,
			p->text.len > 64 ? 64 : p->text.len, p->text.s, what);
	return mc_mod_fail(
			op, key ? key->s : NULL, key ? (size_t)key->len : 0, reason);
}

/*
 * The string value of parameter param for msg, in *out: valid until the
 * next use of Kamailio's PV buffers (the call that follows is fine). key is
 * the key already resolved (NULL while resolving the key itself), for the
 * log line. 0, or MC_RET_ERR when the value is $null or does not fit.
 */
static int mc_cfg_str(
		sip_msg_t *msg, mc_mod_op_t op, const str *key, char *param, str *out)
{
	mc_cfg_param_t *p = (mc_cfg_param_t *)param;
	pv_value_t v;

	switch(p->src) {
	case MC_CFG_LIT:
		*out = p->text;
		return 0;
	case MC_CFG_PV:
		memset(&v, 0, sizeof(v));
		if(pv_get_spec_value(msg, p->pv, &v) != 0 || (v.flags & PV_VAL_NULL) ||
				!(v.flags & PV_VAL_STR))
			return mc_cfg_refuse(op, key, p, "is $null (expected a string)");
		*out = v.rs;
		return 0;
	case MC_CFG_FMT:
	default:
		out->s = pv_get_buffer();
		out->len = pv_get_buffer_size();
		if(pv_printf(msg, p->fmt, out->s, &out->len) != 0)
			return mc_cfg_refuse(op, key, p,
					"could not be printed (longer than pv_buffer_size? "
					"pass a long value as one variable)");
		return 0;
	}
}

/* The int value of parameter param for msg, in *out; 0 or MC_RET_ERR. */
static int mc_cfg_int(
		sip_msg_t *msg, mc_mod_op_t op, const str *key, char *param, int *out)
{
	mc_cfg_param_t *p = (mc_cfg_param_t *)param;
	pv_value_t v;
	long r;

	if(p->src == MC_CFG_LIT) {
		*out = p->n;
		return 0;
	}
	memset(&v, 0, sizeof(v));
	if(pv_get_spec_value(msg, p->pv, &v) != 0 || (v.flags & PV_VAL_NULL))
		return mc_cfg_refuse(op, key, p, "is $null (expected an integer)");
	if(v.flags & PV_VAL_INT) {
		/* long since Kamailio 5.7 */
		r = (long)v.ri;
		if(r < INT_MIN || r > INT_MAX)
			return mc_cfg_refuse(op, key, p, "is beyond 32 bits");
		*out = (int)r;
		return 0;
	}
	if(!(v.flags & PV_VAL_STR) || mc_cfg_parse_int(&v.rs, out) < 0)
		return mc_cfg_refuse(
				op, key, p, "is not a decimal integer within 32 bits");
	return 0;
}

/*
 * Writes a value returned by a ki_mc_* function to the destination
 * variable dst (null: $null, which a $var reads as 0 and an $avp as
 * absent) and returns the call's result, mc_mod_last(): 1 value, -1 miss,
 * -2 error.
 */
static int mc_cfg_out(sip_msg_t *msg, mc_mod_op_t op, const str *key, char *dst,
		sr_kemi_xval_t *xv)
{
	mc_cfg_param_t *p = (mc_cfg_param_t *)dst;
	int rc = mc_mod_last();
	pv_value_t v;

	memset(&v, 0, sizeof(v));
	switch(xv->vtype) {
	case SR_KEMIP_INT:
		v.flags = PV_VAL_INT | PV_TYPE_INT;
		v.ri = xv->v.n;
		break;
#ifdef SR_KEMIP_LONG
	case SR_KEMIP_LONG:
		v.flags = PV_VAL_INT | PV_TYPE_INT;
		v.ri = xv->v.l;
		break;
#endif
	case SR_KEMIP_STR:
		v.flags = PV_VAL_STR;
		v.rs = xv->v.s;
		break;
	default:
		v.flags = PV_VAL_NULL;
		break;
	}
	if(p->pv->setf(msg, &p->pv->pvp, (int)EQ_T, &v) < 0)
		return mc_cfg_refuse(op, key, p, "could not be set to the result");
	return rc;
}

/* --- the functions: resolve, call the KEMI function, return its code --- */

/* key */
typedef int (*mc_cfg_k_f)(sip_msg_t *, str *);
/* key, to a variable */
typedef sr_kemi_xval_t *(*mc_cfg_ko_f)(sip_msg_t *, str *);
/* key, int (delta), to a variable */
typedef sr_kemi_xval_t *(*mc_cfg_kio_f)(sip_msg_t *, str *, int);

static int mc_cfg_k(sip_msg_t *msg, mc_mod_op_t op, mc_cfg_k_f f, char *key)
{
	str k;

	if(mc_cfg_str(msg, op, NULL, key, &k) < 0)
		return MC_RET_ERR;
	return f(msg, &k);
}

static int mc_cfg_ko(
		sip_msg_t *msg, mc_mod_op_t op, mc_cfg_ko_f f, char *key, char *dst)
{
	str k;

	if(mc_cfg_str(msg, op, NULL, key, &k) < 0)
		return MC_RET_ERR;
	return mc_cfg_out(msg, op, &k, dst, f(msg, &k));
}

static int mc_cfg_kio(sip_msg_t *msg, mc_mod_op_t op, mc_cfg_kio_f f,
		char *key, char *num, char *dst)
{
	str k;
	int n;

	if(mc_cfg_str(msg, op, NULL, key, &k) < 0 ||
			mc_cfg_int(msg, op, &k, num, &n) < 0)
		return MC_RET_ERR;
	return mc_cfg_out(msg, op, &k, dst, f(msg, &k, n));
}

static int w_mc_get(sip_msg_t *msg, char *key, char *dst)
{
	return mc_cfg_ko(msg, MC_OP_GET, ki_mc_get, key, dst);
}

static int w_mc_gete(sip_msg_t *msg, char *key, char *dst)
{
	return mc_cfg_ko(msg, MC_OP_GET, ki_mc_gete, key, dst);
}

static int w_mc_mval(sip_msg_t *msg, char *key, char *dst)
{
	return mc_cfg_ko(msg, MC_OP_MVAL, ki_mc_mval, key, dst);
}

static int w_mc_exists(sip_msg_t *msg, char *key, char *p2)
{
	(void)p2;
	return mc_cfg_k(msg, MC_OP_EXISTS, ki_mc_exists, key);
}

static int w_mc_delete(sip_msg_t *msg, char *key, char *p2)
{
	(void)p2;
	return mc_cfg_k(msg, MC_OP_DELETE, ki_mc_delete, key);
}

/* key, string value */
typedef int (*mc_cfg_ks_f)(sip_msg_t *, str *, str *);
/* key, string value, expiry */
typedef int (*mc_cfg_ksx_f)(sip_msg_t *, str *, str *, int);
/* key, int (value or expiry) */
typedef int (*mc_cfg_ki_f)(sip_msg_t *, str *, int);
/* key, int value, expiry */
typedef int (*mc_cfg_kix_f)(sip_msg_t *, str *, int, int);

static int mc_cfg_ks(
		sip_msg_t *msg, mc_mod_op_t op, mc_cfg_ks_f f, char *key, char *val)
{
	str k, v;

	if(mc_cfg_str(msg, op, NULL, key, &k) < 0 ||
			mc_cfg_str(msg, op, &k, val, &v) < 0)
		return MC_RET_ERR;
	return f(msg, &k, &v);
}

static int mc_cfg_ksx(sip_msg_t *msg, mc_mod_op_t op, mc_cfg_ksx_f f, char *key,
		char *val, char *exp)
{
	str k, v;
	int x;

	if(mc_cfg_str(msg, op, NULL, key, &k) < 0 ||
			mc_cfg_str(msg, op, &k, val, &v) < 0 ||
			mc_cfg_int(msg, op, &k, exp, &x) < 0)
		return MC_RET_ERR;
	return f(msg, &k, &v, x);
}

static int mc_cfg_ki(
		sip_msg_t *msg, mc_mod_op_t op, mc_cfg_ki_f f, char *key, char *num)
{
	str k;
	int n;

	if(mc_cfg_str(msg, op, NULL, key, &k) < 0 ||
			mc_cfg_int(msg, op, &k, num, &n) < 0)
		return MC_RET_ERR;
	return f(msg, &k, n);
}

static int mc_cfg_kix(sip_msg_t *msg, mc_mod_op_t op, mc_cfg_kix_f f, char *key,
		char *val, char *exp)
{
	str k;
	int n, x;

	if(mc_cfg_str(msg, op, NULL, key, &k) < 0 ||
			mc_cfg_int(msg, op, &k, val, &n) < 0 ||
			mc_cfg_int(msg, op, &k, exp, &x) < 0)
		return MC_RET_ERR;
	return f(msg, &k, n, x);
}

static int w_mc_sets(sip_msg_t *msg, char *key, char *val)
{
	return mc_cfg_ks(msg, MC_OP_SET, ki_mc_sets, key, val);
}

static int w_mc_setsq(sip_msg_t *msg, char *key, char *val)
{
	return mc_cfg_ks(msg, MC_OP_SET_QUIET, ki_mc_setsq, key, val);
}

static int w_mc_setxsq(sip_msg_t *msg, char *key, char *val, char *exp)
{
	return mc_cfg_ksx(msg, MC_OP_SET_QUIET, ki_mc_setxsq, key, val, exp);
}

static int w_mc_setiq(sip_msg_t *msg, char *key, char *val)
{
	return mc_cfg_ki(msg, MC_OP_SET_QUIET, ki_mc_setiq, key, val);
}

static int w_mc_setxiq(sip_msg_t *msg, char *key, char *val, char *exp)
{
	return mc_cfg_kix(msg, MC_OP_SET_QUIET, ki_mc_setxiq, key, val, exp);
}

static int w_mc_mget(sip_msg_t *msg, char *keys, char *sep)
{
	return mc_cfg_ks(msg, MC_OP_MGET, ki_mc_mget, keys, sep);
}

static int w_mc_append(sip_msg_t *msg, char *key, char *val)
{
	return mc_cfg_ks(msg, MC_OP_APPEND, ki_mc_append, key, val);
}

static int w_mc_prepend(sip_msg_t *msg, char *key, char *val)
{
	return mc_cfg_ks(msg, MC_OP_PREPEND, ki_mc_prepend, key, val);
}

static int w_mc_setxs(sip_msg_t *msg, char *key, char *val, char *exp)
{
	return mc_cfg_ksx(msg, MC_OP_SET, ki_mc_setxs, key, val, exp);
}

static int w_mc_add(sip_msg_t *msg, char *key, char *val, char *exp)
{
	return mc_cfg_ksx(msg, MC_OP_ADD, ki_mc_add, key, val, exp);
}

static int w_mc_replace(sip_msg_t *msg, char *key, char *val, char *exp)
{
	return mc_cfg_ksx(msg, MC_OP_REPLACE, ki_mc_replace, key, val, exp);
}

static int w_mc_seti(sip_msg_t *msg, char *key, char *val)
{
	return mc_cfg_ki(msg, MC_OP_SET, ki_mc_seti, key, val);
}

static int w_mc_touch(sip_msg_t *msg, char *key, char *exp)
{
	return mc_cfg_ki(msg, MC_OP_TOUCH, ki_mc_touch, key, exp);
}

static int w_mc_setxi(sip_msg_t *msg, char *key, char *val, char *exp)
{
	return mc_cfg_kix(msg, MC_OP_SET, ki_mc_setxi, key, val, exp);
}

static int w_mc_addi(sip_msg_t *msg, char *key, char *val, char *exp)
{
	return mc_cfg_kix(msg, MC_OP_ADD, ki_mc_addi, key, val, exp);
}

static int w_mc_inc(sip_msg_t *msg, char *key, char *delta, char *dst)
{
	return mc_cfg_kio(msg, MC_OP_INCR, ki_mc_inc, key, delta, dst);
}

static int w_mc_dec(sip_msg_t *msg, char *key, char *delta, char *dst)
{
	return mc_cfg_kio(msg, MC_OP_DECR, ki_mc_dec, key, delta, dst);
}

static int w_mc_incx(
		sip_msg_t *msg, char *key, char *delta, char *exp, char *dst)
{
	mc_mod_op_t op = MC_OP_INCR_CREATE;
	str k;
	int d, x;

	if(mc_cfg_str(msg, op, NULL, key, &k) < 0 ||
			mc_cfg_int(msg, op, &k, delta, &d) < 0 ||
			mc_cfg_int(msg, op, &k, exp, &x) < 0)
		return MC_RET_ERR;
	return mc_cfg_out(msg, op, &k, dst, ki_mc_incx(msg, &k, d, x));
}

static int w_mc_status(sip_msg_t *msg, char *p1, char *p2)
{
	(void)p1;
	(void)p2;
	return ki_mc_status(msg);
}

/* Kamailio calls a function of n params through the matching cmd_functionN
 * type; the table holds them as cmd_function. Casting through void (*)(void)
 * says so to -Wcast-function-type. */
#define MC_CFG_CMD(f) ((cmd_function)(void (*)(void))(f))

/* No free fixups: parameters are fixed once, at start-up, and live as long
 * as the process; a non-constant expression as a parameter (which Kamailio
 * would fix per call) is refused by the parser. */
/* clang-format off */
cmd_export_t mc_cfg_cmds[] = {
	{"mc_get",     MC_CFG_CMD(w_mc_get),    2, mc_cfg_fixup_sd,   0, ANY_ROUTE},
	{"mc_gete",    MC_CFG_CMD(w_mc_gete),   2, mc_cfg_fixup_sd,   0, ANY_ROUTE},
	{"mc_exists",  MC_CFG_CMD(w_mc_exists), 1, mc_cfg_fixup_s,    0, ANY_ROUTE},
	{"mc_sets",    MC_CFG_CMD(w_mc_sets),   2, mc_cfg_fixup_ss,   0, ANY_ROUTE},
	{"mc_seti",    MC_CFG_CMD(w_mc_seti),   2, mc_cfg_fixup_si,   0, ANY_ROUTE},
	{"mc_setxs",   MC_CFG_CMD(w_mc_setxs),  3, mc_cfg_fixup_ssu,  0, ANY_ROUTE},
	{"mc_setxi",   MC_CFG_CMD(w_mc_setxi),  3, mc_cfg_fixup_siu,  0, ANY_ROUTE},
	{"mc_setsq",   MC_CFG_CMD(w_mc_setsq),  2, mc_cfg_fixup_ss,   0, ANY_ROUTE},
	{"mc_setiq",   MC_CFG_CMD(w_mc_setiq),  2, mc_cfg_fixup_si,   0, ANY_ROUTE},
	{"mc_setxsq",  MC_CFG_CMD(w_mc_setxsq), 3, mc_cfg_fixup_ssu,  0, ANY_ROUTE},
	{"mc_setxiq",  MC_CFG_CMD(w_mc_setxiq), 3, mc_cfg_fixup_siu,  0, ANY_ROUTE},
	{"mc_add",     MC_CFG_CMD(w_mc_add),    3, mc_cfg_fixup_ssu,  0, ANY_ROUTE},
	{"mc_addi",    MC_CFG_CMD(w_mc_addi),   3, mc_cfg_fixup_siu,  0, ANY_ROUTE},
	{"mc_replace", MC_CFG_CMD(w_mc_replace), 3, mc_cfg_fixup_ssu,  0, ANY_ROUTE},
	{"mc_append",  MC_CFG_CMD(w_mc_append), 2, mc_cfg_fixup_ss,   0, ANY_ROUTE},
	{"mc_prepend", MC_CFG_CMD(w_mc_prepend), 2, mc_cfg_fixup_ss,   0, ANY_ROUTE},
	{"mc_delete",  MC_CFG_CMD(w_mc_delete), 1, mc_cfg_fixup_s,    0, ANY_ROUTE},
	{"mc_inc",     MC_CFG_CMD(w_mc_inc),    3, mc_cfg_fixup_sud,  0, ANY_ROUTE},
	{"mc_dec",     MC_CFG_CMD(w_mc_dec),    3, mc_cfg_fixup_sud,  0, ANY_ROUTE},
	{"mc_incx",    MC_CFG_CMD(w_mc_incx),   4, mc_cfg_fixup_suud, 0, ANY_ROUTE},
	{"mc_touch",   MC_CFG_CMD(w_mc_touch),  2, mc_cfg_fixup_su,   0, ANY_ROUTE},
	{"mc_mget",    MC_CFG_CMD(w_mc_mget),   2, mc_cfg_fixup_ss,   0, ANY_ROUTE},
	{"mc_mval",    MC_CFG_CMD(w_mc_mval),   2, mc_cfg_fixup_sd,   0, ANY_ROUTE},
	{"mc_status",  MC_CFG_CMD(w_mc_status), 0, 0,                 0, ANY_ROUTE},
	{0, 0, 0, 0, 0, 0}
};
/* clang-format on */
