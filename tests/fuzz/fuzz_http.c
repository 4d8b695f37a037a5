/*
 * fuzz_http.c - libFuzzer harness for the HTTP request-head parser and
 * its helpers.
 *
 * The input is a byte stream parsed as the server does: whole, then again
 * at every length up to the end of the head it found, which must all say
 * "need more" (a prefix never completes early, never errs differently
 * unless the error shows in the prefix itself).  Every view the request
 * holds must lie inside the buffer.  The helpers get the fields' values.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sockkit/http.h>

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
inside(const char *buf, size_t len, const char *p, size_t n)
{
	if (p != NULL && n > 0 && (p < buf || p + n > buf + len))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sk_http_req	 req, r2;
	const char		*buf;
	char			*copy, out[256], date[SK_HTTP_DATELEN];
	ssize_t			 n, m;
	size_t			 i;
	off_t			 a, b;
	time_t			 t;
	int			 st, st2;

	/* An exact-size copy, so ASan sees any read past the end. */
	if ((copy = malloc(size ? size : 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	buf = copy;
	n = sk_http_parse_request(buf, size, 4096, &req, &st);
	if (n > 0) {
		if ((size_t)n > size || req.path_len == 0)
			abort();
		inside(buf, size, req.method, req.method_len);
		inside(buf, size, req.target, req.target_len);
		if (req.path_len > 1 || req.path[0] != '/')
			inside(buf, size, req.path, req.path_len);
		inside(buf, size, req.query, req.query_len);
		for (i = 0; i < req.nfields; i++) {
			inside(buf, size, req.fields[i].name,
			    req.fields[i].name_len);
			inside(buf, size, req.fields[i].value,
			    req.fields[i].value_len);
			(void)sk_http_unescape(req.fields[i].value,
			    req.fields[i].value_len, out, sizeof(out));
			if (sk_http_range(req.fields[i].value,
			    req.fields[i].value_len, 1000, &a, &b) == 1 &&
			    (a < 0 || b >= 1000 || a > b))
				abort();
			if (sk_http_parse_date(req.fields[i].value,
			    req.fields[i].value_len, &t) == 0) {
				sk_http_date(t, date);
			}
			(void)sk_http_etag_match(req.fields[i].value,
			    req.fields[i].value_len, "\"1-2\"");
			(void)sk_http_has_token(req.fields[i].value,
			    req.fields[i].value_len, "close");
		}
		(void)sk_http_unescape(req.path, req.path_len, out,
		    sizeof(out));
		/* No prefix of the head completes. */
		for (i = 0; i < (size_t)n; i += 1 + i / 64) {
			m = sk_http_parse_request(buf, i, 4096, &r2, &st2);
			if (m >= 0)
				abort();
		}
	} else if (n != -1 && n != -2)
		abort();
	else if (n == -1 && st != 400 && st != 414 && st != 431 &&
	    st != 501 && st != 505)
		abort();
	free(copy);
	return 0;
}
