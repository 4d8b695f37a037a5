/*
 * test_path.c - paths kept inside a served directory: the refused forms,
 * prefixes that only look inside, and symbolic links out of the root.
 */
#define _XOPEN_SOURCE	700

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sockkit/path.h>

#include "testutil.h"

static void
test_check(void **state)
{
	(void)state;
#define C(s)	sk_path_check(s, strlen(s))
	assert_null(C("a/b.txt"));
	assert_null(C("a/..b/c.."));
	assert_null(C(""));
	assert_non_null(C("/etc/passwd"));
	assert_non_null(C(".."));
	assert_non_null(C("a/../b"));
	assert_non_null(C("a/.."));
#undef C
	assert_non_null(sk_path_check("a\0b", 3));
}

static void
test_inside(void **state)
{
	(void)state;
	assert_true(sk_path_inside("/srv", "/srv"));
	assert_true(sk_path_inside("/srv", "/srv/a"));
	assert_false(sk_path_inside("/srv", "/srvx"));
	assert_false(sk_path_inside("/srv", "/"));
	assert_true(sk_path_inside("/", "/etc"));
}

static void
test_resolve(void **state)
{
	char	top[] = "/tmp/sockkit-test-path.XXXXXX", root[PATH_MAX];
	char	p[PATH_MAX + 64], real[PATH_MAX];

	(void)state;
	assert_non_null(mkdtemp(top));
	snprintf(p, sizeof(p), "%s/root", top);
	assert_int_equal(mkdir(p, 0755), 0);
	assert_non_null(realpath(p, root));
	snprintf(p, sizeof(p), "%s/root/f", top);
	fclose(fopen(p, "w"));
	snprintf(p, sizeof(p), "%s/secret", top);
	fclose(fopen(p, "w"));
	snprintf(p, sizeof(p), "%s/root/out", top);
	assert_int_equal(symlink("../secret", p), 0);
	snprintf(p, sizeof(p), "%s/root/in", top);
	assert_int_equal(symlink("f", p), 0);

	assert_int_equal(sk_path_resolve(root, "f", real), 0);
	assert_int_equal(sk_path_resolve(root, "in", real), 0);
	assert_true(strcmp(real + strlen(root), "/f") == 0);
	errno = 0;
	assert_int_equal(sk_path_resolve(root, "out", real), -1);
	assert_int_equal(errno, EPERM);
	assert_int_equal(sk_path_resolve(root, "nope", real), -1);
	assert_int_equal(errno, ENOENT);

	snprintf(p, sizeof(p), "rm -rf '%s'", top);
	assert_int_equal(system(p), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_inside),
		cmocka_unit_test(test_resolve),
	};

	return cmocka_run_group_tests_name("path", tests, NULL, NULL);
}
