/*
 * net_impl.h - what the net_*.c files share (private to src/core).
 */
#ifndef SOCKKIT_CORE_NET_IMPL_H
#define SOCKKIT_CORE_NET_IMPL_H

#include <sys/types.h>
#include <sys/socket.h>
#include <netdb.h>

/* Linux caps this at net.core.somaxconn; ask for all it allows. */
#define NET_BACKLOG	65535

/* close(2), keeping errno: the cause of the failure being reported. */
void	net_close_keep_errno(int fd);

/* Turn an int socket option on; -1 with err "setsockopt WHAT: ...". */
int	net_set_on(char *err, int fd, int level, int name, const char *what);

/*
 * Open a nonblocking socket for sa, bind it to src if given, and start
 * connecting.  Returns the fd (connect complete or in progress), or -1
 * with err set ("connect to ADDR: ...").
 */
int	net_start(char *err, const struct sockaddr *sa, socklen_t salen,
	    int socktype, const struct addrinfo *src);

/*
 * Finish a connect net_start() began within timeout_ms (<= 0: no limit)
 * and make fd blocking again.  0, or -1 with err "connect to WHAT: ...";
 * the caller closes fd.
 */
int	net_complete(char *err, int fd, const char *what, int timeout_ms);

/*
 * Wait for events on fd until the deadline (-1: none), across EINTR.
 * Returns 1 when ready, 0 on timeout (errno ETIMEDOUT), -1 on error.
 */
int	net_wait_fd(int fd, short events, long long deadline);

/* The deadline timeout_ms from now on sk_clock_ms() (< 0: -1, none). */
long long	net_deadline(int timeout_ms);

#endif /* SOCKKIT_CORE_NET_IMPL_H */
