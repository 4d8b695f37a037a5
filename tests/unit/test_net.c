/*
 * test_net.c - socket wrappers on loopback and Unix sockets: ports,
 * resolving, listening on port 0, dual stack, connecting with a timeout,
 * refused connects, complete sends and receives across short writes and
 * EAGAIN, SIGPIPE never raised, stale Unix socket files.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <net/if.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sockkit/net.h>

#include "testutil.h"

struct pcase {
	const char	*in;
	int		 allow_zero;
	int		 want;
};

static const struct pcase pcases[] = {
	{ "80",		0, 80 },
	{ "1",		0, 1 },
	{ "65535",	0, 65535 },
	{ "0",		1, 0 },
	{ "0",		0, -1 },
	{ "65536",	0, -1 },
	{ "70000",	1, -1 },
	{ "99999999999999999999", 0, -1 },
	{ "-5",		0, -1 },
	{ "+5",		0, -1 },
	{ "80x",	0, -1 },
	{ "x80",	0, -1 },
	{ " 80",	0, -1 },
	{ "",		0, -1 },
	{ "nosuchservice", 0, -1 },
};

static void
test_parse_port(void **state)
{
	char	err[SK_ERRLEN];
	size_t	i;
	int	got;

	(void)state;
	for (i = 0; i < sizeof(pcases) / sizeof(pcases[0]); i++) {
		err[0] = '\0';
		errno = 0;
		got = sk_net_parse_port(err, pcases[i].in,
		    pcases[i].allow_zero);
		if (got != pcases[i].want)
			fail_msg("port '%s': got %d, want %d", pcases[i].in,
			    got, pcases[i].want);
		if (got == -1) {
			assert_non_null(strstr(err, "invalid port"));
			assert_int_equal(errno, EINVAL);
		}
	}
	/* Service names, where the services database has them. */
	if (getservbyname("http", "tcp") != NULL)
		assert_int_equal(sk_net_parse_port(NULL, "http", 0), 80);
	assert_int_equal(sk_net_parse_port(NULL, NULL, 0), -1);
}

static void
test_resolve(void **state)
{
	struct addrinfo	*res;
	char		 err[SK_ERRLEN];

	(void)state;
	assert_int_equal(sk_net_resolve(err, "127.0.0.1", "80", AF_UNSPEC,
	    SOCK_STREAM, 0, &res), 0);
	assert_int_equal(res->ai_family, AF_INET);
	freeaddrinfo(res);
	assert_int_equal(sk_net_resolve(err, "::1", "80", AF_UNSPEC,
	    SOCK_STREAM, 0, &res), 0);
	assert_int_equal(res->ai_family, AF_INET6);
	freeaddrinfo(res);
	/* -4 with an IPv6 literal cannot resolve. */
	assert_int_equal(sk_net_resolve(err, "::1", "80", AF_INET,
	    SOCK_STREAM, 0, &res), -1);
	assert_non_null(strstr(err, "resolve '::1'"));
	/* A bad port never reaches the resolver. */
	assert_int_equal(sk_net_resolve(err, "127.0.0.1", "70000", AF_UNSPEC,
	    SOCK_STREAM, 0, &res), -1);
	assert_non_null(strstr(err, "invalid port '70000'"));
	/* "localhost" is a name, resolved by getaddrinfo. */
	assert_int_equal(sk_net_resolve(err, "localhost", "80", AF_INET,
	    SOCK_STREAM, 0, &res), 0);
	freeaddrinfo(res);
}

/* inet_aton's shorthands are refused; dotted quads, names, IPv6 pass. */
static void
test_numeric_ok(void **state)
{
	static const char *const bad[] = {
		"2130706433", "3232235777", "10.1", "127.1", "127.0.1",
		"0x7f.1", "0x7f.0.0.1", "0177.0.0.1", "010.0.0.1",
		"127.000.0.1", "1.2.3.4.5", "256.0.0.1", "1.2.3.", "0",
		"127.0.0.1 ", "0x7f000001",
	};
	static const char *const good[] = {
		"127.0.0.1", "0.0.0.0", "255.255.255.255", "10.0.0.1",
		"localhost", "example.com", "1e100.net", "::1", "fe80::1%lo",
		"::ffff:127.0.0.1", "cafe", "a.b.c.d",
	};
	struct addrinfo	*res;
	char		 err[SK_ERRLEN];
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (sk_net_numeric_ok(bad[i]))
			fail_msg("'%s' taken", bad[i]);
		/* Not even the resolve path takes it. */
		errno = 0;
		assert_int_equal(sk_net_resolve(err, bad[i], "80", AF_UNSPEC,
		    SOCK_STREAM, 0, &res), -1);
		assert_int_equal(errno, EINVAL);
		assert_non_null(strstr(err, "not an address"));
	}
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!sk_net_numeric_ok(good[i]))
			fail_msg("'%s' refused", good[i]);
	assert_int_equal(sk_net_numeric_ok(NULL), 1);
	/* "[::1]" is ::1, as curl and ssh take it. */
	assert_int_equal(sk_net_resolve(err, "[::1]", "80", AF_UNSPEC,
	    SOCK_STREAM, 0, &res), 0);
	assert_int_equal(res->ai_family, AF_INET6);
	freeaddrinfo(res);
}

static void
test_addr_str(void **state)
{
	struct sockaddr_in	sin;
	struct sockaddr_in6	sin6;
	struct sockaddr_un	sun;
	char			buf[SK_ADDRSTRLEN];

	(void)state;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(8080);
	inet_pton(AF_INET, "10.1.2.3", &sin.sin_addr);
	sk_net_addr_str((struct sockaddr *)&sin, sizeof(sin), buf,
	    sizeof(buf));
	assert_string_equal(buf, "10.1.2.3:8080");
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(443);
	inet_pton(AF_INET6, "2001:db8::1", &sin6.sin6_addr);
	sk_net_addr_str((struct sockaddr *)&sin6, sizeof(sin6), buf,
	    sizeof(buf));
	assert_string_equal(buf, "[2001:db8::1]:443");
	/* IPv4-mapped addresses (dual stack) read as IPv4. */
	inet_pton(AF_INET6, "::ffff:127.0.0.1", &sin6.sin6_addr);
	sk_net_addr_str((struct sockaddr *)&sin6, sizeof(sin6), buf,
	    sizeof(buf));
	assert_string_equal(buf, "127.0.0.1:443");
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strcpy(sun.sun_path, "/tmp/x.sock");
	sk_net_addr_str((struct sockaddr *)&sun, sizeof(sun), buf,
	    sizeof(buf));
	assert_string_equal(buf, "/tmp/x.sock");
}

static void
test_numeric_addr(void **state)
{
	static const struct {
		const char	*s;
		int		 want, family, mcast;
	} ncases[] = {
		{ "127.0.0.1", 1, AF_INET, 0 },
		{ "224.0.0.1", 1, AF_INET, 1 },
		{ "239.255.255.255", 1, AF_INET, 1 },
		{ "223.255.255.255", 1, AF_INET, 0 },
		{ "240.0.0.0", 1, AF_INET, 0 },
		{ "::1", 1, AF_INET6, 0 },
		{ "ff02::1", 1, AF_INET6, 1 },
		{ "fe80::1", 1, AF_INET6, 0 },
		{ "::ffff:224.0.0.1", 1, AF_INET6, 0 },
		{ "[::1]", 0, 0, 0 },
		{ "ff02::1%eth0", 0, 0, 0 },
		{ "10.1", 0, 0, 0 },
		{ "localhost", 0, 0, 0 },
		{ "", 0, 0, 0 },
	};
	size_t	i;
	int	family, mcast;

	(void)state;
	for (i = 0; i < sizeof(ncases) / sizeof(ncases[0]); i++) {
		family = mcast = -1;
		assert_int_equal(sk_net_numeric_addr(ncases[i].s, &family,
		    &mcast), ncases[i].want);
		if (ncases[i].want == 1) {
			assert_int_equal(family, ncases[i].family);
			assert_int_equal(mcast, ncases[i].mcast);
		} else
			assert_true(family == -1 && mcast == -1);
		assert_int_equal(sk_net_numeric_addr(ncases[i].s, NULL, NULL),
		    ncases[i].want);
	}
}

static void
test_host_str(void **state)
{
	static const struct {
		int		 family;
		const char	*addr;
		int		 flags;
		size_t		 len;
		int		 want;
		const char	*out;
	} hcases[] = {
		{ AF_INET, "10.1.2.3", 0, 64, 0, "10.1.2.3" },
		{ AF_INET, "10.1.2.3", SK_NET_BRACKETS, 64, 0, "10.1.2.3" },
		{ AF_INET6, "2001:db8::1", 0, 64, 0, "2001:db8::1" },
		{ AF_INET6, "2001:db8::1", SK_NET_BRACKETS, 64, 0,
		    "[2001:db8::1]" },
		{ AF_INET6, "::1", SK_NET_BRACKETS, 6, 0, "[::1]" },
		{ AF_INET6, "::1", SK_NET_BRACKETS, 5, -1, "" },
		{ AF_INET6, "::1", 0, 4, 0, "::1" },
		{ AF_INET6, "::1", 0, 3, -1, "" },
		/* IPv4-mapped: IPv4, without brackets. */
		{ AF_INET6, "::ffff:127.0.0.1", SK_NET_BRACKETS, 64, 0,
		    "127.0.0.1" },
		{ AF_INET, "255.255.255.255", 0, 16, 0, "255.255.255.255" },
		{ AF_INET, "255.255.255.255", 0, 15, -1, "" },
	};
	struct sockaddr_storage	ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	struct sockaddr_un	sun;
	char			buf[64];
	socklen_t		len;
	size_t			i;

	(void)state;
	for (i = 0; i < sizeof(hcases) / sizeof(hcases[0]); i++) {
		memset(&ss, 0, sizeof(ss));
		ss.ss_family = (sa_family_t)hcases[i].family;
		if (hcases[i].family == AF_INET) {
			sin->sin_port = htons(80);
			inet_pton(AF_INET, hcases[i].addr, &sin->sin_addr);
			len = sizeof(*sin);
		} else {
			sin6->sin6_port = htons(80);
			inet_pton(AF_INET6, hcases[i].addr, &sin6->sin6_addr);
			len = sizeof(*sin6);
		}
		errno = 0;
		assert_int_equal(sk_net_host_str((struct sockaddr *)&ss, len,
		    buf, hcases[i].len, hcases[i].flags), hcases[i].want);
		assert_string_equal(buf, hcases[i].out);
		if (hcases[i].want == -1)
			assert_int_equal(errno, ENOSPC);
	}
	/* Unix sockets have no host. */
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	assert_int_equal(sk_net_host_str((struct sockaddr *)&sun, sizeof(sun),
	    buf, sizeof(buf), 0), -1);
	assert_int_equal(errno, EAFNOSUPPORT);
}

static void
test_socket_unix_addr(void **state)
{
	static const struct {
		size_t	len;		/* path length */
		int	want;
		int	err;
	} ucases[] = {
		{ 0, -1, EINVAL },
		{ 1, 0, 0 },
		{ sizeof(((struct sockaddr_un *)0)->sun_path) - 1, 0, 0 },
		{ sizeof(((struct sockaddr_un *)0)->sun_path), -1,
		    ENAMETOOLONG },
		{ 300, -1, ENAMETOOLONG },
	};
	struct sockaddr_un	sun;
	char			err[SK_ERRLEN], path[301];
	socklen_t		len;
	size_t			i;
	int			fd, types[] = { SOCK_STREAM, SOCK_DGRAM,
				    SOCK_DGRAM | SOCK_NONBLOCK };

	(void)state;
	for (i = 0; i < sizeof(ucases) / sizeof(ucases[0]); i++) {
		memset(path, 'p', ucases[i].len);
		path[ucases[i].len] = '\0';
		errno = 0;
		assert_int_equal(sk_net_unix_addr(err, path, &sun, &len),
		    ucases[i].want);
		if (ucases[i].want == -1) {
			assert_int_equal(errno, ucases[i].err);
			continue;
		}
		assert_int_equal(sun.sun_family, AF_UNIX);
		assert_string_equal(sun.sun_path, path);
		assert_true(len > ucases[i].len && len <= sizeof(sun));
	}
	/* Every socket is close-on-exec; SOCK_NONBLOCK is honoured. */
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		fd = sk_net_socket(err, AF_INET, types[i], 0);
		assert_true(fd >= 0);
		assert_true(fcntl(fd, F_GETFD) & FD_CLOEXEC);
		assert_int_equal((fcntl(fd, F_GETFL) & O_NONBLOCK) != 0,
		    (types[i] & SOCK_NONBLOCK) != 0);
		close(fd);
	}
	assert_int_equal(sk_net_socket(err, -1, SOCK_STREAM, 0), -1);
	assert_non_null(strstr(err, "socket"));
}

/* Listen on port 0 at host, connect, accept; returns the port. */
static int
roundtrip(const char *host, const char *connect_to, int family)
{
	char			err[SK_ERRLEN], port[8], buf[8];
	struct sockaddr_storage	ss;
	socklen_t		sslen;
	struct sk_net_dial	dial;
	int			lfd, cfd, afd, p;

	lfd = sk_net_listen(err, host, "0", family, SOCK_STREAM);
	if (lfd == -1)
		fail_msg("listen %s: %s", host ? host : "*", err);
	p = sk_net_local_port(err, lfd);
	assert_true(p > 0 && p < 65536);
	snprintf(port, sizeof(port), "%d", p);
	memset(&dial, 0, sizeof(dial));
	dial.timeout_ms = 2000;
	cfd = sk_net_connect(err, connect_to, port, &dial);
	if (cfd == -1)
		fail_msg("connect %s:%s: %s", connect_to, port, err);
	/* The accepted fd is nonblocking: wait for it to be there. */
	assert_int_equal(sk_net_nonblock(err, lfd, 1), 0);
	sslen = sizeof(ss);
	while ((afd = sk_net_accept(err, lfd, &ss, &sslen)) == -1 &&
	    errno == EAGAIN)
		poll(NULL, 0, 1);
	assert_true(afd >= 0);
	assert_true(fcntl(afd, F_GETFL) & O_NONBLOCK);
	assert_true(fcntl(afd, F_GETFD) & FD_CLOEXEC);
	/* The connected fd is blocking. */
	assert_false(fcntl(cfd, F_GETFL) & O_NONBLOCK);
	assert_int_equal(sk_net_send_all(err, cfd, "ping", 4, 1000), 4);
	assert_int_equal(sk_net_recv_exact(err, afd, buf, 4, 1000), 4);
	assert_memory_equal(buf, "ping", 4);
	close(cfd);
	close(afd);
	close(lfd);
	return p;
}

static void
test_listen_connect_v4(void **state)
{
	(void)state;
	roundtrip("127.0.0.1", "127.0.0.1", AF_UNSPEC);
	roundtrip(NULL, "127.0.0.1", AF_INET);
}

static int
have_ipv6(void)
{
	int	fd = socket(AF_INET6, SOCK_STREAM, 0);
	struct sockaddr_in6 sin6;
	int	ok;

	if (fd == -1)
		return 0;
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_addr = in6addr_loopback;
	ok = bind(fd, (struct sockaddr *)&sin6, sizeof(sin6)) == 0;
	close(fd);
	return ok;
}

static void
test_listen_connect_v6(void **state)
{
	(void)state;
	if (!have_ipv6())
		skip();
	roundtrip("::1", "::1", AF_UNSPEC);
	/* No address, no family: one dual-stack socket takes both. */
	roundtrip(NULL, "::1", AF_UNSPEC);
	roundtrip(NULL, "127.0.0.1", AF_UNSPEC);
	/* -6 (AF_INET6, no address) is IPv6 only: no mapped IPv4 clients. */
	roundtrip(NULL, "::1", AF_INET6);
	{
		char	err[SK_ERRLEN], port[16];
		int	lfd, cfd;

		lfd = sk_net_listen(err, NULL, "0", AF_INET6, SOCK_STREAM);
		assert_true(lfd >= 0);
		snprintf(port, sizeof(port), "%d", sk_net_local_port(NULL, lfd));
		cfd = sk_net_connect(err, "127.0.0.1", port, NULL);
		assert_int_equal(cfd, -1);
		assert_int_equal(errno, ECONNREFUSED);
		close(lfd);
	}
}

static void
test_connect_refused(void **state)
{
	char			err[SK_ERRLEN], port[8];
	struct sk_net_dial	dial;
	int			lfd, p;

	(void)state;
	/* A port that was just free: bind, learn it, close. */
	lfd = sk_net_listen(err, "127.0.0.1", "0", AF_INET, SOCK_STREAM);
	p = sk_net_local_port(err, lfd);
	close(lfd);
	snprintf(port, sizeof(port), "%d", p);
	memset(&dial, 0, sizeof(dial));
	dial.timeout_ms = 2000;
	assert_int_equal(sk_net_connect(err, "127.0.0.1", port, &dial), -1);
	assert_int_equal(errno, ECONNREFUSED);
	assert_non_null(strstr(err, "connect to 127.0.0.1:"));
	assert_non_null(strstr(err, "refused"));
}

static void
test_connect_source(void **state)
{
	char			err[SK_ERRLEN], port[8], as[SK_ADDRSTRLEN];
	struct sk_net_dial	dial;
	int			lfd, cfd;

	(void)state;
	lfd = sk_net_listen(err, "127.0.0.1", "0", AF_INET, SOCK_STREAM);
	snprintf(port, sizeof(port), "%d", sk_net_local_port(err, lfd));
	memset(&dial, 0, sizeof(dial));
	dial.src_host = "127.0.0.2";
	cfd = sk_net_connect(err, "127.0.0.1", port, &dial);
	if (cfd == -1)
		fail_msg("%s", err);
	sk_net_local_str(err, cfd, as, sizeof(as));
	assert_true(strncmp(as, "127.0.0.2:", 10) == 0);
	close(cfd);
	close(lfd);
}

static void
test_connect_start_finish(void **state)
{
	struct sockaddr_in	sin;
	char			err[SK_ERRLEN];
	struct pollfd		pfd;
	int			lfd, fd;

	(void)state;
	lfd = sk_net_listen(err, "127.0.0.1", "0", AF_INET, SOCK_STREAM);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)sk_net_local_port(err, lfd));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = sk_net_connect_start(err, (struct sockaddr *)&sin, sizeof(sin),
	    SOCK_STREAM);
	assert_true(fd >= 0);
	pfd.fd = fd;
	pfd.events = POLLOUT;
	assert_int_equal(poll(&pfd, 1, 2000), 1);
	assert_int_equal(sk_net_connect_finish(err, fd), 0);
	close(fd);
	/* The same port closed: the finish reports the refusal. */
	close(lfd);
	fd = sk_net_connect_start(err, (struct sockaddr *)&sin, sizeof(sin),
	    SOCK_STREAM);
	if (fd != -1) {
		assert_int_equal(poll(&pfd, 1, 2000), 1);
		pfd.fd = fd;
		assert_int_equal(poll(&pfd, 1, 2000), 1);
		assert_int_equal(sk_net_connect_finish(err, fd), -1);
		assert_int_equal(errno, ECONNREFUSED);
		close(fd);
	} else
		assert_int_equal(errno, ECONNREFUSED);
}

/*
 * A connect that cannot complete is bounded by the timeout: fill a
 * listener's backlog (never accepting) so later SYNs get no answer.
 */
static void
test_connect_timeout(void **state)
{
	char			err[SK_ERRLEN], port[8];
	struct sockaddr_in	sin;
	struct sk_net_dial	dial;
	int			lfd, fds[64], n = 0, fd, i;
	long long		t0;
	struct timespec		ts;

	(void)state;
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(listen(lfd, 0), 0);
	snprintf(port, sizeof(port), "%d", sk_net_local_port(err, lfd));
	memset(&dial, 0, sizeof(dial));
	dial.timeout_ms = 200;
	/* Fill the queue: connects succeed until it is full. */
	for (i = 0; i < 64; i++) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		t0 = ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
		fd = sk_net_connect(err, "127.0.0.1", port, &dial);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if (fd == -1) {
			assert_int_equal(errno, ETIMEDOUT);
			assert_true(ts.tv_sec * 1000LL + ts.tv_nsec / 1000000 -
			    t0 < 2000);
			break;
		}
		fds[n++] = fd;
	}
	assert_true(i < 64);
	while (n > 0)
		close(fds[--n]);
	close(lfd);
}

/* Short writes and EAGAIN: a tiny socket buffer and a slow reader. */
static void
test_send_all_recv_exact(void **state)
{
	static char	 out[1 << 20], in[1 << 20];
	char		 err[SK_ERRLEN];
	int		 sv[2], sz = 2048;
	size_t		 i;
	pid_t		 pid;
	int		 status;

	(void)state;
	for (i = 0; i < sizeof(out); i++)
		out[i] = (char)(i * 7 + i / 251);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	assert_int_equal(sk_net_nonblock(err, sv[0], 1), 0);
	assert_int_equal(sk_net_nonblock(err, sv[1], 1), 0);
	if ((pid = fork()) == 0) {
		close(sv[1]);
		_exit(sk_net_send_all(err, sv[0], out, sizeof(out), 5000) ==
		    (ssize_t)sizeof(out) ? 0 : 1);
	}
	close(sv[0]);
	/* Read in odd pieces to force many partial reads. */
	assert_int_equal(sk_net_recv_exact(err, sv[1], in, 12345, 5000),
	    12345);
	assert_int_equal(sk_net_recv_exact(err, sv[1], in + 12345,
	    sizeof(in) - 12345, 5000), (ssize_t)(sizeof(in) - 12345));
	assert_memory_equal(in, out, sizeof(out));
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(WEXITSTATUS(status), 0);
	/* At the end of the stream recv_exact returns what it got. */
	assert_int_equal(sk_net_recv_exact(err, sv[1], in, 10, 1000), 0);
	close(sv[1]);
}

static void
test_timeouts(void **state)
{
	char	err[SK_ERRLEN], buf[4];
	static char big[1 << 20];
	int	sv[2];

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(sk_net_nonblock(err, sv[0], 1), 0);
	assert_int_equal(sk_net_recv_exact(err, sv[0], buf, 4, 50), -1);
	assert_int_equal(errno, ETIMEDOUT);
	/* Nobody reads sv[1]: the send fills the buffers and times out. */
	assert_int_equal(sk_net_send_all(err, sv[0], big, sizeof(big), 50),
	    -1);
	assert_int_equal(errno, ETIMEDOUT);
	close(sv[0]);
	close(sv[1]);
}

static void
test_no_sigpipe(void **state)
{
	char	err[SK_ERRLEN];
	int	sv[2];
	struct sigaction sa, old;

	(void)state;
	/* Make SIGPIPE fatal, as it is by default, to prove it never comes. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(SIGPIPE, &sa, &old);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	close(sv[1]);
	assert_int_equal(sk_net_send_all(err, sv[0], "x", 1, 100), -1);
	assert_int_equal(errno, EPIPE);
	assert_int_equal(sk_net_write(sv[0], "x", 1), -1);
	close(sv[0]);
	sigaction(SIGPIPE, &old, NULL);
}

/* An aborted connection is a reset at the peer, after what was sent;
 * on a pipe it is a plain close. */
static void
test_abort(void **state)
{
	char	err[SK_ERRLEN], port[16], buf[8];
	int	lfd, cfd, sfd, p[2];

	(void)state;
	lfd = sk_net_listen(err, "127.0.0.1", "0", AF_INET, SOCK_STREAM);
	assert_true(lfd >= 0);
	snprintf(port, sizeof(port), "%d", sk_net_local_port(NULL, lfd));
	cfd = sk_net_connect(err, "127.0.0.1", port, NULL);
	assert_true(cfd >= 0);
	sfd = accept(lfd, NULL, NULL);
	assert_true(sfd >= 0);
	assert_int_equal(sk_net_abort(err, cfd), 0);
	assert_int_equal(sk_net_recv_exact(err, sfd, buf, 1, 2000), -1);
	assert_int_equal(errno, ECONNRESET);
	close(sfd);
	close(lfd);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(sk_net_abort(err, p[1]), 0);
	assert_int_equal(read(p[0], buf, 1), 0);
	close(p[0]);
}

static void
test_unix_sockets(void **state)
{
	char		err[SK_ERRLEN], path[64], buf[4];
	int		lfd, cfd, afd, lfd2, fd;

	(void)state;
	snprintf(path, sizeof(path), "/tmp/sockkit-test-%d.sock",
	    (int)getpid());
	unlink(path);
	lfd = sk_net_unix_listen(err, path, SOCK_STREAM);
	if (lfd == -1)
		fail_msg("%s", err);
	cfd = sk_net_unix_connect(err, path, SOCK_STREAM, 1000);
	assert_true(cfd >= 0);
	afd = accept(lfd, NULL, NULL);
	assert_true(afd >= 0);
	assert_int_equal(sk_net_send_all(err, cfd, "unix", 4, 1000), 4);
	assert_int_equal(sk_net_recv_exact(err, afd, buf, 4, 1000), 4);
	assert_memory_equal(buf, "unix", 4);
	close(cfd);
	close(afd);
	/* A live socket is not taken over. */
	assert_int_equal(sk_net_unix_listen(err, path, SOCK_STREAM), -1);
	assert_int_equal(errno, EADDRINUSE);
	/* Its server gone, the file is stale and is replaced. */
	close(lfd);
	lfd2 = sk_net_unix_listen(err, path, SOCK_STREAM);
	if (lfd2 == -1)
		fail_msg("stale socket not replaced: %s", err);
	close(lfd2);
	unlink(path);
	/* A regular file at the path is never removed. */
	fd = open(path, O_CREAT | O_WRONLY, 0600);
	close(fd);
	assert_int_equal(sk_net_unix_listen(err, path, SOCK_STREAM), -1);
	assert_non_null(strstr(err, "not a socket"));
	assert_int_equal(access(path, F_OK), 0);
	unlink(path);
	/* Datagram sockets too. */
	lfd = sk_net_unix_listen(err, path, SOCK_DGRAM);
	assert_true(lfd >= 0);
	cfd = sk_net_unix_connect(err, path, SOCK_DGRAM, 1000);
	assert_true(cfd >= 0);
	assert_int_equal(send(cfd, "dg", 2, 0), 2);
	assert_int_equal(recv(lfd, buf, sizeof(buf), 0), 2);
	close(cfd);
	close(lfd);
	unlink(path);
	/* A path too long for sun_path is an error, not a truncation. */
	memset(buf, 0, sizeof(buf));
	{
		char long_path[300];

		memset(long_path, 'a', sizeof(long_path) - 1);
		long_path[sizeof(long_path) - 1] = '\0';
		assert_int_equal(sk_net_unix_listen(err, long_path,
		    SOCK_STREAM), -1);
		assert_non_null(strstr(err, "too long"));
	}
}

static void
test_udp_bind(void **state)
{
	char	err[SK_ERRLEN], port[8], buf[8];
	struct sk_net_dial dial;
	int	sfd, cfd;

	(void)state;
	sfd = sk_net_listen(err, "127.0.0.1", "0", AF_INET, SOCK_DGRAM);
	assert_true(sfd >= 0);
	snprintf(port, sizeof(port), "%d", sk_net_local_port(err, sfd));
	memset(&dial, 0, sizeof(dial));
	dial.socktype = SOCK_DGRAM;
	cfd = sk_net_connect(err, "127.0.0.1", port, &dial);
	assert_true(cfd >= 0);
	assert_int_equal(send(cfd, "udp", 3, 0), 3);
	assert_int_equal(recv(sfd, buf, sizeof(buf), 0), 3);
	close(cfd);
	close(sfd);
}

/* A datagram port in use is refused unless both sockets share it. */
static void
test_udp_port_in_use(void **state)
{
	char	err[SK_ERRLEN], port[8];
	int	a, b;

	(void)state;
	a = sk_net_listen(err, "127.0.0.1", "0", AF_INET, SOCK_DGRAM);
	assert_true(a >= 0);
	snprintf(port, sizeof(port), "%d", sk_net_local_port(err, a));
	assert_int_equal(sk_net_listen(err, "127.0.0.1", port, AF_INET,
	    SOCK_DGRAM), -1);
	assert_int_equal(errno, EADDRINUSE);
	assert_int_equal(sk_net_bind(err, "127.0.0.1", port, AF_INET,
	    SOCK_DGRAM, SK_NET_SHARED), -1);
	close(a);
	a = sk_net_bind(err, "127.0.0.1", "0", AF_INET, SOCK_DGRAM,
	    SK_NET_SHARED);
	assert_true(a >= 0);
	snprintf(port, sizeof(port), "%d", sk_net_local_port(err, a));
	b = sk_net_bind(err, "127.0.0.1", port, AF_INET, SOCK_DGRAM,
	    SK_NET_SHARED);
	assert_true(b >= 0);
	close(b);
	close(a);
}

/* The arrival interface of a datagram: lo on loopback, both families. */
static void
test_recv_ifindex(void **state)
{
	static const char *const hosts[] = { "127.0.0.1", "::1" };
	struct sockaddr_storage	ss;
	struct sk_net_dial	dial;
	socklen_t		sslen;
	unsigned		idx;
	char			err[SK_ERRLEN], port[8], buf[8];
	int			sfd, cfd, trunc, i;

	(void)state;
	for (i = 0; i < 2; i++) {
		sfd = sk_net_listen(err, hosts[i], "0", AF_UNSPEC, SOCK_DGRAM);
		if (sfd == -1 && i == 1)
			return;		/* no IPv6 here */
		assert_true(sfd >= 0);
		assert_int_equal(sk_net_recv_ifindex(err, sfd,
		    i == 0 ? AF_INET : AF_INET6), 0);
		snprintf(port, sizeof(port), "%d", sk_net_local_port(err, sfd));
		memset(&dial, 0, sizeof(dial));
		dial.socktype = SOCK_DGRAM;
		cfd = sk_net_connect(err, hosts[i], port, &dial);
		assert_true(cfd >= 0);
		assert_int_equal(send(cfd, "if", 2, 0), 2);
		sslen = sizeof(ss);
		assert_int_equal(sk_net_recv_dgram_if(err, sfd, buf,
		    sizeof(buf), &ss, &sslen, &trunc, &idx), 2);
		assert_int_equal(trunc, 0);
		assert_int_equal(idx, if_nametoindex("lo"));
		close(cfd);
		close(sfd);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_port),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_numeric_ok),
		cmocka_unit_test(test_addr_str),
		cmocka_unit_test(test_numeric_addr),
		cmocka_unit_test(test_host_str),
		cmocka_unit_test(test_socket_unix_addr),
		cmocka_unit_test(test_listen_connect_v4),
		cmocka_unit_test(test_listen_connect_v6),
		cmocka_unit_test(test_connect_refused),
		cmocka_unit_test(test_connect_source),
		cmocka_unit_test(test_connect_start_finish),
		cmocka_unit_test(test_connect_timeout),
		cmocka_unit_test(test_send_all_recv_exact),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_no_sigpipe),
		cmocka_unit_test(test_abort),
		cmocka_unit_test(test_unix_sockets),
		cmocka_unit_test(test_udp_bind),
		cmocka_unit_test(test_udp_port_in_use),
		cmocka_unit_test(test_recv_ifindex),
	};

	return cmocka_run_group_tests_name("net", tests, NULL, NULL);
}
