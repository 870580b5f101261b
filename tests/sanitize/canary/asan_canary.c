/*
 * asan_canary: a deliberately broken Kamailio module, built only in the
 * sanitizer build (MC_SANITIZE), with the same flags as our module. It is
 * the positive control of the sanitize tests: loaded into Debian's Kamailio
 * the way our module is, its bugs must produce the sanitizer reports that the
 * e2e runs treat as failures. If they do not, a clean e2e run proves nothing.
 *
 * Native cfg functions:
 *   canary_heap_overflow()  writes one byte past an 8-byte malloc (ASan)
 *   canary_int_overflow()   overflows a signed int (UBSan)
 *   canary_pkg_overflow()   writes past a pkg_malloc'ed block: invisible to
 *                           ASan (the pkg pool is one block to it), caught by
 *                           Kamailio's q_malloc checks (DBG_QM_MALLOC) at free
 * Parameter leak_at_init (int): when 1, mod_init (in the main process, the
 * only one where LeakSanitizer runs, at exit) loses 16 blocks (LSan).
 */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>

#include "core/mem/pkg.h"
#include "core/sr_module.h"

MODULE_VERSION

static int _leak_at_init = 0;
/* The blocks' addresses, XORed together: not a pointer LSan can follow. */
static uintptr_t _lost = 0;

static int mod_init(void)
{
	int i;

	if(_leak_at_init == 1)
		for(i = 0; i < 16; i++)
			_lost ^= (uintptr_t)malloc(1000);
	return 0;
}

static int w_canary_heap_overflow(struct sip_msg *msg, char *p1, char *p2)
{
	char *volatile buf = malloc(8);
	volatile int i = 8;

	(void)msg;
	(void)p1;
	(void)p2;
	if(buf == NULL)
		return -1;
	buf[i] = 'x'; /* one past the end */
	free(buf);
	return 1;
}

static int w_canary_int_overflow(struct sip_msg *msg, char *p1, char *p2)
{
	volatile int v = INT_MAX;
	volatile int one = 1;

	(void)msg;
	(void)p1;
	(void)p2;
	v = v + one; /* signed integer overflow */
	return v < 0 ? 1 : 2;
}

static int w_canary_pkg_overflow(struct sip_msg *msg, char *p1, char *p2)
{
	char *volatile buf = pkg_malloc(8);
	volatile int i;

	(void)msg;
	(void)p1;
	(void)p2;
	if(buf == NULL)
		return -1;
	for(i = 8; i < 24; i++)
		buf[i] = 'x'; /* over the fragment's end pattern */
	pkg_free(buf);
	return 1;
}

/* clang-format off */
static cmd_export_t cmds[] = {
	{"canary_heap_overflow", (cmd_function)w_canary_heap_overflow, 0, 0, 0,
		ANY_ROUTE},
	{"canary_int_overflow", (cmd_function)w_canary_int_overflow, 0, 0, 0,
		ANY_ROUTE},
	{"canary_pkg_overflow", (cmd_function)w_canary_pkg_overflow, 0, 0, 0,
		ANY_ROUTE},
	{0, 0, 0, 0, 0, 0}
};

static param_export_t params[] = {
	{"leak_at_init", INT_PARAM, &_leak_at_init},
	{0, 0, 0}
};

struct module_exports exports = {
	"asan_canary",   /* module name */
	DEFAULT_DLFLAGS, /* dlopen flags */
	cmds,            /* exported functions */
	params,          /* exported parameters */
	0,               /* RPC methods */
	0,               /* exported pseudo-variables */
	0,               /* response handling function */
	mod_init,        /* module init function */
	0,               /* per-child init function */
	0                /* module destroy function */
};
/* clang-format on */
