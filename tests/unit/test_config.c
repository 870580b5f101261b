/*
 * Parsing of the `servers` setting (pure, no server); error texts asserted.
 * And a server's name as messages show it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "mc_config.h"

static mc_server_addr_t _a[8];
static size_t _n;
static char _err[256];

static mc_status_t parse(const char *spec)
{
	memset(_a, 0, sizeof(_a));
	_n = 99;
	strcpy(_err, "untouched");
	return mc_servers_parse(spec, _a, 8, &_n, _err, sizeof(_err));
}

static void assert_bad(const char *spec, const char *msg)
{
	assert_int_equal(parse(spec), MC_BAD_INPUT);
	assert_int_equal(_n, 0);
	assert_string_equal(_err, msg);
}

static void test_single_host_gets_default_port(void **state)
{
	(void)state;
	assert_int_equal(parse("127.0.0.1"), MC_OK);
	assert_int_equal(_n, 1);
	assert_string_equal(_a[0].host, "127.0.0.1");
	assert_int_equal(_a[0].port, 11211);
}

static void test_list_with_ports_and_blanks(void **state)
{
	(void)state;
	assert_int_equal(
			parse(" 10.0.0.1:11311 , cache-2.example.org ,localhost:1"), MC_OK);
	assert_int_equal(_n, 3);
	assert_string_equal(_a[0].host, "10.0.0.1");
	assert_int_equal(_a[0].port, 11311);
	assert_string_equal(_a[1].host, "cache-2.example.org");
	assert_int_equal(_a[1].port, 11211);
	assert_string_equal(_a[2].host, "localhost");
	assert_int_equal(_a[2].port, 1);
}

static void test_unix_socket_path(void **state)
{
	char longpath[200];

	(void)state;
	assert_int_equal(parse(" /run/memcached/memcached.sock , 10.0.0.1:1"),
			MC_OK);
	assert_int_equal(_n, 2);
	assert_string_equal(_a[0].host, "/run/memcached/memcached.sock");
	assert_int_equal(_a[0].port, 0);
	assert_string_equal(_a[1].host, "10.0.0.1");
	/* sun_path: 107 bytes and the NUL */
	memset(longpath, 'p', sizeof(longpath));
	longpath[0] = '/';
	longpath[107] = '\0';
	assert_int_equal(parse(longpath), MC_OK);
	longpath[107] = 'p';
	longpath[108] = '\0';
	assert_int_equal(parse(longpath), MC_BAD_INPUT);
	assert_non_null(strstr(_err, "unix socket path too long"));
	assert_int_equal(parse("/tmp/m.sock,/tmp/m.sock"), MC_BAD_INPUT);
	assert_non_null(strstr(_err, "server given twice"));
	assert_int_equal(parse("/tmp/m\001.sock"), MC_BAD_INPUT);
	assert_non_null(strstr(_err, "control character in unix socket path"));
}

static void test_ipv6_bracketed_with_port(void **state)
{
	(void)state;
	assert_int_equal(parse("[::1]:11212,[fe80::1%eth0]"), MC_OK);
	assert_int_equal(_n, 2);
	assert_string_equal(_a[0].host, "::1");
	assert_int_equal(_a[0].port, 11212);
	assert_string_equal(_a[1].host, "fe80::1%eth0");
	assert_int_equal(_a[1].port, 11211);
}

static void test_ipv6_bare_takes_default_port(void **state)
{
	(void)state;
	assert_int_equal(parse("2001:db8::7"), MC_OK);
	assert_int_equal(_n, 1);
	assert_string_equal(_a[0].host, "2001:db8::7");
	assert_int_equal(_a[0].port, 11211);
}

static void test_port_zero_is_rejected(void **state)
{
	(void)state;
	assert_bad("127.0.0.1:0", "servers: bad port '0' in item '127.0.0.1:0' "
							  "(expected 1-65535)");
}

static void test_port_65536_is_rejected(void **state)
{
	(void)state;
	assert_bad("a:1,b:65536", "servers: bad port '65536' in item 'b:65536' "
							  "(expected 1-65535)");
}

static void test_port_65535_is_accepted(void **state)
{
	(void)state;
	assert_int_equal(parse("b:65535"), MC_OK);
	assert_int_equal(_a[0].port, 65535);
}

static void test_non_numeric_port_is_rejected(void **state)
{
	(void)state;
	assert_bad("127.0.0.1:abc", "servers: bad port 'abc' in item "
								"'127.0.0.1:abc' (expected 1-65535)");
	assert_bad("127.0.0.1:", "servers: bad port '' in item '127.0.0.1:' "
							 "(expected 1-65535)");
	assert_bad("h:+5", "servers: bad port '+5' in item 'h:+5' "
					   "(expected 1-65535)");
	assert_bad("[::1]:x", "servers: bad port 'x' in item '[::1]:x' "
						  "(expected 1-65535)");
}

static void test_garbage_host_is_rejected(void **state)
{
	(void)state;
	assert_bad("my host:11211", "servers: bad host 'my host' in item "
								"'my host:11211' (expected a host name or "
								"IPv4 address)");
	assert_bad("a;b", "servers: bad host 'a;b' in item 'a;b' (expected a "
					  "host name or IPv4 address)");
	assert_bad("[::1", "servers: missing ']' after IPv6 address '[::1' in "
					   "item '[::1' (expected [addr]:port)");
	assert_bad("[::1]x", "servers: unexpected text after ']' 'x' in item "
						 "'[::1]x' (expected [addr]:port)");
	assert_bad("[]:5", "servers: bad host '' in item '[]:5' (expected an "
					   "IPv6 address)");
	assert_bad(":11211", "servers: bad host '' in item ':11211' (expected a "
						 "host name or IPv4 address)");
}

/*
 * Regression: these passed the parse (so `kamailio -c` was green)
 * and every call failed later.
 */
static void test_ambiguous_ipv6_with_port_is_rejected(void **state)
{
	(void)state;
	assert_bad("::1:11211", "servers: bad host '::1:11211' in item "
							"'::1:11211' (expected an IPv6 address; with a "
							"port, write [addr]:port)");
	assert_bad("[::1:11211]", "servers: bad host '::1:11211' in item "
							  "'[::1:11211]' (expected an IPv6 address)");
	assert_bad("[fe80::1%]", "servers: bad host 'fe80::1%' in item "
							 "'[fe80::1%]' (expected an IPv6 address)");
	assert_bad("1:2:3", "servers: bad host '1:2:3' in item '1:2:3' (expected "
						"an IPv6 address; with a port, write [addr]:port)");
}

static void test_impossible_ipv4_is_rejected(void **state)
{
	(void)state;
	assert_bad("999.1.1.1", "servers: bad host '999.1.1.1' in item "
							"'999.1.1.1' (expected a host name or IPv4 "
							"address)");
	assert_bad("10.0.0:5", "servers: bad host '10.0.0' in item '10.0.0:5' "
						   "(expected a host name or IPv4 address)");
	assert_bad("1.2.3.4.5", "servers: bad host '1.2.3.4.5' in item "
							"'1.2.3.4.5' (expected a host name or IPv4 "
							"address)");
}

static void test_malformed_host_names_are_rejected(void **state)
{
	static const char *const bad[] = {
			"-x", "x-", "a.-b", "a-.b", "a..b", ".a", "a.", "-", NULL};
	char want[256];
	size_t i;

	(void)state;
	for(i = 0; bad[i]; i++) {
		snprintf(want, sizeof(want),
				"servers: bad host '%s' in item '%s' (expected a host name "
				"or IPv4 address)",
				bad[i], bad[i]);
		assert_bad(bad[i], want);
	}
	assert_int_equal(parse("mc-1.example.net:11211,mc_2,a1,10.0.0.1"), MC_OK);
	assert_int_equal(_n, 4);
}

static void test_duplicate_server_is_rejected(void **state)
{
	(void)state;
	assert_bad("a:11211,b,A", "servers: server given twice 'A' in item 'A' "
							  "(expected each server once)");
	assert_bad("[::1]:5,[::1]:5", "servers: server given twice '[::1]:5' in "
								  "item '[::1]:5' (expected each server "
								  "once)");
	assert_int_equal(parse("a:1,a:2"), MC_OK);
	assert_int_equal(_n, 2);
}

static void test_empty_spec_is_rejected(void **state)
{
	(void)state;
	assert_bad("", "servers: empty server list (expected "
				   "host[:port][,host[:port]...])");
	assert_bad("  \t ", "servers: empty server list (expected "
						"host[:port][,host[:port]...])");
	assert_bad(NULL, "servers: empty server list (expected "
					 "host[:port][,host[:port]...])");
}

static void test_empty_item_is_rejected(void **state)
{
	(void)state;
	assert_bad("a,,b", "servers: empty item 2 (expected "
					   "host[:port][,host[:port]...])");
	assert_bad("a,", "servers: empty item 2 (expected "
					 "host[:port][,host[:port]...])");
}

static void test_too_many_servers_is_rejected(void **state)
{
	(void)state;
	assert_bad("a,b,c,d,e,f,g,h,i", "servers: too many servers (at most 8)");
}

static void test_long_item_is_quoted_truncated(void **state)
{
	char spec[400];

	(void)state;
	memset(spec, 'h', 300);
	strcpy(spec + 300, ":1");
	assert_int_equal(parse(spec), MC_BAD_INPUT);
	assert_non_null(strstr(_err, "servers: bad host 'hhhh"));
	assert_non_null(strstr(_err, "...' in item 'hhh"));
	assert_true(strlen(_err) < 256);
}

static void test_libmemcached_config_is_not_a_host_list(void **state)
{
	(void)state;
	assert_true(mc_servers_is_libmemcached_config("--SERVER=a:1"));
	assert_true(mc_servers_is_libmemcached_config("  --SERVER=a:1"));
	assert_false(mc_servers_is_libmemcached_config("a:1"));
	assert_false(mc_servers_is_libmemcached_config("-a"));
	assert_false(mc_servers_is_libmemcached_config(NULL));
	assert_bad("--SERVER=a:1", "servers: a libmemcached configuration string "
							   "(--...) is not a host list");
}

static void test_error_buffer_is_always_terminated(void **state)
{
	char small[8];
	size_t n;

	(void)state;
	memset(small, 'x', sizeof(small));
	assert_int_equal(mc_servers_parse("h:0", _a, 8, &n, small, sizeof(small)),
			MC_BAD_INPUT);
	assert_int_equal(strlen(small), 7);
}

static void test_server_name_ipv4_ipv6_and_unix_socket(void **state)
{
	char name[MC_SERVER_NAME_MAX], small[8];
	char host[MC_HOST_MAX + 1];

	(void)state;
	assert_string_equal(mc_server_addr_format(name, sizeof(name), "127.0.0.1",
								11211),
			"127.0.0.1:11211");
	assert_string_equal(
			mc_server_addr_format(name, sizeof(name), "cache.example", 1),
			"cache.example:1");
	assert_string_equal(
			mc_server_addr_format(name, sizeof(name), "::1", 11212),
			"[::1]:11212");
	assert_string_equal(mc_server_addr_format(name, sizeof(name),
								"fe80::1%eth0", 65535),
			"[fe80::1%eth0]:65535");
	assert_string_equal(mc_server_addr_format(name, sizeof(name),
								"/run/memcached/mc.sock", 0),
			"/run/memcached/mc.sock");
	/* what the parser leaves is formatted back */
	assert_int_equal(parse("[::1]:11212, /tmp/m.sock"), MC_OK);
	assert_string_equal(mc_server_addr_format(name, sizeof(name), _a[0].host,
								_a[0].port),
			"[::1]:11212");
	assert_string_equal(mc_server_addr_format(name, sizeof(name), _a[1].host,
								_a[1].port),
			"/tmp/m.sock");
	/* the longest host fits MC_SERVER_NAME_MAX; a short dst is cut */
	memset(host, 'a', MC_HOST_MAX);
	host[MC_HOST_MAX] = '\0';
	host[1] = ':';
	mc_server_addr_format(name, sizeof(name), host, 65535);
	assert_int_equal(strlen(name), MC_SERVER_NAME_MAX - 1);
	assert_string_equal(name + MC_HOST_MAX + 1, "]:65535");
	mc_server_addr_format(small, sizeof(small), "127.0.0.1", 11211);
	assert_string_equal(small, "127.0.0");
	assert_null(mc_server_addr_format(NULL, 0, "h", 1));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
			cmocka_unit_test(test_ambiguous_ipv6_with_port_is_rejected),
			cmocka_unit_test(test_impossible_ipv4_is_rejected),
			cmocka_unit_test(test_malformed_host_names_are_rejected),
			cmocka_unit_test(test_duplicate_server_is_rejected),
			cmocka_unit_test(test_single_host_gets_default_port),
			cmocka_unit_test(test_list_with_ports_and_blanks),
			cmocka_unit_test(test_unix_socket_path),
			cmocka_unit_test(test_ipv6_bracketed_with_port),
			cmocka_unit_test(test_ipv6_bare_takes_default_port),
			cmocka_unit_test(test_port_zero_is_rejected),
			cmocka_unit_test(test_port_65536_is_rejected),
			cmocka_unit_test(test_port_65535_is_accepted),
			cmocka_unit_test(test_non_numeric_port_is_rejected),
			cmocka_unit_test(test_garbage_host_is_rejected),
			cmocka_unit_test(test_empty_spec_is_rejected),
			cmocka_unit_test(test_empty_item_is_rejected),
			cmocka_unit_test(test_too_many_servers_is_rejected),
			cmocka_unit_test(test_long_item_is_quoted_truncated),
			cmocka_unit_test(test_libmemcached_config_is_not_a_host_list),
			cmocka_unit_test(test_error_buffer_is_always_terminated),
			cmocka_unit_test(test_server_name_ipv4_ipv6_and_unix_socket),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
