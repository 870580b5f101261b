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

#endif
