/*
 * relay.c - copy both ways between a socket and local fds (see relay.h).
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sockkit/buf.h>
#include <sockkit/loop.h>
#include <sockkit/net.h>
#include <sockkit/relay.h>

#include "err.h"

struct sk_relay {
	struct sk_loop		*loop;
	int			 in;
	int			 sock;
	int			 out;
	int			 flags;
	struct sk_buf		 tosock;	/* read from in, not yet sent */
	uint8_t			*rbuf;		/* sock -> out */
	int			 in_done;	/* in has ended */
	int			 shut;		/* our write side is shut */
	int			 peer_done;	/* the peer's side has ended */
	int			 ended;
	sk_relay_done_cb	*done;
	void			*arg;
	struct sk_relay_stats	 st;
	char			 err[SK_ERRLEN];
};

static void	on_in(struct sk_loop *, int, int, void *);
static void	on_sock(struct sk_loop *, int, int, void *);

/*
 * Watch `in` only while nothing waits to be sent (that is the
 * backpressure), and the socket for what each direction still needs.
 */
static int
update(struct sk_relay *r)
{
	int	mask = 0;

	if (r->in != -1 && !r->in_done) {
		mask = sk_buf_len(&r->tosock) == 0 ? SK_READ : 0;
		if (sk_loop_mod(r->err, r->loop, r->in, mask) == -1)
			return -1;
	}
	mask = (r->peer_done ? 0 : SK_READ) |
	    (sk_buf_len(&r->tosock) > 0 ? SK_WRITE : 0);
	return sk_loop_mod(r->err, r->loop, r->sock, mask);
}

/*
 * End the relay and tell the owner, who may free it: callers return at
 * once after this.
 */
static void
finish(struct sk_relay *r, int failed)
{
	if (r->ended)
		return;
	r->ended = 1;
	if (r->in != -1)
		sk_loop_del(r->loop, r->in);
	sk_loop_del(r->loop, r->sock);
	if (!failed)
		r->err[0] = '\0';
	r->done(r, failed, r->arg);
}

/* Both directions over?  Then finish; returns 1 when it did. */
static int
check_end(struct sk_relay *r)
{
	if (r->peer_done && (r->flags & SK_RELAY_PEER_EOF_ENDS)) {
		finish(r, 0);
		return 1;
	}
	if (r->in_done && sk_buf_len(&r->tosock) == 0 && r->peer_done) {
		finish(r, 0);
		return 1;
	}
	return 0;
}

static void
half_close(struct sk_relay *r)
{
	if (r->shut)
		return;
	r->shut = 1;
	if (!(r->flags & SK_RELAY_NO_HALFCLOSE))
		(void)shutdown(r->sock, SHUT_WR);
}

/* Send what waits; returns -1 after finishing with an error. */
static int
flush_sock(struct sk_relay *r)
{
	ssize_t	n;

	if ((n = sk_buf_write(&r->tosock, r->sock)) == -1) {
		core_errno(r->err, "send");
		finish(r, 1);
		return -1;
	}
	r->st.sent += (uint64_t)n;
	if (r->in_done && sk_buf_len(&r->tosock) == 0)
		half_close(r);
	return 0;
}

static void
on_in(struct sk_loop *loop, int fd, int mask, void *arg)
{
	struct sk_relay	*r = arg;
	ssize_t		 n;

	(void)loop;
	(void)mask;
	n = sk_buf_read(&r->tosock, fd, SK_RELAY_BUFSZ);
	if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return;
	if (n == -1) {
		core_errno(r->err, "read input");
		finish(r, 1);
		return;
	}
	if (n == 0) {
		r->in_done = 1;
		sk_loop_del(r->loop, fd);
	}
	if (flush_sock(r) == -1 || check_end(r))
		return;
	if (update(r) == -1)
		finish(r, 1);
}

static void
on_sock(struct sk_loop *loop, int fd, int mask, void *arg)
{
	struct sk_relay	*r = arg;
	ssize_t		 n;

	(void)loop;
	if ((mask & SK_WRITE) && flush_sock(r) == -1)
		return;
	if ((mask & SK_READ) && !r->peer_done) {
		do
			n = read(fd, r->rbuf, SK_RELAY_BUFSZ);
		while (n == -1 && errno == EINTR);
		if (n > 0) {
			r->st.received += (uint64_t)n;
			if (r->out != -1 && sk_net_send_all(r->err, r->out,
			    r->rbuf, (size_t)n, -1) == -1) {
				core_errno(r->err, "write output");
				finish(r, 1);
				return;
			}
		} else if (n == 0)
			r->peer_done = 1;
		else if (errno != EAGAIN && errno != EWOULDBLOCK) {
			core_errno(r->err, "receive");
			finish(r, 1);
			return;
		}
	}
	if (check_end(r))
		return;
	if (update(r) == -1)
		finish(r, 1);
}

struct sk_relay *
sk_relay_new(char *err, struct sk_loop *loop, int in, int sock, int out,
    int flags, sk_relay_done_cb *done, void *arg)
{
	struct sk_relay	*r;

	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    (r->rbuf = malloc(SK_RELAY_BUFSZ)) == NULL) {
		free(r);
		core_errno(err, "relay");
		return NULL;
	}
	r->loop = loop;
	r->in = in;
	r->sock = sock;
	r->out = out;
	r->flags = flags;
	r->done = done;
	r->arg = arg;
	sk_buf_init(&r->tosock, SK_RELAY_BUFSZ);
	if (sk_net_nonblock(err, sock, 1) == -1)
		goto fail;
	if (in == -1) {
		r->in_done = 1;
		half_close(r);
	} else if (sk_loop_add(err, loop, in, SK_READ, on_in, r) == -1)
		goto fail;
	if (sk_loop_add(err, loop, sock, SK_READ, on_sock, r) == -1) {
		if (in != -1)
			sk_loop_del(loop, in);
		goto fail;
	}
	return r;
fail:
	sk_buf_release(&r->tosock);
	free(r->rbuf);
	free(r);
	return NULL;
}

void
sk_relay_free(struct sk_relay *r)
{
	if (r == NULL)
		return;
	if (!r->ended) {
		if (r->in != -1 && !r->in_done)
			sk_loop_del(r->loop, r->in);
		sk_loop_del(r->loop, r->sock);
	}
	sk_buf_release(&r->tosock);
	free(r->rbuf);
	free(r);
}

const struct sk_relay_stats *
sk_relay_stats(const struct sk_relay *r)
{
	return &r->st;
}

int
sk_relay_in_done(const struct sk_relay *r)
{
	return r->in_done;
}

const char *
sk_relay_error(const struct sk_relay *r)
{
	return r->err;
}
