/*
 * Value typing, compatible with Kamailio's shipped memcached module: flag
 * bit 0 set means string, clear means integer. Pure.
 */
#include "mc_client.h"
#include "mc_value.h"

int mc_value_is_string(const mc_value_t *v)
{
	return v != NULL && (v->flags & MC_FLAG_STRING) != 0;
}

static int _blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

mc_status_t mc_value_to_u64(const char *data, size_t len, uint64_t *out)
{
	size_t b = 0, e = len, i;
	uint64_t v = 0, d;

	if(data == NULL)
		return MC_BAD_INPUT;
	while(b < e && _blank(data[b]))
		b++;
	while(e > b && _blank(data[e - 1]))
		e--;
	if(b == e)
		return MC_BAD_INPUT;
	for(i = b; i < e; i++) {
		if(data[i] < '0' || data[i] > '9')
			return MC_BAD_INPUT;
		d = (uint64_t)(data[i] - '0');
		if(v > (UINT64_MAX - d) / 10)
			return MC_BAD_INPUT;
		v = v * 10 + d;
	}
	*out = v;
	return MC_OK;
}

size_t mc_value_int_len(const char *data, size_t len)
{
	while(len > 0 && data[len - 1] == ' ')
		len--;
	return len;
}
