/*
 * loop_epoll.c - the epoll(7) backend, Linux only: the cost of a wait grows
 * with the ready fds, not the watched ones.
 */
#ifdef __linux__

#include <sys/epoll.h>

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "loop_impl.h"

/* Events taken per wait; more stay queued for the next one. */
#define NEVENTS	1024

struct epstate {
	int			epfd;
	struct epoll_event	ev[NEVENTS];
};

static int
ep_init(struct sk_loop *loop)
{
	struct epstate	*s;

	if ((s = malloc(sizeof(*s))) == NULL)
		return -1;
	if ((s->epfd = epoll_create1(EPOLL_CLOEXEC)) == -1) {
		free(s);
		return -1;
	}
	loop->bd = s;
	return 0;
}

static void
ep_fini(struct sk_loop *loop)
{
	struct epstate	*s = loop->bd;

	close(s->epfd);
	free(s);
}

static int
ep_set(struct sk_loop *loop, int fd, int oldmask, int newmask)
{
	struct epstate		*s = loop->bd;
	struct epoll_event	 ev = { 0 };
	int			 op;

	ev.events = ((newmask & SK_READ) ? EPOLLIN : 0) |
	    ((newmask & SK_WRITE) ? EPOLLOUT : 0);
	ev.data.fd = fd;
	op = newmask == 0 ? EPOLL_CTL_DEL :
	    oldmask == 0 ? EPOLL_CTL_ADD : EPOLL_CTL_MOD;
	if (epoll_ctl(s->epfd, op, fd, &ev) == 0)
		return 0;
	/*
	 * A closed fd leaves the epoll set by itself, so a reused number
	 * may be new to epoll, or still known to it after a del we skipped.
	 */
	if (op == EPOLL_CTL_MOD && errno == ENOENT)
		return epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev);
	if (op == EPOLL_CTL_ADD && errno == EEXIST)
		return epoll_ctl(s->epfd, EPOLL_CTL_MOD, fd, &ev);
	if (op == EPOLL_CTL_DEL && (errno == ENOENT || errno == EBADF))
		return 0;
	return -1;
}

static int
ep_wait(struct sk_loop *loop, int timeout_ms)
{
	struct epstate	*s = loop->bd;
	uint32_t	 re;
	int		 i, n, mask;

	n = epoll_wait(s->epfd, s->ev, NEVENTS, timeout_ms);
	if (n == -1)
		return errno == EINTR ? 0 : -1;
	for (i = 0; i < n; i++) {
		re = s->ev[i].events;
		mask = 0;
		if (re & (EPOLLIN | EPOLLHUP | EPOLLERR | EPOLLRDHUP))
			mask |= SK_READ;
		if (re & (EPOLLOUT | EPOLLHUP | EPOLLERR))
			mask |= SK_WRITE;
		loop_fire(loop, s->ev[i].data.fd, mask);
	}
	return 0;
}

const struct sk_loop_ops sk_loop_epoll_ops = {
	"epoll", 0, ep_init, ep_fini, ep_set, ep_wait
};

#else
/* ISO C wants something in every translation unit. */
typedef int sk_loop_epoll_unused;
#endif /* __linux__ */
