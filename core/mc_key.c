/*
 * Key derivation, "key=>expiry" splitting and the log form of a key. Pure:
 * no I/O; the only allocation is a scratch copy for prefixed keys longer
 * than MC_KEY_SCRATCH, freed before returning.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libhashkit-1.0/hashkit.h>

#include "mc_decimal.h"
#include "mc_key.h"

/* prefix + key up to this size is assembled on the stack for hashing */
#define MC_KEY_SCRATCH 4096

static const char mcc_key_hex[16] = {'0', '1', '2', '3', '4', '5', '6', '7', '8', '9',
		'a', 'b', 'c', 'd', 'e', 'f'};

/* bytes the text protocol cannot carry inside a key */
static int mcc_key_byte_unsafe(unsigned char c)
{
	return c <= 0x20 || c == 0x7f;
}

static void mcc_key_md5_hex(const char *s, size_t len, char *out)
{
	unsigned char digest[16];
	size_t i;

	libhashkit_md5_signature((const unsigned char *)s, len, digest);
	for(i = 0; i < 16; i++) {
		out[2 * i] = mcc_key_hex[digest[i] >> 4];
		out[2 * i + 1] = mcc_key_hex[digest[i] & 0x0f];
	}
}

/*
 * Kamailio's trim_len (core/ut.h), which MD5StringArray applies: trailing
 * NUL, CR, LF, space, tab; leading space and tab only.
 */
static void mcc_key_trim_like_kamailio(const char **s, size_t *len)
{
	const char *p = *s;
	size_t n = *len;
	char c;

	while(n > 0) {
		c = p[n - 1];
		if(c != '\0' && c != '\r' && c != '\n' && c != ' ' && c != '\t')
			break;
		n--;
	}
	while(n > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		n--;
	}
	*s = p;
	*len = n;
}

mc_status_t mc_key_derive(const char *prefix, size_t plen, const char *key,
		size_t klen, char *out, size_t *outlen, int *hashed)
{
	char scratch[MC_KEY_SCRATCH];
	char *heap = NULL;
	const char *full = NULL;
	const char *h = NULL;
	size_t total, hlen, i;
	int unsafe = 0;

	if(hashed)
		*hashed = 0;
	*outlen = 0;
	if(key == NULL || klen == 0)
		return MC_BAD_INPUT;
	if(prefix == NULL)
		plen = 0;
	total = plen + klen;

	for(i = 0; i < plen && !unsafe; i++)
		unsafe = mcc_key_byte_unsafe((unsigned char)prefix[i]);
	for(i = 0; i < klen && !unsafe; i++)
		unsafe = mcc_key_byte_unsafe((unsigned char)key[i]);

	if(total < MC_KEY_MAX && !unsafe) {
		if(plen)
			memcpy(out, prefix, plen);
		memcpy(out + plen, key, klen);
		*outlen = total;
		return MC_OK;
	}

	/* the hash covers prefix + key as one string */
	if(plen == 0) {
		full = key;
	} else if(total <= sizeof(scratch)) {
		memcpy(scratch, prefix, plen);
		memcpy(scratch + plen, key, klen);
		full = scratch;
	} else {
		heap = malloc(total);
		if(heap == NULL)
			return MC_NO_MEMORY;
		memcpy(heap, prefix, plen);
		memcpy(heap + plen, key, klen);
		full = heap;
	}

	h = full;
	hlen = total;
	/* long keys: exactly what the shipped module's MD5StringArray sends */
	if(total >= MC_KEY_MAX)
		mcc_key_trim_like_kamailio(&h, &hlen);
	mcc_key_md5_hex(h, hlen, out);
	free(heap);
	*outlen = MC_KEY_HASH_LEN;
	if(hashed)
		*hashed = 1;
	return MC_OK;
}

mc_status_t mc_key_expiry_parse(
		const char *s, size_t len, int *has_expiry, unsigned int *expiry)
{
	uint64_t v = 0;

	*has_expiry = 0;
	if(len == 0)
		return MC_OK;
	if(!mc_decimal_u64_trim(s, len, UINT32_MAX, &v))
		return MC_BAD_INPUT;
	*has_expiry = 1;
	*expiry = (unsigned int)v;
	return MC_OK;
}

mc_status_t mc_key_expiry_split(const char *s, size_t len, size_t *keylen,
		int *has_expiry, unsigned int *expiry)
{
	size_t i, pos = len;

	*has_expiry = 0;
	*keylen = 0;
	if(s == NULL)
		return len ? MC_BAD_INPUT : MC_OK;

	for(i = 0; i + 1 < len; i++) {
		if(s[i] == '=' && s[i + 1] == '>') {
			pos = i;
			break;
		}
	}
	*keylen = pos;
	if(pos == len)
		return MC_OK;
	return mc_key_expiry_parse(s + pos + 2, len - pos - 2, has_expiry, expiry);
}

size_t mc_key_name_arrow(const char *s, size_t len)
{
	size_t i;
	int depth = 0;

	for(i = 0; s != NULL && i + 1 < len; i++) {
		if(s[i] == '(')
			depth++;
		else if(s[i] == ')' && depth > 0)
			depth--;
		else if(depth == 0 && s[i] == '=' && s[i + 1] == '>')
			return i;
	}
	return len;
}

const char *mc_key_format_for_log(
		char *dst, size_t dstlen, const char *key, size_t klen)
{
	size_t i, o = 0, show = klen > MC_KEY_LOG_SHOW ? MC_KEY_LOG_SHOW : klen;
	unsigned char ch;

	if(dst == NULL || dstlen == 0)
		return dst;
	if(key == NULL) {
		snprintf(dst, dstlen, "<null>");
		return dst;
	}
	/* o + 4 < dstlen: room for an escape and the NUL */
	for(i = 0; i < show && o + 4 < dstlen; i++) {
		ch = (unsigned char)key[i];
		if(ch >= 0x20 && ch < 0x7f && ch != '\'' && ch != '\\') {
			dst[o++] = (char)ch;
		} else {
			dst[o++] = '\\';
			dst[o++] = 'x';
			dst[o++] = mcc_key_hex[ch >> 4];
			dst[o++] = mcc_key_hex[ch & 0x0f];
		}
	}
	dst[o] = '\0';
	if(show < klen)
		snprintf(dst + o, dstlen - o, "... (%zu bytes)", klen);
	return dst;
}
