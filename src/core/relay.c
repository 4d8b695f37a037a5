/*
 * relay.c - copy both ways between a socket and local fds (see relay.h).
 *
 * On Linux some bytes need not pass through user space: a regular file on
 * stdin is sent with sendfile, and the socket is spliced into a pipe on
 * stdout, or through a pipe of our own into a file or /dev/null.  What
 * the kernel refuses (a terminal, an old kernel) falls back to read and
 * write, and framed relays or a data callback, which need the bytes,
 * always copy.
 */
#define _GNU_SOURCE		/* splice */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#ifdef __linux__
#include <sys/sendfile.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sockkit/buf.h>
#include <sockkit/frame.h>
#include <sockkit/loop.h>
#include <sockkit/net.h>
#include <sockkit/relay.h>

#include "err.h"

struct sk_relay {
	struct sk_loop		*loop;
	int			 in;
	int			 sock;
	int			 out;
	struct sk_relay_opts	 o;
	struct sk_buf		 tosock;	/* waiting to be sent */
	struct sk_buf		 line;		/* framed: a partial line */
	struct sk_frame_dec	 dec;		/* framed: frames received */
	uint8_t			*rbuf;		/* sock -> out */
	int			 zin;		/* in -> sock: ZC_* */
	int			 zblocked;	/* ...and the socket was full */
	int			 zout;		/* sock -> out: ZC_* */
	int			 zpipe[2];	/* ZC_VIA_PIPE: ours, or -1 */
	int			 out_sock;	/* out is a socket: use send */
	int			 in_done;	/* in has ended */
	int			 shut;		/* our write side is shut */
	int			 peer_done;	/* the peer's side has ended */
	int			 send_dead;	/* reset: read what is left */
	int			 ended;
	sk_relay_done_cb	*done;
	void			*arg;
	struct sk_relay_stats	 st;
	int			 out_errno;	/* writing `out` failed: why */
	char			 err[SK_ERRLEN];
};

/* How a direction moves bytes without copying them (Linux). */
enum {
	ZC_NONE,	/* read and write */
	ZC_SPLICE,	/* splice from the socket into a pipe */
	ZC_SENDFILE,	/* sendfile from a regular file */
	ZC_VIA_PIPE	/* splice through our own pipe into a file */
};

static void	on_in(struct sk_loop *, int, int, void *);
static void	on_sock(struct sk_loop *, int, int, void *);

/*
 * Watch `in` only while nothing waits to be sent (that is the
 * backpressure), and the socket for what each direction still needs:
 * writability also when only the half-close is left to do.
 */
static int
update(struct sk_relay *r)
{
	int	mask = 0, pending = sk_buf_len(&r->tosock) > 0 || r->zblocked;

	if (r->in != -1 && !r->in_done) {
		mask = pending || r->send_dead ? 0 : SK_READ;
		if (sk_loop_mod(r->err, r->loop, r->in, mask) == -1)
			return -1;
	}
	mask = (r->peer_done ? 0 : SK_READ) | (!r->send_dead && (pending ||
	    (r->in_done && !r->shut)) ? SK_WRITE : 0);
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

/*
 * Both directions over?  Then finish; returns 1 when it did.  A relay
 * whose sending failed ends, failed, once the peer's side has been read.
 */
static int
check_end(struct sk_relay *r)
{
	if (r->peer_done && ((r->o.flags & SK_RELAY_PEER_EOF_ENDS) ||
	    (r->in_done && r->shut) || r->send_dead)) {
		finish(r, r->send_dead);
		return 1;
	}
	return 0;
}

/*
 * Sending failed.  When the peer has reset the connection (EPIPE,
 * ECONNRESET), what it sent before the reset may still wait to be read,
 * and is often the point (why it turned us away): stop sending and
 * reading `in`, read the socket to its end, then fail with this error.
 * Any other error fails at once.
 */
static void
send_failed(struct sk_relay *r)
{
	core_errno(r->err, "send");
	if ((errno != EPIPE && errno != ECONNRESET) || r->peer_done) {
		finish(r, 1);
		return;
	}
	r->send_dead = 1;
	r->zblocked = 0;
	sk_buf_consume(&r->tosock, sk_buf_len(&r->tosock));
	if (update(r) == -1)
		finish(r, 1);
}

/* Send what waits; at the end of input, shut our side.  -1: finished. */
static int
flush_sock(struct sk_relay *r)
{
	ssize_t	n;

	r->zblocked = 0;
	if ((n = sk_buf_write(&r->tosock, r->sock)) == -1) {
		send_failed(r);
		return -1;
	}
	r->st.sent += (uint64_t)n;
	if (r->in_done && sk_buf_len(&r->tosock) == 0 && !r->shut) {
		r->shut = 1;
		if (!(r->o.flags & SK_RELAY_NO_HALFCLOSE))
			(void)shutdown(r->sock, SHUT_WR);
	}
	return 0;
}

/* Framed: turn the whole lines held (all of them at the end) into frames. */
static int
frame_lines(struct sk_relay *r)
{
	const uint8_t	*p = sk_buf_data(&r->line), *nl;
	size_t		 len = sk_buf_len(&r->line), used = 0, n;

	while (used < len) {
		nl = memchr(p + used, '\n', len - used);
		if (nl == NULL && !r->in_done)
			break;
		n = nl != NULL ? (size_t)(nl - (p + used)) : len - used;
		if (sk_frame_encode(&r->tosock, p + used, n) == -1) {
			core_errno(r->err, "frame a line");
			return -1;
		}
		used += n + (nl != NULL);
	}
	sk_buf_consume(&r->line, used);
	if (sk_buf_full(&r->line)) {
		errno = EMSGSIZE;
		core_err(r->err, "an input line is longer than a frame may be "
		    "(%zu bytes)", r->o.max_frame);
		return -1;
	}
	return 0;
}

/*
 * Send straight from the file `in` to the socket.  Returns what was sent,
 * 0 at the end of the file, -1 with errno EAGAIN when the socket is full,
 * or -1 with errno EINVAL when the kernel will not: then copying takes
 * over for good.
 */
static ssize_t
zc_send(struct sk_relay *r)
{
	ssize_t	n = -1;

	errno = EINVAL;
#ifdef __linux__
	do {
		n = sendfile(r->sock, r->in, NULL, SK_RELAY_BUFSZ);
	} while (n == -1 && errno == EINTR);
#endif
	if (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK &&
	    (errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
		r->zin = ZC_NONE;
		errno = EINVAL;
	}
	return n;
}

static void
on_in(struct sk_loop *loop, int fd, int mask, void *arg)
{
	struct sk_relay	*r = arg;
	int		 framed = r->o.flags & SK_RELAY_FRAMED;
	ssize_t		 n;

	(void)loop;
	(void)mask;
	if (r->zin != ZC_NONE) {
		n = zc_send(r);
		if (n > 0) {
			r->st.sent += (uint64_t)n;
			return;
		}
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* Wait for room in the socket, not for `in`. */
			r->zblocked = 1;
			if (update(r) == -1)
				finish(r, 1);
			return;
		}
		if (n == -1 && r->zin != ZC_NONE) {
			send_failed(r);
			return;
		}
		if (n == 0) {
			r->in_done = 1;
			sk_loop_del(r->loop, fd);
			if (update(r) == -1)
				finish(r, 1);
			return;
		}
		/* The kernel refused: copy from here on. */
	}
	n = sk_buf_read(framed ? &r->line : &r->tosock, fd, SK_RELAY_BUFSZ);
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
	if (framed && frame_lines(r) == -1) {
		finish(r, 1);
		return;
	}
	if (flush_sock(r) == -1 || check_end(r))
		return;
	if (update(r) == -1)
		finish(r, 1);
}

/* Told to stop (a signal) while a write to out waited: give up. */
static int
stopped(const struct sk_relay *r)
{
	if (r->o.stop == NULL || *r->o.stop == 0)
		return 0;
	errno = EINTR;
	return 1;
}

/*
 * Write all of p to out: send(2) to a socket, write(2) to the rest.
 * Blocking, but a write that a signal cut short (EINTR, or short) looks
 * at the stop flag before it goes on.
 */
static int
write_out(struct sk_relay *r, const void *p, size_t n)
{
	const char	*c = p;
	struct pollfd	 pfd;
	ssize_t		 w;

	while (n > 0) {
		if (stopped(r))
			return -1;
		w = r->out_sock ? sk_net_write(r->out, c, n) :
		    write(r->out, c, n);
		if (w > 0) {
			c += w;
			n -= (size_t)w;
		} else if (w == -1 && errno == EINTR)
			continue;
		else if (w == -1 && (errno == EAGAIN ||
		    errno == EWOULDBLOCK)) {
			/* A nonblocking out (inherited so): wait, in
			 * steps, so the stop flag is seen. */
			pfd.fd = r->out;
			pfd.events = POLLOUT;
			if (poll(&pfd, 1, 100) == -1 && errno != EINTR)
				return -1;
		} else {
			if (w == 0)
				errno = EIO;
			return -1;
		}
	}
	return 0;
}

/* Write p and, if asked, a newline after it: one write when it can be. */
static int
put_out(struct sk_relay *r, const uint8_t *p, size_t n, int newline)
{
	struct iovec	iov[2];
	ssize_t		w;
	size_t		done;
	int		fd = r->out;

	if (!newline)
		return write_out(r, p, n);
	iov[0].iov_base = (void *)(uintptr_t)p;
	iov[0].iov_len = n;
	iov[1].iov_base = "\n";
	iov[1].iov_len = 1;
	do
		w = writev(fd, iov, 2);
	while (w == -1 && errno == EINTR && !stopped(r));
	if (w == (ssize_t)n + 1)
		return 0;
	if (w == -1 && errno != EAGAIN && errno != EWOULDBLOCK)
		return -1;
	/* A short write: finish from where it stopped. */
	done = w > 0 ? (size_t)w : 0;
	if (done < n && write_out(r, p + done, n - done) == -1)
		return -1;
	return write_out(r, "\n", 1);
}

/* Deliver what was received to out and to the data callback. */
static int
deliver(struct sk_relay *r, const uint8_t *p, size_t n, int newline)
{
	r->st.received += n;
	if (r->out != -1 && put_out(r, p, n, newline) == -1) {
		r->out_errno = errno;
		core_errno(r->err, "write output");
		return -1;
	}
	if (r->o.on_data != NULL && r->o.on_data(p, n, r->o.data_arg))
		return 1;
	return 0;
}

/*
 * Move what our pipe holds into `out`.  If the kernel will not splice
 * into it, copy it out instead and stop splicing.  Returns 0 or -1.
 */
static int
zc_drain(struct sk_relay *r, size_t left)
{
	ssize_t	n;

	while (left > 0) {
		if (stopped(r))
			return -1;
		n = -1;
#ifdef __linux__
		if (r->zout != ZC_NONE)
			n = splice(r->zpipe[0], NULL, r->out, NULL, left,
			    SPLICE_F_MOVE);
#endif
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && r->zout != ZC_NONE && errno != EINVAL)
			return -1;
		if (n == -1) {
			r->zout = ZC_NONE;
			if ((n = read(r->zpipe[0], r->rbuf, left <
			    SK_RELAY_BUFSZ ? left : SK_RELAY_BUFSZ)) <= 0 ||
			    write_out(r, r->rbuf, (size_t)n) == -1)
				return -1;
		}
		left -= (size_t)n;
	}
	return 0;
}

/*
 * Receive straight into `out` (a pipe) or through our pipe.  Returns what
 * read() would: a count, 0 at the end of the stream, -1 with errno.
 */
static ssize_t
zc_receive(struct sk_relay *r)
{
	ssize_t	n = -1;

	errno = EINVAL;
#ifdef __linux__
	do
		n = splice(r->sock, NULL, r->zout == ZC_SPLICE ? r->out :
		    r->zpipe[1], NULL, SK_RELAY_BUFSZ, SPLICE_F_MOVE |
		    (r->zout == ZC_VIA_PIPE ? SPLICE_F_NONBLOCK : 0));
	while (n == -1 && errno == EINTR && !stopped(r));
#endif
	/* Cut short by a signal while `out` was full. */
	if (n == -1 && errno == EINTR) {
		r->out_errno = errno;
		core_err(r->err, "write output: interrupted");
		return -2;
	}
	if (n > 0 && r->zout == ZC_VIA_PIPE && zc_drain(r, (size_t)n) == -1) {
		r->out_errno = errno;
		core_errno(r->err, "write output");
		return -2;
	}
	/* Spliced into `out`, a pipe whose reader has gone: its fault. */
	if (n == -1 && errno == EPIPE && r->zout == ZC_SPLICE) {
		r->out_errno = errno;
		core_errno(r->err, "write output");
		return -2;
	}
	return n;
}

/* Read once from the socket; returns -1 or 1 after finishing. */
static int
receive(struct sk_relay *r)
{
	const uint8_t	*payload;
	uint32_t	 plen;
	ssize_t		 n;
	int		 rc, got;

	/* A signal came: what is read now could only wait on `out`. */
	if (stopped(r)) {
		r->out_errno = EINTR;
		core_err(r->err, "write output: interrupted");
		finish(r, 1);
		return -1;
	}
	if (r->zout != ZC_NONE) {
		n = zc_receive(r);
		if (n > 0) {
			r->st.received += (uint64_t)n;
			return 0;
		}
		if (n == -2 || (n == -1 && errno != EAGAIN &&
		    errno != EWOULDBLOCK && errno != EINVAL)) {
			if (n == -1)
				core_errno(r->err, "receive");
			finish(r, 1);
			return -1;
		}
		if (n == 0) {
			r->peer_done = 1;
			return 0;
		}
		if (errno != EINVAL)
			return 0;
		/* The kernel refused: copy from here on. */
		r->zout = ZC_NONE;
	}
	if (r->o.flags & SK_RELAY_FRAMED)
		n = sk_frame_dec_read(&r->dec, r->sock, SK_RELAY_BUFSZ);
	else
		do
			n = read(r->sock, r->rbuf, SK_RELAY_BUFSZ);
		while (n == -1 && errno == EINTR);
	if (n == 0) {
		r->peer_done = 1;
		if (sk_frame_dec_pending(&r->dec) > 0) {
			core_err(r->err, "the stream ended inside a frame");
			finish(r, 1);
			return -1;
		}
		return 0;
	}
	if (n == -1) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		if (errno == EMSGSIZE)
			core_err(r->err, "received a frame over the maximum "
			    "(%zu bytes)", r->o.max_frame);
		else
			core_errno(r->err, "receive");
		finish(r, 1);
		return -1;
	}
	if (!(r->o.flags & SK_RELAY_FRAMED))
		rc = deliver(r, r->rbuf, (size_t)n, 0);
	else
		for (rc = 0; rc == 0; rc = deliver(r, payload, plen, 1)) {
			got = sk_frame_dec_next(&r->dec, &payload, &plen);
			if (got == 0)
				break;
			if (got == -1) {
				core_err(r->err, "received a frame over the "
				    "maximum (%zu bytes)", r->o.max_frame);
				rc = -1;
				break;
			}
		}
	if (rc != 0) {
		finish(r, rc == -1);
		return -1;
	}
	return 0;
}

static void
on_sock(struct sk_loop *loop, int fd, int mask, void *arg)
{
	struct sk_relay	*r = arg;

	(void)loop;
	(void)fd;
	if ((mask & SK_WRITE) && !r->send_dead && flush_sock(r) == -1)
		return;
	if ((mask & SK_READ) && !r->peer_done && receive(r) == -1)
		return;
	if (check_end(r))
		return;
	if (update(r) == -1)
		finish(r, 1);
}

/*
 * Decide, once, which directions can skip user space.  Only plain relays
 * qualify, and only fds whose blocking behaviour splice keeps: `out` must
 * be blocking, since its writes are.
 */
static void
choose_zero_copy(struct sk_relay *r)
{
#ifdef __linux__
	struct sigaction sa;
	struct stat	 st;
	int		 fl;

	if (r->o.flags & SK_RELAY_FRAMED)
		return;
	/*
	 * splice and sendfile into a socket whose peer has gone raise
	 * SIGPIPE, and have no MSG_NOSIGNAL: use them only in a process
	 * that ignores the signal already.
	 */
	/*
	 * A pipe is not spliced into the socket: measured, it is slower than
	 * copying, as the pipe's pages stay pinned until TCP has them acked.
	 */
	if (r->in != -1 && sigaction(SIGPIPE, NULL, &sa) == 0 &&
	    sa.sa_handler == SIG_IGN && fstat(r->in, &st) == 0 &&
	    S_ISREG(st.st_mode))
		r->zin = ZC_SENDFILE;
	if (r->out == -1 || r->o.on_data != NULL ||
	    fstat(r->out, &st) == -1 ||
	    (fl = fcntl(r->out, F_GETFL)) == -1 || (fl & O_NONBLOCK))
		return;
	if (S_ISFIFO(st.st_mode))
		r->zout = ZC_SPLICE;
	else if ((S_ISREG(st.st_mode) || S_ISCHR(st.st_mode)) &&
	    !isatty(r->out) && pipe2(r->zpipe, O_CLOEXEC) == 0)
		r->zout = ZC_VIA_PIPE;
#else
	(void)r;
#endif
}

struct sk_relay *
sk_relay_new(char *err, struct sk_loop *loop, int in, int sock, int out,
    const struct sk_relay_opts *opts, sk_relay_done_cb *done, void *arg)
{
	struct sk_relay	*r;
	struct stat	 st;

	/* Page-aligned: the kernel copies into it much faster. */
	if ((r = calloc(1, sizeof(*r))) == NULL ||
	    posix_memalign((void **)&r->rbuf, 4096, SK_RELAY_BUFSZ) != 0) {
		free(r);
		core_errno(err, "relay");
		return NULL;
	}
	r->loop = loop;
	r->in = in;
	r->sock = sock;
	r->out = out;
	if (opts != NULL)
		r->o = *opts;
	if (r->o.max_frame == 0)
		r->o.max_frame = SK_FRAME_MAX_DEFAULT;
	r->done = done;
	r->arg = arg;
	r->in_done = in == -1;
	/* Backpressure is by not reading `in` while bytes wait. */
	sk_buf_init(&r->tosock, 0);
	sk_buf_init(&r->line, r->o.max_frame + 1);
	sk_frame_dec_init(&r->dec, r->o.max_frame);
	r->zpipe[0] = r->zpipe[1] = -1;
	r->out_sock = out != -1 && fstat(out, &st) == 0 &&
	    S_ISSOCK(st.st_mode);
	choose_zero_copy(r);
	if (sk_net_nonblock(err, sock, 1) == -1)
		goto fail;
	if (in != -1 && sk_loop_add(err, loop, in, SK_READ, on_in, r) == -1)
		goto fail;
	if (sk_loop_add(err, loop, sock, SK_READ | (r->in_done ? SK_WRITE : 0),
	    on_sock, r) == -1) {
		if (in != -1)
			sk_loop_del(loop, in);
		goto fail;
	}
	return r;
fail:
	sk_relay_free(r);
	return NULL;
}

int
sk_relay_queue(struct sk_relay *r, const void *p, size_t n)
{
	if (sk_buf_append(&r->tosock, p, n) == -1)
		return -1;
	/* Send it first: hold `in` back until the queue drains. */
	return update(r);
}

void
sk_relay_free(struct sk_relay *r)
{
	if (r == NULL)
		return;
	if (!r->ended && r->loop != NULL) {
		if (r->in != -1)
			sk_loop_del(r->loop, r->in);
		sk_loop_del(r->loop, r->sock);
	}
	if (r->zpipe[0] != -1) {
		close(r->zpipe[0]);
		close(r->zpipe[1]);
	}
	sk_buf_release(&r->tosock);
	sk_buf_release(&r->line);
	sk_frame_dec_release(&r->dec);
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

int
sk_relay_sent_all(const struct sk_relay *r)
{
	return r->shut;
}

const char *
sk_relay_error(const struct sk_relay *r)
{
	return r->err;
}

int
sk_relay_out_errno(const struct sk_relay *r)
{
	return r->out_errno;
}
