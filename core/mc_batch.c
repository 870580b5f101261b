/*
 * The multi-get: group the keys by server (each routed exactly as a single
 * get would be, mcc_begin), one libmemcached mget per server within the
 * call's budget, map each answer back to the caller's keys by wire key.
 */
#include <stdlib.h>
#include <string.h>

#include "mc_batch.h"
#include "mc_client_int.h"
#include "mc_key.h"
#include "mc_value.h"

/* One call's state, on the stack: wire keys and where values went. */
typedef struct mc_mget_call {
	mc_client_t *c;
	mc_call_t call; /* routing each key, then each server's round trip */
	mc_mget_item_t *items;
	size_t n;
	char wkey[MC_MGET_MAX][MC_KEY_MAX];
	size_t wklen[MC_MGET_MAX];
	size_t srv[MC_MGET_MAX];
	/* value offsets into buf->data (it may move while it grows) */
	size_t off[MC_MGET_MAX];
	mc_mget_buf_t *buf;
	size_t max_value;
	int nomem;
} mc_mget_call_t;

void mc_mget_buf_free(mc_mget_buf_t *buf)
{
	if(buf == NULL)
		return;
	free(buf->data);
	memset(buf, 0, sizeof(*buf));
}

/* Appends len bytes and a NUL to buf; the offset of the copy, or -1. */
static long mc_mget_keep(mc_mget_buf_t *buf, const char *v, size_t len)
{
	size_t need = buf->len + len + 1, cap;
	char *nd;
	long off;

	if(need > buf->cap) {
		cap = buf->cap ? buf->cap : 1024;
		while(cap < need)
			cap *= 2;
		if((nd = realloc(buf->data, cap)) == NULL)
			return -1;
		buf->data = nd;
		buf->cap = cap;
	}
	off = (long)buf->len;
	if(len)
		memcpy(buf->data + buf->len, v, len);
	buf->data[buf->len + len] = '\0';
	buf->len += len + 1;
	return off;
}

/* A value fetched by the mget (valid only during the call): the value for
 * every item whose wire key it answers. */
static void mc_mget_got(mc_mget_call_t *m, const char *wkey, size_t wklen,
		const char *val, size_t vlen, uint32_t flags)
{
	size_t i;
	long off;

	for(i = 0; i < m->n; i++) {
		if(m->items[i].st != MC_NOT_FOUND || m->wklen[i] != wklen ||
				memcmp(m->wkey[i], wkey, wklen) != 0)
			continue;
		if(vlen > m->max_value) {
			m->items[i].st = MC_TOO_BIG;
			continue;
		}
		if((off = mc_mget_keep(m->buf, val ? val : "", val ? vlen : 0)) < 0) {
			m->items[i].st = MC_NO_MEMORY;
			m->nomem = 1;
			continue;
		}
		m->off[i] = (size_t)off;
		m->items[i].st = MC_OK;
		m->items[i].val.len = mc_value_unpad(m->buf->data + off, vlen);
		m->items[i].val.flags = flags;
	}
}

/*
 * Sends the mget of the n wire keys to m->call's server and reads every
 * reply, whatever happens to it (the connection stays in step); each wait
 * gets what is left of the call's budget. The read's last result;
 * *got: values read.
 */
static memcached_return_t mc_mget_send_read(mc_mget_call_t *m,
		memcached_result_st *res, const char *const *wkeys,
		const size_t *wklens, size_t n, size_t *got)
{
	mc_client_t *c = m->c;
	mc_call_t *call = &m->call;
	memcached_result_st *r;
	memcached_return_t rc;

	*got = 0;
	if(!mcc_arm(c, call))
		return MEMCACHED_TIMEOUT;
	/* the binary mget says SOME_ERRORS for its one server's failure */
	rc = mcc_srv_rc(
			c, call, memcached_mget(mcc_smc(c, call), wkeys, wklens, n));
	if(memcached_failed(rc))
		return rc;
	for(;;) {
		if(!mcc_arm(c, call))
			return MEMCACHED_TIMEOUT;
		r = memcached_fetch_result(mcc_smc(c, call), res, &rc);
		if(r == NULL)
			return mcc_srv_rc(c, call, rc);
		(*got)++;
		mc_mget_got(m, memcached_result_key_value(r),
				memcached_result_key_length(r), memcached_result_value(r),
				memcached_result_length(r), memcached_result_flags(r));
	}
}

/*
 * One multi-get round trip to server srv for the n wire keys (all routed to
 * srv), mc_mget_got called per value found, in the server's order. Bounded
 * by the call's budget (about twice the timeout); a failure closes that
 * server's connection and counts in its breaker. first (the server's first
 * item) names the call in messages. MC_OK when the server answered for
 * every key, else the failure's status (message on the client). Not
 * counted: mc_mget counts the whole call once.
 */
static mc_status_t mc_mget_round(mc_mget_call_t *m, size_t srv,
		const mc_mget_item_t *first, const char *const *wkeys,
		const size_t *wklens, size_t n)
{
	mc_client_t *c = m->c;
	mc_call_t *call = &m->call;
	memcached_result_st res;
	memcached_return_t rc;
	mc_status_t st;
	size_t got;

	call->srv = srv;
	call->retried = 0;
	mcc_budget(c, call);
	mcc_call_key(call, first->key, first->klen);
	/* the auth probe routes by call->gkey: any key of this server will do */
	memcpy(call->gkey, wkeys[0], wklens[0]);
	call->gklen = wklens[0];
	if(memcached_result_create(mcc_smc(c, call), &res) == NULL)
		return mcc_fail(c, MC_NO_MEMORY, "%s: out of memory", call->subj);
	/* made again only when the connection was found closed before any
	 * reply (mcc_retry_closed): what was read stays read */
	do {
		if((st = mcc_auth_probe(c, call)) != MC_OK)
			break;
		rc = mc_mget_send_read(m, &res, wkeys, wklens, n, &got);
	} while(got == 0 && mcc_retry_closed(c, call, rc));
	memcached_result_free(&res);
	if(st != MC_OK)
		return st;
	/* the end of the replies reads as END, or NOTFOUND when libmemcached
	 * has nothing more (measured: also after every key was found) */
	if(rc == MEMCACHED_END || rc == MEMCACHED_NOTFOUND)
		rc = MEMCACHED_SUCCESS;
	return mcc_finish(c, call, rc);
}

/* One server's keys: those items still MC_NOT_FOUND routed to srv. */
static mc_status_t mc_mget_server(mc_mget_call_t *m, size_t srv)
{
	const char *wkeys[MC_MGET_MAX];
	size_t wklens[MC_MGET_MAX], i, k = 0, first = 0;
	mc_status_t st;

	for(i = 0; i < m->n; i++) {
		if(m->srv[i] != srv || m->items[i].st != MC_NOT_FOUND)
			continue;
		if(k == 0)
			first = i;
		wkeys[k] = m->wkey[i];
		wklens[k++] = m->wklen[i];
	}
	if(k == 0)
		return MC_OK;
	st = mc_mget_round(m, srv, &m->items[first], wkeys, wklens, k);
	if(st == MC_OK)
		return MC_OK;
	/* this server's keys that were not answered before it failed */
	for(i = 0; i < m->n; i++)
		if(m->srv[i] == srv && m->items[i].st == MC_NOT_FOUND)
			m->items[i].st = st;
	return st;
}

/* Derives and routes every key; MC_OK, or MC_BAD_INPUT / MC_NO_MEMORY for
 * the whole call. A key whose server is disabled gets MC_DISABLED. */
static mc_status_t mc_mget_route(mc_mget_call_t *m, mc_status_t *first)
{
	size_t i;
	mc_status_t st;

	for(i = 0; i < m->n; i++) {
		m->items[i].st = MC_NOT_FOUND;
		st = mcc_begin(m->c, &m->call, MC_OP_MGET, m->items[i].key,
				m->items[i].klen);
		if(st == MC_DISABLED) {
			m->items[i].st = st;
			m->srv[i] = (size_t)-1;
			if(*first == MC_OK)
				*first = st;
			continue;
		}
		if(st != MC_OK)
			return st;
		m->srv[i] = m->call.srv;
		memcpy(m->wkey[i], m->call.wkey, m->call.wklen);
		m->wklen[i] = m->call.wklen;
	}
	return MC_OK;
}

static mc_status_t mc_mget_run(
		mc_client_t *c, mc_mget_item_t *items, size_t n, mc_mget_buf_t *buf)
{
	/* on the stack, not zeroed: every field is set before it is read (a
	 * calloc of its ~10 KB cost more than the rest of a call) */
	mc_mget_call_t call, *m = &call;
	mc_status_t st = MC_OK, first = MC_OK;
	size_t i, s, nserv = mc_client_server_count(c);
	unsigned long hits = 0, misses = 0;

	for(i = 0; i < n; i++) {
		memset(&items[i].val, 0, sizeof(items[i].val));
		items[i].st = MC_BAD_INPUT;
	}
	if(n == 0 || n > MC_MGET_MAX)
		return mcc_fail(c, MC_BAD_INPUT, "mget: %zu keys (give 1 to %d keys)",
				n, MC_MGET_MAX);
	if(buf == NULL)
		return mcc_fail(c, MC_BAD_INPUT, "mget: no value buffer");
	m->c = c;
	m->nomem = 0;
	m->items = items;
	m->n = n;
	m->buf = buf;
	m->max_value = c->max_value;
	buf->len = 0;
	if((st = mc_mget_route(m, &first)) != MC_OK) {
		for(i = 0; i < n; i++)
			items[i].st = st;
		goto done; /* mcc_begin left the message */
	}
	for(s = 0; s < nserv; s++) {
		st = mc_mget_server(m, s);
		if(st != MC_OK && first == MC_OK)
			first = st;
	}
	for(i = 0; i < n; i++) {
		if(items[i].st == MC_OK) {
			items[i].val.data = buf->data + m->off[i];
			hits++;
		} else if(items[i].st == MC_NOT_FOUND) {
			misses++;
		}
	}
	c->counters.hits += hits;
	c->counters.misses += misses;
	st = first;
	if(st == MC_OK && m->nomem)
		st = mcc_fail(c, MC_NO_MEMORY, "mget: out of memory copying values");
	else if(st == MC_OK)
		mcc_fail(c, MC_OK, NULL);
done:
	return st;
}

mc_status_t mc_mget(
		mc_client_t *c, mc_mget_item_t *items, size_t n, mc_mget_buf_t *buf)
{
	if(c == NULL || (items == NULL && n > 0))
		return MC_BAD_INPUT;
	return mcc_count(c, mc_mget_run(c, items, n, buf));
}
