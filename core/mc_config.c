/*
 * Parsing of the `servers` setting, and a server's name for messages. Pure:
 * no I/O, no allocation.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mc_config.h"
#include "mc_decimal.h"

/* how much of an offending item a message quotes */
#define MC_ITEM_QUOTE 64

static int mcc_cfg_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int mc_servers_is_libmemcached_config(const char *spec)
{
	if(spec == NULL)
		return 0;
	while(mcc_cfg_blank(*spec))
		spec++;
	return spec[0] == '-' && spec[1] == '-';
}

static void mcc_cfg_err(char *err, size_t errlen, const char *what, const char *v,
		size_t vlen, const char *item, size_t ilen, const char *expected)
{
	mc_errf(err, errlen, "servers: %s '%.*s%s' in item '%.*s%s' (expected %s)",
			what, (int)(vlen > MC_ITEM_QUOTE ? MC_ITEM_QUOTE : vlen), v,
			vlen > MC_ITEM_QUOTE ? "..." : "",
			(int)(ilen > MC_ITEM_QUOTE ? MC_ITEM_QUOTE : ilen), item,
			ilen > MC_ITEM_QUOTE ? "..." : "", expected);
}

static int mcc_cfg_alnum(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
		   (c >= 'A' && c <= 'Z');
}

/* An IPv6 address as inet_pton reads it, optionally with a "%zone". */
static int mcc_cfg_ipv6_ok(const char *h, size_t n)
{
	char buf[MC_HOST_MAX + 1];
	unsigned char addr[16];
	const char *pct = memchr(h, '%', n);
	size_t alen = pct ? (size_t)(pct - h) : n, i;

	if(alen == 0 || alen >= sizeof(buf))
		return 0;
	for(i = alen + 1; pct && i < n; i++)
		if(!mcc_cfg_alnum(h[i]) && h[i] != '.' && h[i] != '-' && h[i] != '_')
			return 0;
	if(pct && alen + 1 == n)
		return 0; /* "%" without a zone */
	memcpy(buf, h, alen);
	buf[alen] = '\0';
	return inet_pton(AF_INET6, buf, addr) == 1;
}

/*
 * A host name (labels of 1-63 letters, digits, '-' or '_', not starting or
 * ending with '-', separated by single dots) or, when it is only digits
 * and dots, an IPv4 address in dotted-quad form (so "999.1.1.1" is not
 * taken for a name).
 */
static int mcc_cfg_hostname_ok(const char *h, size_t n)
{
	char buf[16];
	unsigned char addr[4];
	size_t i, label = 0, digits_dots = 1;

	for(i = 0; i < n; i++) {
		if(h[i] != '.' && (h[i] < '0' || h[i] > '9'))
			digits_dots = 0;
		if(h[i] == '.') {
			if(label == 0 || h[i - 1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if(!mcc_cfg_alnum(h[i]) && h[i] != '-' && h[i] != '_')
			return 0;
		if(label == 0 && h[i] == '-')
			return 0;
		if(++label > 63)
			return 0;
	}
	if(label == 0 || h[n - 1] == '-')
		return 0;
	if(!digits_dots)
		return 1;
	if(n >= sizeof(buf))
		return 0;
	memcpy(buf, h, n);
	buf[n] = '\0';
	return inet_pton(AF_INET, buf, addr) == 1;
}

static int mcc_cfg_host_ok(const char *h, size_t n, int ipv6)
{
	if(n == 0 || n > MC_HOST_MAX)
		return 0;
	return ipv6 ? mcc_cfg_ipv6_ok(h, n) : mcc_cfg_hostname_ok(h, n);
}

/* 1..65535 in at most 5 decimal digits ("000080" is refused) */
static int mcc_cfg_port_ok(const char *p, size_t n, unsigned int *port)
{
	uint64_t v = 0;

	if(n > 5 || !mc_decimal_u64(p, n, 65535, &v) || v < 1)
		return 0;
	*port = (unsigned int)v;
	return 1;
}

static mc_status_t mcc_cfg_parse_item(const char *it, size_t n, mc_server_addr_t *out,
		char *err, size_t errlen)
{
	const char *host = it, *port = NULL, *colon = NULL, *rb = NULL;
	size_t hlen = n, plen = 0, i, ncolon = 0;
	int ipv6 = 0;

	if(it[0] == '/') {
		/* a unix socket path, taken as it is: port 0 */
		if(n > MC_UNIX_PATH_MAX) {
			mcc_cfg_err(err, errlen, "unix socket path too long", it, n, it, n,
					"an absolute path of at most 107 bytes");
			return MC_BAD_INPUT;
		}
		for(i = 0; i < n; i++) {
			if((unsigned char)it[i] < 0x20 || it[i] == 0x7f) {
				mcc_cfg_err(err, errlen, "control character in unix socket path", it,
						n, it, n, "an absolute path of printable bytes");
				return MC_BAD_INPUT;
			}
		}
		memcpy(out->host, it, n);
		out->host[n] = '\0';
		out->port = 0;
		return MC_OK;
	}
	if(it[0] == '[') {
		rb = memchr(it, ']', n);
		if(rb == NULL) {
			mcc_cfg_err(err, errlen, "missing ']' after IPv6 address", it, n, it, n,
					"[addr]:port");
			return MC_BAD_INPUT;
		}
		ipv6 = 1;
		host = it + 1;
		hlen = (size_t)(rb - host);
		if(rb + 1 < it + n) {
			if(rb[1] != ':') {
				mcc_cfg_err(err, errlen, "unexpected text after ']'", rb + 1,
						(size_t)(it + n - rb - 1), it, n, "[addr]:port");
				return MC_BAD_INPUT;
			}
			port = rb + 2;
			plen = (size_t)(it + n - port);
		}
	} else {
		for(i = 0; i < n; i++) {
			if(it[i] == ':') {
				ncolon++;
				if(colon == NULL)
					colon = it + i;
			}
		}
		if(ncolon > 1) {
			/* a bare IPv6 address: no port possible */
			ipv6 = 1;
		} else if(ncolon == 1) {
			hlen = (size_t)(colon - it);
			port = colon + 1;
			plen = (size_t)(it + n - port);
		}
	}

	if(!mcc_cfg_host_ok(host, hlen, ipv6)) {
		mcc_cfg_err(err, errlen, "bad host", host, hlen, it, n,
				rb	   ? "an IPv6 address"
				: ipv6 ? "an IPv6 address; with a port, write [addr]:port"
					   : "a host name or IPv4 address");
		return MC_BAD_INPUT;
	}
	out->port = MC_DEFAULT_PORT;
	if(port != NULL && !mcc_cfg_port_ok(port, plen, &out->port)) {
		mcc_cfg_err(err, errlen, "bad port", port, plen, it, n, "1-65535");
		return MC_BAD_INPUT;
	}
	memcpy(out->host, host, hlen);
	out->host[hlen] = '\0';
	return MC_OK;
}

/* 1 (and the message) when a is among the first n of out: the same server
 * twice would get twice its share of keys and hide a typo */
static int mcc_cfg_seen(const mc_server_addr_t *out, size_t n,
		const mc_server_addr_t *a, char *err, size_t errlen, const char *item,
		size_t ilen)
{
	size_t i;

	for(i = 0; i < n; i++) {
		if(out[i].port == a->port && strcasecmp(out[i].host, a->host) == 0) {
			mcc_cfg_err(err, errlen, "server given twice", item, ilen, item, ilen,
					"each server once");
			return 1;
		}
	}
	return 0;
}

mc_status_t mc_servers_parse(const char *spec, mc_server_addr_t *out,
		size_t max, size_t *n, char *err, size_t errlen)
{
	const char *p, *end, *b, *e;
	size_t count = 0, pos = 0;
	mc_status_t st;

	*n = 0;
	if(err && errlen)
		err[0] = '\0';
	p = spec;
	while(p != NULL && mcc_cfg_blank(*p))
		p++;
	if(p == NULL || *p == '\0') {
		mc_errf(err, errlen,
				"servers: empty server list (expected "
				"host[:port][,host[:port]...])");
		return MC_BAD_INPUT;
	}
	if(mc_servers_is_libmemcached_config(spec)) {
		mc_errf(err, errlen,
				"servers: a libmemcached configuration string "
				"(--...) is not a host list");
		return MC_BAD_INPUT;
	}

	end = spec + strlen(spec);
	p = spec;
	for(;;) {
		const char *comma = memchr(p, ',', (size_t)(end - p));

		e = comma ? comma : end;
		b = p;
		pos++;
		while(b < e && mcc_cfg_blank(*b))
			b++;
		while(e > b && mcc_cfg_blank(e[-1]))
			e--;
		if(b == e) {
			mc_errf(err, errlen,
					"servers: empty item %zu (expected "
					"host[:port][,host[:port]...])",
					pos);
			return MC_BAD_INPUT;
		}
		if(count == max) {
			mc_errf(err, errlen, "servers: too many servers (at most %zu)",
					max);
			return MC_BAD_INPUT;
		}
		st = mcc_cfg_parse_item(b, (size_t)(e - b), &out[count], err, errlen);
		if(st != MC_OK)
			return st;
		if(mcc_cfg_seen(out, count, &out[count], err, errlen, b, (size_t)(e - b)))
			return MC_BAD_INPUT;
		count++;
		if(comma == NULL)
			break;
		p = comma + 1;
	}
	*n = count;
	return MC_OK;
}

const char *mc_server_addr_format(
		char *dst, size_t dstlen, const char *host, unsigned int port)
{
	if(dst == NULL || dstlen == 0)
		return dst;
	if(host == NULL)
		host = "";
	if(host[0] == '/') /* a unix socket */
		snprintf(dst, dstlen, "%s", host);
	else if(strchr(host, ':') != NULL)
		snprintf(dst, dstlen, "[%s]:%u", host, port);
	else
		snprintf(dst, dstlen, "%s:%u", host, port);
	return dst;
}
