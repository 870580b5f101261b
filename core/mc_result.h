/*
 * libmemcached results to mc_status_t: the one exhaustive switch. Pure.
 */
#ifndef MC_RESULT_H
#define MC_RESULT_H

#include <libmemcached/memcached.h>

#include "mc_status.h"

typedef struct mc_result {
	mc_status_t status;
	/*
	 * 1 when the connection may be out of step with the server (a reply may
	 * still arrive, or the stream is broken): the caller must drop it.
	 */
	int drop;
	/* what the caller should do about it; static, "" for successes */
	const char *hint;
} mc_result_t;

mc_result_t mc_result_map(memcached_return_t rc);

#endif
