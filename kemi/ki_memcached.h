/*
 * KEMI exports of the module (KSR.memcached.*).
 *
 * The ki_mc_* functions are what KEMI calls; the native cfg functions
 * (mc_cfg.c) resolve their parameters and call the same ones, so both
 * worlds share one implementation (htable: w_ht_rm -> ki_ht_rm).
 *
 * Int returns: MC_RET_OK (1), MC_RET_NO (-1: miss, not stored, not found),
 * MC_RET_ERR (-2); never 0. Every call records its result for
 * ki_mc_status() (mc_mod_last()).
 *
 * Value returns point to a module-owned xval whose string (if any) is valid
 * until the next value-returning call in this process: the caller copies it
 * at once. On miss or error: null (ki_mc_gete: the empty string); the int
 * result is then mc_mod_last().
 */
#ifndef KI_MEMCACHED_H
#define KI_MEMCACHED_H

#include "core/kemi.h"
#include "core/parser/msg_parser.h"
#include "core/str.h"

/* Registers the KEMI table; called from mod_register. 0 on success. */
int ki_mc_register(void);

/* Frees this process's KEMI return buffer (mod_destroy). */
void ki_mc_destroy(void);

/* Lookups: the value, a number only when its bytes are the canonical
 * decimal of a number the engine can hold (doc 8.4). */
sr_kemi_xval_t *ki_mc_get(sip_msg_t *msg, str *key);
sr_kemi_xval_t *ki_mc_gete(sip_msg_t *msg, str *key);
int ki_mc_exists(sip_msg_t *msg, str *key);

/* Stores. A negative expiry is refused (MC_RET_ERR) before any I/O. */
int ki_mc_sets(sip_msg_t *msg, str *key, str *val);
int ki_mc_seti(sip_msg_t *msg, str *key, int val);
int ki_mc_setxs(sip_msg_t *msg, str *key, str *val, int expiry);
int ki_mc_setxi(sip_msg_t *msg, str *key, int val, int expiry);
int ki_mc_add(sip_msg_t *msg, str *key, str *val, int expiry);
int ki_mc_addi(sip_msg_t *msg, str *key, int val, int expiry);
int ki_mc_replace(sip_msg_t *msg, str *key, str *val, int expiry);
int ki_mc_append(sip_msg_t *msg, str *key, str *val);
int ki_mc_prepend(sip_msg_t *msg, str *key, str *val);
int ki_mc_delete(sip_msg_t *msg, str *key);
int ki_mc_touch(sip_msg_t *msg, str *key, int expiry);

/*
 * Quiet sets (mc_set_quiet): sent without waiting for memcached's answer.
 * MC_RET_QUEUED (2) once sent; MC_RET_ERR when it could not be sent (dead
 * server, breaker open, bad input), counted and logged like any error.
 */
int ki_mc_setsq(sip_msg_t *msg, str *key, str *val);
int ki_mc_setiq(sip_msg_t *msg, str *key, int val);
int ki_mc_setxsq(sip_msg_t *msg, str *key, str *val, int expiry);
int ki_mc_setxiq(sip_msg_t *msg, str *key, int val, int expiry);

/* Counters: the new value; a negative delta is refused before any I/O. */
sr_kemi_xval_t *ki_mc_inc(sip_msg_t *msg, str *key, int delta);
sr_kemi_xval_t *ki_mc_dec(sip_msg_t *msg, str *key, int delta);
sr_kemi_xval_t *ki_mc_incx(sip_msg_t *msg, str *key, int delta, int expiry);

/*
 * Multi-get: keys is the script's keys joined by sep (1 to MC_MGET_MAX
 * keys, none empty, none containing sep), read in one round trip per
 * server. MC_RET_OK when every server answered (hits or misses),
 * MC_RET_ERR else (bad keys, a server failed: its keys read as errors).
 * ki_mc_mval(key) then hands out key's value without I/O, typed as
 * ki_mc_get types it: nil and status() -1 for a miss, nil and -2 for a key
 * its server did not answer or that was not in this request's last mget.
 * The results are cleared after each script (ki_mc_trim).
 */
int ki_mc_mget(sip_msg_t *msg, str *keys, str *sep);
sr_kemi_xval_t *ki_mc_mval(sip_msg_t *msg, str *key);

/* MC_RET_* of this process's last operation. */
int ki_mc_status(sip_msg_t *msg);

/* Frees the KEMI return buffer if a big value made it large (after a
 * script: the engines copied the value long before). */
void ki_mc_trim(void);

#endif
