/*
 * path.h - keeping requested paths inside a served directory (fileserve,
 * http).
 *
 * sk_path_check() refuses the forms that point elsewhere: a NUL byte, an
 * absolute path, a ".." component.  sk_path_resolve() joins a checked
 * path to the root (itself a resolved path, from realpath(3)) and resolves
 * every symbolic link: -1 with errno from realpath (ENOENT, ENOTDIR,
 * EACCES, ...) or EPERM when the result is outside the root.
 */
#ifndef SOCKKIT_PATH_H
#define SOCKKIT_PATH_H

#include <stddef.h>

/* NULL, or why p[0..n) is refused. */
const char	*sk_path_check(const char *p, size_t n);

/* Is real (a resolved path) root itself or inside it? */
int		 sk_path_inside(const char *root, const char *real);

/* rel inside root, resolved into real (PATH_MAX bytes): 0, or -1. */
int		 sk_path_resolve(const char *root, const char *rel,
		    char *real);

#endif /* SOCKKIT_PATH_H */
