/*
 * dir.c - a directory's names, read at once and sorted (see dir.h).
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sockkit/dir.h>

#include "err.h"

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
empty(struct sk_dir *d)
{
	d->fd = -1;
	d->names = NULL;
	d->n = 0;
	d->priv = NULL;
}

/* Append a copy of name to d's names; -1 with errno ENOMEM. */
static int
add(struct sk_dir *d, size_t *cap, const char *name)
{
	char	**nn;
	size_t	  ncap;

	if (d->n == *cap) {
		ncap = *cap ? *cap * 2 : 16;
		if ((nn = realloc(d->names, ncap * sizeof(*nn))) == NULL)
			return -1;
		d->names = nn;
		*cap = ncap;
	}
	if ((d->names[d->n] = strdup(name)) == NULL)
		return -1;
	d->n++;
	return 0;
}

int
sk_dir_read(char *err, int fd, struct sk_dir *d)
{
	struct dirent	*de;
	DIR		*dp;
	size_t		 cap = 0;
	int		 saved;

	empty(d);
	if ((dp = fdopendir(fd)) == NULL) {
		saved = errno;
		close(fd);
		errno = saved;
		core_errno(err, "open directory");
		return -1;
	}
	d->priv = dp;
	d->fd = dirfd(dp);
	/* The fd may have been read from before: start at the top. */
	rewinddir(dp);
	for (;;) {
		errno = 0;
		if ((de = readdir(dp)) == NULL)
			break;
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (add(d, &cap, de->d_name) == -1) {
			errno = ENOMEM;
			break;
		}
	}
	if (errno != 0) {
		core_errno(err, "read directory");
		sk_dir_close(d);
		return -1;
	}
	if (d->n > 1)
		qsort(d->names, d->n, sizeof(*d->names), by_name);
	return 0;
}

void
sk_dir_close(struct sk_dir *d)
{
	int	saved = errno;
	size_t	i;

	for (i = 0; i < d->n; i++)
		free(d->names[i]);
	free(d->names);
	if (d->priv != NULL)
		closedir(d->priv);
	else if (d->fd != -1)
		close(d->fd);
	empty(d);
	errno = saved;
}
