/*
 * tcp_client.c - sockkit tcp-client: connect to a TCP (or Unix-domain)
 * stream socket and copy stdin to it and it to stdout.  When stdin ends the
 * client half-closes and keeps printing until the server closes: no timer
 * guesses when the replies are over, which is where nc hangs and socat
 * drops late replies.
 *
 * It also checks services for scripts: -z tells which ports of a range are
 * open, connecting to many at once on the event loop, and --send/--expect
 * sends a request and succeeds only if the reply holds the expected text.
 */
#define _GNU_SOURCE		/* memmem */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sockkit/frame.h>
#include <sockkit/loop.h>
#include <sockkit/net.h>
#include <sockkit/relay.h>
#include <sockkit/text.h>

#include "tcp_client.h"

static const char usage_text[] =
"usage: sockkit tcp-client [options] HOST PORT\n"
"       sockkit tcp-client [options] -U PATH\n"
"       sockkit tcp-client -z [options] HOST PORTS...\n"
"\n"
"Connect, copy stdin to the connection and the connection to stdout.  At\n"
"the end of stdin, half-close and keep reading until the server closes.\n"
"\n"
"options:\n"
"  -4, -6                   IPv4 or IPv6 only\n"
"  -w SECONDS               connect timeout, and idle timeout afterwards\n"
"                           (decimals too: -w 0.5)\n"
"  -s ADDRESS               connect from this source address\n"
"  -p PORT                  connect from this source port\n"
"  -n                       HOST must be numeric: no DNS lookup\n"
"  -N                       accepted for nc's sake: stdin's end is always\n"
"                           a half-close (with --expect: half-close too)\n"
"  -q SECS                  quit SECS after all of stdin was sent, even if\n"
"                           the server has not closed (exit 0)\n"
"  -U, --unix PATH          connect to a Unix-domain stream socket\n"
"      --frame              send each stdin line as one length-prefixed\n"
"                           frame; print each frame received as a line\n"
"      --max-frame BYTES    --frame: largest frame accepted (default\n"
"                           16777216)\n"
"      --send STRING        send STRING instead of stdin; \\r \\n \\t \\\\ and\n"
"                           \\xHH are understood\n"
"      --expect TEXT        succeed (exit 0) once the reply holds TEXT, fail\n"
"                           (exit 1) if it ends or -w passes first (default\n"
"                           10 s); the reply is not printed\n"
"  -z                       only tell whether the ports are open: one line\n"
"                           'HOST PORT open|closed|filtered' per port, in\n"
"                           the order given; PORTS: 22 80,443 8000-8100;\n"
"                           exit 0 if any is open.  -w bounds each try\n"
"                           (default 3 s); filtered: no answer within it,\n"
"                           or the host or network is unreachable\n"
"      --parallel N         -z: ports tried at once (default 100)\n"
"      --json               -z: one JSON object per port instead\n"
"      --backend NAME       event loop: select, poll or epoll\n"
"  -v                       summary at the end: bytes each way, time, rate\n"
"  -h, --help               this text\n"
"\n"
"Exits 0 when both directions ended cleanly (or the expected text came),\n"
"1 when the connection failed, 2 on a usage error.\n";

/* --expect: a sliding window over the reply, so TEXT may be torn. */
struct matcher {
	const char	*text;
	size_t		 tlen;
	char		*win;		/* the last tlen - 1 bytes, and more */
	size_t		 wlen;
	uint64_t	 total;
	int		 seen;
	char		 tail[48];	/* the last bytes, for the error */
	size_t		 taillen;
};

struct client {
	const struct client_opts *o;
	struct sk_loop		*loop;
	struct sk_relay		*relay;
	struct matcher		 m;
	int			 fd;
	int			 status;
	int			 timed_out;
	long long		 start_ms;
	long long		 eof_ms;	/* -q: stdin all sent then */
	uint64_t		 seen;		/* bytes at the last idle
						   check */
};

enum {
	OPT_FRAME = OPT_FIRST_CMD,
	OPT_MAX_FRAME,
	OPT_PARALLEL
};

/* The longest time an option takes: a year, in milliseconds. */
#define SECONDS_MAX_MS	(86400LL * 365 * 1000)

/*
 * nc's options, for the hands that type them: those with a meaning here
 * are taken (-N, -n, -p, -q, -s, -w, -z), the rest get the sockkit form.
 */
static int
nc_hint(int ch)
{
	switch (ch) {
	case 'l':
		cmd_usage_err(CMD, "-l: to listen use 'sockkit tcp-server "
		    "[ADDRESS] PORT'");
		return -1;
	case 'k':
		cmd_usage_err(CMD, "-k: to keep listening use 'sockkit "
		    "tcp-server -k PORT'");
		return -1;
	case 'u':
		cmd_usage_err(CMD, "-u: for UDP use 'sockkit udp-client HOST "
		    "PORT'");
		return -1;
	}
	return 0;
}

/*
 * Every option conflict in one place: an option that would do nothing
 * where it is given is an error, not silently ignored.
 */
static int
check_conflicts(const struct client_opts *o)
{
	const char	*bad = NULL;

	if (o->c.json && !o->zero)
		return cmd_usage_err(CMD, "--json goes with -z");
	if (o->parallel_set && !o->zero)
		return cmd_usage_err(CMD, "--parallel goes with -z");
	if (o->max_frame_set && !o->frame)
		return cmd_usage_err(CMD, "--max-frame goes with --frame");
	if (o->zero) {
		bad = o->unix_path != NULL ? "-U" : o->p.send != NULL ?
		    "--send" : o->p.expect != NULL ? "--expect" : o->frame ?
		    "--frame" : o->src_host != NULL ? "-s" : o->src_port !=
		    NULL ? "-p" : o->quit_ms >= 0 ? "-q" : o->halfclose ?
		    "-N" : NULL;
		if (bad != NULL)
			return cmd_usage_err(CMD, "-z takes no %s: it only "
			    "connects", bad);
	}
	if (o->unix_path != NULL && *o->unix_path == '\0')
		return cmd_usage_err(CMD, "-U: empty PATH");
	if (o->unix_path != NULL) {
		bad = o->src_host != NULL ? "-s" : o->src_port != NULL ? "-p" :
		    o->numeric ? "-n" : o->c.family == AF_INET ? "-4" :
		    o->c.family == AF_INET6 ? "-6" : NULL;
		if (bad != NULL)
			return cmd_usage_err(CMD, "-U PATH takes no %s", bad);
	}
	if (o->quit_ms >= 0 && o->p.expect != NULL)
		return cmd_usage_err(CMD, "-q does not go with --expect, "
		    "which ends on TEXT or -w");
	return 0;
}

/*
 * HOST PORT, -U PATH's none, or -z's HOST PORTS..., and the checks on
 * HOST and -s ADDRESS (-4/-6, -n).
 */
static int
take_operands(struct client_opts *o, int argc, char **argv)
{
	if (o->zero) {
		if (argc >= 1 && cmd_colon_hint(CMD, argv[0], 0) == -1)
			return -1;
		if (argc < 2) {
			cmd_usage_err(CMD, argc < 1 ?
			    "missing HOST and PORT" : "missing PORT");
			return -1;
		}
		o->host = argv[0];
		if (cmd_host_ok(CMD, NULL, o->host) == -1 ||
		    tc_parse_ports(o, argc - 1, argv + 1) == -1)
			return -1;
	} else if (cmd_endpoint(CMD, argc, argv, 0, o->unix_path, &o->host,
	    &o->port) == -1)
		return -1;
	if (cmd_host_ok(CMD, "-s", o->src_host) == -1 ||
	    cmd_host_family(CMD, NULL, o->c.family, o->host) == -1 ||
	    cmd_host_family(CMD, "-s", o->c.family, o->src_host) == -1)
		return -1;
	/* -n: nothing is looked up, neither HOST nor -s ADDRESS. */
	if (o->numeric && (!cmd_numeric_host(o->host) ||
	    (o->src_host != NULL && !cmd_numeric_host(o->src_host)))) {
		cmd_usage_err(CMD, "-n: '%s' is not a numeric address",
		    !cmd_numeric_host(o->host) ? o->host : o->src_host);
		return -1;
	}
	return 0;
}

static int
parse_args(int argc, char **argv, struct client_opts *o)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "unix",	required_argument,	NULL,	'U' },
		{ "frame",	no_argument,		NULL,	OPT_FRAME },
		{ "max-frame",	required_argument,	NULL,	OPT_MAX_FRAME },
		PROBE_LONGOPTS,
		{ "parallel",	required_argument,	NULL,	OPT_PARALLEL },
		{ NULL,		0,			NULL,	0 }
	};
	int	ch, rc;

	memset(o, 0, sizeof(*o));
	o->max_frame = SK_FRAME_MAX_DEFAULT;
	o->parallel = 100;
	o->quit_ms = -1;
	optind = 1;
	opterr = 0;
	cmd_longopts(longopts);
	while ((ch = getopt_long(argc, argv, COMMON_SHORTOPTS
	    "w:s:p:U:znNq:lku", longopts, NULL)) != -1) {
		if ((rc = cmd_common(CMD, &o->c, ch, argv)) == 0)
			rc = cmd_probe_opt(CMD, &o->p, ch);
		if (rc == 0 && nc_hint(ch) == -1)
			rc = -1;
		if (rc == -1)
			return -1;
		if (rc == 1)
			continue;
		switch (ch) {
		case 'w':
			if (cmd_seconds(CMD, "-w", optarg, 1, SECONDS_MAX_MS,
			    &o->wait_ms) == -1)
				return -1;
			break;
		case 'q':
			if (cmd_seconds(CMD, "-q", optarg, 0, SECONDS_MAX_MS,
			    &o->quit_ms) == -1)
				return -1;
			break;
		case 's':
			o->src_host = optarg;
			break;
		case 'p':
			if (cmd_port(CMD, "-p", optarg, 0) == -1)
				return -1;
			o->src_port = optarg;
			break;
		case 'n':
			o->numeric = 1;
			break;
		case 'N':
			o->halfclose = 1;
			break;
		case 'U':
			o->unix_path = optarg;
			break;
		case 'z':
			o->zero = 1;
			break;
		case OPT_FRAME:
			o->frame = 1;
			break;
		case OPT_MAX_FRAME:
			if (cmd_number(CMD, "--max-frame", optarg, 1,
			    UINT32_MAX, &o->max_frame) == -1)
				return -1;
			o->max_frame_set = 1;
			break;
		case OPT_PARALLEL:
			if (cmd_number(CMD, "--parallel", optarg, 1, 10000,
			    &o->parallel) == -1)
				return -1;
			o->parallel_set = 1;
			break;
		}
	}
	if (o->c.help)
		return 0;
	if (check_conflicts(o) != 0)
		return -1;
	return take_operands(o, argc - optind, argv + optind);
}


static int
setup(struct client *cl)
{
	const struct client_opts	*o = cl->o;
	struct sk_net_dial		 dial;
	char				 err[SK_ERRLEN];

	memset(&dial, 0, sizeof(dial));
	dial.family = o->c.family;
	/* The connect timeout is an int: past 24 days is forever anyway. */
	dial.timeout_ms = o->wait_ms > INT_MAX ? INT_MAX : (int)o->wait_ms;
	dial.src_host = o->src_host;
	dial.src_port = o->src_port;
	cl->start_ms = sk_loop_now_ms();
	if (o->unix_path != NULL)
		cl->fd = sk_net_unix_connect(err, o->unix_path, SOCK_STREAM,
		    dial.timeout_ms);
	else
		cl->fd = sk_net_connect(err, o->host, o->port, &dial);
	if (cl->fd == -1) {
		cmd_err(CMD, "%s", err);
		return -1;
	}
	if (o->unix_path == NULL)
		(void)sk_net_nodelay(NULL, cl->fd);
	if ((cl->loop = sk_loop_new(err, o->c.backend)) == NULL) {
		cmd_err(CMD, "%s", err);
		return -1;
	}
	if (o->p.expect != NULL) {
		cl->m.text = o->p.expect;
		cl->m.tlen = strlen(o->p.expect);
		if ((cl->m.win = malloc(cl->m.tlen + SK_RELAY_BUFSZ)) ==
		    NULL) {
			cmd_err(CMD, "out of memory");
			return -1;
		}
	}
	return 0;
}

/* The event handlers: data for --expect, the relay's end, -w timers. */

static int
on_data(const uint8_t *p, size_t n, void *arg)
{
	struct matcher	*m = arg;
	size_t		 keep, t;

	m->total += n;
	/* Remember the tail of the reply for an error message. */
	t = n < sizeof(m->tail) ? n : sizeof(m->tail);
	if (m->taillen + t > sizeof(m->tail)) {
		keep = sizeof(m->tail) - t;
		memmove(m->tail, m->tail + m->taillen - keep, keep);
		m->taillen = keep;
	}
	memcpy(m->tail + m->taillen, p + n - t, t);
	m->taillen += t;
	/* Search the kept tail plus the new bytes, in pieces if large. */
	while (n > 0) {
		t = n < SK_RELAY_BUFSZ ? n : SK_RELAY_BUFSZ;
		memcpy(m->win + m->wlen, p, t);
		m->wlen += t;
		p += t;
		n -= t;
		if (memmem(m->win, m->wlen, m->text, m->tlen) != NULL) {
			m->seen = 1;
			return 1;
		}
		keep = m->tlen - 1 < m->wlen ? m->tlen - 1 : m->wlen;
		memmove(m->win, m->win + m->wlen - keep, keep);
		m->wlen = keep;
	}
	return 0;
}

static void
on_relay_done(struct sk_relay *r, int failed, void *arg)
{
	struct client	*cl = arg;

	if (failed && sk_relay_out_errno(r) == EPIPE)
		cmd_stdout_gone();	/* stdout's reader left: quietly */
	else if (failed && sk_relay_out_errno(r) == EINTR)
		;			/* a signal, while stdout was full */
	else if (failed) {
		cmd_err(CMD, "%s", sk_relay_error(r));
		cl->status = EXIT_RUNTIME;
	}
	sk_loop_stop(cl->loop);
}

static void
on_idle_check(struct sk_loop *loop, long long id, void *arg)
{
	struct client			*cl = arg;
	const struct sk_relay_stats	*st = sk_relay_stats(cl->relay);

	(void)id;
	if (st->sent + st->received != cl->seen) {
		cl->seen = st->sent + st->received;
		return;
	}
	cmd_err(CMD, "idle for %.10gs (-w): closing",
	    (double)cl->o->wait_ms / 1000);
	cl->status = EXIT_RUNTIME;
	sk_loop_stop(loop);
}

/*
 * -q: quit that long after all of stdin was sent (nc's -q), whether or
 * not the server has closed: a success.
 */
static void
on_quit_check(struct sk_loop *loop, long long id, void *arg)
{
	struct client	*cl = arg;
	long long	 now = sk_loop_now_ms();

	(void)id;
	if (cl->eof_ms == 0 && sk_relay_sent_all(cl->relay))
		cl->eof_ms = now;
	if (cl->eof_ms != 0 && now - cl->eof_ms >= cl->o->quit_ms)
		sk_loop_stop(loop);
}

static void
on_expect_deadline(struct sk_loop *loop, long long id, void *arg)
{
	struct client	*cl = arg;

	(void)id;
	cl->timed_out = 1;
	sk_loop_stop(loop);
}

/* --expect's verdict, with what came instead when it failed. */
static void
expect_verdict(struct client *cl)
{
	const struct matcher	*m = &cl->m;
	char			 shown[4 * sizeof(m->tail) + 1];

	/* A signal is no verdict: the server neither closed nor was late. */
	if (m->seen || cl->status != 0 || cmd_signalled())
		return;
	/* The peer's bytes, safe for a terminal (a tail may cut UTF-8). */
	(void)sk_text_escape(shown, sizeof(shown), (const uint8_t *)m->tail,
	    m->taillen, SK_TEXT_BACKSLASH);
	if (cl->timed_out)
		cmd_err(CMD, "'%s' not seen within %.10g s (received %" PRIu64
		    " bytes%s%s%s)", m->text, (double)(cl->o->wait_ms > 0 ?
		    cl->o->wait_ms : 10000) / 1000, m->total, m->taillen ?
		    ", ending '" : "", shown, m->taillen ? "'" : "");
	else
		cmd_err(CMD, "'%s' not seen before the server closed (received "
		    "%" PRIu64 " bytes%s%s%s)", m->text, m->total,
		    m->taillen ? ", ending '" : "", shown,
		    m->taillen ? "'" : "");
	cl->status = EXIT_RUNTIME;
}

static void
summary(const struct client *cl)
{
	const struct sk_relay_stats	*st = sk_relay_stats(cl->relay);
	double				 secs;

	secs = (double)(sk_loop_now_ms() - cl->start_ms) / 1000.0;
	cmd_err(CMD, "sent %" PRIu64 " B, received %" PRIu64 " B in %.3f s "
	    "(%.1f MB/s)%s", st->sent, st->received, secs,
	    secs > 0 ? (double)(st->sent + st->received) / secs / 1e6 : 0.0,
	    cl->m.seen ? ", expected text seen" : "");
}

static int
start(struct client *cl)
{
	const struct client_opts	*o = cl->o;
	struct sk_relay_opts		 ro;
	struct sk_buf			 framed;
	char				 err[SK_ERRLEN];
	long long			 limit;
	int				 in = STDIN_FILENO, rc;

	memset(&ro, 0, sizeof(ro));
	if (o->frame)
		ro.flags |= SK_RELAY_FRAMED;
	ro.max_frame = (size_t)o->max_frame;
	if (o->p.send != NULL)
		in = -1;
	if (o->p.expect != NULL) {
		/*
		 * Keep the line open: some servers close on our EOF (others
		 * answer only after it: -N, as nc's, half-closes).
		 */
		if (!o->halfclose)
			ro.flags |= SK_RELAY_NO_HALFCLOSE;
		ro.on_data = on_data;
		ro.data_arg = &cl->m;
	} else if (in != -1 && isatty(in))
		ro.flags |= SK_RELAY_PEER_EOF_ENDS;
	ro.stop = cmd_stop_flag();
	cl->relay = sk_relay_new(err, cl->loop, in, cl->fd,
	    o->p.expect != NULL ? -1 : STDOUT_FILENO, &ro, on_relay_done, cl);
	if (cl->relay == NULL) {
		cmd_err(CMD, "%s", err);
		return -1;
	}
	if (o->p.send != NULL) {
		sk_buf_init(&framed, 0);
		rc = o->frame ?
		    sk_frame_encode(&framed, o->p.send, o->p.sendlen) :
		    sk_buf_append(&framed, o->p.send, o->p.sendlen);
		if (rc == 0)
			rc = sk_relay_queue(cl->relay, sk_buf_data(&framed),
			    sk_buf_len(&framed));
		sk_buf_release(&framed);
		if (rc == -1) {
			cmd_err(CMD, "--send: %s", strerror(errno));
			return -1;
		}
	}
	if (cmd_signals_init(CMD, cl->loop) == -1)
		return -1;
	if (o->p.expect != NULL) {
		limit = o->wait_ms > 0 ? o->wait_ms : 10000;
		if (sk_loop_timer_add(err, cl->loop, limit, 0,
		    on_expect_deadline, cl) == -1) {
			cmd_err(CMD, "%s", err);
			return -1;
		}
	} else if (o->wait_ms > 0 && sk_loop_timer_add(err, cl->loop,
	    o->wait_ms, o->wait_ms, on_idle_check, cl) == -1) {
		cmd_err(CMD, "%s", err);
		return -1;
	}
	/* -q: looked at a few times per SECS, at most every 50 ms. */
	limit = o->quit_ms / 4 < 50 ? o->quit_ms / 4 : 50;
	if (o->quit_ms >= 0 && sk_loop_timer_add(err, cl->loop, limit > 0 ?
	    limit : 1, limit > 0 ? limit : 1, on_quit_check, cl) == -1) {
		cmd_err(CMD, "%s", err);
		return -1;
	}
	return 0;
}

int
cmd_tcp_client(int argc, char **argv)
{
	struct client_opts	o;
	struct client		cl;
	char			err[SK_ERRLEN];
	int			status;

	if (parse_args(argc, argv, &o) == -1) {
		free(o.ports);
		return EXIT_USAGE;
	}
	if (o.c.help)
		return cmd_help(usage_text);
	if (o.zero) {
		if (o.wait_ms == 0)
			o.wait_ms = 3000;
		status = tc_scan(&o);
		free(o.ports);
		return status;
	}
	memset(&cl, 0, sizeof(cl));
	cl.o = &o;
	cl.fd = -1;
	if (setup(&cl) == -1 || start(&cl) == -1)
		cl.status = EXIT_RUNTIME;
	else if (sk_loop_run(err, cl.loop) == -1) {
		cmd_err(CMD, "%s", err);
		cl.status = EXIT_RUNTIME;
	}
	if (o.p.expect != NULL && cl.relay != NULL)
		expect_verdict(&cl);
	if (o.c.verbose && cl.relay != NULL)
		summary(&cl);
	cmd_signals_fini(cl.loop);
	sk_relay_free(cl.relay);
	sk_loop_free(cl.loop);
	free(cl.m.win);
	/* Cut by a signal: a reset tells the server it did not get it all. */
	if (cl.fd != -1 && cmd_signalled())
		(void)sk_net_abort(NULL, cl.fd);
	else if (cl.fd != -1)
		close(cl.fd);
	if (cl.status == 0)
		cl.status = cmd_finish_stdout(CMD);
	return cl.status;
}
