/*
 * relay.h - copy bytes both ways between a connected socket and a pair of
 * local fds (stdin and stdout), on an event loop: the heart of netcat.
 *
 *     in  --> sock    read `in`, send to the socket; at the end of `in`,
 *                     shut the socket's write side (a half-close), so the
 *                     peer sees EOF and may still answer
 *     sock --> out    receive from the socket, write everything to `out`
 *
 * The relay ends when both directions have ended: `in` reached its end and
 * all of it was sent, and the peer closed its side.  A peer that half-
 * closes first still receives all of `in`.  Reads use one buffer per
 * direction (SK_RELAY_BUFSZ); the socket is written without blocking and
 * `in` is not read while unsent bytes wait, so memory stays bounded.
 * `out` is written with blocking writes: a slow stdout slows the peer down
 * through TCP, which is what backpressure should do.
 *
 * The relay owns none of the fds: it stops watching them when it ends and
 * the caller closes them.  `in` may be -1 (nothing to send but what
 * sk_relay_queue() gives), and any kind of fd the loop serves (a regular
 * file, /dev/null).  `out` may be -1 (received bytes are dropped).
 *
 * On Linux, a regular file `in` goes out with sendfile(2) (only in a
 * process that ignores SIGPIPE: sendfile has no MSG_NOSIGNAL) and the
 * socket is spliced into `out` when that is a pipe, a file or /dev/null.
 *
 * Framed (SK_RELAY_FRAMED): each line of `in` (newline stripped; a last
 * line without one too) goes out as one frame (docs/protocol.md), and each
 * frame received is written to `out` followed by a newline.  A frame
 * announced over max_frame ends the relay with an error.
 */
#ifndef SOCKKIT_RELAY_H
#define SOCKKIT_RELAY_H

#include <signal.h>
#include <stdint.h>

#include <sockkit/net.h>

#define SK_RELAY_BUFSZ	(64 * 1024)

/* Flags for sk_relay_new(). */
#define SK_RELAY_PEER_EOF_ENDS	0x1	/* end when the peer closes, even
					   if `in` has not ended (a tty) */
#define SK_RELAY_NO_HALFCLOSE	0x2	/* keep the write side open at the
					   end of `in` */
#define SK_RELAY_FRAMED		0x4	/* lines <-> length-prefixed frames */

struct sk_loop;
struct sk_relay;

/*
 * Called once when the relay ends; failed is 0 when both directions ended
 * normally, else 1 and sk_relay_error() says why.  The callback may free
 * the relay.
 */
typedef void	sk_relay_done_cb(struct sk_relay *r, int failed, void *arg);

/*
 * Called with what is received (raw bytes, or one frame's payload when
 * framed), after it was written to `out`.  Return 0 to go on, 1 to end the
 * relay now as a success.
 */
typedef int	sk_relay_data_cb(const uint8_t *p, size_t n, void *arg);

struct sk_relay_opts {
	int			 flags;
	size_t			 max_frame;	/* framed; 0: the default */
	sk_relay_data_cb	*on_data;	/* or NULL */
	void			*data_arg;
	/*
	 * Or NULL.  `out` is written blocking: a reader that never reads
	 * (a full pipe, a terminal paused with ^S) would hold the relay in
	 * write(2) for ever.  When *stop is nonzero (a signal handler,
	 * installed without SA_RESTART, set it and the write ended with
	 * EINTR or short) the relay gives up writing and ends as failed,
	 * sk_relay_out_errno() EINTR.
	 */
	volatile sig_atomic_t	*stop;
};

struct sk_relay_stats {
	uint64_t	sent;		/* in -> sock */
	uint64_t	received;	/* sock -> out */
};

/*
 * Start relaying.  sock is made nonblocking.  opts may be NULL.  Returns
 * NULL with err set when the loop refuses a watch or memory runs out.
 */
struct sk_relay	*sk_relay_new(char *err, struct sk_loop *loop, int in,
		    int sock, int out, const struct sk_relay_opts *opts,
		    sk_relay_done_cb *done, void *arg);

/*
 * Queue bytes to send before anything read from `in` (a scripted
 * request), as they are: not framed.  Call it before the loop runs.
 * Returns 0, or -1 with errno (ENOMEM; or the loop refused the watch,
 * sk_relay_error() then says so).
 */
int		 sk_relay_queue(struct sk_relay *r, const void *p, size_t n);

/* Stop watching and free; the fds stay open.  NULL is fine. */
void		 sk_relay_free(struct sk_relay *r);

const struct sk_relay_stats *sk_relay_stats(const struct sk_relay *r);

/* Has `in` ended (end of file, or it was -1)?  1 or 0. */
int		 sk_relay_in_done(const struct sk_relay *r);

/*
 * Has all of `in` been sent (it ended and nothing waits; the half-close,
 * if any, is done)?  1 or 0.
 */
int		 sk_relay_sent_all(const struct sk_relay *r);

/* Why the relay failed: one line, or "" when it did not. */
const char	*sk_relay_error(const struct sk_relay *r);

/*
 * When it failed writing `out`: that errno (EPIPE: the reader of `out`
 * has gone, which a command may take quietly, as cat does; EINTR: *stop
 * was set while a write waited); else 0.
 */
int		 sk_relay_out_errno(const struct sk_relay *r);

#endif /* SOCKKIT_RELAY_H */
