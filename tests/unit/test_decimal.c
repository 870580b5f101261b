/*
 * core's one decimal parser (mc_decimal.h): its edges, pure, no server.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mc_decimal.h"

/* a literal with its length: embedded NULs count */
#define U64(lit, max, out) mc_decimal_u64(lit, sizeof(lit) - 1, max, out)
#define TRIM(lit, max, out) mc_decimal_u64_trim(lit, sizeof(lit) - 1, max, out)
#define I64(lit, min, max, out)                                                \
	mc_decimal_i64_canonical(lit, sizeof(lit) - 1, min, max, out)

static void test_u64_empty_and_null_are_not_numbers(void **state)
{
	uint64_t v = 77;

	(void)state;
	assert_false(U64("", UINT64_MAX, &v));
	assert_false(mc_decimal_u64(NULL, 0, UINT64_MAX, &v));
	assert_false(mc_decimal_u64(NULL, 3, UINT64_MAX, &v));
	assert_false(TRIM("", UINT64_MAX, &v));
	assert_false(TRIM(" \t\r\n", UINT64_MAX, &v));
	assert_false(mc_decimal_u64_trim(NULL, 0, UINT64_MAX, &v));
	assert_true(v == 77);
}

static void test_u64_sign_is_not_a_digit(void **state)
{
	uint64_t v = 77;

	(void)state;
	assert_false(U64("+5", UINT64_MAX, &v));
	assert_false(U64("-5", UINT64_MAX, &v));
	assert_false(U64("-0", UINT64_MAX, &v));
	assert_false(TRIM(" +5", UINT64_MAX, &v));
	assert_false(TRIM("-1", 99, &v));
	assert_true(v == 77);
}

static void test_u64_leading_zeros_are_read(void **state)
{
	uint64_t v = 77;

	(void)state;
	assert_true(U64("007", 99, &v));
	assert_true(v == 7);
	assert_true(U64("0", 0, &v));
	assert_true(v == 0);
	/* zeros do not count towards the limit */
	assert_true(U64("00000000000000000000000000018446744073709551615",
			UINT64_MAX, &v));
	assert_true(v == UINT64_MAX);
}

static void test_u64_max_itself_and_one_above(void **state)
{
	uint64_t v = 77;

	(void)state;
	assert_true(U64("18446744073709551615", UINT64_MAX, &v));
	assert_true(v == UINT64_MAX);
	v = 77;
	assert_false(U64("18446744073709551616", UINT64_MAX, &v));
	assert_false(U64("99999999999999999999", UINT64_MAX, &v));
	assert_false(U64("184467440737095516150", UINT64_MAX, &v));
	assert_true(v == 77);
	assert_true(U64("4294967295", UINT32_MAX, &v));
	assert_true(v == 4294967295u);
	assert_false(U64("4294967296", UINT32_MAX, &v));
	assert_true(U64("65535", 65535, &v));
	assert_false(U64("65536", 65535, &v));
	assert_true(U64("5", 5, &v));
	assert_false(U64("7", 5, &v));
	assert_false(U64("1", 0, &v));
}

static void test_u64_embedded_space_or_nul_is_refused(void **state)
{
	uint64_t v = 77;

	(void)state;
	assert_false(U64("1 2", 99, &v));
	assert_false(U64("1\0002", 99, &v));
	assert_false(U64("12\0", 99, &v));
	assert_false(U64("\00012", 99, &v));
	assert_false(U64(" 12", 99, &v));
	assert_false(U64("12 ", 99, &v));
	assert_false(TRIM("1 2", 99, &v));
	assert_false(TRIM("1\0002", 99, &v));
	assert_false(TRIM("12\0", 99, &v));
	assert_false(U64("1a", 99, &v));
	assert_false(U64("0x10", 99, &v));
	assert_true(v == 77);
}

/* blanks only around the number, for counters and "=>expiry" */
static void test_u64_trim_skips_blanks_around(void **state)
{
	uint64_t v = 0;

	(void)state;
	assert_true(TRIM(" 42\t", UINT32_MAX, &v));
	assert_true(v == 42);
	assert_true(TRIM("\r\n7\r\n", UINT32_MAX, &v));
	assert_true(v == 7);
	assert_true(TRIM("4294967295", UINT32_MAX, &v));
	assert_true(v == 4294967295u);
	assert_false(TRIM("4294967296", UINT32_MAX, &v));
	assert_true(TRIM("18446744073709551615", UINT64_MAX, &v));
	assert_true(v == UINT64_MAX);
	assert_false(TRIM("18446744073709551616", UINT64_MAX, &v));
	assert_false(TRIM("7", 5, &v));
	assert_true(TRIM("5", 5, &v));
	assert_false(TRIM(" ", 5, &v));
}

static void test_canonical_is_zero_or_no_leading_zero(void **state)
{
	(void)state;
	assert_true(mc_decimal_is_canonical("0", 1));
	assert_true(mc_decimal_is_canonical("10", 2));
	assert_true(mc_decimal_is_canonical("99999999999999999999999", 23));
	assert_false(mc_decimal_is_canonical("", 0));
	assert_false(mc_decimal_is_canonical(NULL, 0));
	assert_false(mc_decimal_is_canonical("00", 2));
	assert_false(mc_decimal_is_canonical("007", 3));
	assert_false(mc_decimal_is_canonical("+7", 2));
	assert_false(mc_decimal_is_canonical("-7", 2));
	assert_false(mc_decimal_is_canonical(" 7", 2));
	assert_false(mc_decimal_is_canonical("7\0", 2));
}

static void test_i64_canonical_edges(void **state)
{
	int64_t n = 77;

	(void)state;
	assert_true(I64("0", INT64_MIN, INT64_MAX, &n));
	assert_true(n == 0);
	assert_true(I64("-1", INT64_MIN, INT64_MAX, &n));
	assert_true(n == -1);
	assert_true(I64("9223372036854775807", INT64_MIN, INT64_MAX, &n));
	assert_true(n == INT64_MAX);
	assert_true(I64("-9223372036854775808", INT64_MIN, INT64_MAX, &n));
	assert_true(n == INT64_MIN);
	assert_true(I64("2147483647", INT32_MIN, INT32_MAX, &n));
	assert_true(n == INT32_MAX);
	assert_true(I64("-2147483648", INT32_MIN, INT32_MAX, &n));
	assert_true(n == INT32_MIN);
	n = 77;
	/* not canonical: printing the number would not give these bytes */
	assert_false(I64("", INT64_MIN, INT64_MAX, &n));
	assert_false(I64("-", INT64_MIN, INT64_MAX, &n));
	assert_false(I64("-0", INT64_MIN, INT64_MAX, &n));
	assert_false(I64("+5", INT64_MIN, INT64_MAX, &n));
	assert_false(I64("05", INT64_MIN, INT64_MAX, &n));
	assert_false(I64("-05", INT64_MIN, INT64_MAX, &n));
	assert_false(I64("--5", INT64_MIN, INT64_MAX, &n));
	assert_false(I64("5 ", INT64_MIN, INT64_MAX, &n));
	assert_false(I64("5\0", INT64_MIN, INT64_MAX, &n));
	assert_false(mc_decimal_i64_canonical(NULL, 0, INT64_MIN, INT64_MAX, &n));
	/* one beyond each end */
	assert_false(I64("9223372036854775808", INT64_MIN, INT64_MAX, &n));
	assert_false(I64("-9223372036854775809", INT64_MIN, INT64_MAX, &n));
	assert_false(I64("2147483648", INT32_MIN, INT32_MAX, &n));
	assert_false(I64("-2147483649", INT32_MIN, INT32_MAX, &n));
	/* ranges that exclude a sign */
	assert_false(I64("-1", 0, 10, &n));
	assert_false(I64("11", 0, 10, &n));
	assert_false(I64("1", -10, -1, &n));
	assert_false(I64("5", 10, 20, &n));
	assert_false(I64("-5", -20, -10, &n));
	assert_true(n == 77);
	assert_true(I64("-10", -10, -1, &n));
	assert_true(n == -10);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
			cmocka_unit_test(test_u64_empty_and_null_are_not_numbers),
			cmocka_unit_test(test_u64_sign_is_not_a_digit),
			cmocka_unit_test(test_u64_leading_zeros_are_read),
			cmocka_unit_test(test_u64_max_itself_and_one_above),
			cmocka_unit_test(test_u64_embedded_space_or_nul_is_refused),
			cmocka_unit_test(test_u64_trim_skips_blanks_around),
			cmocka_unit_test(test_canonical_is_zero_or_no_leading_zero),
			cmocka_unit_test(test_i64_canonical_edges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
