/*
 * fuzz_fsproto.c - libFuzzer harness for fileserve's messages: requests
 * (sk_fs_parse) and every kind of reply (sk_fs_parse_reply).  The first
 * byte picks which: 0 mod 9 a request, else reply kind (byte % 9) - 1;
 * the rest is one frame's payload.  Views must lie inside the input,
 * numbers be in range, a parse must not depend on bytes past the payload
 * (it is parsed again from a copy with garbage after it), and what parses
 * must format (sk_fs_req_format, sk_fs_reply_format) into a frame that
 * parses back to the same message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sockkit/buf.h>
#include <sockkit/frame.h>
#include <sockkit/fsproto.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
inside(const char *v, size_t len, const uint8_t *p, size_t n)
{
	if (v != NULL && ((const uint8_t *)v < p ||
	    (const uint8_t *)v + len > p + n))
		abort();
}

static void
request(const uint8_t *p, size_t n, const uint8_t *wide)
{
	struct sk_fs_req	r, r2;
	struct sk_buf		b;

	if (sk_fs_parse(p, n, &r) != 0)
		return;
	inside(r.arg, r.arg_len, p, n);
	if (r.num < 0)
		abort();
	if (sk_fs_parse(wide, n, &r2) != 0 || r2.verb != r.verb ||
	    r2.num != r.num || r2.arg_len != r.arg_len)
		abort();
	sk_buf_init(&b, 0);
	if (sk_fs_req_format(&b, &r) == 0 && (sk_fs_parse(sk_buf_data(&b) +
	    SK_FRAME_HDRLEN, sk_buf_len(&b) - SK_FRAME_HDRLEN, &r2) != 0 ||
	    r2.verb != r.verb || r2.num != r.num || r2.arg_len != r.arg_len ||
	    memcmp(r2.arg, r.arg, r.arg_len) != 0))
		abort();
	sk_buf_release(&b);
}

static int
same(const struct sk_fs_reply *a, const struct sk_fs_reply *b)
{
	return a->kind == b->kind && a->err == b->err && a->type == b->type &&
	    a->num == b->num && a->size == b->size && a->mtime == b->mtime &&
	    a->sum == b->sum && a->text_len == b->text_len &&
	    (a->text_len == 0 || memcmp(a->text, b->text, a->text_len) == 0);
}

static void
reply(const uint8_t *p, size_t n, const uint8_t *wide, enum sk_fs_kind k)
{
	struct sk_fs_reply	r, r2;
	struct sk_buf		b;

	if (sk_fs_parse_reply(p, n, k, &r) != 0) {
		if (r.err != 0 && r.err != -1)
			abort();
		return;
	}
	inside(r.text, r.text_len, p, n);
	if (r.num < 0 || r.size < 0 || (r.err != 0 && (r.err < 100 ||
	    r.err > 599)) || (r.type != 0 && strchr("fdlo", r.type) == NULL))
		abort();
	/* (Views into another copy: same() compares their bytes.) */
	if (sk_fs_parse_reply(wide, n, k, &r2) != 0 || !same(&r, &r2))
		abort();
	sk_buf_init(&b, 0);
	if (sk_fs_reply_format(&b, &r) != 0 ||
	    sk_fs_parse_reply(sk_buf_data(&b) + SK_FRAME_HDRLEN,
	    sk_buf_len(&b) - SK_FRAME_HDRLEN, k, &r2) != 0 || !same(&r, &r2))
		abort();
	sk_buf_release(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t	*copy, *wide;
	size_t	 n;

	if (size < 1)
		return 0;
	n = size - 1;
	if ((copy = malloc(n ? n : 1)) == NULL || (wide = malloc(n + 8)) ==
	    NULL) {
		free(copy);
		return 0;
	}
	memcpy(copy, data + 1, n);
	memcpy(wide, data + 1, n);
	memset(wide + n, 'Z', 8);
	if (data[0] % 9 == 0)
		request(copy, n, wide);
	else
		reply(copy, n, wide, (enum sk_fs_kind)(data[0] % 9 - 1));
	free(copy);
	free(wide);
	return 0;
}
