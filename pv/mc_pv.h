/*
 * Pseudo-variables, drop-in for Kamailio's shipped memcached module:
 * $mct(key), $mct(key=>expiry), $mcinc(key), $mcdec(key), $mctex(key).
 * The key may contain other PVs.
 */
#ifndef MC_PV_H
#define MC_PV_H

#include "core/pvar.h"

/* $mct/$mcinc/$mcdec read: the value, typed by its flags; $null on miss or
 * error. */
int pv_get_mc_value(sip_msg_t *msg, pv_param_t *param, pv_value_t *res);

/* $mct(key[=>expiry]) = value: set (mode 0) or add (mode 1); $null deletes. */
int pv_set_mc_value(sip_msg_t *msg, pv_param_t *param, int op, pv_value_t *val);

/* $mcinc(key) = n / $mcdec(key) = n: one atomic incr/decr. */
int pv_set_mc_inc(sip_msg_t *msg, pv_param_t *param, int op, pv_value_t *val);
int pv_set_mc_dec(sip_msg_t *msg, pv_param_t *param, int op, pv_value_t *val);

/* $mctex(key) = seconds: touch (new expiry, value untouched). */
int pv_set_mc_expire(
		sip_msg_t *msg, pv_param_t *param, int op, pv_value_t *val);

/* Parses the name (a format that may hold other PVs). */
int pv_parse_mc_name(pv_spec_t *sp, str *in);

/* Frees this process's large-value buffers (mod_destroy). */
void pv_mc_destroy(void);

/* Frees the large-value buffers; only once no script can hold a value
 * read through them (after a request or reply route). */
void pv_mc_trim(void);

#endif
