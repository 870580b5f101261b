/*
 * Key derivation, "key=>expiry" splitting and the log form of a key (pure,
 * no server).
 *
 * Expected MD5 digests were computed independently of this code with
 * coreutils, e.g.:
 *   python3 -c "import sys; sys.stdout.buffer.write(b'k'*260)" | md5sum
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mc_key.h"

static char _out[MC_KEY_MAX];
static size_t _olen;
static int _hashed;

static mc_status_t derive(const char *prefix, const char *key, size_t klen)
{
	memset(_out, 0, sizeof(_out));
	return mc_key_derive(prefix, prefix ? strlen(prefix) : 0, key, klen, _out,
			&_olen, &_hashed);
}

static void assert_hashed_to(const char *hex)
{
	assert_int_equal(_hashed, 1);
	assert_int_equal(_olen, MC_KEY_HASH_LEN);
	assert_memory_equal(_out, hex, MC_KEY_HASH_LEN);
}

static void assert_as_is(const char *key, size_t klen)
{
	assert_int_equal(_hashed, 0);
	assert_int_equal(_olen, klen);
	assert_memory_equal(_out, key, klen);
}

static void test_plain_key_goes_as_is(void **state)
{
	(void)state;
	assert_int_equal(derive(NULL, "user:alice", 10), MC_OK);
	assert_as_is("user:alice", 10);
}

static void test_utf8_key_goes_as_is_like_shipped_module(void **state)
{
	const char *k = "caf\xc3\xa9";

	(void)state;
	assert_int_equal(derive(NULL, k, strlen(k)), MC_OK);
	assert_as_is(k, strlen(k));
}

static void test_empty_key_is_bad_input(void **state)
{
	(void)state;
	assert_int_equal(derive(NULL, "", 0), MC_BAD_INPUT);
	assert_int_equal(derive("p:", "", 0), MC_BAD_INPUT);
	assert_int_equal(derive(NULL, NULL, 3), MC_BAD_INPUT);
}

static void test_249_byte_key_goes_as_is(void **state)
{
	char k[249];

	(void)state;
	memset(k, 'a', sizeof(k));
	assert_int_equal(derive(NULL, k, sizeof(k)), MC_OK);
	assert_as_is(k, sizeof(k));
}

static void test_250_byte_key_is_hashed(void **state)
{
	char k[250];

	(void)state;
	memset(k, 'a', sizeof(k));
	assert_int_equal(derive(NULL, k, sizeof(k)), MC_OK);
	assert_hashed_to("1bdbdf1c9087c796394bcda5789f7206");
}

static void test_251_byte_key_is_hashed(void **state)
{
	char k[251];

	(void)state;
	memset(k, 'a', sizeof(k));
	assert_int_equal(derive(NULL, k, sizeof(k)), MC_OK);
	assert_hashed_to("21f5b107cda33036590a19419afd7fb6");
}

/*
 * The shipped module (mcd_var.c pv_mcd_key_check) sends
 * MD5StringArray(key) for keys of 250+ bytes; MD5StringArray trims with
 * Kamailio's trim_len: trailing NUL/CR/LF/space/tab, leading space/tab.
 * For "  " + 260 x 'k' + " \t\r\n" it sends md5("k" x 260).
 */
static void test_long_key_vector_matches_shipped_module(void **state)
{
	char k[2 + 260 + 4];

	(void)state;
	memcpy(k, "  ", 2);
	memset(k + 2, 'k', 260);
	memcpy(k + 262, " \t\r\n", 4);
	assert_int_equal(derive(NULL, k, sizeof(k)), MC_OK);
	assert_hashed_to("1c7363d84adc3ea07574e963707d009d");
}

static void test_long_key_trims_only_leading_space_and_tab(void **state)
{
	char k[1 + 255 + 2];

	(void)state;
	/* a leading CR is kept, trailing CR LF go: md5("\r" + 255 x 'z') */
	k[0] = '\r';
	memset(k + 1, 'z', 255);
	memcpy(k + 256, "\r\n", 2);
	assert_int_equal(derive(NULL, k, sizeof(k)), MC_OK);
	assert_hashed_to("362c139907be33a06ef24c63588bde10");
}

static void test_long_key_of_blanks_hashes_the_empty_string(void **state)
{
	char k[250];

	(void)state;
	memset(k, ' ', sizeof(k));
	assert_int_equal(derive(NULL, k, sizeof(k)), MC_OK);
	assert_hashed_to("d41d8cd98f00b204e9800998ecf8427e");
}

static void test_key_with_space_is_hashed_untrimmed(void **state)
{
	(void)state;
	assert_int_equal(derive(NULL, "a b", 3), MC_OK);
	assert_hashed_to("0cc9cd4dd26c5137b675a0d819cb9ab0");
	assert_int_equal(derive(NULL, " ab", 3), MC_OK);
	assert_hashed_to("ac32dfca0cf310a82cf1c6a7d677b531");
}

static void test_key_with_crlf_injection_is_hashed(void **state)
{
	const char *k = "a\r\nflush_all\r\n";

	(void)state;
	assert_int_equal(derive(NULL, k, strlen(k)), MC_OK);
	assert_hashed_to("a910406ed29790567d2fded1564f0c0e");
}

static void test_key_with_control_char_is_hashed(void **state)
{
	(void)state;
	assert_int_equal(derive(NULL,
							 "a\x01"
							 "b",
							 3),
			MC_OK);
	assert_hashed_to("aa36c0802009387bae9ee661769be2a4");
}

static void test_key_with_del_is_hashed(void **state)
{
	(void)state;
	assert_int_equal(derive(NULL,
							 "a\x7f"
							 "b",
							 3),
			MC_OK);
	assert_hashed_to("6277cedeb38a81be5e0ff454b93c9bf8");
}

static void test_key_with_nul_byte_is_hashed(void **state)
{
	(void)state;
	assert_int_equal(derive(NULL, "a\0b", 3), MC_OK);
	assert_int_equal(_hashed, 1);
	assert_int_equal(_olen, MC_KEY_HASH_LEN);
}

static void test_prefix_is_prepended(void **state)
{
	(void)state;
	assert_int_equal(derive("app1:", "k", 1), MC_OK);
	assert_as_is("app1:k", 6);
}

static void test_prefix_counts_in_length(void **state)
{
	char k[248];

	(void)state;
	memset(k, 'x', sizeof(k));
	/* "p:" + 247 = 249 bytes: as-is */
	assert_int_equal(derive("p:", k, 247), MC_OK);
	assert_int_equal(_hashed, 0);
	assert_int_equal(_olen, 249);
	assert_memory_equal(_out, "p:xxx", 5);
	/* "p:" + 248 = 250 bytes: md5("p:" + 248 x 'x') */
	assert_int_equal(derive("p:", k, 248), MC_OK);
	assert_hashed_to("2315ecf3148b37d0d26692d9f62439de");
}

static void test_prefix_with_space_makes_keys_hashed(void **state)
{
	(void)state;
	assert_int_equal(derive("my app:", "k", 1), MC_OK);
	assert_int_equal(_hashed, 1);
}

static void test_very_long_prefixed_key_is_hashed(void **state)
{
	static char k[10000];

	(void)state;
	memset(k, 'q', sizeof(k));
	assert_int_equal(derive("pfx", k, sizeof(k)), MC_OK);
	assert_int_equal(_hashed, 1);
	assert_int_equal(_olen, MC_KEY_HASH_LEN);
}

static void test_hashed_key_is_lowercase_hex(void **state)
{
	char k[300];
	size_t i;

	(void)state;
	memset(k, 'a', sizeof(k));
	assert_int_equal(derive(NULL, k, sizeof(k)), MC_OK);
	assert_hashed_to("4e5475d125a33c6190718e75adc1b704");
	for(i = 0; i < _olen; i++)
		assert_true((_out[i] >= '0' && _out[i] <= '9') ||
					(_out[i] >= 'a' && _out[i] <= 'f'));
}

/* ---- key=>expiry ---- */

static size_t _klen;
static int _has;
static unsigned int _exp;

static mc_status_t split(const char *s)
{
	_klen = 12345;
	_has = -1;
	_exp = 777;
	return mc_key_expiry_split(s, strlen(s), &_klen, &_has, &_exp);
}

static void test_split_without_arrow_is_all_key(void **state)
{
	(void)state;
	assert_int_equal(split("abc"), MC_OK);
	assert_int_equal(_klen, 3);
	assert_int_equal(_has, 0);
	assert_int_equal(_exp, 777);
}

static void test_split_key_and_expiry(void **state)
{
	(void)state;
	assert_int_equal(split("abc=>60"), MC_OK);
	assert_int_equal(_klen, 3);
	assert_int_equal(_has, 1);
	assert_int_equal(_exp, 60);
}

static void test_split_arrow_with_nothing_after_has_no_expiry(void **state)
{
	(void)state;
	assert_int_equal(split("a=>"), MC_OK);
	assert_int_equal(_klen, 1);
	assert_int_equal(_has, 0);
	assert_int_equal(_exp, 777);
}

static void test_split_non_numeric_expiry_is_bad_input(void **state)
{
	(void)state;
	assert_int_equal(split("a=>abc"), MC_BAD_INPUT);
	assert_int_equal(split("a=>-5"), MC_BAD_INPUT);
	assert_int_equal(split("a=>5x"), MC_BAD_INPUT);
	assert_int_equal(split("a=> "), MC_BAD_INPUT);
	assert_int_equal(split("a=>4294967296"), MC_BAD_INPUT);
}

static void test_split_first_arrow_wins_and_lone_equals_stays_in_key(
		void **state)
{
	(void)state;
	assert_int_equal(split("a=b=>5"), MC_OK);
	assert_int_equal(_klen, 3);
	assert_int_equal(_has, 1);
	assert_int_equal(_exp, 5);
	assert_int_equal(split("a=>5=>6"), MC_BAD_INPUT);
}

static void test_split_empty_key_with_expiry(void **state)
{
	(void)state;
	assert_int_equal(split("=>5"), MC_OK);
	assert_int_equal(_klen, 0);
	assert_int_equal(_has, 1);
	assert_int_equal(_exp, 5);
}

static void test_split_expiry_bounds_and_whitespace(void **state)
{
	(void)state;
	assert_int_equal(split("k=> 0 "), MC_OK);
	assert_int_equal(_has, 1);
	assert_int_equal(_exp, 0);
	assert_int_equal(split("k=>4294967295"), MC_OK);
	assert_int_equal(_exp, 4294967295u);
	assert_int_equal(split("k=>2592001"), MC_OK);
	assert_int_equal(_exp, 2592001);
}

static void test_split_of_empty_string(void **state)
{
	(void)state;
	assert_int_equal(split(""), MC_OK);
	assert_int_equal(_klen, 0);
	assert_int_equal(_has, 0);
}

#define ARROW(lit) mc_key_name_arrow(lit, sizeof(lit) - 1)

/* regression: the PV name splits only at a "=>" the config
 * writes, outside any pseudo-variable's parentheses */
static void test_name_arrow_only_outside_parentheses(void **state)
{
	(void)state;
	assert_int_equal(ARROW("k"), 1);
	assert_int_equal(ARROW("k=>60"), 1);
	assert_int_equal(ARROW("k:$hdr(X)"), 9);
	assert_int_equal(ARROW("k:$hdr(X)=>$var(t)"), 9);
	assert_int_equal(ARROW("$var(k)=>$var(ttl)"), 7);
	assert_int_equal(ARROW("$(hdr(a=>b){s.len})"), 19);
	assert_int_equal(ARROW("$(hdr(a=>b){s.len})=>5"), 19);
	assert_int_equal(ARROW("k=>"), 1);
	assert_int_equal(mc_key_name_arrow(NULL, 0), 0);
}

static void test_expiry_parse_empty_is_none_text_is_bad(void **state)
{
	int has = -1;
	unsigned int exp = 7;

	(void)state;
	assert_int_equal(mc_key_expiry_parse("", 0, &has, &exp), MC_OK);
	assert_int_equal(has, 0);
	assert_int_equal(exp, 7);
	assert_int_equal(mc_key_expiry_parse(" 60 ", 4, &has, &exp), MC_OK);
	assert_int_equal(has, 1);
	assert_int_equal(exp, 60);
	assert_int_equal(mc_key_expiry_parse("abc", 3, &has, &exp), MC_BAD_INPUT);
	assert_int_equal(mc_key_expiry_parse("-5", 2, &has, &exp), MC_BAD_INPUT);
	assert_int_equal(
			mc_key_expiry_parse("4294967296", 10, &has, &exp), MC_BAD_INPUT);
}

/* ---- the log form of a key ---- */

static const char *logfmt(const char *key, size_t klen)
{
	static char buf[MC_KEY_LOG_MAX];

	memset(buf, 'x', sizeof(buf));
	return mc_key_format_for_log(buf, sizeof(buf), key, klen);
}

static void test_log_key_printable_as_is(void **state)
{
	(void)state;
	assert_string_equal(logfmt("user:42 a=b", 11), "user:42 a=b");
	assert_string_equal(logfmt("", 0), "");
	assert_string_equal(logfmt(NULL, 5), "<null>");
}

/* regression: a key from a SIP header could forge a log line */
static void test_log_key_escapes_control_bytes_quote_and_backslash(void **state)
{
	static const char evil[] = "\r\nFORGED\x1b[31m'\\\x7f\x80\xff\0z";

	(void)state;
	assert_string_equal(logfmt(evil, sizeof(evil) - 1),
			"\\x0d\\x0aFORGED\\x1b[31m\\x27\\x5c\\x7f\\x80\\xff\\x00z");
}

static void test_log_key_elided_after_the_maximum_with_its_length(void **state)
{
	char key[300], want[MC_KEY_LOG_MAX];

	(void)state;
	memset(key, 'k', sizeof(key));
	memset(want, 'k', MC_KEY_LOG_SHOW);
	strcpy(want + MC_KEY_LOG_SHOW, "... (300 bytes)");
	assert_string_equal(logfmt(key, sizeof(key)), want);
	/* exactly the maximum: whole, no ellipsis */
	want[MC_KEY_LOG_SHOW] = '\0';
	assert_string_equal(logfmt(key, MC_KEY_LOG_SHOW), want);
}

static void test_log_key_worst_case_fits_and_small_buffer_is_cut(void **state)
{
	char key[MC_KEY_LOG_SHOW + 1000], small[8];
	const char *s;

	(void)state;
	memset(key, '\x01', sizeof(key));
	s = logfmt(key, sizeof(key));
	assert_int_equal(strlen(s), MC_KEY_LOG_SHOW * 4 + strlen("... (1064 bytes)"));
	assert_true(strlen(s) < MC_KEY_LOG_MAX);
	/* a short buffer: whole escapes only, always terminated */
	memset(small, 'x', sizeof(small));
	mc_key_format_for_log(small, sizeof(small), key, 3);
	assert_string_equal(small, "\\x01");
	memset(small, 'x', sizeof(small));
	mc_key_format_for_log(small, 1, "abc", 3);
	assert_string_equal(small, "");
	assert_null(mc_key_format_for_log(NULL, 0, "abc", 3));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
			cmocka_unit_test(test_plain_key_goes_as_is),
			cmocka_unit_test(test_name_arrow_only_outside_parentheses),
			cmocka_unit_test(test_expiry_parse_empty_is_none_text_is_bad),
			cmocka_unit_test(test_utf8_key_goes_as_is_like_shipped_module),
			cmocka_unit_test(test_empty_key_is_bad_input),
			cmocka_unit_test(test_249_byte_key_goes_as_is),
			cmocka_unit_test(test_250_byte_key_is_hashed),
			cmocka_unit_test(test_251_byte_key_is_hashed),
			cmocka_unit_test(test_long_key_vector_matches_shipped_module),
			cmocka_unit_test(test_long_key_trims_only_leading_space_and_tab),
			cmocka_unit_test(test_long_key_of_blanks_hashes_the_empty_string),
			cmocka_unit_test(test_key_with_space_is_hashed_untrimmed),
			cmocka_unit_test(test_key_with_crlf_injection_is_hashed),
			cmocka_unit_test(test_key_with_control_char_is_hashed),
			cmocka_unit_test(test_key_with_del_is_hashed),
			cmocka_unit_test(test_key_with_nul_byte_is_hashed),
			cmocka_unit_test(test_prefix_is_prepended),
			cmocka_unit_test(test_prefix_counts_in_length),
			cmocka_unit_test(test_prefix_with_space_makes_keys_hashed),
			cmocka_unit_test(test_very_long_prefixed_key_is_hashed),
			cmocka_unit_test(test_hashed_key_is_lowercase_hex),
			cmocka_unit_test(test_split_without_arrow_is_all_key),
			cmocka_unit_test(test_split_key_and_expiry),
			cmocka_unit_test(test_split_arrow_with_nothing_after_has_no_expiry),
			cmocka_unit_test(test_split_non_numeric_expiry_is_bad_input),
			cmocka_unit_test(
					test_split_first_arrow_wins_and_lone_equals_stays_in_key),
			cmocka_unit_test(test_split_empty_key_with_expiry),
			cmocka_unit_test(test_split_expiry_bounds_and_whitespace),
			cmocka_unit_test(test_split_of_empty_string),
			cmocka_unit_test(test_log_key_printable_as_is),
			cmocka_unit_test(
					test_log_key_escapes_control_bytes_quote_and_backslash),
			cmocka_unit_test(
					test_log_key_elided_after_the_maximum_with_its_length),
			cmocka_unit_test(
					test_log_key_worst_case_fits_and_small_buffer_is_cut),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
