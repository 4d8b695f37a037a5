/*
 * buf.c - the growable byte buffer with a limit (see buf.h).
 */
#include <sys/types.h>

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sockkit/buf.h>
#include <sockkit/net.h>

/* Small buffers are not worth a realloc per append. */
#define MINCAP	1024

void
sk_buf_init(struct sk_buf *b, size_t limit)
{
	b->data = NULL;
	b->off = b->len = b->cap = 0;
	b->limit = limit;
}

void
sk_buf_release(struct sk_buf *b)
{
	if (b == NULL)
		return;
	free(b->data);
	b->data = NULL;
	b->off = b->len = b->cap = 0;
}

size_t
sk_buf_room(const struct sk_buf *b)
{
	if (b->limit == 0)
		return SIZE_MAX - b->len;
	return b->len >= b->limit ? 0 : b->limit - b->len;
}

int
sk_buf_full(const struct sk_buf *b)
{
	return b->limit != 0 && b->len >= b->limit;
}

void
sk_buf_compact(struct sk_buf *b)
{
	if (b->off == 0)
		return;
	if (b->len > 0 && b->data != NULL)
		memmove(b->data, b->data + b->off, b->len);
	b->off = 0;
}

uint8_t *
sk_buf_reserve(struct sk_buf *b, size_t n)
{
	size_t	 need, cap;
	uint8_t	*p;

	if (n > sk_buf_room(b)) {
		errno = ENOBUFS;
		return NULL;
	}
	if (b->data != NULL && b->cap - b->off - b->len >= n)
		return b->data + b->off + b->len;
	need = b->len + n;
	/*
	 * Slide instead of growing when the consumed front makes enough room
	 * and the move is cheap next to the buffer's size.
	 */
	if (need <= b->cap && b->len <= b->cap / 2) {
		sk_buf_compact(b);
		return b->data + b->len;
	}
	cap = b->cap < MINCAP ? MINCAP : b->cap;
	while (cap < need) {
		if (cap > SIZE_MAX / 2) {
			cap = need;
			break;
		}
		cap *= 2;
	}
	/* Never allocate much past the limit: it is the memory bound. */
	if (b->limit != 0 && cap > b->limit && need <= b->limit)
		cap = b->limit;
	sk_buf_compact(b);
	if ((p = realloc(b->data, cap)) == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	b->data = p;
	b->cap = cap;
	return b->data + b->len;
}

void
sk_buf_commit(struct sk_buf *b, size_t n)
{
	b->len += n;
}

int
sk_buf_append(struct sk_buf *b, const void *p, size_t n)
{
	uint8_t	*dst;

	if (n == 0)
		return 0;
	if ((dst = sk_buf_reserve(b, n)) == NULL)
		return -1;
	memcpy(dst, p, n);
	b->len += n;
	return 0;
}

int
sk_buf_vprintf(struct sk_buf *b, const char *fmt, va_list ap)
{
	char	 small[512], *tmp;
	uint8_t	*dst;
	va_list	 again;
	size_t	 need;
	int	 n;

	va_copy(again, ap);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	if (n < 0) {
		va_end(again);
		errno = EOVERFLOW;
		return -1;
	}
	need = (size_t)n;
	if (need < sizeof(small)) {
		va_end(again);
		return sk_buf_append(b, small, need) == -1 ? -1 : n;
	}
	if (need > sk_buf_room(b)) {
		va_end(again);
		errno = ENOBUFS;
		return -1;
	}
	/*
	 * Long text is formatted in place when the limit leaves room for
	 * vsnprintf's NUL too, else through a copy (the NUL is not kept).
	 */
	if (need < sk_buf_room(b)) {
		if ((dst = sk_buf_reserve(b, need + 1)) == NULL) {
			va_end(again);
			return -1;
		}
		(void)vsnprintf((char *)dst, need + 1, fmt, again);
		va_end(again);
		sk_buf_commit(b, need);
		return n;
	}
	if ((tmp = malloc(need + 1)) == NULL) {
		va_end(again);
		errno = ENOMEM;
		return -1;
	}
	(void)vsnprintf(tmp, need + 1, fmt, again);
	va_end(again);
	n = sk_buf_append(b, tmp, need) == -1 ? -1 : n;
	free(tmp);
	return n;
}

int
sk_buf_printf(struct sk_buf *b, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = sk_buf_vprintf(b, fmt, ap);
	va_end(ap);
	return n;
}

void
sk_buf_consume(struct sk_buf *b, size_t n)
{
	if (n >= b->len) {
		b->off = b->len = 0;
		return;
	}
	b->off += n;
	b->len -= n;
}

ssize_t
sk_buf_read(struct sk_buf *b, int fd, size_t max)
{
	uint8_t	*dst;
	size_t	 room;
	ssize_t	 n;

	room = sk_buf_room(b);
	if (max > room)
		max = room;
	if (max == 0) {
		errno = ENOBUFS;
		return -1;
	}
	if ((dst = sk_buf_reserve(b, max)) == NULL)
		return -1;
	do
		n = read(fd, dst, max);
	while (n == -1 && errno == EINTR);
	if (n > 0)
		b->len += (size_t)n;
	return n;
}

ssize_t
sk_buf_write(struct sk_buf *b, int fd)
{
	size_t	 total = 0;
	ssize_t	 n;

	while (b->len > 0) {
		n = sk_net_write(fd, b->data + b->off, b->len);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				break;
			return -1;
		}
		sk_buf_consume(b, (size_t)n);
		total += (size_t)n;
	}
	return (ssize_t)total;
}
