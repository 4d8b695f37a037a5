/*
 * tcp_server_stdio.c - tcp-server's default mode, netcat's "nc -l": one
 * client at a time, its bytes to stdout and stdin's to it, through a
 * relay (core/relay.c) that passes stdin's end on as a half-close.  The
 * listener is paused (-k) or closed while a session runs; the session's
 * own clock drives --idle-timeout (nothing moving either way) and -q.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sockkit/loop.h>
#include <sockkit/relay.h>

#include "cmd.h"
#include "tcp_server.h"

struct stdio_conn {
	struct conn		 c;
	struct sk_relay		*relay;
	uint64_t		 seen;		/* bytes moved at last_ms */
	long long		 eof_ms;	/* when stdin was all sent */
};

struct stdio_server {
	int			 stdin_fd;	/* -1 once it has ended */
};

static int
stdio_init(struct server *srv)
{
	struct stdio_server	*ss;

	if ((ss = calloc(1, sizeof(*ss))) == NULL) {
		cmd_err(CMD, "out of memory");
		return -1;
	}
	ss->stdin_fd = STDIN_FILENO;
	srv->mode = ss;
	return 0;
}

static void
stdio_fini(struct server *srv)
{
	free(srv->mode);
}

static void	on_relay_done(struct sk_relay *, int, void *);

/* Begin a stdio session with c: stdin to it, it to stdout. */
static int
stdio_join(struct conn *c)
{
	struct server		*srv = c->srv;
	struct stdio_server	*ss = srv->mode;
	struct stdio_conn	*sc = (struct stdio_conn *)c;
	struct sk_relay_opts	 ro;
	char			 err[SK_ERRLEN];

	memset(&ro, 0, sizeof(ro));
	/* A person at a terminal expects the session to end with the peer. */
	if (ss->stdin_fd != -1 && isatty(ss->stdin_fd))
		ro.flags |= SK_RELAY_PEER_EOF_ENDS;
	ro.stop = cmd_stop_flag();
	sc->relay = sk_relay_new(err, srv->loop, ss->stdin_fd, c->fd,
	    STDOUT_FILENO, &ro, on_relay_done, c);
	if (sc->relay == NULL) {
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

/*
 * A stdio session is over: close it, then serve the next client (-k) or
 * stop.  A failed session is the exit status of a one-session server;
 * one that keeps serving (-k) logs it and goes on, like --echo does.
 */
static void
stdio_end(struct stdio_conn *sc, int failed)
{
	struct server		*srv = sc->c.srv;
	struct stdio_server	*ss = srv->mode;

	if (failed && !srv->o->keep_open)
		srv->status = EXIT_RUNTIME;
	/* Once stdin has ended, later clients get nothing from it. */
	if (sk_relay_in_done(sc->relay))
		ss->stdin_fd = -1;
	conn_free(&sc->c);
	if (srv->lfd != -1 && srv->o->keep_open)
		(void)sk_loop_mod(NULL, srv->loop, srv->lfd, SK_READ);
	else
		sk_loop_stop(srv->loop);
}

static void
on_relay_done(struct sk_relay *r, int failed, void *arg)
{
	struct stdio_conn	*sc = arg;
	struct server		*srv = sc->c.srv;

	sc->c.bytes_in = sk_relay_stats(r)->received;
	sc->c.bytes_out = sk_relay_stats(r)->sent;
	if (failed && (sk_relay_out_errno(r) == EPIPE ||
	    sk_relay_out_errno(r) == EINTR)) {
		/* stdout's reader left: no one to serve; end quietly.  Or a
		 * signal came while stdout was full: it ends us (a reset). */
		if (sk_relay_out_errno(r) == EPIPE)
			cmd_stdout_gone();
		conn_free(&sc->c);
		sk_loop_stop(srv->loop);
		return;
	}
	if (failed)
		cmd_err(CMD, "%s: %s", sc->c.peer, sk_relay_error(r));
	stdio_end(sc, failed);
}

/*
 * A stdio session's clock (--idle-timeout, -q): idle when nothing has
 * moved either way for that long; -q ends it that long after all of
 * stdin was sent.  Returns 1 when it ended the session.
 */
static int
stdio_tick(struct conn *c, long long now)
{
	struct stdio_conn		*sc = (struct stdio_conn *)c;
	const struct server_opts	*o = c->srv->o;
	const struct sk_relay_stats	*st = sk_relay_stats(sc->relay);

	if (st->sent + st->received != sc->seen) {
		sc->seen = st->sent + st->received;
		c->last_ms = now;
	}
	if (o->quit_ms >= 0 && sc->eof_ms == 0 &&
	    sk_relay_sent_all(sc->relay))
		sc->eof_ms = now;
	c->bytes_in = st->received;
	c->bytes_out = st->sent;
	if (o->idle_ms > 0 && now - c->last_ms >= o->idle_ms) {
		/* Cut short: a reset, so the client cannot take it as whole. */
		cmd_err(CMD, "%s: idle for %.10g s (--idle-timeout): closing",
		    c->peer, (double)o->idle_ms / 1000);
		c->why = "idle";
		c->cut = 1;
		stdio_end(sc, 1);
		return 1;
	}
	if (sc->eof_ms != 0 && now - sc->eof_ms >= o->quit_ms) {
		c->why = "-q";
		stdio_end(sc, 0);
		return 1;
	}
	return 0;
}

static void
stdio_release(struct conn *c)
{
	sk_relay_free(((struct stdio_conn *)c)->relay);
}

const struct mode_ops mode_stdio = {
	.name = "stdio",
	.conn_size = sizeof(struct stdio_conn),
	.flags = MODE_ONE,
	.init = stdio_init,
	.fini = stdio_fini,
	.join = stdio_join,
	.tick = stdio_tick,
	.release = stdio_release,
};
