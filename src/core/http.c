/*
 * http.c - HTTP/1.1 request heads (see http.h), after RFC 9112 sections
 * 3 (request line) and 5 (fields), RFC 9110 for Range and dates.  Lines
 * may end in CRLF or a bare LF (RFC 9112 section 2.2); empty lines before
 * the request line are skipped.
 */
#include <sys/types.h>

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include <sockkit/http.h>
#include <sockkit/text.h>

/* tchar of RFC 9110 section 5.6.2. */
static int
is_tchar(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static int
lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int
same_ci(const char *a, size_t n, const char *b)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (b[i] == '\0' || lower((unsigned char)a[i]) !=
		    lower((unsigned char)b[i]))
			return 0;
	return b[n] == '\0';
}

/*
 * The end of the line starting at p (the LF), or NULL if none yet.  The
 * line's content ends before a CR that precedes the LF.
 */
static const char *
line_end(const char *p, const char *end)
{
	return memchr(p, '\n', (size_t)(end - p));
}

static size_t
content_len(const char *p, const char *lf)
{
	return (size_t)(lf - p) - (lf > p && lf[-1] == '\r' ? 1 : 0);
}

/* The request line: method SP target SP HTTP/1.x.  0, or a status. */
static int
request_line(const char *p, size_t n, struct sk_http_req *req)
{
	const char	*e = p + n, *sp1, *sp2, *t;

	for (sp1 = p; sp1 < e && is_tchar((unsigned char)*sp1); sp1++)
		;
	if (sp1 == p || sp1 == e || *sp1 != ' ')
		return 400;
	for (sp2 = sp1 + 1; sp2 < e && (unsigned char)*sp2 > 0x20 &&
	    (unsigned char)*sp2 < 0x7f; sp2++)
		;
	if (sp2 == sp1 + 1 || sp2 == e || *sp2 != ' ')
		return 400;
	t = sp2 + 1;
	if (e - t != 8 || memcmp(t, "HTTP/", 5) != 0 || t[5] < '0' ||
	    t[5] > '9' || t[6] != '.' || t[7] < '0' || t[7] > '9')
		return 400;
	if (t[5] != '1')
		return 505;
	req->method = p;
	req->method_len = (size_t)(sp1 - p);
	req->target = sp1 + 1;
	req->target_len = (size_t)(sp2 - sp1 - 1);
	req->minor = t[7] - '0';
	return 0;
}

/*
 * The path and query of the target: origin-form "/p?q", absolute-form
 * "http://host/p?q" (no path: "/"), "*".  0, or 400.
 */
static int
split_target(struct sk_http_req *req)
{
	const char	*t = req->target, *e = t + req->target_len, *p, *q;

	if (*t == '/')
		p = t;
	else if (req->target_len == 1 && *t == '*') {
		req->path = t;
		req->path_len = 1;
		return 0;
	} else {
		if (req->target_len < 8 || !(same_ci(t, 7, "http://") ||
		    (req->target_len >= 9 && same_ci(t, 8, "https://"))))
			return 400;
		t = (const char *)memchr(t, ':', req->target_len) + 3;
		for (p = t; p < e && *p != '/' && *p != '?'; p++)
			;
		if (p == t)
			return 400;	/* no authority */
	}
	q = memchr(p, '?', (size_t)(e - p));
	req->path = p < e && *p == '/' ? p : "/";
	req->path_len = p < e && *p == '/' ? (size_t)((q ? q : e) - p) : 1;
	req->query = q != NULL ? q + 1 : NULL;
	req->query_len = q != NULL ? (size_t)(e - q - 1) : 0;
	return 0;
}

/* One field line "name: value".  0, or 400. */
static int
field_line(const char *p, size_t n, struct sk_http_field *f)
{
	const char	*e = p + n, *c, *v, *ve;

	for (c = p; c < e && is_tchar((unsigned char)*c); c++)
		;
	if (c == p || c == e || *c != ':')
		return 400;	/* also: whitespace before the colon */
	for (v = c + 1; v < e && (*v == ' ' || *v == '\t'); v++)
		;
	for (ve = e; ve > v && (ve[-1] == ' ' || ve[-1] == '\t'); ve--)
		;
	for (c = v; c < ve; c++)
		if (((unsigned char)*c < 0x20 && *c != '\t') ||
		    (unsigned char)*c == 0x7f)
			return 400;
	f->name = p;
	f->name_len = (size_t)((const char *)memchr(p, ':', n) - p);
	f->value = v;
	f->value_len = (size_t)(ve - v);
	return 0;
}

/* A Content-Length value: digits only.  The number, or -1. */
static long long
parse_length(const char *v, size_t n)
{
	long long	x = 0;
	size_t		i;

	if (n == 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9' || x > (LLONG_MAX - 9) / 10)
			return -1;
		x = x * 10 + (v[i] - '0');
	}
	return x;
}

/* What the fields say as a whole.  0, or a status. */
static int
check_fields(struct sk_http_req *req)
{
	const struct sk_http_field	*f;
	long long			 cl = -1, x;
	size_t				 i, hosts = 0;
	int				 te = 0, close = 0, keep = 0;

	for (i = 0; i < req->nfields; i++) {
		f = &req->fields[i];
		if (same_ci(f->name, f->name_len, "host"))
			hosts++;
		else if (same_ci(f->name, f->name_len, "content-length")) {
			if ((x = parse_length(f->value, f->value_len)) == -1 ||
			    (cl != -1 && x != cl))
				return 400;
			cl = x;
		} else if (same_ci(f->name, f->name_len,
		    "transfer-encoding"))
			te = 1;
		else if (same_ci(f->name, f->name_len, "connection")) {
			close |= sk_http_has_token(f->value, f->value_len,
			    "close");
			keep |= sk_http_has_token(f->value, f->value_len,
			    "keep-alive");
		}
	}
	if (hosts > 1 || (hosts == 0 && req->minor >= 1))
		return 400;
	if (te && cl != -1)
		return 400;
	if (te)
		return 501;
	req->content_length = cl == -1 ? 0 : cl;
	req->keep_alive = close ? 0 : req->minor >= 1 ? 1 : keep;
	return 0;
}

ssize_t
sk_http_parse_request(const char *buf, size_t len, size_t max_head,
    struct sk_http_req *req, int *status)
{
	const char	*p = buf, *end = buf + len, *lf;
	int		 st;

	*status = 0;
	memset(req, 0, offsetof(struct sk_http_req, fields));
	/* Empty lines before a request are skipped (RFC 9112 2.2). */
	while (p < end && (*p == '\n' || (*p == '\r' && p + 1 < end &&
	    p[1] == '\n')))
		p += *p == '\r' ? 2 : 1;
	if ((lf = line_end(p, end)) == NULL) {
		if ((size_t)(end - p) > SK_HTTP_MAXLINE) {
			*status = 414;
			return -1;
		}
		goto more;
	}
	if (content_len(p, lf) > SK_HTTP_MAXLINE) {
		*status = 414;
		return -1;
	}
	if ((st = request_line(p, content_len(p, lf), req)) != 0 ||
	    (st = split_target(req)) != 0) {
		*status = st;
		return -1;
	}
	for (p = lf + 1;; p = lf + 1) {
		if ((lf = line_end(p, end)) == NULL)
			goto more;
		if (content_len(p, lf) == 0)
			break;
		if (*p == ' ' || *p == '\t') {
			*status = 400;	/* obsolete line folding */
			return -1;
		}
		if (req->nfields == SK_HTTP_MAXFIELDS) {
			*status = 431;
			return -1;
		}
		if ((st = field_line(p, content_len(p, lf),
		    &req->fields[req->nfields])) != 0) {
			*status = st;
			return -1;
		}
		req->nfields++;
	}
	if ((size_t)(lf + 1 - buf) > max_head) {
		*status = 431;
		return -1;
	}
	if ((st = check_fields(req)) != 0) {
		*status = st;
		return -1;
	}
	return lf + 1 - buf;
more:
	if (len >= max_head) {
		*status = 431;
		return -1;
	}
	return -2;
}

const struct sk_http_field *
sk_http_field(const struct sk_http_req *req, const char *name)
{
	size_t	i;

	for (i = 0; i < req->nfields; i++)
		if (same_ci(req->fields[i].name, req->fields[i].name_len,
		    name))
			return &req->fields[i];
	return NULL;
}

int
sk_http_has_token(const char *v, size_t n, const char *token)
{
	const char	*e = v + n, *s, *t;

	for (s = v; s < e; s = t + 1) {
		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		for (t = s; t < e && *t != ','; t++)
			;
		n = (size_t)(t - s);
		while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
			n--;
		if (same_ci(s, n, token))
			return 1;
	}
	return 0;
}

ssize_t
sk_http_unescape(const char *in, size_t n, char *out, size_t outsize)
{
	size_t	i, o = 0;
	int	hi, lo, c;

	for (i = 0; i < n; i++) {
		c = (unsigned char)in[i];
		if (c == '%') {
			if (i + 2 >= n || (hi = sk_text_hexval((unsigned
			    char)in[i + 1])) < 0 || (lo = sk_text_hexval(
			    (unsigned char)in[i + 2])) < 0)
				return -1;
			c = hi << 4 | lo;
			i += 2;
		}
		if (c == '\0' || o + 1 >= outsize)
			return -1;
		out[o++] = (char)c;
	}
	if (o >= outsize)
		return -1;
	out[o] = '\0';
	return (ssize_t)o;
}

/* Digits into *x (no sign, no overflow): the count read. */
static size_t
digits(const char *s, const char *e, off_t *x)
{
	const char	*p;
	off_t		 v = 0;

	for (p = s; p < e && *p >= '0' && *p <= '9'; p++) {
		if (v > ((off_t)INT64_MAX - 9) / 10)
			return 0;
		v = v * 10 + (*p - '0');
	}
	*x = v;
	return (size_t)(p - s);
}

int
sk_http_range(const char *v, size_t n, off_t size, off_t *first,
    off_t *last)
{
	const char	*p, *e = v + n;
	off_t		 a, b;
	size_t		 k;

	if (n < 6 || !same_ci(v, 6, "bytes="))
		return 0;
	p = v + 6;
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	if (memchr(p, ',', (size_t)(e - p)) != NULL)
		return 0;	/* several ranges: send it whole */
	if (p < e && *p == '-') {
		/* The last b bytes. */
		if ((k = digits(p + 1, e, &b)) == 0 || p + 1 + k != e)
			return 0;
		if (b == 0 || size == 0)
			return -1;
		*first = b >= size ? 0 : size - b;
		*last = size - 1;
		return 1;
	}
	if ((k = digits(p, e, &a)) == 0 || p + k == e || p[k] != '-')
		return 0;
	p += k + 1;
	if (p == e)
		b = size - 1;
	else if ((k = digits(p, e, &b)) == 0 || p + k != e || b < a)
		return 0;
	if (a >= size)
		return -1;
	*first = a;
	*last = b >= size ? size - 1 : b;
	return 1;
}

static const char	wdays[7][4] = {
	"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
};
static const char	months[12][4] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
	"Nov", "Dec"
};

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static long long
days_from_civil(long long y, int m, int d)
{
	long long	era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

void
sk_http_date(time_t t, char *buf)
{
	long long	z = (long long)t, days, secs, era, doe, yoe, y, doy, mp;
	int		d, m;

	days = z >= 0 ? z / 86400 : (z - 86399) / 86400;
	secs = z - days * 86400;
	/* civil_from_days (H. Hinnant) */
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = (int)(doy - (153 * mp + 2) / 5 + 1);
	m = (int)(mp < 10 ? mp + 3 : mp - 9);
	y += m <= 2;
	if (y < 0 || y > 9999)
		y = y < 0 ? 0 : 9999;
	/* 1970-01-01 was a Thursday. */
	memcpy(buf, wdays[((days % 7) + 11) % 7], 3);
	buf[3] = ',';
	buf[4] = ' ';
	buf[5] = (char)('0' + d / 10);
	buf[6] = (char)('0' + d % 10);
	buf[7] = ' ';
	memcpy(buf + 8, months[m - 1], 3);
	buf[11] = ' ';
	buf[12] = (char)('0' + y / 1000);
	buf[13] = (char)('0' + y / 100 % 10);
	buf[14] = (char)('0' + y / 10 % 10);
	buf[15] = (char)('0' + y % 10);
	buf[16] = ' ';
	buf[17] = (char)('0' + secs / 36000);
	buf[18] = (char)('0' + secs / 3600 % 10);
	buf[19] = ':';
	buf[20] = (char)('0' + secs / 60 % 60 / 10);
	buf[21] = (char)('0' + secs / 60 % 10);
	buf[22] = ':';
	buf[23] = (char)('0' + secs % 60 / 10);
	buf[24] = (char)('0' + secs % 10);
	memcpy(buf + 25, " GMT", 5);
}

/* n digits at s into *x; 0, or -1. */
static int
num(const char *s, int n, int *x)
{
	int	i;

	*x = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*x = *x * 10 + (s[i] - '0');
	}
	return 0;
}

static int
month_of(const char *s)
{
	int	i;

	for (i = 0; i < 12; i++)
		if (memcmp(s, months[i], 3) == 0)
			return i + 1;
	return -1;
}

/* "HH:MM:SS" at s into seconds; 0, or -1. */
static int
hms(const char *s, long long *secs)
{
	int	h, m, sec;

	if (s[2] != ':' || s[5] != ':' || num(s, 2, &h) == -1 ||
	    num(s + 3, 2, &m) == -1 || num(s + 6, 2, &sec) == -1 ||
	    h > 23 || m > 59 || sec > 60)
		return -1;
	*secs = h * 3600LL + m * 60LL + sec;
	return 0;
}

int
sk_http_parse_date(const char *s, size_t n, time_t *t)
{
	const char	*c;
	long long	 secs;
	int		 d, m, y;

	if (n == 29 && s[3] == ',' && memcmp(s + 25, " GMT", 4) == 0) {
		/* Sun, 06 Nov 1994 08:49:37 GMT */
		if (s[4] != ' ' || s[7] != ' ' || s[11] != ' ' ||
		    s[16] != ' ' || num(s + 5, 2, &d) == -1 ||
		    (m = month_of(s + 8)) == -1 || num(s + 12, 4, &y) == -1 ||
		    hms(s + 17, &secs) == -1)
			return -1;
	} else if (n == 24 && s[3] == ' ' && s[7] == ' ') {
		/* Sun Nov  6 08:49:37 1994 */
		if ((m = month_of(s + 4)) == -1 || s[10] != ' ' ||
		    s[19] != ' ' || (s[8] == ' ' ? num(s + 9, 1, &d) :
		    num(s + 8, 2, &d)) == -1 || hms(s + 11, &secs) == -1 ||
		    num(s + 20, 4, &y) == -1)
			return -1;
	} else if ((c = memchr(s, ',', n)) != NULL && (size_t)(c - s) < 10 &&
	    s + n - c == 24 && memcmp(s + n - 4, " GMT", 4) == 0) {
		/* Sunday, 06-Nov-94 08:49:37 GMT: two-digit years < 70 are
		 * 20xx (RFC 9110 5.6.7 lets us choose). */
		if (c[1] != ' ' || c[4] != '-' || c[8] != '-' ||
		    c[11] != ' ' || num(c + 2, 2, &d) == -1 ||
		    (m = month_of(c + 5)) == -1 || num(c + 9, 2, &y) == -1 ||
		    hms(c + 12, &secs) == -1)
			return -1;
		y += y < 70 ? 2000 : 1900;
	} else
		return -1;
	if (d < 1 || d > 31)
		return -1;
	*t = (time_t)(days_from_civil(y, m, d) * 86400 + secs);
	return 0;
}

int
sk_http_etag_match(const char *v, size_t n, const char *etag)
{
	const char	*e = v + n, *s, *t;
	size_t		 elen = strlen(etag), k;

	if (elen >= 2 && etag[0] == 'W' && etag[1] == '/') {
		etag += 2;
		elen -= 2;
	}
	for (s = v; s < e; s = t + 1) {
		while (s < e && (*s == ' ' || *s == '\t' || *s == ','))
			s++;
		if (s == e)
			break;
		if (*s == '*')
			return 1;
		if (e - s >= 2 && s[0] == 'W' && s[1] == '/')
			s += 2;
		if (s == e || *s != '"' ||
		    (t = memchr(s + 1, '"', (size_t)(e - s - 1))) == NULL)
			return 0;	/* malformed: no match */
		k = (size_t)(t + 1 - s);
		if (k == elen && memcmp(s, etag, k) == 0)
			return 1;
	}
	return 0;
}
