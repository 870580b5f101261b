/*
 * The multi-get: group the keys by server (each routed exactly as a single
 * get would be), one libmemcached mget per server, map each answer back to
 * the caller's keys by wire key. The per-server round trip itself is in
 * mc_client.c (mcc_mget_server), which owns the connection handling.
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

/* mcc_fetch_fn: the value for every item whose wire key it answers */
static void mc_mget_got(void *arg, const char *wkey, size_t wklen,
		const char *val, size_t vlen, uint32_t flags)
{
	mc_mget_call_t *m = (mc_mget_call_t *)arg;
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
	st = mcc_mget_server(m->c, srv, m->items[first].key, m->items[first].klen,
			wkeys, wklens, k, mc_mget_got, m);
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
		st = mcc_route(m->c, "mget", m->items[i].key, m->items[i].klen,
				&m->srv[i], m->wkey[i], &m->wklen[i]);
		if(st == MC_DISABLED) {
			m->items[i].st = st;
			m->srv[i] = (size_t)-1;
			if(*first == MC_OK)
				*first = st;
			continue;
		}
		if(st != MC_OK)
			return st;
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
	m->max_value = mcc_max_value(c);
	buf->len = 0;
	if((st = mc_mget_route(m, &first)) != MC_OK) {
		for(i = 0; i < n; i++)
			items[i].st = st;
		goto done; /* mcc_route left the message */
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
	mcc_count_reads(c, hits, misses);
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
