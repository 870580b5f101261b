/*
 * What libmemcached 1.1.4 does with quiet writes and multi-get, measured
 * before designing on it (issue: fewer round trips per SIP request).
 *
 * usage: quiet_study HOST PORT DEADPORT
 *   HOST:PORT a running memcached (default item size 1 MB), DEADPORT a port
 *   nothing listens on. Prints one line per fact, "ok"/"FAIL" first, on the
 *   text and the binary protocol. Exit 0 when every run completed.
 *
 * Facts it checks:
 *   1. NOREPLY set: return code; a get right after it, on the same handle,
 *      sees the value; a second handle sees it too (it was sent at once).
 *   2. NOREPLY + BUFFER_REQUESTS set: return code; a second handle does not
 *      see it before memcached_flush_buffers (still in our buffer), does
 *      after; and whether a get on the same handle sends it first.
 *   3. A quiet set the server refuses (value above the item size): what the
 *      next call on the same connection reads (text protocol: memcached
 *      answers errors even to noreply, "SERVER_ERROR object too large").
 *   4. A quiet set to a dead server: its return code, and flush_buffers'.
 *   5. Two servers in one handle, buffered quiet sets to keys on both, then
 *      flush_buffers: every value arrives.
 *   6. Cost: us per call for get, NOREPLY set, and mget+fetch of 5 keys.
 *
 * What it showed here (2026-11-30, libmemcached 1.1.4, memcached 1.6.18,
 * loopback; every line "ok" on both protocols), and what the module's
 * design took from it:
 *   - NOREPLY alone: the set returns SUCCESS and is written before the call
 *     returns (another client sees it, a moment later); a get on the same
 *     handle right after sees it. 5 us instead of 49 (text), 3 vs 33
 *     (binary). So quiet writes are NOREPLY around one set (first design:
 *     nothing buffered; now buffered inside a route, see below).
 *   - BUFFER_REQUESTS + NOREPLY: text keeps the set in the buffer until
 *     flush_buffers or the next call on the handle; binary answers "ACTION
 *     QUEUED". Toggling BUFFER_REQUESTS around each set made a request of
 *     incr + set + get slower, not faster (230-250 us vs 119, measured
 *     earlier here): memcached_behavior_set(BUFFER_REQUESTS) closes every
 *     connection of the handle, so each set reconnected. The module now
 *     sets the handle's flags.buffer_requests itself around a quiet set
 *     inside a route (mc_client_quiet_defer; no reconnect): the set leaves
 *     in one packet with the next request (strace: 3 sends per bench
 *     request instead of 4; ANALYSIS.md section 8).
 *   - A quiet set memcached refuses (2 MB, above -I): the next get on the
 *     same connection still reads its own answer (libmemcached stays in
 *     step), and the refusal is never reported.
 *   - A dead server (nothing listening): the quiet set returns CONNECTION
 *     FAILURE at once; flush_buffers then says SUCCESS. A server that went
 *     away under an open connection is not seen by the write (the kernel
 *     takes it): found later, by tests/unit/test_batch.c, hence the
 *     confirmation by a later reply (mc_quiet_confirm).
 *   - Two servers: buffered quiet sets to keys on both, one flush: all 20
 *     arrive.
 *   - mget + fetch_result: one send and one receive for 5 keys; the end of
 *     the replies reads as NOTFOUND even when every key was found; a get on
 *     the handle after it is in step. 5 keys 42 us vs one get 56 (text).
 */
#include <libmemcached/memcached.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *host;
static in_port_t port, dead;

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static memcached_st *handle(int binary, in_port_t p1, in_port_t p2)
{
	memcached_st *mc = memcached_create(NULL);

	memcached_server_add(mc, host, p1);
	if(p2)
		memcached_server_add(mc, host, p2);
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_BINARY_PROTOCOL, binary);
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_TCP_NODELAY, 1);
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_POLL_TIMEOUT, 300);
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT, 300);
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_RETRY_TIMEOUT, 0);
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_SERVER_TIMEOUT_LIMIT, 1000);
	return mc;
}

/* the value of key as seen by mc: "(miss)" or "(error: ...)" */
static const char *peek(
		memcached_st *mc, const char *key, char *buf, size_t len)
{
	memcached_return_t rc;
	size_t vlen = 0;
	uint32_t fl = 0;
	char *v = memcached_get(mc, key, strlen(key), &vlen, &fl, &rc);

	if(rc == MEMCACHED_NOTFOUND)
		snprintf(buf, len, "(miss)");
	else if(memcached_failed(rc))
		snprintf(buf, len, "(error: %s)", memcached_strerror(mc, rc));
	else
		snprintf(buf, len, "%.*s", (int)(vlen > 40 ? 40 : vlen), v ? v : "");
	free(v);
	return buf;
}

static void fact(int ok, const char *proto, const char *what, const char *got)
{
	printf("%-4s %-6s %s: %s\n", ok ? "ok" : "FAIL", proto, what, got);
}

static void study(int binary)
{
	const char *pr = binary ? "binary" : "text";
	memcached_st *mc = handle(binary, port, 0),
				 *other = handle(binary, port, 0);
	memcached_st *d, *two;
	memcached_return_t rc;
	char buf[256], got[128], key[32], *big;
	double t0;
	int i, n = 2000, arrived;
	const char *keys[5] = {"qs_k0", "qs_k1", "qs_k2", "qs_k3", "qs_k4"};
	size_t klens[5] = {5, 5, 5, 5, 5};
	memcached_result_st *res;

	/* 1. NOREPLY alone */
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_NOREPLY, 1);
	rc = memcached_set(mc, "qs_a", 4, "v1", 2, 0, 0);
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_NOREPLY, 0);
	snprintf(buf, sizeof(buf), "rc=%s", memcached_strerror(mc, rc));
	fact(memcached_success(rc), pr, "1 noreply set returns", buf);
	peek(mc, "qs_a", got, sizeof(got));
	fact(strcmp(got, "v1") == 0, pr, "1 same-handle get after noreply set",
			got);
	peek(other, "qs_a", got, sizeof(got));
	fact(strcmp(got, "v1") == 0, pr, "1 other handle sees it (sent at once)",
			got);

	/* 2. NOREPLY + BUFFER_REQUESTS */
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_NOREPLY, 1);
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_BUFFER_REQUESTS, 1);
	rc = memcached_set(mc, "qs_b", 4, "v2", 2, 0, 0);
	snprintf(buf, sizeof(buf), "rc=%s", memcached_strerror(mc, rc));
	fact(1, pr, "2 buffered noreply set returns", buf);
	peek(other, "qs_b", got, sizeof(got));
	fact(1, pr, "2 other handle before flush_buffers", got);
	rc = memcached_flush_buffers(mc);
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_BUFFER_REQUESTS, 0);
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_NOREPLY, 0);
	peek(other, "qs_b", got, sizeof(got));
	snprintf(buf, sizeof(buf), "flush=%s, then other sees %s",
			memcached_strerror(mc, rc), got);
	fact(strcmp(got, "v2") == 0, pr, "2 after flush_buffers", buf);
	/* buffered, then a get on the same handle without flushing */
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_NOREPLY, 1);
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_BUFFER_REQUESTS, 1);
	memcached_set(mc, "qs_c", 4, "v3", 2, 0, 0);
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_BUFFER_REQUESTS, 0);
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_NOREPLY, 0);
	peek(mc, "qs_c", got, sizeof(got));
	fact(1, pr, "2 same-handle get after buffered set (no flush)", got);

	/* 3. a quiet set the server refuses, then a get on the same handle */
	big = malloc(2 * 1024 * 1024);
	memset(big, 'x', 2 * 1024 * 1024);
	memcached_set(mc, "qs_d", 4, "small", 5, 0, 0);
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_NOREPLY, 1);
	rc = memcached_set(mc, "qs_big", 6, big, 2 * 1024 * 1024, 0, 0);
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_NOREPLY, 0);
	free(big);
	snprintf(buf, sizeof(buf), "rc=%s", memcached_strerror(mc, rc));
	fact(1, pr, "3 noreply set of 2 MB returns", buf);
	peek(mc, "qs_d", got, sizeof(got));
	fact(strcmp(got, "small") == 0, pr, "3 next get on same handle reads", got);
	peek(mc, "qs_d", got, sizeof(got));
	fact(strcmp(got, "small") == 0, pr, "3 the get after that reads", got);

	/* 4. dead server */
	d = handle(binary, dead, 0);
	memcached_behavior_set(d, MEMCACHED_BEHAVIOR_NOREPLY, 1);
	rc = memcached_set(d, "qs_e", 4, "v", 1, 0, 0);
	snprintf(buf, sizeof(buf), "rc=%s", memcached_strerror(d, rc));
	fact(memcached_failed(rc), pr, "4 noreply set to dead server", buf);
	memcached_behavior_set(d, MEMCACHED_BEHAVIOR_BUFFER_REQUESTS, 1);
	rc = memcached_set(d, "qs_e", 4, "v", 1, 0, 0);
	snprintf(buf, sizeof(buf), "rc=%s", memcached_strerror(d, rc));
	fact(1, pr, "4 buffered noreply set to dead server", buf);
	rc = memcached_flush_buffers(d);
	snprintf(buf, sizeof(buf), "rc=%s", memcached_strerror(d, rc));
	fact(1, pr, "4 flush_buffers to dead server", buf);
	memcached_free(d);

	/* 5. two servers, buffered quiet sets, one flush */
	two = handle(binary, port, port == 21411 ? 21412 : port + 1);
	memcached_behavior_set(two, MEMCACHED_BEHAVIOR_NOREPLY, 1);
	memcached_behavior_set(two, MEMCACHED_BEHAVIOR_BUFFER_REQUESTS, 1);
	for(i = 0; i < 20; i++) {
		snprintf(key, sizeof(key), "qs_two_%d", i);
		memcached_set(two, key, strlen(key), key, strlen(key), 0, 0);
	}
	rc = memcached_flush_buffers(two);
	memcached_behavior_set(two, MEMCACHED_BEHAVIOR_BUFFER_REQUESTS, 0);
	memcached_behavior_set(two, MEMCACHED_BEHAVIOR_NOREPLY, 0);
	arrived = 0;
	for(i = 0; i < 20; i++) {
		snprintf(key, sizeof(key), "qs_two_%d", i);
		peek(two, key, got, sizeof(got));
		arrived += strcmp(got, key) == 0;
	}
	snprintf(buf, sizeof(buf), "flush=%s, %d/20 arrived",
			memcached_strerror(two, rc), arrived);
	fact(arrived == 20, pr, "5 two servers, buffered quiet sets", buf);
	memcached_free(two);

	/* 6. costs */
	for(i = 0; i < 5; i++)
		memcached_set(mc, keys[i], 5, "value", 5, 0, 0);
	t0 = now_us();
	for(i = 0; i < n; i++)
		free(memcached_get(mc, "qs_k0", 5, &klens[0], NULL, &rc));
	klens[0] = 5;
	printf("cost %-6s get: %.1f us\n", pr, (now_us() - t0) / n);
	t0 = now_us();
	for(i = 0; i < n; i++)
		memcached_set(mc, "qs_k0", 5, "value", 5, 0, 0);
	printf("cost %-6s set: %.1f us\n", pr, (now_us() - t0) / n);
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_NOREPLY, 1);
	t0 = now_us();
	for(i = 0; i < n; i++)
		memcached_set(mc, "qs_k0", 5, "value", 5, 0, 0);
	memcached_behavior_set(mc, MEMCACHED_BEHAVIOR_NOREPLY, 0);
	peek(mc, "qs_k0", got, sizeof(got));
	printf("cost %-6s noreply set: %.1f us (then get: %s)\n", pr,
			(now_us() - t0) / n, got);
	t0 = now_us();
	arrived = 0;
	for(i = 0; i < n; i++) {
		rc = memcached_mget(mc, keys, klens, 5);
		while((res = memcached_fetch_result(mc, NULL, &rc)) != NULL) {
			arrived++;
			memcached_result_free(res);
		}
	}
	printf("cost %-6s mget 5 keys: %.1f us (%d values, last rc %s)\n", pr,
			(now_us() - t0) / n, arrived, memcached_strerror(mc, rc));
	/* mget with a missing key: fetched count */
	keys[4] = "qs_missing";
	klens[4] = 10;
	rc = memcached_mget(mc, keys, klens, 5);
	arrived = 0;
	while((res = memcached_fetch_result(mc, NULL, &rc)) != NULL) {
		arrived++;
		memcached_result_free(res);
	}
	snprintf(buf, sizeof(buf), "%d values, end rc %s", arrived,
			memcached_strerror(mc, rc));
	fact(arrived == 4, pr, "6 mget with one missing key", buf);
	peek(mc, "qs_k1", got, sizeof(got));
	fact(strcmp(got, "value") == 0, pr, "6 get after mget", got);
	memcached_free(mc);
	memcached_free(other);
}

int main(int argc, char **argv)
{
	if(argc != 4) {
		fprintf(stderr, "usage: quiet_study HOST PORT DEADPORT\n");
		return 1;
	}
	host = argv[1];
	port = (in_port_t)atoi(argv[2]);
	dead = (in_port_t)atoi(argv[3]);
	study(0);
	study(1);
	return 0;
}
