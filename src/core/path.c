/*
 * path.c - requested paths kept inside a served directory (see path.h).
 */
#define _GNU_SOURCE		/* realpath, syscall */

#ifdef __linux__
#include <sys/syscall.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sockkit/path.h>

const char *
sk_path_check(const char *p, size_t n)
{
	const char	*c, *e;

	if (memchr(p, '\0', n) != NULL)
		return "a NUL byte in the path";
	if (n > 0 && p[0] == '/')
		return "an absolute path";
	for (c = p; c < p + n; c = e + 1) {
		if ((e = memchr(c, '/', (size_t)(p + n - c))) == NULL)
			e = p + n;
		if (e - c == 2 && c[0] == '.' && c[1] == '.')
			return "'..' in the path";
	}
	return NULL;
}

int
sk_path_inside(const char *root, const char *real)
{
	size_t	n = strlen(root);

	return strncmp(real, root, n) == 0 &&
	    (real[n] == '\0' || real[n] == '/' || (n == 1 && root[0] == '/'));
}

int
sk_path_resolve(const char *root, const char *rel, char *real)
{
	char	joined[PATH_MAX];

	if (snprintf(joined, sizeof(joined), "%s/%s", root, rel) >=
	    (int)sizeof(joined)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (realpath(joined, real) == NULL)
		return -1;
	if (!sk_path_inside(root, real)) {
		errno = EPERM;
		return -1;
	}
	return 0;
}

int
sk_path_open(int rootfd, const char *root, const char *rel, int flags)
{
	char	real[PATH_MAX];
#if defined(__linux__) && defined(SYS_openat2)
	/* struct open_how and the RESOLVE_ bits of <linux/openat2.h>: the
	 * kernel's ABI, spelled out so libcs without those headers build. */
	struct {
		uint64_t	flags, mode, resolve;
	}		how;
	long		fd;

	memset(&how, 0, sizeof(how));
	how.flags = (uint64_t)flags;
	how.resolve = 0x08 | 0x02;	/* RESOLVE_BENEATH | NO_MAGICLINKS */
	fd = syscall(SYS_openat2, rootfd, *rel == '\0' ? "." : rel, &how,
	    sizeof(how));
	if (fd >= 0)
		return (int)fd;
	if (errno == EXDEV) {
		errno = EPERM;
		return -1;
	}
	if (errno != ENOSYS && errno != EPERM)
		return -1;
	/* No openat2 here (or a filter refusing it): the portable way. */
#endif
	(void)rootfd;
	if (sk_path_resolve(root, rel, real) == -1)
		return -1;
	return open(real, flags);
}
