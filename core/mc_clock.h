/*
 * The module's one clock: monotonic milliseconds (CLOCK_MONOTONIC), for
 * deadlines, the breaker's retry time and log rate limits. Never the wall
 * clock: a time step must not open a breaker or end a call early. Depends on
 * nothing; the pure parts (the breaker) take the time as an argument instead.
 */
#ifndef MC_CLOCK_H
#define MC_CLOCK_H

#include <stdint.h>

/* Milliseconds since an unspecified start, never going back. */
uint64_t mc_clock_ms(void);

#endif
