/*
 * broadcast.c - sockkit broadcast: one-to-all and one-to-many datagrams on
 * a LAN.  `send` broadcasts (to 255.255.255.255 or a subnet's broadcast
 * address) or sends to a multicast group; `listen` receives them, joining
 * the group if asked, and prints "<sender-ip>:<sender-port> <message>".
 * Several listeners on one host share the port.  On top of that, a tiny
 * service discovery: `announce NAME PORT` repeats a small datagram, and
 * `discover` listens for a while and lists the services it heard
 * (broadcast_discover.c; the datagram itself is sockkit/announce.h's).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sockkit/announce.h>
#include <sockkit/loop.h>
#include <sockkit/net.h>

#include "broadcast.h"

static const char usage_text[] =
"usage: sockkit broadcast send [--port PORT] [--to ADDR | --group GROUP]\n"
"           [--ttl N] [--iface NAME] [--count N] [--interval SECS] [MESSAGE]\n"
"       sockkit broadcast listen [--group GROUP] [--iface NAME] [--count N]\n"
"           [--timeout SECS] PORT\n"
"       sockkit broadcast announce [--port PORT] [--to ADDR | --group GROUP]\n"
"           [--ttl N] [--iface NAME] [--count N] [--interval SECS]\n"
"           NAME SERVICE_PORT\n"
"       sockkit broadcast discover [--port PORT] [--group GROUP]\n"
"           [--iface NAME] [--timeout SECS] [--json]\n"
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
"An announcement is one UDP datagram of text:\n"
"    sockkit-announce 1 NAME SERVICE_PORT\\n\n"
"('1' is the format's version; one space between fields; the newline is\n"
"optional, a CR before it too).  NAME is 1-64 bytes of UTF-8 text with\n"
"no spaces or control bytes; SERVICE_PORT is 1-65535 in decimal, no sign\n"
"or leading padding.  discover ignores any other datagram; HOST is the\n"
"sender's address.\n"
"\n"
"options:\n"
"      --port PORT          the port sent to (send: 9999; announce and\n"
"                           discover: 47474)\n"
"      --to ADDR            a broadcast (or any unicast) address to send to\n"
"      --group GROUP        a multicast group: 224.0.0.0/4 (239.1.2.3) or\n"
"                           ff00::/8 (ff02::1:3)\n"
"      --ttl N              with --group: multicast hops (default 1: this\n"
"                           LAN)\n"
"      --iface NAME         the interface to send or join on\n"
"      --count N            send: how many times (default 1; announce:\n"
"                           0 = until stopped); listen: stop after N\n"
"      --interval SECS      between repeats (default 1; may be 0.1)\n"
"      --timeout SECS       listen, discover: stop after SECS\n"
"      --json               discover: one JSON object per service\n"
"  -4, -6, -v, --backend NAME, -h/--help as everywhere\n"
"\n"
"A MESSAGE over 65,507 bytes is a usage error; a line that long is not\n"
"sent (the others are) and the exit status is 1.\n";

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

/* Which options an action takes; --json is the bit after the last. */
#define GIVEN(opt)	(1u << ((opt) - OPT_PORT))
#define GIVEN_JSON	GIVEN(OPT_TIMEOUT + 1)

static const char *const opt_names[] = {
	"--port", "--to", "--group", "--ttl", "--iface", "--count",
	"--interval", "--timeout", "--json"
};

static const char *const actions[] = {
	"send", "listen", "announce", "discover"
};

static const unsigned action_opts[] = {
	/* send */
	GIVEN(OPT_PORT) | GIVEN(OPT_TO) | GIVEN(OPT_GROUP) | GIVEN(OPT_TTL) |
	    GIVEN(OPT_IFACE) | GIVEN(OPT_COUNT) | GIVEN(OPT_INTERVAL),
	/* listen: its port is the operand */
	GIVEN(OPT_GROUP) | GIVEN(OPT_IFACE) | GIVEN(OPT_COUNT) |
	    GIVEN(OPT_TIMEOUT),
	/* announce */
	GIVEN(OPT_PORT) | GIVEN(OPT_TO) | GIVEN(OPT_GROUP) | GIVEN(OPT_TTL) |
	    GIVEN(OPT_IFACE) | GIVEN(OPT_COUNT) | GIVEN(OPT_INTERVAL),
	/* discover */
	GIVEN(OPT_PORT) | GIVEN(OPT_GROUP) | GIVEN(OPT_IFACE) |
	    GIVEN(OPT_TIMEOUT) | GIVEN_JSON
};

/* -4 or -6 against an address of the other family: a usage error. */
static int
family_clash(const struct bc_opts *o, const char *opt, const char *addr,
    int family)
{
	if (o->c.family == AF_UNSPEC || o->c.family == family)
		return 0;
	cmd_usage_err(CMD, "%s %s is IPv%c: not with -%c", opt, addr,
	    family == AF_INET ? '4' : '6', o->c.family == AF_INET ? '4' : '6');
	return 1;
}

/* The address options: a group is multicast, --to is not. */
static int
check_addrs(const struct bc_opts *o)
{
	int	family, mcast;

	if (o->group != NULL) {
		if (!sk_net_numeric_addr(o->group, &family, &mcast) || !mcast) {
			cmd_usage_err(CMD, "'%s' is not a multicast group "
			    "(IPv4 224.0.0.0/4, IPv6 ff00::/8)", o->group);
			return -1;
		}
		if (family_clash(o, "--group", o->group, family))
			return -1;
	}
	if (o->to != NULL && sk_net_numeric_addr(o->to, &family, &mcast)) {
		if (mcast) {
			cmd_usage_err(CMD, "--to %s is a multicast group: use "
			    "--group %s", o->to, o->to);
			return -1;
		}
		if (family_clash(o, "--to", o->to, family))
			return -1;
	}
	if ((o->action == A_SEND || o->action == A_ANNOUNCE) &&
	    o->to == NULL && o->group == NULL && o->c.family == AF_INET6) {
		cmd_usage_err(CMD, "-6: a broadcast is IPv4 only; give an "
		    "IPv6 --group or --to");
		return -1;
	}
	return 0;
}

/* Options that would do nothing for this action are mistakes. */
static int
check_action_opts(const struct bc_opts *o)
{
	unsigned	extra = o->given & ~action_opts[o->action];
	size_t		i;

	if (extra & GIVEN_JSON) {
		cmd_usage_err(CMD, "--json goes with discover");
		return -1;
	}
	if (o->action == A_LISTEN && (extra & GIVEN(OPT_PORT))) {
		cmd_usage_err(CMD, "listen takes its PORT as an operand, not "
		    "--port");
		return -1;
	}
	for (i = 0; i < sizeof(opt_names) / sizeof(opt_names[0]); i++)
		if (extra & (1u << i)) {
			cmd_usage_err(CMD, "%s does not go with %s",
			    opt_names[i], actions[o->action]);
			return -1;
		}
	if ((o->given & GIVEN(OPT_TTL)) && o->group == NULL) {
		cmd_usage_err(CMD, "--ttl goes with --group (it is the "
		    "multicast hop limit)");
		return -1;
	}
	if (o->action == A_SEND && (o->given & GIVEN(OPT_COUNT)) &&
	    o->count == 0) {
		cmd_usage_err(CMD, "send --count: at least 1 (0, until "
		    "stopped, is for announce)");
		return -1;
	}
	return 0;
}

/* An action's operands, checked, and its defaults. */
static int
action_operands(struct bc_opts *o, int argc, char **argv)
{
	switch (o->action) {
	case A_SEND:
		o->message = argc == 1 ? argv[0] : NULL;
		if (o->message != NULL && strlen(o->message) > DGRAMMAX) {
			cmd_usage_err(CMD, "a MESSAGE of %zu bytes is over the "
			    "%d a datagram can hold", strlen(o->message),
			    DGRAMMAX);
			return -1;
		}
		if (o->port == NULL)
			o->port = SEND_PORT;
		if (o->count < 0)
			o->count = 1;
		break;
	case A_LISTEN:
		o->port = argv[0];
		if (strchr(o->port, ':') != NULL) {
			/* "239.1.2.3:5000": nc's habit; say how here. */
			cmd_usage_err(CMD, "invalid port '%s': listen takes "
			    "PORT alone, and a group as --group GROUP",
			    o->port);
			return -1;
		}
		if (cmd_port(CMD, NULL, o->port, 0) == -1)
			return -1;
		break;
	case A_ANNOUNCE:
		o->name = argv[0];
		o->svc_port = argv[1];
		if (cmd_announce_name(CMD, NULL, o->name) == -1)
			return -1;
		if (cmd_port(CMD, NULL, o->svc_port, 0) == -1)
			return -1;
		/* FALLTHROUGH */
	case A_DISCOVER:
		if (o->port == NULL)
			o->port = DISCOVERY_PORT;
		if (o->action == A_DISCOVER && o->timeout_ms == 0)
			o->timeout_ms = 3000;
		if (o->count < 0)
			o->count = 0;
		break;
	}
	return 0;
}

/* The operands: the action first, then what it takes. */
static int
take_action(struct bc_opts *o, int argc, char **argv)
{
	int	i, n;

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
	if (check_action_opts(o) == -1 || check_addrs(o) == -1)
		return -1;
	n = o->action == A_SEND ? 1 : o->action == A_LISTEN ? 1 :
	    o->action == A_ANNOUNCE ? 2 : 0;
	if (o->action == A_SEND && argc > 1) {
		cmd_usage_err(CMD, "too many arguments (a MESSAGE is one: "
		    "quote it, as in 'hello world')");
		return -1;
	}
	if (argc > n || (o->action != A_SEND && argc < n)) {
		cmd_usage_err(CMD, argc > n ? "too many arguments" :
		    o->action == A_LISTEN ? "missing PORT" :
		    "missing NAME and SERVICE_PORT");
		return -1;
	}
	return action_operands(o, argc, argv);
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
	int	ch, rc;

	memset(o, 0, sizeof(*o));
	o->ttl = 1;
	o->count = -1;
	o->interval_ms = 1000;
	optind = 1;
	opterr = 0;
	cmd_longopts(longopts);
	while ((ch = getopt_long(argc, argv, COMMON_SHORTOPTS, longopts,
	    NULL)) != -1) {
		if ((rc = cmd_common(CMD, &o->c, ch, argv)) == -1)
			return -1;
		if (rc == 1)
			continue;
		if (ch >= OPT_PORT && ch <= OPT_TIMEOUT)
			o->given |= GIVEN(ch);
		switch (ch) {
		case OPT_PORT:
			if (cmd_port(CMD, "--port", optarg, 0) == -1)
				return -1;
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
			if (cmd_seconds(CMD, "--interval", optarg, 1, 86400000,
			    &o->interval_ms) == -1)
				return -1;
			break;
		case OPT_TIMEOUT:
			if (cmd_seconds(CMD, "--timeout", optarg, 1, 86400000,
			    &o->timeout_ms) == -1)
				return -1;
			break;
		}
	}
	if (o->c.help)
		return 0;
	if (o->c.json)
		o->given |= GIVEN_JSON;
	return take_action(o, argc - optind, argv + optind);
}

/* Set-up: a sending socket, or a listening one. */

/* 1 when sa is a multicast address. */
static int
is_mcast(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return IN_MULTICAST(ntohl(((const struct sockaddr_in *)sa)
		    ->sin_addr.s_addr));
	if (sa->sa_family == AF_INET6)
		return IN6_IS_ADDR_MULTICAST(&((const struct sockaddr_in6 *)sa)
		    ->sin6_addr);
	return 0;
}

/* Returns 0, or the exit status after saying why not. */
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
		return EXIT_RUNTIME;
	}
	memcpy(&b->dst, res->ai_addr, res->ai_addrlen);
	b->dstlen = res->ai_addrlen;
	family = res->ai_family;
	freeaddrinfo(res);
	/* A name for --to that stands for a group: as for a number. */
	if (o->group == NULL && is_mcast((struct sockaddr *)&b->dst))
		return cmd_usage_err(CMD, "--to %s is a multicast group: use "
		    "--group", o->to);
	if ((b->fd = sk_ann_socket(err, family, o->group != NULL, (int)o->ttl,
	    o->iface)) == -1) {
		cmd_err(CMD, "%s", err);
		return EXIT_RUNTIME;
	}
	return 0;
}

static int
setup_listener(struct bc *b)
{
	const struct bc_opts	*o = b->o;
	char			 err[SK_ERRLEN];
	int			 family = o->c.family;

	/* A group's family decides the socket's. */
	if (o->group != NULL)
		(void)sk_net_numeric_addr(o->group, &family, NULL);
	else if (family == AF_UNSPEC)
		family = AF_INET;	/* broadcasts are IPv4 */
	b->fd = sk_net_bind(err, NULL, o->port, family, SOCK_DGRAM,
	    SK_NET_SHARED);
	if (b->fd == -1 || (o->group != NULL &&
	    sk_net_mcast_join(err, b->fd, o->group, o->iface, 1) == -1)) {
		cmd_err(CMD, "%s", err);
		return -1;
	}
	if ((o->group == NULL && o->iface != NULL &&
	    sk_net_bind_iface(err, b->fd, o->iface) == -1) ||
	    sk_net_nonblock(err, b->fd, 1) == -1 ||
	    /* discover: where a sender with no address is (see host_of) */
	    (o->action == A_DISCOVER &&
	    sk_net_recv_ifindex(err, b->fd, family) == -1)) {
		cmd_err(CMD, "%s", err);
		return -1;
	}
	return 0;
}

/* The event handlers: sending, receiving, the time limit. */

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
		return;
	}
	b->sent++;
	if (b->o->c.verbose)
		cmd_err(CMD, "sent %zu bytes", n);
}

static void
on_pause(struct sk_loop *loop, long long id, void *arg)
{
	struct bc	*b = arg;

	(void)id;
	b->pause = 0;
	sk_loop_stop(loop);
}

/* Wait ms between repeats: 0, or -1 when a signal came (stop then). */
static int
pause_ms(struct bc *b, long long ms)
{
	char	err[SK_ERRLEN];

	if ((b->pause = sk_loop_timer_add(err, b->loop, ms, 0, on_pause,
	    b)) == -1 || sk_loop_run(err, b->loop) == -1) {
		cmd_err(CMD, "%s", err);
		b->status = EXIT_RUNTIME;
	}
	if (b->pause > 0)
		(void)sk_loop_timer_del(b->loop, b->pause);
	b->pause = 0;
	return b->status != 0 || cmd_signalled() ? -1 : 0;
}

/*
 * One datagram --count times (0: until stopped), --interval apart; the
 * same for a MESSAGE, each stdin line and announce.
 */
static void
send_repeated(struct bc *b, const void *p, size_t n)
{
	long long	i;

	for (i = 0; b->o->count == 0 || i < b->o->count; i++) {
		if (i > 0 && pause_ms(b, b->o->interval_ms) == -1)
			return;
		send_one(b, p, n);
		if (b->status != 0)
			return;
	}
}

/*
 * The next stdin line into buf (DGRAMMAX bytes), without its newline.
 * Returns its whole length (over DGRAMMAX: too long, only the start
 * kept, the rest read and dropped, so memory stays bounded whatever the
 * input), or -1 at the end of the input or on an error.
 */
static ssize_t
next_line(char *buf)
{
	size_t	n = 0;
	int	c;

	while ((c = getc(stdin)) != EOF && c != '\n') {
		if (n < DGRAMMAX)
			buf[n] = (char)c;
		n++;
	}
	if (c == EOF && (n == 0 || ferror(stdin)))
		return -1;
	return n > SSIZE_MAX ? SSIZE_MAX : (ssize_t)n;
}

/* send: the message, or each stdin line. */
static void
run_send(struct bc *b)
{
	char	*line;
	ssize_t	 n;

	if (b->o->message != NULL) {
		send_repeated(b, b->o->message, strlen(b->o->message));
		return;
	}
	if ((line = malloc(DGRAMMAX)) == NULL) {
		cmd_err(CMD, "out of memory");
		b->status = EXIT_RUNTIME;
		return;
	}
	while (b->status == 0 && !cmd_signalled() &&
	    (n = next_line(line)) >= 0) {
		if (n > DGRAMMAX) {
			cmd_err(CMD, "a line of %zd bytes is over the %d a "
			    "datagram can hold: not sent", n, DGRAMMAX);
			b->unsent = 1;
			continue;
		}
		send_repeated(b, line, (size_t)n);
	}
	/* A signal ends the read with EINTR: not an input error. */
	if (ferror(stdin) && b->status == 0 && !cmd_signalled()) {
		cmd_err(CMD, "read stdin: %s", strerror(errno));
		b->unsent = 1;
	}
	free(line);
}

/* announce: NAME and the service port, as a number. */
static void
run_announce(struct bc *b)
{
	char	payload[SK_ANN_DGRAMMAX + 1];
	int	n;

	/* parse_args() checked the NAME and the port: n is never -1. */
	n = sk_ann_format(payload, sizeof(payload), b->o->name,
	    sk_net_parse_port(NULL, b->o->svc_port, 0));
	if (n > 0)
		send_repeated(b, payload, (size_t)n);
}

static void
on_datagram(struct sk_loop *loop, int fd, int mask, void *arg)
{
	struct bc		*b = arg;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	char			 from[SK_ADDRSTRLEN], err[SK_ERRLEN];
	ssize_t			 n;
	unsigned		 ifindex;
	int			 trunc, rc, burst;

	(void)mask;
	/* What is waiting, a bounded burst per wakeup. */
	for (burst = 0; burst < 64; burst++) {
		sslen = sizeof(ss);
		n = sk_net_recv_dgram_if(err, fd, b->buf, RBUFSZ, &ss, &sslen,
		    &trunc, &ifindex);
		if (n == -1) {
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				cmd_err(CMD, "%s", err);
			return;
		}
		if (b->o->action == A_DISCOVER)
			rc = bc_discovered(b, b->buf, (size_t)n, &ss, sslen,
			    ifindex);
		else {
			sk_net_addr_str((struct sockaddr *)&ss, sslen, from,
			    sizeof(from));
			printf("%s ", from);
			cmd_print_line(stdout, b->buf, (size_t)n);
			/* Each at once; a reader gone stops us (141). */
			rc = cmd_flush_stdout(CMD);
		}
		if (rc == -1) {
			b->status = EXIT_RUNTIME;
			sk_loop_stop(loop);
			return;
		}
		if (b->o->action == A_LISTEN && b->o->count > 0 &&
		    ++b->received >= b->o->count) {
			sk_loop_stop(loop);
			return;
		}
	}
}

static void
on_timeout(struct sk_loop *loop, long long id, void *arg)
{
	struct bc	*b = arg;

	(void)id;
	b->timed_out = 1;
	sk_loop_stop(loop);
}

/* listen, discover: until --count, --timeout or a signal. */
static void
run_listen(struct bc *b)
{
	const struct bc_opts	*o = b->o;
	char			 err[SK_ERRLEN];

	if ((b->buf = malloc(RBUFSZ)) == NULL) {
		cmd_err(CMD, "out of memory");
		b->status = EXIT_RUNTIME;
		return;
	}
	if (sk_loop_add(err, b->loop, b->fd, SK_READ, on_datagram, b) == -1 ||
	    (o->timeout_ms > 0 && sk_loop_timer_add(err, b->loop,
	    o->timeout_ms, 0, on_timeout, b) == -1)) {
		cmd_err(CMD, "%s", err);
		b->status = EXIT_RUNTIME;
		return;
	}
	cmd_listening(CMD, b->fd);
	if (sk_loop_run(err, b->loop) == -1) {
		cmd_err(CMD, "%s", err);
		b->status = EXIT_RUNTIME;
	}
	if (o->action == A_DISCOVER && b->nprinted == 0 && b->status == 0 &&
	    !cmd_signalled()) {
		cmd_err(CMD, "no service heard in %.10g s",
		    (double)o->timeout_ms / 1000);
		b->status = EXIT_RUNTIME;
	}
	/* --count N is what was asked for: fewer in time is a failure. */
	if (o->action == A_LISTEN && o->count > 0 && b->timed_out &&
	    b->received < o->count && b->status == 0) {
		cmd_err(CMD, "%lld of %lld message%s within %.10g s",
		    b->received, o->count, o->count == 1 ? "" : "s",
		    (double)o->timeout_ms / 1000);
		b->status = EXIT_RUNTIME;
	}
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
	if (sender ? (b.status = setup_sender(&b)) != 0 :
	    setup_listener(&b) == -1) {
		if (b.status == 0)
			b.status = EXIT_RUNTIME;
	} else if (cmd_signals_init(CMD, b.loop) == -1)
		b.status = EXIT_RUNTIME;
	else if (o.action == A_SEND)
		run_send(&b);
	else if (o.action == A_ANNOUNCE)
		run_announce(&b);
	else
		run_listen(&b);
	if (o.group != NULL && !sender && b.fd != -1)
		(void)sk_net_mcast_join(NULL, b.fd, o.group, o.iface, 0);
	cmd_signals_fini(b.loop);
	if (b.fd != -1)
		close(b.fd);
	sk_loop_free(b.loop);
	free(b.buf);
	free(b.found);
	if (b.status == 0 && b.unsent)
		b.status = EXIT_RUNTIME;
	if (b.status == 0)
		b.status = cmd_finish_stdout(CMD);
	return b.status;
}
