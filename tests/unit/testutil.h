/*
 * Shared helpers for the cmocka unit tests. Each test binary runs all its
 * cases, or the one named by argv[1] (ctest registers every case that way).
 */
#ifndef MCU_TESTUTIL_H
#define MCU_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#define MCU_TEST_MAIN(tests, setup, teardown)                                  \
	int main(int argc, char **argv)                                        \
	{                                                                      \
		if (argc > 1)                                                  \
			cmocka_set_test_filter(argv[1]);                       \
		return cmocka_run_group_tests(tests, setup, teardown);         \
	}

/* Path of a file in the source tree (tests run from the build tree). */
static inline const char *mcu_test_src(const char *rel)
{
	static char buf[4][1024];
	static int n;
	char *b = buf[n++ % 4];
	const char *root = MCU_SOURCE_DIR;
	snprintf(b, 1024, "%s/%s", root, rel);
	return b;
}

#endif
