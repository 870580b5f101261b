/*
 * Status codes returned by every core call.
 *
 * A miss (MC_NOT_FOUND) and a refused conditional store (MC_NOT_STORED) are
 * normal answers, never errors; everything from MC_BAD_INPUT on is an error.
 */
#ifndef MC_STATUS_H
#define MC_STATUS_H

#include <stddef.h>

typedef enum mc_status {
	MC_OK = 0,
	MC_NOT_FOUND,  /* the key is absent */
	MC_NOT_STORED, /* add on a present key; replace/append/prepend on an absent one */
	MC_BAD_INPUT,  /* empty key, bad expiry, counter on a non-number, bad config */
	MC_TOO_BIG,    /* value above the item size limit */
	MC_CONNECTION, /* cannot connect, or the connection was lost */
	MC_TIMEOUT,    /* the server did not answer within the timeout */
	MC_DISABLED,   /* the key's server is skipped by the circuit breaker */
	MC_NO_MEMORY,  /* allocation failed in this process */
	MC_ERROR       /* any other server or client error */
} mc_status_t;

/*
 * A server's circuit breaker as seen by callers (mc_client_server_info);
 * here, not in mc_client.h, so that the pure breaker (mc_breaker.h) depends
 * on nothing above it.
 */
typedef enum mc_breaker_state {
	MC_BREAKER_CLOSED = 0, /* healthy, used */
	MC_BREAKER_OPEN,       /* tripped, skipped until retry time */
	MC_BREAKER_HALF_OPEN   /* retry time passed, next call is the probe */
} mc_breaker_state_t;

/* Static text for a status; never NULL, never to be freed. */
const char *mc_strerror(mc_status_t status);

/* 1 for statuses that mean something went wrong (MC_BAD_INPUT and after). */
int mc_status_is_error(mc_status_t status);

/*
 * For core's functions that report failures into a caller's buffer: writes
 * the printf-style message into err (errlen bytes, always NUL-terminated);
 * does nothing when err is NULL or errlen is 0.
 */
void mc_errf(char *err, size_t errlen, const char *fmt, ...)
		__attribute__((format(printf, 3, 4)));

#endif
