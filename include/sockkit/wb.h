/*
 * wb.h - write-behind: a second thread writes what the caller fills, so
 * the copy into the page cache runs on another core while the caller
 * receives and checks the next piece.
 *
 *     struct sk_wb *w = sk_wb_new(err, fd, 256 * 1024, 8);
 *     while ((p = sk_wb_buf(w)) != NULL && (n = fill(p)) > 0)
 *             sk_wb_push(w, n);       (p is written later, in order)
 *     if (sk_wb_close(w) == -1) ...   (flushes; errno = the write error)
 *
 * Buffers are page-aligned (the kernel copies into those much faster) and
 * there are nbufs of them: memory is nbufs * bufsize, whatever the size of
 * the data.  sk_wb_buf() waits while every buffer is queued and returns
 * NULL once a write has failed: stop filling, and close to learn why.
 * Everything pushed before a failure is written; nothing after it.  The
 * fd is not closed.  One thread fills; the handle is not shared further.
 */
#ifndef SOCKKIT_WB_H
#define SOCKKIT_WB_H

#include <stddef.h>

struct sk_wb;

/* Start the writer thread: the handle, or NULL with err set (errno
 * EINVAL for no buffers, ENOMEM, or pthread_create's). */
struct sk_wb	*sk_wb_new(char *err, int fd, size_t bufsize, int nbufs);

/* A free buffer of bufsize bytes to fill, or NULL once a write failed
 * (no errno: sk_wb_close() says why). */
void		*sk_wb_buf(struct sk_wb *w);

/* Queue len bytes (at most bufsize) of the buffer sk_wb_buf() gave. */
void		 sk_wb_push(struct sk_wb *w, size_t len);

/* Bytes written to fd so far. */
long long	 sk_wb_written(struct sk_wb *w);

/* Write what is queued, stop the thread and free w: 0, or -1 with errno
 * the first write's error (no err argument: the caller names the file). */
int		 sk_wb_close(struct sk_wb *w);

#endif /* SOCKKIT_WB_H */
