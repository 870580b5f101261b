/*
 * The one place that turns a libmemcached result into an mc_status_t.
 * Successes follow memcached_success(): STORED, DELETED, END, ... are OK.
 */
#include "mc_result.h"

#define H_DOWN                                                                 \
	"server down or unreachable; check that memcached runs and "               \
	"listens there"
#define H_SLOW "server slow or unreachable; check memcached or raise timeout"
#define H_SERVER "the server refused the request; see memcached's log"
#define H_CLIENT "a bug in this module or libmemcached; please report it"

static mc_result_t mcc_result_of(mc_status_t st, int drop, const char *hint)
{
	mc_result_t r;

	r.status = st;
	r.drop = drop;
	r.hint = hint;
	return r;
}

static mc_result_t mcc_result_switch(memcached_return_t rc)
{
	switch(rc) {
	/* successes */
	case MEMCACHED_SUCCESS:
	case MEMCACHED_STORED:
	case MEMCACHED_DELETED:
	case MEMCACHED_END:
	case MEMCACHED_VALUE:
	case MEMCACHED_STAT:
	case MEMCACHED_ITEM:
	case MEMCACHED_BUFFERED:
		return mcc_result_of(MC_OK, 0, "");

	/* normal "no" answers */
	case MEMCACHED_NOTFOUND:
	case MEMCACHED_DATA_DOES_NOT_EXIST:
		return mcc_result_of(MC_NOT_FOUND, 0, "");
	case MEMCACHED_NOTSTORED:
	case MEMCACHED_DATA_EXISTS:
		return mcc_result_of(MC_NOT_STORED, 0, "");

	/* cannot reach the server, or lost it */
	case MEMCACHED_HOST_LOOKUP_FAILURE:
		return mcc_result_of(MC_CONNECTION, 1,
				"cannot resolve the host name; check the servers "
				"setting and DNS");
	case MEMCACHED_CONNECTION_FAILURE:
	case MEMCACHED_CONNECTION_BIND_FAILURE:
	case MEMCACHED_WRITE_FAILURE:
	case MEMCACHED_READ_FAILURE:
	case MEMCACHED_UNKNOWN_READ_FAILURE:
	case MEMCACHED_PARTIAL_READ:
	case MEMCACHED_ERRNO:
	case MEMCACHED_FAIL_UNIX_SOCKET:
	case MEMCACHED_SERVER_MARKED_DEAD:
	case MEMCACHED_SERVER_TEMPORARILY_DISABLED:
	case MEMCACHED_NO_SERVERS:
	case MEMCACHED_SOME_ERRORS:
		return mcc_result_of(MC_CONNECTION, 1, H_DOWN);
	case MEMCACHED_TIMEOUT:
		return mcc_result_of(MC_TIMEOUT, 1, H_SLOW);

	/* refused by size */
	case MEMCACHED_E2BIG:
		return mcc_result_of(MC_TOO_BIG, 0,
				"value above the server's item size limit; store less "
				"or raise memcached -I");

	/* bad request from the caller */
	case MEMCACHED_BAD_KEY_PROVIDED:
	case MEMCACHED_NO_KEY_PROVIDED:
	case MEMCACHED_KEY_TOO_BIG:
	case MEMCACHED_INVALID_ARGUMENTS:
		return mcc_result_of(MC_BAD_INPUT, 0, "fix the key or arguments");
	case MEMCACHED_CLIENT_ERROR:
		/* text protocol: e.g. incr on a value that is not a number */
		return mcc_result_of(MC_BAD_INPUT, 1,
				"the server rejected the request as malformed");

	/* memory */
	case MEMCACHED_MEMORY_ALLOCATION_FAILURE:
		return mcc_result_of(MC_NO_MEMORY, 1, "this process is out of memory");
	case MEMCACHED_SERVER_MEMORY_ALLOCATION_FAILURE:
		return mcc_result_of(
				MC_ERROR, 0, "memcached is out of memory; raise memcached -m");

	/* authentication */
	case MEMCACHED_AUTH_PROBLEM:
	case MEMCACHED_AUTH_FAILURE:
	case MEMCACHED_AUTH_CONTINUE:
		return mcc_result_of(MC_ERROR, 1,
				"SASL authentication failed; check username and "
				"password");

	/* everything else the server or the library can say */
	case MEMCACHED_FAILURE:
	case MEMCACHED_SERVER_ERROR:
	case MEMCACHED_ERROR:
	case MEMCACHED_UNKNOWN_STAT_KEY:
		return mcc_result_of(MC_ERROR, 1, H_SERVER);
	case MEMCACHED_PROTOCOL_ERROR:
		return mcc_result_of(MC_ERROR, 1, "protocol error; the connection is reset");
	case MEMCACHED_NOT_SUPPORTED:
	case MEMCACHED_INVALID_HOST_PROTOCOL:
		return mcc_result_of(MC_ERROR, 0,
				"not supported with this protocol or server; check the "
				"binary setting");
	case MEMCACHED_FETCH_NOTFINISHED:
	case MEMCACHED_IN_PROGRESS:
	case MEMCACHED_PARSE_ERROR:
	case MEMCACHED_PARSE_USER_ERROR:
	case MEMCACHED_DEPRECATED:
	case MEMCACHED_MAXIMUM_RETURN:
		return mcc_result_of(MC_ERROR, 1, H_CLIENT);
	}
	/* a value outside the enum: treat as broken, never as a success */
	return mcc_result_of(MC_ERROR, 1, H_CLIENT);
}

mc_result_t mc_result_map(memcached_return_t rc)
{
	mc_result_t r = mcc_result_switch(rc);

	/* whatever libmemcached deems fatal leaves the stream in doubt */
	if(memcached_fatal(rc))
		r.drop = 1;
	if(memcached_success(rc))
		r.drop = 0;
	return r;
}
