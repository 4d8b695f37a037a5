/*
 * test_relay.c - the netcat core, on every backend, against a forked peer:
 * both directions with a half-close, a peer that half-closes first and
 * must still get all of our input, no input at all, a regular-file input,
 * and a peer that leaves without reading (an error, never SIGPIPE).
 */
#define _GNU_SOURCE	/* memmem */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sockkit/loop.h>
#include <sockkit/net.h>
#include <sockkit/relay.h>

#include "testutil.h"

#define BIG	(3 * 1024 * 1024 + 17)

struct done {
	int	called;
	int	failed;
	char	err[SK_ERRLEN];
};

static void
on_done(struct sk_relay *r, int failed, void *arg)
{
	struct done	*d = arg;

	d->called++;
	d->failed = failed;
	snprintf(d->err, sizeof(d->err), "%s", sk_relay_error(r));
}

/* A temporary regular file holding n pattern bytes, open for reading. */
static int
pattern_file(size_t n)
{
	char	 path[] = "/tmp/sockkit-relay-XXXXXX";
	char	*p;
	size_t	 i;
	int	 fd;

	fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	p = malloc(n);
	for (i = 0; i < n; i++)
		p[i] = (char)(i % 253);
	assert_int_equal(sk_net_send_all(NULL, fd, p, n, -1), (ssize_t)n);
	free(p);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	return fd;
}

/* Peer: read to EOF checking the pattern, then answer with the count. */
static void
peer_count_then_reply(int fd, size_t want, int shut_first)
{
	char	buf[65536], reply[64];
	size_t	got = 0;
	ssize_t	n, i;
	int	bad = 0;

	if (shut_first)
		shutdown(fd, SHUT_WR);
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (i = 0; i < n; i++)
			if (buf[i] != (char)((got + (size_t)i) % 253))
				bad = 1;
		got += (size_t)n;
	}
	if (!shut_first) {
		snprintf(reply, sizeof(reply), "got %zu", got);
		sk_net_send_all(NULL, fd, reply, strlen(reply), 5000);
	}
	_exit(got == want && !bad ? 0 : 1);
}

static int
wait_child(pid_t pid)
{
	int	status;

	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void
run_relay(void **state, int in, int sock, int out,
    const struct sk_relay_opts *ro, struct done *d)
{
	char		 err[SK_ERRLEN];
	struct sk_loop	*loop;
	struct sk_relay	*r;

	loop = sk_loop_new(err, backend_of(state));
	assert_non_null(loop);
	r = sk_relay_new(err, loop, in, sock, out, ro, on_done, d);
	if (r == NULL)
		fail_msg("%s", err);
	assert_int_equal(sk_loop_run(err, loop), 0);
	assert_int_equal(d->called, 1);
	sk_relay_free(r);
	sk_loop_free(loop);
}

/* Our input ends, we half-close, the peer answers after our EOF. */
static void
test_reply_after_eof(void **state)
{
	struct done	d = { 0 };
	int		sv[2], out[2], in;
	char		buf[64];
	pid_t		pid;
	ssize_t		n;

	in = pattern_file(BIG);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(pipe(out), 0);
	if ((pid = fork()) == 0) {
		close(sv[0]);
		peer_count_then_reply(sv[1], BIG, 0);
	}
	close(sv[1]);
	run_relay(state, in, sv[0], out[1], NULL, &d);
	assert_int_equal(d.failed, 0);
	assert_int_equal(wait_child(pid), 0);
	close(out[1]);
	n = read(out[0], buf, sizeof(buf) - 1);
	assert_true(n > 0);
	buf[n] = '\0';
	snprintf(d.err, sizeof(d.err), "got %d", BIG);
	assert_string_equal(buf, d.err);
	close(out[0]);
	close(sv[0]);
	close(in);
}

/* The peer half-closes before we send anything: it still gets it all. */
static void
test_peer_halfcloses_first(void **state)
{
	struct done	d = { 0 };
	int		sv[2], in;
	pid_t		pid;

	in = pattern_file(BIG);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	if ((pid = fork()) == 0) {
		close(sv[0]);
		peer_count_then_reply(sv[1], BIG, 1);
	}
	close(sv[1]);
	run_relay(state, in, sv[0], -1, NULL, &d);
	assert_int_equal(d.failed, 0);
	assert_int_equal(wait_child(pid), 0);
	close(sv[0]);
	close(in);
}

/* No input at all (-1): half-close at once, still print the reply. */
static void
test_no_input(void **state)
{
	struct done	d = { 0 };
	int		sv[2], out[2];
	char		buf[16];
	pid_t		pid;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(pipe(out), 0);
	if ((pid = fork()) == 0) {
		close(sv[0]);
		peer_count_then_reply(sv[1], 0, 0);
	}
	close(sv[1]);
	run_relay(state, -1, sv[0], out[1], NULL, &d);
	assert_int_equal(d.failed, 0);
	assert_int_equal(wait_child(pid), 0);
	assert_int_equal(read(out[0], buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "got 0", 5);
	close(out[0]);
	close(out[1]);
	close(sv[0]);
}

/* The peer leaves without reading: a clean failure, never SIGPIPE. */
static void
test_peer_gone(void **state)
{
	struct done		d = { 0 };
	struct sigaction	sa, old;
	int			sv[2], in;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(SIGPIPE, &sa, &old);
	in = pattern_file(BIG);
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	close(sv[1]);
	run_relay(state, in, sv[0], -1, NULL, &d);
	assert_int_equal(d.failed, 1);
	assert_non_null(strstr(d.err, "send"));
	close(sv[0]);
	close(in);
	sigaction(SIGPIPE, &old, NULL);
}

/*
 * The peer says why it turns us away, then resets, while we are still
 * sending: the failed send must not lose what it said before the reset.
 */
static void
test_peer_says_then_resets(void **state)
{
	struct done	d = { 0 };
	char		buf[64], port[16];
	int		lfd, fd, afd, out[2], in;
	ssize_t		n;

	lfd = sk_net_listen(NULL, "127.0.0.1", "0", AF_INET, SOCK_STREAM);
	assert_true(lfd >= 0);
	snprintf(port, sizeof(port), "%d", sk_net_local_port(NULL, lfd));
	fd = sk_net_connect(NULL, "127.0.0.1", port, NULL);
	assert_true(fd >= 0);
	afd = accept(lfd, NULL, NULL);
	assert_true(afd >= 0);
	assert_int_equal(write(afd, "full\n", 5), 5);
	assert_int_equal(sk_net_abort(NULL, afd), 0);
	in = pattern_file(BIG);
	assert_int_equal(pipe(out), 0);
	run_relay(state, in, fd, out[1], NULL, &d);
	assert_int_equal(d.failed, 1);
	close(out[1]);
	n = read(out[0], buf, sizeof(buf));
	assert_int_equal(n, 5);
	assert_memory_equal(buf, "full\n", 5);
	close(out[0]);
	close(fd);
	close(lfd);
	close(in);
}

/* Framed: stdin lines go out as frames; frames come back as lines. */
static void
test_framed(void **state)
{
	struct sk_relay_opts	ro = { .flags = SK_RELAY_FRAMED };
	struct done		d = { 0 };
	int			sv[2], in[2], out[2];
	char			buf[256];
	pid_t			pid;
	ssize_t			n;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe(out), 0);
	/* Two lines, an empty one, and a last one without a newline. */
	assert_int_equal(write(in[1], "one\ntwo\n\nlast", 13), 13);
	close(in[1]);
	if ((pid = fork()) == 0) {
		/* The peer checks the frames, then answers in torn frames. */
		static const char want[] = "\0\0\0\3one\0\0\0\3two"
		    "\0\0\0\0\0\0\0\4last";
		static const char reply[] = "\0\0\0\5hello\0\0\0\0"
		    "\0\0\0\2ok";
		size_t	got = 0, i;

		close(sv[0]);
		while ((n = read(sv[1], buf + got, sizeof(buf) - got)) > 0)
			got += (size_t)n;
		if (got != sizeof(want) - 1 || memcmp(buf, want, got) != 0)
			_exit(1);
		for (i = 0; i < sizeof(reply) - 1; i++)
			if (write(sv[1], reply + i, 1) != 1)
				_exit(2);
		_exit(0);
	}
	close(sv[1]);
	run_relay(state, in[0], sv[0], out[1], &ro, &d);
	assert_int_equal(d.failed, 0);
	assert_int_equal(wait_child(pid), 0);
	n = read(out[0], buf, sizeof(buf));
	assert_int_equal(n, 10);
	assert_memory_equal(buf, "hello\n\nok\n", 10);
	close(in[0]);
	close(out[0]);
	close(out[1]);
	close(sv[0]);
}

/* A frame over the maximum ends the relay with an error. */
static void
test_framed_oversized(void **state)
{
	struct sk_relay_opts	ro = { .flags = SK_RELAY_FRAMED,
				    .max_frame = 10 };
	struct done		d = { 0 };
	int			sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[1], "\0\0\0\13hello world", 15), 15);
	run_relay(state, -1, sv[0], -1, &ro, &d);
	assert_int_equal(d.failed, 1);
	assert_non_null(strstr(d.err, "over the maximum (10 bytes)"));
	close(sv[0]);
	close(sv[1]);
}

struct expect {
	const char	*text;
	size_t		 seen;
};

static int
on_data_expect(const uint8_t *p, size_t n, void *arg)
{
	struct expect	*e = arg;

	e->seen += n;
	return memmem(p, n, e->text, strlen(e->text)) != NULL;
}

/*
 * Queued bytes go out first; the data callback ends the relay as a
 * success while the peer still has the connection open.
 */
static void
test_queue_and_data_callback(void **state)
{
	struct expect		e = { "PONG", 0 };
	struct sk_relay_opts	ro = { .flags = SK_RELAY_NO_HALFCLOSE,
				    .on_data = on_data_expect,
				    .data_arg = &e };
	char			 err[SK_ERRLEN], buf[16];
	struct done		 d = { 0 };
	struct sk_loop		*loop;
	struct sk_relay		*r;
	int			 sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	loop = sk_loop_new(err, backend_of(state));
	r = sk_relay_new(err, loop, -1, sv[0], -1, &ro, on_done, &d);
	assert_non_null(r);
	assert_int_equal(sk_relay_queue(r, "PING\r\n", 6), 0);
	assert_int_equal(sk_loop_once(err, loop, 1000) >= 0, 1);
	assert_int_equal(read(sv[1], buf, sizeof(buf)), 6);
	assert_memory_equal(buf, "PING\r\n", 6);
	/* Not half-closed: the peer sees no EOF. */
	assert_int_equal(sk_net_nonblock(NULL, sv[1], 1), 0);
	assert_int_equal(read(sv[1], buf, sizeof(buf)), -1);
	assert_int_equal(write(sv[1], "+PO", 3), 3);
	assert_int_equal(sk_loop_once(err, loop, 1000), 1);
	assert_int_equal(d.called, 0);
	assert_int_equal(write(sv[1], "+PONG\r\n", 7), 7);
	assert_int_equal(sk_loop_run(err, loop), 0);
	assert_int_equal(d.called, 1);
	assert_int_equal(d.failed, 0);
	assert_int_equal(e.seen, 10);
	sk_relay_free(r);
	sk_loop_free(loop);
	close(sv[0]);
	close(sv[1]);
}

static volatile sig_atomic_t	alarmed;

static void
on_alarm(int sig)
{
	alarmed = sig;
}

/*
 * `out` a pipe nobody reads, already full: the relay's blocking write
 * waits until a signal (no SA_RESTART) sets the stop flag, then ends as
 * failed with sk_relay_out_errno() EINTR (it used to wait for ever).
 */
static void
test_stop_while_out_blocked(void **state)
{
	struct sigaction	 sa, old;
	struct sk_relay_opts	 ro = { .stop = &alarmed };
	struct sk_relay		*r;
	struct sk_loop		*loop;
	struct done		 d = { 0 };
	char			 err[SK_ERRLEN], buf[4096];
	int			 sv[2], pfd[2];

	memset(buf, 'x', sizeof(buf));
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(pipe(pfd), 0);
	assert_int_equal(sk_net_nonblock(NULL, pfd[1], 1), 0);
	while (write(pfd[1], buf, sizeof(buf)) > 0)
		;
	assert_int_equal(sk_net_nonblock(NULL, pfd[1], 0), 0);
	assert_int_equal(write(sv[1], buf, sizeof(buf)), (ssize_t)sizeof(buf));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigemptyset(&sa.sa_mask);
	assert_int_equal(sigaction(SIGALRM, &sa, &old), 0);
	alarmed = 0;
	loop = sk_loop_new(err, backend_of(state));
	r = sk_relay_new(err, loop, -1, sv[0], pfd[1], &ro, on_done, &d);
	assert_non_null(r);
	alarm(1);
	assert_int_equal(sk_loop_run(err, loop), 0);
	alarm(0);
	assert_int_equal(d.called, 1);
	assert_int_equal(d.failed, 1);
	assert_int_equal(sk_relay_out_errno(r), EINTR);
	assert_int_equal(alarmed, SIGALRM);
	sk_relay_free(r);
	sk_loop_free(loop);
	(void)sigaction(SIGALRM, &old, NULL);
	close(sv[0]);
	close(sv[1]);
	close(pfd[0]);
	close(pfd[1]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reply_after_eof),
		cmocka_unit_test(test_peer_halfcloses_first),
		cmocka_unit_test(test_no_input),
		cmocka_unit_test(test_peer_gone),
		cmocka_unit_test(test_peer_says_then_resets),
		cmocka_unit_test(test_framed),
		cmocka_unit_test(test_framed_oversized),
		cmocka_unit_test(test_queue_and_data_callback),
		cmocka_unit_test(test_stop_while_out_blocked),
	};

	return run_per_backend("relay", tests, sizeof(tests) /
	    sizeof(tests[0]));
}
