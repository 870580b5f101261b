/*
 * Value typing, compatible with Kamailio's shipped memcached module: flag
 * bit 0 set means string, clear means integer. Pure.
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

size_t mc_value_int_len(const char *data, size_t len)
{
	while(len > 0 && data[len - 1] == ' ')
		len--;
	return len;
}
