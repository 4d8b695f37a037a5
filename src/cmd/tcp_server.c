/*
 * tcp_server.c - sockkit tcp-server: listen on a TCP (or Unix-domain)
 * stream socket and serve clients in one of several modes.  The default,
 * stdio, is netcat's "nc -l": one client at a time, its bytes to stdout and
 * stdin's to it, with a half-close when stdin ends.  --echo, --upper and
 * --discard serve many clients at once from one event loop: each read goes
 * back out at once, and a client whose replies do not drain is not read
 * from until they do, so memory stays bounded whatever a client does.
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
#include <sockkit/loop.h>
#include <sockkit/net.h>
#include <sockkit/relay.h>

#include "cmd.h"

static const char usage_text[] =
"usage: sockkit tcp-server [options] [ADDRESS] PORT\n"
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
"options:\n"
"  -4, -6                   IPv4 or IPv6 only\n"
"  -U, --unix PATH          listen on a Unix-domain stream socket\n"
"      --max-clients N      refuse clients past N at once\n"
"      --idle-timeout SECS  drop a client silent for SECS seconds\n"
"      --backend NAME       event loop: select, poll or epoll\n"
"  -v                       log clients: connects, disconnects, bytes\n"
"  -h, --help               this text\n"
"\n"
"Once listening, prints 'sockkit: tcp-server: listening on ADDR:PORT' to\n"
"stderr; PORT 0 picks a free port.  SIGINT or SIGTERM stop it cleanly.\n";

enum mode {
	MODE_STDIO,
	MODE_ECHO,
	MODE_UPPER,
	MODE_DISCARD
};

struct server_opts {
	struct common_opts	 c;
	enum mode		 mode;
	int			 keep_open;
	long long		 max_clients;	/* 0: no limit */
	long long		 idle_timeout;	/* seconds; 0: none */
	const char		*unix_path;
	const char		*host;
	const char		*port;
};

/* Bytes read per event, shared by all clients: idle ones cost none. */
#define RBUFSZ		(64 * 1024)
/* Replies waiting for a slow reader: at most one read's worth. */
#define OUTLIMIT	RBUFSZ

struct conn {
	struct server	*srv;
	int		 fd;
	int		 eof;		/* the client has half-closed */
	struct sk_buf	 out;		/* replies not yet sent */
	long long	 start_ms;
	long long	 last_ms;	/* for --idle-timeout */
	uint64_t	 bytes_in;
	uint64_t	 bytes_out;
	struct sk_relay	*relay;		/* stdio mode */
	struct conn	*prev;
	struct conn	*next;
	char		 name[SK_ADDRSTRLEN];
};

struct server {
	const struct server_opts *o;
	struct sk_loop		*loop;
	int			 lfd;
	int			 nclients;
	struct conn		*conns;
	uint8_t			*rbuf;
	int			 stdin_fd;	/* -1 once it has ended */
	int			 unix_bound;	/* we made the socket file */
	int			 status;	/* the exit status */
};

#define CMD	"tcp-server"

enum {
	OPT_ECHO = OPT_FIRST_CMD,
	OPT_UPPER,
	OPT_DISCARD,
	OPT_MAX_CLIENTS,
	OPT_IDLE_TIMEOUT
};

static int
parse_args(int argc, char **argv, struct server_opts *o)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "keep-open",		no_argument,	   NULL, 'k' },
		{ "unix",		required_argument, NULL, 'U' },
		{ "echo",		no_argument,	   NULL, OPT_ECHO },
		{ "upper",		no_argument,	   NULL, OPT_UPPER },
		{ "discard",		no_argument,	   NULL, OPT_DISCARD },
		{ "max-clients",	required_argument, NULL,
		    OPT_MAX_CLIENTS },
		{ "idle-timeout",	required_argument, NULL,
		    OPT_IDLE_TIMEOUT },
		{ NULL,			0,		   NULL, 0 }
	};
	int	ch, rc, nmodes = 0;

	memset(o, 0, sizeof(*o));
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, COMMON_SHORTOPTS "kU:", longopts,
	    NULL)) != -1) {
		if ((rc = cmd_common(CMD, &o->c, ch, argv)) == -1)
			return -1;
		if (rc == 1)
			continue;
		switch (ch) {
		case 'k':
			o->keep_open = 1;
			break;
		case 'U':
			o->unix_path = optarg;
			break;
		case OPT_ECHO:
			o->mode = MODE_ECHO;
			nmodes++;
			break;
		case OPT_UPPER:
			o->mode = MODE_UPPER;
			nmodes++;
			break;
		case OPT_DISCARD:
			o->mode = MODE_DISCARD;
			nmodes++;
			break;
		case OPT_MAX_CLIENTS:
			if (cmd_number(CMD, "--max-clients", optarg, 1,
			    1000000, &o->max_clients) == -1)
				return -1;
			break;
		case OPT_IDLE_TIMEOUT:
			if (cmd_number(CMD, "--idle-timeout", optarg, 1,
			    86400 * 365, &o->idle_timeout) == -1)
				return -1;
			break;
		}
	}
	if (o->c.help)
		return 0;
	if (nmodes > 1) {
		cmd_usage_err(CMD, "choose one of --echo, --upper, --discard");
		return -1;
	}
	return cmd_endpoint(CMD, argc - optind, argv + optind, 1,
	    o->unix_path, &o->host, &o->port);
}

static int
setup(struct server *srv)
{
	char	err[SK_ERRLEN];

	if (srv->o->unix_path != NULL)
		srv->lfd = sk_net_unix_listen(err, srv->o->unix_path,
		    SOCK_STREAM);
	else
		srv->lfd = sk_net_listen(err, srv->o->host, srv->o->port,
		    srv->o->c.family, SOCK_STREAM);
	if (srv->lfd == -1) {
		cmd_err(CMD, "%s", err);
		return -1;
	}
	srv->unix_bound = srv->o->unix_path != NULL;
	if (sk_net_nonblock(err, srv->lfd, 1) == -1 ||
	    (srv->loop = sk_loop_new(err, srv->o->c.backend)) == NULL) {
		cmd_err(CMD, "%s", err);
		return -1;
	}
	if (srv->o->mode != MODE_STDIO &&
	    (srv->rbuf = malloc(RBUFSZ)) == NULL) {
		cmd_err(CMD, "out of memory");
		return -1;
	}
	return 0;
}

/* The event handlers, in the order events come: accept, read, write, close. */

static void	on_accept(struct sk_loop *, int, int, void *);
static void	on_client(struct sk_loop *, int, int, void *);
static void	on_relay_done(struct sk_relay *, int, void *);
static void	conn_free(struct conn *);

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
	sk_buf_init(&c->out, OUTLIMIT);
	if (ss->ss_family == AF_UNIX)
		snprintf(c->name, sizeof(c->name), "unix:%d", fd);
	else
		sk_net_addr_str((const struct sockaddr *)ss, sslen, c->name,
		    sizeof(c->name));
	c->next = srv->conns;
	if (srv->conns != NULL)
		srv->conns->prev = c;
	srv->conns = c;
	srv->nclients++;
	if (srv->o->c.verbose)
		cmd_err(CMD, "%s connected", c->name);
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
			if (errno == EAGAIN || errno == EWOULDBLOCK ||
			    errno == ECONNABORTED)
				return;
			cmd_err(CMD, "%s", err);
			/*
			 * Out of fds: the client stays queued and the socket
			 * stays readable, so pause instead of spinning.
			 */
			if ((errno == EMFILE || errno == ENFILE) &&
			    sk_loop_timer_add(NULL, loop, 100, 0, on_resume,
			    srv) != -1)
				(void)sk_loop_mod(NULL, loop, lfd, 0);
			return;
		}
		if (srv->o->max_clients > 0 &&
		    srv->nclients >= srv->o->max_clients) {
			if (srv->o->c.verbose)
				cmd_err(CMD, "refused a client: %d clients "
				    "already (--max-clients)", srv->nclients);
			close(fd);
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
		}
	}
}

static void
upper(uint8_t *p, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (p[i] >= 'a' && p[i] <= 'z')
			p[i] = (uint8_t)(p[i] - 'a' + 'A');
}

/*
 * Send a reply at once; what the socket does not take waits in c->out,
 * and then the client is not read from until it drains.
 */
static int
reply(struct conn *c, uint8_t *p, size_t n)
{
	ssize_t	w = 0;

	if (sk_buf_len(&c->out) == 0) {
		w = sk_net_write(c->fd, p, n);
		if (w == -1 && errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		if (w < 0)
			w = 0;
		c->bytes_out += (uint64_t)w;
	}
	if ((size_t)w < n) {
		if (sk_buf_append(&c->out, p + w, n - (size_t)w) == -1)
			return -1;
		return sk_loop_mod(NULL, c->srv->loop, c->fd, SK_WRITE);
	}
	return 0;
}

static void
on_client(struct sk_loop *loop, int fd, int mask, void *arg)
{
	struct conn	*c = arg;
	struct server	*srv = c->srv;
	ssize_t		 n;

	(void)loop;
	if (mask & SK_WRITE) {
		if ((n = sk_buf_write(&c->out, fd)) == -1) {
			conn_free(c);
			return;
		}
		c->bytes_out += (uint64_t)n;
		if (sk_buf_len(&c->out) > 0)
			return;
		/* Drained: give the memory back and listen again. */
		sk_buf_release(&c->out);
		if (c->eof) {
			conn_free(c);
			return;
		}
		(void)sk_loop_mod(NULL, srv->loop, fd, SK_READ);
		return;
	}
	do
		n = read(fd, srv->rbuf, RBUFSZ);
	while (n == -1 && errno == EINTR);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n <= 0) {
		/* End of stream: send what is still owed, then close. */
		c->eof = 1;
		if (n == -1 || sk_buf_len(&c->out) == 0)
			conn_free(c);
		return;
	}
	c->bytes_in += (uint64_t)n;
	c->last_ms = sk_loop_now_ms();
	if (srv->o->mode == MODE_DISCARD)
		return;
	if (srv->o->mode == MODE_UPPER)
		upper(srv->rbuf, (size_t)n);
	if (reply(c, srv->rbuf, (size_t)n) == -1)
		conn_free(c);
}

static void
on_relay_done(struct sk_relay *r, int failed, void *arg)
{
	struct conn	*c = arg;
	struct server	*srv = c->srv;

	c->bytes_in = sk_relay_stats(r)->received;
	c->bytes_out = sk_relay_stats(r)->sent;
	if (failed) {
		cmd_err(CMD, "%s: %s", c->name, sk_relay_error(r));
		srv->status = EXIT_RUNTIME;
	}
	/* Once stdin has ended, later clients get nothing from it. */
	if (sk_relay_in_done(r))
		srv->stdin_fd = -1;
	conn_free(c);
	if (srv->lfd != -1 && srv->o->keep_open)
		(void)sk_loop_mod(NULL, srv->loop, srv->lfd, SK_READ);
	else
		sk_loop_stop(srv->loop);
}

static void
conn_free(struct conn *c)
{
	struct server	*srv = c->srv;

	if (srv->o->c.verbose)
		cmd_err(CMD, "%s disconnected (in %llu B, out %llu B, "
		    "%.3f s)", c->name, (unsigned long long)c->bytes_in,
		    (unsigned long long)c->bytes_out,
		    (double)(sk_loop_now_ms() - c->start_ms) / 1000.0);
	sk_relay_free(c->relay);
	sk_loop_del(srv->loop, c->fd);
	close(c->fd);
	sk_buf_release(&c->out);
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	srv->nclients--;
	free(c);
}

/* --idle-timeout: one sweep a second drops the clients silent too long. */
static void
on_sweep(struct sk_loop *loop, long long id, void *arg)
{
	struct server	*srv = arg;
	struct conn	*c, *next;
	long long	 limit;

	(void)loop;
	(void)id;
	limit = sk_loop_now_ms() - srv->o->idle_timeout * 1000;
	for (c = srv->conns; c != NULL; c = next) {
		next = c->next;
		if (c->relay == NULL && c->last_ms < limit) {
			if (srv->o->c.verbose)
				cmd_err(CMD, "%s idle for %llds: dropped",
				    c->name, srv->o->idle_timeout);
			conn_free(c);
		}
	}
}

static void
teardown(struct server *srv)
{
	while (srv->conns != NULL)
		conn_free(srv->conns);
	if (srv->loop != NULL)
		cmd_signals_fini(srv->loop);
	if (srv->lfd != -1) {
		sk_loop_del(srv->loop, srv->lfd);
		close(srv->lfd);
	}
	/* Remove only the socket file we made, never what was there. */
	if (srv->unix_bound)
		(void)unlink(srv->o->unix_path);
	sk_loop_free(srv->loop);
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
	if (o.idle_timeout > 0 && sk_loop_timer_add(err, srv.loop, 1000, 1000,
	    on_sweep, &srv) == -1) {
		cmd_err(CMD, "%s", err);
		teardown(&srv);
		return EXIT_RUNTIME;
	}
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
