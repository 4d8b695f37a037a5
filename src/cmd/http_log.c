/*
 * http_log.c - the logs of sockkit http: a queue that a thread of its own
 * writes to the log's fd (http_log.h: shared by any server that must not
 * stall on its log), and the access log's Common Log Format lines.
 */
#include <sys/types.h>

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sockkit/buf.h>

#include "http.h"

struct alog {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;		/* work queued, or the writer done */
	pthread_t	 th;
	int		 fd;
	const char	*cmd;
	char		*q;		/* ALOG_MAX */
	size_t		 len;
	long long	 dropped;	/* lines since the queue was full */
	int		 err;		/* a write's errno; 0 */
	int		 said;		/* err reported */
	int		 stop, done;
};

/*
 * The writer: it takes all that is queued at once and writes it, as long
 * as that takes, with the lock let go, so a put never waits on a write.
 */
static void *
alog_main(void *arg)
{
	struct alog	*a = arg;
	char		*buf;
	size_t		 n, off;
	ssize_t		 k;
	int		 e;

	if ((buf = malloc(ALOG_MAX)) == NULL) {
		pthread_mutex_lock(&a->mu);
		a->err = ENOMEM;
		goto out;
	}
	pthread_mutex_lock(&a->mu);
	for (;;) {
		while (a->len == 0 && !a->stop)
			pthread_cond_wait(&a->cv, &a->mu);
		if (a->len == 0)
			break;
		n = a->len;
		memcpy(buf, a->q, n);
		a->len = 0;
		pthread_mutex_unlock(&a->mu);
		for (off = 0, e = 0; off < n; off += (size_t)k)
			if ((k = write(a->fd, buf + off, n - off)) <= 0) {
				if (k == -1 && errno == EINTR) {
					k = 0;
					continue;
				}
				e = k == 0 ? EIO : errno;
				break;
			}
		pthread_mutex_lock(&a->mu);
		if (e != 0 && a->err == 0)
			a->err = e;
	}
out:
	a->done = 1;
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
	free(buf);
	return NULL;
}

struct alog *
alog_new(int fd, const char *cmd)
{
	struct alog	*a;
	int		 e;

	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (a->q = malloc(ALOG_MAX)) == NULL) {
		free(a);
		errno = ENOMEM;
		return NULL;
	}
	a->fd = fd;
	a->cmd = cmd;
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->cv, NULL);
	if ((e = pthread_create(&a->th, NULL, alog_main, a)) != 0) {
		pthread_mutex_destroy(&a->mu);
		pthread_cond_destroy(&a->cv);
		free(a->q);
		free(a);
		errno = e;
		return NULL;
	}
	return a;
}

/*
 * alog_put()'s work, with a newline after p when nl is set: the line and
 * its end go into the queue together or not at all.
 */
static long long
enqueue(struct alog *a, const void *p, size_t n, int nl, int note)
{
	char		msg[128];
	long long	d;
	int		k = 0;

	pthread_mutex_lock(&a->mu);
	if (note && a->dropped > 0)
		k = snprintf(msg, sizeof(msg), "sockkit: %s: %lld log line%s "
		    "dropped: stderr was not being read\n", a->cmd, a->dropped,
		    a->dropped == 1 ? "" : "s");
	if (a->len + (size_t)k + n + (nl != 0) > ALOG_MAX) {
		a->dropped++;
		pthread_mutex_unlock(&a->mu);
		return 0;
	}
	memcpy(a->q + a->len, msg, (size_t)k);
	a->len += (size_t)k;
	if (n > 0)
		memcpy(a->q + a->len, p, n);
	a->len += n;
	if (nl)
		a->q[a->len++] = '\n';
	d = a->dropped;
	a->dropped = 0;
	pthread_cond_signal(&a->cv);
	pthread_mutex_unlock(&a->mu);
	return note ? 0 : d;
}

long long
alog_put(struct alog *a, const char *p, size_t n, int note)
{
	return enqueue(a, p, n, 0, note);
}

void
alog_say(struct alog *a, const char *fmt, ...)
{
	struct sk_buf	line;
	va_list		ap;
	size_t		n;
	int		k;

	sk_buf_init(&line, 0);
	va_start(ap, fmt);
	k = sk_buf_printf(&line, "sockkit: %s: ", a->cmd) == -1 ? -1 :
	    sk_buf_vprintf(&line, fmt, ap);
	va_end(ap);
	/* Cut to fit ALOG_LINEMAX with its newline, as it always was. */
	if (k != -1 && (n = sk_buf_len(&line)) > 0)
		(void)enqueue(a, sk_buf_data(&line), n < ALOG_LINEMAX - 2 ? n :
		    ALOG_LINEMAX - 2, 1, 1);
	sk_buf_release(&line);
}

int
alog_error(struct alog *a)
{
	int	e = 0;

	pthread_mutex_lock(&a->mu);
	if (a->err != 0 && !a->said) {
		e = a->err;
		a->said = 1;
	}
	pthread_mutex_unlock(&a->mu);
	return e;
}

void
alog_free(struct alog *a)
{
	struct timespec	ts;
	int		done;

	if (a == NULL)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 1;
	pthread_mutex_lock(&a->mu);
	a->stop = 1;
	pthread_cond_broadcast(&a->cv);
	while (!a->done && pthread_cond_timedwait(&a->cv, &a->mu, &ts) == 0)
		;
	done = a->done;
	pthread_mutex_unlock(&a->mu);
	if (!done) {
		(void)pthread_detach(a->th);
		return;
	}
	(void)pthread_join(a->th, NULL);
	pthread_mutex_destroy(&a->mu);
	pthread_cond_destroy(&a->cv);
	free(a->q);
	free(a);
}

/* The access log: one line per response. */

/*
 * The body bytes that have left so far: what of the body queued in out
 * was written (it is out's tail), and the file's part.
 */
static long long
body_sent(const struct hconn *c)
{
	long long	left = (long long)sk_buf_len(&c->out);

	return c->obody - (left < c->obody ? left : c->obody) +
	    (long long)(c->off - c->fstart);
}

/* A write to the log failed: said once; the server goes on serving. */
void
http_log_failed(struct hsrv *s)
{
	int	e;

	if (s->log != NULL && (e = alog_error(s->log)) != 0)
		http_say_errno(s->o->log != NULL ? "access log " : "access log",
		    s->o->log != NULL ? s->o->log : "", e);
}

/*
 * One line per response, once: when it has all gone, or when the
 * connection ends before (the client left, reset or stopped reading, the
 * file shrank, the server was stopped), with the body bytes that did go,
 * as nginx logs a download cut short.
 */
void
http_access_log(struct hconn *c)
{
	struct hsrv	*s = c->srv;
	char		 when[64], line[1024];
	struct tm	 tm;
	time_t		 t = time(NULL);
	long long	 sent = body_sent(c), d;
	int		 status = c->status, n;

	c->status = 0;
	if (s->log == NULL || status == 0)
		return;
	localtime_r(&t, &tm);
	strftime(when, sizeof(when), "%d/%b/%Y:%H:%M:%S %z", &tm);
	if (sent > 0)
		n = snprintf(line, sizeof(line), "%s - - [%s] \"%s\" %d %lld\n",
		    c->host, when, c->line, status, sent);
	else
		n = snprintf(line, sizeof(line), "%s - - [%s] \"%s\" %d -\n",
		    c->host, when, c->line, status);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	if ((d = alog_put(s->log, line, (size_t)n, s->log == s->elog)) > 0)
		alog_say(s->elog, "%lld log line%s dropped: the --log file "
		    "was not being written fast enough", d, d == 1 ? "" : "s");
	http_log_failed(s);
}
