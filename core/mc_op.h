/*
 * The operations, one table for core and module: the core names the
 * operation in its messages with the same word the module uses in its log
 * lines and statistics, which is the name the script called ("incx", not
 * "incr", for a create-or-increment).
 */
#ifndef MC_OP_H
#define MC_OP_H

typedef enum mc_op {
	MC_OP_GET = 0,
	MC_OP_EXISTS,
	MC_OP_SET,
	MC_OP_ADD,
	MC_OP_REPLACE,
	MC_OP_APPEND,
	MC_OP_PREPEND,
	MC_OP_DELETE,
	MC_OP_INCR,
	MC_OP_DECR,
	MC_OP_INCR_CREATE,
	MC_OP_TOUCH,
	MC_OP_FLUSH,
	MC_OP_STATS,
	MC_OP_SET_QUIET,
	MC_OP_MGET,
	MC_OP_MVAL,
	MC_OP_PROBE,   /* core only: the start-up check (mc_client_probe) */
	MC_OP_CONFIRM, /* core only: confirming quiet writes (mc_quiet_confirm) */
	MC_OP_NUM      /* the number of operations; not an operation */
} mc_op_t;

/*
 * Name of op for messages ("get", "incx", ...): static, never NULL, never
 * "" for an operation (mc_op.c checks the table's size at compile time, a
 * unit test that no entry is missing); "?" only for a value that is not an
 * mc_op_t.
 */
const char *mc_op_name(mc_op_t op);

#endif
