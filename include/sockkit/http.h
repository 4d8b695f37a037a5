/*
 * http.h - HTTP/1.1 request heads, parsed without allocating (RFC 9112).
 *
 * sk_http_parse_request() looks at the bytes received so far: it returns
 * the length of a complete head (request line, fields, the empty line),
 * -2 when more bytes are needed, or -1 with the status to answer (400 bad
 * request, 414 request line too long, 431 head too large or too many
 * fields, 501 a transfer coding, 505 not HTTP/1.x).  Call it again with
 * the same buffer, grown, after -2; it is stateless.  The request it
 * fills points into buf: valid while buf is unchanged.
 *
 *     400  malformed: a bad token, a control byte, space before a colon, a
 *          folded line, no Host in HTTP/1.1 or two of them, a bad or
 *          conflicting Content-Length, Content-Length with
 *          Transfer-Encoding
 *     414  a request line over SK_HTTP_MAXLINE bytes (also while incomplete)
 *     431  over SK_HTTP_MAXFIELDS fields, or no complete head within
 *          max_head bytes
 *
 * Helpers for the server side: percent-decoding (invalid escapes and NUL
 * refused), Range (one byte range), HTTP dates (the three forms of RFC 9110
 * read, IMF-fixdate written), and the ETag lists of If-None-Match.
 */
#ifndef SOCKKIT_HTTP_H
#define SOCKKIT_HTTP_H

#include <sys/types.h>

#include <stddef.h>
#include <time.h>

#define SK_HTTP_MAXLINE		8192
#define SK_HTTP_MAXFIELDS	100
#define SK_HTTP_DATELEN		30	/* "Sun, 06 Nov 1994 08:49:37 GMT" + NUL */

struct sk_http_field {
	const char	*name;		/* a token, as sent */
	size_t		 name_len;
	const char	*value;		/* without surrounding whitespace */
	size_t		 value_len;
};

struct sk_http_req {
	const char		*method;
	size_t			 method_len;
	const char		*target;	/* the request-target, raw */
	size_t			 target_len;
	const char		*path;		/* its path: "/..." (raw, undecoded) */
	size_t			 path_len;
	const char		*query;		/* after '?', or NULL */
	size_t			 query_len;
	int			 minor;		/* HTTP/1.<minor> */
	int			 keep_alive;	/* by version and Connection */
	long long		 content_length;	/* 0 when none */
	size_t			 nfields;
	struct sk_http_field	 fields[SK_HTTP_MAXFIELDS];
};

ssize_t	sk_http_parse_request(const char *buf, size_t len, size_t max_head,
	    struct sk_http_req *req, int *status);

/* The first field named name (case-insensitive), or NULL. */
const struct sk_http_field *
	sk_http_field(const struct sk_http_req *req, const char *name);

/* Does a comma-separated field value hold token (case-insensitive)?  1 or
 * 0. */
int	sk_http_has_token(const char *v, size_t n, const char *token);

/*
 * Percent-decode in[0..n) into out (outsize bytes, NUL-terminated): the
 * decoded length, or -1 for a '%' not followed by two hex digits, a
 * decoded NUL, or no room (errno is not set: the input is bad, not the
 * OS).
 */
ssize_t	sk_http_unescape(const char *in, size_t n, char *out, size_t outsize);

/*
 * A Range value against a representation of size bytes: 1 and [*first,
 * *last] for one satisfiable byte range; 0 to ignore it (not "bytes=",
 * malformed, or several ranges: the whole representation is sent); -1
 * when unsatisfiable (416).
 */
int	sk_http_range(const char *v, size_t n, off_t size, off_t *first,
	    off_t *last);

/* IMF-fixdate of t into buf (SK_HTTP_DATELEN bytes). */
void	sk_http_date(time_t t, char *buf);

/* An HTTP-date (IMF-fixdate, RFC 850 or asctime form): 0, or -1 (errno
 * not set). */
int	sk_http_parse_date(const char *s, size_t n, time_t *t);

/*
 * Does an If-None-Match value match etag (weak comparison: W/ ignored)?
 * "*" matches any.  1 or 0.
 */
int	sk_http_etag_match(const char *v, size_t n, const char *etag);

#endif /* SOCKKIT_HTTP_H */
