/*
 * test_loop.c - the event loop, the same tests on every backend: read and
 * write readiness, changing and removing watches (from inside callbacks
 * too), hang-ups, one-shot and repeating timers, stop, fds the backend
 * cannot watch (regular files, /dev/null), select's FD_SETSIZE limit, and
 * many fds at once.
 */
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sockkit/loop.h>
#include <sockkit/net.h>

#include "testutil.h"

static struct sk_loop *
new_loop(void **state)
{
	char		 err[SK_ERRLEN];
	struct sk_loop	*loop;

	loop = sk_loop_new(err, backend_of(state));
	if (loop == NULL)
		fail_msg("%s", err);
	assert_string_equal(sk_loop_backend(loop), backend_of(state));
	return loop;
}

struct rec {
	int	calls;
	int	lastfd;
	int	lastmask;
	int	del_fd;		/* an fd to unwatch from the callback */
	int	stop_after;
	char	data[64];
	size_t	len;
};

static void
on_io(struct sk_loop *loop, int fd, int mask, void *arg)
{
	struct rec	*r = arg;
	ssize_t		 n;

	r->calls++;
	r->lastfd = fd;
	r->lastmask = mask;
	if ((mask & SK_READ) && r->len < sizeof(r->data)) {
		n = read(fd, r->data + r->len, sizeof(r->data) - r->len);
		if (n > 0)
			r->len += (size_t)n;
		if (n == 0)
			sk_loop_del(loop, fd);
	}
	if (r->del_fd >= 0)
		sk_loop_del(loop, r->del_fd);
	if (r->stop_after > 0 && r->calls >= r->stop_after)
		sk_loop_stop(loop);
}

static void
test_read_ready(void **state)
{
	struct sk_loop	*loop = new_loop(state);
	struct rec	 r = { .del_fd = -1 };
	int		 p[2];

	assert_int_equal(pipe(p), 0);
	assert_int_equal(sk_loop_add(NULL, loop, p[0], SK_READ, on_io, &r), 0);
	assert_int_equal(sk_loop_mask(loop, p[0]), SK_READ);
	/* Nothing to read: a bounded wait runs nothing. */
	assert_int_equal(sk_loop_once(NULL, loop, 10), 0);
	assert_int_equal(write(p[1], "abc", 3), 3);
	assert_int_equal(sk_loop_once(NULL, loop, 1000), 1);
	assert_int_equal(r.lastfd, p[0]);
	assert_true(r.lastmask & SK_READ);
	assert_memory_equal(r.data, "abc", 3);
	/* The writer closing wakes the reader, which sees EOF and leaves. */
	close(p[1]);
	assert_int_equal(sk_loop_run(NULL, loop), 0);
	assert_int_equal(sk_loop_mask(loop, p[0]), -1);
	close(p[0]);
	sk_loop_free(loop);
}

static void
test_write_ready_and_mod(void **state)
{
	struct sk_loop	*loop = new_loop(state);
	struct rec	 r = { .del_fd = -1 };
	int		 sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(sk_loop_add(NULL, loop, sv[0], SK_WRITE, on_io, &r),
	    0);
	assert_int_equal(sk_loop_once(NULL, loop, 1000), 1);
	assert_int_equal(r.lastmask, SK_WRITE);
	/* Paused: no callback even though it is writable. */
	assert_int_equal(sk_loop_mod(NULL, loop, sv[0], 0), 0);
	assert_int_equal(sk_loop_once(NULL, loop, 10), 0);
	assert_int_equal(r.calls, 1);
	/* Reading only: nothing until the peer sends. */
	assert_int_equal(sk_loop_mod(NULL, loop, sv[0], SK_READ), 0);
	assert_int_equal(sk_loop_once(NULL, loop, 10), 0);
	assert_int_equal(write(sv[1], "x", 1), 1);
	assert_int_equal(sk_loop_once(NULL, loop, 1000), 1);
	assert_int_equal(r.lastmask, SK_READ);
	/* Both: reported in one callback with both bits. */
	assert_int_equal(write(sv[1], "y", 1), 1);
	assert_int_equal(sk_loop_mod(NULL, loop, sv[0], SK_READ | SK_WRITE),
	    0);
	assert_int_equal(sk_loop_once(NULL, loop, 1000), 1);
	assert_int_equal(r.lastmask, SK_READ | SK_WRITE);
	/* Changing an fd that is not watched is an error. */
	assert_int_equal(sk_loop_mod(NULL, loop, sv[1], SK_READ), -1);
	sk_loop_del(loop, sv[0]);
	sk_loop_del(loop, sv[0]);	/* twice is harmless */
	close(sv[0]);
	close(sv[1]);
	sk_loop_free(loop);
}

/*
 * Two fds ready in the same wait: whichever runs first removes the other,
 * which then must not be called in that iteration.
 */
static void
test_del_other_in_callback(void **state)
{
	struct sk_loop	*loop = new_loop(state);
	struct rec	 a = { .del_fd = -1 }, b = { .del_fd = -1 };
	int		 p[2], q[2];

	assert_int_equal(pipe(p), 0);
	assert_int_equal(pipe(q), 0);
	a.del_fd = q[0];
	b.del_fd = p[0];
	assert_int_equal(sk_loop_add(NULL, loop, p[0], SK_READ, on_io, &a), 0);
	assert_int_equal(sk_loop_add(NULL, loop, q[0], SK_READ, on_io, &b), 0);
	assert_int_equal(write(p[1], "1", 1), 1);
	assert_int_equal(write(q[1], "2", 1), 1);
	assert_int_equal(sk_loop_once(NULL, loop, 1000), 1);
	assert_int_equal(a.calls + b.calls, 1);
	/* The other one is gone; the one that ran is still watched. */
	if (a.calls == 1) {
		assert_int_equal(sk_loop_mask(loop, q[0]), -1);
		assert_int_equal(sk_loop_mask(loop, p[0]), SK_READ);
	} else {
		assert_int_equal(sk_loop_mask(loop, p[0]), -1);
		assert_int_equal(sk_loop_mask(loop, q[0]), SK_READ);
	}
	sk_loop_del(loop, p[0]);
	sk_loop_del(loop, q[0]);
	assert_int_equal(sk_loop_run(NULL, loop), 0);
	close(p[0]);
	close(p[1]);
	close(q[0]);
	close(q[1]);
	sk_loop_free(loop);
}

/* A callback that removes itself, closes its fd, and re-adds a new one. */
static int	readd_fd = -1;
static int	readd_calls;

static void
on_readd(struct sk_loop *loop, int fd, int mask, void *arg)
{
	int	p[2];

	(void)mask;
	(void)arg;
	readd_calls++;
	sk_loop_del(loop, fd);
	close(fd);
	if (readd_calls == 1) {
		/* Likely the same fd number again. */
		assert_int_equal(pipe(p), 0);
		readd_fd = p[1];
		assert_int_equal(sk_loop_add(NULL, loop, p[0], SK_READ,
		    on_readd, NULL), 0);
		assert_int_equal(write(p[1], "z", 1), 1);
	}
}

static void
test_del_self_and_reuse(void **state)
{
	struct sk_loop	*loop = new_loop(state);
	int		 p[2];

	readd_calls = 0;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(sk_loop_add(NULL, loop, p[0], SK_READ, on_readd,
	    NULL), 0);
	assert_int_equal(write(p[1], "a", 1), 1);
	assert_int_equal(sk_loop_run(NULL, loop), 0);
	assert_int_equal(readd_calls, 2);
	close(p[1]);
	close(readd_fd);
	sk_loop_free(loop);
}

struct tick {
	int		 n;
	int		 cancel_at;
	long long	 first_ms;
	long long	 last_ms;
	int		 order[8];
	int		 norder;
	int		 tag;
};

static void
on_timer(struct sk_loop *loop, long long id, void *arg)
{
	struct tick	*t = arg;

	t->n++;
	t->last_ms = sk_loop_now_ms();
	if (t->cancel_at > 0 && t->n >= t->cancel_at)
		assert_int_equal(sk_loop_timer_del(loop, id), 0);
}

static void
test_timers(void **state)
{
	struct sk_loop	*loop = new_loop(state);
	struct tick	 once = { 0 }, rep = { .cancel_at = 5 }, gone = { 0 };
	long long	 t0, id;

	t0 = sk_loop_now_ms();
	assert_true(sk_loop_timer_add(NULL, loop, 30, 0, on_timer, &once) > 0);
	assert_true(sk_loop_timer_add(NULL, loop, 5, 5, on_timer, &rep) > 0);
	id = sk_loop_timer_add(NULL, loop, 10, 0, on_timer, &gone);
	assert_int_equal(sk_loop_timer_del(loop, id), 0);
	assert_int_equal(sk_loop_timer_del(loop, id), -1);
	/* Run ends when the repeating timer cancels itself and all fired. */
	assert_int_equal(sk_loop_run(NULL, loop), 0);
	assert_int_equal(once.n, 1);
	assert_true(once.last_ms - t0 >= 30);
	assert_int_equal(rep.n, 5);
	assert_true(rep.last_ms - t0 >= 25);
	assert_int_equal(gone.n, 0);
	sk_loop_free(loop);
}

static int	order_log[8];
static int	norder;

static void
on_ordered(struct sk_loop *loop, long long id, void *arg)
{
	(void)loop;
	(void)id;
	order_log[norder++] = *(int *)arg;
}

static void
test_timer_order(void **state)
{
	struct sk_loop	*loop = new_loop(state);
	static int	 tags[] = { 1, 2, 3, 4 };

	norder = 0;
	/* Earlier deadlines first; equal deadlines in the order added. */
	sk_loop_timer_add(NULL, loop, 20, 0, on_ordered, &tags[3]);
	sk_loop_timer_add(NULL, loop, 0, 0, on_ordered, &tags[0]);
	sk_loop_timer_add(NULL, loop, 0, 0, on_ordered, &tags[1]);
	sk_loop_timer_add(NULL, loop, 10, 0, on_ordered, &tags[2]);
	assert_int_equal(sk_loop_run(NULL, loop), 0);
	assert_int_equal(norder, 4);
	assert_int_equal(order_log[0], 1);
	assert_int_equal(order_log[1], 2);
	assert_int_equal(order_log[2], 3);
	assert_int_equal(order_log[3], 4);
	sk_loop_free(loop);
}

static void
on_stop_timer(struct sk_loop *loop, long long id, void *arg)
{
	(void)id;
	(void)arg;
	sk_loop_stop(loop);
}

/* stop() ends run() even with fds still watched. */
static void
test_stop(void **state)
{
	struct sk_loop	*loop = new_loop(state);
	struct rec	 r = { .del_fd = -1 };
	int		 p[2];

	assert_int_equal(pipe(p), 0);
	assert_int_equal(sk_loop_add(NULL, loop, p[0], SK_READ, on_io, &r), 0);
	sk_loop_timer_add(NULL, loop, 20, 0, on_stop_timer, NULL);
	assert_int_equal(sk_loop_run(NULL, loop), 0);
	assert_int_equal(r.calls, 0);
	/* And a callback may stop it too. */
	r.stop_after = 1;
	assert_int_equal(write(p[1], "s", 1), 1);
	assert_int_equal(sk_loop_run(NULL, loop), 0);
	assert_int_equal(r.calls, 1);
	close(p[0]);
	close(p[1]);
	sk_loop_free(loop);
}

/*
 * Regular files and /dev/null are always ready; epoll refuses them (EPERM)
 * and the loop must serve them anyway, through to end of file.
 */
static void
test_always_ready_fds(void **state)
{
	struct sk_loop	*loop = new_loop(state);
	struct rec	 f = { .del_fd = -1 }, n = { .del_fd = -1 };
	char		 path[] = "/tmp/sockkit-loop-XXXXXX";
	int		 ffd, nfd;

	ffd = mkstemp(path);
	assert_true(ffd >= 0);
	unlink(path);
	assert_int_equal(write(ffd, "file data", 9), 9);
	assert_int_equal(lseek(ffd, 0, SEEK_SET), 0);
	nfd = open("/dev/null", O_RDONLY);
	assert_true(nfd >= 0);
	assert_int_equal(sk_loop_add(NULL, loop, ffd, SK_READ, on_io, &f), 0);
	assert_int_equal(sk_loop_add(NULL, loop, nfd, SK_READ, on_io, &n), 0);
	/* Each reads to its end and unwatches itself; run then returns. */
	assert_int_equal(sk_loop_run(NULL, loop), 0);
	assert_int_equal(f.len, 9);
	assert_memory_equal(f.data, "file data", 9);
	assert_int_equal(n.len, 0);
	assert_true(n.calls >= 1);
	close(ffd);
	close(nfd);
	sk_loop_free(loop);
}

/* select cannot watch fds >= FD_SETSIZE: a clear error, not corruption. */
static void
test_fd_setsize(void **state)
{
	struct sk_loop	*loop = new_loop(state);
	struct rlimit	 rl;
	struct rec	 r = { .del_fd = -1 };
	char		 err[SK_ERRLEN];
	int		 p[2], big = FD_SETSIZE + 10, rc;

	getrlimit(RLIMIT_NOFILE, &rl);
	if (rl.rlim_cur <= (rlim_t)big) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur <= (rlim_t)big) {
		sk_loop_free(loop);
		skip();
	}
	assert_int_equal(pipe(p), 0);
	assert_int_equal(dup2(p[0], big), big);
	err[0] = '\0';
	rc = sk_loop_add(err, loop, big, SK_READ, on_io, &r);
	if (strcmp(backend_of(state), "select") == 0) {
		assert_int_equal(rc, -1);
		assert_non_null(strstr(err, "cannot watch fd"));
		assert_non_null(strstr(err, "poll or epoll"));
	} else {
		assert_int_equal(rc, 0);
		assert_int_equal(write(p[1], "b", 1), 1);
		assert_int_equal(sk_loop_once(NULL, loop, 1000), 1);
		assert_int_equal(r.lastfd, big);
		sk_loop_del(loop, big);
	}
	close(big);
	close(p[0]);
	close(p[1]);
	sk_loop_free(loop);
}

/* Many fds ready at once: every one is reported. */
static void
test_many_fds(void **state)
{
	enum { N = 200 };
	struct sk_loop	*loop = new_loop(state);
	static int	 fds[N][2];
	static struct rec recs[N];
	int		 i, total = 0;

	for (i = 0; i < N; i++) {
		assert_int_equal(pipe(fds[i]), 0);
		memset(&recs[i], 0, sizeof(recs[i]));
		recs[i].del_fd = -1;
		assert_int_equal(sk_loop_add(NULL, loop, fds[i][0], SK_READ,
		    on_io, &recs[i]), 0);
		assert_int_equal(write(fds[i][1], "m", 1), 1);
	}
	while (total < N) {
		int n = sk_loop_once(NULL, loop, 1000);

		assert_true(n > 0);
		total += n;
	}
	for (i = 0; i < N; i++) {
		assert_int_equal(recs[i].calls, 1);
		sk_loop_del(loop, fds[i][0]);
		close(fds[i][0]);
		close(fds[i][1]);
	}
	sk_loop_free(loop);
}

/* A peer that resets wakes a writer-only watch, so the error is seen. */
static void
test_hangup_wakes_writer(void **state)
{
	struct sk_loop	*loop = new_loop(state);
	struct rec	 r = { .del_fd = -1 };
	int		 sv[2], sz = 4096;
	static char	 fill[1 << 16];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	assert_int_equal(sk_net_nonblock(NULL, sv[0], 1), 0);
	while (write(sv[0], fill, sizeof(fill)) > 0)
		;
	assert_int_equal(sk_loop_add(NULL, loop, sv[0], SK_WRITE, on_io, &r),
	    0);
	assert_int_equal(sk_loop_once(NULL, loop, 10), 0);
	close(sv[1]);
	assert_int_equal(sk_loop_once(NULL, loop, 1000), 1);
	assert_true(r.lastmask & SK_WRITE);
	sk_loop_del(loop, sv[0]);
	close(sv[0]);
	sk_loop_free(loop);
}

/* Busy-polling delivers events as usual and never outlasts a timeout. */
static void
test_spin(void **state)
{
	struct sk_loop	*loop = new_loop(state);
	struct rec	 r = { .del_fd = -1 };
	long long	 t0;
	int		 p[2];

	sk_loop_set_spin(loop, 200000);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(sk_loop_add(NULL, loop, p[0], SK_READ, on_io, &r), 0);
	assert_int_equal(write(p[1], "a", 1), 1);
	assert_int_equal(sk_loop_once(NULL, loop, 1000), 1);
	/* Busy now: the next wait spins, but only for its 20 ms. */
	t0 = sk_loop_now_ms();
	assert_int_equal(sk_loop_once(NULL, loop, 20), 0);
	assert_true(sk_loop_now_ms() - t0 < 150);
	assert_int_equal(write(p[1], "b", 1), 1);
	assert_int_equal(sk_loop_once(NULL, loop, 1000), 1);
	assert_memory_equal(r.data, "ab", 2);
	sk_loop_del(loop, p[0]);
	close(p[0]);
	close(p[1]);
	sk_loop_free(loop);
}

static void
test_unknown_backend(void **state)
{
	char	err[SK_ERRLEN];

	(void)state;
	assert_null(sk_loop_new(err, "kqueue"));
	assert_non_null(strstr(err, "unknown event loop backend 'kqueue'"));
	sk_loop_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_ready),
		cmocka_unit_test(test_write_ready_and_mod),
		cmocka_unit_test(test_del_other_in_callback),
		cmocka_unit_test(test_del_self_and_reuse),
		cmocka_unit_test(test_timers),
		cmocka_unit_test(test_timer_order),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_always_ready_fds),
		cmocka_unit_test(test_fd_setsize),
		cmocka_unit_test(test_many_fds),
		cmocka_unit_test(test_hangup_wakes_writer),
		cmocka_unit_test(test_spin),
		cmocka_unit_test(test_unknown_backend),
	};

	return run_per_backend("loop", tests, sizeof(tests) /
	    sizeof(tests[0]));
}
