/*
 * test_fsproto.c - fileserve's messages: requests (every verb, the edges
 * of each form, what is refused), replies of every kind in their OK and
 * ERR forms and every malformed form a client must refuse, listing lines,
 * the SUM trailer; and the formatters, byte for byte and parsed back.
 */
#define _XOPEN_SOURCE	700	/* S_IFREG and the others */

#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#include <sockkit/buf.h>
#include <sockkit/frame.h>
#include <sockkit/fsproto.h>

#include "testutil.h"

#define U(s)	((const uint8_t *)(s))

static void
test_fs(void **state)
{
	struct sk_fs_req	r;
	static const char *const bad[] = {
		"", "HELLO", "HELLO ", "HELLO x", "HELLO 1 ", "HELLO -1",
		"GET 1", "GET x y", "GET -1 y", "GET  1 y",
		"PUT 99999999999999999999 y", "get 1 y", "LIST x", "LS",
		"NOPE x",
	};
	size_t	i;

	(void)state;
	assert_int_equal(sk_fs_parse(U("HELLO 1"), 7, &r), 0);
	assert_int_equal(r.verb, SK_FS_HELLO);
	assert_int_equal(r.num, 1);
	assert_int_equal(sk_fs_parse(U("GET 42 a b/c"), 12, &r), 0);
	assert_int_equal(r.verb, SK_FS_GET);
	assert_int_equal(r.num, 42);
	assert_int_equal(r.arg_len, 5);
	assert_memory_equal(r.arg, "a b/c", 5);
	assert_int_equal(sk_fs_parse(U("PUT 0 x"), 7, &r), 0);
	assert_int_equal(r.verb, SK_FS_PUT);
	assert_int_equal(sk_fs_parse(U("LS ."), 4, &r), 0);
	assert_int_equal(r.verb, SK_FS_LS);
	assert_int_equal(sk_fs_parse(U("STAT f"), 6, &r), 0);
	assert_int_equal(r.verb, SK_FS_STAT);
	assert_int_equal(sk_fs_parse(U("SUM 00ff"), 8, &r), 0);
	assert_int_equal(r.verb, SK_FS_SUM);
	assert_int_equal(r.arg_len, 4);
	assert_int_equal(sk_fs_parse(U("LS a\0b"), 6, &r), -1);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (sk_fs_parse(U(bad[i]), strlen(bad[i]), &r) != -1)
			fail_msg("accepted '%s'", bad[i]);
}

static void
test_req_format(void **state)
{
	static const struct {
		enum sk_fs_verb	 verb;
		long long	 num;
		const char	*arg;
		const char	*want;
	} t[] = {
		{ SK_FS_HELLO, 1, NULL, "HELLO 1" },
		{ SK_FS_LS, 0, ".", "LS ." },
		{ SK_FS_STAT, 0, "a b/c", "STAT a b/c" },
		{ SK_FS_GET, 42, "f", "GET 42 f" },
		{ SK_FS_PUT, 0, "d/x", "PUT 0 d/x" },
		{ SK_FS_SUM, 0, "0123456789abcdef", "SUM 0123456789abcdef" },
	};
	struct sk_fs_req	 req, back;
	struct sk_buf		 b;
	size_t			 i, n;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		memset(&req, 0, sizeof(req));
		req.verb = t[i].verb;
		req.num = t[i].num;
		req.arg = t[i].arg != NULL ? t[i].arg : "";
		req.arg_len = strlen(req.arg);
		sk_buf_init(&b, 0);
		assert_int_equal(sk_fs_req_format(&b, &req), 0);
		n = strlen(t[i].want);
		assert_int_equal(sk_buf_len(&b), SK_FRAME_HDRLEN + n);
		assert_int_equal(sk_be32_get(sk_buf_data(&b)), n);
		assert_memory_equal(sk_buf_data(&b) + SK_FRAME_HDRLEN,
		    t[i].want, n);
		/* And the server reads back what was sent. */
		assert_int_equal(sk_fs_parse(sk_buf_data(&b) + SK_FRAME_HDRLEN,
		    n, &back), 0);
		assert_int_equal(back.verb, req.verb);
		assert_int_equal(back.num, req.num);
		assert_int_equal(back.arg_len, req.arg_len);
		sk_buf_release(&b);
	}
}

struct rcase {
	enum sk_fs_kind	 kind;
	const char	*in;
	int		 rc;
	int		 err;		/* code, or -1: the verb is wrong */
	char		 type;
	long long	 num, size, mtime;
	const char	*text;
};

static const struct rcase rcases[] = {
	/* Every kind's OK form. */
	{ SK_FS_R_HELLO, "OK 1", 0, 0, 0, 1, 0, 0, NULL },
	{ SK_FS_R_STAT, "OK f 10 1700000000", 0, 0, 'f', 0, 10, 1700000000,
	    NULL },
	{ SK_FS_R_STAT, "OK d 0 -5", 0, 0, 'd', 0, 0, -5, NULL },
	{ SK_FS_R_LS, "OK 3", 0, 0, 0, 3, 0, 0, NULL },
	{ SK_FS_R_GET, "OK 5 0", 0, 0, 0, 0, 5, 0, NULL },
	{ SK_FS_R_PUT, "OK 0", 0, 0, 0, 0, 0, 0, NULL },
	{ SK_FS_R_DONE, "OK", 0, 0, 0, 0, 0, 0, NULL },
	{ SK_FS_R_ENTRY, "l 7 9 a name", 0, 0, 'l', 0, 7, 9, "a name" },
	{ SK_FS_R_ENTRY, "o 0 -1 x", 0, 0, 'o', 0, 0, -1, "x" },
	{ SK_FS_R_SUM, "SUM 00000000000000ff", 0, 0, 0, 0, 0, 0, NULL },
	/* ERR, to any kind but a listing line. */
	{ SK_FS_R_GET, "ERR 404 a/b: No such file", 0, 404, 0, 0, 0, 0,
	    "a/b: No such file" },
	{ SK_FS_R_SUM, "ERR 409 it changed", 0, 409, 0, 0, 0, 0,
	    "it changed" },
	{ SK_FS_R_HELLO, "ERR 503", 0, 503, 0, 0, 0, 0, "" },
	{ SK_FS_R_DONE, "ERR 422 bad", 0, 422, 0, 0, 0, 0, "bad" },
	{ SK_FS_R_ENTRY, "ERR 404 x", -1, 0, 0, 0, 0, 0, NULL },
	{ SK_FS_R_PUT, "ERR", -1, -1, 0, 0, 0, 0, NULL },
	{ SK_FS_R_PUT, "ERR x", -1, 0, 0, 0, 0, 0, NULL },
	{ SK_FS_R_PUT, "ERR 99 low", -1, 0, 0, 0, 0, 0, NULL },
	{ SK_FS_R_PUT, "ERR 600 high", -1, 0, 0, 0, 0, 0, NULL },
	{ SK_FS_R_PUT, "ERR 404x", -1, 0, 0, 0, 0, 0, NULL },
	{ SK_FS_R_PUT, "ERR -404 x", -1, 0, 0, 0, 0, 0, NULL },
	/* Wrong verbs: another protocol, or a reply to another request. */
	{ SK_FS_R_HELLO, "", -1, -1, 0, 0, 0, 0, NULL },
	{ SK_FS_R_HELLO, "HTTP/1.0 400", -1, -1, 0, 0, 0, 0, NULL },
	{ SK_FS_R_HELLO, "ok 1", -1, -1, 0, 0, 0, 0, NULL },
	{ SK_FS_R_HELLO, "OK1", -1, -1, 0, 0, 0, 0, NULL },
	{ SK_FS_R_STAT, "SUM 00000000000000ff", -1, -1, 0, 0, 0, 0, NULL },
	{ SK_FS_R_SUM, "OK 5 0", -1, -1, 0, 0, 0, 0, NULL },
	{ SK_FS_R_SUM, "SUMM 00000000000000ff", -1, -1, 0, 0, 0, 0, NULL },
	{ SK_FS_R_HELLO, "OK f 5 0", -1, 0, 0, 0, 0, 0, NULL },
	{ SK_FS_R_GET, "OK f 5 0", -1, 0, 0, 0, 0, 0, NULL },
	{ SK_FS_R_STAT, "OK 5 0", -1, 0, 0, 0, 0, 0, NULL },
	{ SK_FS_R_LS, "OK 5 0", -1, 0, 0, 0, 0, 0, NULL },
	{ SK_FS_R_DONE, "OK 0", -1, 0, 0, 0, 0, 0, NULL },
	/* Missing, signed, huge or trailing numbers. */
	{ SK_FS_R_HELLO, "OK", -1, 0, 0, 0, 0, 0, NULL },
	{ SK_FS_R_HELLO, "OK ", -1, 0, 0, 0, 0, 0, NULL },
	{ SK_FS_R_LS, "OK -3", -1, 0, 0, 0, 0, 0, NULL },
	{ SK_FS_R_LS, "OK 3 ", -1, 0, 0, 0, 0, 0, NULL },
	{ SK_FS_R_LS, "OK  3", -1, 0, 0, 0, 0, 0, NULL },
	{ SK_FS_R_LS, "OK +3", -1, 0, 0, 0, 0, 0, NULL },
	{ SK_FS_R_PUT, "OK 99999999999999999999", -1, 0, 0, 0, 0, 0, NULL },
	{ SK_FS_R_PUT, "OK 9223372036854775807", -1, 0, 0, 0, 0, 0, NULL },
	{ SK_FS_R_GET, "OK 5x 0", -1, 0, 0, 0, 0, 0, NULL },
	{ SK_FS_R_GET, "OK -5 0", -1, 0, 0, 0, 0, 0, NULL },
	{ SK_FS_R_GET, "OK 5", -1, 0, 0, 0, 0, 0, NULL },
	{ SK_FS_R_GET, "OK 5 -", -1, 0, 0, 0, 0, 0, NULL },
	{ SK_FS_R_GET, "OK 5 0 0", -1, 0, 0, 0, 0, 0, NULL },
	{ SK_FS_R_STAT, "OK x 5 0", -1, 0, 0, 0, 0, 0, NULL },
	{ SK_FS_R_STAT, "OK f5 0", -1, 0, 0, 0, 0, 0, NULL },
	{ SK_FS_R_STAT, "OK f -5 0", -1, 0, 0, 0, 0, 0, NULL },
	{ SK_FS_R_STAT, "OK fd 5 0", -1, 0, 0, 0, 0, 0, NULL },
	/* Bad listing lines. */
	{ SK_FS_R_ENTRY, "", -1, 0, 0, 0, 0, 0, NULL },
	{ SK_FS_R_ENTRY, "f 5 0", -1, 0, 0, 0, 0, 0, NULL },
	{ SK_FS_R_ENTRY, "f 5 0 ", -1, 0, 0, 0, 0, 0, NULL },
	{ SK_FS_R_ENTRY, "x 5 0 n", -1, 0, 0, 0, 0, 0, NULL },
	{ SK_FS_R_ENTRY, "f -5 0 n", -1, 0, 0, 0, 0, 0, NULL },
	{ SK_FS_R_ENTRY, "f 5 n", -1, 0, 0, 0, 0, 0, NULL },
	{ SK_FS_R_ENTRY, "OK 1", -1, 0, 0, 0, 0, 0, NULL },
	/* Bad SUM trailers. */
	{ SK_FS_R_SUM, "SUM ", -1, 0, 0, 0, 0, 0, NULL },
	{ SK_FS_R_SUM, "SUM 00ff", -1, 0, 0, 0, 0, 0, NULL },
	{ SK_FS_R_SUM, "SUM 00000000000000FF", -1, 0, 0, 0, 0, 0, NULL },
	{ SK_FS_R_SUM, "SUM 00000000000000fg", -1, 0, 0, 0, 0, 0, NULL },
	{ SK_FS_R_SUM, "SUM 00000000000000ff ", -1, 0, 0, 0, 0, 0, NULL },
	{ SK_FS_R_SUM, "SUM 000000000000000ff", -1, 0, 0, 0, 0, 0, NULL },
};

static void
test_replies(void **state)
{
	const struct rcase	*c;
	struct sk_fs_reply	 r;
	size_t			 i;
	int			 rc;

	(void)state;
	for (i = 0; i < sizeof(rcases) / sizeof(rcases[0]); i++) {
		c = &rcases[i];
		rc = sk_fs_parse_reply(U(c->in), strlen(c->in), c->kind, &r);
		if (rc != c->rc || r.err != c->err)
			fail_msg("'%s' (kind %d): got %d, err %d", c->in,
			    c->kind, rc, r.err);
		if (rc == -1)
			continue;
		assert_int_equal(r.type, c->type);
		assert_int_equal(r.num, c->num);
		assert_int_equal(r.size, c->size);
		assert_int_equal(r.mtime, c->mtime);
		if (c->text != NULL) {
			assert_int_equal(r.text_len, strlen(c->text));
			assert_memory_equal(r.text, c->text, r.text_len);
		}
	}
	assert_int_equal(sk_fs_parse_reply(U("SUM 00000000000000ff"), 20,
	    SK_FS_R_SUM, &r), 0);
	assert_true(r.sum == 0xff);
	/* A NUL byte anywhere: malformed, whatever the kind. */
	assert_int_equal(sk_fs_parse_reply(U("OK 1\0"), 5, SK_FS_R_HELLO, &r),
	    -1);
	assert_int_equal(sk_fs_parse_reply(U("f 1 0 a\0b"), 9, SK_FS_R_ENTRY,
	    &r), -1);
	assert_int_equal(sk_fs_parse_reply(U("ERR 404 a\0"), 10, SK_FS_R_GET,
	    &r), -1);
}

/* Format r, check the bytes, and parse them back into the same. */
static void
round_trip(const struct sk_fs_reply *r, const char *want)
{
	struct sk_fs_reply	back;
	struct sk_buf		b;
	size_t			n = strlen(want);

	sk_buf_init(&b, 0);
	assert_int_equal(sk_fs_reply_format(&b, r), 0);
	assert_int_equal(sk_buf_len(&b), SK_FRAME_HDRLEN + n);
	assert_int_equal(sk_be32_get(sk_buf_data(&b)), n);
	if (memcmp(sk_buf_data(&b) + SK_FRAME_HDRLEN, want, n) != 0)
		fail_msg("formatted '%.*s', want '%s'", (int)n,
		    sk_buf_data(&b) + SK_FRAME_HDRLEN, want);
	assert_int_equal(sk_fs_parse_reply(sk_buf_data(&b) + SK_FRAME_HDRLEN,
	    n, r->kind, &back), 0);
	assert_int_equal(back.err, r->err);
	assert_int_equal(back.type, r->type);
	assert_int_equal(back.num, r->num);
	assert_int_equal(back.size, r->size);
	assert_int_equal(back.mtime, r->mtime);
	assert_true(back.sum == r->sum);
	assert_int_equal(back.text_len, r->text_len);
	sk_buf_release(&b);
}

static void
test_reply_format(void **state)
{
	struct sk_fs_reply	r;

	(void)state;
	memset(&r, 0, sizeof(r));
	r.kind = SK_FS_R_HELLO;
	r.num = SK_FS_VERSION;
	round_trip(&r, "OK 1");
	r.kind = SK_FS_R_LS;
	r.num = 12;
	round_trip(&r, "OK 12");
	r.kind = SK_FS_R_PUT;
	r.num = 1LL << 40;
	round_trip(&r, "OK 1099511627776");
	r.num = 0;
	r.kind = SK_FS_R_DONE;
	round_trip(&r, "OK");
	r.kind = SK_FS_R_STAT;
	r.type = 'd';
	r.size = 4096;
	r.mtime = -1;
	round_trip(&r, "OK d 4096 -1");
	r.kind = SK_FS_R_ENTRY;
	r.text = "with space";
	r.text_len = 10;
	round_trip(&r, "d 4096 -1 with space");
	r.kind = SK_FS_R_GET;
	r.type = 0;
	r.text = NULL;
	r.text_len = 0;
	round_trip(&r, "OK 4096 -1");
	r.size = r.mtime = 0;
	r.kind = SK_FS_R_SUM;
	r.sum = 0xef46db3751d8e999ULL;
	round_trip(&r, "SUM ef46db3751d8e999");
	r.sum = 0;
	r.err = 404;
	r.text = "x: gone";
	r.text_len = 7;
	round_trip(&r, "ERR 404 x: gone");
	r.text = NULL;
	r.text_len = 0;
	round_trip(&r, "ERR 404");
}

static void
test_err_format(void **state)
{
	char		 path[SK_FS_ERRPATH + 10], want[SK_FS_ERRPATH + 64];
	struct sk_buf	 b;

	(void)state;
	sk_buf_init(&b, 0);
	assert_int_equal(sk_fs_err_format(&b, 400, NULL, "bad"), 0);
	assert_int_equal(sk_fs_err_format(&b, 404, "a/b", "gone"), 0);
	assert_int_equal(sk_fs_err_format(&b, 403, "", "no"), 0);
	assert_memory_equal(sk_buf_data(&b), "\0\0\0\13ERR 400 bad"
	    "\0\0\0\21ERR 404 a/b: gone" "\0\0\0\14ERR 403 : no", 15 + 21 + 16);
	sk_buf_release(&b);
	/* A long path is cut at SK_FS_ERRPATH bytes, and says so. */
	memset(path, 'p', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	snprintf(want, sizeof(want), "ERR 404 %.*s...: gone", SK_FS_ERRPATH,
	    path);
	assert_int_equal(sk_fs_err_format(&b, 404, path, "gone"), 0);
	assert_int_equal(sk_buf_len(&b), SK_FRAME_HDRLEN + strlen(want));
	assert_memory_equal(sk_buf_data(&b) + SK_FRAME_HDRLEN, want,
	    strlen(want));
	sk_buf_release(&b);
	/* A full buffer is left as it was. */
	sk_buf_init(&b, 8);
	assert_int_equal(sk_fs_err_format(&b, 404, "a/b", "gone"), -1);
	assert_int_equal(errno, ENOBUFS);
	assert_int_equal(sk_buf_len(&b), 0);
	sk_buf_release(&b);
}

static void
test_sum_and_type(void **state)
{
	char		hex[SK_FS_SUMHEX + 1];
	uint64_t	v;

	(void)state;
	sk_fs_sum_hex(hex, 0x0123456789abcdefULL);
	assert_string_equal(hex, "0123456789abcdef");
	assert_int_equal(sk_fs_sum_parse(hex, 16, &v), 0);
	assert_true(v == 0x0123456789abcdefULL);
	sk_fs_sum_hex(hex, 0);
	assert_string_equal(hex, "0000000000000000");
	assert_int_equal(sk_fs_sum_parse("0123456789ABCDEF", 16, &v), -1);
	assert_int_equal(sk_fs_sum_parse("0123456789abcde", 15, &v), -1);
	assert_int_equal(sk_fs_sum_parse("0123456789abcdef0", 17, &v), -1);
	assert_int_equal(sk_fs_sum_parse("0123456789abcdeg", 16, &v), -1);
	assert_int_equal(sk_fs_type(S_IFREG | 0644), 'f');
	assert_int_equal(sk_fs_type(S_IFDIR | 0755), 'd');
	assert_int_equal(sk_fs_type(S_IFLNK | 0777), 'l');
	assert_int_equal(sk_fs_type(S_IFIFO | 0644), 'o');
	assert_int_equal(sk_fs_type(0), 'o');
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fs),
		cmocka_unit_test(test_req_format),
		cmocka_unit_test(test_replies),
		cmocka_unit_test(test_reply_format),
		cmocka_unit_test(test_err_format),
		cmocka_unit_test(test_sum_and_type),
	};

	return cmocka_run_group_tests_name("fsproto", tests, NULL, NULL);
}
