/*
 * broadcast.c - sockkit broadcast: one-to-all and one-to-many datagrams on
 * a LAN.  `send` broadcasts (to 255.255.255.255 or a subnet's broadcast
 * address) or sends to a multicast group; `listen` receives them, joining
 * the group if asked, and prints "<sender-ip>:<sender-port> <message>".
 * Several listeners on one host share the port.  On top of that, a tiny
 * service discovery: `announce NAME PORT` repeats a small datagram, and
 * `discover` listens for a while and lists the services it heard.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sockkit/loop.h>
#include <sockkit/net.h>

#include "cmd.h"

static const char usage_text[] =
"usage: sockkit broadcast send [--port PORT] [--to ADDR | --group GROUP]\n"
"           [--ttl N] [--iface NAME] [--count N] [--interval SECS] [MESSAGE]\n"
"       sockkit broadcast listen [--group GROUP] [--iface NAME] [--count N]\n"
"           [--timeout SECS] PORT\n"
"       sockkit broadcast announce [--port PORT] [--to ADDR | --group GROUP]\n"
"           [--count N] [--interval SECS] NAME SERVICE_PORT\n"
"       sockkit broadcast discover [--port PORT] [--group GROUP]\n"
"           [--timeout SECS] [--json]\n"
"\n"
"send: each MESSAGE (or each stdin line) as one datagram to the limited\n"
"broadcast address 255.255.255.255 (default), to --to ADDR (a subnet's\n"
"broadcast address), or to the multicast --group (IPv4 or IPv6).\n"
"listen: print '<sender-ip>:<sender-port> <message>' for each datagram to\n"
"PORT; with --group, join that group (only then do its datagrams come).\n"
"announce/discover: service discovery on the LAN, on port 47474: announce\n"
"repeats 'NAME SERVICE_PORT' every --interval; discover lists what it\n"
"hears within --timeout (default 3 s) as 'NAME HOST PORT'.\n"
"\n"
"options:\n"
"      --port PORT          the port sent to (send: 9999; announce and\n"
"                           discover: 47474)\n"
"      --to ADDR            a broadcast (or any) address to send to\n"
"      --group GROUP        a multicast group: 239.1.2.3, ff02::1:3\n"
"      --ttl N              multicast hops (default 1: this LAN)\n"
"      --iface NAME         the interface to send or join on\n"
"      --count N            send: how many times (default 1; announce:\n"
"                           0 = until stopped); listen: stop after N\n"
"      --interval SECS      between repeats (default 1; may be 0.1)\n"
"      --timeout SECS       listen, discover: stop after SECS\n"
"      --json               discover: one JSON object per service\n"
"  -4, -6, -v, --backend NAME, -h/--help as everywhere\n";

#define CMD		"broadcast"
#define SEND_PORT	"9999"
#define DISCOVERY_PORT	ANNOUNCE_PORT
#define MAGIC		ANNOUNCE_MAGIC
#define NAMEMAX		64
#define RBUFSZ		65536

enum action { A_SEND, A_LISTEN, A_ANNOUNCE, A_DISCOVER };

struct bc_opts {
	struct common_opts	 c;
	enum action		 action;
	const char		*port;
	const char		*to;
	const char		*group;
	const char		*iface;
	long long		 ttl;
	long long		 count;
	double			 interval;
	double			 timeout;
	const char		*message;	/* or NULL: stdin */
	const char		*name;		/* announce */
	const char		*svc_port;	/* announce */
};

struct found {
	char	name[NAMEMAX + 1];
	char	host[SK_ADDRSTRLEN];
	int	port;
};

struct bc {
	const struct bc_opts	*o;
	struct sk_loop		*loop;
	int			 fd;
	int			 status;
	struct sockaddr_storage	 dst;
	socklen_t		 dstlen;
	long long		 sent;
	long long		 received;
	char			 payload[NAMEMAX + 32];
	size_t			 plen;
	struct found		*found;
	size_t			 nfound;
	uint8_t			*buf;
};

enum {
	OPT_PORT = OPT_FIRST_CMD,
	OPT_TO,
	OPT_GROUP,
	OPT_TTL,
	OPT_IFACE,
	OPT_COUNT,
	OPT_INTERVAL,
	OPT_TIMEOUT
};

static int
seconds(const char *what, const char *s, double *out)
{
	char	*end;
	double	 v = strtod(s, &end);

	if (*s == '\0' || *end != '\0' || !(v >= 0.001 && v <= 86400)) {
		cmd_usage_err(CMD, "%s: invalid seconds '%s' (0.001-86400)",
		    what, s);
		return -1;
	}
	*out = v;
	return 0;
}

static int
valid_name(const char *s)
{
	size_t	i, n = strlen(s);

	if (n == 0 || n > NAMEMAX)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
			return 0;
	return 1;
}

static int
parse_args(int argc, char **argv, struct bc_opts *o)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "port",	required_argument,	NULL,	OPT_PORT },
		{ "to",		required_argument,	NULL,	OPT_TO },
		{ "group",	required_argument,	NULL,	OPT_GROUP },
		{ "ttl",	required_argument,	NULL,	OPT_TTL },
		{ "iface",	required_argument,	NULL,	OPT_IFACE },
		{ "count",	required_argument,	NULL,	OPT_COUNT },
		{ "interval",	required_argument,	NULL,	OPT_INTERVAL },
		{ "timeout",	required_argument,	NULL,	OPT_TIMEOUT },
		{ NULL,		0,			NULL,	0 }
	};
	static const char *const actions[] = {
		"send", "listen", "announce", "discover"
	};
	int	ch, rc, i, n;

	memset(o, 0, sizeof(*o));
	o->ttl = 1;
	o->count = -1;
	o->interval = 1;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, COMMON_SHORTOPTS, longopts,
	    NULL)) != -1) {
		if ((rc = cmd_common(CMD, &o->c, ch, argv)) == -1)
			return -1;
		if (rc == 1)
			continue;
		switch (ch) {
		case OPT_PORT:
			if (sk_net_parse_port(NULL, optarg, 0) == -1) {
				cmd_usage_err(CMD, "--port: invalid port '%s'",
				    optarg);
				return -1;
			}
			o->port = optarg;
			break;
		case OPT_TO:
			o->to = optarg;
			break;
		case OPT_GROUP:
			o->group = optarg;
			break;
		case OPT_TTL:
			if (cmd_number(CMD, "--ttl", optarg, 0, 255,
			    &o->ttl) == -1)
				return -1;
			break;
		case OPT_IFACE:
			o->iface = optarg;
			break;
		case OPT_COUNT:
			if (cmd_number(CMD, "--count", optarg, 0, 1000000,
			    &o->count) == -1)
				return -1;
			break;
		case OPT_INTERVAL:
			if (seconds("--interval", optarg, &o->interval) == -1)
				return -1;
			break;
		case OPT_TIMEOUT:
			if (seconds("--timeout", optarg, &o->timeout) == -1)
				return -1;
			break;
		}
	}
	if (o->c.help)
		return 0;
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		cmd_usage_err(CMD, "missing send, listen, announce or "
		    "discover");
		return -1;
	}
	for (i = 0; i < 4 && strcmp(argv[0], actions[i]) != 0; i++)
		;
	if (i == 4) {
		cmd_usage_err(CMD, "unknown action '%s' (send, listen, "
		    "announce, discover)", argv[0]);
		return -1;
	}
	o->action = (enum action)i;
	argc--;
	argv++;
	if (o->to != NULL && o->group != NULL) {
		cmd_usage_err(CMD, "--to and --group do not go together");
		return -1;
	}
	if (o->c.json && o->action != A_DISCOVER) {
		cmd_usage_err(CMD, "--json goes with discover");
		return -1;
	}
	n = o->action == A_SEND ? 1 : o->action == A_LISTEN ? 1 :
	    o->action == A_ANNOUNCE ? 2 : 0;
	if (argc > n || (o->action != A_SEND && argc < n)) {
		cmd_usage_err(CMD, argc > n ? "too many arguments" :
		    o->action == A_LISTEN ? "missing PORT" :
		    "missing NAME and SERVICE_PORT");
		return -1;
	}
	switch (o->action) {
	case A_SEND:
		o->message = argc == 1 ? argv[0] : NULL;
		if (o->port == NULL)
			o->port = SEND_PORT;
		if (o->count < 0)
			o->count = 1;
		break;
	case A_LISTEN:
		o->port = argv[0];
		if (sk_net_parse_port(NULL, o->port, 0) == -1) {
			cmd_usage_err(CMD, "invalid port '%s'", o->port);
			return -1;
		}
		break;
	case A_ANNOUNCE:
		o->name = argv[0];
		o->svc_port = argv[1];
		if (!valid_name(o->name)) {
			cmd_usage_err(CMD, "a NAME is 1-%d characters, no "
			    "spaces", NAMEMAX);
			return -1;
		}
		if (sk_net_parse_port(NULL, o->svc_port, 0) == -1) {
			cmd_usage_err(CMD, "invalid port '%s'", o->svc_port);
			return -1;
		}
		/* FALLTHROUGH */
	case A_DISCOVER:
		if (o->port == NULL)
			o->port = DISCOVERY_PORT;
		if (o->action == A_DISCOVER && o->timeout == 0)
			o->timeout = 3;
		if (o->count < 0)
			o->count = 0;
		break;
	}
	return 0;
}

/* Set-up: a sending socket, or a listening one. */

static int
setup_sender(struct bc *b)
{
	const struct bc_opts	*o = b->o;
	struct addrinfo		*res;
	const char		*dst = o->group ? o->group :
				    o->to ? o->to : "255.255.255.255";
	char			 err[SK_ERRLEN];
	int			 family;

	if (sk_net_resolve(err, dst, o->port, o->c.family, SOCK_DGRAM, 0,
	    &res) == -1) {
		cmd_err(CMD, "%s", err);
		return -1;
	}
	memcpy(&b->dst, res->ai_addr, res->ai_addrlen);
	b->dstlen = res->ai_addrlen;
	family = res->ai_family;
	freeaddrinfo(res);
	if ((b->fd = socket(family, SOCK_DGRAM, 0)) == -1) {
		cmd_err(CMD, "socket: %s", strerror(errno));
		return -1;
	}
	if (family == AF_INET && sk_net_broadcast(err, b->fd) == -1)
		goto fail;
	if (o->group != NULL) {
		if (sk_net_mcast_send_opts(err, b->fd, family, (int)o->ttl,
		    o->iface, 1) == -1)
			goto fail;
	} else if (o->iface != NULL &&
	    sk_net_bind_iface(err, b->fd, o->iface) == -1)
		goto fail;
	return 0;
fail:
	cmd_err(CMD, "%s", err);
	return -1;
}

static int
setup_listener(struct bc *b)
{
	const struct bc_opts	*o = b->o;
	char			 err[SK_ERRLEN];
	int			 family = o->c.family;

	/* A group's family decides the socket's. */
	if (o->group != NULL)
		family = strchr(o->group, ':') != NULL ? AF_INET6 : AF_INET;
	else if (family == AF_UNSPEC)
		family = AF_INET;	/* broadcasts are IPv4 */
	b->fd = sk_net_bind(err, NULL, o->port, family, SOCK_DGRAM,
	    SK_NET_SHARED);
	if (b->fd == -1 || (o->group != NULL &&
	    sk_net_mcast_join(err, b->fd, o->group, o->iface, 1) == -1)) {
		cmd_err(CMD, "%s", err);
		return -1;
	}
	if (o->group == NULL && o->iface != NULL &&
	    sk_net_bind_iface(err, b->fd, o->iface) == -1) {
		cmd_err(CMD, "%s", err);
		return -1;
	}
	if (sk_net_nonblock(err, b->fd, 1) == -1) {
		cmd_err(CMD, "%s", err);
		return -1;
	}
	return 0;
}

/* The event handlers: sending on a timer, receiving, the time limit. */

static void
send_one(struct bc *b, const void *p, size_t n)
{
	char	to[SK_ADDRSTRLEN];

	if (sendto(b->fd, p, n, 0, (struct sockaddr *)&b->dst,
	    b->dstlen) == -1) {
		sk_net_addr_str((struct sockaddr *)&b->dst, b->dstlen, to,
		    sizeof(to));
		cmd_err(CMD, "send to %s: %s%s", to, strerror(errno),
		    errno == ENETUNREACH && b->o->iface == NULL ?
		    " (no route there: name the interface with --iface)" : "");
		b->status = EXIT_RUNTIME;
		sk_loop_stop(b->loop);
		return;
	}
	b->sent++;
	if (b->o->c.verbose)
		cmd_err(CMD, "sent %zu bytes", n);
}

static void
on_repeat(struct sk_loop *loop, long long id, void *arg)
{
	struct bc	*b = arg;

	(void)id;
	send_one(b, b->payload, b->plen);
	if (b->o->count > 0 && b->sent >= b->o->count)
		sk_loop_stop(loop);
}

/* discover: remember each service once, print it when first heard. */
static void
discovered(struct bc *b, const uint8_t *p, size_t n, const char *from)
{
	struct found	 f, *nf;
	char		 line[NAMEMAX + 32], *sp, *colon;
	size_t		 i;
	long		 port;

	if (n <= strlen(MAGIC) || n >= sizeof(line) ||
	    memcmp(p, MAGIC, strlen(MAGIC)) != 0)
		return;
	memcpy(line, p + strlen(MAGIC), n - strlen(MAGIC));
	line[n - strlen(MAGIC)] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	if ((sp = strchr(line, ' ')) == NULL)
		return;
	*sp++ = '\0';
	port = strtol(sp, &colon, 10);
	if (!valid_name(line) || *colon != '\0' || port < 1 || port > 65535)
		return;
	memset(&f, 0, sizeof(f));
	snprintf(f.name, sizeof(f.name), "%s", line);
	snprintf(f.host, sizeof(f.host), "%s", from);
	/* The sender's address without its port. */
	if ((colon = strrchr(f.host, ':')) != NULL)
		*colon = '\0';
	f.port = (int)port;
	for (i = 0; i < b->nfound; i++)
		if (strcmp(b->found[i].name, f.name) == 0 &&
		    strcmp(b->found[i].host, f.host) == 0 &&
		    b->found[i].port == f.port)
			return;
	if ((nf = realloc(b->found, (b->nfound + 1) * sizeof(*nf))) == NULL)
		return;
	b->found = nf;
	b->found[b->nfound++] = f;
	if (b->o->c.json) {
		printf("{\"name\":\"");
		cmd_json_str(stdout, f.name);
		printf("\",\"host\":\"");
		cmd_json_str(stdout, f.host);
		printf("\",\"port\":%d}\n", f.port);
	} else
		printf("%s %s %d\n", f.name, f.host, f.port);
	fflush(stdout);
}

static void
on_datagram(struct sk_loop *loop, int fd, int mask, void *arg)
{
	struct bc		*b = arg;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	char			 from[SK_ADDRSTRLEN], err[SK_ERRLEN];
	ssize_t			 n;
	int			 trunc;

	(void)mask;
	for (;;) {
		sslen = sizeof(ss);
		n = sk_net_recv_dgram(err, fd, b->buf, RBUFSZ, &ss, &sslen,
		    &trunc);
		if (n == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				cmd_err(CMD, "%s", err);
			return;
		}
		sk_net_addr_str((struct sockaddr *)&ss, sslen, from,
		    sizeof(from));
		if (b->o->action == A_DISCOVER) {
			discovered(b, b->buf, (size_t)n, from);
			continue;
		}
		printf("%s ", from);
		cmd_print_line(stdout, b->buf, (size_t)n);
		fflush(stdout);
		if (b->o->count > 0 && ++b->received >= b->o->count) {
			sk_loop_stop(loop);
			return;
		}
	}
}

static void
on_timeout(struct sk_loop *loop, long long id, void *arg)
{
	(void)id;
	(void)arg;
	sk_loop_stop(loop);
}

static long long
ms(double secs)
{
	return (long long)(secs * 1000 + 0.5);
}

/* send: the message, or each stdin line, --count times. */
static int
run_send(struct bc *b)
{
	const struct bc_opts	*o = b->o;
	char			*line = NULL;
	size_t			 cap = 0;
	ssize_t			 n;
	long long		 i;

	if (o->message == NULL) {
		/* stdin lines: each one datagram, sent --count times. */
		while ((n = getline(&line, &cap, stdin)) > 0 && !b->status) {
			if (line[n - 1] == '\n')
				line[--n] = '\0';
			for (i = 0; i < o->count && !b->status; i++)
				send_one(b, line, (size_t)n);
		}
		free(line);
		return b->status;
	}
	b->plen = strlen(o->message);
	if (b->plen >= sizeof(b->payload)) {
		/* Long messages go at once, without the repeat timer. */
		for (i = 0; i < o->count && !b->status; i++)
			send_one(b, o->message, b->plen);
		return b->status;
	}
	memcpy(b->payload, o->message, b->plen);
	send_one(b, b->payload, b->plen);
	if (o->count > 1 && !b->status &&
	    sk_loop_timer_add(NULL, b->loop, ms(o->interval), ms(o->interval),
	    on_repeat, b) != -1)
		(void)sk_loop_run(NULL, b->loop);
	return b->status;
}

int
cmd_broadcast(int argc, char **argv)
{
	struct bc_opts	o;
	struct bc	b;
	char		err[SK_ERRLEN];
	int		sender;

	if (parse_args(argc, argv, &o) == -1)
		return EXIT_USAGE;
	if (o.c.help)
		return cmd_help(usage_text);
	memset(&b, 0, sizeof(b));
	b.o = &o;
	b.fd = -1;
	sender = o.action == A_SEND || o.action == A_ANNOUNCE;
	if ((b.loop = sk_loop_new(err, o.c.backend)) == NULL) {
		cmd_err(CMD, "%s", err);
		return EXIT_RUNTIME;
	}
	if ((sender ? setup_sender(&b) : setup_listener(&b)) == -1 ||
	    cmd_signals_init(CMD, b.loop) == -1)
		b.status = EXIT_RUNTIME;
	else if (o.action == A_SEND)
		b.status = run_send(&b);
	else if (o.action == A_ANNOUNCE) {
		b.plen = (size_t)snprintf(b.payload, sizeof(b.payload),
		    MAGIC "%s %s\n", o.name, o.svc_port);
		send_one(&b, b.payload, b.plen);
		if (b.status == 0 && (o.count == 0 || o.count > 1) &&
		    sk_loop_timer_add(err, b.loop, ms(o.interval),
		    ms(o.interval), on_repeat, &b) != -1)
			(void)sk_loop_run(NULL, b.loop);
	} else {
		if ((b.buf = malloc(RBUFSZ)) == NULL ||
		    sk_loop_add(err, b.loop, b.fd, SK_READ, on_datagram,
		    &b) == -1 || (o.timeout > 0 && sk_loop_timer_add(err,
		    b.loop, ms(o.timeout), 0, on_timeout, &b) == -1)) {
			cmd_err(CMD, "%s", b.buf ? err : "out of memory");
			b.status = EXIT_RUNTIME;
		} else {
			cmd_listening(CMD, b.fd);
			(void)sk_loop_run(NULL, b.loop);
		}
		if (o.action == A_DISCOVER && b.nfound == 0 && b.status == 0) {
			cmd_err(CMD, "no service heard in %.1f s", o.timeout);
			b.status = EXIT_RUNTIME;
		}
	}
	if (o.group != NULL && !sender && b.fd != -1)
		(void)sk_net_mcast_join(NULL, b.fd, o.group, o.iface, 0);
	cmd_signals_fini(b.loop);
	if (b.fd != -1)
		close(b.fd);
	sk_loop_free(b.loop);
	free(b.buf);
	free(b.found);
	if (b.status == 0)
		b.status = cmd_finish_stdout(CMD);
	return b.status;
}
