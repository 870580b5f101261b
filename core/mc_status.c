/*
 * Static texts for mc_status_t, and mc_errf for messages into a caller's
 * buffer.
 */
#include <stdarg.h>
#include <stdio.h>

#include "mc_status.h"

const char *mc_strerror(mc_status_t status)
{
	switch(status) {
	case MC_OK:
		return "ok";
	case MC_NOT_FOUND:
		return "not found";
	case MC_NOT_STORED:
		return "not stored";
	case MC_BAD_INPUT:
		return "bad input";
	case MC_TOO_BIG:
		return "value too big";
	case MC_CONNECTION:
		return "connection error";
	case MC_TIMEOUT:
		return "timeout";
	case MC_DISABLED:
		return "server disabled";
	case MC_NO_MEMORY:
		return "out of memory";
	case MC_ERROR:
		return "error";
	}
	return "unknown status";
}

int mc_status_is_error(mc_status_t status)
{
	return status >= MC_BAD_INPUT;
}

void mc_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if(err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}
