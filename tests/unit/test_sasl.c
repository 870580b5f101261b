/*
 * SASL (binary protocol) against "memcached -S" with a sasldb made by
 * saslpasswd2: right credentials work, wrong ones give a clear error per
 * call, and the password never appears in a message.
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

#include "mc_client.h"
#include "mc_test_client.h"
#include "mc_test_server.h"

#define USER "kamailio"
#define PASSWORD "pw-Zq81-never-logged"

static mc_test_server_t _srv;
static char _dir[64];
static char _addr[64];

static int group_setup(void **state)
{
	const char *tools[] = {"/usr/sbin/saslpasswd2", "/usr/bin/saslpasswd2"};
	const char *tool = NULL;
	const char *extra[] = {"-S", NULL};
	char cmd[512], path[128];
	FILE *f;
	size_t i;

	(void)state;
	for(i = 0; i < sizeof(tools) / sizeof(tools[0]); i++)
		if(access(tools[i], X_OK) == 0)
			tool = tools[i];
	if(tool == NULL) {
		fprintf(stderr, "test_sasl: saslpasswd2 not found (sasl2-bin)\n");
		return -1;
	}
	snprintf(_dir, sizeof(_dir), "/tmp/mc_sasl_XXXXXX");
	if(mkdtemp(_dir) == NULL)
		return -1;
	snprintf(cmd, sizeof(cmd),
			"echo '%s' | %s -p -a memcached -c -f %s/sasldb %s", PASSWORD, tool,
			_dir, USER);
	if(system(cmd) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/memcached.conf", _dir);
	f = fopen(path, "w");
	if(f == NULL)
		return -1;
	fprintf(f, "mech_list: plain\nsasldb_path: %s/sasldb\n", _dir);
	fclose(f);
	/* memcached reads its SASL configuration from there */
	setenv("SASL_CONF_PATH", _dir, 1);
	if(mc_test_memcached_start(&_srv, 0, extra) != 0)
		return -1;
	mc_test_addr(_addr, sizeof(_addr), _srv.port);
	return 0;
}

static int group_teardown(void **state)
{
	char path[128];

	(void)state;
	mc_test_server_stop(&_srv);
	snprintf(path, sizeof(path), "%s/sasldb", _dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/memcached.conf", _dir);
	unlink(path);
	rmdir(_dir);
	return 0;
}

static mc_client_t *client_at(
		const char *servers, const char *user, const char *password)
{
	mc_config_t cfg;
	mc_client_t *c = NULL;
	char err[256];

	mc_test_config(&cfg, servers);
	cfg.binary = 1;
	cfg.username = user;
	cfg.password = password;
	/* not mc_test_client_new: the message must not carry the password */
	if(mc_client_new(&cfg, &c, err, sizeof(err)) != MC_OK)
		fail_msg("client: %s", err);
	assert_null(strstr(err, PASSWORD));
	return c;
}

static mc_client_t *client_as(const char *user, const char *password)
{
	return client_at(_addr, user, password);
}

/* What mc_client_probe reported, server by server. */
typedef struct probe_seen {
	int calls;
	char server[64];
	mc_status_t st;
	int auth_failed;
	char msg[640];
} probe_seen_t;

static void probe_cb(const char *server, mc_status_t st, int auth_failed,
		const char *msg, void *arg)
{
	probe_seen_t *p = (probe_seen_t *)arg;

	p->calls++;
	snprintf(p->server, sizeof(p->server), "%s", server);
	p->st = st;
	p->auth_failed = auth_failed;
	snprintf(p->msg, sizeof(p->msg), "%s", msg);
}

static void test_right_credentials_work(void **state)
{
	mc_client_t *c = client_as(USER, PASSWORD);
	mc_value_t v;

	(void)state;
	assert_int_equal(
			mc_store(c, MC_STORE_SET, "k", 1, "v", 1, MC_FLAG_STRING, 0),
			MC_OK);
	assert_int_equal(mc_get(c, "k", 1, &v), MC_OK);
	assert_string_equal(v.data, "v");
	mc_client_free(c);
}

static void test_wrong_password_is_a_clear_error_per_call(void **state)
{
	mc_client_t *c = client_as(USER, "wrong-" PASSWORD);
	mc_value_t v;
	int i;

	(void)state;
	for(i = 0; i < 2; i++) {
		assert_int_equal(mc_get(c, "k", 1, &v), MC_ERROR);
		assert_non_null(strstr(mc_client_errstr(c),
				"(SASL authentication failed; check username and password)"));
		assert_null(strstr(mc_client_errstr(c), PASSWORD));
		assert_int_equal(
				mc_store(c, MC_STORE_SET, "k", 1, "x", 1, 1, 0), MC_ERROR);
		assert_null(strstr(mc_client_errstr(c), PASSWORD));
	}
	mc_client_free(c);
}

static void test_unknown_user_is_refused(void **state)
{
	mc_client_t *c = client_as("nobody-here", PASSWORD);
	mc_value_t v;

	(void)state;
	assert_int_equal(mc_get(c, "k", 1, &v), MC_ERROR);
	assert_null(strstr(mc_client_errstr(c), PASSWORD));
	mc_client_free(c);
}

/*
 * Regression: a binary client without credentials against a SASL server got
 * a "miss" for get, and incr/decr hit an assertion inside libmemcached
 * (auto.cc auto_response) that aborted the process.
 */
static void test_no_credentials_give_clear_error_and_never_abort(void **state)
{
	mc_client_t *c = client_as(NULL, NULL);
	mc_value_t v;
	uint64_t n;
	char want[160];
	int i;

	(void)state;
	snprintf(want, sizeof(want),
			"server %s requires SASL authentication (set username and "
			"password)",
			_addr);
	for(i = 0; i < 2; i++) {
		assert_int_equal(mc_get(c, "k", 1, &v), MC_ERROR);
		assert_non_null(strstr(mc_client_errstr(c), want));
		assert_int_equal(mc_exists(c, "k", 1), MC_ERROR);
		assert_int_equal(mc_incr(c, "k", 1, 1, &n), MC_ERROR);
		assert_non_null(strstr(mc_client_errstr(c), "incr 'k': "));
		assert_non_null(strstr(mc_client_errstr(c), want));
		assert_int_equal(mc_decr(c, "k", 1, 1, &n), MC_ERROR);
		assert_int_equal(mc_incr_create(c, "k", 1, 1, 0, &n), MC_ERROR);
		assert_int_equal(
				mc_store(c, MC_STORE_SET, "k", 1, "v", 1, 1, 0), MC_ERROR);
	}
	mc_client_free(c);
}

static void test_wrong_password_incr_is_an_error_not_an_abort(void **state)
{
	mc_client_t *c = client_as(USER, "wrong-" PASSWORD);
	uint64_t n;

	(void)state;
	assert_int_equal(mc_incr(c, "k", 1, 1, &n), MC_ERROR);
	assert_int_equal(mc_decr(c, "k", 1, 1, &n), MC_ERROR);
	assert_int_equal(mc_incr_create(c, "k", 1, 1, 0, &n), MC_ERROR);
	assert_null(strstr(mc_client_errstr(c), PASSWORD));
	mc_client_free(c);
}

static void test_probe_accepts_right_credentials(void **state)
{
	mc_client_t *c = client_as(USER, PASSWORD);
	probe_seen_t p;

	(void)state;
	memset(&p, 0, sizeof(p));
	assert_int_equal(mc_client_probe(c, probe_cb, &p), MC_OK);
	assert_int_equal(p.calls, 1);
	assert_string_equal(p.server, _addr);
	assert_int_equal(p.st, MC_OK);
	assert_int_equal(p.auth_failed, 0);
	assert_string_equal(p.msg, "");
	mc_client_free(c);
}

static void test_probe_reports_wrong_credentials_as_auth_failure(void **state)
{
	mc_client_t *c = client_as(USER, "wrong-" PASSWORD);
	probe_seen_t p;

	(void)state;
	memset(&p, 0, sizeof(p));
	assert_int_equal(mc_client_probe(c, probe_cb, &p), MC_ERROR);
	assert_int_equal(p.calls, 1);
	assert_string_equal(p.server, _addr);
	assert_int_equal(p.st, MC_ERROR);
	assert_int_equal(p.auth_failed, 1);
	assert_non_null(strstr(p.msg, _addr));
	assert_non_null(strstr(p.msg, "check username and password"));
	assert_null(strstr(p.msg, PASSWORD));
	mc_client_free(c);
}

static void test_probe_unreachable_server_is_not_an_auth_failure(void **state)
{
	char down[64];
	mc_client_t *c;
	probe_seen_t p;

	(void)state;
	mc_test_addr(down, sizeof(down), mc_test_free_port());
	c = client_at(down, USER, PASSWORD);
	memset(&p, 0, sizeof(p));
	assert_int_equal(mc_client_probe(c, probe_cb, &p), MC_CONNECTION);
	assert_int_equal(p.calls, 1);
	assert_int_equal(p.st, MC_CONNECTION);
	assert_int_equal(p.auth_failed, 0);
	assert_non_null(strstr(p.msg, down));
	mc_client_free(c);
}

/* Several servers: each is reported on its own, in order. */
typedef struct probe_all {
	int calls;
	char server[2][64];
	mc_status_t st[2];
	int auth_failed[2];
} probe_all_t;

static void probe_all_cb(const char *server, mc_status_t st, int auth_failed,
		const char *msg, void *arg)
{
	probe_all_t *p = (probe_all_t *)arg;

	(void)msg;
	if(p->calls < 2) {
		snprintf(p->server[p->calls], sizeof(p->server[0]), "%s", server);
		p->st[p->calls] = st;
		p->auth_failed[p->calls] = auth_failed;
	}
	p->calls++;
}

static void test_probe_reports_each_server(void **state)
{
	char down[64], servers[160];
	mc_client_t *c;
	probe_all_t p;
	size_t i;

	(void)state;
	mc_test_addr(down, sizeof(down), mc_test_free_port());
	snprintf(servers, sizeof(servers), "%s,%s", _addr, down);
	c = client_at(servers, USER, "wrong-" PASSWORD);
	memset(&p, 0, sizeof(p));
	assert_int_not_equal(mc_client_probe(c, probe_all_cb, &p), MC_OK);
	assert_int_equal(p.calls, 2);
	for(i = 0; i < 2; i++) {
		if(strcmp(p.server[i], _addr) == 0) {
			assert_int_equal(p.st[i], MC_ERROR);
			assert_int_equal(p.auth_failed[i], 1);
		} else {
			assert_string_equal(p.server[i], down);
			assert_int_equal(p.st[i], MC_CONNECTION);
			assert_int_equal(p.auth_failed[i], 0);
		}
	}
	mc_client_free(c);
}

static int stats_cb(const char *name, const char *value, void *arg)
{
	(void)value;
	if(strcmp(name, "pid") == 0)
		(*(int *)arg)++;
	return 0;
}

/*
 * Regression: memcached.stats against a SASL server waited the whole
 * timeout ("no complete reply within the timeout"): the text protocol it
 * used is not served by memcached -S.
 */
static void test_server_stats_over_sasl(void **state)
{
	mc_client_t *c = client_as(USER, PASSWORD);
	int pids = 0;

	(void)state;
	assert_int_equal(mc_client_server_stats(c, 0, stats_cb, &pids), MC_OK);
	assert_int_equal(pids, 1);
	mc_client_free(c);
}

static void test_server_stats_with_wrong_credentials_fail_at_once(void **state)
{
	mc_client_t *c = client_as(USER, "wrong-" PASSWORD);
	unsigned long long t0;
	mc_counters_t n;
	int pids = 0;

	(void)state;
	t0 = mc_test_now_ms();
	assert_int_equal(mc_client_server_stats(c, 0, stats_cb, &pids), MC_ERROR);
	assert_true(mc_test_now_ms() - t0 < 500); /* the timeout is 1000 ms */
	assert_int_equal(pids, 0);
	assert_non_null(strstr(mc_client_errstr(c), _addr));
	assert_non_null(strstr(mc_client_errstr(c),
			"(SASL authentication failed; check username and password)"));
	assert_null(strstr(mc_client_errstr(c), PASSWORD));
	mc_client_counters(c, &n);
	assert_int_equal(n.errors, 1);
	mc_client_free(c);
}

static void test_server_stats_without_credentials_say_so(void **state)
{
	mc_client_t *c = client_as(NULL, NULL);
	int pids = 0;

	(void)state;
	assert_int_equal(mc_client_server_stats(c, 0, stats_cb, &pids), MC_ERROR);
	assert_non_null(strstr(mc_client_errstr(c), "set username and password"));
	mc_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
			cmocka_unit_test(test_right_credentials_work),
			cmocka_unit_test(test_wrong_password_is_a_clear_error_per_call),
			cmocka_unit_test(test_unknown_user_is_refused),
			cmocka_unit_test(
					test_no_credentials_give_clear_error_and_never_abort),
			cmocka_unit_test(test_wrong_password_incr_is_an_error_not_an_abort),
			cmocka_unit_test(test_probe_accepts_right_credentials),
			cmocka_unit_test(
					test_probe_reports_wrong_credentials_as_auth_failure),
			cmocka_unit_test(
					test_probe_unreachable_server_is_not_an_auth_failure),
			cmocka_unit_test(test_probe_reports_each_server),
			cmocka_unit_test(test_server_stats_over_sasl),
			cmocka_unit_test(
					test_server_stats_with_wrong_credentials_fail_at_once),
			cmocka_unit_test(test_server_stats_without_credentials_say_so),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
