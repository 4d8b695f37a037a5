/*
 * net.c - socket wrappers (see net.h): resolving, listening, connecting,
 * accepting, socket options and addresses as text.  Unix-domain sockets
 * are in net_unix.c, the complete sends and receives in net_io.c, and
 * datagrams, broadcast and multicast in net_dgram.c.
 *
 * Every fd made here is close-on-exec.  Connects are always nonblocking
 * underneath so that a timeout can bound them; the blocking helpers hand
 * back blocking fds.
 */
#define _GNU_SOURCE		/* accept4, SOCK_CLOEXEC where available */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sockkit/net.h>

#include "err.h"
#include "net_impl.h"

int
sk_net_parse_port(char *err, const char *s, int allow_zero)
{
	struct servent	*se;
	const char	*p;
	long		 v = 0;

	if (s == NULL || *s == '\0') {
		errno = EINVAL;
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
			errno = EINVAL;
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
		errno = EINVAL;
		core_err(err, "invalid port '%s' (unknown service)", s);
		return -1;
	}
	errno = EINVAL;
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
sk_net_numeric_addr(const char *s, int *family, int *mcast)
{
	struct in_addr	a4;
	struct in6_addr	a6;
	int		f, m;

	if (inet_pton(AF_INET, s, &a4) == 1) {
		f = AF_INET;
		m = IN_MULTICAST(ntohl(a4.s_addr));
	} else if (inet_pton(AF_INET6, s, &a6) == 1) {
		f = AF_INET6;
		m = IN6_IS_ADDR_MULTICAST(&a6);
	} else
		return 0;
	if (family != NULL)
		*family = f;
	if (mcast != NULL)
		*mcast = m != 0;
	return 1;
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

void
net_close_keep_errno(int fd)
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
			net_close_keep_errno(fd);
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
		net_close_keep_errno(fd);
		return -1;
	}
#endif
	if (v6only >= 0 && ai->ai_family == AF_INET6)
		(void)setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, v6only ? &on :
		    &off, sizeof(off));
	if (bind(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		core_errno(err, "bind %s", as);
		net_close_keep_errno(fd);
		return -1;
	}
	if (ai->ai_socktype == SOCK_STREAM && listen(fd, NET_BACKLOG) == -1) {
		core_errno(err, "listen on %s", as);
		net_close_keep_errno(fd);
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
net_set_on(char *err, int fd, int level, int name, const char *what)
{
	int	on = 1;

	if (setsockopt(fd, level, name, &on, sizeof(on)) == -1) {
		core_errno(err, "setsockopt %s", what);
		return -1;
	}
	return 0;
}

int
sk_net_nodelay(char *err, int fd)
{
	return net_set_on(err, fd, IPPROTO_TCP, TCP_NODELAY, "TCP_NODELAY");
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
int
net_start(char *err, const struct sockaddr *sa, socklen_t salen,
    int socktype, const struct addrinfo *src)
{
	char	as[SK_ADDRSTRLEN];
	int	fd, on = 1;

	sk_net_addr_str(sa, salen, as, sizeof(as));
	if ((fd = sk_net_socket(NULL, sa->sa_family, socktype, 0)) == -1) {
		core_errno(err, "socket for %s", as);
		return -1;
	}
	if (sk_net_nonblock(err, fd, 1) == -1) {
		net_close_keep_errno(fd);
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
			net_close_keep_errno(fd);
			return -1;
		}
	}
	if (connect(fd, sa, salen) == -1 && errno != EINPROGRESS &&
	    errno != EINTR) {
		core_errno(err, "connect to %s", as);
		net_close_keep_errno(fd);
		return -1;
	}
	return fd;
}

int
sk_net_connect_start(char *err, const struct sockaddr *sa, socklen_t salen,
    int socktype)
{
	return net_start(err, sa, salen, socktype, NULL);
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

/* See net_impl.h, as for net_start(). */
int
net_complete(char *err, int fd, const char *what, int timeout_ms)
{
	int	rc;

	rc = net_wait_fd(fd, POLLOUT, net_deadline(timeout_ms <= 0 ? -1 :
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
		if ((fd = net_start(err, ai->ai_addr, ai->ai_addrlen, socktype,
		    s)) == -1)
			continue;
		sk_net_addr_str(ai->ai_addr, ai->ai_addrlen, as, sizeof(as));
		if (net_complete(err, fd, as, dial->timeout_ms) == -1) {
			net_close_keep_errno(fd);
			fd = -1;
		}
	}
	freeaddrinfo(res);
	if (src != NULL)
		freeaddrinfo(src);
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
				net_close_keep_errno(fd);
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
