/*
 * loop_poll.c - the poll(2) backend: portable and without select's fd
 * limit.  The pollfd array is kept dense; pos[] maps an fd to its slot.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "loop_impl.h"

struct pollstate {
	struct pollfd	*pfds;
	int		 n;
	int		 cap;
	int		*pos;		/* slot of each fd, or -1 */
	int		 poscap;
};

static int
poll_init(struct sk_loop *loop)
{
	if ((loop->bd = calloc(1, sizeof(struct pollstate))) == NULL)
		return -1;
	return 0;
}

static void
poll_fini(struct sk_loop *loop)
{
	struct pollstate	*p = loop->bd;

	free(p->pfds);
	free(p->pos);
	free(p);
}

static short
events_of(int mask)
{
	return (short)(((mask & SK_READ) ? POLLIN : 0) |
	    ((mask & SK_WRITE) ? POLLOUT : 0));
}

/* Make sure pos[] covers fd and pfds[] has room for one more. */
static int
reserve(struct pollstate *p, int fd)
{
	struct pollfd	*pfds;
	int		*pos, n;

	if (fd >= p->poscap) {
		n = p->poscap ? p->poscap : 64;
		while (n <= fd)
			n *= 2;
		if ((pos = realloc(p->pos, (size_t)n * sizeof(*pos))) == NULL)
			return -1;
		memset(pos + p->poscap, 0xff,
		    (size_t)(n - p->poscap) * sizeof(*pos));
		p->pos = pos;
		p->poscap = n;
	}
	if (p->n == p->cap) {
		n = p->cap ? p->cap * 2 : 64;
		if ((pfds = realloc(p->pfds, (size_t)n * sizeof(*pfds))) ==
		    NULL)
			return -1;
		p->pfds = pfds;
		p->cap = n;
	}
	return 0;
}

static int
poll_set(struct sk_loop *loop, int fd, int oldmask, int newmask)
{
	struct pollstate	*p = loop->bd;
	int			 i;

	if (oldmask == 0 && newmask != 0) {
		if (reserve(p, fd) == -1)
			return -1;
		p->pfds[p->n].fd = fd;
		p->pfds[p->n].events = events_of(newmask);
		p->pfds[p->n].revents = 0;
		p->pos[fd] = p->n++;
		return 0;
	}
	i = p->pos[fd];
	if (newmask != 0) {
		p->pfds[i].events = events_of(newmask);
		return 0;
	}
	/* Keep the array dense: move the last slot into the hole. */
	p->pfds[i] = p->pfds[--p->n];
	p->pos[p->pfds[i].fd] = i;
	p->pos[fd] = -1;
	return 0;
}

static int
poll_wait(struct sk_loop *loop, int timeout_ms)
{
	struct pollstate	*p = loop->bd;
	short			 re;
	int			 i, n, mask;

	n = poll(p->pfds, (nfds_t)p->n, timeout_ms);
	if (n == -1)
		return errno == EINTR ? 0 : -1;
	for (i = 0; i < p->n && n > 0; i++) {
		if ((re = p->pfds[i].revents) == 0)
			continue;
		n--;
		mask = 0;
		/* Errors and hang-ups wake both sides, to see them. */
		if (re & (POLLIN | POLLHUP | POLLERR | POLLNVAL))
			mask |= SK_READ;
		if (re & (POLLOUT | POLLHUP | POLLERR | POLLNVAL))
			mask |= SK_WRITE;
		loop_fire(loop, p->pfds[i].fd, mask);
	}
	return 0;
}

const struct sk_loop_ops sk_loop_poll_ops = {
	"poll", 0, poll_init, poll_fini, poll_set, poll_wait
};
