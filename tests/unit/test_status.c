/*
 * Pure pieces: status texts, the libmemcached result mapping, value typing,
 * the breaker's state machine (time passed in, no waiting) and the clock.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mc_breaker.h"
#include "mc_client.h"
#include "mc_clock.h"
#include "mc_result.h"
#include "mc_value.h"

static void test_every_status_has_a_text_and_errors_start_at_bad_input(
		void **state)
{
	int s;

	(void)state;
	for(s = MC_OK; s <= MC_ERROR; s++) {
		assert_non_null(mc_strerror((mc_status_t)s));
		assert_int_equal(mc_status_is_error((mc_status_t)s), s >= MC_BAD_INPUT);
	}
	assert_string_equal(mc_strerror(MC_NOT_FOUND), "not found");
	assert_string_equal(mc_strerror(MC_TIMEOUT), "timeout");
	assert_string_equal(mc_strerror((mc_status_t)999), "unknown status");
}

static void test_stored_deleted_end_are_successes(void **state)
{
	(void)state;
	assert_int_equal(mc_result_map(MEMCACHED_SUCCESS).status, MC_OK);
	assert_int_equal(mc_result_map(MEMCACHED_STORED).status, MC_OK);
	assert_int_equal(mc_result_map(MEMCACHED_DELETED).status, MC_OK);
	assert_int_equal(mc_result_map(MEMCACHED_END).status, MC_OK);
	assert_int_equal(mc_result_map(MEMCACHED_BUFFERED).status, MC_OK);
}

static void test_miss_and_refusal_are_not_errors(void **state)
{
	(void)state;
	assert_int_equal(mc_result_map(MEMCACHED_NOTFOUND).status, MC_NOT_FOUND);
	assert_int_equal(mc_result_map(MEMCACHED_NOTSTORED).status, MC_NOT_STORED);
	assert_int_equal(
			mc_result_map(MEMCACHED_DATA_EXISTS).status, MC_NOT_STORED);
	assert_false(mc_result_map(MEMCACHED_NOTFOUND).drop);
}

static void test_io_failures_drop_the_connection(void **state)
{
	mc_result_t r;

	(void)state;
	r = mc_result_map(MEMCACHED_TIMEOUT);
	assert_int_equal(r.status, MC_TIMEOUT);
	assert_true(r.drop);
	r = mc_result_map(MEMCACHED_CONNECTION_FAILURE);
	assert_int_equal(r.status, MC_CONNECTION);
	assert_true(r.drop);
	r = mc_result_map(MEMCACHED_SERVER_TEMPORARILY_DISABLED);
	assert_int_equal(r.status, MC_CONNECTION);
	r = mc_result_map(MEMCACHED_PROTOCOL_ERROR);
	assert_int_equal(r.status, MC_ERROR);
	assert_true(r.drop);
	assert_int_equal(mc_result_map(MEMCACHED_E2BIG).status, MC_TOO_BIG);
}

static void test_every_result_maps_and_success_agrees_with_libmemcached(
		void **state)
{
	int rc;
	mc_result_t r;

	(void)state;
	for(rc = 0; rc <= MEMCACHED_MAXIMUM_RETURN + 3; rc++) {
		r = mc_result_map((memcached_return_t)rc);
		assert_non_null(r.hint);
		if(rc < MEMCACHED_MAXIMUM_RETURN &&
				memcached_success((memcached_return_t)rc))
			assert_int_equal(r.status, MC_OK);
		if(r.status == MC_OK)
			assert_false(r.drop);
		if(rc < MEMCACHED_MAXIMUM_RETURN &&
				memcached_fatal((memcached_return_t)rc))
			assert_true(r.drop);
		/*
		 * nothing fatal is ever a success, a miss or a refusal; except
		 * DATA_DOES_NOT_EXIST, which does mean the key is absent
		 */
		if(rc < MEMCACHED_MAXIMUM_RETURN &&
				rc != MEMCACHED_DATA_DOES_NOT_EXIST &&
				memcached_fatal((memcached_return_t)rc))
			assert_true(mc_status_is_error(r.status));
	}
}

static void test_value_is_string_reads_flag_bit_0(void **state)
{
	mc_value_t v = {"x", 1, 0};

	(void)state;
	assert_false(mc_value_is_string(&v));
	v.flags = 1;
	assert_true(mc_value_is_string(&v));
	v.flags = 0xfffffffe;
	assert_false(mc_value_is_string(&v));
	assert_false(mc_value_is_string(NULL));
}

static void test_value_to_u64_accepts_numbers_with_blanks(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_int_equal(mc_value_to_u64("42", 2, &v), MC_OK);
	assert_int_equal(v, 42);
	assert_int_equal(mc_value_to_u64(" 7  ", 4, &v), MC_OK);
	assert_int_equal(v, 7);
	assert_int_equal(mc_value_to_u64("18446744073709551615", 20, &v), MC_OK);
	assert_true(v == UINT64_MAX);
}

static void test_value_to_u64_rejects_non_numbers_and_overflow(void **state)
{
	uint64_t v = 5;

	(void)state;
	assert_int_equal(mc_value_to_u64("", 0, &v), MC_BAD_INPUT);
	assert_int_equal(mc_value_to_u64("  ", 2, &v), MC_BAD_INPUT);
	assert_int_equal(mc_value_to_u64("-1", 2, &v), MC_BAD_INPUT);
	assert_int_equal(mc_value_to_u64("1a", 2, &v), MC_BAD_INPUT);
	assert_int_equal(mc_value_to_u64("1 2", 3, &v), MC_BAD_INPUT);
	assert_int_equal(
			mc_value_to_u64("18446744073709551616", 20, &v), MC_BAD_INPUT);
	assert_int_equal(mc_value_to_u64(NULL, 0, &v), MC_BAD_INPUT);
	assert_int_equal(v, 5);
}

#define UNPAD(lit) mc_value_unpad(lit, sizeof(lit) - 1)

static void test_unpad_trims_only_the_padding_of_a_shrinking_decr(void **state)
{
	(void)state;
	/* what memcached leaves: canonical digits, then spaces */
	assert_int_equal(UNPAD("9 "), 1);
	assert_int_equal(UNPAD("99  "), 2);
	assert_int_equal(UNPAD("0   "), 1);
	assert_int_equal(UNPAD("10"), 2);
	/* regression: blanks that are not decr padding stay */
	assert_int_equal(UNPAD("  "), 2);
	assert_int_equal(UNPAD("hello   "), 8);
	assert_int_equal(UNPAD(" 7 "), 3);
	assert_int_equal(UNPAD("007 "), 4);
	assert_int_equal(UNPAD("-5 "), 3);
	assert_int_equal(UNPAD("7\t"), 2);
	assert_int_equal(UNPAD("7 \t"), 3);
	assert_int_equal(UNPAD(""), 0);
	assert_int_equal(mc_value_unpad(NULL, 0), 0);
}

#define VINT(lit, min, max, out)                                               \
	mc_value_int(lit, sizeof(lit) - 1, min, max, out)

static void test_value_int_accepts_only_canonical_decimals(void **state)
{
	int64_t n = 0;

	(void)state;
	assert_true(VINT("0", INT32_MIN, INT32_MAX, &n));
	assert_true(n == 0);
	assert_true(VINT("42", INT32_MIN, INT32_MAX, &n));
	assert_true(n == 42);
	assert_true(VINT("-5", INT32_MIN, INT32_MAX, &n));
	assert_true(n == -5);
	assert_true(VINT("2147483647", INT32_MIN, INT32_MAX, &n));
	assert_true(n == INT32_MAX);
	assert_true(VINT("-2147483648", INT32_MIN, INT32_MAX, &n));
	assert_true(n == INT32_MIN);
	assert_true(VINT("9223372036854775807", INT64_MIN, INT64_MAX, &n));
	assert_true(n == INT64_MAX);
	assert_true(VINT("-9223372036854775808", INT64_MIN, INT64_MAX, &n));
	assert_true(n == INT64_MIN);
	assert_true(VINT("2147483648", INT64_MIN, INT64_MAX, &n));
	assert_true(n == 2147483648LL);
}

/* regression: "+4930123" came back as 4930123, "0042" as 42 */
static void test_value_int_refuses_what_would_lose_bytes(void **state)
{
	static const char *const no[] = {"", "-", "-0", "+5", "+4930123", "0042",
			"00", "-007", " 7", "7 ", "7\t", "\t7", "1e3", "1.0", "0x10", "12a",
			"--5", "- 5", "\x01", NULL};
	int64_t n = 77;
	size_t i;

	(void)state;
	for(i = 0; no[i] != NULL; i++) {
		if(mc_value_int(no[i], strlen(no[i]), INT64_MIN, INT64_MAX, &n))
			fail_msg("'%s' read as a number", no[i]);
	}
	assert_false(mc_value_int("5\0", 2, INT64_MIN, INT64_MAX, &n));
	assert_false(mc_value_int(NULL, 0, INT64_MIN, INT64_MAX, &n));
	assert_true(n == 77);
}

static void test_value_int_refuses_what_does_not_fit(void **state)
{
	int64_t n = 77;

	(void)state;
	assert_false(VINT("2147483648", INT32_MIN, INT32_MAX, &n));
	assert_false(VINT("-2147483649", INT32_MIN, INT32_MAX, &n));
	assert_false(VINT("9223372036854775808", INT64_MIN, INT64_MAX, &n));
	assert_false(VINT("-9223372036854775809", INT64_MIN, INT64_MAX, &n));
	assert_false(VINT("18446744073709551615", INT64_MIN, INT64_MAX, &n));
	assert_false(VINT("99999999999999999999999", INT64_MIN, INT64_MAX, &n));
	assert_false(VINT("-1", 0, 10, &n));
	assert_false(VINT("11", 0, 10, &n));
	assert_true(n == 77);
}

/* ---- breaker ---- */

static void test_breaker_off_never_blocks(void **state)
{
	mc_breaker_t b = {0};
	int i;

	(void)state;
	for(i = 0; i < 10; i++) {
		assert_true(mc_breaker_allow(&b, 0, 1000));
		assert_int_equal(mc_breaker_record(&b, 1, 0, 5, 1000), MC_BREAKER_NONE);
	}
	assert_int_equal(b.failures, 10);
	assert_int_equal(b.state, MC_BREAKER_CLOSED);
}

static void test_breaker_trips_after_limit_consecutive_failures(void **state)
{
	mc_breaker_t b = {0};

	(void)state;
	assert_int_equal(mc_breaker_record(&b, 1, 3, 5, 1000), MC_BREAKER_NONE);
	assert_int_equal(mc_breaker_record(&b, 0, 3, 5, 1000), MC_BREAKER_NONE);
	assert_int_equal(b.failures, 0);
	assert_int_equal(mc_breaker_record(&b, 1, 3, 5, 1000), MC_BREAKER_NONE);
	assert_int_equal(mc_breaker_record(&b, 1, 3, 5, 1000), MC_BREAKER_NONE);
	assert_int_equal(mc_breaker_record(&b, 1, 3, 5, 1000), MC_BREAKER_TRIPPED);
	assert_int_equal(b.state, MC_BREAKER_OPEN);
	assert_int_equal(b.trips, 1);
	assert_false(mc_breaker_allow(&b, 3, 1000));
	assert_false(mc_breaker_allow(&b, 3, 5999));
	assert_int_equal(mc_breaker_state_at(&b, 5999), MC_BREAKER_OPEN);
	assert_int_equal(mc_breaker_state_at(&b, 6000), MC_BREAKER_HALF_OPEN);
}

static void test_breaker_probe_success_closes(void **state)
{
	mc_breaker_t b = {0};

	(void)state;
	b.state = MC_BREAKER_OPEN;
	b.failures = 3;
	b.retry_at_ms = 6000;
	assert_true(mc_breaker_allow(&b, 3, 6000));
	assert_int_equal(b.state, MC_BREAKER_HALF_OPEN);
	assert_int_equal(
			mc_breaker_record(&b, 0, 3, 5, 6000), MC_BREAKER_RECOVERED);
	assert_int_equal(b.state, MC_BREAKER_CLOSED);
	assert_int_equal(b.failures, 0);
}

static void test_breaker_probe_failure_reopens_for_retry_time(void **state)
{
	mc_breaker_t b = {0};

	(void)state;
	b.state = MC_BREAKER_OPEN;
	b.failures = 3;
	b.trips = 1;
	b.retry_at_ms = 6000;
	assert_true(mc_breaker_allow(&b, 3, 7000));
	assert_int_equal(mc_breaker_record(&b, 1, 3, 5, 7000), MC_BREAKER_REOPENED);
	assert_int_equal(b.state, MC_BREAKER_OPEN);
	assert_int_equal(b.trips, 1);
	assert_false(mc_breaker_allow(&b, 3, 11999));
	assert_true(mc_breaker_allow(&b, 3, 12000));
}

static void test_clock_is_monotonic(void **state)
{
	uint64_t a, b;

	(void)state;
	a = mc_clock_ms();
	b = mc_clock_ms();
	assert_true(b >= a);
	assert_true(a > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
			cmocka_unit_test(
					test_every_status_has_a_text_and_errors_start_at_bad_input),
			cmocka_unit_test(test_stored_deleted_end_are_successes),
			cmocka_unit_test(test_miss_and_refusal_are_not_errors),
			cmocka_unit_test(test_io_failures_drop_the_connection),
			cmocka_unit_test(
					test_every_result_maps_and_success_agrees_with_libmemcached),
			cmocka_unit_test(test_value_is_string_reads_flag_bit_0),
			cmocka_unit_test(test_value_to_u64_accepts_numbers_with_blanks),
			cmocka_unit_test(
					test_value_to_u64_rejects_non_numbers_and_overflow),
			cmocka_unit_test(
					test_unpad_trims_only_the_padding_of_a_shrinking_decr),
			cmocka_unit_test(test_value_int_accepts_only_canonical_decimals),
			cmocka_unit_test(test_value_int_refuses_what_would_lose_bytes),
			cmocka_unit_test(test_value_int_refuses_what_does_not_fit),
			cmocka_unit_test(test_breaker_off_never_blocks),
			cmocka_unit_test(
					test_breaker_trips_after_limit_consecutive_failures),
			cmocka_unit_test(test_breaker_probe_success_closes),
			cmocka_unit_test(test_breaker_probe_failure_reopens_for_retry_time),
			cmocka_unit_test(test_clock_is_monotonic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
