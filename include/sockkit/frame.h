/*
 * frame.h - the length-prefixed frame codec (docs/protocol.md).
 *
 *     frame = length (4 bytes, unsigned, big-endian) + payload (length bytes)
 *
 * Zero-length frames are legal.  TCP delivers a byte stream, not messages:
 * one read may hold half a frame or several; the codec reassembles them.
 */
#ifndef SOCKKIT_FRAME_H
#define SOCKKIT_FRAME_H

#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#include <sockkit/buf.h>

#define SK_FRAME_HDRLEN		4
#define SK_FRAME_MAX_DEFAULT	(16u * 1024 * 1024)

/* The unsigned 32-bit big-endian number at p (a frame's length). */
static inline uint32_t
sk_be32_get(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/* Store v at p, big-endian. */
static inline void
sk_be32_put(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/*
 * Parse one frame at the start of p[0..len).  Allocates nothing.
 * Returns the bytes the frame takes (SK_FRAME_HDRLEN + *plen) and points
 * *payload into p; -2 when more bytes are needed; -1 when the announced
 * length exceeds max (known from the header alone, so a hostile length is
 * refused before anything is buffered for it).
 */
ssize_t	sk_frame_decode(const uint8_t *p, size_t len, size_t max,
	    const uint8_t **payload, uint32_t *plen);

/* Write the 4-byte header for a payload of len bytes. */
void	sk_frame_header(uint8_t hdr[SK_FRAME_HDRLEN], uint32_t len);

/*
 * Append one whole frame (header and payload) to out.  Returns 0, or -1
 * with errno ENOBUFS/ENOMEM from the buffer, or EMSGSIZE when len does not
 * fit in 32 bits.
 */
int	sk_frame_encode(struct sk_buf *out, const void *payload, size_t len);

/*
 * An incremental decoder: feed it bytes in chunks of any size, then take
 * out the whole frames.  Taken out after each feed, what it keeps is at
 * most one partial frame (max + SK_FRAME_HDRLEN bytes).  Between
 * frames, when sk_frame_dec_pending() is 0, sk_frame_dec_release() gives the
 * storage back and the decoder stays usable (an idle peer then costs none).
 */
struct sk_frame_dec {
	struct sk_buf	buf;
	size_t		max;
	size_t		taken;	/* bytes of the last frame handed out */
};

void	sk_frame_dec_init(struct sk_frame_dec *d, size_t max);
void	sk_frame_dec_release(struct sk_frame_dec *d);

/*
 * The length announced by the frame at the front, once its header is in
 * (even when it is over max: for error messages); -1 before that.
 */
long long	sk_frame_dec_announced(const struct sk_frame_dec *d);

/* Bytes fed but not yet handed out as frames. */
size_t	sk_frame_dec_pending(const struct sk_frame_dec *d);

/*
 * Add bytes.  Returns 0, or -1 with errno EMSGSIZE when the frame being
 * assembled is over max (the stream is then unusable), or ENOMEM.
 */
int	sk_frame_dec_feed(struct sk_frame_dec *d, const void *p, size_t n);

/*
 * Read straight from fd into the decoder (one read, at most max bytes):
 * returns what sk_buf_read() does; -1 with EMSGSIZE for an oversized frame.
 */
ssize_t	sk_frame_dec_read(struct sk_frame_dec *d, int fd, size_t max);

/*
 * Take the next whole frame: returns 1 and points *payload at it (valid
 * until the next call on d), 0 when more bytes are needed, -1 when the
 * frame is over max.
 */
int	sk_frame_dec_next(struct sk_frame_dec *d, const uint8_t **payload,
	    uint32_t *plen);

/*
 * A blocking helper for clients, over sk_net_recv_exact(): on a
 * nonblocking fd each wait is bounded by timeout_ms (< 0: none).  (To
 * send, a client formats whole frames into a buffer, sk_frame_encode() or
 * fsproto.h, and sends them with sk_net_send_all().)
 *
 * sk_frame_recv() receives one whole frame into buf (cap bytes, cap >=
 * max): the payload's length (0 for an empty frame), or -1 with errno
 *   EPIPE     the stream ended before the header was whole (a close
 *             between frames, or within the header)
 *   EPROTO    the stream ended within the payload (a truncated frame)
 *   EMSGSIZE  the header announces more than max (nothing of the payload
 *             is read; *plen says how much, for the message)
 *   ETIMEDOUT, ECONNRESET, ...  from the receive
 * and err naming it.
 */
ssize_t	sk_frame_recv(char *err, int fd, uint8_t *buf, size_t cap,
	    size_t max, int timeout_ms, uint32_t *plen);

#endif /* SOCKKIT_FRAME_H */
