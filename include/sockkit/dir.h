/*
 * dir.h - every name of a directory at once, sorted, for listings.
 *
 * The caller opens the directory (beneath a confined root, see path.h)
 * and hands the fd over; the names come back sorted bytewise and the fd
 * stays open for fstatat() on each of them:
 *
 *	struct sk_dir	d;
 *	struct stat	st;
 *	size_t		i;
 *
 *	if (sk_dir_read(err, fd, &d) == -1)
 *		return -1;
 *	for (i = 0; i < d.n; i++)
 *		if (fstatat(d.fd, d.names[i], &st, AT_SYMLINK_NOFOLLOW) == 0)
 *			...;
 *	sk_dir_close(&d);
 */
#ifndef SOCKKIT_DIR_H
#define SOCKKIT_DIR_H

#include <stddef.h>

struct sk_dir {
	int	  fd;		/* the directory, open until sk_dir_close() */
	char	**names;	/* n names, sorted with strcmp() */
	size_t	  n;
	void	 *priv;		/* the DIR stream behind fd */
};

/*
 * Read every name of the open directory fd, "." and ".." left out,
 * sorted bytewise.  fd is taken over in all cases.  Returns 0, or -1 with
 * errno (ENOTDIR, ENOMEM, ...) and err set; fd is then closed and *d
 * empty (sk_dir_close() on it is harmless).
 */
int	sk_dir_read(char *err, int fd, struct sk_dir *d);

/* Free the names and close the fd; safe to call twice. */
void	sk_dir_close(struct sk_dir *d);

#endif /* SOCKKIT_DIR_H */
