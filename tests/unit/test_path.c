/*
 * test_path.c - paths kept inside a served directory: the refused forms,
 * prefixes that only look inside, and symbolic links out of the root;
 * the portable walker and openat2 held to one table, and both against a
 * directory swapped for a link to outside while they open through it.
 */
#define _GNU_SOURCE

#include <sys/syscall.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
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

/* A tree with links of every kind, and a secret beside the root. */
static char	top[] = "/tmp/sockkit-test-walk.XXXXXX";
static int	rootfd;

static void
mk(const char *rel, const char *text)
{
	char	p[PATH_MAX + 64];
	FILE	*f;

	snprintf(p, sizeof(p), "%s/%s", top, rel);
	assert_non_null(f = fopen(p, "w"));
	fputs(text, f);
	fclose(f);
}

static void
ln(const char *target, const char *rel)
{
	char	p[PATH_MAX + 64];

	snprintf(p, sizeof(p), "%s/%s", top, rel);
	assert_int_equal(symlink(target, p), 0);
}

static void
tree(void)
{
	char	p[PATH_MAX + 64];

	assert_non_null(mkdtemp(top));
	snprintf(p, sizeof(p), "%s/root", top);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/root/sub", top);
	assert_int_equal(mkdir(p, 0755), 0);
	mk("secret", "S");
	mk("root/f", "F");
	mk("root/sub/g", "G");
	ln("f", "root/in");
	ln("sub", "root/subl");
	ln("../f", "root/sub/up");
	ln("../secret", "root/out");
	ln("/etc/passwd", "root/abs");
	ln("../../secret", "root/sub/esc");
	ln("loop", "root/loop");
	ln("b", "root/a");
	ln("in", "root/b");
	ln("subl/../sub/g", "root/c");
	snprintf(p, sizeof(p), "%s/root", top);
	assert_true((rootfd = open(p, O_RDONLY | O_DIRECTORY)) >= 0);
}

static void
untree(void)
{
	char	p[PATH_MAX + 64];

	close(rootfd);
	snprintf(p, sizeof(p), "rm -rf '%s'", top);
	assert_int_equal(system(p), 0);
	memcpy(top + strlen(top) - 6, "XXXXXX", 6);
}

static const struct {
	const char	*rel;
	int		 flags;
	const char	*text;		/* what the file holds, or NULL */
	int		 err;		/* or the errno */
} walks[] = {
	{ "f",		O_RDONLY,		"F",	0 },
	{ "in",		O_RDONLY,		"F",	0 },
	{ "a",		O_RDONLY,		"F",	0 },
	{ "c",		O_RDONLY,		"G",	0 },
	{ "subl/g",	O_RDONLY,		"G",	0 },
	{ "sub/up",	O_RDONLY,		"F",	0 },
	{ "sub/../f",	O_RDONLY,		"F",	0 },
	{ "./sub//g",	O_RDONLY,		"G",	0 },
	{ "",		O_RDONLY | O_DIRECTORY,	NULL,	0 },
	{ "sub/",	O_RDONLY,		NULL,	0 },
	{ "subl/",	O_RDONLY,		NULL,	0 },
	{ "../secret",	O_RDONLY,		NULL,	EPERM },
	{ "sub/../../secret", O_RDONLY,		NULL,	EPERM },
	{ "out",	O_RDONLY,		NULL,	EPERM },
	{ "abs",	O_RDONLY,		NULL,	EPERM },
	{ "sub/esc",	O_RDONLY,		NULL,	EPERM },
	{ "loop",	O_RDONLY,		NULL,	ELOOP },
	{ "nope",	O_RDONLY,		NULL,	ENOENT },
	{ "f/x",	O_RDONLY,		NULL,	ENOTDIR },
	{ "f/",		O_RDONLY,		NULL,	ENOTDIR },
	{ "in",		O_RDONLY | O_NOFOLLOW,	NULL,	ELOOP },
};

static void
walk_table(int (*open_fn)(int, const char *), const char *name)
{
	char	buf[8];
	size_t	i;
	ssize_t	n;
	int	fd;

	for (i = 0; i < sizeof(walks) / sizeof(walks[0]); i++) {
		errno = 0;
		fd = walks[i].flags & O_NOFOLLOW ?
		    sk_path_walk(rootfd, walks[i].rel, walks[i].flags) :
		    open_fn(rootfd, walks[i].rel);
		if (walks[i].err != 0) {
			if (fd != -1 || errno != walks[i].err)
				fail_msg("%s '%s': fd %d errno %d, wanted %d",
				    name, walks[i].rel, fd, errno,
				    walks[i].err);
			continue;
		}
		if (fd < 0)
			fail_msg("%s '%s': errno %d", name, walks[i].rel,
			    errno);
		if (walks[i].text != NULL) {
			n = read(fd, buf, sizeof(buf));
			assert_int_equal(n, 1);
			assert_int_equal(buf[0], walks[i].text[0]);
		}
		close(fd);
	}
}

static int
by_walk(int fd, const char *rel)
{
	return sk_path_walk(fd, rel, strlen(rel) > 0 &&
	    rel[strlen(rel) - 1] != '/' ? O_RDONLY : O_RDONLY | O_DIRECTORY);
}

static int
by_open(int fd, const char *rel)
{
	return sk_path_open(fd, top, rel, strlen(rel) > 0 &&
	    rel[strlen(rel) - 1] != '/' ? O_RDONLY : O_RDONLY | O_DIRECTORY);
}

static void
test_walk(void **state)
{
	char	p[PATH_MAX + 64];
	int	fd;

	(void)state;
	tree();
	walk_table(by_walk, "walk");
	walk_table(by_open, "open");
#ifdef O_PATH
	/* O_PATH follows a last link too (it would open the link itself). */
	{
		struct stat	st;

		assert_true((fd = sk_path_walk(rootfd, "in", O_PATH)) >= 0);
		assert_int_equal(fstat(fd, &st), 0);
		assert_true(S_ISREG(st.st_mode));
		assert_int_equal(st.st_size, 1);
		close(fd);
		assert_int_equal(sk_path_walk(rootfd, "abs", O_PATH), -1);
		assert_int_equal(errno, EPERM);
		assert_true((fd = sk_path_walk(rootfd, "in", O_PATH |
		    O_NOFOLLOW)) >= 0);
		assert_int_equal(fstatat(fd, "", &st, AT_EMPTY_PATH), 0);
		assert_true(S_ISLNK(st.st_mode));
		close(fd);
	}
#endif
	/* O_CREAT makes the file where the walk leads, inside. */
	fd = sk_path_walk(rootfd, "subl/new", O_WRONLY | O_CREAT | O_EXCL);
	assert_true(fd >= 0);
	close(fd);
	snprintf(p, sizeof(p), "%s/root/sub/new", top);
	assert_int_equal(access(p, F_OK), 0);
	untree();
}

/* Does top/rel exist (not followed)? */
static int
there(const char *rel)
{
	char		p[PATH_MAX + 64];
	struct stat	st;

	snprintf(p, sizeof(p), "%s/%s", top, rel);
	return lstat(p, &st) == 0;
}

static void
test_root(void **state)
{
	char	p[PATH_MAX + 64], q[PATH_MAX + 64], real[PATH_MAX];
	char	want[PATH_MAX], err[256];
	int	fd, nfd;

	(void)state;
	tree();
	snprintf(p, sizeof(p), "%s/root/subl", top);
	assert_true((fd = sk_path_root_open(err, p, real)) >= 0);
	snprintf(q, sizeof(q), "%s/root/sub", top);
	assert_non_null(realpath(q, want));
	assert_string_equal(real, want);
	assert_int_equal(faccessat(fd, "g", R_OK, 0), 0);
	/* The same directory: 0; another one under the name: 1. */
	assert_int_equal(sk_path_root_moved(fd, p, &nfd, real), 0);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(symlink(".", p), 0);
	assert_int_equal(sk_path_root_moved(fd, p, &nfd, real), 1);
	snprintf(q, sizeof(q), "%s/root", top);
	assert_non_null(realpath(q, want));
	assert_string_equal(real, want);
	assert_int_equal(faccessat(nfd, "f", R_OK, 0), 0);
	close(nfd);
	/* A name that leads to no directory: -1. */
	assert_int_equal(unlink(p), 0);
	assert_int_equal(sk_path_root_moved(fd, p, &nfd, real), -1);
	assert_int_equal(errno, ENOENT);
	assert_int_equal(symlink("f", p), 0);
	assert_int_equal(sk_path_root_moved(fd, p, &nfd, real), -1);
	assert_int_equal(errno, ENOTDIR);
	close(fd);
	assert_int_equal(sk_path_root_open(err, p, NULL), -1);
	assert_int_equal(errno, ENOTDIR);
	assert_non_null(strstr(err, "subl"));
	untree();
}

/* sk_path_root_check(): gone said once, back when the same directory
 * returns from a rename away, replaced when another takes the name. */
static void
test_root_check(void **state)
{
	char	p[PATH_MAX + 64], q[PATH_MAX + 64], real[PATH_MAX];
	char	want[PATH_MAX];
	int	fd, first, gone = 0;

	(void)state;
	tree();
	snprintf(p, sizeof(p), "%s/root/sub", top);
	snprintf(q, sizeof(q), "%s/root/away", top);
	assert_true((fd = sk_path_root_open(NULL, p, real)) >= 0);
	first = fd;
	assert_int_equal(sk_path_root_check(p, &fd, &gone, real), 0);
	assert_int_equal(rename(p, q), 0);
	assert_int_equal(sk_path_root_check(p, &fd, &gone, real), -1);
	assert_int_equal(gone, 1);
	assert_int_equal(sk_path_root_check(p, &fd, &gone, real), 0);
	assert_int_equal(rename(q, p), 0);
	assert_int_equal(sk_path_root_check(p, &fd, &gone, real), 1);
	assert_int_equal(gone, 0);
	assert_int_equal(fd, first);
	assert_non_null(realpath(p, want));
	assert_string_equal(real, want);
	assert_int_equal(sk_path_root_check(p, &fd, &gone, real), 0);
	/* Another directory under the name: served, the old fd closed. */
	assert_int_equal(rename(p, q), 0);
	assert_int_equal(mkdir(p, 0755), 0);
	assert_int_equal(sk_path_root_check(p, &fd, &gone, real), 1);
	assert_int_not_equal(fcntl(fd, F_GETFD), -1);
	close(fd);
	assert_int_equal(rmdir(p), 0);
	assert_int_equal(rename(q, p), 0);
	untree();
}

static void
test_upload(void **state)
{
	static const struct {
		const char	*rel;
		const char	*name;
		int		 err;
	} parents[] = {
		{ "new",	"new",	0 },
		{ "sub/new",	"new",	0 },
		{ "subl/new",	"new",	0 },
		{ "sub/",	"",	0 },
		{ "f/new",	NULL,	ENOTDIR },
		{ "nope/new",	NULL,	ENOENT },
		{ "out/new",	NULL,	EPERM },
		{ "abs/new",	NULL,	EPERM },
	};
	const char	*name;
	char		 p[PATH_MAX + 64], q[PATH_MAX + 64];
	struct stat	 st;
	size_t		 i;
	int		 dfd, fd, fd2;

	(void)state;
	tree();
	for (i = 0; i < sizeof(parents) / sizeof(parents[0]); i++) {
		errno = 0;
		dfd = sk_path_open_parent(rootfd, parents[i].rel, 0, &name,
		    &st);
		if (parents[i].err != 0) {
			if (dfd != -1 || errno != parents[i].err)
				fail_msg("'%s': fd %d errno %d", parents[i].rel,
				    dfd, errno);
			continue;
		}
		if (dfd < 0)
			fail_msg("'%s': errno %d", parents[i].rel, errno);
		assert_true(S_ISDIR(st.st_mode));
		assert_string_equal(name, parents[i].name);
		close(dfd);
	}
	assert_true((dfd = sk_path_open_parent(rootfd, "sub/x", 0, &name,
	    &st)) >= 0);
	/* A part made, written, put in place; the directory held. */
	assert_true((fd = sk_path_part_open(dfd, ".x.part", &st)) >= 0);
	assert_int_equal(st.st_size, 0);
	assert_int_equal(write(fd, "X", 1), 1);
	assert_true((fd2 = sk_path_part_open(dfd, ".x.part", &st)) >= 0);
	assert_int_equal(st.st_size, 1);
	close(fd2);
	assert_int_equal(sk_path_commit(dfd, fd, ".x.part", "x"), 0);
	close(fd);
	assert_true(there("root/sub/x") && !there("root/sub/.x.part"));
	/* Parts planted: a link, a hard link, a FIFO. */
	ln("../../secret", "root/sub/.l.part");
	assert_int_equal(sk_path_part_open(dfd, ".l.part", &st), -1);
	assert_int_equal(errno, ELOOP);
	snprintf(p, sizeof(p), "%s/secret", top);
	snprintf(q, sizeof(q), "%s/root/sub/.h.part", top);
	assert_int_equal(link(p, q), 0);
	assert_int_equal(sk_path_part_open(dfd, ".h.part", &st), -1);
	assert_int_equal(errno, EEXIST);
	snprintf(p, sizeof(p), "%s/root/sub/.p.part", top);
	assert_int_equal(mkfifo(p, 0644), 0);
	assert_int_equal(sk_path_part_open(dfd, ".p.part", &st), -1);
	assert_int_equal(errno, EEXIST);
	/* The part replaced meanwhile: not renamed, not removed. */
	assert_true((fd = sk_path_part_open(dfd, ".y.part", &st)) >= 0);
	assert_int_equal(renameat(dfd, ".y.part", dfd, ".z"), 0);
	mk("root/sub/.y.part", "O");
	assert_int_equal(sk_path_commit(dfd, fd, ".y.part", "y"), -1);
	assert_int_equal(errno, ESTALE);
	assert_int_equal(sk_path_part_drop(dfd, ".y.part", fd), -1);
	assert_int_equal(errno, ESTALE);
	assert_true(there("root/sub/.y.part") && !there("root/sub/y"));
	close(fd);
	/* The target a link or a directory: not renamed over. */
	assert_true((fd = sk_path_part_open(dfd, ".w.part", &st)) >= 0);
	ln("../../secret", "root/sub/w");
	assert_int_equal(sk_path_commit(dfd, fd, ".w.part", "w"), -1);
	assert_int_equal(errno, EEXIST);
	assert_int_equal(sk_path_part_drop(dfd, ".w.part", fd), 0);
	assert_false(there("root/sub/.w.part"));
	close(fd);
	/* Relative to the working directory, as get's client does. */
	assert_int_equal(fchdir(dfd), 0);
	assert_true((fd = open(".c.part", O_RDWR | O_CREAT, 0644)) >= 0);
	assert_int_equal(sk_path_commit(AT_FDCWD, fd, ".c.part", "c"), 0);
	close(fd);
	assert_int_equal(chdir("/"), 0);
	assert_true(there("root/sub/c"));
	close(dfd);
	untree();
}

/*
 * The race: "d" is swapped, again and again, between a directory holding
 * a file "x" that says "I" and a link to a directory outside whose "x"
 * says "S".  Opening "d/x" must never read S.
 */
static volatile int	racing;
static volatile long	swaps;

static void *
swapper(void *arg)
{
	char	 a[PATH_MAX + 64], b[PATH_MAX + 64];

	(void)arg;
	snprintf(a, sizeof(a), "%s/root/d", top);
	snprintf(b, sizeof(b), "%s/root/e", top);
	while (racing)
		if (syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b,
		    2 /* RENAME_EXCHANGE */) == 0)
			swaps++;
	return NULL;
}

static void
race(int (*open_fn)(int, const char *), const char *name)
{
	pthread_t	t;
	char		p[PATH_MAX + 64], buf[4];
	long		tries = 0, inside = 0, escapes = 0;
	time_t		end = time(NULL) + 2;
	int		fd;

	swaps = 0;

	tree();
	snprintf(p, sizeof(p), "%s/root/d", top);
	assert_int_equal(mkdir(p, 0755), 0);
	mk("root/d/x", "I");
	snprintf(p, sizeof(p), "%s/outside", top);
	assert_int_equal(mkdir(p, 0755), 0);
	mk("outside/x", "S");
	ln("../outside", "root/e");
	racing = 1;
	assert_int_equal(pthread_create(&t, NULL, swapper, NULL), 0);
	while (time(NULL) < end && tries < 2000000) {
		tries++;
		if ((fd = open_fn(rootfd, "d/x")) < 0)
			continue;
		if (read(fd, buf, 1) == 1) {
			if (buf[0] == 'S')
				escapes++;
			else
				inside++;
		}
		close(fd);
	}
	racing = 0;
	pthread_join(t, NULL);
	printf("    %s: %ld tries, %ld swaps, %ld inside, %ld escapes\n", name,
	    tries, (long)swaps, inside, escapes);
	assert_int_equal(escapes, 0);
	assert_true(inside > 0);
	/* The swaps happened and some opens met them (valgrind runs one
	 * thread at a time: there only a few tries, and no race). */
	if (swaps > 1000 && tries > 1000)
		assert_true(inside < tries);
	untree();
}

static void
test_walk_race(void **state)
{
	(void)state;
	/* Valgrind runs one thread at a time: the opener starves while the
	 * swapper spins, so there is no race to see (memory is checked by
	 * the other tests). */
	if (getenv("SK_UNDER_VALGRIND") != NULL)
		skip();
	race(by_walk, "walk");
	race(by_open, "open");
}

/*
 * Uploads through the same swap: "d/up" made, written and renamed into
 * place again and again while "d" flips between the directory and a link
 * to outside.  Nothing is ever made outside.
 */
static void
test_upload_race(void **state)
{
	pthread_t	 t;
	const char	*name;
	char		 p[PATH_MAX + 64];
	struct stat	 st;
	long		 tries = 0, done = 0;
	time_t		 end = time(NULL) + 2;
	int		 dfd, fd;

	(void)state;
	if (getenv("SK_UNDER_VALGRIND") != NULL)
		skip();
	swaps = 0;
	tree();
	snprintf(p, sizeof(p), "%s/root/d", top);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof(p), "%s/outside", top);
	assert_int_equal(mkdir(p, 0755), 0);
	ln("../outside", "root/e");
	racing = 1;
	assert_int_equal(pthread_create(&t, NULL, swapper, NULL), 0);
	while (time(NULL) < end && tries < 200000) {
		tries++;
		if ((dfd = sk_path_open_parent(rootfd, "d/up", 0, &name,
		    &st)) < 0)
			continue;
		if ((fd = sk_path_part_open(dfd, ".up.part", &st)) >= 0) {
			if (write(fd, "U", 1) == 1 && sk_path_commit(dfd, fd,
			    ".up.part", name) == 0)
				done++;
			close(fd);
		}
		close(dfd);
	}
	racing = 0;
	pthread_join(t, NULL);
	printf("    upload: %ld tries, %ld swaps, %ld renamed\n", tries,
	    (long)swaps, done);
	assert_false(there("outside/up"));
	assert_false(there("outside/.up.part"));
	assert_true(done > 0);
	untree();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_inside),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_walk_race),
		cmocka_unit_test(test_root),
		cmocka_unit_test(test_root_check),
		cmocka_unit_test(test_upload),
		cmocka_unit_test(test_upload_race),
	};

	return cmocka_run_group_tests_name("path", tests, NULL, NULL);
}
