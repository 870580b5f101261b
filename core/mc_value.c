/*
 * Value typing. Pure. The rule (doc section 8.4): a value is a number only
 * when its bytes are the canonical decimal of that number and it fits the
 * caller's integer; memcached's padding after a shrinking decr is the one
 * thing removed; everything else comes back byte for byte.
 */
#include "mc_client.h"
#include "mc_config.h"
#include "mc_value.h"

int mc_value_is_string(const mc_value_t *v)
{
	return v != NULL && (v->flags & MC_FLAG_STRING) != 0;
}

mc_status_t mc_value_to_u64(const char *data, size_t len, uint64_t *out)
{
	return mc_parse_u64(data, len, UINT64_MAX, out);
}

/* 1 when data[0..len) is "0" or a digit 1-9 followed by digits. */
static int mc_value_canonical_digits(const char *data, size_t len)
{
	size_t i;

	if(len == 0 || (data[0] == '0' && len > 1))
		return 0;
	for(i = 0; i < len; i++)
		if(data[i] < '0' || data[i] > '9')
			return 0;
	return 1;
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
	if(n == len || !mc_value_canonical_digits(data, n))
		return len;
	return n;
}

int mc_value_int(const char *data, size_t len, int64_t min, int64_t max,
		int64_t *out)
{
	uint64_t mag = 0, lim, d;
	size_t i = 0;
	int neg = 0;

	if(data == NULL || len == 0)
		return 0;
	if(data[0] == '-') {
		neg = 1;
		i = 1;
		/* "-0" is not the canonical form of 0 */
		if(len == 2 && data[1] == '0')
			return 0;
	}
	if(!mc_value_canonical_digits(data + i, len - i))
		return 0;
	/* magnitude limit: max, or -min (computed without overflow) */
	if(neg) {
		if(min >= 0)
			return 0;
		lim = (uint64_t)(-(min + 1)) + 1;
	} else {
		if(max < 0)
			return 0;
		lim = (uint64_t)max;
	}
	for(; i < len; i++) {
		d = (uint64_t)(data[i] - '0');
		if(d > lim || mag > (lim - d) / 10)
			return 0;
		mag = mag * 10 + d;
	}
	if(neg)
		*out = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
	else
		*out = (int64_t)mag;
	return 1;
}
