/*
 * loop_select.c - the select(2) backend: the most portable, limited to fds
 * below FD_SETSIZE (loop.c refuses higher ones through ops.maxfd).
 */
#include <sys/select.h>

#include <errno.h>
#include <stdlib.h>

#include "loop_impl.h"

/*
 * The fd_set macros do int arithmetic in glibc and size_t arithmetic in
 * musl; an unsigned fd (never negative here) keeps both quiet under
 * -Wsign-conversion.
 */
#define FDSET(fd, set)		FD_SET((unsigned)(fd), (set))
#define FDCLR(fd, set)		FD_CLR((unsigned)(fd), (set))
#define FDISSET(fd, set)	FD_ISSET((unsigned)(fd), (set))

struct selstate {
	fd_set	rfds;
	fd_set	wfds;
	int	maxfd;		/* highest fd in either set, or -1 */
};

static int
sel_init(struct sk_loop *loop)
{
	struct selstate	*s;

	if ((s = malloc(sizeof(*s))) == NULL)
		return -1;
	FD_ZERO(&s->rfds);
	FD_ZERO(&s->wfds);
	s->maxfd = -1;
	loop->bd = s;
	return 0;
}

static void
sel_fini(struct sk_loop *loop)
{
	free(loop->bd);
}

static int
sel_set(struct sk_loop *loop, int fd, int oldmask, int newmask)
{
	struct selstate	*s = loop->bd;

	(void)oldmask;
	if (newmask & SK_READ)
		FDSET(fd, &s->rfds);
	else
		FDCLR(fd, &s->rfds);
	if (newmask & SK_WRITE)
		FDSET(fd, &s->wfds);
	else
		FDCLR(fd, &s->wfds);
	if (newmask != 0 && fd > s->maxfd)
		s->maxfd = fd;
	else if (newmask == 0 && fd == s->maxfd)
		while (s->maxfd >= 0 && !FDISSET(s->maxfd, &s->rfds) &&
		    !FDISSET(s->maxfd, &s->wfds))
			s->maxfd--;
	return 0;
}

static int
sel_wait(struct sk_loop *loop, int timeout_ms)
{
	struct selstate	*s = loop->bd;
	struct timeval	 tv, *tvp = NULL;
	fd_set		 r, w;
	int		 n, fd, mask;

	r = s->rfds;
	w = s->wfds;
	if (timeout_ms >= 0) {
		tv.tv_sec = timeout_ms / 1000;
		tv.tv_usec = (timeout_ms % 1000) * 1000;
		tvp = &tv;
	}
	n = select(s->maxfd + 1, &r, &w, NULL, tvp);
	if (n == -1)
		return errno == EINTR ? 0 : -1;
	for (fd = 0; fd <= s->maxfd && n > 0; fd++) {
		mask = 0;
		if (FDISSET(fd, &r))
			mask |= SK_READ;
		if (FDISSET(fd, &w))
			mask |= SK_WRITE;
		if (mask) {
			loop_fire(loop, fd, mask);
			n--;
		}
	}
	return 0;
}

const struct sk_loop_ops sk_loop_select_ops = {
	"select", FD_SETSIZE, sel_init, sel_fini, sel_set, sel_wait
};
