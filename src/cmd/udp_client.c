/*
 * udp_client.c - sockkit udp-client: send each stdin line as one datagram
 * and print the replies, one per line.  Reading does not stop at the end
 * of stdin: replies are awaited for -w seconds after the last send (nc -u
 * prints none, shutting its read side at EOF).  For scripts, --send sends
 * one datagram, --expect succeeds only if a reply holds the text, and
 * --retries resends when nothing comes back, since UDP loses datagrams.
 * The socket is connected, so an ICMP port-unreachable is reported.
 */
#define _GNU_SOURCE		/* memmem */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sockkit/buf.h>
#include <sockkit/loop.h>
#include <sockkit/net.h>
#include <sockkit/text.h>

#include "cmd.h"

static const char usage_text[] =
"usage: sockkit udp-client [options] HOST PORT\n"
"       sockkit udp-client [options] -U PATH\n"
"\n"
"Send each line of stdin (without its newline) as one datagram and print\n"
"each reply on a line.  After the last send, keep reading replies for -w\n"
"seconds.\n"
"\n"
"options:\n"
"  -4, -6                   IPv4 or IPv6 only\n"
"  -w SECONDS               how long to wait for replies after the last\n"
"                           send (default 1; fractions such as 0.5 too)\n"
"  -q SECS                  nc's -q: the same as -w SECS\n"
"  -s ADDRESS               send from this source address\n"
"  -p PORT                  send from this source port\n"
"  -n                       HOST must be numeric: no DNS lookup\n"
"  -u, -N                   accepted for nc's sake: udp-client is always\n"
"                           UDP, and has no write side to shut\n"
"  -U, --unix PATH          a Unix-domain datagram socket\n"
"      --send STRING        send this one datagram instead of stdin; \\r \\n\n"
"                           \\t \\0 \\\\ and \\xHH are understood\n"
"      --expect TEXT        succeed (exit 0) once a reply holds TEXT, fail\n"
"                           (exit 1) if none does in time; replies are not\n"
"                           printed\n"
"      --retries N          with --send: send again, up to N more times,\n"
"                           when -w passes with no reply\n"
"      --hex                print a hex dump of each reply instead\n"
"      --backend NAME       event loop: select, poll or epoll\n"
"  -v                       log each send and reply\n"
"  -h, --help               this text\n"
"\n"
"A line over 65,507 bytes (the most a datagram holds) is not sent.\n"
"Exits 0 when done (or the expected text came), 1 on a network failure\n"
"(port unreachable), a missed --expect or a line not sent, 2 on a usage\n"
"error.\n";

struct uc_opts {
	struct common_opts	 c;
	long long		 wait_ms;	/* -w */
	long long		 retries;
	int			 hex;
	struct probe_opts	 p;		/* --send, --expect */
	int			 numeric;	/* -n */
	const char		*src_host;	/* -s */
	const char		*src_port;	/* -p */
	const char		*unix_path;
	const char		*host;
	const char		*port;
};

#define DGRAMMAX	65507
#define RBUFSZ		65536

struct uc {
	const struct uc_opts	*o;
	struct sk_loop		*loop;
	int			 fd;
	int			 status;
	int			 in_done;
	int			 seen;		/* --expect matched */
	long long		 tries;		/* --send: sends so far */
	long long		 timer;		/* the reply deadline, or 0 */
	uint64_t		 sent;
	uint64_t		 replies;
	struct sk_buf		 line;		/* a partial stdin line */
	size_t			 skip;		/* bytes of a line too long to
						   send, skipped so far */
	int			 unsent;	/* lines not sent: exit 1 */
	uint8_t			*buf;
	char			 local[sizeof(((struct sockaddr_un *)0)
				     ->sun_path)];
};

#define CMD	"udp-client"

enum {
	OPT_RETRIES = OPT_FIRST_CMD,
	OPT_HEX
};

/*
 * nc's options, for the hands that type them: those with a meaning here
 * are taken (-u, -N, -n, -p, -q, -s), the rest get the sockkit form.
 */
static int
nc_hint(int ch)
{
	switch (ch) {
	case 'l':
		return cmd_usage_err(CMD, "-l: to listen use 'sockkit "
		    "udp-server [ADDRESS] PORT'");
	case 'k':
		return cmd_usage_err(CMD, "-k: to keep listening use 'sockkit "
		    "udp-server [ADDRESS] PORT' (it always does)");
	case 'b':
		return cmd_usage_err(CMD, "-b: to broadcast use 'sockkit "
		    "broadcast send --to ADDR --port PORT [MESSAGE]'");
	case 'z':
		return cmd_usage_err(CMD, "-z: to probe a UDP port use "
		    "'sockkit udp-client --send STRING --expect TEXT HOST "
		    "PORT'");
	}
	return 0;
}

static int
parse_args(int argc, char **argv, struct uc_opts *o)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "unix",	required_argument,	NULL,	'U' },
		PROBE_LONGOPTS,
		{ "retries",	required_argument,	NULL,	OPT_RETRIES },
		{ "hex",	no_argument,		NULL,	OPT_HEX },
		{ NULL,		0,			NULL,	0 }
	};
	int	ch, rc;

	memset(o, 0, sizeof(*o));
	o->wait_ms = 1000;
	optind = 1;
	opterr = 0;
	cmd_longopts(longopts);
	while ((ch = getopt_long(argc, argv, COMMON_SHORTOPTS
	    "w:q:s:p:nuNU:lkzb", longopts, NULL)) != -1) {
		if ((rc = cmd_common(CMD, &o->c, ch, argv)) == 0)
			rc = cmd_probe_opt(CMD, &o->p, ch);
		if (rc == 0 && nc_hint(ch) != 0)
			rc = -1;
		if (rc == -1)
			return -1;
		if (rc == 1)
			continue;
		switch (ch) {
		case 'w':
		case 'q':
			/* nc -q 0: quit at once after the last send. */
			if (cmd_seconds(CMD, ch == 'w' ? "-w" : "-q", optarg,
			    ch == 'w' ? 1 : 0, 86400000, &o->wait_ms) == -1)
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
		case 'u':	/* nc -u: always UDP */
		case 'N':	/* nc -N: no write side to shut */
			break;
		case 'U':
			o->unix_path = optarg;
			break;
		case OPT_RETRIES:
			if (cmd_number(CMD, "--retries", optarg, 0, 1000,
			    &o->retries) == -1)
				return -1;
			break;
		case OPT_HEX:
			o->hex = 1;
			break;
		}
	}
	if (o->c.help)
		return 0;
	if (o->retries > 0 && o->p.send == NULL) {
		cmd_usage_err(CMD, "--retries goes with --send");
		return -1;
	}
	if (o->p.send != NULL && o->p.sendlen > DGRAMMAX) {
		cmd_usage_err(CMD, "--send: %zu bytes is over the %d a datagram "
		    "can hold", o->p.sendlen, DGRAMMAX);
		return -1;
	}
	/* Options that would do nothing are mistakes: say so. */
	if (o->c.json) {
		cmd_usage_err(CMD, "--json: udp-client has no JSON output");
		return -1;
	}
	if (o->hex && o->p.expect != NULL) {
		cmd_usage_err(CMD, "--hex and --expect do not go together "
		    "(with --expect replies are not printed)");
		return -1;
	}
	if (o->unix_path != NULL && o->c.family != 0) {
		cmd_usage_err(CMD, "-4 and -6 do not go with -U");
		return -1;
	}
	if (o->unix_path != NULL && (o->src_host != NULL ||
	    o->src_port != NULL || o->numeric)) {
		cmd_usage_err(CMD, "-U PATH takes no %s", o->src_host != NULL ?
		    "-s" : o->src_port != NULL ? "-p" : "-n");
		return -1;
	}
	if (cmd_endpoint(CMD, argc - optind, argv + optind, 0,
	    o->unix_path, &o->host, &o->port) == -1 ||
	    cmd_host_family(CMD, NULL, o->c.family, o->host) == -1 ||
	    cmd_host_family(CMD, "-s", o->c.family, o->src_host) == -1)
		return -1;
	if (o->numeric && !cmd_numeric_host(o->host)) {
		cmd_usage_err(CMD, "-n: '%s' is not a numeric address",
		    o->host);
		return -1;
	}
	if (o->numeric && o->src_host != NULL &&
	    !cmd_numeric_host(o->src_host)) {
		cmd_usage_err(CMD, "-n: '%s' is not a numeric address",
		    o->src_host);
		return -1;
	}
	return 0;
}

/*
 * A Unix datagram client needs an address of its own for the replies to
 * come back to: a socket file beside the temporary files, removed at exit.
 */
static int
unix_client(struct uc *u, char *err)
{
	struct sockaddr_un	 sun;
	socklen_t		 sunlen;
	const char		*dir = getenv("TMPDIR");
	int			 n;

	if ((u->fd = sk_net_unix_connect(err, u->o->unix_path, SOCK_DGRAM,
	    1000)) == -1)
		return -1;
	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	/* Cut short, the name would lose its PID and be every client's. */
	n = snprintf(u->local, sizeof(u->local), "%s/sockkit-udp-client.%d",
	    dir, (int)getpid());
	if (n < 0 || (size_t)n >= sizeof(u->local)) {
		snprintf(err, SK_ERRLEN, "TMPDIR is too long for a socket "
		    "path (%zu bytes at most)", sizeof(u->local) - 30);
		u->local[0] = '\0';
		return -1;
	}
	if (sk_net_unix_addr(err, u->local, &sun, &sunlen) == -1) {
		u->local[0] = '\0';
		return -1;
	}
	(void)unlink(u->local);
	if (bind(u->fd, (struct sockaddr *)&sun, sunlen) == -1) {
		snprintf(err, SK_ERRLEN, "bind %s: %s", u->local,
		    strerror(errno));
		u->local[0] = '\0';
		return -1;
	}
	return 0;
}

static int
setup(struct uc *u)
{
	const struct uc_opts	*o = u->o;
	struct sk_net_dial	 dial;
	char			 err[SK_ERRLEN];

	sk_buf_init(&u->line, DGRAMMAX + 1);
	if ((u->buf = malloc(RBUFSZ)) == NULL) {
		cmd_err(CMD, "out of memory");
		return -1;
	}
	memset(&dial, 0, sizeof(dial));
	dial.family = o->c.family;
	dial.socktype = SOCK_DGRAM;
	dial.src_host = o->src_host;
	dial.src_port = o->src_port;
	if (o->unix_path != NULL ? unix_client(u, err) == -1 :
	    (u->fd = sk_net_connect(err, o->host, o->port, &dial)) == -1) {
		/* A broadcast address wants SO_BROADCAST, and its answers
		 * come from other addresses than the one connected to. */
		if (errno == EACCES && o->unix_path == NULL)
			cmd_err(CMD, "%s (a broadcast address? 'sockkit "
			    "broadcast send --to %s --port %s' sends to one)",
			    err, o->host, o->port);
		else
			cmd_err(CMD, "%s", err);
		return -1;
	}
	if (sk_net_nonblock(err, u->fd, 1) == -1 ||
	    (u->loop = sk_loop_new(err, o->c.backend)) == NULL) {
		cmd_err(CMD, "%s", err);
		return -1;
	}
	return 0;
}

/* The event handlers: send, the reply deadline, replies. */

static void	on_deadline(struct sk_loop *, long long, void *);

/* (Re)start the wait for replies: -w seconds from now. */
static void
arm_deadline(struct uc *u)
{
	if (u->timer > 0)
		(void)sk_loop_timer_del(u->loop, u->timer);
	u->timer = sk_loop_timer_add(NULL, u->loop, u->o->wait_ms, 0,
	    on_deadline, u);
}

/* ICMP port unreachable, or nobody on the Unix socket's path. */
static void
unreachable(struct uc *u)
{
	if (u->o->unix_path != NULL)
		cmd_err(CMD, "%s: nothing listens there any more",
		    u->o->unix_path);
	else
		cmd_err(CMD, "%s %s: port unreachable (nothing listens "
		    "there)", u->o->host, u->o->port);
	u->status = EXIT_RUNTIME;
	sk_loop_stop(u->loop);
}

static int
send_dgram(struct uc *u, const void *p, size_t n)
{
	if (send(u->fd, p, n, 0) == -1) {
		if (errno == ECONNREFUSED) {
			unreachable(u);
			return -1;
		}
		cmd_err(CMD, "send of %zu bytes: %s", n, strerror(errno));
		u->status = EXIT_RUNTIME;
		sk_loop_stop(u->loop);
		return -1;
	}
	u->sent++;
	if (u->o->c.verbose)
		cmd_err(CMD, "sent %zu bytes", n);
	arm_deadline(u);
	return 0;
}

/* A line over DGRAMMAX, skipped whole: say how long it really was. */
static void
line_skipped(struct uc *u)
{
	cmd_err(CMD, "a line of %zu bytes is over the %d a datagram can "
	    "hold: not sent", u->skip, DGRAMMAX);
	u->skip = 0;
	u->unsent = 1;
}

/*
 * Each whole line is one datagram.  The buffer holds DGRAMMAX + 1 bytes,
 * so a line that fills it with no newline is too long: it is skipped up
 * to its newline, never cut into datagrams of its pieces.
 */
static void
on_stdin(struct sk_loop *loop, int fd, int mask, void *arg)
{
	struct uc	*u = arg;
	const uint8_t	*p;
	size_t		 len, ln, nl, used = 0;
	ssize_t		 n, k;

	(void)mask;
	n = sk_buf_read(&u->line, fd, RBUFSZ);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n == -1) {
		cmd_err(CMD, "read stdin: %s", strerror(errno));
		u->unsent = 1;
	}
	if (n <= 0) {
		u->in_done = 1;
		sk_loop_del(loop, fd);
	}
	p = sk_buf_data(&u->line);
	len = sk_buf_len(&u->line);
	while (used < len) {
		/* A line, or without a '\n' yet all that is left. */
		if ((k = sk_text_line(p + used, len - used, &ln)) == -2)
			ln = len - used;
		nl = k > 0 ? 1 : 0;	/* the '\n' */
		if (u->skip > 0) {
			/* The rest of a line too long to send. */
			u->skip += ln;
			used += ln + nl;
			if (nl)
				line_skipped(u);
			continue;
		}
		if (!nl && !u->in_done) {
			/* Part of a line: wait for the rest, unless it
			 * fills the buffer alone. */
			if (used == 0 && sk_buf_full(&u->line)) {
				u->skip = len;
				used = len;
			}
			break;
		}
		if (ln > DGRAMMAX) {
			/* At the end of input, a full buffer. */
			u->skip = ln;
			line_skipped(u);
		} else if (send_dgram(u, p + used, ln) == -1)
			return;
		used += ln + nl;
	}
	sk_buf_consume(&u->line, used);
	if (u->in_done && u->skip > 0)
		line_skipped(u);
	/* Nothing sent at all: nothing to wait for. */
	if (u->in_done && u->timer == 0)
		sk_loop_stop(loop);
}

static void
on_deadline(struct sk_loop *loop, long long id, void *arg)
{
	struct uc	*u = arg;

	(void)id;
	u->timer = 0;
	/* --send with no reply yet: UDP may have lost it; send again. */
	if (u->o->p.send != NULL && u->replies == 0 &&
	    u->tries <= u->o->retries) {
		u->tries++;
		if (u->o->c.verbose)
			cmd_err(CMD, "no reply in %.10g s: sending again "
			    "(%lld of %lld)", (double)u->o->wait_ms / 1000,
			    u->tries - 1, u->o->retries);
		(void)send_dgram(u, u->o->p.send, u->o->p.sendlen);
		return;
	}
	if (u->in_done)
		sk_loop_stop(loop);
}

static void
on_reply(struct sk_loop *loop, int fd, int mask, void *arg)
{
	struct uc	*u = arg;
	char		 err[SK_ERRLEN];
	ssize_t		 n;
	int		 trunc;

	(void)mask;
	while ((n = sk_net_recv_dgram(err, fd, u->buf, RBUFSZ, NULL, NULL,
	    &trunc)) >= 0) {
		u->replies++;
		if (trunc)
			cmd_err(CMD, "a reply over %d bytes was cut", RBUFSZ);
		if (u->o->p.expect != NULL) {
			if (memmem(u->buf, (size_t)n, u->o->p.expect,
			    strlen(u->o->p.expect)) != NULL) {
				u->seen = 1;
				sk_loop_stop(loop);
				return;
			}
			continue;
		}
		if (u->o->hex)
			cmd_hexdump(stdout, u->buf, (size_t)n);
		else
			cmd_print_line(stdout, u->buf, (size_t)n);
		/* Each reply at once; a reader gone stops us (141). */
		if (cmd_flush_stdout(CMD) == -1) {
			u->status = EXIT_RUNTIME;
			sk_loop_stop(loop);
			return;
		}
	}
	if (errno == ECONNREFUSED)
		unreachable(u);
	else if (errno != EAGAIN && errno != EWOULDBLOCK) {
		cmd_err(CMD, "%s", err);
		u->status = EXIT_RUNTIME;
		sk_loop_stop(loop);
	}
}

int
cmd_udp_client(int argc, char **argv)
{
	struct uc_opts	o;
	struct uc	u;
	char		err[SK_ERRLEN];

	if (parse_args(argc, argv, &o) == -1)
		return EXIT_USAGE;
	if (o.c.help)
		return cmd_help(usage_text);
	memset(&u, 0, sizeof(u));
	u.o = &o;
	u.fd = -1;
	if (setup(&u) == -1 || cmd_signals_init(CMD, u.loop) == -1 ||
	    sk_loop_add(err, u.loop, u.fd, SK_READ, on_reply, &u) == -1)
		u.status = EXIT_RUNTIME;
	else {
		if (o.p.send != NULL) {
			u.in_done = 1;
			u.tries = 1;
			(void)send_dgram(&u, o.p.send, o.p.sendlen);
		} else if (sk_loop_add(err, u.loop, STDIN_FILENO, SK_READ,
		    on_stdin, &u) == -1) {
			cmd_err(CMD, "%s", err);
			u.status = EXIT_RUNTIME;
		}
		if (u.status == 0 && sk_loop_run(err, u.loop) == -1) {
			cmd_err(CMD, "%s", err);
			u.status = EXIT_RUNTIME;
		}
	}
	/* Interrupted, the wait did not run out: nothing to add. */
	if (o.p.expect != NULL && !u.seen && u.status == 0 &&
	    !cmd_signalled()) {
		cmd_err(CMD, "'%s' not seen in %llu repl%s within %.10g s of "
		    "the last of %llu send%s", o.p.expect,
		    (unsigned long long)u.replies, u.replies == 1 ? "y" : "ies",
		    (double)o.wait_ms / 1000, (unsigned long long)u.sent,
		    u.sent == 1 ? "" : "s");
		u.status = EXIT_RUNTIME;
	}
	if (u.loop != NULL)
		cmd_signals_fini(u.loop);
	sk_loop_free(u.loop);
	if (u.fd != -1)
		close(u.fd);
	if (u.local[0] != '\0')
		(void)unlink(u.local);
	sk_buf_release(&u.line);
	free(u.buf);
	if (u.status == 0 && u.unsent)
		u.status = EXIT_RUNTIME;
	if (u.status == 0)
		u.status = cmd_finish_stdout(CMD);
	return u.status;
}
