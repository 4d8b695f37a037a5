/*
 * cmd_server.c - what the servers share: their listening socket and the
 * "listening on" line, and the accept loop: a descriptor set aside so
 * that a client is told when the process is out of them, clients past
 * select's fd limit turned away, and cmd_accept_next() over all of it;
 * and the end of a connection's socket.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sockkit/loop.h>
#include <sockkit/net.h>

#include "cmd.h"

int
cmd_server_socket(const char *cmd, const struct common_opts *c,
    const char *unix_path, const char *host, const char *port, int socktype)
{
	char	err[SK_ERRLEN];
	int	fd;

	if (unix_path != NULL)
		fd = sk_net_unix_listen(err, unix_path, socktype);
	else
		fd = sk_net_listen(err, host, port, c->family, socktype);
	if (fd == -1 || sk_net_nonblock(err, fd, 1) == -1) {
		cmd_err(cmd, "%s", err);
		if (fd != -1)
			close(fd);
		return -1;
	}
	return fd;
}

void
cmd_listening(const char *cmd, int fd)
{
	char	as[SK_ADDRSTRLEN];

	if (sk_net_local_str(NULL, fd, as, sizeof(as)) == -1)
		snprintf(as, sizeof(as), "?");
	fprintf(stderr, "sockkit: %s: listening on %s\n", cmd, as);
	fflush(stderr);
}

static int	reserve_fd = -1;

int
cmd_accept_reserve(void)
{
	if (reserve_fd == -1)
		reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return reserve_fd == -1 ? -1 : 0;
}

/*
 * Tell a client it is not served (full, len bytes; NULL: nothing) and
 * close it: with a reset, or after reading what it sent already, so that
 * the close is an end, not a reset that could take the answer with it.
 */
static void
turn_away(int fd, const void *full, size_t len, int reset)
{
	char	drop[4096];

	if (full != NULL)
		(void)sk_net_write(fd, full, len);
	if (reset)
		(void)sk_net_abort(NULL, fd);
	else {
		(void)read(fd, drop, sizeof(drop));
		(void)shutdown(fd, SHUT_WR);
		close(fd);
	}
}

int
cmd_accept_pause(const char *cmd, struct sk_loop *loop, int lfd,
    sk_timer_cb *resume, void *arg, const void *full, size_t len, int reset)
{
	static long long	said_ms = -1000;
	long long		now;
	int			fd = -1, n = 0, turned = 0, idle;

	if (errno != EMFILE && errno != ENFILE)
		return 0;
	if (reserve_fd != -1 && full != NULL) {
		close(reserve_fd);
		/* A burst at most, then the loop sees to the others. */
		while (n++ < 64 && (fd = sk_net_accept(NULL, lfd, NULL,
		    NULL)) != -1) {
			turn_away(fd, full, len, reset);
			turned++;
		}
		idle = turned == 0 && fd == -1 &&
		    (errno == EAGAIN || errno == EWOULDBLOCK);
		reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		/* Linux takes the descriptor before it looks at the queue:
		 * EMFILE with no one waiting is no news. */
		if (idle && reserve_fd != -1)
			return 1;
	}
	if ((now = sk_loop_now_ms()) - said_ms >= 1000) {
		if (turned > 0)
			cmd_err(cmd, "accept: %s: clients turned away",
			    strerror(EMFILE));
		else
			cmd_err(cmd, "accept: %s: new clients wait",
			    strerror(errno == EAGAIN ? EMFILE : errno));
		said_ms = now;
	}
	/* Turned away all that waited, and ready for the next: go on. */
	if (turned > 0 && reserve_fd != -1)
		return 1;
	if (sk_loop_timer_add(NULL, loop, 100, 0, resume, arg) == -1)
		return 0;
	(void)sk_loop_mod(NULL, loop, lfd, 0);
	return 1;
}

void
cmd_accept_turn_away(const char *cmd, int fd, const void *full, size_t len,
    int reset, const char *why)
{
	static long long	said_ms = -1000;
	static long long	since;
	long long		now;

	turn_away(fd, full, len, reset);
	since++;
	if ((now = sk_loop_now_ms()) - said_ms >= 1000) {
		cmd_err(cmd, "%s: %lld client%s turned away", why, since,
		    since == 1 ? "" : "s");
		said_ms = now;
		since = 0;
	}
}

int
cmd_accept_next(struct cmd_accept *a, struct sk_loop *loop, int lfd,
    struct sockaddr_storage *ss, socklen_t *sslen)
{
	const void	*wfull = a->wfull != NULL ? a->wfull : a->full;
	size_t		 wlen = a->wfull != NULL ? a->wfulllen : a->fulllen;
	char		 err[SK_ERRLEN];
	int		 fd, saved;

	a->paused = 0;
	for (;;) {
		*sslen = sizeof(*ss);
		if ((fd = sk_net_accept(err, lfd, ss, sslen)) == -1) {
			saved = errno;
			a->paused = cmd_accept_pause(a->cmd, loop, lfd,
			    a->resume, a->arg, a->full, a->fulllen, a->reset);
			if (!a->paused && a->say_errors && saved != EAGAIN &&
			    saved != EWOULDBLOCK && saved != ECONNABORTED)
				cmd_err(a->cmd, "%s", err);
			errno = saved;
			return -1;
		}
		if (a->refuse != NULL && a->refuse(a->arg, fd))
			continue;
		/* The select backend cannot watch fd 1024 and up: the client
		 * is told so, as when out of descriptors. */
		if (sk_loop_watchable(err, loop, fd) == -1) {
			cmd_accept_turn_away(a->cmd, fd, wfull, wlen, a->reset,
			    err);
			continue;
		}
		if (a->nodelay && ss->ss_family != AF_UNIX)
			(void)sk_net_nodelay(NULL, fd);
		return fd;
	}
}

void
cmd_conn_close(struct sk_loop *loop, int fd, int reset)
{
	sk_loop_del(loop, fd);
	if (reset)
		(void)sk_net_abort(NULL, fd);
	else
		close(fd);
}
