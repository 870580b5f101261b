/*
 * Per-server circuit breaker (in the spirit of ndb_redis's allowed_timeouts /
 * disable_time): after `limit` consecutive failures the server is skipped for
 * retry_s seconds, then one probe decides.
 */
#include "mc_breaker.h"

int mc_breaker_allow(mc_breaker_t *b, unsigned int limit, uint64_t now_ms)
{
	if(limit == 0)
		return 1;
	switch(b->state) {
	case MC_BREAKER_CLOSED:
	case MC_BREAKER_HALF_OPEN:
		return 1;
	case MC_BREAKER_OPEN:
		if(now_ms < b->retry_at_ms)
			return 0;
		b->state = MC_BREAKER_HALF_OPEN;
		return 1;
	}
	return 1;
}

mc_breaker_event_t mc_breaker_record(mc_breaker_t *b, int failed,
		unsigned int limit, unsigned int retry_s, uint64_t now_ms)
{
	if(!failed) {
		b->failures = 0;
		if(b->state != MC_BREAKER_CLOSED) {
			b->state = MC_BREAKER_CLOSED;
			return MC_BREAKER_RECOVERED;
		}
		return MC_BREAKER_NONE;
	}
	if(b->failures < UINT32_MAX)
		b->failures++;
	if(limit == 0)
		return MC_BREAKER_NONE;
	switch(b->state) {
	case MC_BREAKER_CLOSED:
		if(b->failures < limit)
			return MC_BREAKER_NONE;
		b->state = MC_BREAKER_OPEN;
		b->retry_at_ms = now_ms + (uint64_t)retry_s * 1000u;
		b->trips++;
		return MC_BREAKER_TRIPPED;
	case MC_BREAKER_HALF_OPEN:
	case MC_BREAKER_OPEN:
		b->state = MC_BREAKER_OPEN;
		b->retry_at_ms = now_ms + (uint64_t)retry_s * 1000u;
		return MC_BREAKER_REOPENED;
	}
	return MC_BREAKER_NONE;
}

mc_breaker_state_t mc_breaker_state_at(const mc_breaker_t *b, uint64_t now_ms)
{
	if(b->state == MC_BREAKER_OPEN && now_ms >= b->retry_at_ms)
		return MC_BREAKER_HALF_OPEN;
	return b->state;
}
