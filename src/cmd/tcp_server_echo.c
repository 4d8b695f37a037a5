/*
 * tcp_server_echo.c - tcp-server --echo, --upper and --discard: many
 * clients at once, each sent back what it sends (ASCII upper-cased with
 * --upper; with --frame, frame for frame), or nothing (--discard).
 *
 * An echo reply stays where it was read, in the shared arena, until the
 * batch of ready clients is done; then all go out together before the
 * loop sleeps.  A client whose reply the socket does not take is not read
 * again until its queue drains (backpressure), so its queue holds at most
 * one read's worth (and a frame's).
 */
#include <stdint.h>
#include <stdlib.h>

#include <sockkit/buf.h>
#include <sockkit/frame.h>
#include <sockkit/text.h>

#include "cmd.h"
#include "tcp_server.h"

struct echo_conn {
	struct conn		 c;
	struct sk_frame_dec	 dec;		/* --frame: a partial frame */
	uint8_t			*reply;		/* in the arena */
	size_t			 replylen;
	struct echo_conn	*next_pending;	/* ...on echo_server.pending */
};

struct echo_server {
	size_t			 used;		/* arena bytes taken */
	struct echo_conn	*pending;	/* replies to send */
};

static int
echo_init(struct server *srv)
{
	if ((srv->mode = calloc(1, sizeof(struct echo_server))) == NULL) {
		cmd_err(CMD, "out of memory");
		return -1;
	}
	return 0;
}

static void
echo_fini(struct server *srv)
{
	free(srv->mode);
}

static int
echo_join(struct conn *c)
{
	struct echo_conn	*ec = (struct echo_conn *)c;

	sk_frame_dec_init(&ec->dec, c->srv->framemax);
	return conn_watch(c);
}

/* Send the echo replies gathered in the arena, and empty it. */
static void
send_pending(struct server *srv)
{
	struct echo_server	*es = srv->mode;
	struct echo_conn	*ec;

	while ((ec = es->pending) != NULL) {
		es->pending = ec->next_pending;
		conn_send(&ec->c, ec->reply, ec->replylen);
		ec->replylen = 0;
		/* A client that has left is closed once nothing is owed. */
		if (ec->c.eof && sk_buf_len(&ec->c.out) == 0)
			doom(&ec->c, NULL);
	}
	es->used = 0;
}

static uint8_t *
echo_read_buf(struct conn *c)
{
	struct echo_server	*es = c->srv->mode;

	/* A client with a reply still in the arena sends it first. */
	if (((struct echo_conn *)c)->replylen > 0 ||
	    ARENASZ - es->used < RBUFSZ)
		send_pending(c->srv);
	return c->srv->rbuf + es->used;
}

/* Keep what was read in the arena; send_pending() sends it. */
static void
echo_keep(struct conn *c, uint8_t *p, size_t n)
{
	struct echo_conn	*ec = (struct echo_conn *)c;
	struct echo_server	*es = c->srv->mode;

	ec->reply = p;
	ec->replylen = n;
	es->used += n;
	ec->next_pending = es->pending;
	es->pending = ec;
}

/* --echo --frame: each frame back as one frame. */
static void
echo_frame(struct conn *c, uint8_t *payload, uint32_t plen)
{
	uint8_t	hdr[SK_FRAME_HDRLEN];

	sk_frame_header(hdr, plen);
	conn_send(c, hdr, sizeof(hdr));
	conn_send(c, payload, plen);
}

static void
upper_frame(struct conn *c, uint8_t *payload, uint32_t plen)
{
	sk_text_upper(payload, plen);
	echo_frame(c, payload, plen);
}

static void
echo_data(struct conn *c, uint8_t *p, size_t n)
{
	if (c->srv->o->frame)
		take_frames(c, &((struct echo_conn *)c)->dec, p, n,
		    echo_frame);
	else
		echo_keep(c, p, n);
}

static void
upper_data(struct conn *c, uint8_t *p, size_t n)
{
	if (c->srv->o->frame)
		take_frames(c, &((struct echo_conn *)c)->dec, p, n,
		    upper_frame);
	else {
		sk_text_upper(p, n);
		echo_keep(c, p, n);
	}
}

static int
echo_owes(const struct conn *c)
{
	return ((const struct echo_conn *)c)->replylen > 0;
}

static size_t
echo_held(const struct conn *c)
{
	return ((const struct echo_conn *)c)->dec.buf.cap;
}

static void
echo_release(struct conn *c)
{
	struct echo_conn	*ec = (struct echo_conn *)c;
	struct echo_server	*es = c->srv->mode;
	struct echo_conn	**pp;

	if (ec->replylen > 0)
		for (pp = &es->pending; *pp != NULL; pp = &(*pp)->next_pending)
			if (*pp == ec) {
				*pp = ec->next_pending;
				break;
			}
	sk_frame_dec_release(&ec->dec);
}

/* --echo and --upper differ only in what they do with the bytes. */
#define ECHO_MODE(modename, datafn) {					\
	.name = (modename),						\
	.conn_size = sizeof(struct echo_conn),				\
	.flags = MODE_FRAMES | MODE_IDLE,				\
	.init = echo_init,						\
	.fini = echo_fini,						\
	.join = echo_join,						\
	.read_buf = echo_read_buf,					\
	.data = (datafn),						\
	.owes = echo_owes,						\
	.prewait = send_pending,					\
	.held = echo_held,						\
	.release = echo_release,					\
}

const struct mode_ops mode_echo = ECHO_MODE("echo", echo_data);
const struct mode_ops mode_upper = ECHO_MODE("upper", upper_data);

const struct mode_ops mode_discard = {
	.name = "discard",
	.conn_size = sizeof(struct conn),
	.flags = MODE_IDLE,
	.join = conn_watch,
};
