/*
 * frame.c - the length-prefixed frame codec (see frame.h, docs/protocol.md).
 */
#include <sys/types.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <sockkit/buf.h>
#include <sockkit/frame.h>
#include <sockkit/net.h>

#include "err.h"

ssize_t
sk_frame_decode(const uint8_t *p, size_t len, size_t max,
    const uint8_t **payload, uint32_t *plen)
{
	uint32_t	n;

	if (len < SK_FRAME_HDRLEN)
		return -2;
	n = sk_be32_get(p);
	if (n > max)
		return -1;
	if (len - SK_FRAME_HDRLEN < n)
		return -2;
	*payload = p + SK_FRAME_HDRLEN;
	*plen = n;
	return (ssize_t)(SK_FRAME_HDRLEN + (size_t)n);
}

void
sk_frame_header(uint8_t hdr[SK_FRAME_HDRLEN], uint32_t len)
{
	sk_be32_put(hdr, len);
}

int
sk_frame_encode(struct sk_buf *out, const void *payload, size_t len)
{
	uint8_t	*dst;

	if (len > UINT32_MAX) {
		errno = EMSGSIZE;
		return -1;
	}
	/* Reserve both parts at once so a full buffer never gets half. */
	if ((dst = sk_buf_reserve(out, SK_FRAME_HDRLEN + len)) == NULL)
		return -1;
	sk_frame_header(dst, (uint32_t)len);
	if (len > 0)
		memcpy(dst + SK_FRAME_HDRLEN, payload, len);
	sk_buf_commit(out, SK_FRAME_HDRLEN + len);
	return 0;
}

void
sk_frame_dec_init(struct sk_frame_dec *d, size_t max)
{
	if (max > UINT32_MAX)
		max = UINT32_MAX;
	/*
	 * No cap on the buffer itself: a feed may bring many frames at once.
	 * What stays between feeds is at most one partial frame, which max
	 * bounds, because an oversized one is refused from its header.
	 */
	sk_buf_init(&d->buf, 0);
	d->max = max;
	d->taken = 0;
}

void
sk_frame_dec_release(struct sk_frame_dec *d)
{
	if (d == NULL)
		return;
	sk_buf_release(&d->buf);
	d->taken = 0;
}

size_t
sk_frame_dec_pending(const struct sk_frame_dec *d)
{
	return sk_buf_len(&d->buf) - d->taken;
}

long long
sk_frame_dec_announced(const struct sk_frame_dec *d)
{
	const uint8_t	*p;

	if (sk_frame_dec_pending(d) < SK_FRAME_HDRLEN)
		return -1;
	p = sk_buf_data(&d->buf) + d->taken;
	return (long long)sk_be32_get(p);
}

/* Drop the frame handed out last; its payload view is now dead. */
static void
settle(struct sk_frame_dec *d)
{
	if (d->taken == 0)
		return;
	sk_buf_consume(&d->buf, d->taken);
	d->taken = 0;
}

/* Is the frame at the front announced bigger than max? */
static int
oversized(const struct sk_frame_dec *d)
{
	const uint8_t	*payload;
	uint32_t	 plen;

	return sk_frame_decode(sk_buf_data(&d->buf), sk_buf_len(&d->buf),
	    d->max, &payload, &plen) == -1;
}

int
sk_frame_dec_feed(struct sk_frame_dec *d, const void *p, size_t n)
{
	settle(d);
	if (oversized(d)) {
		errno = EMSGSIZE;
		return -1;
	}
	return sk_buf_append(&d->buf, p, n);
}

ssize_t
sk_frame_dec_read(struct sk_frame_dec *d, int fd, size_t max)
{
	settle(d);
	if (oversized(d)) {
		errno = EMSGSIZE;
		return -1;
	}
	return sk_buf_read(&d->buf, fd, max);
}

int
sk_frame_dec_next(struct sk_frame_dec *d, const uint8_t **payload,
    uint32_t *plen)
{
	ssize_t	n;

	settle(d);
	n = sk_frame_decode(sk_buf_data(&d->buf), sk_buf_len(&d->buf), d->max,
	    payload, plen);
	if (n == -1)
		return -1;
	if (n == -2)
		return 0;
	d->taken = (size_t)n;
	return 1;
}

ssize_t
sk_frame_recv(char *err, int fd, uint8_t *buf, size_t cap, size_t max,
    int timeout_ms, uint32_t *plen)
{
	uint8_t		 hdr[SK_FRAME_HDRLEN];
	const uint8_t	*payload;
	ssize_t		 n;

	*plen = 0;
	if ((n = sk_net_recv_exact(err, fd, hdr, sizeof(hdr),
	    timeout_ms)) == -1)
		return -1;
	if (n < (ssize_t)sizeof(hdr)) {
		core_err(err, "recv: the stream ended");
		errno = EPIPE;
		return -1;
	}
	/* The header alone says whether the frame is too big. */
	if (max > cap)
		max = cap;
	if (sk_frame_decode(hdr, sizeof(hdr), max, &payload, plen) == -1) {
		*plen = sk_be32_get(hdr);
		core_err(err, "recv: a frame of %lu bytes (at most %zu)",
		    (unsigned long)*plen, max);
		errno = EMSGSIZE;
		return -1;
	}
	*plen = sk_be32_get(hdr);
	if ((n = sk_net_recv_exact(err, fd, buf, *plen, timeout_ms)) == -1)
		return -1;
	if (n < (ssize_t)*plen) {
		core_err(err, "recv: the stream ended within a frame");
		errno = EPROTO;
		return -1;
	}
	return (ssize_t)*plen;
}
