/*
 * tcp_server_chat.c - tcp-server --chat: a room where each line (or
 * frame, with --frame) a member says goes to every other member as
 * "<NAME> line"; /nick NAME, /who and /quit are commands, and joining,
 * leaving and renaming are news for the room.
 *
 * A message is built once, in chat_server.msg, and queued to each
 * receiver.  Members are read while their queues wait: a member whose
 * queue passes --max-queue is dropped, so a slow reader never stalls the
 * room.  Queues are written when the loop is about to sleep, so a busy
 * moment costs one write per member.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sockkit/buf.h>
#include <sockkit/frame.h>
#include <sockkit/loop.h>
#include <sockkit/msg.h>
#include <sockkit/text.h>

#include "cmd.h"
#include "tcp_server.h"

#define FLUSHAT		(64 * 1024)	/* write a queue this long at once */
#define BATCHMAX	(1024 * 1024)	/* ...and all of them past this */
#define SAYMAX		(64 * 1024)	/* lines said, sent as one */
#define DIRECTAT	(4 * 1024)	/* ...a piece this big is not batched */
/* Room for a default name ("[IPv6]:port"); chosen nicks are shorter. */
#define NICKMAX		63
/* What a chat message adds to what a member said: header, "<nick> ". */
#define CHAT_OVERHEAD	(SK_FRAME_HDRLEN + NICKMAX + 4)
#define NICKUSER	32

struct chat_conn {
	struct conn		 c;
	struct sk_buf		 line;		/* a partial line */
	struct sk_frame_dec	 dec;		/* --frame: a partial frame */
	struct chat_conn	*next_flush;	/* news to send */
	int			 flushing;	/* ...on chat_server.flush */
	char			 nick[NICKMAX + 1];
};

struct chat_server {
	struct chat_conn	*flush;		/* members with news */
	size_t			 batched;	/* ...bytes of it, in all */
	struct sk_buf		 msg;		/* the message being built */
	struct sk_buf		 said;		/* ...lines said, not yet sent */
	struct chat_conn	*sayer;		/* ...by this member, or NULL */
	size_t			 linemax;	/* a line taken */
};

#define CC(c)	((struct chat_conn *)(c))

/*
 * In a chat every message goes into every member's queue: one over
 * what a queue holds would drop every reader as "not reading".  So a
 * frame or line taken from a member is at most that, less the
 * "<nick> " and the header, and a bigger one drops its sender.
 */
static int
chat_init(struct server *srv)
{
	const struct server_opts	*o = srv->o;
	struct chat_server		*cs;

	if ((cs = calloc(1, sizeof(*cs))) == NULL) {
		cmd_err(CMD, "out of memory");
		return -1;
	}
	cs->linemax = (size_t)o->max_line;
	if (srv->framemax > (size_t)o->max_queue - CHAT_OVERHEAD)
		srv->framemax = (size_t)o->max_queue - CHAT_OVERHEAD;
	if (cs->linemax > (size_t)o->max_queue - CHAT_OVERHEAD)
		cs->linemax = (size_t)o->max_queue - CHAT_OVERHEAD;
	srv->outlimit = (size_t)o->max_queue;
	sk_buf_init(&cs->msg, 0);
	sk_buf_init(&cs->said, 0);
	srv->mode = cs;
	return 0;
}

static void
chat_fini(struct server *srv)
{
	struct chat_server	*cs = srv->mode;

	if (cs == NULL)
		return;
	sk_buf_release(&cs->msg);
	sk_buf_release(&cs->said);
	free(cs);
}

/* Before the loop sleeps: send every member's news. */
static void
chat_flush(struct chat_server *cs)
{
	struct chat_conn	*cc;

	while ((cc = cs->flush) != NULL) {
		cs->flush = cc->next_flush;
		cc->flushing = 0;
		if (!cc->c.doomed)
			flush_one(&cc->c);
	}
	cs->batched = 0;
}

static void
chat_prewait(struct server *srv)
{
	struct chat_server	*cs = srv->mode;

	/* Reaping tells the room who left; sending may doom the gone. */
	do {
		chat_flush(cs);
		reap(srv);
	} while (cs->flush != NULL);
}

/*
 * News for c waits in its queue until the loop is about to sleep, so the
 * notices of a busy moment (a crowd joining or leaving) leave in one
 * write per member instead of one each (redis's beforeSleep).  A queue
 * past FLUSHAT is written at once, and all of them once BATCHMAX bytes
 * wait in all, so batching never comes near --max-queue (only a member
 * that does not read does) and costs bounded memory.  A full queue dooms
 * the member (dropped after this event).
 */
static void
chat_queue(struct chat_conn *cc, const uint8_t *p, size_t n)
{
	struct chat_server	*cs = cc->c.srv->mode;
	struct conn		*c = &cc->c;
	ssize_t			 w;

	if (c->doomed || n == 0)
		return;
	if (sk_buf_len(&c->out) + n > FLUSHAT)
		flush_one(c);
	if (c->doomed)
		return;
	/* A big piece with nothing ahead of it goes straight out. */
	if (n >= DIRECTAT && sk_buf_len(&c->out) == 0) {
		if ((w = conn_write(c, p, n)) == -1)
			return;
		p += w;
		n -= (size_t)w;
		if (n == 0)
			return;
	}
	if (sk_buf_append(&c->out, p, n) == -1) {
		doom(c, "not reading");
		return;
	}
	account(c);
	if (!cc->flushing) {
		cc->flushing = 1;
		cc->next_flush = cs->flush;
		cs->flush = cc;
	}
	if ((cs->batched += n) > BATCHMAX)
		chat_flush(cs);
}

/* Queue p to every member but except (NULL: all). */
static void
queue_all(struct server *srv, const struct conn *except, const uint8_t *p,
    size_t n)
{
	struct conn	*c;

	for (c = srv->conns; c != NULL; c = c->next)
		if (c != except)
			chat_queue(CC(c), p, n);
}

static void
msg_begin(struct chat_server *cs, const struct server *srv)
{
	sk_buf_consume(&cs->msg, sk_buf_len(&cs->msg));
	if (srv->o->frame)
		(void)sk_buf_append(&cs->msg, "\0\0\0\0", SK_FRAME_HDRLEN);
}

/*
 * Text from a client: control characters (and bidi controls) become
 * '?', so no client can send escape sequences to the others' terminals
 * or reorder what they show; frames too, which a client prints as
 * lines (a newline in one would forge a line from another member).
 */
static void
msg_add_text(struct chat_server *cs, const uint8_t *p, size_t n)
{
	uint8_t	*dst;

	if ((dst = sk_buf_reserve(&cs->msg, n)) == NULL)
		return;
	sk_text_clean(p, n, dst);
	sk_buf_commit(&cs->msg, n);
}

/* Finish the message: its frame header, or its newline. */
static void
msg_end(struct chat_server *cs, const struct server *srv)
{
	uint8_t	*p;

	if (srv->o->frame) {
		p = (uint8_t *)(uintptr_t)sk_buf_data(&cs->msg);
		sk_frame_header(p, (uint32_t)(sk_buf_len(&cs->msg) -
		    SK_FRAME_HDRLEN));
	} else
		(void)sk_buf_append(&cs->msg, "\n", 1);
}

static void
say_flush(struct server *srv)
{
	struct chat_server	*cs = srv->mode;
	size_t			 n = sk_buf_len(&cs->said);

	if (cs->sayer == NULL)
		return;
	queue_all(srv, &cs->sayer->c, sk_buf_data(&cs->said), n);
	sk_buf_consume(&cs->said, n);
	cs->sayer = NULL;
}

/*
 * What one member says in one read goes to the others as one piece: each
 * queue gets one append per read, not one per line (ncat's room does the
 * same).  Whatever else is sent meanwhile goes after it, in order.
 */
static void
say(struct chat_conn *cc)
{
	struct server		*srv = cc->c.srv;
	struct chat_server	*cs = srv->mode;

	if (cs->sayer != cc)
		say_flush(srv);
	msg_end(cs, srv);
	(void)sk_buf_append(&cs->said, sk_buf_data(&cs->msg),
	    sk_buf_len(&cs->msg));
	cs->sayer = cc;
	if (sk_buf_len(&cs->said) >= SAYMAX)
		say_flush(srv);
}

/*
 * Finish the message and send it, after anything said before it: to
 * `to`, or when that is NULL to every member but `except`.
 */
static void
msg_send(struct server *srv, struct chat_conn *to, const struct conn *except)
{
	struct chat_server	*cs = srv->mode;

	say_flush(srv);
	msg_end(cs, srv);
	if (to != NULL)
		chat_queue(to, sk_buf_data(&cs->msg), sk_buf_len(&cs->msg));
	else
		queue_all(srv, except, sk_buf_data(&cs->msg),
		    sk_buf_len(&cs->msg));
}

static void
notice_all(struct server *srv, const struct conn *except, const char *fmt,
    const char *a, const char *b)
{
	struct chat_server	*cs = srv->mode;

	msg_begin(cs, srv);
	(void)sk_buf_printf(&cs->msg, fmt, a, b);
	msg_send(srv, NULL, except);
}

/* A reply to cc alone. */
static void
tell(struct chat_conn *cc, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
tell(struct chat_conn *cc, const char *fmt, ...)
{
	struct server		*srv = cc->c.srv;
	struct chat_server	*cs = srv->mode;
	va_list			 ap;

	msg_begin(cs, srv);
	va_start(ap, fmt);
	(void)sk_buf_vprintf(&cs->msg, fmt, ap);
	va_end(ap);
	msg_send(srv, cc, NULL);
}

/* A new member: named by its address, welcomed, announced. */
static int
chat_join(struct conn *c)
{
	struct chat_conn	*cc = CC(c);
	struct server		*srv = c->srv;
	struct chat_server	*cs = srv->mode;

	snprintf(cc->nick, sizeof(cc->nick), "%.*s", NICKMAX, c->peer);
	sk_buf_init(&cc->line, cs->linemax + 1);
	sk_frame_dec_init(&cc->dec, srv->framemax);
	if (conn_watch(c) == -1)
		return -1;
	tell(cc, "* welcome, %s: %d other%s here (/nick NAME, /who, /quit)",
	    cc->nick, srv->nclients - 1, srv->nclients == 2 ? " is" :
	    "s are");
	notice_all(srv, c, "* %s has joined%s", cc->nick, "");
	return 0;
}

static void
chat_nick(struct chat_conn *cc, const char *name, size_t n)
{
	struct server	*srv = cc->c.srv;
	struct conn	*o;
	char		 old[NICKMAX + 1];

	if (!sk_chat_nick_ok((const uint8_t *)name, n, NICKUSER)) {
		tell(cc, "* a nick is 1-%d bytes of printable UTF-8: no "
		    "spaces, '<', '>' or ':', no control, bidi or invisible "
		    "characters", NICKUSER);
		return;
	}
	/* Members start named by their address (ip:port, unix:N): a nick
	 * with a ':' could pass for another's, or a newcomer's. */
	if (memchr(name, ':', n) != NULL) {
		tell(cc, "* a nick has no ':' (names with one are addresses)");
		return;
	}
	for (o = srv->conns; o != NULL; o = o->next)
		if (o != &cc->c && sk_chat_nick_same((const uint8_t *)
		    CC(o)->nick, strlen(CC(o)->nick), (const uint8_t *)name,
		    n)) {
			tell(cc, "* %.*s is taken", (int)n, name);
			return;
		}
	memcpy(old, cc->nick, sizeof(old));
	memcpy(cc->nick, name, n);
	cc->nick[n] = '\0';
	tell(cc, "* you are now %s", cc->nick);
	notice_all(srv, &cc->c, "* %s is now %s", old, cc->nick);
}

static void
chat_who(struct chat_conn *cc)
{
	struct server		*srv = cc->c.srv;
	struct chat_server	*cs = srv->mode;
	struct conn		*o;
	const char		*sep = "";

	msg_begin(cs, srv);
	(void)sk_buf_printf(&cs->msg, "* %d here:", srv->nclients);
	for (o = srv->conns; o != NULL; o = o->next) {
		(void)sk_buf_printf(&cs->msg, "%s %s%s", sep, CC(o)->nick, o == &cc->c ?
		    " (you)" : "");
		sep = ",";
	}
	msg_send(srv, cc, NULL);
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

/* One whole line (or frame) from a member. */
static void
chat_message(struct chat_conn *cc, const uint8_t *p, size_t n)
{
	struct server		*srv = cc->c.srv;
	struct chat_server	*cs = srv->mode;
	const uint8_t		*arg;
	size_t			 argn;

	switch (sk_chat_parse(p, n, &arg, &argn)) {
	case SK_CHAT_NICK:
		chat_nick(cc, (const char *)arg, argn);
		return;
	case SK_CHAT_WHO:
		chat_who(cc);
		return;
	case SK_CHAT_QUIT:
		chat_quit(&cc->c);
		return;
	case SK_CHAT_SAY:
		break;
	}
	msg_begin(cs, srv);
	(void)sk_buf_printf(&cs->msg, "<%s> ", cc->nick);
	msg_add_text(cs, p, n);
	say(cc);
}

static void
chat_frame(struct conn *c, uint8_t *payload, uint32_t plen)
{
	chat_message(CC(c), payload, plen);
}

/* A line too long for --max-line: a reset, not all of it was taken. */
static void
too_long(struct conn *c)
{
	c->cut = 1;
	doom(c, "line too long");
}

/* Split what came into whole lines, one message each. */
static void
chat_lines(struct chat_conn *cc, const uint8_t *p, size_t n)
{
	struct chat_server	*cs = cc->c.srv->mode;
	const uint8_t		*lp;
	size_t			 len;
	ssize_t			 used;

	while (n > 0 && !cc->c.doomed && !cc->c.eof) {
		/*
		 * A line in one read goes straight from the shared buffer;
		 * only a line torn across reads is copied.
		 */
		if ((used = sk_text_line(p, n, &len)) == -2) {
			if (sk_buf_append(&cc->line, p, n) == -1)
				too_long(&cc->c);
			return;
		}
		if (sk_buf_len(&cc->line) > 0) {
			if (sk_buf_append(&cc->line, p, len) == -1) {
				too_long(&cc->c);
				return;
			}
			lp = sk_buf_data(&cc->line);
			len = sk_buf_len(&cc->line);
		} else
			lp = p;
		if (len > 0 && lp[len - 1] == '\r')
			len--;
		/* --max-line holds for a line read whole, too. */
		if (len > cs->linemax) {
			too_long(&cc->c);
			return;
		}
		chat_message(cc, lp, len);
		sk_buf_release(&cc->line);
		n -= (size_t)used;
		p += used;
	}
}

static void
chat_data(struct conn *c, uint8_t *p, size_t n)
{
	if (c->srv->o->frame)
		take_frames(c, &CC(c)->dec, p, n, chat_frame);
	else
		chat_lines(CC(c), p, n);
	say_flush(c->srv);
}

/* A last line without its newline ("printf hi |") is said too, as
 * ncat's chat would. */
static void
chat_end(struct conn *c)
{
	if (!c->srv->o->frame && sk_buf_len(&CC(c)->line) > 0 &&
	    !c->doomed) {
		chat_lines(CC(c), (const uint8_t *)"\n", 1);
		say_flush(c->srv);
	}
}

static size_t
chat_held(const struct conn *c)
{
	return CC(c)->line.cap + CC(c)->dec.buf.cap;
}

static void
chat_release(struct conn *c)
{
	struct chat_server	*cs = c->srv->mode;
	struct chat_conn	**pp;

	if (CC(c)->flushing)
		for (pp = &cs->flush; *pp != NULL; pp = &(*pp)->next_flush)
			if (*pp == CC(c)) {
				*pp = CC(c)->next_flush;
				break;
			}
	sk_buf_release(&CC(c)->line);
	sk_frame_dec_release(&CC(c)->dec);
}

/* c is closed: tell the others why it left. */
static void
chat_left(struct conn *c)
{
	if (c->why != NULL && strcmp(c->why, "gone") != 0)
		notice_all(c->srv, NULL, "* %s was dropped (%s)", CC(c)->nick,
		    c->why);
	else
		notice_all(c->srv, NULL, "* %s has left%s", CC(c)->nick, "");
}

const struct mode_ops mode_chat = {
	.name = "chat",
	.conn_size = sizeof(struct chat_conn),
	.flags = MODE_FRAMES | MODE_READING,
	.init = chat_init,
	.fini = chat_fini,
	.join = chat_join,
	.data = chat_data,
	.end = chat_end,
	.prewait = chat_prewait,
	.held = chat_held,
	.release = chat_release,
	.left = chat_left,
};
