/*
 * fsproto.c - fileserve's requests, replies, listing lines and SUM
 * trailer (see fsproto.h, docs/protocol.md).
 */
#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <sockkit/buf.h>
#include <sockkit/frame.h>
#include <sockkit/fsproto.h>
#include <sockkit/text.h>

/* Decimal digits at p (at least one, no sign): the count, or 0. */
static size_t
number(const uint8_t *p, size_t n, long long *out)
{
	long long	v = 0;
	size_t		i;

	for (i = 0; i < n && p[i] >= '0' && p[i] <= '9'; i++) {
		if (v > (LLONG_MAX - 9) / 10)
			return 0;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return i;
}

static int
verb(const uint8_t *p, size_t n, const char *v)
{
	size_t	k = strlen(v);

	return n > k && memcmp(p, v, k) == 0 && p[k] == ' ';
}

int
sk_fs_parse(const uint8_t *p, size_t n, struct sk_fs_req *req)
{
	size_t	k;

	memset(req, 0, sizeof(*req));
	if (memchr(p, '\0', n) != NULL)
		return -1;
	if (verb(p, n, "HELLO")) {
		req->verb = SK_FS_HELLO;
		if ((k = number(p + 6, n - 6, &req->num)) == 0 || 6 + k != n)
			return -1;
		return 0;
	}
	if (verb(p, n, "LS") || verb(p, n, "STAT") || verb(p, n, "SUM")) {
		req->verb = p[0] == 'L' ? SK_FS_LS : p[1] == 'T' ? SK_FS_STAT :
		    SK_FS_SUM;
		k = req->verb == SK_FS_LS ? 3 : req->verb == SK_FS_STAT ? 5 : 4;
		req->arg = (const char *)p + k;
		req->arg_len = n - k;
		return 0;
	}
	if (verb(p, n, "GET") || verb(p, n, "PUT")) {
		req->verb = p[0] == 'G' ? SK_FS_GET : SK_FS_PUT;
		if ((k = number(p + 4, n - 4, &req->num)) == 0 ||
		    4 + k >= n || p[4 + k] != ' ')
			return -1;
		req->arg = (const char *)p + 4 + k + 1;
		req->arg_len = n - 4 - k - 1;
		return 0;
	}
	return -1;
}

/*
 * Append one frame whose payload is the printf of fmt: its text is
 * measured first, then written straight after the header reserved for
 * it, so a failure leaves the buffer as it was.
 */
static int
put_frame(struct sk_buf *out, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
put_frame(struct sk_buf *out, const char *fmt, ...)
{
	uint8_t	*dst;
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if (n > SK_FS_CTLMAX) {
		errno = EMSGSIZE;
		return -1;
	}
	/* One more for vsnprintf's NUL, which is not committed. */
	if ((dst = sk_buf_reserve(out, SK_FRAME_HDRLEN + (size_t)n + 1)) ==
	    NULL)
		return -1;
	va_start(ap, fmt);
	(void)vsnprintf((char *)dst + SK_FRAME_HDRLEN, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sk_be32_put(dst, (uint32_t)n);
	sk_buf_commit(out, SK_FRAME_HDRLEN + (size_t)n);
	return 0;
}

/* A view's length as printf's precision: no view is over CTLMAX. */
static int
prec(size_t n)
{
	return n > SK_FS_CTLMAX ? SK_FS_CTLMAX + 1 : (int)n;
}

int
sk_fs_req_format(struct sk_buf *out, const struct sk_fs_req *req)
{
	static const char *const	names[] = {
		"HELLO", "LS", "STAT", "GET", "PUT", "SUM"
	};
	const char			*v = names[req->verb];
	int				 k = prec(req->arg_len);

	switch (req->verb) {
	case SK_FS_HELLO:
		return put_frame(out, "%s %lld", v, req->num);
	case SK_FS_GET:
	case SK_FS_PUT:
		return put_frame(out, "%s %lld %.*s", v, req->num, k,
		    req->arg);
	default:
		return put_frame(out, "%s %.*s", v, k, req->arg);
	}
}

/* A reply being read: what is left of it. */
struct cur {
	const uint8_t	*p;
	const uint8_t	*e;
};

/* A decimal number, with a '-' first only if neg: 0, or -1. */
static int
take_num(struct cur *c, int neg, long long *v)
{
	size_t	minus = neg && c->p < c->e && *c->p == '-', k;

	k = number(c->p + minus, (size_t)(c->e - c->p) - minus, v);
	if (k == 0)
		return -1;
	if (minus)
		*v = -*v;
	c->p += minus + k;
	return 0;
}

/* The single space between two fields: 0, or -1. */
static int
take_sep(struct cur *c)
{
	if (c->p == c->e || *c->p != ' ')
		return -1;
	c->p++;
	return 0;
}

static int
take_type(struct cur *c, char *type)
{
	/* f, d, l or o: a file, a directory, a link, other. */
	if (c->p == c->e || (*c->p != 'f' && *c->p != 'd' && *c->p != 'l' &&
	    *c->p != 'o'))
		return -1;
	*type = (char)*c->p++;
	return 0;
}

/* "<type> <size> <mtime>", or "<size> <mtime>" without type. */
static int
take_attrs(struct cur *c, struct sk_fs_reply *r, int type)
{
	if (type && (take_type(c, &r->type) == -1 || take_sep(c) == -1))
		return -1;
	return take_num(c, 0, &r->size) == -1 || take_sep(c) == -1 ||
	    take_num(c, 1, &r->mtime) == -1 ? -1 : 0;
}

/* "ERR <code>[ <text>]". */
static int
parse_err(struct cur *c, struct sk_fs_reply *r)
{
	long long	code;

	if (take_num(c, 0, &code) == -1 || code < 100 || code > 599)
		return -1;
	if (c->p != c->e && take_sep(c) == -1)
		return -1;
	r->err = (int)code;
	r->text = (const char *)c->p;
	r->text_len = (size_t)(c->e - c->p);
	return 0;
}

/* What follows "OK" for each kind: 0, or -1. */
static int
parse_ok(struct cur *c, struct sk_fs_reply *r)
{
	if (r->kind == SK_FS_R_DONE)
		return c->p == c->e ? 0 : -1;
	if (take_sep(c) == -1)
		return -1;
	switch (r->kind) {
	case SK_FS_R_HELLO:
	case SK_FS_R_LS:
	case SK_FS_R_PUT:
		if (take_num(c, 0, &r->num) == -1)
			return -1;
		break;
	case SK_FS_R_STAT:
	case SK_FS_R_GET:
		if (take_attrs(c, r, r->kind == SK_FS_R_STAT) == -1)
			return -1;
		break;
	default:
		return -1;
	}
	return c->p == c->e ? 0 : -1;
}

static int
starts(const struct cur *c, const char *s)
{
	size_t	k = strlen(s);

	return (size_t)(c->e - c->p) >= k && memcmp(c->p, s, k) == 0;
}

int
sk_fs_parse_reply(const uint8_t *p, size_t n, enum sk_fs_kind kind,
    struct sk_fs_reply *r)
{
	struct cur	c = { p, p + n };
	int		rc;

	memset(r, 0, sizeof(*r));
	r->kind = kind;
	if (memchr(p, '\0', n) != NULL)
		return -1;
	if (kind == SK_FS_R_ENTRY) {
		if (take_attrs(&c, r, 1) == -1 || take_sep(&c) == -1 ||
		    c.p == c.e)
			return -1;
		r->text = (const char *)c.p;
		r->text_len = (size_t)(c.e - c.p);
		return 0;
	}
	if (starts(&c, "ERR ")) {
		c.p += 4;
		return parse_err(&c, r);
	}
	if (kind == SK_FS_R_SUM) {
		if (!starts(&c, "SUM ")) {
			r->err = -1;
			return -1;
		}
		return sk_fs_sum_parse((const char *)p + 4, n - 4, &r->sum);
	}
	if (!starts(&c, "OK") || (n > 2 && p[2] != ' ')) {
		r->err = -1;
		return -1;
	}
	c.p += 2;
	if ((rc = parse_ok(&c, r)) == -1)
		r->num = r->size = r->mtime = 0;
	return rc;
}

int
sk_fs_reply_format(struct sk_buf *out, const struct sk_fs_reply *r)
{
	char	hex[SK_FS_SUMHEX + 1];
	int	k = prec(r->text_len);

	if (r->err != 0)
		return k == 0 ? put_frame(out, "ERR %d", r->err) :
		    put_frame(out, "ERR %d %.*s", r->err, k, r->text);
	switch (r->kind) {
	case SK_FS_R_HELLO:
	case SK_FS_R_LS:
	case SK_FS_R_PUT:
		return put_frame(out, "OK %lld", r->num);
	case SK_FS_R_STAT:
		return put_frame(out, "OK %c %lld %lld", r->type, r->size,
		    r->mtime);
	case SK_FS_R_GET:
		return put_frame(out, "OK %lld %lld", r->size, r->mtime);
	case SK_FS_R_DONE:
		return put_frame(out, "OK");
	case SK_FS_R_ENTRY:
		return put_frame(out, "%c %lld %lld %.*s", r->type, r->size,
		    r->mtime, k, r->text);
	case SK_FS_R_SUM:
		sk_fs_sum_hex(hex, r->sum);
		return put_frame(out, "SUM %s", hex);
	}
	errno = EINVAL;
	return -1;
}

int
sk_fs_err_format(struct sk_buf *out, int code, const char *path,
    const char *msg)
{
	size_t	len;

	if (path == NULL)
		return put_frame(out, "ERR %d %s", code, msg);
	len = strlen(path);
	return put_frame(out, "ERR %d %.*s%s: %s", code, len > SK_FS_ERRPATH ?
	    SK_FS_ERRPATH : (int)len, path, len > SK_FS_ERRPATH ? "..." : "",
	    msg);
}

char
sk_fs_type(mode_t m)
{
	return S_ISREG(m) ? 'f' : S_ISDIR(m) ? 'd' : S_ISLNK(m) ? 'l' : 'o';
}

void
sk_fs_sum_hex(char out[SK_FS_SUMHEX + 1], uint64_t sum)
{
	int	i;

	for (i = SK_FS_SUMHEX - 1; i >= 0; i--, sum >>= 4)
		out[i] = SK_TEXT_HEXDIGITS[sum & 0xf];
	out[SK_FS_SUMHEX] = '\0';
}

int
sk_fs_sum_parse(const char *p, size_t n, uint64_t *sum)
{
	uint64_t	v = 0;
	size_t		i;
	int		d;

	if (n != SK_FS_SUMHEX)
		return -1;
	/* Lowercase only: one spelling of each digest. */
	for (i = 0; i < n; i++) {
		if ((d = sk_text_hexval((unsigned char)p[i])) == -1 ||
		    (p[i] >= 'A' && p[i] <= 'F'))
			return -1;
		v = v << 4 | (uint64_t)d;
	}
	*sum = v;
	return 0;
}
