/*
 * path.c - requested paths kept inside a served directory (see path.h).
 */
#define _GNU_SOURCE		/* realpath, syscall */

#ifdef __linux__
#include <sys/syscall.h>
#endif
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sockkit/path.h>

static void
close_keep_errno(int fd)
{
	int	saved = errno;

	close(fd);
	errno = saved;
}

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

/*
 * The portable resolver.  Components are taken one at a time, each opened
 * relative to the directory fd reached so far with O_NOFOLLOW, so the
 * kernel never follows a link for us: a symbolic link is read here and
 * its (relative) text spliced in front of what is left.  The fds of the
 * directories walked are kept on a stack, so ".." is a pop, and a pop
 * below the root, like an absolute link, is refused.  A name swapped for
 * a link mid-walk is just read as a link: it can only lead somewhere the
 * walk would reach anyway.
 */
#define WALK_DEPTH	256		/* directories held at once */
#define WALK_LINKS	40		/* links followed, as the kernel's */

#ifdef O_PATH
#define DIR_FLAGS	(O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
#else
#define DIR_FLAGS	(O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
#endif

/* Is the error from an O_NOFOLLOW open one a symbolic link can cause? */
static int
maybe_link(int e)
{
	return e == ELOOP || e == ENOTDIR || e == EMLINK
#ifdef EFTYPE
	    || e == EFTYPE
#endif
	    ;
}

static void
walk_unwind(int *fds, int depth)
{
	int	saved = errno;

	while (depth > 0)
		close(fds[depth--]);
	errno = saved;
}

int
sk_path_walk(int rootfd, const char *rel, int flags)
{
	char	 path[PATH_MAX], link[PATH_MAX], *name, *rest;
	int	 fds[WALK_DEPTH + 1], depth = 0, links = 0, fd, final;
#ifdef O_PATH
	struct stat st;
#endif
	ssize_t	 n;
	size_t	 len;

	if (strlen(rel) >= sizeof(path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(path, rel, strlen(rel) + 1);
	fds[0] = rootfd;
	rest = path;
	for (;;) {
		while (*rest == '/')
			rest++;
		name = rest;
		rest += strcspn(rest, "/");
		final = strspn(rest, "/") == strlen(rest);
		/* "dir/" names a directory: the open must say so. */
		if (final && *rest == '/')
			flags |= O_DIRECTORY;
		if (*rest != '\0')
			*rest++ = '\0';
		if (*name == '\0' || strcmp(name, ".") == 0) {
			if (!final)
				continue;
			/* The directory reached is what was asked for. */
			fd = openat(fds[depth], ".", (flags & ~(O_CREAT |
			    O_EXCL | O_NOFOLLOW)) | O_CLOEXEC);
			walk_unwind(fds, depth);
			return fd;
		}
		if (strcmp(name, "..") == 0) {
			if (depth == 0) {
				walk_unwind(fds, depth);
				errno = EPERM;
				return -1;
			}
			close(fds[depth--]);
			if (!final)
				continue;
			fd = openat(fds[depth], ".", (flags & ~(O_CREAT |
			    O_EXCL | O_NOFOLLOW)) | O_CLOEXEC);
			walk_unwind(fds, depth);
			return fd;
		}
		fd = openat(fds[depth], name, final ? flags | O_NOFOLLOW |
		    O_CLOEXEC : DIR_FLAGS, 0666);
		if (fd >= 0 && !final) {
			if (depth == WALK_DEPTH) {
				close(fd);
				walk_unwind(fds, depth);
				errno = ENAMETOOLONG;
				return -1;
			}
			fds[++depth] = fd;
			continue;
		}
#ifdef O_PATH
		/* O_PATH with O_NOFOLLOW opens a link itself: read it. */
		if (fd >= 0 && (flags & O_PATH) && !(flags & O_NOFOLLOW) &&
		    fstatat(fd, "", &st, AT_EMPTY_PATH) == 0 &&
		    S_ISLNK(st.st_mode)) {
			close(fd);
			fd = -1;
			errno = ELOOP;
		}
#endif
		if (fd >= 0) {
			walk_unwind(fds, depth);
			return fd;
		}
		/* Failed: a link to read (unless the caller asked not to
		 * follow the last one), or the error itself. */
		if (!maybe_link(errno) || (final && (flags & O_NOFOLLOW)) ||
		    (n = readlinkat(fds[depth], name, link,
		    sizeof(link) - 1)) < 0) {
			if (errno == EINVAL)	/* not a link after all */
				errno = ENOTDIR;
			walk_unwind(fds, depth);
			return -1;
		}
		link[n] = '\0';
		if (++links > WALK_LINKS || link[0] == '/' || n == 0) {
			walk_unwind(fds, depth);
			errno = links > WALK_LINKS ? ELOOP : EPERM;
			return -1;
		}
		/* The link's text, then what was left: the new path. */
		len = strlen(rest);
		if ((size_t)n + 1 + len >= sizeof(path)) {
			walk_unwind(fds, depth);
			errno = ENAMETOOLONG;
			return -1;
		}
		memmove(path + n + 1, rest, len + 1);
		memcpy(path, link, (size_t)n);
		path[n] = len > 0 ? '/' : '\0';
		rest = path;
	}
}

int
sk_path_open(int rootfd, const char *root, const char *rel, int flags)
{
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
	(void)root;
	return sk_path_walk(rootfd, rel, flags);
}

/* Beneath the root (sk_path_open), or anywhere links lead (FOLLOW). */
static int
open_beneath(int rootfd, const char *rel, int flags, int how)
{
	flags |= O_CLOEXEC;
	if (how & SK_PATH_FOLLOW)
		return openat(rootfd, *rel == '\0' ? "." : rel, flags);
	return sk_path_open(rootfd, NULL, rel, flags);
}

int
sk_path_stat(int rootfd, const char *rel, int how, struct stat *st)
{
	int	fd, rc;

#ifdef O_PATH
	fd = open_beneath(rootfd, rel, O_PATH, how);
#else
	fd = open_beneath(rootfd, rel, O_RDONLY | O_NONBLOCK | O_NOCTTY, how);
#endif
	if (fd == -1)
		return -1;
	rc = fstat(fd, st);
	close_keep_errno(fd);
	return rc;
}

int
sk_path_open_served(int rootfd, const char *rel, int how, struct stat *st)
{
	int		 fd;
#ifdef O_PATH
	struct stat	 pst;
	char		 proc[64];
	int		 pfd;

	if ((pfd = open_beneath(rootfd, rel, O_PATH, how)) == -1)
		return -1;
	if (fstat(pfd, &pst) == -1) {
		close_keep_errno(pfd);
		return -1;
	}
	if (S_ISDIR(pst.st_mode))
		fd = openat(pfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	else if (S_ISREG(pst.st_mode)) {
		/* That very inode, through the magic link; without /proc, by
		 * name again, and checked to be the same file below. */
		snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
		if ((fd = open(proc, O_RDONLY | O_NONBLOCK | O_NOCTTY |
		    O_CLOEXEC)) == -1 && (errno == ENOENT || errno == EACCES))
			fd = open_beneath(rootfd, rel, O_RDONLY | O_NONBLOCK |
			    O_NOCTTY | O_NOFOLLOW, how);
	} else {
		close(pfd);
		errno = EACCES;
		return -1;
	}
	close_keep_errno(pfd);
	if (fd == -1)
		return -1;
	if (fstat(fd, st) == -1 || st->st_dev != pst.st_dev ||
	    st->st_ino != pst.st_ino) {
		close(fd);
		errno = ENOENT;		/* it changed under us */
		return -1;
	}
	return fd;
#else
	/* Nonblocking: a FIFO never stalls us (and is refused after). */
	if ((fd = open_beneath(rootfd, rel, O_RDONLY | O_NONBLOCK | O_NOCTTY,
	    how)) == -1)
		return -1;
	if (fstat(fd, st) == -1 || (!S_ISREG(st->st_mode) &&
	    !S_ISDIR(st->st_mode))) {
		close(fd);
		errno = EACCES;
		return -1;
	}
	return fd;
#endif
}
