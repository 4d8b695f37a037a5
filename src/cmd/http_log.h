/*
 * http_log.h - a log that never stalls an event-loop server.
 *
 * Lines are queued, and a thread of its own writes them to the fd,
 * blocking as long as it must (a terminal paused with ^S, a pipe nobody
 * reads, a slow disk) while the loop goes on serving.  The queue holds
 * ALOG_MAX bytes; what comes while it is full is dropped and counted, and
 * the count said once there is room again.  Nothing here knows about
 * HTTP: any server of src/cmd may keep its log or stderr in one.
 *
 *	struct alog *a = alog_new(STDERR_FILENO, "http");
 *	alog_say(a, "%s connected", peer);	(queued, never blocks)
 *	if ((e = alog_error(a)) != 0) ...	(a failed write, said once)
 *	alog_free(a);				(writes what is left, 1 s)
 *
 * Every function but alog_new() and alog_free() is called from the
 * loop's thread only; the queue is shared with the writer under a lock.
 */
#ifndef SOCKKIT_HTTP_LOG_H
#define SOCKKIT_HTTP_LOG_H

#include <stddef.h>

#define ALOG_MAX	(256 * 1024)	/* bytes queued at most */
#define ALOG_LINEMAX	1024		/* alog_say(): a longer line is cut */

struct alog;

/*
 * A log written by a thread to fd (never closed here), its notes said as
 * "sockkit: CMD: ..." (cmd is kept, not copied).  NULL with errno set.
 */
struct alog	*alog_new(int fd, const char *cmd);

/*
 * Queue n bytes (whole lines) of p.  When the queue is full they are
 * dropped and counted.  When note is set (the log is stderr) the count of
 * lines dropped before, now that there is room again, is said first in
 * the log itself and 0 returned; else that count is returned for the
 * caller to say elsewhere (0: none dropped).
 */
long long	 alog_put(struct alog *a, const char *p, size_t n, int note);

/*
 * "sockkit: CMD: " and the printf-formatted text as one line, cut to
 * ALOG_LINEMAX - 1 bytes with its newline, queued with note set.
 */
void		 alog_say(struct alog *a, const char *fmt, ...)
		    __attribute__((format(printf, 2, 3)));

/* A write error not said yet, once: its errno, else 0. */
int		 alog_error(struct alog *a);

/*
 * Write what is queued and stop the thread, waiting a second at most: a
 * log still blocked then is left to the process's exit (its thread and
 * memory with it).  alog_free(NULL) does nothing.
 */
void		 alog_free(struct alog *a);

#endif /* SOCKKIT_HTTP_LOG_H */
