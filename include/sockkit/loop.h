/*
 * loop.h - one event loop with interchangeable backends: select, poll and
 * epoll (where the system has it), picked at run time.
 *
 * The loop watches fds and calls one callback per fd with the mask of what
 * is ready.  It never closes an fd nor frees user data: the caller owns
 * both.  Any watch may be added, changed or removed from inside any
 * callback, including the fd's own; an fd removed during an iteration gets
 * no further callback in it.
 *
 * Fds that the backend cannot watch because they are always ready (regular
 * files, and /dev/null under epoll) are still served: they are reported
 * ready on every iteration, as poll(2) itself reports them.
 *
 * Timers run on the monotonic clock with millisecond resolution.  They are
 * meant for a handful of timers (a sweep, a deadline, a repeat): per-
 * connection deadlines belong in one repeating sweep timer.
 */
#ifndef SOCKKIT_LOOP_H
#define SOCKKIT_LOOP_H

#define SK_READ		0x1
#define SK_WRITE	0x2

struct sk_loop;

typedef void	sk_io_cb(struct sk_loop *loop, int fd, int mask, void *arg);
typedef void	sk_timer_cb(struct sk_loop *loop, long long id, void *arg);

/*
 * Create a loop on the named backend ("select", "poll", "epoll"), or the
 * best available one when name is NULL.  Returns NULL with err set for an
 * unknown or unavailable backend, or when the backend fails to start.
 */
struct sk_loop	*sk_loop_new(char *err, const char *backend);
void		 sk_loop_free(struct sk_loop *loop);

/* The backend's name, e.g. "epoll". */
const char	*sk_loop_backend(const struct sk_loop *loop);

/* The backends compiled in, best first, NULL-terminated. */
const char *const *sk_loop_backends(void);

/*
 * Watch fd for the events in mask (SK_READ, SK_WRITE or both), calling cb.
 * Adding an fd already watched replaces its mask, callback and argument.
 * The select backend refuses an fd >= FD_SETSIZE with an error naming it.
 * 0, or -1 with err set (as sk_loop_mod()).
 */
int	sk_loop_add(char *err, struct sk_loop *loop, int fd, int mask,
	    sk_io_cb *cb, void *arg);

/*
 * 0 when sk_loop_add() could watch fd as far as the backend goes, else -1
 * with err set and errno EINVAL (the select backend past FD_SETSIZE).
 */
int	sk_loop_watchable(char *err, const struct sk_loop *loop, int fd);

/* Change what fd is watched for; mask 0 pauses it but keeps its callback.
 * 0, or -1 with err set (EBADF: fd is not watched). */
int	sk_loop_mod(char *err, struct sk_loop *loop, int fd, int mask);

/* The mask fd is watched for, or -1 when it is not watched (a lookup:
 * no error, errno untouched). */
int	sk_loop_mask(const struct sk_loop *loop, int fd);

/* Stop watching fd (before closing it).  Unwatched fds are ignored. */
void	sk_loop_del(struct sk_loop *loop, int fd);

/*
 * Call cb after `after_ms` milliseconds, then every `every_ms` milliseconds
 * if that is > 0, until cancelled.  Returns a timer id (> 0), or -1.
 * A callback may cancel its own timer.
 */
long long	sk_loop_timer_add(char *err, struct sk_loop *loop,
		    long long after_ms, long long every_ms, sk_timer_cb *cb,
		    void *arg);
/* Cancel a timer; returns 0, or -1 (no errno, no err) when there is no
 * such timer. */
int		sk_loop_timer_del(struct sk_loop *loop, long long id);

/*
 * Run until sk_loop_stop() is called or nothing is left to wait for (no
 * fd watched for anything and no timer).  Returns 0, or -1 with err set
 * when the backend fails.
 */
int	sk_loop_run(char *err, struct sk_loop *loop);

/*
 * Wait once, at most timeout_ms (< 0: until something happens), then run
 * the ready callbacks and due timers.  Returns the number of callbacks run,
 * or -1 when the backend fails.
 */
int	sk_loop_once(char *err, struct sk_loop *loop, int timeout_ms);

/*
 * Call cb before every wait, after the callbacks of the last one ran (as
 * redis's beforeSleep): a server can gather replies while it handles a
 * batch of ready fds and send them all at once here.  NULL removes it.
 */
typedef void	sk_prewait_cb(struct sk_loop *loop, void *arg);
void	sk_loop_set_prewait(struct sk_loop *loop, sk_prewait_cb *cb,
	    void *arg);

/*
 * Busy-polling: after an iteration that handled events, check for new
 * ones without sleeping for up to usec microseconds before blocking.
 * Under load the next event usually comes within that, and a loop that
 * sleeps makes every peer that wakes it pay for the wakeup.  An idle loop
 * never spins.  0 (the default) turns it off.
 */
void	sk_loop_set_spin(struct sk_loop *loop, int usec);

/* Make sk_loop_run() return after the current iteration. */
void	sk_loop_stop(struct sk_loop *loop);

/* Milliseconds on the loop's monotonic clock, for deadlines: the same
 * clock as sk_clock_ms() (clock.h). */
long long	sk_loop_now_ms(void);

#endif /* SOCKKIT_LOOP_H */
