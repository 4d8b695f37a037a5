/*
 * buf.h - a growable byte buffer with a limit, for backpressure.
 *
 * Bytes live in data[off .. off+len).  Appending grows the storage (or
 * slides the bytes down to reuse consumed room) but never past `limit`
 * bytes held: past it, appends fail with ENOBUFS, and a server uses
 * sk_buf_full() to stop reading from a peer whose output is not drained.
 *
 * A struct sk_buf is embedded in its owner: sk_buf_init() sets it up with no
 * storage, sk_buf_release() frees the storage (an idle connection then costs
 * nothing) and leaves an empty buffer that may be used again.
 */
#ifndef SOCKKIT_BUF_H
#define SOCKKIT_BUF_H

#include <sys/types.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

struct sk_buf {
	uint8_t	*data;
	size_t	 off;		/* consumed bytes at the front */
	size_t	 len;		/* bytes held */
	size_t	 cap;		/* bytes allocated */
	size_t	 limit;		/* most bytes held; 0 means no limit */
};

void	sk_buf_init(struct sk_buf *b, size_t limit);
void	sk_buf_release(struct sk_buf *b);

/* The bytes held (NULL when no storage is held), and how many. */
static inline const uint8_t *
sk_buf_data(const struct sk_buf *b)
{
	/* NULL + 0 is undefined behaviour, so an empty buffer says NULL. */
	return b->data == NULL ? NULL : b->data + b->off;
}

static inline size_t
sk_buf_len(const struct sk_buf *b)
{
	return b->len;
}

/* How many more bytes the limit lets in (SIZE_MAX when unlimited). */
size_t	sk_buf_room(const struct sk_buf *b);

/* 1 when the limit is reached (stop reading into this buffer), else 0. */
int	sk_buf_full(const struct sk_buf *b);

/*
 * Make at least n bytes writable after the held ones, compacting or growing.
 * Returns a pointer to them, or NULL, not -1 (errno ENOBUFS past the
 * limit, ENOMEM).
 * Write into them, then sk_buf_commit() what was written.
 */
uint8_t	*sk_buf_reserve(struct sk_buf *b, size_t n);
void	 sk_buf_commit(struct sk_buf *b, size_t n);

/* Append n bytes: 0, or -1 with errno ENOBUFS (limit) or ENOMEM. */
int	sk_buf_append(struct sk_buf *b, const void *p, size_t n);

/*
 * Append printf-formatted text of any length (no NUL is stored).  Returns
 * the count appended, or -1 with errno ENOBUFS (it would pass the limit),
 * ENOMEM, or EOVERFLOW (vsnprintf refused the format); the held bytes are
 * unchanged on failure.
 */
int	sk_buf_printf(struct sk_buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
int	sk_buf_vprintf(struct sk_buf *b, const char *fmt, va_list ap)
	    __attribute__((format(printf, 2, 0)));

/* Drop n bytes from the front (n <= len).  Empty buffers rewind. */
void	sk_buf_consume(struct sk_buf *b, size_t n);

/* Slide the held bytes to the start of the storage. */
void	sk_buf_compact(struct sk_buf *b);

/*
 * One read(2) of up to max bytes (bounded by the limit) into the buffer.
 * Returns the count, 0 at end of file, -1 on error (errno EAGAIN when
 * nothing is ready, ENOBUFS when the buffer is full).  No err argument:
 * it runs per event, so errno alone says why (as for sk_buf_write()).
 */
ssize_t	sk_buf_read(struct sk_buf *b, int fd, size_t max);

/*
 * Write held bytes to fd until they are all gone or the fd would block,
 * consuming what was written.  Returns the count written (maybe 0 when the
 * fd would block at once), or -1 on an error other than EAGAIN.  Sockets
 * are written without SIGPIPE.
 */
ssize_t	sk_buf_write(struct sk_buf *b, int fd);

#endif /* SOCKKIT_BUF_H */
