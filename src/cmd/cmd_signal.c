/*
 * cmd_signal.c - how a command ends: SIGINT and SIGTERM through a
 * self-pipe the loop watches, stdout's last flush (a reader gone is
 * SIGPIPE's quiet end, as for cat), and cmd_exit(), which dies by the
 * signal that stopped the command once it has cleaned up.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sockkit/loop.h>
#include <sockkit/net.h>

#include "cmd.h"

/*
 * Signals: the handler only writes a byte to a pipe the loop watches, so
 * the loop stops at a safe point between callbacks.  The command cleans
 * up and returns; cmd_exit() then dies by the same signal.
 */
static int			sigpipe_fds[2] = { -1, -1 };
static volatile sig_atomic_t	signalled;
static volatile sig_atomic_t	stdout_flags = -1;	/* to give back */

/*
 * A write to a full pipe on stdout that a signal cuts short returns what
 * it wrote, and stdio writes the rest at once, blocked again with the
 * signal spent: a reader that stopped reading would hold us for ever.  So
 * a stop signal makes a pipe or socket on stdout nonblocking (fcntl() is
 * async-signal-safe): what cannot go now fails with EAGAIN, the signal's
 * end with no news.  cmd_exit() gives the flags back; a terminal or a
 * file is never touched.
 */
static void
unblock_stdout(void)
{
	struct stat	st;
	int		fl;

	if (stdout_flags != -1 || fstat(STDOUT_FILENO, &st) == -1 ||
	    !(S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) ||
	    (fl = fcntl(STDOUT_FILENO, F_GETFL)) == -1 || (fl & O_NONBLOCK))
		return;
	if (fcntl(STDOUT_FILENO, F_SETFL, fl | O_NONBLOCK) == 0)
		stdout_flags = fl;
}

static void
on_signal(int sig)
{
	int	saved = errno;

	signalled = sig;
	if (sigpipe_fds[1] != -1)
		(void)write(sigpipe_fds[1], "", 1);
	unblock_stdout();
	errno = saved;
}

static void
on_sigpipe_readable(struct sk_loop *loop, int fd, int mask, void *arg)
{
	char	buf[64];

	(void)mask;
	(void)arg;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	sk_loop_stop(loop);
}

/* The signals we caught, to give back at the end. */
static int			caught[2];
static const int		stop_signals[2] = { SIGINT, SIGTERM };

int
cmd_signals_init(const char *cmd, struct sk_loop *loop)
{
	struct sigaction	sa, old;
	char			err[SK_ERRLEN];
	int			i;

	if (pipe(sigpipe_fds) == -1) {
		cmd_err(cmd, "pipe: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < 2; i++) {
		(void)fcntl(sigpipe_fds[i], F_SETFD, FD_CLOEXEC);
		(void)sk_net_nonblock(NULL, sigpipe_fds[i], 1);
	}
	if (sk_loop_add(err, loop, sigpipe_fds[0], SK_READ,
	    on_sigpipe_readable, NULL) == -1) {
		cmd_err(cmd, "%s", err);
		cmd_signals_fini(NULL);
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a write blocked on a full stdout must end with
	 * EINTR, so that it sees cmd_stop_flag(). */
	sa.sa_flags = 0;
	/*
	 * A signal ignored when we started stays ignored: a script's
	 * background job is not meant to die of the terminal's ^C (POSIX
	 * shells start them so), as nc and python leave it.
	 */
	for (i = 0; i < 2; i++)
		if (sigaction(stop_signals[i], NULL, &old) == 0 &&
		    old.sa_handler != SIG_IGN &&
		    sigaction(stop_signals[i], &sa, NULL) == 0)
			caught[i] = 1;
	return 0;
}

void
cmd_signals_fini(struct sk_loop *loop)
{
	int	i;

	for (i = 0; i < 2; i++)
		if (caught[i]) {
			signal(stop_signals[i], SIG_DFL);
			caught[i] = 0;
		}
	if (loop != NULL && sigpipe_fds[0] != -1)
		sk_loop_del(loop, sigpipe_fds[0]);
	for (i = 0; i < 2; i++)
		if (sigpipe_fds[i] != -1) {
			close(sigpipe_fds[i]);
			sigpipe_fds[i] = -1;
		}
}

int
cmd_signalled(void)
{
	return (int)signalled;
}

volatile sig_atomic_t *
cmd_stop_flag(void)
{
	return &signalled;
}

void
cmd_note_signal(int sig)
{
	signalled = sig;
}

/* stdout's reader has gone (EPIPE): end quietly, as cat does. */
static int	stdout_gone;
/* A write error on stdout was reported already. */
static int	stdout_failed;

void
cmd_stdout_gone(void)
{
	stdout_gone = 1;
}

/*
 * Stopping on a signal, a write to a stdout nobody reads (a full pipe, a
 * terminal paused with ^S) would hold us for ever: 1 when stdout has no
 * room now.
 */
static int
stdout_blocked(void)
{
	struct pollfd	pfd;

	pfd.fd = STDOUT_FILENO;
	pfd.events = POLLOUT;
	return poll(&pfd, 1, 0) == 0;
}

int
cmd_flush_stdout(const char *cmd)
{
	if (stdout_gone || stdout_failed)
		return -1;
	if (signalled && stdout_blocked()) {
		stdout_failed = 1;	/* the signal ends us: no news */
		return -1;
	}
	if (fflush(stdout) != EOF && !ferror(stdout))
		return 0;
	if (errno == EPIPE)
		stdout_gone = 1;
	else if ((errno == EINTR || errno == EAGAIN) && signalled)
		stdout_failed = 1;	/* a signal cut a blocked write: it
					   ends us, no news */
	else {
		cmd_err(cmd, "write to stdout: %s", strerror(errno));
		stdout_failed = 1;
	}
	return -1;
}

/*
 * Under LeakSanitizer (make sanitize) the leak check runs at exit(), which
 * dying by a signal skips: run it first.  NULL in a normal build.
 */
extern void	__lsan_do_leak_check(void) __attribute__((weak));

int
cmd_exit(int status)
{
	int	sig = cmd_signalled();

	if (sig == 0 && stdout_gone)
		sig = SIGPIPE;
	if (sig == 0)
		return status;
	/* raise() skips stdio's exit-time flush: do it first, unless
	 * stdout is what held us (then what it holds is lost). */
	if (!stdout_failed && !stdout_blocked())
		(void)fflush(stdout);
	(void)fflush(stderr);
	if (stdout_flags != -1)
		(void)fcntl(STDOUT_FILENO, F_SETFL, (int)stdout_flags);
	if (__lsan_do_leak_check != NULL)
		__lsan_do_leak_check();
	signal(sig, SIG_DFL);
	(void)raise(sig);
	/* Only if the signal is blocked: the shell's convention, 128+N. */
	return 128 + sig;
}

int
cmd_finish_stdout(const char *cmd)
{
	/* A closed pipe is the reader's choice: cmd_exit() ends quietly. */
	if (cmd_flush_stdout(cmd) == -1 && !stdout_gone)
		return EXIT_RUNTIME;
	return 0;
}
