/*
 * Value typing. Pure. The rule (doc section 8.4): a value is a number only
 * when its bytes are the canonical decimal of that number and it fits the
 * caller's integer; memcached's padding after a shrinking decr is the one
 * thing removed; everything else comes back byte for byte.
 */
#include "mc_client.h"
#include "mc_decimal.h"
#include "mc_value.h"

int mc_value_is_string(const mc_value_t *v)
{
	return v != NULL && (v->flags & MC_FLAG_STRING) != 0;
}

mc_status_t mc_value_to_u64(const char *data, size_t len, uint64_t *out)
{
	return mc_decimal_u64_trim(data, len, UINT64_MAX, out) ? MC_OK
														  : MC_BAD_INPUT;
}

size_t mc_value_unpad(const char *data, size_t len)
{
	size_t n = len;

	if(data == NULL)
		return len;
	while(n > 0 && data[n - 1] == ' ')
		n--;
	/*
	 * memcached rewrites a decremented number in place, "%llu" then spaces
	 * up to the old length ("10" - 1 is "9 "): canonical digits and at least
	 * one trailing space. Nothing else is touched ("hello ", " ", "007 ").
	 */
	if(n == len || !mc_decimal_is_canonical(data, n))
		return len;
	return n;
}

int mc_value_int(
		const char *data, size_t len, int64_t min, int64_t max, int64_t *out)
{
	return mc_decimal_i64_canonical(data, len, min, max, out);
}
