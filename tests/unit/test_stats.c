/*
 * mc_server_stats, the text-protocol "stats" of the RPC memcached.stats,
 * read through libmemcached: a real memcached over TCP and a unix socket,
 * and fakes for every way the read can fail. libmemcached's
 * memcached_stat_execute answers success when the stats reply itself fails
 * (after its version round trip) or is an error line: each of those must
 * still be a failure here; and it bounds each wait, not the call, so the
 * call's budget is kept here. Bounds are asserted with a margin, not speeds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "mc_stats.h"
#include "mc_test_server.h"

#define TIMEOUT_MS 200
/* generous: valgrind and sanitizers slow everything down */
#define MARGIN_MS 1500

typedef struct seen {
	int n;
	int stop_at; /* 0: never stop */
	char pid[32];
} seen_t;

static int count_stat(const char *name, const char *value, void *arg)
{
	seen_t *s = (seen_t *)arg;

	s->n++;
	if(strcmp(name, "pid") == 0)
		snprintf(s->pid, sizeof(s->pid), "%s", value);
	return s->stop_at != 0 && s->n >= s->stop_at;
}

/* mc_server_stats on 127.0.0.1:port, asserting its bound and that err names
 * the server and holds text */
static mc_status_t stats_of(unsigned int port, seen_t *s, const char *text)
{
	char err[640], where[64];
	unsigned long long t0 = mc_test_now_ms(), dt;
	mc_status_t st;

	st = mc_server_stats(
			"127.0.0.1", port, TIMEOUT_MS, count_stat, s, err, sizeof(err));
	dt = mc_test_now_ms() - t0;
	if(dt > 2 * TIMEOUT_MS + MARGIN_MS)
		fail_msg("stats took %llu ms (bound %u ms)", dt,
				2 * TIMEOUT_MS + MARGIN_MS);
	mc_test_addr(where, sizeof(where), port);
	if(st == MC_OK) {
		assert_string_equal(err, "");
	} else if(!strstr(err, where) || !strstr(err, text)) {
		fail_msg("message '%s' lacks '%s' or '%s'", err, where, text);
	}
	return st;
}

static void test_stats_are_the_servers_own_in_its_order(void **state)
{
	mc_test_server_t srv = {0, 0};
	seen_t s = {0, 0, ""};
	char pid[32];

	(void)state;
	assert_int_equal(mc_test_memcached_start(&srv, 0, NULL), 0);
	snprintf(pid, sizeof(pid), "%d", (int)srv.pid);
	assert_int_equal(stats_of(srv.port, &s, ""), MC_OK);
	assert_true(s.n > 20);
	assert_string_equal(s.pid, pid);
	/* fn stops the walk: no more calls, and still MC_OK */
	memset(&s, 0, sizeof(s));
	s.stop_at = 1;
	assert_int_equal(stats_of(srv.port, &s, ""), MC_OK);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.pid, pid); /* memcached says pid first */
	mc_test_server_stop(&srv);
}

static void test_stats_over_a_unix_socket(void **state)
{
	mc_test_server_t srv = {0, 0};
	seen_t s = {0, 0, ""};
	char path[64], err[640], pid[32];

	(void)state;
	snprintf(path, sizeof(path), "/tmp/mc-stats-%d.sock", (int)getpid());
	assert_int_equal(mc_test_memcached_unix_start(&srv, path), 0);
	snprintf(pid, sizeof(pid), "%d", (int)srv.pid);
	assert_int_equal(mc_server_stats(path, 0, TIMEOUT_MS, count_stat, &s, err,
							 sizeof(err)),
			MC_OK);
	assert_string_equal(s.pid, pid);
	mc_test_server_stop(&srv);
	unlink(path);
	memset(&s, 0, sizeof(s));
	assert_int_equal(mc_server_stats(path, 0, TIMEOUT_MS, count_stat, &s, err,
							 sizeof(err)),
			MC_CONNECTION);
	assert_int_equal(s.n, 0);
	assert_non_null(strstr(err, path));
}

static void test_nothing_listening_is_a_connection_error(void **state)
{
	seen_t s = {0, 0, ""};

	(void)state;
	assert_int_equal(stats_of(mc_test_free_port(), &s, "connection failure"),
			MC_CONNECTION);
	assert_int_equal(s.n, 0);
}

static void test_silent_server_times_out(void **state)
{
	mc_test_server_t srv = {0, 0};
	seen_t s = {0, 0, ""};

	(void)state;
	assert_int_equal(mc_test_silent_start(&srv), 0);
	assert_int_equal(
			stats_of(srv.port, &s, "timeout after 200 ms"), MC_TIMEOUT);
	assert_int_equal(s.n, 0);
	mc_test_server_stop(&srv);
}

/* replies: what a scripted server answers to "version", then to "stats";
 * after the script it is silent */
static mc_status_t stats_of_script(
		const char *const *replies, seen_t *s, const char *text)
{
	mc_test_server_t srv = {0, 0};
	mc_status_t st;

	assert_int_equal(mc_test_scripted_start(&srv, replies, 0), 0);
	st = stats_of(srv.port, s, text);
	mc_test_server_stop(&srv);
	return st;
}

/* libmemcached's stat_execute answers success when the stats reply never
 * comes after a version round trip that worked */
static void test_server_silent_after_version_times_out(void **state)
{
	const char *const replies[] = {"VERSION 1.6.18\r\n", NULL};
	seen_t s = {0, 0, ""};

	(void)state;
	assert_int_equal(stats_of_script(replies, &s, "timeout"), MC_TIMEOUT);
	assert_int_equal(s.n, 0);
}

/* ...and when the reply is cut short (fn has seen the lines before it) */
static void test_reply_cut_short_times_out(void **state)
{
	const char *const replies[] = {"VERSION 1.6.18\r\n",
			"STAT pid 1\r\nSTAT uptime 2\r\nSTAT ti", NULL};
	seen_t s = {0, 0, ""};

	(void)state;
	assert_int_equal(stats_of_script(replies, &s, "timeout"), MC_TIMEOUT);
	assert_int_equal(s.n, 2); /* the whole lines before the cut */
}

/* ...and reads an error line where the statistics should be as an empty
 * list */
static void test_server_error_line_is_an_error(void **state)
{
	const char *const replies[] = {
			"VERSION 1.6.18\r\n", "SERVER_ERROR out of memory\r\n", NULL};
	seen_t s = {0, 0, ""};

	(void)state;
	assert_int_equal(
			stats_of_script(replies, &s, "no statistics from"), MC_ERROR);
	assert_int_equal(s.n, 0);
}

static void test_unknown_command_is_an_error(void **state)
{
	const char *const replies[] = {"VERSION 1.6.18\r\n", "ERROR\r\n", NULL};
	seen_t s = {0, 0, ""};

	(void)state;
	assert_int_equal(
			stats_of_script(replies, &s, "answered ERROR to stats"), MC_ERROR);
	assert_int_equal(s.n, 0);
}

/*
 * A reply sent a line at a time, each wait well inside the timeout: the
 * call still ends within its budget (about twice the timeout) as a timeout,
 * where libmemcached alone would wait for the whole reply (4 s here).
 */
static void test_reply_sent_a_line_at_a_time_ends_within_the_budget(
		void **state)
{
	mc_test_server_t srv = {0, 0};
	seen_t s = {0, 0, ""};

	(void)state;
	assert_int_equal(mc_test_trickle_start(&srv, TIMEOUT_MS / 2, 40), 0);
	assert_int_equal(stats_of(srv.port, &s, "timeout"), MC_TIMEOUT);
	assert_true(s.n >= 1 && s.n < 40);
	mc_test_server_stop(&srv);
}

static void test_no_server_or_no_callback_is_bad_input(void **state)
{
	char err[128];
	seen_t s = {0, 0, ""};

	(void)state;
	assert_int_equal(mc_server_stats(NULL, 1, TIMEOUT_MS, count_stat, &s, err,
							 sizeof(err)),
			MC_BAD_INPUT);
	assert_string_equal(err, "stats: no server given");
	assert_int_equal(mc_server_stats("", 1, TIMEOUT_MS, count_stat, &s, err,
							 sizeof(err)),
			MC_BAD_INPUT);
	assert_int_equal(mc_server_stats("127.0.0.1", 1, TIMEOUT_MS, NULL, &s, err,
							 sizeof(err)),
			MC_BAD_INPUT);
	assert_int_equal(s.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
			cmocka_unit_test(test_stats_are_the_servers_own_in_its_order),
			cmocka_unit_test(test_stats_over_a_unix_socket),
			cmocka_unit_test(test_nothing_listening_is_a_connection_error),
			cmocka_unit_test(test_silent_server_times_out),
			cmocka_unit_test(test_server_silent_after_version_times_out),
			cmocka_unit_test(test_reply_cut_short_times_out),
			cmocka_unit_test(test_server_error_line_is_an_error),
			cmocka_unit_test(test_unknown_command_is_an_error),
			cmocka_unit_test(
					test_reply_sent_a_line_at_a_time_ends_within_the_budget),
			cmocka_unit_test(test_no_server_or_no_callback_is_bad_input),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
