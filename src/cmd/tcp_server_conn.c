/*
 * tcp_server_conn.c - tcp-server's clients, the same in every mode:
 * accepted (or turned away: --max-clients, out of descriptors), read
 * into the shared buffer and handed to the mode, their queues written,
 * bounded (--max-total, --idle-timeout) and closed.  What a mode does
 * with a client's bytes is its own (struct mode_ops, tcp_server.h).
 *
 * A client that breaks a rule is doomed, not freed at once: the handlers
 * up the stack may still hold it, so the doomed are reaped at the end of
 * each event, and a mode's news of their leaving may doom more.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
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

static struct conn *
conn_new(struct server *srv, int fd, const struct sockaddr_storage *ss,
    socklen_t sslen)
{
	struct conn	*c;

	if ((c = calloc(1, srv->ops->conn_size)) == NULL)
		return NULL;
	c->srv = srv;
	c->fd = fd;
	c->start_ms = c->last_ms = sk_loop_now_ms();
	sk_buf_init(&c->out, srv->outlimit);
	if (ss->ss_family == AF_UNIX)
		snprintf(c->peer, sizeof(c->peer), "unix:%d", fd);
	else
		sk_net_addr_str((const struct sockaddr *)ss, sslen, c->peer,
		    sizeof(c->peer));
	c->next = srv->conns;
	if (srv->conns != NULL)
		srv->conns->prev = c;
	srv->conns = c;
	srv->nclients++;
	if (srv->o->c.verbose)
		cmd_err(CMD, "%s connected", c->peer);
	return c;
}

static void
on_resume(struct sk_loop *loop, long long id, void *arg)
{
	struct server	*srv = arg;

	(void)id;
	/* A one-client mode keeps the listener paused until it ends. */
	if (srv->lfd != -1 && (!(srv->ops->flags & MODE_ONE) ||
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
 * This makes "server full (why)" as a line, or a frame with --frame.
 */
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

/* --max-clients: a client past N is told so and reset (cmd_accept). */
static int
over_max(void *arg, int fd)
{
	struct server	*srv = arg;

	if (srv->o->max_clients == 0 || srv->nclients < srv->o->max_clients)
		return 0;
	if (srv->o->c.verbose)
		cmd_err(CMD, "refused a client: %d clients already "
		    "(--max-clients)", srv->nclients);
	refuse(srv, fd);
	return 1;
}

void
accept_init(struct server *srv)
{
	/* Out of descriptors, a client is told, not left to wait. */
	srv->fulllen = full_message(srv, "out of descriptors", srv->full,
	    sizeof(srv->full));
	srv->wfulllen = full_message(srv, "select's fd limit", srv->wfull,
	    sizeof(srv->wfull));
	srv->acc = (struct cmd_accept){ .cmd = CMD, .resume = on_resume,
	    .arg = srv, .full = srv->full, .fulllen = srv->fulllen,
	    .wfull = srv->wfull, .wfulllen = srv->wfulllen, .reset = 1,
	    .nodelay = 1, .say_errors = 1, .refuse = over_max };
}

void
on_accept(struct sk_loop *loop, int lfd, int mask, void *arg)
{
	struct server		*srv = arg;
	struct sockaddr_storage	 ss;
	struct conn		*c;
	socklen_t		 sslen;
	int			 fd;

	(void)mask;
	/* Take every pending client, so a burst costs one wakeup (a
	 * one-client mode pauses the listener in join()). */
	while (srv->lfd != -1 && sk_loop_mask(loop, lfd) == SK_READ &&
	    (fd = cmd_accept_next(&srv->acc, loop, lfd, &ss, &sslen)) != -1) {
		if ((c = conn_new(srv, fd, &ss, sslen)) == NULL) {
			cmd_err(CMD, "out of memory: dropped a client");
			close(fd);
			continue;
		}
		if (srv->ops->join(c) == -1)
			conn_free(c);
	}
	reap(srv);
}

void
doom(struct conn *c, const char *why)
{
	if (c->doomed)
		return;
	c->doomed = 1;
	c->why = why;
	c->srv->ndoomed++;
}

/*
 * --max-total bounds all clients together, or 200 slow chat members at
 * 1 MiB each, or 20 clients each halfway through a 16 MiB frame, would
 * pin hundreds of megabytes.
 */
void
account(struct conn *c)
{
	const struct mode_ops	*ops = c->srv->ops;
	/* What is allocated, not only used: a buffer grows by doubling. */
	size_t	now = c->out.cap + (ops->held != NULL ? ops->held(c) : 0);

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
 * What to watch c for while its queue waits: an echo client is not read
 * meanwhile (backpressure); a chat member is (a full queue drops it).
 */
static int
send_mask(const struct conn *c)
{
	return (c->srv->ops->flags & MODE_READING) && !c->eof ?
	    SK_READ | SK_WRITE : SK_WRITE;
}

ssize_t
conn_write(struct conn *c, const uint8_t *p, size_t n)
{
	ssize_t	w;

	if ((w = sk_net_write(c->fd, p, n)) == -1 && errno != EAGAIN &&
	    errno != EWOULDBLOCK) {
		doom(c, "gone");
		return -1;
	}
	if (w < 0)
		w = 0;
	c->bytes_out += (uint64_t)w;
	return w;
}

void
conn_send(struct conn *c, const uint8_t *p, size_t n)
{
	ssize_t	w = 0;

	if (c->doomed || n == 0)
		return;
	if (sk_buf_len(&c->out) == 0 && ((w = conn_write(c, p, n)) == -1 ||
	    (size_t)w == n))
		return;
	if (sk_buf_append(&c->out, p + w, n - (size_t)w) == -1) {
		doom(c, "not reading");
		return;
	}
	account(c);
	(void)sk_loop_mod(NULL, c->srv->loop, c->fd, send_mask(c));
}

void
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

void
take_frames(struct conn *c, struct sk_frame_dec *dec, const uint8_t *p,
    size_t n, void (*frame)(struct conn *, uint8_t *, uint32_t))
{
	struct server	*srv = c->srv;
	const uint8_t	*payload;
	uint32_t	 plen;
	int		 rc = 0;	/* a doomed client runs no loop */

	if (sk_frame_dec_feed(dec, p, n) == -1 && errno != EMSGSIZE) {
		doom(c, "out of memory");
		return;
	}
	while (!c->doomed && !c->eof &&
	    (rc = sk_frame_dec_next(dec, &payload, &plen)) == 1)
		frame(c, (uint8_t *)(uintptr_t)payload, plen);
	if (rc == -1 && !c->doomed) {
		/* Logged whatever -v says: this is a misbehaving client. */
		if (srv->framemax < (size_t)srv->o->max_frame)
			cmd_err(CMD, "%s: frame of %lld bytes is over the %zu a "
			    "member's queue holds (--max-queue): dropped",
			    c->peer, sk_frame_dec_announced(dec),
			    srv->framemax);
		else
			cmd_err(CMD, "%s: frame of %lld bytes is over "
			    "--max-frame %lld: dropped", c->peer,
			    sk_frame_dec_announced(dec), srv->o->max_frame);
		c->cut = 1;	/* a reset: not all of it was taken */
		doom(c, "frame too big");
	}
	/* Between frames an idle client holds no buffer. */
	if (sk_frame_dec_pending(dec) == 0)
		sk_frame_dec_release(dec);
}

void
on_prewait(struct sk_loop *loop, void *arg)
{
	struct server	*srv = arg;

	(void)loop;
	srv->ops->prewait(srv);
	reap(srv);
}

static void
on_readable(struct conn *c)
{
	struct server		*srv = c->srv;
	const struct mode_ops	*ops = srv->ops;
	ssize_t			 n;
	uint8_t			*p;

	p = ops->read_buf != NULL ? ops->read_buf(c) : srv->rbuf;
	do
		n = read(c->fd, p, RBUFSZ);
	while (n == -1 && errno == EINTR);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n <= 0) {
		if (n == 0 && ops->end != NULL)
			ops->end(c);
		/* End of stream: send what is still owed, then close. */
		c->eof = 1;
		if (n == -1 || (sk_buf_len(&c->out) == 0 &&
		    (ops->owes == NULL || !ops->owes(c))))
			doom(c, NULL);
		else
			(void)sk_loop_mod(NULL, srv->loop, c->fd, SK_WRITE);
		return;
	}
	c->bytes_in += (uint64_t)n;
	/* The clock is only needed for --idle-timeout: spare it otherwise. */
	if (srv->o->idle_ms > 0)
		c->last_ms = sk_loop_now_ms();
	if (ops->data != NULL)
		ops->data(c, p, (size_t)n);
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
	reap(srv);
}

int
conn_watch(struct conn *c)
{
	char	err[SK_ERRLEN];

	if (sk_loop_add(err, c->srv->loop, c->fd, SK_READ, on_client,
	    c) == -1) {
		cmd_err(CMD, "%s", err);
		return -1;
	}
	return 0;
}

/* Unlink c and release all it holds but its memory, quietly. */
static void
conn_release(struct conn *c)
{
	struct server	*srv = c->srv;

	/* Unlinked first: nothing after this reaches c through the list. */
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	srv->nclients--;
	if (srv->ops->release != NULL)
		srv->ops->release(c);
	/* Stopped by a signal, or cut: a reset, so the client knows. */
	cmd_conn_close(srv->loop, c->fd, cmd_signalled() || c->cut);
	srv->held -= c->held;
	sk_buf_release(&c->out);
}

void
reap(struct server *srv)
{
	struct conn	*c, *next;

	while (srv->ndoomed > 0) {
		srv->ndoomed = 0;
		/* conn_free() may doom others (never free them): those
		 * before c are taken by the next round. */
		for (c = srv->conns; c != NULL; c = next) {
			next = c->next;
			if (c->doomed)
				conn_free(c);
		}
	}
}

void
conn_free(struct conn *c)
{
	struct server	*srv = c->srv;

	if (srv->o->c.verbose)
		cmd_err(CMD, "%s disconnected (in %llu B, out %llu B, "
		    "%.3f s)%s%s", c->peer, (unsigned long long)c->bytes_in,
		    (unsigned long long)c->bytes_out,
		    (double)(sk_loop_now_ms() - c->start_ms) / 1000.0,
		    c->why != NULL ? ": " : "", c->why != NULL ? c->why : "");
	conn_release(c);
	if (srv->ops->left != NULL)
		srv->ops->left(c);
	free(c);
}

void
conn_free_all(struct server *srv)
{
	struct conn	*c, *next;

	/* Leaving at shutdown is not news: close quietly. */
	for (c = srv->conns; c != NULL; c = next) {
		next = c->next;
		conn_release(c);
		free(c);
	}
}

/*
 * --idle-timeout and -q: a sweep drops the clients silent too long, a
 * few times per timeout (at most once a second), so a client is dropped
 * between SECS and 1.25 SECS after it went quiet.  A mode with a clock
 * of its own (stdio's) ticks instead.
 */
void
on_sweep(struct sk_loop *loop, long long id, void *arg)
{
	struct server	*srv = arg;
	struct conn	*c;
	long long	 now = sk_loop_now_ms();

	(void)loop;
	(void)id;
	for (c = srv->conns; c != NULL; c = c->next) {
		if (srv->ops->tick != NULL) {
			if (srv->ops->tick(c, now))
				return;		/* c is freed */
			continue;
		}
		if (srv->o->idle_ms > 0 && now - c->last_ms >= srv->o->idle_ms)
			doom(c, "idle");
	}
	reap(srv);
}
