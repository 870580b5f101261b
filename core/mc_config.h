/*
 * Parsing of the `servers` setting. Pure, no I/O.
 *
 * Accepted: "host[:port][,host[:port]...]" with IPv6 as "[addr]:port" or a
 * bare "addr" (no port then), default port 11211, an item starting with '/'
 * is a unix socket path (port 0; no ',' in it), whitespace around items
 * ignored; or a full libmemcached configuration string (starts with "--"),
 * which is handed to libmemcached's own parser when the client is created.
 */
#ifndef MC_CONFIG_H
#define MC_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "mc_status.h"

#define MC_DEFAULT_PORT 11211
#define MC_HOST_MAX 255
#define MC_SERVERS_MAX 64
/* sun_path holds 108 bytes with the NUL */
#define MC_UNIX_PATH_MAX 107

typedef struct mc_server_addr {
	char host[MC_HOST_MAX + 1]; /* NUL-terminated, no brackets for IPv6 */
	unsigned int port;
} mc_server_addr_t;

/*
 * Parses a "host[:port],..." list into out (room for max entries); *n gets the
 * count. On failure returns MC_BAD_INPUT and writes into err (errlen bytes,
 * always NUL-terminated) a message that names the offending item and says
 * what is expected, e.g. "servers: bad port 'abc' in item '127.0.0.1:abc'
 * (expected 1-65535)". An empty or all-blank spec is an error.
 * A spec starting with "--" is not for this function: MC_BAD_INPUT.
 */
mc_status_t mc_servers_parse(const char *spec, mc_server_addr_t *out,
		size_t max, size_t *n, char *err, size_t errlen);

/* 1 when spec is a libmemcached configuration string ("--..."). */
int mc_servers_is_libmemcached_config(const char *spec);

/* Room for any mc_server_addr_format output, NUL included:
 * "[" host "]:" 5 digits. */
#define MC_SERVER_NAME_MAX (MC_HOST_MAX + 9)

/*
 * Writes a server's name as messages show it into dst (dstlen bytes, always
 * NUL-terminated when dstlen > 0): "host:port", "[v6addr]:port" for a host
 * with a ':' in it, or the path for a unix socket (host starting with '/';
 * port not shown). host is as mc_servers_parse leaves it (no brackets).
 * Returns dst, for use as a printf argument.
 */
const char *mc_server_addr_format(
		char *dst, size_t dstlen, const char *host, unsigned int port);

#endif
