/*
 * The client against a real memcached started by this test on a free
 * loopback port. Every keyed test runs on the text and the binary protocol.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "mc_client.h"
#include "mc_test_client.h"
#include "mc_test_server.h"

static mc_test_server_t _srv;
static char _addr[64];

typedef struct fixture {
	int binary;
	mc_client_t *c;
} fixture_t;

static fixture_t _text = {0, NULL};
static fixture_t _bin = {1, NULL};

static mc_client_t *client_with(const char *servers, int binary,
		const char *prefix, int64_t default_expiry, size_t max_value)
{
	mc_config_t cfg;
	mc_client_t *c = NULL;

	mc_test_config(&cfg, servers);
	cfg.binary = binary;
	cfg.prefix = prefix;
	cfg.default_expiry = default_expiry;
	cfg.max_value_size = max_value;
	c = mc_test_client_new(&cfg);
	return c;
}

static int group_setup(void **state)
{
	(void)state;
	if(mc_test_memcached_start(&_srv, 0, NULL) != 0)
		return -1;
	mc_test_addr(_addr, sizeof(_addr), _srv.port);
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	mc_test_server_stop(&_srv);
	return 0;
}

static int setup(void **state)
{
	fixture_t *f = *state;

	f->c = client_with(_addr, f->binary, NULL, 0, 0);
	return f->c ? 0 : -1;
}

static int teardown(void **state)
{
	fixture_t *f = *state;

	mc_client_free(f->c);
	f->c = NULL;
	return 0;
}

#define C (((fixture_t *)*state)->c)
#define BIN (((fixture_t *)*state)->binary)

/* distinct keys per protocol so the two runs never see each other's data */
static const char *K(void **state, const char *name)
{
	static char buf[8][128];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s:%s", BIN ? "b" : "t", name);
	return buf[i];
}

static mc_status_t set_s(mc_client_t *c, const char *k, const char *v)
{
	return mc_store(
			c, MC_STORE_SET, k, strlen(k), v, strlen(v), MC_FLAG_STRING, 0);
}

static void assert_value(mc_client_t *c, const char *k, const char *v)
{
	mc_value_t val;

	assert_int_equal(mc_get(c, k, strlen(k), &val), MC_OK);
	assert_int_equal(val.len, strlen(v));
	assert_memory_equal(val.data, v, val.len);
	assert_int_equal(val.data[val.len], '\0');
}

static void assert_missing(mc_client_t *c, const char *k)
{
	mc_value_t val;

	assert_int_equal(mc_get(c, k, strlen(k), &val), MC_NOT_FOUND);
	assert_null(val.data);
}

static void nap_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* ---- get / set ---- */

static void test_get_of_missing_key_is_not_found(void **state)
{
	const char *k = K(state, "nokey");

	assert_missing(C, k);
	assert_string_equal(mc_client_errstr(C),
			BIN ? "get 'b:nokey': not found" : "get 't:nokey': not found");
	assert_int_equal(mc_client_status(C), MC_NOT_FOUND);
}

static void test_set_then_get_returns_value_and_flags(void **state)
{
	const char *k = K(state, "greeting");
	mc_value_t v;

	assert_int_equal(
			mc_store(C, MC_STORE_SET, k, strlen(k), "hello", 5, 7, 0), MC_OK);
	assert_string_equal(mc_client_errstr(C), "");
	assert_int_equal(mc_get(C, k, strlen(k), &v), MC_OK);
	assert_int_equal(v.len, 5);
	assert_memory_equal(v.data, "hello", 5);
	assert_int_equal(v.flags, 7);
	assert_true(mc_value_is_string(&v));
}

static void test_set_overwrites(void **state)
{
	const char *k = K(state, "over");

	assert_int_equal(set_s(C, k, "one"), MC_OK);
	assert_int_equal(set_s(C, k, "two"), MC_OK);
	assert_value(C, k, "two");
}

static void test_binary_value_with_nul_bytes_round_trips(void **state)
{
	const char *k = K(state, "bin");
	const char val[] = {'a', '\0', 'b', '\0', '\xff', '\r', '\n'};
	mc_value_t v;

	assert_int_equal(mc_store(C, MC_STORE_SET, k, strlen(k), val, sizeof(val),
							 MC_FLAG_STRING, 0),
			MC_OK);
	assert_int_equal(mc_get(C, k, strlen(k), &v), MC_OK);
	assert_int_equal(v.len, sizeof(val));
	assert_memory_equal(v.data, val, sizeof(val));
	assert_int_equal(v.data[v.len], '\0');
}

static void test_empty_value_round_trips(void **state)
{
	const char *k = K(state, "empty");
	mc_value_t v;

	assert_int_equal(
			mc_store(C, MC_STORE_SET, k, strlen(k), NULL, 0, MC_FLAG_STRING, 0),
			MC_OK);
	assert_int_equal(mc_get(C, k, strlen(k), &v), MC_OK);
	assert_int_equal(v.len, 0);
	assert_string_equal(v.data, "");
}

static void test_large_value_round_trips_and_buffer_grows(void **state)
{
	const char *k = K(state, "large");
	size_t n = 700 * 1024, i;
	char *val = malloc(n);
	mc_value_t v;

	assert_non_null(val);
	for(i = 0; i < n; i++)
		val[i] = (char)(i * 31);
	assert_int_equal(
			mc_store(C, MC_STORE_SET, k, strlen(k), val, n, MC_FLAG_STRING, 0),
			MC_OK);
	assert_int_equal(mc_get(C, k, strlen(k), &v), MC_OK);
	assert_int_equal(v.len, n);
	assert_memory_equal(v.data, val, n);
	free(val);
}

static void test_value_above_max_is_too_big_before_any_io(void **state)
{
	mc_client_t *down;
	char addr[64];
	char val[101];

	(void)state;
	memset(val, 'v', sizeof(val));
	/* nothing listens there: TOO_BIG proves no I/O was attempted */
	down = client_with(mc_test_addr(addr, sizeof(addr), mc_test_free_port()),
			BIN, NULL, 0, 100);
	assert_int_equal(
			mc_store(down, MC_STORE_SET, "k", 1, val, 101, 1, 0), MC_TOO_BIG);
	assert_string_equal(mc_client_errstr(down),
			"set 'k': value of 101 bytes is above the limit of 100 (store "
			"less, or raise max_value_size and memcached -I)");
	assert_int_equal(mc_store(down, MC_STORE_SET, "k", 1, val, 100, 1, 0),
			MC_CONNECTION);
	mc_client_free(down);
}

static void test_server_refusing_too_large_item_is_too_big(void **state)
{
	const char *k = K(state, "huge");
	size_t n = 1536 * 1024;
	char *val = calloc(1, n);
	mc_client_t *c = client_with(_addr, BIN, NULL, 0, 4 * 1024 * 1024);

	assert_non_null(val);
	assert_int_equal(
			mc_store(c, MC_STORE_SET, k, strlen(k), val, n, 1, 0), MC_TOO_BIG);
	assert_non_null(strstr(mc_client_errstr(c), "item too big"));
	assert_non_null(strstr(mc_client_errstr(c), "raise memcached -I"));
	/* the connection is still usable afterwards */
	assert_int_equal(set_s(c, k, "small"), MC_OK);
	assert_value(c, k, "small");
	mc_client_free(c);
	free(val);
}

static void test_empty_key_is_bad_input_for_every_op(void **state)
{
	mc_value_t v;
	uint64_t n;

	assert_int_equal(mc_get(C, "", 0, &v), MC_BAD_INPUT);
	assert_string_equal(mc_client_errstr(C), "get: empty key (give a "
											 "non-empty key)");
	assert_int_equal(mc_exists(C, "", 0), MC_BAD_INPUT);
	assert_int_equal(
			mc_store(C, MC_STORE_SET, "", 0, "v", 1, 1, 0), MC_BAD_INPUT);
	assert_int_equal(mc_delete(C, NULL, 0), MC_BAD_INPUT);
	assert_int_equal(mc_touch(C, "", 0, 5), MC_BAD_INPUT);
	assert_int_equal(mc_incr(C, "", 0, 1, &n), MC_BAD_INPUT);
	assert_int_equal(mc_decr(C, "", 0, 1, &n), MC_BAD_INPUT);
	assert_int_equal(mc_incr_create(C, "", 0, 1, 0, &n), MC_BAD_INPUT);
}

/* ---- conditional stores ---- */

static void test_add_stores_only_when_absent(void **state)
{
	const char *k = K(state, "add");

	assert_int_equal(
			mc_store(C, MC_STORE_ADD, k, strlen(k), "1", 1, 1, 0), MC_OK);
	assert_int_equal(mc_store(C, MC_STORE_ADD, k, strlen(k), "2", 1, 1, 0),
			MC_NOT_STORED);
	assert_non_null(strstr(mc_client_errstr(C), "not stored"));
	assert_value(C, k, "1");
}

static void test_replace_stores_only_when_present(void **state)
{
	const char *k = K(state, "replace");

	assert_int_equal(mc_store(C, MC_STORE_REPLACE, k, strlen(k), "1", 1, 1, 0),
			MC_NOT_STORED);
	assert_missing(C, k);
	assert_int_equal(set_s(C, k, "0"), MC_OK);
	assert_int_equal(
			mc_store(C, MC_STORE_REPLACE, k, strlen(k), "1", 1, 1, 0), MC_OK);
	assert_value(C, k, "1");
}

static void test_append_and_prepend_need_the_key(void **state)
{
	const char *k = K(state, "pend");

	assert_int_equal(mc_store(C, MC_STORE_APPEND, k, strlen(k), "x", 1, 1, 0),
			MC_NOT_STORED);
	assert_int_equal(mc_store(C, MC_STORE_PREPEND, k, strlen(k), "x", 1, 1, 0),
			MC_NOT_STORED);
	assert_missing(C, k);
	assert_int_equal(set_s(C, k, "mid"), MC_OK);
	assert_int_equal(
			mc_store(C, MC_STORE_APPEND, k, strlen(k), ">", 1, 1, 0), MC_OK);
	assert_int_equal(
			mc_store(C, MC_STORE_PREPEND, k, strlen(k), "<", 1, 1, 0), MC_OK);
	assert_value(C, k, "<mid>");
}

/* ---- delete / exists / touch ---- */

static void test_delete_then_miss(void **state)
{
	const char *k = K(state, "del");

	assert_int_equal(set_s(C, k, "v"), MC_OK);
	assert_int_equal(mc_delete(C, k, strlen(k)), MC_OK);
	assert_missing(C, k);
	assert_int_equal(mc_delete(C, k, strlen(k)), MC_NOT_FOUND);
}

static void test_exists_does_not_create_the_key(void **state)
{
	const char *k = K(state, "exists");

	assert_int_equal(mc_exists(C, k, strlen(k)), MC_NOT_FOUND);
	assert_int_equal(mc_exists(C, k, strlen(k)), MC_NOT_FOUND);
	assert_missing(C, k);
	assert_int_equal(set_s(C, k, "v"), MC_OK);
	assert_int_equal(mc_exists(C, k, strlen(k)), MC_OK);
	assert_value(C, k, "v");
}

static void test_touch_missing_is_not_found_and_touch_keeps_key_alive(
		void **state)
{
	const char *k = K(state, "touch");
	unsigned long long t0;

	assert_int_equal(mc_touch(C, k, strlen(k), 10), MC_NOT_FOUND);
	/* 3 s: memcached expires at a tick of its 1 s clock, so an expiry of 1
	 * could lapse before the touch */
	assert_int_equal(
			mc_store(C, MC_STORE_SET, k, strlen(k), "v", 1, 1, 3), MC_OK);
	assert_int_equal(mc_touch(C, k, strlen(k), 100), MC_OK);
	/* past the original expiry */
	t0 = mc_test_now_ms();
	while(mc_test_now_ms() - t0 < 4500)
		nap_ms(100);
	assert_value(C, k, "v");
}

/* ---- expiry ---- */

static void test_expiry_really_expires(void **state)
{
	const char *k = K(state, "exp");
	unsigned long long t0 = mc_test_now_ms();
	mc_value_t v;
	mc_status_t st = MC_OK;

	/* 3 s: memcached expires at a tick of its 1 s clock, so an expiry of 1
	 * could lapse before the read back; the deadline is far past it */
	assert_int_equal(
			mc_store(C, MC_STORE_SET, k, strlen(k), "v", 1, 1, 3), MC_OK);
	assert_value(C, k, "v");
	while(mc_test_now_ms() - t0 < 15000) {
		st = mc_get(C, k, strlen(k), &v);
		if(st != MC_OK)
			break;
		nap_ms(100);
	}
	assert_int_equal(st, MC_NOT_FOUND);
}

static void test_default_expiry_is_used_for_mc_expiry_default(void **state)
{
	const char *k = K(state, "defexp");
	mc_client_t *c = client_with(_addr, BIN, NULL, 1, 0);
	unsigned long long t0 = mc_test_now_ms();
	mc_value_t v;
	mc_status_t st = MC_OK;

	assert_int_equal(mc_store(c, MC_STORE_SET, k, strlen(k), "v", 1, 1,
							 MC_EXPIRY_DEFAULT),
			MC_OK);
	/* the default of 1 s lapses at memcached's next tick or the one after:
	 * the deadline is far past it */
	while(mc_test_now_ms() - t0 < 15000) {
		st = mc_get(c, k, strlen(k), &v);
		if(st != MC_OK)
			break;
		nap_ms(100);
	}
	assert_int_equal(st, MC_NOT_FOUND);
	mc_client_free(c);
}

static void test_bad_expiry_is_bad_input(void **state)
{
	const char *k = K(state, "badexp");

	assert_int_equal(mc_store(C, MC_STORE_SET, k, strlen(k), "v", 1, 1, -2),
			MC_BAD_INPUT);
	assert_non_null(strstr(mc_client_errstr(C), "bad expiry -2 (expected 0 "
												"to 4294967295 seconds"));
	assert_int_equal(mc_store(C, MC_STORE_SET, k, strlen(k), "v", 1, 1,
							 (int64_t)UINT32_MAX + 1),
			MC_BAD_INPUT);
	assert_int_equal(mc_touch(C, k, strlen(k), -5), MC_BAD_INPUT);
	assert_int_equal(
			mc_incr_create(C, k, strlen(k), 1, -7, NULL), MC_BAD_INPUT);
	assert_missing(C, k);
	/* 30 days + 1 s is an absolute time in the past: stored, gone at once */
	assert_int_equal(mc_store(C, MC_STORE_SET, k, strlen(k), "v", 1, 1,
							 MC_EXPIRY_RELATIVE_MAX + 1),
			MC_OK);
	assert_missing(C, k);
	/* 30 days is relative */
	assert_int_equal(mc_store(C, MC_STORE_SET, k, strlen(k), "v", 1, 1,
							 MC_EXPIRY_RELATIVE_MAX),
			MC_OK);
	assert_value(C, k, "v");
}

/* ---- counters ---- */

static void test_incr_and_decr_return_the_new_value(void **state)
{
	const char *k = K(state, "ctr");
	uint64_t v = 0;

	assert_int_equal(
			mc_store(C, MC_STORE_SET, k, strlen(k), "10", 2, 0, 0), MC_OK);
	assert_int_equal(mc_incr(C, k, strlen(k), 5, &v), MC_OK);
	assert_int_equal(v, 15);
	assert_int_equal(mc_decr(C, k, strlen(k), 3, &v), MC_OK);
	assert_int_equal(v, 12);
	assert_int_equal(mc_decr(C, k, strlen(k), 100, &v), MC_OK);
	assert_int_equal(v, 0);
}

static void test_counter_above_2_pow_32(void **state)
{
	const char *k = K(state, "big");
	uint64_t v = 0;
	mc_value_t val;

	assert_int_equal(
			mc_store(C, MC_STORE_SET, k, strlen(k), "4294967295", 10, 0, 0),
			MC_OK);
	assert_int_equal(mc_incr(C, k, strlen(k), 10, &v), MC_OK);
	assert_true(v == 4294967305ULL);
	assert_int_equal(mc_incr(C, k, strlen(k), 5000000000ULL, &v), MC_OK);
	assert_true(v == 9294967305ULL);
	assert_int_equal(mc_get(C, k, strlen(k), &val), MC_OK);
	assert_string_equal(val.data, "9294967305");
	assert_false(mc_value_is_string(&val));
}

static void test_shrinking_decr_value_reads_back_without_spaces(void **state)
{
	const char *k = K(state, "shrink");
	uint64_t v = 0;
	mc_value_t val;

	assert_int_equal(
			mc_store(C, MC_STORE_SET, k, strlen(k), "10", 2, 0, 0), MC_OK);
	assert_int_equal(mc_decr(C, k, strlen(k), 1, &v), MC_OK);
	assert_int_equal(v, 9);
	assert_int_equal(mc_get(C, k, strlen(k), &val), MC_OK);
	assert_int_equal(val.len, 1);
	assert_string_equal(val.data, "9");
}

static void test_incr_of_missing_key_is_not_found(void **state)
{
	const char *k = K(state, "nocounter");
	uint64_t v = 77;

	assert_int_equal(mc_incr(C, k, strlen(k), 1, &v), MC_NOT_FOUND);
	assert_int_equal(v, 77);
	assert_int_equal(mc_decr(C, k, strlen(k), 1, &v), MC_NOT_FOUND);
	assert_missing(C, k);
}

static void test_incr_of_text_is_bad_input_not_a_number(void **state)
{
	const char *k = K(state, "text");
	uint64_t v = 0;
	char want[160];

	assert_int_equal(set_s(C, k, "abc"), MC_OK);
	assert_int_equal(mc_incr(C, k, strlen(k), 1, &v), MC_BAD_INPUT);
	snprintf(want, sizeof(want),
			"incr '%s': value is not a number (store a decimal number "
			"before counting on it)",
			k);
	assert_string_equal(mc_client_errstr(C), want);
	assert_int_equal(mc_decr(C, k, strlen(k), 1, &v), MC_BAD_INPUT);
	assert_int_equal(mc_incr_create(C, k, strlen(k), 1, 0, &v), MC_BAD_INPUT);
	/* nothing broke: the value and the connection are intact */
	assert_value(C, k, "abc");
}

static void test_incr_create_creates_then_increments(void **state)
{
	const char *k = K(state, "ic");
	uint64_t v = 0;
	mc_value_t val;

	assert_int_equal(mc_incr_create(C, k, strlen(k), 5, 0, &v), MC_OK);
	assert_int_equal(v, 5);
	assert_int_equal(mc_incr_create(C, k, strlen(k), 5, 0, &v), MC_OK);
	assert_int_equal(v, 10);
	assert_int_equal(mc_get(C, k, strlen(k), &val), MC_OK);
	assert_string_equal(val.data, "10");
	assert_int_equal(val.flags, 0);
}

static void test_incr_create_expiry_is_not_reset_by_later_incrs(void **state)
{
	const char *k = K(state, "icexp");
	unsigned long long t0 = mc_test_now_ms();
	uint64_t v = 0;
	mc_status_t st = MC_OK;

	assert_int_equal(mc_incr_create(C, k, strlen(k), 1, 2, &v), MC_OK);
	/* keep incrementing; the key still dies about 2 s after creation */
	while(mc_test_now_ms() - t0 < 6000) {
		st = mc_incr(C, k, strlen(k), 1, &v);
		if(st != MC_OK)
			break;
		nap_ms(100);
	}
	assert_int_equal(st, MC_NOT_FOUND);
	assert_true(mc_test_now_ms() - t0 < 4500);
}

static void test_incr_create_from_two_processes_loses_no_increment(void **state)
{
	const char *k = K(state, "race");
	const int per = 300;
	pid_t kids[2];
	int i, j, status;
	uint64_t v = 0;

	for(i = 0; i < 2; i++) {
		kids[i] = fork();
		assert_true(kids[i] >= 0);
		if(kids[i] == 0) {
			/* one client per process, created after fork */
			mc_client_t *c = client_with(_addr, BIN, NULL, 0, 0);
			int bad = 0;

			for(j = 0; j < per; j++)
				bad |= mc_incr_create(c, k, strlen(k), 1, 60, NULL) != MC_OK;
			mc_client_free(c);
			_exit(bad);
		}
	}
	for(i = 0; i < 2; i++) {
		assert_int_equal(waitpid(kids[i], &status, 0), kids[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(mc_incr(C, k, strlen(k), 0, &v), MC_OK);
	assert_int_equal(v, 2 * per);
}

/* ---- keys ---- */

static void test_long_key_round_trips_and_goes_out_as_md5(void **state)
{
	char k[300];
	mc_client_t *raw = client_with(_addr, BIN, NULL, 0, 0);

	memset(k, BIN ? 'B' : 'T', sizeof(k));
	assert_int_equal(
			mc_store(C, MC_STORE_SET, k, sizeof(k), "long", 4, 1, 0), MC_OK);
	assert_int_equal(mc_exists(C, k, sizeof(k)), MC_OK);
	/* md5 of 300 x 'T' / 'B', computed with md5sum */
	assert_value(raw,
			BIN ? "6d0816c2c3286f08d6844befd0a1b81a"
				: "875ba78ae794ef47af750204eae1d861",
			"long");
	mc_client_free(raw);
}

static void test_spaced_and_control_keys_round_trip_without_injection(
		void **state)
{
	const char *keys[] = {
			"a b", "x\r\nflush_all\r\n", "tab\there", "del\x7f", "bell\x07"};
	const char *guard = K(state, "guard");
	char k[64];
	size_t i;

	assert_int_equal(set_s(C, guard, "safe"), MC_OK);
	for(i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		snprintf(k, sizeof(k), "%s%s", BIN ? "b" : "t", keys[i]);
		assert_int_equal(set_s(C, k, keys[i]), MC_OK);
		assert_value(C, k, keys[i]);
	}
	/* no command was injected: the guard survived */
	assert_value(C, guard, "safe");
}

static void test_prefix_namespaces_keys(void **state)
{
	const char *k = K(state, "ns");
	char full[128];
	mc_client_t *p = client_with(_addr, BIN, "app1:", 0, 0);

	assert_int_equal(set_s(p, k, "in-ns"), MC_OK);
	assert_value(p, k, "in-ns");
	assert_missing(C, k);
	snprintf(full, sizeof(full), "app1:%s", k);
	assert_value(C, full, "in-ns");
	mc_client_free(p);
}

/* ---- misc ---- */

static void test_flush_empties_the_server(void **state)
{
	const char *k = K(state, "flush");

	assert_int_equal(set_s(C, k, "v"), MC_OK);
	assert_int_equal(mc_flush(C), MC_OK);
	assert_missing(C, k);
}

static void test_counters_count_hits_misses_sets_errors(void **state)
{
	const char *k = K(state, "counters");
	mc_counters_t n;
	mc_value_t v;

	assert_int_equal(set_s(C, k, "v"), MC_OK);
	assert_int_equal(mc_get(C, k, strlen(k), &v), MC_OK);
	assert_int_equal(mc_exists(C, k, strlen(k)), MC_OK);
	assert_int_equal(mc_get(C, "nope", 4, &v), MC_NOT_FOUND);
	assert_int_equal(mc_get(C, "", 0, &v), MC_BAD_INPUT);
	mc_client_counters(C, &n);
	assert_int_equal(n.sets, 1);
	assert_int_equal(n.hits, 2);
	assert_int_equal(n.misses, 1);
	assert_int_equal(n.errors, 1);
	assert_int_equal(n.timeouts, 0);
	assert_int_equal(n.trips, 0);
}

/* Regression: an incr_create that created the key was not counted as a set
 * (the sets statistic missed every incx-created counter). */
static void test_incr_create_counts_a_set_only_when_it_creates(void **state)
{
	const char *k = K(state, "incx_sets");
	mc_counters_t n;
	uint64_t v;

	assert_int_equal(mc_incr_create(C, k, strlen(k), 2, 0, &v), MC_OK);
	mc_client_counters(C, &n);
	assert_int_equal(n.sets, 1);
	assert_int_equal(mc_incr_create(C, k, strlen(k), 3, 0, &v), MC_OK);
	assert_int_equal(v, 5);
	assert_int_equal(mc_incr(C, k, strlen(k), 1, &v), MC_OK);
	mc_client_counters(C, &n);
	assert_int_equal(n.sets, 1);
	assert_int_equal(n.errors, 0);
}

static void test_server_info_lists_the_server(void **state)
{
	mc_server_info_t si;

	assert_int_equal(mc_client_server_count(C), 1);
	assert_int_equal(mc_client_server_info(C, 0, &si), MC_OK);
	assert_string_equal(si.host, "127.0.0.1");
	assert_int_equal(si.port, _srv.port);
	assert_int_equal(si.state, MC_BREAKER_CLOSED);
	assert_int_equal(si.failures, 0);
	assert_int_equal(mc_client_server_info(C, 1, &si), MC_BAD_INPUT);
}

/* mc_stats_fn: remembers the server's pid and counts the statistics */
typedef struct stats_seen {
	int n;
	char pid[32];
} stats_seen_t;

static int stats_cb(const char *name, const char *value, void *arg)
{
	stats_seen_t *s = (stats_seen_t *)arg;

	s->n++;
	if(strcmp(name, "pid") == 0)
		snprintf(s->pid, sizeof(s->pid), "%s", value);
	return 0;
}

static void test_server_stats_are_the_servers_own(void **state)
{
	stats_seen_t s;
	char pid[32];
	mc_counters_t n;

	memset(&s, 0, sizeof(s));
	snprintf(pid, sizeof(pid), "%d", (int)_srv.pid);
	assert_int_equal(mc_client_server_stats(C, 0, stats_cb, &s), MC_OK);
	assert_true(s.n > 20);
	assert_string_equal(s.pid, pid);
	assert_string_equal(mc_client_errstr(C), "");
	assert_int_equal(mc_client_server_stats(C, 1, stats_cb, &s), MC_BAD_INPUT);
	mc_client_counters(C, &n);
	assert_int_equal(n.errors, 1);
}

static void test_server_stats_of_a_dead_server_fail_fast_and_count(void **state)
{
	fixture_t *f = *state;
	char down[64];
	mc_client_t *c;
	stats_seen_t s;
	mc_counters_t n;

	mc_test_addr(down, sizeof(down), mc_test_free_port());
	c = client_with(down, f->binary, NULL, 0, 0);
	memset(&s, 0, sizeof(s));
	assert_int_equal(mc_client_server_stats(c, 0, stats_cb, &s), MC_CONNECTION);
	assert_int_equal(s.n, 0);
	assert_non_null(strstr(mc_client_errstr(c), down));
	mc_client_counters(c, &n);
	assert_int_equal(n.errors, 1);
	mc_client_free(c);
}

static void test_libmemcached_config_string_works(void **state)
{
	char spec[128];
	mc_client_t *c;

	snprintf(spec, sizeof(spec), "--SERVER=127.0.0.1:%u%s", _srv.port,
			BIN ? " --BINARY-PROTOCOL" : "");
	c = client_with(spec, BIN, NULL, 0, 0);
	assert_int_equal(set_s(c, "cfgstr", "yes"), MC_OK);
	assert_value(c, "cfgstr", "yes");
	assert_int_equal(mc_client_server_count(c), 1);
	mc_client_free(c);
}

/* ---- creation errors (no server needed) ---- */

static mc_status_t new_err(mc_config_t *cfg, char *err, size_t len)
{
	mc_client_t *c = (mc_client_t *)1;
	mc_status_t st = mc_client_new(cfg, &c, err, len);

	if(st == MC_OK)
		mc_client_free(c);
	else
		assert_null(c);
	return st;
}

static void test_bad_configuration_is_refused_with_reason(void **state)
{
	mc_config_t cfg;
	char err[256];

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	assert_int_equal(new_err(&cfg, err, sizeof(err)), MC_BAD_INPUT);
	assert_string_equal(err, "servers: not set (expected "
							 "host[:port][,host[:port]...] or --...)");
	cfg.servers = "127.0.0.1:99999";
	assert_int_equal(new_err(&cfg, err, sizeof(err)), MC_BAD_INPUT);
	assert_string_equal(err, "servers: bad port '99999' in item "
							 "'127.0.0.1:99999' (expected 1-65535)");
	cfg.servers = "--SERVER=127.0.0.1:1 --NOT-AN-OPTION";
	assert_int_equal(new_err(&cfg, err, sizeof(err)), MC_BAD_INPUT);
	assert_non_null(strstr(err, "servers: bad libmemcached configuration: "));
	assert_true(strlen(err) > strlen("servers: bad libmemcached "
									 "configuration: "));
	cfg.servers = "127.0.0.1";
	cfg.default_expiry = -1;
	assert_int_equal(new_err(&cfg, err, sizeof(err)), MC_BAD_INPUT);
	assert_string_equal(err, "expire: bad default expiry -1 (expected 0 to "
							 "4294967295 seconds; 0 = never)");
	cfg.default_expiry = 0;
	cfg.username = "kam";
	cfg.password = "s3cret-pw";
	assert_int_equal(new_err(&cfg, err, sizeof(err)), MC_BAD_INPUT);
	assert_string_equal(err, "username: SASL needs the binary protocol (set "
							 "binary to 1)");
	assert_null(strstr(err, "s3cret-pw"));
}

static void test_creation_succeeds_when_server_is_down(void **state)
{
	mc_config_t cfg;
	char err[256], addr[64];

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.servers = mc_test_addr(addr, sizeof(addr), mc_test_free_port());
	assert_int_equal(new_err(&cfg, err, sizeof(err)), MC_OK);
	cfg.binary = 1;
	cfg.username = "kam";
	cfg.password = "pw";
	assert_int_equal(new_err(&cfg, err, sizeof(err)), MC_OK);
}

static void test_free_accepts_null(void **state)
{
	(void)state;
	mc_client_free(NULL);
}

#define BOTH(f)                                                                \
	cmocka_unit_test_prestate_setup_teardown(f, setup, teardown, &_text),      \
			cmocka_unit_test_prestate_setup_teardown(                          \
					f, setup, teardown, &_bin)

/*
 * Regression: incr_create could answer a miss. Between our add
 * losing the race and the second incr, the key can vanish again (it
 * expired: a per-second rate-limit key with expiry 1; or was deleted). A
 * scripted server replays that: the key is missing, another writer wins the
 * add, the key is gone again, then we win. Create-or-increment never
 * answers "not found".
 */
static void test_incr_create_never_answers_a_miss(void **state)
{
	static const char *const script[] = {"NOT_FOUND\r\n", /* incr */
			"NOT_STORED\r\n",							  /* add: lost */
			"NOT_FOUND\r\n",  /* incr: it expired meanwhile */
			"NOT_STORED\r\n", /* add: lost again */
			"NOT_FOUND\r\n",  /* incr: gone again */
			"STORED\r\n",	  /* add: ours */
			NULL};
	mc_test_server_t fake = {0, 0};
	mc_client_t *c;
	char addr[64];
	uint64_t v = 0;

	(void)state;
	assert_int_equal(mc_test_scripted_start(&fake, script, 0), 0);
	c = client_with(mc_test_addr(addr, sizeof(addr), fake.port), 0, NULL, 0, 0);
	assert_int_equal(mc_incr_create(c, "rl", 2, 3, 1, &v), MC_OK);
	assert_true(v == 3);
	mc_client_free(c);
	mc_test_server_stop(&fake);
}

/* A key that keeps vanishing forever: a bounded number of rounds, then an
 * error that says so, never a miss and never an endless loop. */
static void test_incr_create_gives_up_with_an_error_not_a_miss(void **state)
{
	static const char *script[64];
	mc_test_server_t fake = {0, 0};
	mc_client_t *c;
	char addr[64];
	uint64_t v = 0;
	size_t i;

	(void)state;
	for(i = 0; i + 1 < sizeof(script) / sizeof(script[0]); i++)
		script[i] = i % 2 == 0 ? "NOT_FOUND\r\n" : "NOT_STORED\r\n";
	script[i] = NULL;
	assert_int_equal(mc_test_scripted_start(&fake, script, 0), 0);
	c = client_with(mc_test_addr(addr, sizeof(addr), fake.port), 0, NULL, 0, 0);
	assert_int_equal(mc_incr_create(c, "rl", 2, 1, 1, &v), MC_ERROR);
	assert_non_null(strstr(mc_client_errstr(c), "incx 'rl': "));
	mc_client_free(c);
	mc_test_server_stop(&fake);
}

/*
 * Regression: reads were not capped; a value of any size the
 * server holds was copied for the script. max_value_size bounds reads too,
 * with a clear error, and a value at the limit still comes back whole.
 */
static void test_read_above_max_value_size_is_too_big(void **state)
{
	mc_client_t *big = client_with(_addr, 0, NULL, 0, 0);
	mc_client_t *small = client_with(_addr, 0, NULL, 0, 16);
	const char *k = "read-cap";
	mc_value_t v;

	(void)state;
	assert_int_equal(mc_store(big, MC_STORE_SET, k, strlen(k),
							 "0123456789abcdefX", 17, MC_FLAG_STRING, 0),
			MC_OK);
	assert_int_equal(mc_get(small, k, strlen(k), &v), MC_TOO_BIG);
	assert_null(v.data);
	assert_string_equal(mc_client_errstr(small),
			"get 'read-cap': value of 17 bytes is above the limit of 16 for "
			"reads (raise max_value_size, or store less)");
	assert_int_equal(mc_store(big, MC_STORE_SET, k, strlen(k),
							 "0123456789abcdef", 16, MC_FLAG_STRING, 0),
			MC_OK);
	assert_int_equal(mc_get(small, k, strlen(k), &v), MC_OK);
	assert_int_equal(v.len, 16);
	mc_client_free(small);
	mc_client_free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
			BOTH(test_get_of_missing_key_is_not_found),
			cmocka_unit_test(test_incr_create_never_answers_a_miss),
			cmocka_unit_test(test_read_above_max_value_size_is_too_big),
			cmocka_unit_test(
					test_incr_create_gives_up_with_an_error_not_a_miss),
			BOTH(test_set_then_get_returns_value_and_flags),
			BOTH(test_set_overwrites),
			BOTH(test_binary_value_with_nul_bytes_round_trips),
			BOTH(test_empty_value_round_trips),
			BOTH(test_large_value_round_trips_and_buffer_grows),
			BOTH(test_value_above_max_is_too_big_before_any_io),
			BOTH(test_server_refusing_too_large_item_is_too_big),
			BOTH(test_empty_key_is_bad_input_for_every_op),
			BOTH(test_add_stores_only_when_absent),
			BOTH(test_replace_stores_only_when_present),
			BOTH(test_append_and_prepend_need_the_key),
			BOTH(test_delete_then_miss),
			BOTH(test_exists_does_not_create_the_key),
			BOTH(test_touch_missing_is_not_found_and_touch_keeps_key_alive),
			BOTH(test_expiry_really_expires),
			BOTH(test_default_expiry_is_used_for_mc_expiry_default),
			BOTH(test_bad_expiry_is_bad_input),
			BOTH(test_incr_and_decr_return_the_new_value),
			BOTH(test_counter_above_2_pow_32),
			BOTH(test_shrinking_decr_value_reads_back_without_spaces),
			BOTH(test_incr_of_missing_key_is_not_found),
			BOTH(test_incr_of_text_is_bad_input_not_a_number),
			BOTH(test_incr_create_creates_then_increments),
			BOTH(test_incr_create_expiry_is_not_reset_by_later_incrs),
			BOTH(test_incr_create_from_two_processes_loses_no_increment),
			BOTH(test_long_key_round_trips_and_goes_out_as_md5),
			BOTH(test_spaced_and_control_keys_round_trip_without_injection),
			BOTH(test_prefix_namespaces_keys),
			BOTH(test_flush_empties_the_server),
			BOTH(test_counters_count_hits_misses_sets_errors),
			BOTH(test_incr_create_counts_a_set_only_when_it_creates),
			BOTH(test_server_info_lists_the_server),
			BOTH(test_server_stats_are_the_servers_own),
			BOTH(test_server_stats_of_a_dead_server_fail_fast_and_count),
			BOTH(test_libmemcached_config_string_works),
			cmocka_unit_test(test_bad_configuration_is_refused_with_reason),
			cmocka_unit_test(test_creation_succeeds_when_server_is_down),
			cmocka_unit_test(test_free_accepts_null),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
