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

#include "err.h"

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

/*
 * A link's text (n bytes at link, relative) then what was left of the
 * path after it (rest, inside path): the new path, in path.  0, or -1
 * with errno (EPERM: the link is absolute or empty; ENAMETOOLONG).
 */
static int
splice_link(char *path, const char *link, size_t n, const char *rest)
{
	size_t	len = strlen(rest);

	if (n == 0 || link[0] == '/') {
		errno = EPERM;
		return -1;
	}
	if (n + 1 + len >= PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memmove(path + n + 1, rest, len + 1);
	memcpy(path, link, n);
	path[n] = len > 0 ? '/' : '\0';
	return 0;
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
		if (strcmp(name, "..") == 0) {
			if (depth == 0) {
				walk_unwind(fds, depth);
				errno = EPERM;
				return -1;
			}
			close(fds[depth--]);
		}
		if (*name == '\0' || strcmp(name, ".") == 0 ||
		    strcmp(name, "..") == 0) {
			if (!final)
				continue;
			/* The directory reached is what was asked for. */
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
		if (++links > WALK_LINKS || splice_link(path, link, (size_t)n,
		    rest) == -1) {
			walk_unwind(fds, depth);
			if (links > WALK_LINKS)
				errno = ELOOP;
			return -1;
		}
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

int
sk_path_root_open(char *err, const char *dir, char *real)
{
	char	buf[PATH_MAX];
	int	fd;

	if (real == NULL)
		real = buf;
	if (realpath(dir, real) == NULL || (fd = open(real, O_RDONLY |
	    O_DIRECTORY | O_CLOEXEC)) == -1) {
		core_errno(err, "%s", dir);
		return -1;
	}
	return fd;
}

int
sk_path_root_moved(int rootfd, const char *dir, int *fd, char *real)
{
	struct stat	now, was;

	if (fstat(rootfd, &was) == -1)
		return 0;
	if (stat(dir, &now) == -1)
		return -1;
	if (!S_ISDIR(now.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	if (now.st_dev == was.st_dev && now.st_ino == was.st_ino)
		return 0;
	/* Another directory that cannot be opened is not served: the one
	 * held was moved away from dir. */
	if ((*fd = sk_path_root_open(NULL, dir, real)) == -1)
		return -1;
	return 1;
}

int
sk_path_root_check(const char *dir, int *rootfd, int *gone, char *real)
{
	int	fd, rc;

	if ((rc = sk_path_root_moved(*rootfd, dir, &fd, real)) == -1) {
		if (*gone)
			return 0;
		*gone = 1;
		return -1;
	}
	if (rc == 0 && !*gone)
		return 0;
	if (rc == 1) {
		close(*rootfd);
		*rootfd = fd;
	} else if (realpath(dir, real) == NULL)	/* only to say */
		(void)snprintf(real, PATH_MAX, "%s", dir);
	*gone = 0;
	return 1;
}

int
sk_path_open_parent(int rootfd, const char *rel, int how, const char **name,
    struct stat *st)
{
	char		 dir[PATH_MAX];
	const char	*slash = strrchr(rel, '/');
	size_t		 n = slash != NULL ? (size_t)(slash - rel) : 0;
	int		 fd;

	/* Never cut: what was left of a cut path kept its slashes. */
	if (strlen(rel) >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(dir, rel, n);
	dir[n] = '\0';
	*name = slash != NULL ? slash + 1 : rel;
	if ((fd = sk_path_open_served(rootfd, dir, how, st)) == -1)
		return -1;
	if (!S_ISDIR(st->st_mode)) {
		close(fd);
		errno = ENOTDIR;
		return -1;
	}
	return fd;
}

int
sk_path_part_open(int dirfd, const char *name, struct stat *st)
{
	int	fd;

	fd = openat(dirfd, name, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY | O_CLOEXEC, 0644);
	if (fd == -1)
		return -1;
	if (fstat(fd, st) == -1) {
		close_keep_errno(fd);
		return -1;
	}
	if (!S_ISREG(st->st_mode) || st->st_nlink != 1 ||
	    st->st_uid != geteuid()) {
		close(fd);
		errno = EEXIST;
		return -1;
	}
	return fd;
}

/* Does name in dirfd (not followed) still name fd's file? */
static int
still(int dirfd, const char *name, int fd)
{
	struct stat	fst, nst;

	return fstat(fd, &fst) == 0 && fstatat(dirfd, name, &nst,
	    AT_SYMLINK_NOFOLLOW) == 0 && fst.st_dev == nst.st_dev &&
	    fst.st_ino == nst.st_ino;
}

int
sk_path_commit(int dirfd, int fd, const char *tmp, const char *final)
{
	struct stat	st;

	/* A local user may have put another file (or a link) there. */
	if (!still(dirfd, tmp, fd)) {
		errno = ESTALE;
		return -1;
	}
	/* Nor over a link, FIFO or device put at the name meanwhile. */
	if (fstatat(dirfd, final, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    !S_ISREG(st.st_mode)) {
		errno = EEXIST;
		return -1;
	}
	if (fsync(fd) == -1 || renameat(dirfd, tmp, dirfd, final) == -1)
		return -1;
	/* The rename itself survives a crash once the directory is synced. */
	if (dirfd != AT_FDCWD)
		(void)fsync(dirfd);
	return 0;
}

int
sk_path_part_drop(int dirfd, const char *tmp, int fd)
{
	if (!still(dirfd, tmp, fd)) {
		errno = ESTALE;
		return -1;
	}
	return unlinkat(dirfd, tmp, 0);
}
