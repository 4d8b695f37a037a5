/*
 * http_conn.c - a connection's life in sockkit http, in the order events
 * come: accepted; a head read and parsed (sk_http_parse_request) while
 * its deadline runs; the reply written (headers and a small body in one
 * write, a file body with sendfile); then the next pipelined request,
 * keep-alive, or a linger and close.  A client's FIN only ends what it
 * sends: what it asked for is still sent.  Every tick drops connections
 * past their deadline.
 */
#define _GNU_SOURCE		/* MSG_MORE */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#ifdef __linux__
#include <sys/sendfile.h>
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sockkit/buf.h>
#include <sockkit/http.h>
#include <sockkit/loop.h>
#include <sockkit/net.h>
#include <sockkit/text.h>

#include "http.h"

/* Out of descriptors: what a client is told before it is turned away. */
#define FULL_503 "HTTP/1.1 503 Service Unavailable\r\nServer: sockkit/" \
	SOCKKIT_VERSION "\r\nRetry-After: 1\r\nContent-Length: 0\r\n" \
	"Connection: close\r\n\r\n"

static void	on_conn(struct sk_loop *, int, int, void *);

/* Accept, then read a head and answer it. */

/* Accept again, once a client has left or descriptors may be free. */
static void
resume_accept(struct sk_loop *loop, long long id, void *arg)
{
	struct hsrv	*s = arg;

	(void)id;
	if (s->paused && s->nconns < s->o->max_clients &&
	    sk_loop_mod(NULL, loop, s->lfd, SK_READ) == 0)
		s->paused = 0;
}

void
http_accept_init(struct hsrv *s)
{
	s->acc = (struct cmd_accept){ .cmd = CMD, .resume = resume_accept,
	    .arg = s, .full = FULL_503, .fulllen = sizeof(FULL_503) - 1,
	    .nodelay = 1 };
}

/* A connection for the client fd (taken over), waiting for its head. */
static void
conn_new(struct hsrv *s, int fd, const struct sockaddr_storage *ss,
    socklen_t sslen)
{
	struct hconn	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		close(fd);
		return;
	}
	c->srv = s;
	c->fd = fd;
	c->state = H_HEAD;
	sk_buf_init(&c->in, HEAD_MAX);
	sk_buf_init(&c->out, 0);
	sk_net_addr_str((const struct sockaddr *)ss, sslen, c->peer,
	    sizeof(c->peer));
	/* The log wants the address alone, IPv6 without brackets. */
	if (sk_net_host_str((const struct sockaddr *)ss, sslen, c->host,
	    sizeof(c->host), 0) == -1)
		snprintf(c->host, sizeof(c->host), "?");
	c->deadline = sk_loop_now_ms() + s->o->head_ms;
	if (sk_loop_add(NULL, s->loop, fd, SK_READ, on_conn, c) == -1) {
		close(fd);
		free(c);
		return;
	}
	c->next = s->conns;
	if (c->next != NULL)
		c->next->pprev = &c->next;
	c->pprev = &s->conns;
	s->conns = c;
	s->nconns++;
	if (s->o->c.verbose)
		alog_say(s->elog, "%s connected", c->peer);
}

void
http_on_accept(struct sk_loop *loop, int lfd, int mask, void *arg)
{
	struct hsrv		*s = arg;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	int			 fd;

	(void)mask;
	while (s->nconns < s->o->max_clients) {
		if ((fd = cmd_accept_next(&s->acc, loop, lfd, &ss,
		    &sslen)) == -1) {
			/* Out of descriptors: accepting waits for resume. */
			if (s->acc.paused)
				s->paused = 1;
			return;
		}
		conn_new(s, fd, &ss, sslen);
	}
	/* At --max-clients: the rest wait in the listen queue. */
	(void)sk_loop_mod(NULL, loop, lfd, 0);
	s->paused = 1;
}

/*
 * What the client sent, for the log line (out holds size bytes): quotes
 * and backslashes escaped, control bytes and broken UTF-8 as \xHH
 * (sk_text_escape); cut where it is full.
 */
static void
log_escape(char *out, size_t size, const char *p, size_t n)
{
	(void)sk_text_escape(out, size, (const uint8_t *)p, n,
	    SK_TEXT_BACKSLASH | SK_TEXT_QUOTE);
}

/*
 * Parse and answer what is buffered: one request at a time, in order
 * (pipelined requests wait in `in` until the reply before them has gone).
 * Returns -1 when the connection is to be closed now.
 */
static int
next_request(struct hconn *c)
{
	struct sk_http_req	req;
	const char		*p;
	ssize_t			n;
	size_t			len = sk_buf_len(&c->in), take, k;
	int			status;

	if (c->skip > 0) {
		take = (size_t)c->skip < len ? (size_t)c->skip : len;
		sk_buf_consume(&c->in, take);
		c->skip -= (long long)take;
		len -= take;
		if (c->skip > 0)
			return 0;
	}
	if (len == 0) {
		c->deadline = sk_loop_now_ms() + c->srv->o->keepalive_ms;
		return 0;
	}
	n = sk_http_parse_request((const char *)sk_buf_data(&c->in), len,
	    HEAD_MAX, &req, &status);
	if (n == -2) {
		/* A head under way: it has until its deadline, set when its
		 * first byte came (see conn_read). */
		return 0;
	}
	c->status = 0;
	if (n == -1) {
		if (c->srv->log != NULL) {
			/* The first line as it came, bounded: in holds no NUL
			 * terminator to stop at. */
			p = (const char *)sk_buf_data(&c->in);
			for (k = 0; k < len && k < 200 && p[k] != '\r' &&
			    p[k] != '\n'; k++)
				;
			log_escape(c->line, sizeof(c->line), p, k);
		}
		c->keep = 0;
		http_error_page(c, status, 0, NULL);
		c->used = len;
	} else {
		if (c->srv->log != NULL)
			log_escape(c->line, sizeof(c->line), req.method,
			    (size_t)(req.target + req.target_len -
			    req.method) + 9);
		c->keep = req.keep_alive;
		c->minor = req.minor;
		c->used = (size_t)n;
		if (req.content_length > BODY_SKIP_MAX) {
			c->keep = 0;
			http_error_page(c, 413, 0, NULL);
		} else {
			c->skip = req.content_length;
			http_respond(c, &req);
		}
	}
	c->state = H_SEND;
	c->deadline = sk_loop_now_ms() + c->srv->o->send_ms;
	return 0;
}

/* Readable: take bytes into `in`; a head's clock starts at its first. */
static int
conn_read(struct hconn *c)
{
	size_t	before = sk_buf_len(&c->in);
	ssize_t	n;
	char	drop[4096];

	if (c->state == H_LINGER) {
		while ((n = read(c->fd, drop, sizeof(drop))) > 0)
			;
		return n == 0 || (errno != EAGAIN && errno != EINTR) ? -1 : 0;
	}
	n = sk_buf_read(&c->in, c->fd, HEAD_MAX);
	/*
	 * A FIN ends the client's sending only (nc -N, socat, a script's
	 * shutdown): what it asked for is still owed, pipelined requests
	 * included.  With nothing owed and no whole request held, close.
	 */
	if (n == 0) {
		c->rd_eof = 1;
		if (c->state == H_HEAD)
			return next_request(c) == -1 || c->state == H_HEAD ?
			    -1 : 0;
		return 0;
	}
	if (n == -1)
		return errno == EAGAIN || errno == EINTR ? 0 :
		    errno == ENOBUFS ? 0 : -1;
	if (c->state != H_HEAD)
		return 0;	/* pipelined: parsed after this reply */
	if (before == 0 && c->skip == 0)
		c->deadline = sk_loop_now_ms() +
		    c->srv->o->head_ms;
	return next_request(c);
}

/* Write the reply; then the next request, or linger and close. */

/* After the last response: stop sending, drain what the client still
 * sends for a moment so our reply is not lost to a reset, then close. */
static void
linger(struct hconn *c)
{
	shutdown(c->fd, SHUT_WR);
	c->state = H_LINGER;
	c->deadline = sk_loop_now_ms() + LINGER_S * 1000;
	sk_buf_release(&c->in);
	sk_buf_init(&c->in, HEAD_MAX);
	(void)sk_loop_mod(NULL, c->srv->loop, c->fd, SK_READ);
}

/*
 * Writable: the reply (headers and small body), then a file body.  When
 * all of it went: the next request, or close.
 */
static int
conn_write(struct hconn *c)
{
	ssize_t	n;

	if (c->state != H_SEND)
		return 0;
	if (sk_buf_len(&c->out) > 0) {
		if (c->file != NULL) {
			/* Headers first, held back to go with the body. */
			n = send(c->fd, sk_buf_data(&c->out),
			    sk_buf_len(&c->out), MSG_NOSIGNAL | MSG_MORE);
			if (n == -1)
				return errno == EAGAIN || errno == EINTR ?
				    0 : -1;
			sk_buf_consume(&c->out, (size_t)n);
		} else if ((n = sk_buf_write(&c->out, c->fd)) == -1)
			return -1;
		/* The client takes what we send: its clock starts again. */
		if (n > 0)
			c->deadline = sk_loop_now_ms() + c->srv->o->send_ms;
		if (sk_buf_len(&c->out) > 0)
			return 0;
	}
	while (c->file != NULL && c->off < c->end) {
#ifdef __linux__
		n = sendfile(c->fd, c->file->fd, &c->off, (size_t)(c->end -
		    c->off));
#else
		{
			char	chunk[65536];
			ssize_t	r;

			r = pread(c->file->fd, chunk, (size_t)(c->end -
			    c->off) < sizeof(chunk) ? (size_t)(c->end -
			    c->off) : sizeof(chunk), c->off);
			n = r <= 0 ? 0 : sk_net_write(c->fd, chunk, (size_t)r);
			if (n > 0)
				c->off += n;
		}
#endif
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n == 0) {
			c->cut = 1;	/* the file shrank: the length lies */
			break;
		}
		if (n == -1)
			return -1;
		c->deadline = sk_loop_now_ms() + c->srv->o->send_ms;
	}
	hfile_unref(c->file);
	c->file = NULL;
	if (c->cut) {
		/* What the length promised will not come: let what went
		 * reach the client, then reset (see on_tick). */
		http_access_log(c);
		c->state = H_CUT;
		c->deadline = sk_loop_now_ms() + c->srv->o->send_ms;
		(void)sk_loop_mod(NULL, c->srv->loop, c->fd, 0);
		return 0;
	}
	http_access_log(c);
	sk_buf_consume(&c->in, c->used);
	c->used = 0;
	if (!c->keep) {
		linger(c);
		return 0;
	}
	c->state = H_HEAD;
	/* A pipelined head may already be here; its clock starts now. */
	c->deadline = sk_loop_now_ms() + c->srv->o->head_ms;
	if (next_request(c) == -1)
		return -1;
	/* Half-closed and nothing more asked: done, gracefully. */
	if (c->rd_eof && c->state == H_HEAD)
		linger(c);
	return 0;
}

static void
on_conn(struct sk_loop *loop, int fd, int mask, void *arg)
{
	struct hconn	*c = arg;
	int		 want;

	(void)fd;
	if (((mask & SK_READ) && conn_read(c) == -1) ||
	    conn_write(c) == -1) {
		http_conn_free(c);
		return;
	}
	if (c->state == H_LINGER || c->state == H_CUT)
		return;
	want = c->state == H_SEND ? SK_WRITE : SK_READ;
	/* Keep reading pipelined requests while replying, up to the cap;
	 * after the client's FIN there is nothing more to read. */
	if (c->state == H_SEND && !sk_buf_full(&c->in))
		want |= SK_READ;
	if (c->rd_eof)
		want &= ~SK_READ;
	if (sk_loop_mask(loop, c->fd) != want)
		(void)sk_loop_mod(NULL, loop, c->fd, want);
}

/* Close, and the deadlines. */

void
http_conn_free(struct hconn *c)
{
	struct hsrv	*s = c->srv;

	http_access_log(c);		/* a response cut short */
	if (s->o->c.verbose)
		alog_say(s->elog, "%s disconnected", c->peer);
	*c->pprev = c->next;
	if (c->next != NULL)
		c->next->pprev = c->pprev;
	cmd_conn_close(s->loop, c->fd, c->abort);
	hfile_unref(c->file);
	sk_buf_release(&c->in);
	sk_buf_release(&c->out);
	free(c);
	s->nconns--;
	resume_accept(s->loop, 0, s);
}

/* Bytes the kernel still holds for the client (sent, not yet acked);
 * where that cannot be asked, none. */
static int
unsent(int fd)
{
	int	n = 0;

#if defined(__linux__) && defined(TIOCOUTQ)
	if (ioctl(fd, TIOCOUTQ, &n) == -1)
		n = 0;
#else
	(void)fd;
#endif
	return n;
}

/* Every tick: DIR still there?  Drop connections past their deadline. */
void
http_on_tick(struct sk_loop *loop, long long id, void *arg)
{
	struct hsrv	*s = arg;
	struct hconn	*c, *next;
	long long	 now = sk_loop_now_ms();

	(void)loop;
	(void)id;
	http_log_failed(s);
	http_check_root(s);
	for (c = s->conns; c != NULL; c = next) {
		next = c->next;
		if (c->state == H_CUT && (now >= c->deadline ||
		    unsent(c->fd) == 0)) {
			c->abort = 1;
			http_conn_free(c);
			continue;
		}
		if (c->deadline == 0 || now < c->deadline)
			continue;
		if (c->state == H_HEAD && sk_buf_len(&c->in) > 0 &&
		    c->skip == 0) {
			/* A head too slow to arrive: 408, then close. */
			c->keep = 0;
			c->used = sk_buf_len(&c->in);
			snprintf(c->line, sizeof(c->line), "-");
			http_error_page(c, 408, 0, NULL);
			c->state = H_SEND;
			c->deadline = now + LINGER_S * 1000;
			(void)sk_loop_mod(NULL, loop, c->fd, SK_WRITE);
			continue;
		}
		http_conn_free(c);
	}
}
