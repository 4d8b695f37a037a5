/*
 * net.h - socket wrappers: resolve, listen, connect with a timeout, accept,
 * Unix-domain sockets and complete sends and receives.
 *
 * Conventions (shared by the whole core):
 *  - Functions return >= 0 on success (an fd, a count) and -1 on failure.
 *  - Functions that touch the OS take `char *err` first: SK_ERRLEN bytes or
 *    NULL.  On failure it holds one line naming the step that failed, and
 *    errno still holds the cause.
 *  - Nothing here prints, exits or keeps global state.  SIGPIPE is never
 *    raised by the sends here (MSG_NOSIGNAL); plain write(2)s to pipes are
 *    the caller's business.
 */
#ifndef SOCKKIT_NET_H
#define SOCKKIT_NET_H

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netdb.h>
#include <stddef.h>

#define SK_ERRLEN	256
/* Longest "addr:port" string sk_net_addr_str() writes, NUL included. */
#define SK_ADDRSTRLEN	128

/*
 * socket(2), always close-on-exec: every fd the core makes is.  type may
 * add SOCK_NONBLOCK.  Returns the fd, or -1 with err "socket: ...".
 */
int	sk_net_socket(char *err, int family, int type, int protocol);

/*
 * Fill *sun for a Unix socket at path and set *len to the address length
 * to pass to bind(2) or connect(2).  0, or -1 with errno EINVAL (an empty
 * path: it would bind an unnamed socket) or ENAMETOOLONG.
 */
int	sk_net_unix_addr(char *err, const char *path, struct sockaddr_un *sun,
	    socklen_t *len);

/*
 * Parse a port: a decimal number in 1..65535 (0 too when allow_zero), or
 * a service name from the services database ("http", "ssh").  Returns the
 * port number, or -1 with errno EINVAL and a message in err ("invalid port
 * '70000'").
 */
int	sk_net_parse_port(char *err, const char *s, int allow_zero);

/*
 * 1 or 0, not -1: 1 when host may go to the resolver; 0 when it looks like
 * a number (digits, dots, 0x: what inet_aton() takes, "2130706433", "10.1",
 * "0x7f.1", "0177.0.0.1", "1.2.3.4.5") but is not a strict dotted quad
 * (four decimal parts 0-255, no leading zeros): getaddrinfo() would take
 * those shorthands for an address nobody meant.  NULL, names and IPv6
 * addresses (bracketed or not) are 1.
 */
int	sk_net_numeric_ok(const char *host);

/*
 * Is s a numeric IPv4 or IPv6 address (as inet_pton(3) takes it, no
 * brackets, no zone)?  Returns 1 or 0, not -1: on 1 *family is AF_INET or
 * AF_INET6 and *mcast says whether it is a multicast group (224.0.0.0/4,
 * ff00::/8); either pointer may be NULL.
 */
int	sk_net_numeric_addr(const char *s, int *family, int *mcast);

/*
 * Resolve host and port with getaddrinfo.  "[V6]" is taken as V6, as
 * curl and ssh take it; a host sk_net_numeric_ok() refuses fails with
 * errno EINVAL ("HOST: not an address ...").  host NULL means the wildcard
 * address when passive, else loopback.  family is AF_UNSPEC, AF_INET or
 * AF_INET6; socktype SOCK_STREAM or SOCK_DGRAM.  The port is checked with
 * sk_net_parse_port() first, so a bad port never reaches the resolver.
 * On success *res must be released with freeaddrinfo().
 */
int	sk_net_resolve(char *err, const char *host, const char *port,
	    int family, int socktype, int passive, struct addrinfo **res);

/*
 * Create a listening socket of the given type (SOCK_STREAM listens with a
 * full backlog, SOCK_DGRAM is only bound).  SO_REUSEADDR is set on stream
 * sockets only: a datagram port in use fails with EADDRINUSE (share one
 * with sk_net_bind() and SK_NET_SHARED).  With no host and no family the
 * socket is an IPv6 dual-stack one where the system allows it, else IPv4.
 * Port "0" picks a free port: ask sk_net_local_port() which one.  The fd
 * is close-on-exec and blocking.
 */
int	sk_net_listen(char *err, const char *host, const char *port,
	    int family, int socktype);

/* Flags for sk_net_bind(). */
#define SK_NET_SHARED	0x1	/* SO_REUSEPORT: several sockets share the
				   port (broadcast and multicast listeners) */

/*
 * sk_net_listen() with flags, for datagram sockets that share a port.
 */
int	sk_net_bind(char *err, const char *host, const char *port, int family,
	    int socktype, int flags);

/* Options for sk_net_connect(); a zeroed struct means the defaults. */
struct sk_net_dial {
	int		 family;	/* AF_UNSPEC (0), AF_INET, AF_INET6 */
	int		 socktype;	/* 0 means SOCK_STREAM */
	int		 timeout_ms;	/* <= 0: no limit beyond the kernel's */
	const char	*src_host;	/* bind to this source, or NULL */
	const char	*src_port;	/* bind to this source port, or NULL */
};

/*
 * Resolve and connect, trying each address in turn, each attempt bounded
 * by timeout_ms.  Returns a connected, blocking, close-on-exec fd.  err
 * names the last failure ("connect to 127.0.0.1:9: Connection refused").
 */
int	sk_net_connect(char *err, const char *host, const char *port,
	    const struct sk_net_dial *dial);

/*
 * Start a nonblocking connect to one address, for callers that wait on an
 * event loop (port scans).  Returns a nonblocking fd whose connect is
 * complete or in progress; wait for writability, then call
 * sk_net_connect_finish(), which returns 0 once connected, or -1 with errno
 * set to the connect error (ECONNREFUSED, ...).
 */
int	sk_net_connect_start(char *err, const struct sockaddr *sa,
	    socklen_t salen, int socktype);
int	sk_net_connect_finish(char *err, int fd);

/*
 * Unix-domain sockets.  sk_net_unix_listen() binds path; a stale socket file
 * left by a dead server (nobody answers on it) is removed first, while a
 * live socket or any other kind of file there is an error and left alone.
 */
int	sk_net_unix_listen(char *err, const char *path, int socktype);

/*
 * The socket file a server made, by identity: sk_net_unix_mark() notes
 * the device and inode of path just after it was bound, and at exit
 * sk_net_unix_remove() removes path only if it is still that socket, so
 * a server never deletes what another process put there since (a file,
 * a new server's socket).  Both return 0, or -1 with err set (remove:
 * errno EEXIST when path is no longer ours, and it is left alone).
 */
struct sk_net_unix_file {
	dev_t	dev;
	ino_t	ino;
	int	set;
};

int	sk_net_unix_mark(char *err, const char *path,
	    struct sk_net_unix_file *f);
int	sk_net_unix_remove(char *err, const char *path,
	    const struct sk_net_unix_file *f);
int	sk_net_unix_connect(char *err, const char *path, int socktype,
	    int timeout_ms);

/*
 * Accept one connection as a nonblocking, close-on-exec fd.  ss/sslen may
 * be NULL.  Returns -1 with errno EAGAIN when none is pending; other errors
 * (EMFILE, ECONNABORTED) also return -1 with err set.
 */
int	sk_net_accept(char *err, int lfd, struct sockaddr_storage *ss,
	    socklen_t *sslen);

int	sk_net_nonblock(char *err, int fd, int on);

/*
 * Close fd so that the peer sees a reset (RST), not an end of stream: for
 * a stream cut short (a signal), so the peer cannot take what it got for
 * all of it.  SO_LINGER with a zero timeout, then close(2); fd is closed
 * either way.  Returns 0, or -1 with err set.
 */
int	sk_net_abort(char *err, int fd);
int	sk_net_nodelay(char *err, int fd);

/*
 * One write of up to len bytes: send(2) without SIGPIPE on a socket,
 * write(2) on anything else.  Returns what they return: a count, or -1
 * with errno and no err argument (it runs per event).
 */
ssize_t	sk_net_write(int fd, const void *p, size_t len);

/*
 * Write all of p, looping over short writes and EINTR.  On a nonblocking
 * fd EAGAIN waits with poll(2), at most timeout_ms in all (< 0: forever).
 * Works on sockets (without SIGPIPE) and on other fds.  Returns len, or -1
 * (errno ETIMEDOUT when the time ran out, EPIPE when the peer has gone).
 */
ssize_t	sk_net_send_all(char *err, int fd, const void *p, size_t len,
	    int timeout_ms);

/*
 * The same for fds that are not sockets (files, pipes, terminals): plain
 * write(2), without first trying send(2).  No timeout.
 */
ssize_t	sk_net_write_all(char *err, int fd, const void *p, size_t len);

/*
 * Read exactly len bytes unless the stream ends first.  Returns the count
 * read (less than len only at end of stream), or -1 on error or timeout,
 * with the same EINTR/EAGAIN handling as sk_net_send_all().
 */
ssize_t	sk_net_recv_exact(char *err, int fd, void *p, size_t len,
	    int timeout_ms);

/*
 * Format a socket address as "1.2.3.4:80", "[::1]:80", or the path of a
 * Unix socket.  IPv4-mapped IPv6 addresses print as IPv4.  Returns the
 * length written, never -1 ("?" for another family); buf should hold
 * SK_ADDRSTRLEN bytes.
 */
int	sk_net_addr_str(const struct sockaddr *sa, socklen_t salen, char *buf,
	    size_t len);

/* Flags for sk_net_host_str(). */
#define SK_NET_BRACKETS	0x1	/* write IPv6 as "[::1]" */

/*
 * The numeric host of an IPv4 or IPv6 address alone, without the port:
 * "1.2.3.4", "::1" (or "[::1]" with SK_NET_BRACKETS); IPv4-mapped IPv6
 * prints as IPv4, as in sk_net_addr_str().  0, or -1 with errno
 * EAFNOSUPPORT (another family) or ENOSPC (buf too small; it then holds
 * "").
 */
int	sk_net_host_str(const struct sockaddr *sa, socklen_t salen, char *buf,
	    size_t len, int flags);

/* The local address of fd, formatted as by sk_net_addr_str(): its length,
 * or -1 with err set. */
int	sk_net_local_str(char *err, int fd, char *buf, size_t len);

/*
 * Receive one datagram into p (len bytes).  Returns its length as far as
 * it fits, sets *truncated when it was longer (MSG_TRUNC: the rest is
 * lost), and fills ss/sslen with the sender when they are not NULL.
 * -1 with errno EAGAIN when none is waiting.
 */
ssize_t	sk_net_recv_dgram(char *err, int fd, void *p, size_t len,
	    struct sockaddr_storage *ss, socklen_t *sslen, int *truncated);

/*
 * The same, also saying which interface the datagram came in on:
 * *ifindex is its index, or 0 when unknown.  Ask for that first, once,
 * with sk_net_recv_ifindex() (IP_PKTINFO, IPV6_RECVPKTINFO) on a socket
 * of that family.
 */
int	sk_net_recv_ifindex(char *err, int fd, int family);
ssize_t	sk_net_recv_dgram_if(char *err, int fd, void *p, size_t len,
	    struct sockaddr_storage *ss, socklen_t *sslen, int *truncated,
	    unsigned *ifindex);

/* Allow sending to broadcast addresses (SO_BROADCAST). */
int	sk_net_broadcast(char *err, int fd);

/*
 * Join (join = 1) or leave (0) a multicast group, IPv4 or IPv6, on the
 * interface named, or the one the system picks when iface is NULL.  On
 * Linux a socket then receives only the groups it joined itself.
 */
int	sk_net_mcast_join(char *err, int fd, const char *group,
	    const char *iface, int join);

/*
 * Multicast sending options for fd of the given family: the TTL (hop
 * limit; < 0 leaves it), the outgoing interface (NULL leaves it), and
 * whether our own datagrams loop back to this host.
 */
int	sk_net_mcast_send_opts(char *err, int fd, int family, int ttl,
	    const char *iface, int loop);

/* Send only through the interface named (SO_BINDTODEVICE; root). */
int	sk_net_bind_iface(char *err, int fd, const char *iface);

/* The local port of a bound socket, or -1. */
int	sk_net_local_port(char *err, int fd);

#endif /* SOCKKIT_NET_H */
