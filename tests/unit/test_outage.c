/*
 * Outages: nothing listening (server down), a server that accepts and never
 * answers (silent), and a memcached that is stopped and restarted. Every
 * call must come back with an error status within the timeout plus a margin;
 * the bound is asserted, not a speed.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <signal.h>
#include <time.h>

#include <cmocka.h>

#include "mc_batch.h"
#include "mc_client.h"
#include "mc_test_client.h"
#include "mc_test_server.h"

#define TIMEOUT_MS 300

static void nap(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}
/* generous: valgrind and sanitizers slow everything down */
#define MARGIN_MS 1500

static mc_client_t *client_to(unsigned int port, int binary)
{
	mc_config_t cfg;
	mc_client_t *c = NULL;
	char addr[64];

	mc_test_config(&cfg, mc_test_addr(addr, sizeof(addr), port));
	cfg.timeout_ms = TIMEOUT_MS;
	cfg.binary = binary;
	c = mc_test_client_new(&cfg);
	return c;
}

typedef struct call {
	const char *name;
	/* calls per operation: incr_create may make up to three requests */
	unsigned int requests;
} call_t;

static const call_t _calls[] = {{"get", 1}, {"exists", 1}, {"set", 1},
		{"add", 1}, {"replace", 1}, {"append", 1}, {"prepend", 1},
		{"delete", 1}, {"touch", 1}, {"incr", 1}, {"decr", 1},
		{"incr_create", 1}, {"flush", 2}};

static mc_status_t run_call(mc_client_t *c, size_t i)
{
	mc_value_t v;
	uint64_t n;

	switch(i) {
	case 0:
		return mc_get(c, "k", 1, &v);
	case 1:
		return mc_exists(c, "k", 1);
	case 2:
		return mc_store(c, MC_STORE_SET, "k", 1, "v", 1, 1, 0);
	case 3:
		return mc_store(c, MC_STORE_ADD, "k", 1, "v", 1, 1, 0);
	case 4:
		return mc_store(c, MC_STORE_REPLACE, "k", 1, "v", 1, 1, 0);
	case 5:
		return mc_store(c, MC_STORE_APPEND, "k", 1, "v", 1, 1, 0);
	case 6:
		return mc_store(c, MC_STORE_PREPEND, "k", 1, "v", 1, 1, 0);
	case 7:
		return mc_delete(c, "k", 1);
	case 8:
		return mc_touch(c, "k", 1, 10);
	case 9:
		return mc_incr(c, "k", 1, 1, &n);
	case 10:
		return mc_decr(c, "k", 1, 1, &n);
	case 11:
		return mc_incr_create(c, "k", 1, 1, 10, &n);
	default:
		return mc_flush(c);
	}
}

static void every_call_fails_within_bound(
		unsigned int port, int binary, mc_status_t want, const char *text)
{
	mc_client_t *c = client_to(port, binary);
	unsigned long long t0, dt;
	size_t i, round;
	char where[64];
	mc_counters_t n;

	snprintf(where, sizeof(where), "talking to 127.0.0.1:%u", port);
	/* twice round: the first failure must not make later calls hang */
	for(round = 0; round < 2; round++) {
		for(i = 0; i < sizeof(_calls) / sizeof(_calls[0]); i++) {
			t0 = mc_test_now_ms();
			mc_status_t st = run_call(c, i);
			dt = mc_test_now_ms() - t0;
			if(st != want)
				fail_msg("%s: status %s (%s), want %s", _calls[i].name,
						mc_strerror(st), mc_client_errstr(c),
						mc_strerror(want));
			if(dt > _calls[i].requests * TIMEOUT_MS + MARGIN_MS)
				fail_msg("%s took %llu ms (bound %u ms)", _calls[i].name, dt,
						_calls[i].requests * TIMEOUT_MS + MARGIN_MS);
			if(!strstr(mc_client_errstr(c), text) ||
					!strstr(mc_client_errstr(c), where))
				fail_msg("%s: message '%s' lacks '%s' or '%s'", _calls[i].name,
						mc_client_errstr(c), text, where);
		}
	}
	mc_client_counters(c, &n);
	assert_int_equal(n.errors, 2 * sizeof(_calls) / sizeof(_calls[0]));
	if(want == MC_TIMEOUT)
		assert_int_equal(n.timeouts, n.errors);
	mc_client_free(c);
}

static void test_server_down_every_call_is_connection_error_text(void **state)
{
	(void)state;
	every_call_fails_within_bound(mc_test_free_port(), 0, MC_CONNECTION,
			"(server down or unreachable; ");
}

static void test_server_down_every_call_is_connection_error_binary(void **state)
{
	(void)state;
	every_call_fails_within_bound(mc_test_free_port(), 1, MC_CONNECTION,
			"(server down or unreachable; ");
}

static void test_server_down_message_says_what_to_do(void **state)
{
	unsigned int port = mc_test_free_port();
	mc_client_t *c = client_to(port, 0);
	char want[256];

	(void)state;
	assert_int_equal(
			mc_store(c, MC_STORE_SET, "foo", 3, "v", 1, 1, 0), MC_CONNECTION);
	snprintf(want, sizeof(want),
			"set 'foo': connection failure (connection refused) talking to "
			"127.0.0.1:%u (server down or unreachable; check that memcached "
			"runs and listens there)",
			port);
	assert_string_equal(mc_client_errstr(c), want);
	mc_client_free(c);
}

/*
 * Regression: the errno's reason never reached the message:
 * the connection was dropped (memcached_quit clears libmemcached's last
 * error) before the message was written, and over the binary protocol the
 * probe before the first call was a touch, which libmemcached reports as
 * a bare "write failure" whatever went wrong; libmemcached's text get and
 * touch keep no errno at all.
 */
static void test_server_down_message_names_the_errno_reason(void **state)
{
	unsigned int port = mc_test_free_port();
	mc_client_t *c;
	int binary;
	size_t i;

	(void)state;
	for(binary = 0; binary <= 1; binary++) {
		c = client_to(port, binary);
		for(i = 0; i < sizeof(_calls) / sizeof(_calls[0]) - 1; i++) {
			assert_int_equal(run_call(c, i), MC_CONNECTION);
			if(!strstr(mc_client_errstr(c),
					   ": connection failure (connection refused) talking"))
				fail_msg("%s (binary %d): no reason in '%s'", _calls[i].name,
						binary, mc_client_errstr(c));
		}
		mc_client_free(c);
	}
}

/* servers a test starts; stopped by the teardown even when it fails */
static mc_test_server_t _srv;

static int stop_server(void **state)
{
	(void)state;
	mc_test_server_stop(&_srv);
	return 0;
}

static int start_silent(void **state)
{
	(void)state;
	return mc_test_silent_start(&_srv);
}

static void test_silent_server_every_call_times_out_text(void **state)
{
	(void)state;
	every_call_fails_within_bound(
			_srv.port, 0, MC_TIMEOUT, "timeout after 300 ms");
}

static void test_silent_server_every_call_times_out_binary(void **state)
{
	(void)state;
	every_call_fails_within_bound(
			_srv.port, 1, MC_TIMEOUT, "timeout after 300 ms");
}

static int start_full(void **state)
{
	(void)state;
	return mc_test_full_start(&_srv);
}

/*
 * Regression: a server whose connect does not complete in time
 * is slow, not down; libmemcached's touch reported it as a write failure,
 * so touch said "server down" and memcached:timeouts stayed 0.
 */
static void test_connect_timeout_every_call_times_out_text(void **state)
{
	(void)state;
	every_call_fails_within_bound(
			_srv.port, 0, MC_TIMEOUT, "timeout after 300 ms");
}

static void test_connect_timeout_every_call_times_out_binary(void **state)
{
	(void)state;
	every_call_fails_within_bound(
			_srv.port, 1, MC_TIMEOUT, "timeout after 300 ms");
}

static void test_silent_server_message_says_what_to_do(void **state)
{
	mc_test_server_t s = _srv;
	mc_client_t *c;
	mc_value_t v;
	char want[256];

	(void)state;
	c = client_to(s.port, 0);
	assert_int_equal(mc_get(c, "foo", 3, &v), MC_TIMEOUT);
	snprintf(want, sizeof(want),
			"get 'foo': timeout after 300 ms talking to 127.0.0.1:%u (server "
			"slow or unreachable; check memcached or raise timeout)",
			s.port);
	assert_string_equal(mc_client_errstr(c), want);
	mc_client_free(c);
}

static void test_service_resumes_after_memcached_restart(void **state)
{
	mc_test_server_t *s = &_srv;
	mc_client_t *c;
	mc_value_t v;
	unsigned int port;
	int b;

	(void)state;
	for(b = 0; b < 2; b++) {
		assert_int_equal(mc_test_memcached_start(s, 0, NULL), 0);
		port = s->port;
		c = client_to(port, b);
		assert_int_equal(
				mc_store(c, MC_STORE_SET, "k", 1, "v1", 2, 1, 0), MC_OK);
		mc_test_server_stop(s);
		assert_int_equal(mc_get(c, "k", 1, &v), MC_CONNECTION);
		assert_int_equal(mc_get(c, "k", 1, &v), MC_CONNECTION);
		assert_int_equal(mc_test_memcached_start(s, port, NULL), 0);
		/* a fresh memcached: the old value is gone, never a stale one */
		assert_int_equal(mc_get(c, "k", 1, &v), MC_NOT_FOUND);
		assert_int_equal(
				mc_store(c, MC_STORE_SET, "k", 1, "v2", 2, 1, 0), MC_OK);
		assert_int_equal(mc_get(c, "k", 1, &v), MC_OK);
		assert_memory_equal(v.data, "v2", 2);
		mc_client_free(c);
		mc_test_server_stop(s);
	}
}

/* a client whose breaker trips at the first failure and stays open a
 * minute: any failed call would show in every later one */
static mc_client_t *client_with_breaker(unsigned int port, int binary)
{
	mc_config_t cfg;
	char addr[64];

	mc_test_config(&cfg, mc_test_addr(addr, sizeof(addr), port));
	cfg.timeout_ms = TIMEOUT_MS;
	cfg.binary = binary;
	cfg.failure_limit = 1;
	cfg.retry_s = 60;
	return mc_test_client_new(&cfg);
}

static void restart_memcached(mc_test_server_t *s)
{
	unsigned int port = s->port;

	mc_test_server_stop(s);
	assert_int_equal(mc_test_memcached_start(s, port, NULL), 0);
}

/* A client whose connection to _srv answered a call, then _srv restarted
 * on the same port (nothing asked while it was down). */
static mc_client_t *client_then_restart(int binary)
{
	mc_client_t *c = client_with_breaker(_srv.port, binary);

	assert_int_equal(mc_store(c, MC_STORE_SET, "k", 1, "5", 1, 0, 0), MC_OK);
	restart_memcached(&_srv);
	return c;
}

/*
 * A memcached restart closes every connection, and each process finds out
 * on its next call over the old one. That call is made again on a new
 * connection: every operation answers as the fresh server does (the data
 * is gone), nothing counts as an error and the breaker stays closed.
 * Regression: the first call failed and tripped the breaker, so each
 * worker failed every call for retry_time seconds after a restart.
 */
static void test_restart_costs_no_failed_call(void **state)
{
	mc_client_t *c;
	mc_counters_t n;
	mc_status_t st;
	size_t i;
	int b;

	(void)state;
	assert_int_equal(mc_test_memcached_start(&_srv, 0, NULL), 0);
	for(b = 0; b < 2; b++) {
		for(i = 0; i < sizeof(_calls) / sizeof(_calls[0]); i++) {
			c = client_then_restart(b);
			st = run_call(c, i);
			mc_client_counters(c, &n);
			if(mc_status_is_error(st) || n.errors != 0 || n.trips != 0)
				fail_msg("%s (binary %d) after a restart: %s (%s), %lu "
						 "errors, %lu trips",
						_calls[i].name, b, mc_strerror(st), mc_client_errstr(c),
						n.errors, n.trips);
			assert_int_equal(
					mc_store(c, MC_STORE_SET, "k", 1, "6", 1, 0, 0), MC_OK);
			mc_client_free(c);
		}
	}
}

/* The multi-get too: its keys read as the fresh server's misses. */
static void test_restart_costs_no_failed_mget(void **state)
{
	mc_mget_item_t it[2] = {{"k", 1, MC_OK, {0}}, {"j", 1, MC_OK, {0}}};
	mc_mget_buf_t buf = {0};
	mc_client_t *c;
	mc_counters_t n;
	int b;

	(void)state;
	assert_int_equal(mc_test_memcached_start(&_srv, 0, NULL), 0);
	for(b = 0; b < 2; b++) {
		c = client_then_restart(b);
		assert_int_equal(mc_mget(c, it, 2, &buf), MC_OK);
		assert_int_equal(it[0].st, MC_NOT_FOUND);
		assert_int_equal(it[1].st, MC_NOT_FOUND);
		mc_client_counters(c, &n);
		assert_int_equal(n.errors, 0);
		assert_int_equal(n.trips, 0);
		mc_client_free(c);
	}
	mc_mget_buf_free(&buf);
}

/*
 * Regression: over the binary protocol a flush on a connection the
 * restarted server had closed answered "flushed" and flushed nothing
 * (libmemcached's binary flush ignores a failed read of its reply); the
 * next call then reconnected. It is now made again, and flushes.
 */
static void test_flush_after_restart_flushes(void **state)
{
	mc_client_t *c, *other;
	mc_value_t v;
	int b;

	(void)state;
	assert_int_equal(mc_test_memcached_start(&_srv, 0, NULL), 0);
	for(b = 0; b < 2; b++) {
		c = client_with_breaker(_srv.port, b);
		other = client_with_breaker(_srv.port, b);
		assert_int_equal(mc_flush(c), MC_OK);
		restart_memcached(&_srv);
		assert_int_equal(
				mc_store(other, MC_STORE_SET, "x", 1, "v", 1, 0, 0), MC_OK);
		assert_int_equal(mc_flush(c), MC_OK);
		if(mc_get(other, "x", 1, &v) != MC_NOT_FOUND)
			fail_msg("binary %d: the flush after a restart left 'x'", b);
		mc_client_free(c);
		mc_client_free(other);
	}
}

/*
 * A quiet write waiting in the send buffer when memcached restarted leaves
 * on the old connection with the next call: it is lost, and counted so,
 * never taken as confirmed by the answer the next call gets on the new
 * connection.
 */
static void test_restart_counts_a_buffered_quiet_write_lost(void **state)
{
	mc_client_t *c;
	mc_counters_t n;
	mc_value_t v;
	int b;

	(void)state;
	assert_int_equal(mc_test_memcached_start(&_srv, 0, NULL), 0);
	for(b = 0; b < 2; b++) {
		c = client_then_restart(b);
		mc_client_quiet_defer(c, 1);
		assert_int_equal(mc_set_quiet(c, "q", 1, "qv", 2, 0, 0), MC_OK);
		mc_client_quiet_defer(c, 0);
		assert_int_equal(mc_get(c, "k", 1, &v), MC_NOT_FOUND);
		assert_int_equal(mc_quiet_confirm(c), MC_OK);
		mc_client_counters(c, &n);
		assert_int_equal(n.queued, 1);
		assert_int_equal(n.quiet_lost, 1);
		assert_int_equal(n.trips, 0);
		assert_non_null(
				strstr(mc_client_quiet_lost_msg(c), "1 quiet write(s)"));
		/* and the connection works: a quiet write now is confirmed */
		assert_int_equal(mc_set_quiet(c, "q", 1, "qv", 2, 0, 0), MC_OK);
		assert_int_equal(mc_quiet_confirm(c), MC_OK);
		assert_int_equal(mc_get(c, "q", 1, &v), MC_OK);
		assert_memory_equal(v.data, "qv", 2);
		mc_client_counters(c, &n);
		assert_int_equal(n.quiet_lost, 1);
		mc_client_free(c);
	}
}

/*
 * Never a wrong value: the first get times out, its reply arrives late on
 * that connection. Had the connection been kept, the next get (for another
 * key) would read "value-of-first"; it must read its own value.
 */
static void test_late_reply_after_timeout_is_never_read_as_next_answer(
		void **state)
{
	mc_client_t *c;
	mc_value_t v;
	unsigned long long t0;

	(void)state;
	assert_int_equal(mc_test_laggard_start(&_srv, 2 * TIMEOUT_MS), 0);
	c = client_to(_srv.port, 0);
	assert_int_equal(mc_get(c, "first", 5, &v), MC_TIMEOUT);
	/* let the late reply land in the old socket's buffer */
	t0 = mc_test_now_ms();
	while(mc_test_now_ms() - t0 < 3 * TIMEOUT_MS)
		nap(50);
	assert_int_equal(mc_get(c, "second", 6, &v), MC_OK);
	assert_string_equal(v.data, "value-of-second");
	assert_int_equal(mc_get(c, "third", 5, &v), MC_OK);
	assert_string_equal(v.data, "value-of-third");
	mc_client_free(c);
}

/*
 * Regression: over the binary protocol, flush answered "flushed"
 * while the server was stalled: libmemcached's binary flush ignores what the
 * server says, and the version round trip meant to confirm it is skipped
 * for a server whose version libmemcached already knows.
 */
/* polls /proc until pid is stopped (SIGSTOP is delivered asynchronously) */
static void wait_stopped(pid_t pid)
{
	char path[64], buf[512], *p;
	unsigned long long t0 = mc_test_now_ms();
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	while(mc_test_now_ms() - t0 < 10000) {
		f = fopen(path, "r");
		buf[0] = '\0';
		if(f != NULL) {
			if(fgets(buf, sizeof(buf), f) == NULL)
				buf[0] = '\0';
			fclose(f);
		}
		p = strrchr(buf, ')');
		if(p != NULL && p[1] == ' ' && p[2] == 'T')
			return;
		nap(5);
	}
	fail_msg("memcached %d did not stop", (int)pid);
}

static void stalled_server_flush_is_an_error(int binary)
{
	mc_client_t *c;

	assert_int_equal(mc_test_memcached_start(&_srv, 0, NULL), 0);
	c = client_to(_srv.port, binary);
	assert_int_equal(mc_flush(c), MC_OK);
	assert_int_equal(mc_flush(c), MC_OK);
	assert_int_equal(kill(_srv.pid, SIGSTOP), 0);
	wait_stopped(_srv.pid);
	assert_int_equal(mc_flush(c), MC_TIMEOUT);
	assert_non_null(strstr(mc_client_errstr(c), "flush: timeout after"));
	assert_int_equal(kill(_srv.pid, SIGCONT), 0);
	/* and it flushes again once the server is back */
	assert_int_equal(mc_flush(c), MC_OK);
	mc_client_free(c);
}

static void test_stalled_server_flush_is_an_error_text(void **state)
{
	(void)state;
	stalled_server_flush_is_an_error(0);
}

static void test_stalled_server_flush_is_an_error_binary(void **state)
{
	(void)state;
	stalled_server_flush_is_an_error(1);
}

/*
 * Regression: libmemcached bounds each wait by the timeout, not
 * the call, and one call can make several requests (incx's rounds, the
 * binary protocol's probe on a new connection): a server answering each
 * request a bit faster than the timeout made one call last many timeouts.
 * Every call now ends within about twice the timeout (doc 9.1).
 */
static void test_call_of_many_slow_round_trips_ends_within_twice_timeout(
		void **state)
{
	static const char *script[40];
	mc_client_t *c;
	unsigned long long t0, dt;
	uint64_t n = 0;
	size_t i;
	mc_status_t st;

	(void)state;
	for(i = 0; i + 1 < sizeof(script) / sizeof(script[0]); i++)
		script[i] = i % 2 == 0 ? "NOT_FOUND\r\n" : "NOT_STORED\r\n";
	script[i] = NULL;
	/* each reply 0.6 timeout late: never a timeout of its own */
	assert_int_equal(
			mc_test_scripted_start(&_srv, script, TIMEOUT_MS * 6 / 10), 0);
	c = client_to(_srv.port, 0);
	t0 = mc_test_now_ms();
	st = mc_incr_create(c, "rl", 2, 1, 1, &n);
	dt = mc_test_now_ms() - t0;
	if(st != MC_TIMEOUT)
		fail_msg("status %s (%s), want timeout", mc_strerror(st),
				mc_client_errstr(c));
	if(dt > 2 * TIMEOUT_MS + MARGIN_MS)
		fail_msg("took %llu ms (bound %u ms)", dt, 2 * TIMEOUT_MS + MARGIN_MS);
	mc_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
			cmocka_unit_test(
					test_server_down_every_call_is_connection_error_text),
			cmocka_unit_test(
					test_server_down_every_call_is_connection_error_binary),
			cmocka_unit_test(test_server_down_message_says_what_to_do),
			cmocka_unit_test(test_server_down_message_names_the_errno_reason),
			cmocka_unit_test_setup_teardown(
					test_silent_server_every_call_times_out_text, start_silent,
					stop_server),
			cmocka_unit_test_setup_teardown(
					test_silent_server_every_call_times_out_binary,
					start_silent, stop_server),
			cmocka_unit_test_setup_teardown(
					test_silent_server_message_says_what_to_do, start_silent,
					stop_server),
			cmocka_unit_test_setup_teardown(
					test_connect_timeout_every_call_times_out_text, start_full,
					stop_server),
			cmocka_unit_test_setup_teardown(
					test_connect_timeout_every_call_times_out_binary,
					start_full, stop_server),
			cmocka_unit_test_teardown(
					test_service_resumes_after_memcached_restart, stop_server),
			cmocka_unit_test_teardown(
					test_restart_costs_no_failed_call, stop_server),
			cmocka_unit_test_teardown(
					test_restart_counts_a_buffered_quiet_write_lost,
					stop_server),
			cmocka_unit_test_teardown(
					test_flush_after_restart_flushes, stop_server),
			cmocka_unit_test_teardown(
					test_restart_costs_no_failed_mget, stop_server),
			cmocka_unit_test_teardown(
					test_stalled_server_flush_is_an_error_text, stop_server),
			cmocka_unit_test_teardown(
					test_call_of_many_slow_round_trips_ends_within_twice_timeout,
					stop_server),
			cmocka_unit_test_teardown(
					test_stalled_server_flush_is_an_error_binary, stop_server),
			cmocka_unit_test_teardown(
					test_late_reply_after_timeout_is_never_read_as_next_answer,
					stop_server),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
