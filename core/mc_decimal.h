/*
 * Decimal numbers: the one parser of the module (counter values, "=>expiry",
 * ports, a value's canonical decimal). Pure: no I/O, no allocation, depends
 * on nothing but libc's integer types, so any part of core may use it.
 */
#ifndef MC_DECIMAL_H
#define MC_DECIMAL_H

#include <stddef.h>
#include <stdint.h>

/*
 * s/len is one or more decimal digits and nothing else (no sign, no blank,
 * no NUL; leading zeros allowed: "007" is 7) whose value is at most max.
 * Returns 1 and *out, or 0 (*out untouched); s may be NULL with len 0.
 */
int mc_decimal_u64(const char *s, size_t len, uint64_t max, uint64_t *out);

/*
 * mc_decimal_u64 with blanks (space, tab, CR, LF) around the digits skipped:
 * " 42\r\n" is 42; blank only, or a blank between digits, is not a number.
 */
int mc_decimal_u64_trim(const char *s, size_t len, uint64_t max, uint64_t *out);

/*
 * 1 when s/len is the canonical decimal of an unsigned number: "0", or a
 * digit 1-9 followed by digits ("007", "", "+7", " 7" are not).
 */
int mc_decimal_is_canonical(const char *s, size_t len);

/*
 * s/len is exactly the canonical decimal of an integer within [min, max]:
 * an optional '-' then canonical digits, "-0" excluded (so printing the
 * number gives back the same bytes). Returns 1 and *out, or 0 (*out
 * untouched). min and max may be anything, INT64_MIN..INT64_MAX included.
 */
int mc_decimal_i64_canonical(
		const char *s, size_t len, int64_t min, int64_t max, int64_t *out);

#endif
