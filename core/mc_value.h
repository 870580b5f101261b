/*
 * Value helpers used inside core (pure). The public ones (mc_value_is_string,
 * mc_value_to_u64) are declared in mc_client.h.
 */
#ifndef MC_VALUE_H
#define MC_VALUE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Length of an integer-flagged value without the trailing spaces memcached
 * leaves after a decr that shrinks the number ("10" - 1 stores "9 ").
 */
size_t mc_value_int_len(const char *data, size_t len);

#endif
