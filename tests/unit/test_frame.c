/*
 * test_frame.c - the length-prefixed codec: the pure decoder on a table of
 * inputs, and the incremental decoder fed whole, torn into 1-byte pieces,
 * and many frames at a time; zero-length frames; the maximum size and one
 * byte over it, refused before anything is buffered for it.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sockkit/buf.h>
#include <sockkit/frame.h>
#include <sockkit/net.h>

#include "testutil.h"

struct dcase {
	const char	*name;
	const char	*in;
	size_t		 len;
	size_t		 max;
	ssize_t		 want;		/* return value */
	uint32_t	 plen;
};

static const struct dcase dcases[] = {
	{ "empty",		"",			0,  16, -2, 0 },
	{ "1 header byte",	"\0",			1,  16, -2, 0 },
	{ "3 header bytes",	"\0\0\0",		3,  16, -2, 0 },
	{ "zero length",	"\0\0\0\0",		4,  16,  4, 0 },
	{ "zero + more",	"\0\0\0\0xyz",		7,  16,  4, 0 },
	{ "short payload",	"\0\0\0\3ab",		6,  16, -2, 0 },
	{ "whole",		"\0\0\0\3abc",		7,  16,  7, 3 },
	{ "whole + next",	"\0\0\0\3abc\0\0",	9,  16,  7, 3 },
	{ "exactly max",	"\0\0\0\4abcd",		8,   4,  8, 4 },
	{ "max + 1",		"\0\0\0\5abcde",	9,   4, -1, 0 },
	{ "over max, header",	"\0\0\1\0",		4, 255, -1, 0 },
	{ "big endian",		"\0\0\1\0",		4, 256, -2, 0 },
	{ "4 GiB - 1",		"\377\377\377\377",	4,  16, -1, 0 },
};

static void
test_decode_table(void **state)
{
	const struct dcase	*c;
	const uint8_t		*payload;
	uint32_t		 plen;
	ssize_t			 n;
	size_t			 i;

	(void)state;
	for (i = 0; i < sizeof(dcases) / sizeof(dcases[0]); i++) {
		c = &dcases[i];
		plen = 0xdead;
		n = sk_frame_decode((const uint8_t *)c->in, c->len, c->max,
		    &payload, &plen);
		if (n != c->want)
			fail_msg("%s: got %zd, want %zd", c->name, n, c->want);
		if (n > 0) {
			assert_int_equal(plen, c->plen);
			assert_ptr_equal(payload, (const uint8_t *)c->in + 4);
		}
	}
}

static void
test_header_encode(void **state)
{
	struct sk_buf	b;
	uint8_t		h[4];

	(void)state;
	sk_frame_header(h, 0x01020304);
	assert_memory_equal(h, "\1\2\3\4", 4);
	sk_buf_init(&b, 0);
	assert_int_equal(sk_frame_encode(&b, "hi", 2), 0);
	assert_int_equal(sk_frame_encode(&b, NULL, 0), 0);
	assert_int_equal(sk_buf_len(&b), 10);
	assert_memory_equal(sk_buf_data(&b), "\0\0\0\2hi\0\0\0\0", 10);
	sk_buf_release(&b);
	/* A full buffer takes no half frame. */
	sk_buf_init(&b, 5);
	assert_int_equal(sk_frame_encode(&b, "hi", 2), -1);
	assert_int_equal(errno, ENOBUFS);
	assert_int_equal(sk_buf_len(&b), 0);
	sk_buf_release(&b);
}

/* A stream of frames of many sizes, zero-length ones included. */
static size_t
make_stream(struct sk_buf *s, size_t nframes)
{
	uint8_t	payload[3000];
	size_t	i, len;

	sk_buf_init(s, 0);
	for (i = 0; i < nframes; i++) {
		len = (i * 37) % 3000;
		if (i % 7 == 0)
			len = 0;
		memset(payload, (int)(i & 0xff), len);
		assert_int_equal(sk_frame_encode(s, payload, len), 0);
	}
	return nframes;
}

/* Feed the stream in pieces of `step` bytes; check every frame. */
static void
feed_and_check(const struct sk_buf *s, size_t nframes, size_t step)
{
	struct sk_frame_dec	 d;
	const uint8_t		*p, *payload;
	uint32_t		 plen;
	size_t			 off = 0, got = 0, n, len, j;
	int			 rc;

	sk_frame_dec_init(&d, 4096);
	p = sk_buf_data(s);
	while (off < sk_buf_len(s)) {
		n = sk_buf_len(s) - off < step ? sk_buf_len(s) - off : step;
		assert_int_equal(sk_frame_dec_feed(&d, p + off, n), 0);
		off += n;
		while ((rc = sk_frame_dec_next(&d, &payload, &plen)) == 1) {
			len = (got * 37) % 3000;
			if (got % 7 == 0)
				len = 0;
			assert_int_equal(plen, len);
			for (j = 0; j < plen; j++)
				assert_int_equal(payload[j], got & 0xff);
			got++;
		}
		assert_int_equal(rc, 0);
	}
	assert_int_equal(got, nframes);
	assert_int_equal(sk_frame_dec_pending(&d), 0);
	sk_frame_dec_release(&d);
}

static void
test_dec_whole(void **state)
{
	struct sk_buf	s;
	size_t		n;

	(void)state;
	n = make_stream(&s, 50);
	/* Many frames in one feed: the decoder buffers at most one frame. */
	feed_and_check(&s, n, 4096 + 4);
	sk_buf_release(&s);
}

static void
test_dec_torn(void **state)
{
	struct sk_buf	s;
	size_t		n;

	(void)state;
	n = make_stream(&s, 60);
	feed_and_check(&s, n, 1);
	feed_and_check(&s, n, 3);
	feed_and_check(&s, n, 5);
	feed_and_check(&s, n, 1000);
	sk_buf_release(&s);
}

static void
test_dec_max(void **state)
{
	struct sk_frame_dec	 d;
	const uint8_t		*payload;
	uint32_t		 plen;
	uint8_t			*big;

	(void)state;
	big = calloc(1, 4 + 1000 + 1);
	assert_non_null(big);
	/* Exactly max is a frame. */
	sk_frame_dec_init(&d, 1000);
	sk_frame_header(big, 1000);
	assert_int_equal(sk_frame_dec_feed(&d, big, 4 + 1000), 0);
	assert_int_equal(sk_frame_dec_next(&d, &payload, &plen), 1);
	assert_int_equal(plen, 1000);
	assert_int_equal(sk_frame_dec_next(&d, &payload, &plen), 0);
	sk_frame_dec_release(&d);

	/* One byte over: an error from the header alone, byte by byte. */
	sk_frame_dec_init(&d, 1000);
	sk_frame_header(big, 1001);
	assert_int_equal(sk_frame_dec_feed(&d, big, 1), 0);
	assert_int_equal(sk_frame_dec_next(&d, &payload, &plen), 0);
	assert_int_equal(sk_frame_dec_feed(&d, big + 1, 3), 0);
	assert_int_equal(sk_frame_dec_next(&d, &payload, &plen), -1);
	/* The stream is dead: more bytes are refused, not buffered. */
	assert_int_equal(sk_frame_dec_feed(&d, big + 4, 100), -1);
	assert_int_equal(errno, EMSGSIZE);
	assert_int_equal(sk_frame_dec_pending(&d), 4);
	sk_frame_dec_release(&d);
	free(big);
}

/* A hostile 4 GiB length is refused without allocating for it. */
static void
test_dec_hostile_length(void **state)
{
	struct sk_frame_dec	 d;
	const uint8_t		*payload;
	uint32_t		 plen;

	(void)state;
	sk_frame_dec_init(&d, SK_FRAME_MAX_DEFAULT);
	assert_int_equal(sk_frame_dec_feed(&d, "\377\377\377\377x", 5), 0);
	assert_int_equal(sk_frame_dec_next(&d, &payload, &plen), -1);
	assert_true(d.buf.cap < 64 * 1024);
	sk_frame_dec_release(&d);
}

static void
test_dec_read_fd(void **state)
{
	struct sk_frame_dec	 d;
	const uint8_t		*payload;
	uint32_t		 plen;
	int			 p[2], frames = 0;
	ssize_t			 n;

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "\0\0\0\2hi\0\0\0\0\0\0\0\3abc", 17),
	    17);
	close(p[1]);
	sk_frame_dec_init(&d, 100);
	while ((n = sk_frame_dec_read(&d, p[0], 2)) > 0)
		while (sk_frame_dec_next(&d, &payload, &plen) == 1)
			frames++;
	assert_int_equal(n, 0);
	assert_int_equal(frames, 3);
	close(p[0]);
	sk_frame_dec_release(&d);
}

static void
test_be32(void **state)
{
	static const struct {
		uint32_t	v;
		uint8_t		b[4];
	} t[] = {
		{ 0, { 0, 0, 0, 0 } },
		{ 258, { 0, 0, 1, 2 } },
		{ 0x01020304, { 1, 2, 3, 4 } },
		{ 0xffffffff, { 0xff, 0xff, 0xff, 0xff } },
	};
	uint8_t	b[4];
	size_t	i;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		sk_be32_put(b, t[i].v);
		assert_memory_equal(b, t[i].b, 4);
		assert_int_equal(sk_be32_get(t[i].b), t[i].v);
	}
}

/* One frame as a client sends it: header, then payload. */
static int
send_frame(int fd, const void *p, size_t n)
{
	uint8_t	hdr[SK_FRAME_HDRLEN];

	sk_frame_header(hdr, (uint32_t)n);
	if (sk_net_send_all(NULL, fd, hdr, sizeof(hdr), 1000) == -1)
		return -1;
	return n == 0 || sk_net_send_all(NULL, fd, p, n, 1000) != -1 ? 0 : -1;
}

/* What the peer wrote, then closed, as sk_frame_recv() sees it. */
static ssize_t
recv_after(const void *wire, size_t n, uint8_t *buf, size_t cap, size_t max,
    uint32_t *plen, int *e)
{
	int	sv[2];
	ssize_t	rc;

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(write(sv[1], wire, n), (ssize_t)n);
	close(sv[1]);
	errno = 0;
	rc = sk_frame_recv(NULL, sv[0], buf, cap, max, 1000, plen);
	*e = errno;
	close(sv[0]);
	return rc;
}

static void
test_send_recv(void **state)
{
	static const struct {
		const char	*name;
		const char	*wire;
		size_t		 n;
		ssize_t		 want;
		int		 e;
	} t[] = {
		{ "whole",		"\0\0\0\3abc",	7,  3, 0 },
		{ "empty frame",	"\0\0\0\0",	4,  0, 0 },
		{ "exactly max",	"\0\0\0\10abcdefgh", 12, 8, 0 },
		{ "over max",		"\0\0\0\11abcdefghi", 13, -1, EMSGSIZE },
		{ "huge",		"\377\377\377\377", 4, -1, EMSGSIZE },
		{ "closed",		"",		0, -1, EPIPE },
		{ "torn header",	"\0\0",		2, -1, EPIPE },
		{ "truncated",		"\0\0\0\5ab",	6, -1, EPROTO },
	};
	uint8_t		 buf[8], big[9000];
	uint32_t	 plen;
	size_t		 i;
	ssize_t		 rc;
	int		 sv[2], e;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		rc = recv_after(t[i].wire, t[i].n, buf, sizeof(buf), 8,
		    &plen, &e);
		if (rc != t[i].want || (rc == -1 && e != t[i].e))
			fail_msg("%s: got %zd (errno %d)", t[i].name, rc, e);
		if (rc >= 0)
			assert_memory_equal(buf, t[i].wire + 4, (size_t)rc);
	}
	/* Over the maximum: the length announced, for the message. */
	(void)recv_after("\0\0\1\0", 4, buf, sizeof(buf), 8, &plen, &e);
	assert_int_equal(plen, 256);
	/* A max above cap is held to cap. */
	rc = recv_after("\0\0\0\11abcdefghi", 13, buf, sizeof(buf), 1000,
	    &plen, &e);
	assert_int_equal(rc, -1);
	assert_int_equal(e, EMSGSIZE);
	/* Frames back to back, small and big: each arrives whole. */
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	assert_int_equal(send_frame(sv[1], "hi", 2), 0);
	assert_int_equal(send_frame(sv[1], "", 0), 0);
	assert_int_equal(sk_frame_recv(NULL, sv[0], buf, sizeof(buf), 8, 1000,
	    &plen), 2);
	assert_memory_equal(buf, "hi", 2);
	assert_int_equal(sk_frame_recv(NULL, sv[0], buf, sizeof(buf), 8, 1000,
	    &plen), 0);
	memset(big, 'x', sizeof(big));
	if (fork() == 0) {
		close(sv[0]);
		_exit(send_frame(sv[1], big, sizeof(big)) == 0 ? 0 : 1);
	}
	memset(big, 0, sizeof(big));
	assert_int_equal(sk_frame_recv(NULL, sv[0], big, sizeof(big),
	    sizeof(big), 1000, &plen), (ssize_t)sizeof(big));
	assert_int_equal(big[0], 'x');
	assert_int_equal(big[sizeof(big) - 1], 'x');
	close(sv[1]);
	close(sv[0]);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_table),
		cmocka_unit_test(test_header_encode),
		cmocka_unit_test(test_dec_whole),
		cmocka_unit_test(test_dec_torn),
		cmocka_unit_test(test_dec_max),
		cmocka_unit_test(test_dec_hostile_length),
		cmocka_unit_test(test_dec_read_fd),
		cmocka_unit_test(test_be32),
		cmocka_unit_test(test_send_recv),
	};

	return cmocka_run_group_tests_name("frame", tests, NULL, NULL);
}
