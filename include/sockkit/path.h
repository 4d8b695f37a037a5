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
 */
#ifndef SOCKKIT_PATH_H
#define SOCKKIT_PATH_H

#include <sys/stat.h>

#include <stddef.h>

/* NULL, or why p[0..n) is refused. */
const char	*sk_path_check(const char *p, size_t n);

/* Is real (a resolved path) root itself or inside it? */
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

#endif /* SOCKKIT_PATH_H */
