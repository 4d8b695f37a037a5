/*
 * udp_server.c - sockkit udp-server: one unconnected datagram socket that
 * serves any number of peers (the netcats' UDP listeners talk only to
 * their first).  By default each datagram is printed on stdout, one line
 * each; --echo and --upper send it back, --time answers with the local
 * time in the format the datagram asks for.  Datagrams up to 65,507 bytes
 * arrive whole; a longer one (possible on a Unix socket) is reported, never
 * silently cut.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sockkit/loop.h>
#include <sockkit/net.h>
#include <sockkit/text.h>

#include "cmd.h"

static const char usage_text[] =
"usage: sockkit udp-server [options] [ADDRESS] PORT\n"
"       sockkit udp-server [options] -U PATH\n"
"\n"
"Receive datagrams from any number of peers.  By default print each one\n"
"on stdout, one line each (control bytes as \\xHH).\n"
"\n"
"modes:\n"
"      --echo               send each datagram back to its sender\n"
"      --upper              like --echo, ASCII upper-cased\n"
"      --time               answer with the local time, formatted by\n"
"                           strftime with the datagram as the format\n"
"                           (\"%Y-%m-%d %H:%M:%S\" when it is empty)\n"
"options:\n"
"  -4, -6                   IPv4 or IPv6 only\n"
"  -U, --unix PATH          a Unix-domain datagram socket\n"
"  -p PORT                  the port, as nc -u -l -p takes it\n"
"  -n                       ADDRESS must be numeric: no DNS lookup\n"
"  -u, -l, -k               accepted for nc's sake: udp-server is always\n"
"                           UDP, always listens and serves every peer\n"
"      --reuse-port         share PORT with other sockets that share it\n"
"                           (SO_REUSEPORT); else a port in use is an error\n"
"      --hex                print a hex dump of each datagram instead\n"
"      --backend NAME       event loop: select, poll or epoll\n"
"  -v                       prefix what is printed with the sender's\n"
"                           ip:port; log replies\n"
"  -h, --help               this text\n"
"\n"
"Once bound, prints 'sockkit: udp-server: listening on ADDR:PORT' to\n"
"stderr; PORT 0 picks a free port.  SIGINT or SIGTERM stop it\n"
"cleanly, and it then dies by that signal (the shell sees 128+N).\n";

enum mode {
	MODE_PRINT,
	MODE_ECHO,
	MODE_UPPER,
	MODE_TIME
};

struct udp_opts {
	struct common_opts	 c;
	enum mode		 mode;
	int			 hex;
	int			 reuse_port;
	const char		*unix_path;
	const char		*opt_port;	/* -p */
	int			 numeric;	/* -n */
	const char		*host;
	const char		*port;
};

/* The largest UDP payload over IPv4, with a byte to spot longer ones. */
#define DGRAMMAX	65507
#define RBUFSZ		(65536 + 1)
/* --time: the longest format taken, and the longest answer. */
#define TIMEFMTMAX	256
#define TIMEOUTMAX	1024
/*
 * --time must not be a reflection amplifier (a forged source gets the
 * answers): an answer is at most REPLY_FACTOR times its datagram, or
 * REPLY_FLOOR bytes for a short one (the default format's answer is 20),
 * field widths are refused, and each source address gets at most
 * RATE_PER_S answers a second (a burst of RATE_BURST), in a table of
 * RATE_SLOTS buckets keyed by a hash of the address.
 */
#define REPLY_FACTOR	4
#define REPLY_FLOOR	64
#define RATE_PER_S	20
#define RATE_BURST	40
#define RATE_SLOTS	4096

struct bucket {
	long long	 ms;		/* when tokens was last topped up */
	long long	 milli;		/* tokens, in thousandths */
};

/*
 * What the rate limit held back, said in a summary at most once a second
 * (and at exit), one line per source: up to LIMITED_NAMED sources by
 * name, the rest (forged sources can be many) counted together.
 */
#define LIMITED_NAMED	8

struct limited {
	char		 host[SK_ADDRSTRLEN];
	uint64_t	 n;
};

struct udp_server {
	const struct udp_opts	*o;
	struct sk_loop		*loop;
	int			 fd;
	struct sk_net_unix_file	 unix_file;	/* the socket file we made */
	int			 status;
	uint8_t			*buf;
	uint64_t		 count;
	struct bucket		*buckets;	/* --time: RATE_SLOTS */
	struct limited		 held[LIMITED_NAMED];	/* ...not answered */
	size_t			 nheld;
	uint64_t		 others;	/* ...from sources not named */
	long long		 summary;	/* ...the summary's timer, or 0 */
	struct sockaddr_storage	 self;		/* our own address */
	uint64_t		 selfs;		/* datagrams "from" it */
	long long		 self_ms;	/* ...last said so */
};

#define CMD	"udp-server"

enum {
	OPT_ECHO = OPT_FIRST_CMD,
	OPT_UPPER,
	OPT_TIME,
	OPT_HEX,
	OPT_REUSE_PORT
};

/*
 * nc's options, for the hands that type them: those with a meaning here
 * are taken (-u, -l, -k, -n, -p), the rest get the sockkit form.
 */
static int
nc_hint(int ch)
{
	switch (ch) {
	case 'e':
	case 'c':
		return cmd_usage_err(CMD, "-%c: udp-server runs no command; "
		    "it prints datagrams, or answers them with --echo, "
		    "--upper or --time", ch);
	case 's':
		return cmd_usage_err(CMD, "-s: give the address as an operand: "
		    "'sockkit udp-server ADDRESS PORT'");
	case 'w':
	case 'q':
		return cmd_usage_err(CMD, "-%c: udp-server serves until "
		    "stopped (SIGINT, SIGTERM); for a peer that waits for "
		    "replies use 'sockkit udp-client -w SECS'", ch);
	}
	return 0;
}

/* 1 when host is a numeric multicast address (224.0.0.0/4, ff00::/8). */
static int
is_group(const char *host)
{
	int	mcast;

	return sk_net_numeric_addr(host, NULL, &mcast) && mcast;
}

static int
parse_args(int argc, char **argv, struct udp_opts *o)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "unix",	required_argument,	NULL,	'U' },
		{ "echo",	no_argument,		NULL,	OPT_ECHO },
		{ "upper",	no_argument,		NULL,	OPT_UPPER },
		{ "time",	no_argument,		NULL,	OPT_TIME },
		{ "hex",	no_argument,		NULL,	OPT_HEX },
		{ "reuse-port",	no_argument,		NULL,	OPT_REUSE_PORT },
		{ NULL,		0,			NULL,	0 }
	};
	static const char *const modes[] = {
		NULL, "--echo", "--upper", "--time"
	};
	int	ch, rc, nmodes = 0;

	memset(o, 0, sizeof(*o));
	optind = 1;
	opterr = 0;
	cmd_longopts(longopts);
	while ((ch = getopt_long(argc, argv, COMMON_SHORTOPTS "U:p:nulkecs:wq",
	    longopts, NULL)) != -1) {
		if ((rc = cmd_common(CMD, &o->c, ch, argv)) == -1)
			return -1;
		if (rc == 1)
			continue;
		if (nc_hint(ch) != 0)
			return -1;
		switch (ch) {
		case 'U':
			o->unix_path = optarg;
			break;
		case 'p':
			if (cmd_port(CMD, "-p", optarg, 1) == -1)
				return -1;
			o->opt_port = optarg;
			break;
		case 'n':
			o->numeric = 1;
			break;
		case 'u':	/* nc -u: always UDP */
		case 'l':	/* nc -l: always listening */
		case 'k':	/* nc -k: every peer, until stopped */
			break;
		case OPT_ECHO:
		case OPT_UPPER:
		case OPT_TIME:
			o->mode = ch == OPT_ECHO ? MODE_ECHO :
			    ch == OPT_UPPER ? MODE_UPPER : MODE_TIME;
			nmodes++;
			break;
		case OPT_HEX:
			o->hex = 1;
			break;
		case OPT_REUSE_PORT:
			o->reuse_port = 1;
			break;
		}
	}
	if (o->c.help)
		return 0;
	if (nmodes > 1) {
		cmd_usage_err(CMD, "choose one of --echo, --upper, --time");
		return -1;
	}
	/* Options that would do nothing are mistakes: say so. */
	if (o->c.json) {
		cmd_usage_err(CMD, "--json: udp-server has no JSON output");
		return -1;
	}
	if (o->hex && o->mode != MODE_PRINT) {
		cmd_usage_err(CMD, "--hex and %s do not go together (--hex "
		    "prints datagrams; %s answers them)", modes[o->mode],
		    modes[o->mode]);
		return -1;
	}
	if (o->unix_path != NULL && o->c.family != 0) {
		cmd_usage_err(CMD, "-4 and -6 do not go with -U");
		return -1;
	}
	if (o->unix_path != NULL && o->reuse_port) {
		cmd_usage_err(CMD, "--reuse-port does not go with -U");
		return -1;
	}
	if (o->unix_path != NULL && (o->opt_port != NULL || o->numeric)) {
		cmd_usage_err(CMD, "-U PATH takes no %s", o->opt_port != NULL ?
		    "-p" : "-n");
		return -1;
	}
	if (cmd_server_operands(CMD, argc - optind, argv + optind,
	    o->opt_port, o->unix_path, &o->host, &o->port) == -1 ||
	    cmd_host_family(CMD, NULL, o->c.family, o->host) == -1)
		return -1;
	if (o->host != NULL && is_group(o->host)) {
		/* Bound to a group, a socket that joins none hears nothing:
		 * it would wait for ever, saying nothing. */
		cmd_usage_err(CMD, "%s is a multicast group, which udp-server "
		    "does not join: 'sockkit broadcast listen --group %s %s' "
		    "does", o->host, o->host, o->port);
		return -1;
	}
	if (o->numeric && o->host != NULL && !cmd_numeric_host(o->host)) {
		cmd_usage_err(CMD, "-n: '%s' is not a numeric address",
		    o->host);
		return -1;
	}
	return 0;
}

static int
setup(struct udp_server *us)
{
	const struct udp_opts	*o = us->o;
	char			 err[SK_ERRLEN];
	socklen_t		 sslen;

	if ((us->buf = malloc(RBUFSZ)) == NULL || (o->mode == MODE_TIME &&
	    (us->buckets = calloc(RATE_SLOTS, sizeof(*us->buckets))) ==
	    NULL)) {
		cmd_err(CMD, "out of memory");
		return -1;
	}
	if (o->unix_path != NULL) {
		if ((us->fd = cmd_server_socket(CMD, &o->c, o->unix_path,
		    NULL, NULL, SOCK_DGRAM)) == -1)
			return -1;
		if (sk_net_unix_mark(err, o->unix_path, &us->unix_file) == -1) {
			cmd_err(CMD, "%s", err);
			return -1;
		}
	} else if ((us->fd = sk_net_bind(err, o->host, o->port, o->c.family,
	    SOCK_DGRAM, o->reuse_port ? SK_NET_SHARED : 0)) == -1 ||
	    sk_net_nonblock(err, us->fd, 1) == -1) {
		/* A port in use is an error, as for tcp-server: a second
		 * server must not take the first one's datagrams. */
		cmd_err(CMD, "%s%s", err, errno == EADDRINUSE &&
		    !o->reuse_port ? " (--reuse-port shares it with another "
		    "server that asks to share)" : "");
		return -1;
	}
	sslen = sizeof(us->self);
	if (getsockname(us->fd, (struct sockaddr *)&us->self, &sslen) == -1)
		us->self.ss_family = AF_UNSPEC;
	if ((us->loop = sk_loop_new(err, o->c.backend)) == NULL) {
		cmd_err(CMD, "%s", err);
		return -1;
	}
	return 0;
}

/* The event handler: each datagram, then its answer. */

/*
 * --time: strftime with the datagram as the format, bounded both ways;
 * what is wrong with a format is answered as an "error: ..." line.
 */
static size_t
format_time(const uint8_t *p, size_t n, char *out)
{
	char		 fmt[TIMEFMTMAX + 1], big[16 * TIMEOUTMAX];
	const uint8_t	*nul;
	time_t		 now = time(NULL);
	struct tm	 tm;
	size_t		 len, i, cap;

	cap = REPLY_FACTOR * n > REPLY_FLOOR ? REPLY_FACTOR * n : REPLY_FLOOR;
	while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == '\r'))
		n--;
	if ((nul = memchr(p, '\0', n)) != NULL)
		return (size_t)snprintf(out, TIMEOUTMAX, "error: a format is "
		    "text, and byte %zu is a NUL\n", (size_t)(nul - p) + 1);
	if (n > TIMEFMTMAX)
		return (size_t)snprintf(out, TIMEOUTMAX, "error: a format is "
		    "at most %d bytes, not %zu\n", TIMEFMTMAX, n);
	memcpy(fmt, p, n);
	fmt[n] = '\0';
	for (i = 0; i + 1 < n; i++) {
		if (fmt[i] != '%')
			continue;
		if (strchr("_-0^#123456789", fmt[i + 1]) != NULL)
			return (size_t)snprintf(out, REPLY_FLOOR, "error: no "
			    "field widths or flags (%%%c)\n", fmt[i + 1]);
		i++;		/* "%%" and the rest: the next is taken */
	}
	localtime_r(&now, &tm);
	len = strftime(out, TIMEOUTMAX - 1, n > 0 ? fmt : "%Y-%m-%d %H:%M:%S",
	    &tm);
	if (len == 0 && n > 0) {
		/* strftime() says 0 for both: tell them apart. */
		len = strftime(big, sizeof(big), fmt, &tm);
		if (len == 0)
			return (size_t)snprintf(out, TIMEOUTMAX, "error: the "
			    "format gives no text\n");
		return (size_t)snprintf(out, TIMEOUTMAX, "error: the time "
		    "would be %zu bytes, over the %d an answer holds\n", len,
		    TIMEOUTMAX - 2);
	}
	if (len + 1 > cap)
		return (size_t)snprintf(out, REPLY_FLOOR, "error: %zu bytes is "
		    "over %zu for a %zu-byte format\n", len + 1, cap, n);
	out[len++] = '\n';
	return len;
}

/*
 * --time: may this source have one more answer now?  A token bucket per
 * address (not per port: a forged source is one victim whatever port).
 */
static int
rate_ok(struct udp_server *us, const struct sockaddr_storage *ss)
{
	const uint8_t	*a;
	struct bucket	*b;
	long long	 now = sk_loop_now_ms();
	uint32_t	 h = 2166136261u;
	size_t		 n, i;

	if (ss->ss_family == AF_INET) {
		a = (const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr;
		n = 4;
	} else if (ss->ss_family == AF_INET6) {
		a = (const uint8_t *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
		n = 16;
	} else
		return 1;	/* a local socket: no one to reflect to */
	for (i = 0; i < n; i++)
		h = (h ^ a[i]) * 16777619u;
	b = &us->buckets[h % RATE_SLOTS];
	b->milli += (now - b->ms) * RATE_PER_S;
	if (b->ms == 0 || b->milli > RATE_BURST * 1000LL)
		b->milli = RATE_BURST * 1000LL;
	b->ms = now;
	if (b->milli < 1000)
		return 0;
	b->milli -= 1000;
	return 1;
}

/* The held-back datagrams so far, one line per source; then none. */
static void
say_limited(struct udp_server *us)
{
	size_t	i;

	for (i = 0; i < us->nheld; i++)
		cmd_err(CMD, "%llu datagram%s from %s over the rate limit, not "
		    "answered", (unsigned long long)us->held[i].n,
		    us->held[i].n == 1 ? "" : "s", us->held[i].host);
	if (us->others > 0)
		cmd_err(CMD, "%llu datagram%s from other sources over the "
		    "rate limit, not answered", (unsigned long long)us->others,
		    us->others == 1 ? "" : "s");
	us->nheld = 0;
	us->others = 0;
}

static void
on_summary(struct sk_loop *loop, long long id, void *arg)
{
	struct udp_server	*us = arg;

	(void)loop;
	(void)id;
	us->summary = 0;
	say_limited(us);
}

/*
 * A datagram the rate limit held back: counted against its source, to
 * be said within a second (never a line per datagram: a flood would
 * flood the log too).
 */
static void
held_back(struct udp_server *us, const struct sockaddr_storage *ss,
    socklen_t sslen)
{
	char	host[SK_ADDRSTRLEN];
	size_t	i;

	/* The address alone, as the limit is kept: "::1", not "[::1]:5". */
	if (sk_net_host_str((const struct sockaddr *)ss, sslen, host,
	    sizeof(host), 0) == -1)
		snprintf(host, sizeof(host), "?");
	for (i = 0; i < us->nheld; i++)
		if (strcmp(us->held[i].host, host) == 0)
			break;
	if (i < us->nheld)
		us->held[i].n++;
	else if (us->nheld < LIMITED_NAMED) {
		snprintf(us->held[i].host, sizeof(us->held[i].host), "%s",
		    host);
		us->held[i].n = 1;
		us->nheld++;
	} else
		us->others++;
	if (us->summary == 0 && (us->summary = sk_loop_timer_add(NULL,
	    us->loop, 1000, 0, on_summary, us)) == -1)
		us->summary = 0;
}

/*
 * Is ss this socket's own address?  Then the source is forged: answering
 * would send the answer to ourselves, and answer that, and so on, at full
 * speed, for ever (one spoofed datagram did that).  Our port, and an
 * address of this host: one we are bound to, or (bound to any) one a
 * socket can bind, which only a local address can.
 */
static int
from_self(const struct udp_server *us, const struct sockaddr_storage *ss,
    socklen_t sslen)
{
	const struct sockaddr_in	*a4 = (const void *)ss;
	const struct sockaddr_in6	*a6 = (const void *)ss;
	const struct sockaddr_in	*s4 = (const void *)&us->self;
	const struct sockaddr_in6	*s6 = (const void *)&us->self;
	struct sockaddr_storage		 probe;
	int				 fd, local;

	if (ss->ss_family != us->self.ss_family)
		return 0;
	if (ss->ss_family == AF_INET) {
		if (a4->sin_port != s4->sin_port)
			return 0;
		if (s4->sin_addr.s_addr != htonl(INADDR_ANY))
			return a4->sin_addr.s_addr == s4->sin_addr.s_addr;
	} else if (ss->ss_family == AF_INET6) {
		if (a6->sin6_port != s6->sin6_port)
			return 0;
		if (!IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr))
			return memcmp(&a6->sin6_addr, &s6->sin6_addr,
			    sizeof(a6->sin6_addr)) == 0;
	} else
		return 0;
	/* Bound to any address: is the sender's one of ours? */
	memcpy(&probe, ss, sslen);
	if (probe.ss_family == AF_INET)
		((struct sockaddr_in *)&probe)->sin_port = 0;
	else
		((struct sockaddr_in6 *)&probe)->sin6_port = 0;
	if ((fd = sk_net_socket(NULL, probe.ss_family, SOCK_DGRAM, 0)) == -1)
		return 1;	/* cannot tell: not worth the risk */
	local = bind(fd, (struct sockaddr *)&probe, sslen) == 0 ||
	    errno != EADDRNOTAVAIL;
	close(fd);
	return local;
}

/*
 * The port of a service that answers every datagram, as inetd's "small
 * servers" do: echo (7), daytime (13), qotd (17), chargen (19), time
 * (37); or port 0, which no real sender has.  A datagram forged to come
 * from one would start a loop between it and us (chargen answering our
 * echo, and so on), so none is answered, as inetd does.  Returns the
 * service's name, or NULL.
 */
static const char *
loop_port(const struct sockaddr_storage *ss)
{
	static const struct {
		unsigned	 port;
		const char	*name;
	} ports[] = {
		{ 0, "zero" }, { 7, "echo" }, { 13, "daytime" },
		{ 17, "qotd" }, { 19, "chargen" }, { 37, "time" }
	};
	unsigned	port;
	size_t		i;

	if (ss->ss_family == AF_INET)
		port = ntohs(((const struct sockaddr_in *)ss)->sin_port);
	else if (ss->ss_family == AF_INET6)
		port = ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
	else
		return NULL;
	for (i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
		if (ports[i].port == port)
			return ports[i].name;
	return NULL;
}

/*
 * The sender as text: "ip:port", or a Unix socket's path, which any local
 * user picks, so with its control bytes escaped.
 */
static void
peer_name(const struct sockaddr_storage *ss, socklen_t sslen, char *buf,
    size_t len)
{
	const struct sockaddr_un	*sun = (const struct sockaddr_un *)ss;
	size_t				 off, n;

	off = offsetof(struct sockaddr_un, sun_path);
	if (ss->ss_family != AF_UNIX) {
		sk_net_addr_str((const struct sockaddr *)ss, sslen, buf, len);
		return;
	}
	if (sslen <= off || sun->sun_path[0] == '\0') {
		snprintf(buf, len, "unix:unnamed");
		return;
	}
	n = strnlen(sun->sun_path, sslen - off);
	(void)sk_text_escape(buf, len, (const uint8_t *)sun->sun_path, n,
	    SK_TEXT_BACKSLASH);
}

/* Print a datagram; -1 when stdout has gone or failed: stop then. */
static int
print_dgram(struct udp_server *us, const uint8_t *p, size_t n,
    const char *from, int truncated)
{
	if (truncated)
		cmd_err(CMD, "%s: a datagram over %d bytes was cut to %zu",
		    from, RBUFSZ - 1, n);
	if (us->o->hex) {
		printf("%s%s%zu bytes\n", us->o->c.verbose ? from : "",
		    us->o->c.verbose ? " " : "", n);
		cmd_hexdump(stdout, p, n);
	} else {
		if (us->o->c.verbose)
			printf("%s ", from);
		cmd_print_line(stdout, p, n);
	}
	/*
	 * A line at a time, so a pipe reader sees each datagram at once;
	 * a reader gone stops the server (quietly: 141).
	 */
	return cmd_flush_stdout(CMD);
}

static void
on_datagram(struct sk_loop *loop, int fd, int mask, void *arg)
{
	struct udp_server	*us = arg;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	char			 from[4 * SK_ADDRSTRLEN], err[SK_ERRLEN];
	char			 reply[TIMEOUTMAX];
	const uint8_t		*out;
	const char		*svc;
	ssize_t			 n;
	size_t			 outlen;
	int			 trunc, burst;

	(void)mask;
	/* Take what is waiting, a bounded burst per wakeup. */
	for (burst = 0; burst < 64; burst++) {
		sslen = sizeof(ss);
		n = sk_net_recv_dgram(err, fd, us->buf, RBUFSZ - 1, &ss,
		    &sslen, &trunc);
		if (n == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK &&
			    errno != ECONNREFUSED)
				cmd_err(CMD, "%s", err);
			return;
		}
		us->count++;
		peer_name(&ss, sslen, from, sizeof(from));
		if (us->o->mode == MODE_PRINT) {
			if (print_dgram(us, us->buf, (size_t)n, from,
			    trunc) == -1) {
				us->status = EXIT_RUNTIME;
				sk_loop_stop(loop);
				return;
			}
			continue;
		}
		if (trunc)
			cmd_err(CMD, "%s: a datagram over %d bytes was cut to "
			    "%zd: not answered", from, RBUFSZ - 1, n);
		if (trunc || (ss.ss_family == AF_UNIX &&
		    sslen <= sizeof(sa_family_t)))
			continue;
		if ((svc = loop_port(&ss)) != NULL ||
		    from_self(us, &ss, sslen)) {
			us->selfs++;
			if (sk_loop_now_ms() - us->self_ms >= 1000 ||
			    us->self_ms == 0) {
				us->self_ms = sk_loop_now_ms();
				if (svc != NULL)
					cmd_err(CMD, "%s: from the %s port, "
					    "which answers too (a loop): not "
					    "answered (%llu so far)", from,
					    svc, (unsigned long long)us->selfs);
				else
					cmd_err(CMD, "%s: from this server's "
					    "own address (a forged source): not "
					    "answered (%llu so far)", from,
					    (unsigned long long)us->selfs);
			}
			continue;
		}
		out = us->buf;
		outlen = (size_t)n;
		if (us->o->mode == MODE_UPPER)
			sk_text_upper(us->buf, outlen);
		if (us->o->mode == MODE_TIME) {
			if (!rate_ok(us, &ss)) {
				held_back(us, &ss, sslen);
				continue;
			}
			outlen = format_time(us->buf, (size_t)n, reply);
			out = (const uint8_t *)reply;
		}
		if (sendto(fd, out, outlen, 0, (struct sockaddr *)&ss,
		    sslen) == -1 && us->o->c.verbose)
			cmd_err(CMD, "reply to %s: %s", from, strerror(errno));
		else if (us->o->c.verbose)
			cmd_err(CMD, "%s: %zd bytes in, %zu out", from, n,
			    outlen);
	}
}

int
cmd_udp_server(int argc, char **argv)
{
	struct udp_opts		o;
	struct udp_server	us;
	char			err[SK_ERRLEN];

	if (parse_args(argc, argv, &o) == -1)
		return EXIT_USAGE;
	if (o.c.help)
		return cmd_help(usage_text);
	memset(&us, 0, sizeof(us));
	us.o = &o;
	us.fd = -1;
	if (setup(&us) == -1 || sk_loop_add(err, us.loop, us.fd, SK_READ,
	    on_datagram, &us) == -1 || cmd_signals_init(CMD, us.loop) == -1) {
		us.status = EXIT_RUNTIME;
	} else {
		cmd_listening(CMD, us.fd);
		if (sk_loop_run(err, us.loop) == -1) {
			cmd_err(CMD, "%s", err);
			us.status = EXIT_RUNTIME;
		}
	}
	say_limited(&us);
	if (o.c.verbose)
		cmd_err(CMD, "%llu datagrams", (unsigned long long)us.count);
	if (us.loop != NULL)
		cmd_signals_fini(us.loop);
	if (us.fd != -1)
		close(us.fd);
	if (us.unix_file.set)
		(void)sk_net_unix_remove(NULL, o.unix_path, &us.unix_file);
	sk_loop_free(us.loop);
	free(us.buf);
	free(us.buckets);
	if (us.status == 0)
		us.status = cmd_finish_stdout(CMD);
	return us.status;
}
