/*
 * tcp_server.c - sockkit tcp-server: listen on a TCP (or Unix-domain)
 * stream socket and serve clients in one of several modes.  The default,
 * stdio, is netcat's "nc -l": one client at a time, its bytes to stdout and
 * stdin's to it, with a half-close when stdin ends.  --echo, --upper,
 * --discard and --chat serve many clients at once from one event loop.
 *
 * Every reply or message goes out at once; what a socket does not take
 * waits in that client's queue, which is bounded.  An echo client with
 * replies waiting is not read from until they drain (backpressure); a chat
 * client whose queue overflows is dropped, so a slow reader never stalls
 * the room.  Idle clients hold no buffers: reads go into one shared buffer.
 *
 * This file holds the options, the set-up and the run; each mode is one
 * table of handlers (struct mode_ops in tcp_server.h), and a new mode is
 * one more table and one more option here.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sockkit/buf.h>
#include <sockkit/frame.h>
#include <sockkit/loop.h>
#include <sockkit/net.h>

#include "cmd.h"
#include "tcp_server.h"

static const char usage_text[] =
"usage: sockkit tcp-server [options] [ADDRESS] PORT\n"
"       sockkit tcp-server [options] -p PORT [ADDRESS]\n"
"       sockkit tcp-server [options] -U PATH\n"
"\n"
"Listen for TCP clients.  By default (stdio mode, like nc -l) serve one\n"
"client: what it sends goes to stdout, stdin goes to it; stdin's end is\n"
"a half-close, and the server exits once both directions have ended.\n"
"\n"
"modes:\n"
"  -k, --keep-open          stdio: serve the next client after one leaves\n"
"      --echo               send back what each client sends (many at once)\n"
"      --upper              like --echo, ASCII upper-cased\n"
"      --discard            read and drop everything\n"
"      --chat               chat room: each line goes to every other client\n"
"                           as \"<NAME> line\"; /nick NAME, /who, /quit\n"
"      --frame              length-prefixed frames instead of bytes or lines\n"
"                           (with --echo, --upper, --chat)\n"
"options:\n"
"  -4, -6                   IPv4 or IPv6 only\n"
"  -U, --unix PATH          listen on a Unix-domain stream socket\n"
"  -p PORT                  the port, as nc -l -p takes it\n"
"  -n                       ADDRESS must be numeric: no DNS lookup\n"
"  -l, -N                   accepted for nc's sake: tcp-server always\n"
"                           listens, and stdin's end is always a half-close\n"
"  -q SECS                  stdio: end a session SECS after stdin's end\n"
"      --max-frame BYTES    --frame: largest frame accepted (default\n"
"                           16777216)\n"
"      --max-line BYTES     chat: longest line accepted (default 65536)\n"
"      --max-queue BYTES    chat: most bytes queued for a slow reader\n"
"                           before it is dropped (default 1048576)\n"
"      --max-total BYTES    not stdio: all clients' queued and partial\n"
"                           bytes together; past it the client holding\n"
"                           the most is dropped (default 268435456)\n"
"      --max-clients N      not stdio: turn clients past N away, telling\n"
"                           them \"server full\", then a reset\n"
"      --idle-timeout SECS  drop a client silent for SECS seconds (stdio:\n"
"                           when nothing moves either way); decimals too;\n"
"                           echo, upper, discard: 300 by default; 0: never\n"
"      --busy-poll USECS    not stdio: under load, look for the next event\n"
"                           for USECS before sleeping (default 50; 0: off)\n"
"      --backend NAME       event loop: select, poll or epoll\n"
"  -v                       log clients: connects, disconnects, bytes\n"
"  -h, --help               this text\n"
"\n"
"Once listening, prints 'sockkit: tcp-server: listening on ADDR:PORT' to\n"
"stderr; PORT 0 picks a free port.  SIGINT or SIGTERM stop it\n"
"cleanly, and it then dies by that signal (the shell sees 128+N).\n";


enum {
	OPT_ECHO = OPT_FIRST_CMD,
	OPT_UPPER,
	OPT_DISCARD,
	OPT_CHAT,
	OPT_FRAME,
	OPT_MAX_FRAME,
	OPT_MAX_LINE,
	OPT_MAX_QUEUE,
	OPT_MAX_TOTAL,
	OPT_MAX_CLIENTS,
	OPT_IDLE_TIMEOUT,
	OPT_BUSY_POLL,
	OPT_LAST
};

#define DEFAULT_IDLE_MS	(300 * 1000)	/* echo, upper, discard */

/* The longest time an option takes: a year, in milliseconds. */
#define SECONDS_MAX_MS	(86400LL * 365 * 1000)

/*
 * nc's options, for the hands that type them: those with a meaning here
 * are taken (-l, -N, -n, -p, -q), the rest get the sockkit form.
 */
static int
nc_hint(int ch)
{
	switch (ch) {
	case 'u':
		cmd_usage_err(CMD, "-u: for UDP use 'sockkit udp-server "
		    "[ADDRESS] PORT'");
		return -1;
	case 's':
		cmd_usage_err(CMD, "-s: give the address as an operand: "
		    "'sockkit tcp-server ADDRESS PORT'");
		return -1;
	case 'z':
		cmd_usage_err(CMD, "-z: to test ports use 'sockkit tcp-client "
		    "-z HOST PORT...'");
		return -1;
	}
	return 0;
}

/*
 * Every option conflict in one place: an option that would do nothing
 * where it is given is an error, not silently ignored.
 */
static int
check_conflicts(const struct server_opts *o, const int *given)
{
	const char	*stdio_only = NULL, *not_stdio = NULL;

	if (o->frame && !(o->mode->flags & MODE_FRAMES))
		return cmd_usage_err(CMD, "--frame goes with --echo, --upper "
		    "or --chat");
	if (o->keep_open && !(o->mode->flags & MODE_ONE))
		return cmd_usage_err(CMD, "-k is for stdio mode; the other "
		    "modes always keep serving");
	if (given[OPT_MAX_FRAME - OPT_FIRST_CMD] && !o->frame)
		return cmd_usage_err(CMD, "--max-frame goes with --frame");
	if ((given[OPT_MAX_LINE - OPT_FIRST_CMD] ||
	    given[OPT_MAX_QUEUE - OPT_FIRST_CMD]) && o->mode != &mode_chat)
		return cmd_usage_err(CMD, "%s goes with --chat",
		    given[OPT_MAX_LINE - OPT_FIRST_CMD] ? "--max-line" :
		    "--max-queue");
	if (o->mode->flags & MODE_ONE) {
		/* One client at a time: the next waits in the listen queue. */
		if (o->max_clients > 0)
			not_stdio = "--max-clients";
		else if (given[OPT_MAX_TOTAL - OPT_FIRST_CMD])
			not_stdio = "--max-total";
		else if (given[OPT_BUSY_POLL - OPT_FIRST_CMD])
			not_stdio = "--busy-poll";
	} else if (o->quit_ms >= 0)
		stdio_only = "-q";
	else if (o->nc_N)
		stdio_only = "-N";
	if (not_stdio != NULL)
		return cmd_usage_err(CMD, "%s is not for stdio mode, which "
		    "serves one client at a time", not_stdio);
	if (stdio_only != NULL)
		return cmd_usage_err(CMD, "%s is for stdio mode", stdio_only);
	if (o->c.json)
		return cmd_usage_err(CMD, "--json: tcp-server has no JSON "
		    "output");
	if (o->unix_path != NULL && *o->unix_path == '\0')
		return cmd_usage_err(CMD, "-U: empty PATH");
	if (o->unix_path != NULL && (o->c.family != 0 || o->numeric ||
	    o->opt_port != NULL))
		return cmd_usage_err(CMD, "-U PATH takes no %s",
		    o->opt_port != NULL ? "-p" : o->numeric ? "-n" :
		    o->c.family == AF_INET ? "-4" : "-6");
	return 0;
}

/* -n: the address is used only if it is numeric (no DNS query). */
static int
check_numeric(const struct server_opts *o)
{
	if (o->numeric && o->host != NULL && !cmd_numeric_host(o->host))
		return cmd_usage_err(CMD, "-n: '%s' is not a numeric address",
		    o->host);
	return 0;
}

static int
parse_args(int argc, char **argv, struct server_opts *o)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "keep-open",	no_argument,	   NULL, 'k' },
		{ "unix",	required_argument, NULL, 'U' },
		{ "echo",	no_argument,	   NULL, OPT_ECHO },
		{ "upper",	no_argument,	   NULL, OPT_UPPER },
		{ "discard",	no_argument,	   NULL, OPT_DISCARD },
		{ "chat",	no_argument,	   NULL, OPT_CHAT },
		{ "frame",	no_argument,	   NULL, OPT_FRAME },
		{ "max-frame",	required_argument, NULL, OPT_MAX_FRAME },
		{ "max-line",	required_argument, NULL, OPT_MAX_LINE },
		{ "max-queue",	required_argument, NULL, OPT_MAX_QUEUE },
		{ "max-total",	required_argument, NULL, OPT_MAX_TOTAL },
		{ "max-clients", required_argument, NULL, OPT_MAX_CLIENTS },
		{ "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT },
		{ "busy-poll",	required_argument, NULL, OPT_BUSY_POLL },
		{ NULL,		0,		   NULL, 0 }
	};
	/* Which long options were given, by number. */
	int	given[OPT_LAST - OPT_FIRST_CMD] = { 0 };
	int	ch, rc, nmodes = 0;
	const struct mode_ops	*mode;

	memset(o, 0, sizeof(*o));
	o->mode = &mode_stdio;
	o->max_frame = SK_FRAME_MAX_DEFAULT;
	o->max_line = 64 * 1024;
	o->max_queue = 1024 * 1024;
	o->max_total = 256LL * 1024 * 1024;
	o->busy_poll = 50;
	o->quit_ms = -1;
	optind = 1;
	opterr = 0;
	cmd_longopts(longopts);
	while ((ch = getopt_long(argc, argv, COMMON_SHORTOPTS "kU:lnNp:q:suz",
	    longopts, NULL)) != -1) {
		if ((rc = cmd_common(CMD, &o->c, ch, argv)) == -1)
			return -1;
		if (rc == 1)
			continue;
		if (nc_hint(ch) == -1)
			return -1;
		if (ch >= OPT_FIRST_CMD && ch < OPT_LAST)
			given[ch - OPT_FIRST_CMD] = 1;
		switch (ch) {
		case 'k':
			o->keep_open = 1;
			break;
		case 'U':
			o->unix_path = optarg;
			break;
		case 'l':	/* nc -l: we always listen */
			break;
		case 'N':	/* nc -N: stdin's end is always a half-close */
			o->nc_N = 1;
			break;
		case 'n':
			o->numeric = 1;
			break;
		case 'p':
			if (cmd_port(CMD, "-p", optarg, 1) == -1)
				return -1;
			o->opt_port = optarg;
			break;
		case 'q':
			if (cmd_seconds(CMD, "-q", optarg, 0, SECONDS_MAX_MS,
			    &o->quit_ms) == -1)
				return -1;
			break;
		case OPT_ECHO:
		case OPT_UPPER:
		case OPT_DISCARD:
		case OPT_CHAT:
			mode = ch == OPT_ECHO ? &mode_echo :
			    ch == OPT_UPPER ? &mode_upper :
			    ch == OPT_DISCARD ? &mode_discard : &mode_chat;
			/* The same mode twice (an alias, a script's
			 * default and its own) is still one mode. */
			if (nmodes == 0 || mode != o->mode)
				nmodes++;
			o->mode = mode;
			break;
		case OPT_FRAME:
			o->frame = 1;
			break;
		case OPT_MAX_FRAME:
			if (cmd_number(CMD, "--max-frame", optarg, 1,
			    UINT32_MAX, &o->max_frame) == -1)
				return -1;
			break;
		case OPT_MAX_LINE:
			if (cmd_number(CMD, "--max-line", optarg, 1,
			    1 << 30, &o->max_line) == -1)
				return -1;
			break;
		case OPT_MAX_QUEUE:
			if (cmd_number(CMD, "--max-queue", optarg, 1024,
			    1LL << 40, &o->max_queue) == -1)
				return -1;
			break;
		case OPT_MAX_TOTAL:
			if (cmd_number(CMD, "--max-total", optarg, 65536,
			    1LL << 42, &o->max_total) == -1)
				return -1;
			break;
		case OPT_MAX_CLIENTS:
			if (cmd_number(CMD, "--max-clients", optarg, 1,
			    1000000, &o->max_clients) == -1)
				return -1;
			break;
		case OPT_IDLE_TIMEOUT:
			if (cmd_seconds(CMD, "--idle-timeout", optarg, 0,
			    SECONDS_MAX_MS, &o->idle_ms) == -1)
				return -1;
			break;
		case OPT_BUSY_POLL:
			if (cmd_number(CMD, "--busy-poll", optarg, 0, 100000,
			    &o->busy_poll) == -1)
				return -1;
			break;
		}
	}
	if (o->c.help)
		return 0;
	if (nmodes > 1) {
		cmd_usage_err(CMD, "choose one of --echo, --upper, --discard, "
		    "--chat");
		return -1;
	}
	if (check_conflicts(o, given) != 0 ||
	    cmd_server_operands(CMD, argc - optind, argv + optind,
	    o->opt_port, o->unix_path, &o->host, &o->port) == -1 ||
	    cmd_host_family(CMD, NULL, o->c.family, o->host) == -1 ||
	    check_numeric(o) != 0)
		return -1;
	/*
	 * A client of an echo or discard server that says nothing for five
	 * minutes holds a descriptor for nothing: dropped, unless asked
	 * otherwise (0: never).  A chat's members may listen for hours, and
	 * a stdio session is nc's: no default there.
	 */
	if (!given[OPT_IDLE_TIMEOUT - OPT_FIRST_CMD] &&
	    (o->mode->flags & MODE_IDLE))
		o->idle_ms = DEFAULT_IDLE_MS;
	return 0;
}

static int
setup(struct server *srv)
{
	const struct server_opts	*o = srv->o;
	char				 err[SK_ERRLEN];

	if ((srv->lfd = cmd_server_socket(CMD, &o->c, o->unix_path, o->host,
	    o->port, SOCK_STREAM)) == -1)
		return -1;
	if (o->unix_path != NULL && sk_net_unix_mark(err, o->unix_path,
	    &srv->unix_file) == -1) {
		cmd_err(CMD, "%s", err);
		return -1;
	}
	if ((srv->loop = sk_loop_new(err, o->c.backend)) == NULL) {
		cmd_err(CMD, "%s", err);
		return -1;
	}
	(void)cmd_accept_reserve();
	accept_init(srv);
	if (!(srv->ops->flags & MODE_ONE) &&
	    (srv->rbuf = malloc(ARENASZ)) == NULL) {
		cmd_err(CMD, "out of memory");
		return -1;
	}
	/*
	 * An echo client is not read while replies wait, so its queue holds
	 * at most what one read completes: a read's worth of bytes, or with
	 * frames, a whole frame as well.  A mode may bound it otherwise (a
	 * chat queue is --max-queue) in its init().
	 */
	srv->framemax = (size_t)o->max_frame;
	srv->outlimit = RBUFSZ + (o->frame ? (size_t)o->max_frame +
	    SK_FRAME_HDRLEN : 0);
	if (srv->ops->init != NULL && srv->ops->init(srv) == -1)
		return -1;
	return 0;
}

static int
start_listening(struct server *srv)
{
	char	err[SK_ERRLEN];

	if (sk_loop_add(err, srv->loop, srv->lfd, SK_READ, on_accept,
	    srv) == -1) {
		cmd_err(CMD, "%s", err);
		return -1;
	}
	return 0;
}

static long long
sweep_every(const struct server_opts *o)
{
	long long	ms = 1000;

	if (o->idle_ms > 0 && o->idle_ms / 4 < ms)
		ms = o->idle_ms / 4;
	if (o->quit_ms >= 0 && o->quit_ms / 4 < ms)
		ms = o->quit_ms / 4;
	return ms < 10 ? 10 : ms;
}

static void
teardown(struct server *srv)
{
	conn_free_all(srv);
	if (srv->loop != NULL)
		cmd_signals_fini(srv->loop);
	if (srv->lfd != -1) {
		sk_loop_del(srv->loop, srv->lfd);
		close(srv->lfd);
	}
	/* Remove only the socket file we made, never what was there. */
	if (srv->unix_file.set)
		(void)sk_net_unix_remove(NULL, srv->o->unix_path,
		    &srv->unix_file);
	sk_loop_free(srv->loop);
	if (srv->ops->fini != NULL)
		srv->ops->fini(srv);
	free(srv->rbuf);
}

int
cmd_tcp_server(int argc, char **argv)
{
	struct server_opts	o;
	struct server		srv;
	char			err[SK_ERRLEN];

	if (parse_args(argc, argv, &o) == -1)
		return EXIT_USAGE;
	if (o.c.help)
		return cmd_help(usage_text);
	memset(&srv, 0, sizeof(srv));
	srv.o = &o;
	srv.ops = o.mode;
	srv.lfd = -1;
	if (setup(&srv) == -1 || start_listening(&srv) == -1 ||
	    cmd_signals_init(CMD, srv.loop) == -1) {
		teardown(&srv);
		return EXIT_RUNTIME;
	}
	if ((o.idle_ms > 0 || o.quit_ms >= 0) && sk_loop_timer_add(err,
	    srv.loop, sweep_every(&o), sweep_every(&o), on_sweep, &srv) == -1) {
		cmd_err(CMD, "%s", err);
		teardown(&srv);
		return EXIT_RUNTIME;
	}
	if (srv.ops->prewait != NULL)
		sk_loop_set_prewait(srv.loop, on_prewait, &srv);
	/* One client at a time (stdio) is never worth spinning for. */
	if (!(srv.ops->flags & MODE_ONE))
		sk_loop_set_spin(srv.loop, (int)o.busy_poll);
	cmd_listening(CMD, srv.lfd);
	if (sk_loop_run(err, srv.loop) == -1) {
		cmd_err(CMD, "%s", err);
		srv.status = EXIT_RUNTIME;
	}
	teardown(&srv);
	if (srv.status == 0)
		srv.status = cmd_finish_stdout(CMD);
	return srv.status;
}
