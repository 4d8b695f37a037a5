/*
 * wb.c - write-behind (see wb.h): a ring of buffers between the filling
 * thread and one writer thread, a mutex and two condition variables.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sockkit/wb.h>

#include "err.h"

struct sk_wb {
	pthread_mutex_t	 mu;
	pthread_cond_t	 filled;	/* the writer waits for work */
	pthread_cond_t	 freed;		/* the filler waits for a buffer */
	pthread_t	 thread;
	int		 fd;
	size_t		 bufsize;
	int		 nbufs;
	unsigned char	**buf;
	size_t		*len;
	int		 head;		/* the next buffer to write */
	int		 count;		/* buffers queued, from head on */
	int		 closing;
	int		 error;		/* errno of the failed write, or 0 */
	long long	 written;
};

static void *
writer(void *arg)
{
	struct sk_wb	*w = arg;
	unsigned char	*p;
	size_t		 left;
	ssize_t		 n;
	int		 e = 0;

	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (w->count == 0 && !w->closing)
			pthread_cond_wait(&w->filled, &w->mu);
		if (w->count == 0)
			break;
		p = w->buf[w->head];
		left = w->len[w->head];
		pthread_mutex_unlock(&w->mu);
		while (left > 0 && e == 0) {
			n = write(w->fd, p, left);
			if (n > 0) {
				p += n;
				left -= (size_t)n;
			} else if (n == -1 && errno != EINTR)
				e = errno;
			else if (n == 0)
				e = EIO;
		}
		pthread_mutex_lock(&w->mu);
		if (e != 0) {
			w->error = e;
			w->count = 0;	/* nothing after a failure */
			pthread_cond_signal(&w->freed);
			break;
		}
		w->written += (long long)w->len[w->head];
		w->head = (w->head + 1) % w->nbufs;
		w->count--;
		pthread_cond_signal(&w->freed);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

static void
release(struct sk_wb *w)
{
	int	i;

	if (w->buf != NULL)
		for (i = 0; i < w->nbufs; i++)
			free(w->buf[i]);
	free(w->buf);
	free(w->len);
	free(w);
}

struct sk_wb *
sk_wb_new(char *err, int fd, size_t bufsize, int nbufs)
{
	struct sk_wb	*w;
	int		 i, rc;

	if (nbufs < 1 || bufsize == 0) {
		errno = EINVAL;
		core_errno(err, "write-behind");
		return NULL;
	}
	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->buf = calloc((size_t)nbufs, sizeof(*w->buf))) == NULL ||
	    (w->len = calloc((size_t)nbufs, sizeof(*w->len))) == NULL)
		goto fail;
	w->nbufs = nbufs;
	for (i = 0; i < nbufs; i++)
		if (posix_memalign((void **)&w->buf[i], 4096, bufsize) != 0)
			goto fail;
	w->fd = fd;
	w->bufsize = bufsize;
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->filled, NULL);
	pthread_cond_init(&w->freed, NULL);
	if ((rc = pthread_create(&w->thread, NULL, writer, w)) != 0) {
		pthread_cond_destroy(&w->freed);
		pthread_cond_destroy(&w->filled);
		pthread_mutex_destroy(&w->mu);
		errno = rc;
		goto fail;
	}
	return w;
fail:
	core_errno(err, "write-behind");
	if (w != NULL) {
		rc = errno;
		release(w);
		errno = rc;
	}
	return NULL;
}

void *
sk_wb_buf(struct sk_wb *w)
{
	void	*p = NULL;

	pthread_mutex_lock(&w->mu);
	while (w->count == w->nbufs && w->error == 0)
		pthread_cond_wait(&w->freed, &w->mu);
	if (w->error == 0)
		p = w->buf[(w->head + w->count) % w->nbufs];
	pthread_mutex_unlock(&w->mu);
	return p;
}

void
sk_wb_push(struct sk_wb *w, size_t len)
{
	pthread_mutex_lock(&w->mu);
	if (w->error == 0 && len > 0) {
		w->len[(w->head + w->count) % w->nbufs] =
		    len < w->bufsize ? len : w->bufsize;
		w->count++;
		pthread_cond_signal(&w->filled);
	}
	pthread_mutex_unlock(&w->mu);
}

long long
sk_wb_written(struct sk_wb *w)
{
	long long	n;

	pthread_mutex_lock(&w->mu);
	n = w->written;
	pthread_mutex_unlock(&w->mu);
	return n;
}

int
sk_wb_close(struct sk_wb *w)
{
	int	e;

	pthread_mutex_lock(&w->mu);
	w->closing = 1;
	pthread_cond_signal(&w->filled);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	e = w->error;
	pthread_cond_destroy(&w->freed);
	pthread_cond_destroy(&w->filled);
	pthread_mutex_destroy(&w->mu);
	release(w);
	if (e != 0) {
		errno = e;
		return -1;
	}
	return 0;
}
