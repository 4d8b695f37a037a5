/*
 * net_io.c - complete sends and receives (see net.h): one transfer() loop
 * across short transfers, EINTR and EAGAIN, waiting with poll(2) up to a
 * deadline on the core's monotonic clock.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <unistd.h>

#include <sockkit/clock.h>
#include <sockkit/net.h>

#include "err.h"
#include "net_impl.h"

/* See net_impl.h, as for net_deadline(). */
int
net_wait_fd(int fd, short events, long long deadline)
{
	struct pollfd	pfd;
	long long	left;
	int		n, ms;

	for (;;) {
		ms = -1;
		if (deadline >= 0) {
			left = deadline - sk_clock_ms();
			if (left <= 0) {
				errno = ETIMEDOUT;
				return 0;
			}
			ms = left > INT_MAX ? INT_MAX : (int)left;
		}
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		n = poll(&pfd, 1, ms);
		if (n > 0)
			return 1;
		if (n == -1 && errno != EINTR)
			return -1;
	}
}

long long
net_deadline(int timeout_ms)
{
	return timeout_ms < 0 ? -1 : sk_clock_ms() + timeout_ms;
}

ssize_t
sk_net_write(int fd, const void *p, size_t len)
{
	ssize_t	n;

	n = send(fd, p, len, MSG_NOSIGNAL);
	if (n == -1 && errno == ENOTSOCK)
		n = write(fd, p, len);
	return n;
}

enum { T_READ, T_SEND, T_WRITE };

/*
 * Move len bytes through fd in one direction (T_READ, T_SEND: send(2)
 * falling back to write(2), T_WRITE: write(2) only), across short
 * transfers, EINTR and EAGAIN (waiting with poll until the deadline).  A
 * read that meets the end of the stream returns the count moved so far.
 */
static ssize_t
transfer(char *err, int fd, void *p, size_t len, int timeout_ms, int how)
{
	int		 writing = how != T_READ;
	char		*c = p;
	long long	 deadline = net_deadline(timeout_ms);
	size_t		 done = 0;
	ssize_t		 n;

	while (done < len) {
		n = how == T_SEND ? sk_net_write(fd, c + done, len - done) :
		    how == T_WRITE ? write(fd, c + done, len - done) :
		    read(fd, c + done, len - done);
		if (n > 0) {
			done += (size_t)n;
			continue;
		}
		if (n == 0 && !writing)
			break;
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
		    net_wait_fd(fd, writing ? POLLOUT : POLLIN, deadline) == 1)
			continue;
		core_errno(err, writing ? "send" : "receive");
		return -1;
	}
	return (ssize_t)done;
}

ssize_t
sk_net_send_all(char *err, int fd, const void *p, size_t len,
    int timeout_ms)
{
	/* transfer() only reads through p when it is not writing. */
	return transfer(err, fd, (void *)(uintptr_t)p, len, timeout_ms,
	    T_SEND);
}

ssize_t
sk_net_write_all(char *err, int fd, const void *p, size_t len)
{
	return transfer(err, fd, (void *)(uintptr_t)p, len, -1, T_WRITE);
}

ssize_t
sk_net_recv_exact(char *err, int fd, void *p, size_t len, int timeout_ms)
{
	return transfer(err, fd, p, len, timeout_ms, T_READ);
}
