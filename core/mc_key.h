/*
 * Key derivation: the one place that decides what goes on the wire for a key.
 * Pure functions, no I/O. No allocation either, except a scratch copy for
 * hashing a prefixed key longer than 4 KiB, freed before returning.
 *
 * The wire key is prefix + key, sent as-is when Kamailio's shipped memcached
 * module would send it as-is (so both modules share data). It is replaced by
 * the lowercase hex MD5 (32 chars) when:
 *  - it is MC_KEY_MAX (250) bytes or longer: MD5 of the key with leading and
 *    trailing whitespace trimmed, byte-for-byte what the shipped module sends
 *    (its MD5StringArray trims before hashing);
 *  - it contains a space, a control character (< 0x20) or DEL (0x7f): MD5 of
 *    the untrimmed key. The shipped module sends those raw and desynchronises
 *    the text protocol.
 */
#ifndef MC_KEY_H
#define MC_KEY_H

#include <stddef.h>

#include "mc_status.h"

#define MC_KEY_MAX 250     /* memcached's KEY_MAX_LENGTH */
#define MC_KEY_HASH_LEN 32 /* hex MD5 */

/*
 * Derives the wire key of prefix + key into out (at least MC_KEY_MAX bytes,
 * not NUL-terminated), its length into *outlen, and whether it was hashed into
 * *hashed (may be NULL). prefix may be NULL with plen 0.
 * Returns MC_OK, MC_BAD_INPUT for an empty key (klen 0 or key NULL), or
 * MC_NO_MEMORY if that scratch copy cannot be allocated.
 */
mc_status_t mc_key_derive(const char *prefix, size_t plen, const char *key,
		size_t klen, char *out, size_t *outlen, int *hashed);

/*
 * Splits "key=>expiry" as the $mct/$mcinc/$mcdec/$mctex PVs name it.
 * The key is everything before the first "=>"; *keylen receives its length.
 * When "=>" is absent, or nothing follows it, *has_expiry is 0 and *expiry is
 * left untouched. Otherwise the rest must be a decimal number of seconds
 * (0 to 4294967295, surrounding whitespace allowed): *has_expiry becomes 1.
 * Returns MC_OK, or MC_BAD_INPUT when the expiry is not such a number (the
 * shipped module silently read it as 0 with atoi).
 */
mc_status_t mc_key_expiry_split(const char *s, size_t len, size_t *keylen,
		int *has_expiry, unsigned int *expiry);

/*
 * The expiry text after "=>": empty means none (*has_expiry 0, *expiry
 * untouched); otherwise a decimal number of seconds, 0 to 4294967295,
 * surrounding whitespace allowed (*has_expiry 1). MC_OK or MC_BAD_INPUT.
 */
mc_status_t mc_key_expiry_parse(
		const char *s, size_t len, int *has_expiry, unsigned int *expiry);

/*
 * Where a PV name as written in the config ("key=>expiry", each part text
 * and pseudo-variables) splits: the offset of the first "=>" outside any
 * parentheses ("$mct($var(k)=>60)" splits, "$hdr(a=>b)" inside it does
 * not), or len when there is none. Applied to the config's text when it is
 * parsed, never to printed values: a "=>" that comes from a SIP message is
 * part of the key.
 */
size_t mc_key_name_arrow(const char *s, size_t len);

/* Key bytes a log line shows; a longer key is elided after them. */
#define MC_KEY_LOG_SHOW 64
/* Room for the longest mc_key_format_for_log output, NUL included. */
#define MC_KEY_LOG_MAX (MC_KEY_LOG_SHOW * 4 + 32)

/*
 * Writes key/klen for a log line into dst (dstlen bytes; NUL-terminated
 * whenever dstlen > 0): printable ASCII as it is except ' and \, every
 * other byte as \xHH, so that a key cannot forge a log line, color a
 * terminal or end the quotes it is put in. At most MC_KEY_LOG_SHOW bytes of
 * the key; a longer one ends "... (N bytes)" with its full length. A NULL
 * key is "<null>". A dst shorter than MC_KEY_LOG_MAX cuts the text at a
 * whole escape. Returns dst, for use as a printf argument.
 */
const char *mc_key_format_for_log(
		char *dst, size_t dstlen, const char *key, size_t klen);

#endif
