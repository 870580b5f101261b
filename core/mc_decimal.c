/*
 * Decimal numbers. Pure: no I/O, no allocation. Overflow is checked before
 * each step (v * 10 + d > max), never after the fact.
 */
#include "mc_decimal.h"

static int mc_decimal_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int mc_decimal_u64(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0, d;
	size_t i;

	if(s == NULL || len == 0)
		return 0;
	for(i = 0; i < len; i++) {
		if(s[i] < '0' || s[i] > '9')
			return 0;
		d = (uint64_t)(s[i] - '0');
		if(d > max || v > (max - d) / 10) /* v * 10 + d > max */
			return 0;
		v = v * 10 + d;
	}
	*out = v;
	return 1;
}

int mc_decimal_u64_trim(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	size_t b = 0, e = len;

	if(s == NULL)
		return 0;
	while(b < e && mc_decimal_blank(s[b]))
		b++;
	while(e > b && mc_decimal_blank(s[e - 1]))
		e--;
	return mc_decimal_u64(s + b, e - b, max, out);
}

int mc_decimal_is_canonical(const char *s, size_t len)
{
	size_t i;

	if(s == NULL || len == 0 || (s[0] == '0' && len > 1))
		return 0;
	for(i = 0; i < len; i++)
		if(s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int mc_decimal_i64_canonical(
		const char *s, size_t len, int64_t min, int64_t max, int64_t *out)
{
	uint64_t mag = 0, lim;
	int64_t v;
	int neg;

	if(s == NULL || len == 0)
		return 0;
	neg = s[0] == '-';
	if(neg) {
		s++;
		len--;
		/* "-0" is not the canonical form of 0 */
		if(len == 1 && s[0] == '0')
			return 0;
	}
	if(!mc_decimal_is_canonical(s, len))
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
	if(!mc_decimal_u64(s, len, lim, &mag))
		return 0;
	if(neg)
		v = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
	else
		v = (int64_t)mag;
	/* the other end, for a range that does not contain 0 */
	if(v < min || v > max)
		return 0;
	*out = v;
	return 1;
}
