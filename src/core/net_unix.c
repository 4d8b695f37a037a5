/*
 * net_unix.c - Unix-domain sockets (see net.h): addresses, connecting,
 * listening over a stale socket file, and removing only our own file.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include <sockkit/net.h>

#include "err.h"
#include "net_impl.h"

int
sk_net_unix_addr(char *err, const char *path, struct sockaddr_un *sun,
    socklen_t *len)
{
	size_t	n = strlen(path);

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	/* "" would bind an unnamed (Linux: autobound abstract) socket. */
	if (n == 0) {
		errno = EINVAL;
		core_err(err, "empty unix socket path");
		return -1;
	}
	if (n >= sizeof(sun->sun_path)) {
		errno = ENAMETOOLONG;
		core_err(err, "unix socket path too long (%zu bytes at most): "
		    "%s", sizeof(sun->sun_path) - 1, path);
		return -1;
	}
	memcpy(sun->sun_path, path, n + 1);
	*len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
	return 0;
}

/*
 * A refused connect to a path that is not a socket at all (a regular
 * file, a directory): say that, not "Connection refused".  errno stays.
 */
static void
not_a_socket(char *err, const char *path)
{
	struct stat	st;
	int		saved = errno;

	if (saved == ECONNREFUSED && stat(path, &st) == 0 &&
	    !S_ISSOCK(st.st_mode))
		core_err(err, "connect to %s: not a socket", path);
	errno = saved;
}

int
sk_net_unix_connect(char *err, const char *path, int socktype,
    int timeout_ms)
{
	struct sockaddr_un	sun;
	socklen_t		sunlen;
	int			fd;

	if (sk_net_unix_addr(err, path, &sun, &sunlen) == -1)
		return -1;
	if ((fd = net_start(err, (struct sockaddr *)&sun, sunlen, socktype,
	    NULL)) == -1) {
		not_a_socket(err, path);
		return -1;
	}
	if (net_complete(err, fd, path, timeout_ms) == -1) {
		net_close_keep_errno(fd);
		not_a_socket(err, path);
		return -1;
	}
	return fd;
}

/*
 * A socket file at path: remove it if it is stale (no server answers), as
 * a crashed server leaves it; refuse to touch a live one or a non-socket.
 */
static int
clear_stale(char *err, const char *path, int socktype)
{
	struct stat	st;
	int		fd;

	if (lstat(path, &st) == -1)
		return errno == ENOENT ? 0 : (core_errno(err, "%s", path), -1);
	if (!S_ISSOCK(st.st_mode)) {
		errno = EEXIST;
		core_err(err, "%s exists and is not a socket", path);
		return -1;
	}
	if ((fd = sk_net_unix_connect(NULL, path, socktype, 1000)) != -1) {
		close(fd);
		errno = EADDRINUSE;
		core_errno(err, "%s", path);
		return -1;
	}
	if (errno != ECONNREFUSED) {
		core_errno(err, "probe %s", path);
		return -1;
	}
	if (unlink(path) == -1 && errno != ENOENT) {
		core_errno(err, "remove stale socket %s", path);
		return -1;
	}
	return 0;
}

int
sk_net_unix_mark(char *err, const char *path, struct sk_net_unix_file *f)
{
	struct stat	st;

	f->set = 0;
	if (lstat(path, &st) == -1) {
		core_errno(err, "stat %s", path);
		return -1;
	}
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->set = 1;
	return 0;
}

int
sk_net_unix_remove(char *err, const char *path,
    const struct sk_net_unix_file *f)
{
	struct stat	st;

	if (!f->set || lstat(path, &st) == -1 || !S_ISSOCK(st.st_mode) ||
	    st.st_dev != f->dev || st.st_ino != f->ino) {
		errno = EEXIST;
		core_err(err, "%s is no longer our socket: left alone", path);
		return -1;
	}
	if (unlink(path) == -1) {
		core_errno(err, "remove %s", path);
		return -1;
	}
	return 0;
}

int
sk_net_unix_listen(char *err, const char *path, int socktype)
{
	struct sockaddr_un	sun;
	socklen_t		sunlen;
	int			fd;

	if (sk_net_unix_addr(err, path, &sun, &sunlen) == -1)
		return -1;
	if (clear_stale(err, path, socktype) == -1)
		return -1;
	if ((fd = sk_net_socket(err, AF_UNIX, socktype, 0)) == -1)
		return -1;
	if (bind(fd, (struct sockaddr *)&sun, sunlen) == -1) {
		core_errno(err, "bind %s", path);
		net_close_keep_errno(fd);
		return -1;
	}
	if (socktype == SOCK_STREAM && listen(fd, NET_BACKLOG) == -1) {
		core_errno(err, "listen on %s", path);
		net_close_keep_errno(fd);
		return -1;
	}
	return fd;
}
