/*
 * Per-server circuit breaker. Pure: the caller passes the time (monotonic
 * milliseconds, mc_clock_ms) so the logic is tested without waiting.
 * One breaker per server per client; a client lives in one process.
 */
#ifndef MC_BREAKER_H
#define MC_BREAKER_H

#include <stdint.h>

#include "mc_status.h"

typedef struct mc_breaker {
	mc_breaker_state_t state;
	unsigned int failures; /* consecutive connection/timeout failures */
	unsigned long trips;   /* times it opened */
	uint64_t retry_at_ms;  /* while OPEN: when the probe may go */
} mc_breaker_t;

typedef enum mc_breaker_event {
	MC_BREAKER_NONE = 0,
	MC_BREAKER_TRIPPED,	 /* CLOSED -> OPEN */
	MC_BREAKER_REOPENED, /* HALF_OPEN probe failed -> OPEN again */
	MC_BREAKER_RECOVERED /* HALF_OPEN probe succeeded -> CLOSED */
} mc_breaker_event_t;

/*
 * 1 when a call may go to the server now. limit 0 turns the breaker off
 * (always 1). An OPEN breaker whose retry time has come turns HALF_OPEN and
 * lets this one call through as the probe.
 */
int mc_breaker_allow(mc_breaker_t *b, unsigned int limit, uint64_t now_ms);

/*
 * Records the outcome of a call that reached for the server: failed = 1 for
 * a connection error or timeout, 0 for any answer from the server.
 */
mc_breaker_event_t mc_breaker_record(mc_breaker_t *b, int failed,
		unsigned int limit, unsigned int retry_s, uint64_t now_ms);

/* The state as seen at now_ms (OPEN past its retry time reads HALF_OPEN). */
mc_breaker_state_t mc_breaker_state_at(const mc_breaker_t *b, uint64_t now_ms);

#endif
