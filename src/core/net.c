/*
 * net.c - socket wrappers (see net.h).
 *
 * Every fd made here is close-on-exec.  Connects are always nonblocking
 * underneath so that a timeout can bound them; the blocking helpers hand
 * back blocking fds.
 */
#define _GNU_SOURCE		/* accept4, SOCK_CLOEXEC where available */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <net/if.h>

#include <ifaddrs.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sockkit/clock.h>
#include <sockkit/net.h>

#include "err.h"

/* Linux caps this at net.core.somaxconn; ask for all it allows. */
#define BACKLOG	65535

int
sk_net_parse_port(char *err, const char *s, int allow_zero)
{
	struct servent	*se;
	const char	*p;
	long		 v = 0;

	if (s == NULL || *s == '\0') {
		core_err(err, "invalid port ''");
		return -1;
	}
	for (p = s; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (*p - '0');
		if (v > 65535)
			break;
	}
	if (*p == '\0') {
		if (v > 65535 || (v == 0 && !allow_zero)) {
			core_err(err, "invalid port '%s' (use 1-65535%s)", s,
			    allow_zero ? ", or 0 for any free port" : "");
			return -1;
		}
		return (int)v;
	}
	/* Service names start with a letter; "80x" and "-5" are not names. */
	if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z')) {
		if ((se = getservbyname(s, "tcp")) != NULL ||
		    (se = getservbyname(s, "udp")) != NULL)
			return ntohs((uint16_t)se->s_port);
		core_err(err, "invalid port '%s' (unknown service)", s);
		return -1;
	}
	core_err(err, "invalid port '%s'", s);
	return -1;
}

int
sk_net_numeric_ok(const char *host)
{
	struct in_addr	 a;
	const char	*p;
	int		 digits_dots = 1;

	if (host == NULL || *host == '\0' || strchr(host, ':') != NULL)
		return 1;
	for (p = host; *p != '\0'; p++)
		if (!(*p >= '0' && *p <= '9') && *p != '.')
			digits_dots = 0;
	/* A name's last label is never all digits; inet_aton() takes what
	 * getaddrinfo() takes as a number (hex, octal, fewer parts). */
	if (!digits_dots && inet_aton(host, &a) == 0)
		return 1;
	return inet_pton(AF_INET, host, &a) == 1;
}

int
sk_net_resolve(char *err, const char *host, const char *port, int family,
    int socktype, int passive, struct addrinfo **res)
{
	struct addrinfo	hints;
	char		pbuf[8], hbuf[NI_MAXHOST];
	size_t		hlen;
	int		p, rc;

	if ((p = sk_net_parse_port(err, port, passive)) == -1) {
		errno = EINVAL;
		return -1;
	}
	/* "[::1]", as curl and ssh users type it. */
	if (host != NULL && host[0] == '[' && (hlen = strlen(host)) > 2 &&
	    host[hlen - 1] == ']' && hlen - 2 < sizeof(hbuf) &&
	    memchr(host + 1, ':', hlen - 2) != NULL) {
		memcpy(hbuf, host + 1, hlen - 2);
		hbuf[hlen - 2] = '\0';
		host = hbuf;
	}
	if (!sk_net_numeric_ok(host)) {
		core_err(err, "%s: not an address (an IPv4 address is four "
		    "numbers 0-255 with dots)", host);
		errno = EINVAL;
		return -1;
	}
	snprintf(pbuf, sizeof(pbuf), "%d", p);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = family;
	hints.ai_socktype = socktype;
	hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
	rc = getaddrinfo(host, pbuf, &hints, res);
	if (rc != 0) {
		if (rc == EAI_SYSTEM)
			core_errno(err, "resolve '%s'", host ? host : "*");
		else {
			core_err(err, "resolve '%s': %s", host ? host : "*",
			    gai_strerror(rc));
			errno = rc == EAI_MEMORY ? ENOMEM : EHOSTUNREACH;
		}
		return -1;
	}
	return 0;
}

static void
close_keep_errno(int fd)
{
	int	saved = errno;

	close(fd);
	errno = saved;
}

int
sk_net_socket(char *err, int family, int type, int protocol)
{
	int	fd;

#ifdef SOCK_CLOEXEC
	fd = socket(family, type | SOCK_CLOEXEC, protocol);
#else
	int	nonblock = (type & SOCK_NONBLOCK) != 0;

	if ((fd = socket(family, type & ~SOCK_NONBLOCK, protocol)) != -1) {
		(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
		if (nonblock && sk_net_nonblock(NULL, fd, 1) == -1) {
			close_keep_errno(fd);
			fd = -1;
		}
	}
#endif
	if (fd == -1)
		core_errno(err, "socket");
	return fd;
}

/*
 * Bind and (for streams) listen on one resolved address.  v6only: 0 for
 * the dual-stack socket, 1 when IPv6 was asked for (-6: IPv4 clients
 * must not come in through mapped addresses), -1 to leave the system's
 * default.
 */
static int
listen_one(char *err, const struct addrinfo *ai, int v6only, int flags)
{
	char	as[SK_ADDRSTRLEN];
	int	fd, on = 1, off = 0;

	sk_net_addr_str(ai->ai_addr, ai->ai_addrlen, as, sizeof(as));
	if ((fd = sk_net_socket(NULL, ai->ai_family,
	    ai->ai_socktype, ai->ai_protocol)) == -1) {
		core_errno(err, "socket for %s", as);
		return -1;
	}
	/*
	 * SO_REUSEADDR lets a restarted stream server bind past TIME_WAIT.
	 * On a datagram socket it would let a second one bind the same port
	 * and take its traffic, so there only sharers ask for it.
	 */
	if (ai->ai_socktype == SOCK_STREAM || (flags & SK_NET_SHARED))
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
		    sizeof(on));
#ifdef SO_REUSEPORT
	if ((flags & SK_NET_SHARED) && setsockopt(fd, SOL_SOCKET,
	    SO_REUSEPORT, &on, sizeof(on)) == -1) {
		core_errno(err, "setsockopt SO_REUSEPORT");
		close_keep_errno(fd);
		return -1;
	}
#endif
	if (v6only >= 0 && ai->ai_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, v6only ? &on :
		    &off, sizeof(off));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		core_errno(err, "bind %s", as);
		close_keep_errno(fd);
		return -1;
	}
	if (ai->ai_socktype == SOCK_STREAM && listen(fd, BACKLOG) == -1) {
		core_errno(err, "listen on %s", as);
		close_keep_errno(fd);
		return -1;
	}
	return fd;
}

int
sk_net_listen(char *err, const char *host, const char *port, int family,
    int socktype)
{
	return sk_net_bind(err, host, port, family, socktype, 0);
}

int
sk_net_bind(char *err, const char *host, const char *port, int family,
    int socktype, int flags)
{
	struct addrinfo	*res, *ai;
	int		 fd = -1, pass, dualstack;

	if (sk_net_resolve(err, host, port, family, socktype, 1, &res) == -1)
		return -1;
	/*
	 * With no address and no family, one IPv6 socket with V6ONLY off
	 * serves both families; so try IPv6 first, then the rest in the
	 * resolver's order.
	 */
	dualstack = host == NULL && family == AF_UNSPEC;
	for (pass = dualstack ? 0 : 1; pass < 2 && fd == -1; pass++)
		for (ai = res; ai != NULL && fd == -1; ai = ai->ai_next) {
			if (pass == 0 && ai->ai_family != AF_INET6)
				continue;
			fd = listen_one(err, ai, dualstack ? 0 :
			    family == AF_INET6 ? 1 : -1, flags);
		}
	freeaddrinfo(res);
	return fd;
}

int
sk_net_nonblock(char *err, int fd, int on)
{
	int	fl;

	if ((fl = fcntl(fd, F_GETFL)) == -1) {
		core_errno(err, "fcntl F_GETFL");
		return -1;
	}
	fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	if (fcntl(fd, F_SETFL, fl) == -1) {
		core_errno(err, "fcntl F_SETFL");
		return -1;
	}
	return 0;
}

int
sk_net_nodelay(char *err, int fd)
{
	int	on = 1;

	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) == -1) {
		core_errno(err, "setsockopt TCP_NODELAY");
		return -1;
	}
	return 0;
}

int
sk_net_abort(char *err, int fd)
{
	struct linger	l;
	int		rc = 0;

	l.l_onoff = 1;
	l.l_linger = 0;
	/* Not a socket (a pipe, a file): a plain close is all there is. */
	if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)) == -1 &&
	    errno != ENOTSOCK) {
		core_errno(err, "setsockopt SO_LINGER");
		rc = -1;
	}
	if (close(fd) == -1) {
		core_errno(err, "close");
		rc = -1;
	}
	return rc;
}

/* Open a nonblocking socket, bind it to src if given, start connecting. */
static int
start(char *err, const struct sockaddr *sa, socklen_t salen, int socktype,
    const struct addrinfo *src)
{
	char	as[SK_ADDRSTRLEN];
	int	fd, on = 1;

	sk_net_addr_str(sa, salen, as, sizeof(as));
	if ((fd = sk_net_socket(NULL, sa->sa_family, socktype, 0)) == -1) {
		core_errno(err, "socket for %s", as);
		return -1;
	}
	if (sk_net_nonblock(err, fd, 1) == -1) {
		close_keep_errno(fd);
		return -1;
	}
	if (src != NULL) {
		(void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on,
		    sizeof(on));
		if (bind(fd, src->ai_addr, src->ai_addrlen) == -1) {
			char	ss[SK_ADDRSTRLEN];

			sk_net_addr_str(src->ai_addr, src->ai_addrlen, ss,
			    sizeof(ss));
			core_errno(err, "bind source %s", ss);
			close_keep_errno(fd);
			return -1;
		}
	}
	if (connect(fd, sa, salen) == -1 && errno != EINPROGRESS &&
	    errno != EINTR) {
		core_errno(err, "connect to %s", as);
		close_keep_errno(fd);
		return -1;
	}
	return fd;
}

int
sk_net_connect_start(char *err, const struct sockaddr *sa, socklen_t salen,
    int socktype)
{
	return start(err, sa, salen, socktype, NULL);
}

int
sk_net_connect_finish(char *err, int fd)
{
	int		soerr = 0;
	socklen_t	len = sizeof(soerr);
	char		c;
	ssize_t		n;

	/*
	 * Peek first.  A peer may accept, send and reset before we look (a
	 * server turning us away says why, then resets): SO_ERROR would
	 * report the reset as a failed connect and clear it, losing both
	 * what was said and the reset.  A byte waiting means we connected;
	 * the reset then stays pending and comes after the bytes.  The end
	 * of the stream (0) is a connection too.  An error here is the
	 * connect's own (refused, unreachable), or a reset with nothing
	 * said; nothing yet (EAGAIN) leaves it to SO_ERROR.
	 */
	n = recv(fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
	if (n >= 0)
		return 0;
	if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
	    errno != ENOTCONN) {
		core_errno(err, "connect");
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1) {
		core_errno(err, "getsockopt SO_ERROR");
		return -1;
	}
	if (soerr != 0) {
		errno = soerr;
		core_errno(err, "connect");
		return -1;
	}
	return 0;
}

/*
 * Wait for events on fd until the deadline (-1: none).  Returns 1 when
 * ready, 0 on timeout (errno ETIMEDOUT), -1 on error.
 */
static int
wait_fd(int fd, short events, long long deadline)
{
	struct pollfd	pfd;
	long long	left;
	int		n, ms;

	for (;;) {
		ms = -1;
		if (deadline >= 0) {
			left = deadline - sk_clock_ms();
			if (left <= 0) {
				errno = ETIMEDOUT;
				return 0;
			}
			ms = left > INT_MAX ? INT_MAX : (int)left;
		}
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(&pfd, 1, ms);
		if (n > 0)
			return 1;
		if (n == -1 && errno != EINTR)
			return -1;
	}
}

static long long
deadline_of(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : sk_clock_ms() + timeout_ms;
}

/* Finish a started connect within timeout_ms and make fd blocking again. */
static int
complete(char *err, int fd, const char *what, int timeout_ms)
{
	int	rc;

	rc = wait_fd(fd, POLLOUT, deadline_of(timeout_ms <= 0 ? -1 :
	    timeout_ms));
	if (rc <= 0) {
		core_errno(err, "connect to %s", what);
		return -1;
	}
	if (sk_net_connect_finish(NULL, fd) == -1) {
		core_errno(err, "connect to %s", what);
		return -1;
	}
	return sk_net_nonblock(err, fd, 0);
}

int
sk_net_connect(char *err, const char *host, const char *port,
    const struct sk_net_dial *dial)
{
	static const struct sk_net_dial	 defaults;
	struct addrinfo			*res, *ai, *src = NULL, *s;
	char				 as[SK_ADDRSTRLEN];
	int				 fd = -1, socktype;

	if (dial == NULL)
		dial = &defaults;
	socktype = dial->socktype ? dial->socktype : SOCK_STREAM;
	if (sk_net_resolve(err, host, port, dial->family, socktype, 0,
	    &res) == -1)
		return -1;
	if ((dial->src_host != NULL || dial->src_port != NULL) &&
	    sk_net_resolve(err, dial->src_host,
	    dial->src_port ? dial->src_port : "0", dial->family, socktype, 1,
	    &src) == -1) {
		freeaddrinfo(res);
		return -1;
	}
	for (ai = res; ai != NULL && fd == -1; ai = ai->ai_next) {
		/* The source must be of the destination's family. */
		for (s = src; s != NULL; s = s->ai_next)
			if (s->ai_family == ai->ai_family)
				break;
		if (src != NULL && s == NULL) {
			errno = EAFNOSUPPORT;
			core_err(err, "no source address of the family of %s",
			    host);
			continue;
		}
		if ((fd = start(err, ai->ai_addr, ai->ai_addrlen, socktype,
		    s)) == -1)
			continue;
		sk_net_addr_str(ai->ai_addr, ai->ai_addrlen, as, sizeof(as));
		if (complete(err, fd, as, dial->timeout_ms) == -1) {
			close_keep_errno(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (src != NULL)
		freeaddrinfo(src);
	return fd;
}

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
	if ((fd = start(err, (struct sockaddr *)&sun, sunlen, socktype,
	    NULL)) == -1) {
		not_a_socket(err, path);
		return -1;
	}
	if (complete(err, fd, path, timeout_ms) == -1) {
		close_keep_errno(fd);
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
		close_keep_errno(fd);
		return -1;
	}
	if (socktype == SOCK_STREAM && listen(fd, BACKLOG) == -1) {
		core_errno(err, "listen on %s", path);
		close_keep_errno(fd);
		return -1;
	}
	return fd;
}

int
sk_net_accept(char *err, int lfd, struct sockaddr_storage *ss,
    socklen_t *sslen)
{
	socklen_t	dummy = 0;
	int		fd;

	if (sslen != NULL && ss != NULL)
		*sslen = sizeof(*ss);
	else {
		ss = NULL;
		sslen = &dummy;
	}
	for (;;) {
#if defined(__linux__) || defined(__FreeBSD__) || defined(__OpenBSD__)
		fd = accept4(lfd, (struct sockaddr *)ss, ss ? sslen : NULL,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
#else
		fd = accept(lfd, (struct sockaddr *)ss, ss ? sslen : NULL);
		if (fd != -1) {
			(void)fcntl(fd, F_SETFD, FD_CLOEXEC);
			if (sk_net_nonblock(err, fd, 1) == -1) {
				close_keep_errno(fd);
				return -1;
			}
		}
#endif
		if (fd != -1 || errno != EINTR)
			break;
	}
	/* Formatting a message for the common "none pending" costs time. */
	if (fd == -1 && errno != EAGAIN && errno != EWOULDBLOCK)
		core_errno(err, "accept");
	return fd;
}

ssize_t
sk_net_write(int fd, const void *p, size_t len)
{
	ssize_t	n;

	n = send(fd, p, len, MSG_NOSIGNAL);
	if (n == -1 && errno == ENOTSOCK)
		n = write(fd, p, len);
	return n;
}

enum { T_READ, T_SEND, T_WRITE };

/*
 * Move len bytes through fd in one direction (T_READ, T_SEND: send(2)
 * falling back to write(2), T_WRITE: write(2) only), across short
 * transfers, EINTR and EAGAIN (waiting with poll until the deadline).  A
 * read that meets the end of the stream returns the count moved so far.
 */
static ssize_t
transfer(char *err, int fd, void *p, size_t len, int timeout_ms, int how)
{
	int		 writing = how != T_READ;
	char		*c = p;
	long long	 deadline = deadline_of(timeout_ms);
	size_t		 done = 0;
	ssize_t		 n;

	while (done < len) {
		n = how == T_SEND ? sk_net_write(fd, c + done, len - done) :
		    how == T_WRITE ? write(fd, c + done, len - done) :
		    read(fd, c + done, len - done);
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n == 0 && !writing)
			break;
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
		    wait_fd(fd, writing ? POLLOUT : POLLIN, deadline) == 1)
			continue;
		core_errno(err, writing ? "send" : "receive");
		return -1;
	}
	return (ssize_t)done;
}

ssize_t
sk_net_send_all(char *err, int fd, const void *p, size_t len,
    int timeout_ms)
{
	/* transfer() only reads through p when it is not writing. */
	return transfer(err, fd, (void *)(uintptr_t)p, len, timeout_ms,
	    T_SEND);
}

ssize_t
sk_net_write_all(char *err, int fd, const void *p, size_t len)
{
	return transfer(err, fd, (void *)(uintptr_t)p, len, -1, T_WRITE);
}

ssize_t
sk_net_recv_exact(char *err, int fd, void *p, size_t len, int timeout_ms)
{
	return transfer(err, fd, p, len, timeout_ms, T_READ);
}

int
sk_net_host_str(const struct sockaddr *sa, socklen_t salen, char *buf,
    size_t len, int flags)
{
	const struct sockaddr_in6	*sin6;
	struct in_addr			 v4;
	char				 host[INET6_ADDRSTRLEN];
	int				 n, v6 = 0;

	if (sa->sa_family == AF_INET &&
	    salen >= (socklen_t)sizeof(struct sockaddr_in))
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr,
		    host, sizeof(host));
	else if (sa->sa_family == AF_INET6 &&
	    salen >= (socklen_t)sizeof(struct sockaddr_in6)) {
		sin6 = (const struct sockaddr_in6 *)sa;
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			memcpy(&v4, sin6->sin6_addr.s6_addr + 12, 4);
			inet_ntop(AF_INET, &v4, host, sizeof(host));
		} else {
			inet_ntop(AF_INET6, &sin6->sin6_addr, host,
			    sizeof(host));
			v6 = 1;
		}
	} else {
		errno = EAFNOSUPPORT;
		return -1;
	}
	v6 = v6 && (flags & SK_NET_BRACKETS);
	n = snprintf(buf, len, "%s%s%s", v6 ? "[" : "", host, v6 ? "]" : "");
	if (n < 0 || (size_t)n >= len) {
		if (len > 0)
			buf[0] = '\0';
		errno = ENOSPC;
		return -1;
	}
	return 0;
}

int
sk_net_addr_str(const struct sockaddr *sa, socklen_t salen, char *buf,
    size_t len)
{
	const struct sockaddr_un	*sun;
	char				 host[INET6_ADDRSTRLEN + 2];
	unsigned			 port;
	int				 n;

	switch (sa->sa_family) {
	case AF_INET:
	case AF_INET6:
		if (sk_net_host_str(sa, salen, host, sizeof(host),
		    SK_NET_BRACKETS) == -1) {
			n = snprintf(buf, len, "?");
			break;
		}
		port = ntohs(sa->sa_family == AF_INET ?
		    ((const struct sockaddr_in *)sa)->sin_port :
		    ((const struct sockaddr_in6 *)sa)->sin6_port);
		n = snprintf(buf, len, "%s:%u", host, port);
		break;
	case AF_UNIX:
		sun = (const struct sockaddr_un *)sa;
		if (salen <= offsetof(struct sockaddr_un, sun_path) ||
		    sun->sun_path[0] == '\0')
			n = snprintf(buf, len, "unix:unnamed");
		else
			n = snprintf(buf, len, "%.*s",
			    (int)(salen - offsetof(struct sockaddr_un,
			    sun_path)), sun->sun_path);
		break;
	default:
		n = snprintf(buf, len, "?");
		break;
	}
	return n < 0 ? 0 : n;
}

int
sk_net_local_str(char *err, int fd, char *buf, size_t len)
{
	struct sockaddr_storage	ss;
	socklen_t		sslen = sizeof(ss);

	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == -1) {
		core_errno(err, "getsockname");
		return -1;
	}
	return sk_net_addr_str((struct sockaddr *)&ss, sslen, buf, len);
}

int
sk_net_local_port(char *err, int fd)
{
	struct sockaddr_storage	ss;
	socklen_t		sslen = sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	if (getsockname(fd, (struct sockaddr *)&ss, &sslen) == -1) {
		core_errno(err, "getsockname");
		return -1;
	}
	if (ss.ss_family == AF_INET)
		return ntohs(((struct sockaddr_in *)&ss)->sin_port);
	if (ss.ss_family == AF_INET6)
		return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	errno = EAFNOSUPPORT;
	core_errno(err, "local port");
	return -1;
}

ssize_t
sk_net_recv_dgram(char *err, int fd, void *p, size_t len,
    struct sockaddr_storage *ss, socklen_t *sslen, int *truncated)
{
	return sk_net_recv_dgram_if(err, fd, p, len, ss, sslen, truncated,
	    NULL);
}

int
sk_net_recv_ifindex(char *err, int fd, int family)
{
	int	on = 1;

#ifdef IPV6_RECVPKTINFO
	if (family == AF_INET6 && setsockopt(fd, IPPROTO_IPV6,
	    IPV6_RECVPKTINFO, &on, sizeof(on)) == -1) {
		core_errno(err, "setsockopt IPV6_RECVPKTINFO");
		return -1;
	}
#endif
#ifdef IP_PKTINFO
	/* An IPv6 socket takes it too, for IPv4-mapped senders. */
	if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) == -1 &&
	    family == AF_INET) {
		core_errno(err, "setsockopt IP_PKTINFO");
		return -1;
	}
#endif
	(void)family;
	(void)on;
	return 0;
}

/*
 * The arrival interface from a datagram's control messages, or 0.  Only
 * pktinfo was asked for, so the first message is one (either family's
 * says the index); that also spares CMSG_NXTHDR(), whose musl macro does
 * not pass -Wsign-conversion.
 */
static unsigned
cmsg_ifindex(struct msghdr *msg)
{
	struct cmsghdr	*c = CMSG_FIRSTHDR(msg);

	if (c == NULL)
		return 0;
#ifdef IP_PKTINFO
	if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
		struct in_pktinfo	pi;

		memcpy(&pi, CMSG_DATA(c), sizeof(pi));
		return (unsigned)pi.ipi_ifindex;
	}
#endif
#ifdef IPV6_PKTINFO
	if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
		struct in6_pktinfo	pi6;

		memcpy(&pi6, CMSG_DATA(c), sizeof(pi6));
		return pi6.ipi6_ifindex;
	}
#endif
	return 0;
}

ssize_t
sk_net_recv_dgram_if(char *err, int fd, void *p, size_t len,
    struct sockaddr_storage *ss, socklen_t *sslen, int *truncated,
    unsigned *ifindex)
{
	struct msghdr	msg;
	struct iovec	iov;
	union {
		struct cmsghdr	hdr;
		char		buf[256];
	}		ctl;
	ssize_t		n;

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = p;
	iov.iov_len = len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if (ss != NULL) {
		msg.msg_name = ss;
		msg.msg_namelen = sizeof(*ss);
	}
	if (ifindex != NULL) {
		msg.msg_control = ctl.buf;
		msg.msg_controllen = sizeof(ctl.buf);
		*ifindex = 0;
	}
	do
		n = recvmsg(fd, &msg, 0);
	while (n == -1 && errno == EINTR);
	if (n == -1) {
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			core_errno(err, "receive");
		return -1;
	}
	if (sslen != NULL)
		*sslen = msg.msg_namelen;
	if (truncated != NULL)
		*truncated = (msg.msg_flags & MSG_TRUNC) != 0;
	if (ifindex != NULL)
		*ifindex = cmsg_ifindex(&msg);
	return n;
}

int
sk_net_broadcast(char *err, int fd)
{
	int	on = 1;

	if (setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &on, sizeof(on)) == -1) {
		core_errno(err, "setsockopt SO_BROADCAST");
		return -1;
	}
	return 0;
}

/* The index of the interface named, or 0 for "the system's choice". */
static int
iface_index(char *err, const char *iface, unsigned *idx)
{
	*idx = 0;
	if (iface == NULL)
		return 0;
	if ((*idx = if_nametoindex(iface)) == 0) {
		core_errno(err, "interface '%s'", iface);
		return -1;
	}
	return 0;
}

/* The first IPv4 address of an interface, for IPv4 multicast options. */
static int
iface_addr4(char *err, const char *iface, struct in_addr *a)
{
	struct ifaddrs	*ifa, *i;

	a->s_addr = htonl(INADDR_ANY);
	if (iface == NULL)
		return 0;
	if (getifaddrs(&ifa) == -1) {
		core_errno(err, "getifaddrs");
		return -1;
	}
	for (i = ifa; i != NULL; i = i->ifa_next)
		if (i->ifa_addr != NULL && i->ifa_addr->sa_family == AF_INET &&
		    strcmp(i->ifa_name, iface) == 0) {
			*a = ((struct sockaddr_in *)i->ifa_addr)->sin_addr;
			break;
		}
	freeifaddrs(ifa);
	if (i == NULL) {
		errno = EADDRNOTAVAIL;
		core_err(err, "interface '%s' has no IPv4 address", iface);
		return -1;
	}
	return 0;
}

int
sk_net_mcast_join(char *err, int fd, const char *group, const char *iface,
    int join)
{
	struct ip_mreq		m4;
	struct ipv6_mreq	m6;
	unsigned		idx;
	int			off = 0;

	if (inet_pton(AF_INET, group, &m4.imr_multiaddr) == 1) {
		if (!IN_MULTICAST(ntohl(m4.imr_multiaddr.s_addr))) {
			errno = EINVAL;
			core_err(err, "'%s' is not a multicast group", group);
			return -1;
		}
		if (iface_addr4(err, iface, &m4.imr_interface) == -1)
			return -1;
#ifdef IP_MULTICAST_ALL
		/* Linux delivers every group joined on the host otherwise. */
		(void)setsockopt(fd, IPPROTO_IP, IP_MULTICAST_ALL, &off,
		    sizeof(off));
#endif
		if (setsockopt(fd, IPPROTO_IP, join ? IP_ADD_MEMBERSHIP :
		    IP_DROP_MEMBERSHIP, &m4, sizeof(m4)) == -1) {
			core_errno(err, "%s group %s", join ? "join" : "leave",
			    group);
			return -1;
		}
		return 0;
	}
	if (inet_pton(AF_INET6, group, &m6.ipv6mr_multiaddr) == 1) {
		if (!IN6_IS_ADDR_MULTICAST(&m6.ipv6mr_multiaddr)) {
			errno = EINVAL;
			core_err(err, "'%s' is not a multicast group", group);
			return -1;
		}
		if (iface_index(err, iface, &idx) == -1)
			return -1;
		m6.ipv6mr_interface = idx;
#ifdef IPV6_MULTICAST_ALL
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, &off,
		    sizeof(off));
#endif
		if (setsockopt(fd, IPPROTO_IPV6, join ? IPV6_JOIN_GROUP :
		    IPV6_LEAVE_GROUP, &m6, sizeof(m6)) == -1) {
			core_errno(err, "%s group %s", join ? "join" : "leave",
			    group);
			return -1;
		}
		return 0;
	}
	(void)off;
	errno = EINVAL;
	core_err(err, "invalid multicast group '%s'", group);
	return -1;
}

int
sk_net_mcast_send_opts(char *err, int fd, int family, int ttl,
    const char *iface, int loop)
{
	struct in_addr	a;
	unsigned	idx;
	unsigned char	t4, l4 = loop ? 1 : 0;
	int		l6 = loop ? 1 : 0;

	if (family == AF_INET) {
		t4 = (unsigned char)ttl;
		if ((ttl >= 0 && setsockopt(fd, IPPROTO_IP, IP_MULTICAST_TTL,
		    &t4, sizeof(t4)) == -1) ||
		    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, &l4,
		    sizeof(l4)) == -1) {
			core_errno(err, "multicast options");
			return -1;
		}
		if (iface != NULL && (iface_addr4(err, iface, &a) == -1 ||
		    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, &a,
		    sizeof(a)) == -1)) {
			core_errno(err, "multicast interface '%s'", iface);
			return -1;
		}
		return 0;
	}
	if ((ttl >= 0 && setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS,
	    &ttl, sizeof(ttl)) == -1) ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, &l6,
	    sizeof(l6)) == -1) {
		core_errno(err, "multicast options");
		return -1;
	}
	if (iface != NULL && (iface_index(err, iface, &idx) == -1 ||
	    setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, &idx,
	    sizeof(idx)) == -1)) {
		core_errno(err, "multicast interface '%s'", iface);
		return -1;
	}
	return 0;
}

int
sk_net_bind_iface(char *err, int fd, const char *iface)
{
#ifdef SO_BINDTODEVICE
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, iface,
	    (socklen_t)strlen(iface) + 1) == -1) {
		core_errno(err, "bind to interface '%s'", iface);
		return -1;
	}
	return 0;
#else
	(void)fd;
	errno = ENOTSUP;
	core_errno(err, "bind to interface '%s'", iface);
	return -1;
#endif
}
