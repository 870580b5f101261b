/*
 * libFuzzer target over core's pure functions: key derivation, key=>expiry
 * splitting, server list parsing, the decimal parser and the log form of a
 * key. Besides the sanitizers, it checks the functions' promises and aborts
 * when one is broken.
 *
 * Input: byte 0 picks the function (modulo 5, in the order of the switch);
 * for mc_key_derive byte 1 is the prefix length (taken from the rest).
 */
#define _GNU_SOURCE
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mc_config.h"
#include "mc_decimal.h"
#include "mc_key.h"

static int _unsafe(unsigned char c)
{
	return c <= 0x20 || c == 0x7f;
}

static void _derive(const uint8_t *d, size_t n)
{
	char out[MC_KEY_MAX];
	size_t plen, klen, olen = 999, i;
	const char *prefix, *key;
	int hashed = -1, unsafe = 0;
	mc_status_t st;

	if(n < 1)
		return;
	plen = d[0];
	d++;
	n--;
	if(plen > n)
		plen = n;
	prefix = (const char *)d;
	key = (const char *)d + plen;
	klen = n - plen;
	st = mc_key_derive(
			plen ? prefix : NULL, plen, key, klen, out, &olen, &hashed);
	if(klen == 0) {
		if(st != MC_BAD_INPUT)
			abort();
		return;
	}
	if(st != MC_OK)
		abort();
	for(i = 0; i < n; i++)
		unsafe |= _unsafe(d[i]);
	if(hashed) {
		if(olen != MC_KEY_HASH_LEN)
			abort();
		for(i = 0; i < olen; i++)
			if(!((out[i] >= '0' && out[i] <= '9') ||
					   (out[i] >= 'a' && out[i] <= 'f')))
				abort();
		if(n < MC_KEY_MAX && !unsafe)
			abort();
	} else {
		/* as-is: exactly prefix + key, short and safe on the wire */
		if(olen != n || olen >= MC_KEY_MAX || unsafe || memcmp(out, d, n) != 0)
			abort();
	}
}

static void _split(const uint8_t *d, size_t n)
{
	size_t keylen = 12345;
	int has = -1;
	unsigned int exp = 4242;
	mc_status_t st;

	st = mc_key_expiry_split((const char *)d, n, &keylen, &has, &exp);
	if(st != MC_OK && st != MC_BAD_INPUT)
		abort();
	if(st == MC_OK) {
		if(keylen > n || (has != 0 && has != 1))
			abort();
		if(keylen < n && (keylen + 2 > n || memcmp(d + keylen, "=>", 2)))
			abort();
		if(!has && exp != 4242)
			abort();
	}
	/* the key never contains the separator */
	if(st == MC_OK && keylen >= 2 && memmem(d, keylen, "=>", 2) != NULL)
		abort();
}

static void _servers(const uint8_t *d, size_t n)
{
	mc_server_addr_t a[4];
	char spec[2048], err[96];
	size_t cnt = 99, i;
	mc_status_t st;

	if(n >= sizeof(spec))
		n = sizeof(spec) - 1;
	memcpy(spec, d, n);
	spec[n] = '\0';
	memset(err, 'x', sizeof(err));
	st = mc_servers_parse(spec, a, 4, &cnt, err, sizeof(err));
	if(memchr(err, '\0', sizeof(err)) == NULL)
		abort();
	if(st == MC_OK) {
		if(cnt < 1 || cnt > 4)
			abort();
		for(i = 0; i < cnt; i++) {
			/* a unix socket path has port 0, and no control bytes */
			if(a[i].host[0] == '/' ? a[i].port != 0
								   : a[i].port < 1 || a[i].port > 65535)
				abort();
			if(a[i].host[0] == '/' && strpbrk(a[i].host, "\001\n\r\t"))
				abort();
			if(memchr(a[i].host, '\0', sizeof(a[i].host)) == NULL ||
					a[i].host[0] == '\0')
				abort();
		}
	} else if(st != MC_BAD_INPUT || cnt != 0 || err[0] == '\0') {
		abort();
	}
}

/* A number read is what printing it gives back, give or take leading zeros
 * (u64) or nothing at all (canonical i64); within the limits asked. */
static void _decimal(const uint8_t *d, size_t n)
{
	const char *s = (const char *)d;
	char buf[32];
	uint64_t u = 4242, u2 = 4242, max = n ? d[0] * 1000003ull : UINT64_MAX;
	int64_t i = 4242, i2 = 4242;
	size_t z = 0;

	if(mc_decimal_u64(s, n, UINT64_MAX, &u)) {
		while(z + 1 < n && s[z] == '0')
			z++;
		snprintf(buf, sizeof(buf), "%" PRIu64, u);
		if(strlen(buf) != n - z || memcmp(buf, s + z, n - z) != 0)
			abort();
		if(mc_decimal_u64(s, n, max, &u2) != (u <= max))
			abort();
	}
	if(mc_decimal_i64_canonical(s, n, INT64_MIN, INT64_MAX, &i)) {
		snprintf(buf, sizeof(buf), "%" PRId64, i);
		if(strlen(buf) != n || memcmp(buf, s, n) != 0)
			abort();
		if(!mc_decimal_i64_canonical(s, n, i, i, &i2) || i2 != i)
			abort();
		if(i < INT64_MAX &&
				mc_decimal_i64_canonical(s, n, i + 1, INT64_MAX, &i2))
			abort();
	}
}

/* The log form of a key: terminated, printable, no quote or backslash but
 * in an escape, and the key's bytes are all there up to the maximum. */
static void _logkey(const uint8_t *d, size_t n)
{
	char out[MC_KEY_LOG_MAX + 8];
	size_t i, len, o = 0, k = 0;

	memset(out, 'x', sizeof(out));
	mc_key_format_for_log(out, MC_KEY_LOG_MAX, (const char *)d, n);
	if(memchr(out, '\0', MC_KEY_LOG_MAX) == NULL || out[MC_KEY_LOG_MAX] != 'x')
		abort();
	len = strlen(out);
	for(i = 0; i < len; i++)
		if((unsigned char)out[i] < 0x20 || (unsigned char)out[i] >= 0x7f ||
				out[i] == '\'')
			abort();
	/* decode: every shown byte in order */
	while(o < len && k < n && k < MC_KEY_LOG_SHOW) {
		unsigned int b;

		if(out[o] == '\\') {
			if(o + 4 > len || out[o + 1] != 'x' ||
					sscanf(out + o + 2, "%2x", &b) != 1)
				abort();
			o += 4;
		} else {
			b = (unsigned char)out[o++];
		}
		if(b != d[k++])
			abort();
	}
	if(k != (n < MC_KEY_LOG_SHOW ? n : MC_KEY_LOG_SHOW))
		abort();
	if((n > MC_KEY_LOG_SHOW) != (strstr(out + o, "... (") == out + o))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if(size < 1)
		return 0;
	switch(data[0] % 5) {
	case 0:
		_derive(data + 1, size - 1);
		break;
	case 1:
		_split(data + 1, size - 1);
		break;
	case 2:
		_servers(data + 1, size - 1);
		break;
	case 3:
		_decimal(data + 1, size - 1);
		break;
	default:
		_logkey(data + 1, size - 1);
		break;
	}
	return 0;
}
