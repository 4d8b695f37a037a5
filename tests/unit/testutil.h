/*
 * testutil.h - what the unit tests share: cmocka, and running one suite
 * once per event-loop backend.
 */
#ifndef SOCKKIT_TESTUTIL_H
#define SOCKKIT_TESTUTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <setjmp.h>
#include <cmocka.h>

#include <sockkit/loop.h>

/* The backend a test runs on travels in its cmocka state. */
static inline const char *
backend_of(void **state)
{
	return (const char *)*state;
}

/*
 * Run the same tests once for every backend compiled in; returns the
 * number of failures, as cmocka_run_group_tests_name() does.
 */
static inline int
run_per_backend(const char *suite, const struct CMUnitTest *tests,
    size_t n)
{
	const char *const	*b;
	struct CMUnitTest	*t;
	char			 name[64];
	size_t			 i;
	int			 failed = 0;

	if ((t = calloc(n, sizeof(*t))) == NULL)
		return 1;
	for (b = sk_loop_backends(); *b != NULL; b++) {
		for (i = 0; i < n; i++) {
			t[i] = tests[i];
			t[i].initial_state = (void *)(uintptr_t)*b;
		}
		snprintf(name, sizeof(name), "%s/%s", suite, *b);
		printf("[ BACKEND  ] %s\n", name);
		fflush(stdout);
		failed += _cmocka_run_group_tests(name, t, n, NULL, NULL);
	}
	free(t);
	return failed;
}

#endif /* SOCKKIT_TESTUTIL_H */
