/*
 * The operation-name table shared by core and module (mc_op.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "mc_op.h"

static void test_every_op_has_a_non_empty_name(void **state)
{
	int op;
	const char *name;

	(void)state;
	for(op = 0; op < MC_OP_NUM; op++) {
		name = mc_op_name((mc_op_t)op);
		assert_non_null(name);
		assert_true(name[0] != '\0');
		assert_string_not_equal(name, "?");
	}
}

static void test_names_are_what_the_script_called(void **state)
{
	(void)state;
	assert_string_equal(mc_op_name(MC_OP_INCR), "incr");
	assert_string_equal(mc_op_name(MC_OP_INCR_CREATE), "incx");
	assert_string_equal(mc_op_name(MC_OP_SET_QUIET), "setq");
	assert_string_equal(mc_op_name(MC_OP_NUM), "?");
	assert_string_equal(mc_op_name((mc_op_t)-1), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
			cmocka_unit_test(test_every_op_has_a_non_empty_name),
			cmocka_unit_test(test_names_are_what_the_script_called),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
