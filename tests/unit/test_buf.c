/*
 * test_buf.c - the growable buffer: appends, consumes, the limit that
 * gives backpressure, and reading and writing fds.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sockkit/buf.h>
#include <sockkit/net.h>

#include "testutil.h"

static void
test_append_consume(void **state)
{
	struct sk_buf	b;
	char		chunk[100];
	size_t		i;

	(void)state;
	sk_buf_init(&b, 0);
	assert_int_equal(sk_buf_len(&b), 0);
	for (i = 0; i < 1000; i++) {
		memset(chunk, (int)(i % 251), sizeof(chunk));
		assert_int_equal(sk_buf_append(&b, chunk, sizeof(chunk)), 0);
	}
	assert_int_equal(sk_buf_len(&b), 100000);
	for (i = 0; i < 1000; i++) {
		assert_int_equal(sk_buf_data(&b)[0], (uint8_t)(i % 251));
		assert_int_equal(sk_buf_data(&b)[99], (uint8_t)(i % 251));
		sk_buf_consume(&b, 100);
	}
	assert_int_equal(sk_buf_len(&b), 0);
	/* Empty buffers rewind, so the storage is reused from the start. */
	assert_int_equal(b.off, 0);
	sk_buf_release(&b);
	assert_null(b.data);
	sk_buf_release(NULL);
}

static void
test_limit(void **state)
{
	struct sk_buf	b;
	char		x[10] = "0123456789";

	(void)state;
	sk_buf_init(&b, 25);
	assert_false(sk_buf_full(&b));
	assert_int_equal(sk_buf_append(&b, x, 10), 0);
	assert_int_equal(sk_buf_append(&b, x, 10), 0);
	assert_int_equal(sk_buf_room(&b), 5);
	/* An append past the limit fails whole: nothing of it is kept. */
	errno = 0;
	assert_int_equal(sk_buf_append(&b, x, 10), -1);
	assert_int_equal(errno, ENOBUFS);
	assert_int_equal(sk_buf_len(&b), 20);
	assert_int_equal(sk_buf_append(&b, x, 5), 0);
	assert_true(sk_buf_full(&b));
	assert_null(sk_buf_reserve(&b, 1));
	/* Consuming makes room again. */
	sk_buf_consume(&b, 10);
	assert_false(sk_buf_full(&b));
	assert_int_equal(sk_buf_append(&b, x, 10), 0);
	assert_memory_equal(sk_buf_data(&b), "0123456789012340123456789",
	    25);
	/* The storage never grows past the limit. */
	assert_true(b.cap <= 25);
	sk_buf_release(&b);
}

static void
test_reserve_commit_compact(void **state)
{
	struct sk_buf	 b;
	uint8_t		*p;

	(void)state;
	sk_buf_init(&b, 0);
	assert_int_equal(sk_buf_append(&b, "abcdef", 6), 0);
	sk_buf_consume(&b, 4);
	sk_buf_compact(&b);
	assert_int_equal(b.off, 0);
	assert_memory_equal(sk_buf_data(&b), "ef", 2);
	p = sk_buf_reserve(&b, 3);
	assert_non_null(p);
	memcpy(p, "ghi", 3);
	sk_buf_commit(&b, 3);
	assert_int_equal(sk_buf_len(&b), 5);
	assert_memory_equal(sk_buf_data(&b), "efghi", 5);
	/* Reserving much more grows; the held bytes survive the move. */
	assert_non_null(sk_buf_reserve(&b, 1 << 20));
	assert_memory_equal(sk_buf_data(&b), "efghi", 5);
	assert_true(b.cap >= (1 << 20) + 5);
	sk_buf_release(&b);
}

/* Consumed room at the front is reused before the storage grows. */
static void
test_slide_reuses_room(void **state)
{
	struct sk_buf	b;
	char		block[600];
	size_t		cap;

	(void)state;
	memset(block, 'z', sizeof(block));
	sk_buf_init(&b, 0);
	assert_int_equal(sk_buf_append(&b, block, 600), 0);
	cap = b.cap;
	sk_buf_consume(&b, 500);
	assert_int_equal(sk_buf_append(&b, block, 400), 0);
	assert_int_equal(b.cap, cap);
	assert_int_equal(sk_buf_len(&b), 500);
	sk_buf_release(&b);
}

static void
test_read_write_fds(void **state)
{
	struct sk_buf	b;
	int		p[2];
	char		out[64];

	(void)state;
	assert_int_equal(pipe(p), 0);
	sk_buf_init(&b, 0);
	assert_int_equal(write(p[1], "hello, buffer", 13), 13);
	assert_int_equal(sk_buf_read(&b, p[0], 5), 5);
	assert_int_equal(sk_buf_read(&b, p[0], 100), 8);
	assert_memory_equal(sk_buf_data(&b), "hello, buffer", 13);
	/* A nonblocking empty pipe: EAGAIN, nothing changes. */
	assert_int_equal(sk_net_nonblock(NULL, p[0], 1), 0);
	assert_int_equal(sk_buf_read(&b, p[0], 100), -1);
	assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
	/* Writing to a pipe (not a socket) works and consumes. */
	assert_int_equal(sk_buf_write(&b, p[1]), 13);
	assert_int_equal(sk_buf_len(&b), 0);
	assert_int_equal(read(p[0], out, sizeof(out)), 13);
	assert_memory_equal(out, "hello, buffer", 13);
	close(p[1]);
	assert_int_equal(sk_buf_read(&b, p[0], 100), 0);
	close(p[0]);
	sk_buf_release(&b);
}

/* A full buffer reads nothing: ENOBUFS tells the caller to stop. */
static void
test_read_full(void **state)
{
	struct sk_buf	b;
	int		p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	sk_buf_init(&b, 4);
	assert_int_equal(write(p[1], "123456", 6), 6);
	assert_int_equal(sk_buf_read(&b, p[0], 100), 4);
	assert_int_equal(sk_buf_read(&b, p[0], 100), -1);
	assert_int_equal(errno, ENOBUFS);
	close(p[0]);
	close(p[1]);
	sk_buf_release(&b);
}

/* Writing to a nonblocking socket that is full stops at EAGAIN. */
static void
test_write_partial(void **state)
{
	struct sk_buf	 b;
	int		 sv[2], sz = 4096;
	static char	 big[1 << 20];
	ssize_t		 n;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	assert_int_equal(sk_net_nonblock(NULL, sv[0], 1), 0);
	sk_buf_init(&b, 0);
	assert_int_equal(sk_buf_append(&b, big, sizeof(big)), 0);
	n = sk_buf_write(&b, sv[0]);
	assert_true(n > 0 && (size_t)n < sizeof(big));
	assert_int_equal(sk_buf_len(&b), sizeof(big) - (size_t)n);
	/* The peer gone: an error, not a SIGPIPE. */
	close(sv[1]);
	assert_int_equal(sk_buf_write(&b, sv[0]), -1);
	assert_true(errno == EPIPE || errno == ECONNRESET);
	close(sv[0]);
	sk_buf_release(&b);
}

static void
test_printf(void **state)
{
	static const struct {
		size_t		 limit;		/* 0: none */
		size_t		 pre;		/* bytes held before */
		size_t		 width;		/* "%*d" width */
		int		 want;		/* count, or -1 */
		int		 err;
	} pcases[] = {
		{ 0, 0, 1, 1, 0 },
		{ 0, 10, 100, 100, 0 },
		{ 0, 0, 511, 511, 0 },		/* the stack copy's edge */
		{ 0, 0, 512, 512, 0 },
		{ 0, 7, 100000, 100000, 0 },	/* long: formatted in place */
		{ 100, 0, 100, 100, 0 },	/* exactly to the limit */
		{ 100, 0, 101, -1, ENOBUFS },
		{ 1000, 0, 1000, 1000, 0 },	/* long, to the limit: a copy */
		{ 1000, 0, 999, 999, 0 },
		{ 1000, 1, 1000, -1, ENOBUFS },
		{ 1000, 990, 10, 10, 0 },
		{ 1000, 990, 11, -1, ENOBUFS },
	};
	struct sk_buf	 b;
	char		*want;
	size_t		 i;
	int		 n;

	(void)state;
	for (i = 0; i < sizeof(pcases) / sizeof(pcases[0]); i++) {
		sk_buf_init(&b, pcases[i].limit);
		if ((want = malloc(pcases[i].pre + pcases[i].width + 1)) ==
		    NULL)
			fail();
		memset(want, 'p', pcases[i].pre);
		assert_int_equal(sk_buf_append(&b, want, pcases[i].pre), 0);
		errno = 0;
		n = sk_buf_printf(&b, "%*d", (int)pcases[i].width, 7);
		assert_int_equal(n, pcases[i].want);
		if (n == -1) {
			assert_int_equal(errno, pcases[i].err);
			assert_int_equal(sk_buf_len(&b), pcases[i].pre);
		} else {
			memset(want + pcases[i].pre, ' ', pcases[i].width - 1);
			want[pcases[i].pre + pcases[i].width - 1] = '7';
			assert_int_equal(sk_buf_len(&b), pcases[i].pre +
			    pcases[i].width);
			assert_memory_equal(sk_buf_data(&b), want,
			    sk_buf_len(&b));
		}
		free(want);
		sk_buf_release(&b);
	}
	/* Appends follow each other; no NUL is stored. */
	sk_buf_init(&b, 0);
	assert_int_equal(sk_buf_printf(&b, "%s=%d;", "a", 1), 4);
	assert_int_equal(sk_buf_printf(&b, "%s", ""), 0);
	assert_int_equal(sk_buf_printf(&b, "%c%c", 'x', 'y'), 2);
	assert_int_equal(sk_buf_len(&b), 6);
	assert_memory_equal(sk_buf_data(&b), "a=1;xy", 6);
	sk_buf_release(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_consume),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_reserve_commit_compact),
		cmocka_unit_test(test_slide_reuses_room),
		cmocka_unit_test(test_read_write_fds),
		cmocka_unit_test(test_read_full),
		cmocka_unit_test(test_write_partial),
		cmocka_unit_test(test_printf),
	};

	return cmocka_run_group_tests_name("buf", tests, NULL, NULL);
}
