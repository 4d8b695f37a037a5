/*
 * test_clock.c - the monotonic clock: it moves forward, never back, and
 * its two units agree.
 */
#include <time.h>

#include <sockkit/clock.h>
#include <sockkit/loop.h>

#include "testutil.h"

static void
test_forward(void **state)
{
	static const long	sleeps_ms[] = { 0, 1, 5, 20 };
	struct timespec		ts;
	long long		ms, us, ms2, us2;
	size_t			i;

	(void)state;
	for (i = 0; i < sizeof(sleeps_ms) / sizeof(sleeps_ms[0]); i++) {
		ms = sk_clock_ms();
		us = sk_clock_us();
		ts.tv_sec = 0;
		ts.tv_nsec = sleeps_ms[i] * 1000000L;
		while (nanosleep(&ts, &ts) == -1)
			;
		us2 = sk_clock_us();
		ms2 = sk_clock_ms();
		assert_true(us2 - us >= sleeps_ms[i] * 1000LL);
		assert_true(ms2 - ms >= sleeps_ms[i] - 1);
		/* Generous: a loaded machine may sleep much longer. */
		assert_true(ms2 - ms < sleeps_ms[i] + 5000);
		/* The same clock in two units. */
		assert_true(us2 / 1000 - ms2 <= 1 && ms2 - us2 / 1000 <= 1);
	}
}

static void
test_monotonic(void **state)
{
	long long	last_ms = sk_clock_ms(), last_us = sk_clock_us(), t;
	int		i;

	(void)state;
	for (i = 0; i < 100000; i++) {
		t = sk_clock_us();
		assert_true(t >= last_us);
		last_us = t;
		t = sk_clock_ms();
		assert_true(t >= last_ms);
		last_ms = t;
	}
	/* The loop's clock is this one. */
	t = sk_loop_now_ms();
	assert_true(t >= last_ms && t - last_ms < 1000);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forward),
		cmocka_unit_test(test_monotonic),
	};

	return cmocka_run_group_tests_name("clock", tests, NULL, NULL);
}
