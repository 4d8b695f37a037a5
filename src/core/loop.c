/*
 * loop.c - the event loop: the fd table, timers and dispatch (see loop.h).
 * The backends (loop_select.c, loop_poll.c, loop_epoll.c) only tell which
 * fds are ready.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <sockkit/clock.h>
#include <sockkit/loop.h>
#include <sockkit/net.h>

#include "err.h"
#include "loop_impl.h"

static const struct sk_loop_ops *const backends[] = {
#ifdef __linux__
	&sk_loop_epoll_ops,
#endif
	&sk_loop_poll_ops,
	&sk_loop_select_ops,
	NULL
};

static const char *const backend_names[] = {
#ifdef __linux__
	"epoll",
#endif
	"poll",
	"select",
	NULL
};

const char *const *
sk_loop_backends(void)
{
	return backend_names;
}

long long
sk_loop_now_ms(void)
{
	return sk_clock_ms();
}

struct sk_loop *
sk_loop_new(char *err, const char *backend)
{
	const struct sk_loop_ops	*ops = NULL;
	struct sk_loop			*loop;
	size_t				 i;

	for (i = 0; backends[i] != NULL; i++)
		if (backend == NULL || strcmp(backend, backends[i]->name) == 0) {
			ops = backends[i];
			break;
		}
	if (ops == NULL) {
		char	have[64] = "";

		for (i = 0; backend_names[i] != NULL; i++) {
			if (i > 0)
				strcat(have, ", ");
			strcat(have, backend_names[i]);
		}
		errno = EINVAL;
		core_err(err, "unknown event loop backend '%s' (have: %s)",
		    backend, have);
		return NULL;
	}
	if ((loop = calloc(1, sizeof(*loop))) == NULL) {
		core_errno(err, "event loop");
		return NULL;
	}
	loop->ops = ops;
	loop->nextid = 1;
	if (ops->init(loop) == -1) {
		core_errno(err, "%s backend", ops->name);
		free(loop);
		return NULL;
	}
	return loop;
}

void
sk_loop_free(struct sk_loop *loop)
{
	if (loop == NULL)
		return;
	loop->ops->fini(loop);
	free(loop->fds);
	free(loop->fired);
	free(loop->timers);
	free(loop);
}

const char *
sk_loop_backend(const struct sk_loop *loop)
{
	return loop->ops->name;
}

/* Make room in the fd table (and the fired list) for fd. */
static int
grow(struct sk_loop *loop, int fd)
{
	struct fdent	*fds;
	struct fired	*fired;
	int		 n;

	if (fd < loop->nfds)
		return 0;
	n = loop->nfds ? loop->nfds : 64;
	while (n <= fd)
		n = n > INT_MAX / 2 ? INT_MAX : n * 2;
	if ((fds = realloc(loop->fds, (size_t)n * sizeof(*fds))) == NULL)
		return -1;
	memset(fds + loop->nfds, 0, (size_t)(n - loop->nfds) * sizeof(*fds));
	loop->fds = fds;
	if ((fired = realloc(loop->fired, (size_t)n * sizeof(*fired))) == NULL)
		return -1;
	loop->fired = fired;
	loop->nfds = n;
	return 0;
}

/* Move fd's watch from its current mask to mask, in the counts too. */
static int
change(char *err, struct sk_loop *loop, int fd, int mask)
{
	struct fdent	*e = &loop->fds[fd];

	if (!e->always && e->mask != mask &&
	    loop->ops->set(loop, fd, e->mask, mask) == -1) {
		/*
		 * epoll refuses regular files and /dev/null (EPERM): they
		 * never block, so serve them as always ready.
		 */
		if (errno != EPERM || e->mask != 0) {
			core_errno(err, "%s: watch fd %d", loop->ops->name, fd);
			return -1;
		}
		e->always = 1;
	}
	loop->nactive += (mask != 0) - (e->mask != 0);
	if (e->always)
		loop->nalways += (mask != 0) - (e->mask != 0);
	e->mask = mask;
	return 0;
}

int
sk_loop_watchable(char *err, const struct sk_loop *loop, int fd)
{
	if (fd < 0 || (loop->ops->maxfd > 0 && fd >= loop->ops->maxfd)) {
		errno = EINVAL;
		core_err(err, "%s: cannot watch fd %d (the limit is %d; use the "
		    "poll or epoll backend)", loop->ops->name, fd,
		    loop->ops->maxfd);
		return -1;
	}
	return 0;
}

int
sk_loop_add(char *err, struct sk_loop *loop, int fd, int mask, sk_io_cb *cb,
    void *arg)
{
	struct fdent	*e;

	mask &= SK_READ | SK_WRITE;
	if (sk_loop_watchable(err, loop, fd) == -1)
		return -1;
	if (grow(loop, fd) == -1) {
		core_errno(err, "event loop: fd table");
		return -1;
	}
	e = &loop->fds[fd];
	if (!e->watched) {
		e->mask = 0;
		e->always = 0;
	}
	if (change(err, loop, fd, mask) == -1)
		return -1;
	e->watched = 1;
	e->cb = cb;
	e->arg = arg;
	return 0;
}

int
sk_loop_mod(char *err, struct sk_loop *loop, int fd, int mask)
{
	if (fd < 0 || fd >= loop->nfds || !loop->fds[fd].watched) {
		errno = EBADF;
		core_err(err, "event loop: fd %d is not watched", fd);
		return -1;
	}
	return change(err, loop, fd, mask & (SK_READ | SK_WRITE));
}

int
sk_loop_mask(const struct sk_loop *loop, int fd)
{
	if (fd < 0 || fd >= loop->nfds || !loop->fds[fd].watched)
		return -1;
	return loop->fds[fd].mask;
}

void
sk_loop_del(struct sk_loop *loop, int fd)
{
	struct fdent	*e;

	if (fd < 0 || fd >= loop->nfds || !loop->fds[fd].watched)
		return;
	e = &loop->fds[fd];
	/* Removing a watch cannot fail in a way the caller could mend. */
	(void)change(NULL, loop, fd, 0);
	memset(e, 0, sizeof(*e));
}

/* The timer heap, ordered by deadline, then by id (first come first). */
static int
earlier(const struct timer *a, const struct timer *b)
{
	return a->when < b->when || (a->when == b->when && a->id < b->id);
}

static void
sift_up(struct timer *h, size_t i)
{
	struct timer	t = h[i];

	while (i > 0 && earlier(&t, &h[(i - 1) / 2])) {
		h[i] = h[(i - 1) / 2];
		i = (i - 1) / 2;
	}
	h[i] = t;
}

static void
sift_down(struct timer *h, size_t n, size_t i)
{
	struct timer	t = h[i];
	size_t		c;

	while ((c = 2 * i + 1) < n) {
		if (c + 1 < n && earlier(&h[c + 1], &h[c]))
			c++;
		if (!earlier(&h[c], &t))
			break;
		h[i] = h[c];
		i = c;
	}
	h[i] = t;
}

static void
heap_remove(struct sk_loop *loop, size_t i)
{
	loop->ntimers--;
	if (i == loop->ntimers)
		return;
	loop->timers[i] = loop->timers[loop->ntimers];
	sift_down(loop->timers, loop->ntimers, i);
	sift_up(loop->timers, i);
}

long long
sk_loop_timer_add(char *err, struct sk_loop *loop, long long after_ms,
    long long every_ms, sk_timer_cb *cb, void *arg)
{
	struct timer	*t;
	size_t		 cap;

	if (loop->ntimers == loop->timercap) {
		cap = loop->timercap ? loop->timercap * 2 : 8;
		if ((t = realloc(loop->timers, cap * sizeof(*t))) == NULL) {
			core_errno(err, "event loop: timer");
			return -1;
		}
		loop->timers = t;
		loop->timercap = cap;
	}
	t = &loop->timers[loop->ntimers];
	t->when = sk_loop_now_ms() + (after_ms > 0 ? after_ms : 0);
	t->every = every_ms > 0 ? every_ms : 0;
	t->id = loop->nextid++;
	t->cb = cb;
	t->arg = arg;
	sift_up(loop->timers, loop->ntimers++);
	return loop->nextid - 1;
}

int
sk_loop_timer_del(struct sk_loop *loop, long long id)
{
	size_t	i;

	for (i = 0; i < loop->ntimers; i++)
		if (loop->timers[i].id == id) {
			heap_remove(loop, i);
			return 0;
		}
	return -1;
}

/*
 * Run the timers due by now.  Timers added by these callbacks wait for the
 * next pass, so a callback that re-arms at 0 ms cannot starve the fds.
 */
static int
run_timers(struct sk_loop *loop)
{
	struct timer	 t;
	long long	 now = sk_loop_now_ms(), last = loop->nextid;
	int		 ran = 0;

	while (loop->ntimers > 0 && loop->timers[0].when <= now &&
	    loop->timers[0].id < last && !loop->stop) {
		t = loop->timers[0];
		if (t.every > 0) {
			/* Re-arm first, so the callback may cancel it. */
			loop->timers[0].when = t.when + t.every > now ?
			    t.when + t.every : now + t.every;
			sift_down(loop->timers, loop->ntimers, 0);
		} else
			heap_remove(loop, 0);
		t.cb(loop, t.id, t.arg);
		ran++;
	}
	return ran;
}

int
sk_loop_once(char *err, struct sk_loop *loop, int timeout_ms)
{
	struct fdent	*e;
	long long	 d;
	int		 i, fd, mask, ran = 0;

	if (loop->prewait != NULL)
		loop->prewait(loop, loop->prewait_arg);
	if (loop->ntimers > 0) {
		d = loop->timers[0].when - sk_loop_now_ms();
		if (d < 0)
			d = 0;
		if (timeout_ms < 0 || d < timeout_ms)
			timeout_ms = d > INT_MAX ? INT_MAX : (int)d;
	}
	if (loop->nalways > 0)
		timeout_ms = 0;
	loop->nfired = 0;
	if (loop->nfds > 0 || timeout_ms != 0) {
		/*
		 * Under load the next event usually comes within a few tens
		 * of microseconds: look for it without sleeping first, since
		 * being woken costs the peer that wakes us more than the
		 * spin costs here.  An idle loop (the last wait found
		 * nothing) sleeps at once.
		 */
		if (loop->busy && timeout_ms != 0 && loop->spin_us > 0) {
			long long	spin = loop->spin_us, until;

			/* Never past the caller's own timeout. */
			if (timeout_ms > 0 && spin > timeout_ms * 1000LL)
				spin = timeout_ms * 1000LL;
			until = sk_clock_us() + spin;

			do {
				if (loop->ops->wait(loop, 0) == -1) {
					core_errno(err, "%s: wait",
					    loop->ops->name);
					return -1;
				}
			} while (loop->nfired == 0 && sk_clock_us() < until);
		}
		if (loop->nfired == 0 &&
		    loop->ops->wait(loop, timeout_ms) == -1) {
			core_errno(err, "%s: wait", loop->ops->name);
			return -1;
		}
		loop->busy = loop->nfired > 0;
	}
	if (loop->nalways > 0)
		for (fd = 0; fd < loop->nfds; fd++)
			if (loop->fds[fd].always && loop->fds[fd].mask)
				loop_fire(loop, fd, loop->fds[fd].mask);
	/*
	 * Look the fd up again for each event: an earlier callback may have
	 * removed or changed its watch, and then it must not be called for
	 * what it no longer asks.
	 */
	for (i = 0; i < loop->nfired && !loop->stop; i++) {
		fd = loop->fired[i].fd;
		e = &loop->fds[fd];
		mask = loop->fired[i].mask & e->mask;
		if (mask == 0 || e->cb == NULL)
			continue;
		e->cb(loop, fd, mask, e->arg);
		ran++;
	}
	loop->nfired = 0;
	return ran + run_timers(loop);
}

int
sk_loop_run(char *err, struct sk_loop *loop)
{
	loop->stop = 0;
	while (!loop->stop && (loop->nactive > 0 || loop->ntimers > 0))
		if (sk_loop_once(err, loop, -1) == -1)
			return -1;
	return 0;
}

void
sk_loop_set_spin(struct sk_loop *loop, int usec)
{
	loop->spin_us = usec > 0 ? usec : 0;
}

void
sk_loop_set_prewait(struct sk_loop *loop, sk_prewait_cb *cb, void *arg)
{
	loop->prewait = cb;
	loop->prewait_arg = arg;
}

void
sk_loop_stop(struct sk_loop *loop)
{
	loop->stop = 1;
}
