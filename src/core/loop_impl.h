/*
 * loop_impl.h - the event loop's insides, shared by loop.c and the backends
 * (private to src/core).
 *
 * loop.c keeps the per-fd table, the timers and the dispatch.  A backend
 * only translates masks into its own terms and, in wait(), reports ready
 * fds through loop_fire().  Each loop_<x>.c exports only its ops table.
 */
#ifndef SOCKKIT_CORE_LOOP_IMPL_H
#define SOCKKIT_CORE_LOOP_IMPL_H

#include <stddef.h>

#include <sockkit/loop.h>

struct sk_loop_ops {
	const char	*name;
	int		 maxfd;	/* fds at or above it can't be watched; 0: none */
	int		(*init)(struct sk_loop *);
	void		(*fini)(struct sk_loop *);
	/* Change fd from oldmask to newmask (either may be 0). */
	int		(*set)(struct sk_loop *, int fd, int oldmask,
			    int newmask);
	/* Wait at most timeout_ms (< 0: forever); EINTR means 0 events. */
	int		(*wait)(struct sk_loop *, int timeout_ms);
};

struct fdent {
	sk_io_cb	*cb;
	void		*arg;
	int		 mask;		/* what the caller watches for */
	int		 watched;	/* in the table at all */
	int		 always;	/* backend refused it: always ready */
};

struct fired {
	int	fd;
	int	mask;
};

struct timer {
	long long	 when;
	long long	 every;
	long long	 id;
	sk_timer_cb	*cb;
	void		*arg;
};

struct sk_loop {
	const struct sk_loop_ops *ops;
	void		*bd;		/* the backend's state */
	struct fdent	*fds;		/* indexed by fd */
	int		 nfds;		/* entries allocated */
	int		 nactive;	/* watched with a nonzero mask */
	int		 nalways;	/* always-ready fds with a mask */
	struct fired	*fired;		/* nfds entries: one per fd at most */
	int		 nfired;
	struct timer	*timers;	/* a binary min-heap on (when, id) */
	size_t		 ntimers;
	size_t		 timercap;
	long long	 nextid;
	sk_prewait_cb	*prewait;
	void		*prewait_arg;
	int		 stop;
	int		 busy;		/* the last wait found events */
	int		 spin_us;	/* sk_loop_set_spin() */
};

/* Report fd ready for mask; called by backends from wait(). */
static inline void
loop_fire(struct sk_loop *loop, int fd, int mask)
{
	loop->fired[loop->nfired].fd = fd;
	loop->fired[loop->nfired].mask = mask;
	loop->nfired++;
}

extern const struct sk_loop_ops sk_loop_select_ops;
extern const struct sk_loop_ops sk_loop_poll_ops;
#ifdef __linux__
extern const struct sk_loop_ops sk_loop_epoll_ops;
#endif

#endif /* SOCKKIT_CORE_LOOP_IMPL_H */
