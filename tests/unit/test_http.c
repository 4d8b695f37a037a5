/*
 * test_http.c - the HTTP request-head parser: whole and torn heads, every
 * status it can answer, target forms, Connection, and the helpers
 * (percent-decoding, Range, dates, If-None-Match).
 */
#include <string.h>
#include <time.h>

#include <sockkit/http.h>

#include "testutil.h"

static ssize_t
parse(const char *s, struct sk_http_req *req, int *status)
{
	return sk_http_parse_request(s, strlen(s), 16384, req, status);
}

static int
status_of(const char *s)
{
	struct sk_http_req	req;
	int			st;

	assert_int_equal(parse(s, &req, &st), -1);
	return st;
}

static void
test_simple(void **state)
{
	const char		*s = "GET /a/b.html?x=1 HTTP/1.1\r\n"
	    "Host: example\r\nUser-Agent:  curl/8 \r\nAccept: */*\r\n\r\nNEXT";
	struct sk_http_req	 req;
	const struct sk_http_field *f;
	int			 st;

	(void)state;
	assert_int_equal(parse(s, &req, &st), (ssize_t)(strlen(s) - 4));
	assert_int_equal(req.method_len, 3);
	assert_memory_equal(req.method, "GET", 3);
	assert_int_equal(req.path_len, 9);
	assert_memory_equal(req.path, "/a/b.html", 9);
	assert_int_equal(req.query_len, 3);
	assert_memory_equal(req.query, "x=1", 3);
	assert_int_equal(req.minor, 1);
	assert_true(req.keep_alive);
	assert_int_equal(req.nfields, 3);
	f = sk_http_field(&req, "user-agent");
	assert_non_null(f);
	assert_int_equal(f->value_len, 6);
	assert_memory_equal(f->value, "curl/8", 6);
	assert_null(sk_http_field(&req, "cookie"));
}

/* Every prefix of a head is "need more"; LF-only lines work too. */
static void
test_torn(void **state)
{
	const char		*s = "\r\nHEAD / HTTP/1.0\nConnection: "
	    "keep-alive\n\n";
	struct sk_http_req	 req;
	size_t			 i;
	int			 st;

	(void)state;
	for (i = 0; i < strlen(s); i++)
		assert_int_equal(sk_http_parse_request(s, i, 16384, &req,
		    &st), -2);
	assert_int_equal(parse(s, &req, &st), (ssize_t)strlen(s));
	assert_int_equal(req.minor, 0);
	assert_true(req.keep_alive);
	assert_int_equal(parse("GET / HTTP/1.0\r\n\r\n", &req, &st), 18);
	assert_false(req.keep_alive);
	assert_int_equal(parse("GET / HTTP/1.1\r\nHost: x\r\nConnection: "
	    "foo, Close\r\n\r\n", &req, &st), 51);
	assert_false(req.keep_alive);
}

static void
test_targets(void **state)
{
	struct sk_http_req	req;
	int			st;

	(void)state;
	assert_true(parse("GET http://h:80/p/q?z HTTP/1.1\r\nHost: h\r\n\r\n",
	    &req, &st) > 0);
	assert_int_equal(req.path_len, 4);
	assert_memory_equal(req.path, "/p/q", 4);
	assert_int_equal(req.query_len, 1);
	assert_true(parse("GET HTTP://h HTTP/1.1\r\nHost: h\r\n\r\n", &req,
	    &st) > 0);
	assert_int_equal(req.path_len, 1);
	assert_memory_equal(req.path, "/", 1);
	assert_true(parse("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", &req,
	    &st) > 0);
	assert_int_equal(status_of("GET x HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
	assert_int_equal(status_of("GET http:// HTTP/1.1\r\nHost: h\r\n\r\n"),
	    400);
	assert_int_equal(status_of("GET ftp://h/ HTTP/1.1\r\nHost: h\r\n\r\n"),
	    400);
}

static void
test_bad(void **state)
{
	(void)state;
	assert_int_equal(status_of("GET / HTTP/1.1\r\n\r\n"), 400); /* Host */
	assert_int_equal(status_of("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n"
	    "\r\n"), 400);
	assert_int_equal(status_of("GET  / HTTP/1.1\r\nHost: a\r\n\r\n"),
	    400);
	assert_int_equal(status_of("G(T / HTTP/1.1\r\nHost: a\r\n\r\n"), 400);
	assert_int_equal(status_of("GET / HTTP/1.1 \r\nHost: a\r\n\r\n"),
	    400);
	assert_int_equal(status_of("GET / HTTX/1.1\r\nHost: a\r\n\r\n"), 400);
	assert_int_equal(status_of("GET / HTTP/2.0\r\nHost: a\r\n\r\n"), 505);
	assert_int_equal(status_of("GET / HTTP/0.9\r\nHost: a\r\n\r\n"), 505);
	assert_int_equal(status_of("GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n"),
	    400);
	assert_int_equal(status_of("GET / HTTP/1.1\r\nHost : a\r\n\r\n"), 400);
	assert_int_equal(status_of("GET / HTTP/1.1\r\nHost: a\r\n b\r\n\r\n"),
	    400);
	assert_int_equal(status_of("GET / HTTP/1.1\r\nHost: a\x01\r\n\r\n"),
	    400);
	assert_int_equal(status_of("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n"
	    "\r\n"), 400);
	assert_int_equal(status_of("GET / HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: 1x\r\n\r\n"), 400);
	assert_int_equal(status_of("GET / HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: 1\r\nContent-Length: 2\r\n\r\n"), 400);
	assert_int_equal(status_of("POST / HTTP/1.1\r\nHost: a\r\n"
	    "Content-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"), 400);
	assert_int_equal(status_of("POST / HTTP/1.1\r\nHost: a\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n"), 501);
}

static void
test_limits(void **state)
{
	struct sk_http_req	 req;
	char			*big;
	size_t			 i;
	int			 st;

	(void)state;
	big = malloc(40000);
	assert_non_null(big);
	/* A long request line: 414 as soon as it is over the limit. */
	memset(big, 'a', 20000);
	memcpy(big, "GET /", 5);
	assert_int_equal(sk_http_parse_request(big, SK_HTTP_MAXLINE, 40000,
	    &req, &st), -2);
	assert_int_equal(sk_http_parse_request(big, SK_HTTP_MAXLINE + 1,
	    40000, &req, &st), -1);
	assert_int_equal(st, 414);
	/* Too many fields. */
	strcpy(big, "GET / HTTP/1.1\r\nHost: a\r\n");
	for (i = 0; i < SK_HTTP_MAXFIELDS; i++)
		strcat(big, "X-A: b\r\n");
	strcat(big, "\r\n");
	assert_int_equal(status_of(big), 431);
	/* A 16 KiB head is fine; a bigger one is 431, complete or not. */
	strcpy(big, "GET / HTTP/1.1\r\nHost: a\r\nX-Big: ");
	i = strlen(big);
	memset(big + i, 'b', 16384 - i - 4);
	memcpy(big + 16384 - 4, "\r\n\r\n", 5);
	assert_int_equal(sk_http_parse_request(big, 16384, 16384, &req, &st),
	    16384);
	assert_int_equal(sk_http_parse_request(big, 16384, 16383, &req, &st),
	    -1);
	assert_int_equal(st, 431);
	assert_int_equal(sk_http_parse_request(big, 16000, 16000, &req, &st),
	    -1);
	assert_int_equal(st, 431);
	free(big);
}

static void
test_unescape(void **state)
{
	char	out[64];

	(void)state;
	assert_int_equal(sk_http_unescape("/a%20b%2Fc%2e%2E", 16, out,
	    sizeof(out)), 8);
	assert_string_equal(out, "/a b/c..");
	assert_int_equal(sk_http_unescape("+%41", 4, out, sizeof(out)), 2);
	assert_string_equal(out, "+A");
	assert_int_equal(sk_http_unescape("%", 1, out, sizeof(out)), -1);
	assert_int_equal(sk_http_unescape("%4", 2, out, sizeof(out)), -1);
	assert_int_equal(sk_http_unescape("%4g", 3, out, sizeof(out)), -1);
	assert_int_equal(sk_http_unescape("a%00b", 5, out, sizeof(out)), -1);
	assert_int_equal(sk_http_unescape("abcd", 4, out, 4), -1);
	assert_int_equal(sk_http_unescape("abc", 3, out, 4), 3);
}

static void
test_range(void **state)
{
	off_t	a, b;

	(void)state;
#define R(s)	sk_http_range(s, strlen(s), 1000, &a, &b)
	assert_int_equal(R("bytes=0-99"), 1);
	assert_true(a == 0 && b == 99);
	assert_int_equal(R("bytes=900-"), 1);
	assert_true(a == 900 && b == 999);
	assert_int_equal(R("bytes=900-5000"), 1);
	assert_true(a == 900 && b == 999);
	assert_int_equal(R("bytes=-100"), 1);
	assert_true(a == 900 && b == 999);
	assert_int_equal(R("bytes=-5000"), 1);
	assert_true(a == 0 && b == 999);
	assert_int_equal(R("bytes=1000-"), -1);
	assert_int_equal(R("bytes=-0"), -1);
	assert_int_equal(R("bytes=5-4"), 0);
	assert_int_equal(R("bytes=0-1,5-6"), 0);
	assert_int_equal(R("items=0-1"), 0);
	assert_int_equal(R("bytes=x-1"), 0);
	assert_int_equal(R("bytes=1-x"), 0);
	assert_int_equal(R("bytes=99999999999999999999-"), 0);
#undef R
	assert_int_equal(sk_http_range("bytes=0-", 8, 0, &a, &b), -1);
}

static void
test_dates(void **state)
{
	char	buf[SK_HTTP_DATELEN];
	time_t	t;

	(void)state;
	sk_http_date(784111777, buf);
	assert_string_equal(buf, "Sun, 06 Nov 1994 08:49:37 GMT");
	sk_http_date(0, buf);
	assert_string_equal(buf, "Thu, 01 Jan 1970 00:00:00 GMT");
	sk_http_date(951782400, buf);	/* a leap day */
	assert_string_equal(buf, "Tue, 29 Feb 2000 00:00:00 GMT");
	assert_int_equal(sk_http_parse_date("Sun, 06 Nov 1994 08:49:37 GMT",
	    29, &t), 0);
	assert_true(t == 784111777);
	assert_int_equal(sk_http_parse_date("Sunday, 06-Nov-94 08:49:37 GMT",
	    30, &t), 0);
	assert_true(t == 784111777);
	assert_int_equal(sk_http_parse_date("Sun Nov  6 08:49:37 1994", 24,
	    &t), 0);
	assert_true(t == 784111777);
	assert_int_equal(sk_http_parse_date("Sun, 06 Nov 1994 08:49:37 UTC",
	    29, &t), -1);
	assert_int_equal(sk_http_parse_date("Sun, 06 Xyz 1994 08:49:37 GMT",
	    29, &t), -1);
	assert_int_equal(sk_http_parse_date("Sun, 06 Nov 1994 25:49:37 GMT",
	    29, &t), -1);
	assert_int_equal(sk_http_parse_date("yesterday", 9, &t), -1);
	/* Round trip over a range of times. */
	for (t = 0; t < 4102444800; t += 86400 * 37 + 3671) {
		time_t	back;

		sk_http_date(t, buf);
		assert_int_equal(sk_http_parse_date(buf, 29, &back), 0);
		assert_true(back == t);
	}
}

static void
test_etags(void **state)
{
	(void)state;
#define M(s)	sk_http_etag_match(s, strlen(s), "\"5f-3e8\"")
	assert_true(M("\"5f-3e8\""));
	assert_true(M("W/\"5f-3e8\""));
	assert_true(M("\"a\", \"5f-3e8\""));
	assert_true(M("*"));
	assert_false(M("\"5f-3e9\""));
	assert_false(M("5f-3e8"));
	assert_false(M(""));
	assert_false(M("\"5f-3e8"));
#undef M
	assert_true(sk_http_has_token("a, keep-alive ,b", 16, "Keep-Alive"));
	assert_false(sk_http_has_token("keep-alivex", 11, "keep-alive"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple),
		cmocka_unit_test(test_torn),
		cmocka_unit_test(test_targets),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_unescape),
		cmocka_unit_test(test_range),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_etags),
	};

	return cmocka_run_group_tests_name("http", tests, NULL, NULL);
}
