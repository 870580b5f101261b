/*
 * libFuzzer target over core's pure functions: key derivation, key=>expiry
 * splitting and server list parsing. Besides the sanitizers, it checks the
 * functions' promises and aborts when one is broken.
 *
 * Input: byte 0 picks the function; for mc_key_derive byte 1 is the prefix
 * length (taken from the rest).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mc_config.h"
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if(size < 1)
		return 0;
	switch(data[0] % 3) {
	case 0:
		_derive(data + 1, size - 1);
		break;
	case 1:
		_split(data + 1, size - 1);
		break;
	default:
		_servers(data + 1, size - 1);
		break;
	}
	return 0;
}
