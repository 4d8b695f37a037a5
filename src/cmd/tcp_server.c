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
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sockkit/buf.h>
#include <sockkit/frame.h>
#include <sockkit/loop.h>
#include <sockkit/msg.h>
#include <sockkit/net.h>
#include <sockkit/relay.h>

#include "cmd.h"

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

enum mode {
	MODE_STDIO,
	MODE_ECHO,
	MODE_UPPER,
	MODE_DISCARD,
	MODE_CHAT
};

struct server_opts {
	struct common_opts	 c;
	enum mode		 mode;
	int			 frame;
	int			 keep_open;
	long long		 max_frame;
	long long		 max_line;
	long long		 max_queue;
	long long		 max_total;	/* all queues and partials */
	long long		 max_clients;	/* 0: no limit */
	long long		 idle_ms;	/* --idle-timeout; 0: none */
	long long		 quit_ms;	/* -q; -1: none */
	long long		 busy_poll;	/* microseconds */
	int			 numeric;	/* -n */
	int			 nc_N;		/* -N (stdio does it anyway) */
	const char		*unix_path;
	const char		*opt_port;	/* -p */
	const char		*host;
	const char		*port;
};

/*
 * Bytes read per event, into a buffer shared by all clients: idle ones
 * cost nothing.  Echo replies stay in it until the batch of ready clients
 * is done, then go out together (as redis does before it sleeps), so a
 * client handling many replies is woken once, not once per reply.
 */
#define RBUFSZ		(64 * 1024)
#define ARENASZ		(1024 * 1024)
#define FLUSHAT		(64 * 1024)	/* chat: write a queue this long at once */
#define BATCHMAX	(1024 * 1024)	/* ...and all of them past this */
#define SAYMAX		(64 * 1024)	/* chat: lines said, sent as one */
#define DIRECTAT	(4 * 1024)	/* ...a piece this big is not batched */
/* Room for a default name ("[IPv6]:port"); chosen nicks are shorter. */
#define NICKMAX		63
/* What a chat message adds to what a member said: header, "<nick> ". */
#define CHAT_OVERHEAD	(SK_FRAME_HDRLEN + NICKMAX + 4)
#define NICKUSER	32

struct conn {
	struct server		*srv;
	int			 fd;
	int			 eof;		/* the client has half-closed */
	int			 doomed;	/* chat: drop after this event */
	int			 cut;		/* close with a reset */
	const char		*why;		/* ...and the reason */
	struct sk_buf		 out;		/* bytes not yet sent */
	struct sk_buf		 line;		/* chat: a partial line */
	struct sk_frame_dec	 dec;		/* --frame: a partial frame */
	long long		 start_ms;
	long long		 last_ms;	/* for --idle-timeout */
	uint64_t		 bytes_in;
	uint64_t		 bytes_out;
	size_t			 held;		/* queued, partial: as counted */
	struct sk_relay		*relay;		/* stdio mode */
	uint64_t		 seen;		/* ...bytes moved at last_ms */
	long long		 eof_ms;	/* ...when stdin was all sent */
	struct conn		*prev;
	struct conn		*next;
	struct conn		*next_pending;	/* echo: reply in the arena */
	struct conn		*next_flush;	/* chat: news to send */
	int			 flushing;	/* ...on srv->flush */
	uint8_t			*reply;
	size_t			 replylen;
	char			 peer[SK_ADDRSTRLEN];
	char			 nick[NICKMAX + 1];
};

struct server {
	const struct server_opts *o;
	struct sk_loop		*loop;
	int			 lfd;
	int			 nclients;
	int			 ndoomed;
	struct conn		*conns;
	uint8_t			*rbuf;		/* ARENASZ: reads of a batch */
	size_t			 used;		/* ...bytes of it taken */
	struct conn		*pending;	/* echo replies to send */
	struct conn		*flush;		/* chat: clients with news */
	size_t			 batched;	/* ...bytes of it, in all */
	struct sk_buf		 msg;		/* chat: the message being built */
	struct sk_buf		 said;		/* ...lines said, not yet sent */
	struct conn		*sayer;		/* ...by this member, or NULL */
	size_t			 outlimit;	/* bound on a client's queue */
	size_t			 held;		/* all clients' held bytes */
	size_t			 framemax;	/* a frame taken, at most */
	size_t			 linemax;	/* chat: a line taken */
	uint8_t			 full[256];	/* out of descriptors: said */
	size_t			 fulllen;
	uint8_t			 wfull[256];	/* past select's limit: said */
	size_t			 wfulllen;
	int			 stdin_fd;	/* -1 once it has ended */
	struct sk_net_unix_file	 unix_file;	/* the socket file we made */
	int			 status;	/* the exit status */
};

#define CMD	"tcp-server"

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

	if (o->frame && (o->mode == MODE_STDIO || o->mode == MODE_DISCARD))
		return cmd_usage_err(CMD, "--frame goes with --echo, --upper "
		    "or --chat");
	if (o->keep_open && o->mode != MODE_STDIO)
		return cmd_usage_err(CMD, "-k is for stdio mode; the other "
		    "modes always keep serving");
	if (given[OPT_MAX_FRAME - OPT_FIRST_CMD] && !o->frame)
		return cmd_usage_err(CMD, "--max-frame goes with --frame");
	if ((given[OPT_MAX_LINE - OPT_FIRST_CMD] ||
	    given[OPT_MAX_QUEUE - OPT_FIRST_CMD]) && o->mode != MODE_CHAT)
		return cmd_usage_err(CMD, "%s goes with --chat",
		    given[OPT_MAX_LINE - OPT_FIRST_CMD] ? "--max-line" :
		    "--max-queue");
	if (o->mode == MODE_STDIO) {
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
	enum mode	mode;

	memset(o, 0, sizeof(*o));
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
			if (sk_net_parse_port(NULL, optarg, 1) == -1) {
				cmd_usage_err(CMD, "-p: invalid port '%s'",
				    optarg);
				return -1;
			}
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
			mode = ch == OPT_ECHO ? MODE_ECHO :
			    ch == OPT_UPPER ? MODE_UPPER :
			    ch == OPT_DISCARD ? MODE_DISCARD : MODE_CHAT;
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
	if (!given[OPT_IDLE_TIMEOUT - OPT_FIRST_CMD] && (o->mode ==
	    MODE_ECHO || o->mode == MODE_UPPER || o->mode == MODE_DISCARD))
		o->idle_ms = DEFAULT_IDLE_MS;
	return 0;
}

static size_t	full_message(const struct server *, const char *, uint8_t *,
		    size_t);

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
	/* Out of descriptors, a client is told, not left to wait. */
	srv->fulllen = full_message(srv, "out of descriptors", srv->full,
	    sizeof(srv->full));
	srv->wfulllen = full_message(srv, "select's fd limit", srv->wfull,
	    sizeof(srv->wfull));
	(void)cmd_accept_reserve();
	if (o->mode != MODE_STDIO && (srv->rbuf = malloc(ARENASZ)) == NULL) {
		cmd_err(CMD, "out of memory");
		return -1;
	}
	/*
	 * An echo client is not read while replies wait, so its queue holds
	 * at most what one read completes: a read's worth of bytes, or with
	 * frames, a whole frame as well.  A chat queue is --max-queue.
	 */
	/*
	 * In a chat every message goes into every member's queue: one over
	 * what a queue holds would drop every reader as "not reading".  So a
	 * frame or line taken from a member is at most that, less the
	 * "<nick> " and the header, and a bigger one drops its sender.
	 */
	srv->framemax = (size_t)o->max_frame;
	srv->linemax = (size_t)o->max_line;
	if (o->mode == MODE_CHAT) {
		if (srv->framemax > (size_t)o->max_queue - CHAT_OVERHEAD)
			srv->framemax = (size_t)o->max_queue - CHAT_OVERHEAD;
		if (srv->linemax > (size_t)o->max_queue - CHAT_OVERHEAD)
			srv->linemax = (size_t)o->max_queue - CHAT_OVERHEAD;
	}
	if (o->mode == MODE_CHAT)
		srv->outlimit = (size_t)o->max_queue;
	else
		srv->outlimit = RBUFSZ + (o->frame ? (size_t)o->max_frame +
		    SK_FRAME_HDRLEN : 0);
	sk_buf_init(&srv->msg, 0);
	sk_buf_init(&srv->said, 0);
	return 0;
}

/*
 * The event handlers, in the order events come: accept, read (and the
 * modes' message handlers), write, close.
 */

static void	on_accept(struct sk_loop *, int, int, void *);
static void	on_client(struct sk_loop *, int, int, void *);
static void	on_relay_done(struct sk_relay *, int, void *);
static void	chat_join(struct conn *);
static void	chat_reap(struct server *);
static void	chat_queue(struct conn *, const uint8_t *, size_t);
static void	chat_flush(struct server *);
static void	flush_one(struct conn *);
static void	say_flush(struct server *);
static int	send_mask(const struct conn *);
static void	conn_free(struct conn *);
static void	conn_release(struct conn *);

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

static struct conn *
conn_new(struct server *srv, int fd, const struct sockaddr_storage *ss,
    socklen_t sslen)
{
	struct conn	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->srv = srv;
	c->fd = fd;
	c->start_ms = c->last_ms = sk_loop_now_ms();
	sk_buf_init(&c->out, srv->outlimit);
	sk_buf_init(&c->line, srv->linemax + 1);
	sk_frame_dec_init(&c->dec, srv->framemax);
	if (ss->ss_family == AF_UNIX)
		snprintf(c->peer, sizeof(c->peer), "unix:%d", fd);
	else
		sk_net_addr_str((const struct sockaddr *)ss, sslen, c->peer,
		    sizeof(c->peer));
	snprintf(c->nick, sizeof(c->nick), "%.*s", NICKMAX, c->peer);
	c->next = srv->conns;
	if (srv->conns != NULL)
		srv->conns->prev = c;
	srv->conns = c;
	srv->nclients++;
	if (srv->o->c.verbose)
		cmd_err(CMD, "%s connected", c->peer);
	return c;
}

/* Begin a stdio session with c: stdin to it, it to stdout. */
static int
start_stdio(struct server *srv, struct conn *c)
{
	struct sk_relay_opts	ro;
	char			err[SK_ERRLEN];

	memset(&ro, 0, sizeof(ro));
	/* A person at a terminal expects the session to end with the peer. */
	if (srv->stdin_fd != -1 && isatty(srv->stdin_fd))
		ro.flags |= SK_RELAY_PEER_EOF_ENDS;
	ro.stop = cmd_stop_flag();
	c->relay = sk_relay_new(err, srv->loop, srv->stdin_fd, c->fd,
	    STDOUT_FILENO, &ro, on_relay_done, c);
	if (c->relay == NULL) {
		cmd_err(CMD, "%s", err);
		return -1;
	}
	/* One client at a time: the next waits (-k) or is refused. */
	if (srv->o->keep_open)
		(void)sk_loop_mod(NULL, srv->loop, srv->lfd, 0);
	else {
		sk_loop_del(srv->loop, srv->lfd);
		close(srv->lfd);
		srv->lfd = -1;
	}
	return 0;
}

static void
on_resume(struct sk_loop *loop, long long id, void *arg)
{
	struct server	*srv = arg;

	(void)id;
	/* A stdio session keeps the listener paused until it ends. */
	if (srv->lfd != -1 && (srv->o->mode != MODE_STDIO ||
	    srv->nclients == 0))
		(void)sk_loop_mod(NULL, loop, srv->lfd, SK_READ);
}

/*
 * Turn a client away (--max-clients): tell it why, in the mode's own
 * form (a line, or a frame), then reset the connection.  The reset is
 * what makes it robust: any client (ours, nc, a script) sees the line
 * and then an error, never a clean end it could take for success.  The
 * line goes out before the reset on a fresh connection, whose send
 * buffer is empty; if it does not, the client still sees the reset.
 */
/* "server full (why)" as a line, or a frame with --frame, into msg. */
static size_t
full_message(const struct server *srv, const char *why, uint8_t *msg,
    size_t cap)
{
	char	line[128];
	size_t	len;
	int	n;

	n = snprintf(line, sizeof(line), "sockkit: %s: server full (%s)%s",
	    CMD, why, srv->o->frame ? "" : "\n");
	len = n > 0 && (size_t)n < sizeof(line) ? (size_t)n : 0;
	if (len + SK_FRAME_HDRLEN > cap)
		return 0;
	if (srv->o->frame) {
		sk_frame_header(msg, (uint32_t)len);
		memcpy(msg + SK_FRAME_HDRLEN, line, len);
		return len + SK_FRAME_HDRLEN;
	}
	memcpy(msg, line, len);
	return len;
}

static void
refuse(struct server *srv, int fd)
{
	uint8_t	msg[256];
	char	why[64];
	size_t	len;

	snprintf(why, sizeof(why), "%lld client%s", srv->o->max_clients,
	    srv->o->max_clients == 1 ? "" : "s");
	len = full_message(srv, why, msg, sizeof(msg));
	(void)sk_net_write(fd, msg, len);
	(void)sk_net_abort(NULL, fd);
}

static void
on_accept(struct sk_loop *loop, int lfd, int mask, void *arg)
{
	struct server		*srv = arg;
	struct sockaddr_storage	 ss;
	struct conn		*c;
	socklen_t		 sslen;
	char			 err[SK_ERRLEN];
	int			 fd;

	(void)mask;
	/* Take every pending client, so a burst costs one wakeup. */
	while (srv->lfd != -1 && sk_loop_mask(loop, lfd) == SK_READ) {
		sslen = sizeof(ss);
		if ((fd = sk_net_accept(err, lfd, &ss, &sslen)) == -1) {
			if (!cmd_accept_pause(CMD, loop, lfd, on_resume,
			    srv, srv->full, srv->fulllen, 1) && errno != EAGAIN &&
			    errno != EWOULDBLOCK &&
			    errno != ECONNABORTED)
				cmd_err(CMD, "%s", err);
			break;
		}
		if (srv->o->max_clients > 0 &&
		    srv->nclients >= srv->o->max_clients) {
			if (srv->o->c.verbose)
				cmd_err(CMD, "refused a client: %d clients "
				    "already (--max-clients)", srv->nclients);
			refuse(srv, fd);
			continue;
		}
		/* The select backend cannot watch fd 1024 and up: the client
		 * is told so and reset, as when out of descriptors. */
		if (sk_loop_watchable(err, loop, fd) == -1) {
			cmd_accept_turn_away(CMD, fd, srv->wfull, srv->wfulllen,
			    1, err);
			continue;
		}
		if (ss.ss_family != AF_UNIX)
			(void)sk_net_nodelay(NULL, fd);
		if ((c = conn_new(srv, fd, &ss, sslen)) == NULL) {
			cmd_err(CMD, "out of memory: dropped a client");
			close(fd);
			continue;
		}
		if (srv->o->mode == MODE_STDIO) {
			if (start_stdio(srv, c) == -1)
				conn_free(c);
			return;
		}
		if (sk_loop_add(err, loop, fd, SK_READ, on_client, c) == -1) {
			cmd_err(CMD, "%s", err);
			conn_free(c);
			continue;
		}
		if (srv->o->mode == MODE_CHAT)
			chat_join(c);
	}
	chat_reap(srv);
}

/* Mark c to be closed after this event; why NULL: it left by itself. */
static void
doom(struct conn *c, const char *why)
{
	if (c->doomed)
		return;
	c->doomed = 1;
	c->why = why;
	c->srv->ndoomed++;
}

/*
 * What c holds now (its queue, a partial frame or line), counted into
 * the server's total: --max-total bounds all clients together, or
 * 200 slow chat members at 1 MiB each, or 20 clients each halfway
 * through a 16 MiB frame, would pin hundreds of megabytes.
 */
static void
account(struct conn *c)
{
	/* What is allocated, not only used: a buffer grows by doubling. */
	size_t	now = c->out.cap + c->line.cap + c->dec.buf.cap;

	c->srv->held += now - c->held;
	c->held = now;
}

/* Over --max-total: drop the clients holding the most until under. */
static void
check_total(struct server *srv)
{
	struct conn	*c, *big;
	size_t		 left = srv->held, cap = (size_t)srv->o->max_total;

	while (left > cap) {
		big = NULL;
		for (c = srv->conns; c != NULL; c = c->next)
			if (!c->doomed && c->held > 0 &&
			    (big == NULL || c->held > big->held))
				big = c;
		if (big == NULL)
			break;
		cmd_err(CMD, "%s: holds %zu bytes with the server's %zu in all "
		    "(--max-total): dropped", big->peer, big->held, left);
		doom(big, "over the server's memory bound");
		left -= big->held;
	}
}

/*
 * Send bytes to c: at once when nothing is queued, the rest into its
 * queue.  A full queue dooms the client (dropped after this event).
 */
static void
queue_to(struct conn *c, const uint8_t *p, size_t n)
{
	ssize_t	w = 0;

	if (c->doomed || n == 0)
		return;
	if (c->srv->o->mode == MODE_CHAT) {
		chat_queue(c, p, n);
		return;
	}
	if (sk_buf_len(&c->out) == 0) {
		w = sk_net_write(c->fd, p, n);
		if (w == -1 && errno != EAGAIN && errno != EWOULDBLOCK) {
			doom(c, "gone");
			return;
		}
		if (w < 0)
			w = 0;
		c->bytes_out += (uint64_t)w;
		if ((size_t)w == n)
			return;
	}
	if (sk_buf_append(&c->out, p + w, n - (size_t)w) == -1) {
		doom(c, "not reading");
		return;
	}
	account(c);
	(void)sk_loop_mod(NULL, c->srv->loop, c->fd, send_mask(c));
}

/*
 * What to watch c for while its queue waits: echo clients are not read
 * meanwhile (backpressure); chat members are (a full queue drops them).
 */
static int
send_mask(const struct conn *c)
{
	return c->srv->o->mode == MODE_CHAT && !c->eof ? SK_READ | SK_WRITE :
	    SK_WRITE;
}

/* Write c's queue; what the kernel will not take waits for SK_WRITE. */
static void
flush_one(struct conn *c)
{
	ssize_t	n;

	if ((n = sk_buf_write(&c->out, c->fd)) == -1) {
		doom(c, "gone");
		return;
	}
	c->bytes_out += (uint64_t)n;
	if (sk_buf_len(&c->out) > 0)
		(void)sk_loop_mod(NULL, c->srv->loop, c->fd, send_mask(c));
	else
		sk_buf_release(&c->out);	/* an idle client holds none */
	account(c);
}

/*
 * Chat: news for c waits in its queue until the loop is about to sleep,
 * so the notices of a busy moment (a crowd joining or leaving) leave in
 * one write per member instead of one each (redis's beforeSleep).  A
 * queue past FLUSHAT is written at once, and all of them once BATCHMAX
 * bytes wait in all, so batching never comes near --max-queue (only a
 * member that does not read does) and costs bounded memory.
 */
static void
chat_queue(struct conn *c, const uint8_t *p, size_t n)
{
	struct server	*srv = c->srv;
	ssize_t		 w;

	if (sk_buf_len(&c->out) + n > FLUSHAT)
		flush_one(c);
	if (c->doomed)
		return;
	/* A big piece with nothing ahead of it goes straight out. */
	if (n >= DIRECTAT && sk_buf_len(&c->out) == 0) {
		if ((w = sk_net_write(c->fd, p, n)) == -1 && errno != EAGAIN &&
		    errno != EWOULDBLOCK) {
			doom(c, "gone");
			return;
		}
		if (w > 0) {
			c->bytes_out += (uint64_t)w;
			p += w;
			n -= (size_t)w;
		}
		if (n == 0)
			return;
	}
	if (sk_buf_append(&c->out, p, n) == -1) {
		doom(c, "not reading");
		return;
	}
	account(c);
	if (!c->flushing) {
		c->flushing = 1;
		c->next_flush = srv->flush;
		srv->flush = c;
	}
	if ((srv->batched += n) > BATCHMAX)
		chat_flush(srv);
}

/* Before the loop sleeps: send every member's news. */
static void
chat_flush(struct server *srv)
{
	struct conn	*c;

	while ((c = srv->flush) != NULL) {
		srv->flush = c->next_flush;
		c->flushing = 0;
		if (!c->doomed)
			flush_one(c);
	}
	srv->batched = 0;
}

static void
upper(uint8_t *p, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (p[i] >= 'a' && p[i] <= 'z')
			p[i] = (uint8_t)(p[i] - 'a' + 'A');
}

/* --echo/--upper --frame: each frame back as one frame. */
static void
echo_frame(struct conn *c, uint8_t *payload, uint32_t plen)
{
	uint8_t	hdr[SK_FRAME_HDRLEN];

	if (c->srv->o->mode == MODE_UPPER)
		upper(payload, plen);
	sk_frame_header(hdr, plen);
	queue_to(c, hdr, sizeof(hdr));
	queue_to(c, payload, plen);
}

/*
 * Chat.  A message is built once in srv->msg, as a line or as a frame,
 * and queued to each receiver.
 */
static void
msg_begin(struct server *srv)
{
	sk_buf_consume(&srv->msg, sk_buf_len(&srv->msg));
	if (srv->o->frame)
		(void)sk_buf_append(&srv->msg, "\0\0\0\0", SK_FRAME_HDRLEN);
}

static void
msg_add(struct server *srv, const void *p, size_t n)
{
	(void)sk_buf_append(&srv->msg, p, n);
}

/*
 * Text from a client: control characters (and bidi controls) become
 * '?', so no client can send escape sequences to the others' terminals
 * or reorder what they show; frames too, which a client prints as
 * lines (a newline in one would forge a line from another member).
 */
static void
msg_add_text(struct server *srv, const uint8_t *p, size_t n)
{
	uint8_t	*dst;

	if ((dst = sk_buf_reserve(&srv->msg, n)) == NULL)
		return;
	sk_chat_clean(p, n, dst);
	sk_buf_commit(&srv->msg, n);
}

static void
msg_addf(struct server *srv, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
msg_addf(struct server *srv, const char *fmt, ...)
{
	char	line[512];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0)
		msg_add(srv, line, (size_t)n < sizeof(line) ? (size_t)n :
		    sizeof(line) - 1);
}

/* Finish the message: its frame header, or its newline. */
static void
msg_end(struct server *srv)
{
	uint8_t	*p;

	if (srv->o->frame) {
		p = (uint8_t *)(uintptr_t)sk_buf_data(&srv->msg);
		sk_frame_header(p, (uint32_t)(sk_buf_len(&srv->msg) -
		    SK_FRAME_HDRLEN));
	} else
		msg_add(srv, "\n", 1);
}

/*
 * What one member says in one read goes to the others as one piece: each
 * queue gets one append per read, not one per line (ncat's room does the
 * same).  Whatever else is sent meanwhile goes after it, in order.
 */
static void
say(struct conn *c)
{
	struct server	*srv = c->srv;

	if (srv->sayer != c)
		say_flush(srv);
	msg_end(srv);
	(void)sk_buf_append(&srv->said, sk_buf_data(&srv->msg),
	    sk_buf_len(&srv->msg));
	srv->sayer = c;
	if (sk_buf_len(&srv->said) >= SAYMAX)
		say_flush(srv);
}

static void
say_flush(struct server *srv)
{
	const uint8_t	*p = sk_buf_data(&srv->said);
	size_t		 n = sk_buf_len(&srv->said);
	struct conn	*c;

	if (srv->sayer == NULL)
		return;
	for (c = srv->conns; c != NULL; c = c->next)
		if (c != srv->sayer && c->relay == NULL)
			queue_to(c, p, n);
	sk_buf_consume(&srv->said, n);
	srv->sayer = NULL;
}

/* Finish the message and send it, after anything said before it. */
static void
msg_send(struct server *srv, struct conn *to, const struct conn *except)
{
	uint8_t	*p;
	size_t	 n;
	struct conn *c;

	say_flush(srv);
	msg_end(srv);
	p = (uint8_t *)(uintptr_t)sk_buf_data(&srv->msg);
	n = sk_buf_len(&srv->msg);
	if (to != NULL) {
		queue_to(to, p, n);
		return;
	}
	for (c = srv->conns; c != NULL; c = c->next)
		if (c != except && c->relay == NULL)
			queue_to(c, p, n);
}

static void
notice_all(struct server *srv, const struct conn *except, const char *fmt,
    const char *a, const char *b)
{
	msg_begin(srv);
	msg_addf(srv, fmt, a, b);
	msg_send(srv, NULL, except);
}

static void
chat_join(struct conn *c)
{
	struct server	*srv = c->srv;

	msg_begin(srv);
	msg_addf(srv, "* welcome, %s: %d other%s here (/nick NAME, /who, "
	    "/quit)", c->nick, srv->nclients - 1,
	    srv->nclients == 2 ? " is" : "s are");
	msg_send(srv, c, NULL);
	notice_all(srv, c, "* %s has joined%s", c->nick, "");
}

static void
chat_nick(struct conn *c, const char *name, size_t n)
{
	struct server	*srv = c->srv;
	struct conn	*o;
	char		 old[NICKMAX + 1];

	msg_begin(srv);
	if (!sk_chat_nick_ok((const uint8_t *)name, n, NICKUSER)) {
		msg_addf(srv, "* a nick is 1-%d bytes of printable UTF-8: no "
		    "spaces, '<', '>' or ':', no control, bidi or invisible "
		    "characters", NICKUSER);
		msg_send(srv, c, NULL);
		return;
	}
	/* Members start named by their address (ip:port, unix:N): a nick
	 * with a ':' could pass for another's, or a newcomer's. */
	if (memchr(name, ':', n) != NULL) {
		msg_addf(srv, "* a nick has no ':' (names with one are "
		    "addresses)");
		msg_send(srv, c, NULL);
		return;
	}
	for (o = srv->conns; o != NULL; o = o->next)
		if (o != c && sk_chat_nick_same((const uint8_t *)o->nick,
		    strlen(o->nick), (const uint8_t *)name, n)) {
			msg_addf(srv, "* %.*s is taken", (int)n, name);
			msg_send(srv, c, NULL);
			return;
		}
	memcpy(old, c->nick, sizeof(old));
	memcpy(c->nick, name, n);
	c->nick[n] = '\0';
	msg_addf(srv, "* you are now %s", c->nick);
	msg_send(srv, c, NULL);
	notice_all(srv, c, "* %s is now %s", old, c->nick);
}

static void
chat_who(struct conn *c)
{
	struct server	*srv = c->srv;
	struct conn	*o;
	const char	*sep = "";

	msg_begin(srv);
	msg_addf(srv, "* %d here:", srv->nclients);
	for (o = srv->conns; o != NULL; o = o->next) {
		msg_addf(srv, "%s %s%s", sep, o->nick, o == c ? " (you)" : "");
		sep = ",";
	}
	msg_send(srv, c, NULL);
}

/*
 * "/quit": read nothing more, but first send what is owed (replies to
 * the commands before it in the same read, news), then close.  A queue
 * the socket does not take at once waits for SK_WRITE, as for a client
 * that half-closed.
 */
static void
chat_quit(struct conn *c)
{
	c->eof = 1;
	flush_one(c);
	if (c->doomed)
		return;
	if (sk_buf_len(&c->out) == 0)
		doom(c, NULL);
	else
		(void)sk_loop_mod(NULL, c->srv->loop, c->fd, SK_WRITE);
}

/* One whole line (or frame) from a chat client. */
static void
chat_message(struct conn *c, const uint8_t *p, size_t n)
{
	struct server	*srv = c->srv;
	const uint8_t	*arg;
	size_t		 argn;

	switch (sk_chat_parse(p, n, &arg, &argn)) {
	case SK_CHAT_NICK:
		chat_nick(c, (const char *)arg, argn);
		return;
	case SK_CHAT_WHO:
		chat_who(c);
		return;
	case SK_CHAT_QUIT:
		chat_quit(c);
		return;
	case SK_CHAT_SAY:
		break;
	}
	msg_begin(srv);
	msg_addf(srv, "<%s> ", c->nick);
	msg_add_text(srv, p, n);
	say(c);
}

/* Chat lines: split what came into whole lines, one message each. */
static void
chat_lines(struct conn *c, const uint8_t *p, size_t n)
{
	const uint8_t	*nl, *lp;
	size_t		 len;

	while (n > 0 && !c->doomed && !c->eof) {
		nl = memchr(p, '\n', n);
		/*
		 * A line in one read goes straight from the shared buffer;
		 * only a line torn across reads is copied.
		 */
		if (nl == NULL) {
			if (sk_buf_append(&c->line, p, n) == -1) {
				c->cut = 1;	/* a reset: not all of it was taken */
				doom(c, "line too long");
			}
			return;
		}
		len = (size_t)(nl - p);
		if (sk_buf_len(&c->line) > 0) {
			if (sk_buf_append(&c->line, p, len) == -1) {
				c->cut = 1;	/* a reset: not all of it was taken */
				doom(c, "line too long");
				return;
			}
			lp = sk_buf_data(&c->line);
			len = sk_buf_len(&c->line);
		} else
			lp = p;
		if (len > 0 && lp[len - 1] == '\r')
			len--;
		/* --max-line holds for a line read whole, too. */
		if (len > c->srv->linemax) {
			c->cut = 1;	/* a reset: not all of it was taken */
			doom(c, "line too long");
			return;
		}
		chat_message(c, lp, len);
		sk_buf_release(&c->line);
		n -= (size_t)(nl - p) + 1;
		p = nl + 1;
	}
}

/* Frames: reassemble, and hand each whole frame to the mode. */
static void
take_frames(struct conn *c, const uint8_t *p, size_t n)
{
	const uint8_t	*payload;
	uint32_t	 plen;
	int		 rc = 0;	/* a doomed client runs no loop */

	if (sk_frame_dec_feed(&c->dec, p, n) == -1 && errno != EMSGSIZE) {
		doom(c, "out of memory");
		return;
	}
	while (!c->doomed && !c->eof &&
	    (rc = sk_frame_dec_next(&c->dec, &payload, &plen)) == 1) {
		if (c->srv->o->mode == MODE_CHAT)
			chat_message(c, payload, plen);
		else
			echo_frame(c, (uint8_t *)(uintptr_t)payload, plen);
	}
	if (rc == -1 && !c->doomed) {
		/* Logged whatever -v says: this is a misbehaving client. */
		if (c->srv->framemax < (size_t)c->srv->o->max_frame)
			cmd_err(CMD, "%s: frame of %lld bytes is over the %zu a "
			    "member's queue holds (--max-queue): dropped",
			    c->peer, sk_frame_dec_announced(&c->dec),
			    c->srv->framemax);
		else
			cmd_err(CMD, "%s: frame of %lld bytes is over "
			    "--max-frame %lld: dropped", c->peer,
			    sk_frame_dec_announced(&c->dec),
			    c->srv->o->max_frame);
		c->cut = 1;	/* a reset: not all of it was taken */
		doom(c, "frame too big");
	}
	/* Between frames an idle client holds no buffer. */
	if (sk_frame_dec_pending(&c->dec) == 0)
		sk_frame_dec_release(&c->dec);
}

/* Send the echo replies gathered in the arena, and empty it. */
static void
send_pending(struct server *srv)
{
	struct conn	*c;

	while ((c = srv->pending) != NULL) {
		srv->pending = c->next_pending;
		queue_to(c, c->reply, c->replylen);
		c->replylen = 0;
		/* A client that has left is closed once nothing is owed. */
		if (c->eof && sk_buf_len(&c->out) == 0)
			doom(c, NULL);
	}
	srv->used = 0;
}

static void
on_prewait(struct sk_loop *loop, void *arg)
{
	struct server	*srv = arg;

	(void)loop;
	send_pending(srv);
	/* Reaping tells the room who left; sending may doom the gone. */
	do {
		chat_flush(srv);
		chat_reap(srv);
	} while (srv->flush != NULL);
}

static void
on_readable(struct conn *c)
{
	struct server	*srv = c->srv;
	ssize_t		 n;

	uint8_t		*p;

	/* A client with a reply still in the arena sends it first. */
	if (c->replylen > 0 || ARENASZ - srv->used < RBUFSZ)
		send_pending(srv);
	p = srv->rbuf + srv->used;
	do
		n = read(c->fd, p, RBUFSZ);
	while (n == -1 && errno == EINTR);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n <= 0) {
		/* A chat's last line without its newline ("printf hi |")
		 * is said too, as ncat's chat would. */
		if (n == 0 && srv->o->mode == MODE_CHAT && !srv->o->frame &&
		    sk_buf_len(&c->line) > 0 && !c->doomed) {
			chat_lines(c, (const uint8_t *)"\n", 1);
			say_flush(srv);
		}
		/* End of stream: send what is still owed, then close. */
		c->eof = 1;
		if (n == -1 || (sk_buf_len(&c->out) == 0 && c->replylen == 0))
			doom(c, NULL);
		else
			(void)sk_loop_mod(NULL, srv->loop, c->fd, SK_WRITE);
		return;
	}
	c->bytes_in += (uint64_t)n;
	/* The clock is only needed for --idle-timeout: spare it otherwise. */
	if (srv->o->idle_ms > 0)
		c->last_ms = sk_loop_now_ms();
	if (srv->o->frame) {
		take_frames(c, p, (size_t)n);
		say_flush(srv);
		return;
	}
	switch (srv->o->mode) {
	case MODE_UPPER:
		upper(p, (size_t)n);
		/* FALLTHROUGH */
	case MODE_ECHO:
		/* Keep it in the arena; send_pending() sends it. */
		c->reply = p;
		c->replylen = (size_t)n;
		srv->used += (size_t)n;
		c->next_pending = srv->pending;
		srv->pending = c;
		break;
	case MODE_CHAT:
		chat_lines(c, p, (size_t)n);
		say_flush(srv);
		break;
	default:
		break;
	}
}

static void
on_writable(struct conn *c)
{
	flush_one(c);
	if (c->doomed || sk_buf_len(&c->out) > 0)
		return;
	/* Drained: listen again, or close if the client has left. */
	if (c->eof) {
		doom(c, NULL);
		return;
	}
	(void)sk_loop_mod(NULL, c->srv->loop, c->fd, SK_READ);
}

static void
on_client(struct sk_loop *loop, int fd, int mask, void *arg)
{
	struct conn	*c = arg;
	struct server	*srv = c->srv;

	(void)loop;
	(void)fd;
	if (mask & SK_WRITE)
		on_writable(c);
	if ((mask & SK_READ) && !c->doomed && !c->eof)
		on_readable(c);
	account(c);
	if (srv->held > (size_t)srv->o->max_total)
		check_total(srv);
	chat_reap(srv);
}

/*
 * A stdio session is over: close it, then serve the next client (-k) or
 * stop.  A failed session is the exit status of a one-session server;
 * one that keeps serving (-k) logs it and goes on, like --echo does.
 */
static void
stdio_end(struct conn *c, int failed)
{
	struct server	*srv = c->srv;

	if (failed && !srv->o->keep_open)
		srv->status = EXIT_RUNTIME;
	/* Once stdin has ended, later clients get nothing from it. */
	if (sk_relay_in_done(c->relay))
		srv->stdin_fd = -1;
	conn_free(c);
	if (srv->lfd != -1 && srv->o->keep_open)
		(void)sk_loop_mod(NULL, srv->loop, srv->lfd, SK_READ);
	else
		sk_loop_stop(srv->loop);
}

static void
on_relay_done(struct sk_relay *r, int failed, void *arg)
{
	struct conn	*c = arg;
	struct server	*srv = c->srv;

	c->bytes_in = sk_relay_stats(r)->received;
	c->bytes_out = sk_relay_stats(r)->sent;
	if (failed && (sk_relay_out_errno(r) == EPIPE ||
	    sk_relay_out_errno(r) == EINTR)) {
		/* stdout's reader left: no one to serve; end quietly.  Or a
		 * signal came while stdout was full: it ends us (a reset). */
		if (sk_relay_out_errno(r) == EPIPE)
			cmd_stdout_gone();
		conn_free(c);
		sk_loop_stop(srv->loop);
		return;
	}
	if (failed)
		cmd_err(CMD, "%s: %s", c->peer, sk_relay_error(r));
	stdio_end(c, failed);
}

/*
 * Close the clients marked doomed.  In a chat their leaving is news for
 * the others, which may doom more (a full queue), hence the loop.
 */
static void
chat_reap(struct server *srv)
{
	struct conn	*c, *next;

	while (srv->ndoomed > 0) {
		srv->ndoomed = 0;
		for (c = srv->conns; c != NULL; c = next) {
			next = c->next;
			if (!c->doomed)
				continue;
			conn_free(c);
			/* conn_free may doom others: start over. */
			next = srv->conns;
		}
	}
}

/* Unlink c and free all it holds, quietly. */
static void
conn_release(struct conn *c)
{
	struct server	*srv = c->srv;
	struct conn	**pp;

	if (c->replylen > 0)
		for (pp = &srv->pending; *pp != NULL; pp = &(*pp)->next_pending)
			if (*pp == c) {
				*pp = c->next_pending;
				break;
			}
	if (c->flushing)
		for (pp = &srv->flush; *pp != NULL; pp = &(*pp)->next_flush)
			if (*pp == c) {
				*pp = c->next_flush;
				break;
			}

	sk_relay_free(c->relay);
	sk_loop_del(srv->loop, c->fd);
	/* Stopped by a signal, or cut: a reset, so the client knows. */
	if (cmd_signalled() || c->cut)
		(void)sk_net_abort(NULL, c->fd);
	else
		close(c->fd);
	srv->held -= c->held;
	sk_buf_release(&c->out);
	sk_buf_release(&c->line);
	sk_frame_dec_release(&c->dec);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	srv->nclients--;
	free(c);
}

/* Close c: log it, and in a chat tell the others why it left. */
static void
conn_free(struct conn *c)
{
	struct server	*srv = c->srv;
	const char	*why = c->why;
	char		 nick[NICKMAX + 1];

	if (srv->o->c.verbose)
		cmd_err(CMD, "%s disconnected (in %llu B, out %llu B, "
		    "%.3f s)%s%s", c->peer, (unsigned long long)c->bytes_in,
		    (unsigned long long)c->bytes_out,
		    (double)(sk_loop_now_ms() - c->start_ms) / 1000.0,
		    why != NULL ? ": " : "", why != NULL ? why : "");
	memcpy(nick, c->nick, sizeof(nick));
	conn_release(c);
	if (srv->o->mode != MODE_CHAT)
		return;
	if (why != NULL && strcmp(why, "gone") != 0)
		notice_all(srv, NULL, "* %s was dropped (%s)", nick, why);
	else
		notice_all(srv, NULL, "* %s has left%s", nick, "");
}

/*
 * A stdio session's clock (--idle-timeout, -q): idle when nothing has
 * moved either way for that long; -q ends it that long after all of
 * stdin was sent.  Returns 1 when it ended the session.
 */
static int
stdio_tick(struct conn *c, long long now)
{
	const struct server_opts	*o = c->srv->o;
	const struct sk_relay_stats	*st = sk_relay_stats(c->relay);

	if (st->sent + st->received != c->seen) {
		c->seen = st->sent + st->received;
		c->last_ms = now;
	}
	if (o->quit_ms >= 0 && c->eof_ms == 0 && sk_relay_sent_all(c->relay))
		c->eof_ms = now;
	c->bytes_in = st->received;
	c->bytes_out = st->sent;
	if (o->idle_ms > 0 && now - c->last_ms >= o->idle_ms) {
		/* Cut short: a reset, so the client cannot take it as whole. */
		cmd_err(CMD, "%s: idle for %.10g s (--idle-timeout): closing",
		    c->peer, (double)o->idle_ms / 1000);
		c->why = "idle";
		c->cut = 1;
		stdio_end(c, 1);
		return 1;
	}
	if (c->eof_ms != 0 && now - c->eof_ms >= o->quit_ms) {
		c->why = "-q";
		stdio_end(c, 0);
		return 1;
	}
	return 0;
}

/*
 * --idle-timeout and -q: a sweep drops the clients silent too long, a
 * few times per timeout (at most once a second), so a client is dropped
 * between SECS and 1.25 SECS after it went quiet.
 */
static void
on_sweep(struct sk_loop *loop, long long id, void *arg)
{
	struct server	*srv = arg;
	struct conn	*c;
	long long	 now = sk_loop_now_ms();

	(void)loop;
	(void)id;
	for (c = srv->conns; c != NULL; c = c->next) {
		if (c->relay != NULL) {
			if (stdio_tick(c, now))
				return;		/* c is freed */
			continue;
		}
		if (srv->o->idle_ms > 0 && now - c->last_ms >= srv->o->idle_ms)
			doom(c, "idle");
	}
	chat_reap(srv);
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
	/* Leaving at shutdown is not news: close quietly. */
	while (srv->conns != NULL)	/* conn_release() unlinks it */
		conn_release(srv->conns); /* NOLINT(clang-analyzer-unix.Malloc) */
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
	sk_buf_release(&srv->msg);
	sk_buf_release(&srv->said);
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
	srv.lfd = -1;
	srv.stdin_fd = STDIN_FILENO;
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
	if (o.mode == MODE_ECHO || o.mode == MODE_UPPER || o.mode == MODE_CHAT)
		sk_loop_set_prewait(srv.loop, on_prewait, &srv);
	/* One client at a time (stdio) is never worth spinning for. */
	if (o.mode != MODE_STDIO)
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
