/*
 * Host names in `servers` are resolved once, when the client is created,
 * never on a call or a reconnect: a name lookup blocks (seconds when DNS is
 * unreachable) and no timeout bounds it. This test counts the lookups by
 * wrapping getaddrinfo (the executable's definition is the one libmemcached
 * and core call).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netdb.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mc_client.h"
#include "mc_test_client.h"
#include "mc_test_server.h"

static unsigned int _lookups; /* of "localhost" */

int getaddrinfo(const char *node, const char *service,
		const struct addrinfo *hints, struct addrinfo **res)
{
	static int (*real)(const char *, const char *, const struct addrinfo *,
			struct addrinfo **) = NULL;

	if(real == NULL)
		*(void **)&real = dlsym(RTLD_NEXT, "getaddrinfo");
	if(node != NULL && strcmp(node, "localhost") == 0)
		_lookups++;
	return real(node, service, hints, res);
}

static mc_test_server_t _srv;

static int stop_server(void **state)
{
	(void)state;
	mc_test_server_stop(&_srv);
	return 0;
}

/* regression: libmemcached looked the name up on every
 * (re)connect */
static void name_is_looked_up_once(int binary)
{
	mc_config_t cfg;
	mc_client_t *c = NULL;
	char spec[64];
	mc_value_t v;
	unsigned int port;
	int i;

	assert_int_equal(mc_test_memcached_start(&_srv, 0, NULL), 0);
	port = _srv.port;
	snprintf(spec, sizeof(spec), "localhost:%u", port);
	mc_test_config(&cfg, spec);
	cfg.timeout_ms = 500;
	cfg.binary = binary;
	_lookups = 0;
	c = mc_test_client_new(&cfg);
	assert_int_equal(_lookups, 1);

	assert_int_equal(
			mc_store(c, MC_STORE_SET, "k", 1, "v", 1, MC_FLAG_STRING, 0),
			MC_OK);
	mc_test_server_stop(&_srv);
	for(i = 0; i < 3; i++)
		assert_int_equal(mc_get(c, "k", 1, &v), MC_CONNECTION);
	assert_int_equal(mc_test_memcached_start(&_srv, port, NULL), 0);
	assert_int_equal(mc_get(c, "k", 1, &v), MC_NOT_FOUND);
	assert_int_equal(
			mc_store(c, MC_STORE_SET, "k", 1, "w", 1, MC_FLAG_STRING, 0),
			MC_OK);
	assert_int_equal(mc_get(c, "k", 1, &v), MC_OK);
	assert_string_equal(v.data, "w");
	assert_int_equal(_lookups, 1);
	mc_client_free(c);
}

static void test_name_is_looked_up_once_text(void **state)
{
	(void)state;
	name_is_looked_up_once(0);
}

static void test_name_is_looked_up_once_binary(void **state)
{
	(void)state;
	name_is_looked_up_once(1);
}

static void test_unix_socket_is_never_looked_up(void **state)
{
	mc_config_t cfg;
	mc_client_t *c = NULL;
	char err[256];

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	/* a unix socket path is never looked up; a bad one fails on use */
	cfg.servers = "--SOCKET=\"/nonexistent/mc.sock\"";
	_lookups = 0;
	assert_int_equal(mc_client_new(&cfg, &c, err, sizeof(err)), MC_OK);
	assert_int_equal(_lookups, 0);
	mc_client_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
			cmocka_unit_test_teardown(
					test_name_is_looked_up_once_text, stop_server),
			cmocka_unit_test_teardown(
					test_name_is_looked_up_once_binary, stop_server),
			cmocka_unit_test(test_unix_socket_is_never_looked_up),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
