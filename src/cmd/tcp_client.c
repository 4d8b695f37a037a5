/*
 * tcp_client.c - sockkit tcp-client: connect to a TCP (or Unix-domain)
 * stream socket and copy stdin to it and it to stdout.  When stdin ends the
 * client half-closes and keeps printing until the server closes: no timer
 * guesses when the replies are over, which is where nc hangs and socat
 * drops late replies.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sockkit/loop.h>
#include <sockkit/net.h>
#include <sockkit/relay.h>

#include "cmd.h"

static const char usage_text[] =
"usage: sockkit tcp-client [options] HOST PORT\n"
"       sockkit tcp-client [options] -U PATH\n"
"\n"
"Connect, copy stdin to the connection and the connection to stdout.  At\n"
"the end of stdin, half-close and keep reading until the server closes.\n"
"\n"
"options:\n"
"  -4, -6                   IPv4 or IPv6 only\n"
"  -w SECONDS               connect timeout, and idle timeout afterwards\n"
"  -s ADDRESS               connect from this source address\n"
"  -p PORT                  connect from this source port\n"
"  -U, --unix PATH          connect to a Unix-domain stream socket\n"
"      --backend NAME       event loop: select, poll or epoll\n"
"  -v                       summary at the end: bytes each way, time, rate\n"
"  -h, --help               this text\n"
"\n"
"Exits 0 when both directions ended cleanly, 1 when the connection failed,\n"
"2 on a usage error.\n";

struct client_opts {
	struct common_opts	 c;
	long long		 wait_s;	/* -w; 0: none */
	const char		*src_host;
	const char		*src_port;
	const char		*unix_path;
	const char		*host;
	const char		*port;
};

struct client {
	const struct client_opts *o;
	struct sk_loop		*loop;
	struct sk_relay		*relay;
	int			 fd;
	int			 status;
	long long		 start_ms;
	uint64_t		 seen;		/* bytes at the last idle check */
};

#define CMD	"tcp-client"

static int
parse_args(int argc, char **argv, struct client_opts *o)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "unix",	required_argument,	NULL,	'U' },
		{ NULL,		0,			NULL,	0 }
	};
	int	ch, rc;

	memset(o, 0, sizeof(*o));
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, COMMON_SHORTOPTS "w:s:p:U:",
	    longopts, NULL)) != -1) {
		if ((rc = cmd_common(CMD, &o->c, ch, argv)) == -1)
			return -1;
		if (rc == 1)
			continue;
		switch (ch) {
		case 'w':
			if (cmd_number(CMD, "-w", optarg, 1, 86400 * 365,
			    &o->wait_s) == -1)
				return -1;
			break;
		case 's':
			o->src_host = optarg;
			break;
		case 'p':
			if (sk_net_parse_port(NULL, optarg, 0) == -1) {
				cmd_usage_err(CMD, "-p: invalid port '%s'",
				    optarg);
				return -1;
			}
			o->src_port = optarg;
			break;
		case 'U':
			o->unix_path = optarg;
			break;
		}
	}
	if (o->c.help)
		return 0;
	return cmd_endpoint(CMD, argc - optind, argv + optind, 0,
	    o->unix_path, &o->host, &o->port);
}

static int
setup(struct client *cl)
{
	const struct client_opts	*o = cl->o;
	struct sk_net_dial		 dial;
	char				 err[SK_ERRLEN];

	memset(&dial, 0, sizeof(dial));
	dial.family = o->c.family;
	dial.timeout_ms = (int)(o->wait_s * 1000);
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
	return 0;
}

/* The event handlers: the relay's end, and the -w idle check. */

static void
on_relay_done(struct sk_relay *r, int failed, void *arg)
{
	struct client	*cl = arg;

	if (failed) {
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
	cmd_err(CMD, "idle for %llds (-w): closing", cl->o->wait_s);
	cl->status = EXIT_RUNTIME;
	sk_loop_stop(loop);
}

static void
summary(const struct client *cl)
{
	const struct sk_relay_stats	*st = sk_relay_stats(cl->relay);
	double				 secs;

	secs = (double)(sk_loop_now_ms() - cl->start_ms) / 1000.0;
	cmd_err(CMD, "sent %" PRIu64 " B, received %" PRIu64 " B in %.3f s "
	    "(%.1f MB/s)", st->sent, st->received, secs,
	    secs > 0 ? (double)(st->sent + st->received) / secs / 1e6 : 0.0);
}

int
cmd_tcp_client(int argc, char **argv)
{
	struct client_opts	o;
	struct client		cl;
	struct sk_relay_opts	ro;
	char			err[SK_ERRLEN];

	if (parse_args(argc, argv, &o) == -1)
		return EXIT_USAGE;
	if (o.c.help)
		return cmd_help(usage_text);
	memset(&cl, 0, sizeof(cl));
	cl.o = &o;
	cl.fd = -1;
	if (setup(&cl) == -1) {
		if (cl.fd != -1)
			close(cl.fd);
		return EXIT_RUNTIME;
	}
	memset(&ro, 0, sizeof(ro));
	if (isatty(STDIN_FILENO))
		ro.flags |= SK_RELAY_PEER_EOF_ENDS;
	cl.relay = sk_relay_new(err, cl.loop, STDIN_FILENO, cl.fd,
	    STDOUT_FILENO, &ro, on_relay_done, &cl);
	if (cl.relay == NULL || cmd_signals_init(CMD, cl.loop) == -1 ||
	    (o.wait_s > 0 && sk_loop_timer_add(err, cl.loop, o.wait_s * 1000,
	    o.wait_s * 1000, on_idle_check, &cl) == -1)) {
		if (cl.relay == NULL)
			cmd_err(CMD, "%s", err);
		cl.status = EXIT_RUNTIME;
	} else if (sk_loop_run(err, cl.loop) == -1) {
		cmd_err(CMD, "%s", err);
		cl.status = EXIT_RUNTIME;
	}
	if (o.c.verbose && cl.relay != NULL)
		summary(&cl);
	cmd_signals_fini(cl.loop);
	sk_relay_free(cl.relay);
	sk_loop_free(cl.loop);
	close(cl.fd);
	if (cl.status == 0)
		cl.status = cmd_finish_stdout(CMD);
	return cl.status;
}
