/*
 * Fewer round trips: mc_set_quiet (sent without waiting for the reply, or
 * deferred to the next call: mc_client_quiet_defer) and
 * mc_mget (one round trip per server), against real memcached servers, over
 * the text and the binary protocol, with one server and with two.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mc_batch.h"
#include "mc_client.h"
#include "mc_test_client.h"
#include "mc_test_server.h"

static mc_test_server_t _s[2];

static mc_client_t *client_of(
		const char *servers, int binary, const char *prefix)
{
	mc_config_t cfg;
	mc_client_t *c = NULL;

	mc_test_config(&cfg, servers);
	cfg.binary = binary;
	cfg.prefix = prefix;
	c = mc_test_client_new(&cfg);
	return c;
}

static const char *one(void)
{
	static char buf[64];

	return mc_test_addr(buf, sizeof(buf), _s[0].port);
}

static const char *two(void)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "127.0.0.1:%u,127.0.0.1:%u", _s[0].port,
			_s[1].port);
	return buf;
}

static int group_setup(void **state)
{
	(void)state;
	if(mc_test_memcached_start(&_s[0], 0, NULL) != 0 ||
			mc_test_memcached_start(&_s[1], 0, NULL) != 0)
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	mc_test_server_stop(&_s[0]);
	mc_test_server_stop(&_s[1]);
	return 0;
}

/* A quiet set followed by a get on the same client reads the value, byte
 * for byte, with its flags; counted as queued, not as a set. Deferred or
 * sent at once (mc_client_quiet_defer). */
static void quiet_set_then_get(const char *servers, int binary, int defer)
{
	mc_client_t *c = client_of(servers, binary, NULL);
	mc_counters_t cnt;
	mc_value_t v;
	char key[64], val[64];
	int i;

	mc_client_quiet_defer(c, defer);
	for(i = 0; i < 50; i++) {
		snprintf(key, sizeof(key), "quiet:%d:%d", binary, i);
		snprintf(val, sizeof(val), "v\r\n%d end", i);
		assert_int_equal(mc_set_quiet(c, key, strlen(key), val, strlen(val),
								 MC_FLAG_STRING, 60),
				MC_OK);
		assert_int_equal(mc_get(c, key, strlen(key), &v), MC_OK);
		assert_int_equal(v.len, strlen(val));
		assert_memory_equal(v.data, val, v.len);
		assert_int_equal(v.flags, MC_FLAG_STRING);
	}
	mc_client_counters(c, &cnt);
	assert_int_equal(cnt.queued, 50);
	assert_int_equal(cnt.sets, 0);
	assert_int_equal(cnt.hits, 50);
	mc_client_free(c);
}

static void test_quiet_set_then_get_text(void **state)
{
	int defer;

	(void)state;
	for(defer = 0; defer <= 1; defer++) {
		quiet_set_then_get(one(), 0, defer);
		quiet_set_then_get(two(), 0, defer);
	}
}

static void test_quiet_set_then_get_binary(void **state)
{
	int defer;

	(void)state;
	for(defer = 0; defer <= 1; defer++) {
		quiet_set_then_get(one(), 1, defer);
		quiet_set_then_get(two(), 1, defer);
	}
}

/*
 * Deferred quiet sets stay in the client until the next call on their
 * connection takes them along (another client cannot see them before:
 * nothing was sent), or until mc_quiet_confirm; whatever that call is (a
 * counter, a multi-get, the confirmation), and with keys on two servers.
 * The other client reads only after the call returned, i.e. after memcached
 * answered a request it received behind the sets on the same connection.
 */
static void deferred_quiet_sets(const char *servers, int binary)
{
	mc_client_t *c = client_of(servers, binary, NULL);
	mc_client_t *o = client_of(servers, binary, NULL);
	mc_counters_t cnt;
	mc_mget_item_t it[1];
	mc_mget_buf_t buf = {NULL, 0, 0};
	mc_value_t v;
	uint64_t nv = 0;
	char key[20][48];
	int i;
	static int run = 0;

	mc_client_quiet_defer(c, 1);
	run++; /* fresh keys on every run */
	for(i = 0; i < 20; i++)
		snprintf(key[i], sizeof(key[i]), "defer:%d:%d:%d:%u", run, binary, i,
				(unsigned)getpid());
	/* taken along by a counter on the same connection */
	assert_int_equal(
			mc_set_quiet(c, key[0], strlen(key[0]), "v0", 2, 1, 60), MC_OK);
	assert_int_equal(mc_get(o, key[0], strlen(key[0]), &v), MC_NOT_FOUND);
	assert_int_equal(
			mc_incr_create(c, key[0], strlen(key[0]) - 1, 1, 60, &nv), MC_OK);
	/* by a multi-get */
	assert_int_equal(
			mc_set_quiet(c, key[1], strlen(key[1]), "v1", 2, 1, 60), MC_OK);
	memset(it, 0, sizeof(it));
	it[0].key = key[1];
	it[0].klen = strlen(key[1]);
	assert_int_equal(mc_mget(c, it, 1, &buf), MC_OK);
	assert_int_equal(it[0].st, MC_OK);
	assert_memory_equal(it[0].val.data, "v1", 3);
	/* by the confirmation, to every server that has some */
	for(i = 2; i < 20; i++)
		assert_int_equal(mc_set_quiet(c, key[i], strlen(key[i]), key[i],
								 strlen(key[i]), 1, 60),
				MC_OK);
	for(i = 2; i < 20; i++)
		assert_int_equal(mc_get(o, key[i], strlen(key[i]), &v), MC_NOT_FOUND);
	assert_int_equal(mc_quiet_confirm(c), MC_OK);
	for(i = 0; i < 20; i++) {
		assert_int_equal(mc_get(o, key[i], strlen(key[i]), &v), MC_OK);
		if(i >= 2) {
			assert_int_equal(v.len, strlen(key[i]));
			assert_memory_equal(v.data, key[i], v.len);
		}
	}
	mc_client_counters(c, &cnt);
	assert_int_equal(cnt.queued, 20);
	assert_int_equal(cnt.quiet_lost, 0);
	assert_int_equal(cnt.errors, 0);
	/* off again: sent at once, a get on another client sees it once the
	 * first client's next reply came back (nothing is left to confirm) */
	mc_client_quiet_defer(c, 0);
	assert_int_equal(
			mc_set_quiet(c, key[0], strlen(key[0]), "w", 1, 1, 60), MC_OK);
	assert_int_equal(mc_quiet_confirm(c), MC_OK);
	assert_int_equal(mc_get(o, key[0], strlen(key[0]), &v), MC_OK);
	assert_memory_equal(v.data, "w", 2);
	mc_mget_buf_free(&buf);
	mc_client_free(o);
	mc_client_free(c);
}

static void test_deferred_quiet_sets_text(void **state)
{
	(void)state;
	deferred_quiet_sets(one(), 0);
	deferred_quiet_sets(two(), 0);
}

static void test_deferred_quiet_sets_binary(void **state)
{
	(void)state;
	deferred_quiet_sets(one(), 1);
	deferred_quiet_sets(two(), 1);
}

/* A quiet set to a server that refuses the connection is an error, counted,
 * with a message naming the server, never "queued". */
static void test_quiet_set_dead_server_is_error(void **state)
{
	char addr[64];
	mc_client_t *c;
	mc_counters_t cnt;
	int binary;

	(void)state;
	mc_test_addr(addr, sizeof(addr), mc_test_free_port());
	for(binary = 0; binary <= 1; binary++) {
		c = client_of(addr, binary, NULL);
		assert_int_equal(mc_set_quiet(c, "k", 1, "v", 1, 0, 0), MC_CONNECTION);
		assert_non_null(strstr(mc_client_errstr(c), addr));
		mc_client_counters(c, &cnt);
		assert_int_equal(cnt.queued, 0);
		assert_int_equal(cnt.errors, 1);
		mc_client_free(c);
	}
}

/*
 * A server that goes away under an open connection: the quiet write after
 * it is accepted by the kernel ("queued"), then the confirmation finds the
 * connection dead: counted as lost, with a message naming the key and the
 * server, never silently dropped. A quiet write confirmed by a later reply
 * needs no confirmation round trip.
 */
static void quiet_lost_when_server_dies(int binary, int defer)
{
	mc_test_server_t own = {0, 0};
	mc_client_t *c;
	mc_counters_t cnt;
	mc_value_t v;
	mc_status_t st;
	char addr[64];

	assert_int_equal(mc_test_memcached_start(&own, 0, NULL), 0);
	c = client_of(mc_test_addr(addr, sizeof(addr), own.port), binary, NULL);
	mc_client_quiet_defer(c, defer);
	assert_int_equal(mc_set_quiet(c, "q1", 2, "v", 1, 1, 0), MC_OK);
	assert_int_equal(mc_get(c, "q1", 2, &v), MC_OK); /* confirms q1 */
	assert_int_equal(mc_set_quiet(c, "q2", 2, "v", 1, 1, 0), MC_OK);
	assert_int_equal(mc_quiet_confirm(c), MC_OK);
	mc_test_server_stop(&own);
	/* confirmed: no I/O (the server is gone, yet nothing fails) */
	assert_int_equal(mc_quiet_confirm(c), MC_OK);
	st = mc_set_quiet(c, "lostkey", 7, "v", 1, 1, 0);
	mc_client_counters(c, &cnt);
	if(defer) /* nothing was sent: queued */
		assert_int_equal(st, MC_OK);
	if(st == MC_OK) {
		/* queued on the dead connection: the confirmation tells */
		assert_int_equal(cnt.queued, 3);
		assert_int_not_equal(mc_quiet_confirm(c), MC_OK);
		mc_client_counters(c, &cnt);
		assert_int_equal(cnt.quiet_lost, 1);
		assert_non_null(strstr(mc_client_quiet_lost_msg(c), "'lostkey'"));
		assert_non_null(strstr(mc_client_quiet_lost_msg(c), addr));
	} else {
		/* the send itself failed: an error, not queued */
		assert_int_equal(cnt.queued, 2);
		assert_int_equal(cnt.errors, 1);
	}
	/* now the connection is closed: refused at once, an error */
	assert_int_equal(mc_set_quiet(c, "k3", 2, "v", 1, 1, 0), MC_CONNECTION);
	assert_int_equal(mc_quiet_confirm(c), MC_OK);
	mc_client_free(c);
}

static void test_quiet_lost_when_server_dies_text(void **state)
{
	(void)state;
	quiet_lost_when_server_dies(0, 0);
	quiet_lost_when_server_dies(0, 1);
}

static void test_quiet_lost_when_server_dies_binary(void **state)
{
	(void)state;
	quiet_lost_when_server_dies(1, 0);
	quiet_lost_when_server_dies(1, 1);
}

/* mget of keys on one or two servers, hits and misses, a key given twice,
 * a long key (hashed on the wire) and an unsafe one (space, control
 * character: hashed too), with a prefix: answers map to the caller's
 * keys. */
static void mget_maps_back(const char *servers, int binary)
{
	mc_client_t *c = client_of(servers, binary, "pfx:");
	mc_mget_item_t it[8];
	mc_mget_buf_t buf = {NULL, 0, 0};
	mc_counters_t cnt;
	char longkey[400];
	const char *keys[8] = {
			"a", "missing", "b c", "ctl\001", NULL, "a", "n", "e"};
	const char *vals[8] = {"va", NULL, "vbc", "vctl", "vlong", "va", "42", ""};
	size_t i;

	memset(longkey, 'L', sizeof(longkey) - 1);
	longkey[sizeof(longkey) - 1] = '\0';
	keys[4] = longkey;
	for(i = 0; i < 8; i++)
		if(vals[i] != NULL)
			assert_int_equal(
					mc_store(c, MC_STORE_SET, keys[i], strlen(keys[i]), vals[i],
							strlen(vals[i]), i == 6 ? 0 : 1, 60),
					MC_OK);
	memset(it, 0, sizeof(it));
	for(i = 0; i < 8; i++) {
		it[i].key = keys[i];
		it[i].klen = strlen(keys[i]);
	}
	assert_int_equal(mc_mget(c, it, 8, &buf), MC_OK);
	for(i = 0; i < 8; i++) {
		if(vals[i] == NULL) {
			assert_int_equal(it[i].st, MC_NOT_FOUND);
			continue;
		}
		assert_int_equal(it[i].st, MC_OK);
		assert_int_equal(it[i].val.len, strlen(vals[i]));
		assert_memory_equal(it[i].val.data, vals[i], it[i].val.len);
		assert_int_equal(it[i].val.data[it[i].val.len], '\0');
		assert_int_equal(it[i].val.flags, i == 6 ? 0 : 1);
	}
	mc_client_counters(c, &cnt);
	assert_int_equal(cnt.hits, 7);
	assert_int_equal(cnt.misses, 1);
	/* the connection stays in step: a plain get after it */
	assert_int_equal(mc_get(c, "b c", 3, &it[0].val), MC_OK);
	assert_memory_equal(it[0].val.data, "vbc", 3);
	mc_mget_buf_free(&buf);
	mc_client_free(c);
}

static void test_mget_maps_back_text(void **state)
{
	(void)state;
	mget_maps_back(one(), 0);
	mget_maps_back(two(), 0);
}

static void test_mget_maps_back_binary(void **state)
{
	(void)state;
	mget_maps_back(one(), 1);
	mget_maps_back(two(), 1);
}

static void test_mget_bad_input(void **state)
{
	mc_client_t *c = client_of(one(), 0, NULL);
	mc_mget_item_t it[MC_MGET_MAX + 1];
	mc_mget_buf_t buf = {NULL, 0, 0};
	size_t i;

	(void)state;
	memset(it, 0, sizeof(it));
	for(i = 0; i <= MC_MGET_MAX; i++) {
		it[i].key = "k";
		it[i].klen = 1;
	}
	assert_int_equal(mc_mget(c, it, 0, &buf), MC_BAD_INPUT);
	assert_int_equal(mc_mget(c, it, MC_MGET_MAX + 1, &buf), MC_BAD_INPUT);
	assert_non_null(strstr(mc_client_errstr(c), "keys"));
	it[1].klen = 0;
	assert_int_equal(mc_mget(c, it, 2, &buf), MC_BAD_INPUT);
	assert_int_equal(it[0].st, MC_BAD_INPUT);
	assert_int_equal(mc_mget(c, it, MC_MGET_MAX, &buf), MC_BAD_INPUT);
	mc_mget_buf_free(&buf);
	mc_client_free(c);
}

/* One of two servers dead: its keys carry the failure, the live server's
 * keys are read; the call reports the failure. */
static void test_mget_one_server_dead(void **state)
{
	char servers[128], key[32];
	mc_client_t *c;
	mc_mget_item_t it[16];
	mc_mget_buf_t buf = {NULL, 0, 0};
	size_t i, ok = 0, failed = 0;

	(void)state;
	snprintf(servers, sizeof(servers), "127.0.0.1:%u,127.0.0.1:%u", _s[0].port,
			mc_test_free_port());
	c = client_of(servers, 0, NULL);
	memset(it, 0, sizeof(it));
	for(i = 0; i < 16; i++) {
		snprintf(key, sizeof(key), "dead%zu", i);
		it[i].key = strdup(key);
		it[i].klen = strlen(key);
		mc_store(c, MC_STORE_SET, it[i].key, it[i].klen, "x", 1, 1, 60);
	}
	assert_int_equal(mc_mget(c, it, 16, &buf), MC_CONNECTION);
	for(i = 0; i < 16; i++) {
		if(it[i].st == MC_OK) {
			assert_memory_equal(it[i].val.data, "x", 2);
			ok++;
		} else {
			assert_int_equal(it[i].st, MC_CONNECTION);
			failed++;
		}
		free((char *)it[i].key);
	}
	assert_true(ok > 0 && failed > 0);
	mc_mget_buf_free(&buf);
	mc_client_free(c);
}

/*
 * servers = a unix socket path (memcached -s PATH): every kind of call
 * works over it, alone and next to a TCP server; messages name the path.
 */
static void test_unix_socket_server(void **state)
{
	mc_test_server_t us = {0, 0};
	char path[64], servers[160];
	mc_client_t *c;
	mc_value_t v;
	uint64_t nv = 0;
	mc_mget_item_t it[2];
	mc_mget_buf_t buf = {NULL, 0, 0};
	mc_server_info_t si;
	int binary;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/mc-test-%d.sock", (int)getpid());
	assert_int_equal(mc_test_memcached_unix_start(&us, path), 0);
	for(binary = 0; binary <= 1; binary++) {
		c = client_of(path, binary, NULL);
		assert_int_equal(mc_client_server_count(c), 1);
		assert_int_equal(mc_client_server_info(c, 0, &si), MC_OK);
		assert_string_equal(si.host, path);
		assert_int_equal(
				mc_store(c, MC_STORE_SET, "u", 1, "over unix", 9, 1, 0), MC_OK);
		assert_int_equal(mc_get(c, "u", 1, &v), MC_OK);
		assert_memory_equal(v.data, "over unix", 10);
		assert_int_equal(mc_incr_create(c, "n", 1, 5, 0, &nv), MC_OK);
		assert_int_equal(mc_set_quiet(c, "q", 1, "quiet", 5, 1, 0), MC_OK);
		memset(it, 0, sizeof(it));
		it[0].key = "q";
		it[0].klen = 1;
		it[1].key = "u";
		it[1].klen = 1;
		assert_int_equal(mc_mget(c, it, 2, &buf), MC_OK);
		assert_memory_equal(it[0].val.data, "quiet", 6);
		assert_memory_equal(it[1].val.data, "over unix", 10);
		assert_int_equal(mc_quiet_confirm(c), MC_OK);
		mc_client_free(c);
	}
	/* next to a TCP server */
	snprintf(servers, sizeof(servers), "%s,127.0.0.1:%u", path, _s[0].port);
	c = client_of(servers, 0, NULL);
	assert_int_equal(mc_client_server_count(c), 2);
	assert_int_equal(mc_store(c, MC_STORE_SET, "x", 1, "y", 1, 1, 0), MC_OK);
	assert_int_equal(mc_get(c, "x", 1, &v), MC_OK);
	mc_client_free(c);
	/* gone: the message names the path */
	mc_test_server_stop(&us);
	unlink(path);
	c = client_of(path, 0, NULL);
	assert_int_equal(mc_get(c, "u", 1, &v), MC_CONNECTION);
	assert_non_null(strstr(mc_client_errstr(c), path));
	mc_client_free(c);
	mc_mget_buf_free(&buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
			cmocka_unit_test(test_quiet_set_then_get_text),
			cmocka_unit_test(test_quiet_set_then_get_binary),
			cmocka_unit_test(test_deferred_quiet_sets_text),
			cmocka_unit_test(test_deferred_quiet_sets_binary),
			cmocka_unit_test(test_quiet_set_dead_server_is_error),
			cmocka_unit_test(test_quiet_lost_when_server_dies_text),
			cmocka_unit_test(test_quiet_lost_when_server_dies_binary),
			cmocka_unit_test(test_mget_maps_back_text),
			cmocka_unit_test(test_mget_maps_back_binary),
			cmocka_unit_test(test_mget_bad_input),
			cmocka_unit_test(test_mget_one_server_dead),
			cmocka_unit_test(test_unix_socket_server),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
