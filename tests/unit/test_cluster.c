/*
 * Two memcached servers behind one client: consistent (ketama) hashing
 * spreads keys over both and always sends a key to the same server, which
 * separate direct clients (one per server) confirm.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mc_client.h"
#include "mc_test_client.h"
#include "mc_test_server.h"

#define NKEYS 200

static mc_test_server_t _s[3];

static mc_client_t *client_of(const char *servers)
{
	mc_config_t cfg;
	mc_client_t *c = NULL;

	mc_test_config(&cfg, servers);
	c = mc_test_client_new(&cfg);
	return c;
}

static int group_setup(void **state)
{
	(void)state;
	if(mc_test_memcached_start(&_s[0], 0, NULL) != 0)
		return -1;
	if(mc_test_memcached_start(&_s[1], 0, NULL) != 0)
		return -1;
	if(mc_test_memcached_start(&_s[2], 0, NULL) != 0)
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	mc_test_server_stop(&_s[0]);
	mc_test_server_stop(&_s[1]);
	mc_test_server_stop(&_s[2]);
	return 0;
}

static void key_of(char *buf, size_t len, int i)
{
	snprintf(buf, len, "user:%d", i);
}

/* which server holds key i: 0, 1, or -1 for none / both */
static int holder(mc_client_t *direct[2], int i)
{
	char k[32];
	mc_value_t v;
	int on0, on1;

	key_of(k, sizeof(k), i);
	on0 = mc_get(direct[0], k, strlen(k), &v) == MC_OK;
	on1 = mc_get(direct[1], k, strlen(k), &v) == MC_OK;
	if(on0 == on1)
		return -1;
	return on0 ? 0 : 1;
}

static void test_keys_spread_over_both_and_each_lives_on_one(void **state)
{
	char spec[160], a0[64], a1[64], k[32];
	mc_client_t *c, *direct[2];
	int i, count[2] = {0, 0}, h;

	(void)state;
	snprintf(spec, sizeof(spec), "%s,%s",
			mc_test_addr(a0, sizeof(a0), _s[0].port),
			mc_test_addr(a1, sizeof(a1), _s[1].port));
	c = client_of(spec);
	direct[0] = client_of(a0);
	direct[1] = client_of(a1);
	assert_int_equal(mc_client_server_count(c), 2);
	assert_int_equal(mc_flush(c), MC_OK);

	for(i = 0; i < NKEYS; i++) {
		key_of(k, sizeof(k), i);
		assert_int_equal(
				mc_store(c, MC_STORE_SET, k, strlen(k), "v", 1, 1, 0), MC_OK);
	}
	for(i = 0; i < NKEYS; i++) {
		h = holder(direct, i);
		assert_true(h == 0 || h == 1);
		count[h]++;
	}
	/* ketama over two servers: neither gets everything */
	assert_true(count[0] > NKEYS / 5);
	assert_true(count[1] > NKEYS / 5);

	/* each key maps to the same server: overwrite and check again */
	for(i = 0; i < NKEYS; i++) {
		int before = holder(direct, i);

		key_of(k, sizeof(k), i);
		assert_int_equal(
				mc_store(c, MC_STORE_SET, k, strlen(k), "w", 1, 1, 0), MC_OK);
		assert_int_equal(holder(direct, i), before);
	}
	mc_client_free(direct[0]);
	mc_client_free(direct[1]);
	mc_client_free(c);
}

static void test_another_client_finds_every_key_where_the_first_put_it(
		void **state)
{
	char spec[160], rev[160], a0[64], a1[64], k[32];
	mc_client_t *w, *r, *rr;
	mc_value_t v;
	int i;

	(void)state;
	mc_test_addr(a0, sizeof(a0), _s[0].port);
	mc_test_addr(a1, sizeof(a1), _s[1].port);
	snprintf(spec, sizeof(spec), "%s,%s", a0, a1);
	snprintf(rev, sizeof(rev), " %s , %s ", a1, a0);
	w = client_of(spec);
	r = client_of(spec);
	rr = client_of(rev);
	assert_int_equal(mc_flush(w), MC_OK);
	for(i = 0; i < NKEYS; i++) {
		key_of(k, sizeof(k), i);
		assert_int_equal(
				mc_store(w, MC_STORE_SET, k, strlen(k), k, strlen(k), 1, 0),
				MC_OK);
	}
	for(i = 0; i < NKEYS; i++) {
		key_of(k, sizeof(k), i);
		assert_int_equal(mc_get(r, k, strlen(k), &v), MC_OK);
		assert_memory_equal(v.data, k, strlen(k));
		/* the server order in the list does not matter to ketama */
		assert_int_equal(mc_get(rr, k, strlen(k), &v), MC_OK);
	}
	mc_client_free(w);
	mc_client_free(r);
	mc_client_free(rr);
}

/*
 * Consistent hashing: with three servers, dropping one from the list moves
 * only the keys it held (about a third); every other key stays where it is.
 */
static void test_removing_one_of_three_servers_moves_only_its_keys(void **state)
{
	char a[3][64], spec3[256], spec2[160], k[32];
	mc_client_t *c3, *c2, *direct[3];
	mc_value_t v;
	int i, j, on[3] = {0, 0, 0}, stayed = 0;

	(void)state;
	for(j = 0; j < 3; j++) {
		mc_test_addr(a[j], sizeof(a[j]), _s[j].port);
		direct[j] = client_of(a[j]);
	}
	snprintf(spec3, sizeof(spec3), "%s,%s,%s", a[0], a[1], a[2]);
	snprintf(spec2, sizeof(spec2), "%s,%s", a[0], a[1]);
	c3 = client_of(spec3);
	c2 = client_of(spec2);
	assert_int_equal(mc_flush(c3), MC_OK);
	for(i = 0; i < 3 * NKEYS; i++) {
		key_of(k, sizeof(k), i);
		assert_int_equal(
				mc_store(c3, MC_STORE_SET, k, strlen(k), "v", 1, 1, 0), MC_OK);
	}
	for(i = 0; i < 3 * NKEYS; i++) {
		int where = -1, copies = 0;

		key_of(k, sizeof(k), i);
		for(j = 0; j < 3; j++)
			if(mc_get(direct[j], k, strlen(k), &v) == MC_OK) {
				where = j;
				copies++;
			}
		assert_int_equal(copies, 1);
		on[where]++;
		/* the two-server client looks where ketama over servers 0 and 1
		 * puts the key: where it lived, unless it lived on server 2 */
		if(mc_get(c2, k, strlen(k), &v) == MC_OK)
			stayed++;
		else
			assert_int_equal(where, 2);
	}
	/* the removed server held roughly a third (ketama is not exact) */
	assert_true(on[2] > 3 * NKEYS / 6);
	assert_true(on[2] < 3 * NKEYS / 2);
	/* every key of servers 0 and 1 stayed (modulo hashing would move about
	 * half of them) */
	assert_int_equal(stayed, on[0] + on[1]);
	for(j = 0; j < 3; j++)
		mc_client_free(direct[j]);
	mc_client_free(c3);
	mc_client_free(c2);
}

typedef struct conns {
	unsigned long total;
	int seen;
} conns_t;

static int total_connections(const char *name, const char *value, void *arg)
{
	conns_t *t = (conns_t *)arg;

	if(strcmp(name, "total_connections") == 0) {
		t->total = strtoul(value, NULL, 10);
		t->seen = 1;
	}
	return 0;
}

/* memcached's count of connections ever accepted by server idx of c; the
 * reading itself opens one more */
static unsigned long connections_of(mc_client_t *c, size_t idx)
{
	conns_t t = {0, 0};

	assert_int_equal(
			mc_client_server_stats(c, idx, total_connections, &t), MC_OK);
	assert_true(t.seen);
	return t.total;
}

/*
 * Regression: an error on one server (incr on a value that is
 * not a number, which a key from SIP data can trigger) closed every
 * server's connection, so the next call to a healthy server reconnected.
 */
static void one_servers_error_leaves_the_others_connected(int binary)
{
	char spec[160], a0[64], a1[64], k[32], ka[32] = "", kb[32] = "";
	mc_client_t *c, *direct[2];
	mc_config_t cfg;
	mc_value_t v;
	uint64_t n;
	unsigned long before, after;
	int i, h;

	snprintf(spec, sizeof(spec), "%s,%s",
			mc_test_addr(a0, sizeof(a0), _s[0].port),
			mc_test_addr(a1, sizeof(a1), _s[1].port));
	mc_test_config(&cfg, spec);
	cfg.binary = binary;
	c = mc_test_client_new(&cfg);
	direct[0] = client_of(a0);
	direct[1] = client_of(a1);
	for(i = 0; i < NKEYS && (ka[0] == '\0' || kb[0] == '\0'); i++) {
		key_of(k, sizeof(k), i);
		assert_int_equal(mc_store(c, MC_STORE_SET, k, strlen(k), "x", 1,
								 MC_FLAG_STRING, 0),
				MC_OK);
		h = holder(direct, i);
		if(h == 0 && ka[0] == '\0')
			snprintf(ka, sizeof(ka), "%s", k);
		if(h == 1 && kb[0] == '\0')
			snprintf(kb, sizeof(kb), "%s", k);
	}
	assert_true(ka[0] != '\0' && kb[0] != '\0');

	assert_int_equal(mc_get(c, kb, strlen(kb), &v), MC_OK);
	before = connections_of(c, 1);
	assert_int_equal(mc_incr(c, ka, strlen(ka), 1, &n), MC_BAD_INPUT);
	assert_int_equal(mc_get(c, kb, strlen(kb), &v), MC_OK);
	assert_string_equal(v.data, "x");
	after = connections_of(c, 1);
	/* only the second reading's own connection */
	assert_int_equal(after - before, 1);

	mc_client_free(direct[0]);
	mc_client_free(direct[1]);
	mc_client_free(c);
}

static void test_one_servers_error_leaves_the_others_connected_text(
		void **state)
{
	(void)state;
	one_servers_error_leaves_the_others_connected(0);
}

static void test_one_servers_error_leaves_the_others_connected_binary(
		void **state)
{
	(void)state;
	one_servers_error_leaves_the_others_connected(1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
			cmocka_unit_test(test_keys_spread_over_both_and_each_lives_on_one),
			cmocka_unit_test(
					test_one_servers_error_leaves_the_others_connected_text),
			cmocka_unit_test(
					test_one_servers_error_leaves_the_others_connected_binary),
			cmocka_unit_test(
					test_another_client_finds_every_key_where_the_first_put_it),
			cmocka_unit_test(
					test_removing_one_of_three_servers_moves_only_its_keys),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
