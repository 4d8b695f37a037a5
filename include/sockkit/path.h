/*
 * path.h - keeping requested paths inside a served directory (fileserve,
 * http).
 *
 * sk_path_check() refuses the forms that point elsewhere: a NUL byte, an
 * absolute path, a ".." component.  sk_path_resolve() joins a checked
 * path to the root (itself a resolved path, from realpath(3)) and resolves
 * every symbolic link: -1 with errno from realpath (ENOENT, ENOTDIR,
 * EACCES, ...) or EPERM when the result is outside the root.
 * sk_path_open() does both and opens, in one system call on Linux.
 *
 * Everything after that is relative to directory fds held, never a name
 * opened again: the root (sk_path_root_open), what a request reads
 * (sk_path_open_served, sk_path_stat), and an upload's directory, part
 * file and rename (sk_path_open_parent, sk_path_part_open,
 * sk_path_commit, sk_path_part_drop).
 *
 * Error shapes: the functions that touch the file system return -1 with
 * errno set and take no err (only sk_path_root_open(), which names DIR,
 * takes one); sk_path_check() returns a reason string, sk_path_inside()
 * 1 or 0, sk_path_root_moved() and sk_path_root_check() 1/0/-1, each
 * said next to it.
 */
#ifndef SOCKKIT_PATH_H
#define SOCKKIT_PATH_H

#include <sys/stat.h>

#include <stddef.h>

/* NULL, or why p[0..n) is refused. */
const char	*sk_path_check(const char *p, size_t n);

/* Is real (a resolved path) root itself or inside it?  1 or 0. */
int		 sk_path_inside(const char *root, const char *real);

/* rel inside root, resolved into real (PATH_MAX bytes): 0, or -1. */
int		 sk_path_resolve(const char *root, const char *rel,
		    char *real);

/*
 * Open rel (already through sk_path_check; "" is the root itself) beneath
 * the directory root, whose open fd is rootfd, with open(2) flags.  On
 * Linux one openat2(RESOLVE_BENEATH) call, which refuses any ".." or
 * symbolic link leading out, and absolute symbolic links; elsewhere (or on
 * kernels without it, or where a filter refuses it) sk_path_walk().  The
 * fd, or -1 with errno (EPERM: it leads outside the root).
 */
int		 sk_path_open(int rootfd, const char *root, const char *rel,
		    int flags);

/*
 * The same as openat2(RESOLVE_BENEATH) without the kernel's help, safe
 * against a local user renaming things inside the root meanwhile: each
 * component is opened relative to the directory reached so far with
 * O_NOFOLLOW, symbolic links are read and resolved here (relative ones
 * that stay inside are followed, as openat2 does), ".." goes back up the
 * directories walked.  A link that is absolute, or a ".." above the root,
 * fails with EPERM; more than 40 links, ELOOP.  With O_NOFOLLOW in flags a
 * link as the last component fails (ELOOP); with O_CREAT a file is made
 * with mode 0666 less the umask.  The fd, or -1 with errno.
 */
int		 sk_path_walk(int rootfd, const char *rel, int flags);

/* Flags for sk_path_stat() and sk_path_open_served(). */
#define SK_PATH_FOLLOW	0x1	/* follow links out of the root too (http
				   --follow-symlinks); otherwise beneath */

/*
 * The stat of what rel names beneath rootfd (the last link followed),
 * without opening it for reading: a FIFO or a device is only looked at
 * (O_PATH).  0, or -1 with errno (EPERM: it leads outside).
 */
int		 sk_path_stat(int rootfd, const char *rel, int how,
		    struct stat *st);

/*
 * Open what rel names beneath rootfd for reading, if it is a regular file
 * (nonblocking, no controlling terminal) or a directory, with its stat in
 * st.  Its type is looked at first without opening it (O_PATH), so a FIFO
 * or a device in the root is never opened (its writer would see a reader
 * come and go); the file is then reopened as that very inode.  The fd,
 * or -1 with errno: EACCES for another type, EPERM outside the root,
 * ENOENT when it changed under us.
 */
int		 sk_path_open_served(int rootfd, const char *rel, int how,
		    struct stat *st);

/*
 * The root to serve: dir resolved (realpath(3), into real: PATH_MAX
 * bytes, or NULL) and opened as a directory, close-on-exec.  Every path
 * served is then opened relative to this fd, never by name.  The fd, or
 * -1 with errno and err "DIR: why".  (fileserve and http start here.)
 */
int		 sk_path_root_open(char *err, const char *dir, char *real);

/*
 * Is the directory dir names still the one open as rootfd?  (A served
 * directory removed and made again, or a link pointed elsewhere, is
 * served anew.)  Returns 1 when dir now leads to another directory, its
 * fd in *fd and its real path in real (PATH_MAX bytes); 0 when it is the
 * same one (also when it was moved away and back); -1 with errno when dir
 * leads to no directory, or to another that cannot be opened (ask again
 * later).
 */
int		 sk_path_root_moved(int rootfd, const char *dir, int *fd,
		    char *real);

/*
 * What a server asks once a second, on top of sk_path_root_moved(): the
 * directory it holds as *rootfd is replaced (the old fd closed) when dir
 * leads to another one; *gone (0 at the start) remembers that dir led
 * nowhere.  Returns -1 the first time dir leads nowhere (say it once:
 * nothing is served meanwhile), 1 when dir is served again (another
 * directory, or the same one back from a rename away; its path in real,
 * PATH_MAX bytes), 0 when there is no news.
 */
int		 sk_path_root_check(const char *dir, int *rootfd, int *gone,
		    char *real);

/*
 * The directory an upload of rel goes into: the part of rel before its
 * last '/' ("" when none: the root) opened beneath rootfd as
 * sk_path_open_served() opens it, with its stat in st, and *name pointed
 * at the last component in rel.  The fd, or -1 with errno: ENOTDIR when
 * the parent is not a directory, ENAMETOOLONG, else as
 * sk_path_open_served().
 */
int		 sk_path_open_parent(int rootfd, const char *rel, int how,
		    const char **name, struct stat *st);

/*
 * The partial file name in the directory dirfd, opened for reading and
 * writing or made (mode 0644 less the umask): never through a symbolic
 * link, never blocking on a FIFO, and only a regular file with no other
 * name that this process's user owns (a hard link planted there would
 * have a file elsewhere written).  The fd with its stat in st, or -1 with
 * errno EEXIST when what is there is not such a file, else from openat.
 */
int		 sk_path_part_open(int dirfd, const char *name,
		    struct stat *st);

/*
 * Put the verified part tmp (open as fd) in place as final, both names
 * in dirfd (AT_FDCWD: relative to the working directory): only while tmp
 * still names fd's file, and final is absent or a regular file; then
 * fsync(fd), renameat(), and fsync(dirfd) so that the rename survives a
 * crash (not for AT_FDCWD).  0, or -1 with errno: ESTALE when tmp was
 * replaced or removed meanwhile, EEXIST when final is not a regular file
 * (a link, a directory, a FIFO put there), else from fsync or renameat.
 */
int		 sk_path_commit(int dirfd, int fd, const char *tmp,
		    const char *final);

/*
 * Remove the part tmp in dirfd, if it still names fd's file (a file
 * renamed to that name meanwhile is not ours to remove): 0, or -1 with
 * errno (ESTALE: it is another file now).
 */
int		 sk_path_part_drop(int dirfd, const char *tmp, int fd);

#endif /* SOCKKIT_PATH_H */
