/*
 * The operations' names (mc_op.h): the table indexed by mc_op_t.
 */
#include <stddef.h>

#include "mc_op.h"

/* clang-format off */
static const char *const mc_op_names[] = {
	[MC_OP_GET] = "get",
	[MC_OP_EXISTS] = "exists",
	[MC_OP_SET] = "set",
	[MC_OP_ADD] = "add",
	[MC_OP_REPLACE] = "replace",
	[MC_OP_APPEND] = "append",
	[MC_OP_PREPEND] = "prepend",
	[MC_OP_DELETE] = "delete",
	[MC_OP_INCR] = "incr",
	[MC_OP_DECR] = "decr",
	[MC_OP_INCR_CREATE] = "incx",
	[MC_OP_TOUCH] = "touch",
	[MC_OP_FLUSH] = "flush",
	[MC_OP_STATS] = "stats",
	[MC_OP_SET_QUIET] = "setq",
	[MC_OP_MGET] = "mget",
	[MC_OP_MVAL] = "mval",
	[MC_OP_PROBE] = "probe",
	[MC_OP_CONFIRM] = "confirm",
};
/* clang-format on */

/* A new last operation without a name makes the table one short; a new
 * one in the middle leaves a NULL that test_op finds. */
_Static_assert(sizeof(mc_op_names) / sizeof(mc_op_names[0]) == MC_OP_NUM,
		"every mc_op_t needs its name in mc_op_names");

const char *mc_op_name(mc_op_t op)
{
	if((size_t)op >= MC_OP_NUM || mc_op_names[op] == NULL)
		return "?";
	return mc_op_names[op];
}
