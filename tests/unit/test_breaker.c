/*
 * The per-server circuit breaker against real servers: a memcached that is
 * stopped and restarted, a silent server, and two servers with and without
 * redistribution of a dead server's keys.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "mc_client.h"
#include "mc_test_client.h"
#include "mc_test_server.h"

#define TIMEOUT_MS 300
#define LIMIT 3
#define RETRY_S 1

static mc_test_server_t _s[2];

/* what the client logged */
static char _log[16][640];
static mc_log_level_t _lvl[16];
static int _nlog;

static void log_hook(mc_log_level_t level, const char *msg, void *arg)
{
	(void)arg;
	if(_nlog < 16) {
		_lvl[_nlog] = level;
		snprintf(_log[_nlog], sizeof(_log[0]), "%s", msg);
	}
	_nlog++;
}

static void nap(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static mc_client_t *client_of(const char *servers, int redistribute)
{
	mc_config_t cfg;
	mc_client_t *c = NULL;

	mc_test_config(&cfg, servers);
	cfg.timeout_ms = TIMEOUT_MS;
	cfg.failure_limit = LIMIT;
	cfg.retry_s = RETRY_S;
	cfg.redistribute = redistribute;
	cfg.log = log_hook;
	c = mc_test_client_new(&cfg);
	return c;
}

static int reset(void **state)
{
	(void)state;
	_nlog = 0;
	return 0;
}

static int stop_all(void **state)
{
	(void)state;
	mc_test_server_stop(&_s[0]);
	mc_test_server_stop(&_s[1]);
	return 0;
}

static mc_breaker_state_t state_of(mc_client_t *c, size_t i)
{
	mc_server_info_t si;

	assert_int_equal(mc_client_server_info(c, i, &si), MC_OK);
	return si.state;
}

/* polls (bounded) until the open breaker's retry time has come */
static void wait_half_open(mc_client_t *c, size_t i)
{
	unsigned long long t0 = mc_test_now_ms();

	while(state_of(c, i) != MC_BREAKER_HALF_OPEN) {
		assert_true(mc_test_now_ms() - t0 < RETRY_S * 1000 + 3000);
		nap(20);
	}
}

static void trip(mc_client_t *c, const char *key, mc_status_t fail)
{
	mc_value_t v;
	int i;

	for(i = 0; i < LIMIT; i++)
		assert_int_equal(mc_get(c, key, strlen(key), &v), fail);
}

static void test_breaker_opens_after_limit_and_fails_fast_with_disabled(
		void **state)
{
	char addr[64], want[512];
	mc_client_t *c;
	mc_value_t v;
	mc_server_info_t si;
	mc_counters_t n;
	int i;

	(void)state;
	assert_int_equal(mc_test_silent_start(&_s[0]), 0);
	c = client_of(mc_test_addr(addr, sizeof(addr), _s[0].port), 0);
	trip(c, "k", MC_TIMEOUT);
	assert_int_equal(_nlog, 1);
	assert_int_equal(_lvl[0], MC_LOG_ERR);
	snprintf(want, sizeof(want),
			"memcached server %s disabled after 3 consecutive failures (last: "
			"get 'k': timeout after 300 ms talking to %s (server slow or "
			"unreachable; check memcached or raise timeout)); retried in 1 s",
			addr, addr);
	assert_string_equal(_log[0], want);

	/* no I/O while open: each call is refused at once, and none of them
	 * waited for the silent server (the timeouts count below stays at the
	 * 3 that tripped it); no wall-clock bound, which valgrind or a loaded
	 * machine could break */
	for(i = 0; i < 20; i++)
		assert_int_equal(mc_get(c, "k", 1, &v), MC_DISABLED);
	snprintf(want, sizeof(want),
			"get 'k': server %s disabled after 3 consecutive failures, "
			"retried in 1 s (check memcached there)",
			addr);
	assert_string_equal(mc_client_errstr(c), want);
	/* logged once, not once per call */
	assert_int_equal(_nlog, 1);

	assert_int_equal(mc_client_server_info(c, 0, &si), MC_OK);
	assert_int_equal(si.state, MC_BREAKER_OPEN);
	assert_int_equal(si.failures, 3);
	assert_int_equal(si.trips, 1);
	mc_client_counters(c, &n);
	assert_int_equal(n.trips, 1);
	assert_int_equal(n.timeouts, 3);
	assert_int_equal(n.errors, 23);
	mc_client_free(c);
}

static void test_failures_below_limit_do_not_trip_and_success_resets(
		void **state)
{
	char addr[64];
	mc_client_t *c;
	mc_value_t v;
	mc_server_info_t si;
	unsigned int port;

	(void)state;
	assert_int_equal(mc_test_memcached_start(&_s[0], 0, NULL), 0);
	port = _s[0].port;
	c = client_of(mc_test_addr(addr, sizeof(addr), port), 0);
	mc_test_server_stop(&_s[0]);
	assert_int_equal(mc_get(c, "k", 1, &v), MC_CONNECTION);
	assert_int_equal(mc_get(c, "k", 1, &v), MC_CONNECTION);
	assert_int_equal(mc_test_memcached_start(&_s[0], port, NULL), 0);
	assert_int_equal(mc_get(c, "k", 1, &v), MC_NOT_FOUND);
	assert_int_equal(mc_client_server_info(c, 0, &si), MC_OK);
	assert_int_equal(si.failures, 0);
	assert_int_equal(si.state, MC_BREAKER_CLOSED);
	assert_int_equal(_nlog, 0);
	mc_client_free(c);
}

static void test_breaker_probe_recovers_when_memcached_returns(void **state)
{
	char addr[64], want[128];
	mc_client_t *c;
	mc_value_t v;
	unsigned int port;

	(void)state;
	assert_int_equal(mc_test_memcached_start(&_s[0], 0, NULL), 0);
	port = _s[0].port;
	c = client_of(mc_test_addr(addr, sizeof(addr), port), 0);
	assert_int_equal(mc_store(c, MC_STORE_SET, "k", 1, "v", 1, 1, 0), MC_OK);
	mc_test_server_stop(&_s[0]);
	trip(c, "k", MC_CONNECTION);
	assert_int_equal(mc_get(c, "k", 1, &v), MC_DISABLED);
	assert_int_equal(mc_test_memcached_start(&_s[0], port, NULL), 0);
	/* still skipped until the retry time, although it is back */
	assert_int_equal(state_of(c, 0), MC_BREAKER_OPEN);
	wait_half_open(c, 0);
	/* the probe: a fresh memcached answers with a miss, never a stale value */
	assert_int_equal(mc_get(c, "k", 1, &v), MC_NOT_FOUND);
	assert_int_equal(state_of(c, 0), MC_BREAKER_CLOSED);
	assert_int_equal(mc_store(c, MC_STORE_SET, "k", 1, "w", 1, 1, 0), MC_OK);
	assert_int_equal(_nlog, 2);
	assert_int_equal(_lvl[1], MC_LOG_INFO);
	snprintf(want, sizeof(want), "memcached server %s is back", addr);
	assert_string_equal(_log[1], want);
	mc_client_free(c);
}

static void test_failed_probe_reopens_without_logging_again(void **state)
{
	char addr[64];
	mc_client_t *c;
	mc_value_t v;
	mc_server_info_t si;

	(void)state;
	c = client_of(mc_test_addr(addr, sizeof(addr), mc_test_free_port()), 0);
	trip(c, "k", MC_CONNECTION);
	wait_half_open(c, 0);
	assert_int_equal(mc_get(c, "k", 1, &v), MC_CONNECTION);
	assert_int_equal(mc_get(c, "k", 1, &v), MC_DISABLED);
	assert_int_equal(mc_client_server_info(c, 0, &si), MC_OK);
	assert_int_equal(si.state, MC_BREAKER_OPEN);
	assert_int_equal(si.trips, 1);
	assert_int_equal(_nlog, 1);
	mc_client_free(c);
}

/* a key (user:N) that the two-server client places on server `want` */
static void key_on(
		mc_client_t *c, mc_client_t *direct[2], int want, char *k, size_t len)
{
	mc_value_t v;
	int i;

	for(i = 0; i < 1000; i++) {
		snprintf(k, len, "user:%d", i);
		assert_int_equal(
				mc_store(c, MC_STORE_SET, k, strlen(k), "x", 1, 1, 0), MC_OK);
		if(mc_get(direct[want], k, strlen(k), &v) == MC_OK)
			return;
	}
	fail_msg("no key lands on server %d", want);
}

static void two_servers(mc_client_t **c, mc_client_t *direct[2],
		int redistribute, char a[2][64])
{
	char spec[160];

	assert_int_equal(mc_test_memcached_start(&_s[0], 0, NULL), 0);
	assert_int_equal(mc_test_memcached_start(&_s[1], 0, NULL), 0);
	mc_test_addr(a[0], 64, _s[0].port);
	mc_test_addr(a[1], 64, _s[1].port);
	snprintf(spec, sizeof(spec), "%s,%s", a[0], a[1]);
	*c = client_of(spec, redistribute);
	direct[0] = client_of(a[0], 0);
	direct[1] = client_of(a[1], 0);
}

static size_t index_of(mc_client_t *c, unsigned int port)
{
	mc_server_info_t si;
	size_t i;

	for(i = 0; i < mc_client_server_count(c); i++) {
		assert_int_equal(mc_client_server_info(c, i, &si), MC_OK);
		if(si.port == port)
			return i;
	}
	fail_msg("no server with port %u", port);
	return 0;
}

static void test_dead_servers_keys_fail_fast_while_others_work(void **state)
{
	char a[2][64], dead_k[32], live_k[32];
	mc_client_t *c, *direct[2];
	mc_value_t v;

	(void)state;
	two_servers(&c, direct, 0, a);
	key_on(c, direct, 1, dead_k, sizeof(dead_k));
	key_on(c, direct, 0, live_k, sizeof(live_k));
	mc_test_server_stop(&_s[1]);
	trip(c, dead_k, MC_CONNECTION);
	assert_int_equal(mc_get(c, dead_k, strlen(dead_k), &v), MC_DISABLED);
	assert_non_null(strstr(mc_client_errstr(c), a[1]));
	assert_int_equal(mc_get(c, live_k, strlen(live_k), &v), MC_OK);
	assert_int_equal(state_of(c, index_of(c, _s[0].port)), MC_BREAKER_CLOSED);
	mc_client_free(direct[0]);
	mc_client_free(direct[1]);
	mc_client_free(c);
}

static void test_redistribute_moves_dead_servers_keys_and_back(void **state)
{
	char a[2][64], dead_k[32], live_k[32];
	mc_client_t *c, *direct[2];
	mc_value_t v;
	unsigned int port1;

	(void)state;
	two_servers(&c, direct, 1, a);
	key_on(c, direct, 1, dead_k, sizeof(dead_k));
	key_on(c, direct, 0, live_k, sizeof(live_k));
	port1 = _s[1].port;
	mc_test_server_stop(&_s[1]);
	trip(c, dead_k, MC_CONNECTION);
	assert_int_equal(_nlog, 1);
	assert_non_null(strstr(_log[0], "its keys go to the other servers"));
	/* while server 1 is out, its keys live on server 0 */
	assert_int_equal(mc_get(c, dead_k, strlen(dead_k), &v), MC_NOT_FOUND);
	assert_int_equal(
			mc_store(c, MC_STORE_SET, dead_k, strlen(dead_k), "moved", 5, 1, 0),
			MC_OK);
	assert_int_equal(mc_get(c, dead_k, strlen(dead_k), &v), MC_OK);
	assert_string_equal(v.data, "moved");
	assert_int_equal(mc_get(c, live_k, strlen(live_k), &v), MC_OK);
	assert_string_equal(v.data, "x");

	/* server 1 returns: after the retry time its keys go back to it */
	assert_int_equal(mc_test_memcached_start(&_s[1], port1, NULL), 0);
	wait_half_open(c, index_of(c, port1));
	assert_int_equal(mc_get(c, dead_k, strlen(dead_k), &v), MC_NOT_FOUND);
	assert_int_equal(state_of(c, index_of(c, port1)), MC_BREAKER_CLOSED);
	assert_int_equal(
			mc_store(c, MC_STORE_SET, dead_k, strlen(dead_k), "home", 4, 1, 0),
			MC_OK);
	mc_client_free(direct[1]);
	direct[1] = client_of(a[1], 0);
	assert_int_equal(mc_get(direct[1], dead_k, strlen(dead_k), &v), MC_OK);
	assert_string_equal(v.data, "home");
	assert_int_equal(_nlog, 2);
	mc_client_free(direct[0]);
	mc_client_free(direct[1]);
	mc_client_free(c);
}

static void test_breaker_off_keeps_trying_every_call(void **state)
{
	mc_config_t cfg;
	mc_client_t *c = NULL;
	char addr[64], err[256];
	mc_value_t v;
	int i;

	(void)state;
	mc_test_config(&cfg, mc_test_addr(addr, sizeof(addr), mc_test_free_port()));
	cfg.timeout_ms = TIMEOUT_MS;
	cfg.retry_s = 5;
	cfg.log = log_hook;
	assert_int_equal(mc_client_new(&cfg, &c, err, sizeof(err)), MC_OK);
	for(i = 0; i < 10; i++)
		assert_int_equal(mc_get(c, "k", 1, &v), MC_CONNECTION);
	assert_int_equal(state_of(c, 0), MC_BREAKER_CLOSED);
	assert_int_equal(_nlog, 0);
	mc_client_free(c);
}

#define T(f) cmocka_unit_test_setup_teardown(f, reset, stop_all)

int main(void)
{
	const struct CMUnitTest tests[] = {
			T(test_breaker_opens_after_limit_and_fails_fast_with_disabled),
			T(test_failures_below_limit_do_not_trip_and_success_resets),
			T(test_breaker_probe_recovers_when_memcached_returns),
			T(test_failed_probe_reopens_without_logging_again),
			T(test_dead_servers_keys_fail_fast_while_others_work),
			T(test_redistribute_moves_dead_servers_keys_and_back),
			T(test_breaker_off_keeps_trying_every_call),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
