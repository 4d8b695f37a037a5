/*
 * test_dir.c - a directory's names read at once: sorted bytewise, "." and
 * ".." left out, the fd kept for fstatat(), and the fd taken over when
 * the read fails.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sockkit/dir.h>
#include <sockkit/net.h>

#include "testutil.h"

static char	top[64];

static int
setup(void **state)
{
	(void)state;
	snprintf(top, sizeof(top), "/tmp/sockkit-test-dir.%d", (int)getpid());
	return mkdir(top, 0700);
}

static int
teardown(void **state)
{
	(void)state;
	return rmdir(top);
}

/* Make the names of a case in dir, read them back, remove them. */
static void
check(const char *const *make, const char *const *want, size_t n)
{
	struct sk_dir	d;
	struct stat	st;
	char		err[SK_ERRLEN];
	size_t		i;
	int		fd, dfd;

	dfd = open(top, O_RDONLY | O_DIRECTORY);
	assert_true(dfd >= 0);
	for (i = 0; make[i] != NULL; i++) {
		fd = openat(dfd, make[i], O_CREAT | O_WRONLY, 0600);
		assert_true(fd >= 0);
		close(fd);
	}
	close(dfd);
	fd = open(top, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	if (sk_dir_read(err, fd, &d) == -1)
		fail_msg("%s", err);
	assert_int_equal(d.n, n);
	for (i = 0; i < n; i++) {
		assert_string_equal(d.names[i], want[i]);
		/* The fd is still open, for fstatat() on each name. */
		assert_int_equal(fstatat(d.fd, d.names[i], &st,
		    AT_SYMLINK_NOFOLLOW), 0);
		assert_int_equal(unlinkat(d.fd, d.names[i], 0), 0);
	}
	sk_dir_close(&d);
	assert_int_equal(d.fd, -1);
	assert_null(d.names);
	sk_dir_close(&d);		/* twice is harmless */
}

static void
test_sorted(void **state)
{
	static const char *const	none[] = { NULL };
	static const char *const	one[] = { "only", NULL };
	/* Bytewise: upper case before lower, '.' before digits, UTF-8
	 * after ASCII, a prefix before what extends it. */
	static const char *const	mixed[] = { "b", "a", "B", "ab", "a.b",
	    "10", "9", ".hidden", "caf\xc3\xa9", "z", "...", NULL };
	static const char *const	mixed_sorted[] = { "...", ".hidden",
	    "10", "9", "B", "a", "a.b", "ab", "b", "caf\xc3\xa9", "z" };
	int				fd;

	(void)state;
	check(none, NULL, 0);
	check(one, one, 1);
	check(mixed, mixed_sorted, 11);
	/* Many names: the array grows. */
	{
		char		name[16], *make[301], *want[300];
		size_t		i;

		for (i = 0; i < 300; i++) {
			snprintf(name, sizeof(name), "f%03zu", 299 - i);
			make[i] = strdup(name);
			snprintf(name, sizeof(name), "f%03zu", i);
			want[i] = strdup(name);
		}
		make[300] = NULL;
		check((const char *const *)make, (const char *const *)want,
		    300);
		for (i = 0; i < 300; i++) {
			free(make[i]);
			free(want[i]);
		}
	}
	/* An fd read from before is read from the top. */
	fd = open(top, O_RDONLY | O_DIRECTORY);
	close(openat(fd, "x", O_CREAT | O_WRONLY, 0600));
	{
		struct sk_dir	d;

		assert_int_equal(sk_dir_read(NULL, fd, &d), 0);
		assert_int_equal(d.n, 1);
		sk_dir_close(&d);
		fd = open(top, O_RDONLY | O_DIRECTORY);
		assert_int_equal(sk_dir_read(NULL, fd, &d), 0);
		assert_int_equal(d.n, 1);
		assert_int_equal(unlinkat(d.fd, "x", 0), 0);
		sk_dir_close(&d);
	}
}

static void
test_fails(void **state)
{
	struct sk_dir	d;
	char		err[SK_ERRLEN], path[128];
	int		fd;

	(void)state;
	/* Not a directory: -1, errno ENOTDIR, and the fd is closed. */
	snprintf(path, sizeof(path), "%s/file", top);
	fd = open(path, O_CREAT | O_RDWR, 0600);
	assert_true(fd >= 0);
	assert_int_equal(sk_dir_read(err, fd, &d), -1);
	assert_int_equal(errno, ENOTDIR);
	assert_non_null(strstr(err, "directory"));
	assert_int_equal(fcntl(fd, F_GETFD), -1);
	assert_int_equal(d.n, 0);
	sk_dir_close(&d);
	unlink(path);
	/* A bad fd. */
	assert_int_equal(sk_dir_read(NULL, -1, &d), -1);
	assert_int_equal(errno, EBADF);
	sk_dir_close(&d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sorted),
		cmocka_unit_test(test_fails),
	};

	return cmocka_run_group_tests_name("dir", tests, setup, teardown);
}
