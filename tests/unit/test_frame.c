/*
 * test_frame.c - the length-prefixed codec: the pure decoder on a table of
 * inputs, and the incremental decoder fed whole, torn into 1-byte pieces,
 * and many frames at a time; zero-length frames; the maximum size and one
 * byte over it, refused before anything is buffered for it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sockkit/buf.h>
#include <sockkit/frame.h>

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
	};

	return cmocka_run_group_tests_name("frame", tests, NULL, NULL);
}
