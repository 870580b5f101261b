/*
 * Calls over several keys in fewer round trips: the multi-get.
 * (The quiet set, mc_set_quiet, is in mc_client.h: it is a store.)
 */
#ifndef MC_BATCH_H
#define MC_BATCH_H

#include <stddef.h>

#include "mc_client.h"

/* Keys one mc_mget takes at most. */
#define MC_MGET_MAX 32

typedef struct mc_mget_item {
	/* in: the caller's key, as for mc_get (derived inside: prefix, and a
	 * long or unsafe key is hashed; the answer maps back to this key) */
	const char *key;
	size_t klen;
	/* out: MC_OK (val set), MC_NOT_FOUND, MC_TOO_BIG (above
	 * max_value_size), or the failure that kept this key unread (its
	 * server's MC_CONNECTION, MC_TIMEOUT, MC_DISABLED, ...) */
	mc_status_t st;
	/* out, when st is MC_OK: the value as mc_get returns it (trailing decr
	 * padding trimmed, NUL-terminated), pointing into the mc_mget_buf_t
	 * given to mc_mget: valid until that buffer is next used or freed */
	mc_value_t val;
} mc_mget_item_t;

/* The values of one mc_mget. Start zeroed; the caller frees it with
 * mc_mget_buf_free (which accepts a zeroed or freed one). */
typedef struct mc_mget_buf {
	char *data;
	size_t len, cap;
} mc_mget_buf_t;

/*
 * Reads items[0..n-1] with one multi-get round trip per server holding any
 * of the keys (one round trip with one server), sequentially. A key given
 * twice is answered for both items.
 * Returns MC_OK when every server answered (each item MC_OK or
 * MC_NOT_FOUND, or MC_TOO_BIG), MC_BAD_INPUT before any I/O when n is 0 or
 * above MC_MGET_MAX or a key is empty (every item then MC_BAD_INPUT), else
 * the first failure's status with the message on c (mc_client_errstr); the
 * items of the servers that answered are still filled. Hits and misses
 * count per key; the call counts once in errors/timeouts.
 */
mc_status_t mc_mget(
		mc_client_t *c, mc_mget_item_t *items, size_t n, mc_mget_buf_t *buf);

/* Frees buf's memory and zeroes it; accepts NULL. */
void mc_mget_buf_free(mc_mget_buf_t *buf);

#endif
