/*
 * Inside core only: what mc_batch.c needs from the client to run a call
 * over several keys the way mc_client.c runs one (key derivation, breaker,
 * budget, auth probe, result mapping, counters). Not for adapters.
 */
#ifndef MC_CLIENT_INT_H
#define MC_CLIENT_INT_H

#include <stddef.h>
#include <stdint.h>

#include "mc_client.h"

/*
 * Derives key's wire key into wkey (MC_KEY_MAX bytes) and picks its server
 * as every keyed call does (distribution, then the breaker, redistribute).
 * MC_OK with *srv and *wklen; else the status (MC_BAD_INPUT: empty key,
 * MC_DISABLED: its server is skipped, MC_NO_MEMORY) with the message on c.
 */
mc_status_t mcc_route(mc_client_t *c, const char *op, const char *key,
		size_t klen, size_t *srv, char *wkey, size_t *wklen);

/*
 * One value fetched by mcc_mget_server: the wire key it answers, and the
 * value's bytes and flags, valid only during the call. Returns nothing:
 * what the callee cannot keep it records itself.
 */
typedef void (*mcc_fetch_fn)(void *arg, const char *wkey, size_t wklen,
		const char *val, size_t vlen, uint32_t flags);

/*
 * One multi-get round trip to server srv for the n wire keys (all routed to
 * srv by mcc_route), fn called per value found, in the server's order.
 * Bounded by the call's budget (about twice the timeout); a failure closes
 * that server's connection and counts in its breaker. logkey/logklen (the
 * caller's first key) names the call in messages. Returns MC_OK when the
 * server answered for every key, else the failure's status (message on c).
 * Not counted: the caller counts the whole call once (mcc_count).
 */
mc_status_t mcc_mget_server(mc_client_t *c, size_t srv, const char *logkey,
		size_t logklen, const char *const *wkeys, const size_t *wklens,
		size_t n, mcc_fetch_fn fn, void *arg);

/* max_value_size of c */
size_t mcc_max_value(const mc_client_t *c);

/* Adds to the hit and miss counters. */
void mcc_count_reads(mc_client_t *c, unsigned long hits, unsigned long misses);

/* Sets status and message (printf; NULL: "") on c; returns st. */
mc_status_t mcc_fail(mc_client_t *c, mc_status_t st, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));

/* Counts a finished public call (errors, timeouts); returns st. */
mc_status_t mcc_count(mc_client_t *c, mc_status_t st);

#endif
