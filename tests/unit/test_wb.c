/*
 * test_wb.c - write-behind: everything pushed arrives, in order, whatever
 * the sizes; a failed write (a full disk: /dev/full) stops the filler and
 * is reported by close with its errno; what came before it was written.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sockkit/net.h>
#include <sockkit/wb.h>

#include "testutil.h"

static void
test_in_order(void **state)
{
	char		 name[] = "/tmp/sockkit-test-wb.XXXXXX";
	struct sk_wb	*w;
	uint8_t		*p, *back;
	size_t		 total = 0, n, i;
	int		 fd;

	(void)state;
	fd = mkstemp(name);
	assert_true(fd >= 0);
	unlink(name);
	w = sk_wb_new(NULL, fd, 4096, 3);
	assert_non_null(w);
	/* 1000 pieces of varying size, each byte numbered. */
	for (i = 0; i < 1000; i++) {
		p = sk_wb_buf(w);
		assert_non_null(p);
		assert_true(((uintptr_t)p & 4095) == 0);
		n = 1 + (i * 37) % 4096;
		for (size_t j = 0; j < n; j++)
			p[j] = (uint8_t)((total + j) % 251);
		sk_wb_push(w, n);
		total += n;
	}
	assert_int_equal(sk_wb_close(w), 0);
	back = malloc(total);
	assert_non_null(back);
	assert_true(pread(fd, back, total, 0) == (ssize_t)total);
	for (i = 0; i < total; i++)
		if (back[i] != (uint8_t)(i % 251))
			fail_msg("byte %zu is %u", i, back[i]);
	free(back);
	close(fd);
}

static void
test_write_error(void **state)
{
	struct sk_wb	*w;
	uint8_t		*p;
	int		 fd, i;

	(void)state;
	if ((fd = open("/dev/full", O_WRONLY)) == -1)
		skip();
	w = sk_wb_new(NULL, fd, 4096, 2);
	assert_non_null(w);
	/* The filler learns of the failure within a bounded number of tries. */
	for (i = 0; i < 1000 && (p = sk_wb_buf(w)) != NULL; i++) {
		memset(p, 'x', 4096);
		sk_wb_push(w, 4096);
	}
	assert_true(i < 1000);
	errno = 0;
	assert_int_equal(sk_wb_close(w), -1);
	assert_int_equal(errno, ENOSPC);
	close(fd);
}

static void
test_empty_and_bad(void **state)
{
	struct sk_wb	*w;
	char		 err[SK_ERRLEN];

	(void)state;
	w = sk_wb_new(NULL, 1, 16, 1);
	assert_non_null(w);
	assert_int_equal(sk_wb_close(w), 0);	/* nothing pushed */
	assert_null(sk_wb_new(err, 1, 0, 4));
	assert_non_null(strstr(err, "write-behind"));
	assert_null(sk_wb_new(NULL, 1, 16, 0));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_in_order),
		cmocka_unit_test(test_write_error),
		cmocka_unit_test(test_empty_and_bad),
	};

	return cmocka_run_group_tests_name("wb", tests, NULL, NULL);
}
