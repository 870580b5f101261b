/*
 * Value helpers used inside core (pure). The public ones (mc_value_is_string,
 * mc_value_to_u64, mc_value_int) are declared in mc_client.h.
 */
#ifndef MC_VALUE_H
#define MC_VALUE_H

#include <stddef.h>
#include <stdint.h>

/*
 * Length of a value without the spaces memcached leaves after a decr that
 * shrinks the number ("10" - 1 stores "9 "): when the value is canonical
 * unsigned digits ("0", or no leading zero) followed by one or more spaces,
 * the digits' length; otherwise len, unchanged ("hello  ", "  ", "007 ",
 * " 7" keep every byte). Whatever the flags: decr does not look at them.
 */
size_t mc_value_unpad(const char *data, size_t len);

#endif
