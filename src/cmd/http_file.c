/*
 * http_file.c - what sockkit http answers to one request: the reply's
 * status line and headers, error pages, a regular file (conditionals,
 * Range; a small body read into the reply, a larger one left for
 * sendfile), index.html or a listing for a directory.  Small files stay
 * open in a cache of their own, so a request for one costs no path walk.
 */
#include <sys/types.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sockkit/buf.h>
#include <sockkit/dir.h>
#include <sockkit/http.h>
#include <sockkit/path.h>
#include <sockkit/text.h>

#include "http.h"

/* The reason phrase of a status line. */
static const char *
reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 206: return "Partial Content";
	case 301: return "Moved Permanently";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 413: return "Content Too Large";
	case 414: return "URI Too Long";
	case 416: return "Range Not Satisfiable";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 505: return "HTTP Version Not Supported";
	}
	return "Error";
}

/* The Date header's value, made once a second. */
static const char *
now_date(struct hsrv *s)
{
	time_t	t = time(NULL);

	if (t != s->date_at) {
		sk_http_date(t, s->date);
		s->date_at = t;
	}
	return s->date;
}

/*
 * Append printf-style text to the reply.  Out of memory, the text is
 * left out: mid-reply there is nothing better to do.
 */
static void
put(struct hconn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
put(struct hconn *c, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	(void)sk_buf_vprintf(&c->out, fmt, ap);
	va_end(ap);
}

/* The status line and the headers every response has. */
static void
head_start(struct hconn *c, int status)
{
	c->status = status;
	c->obody = 0;
	c->off = c->fstart = c->end = 0;
	put(c, "HTTP/1.1 %d %s\r\nServer: sockkit/%s\r\nDate: %s\r\n",
	    status, reason(status), SOCKKIT_VERSION, now_date(c->srv));
	/* HTTP/1.0 keeps a connection only if the answer says so too. */
	if (!c->keep)
		put(c, "Connection: close\r\n");
	else if (c->minor == 0)
		put(c, "Connection: keep-alive\r\n");
}

void
http_error_page(struct hconn *c, int status, int head_only,
    const char *extra)
{
	char	body[512];
	int	n;

	n = snprintf(body, sizeof(body), "<!DOCTYPE html>\n<html><head>"
	    "<title>%d %s</title></head>\n<body><h1>%d %s</h1></body>"
	    "</html>\n", status, reason(status), status, reason(status));
	head_start(c, status);
	put(c, "Content-Type: text/html; charset=utf-8\r\n"
	    "Content-Length: %d\r\n%s\r\n", n, extra != NULL ? extra : "");
	if (!head_only) {
		(void)sk_buf_append(&c->out, body, (size_t)n);
		c->obody = n;
	}
}

/* text with &<>"' made safe for HTML */
static void
put_html(struct hconn *c, const char *text)
{
	const char	*p;

	for (p = text; *p != '\0'; p++)
		switch (*p) {
		case '&': put(c, "&amp;"); break;
		case '<': put(c, "&lt;"); break;
		case '>': put(c, "&gt;"); break;
		case '"': put(c, "&quot;"); break;
		case '\'': put(c, "&#39;"); break;
		default: (void)sk_buf_append(&c->out, p, 1);
		}
}

/*
 * A name as a listing shows it: control bytes and broken UTF-8 as \xHH
 * (sk_text_escape), so nothing in a name reaches the terminal of someone
 * who curls the listing, and every name is visible; then made safe for
 * HTML.  The link beside it is the name's bytes, percent-encoded.
 */
static void
put_name(struct hconn *c, const char *name)
{
	const uint8_t	*p = (const uint8_t *)name;
	size_t		 n = strlen(name), took;
	char		 out[256];

	while (n > 0) {
		took = sk_text_escape(out, sizeof(out), p, n, 0);
		put_html(c, out);
		p += took;
		n -= took;
	}
}

/* text percent-encoded for a URL path segment (unreserved kept). */
static void
put_url(struct hconn *c, const char *text)
{
	const unsigned char	*p;

	for (p = (const unsigned char *)text; *p != '\0'; p++)
		if (isalnum(*p) || strchr("-._~", *p) != NULL)
			(void)sk_buf_append(&c->out, p, 1);
		else
			put(c, "%%%02X", *p);
}

/*
 * A listing entry's stat: a symbolic link shows what it leads to only if
 * that is inside DIR (resolved beneath it, as a request would be), else
 * the link itself: the size and time of /etc/shadow are nobody's business.
 */
static void
entry_stat(struct hconn *c, int dfd, const char *urlpath, const char *name,
    struct stat *st)
{
	struct stat	lst;
	char		rel[PATH_MAX];

	if (fstatat(dfd, name, st, AT_SYMLINK_NOFOLLOW) == -1) {
		memset(st, 0, sizeof(*st));
		return;
	}
	if (!S_ISLNK(st->st_mode))
		return;
	if (c->srv->o->follow) {
		(void)fstatat(dfd, name, st, 0);
		return;
	}
	if ((size_t)snprintf(rel, sizeof(rel), "%s%s", urlpath + 1, name) <
	    sizeof(rel) && sk_path_stat(c->srv->rootfd, rel, 0, &lst) == 0)
		*st = lst;
}

/*
 * A directory listing: names sorted, directories with a trailing slash,
 * sizes and times; a parent link below the top.
 */
static void
listing(struct hconn *c, int fd, const char *urlpath, int head_only)
{
	struct sk_buf	 body;
	struct sk_dir	 d;
	char		 when[32];
	struct stat	 st;
	struct tm	 tm;
	size_t		 i, hlen;

	if (sk_dir_read(NULL, fd, &d) == -1) {
		http_error_page(c, 403, head_only, NULL);
		return;
	}
	/* The body goes after the headers: build it in out, then move it. */
	body = c->out;
	sk_buf_init(&c->out, 0);
	put(c, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
	    "<title>Index of ");
	put_name(c, urlpath);
	put(c, "</title>\n<style>body{font-family:sans-serif}td{padding:0 "
	    "1em 0 0}td.s{text-align:right}</style></head>\n<body><h1>Index "
	    "of ");
	put_name(c, urlpath);
	put(c, "</h1>\n<table>\n<tr><th>Name</th><th>Last modified</th>"
	    "<th>Size</th></tr>\n");
	if (strcmp(urlpath, "/") != 0)
		put(c, "<tr><td><a href=\"../\">../</a></td><td></td>"
		    "<td></td></tr>\n");
	for (i = 0; i < d.n; i++) {
		entry_stat(c, d.fd, urlpath, d.names[i], &st);
		gmtime_r(&st.st_mtime, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
		put(c, "<tr><td><a href=\"");
		put_url(c, d.names[i]);
		put(c, "%s\">", S_ISDIR(st.st_mode) ? "/" : "");
		put_name(c, d.names[i]);
		put(c, "%s</a></td><td>%s</td><td class=\"s\">", S_ISDIR(
		    st.st_mode) ? "/" : "", when);
		if (S_ISDIR(st.st_mode))
			put(c, "-");
		else
			put(c, "%lld", (long long)st.st_size);
		put(c, "</td></tr>\n");
	}
	sk_dir_close(&d);
	put(c, "</table>\n</body></html>\n");
	hlen = sk_buf_len(&c->out);
	/* Swap back: headers into out, then the body. */
	{
		struct sk_buf	html = c->out;

		c->out = body;
		head_start(c, 200);
		put(c, "Content-Type: text/html; charset=utf-8\r\n"
		    "Content-Length: %zu\r\n\r\n", hlen);
		if (!head_only) {
			(void)sk_buf_append(&c->out, sk_buf_data(&html), hlen);
			c->obody = (long long)hlen;
		}
		sk_buf_release(&html);
	}
}

/* The open files responses are read from, shared by reference. */

/* fd (taken over: closed when NULL comes back) with one reference. */
static struct hfile *
hfile_new(int fd)
{
	struct hfile	*f;

	if ((f = malloc(sizeof(*f))) == NULL) {
		close(fd);
		errno = ENOMEM;
		return NULL;
	}
	f->fd = fd;
	f->refs = 1;
	return f;
}

/* Another reference to f, for a second holder. */
static struct hfile *
hfile_ref(struct hfile *f)
{
	f->refs++;
	return f;
}

void
hfile_unref(struct hfile *f)
{
	if (f == NULL || --f->refs > 0)
		return;
	close(f->fd);
	free(f);
}

/*
 * A regular file: conditionals, Range, then the body.  The reference f
 * is handed over: dropped once the reply is queued, or kept in c->file
 * for conn_write() to send from.  NULL (hfile_new() failed): 500.
 */
static void
send_file(struct hconn *c, const struct sk_http_req *req, struct hfile *f,
    const struct stat *st, const char *path, int head_only)
{
	const struct sk_http_field	*inm, *ims, *rng, *ifr;
	char				 etag[64], lm[SK_HTTP_DATELEN];
	off_t				 first = 0, last = st->st_size - 1;
	time_t				 t;
	ssize_t				 n;
	size_t				 len;
	uint8_t				*p;
	int				 r = 0, status = 200;

	if (f == NULL) {
		http_error_page(c, 500, head_only, NULL);
		return;
	}
	snprintf(etag, sizeof(etag), "\"%llx-%llx\"",
	    (long long)st->st_mtime, (long long)st->st_size);
	sk_http_date(st->st_mtime, lm);
	/* RFC 9110 13.2.2: If-None-Match first; If-Modified-Since only
	 * without it, and any date not older than the file's means 304
	 * (13.1.3), not only the exact Last-Modified. */
	inm = sk_http_field(req, "if-none-match");
	ims = sk_http_field(req, "if-modified-since");
	if ((inm != NULL && sk_http_etag_match(inm->value, inm->value_len,
	    etag)) || (inm == NULL && ims != NULL && sk_http_parse_date(
	    ims->value, ims->value_len, &t) == 0 && st->st_mtime <= t)) {
		hfile_unref(f);
		head_start(c, 304);
		put(c, "ETag: %s\r\nLast-Modified: %s\r\n\r\n", etag, lm);
		return;
	}
	rng = sk_http_field(req, "range");
	ifr = sk_http_field(req, "if-range");
	if (rng != NULL && (ifr == NULL || (ifr->value_len == strlen(etag) &&
	    memcmp(ifr->value, etag, ifr->value_len) == 0) ||
	    (ifr->value_len == strlen(lm) && memcmp(ifr->value, lm,
	    ifr->value_len) == 0)))
		r = sk_http_range(rng->value, rng->value_len, st->st_size,
		    &first, &last);
	if (r == -1) {
		hfile_unref(f);
		head_start(c, 416);
		put(c, "Content-Range: bytes */%lld\r\nContent-Length: 0\r\n"
		    "\r\n", (long long)st->st_size);
		return;
	}
	if (r == 1)
		status = 206;
	len = (size_t)(st->st_size == 0 ? 0 : last - first + 1);
	head_start(c, status);
	put(c, "Content-Type: %s\r\nContent-Length: %zu\r\n"
	    "Last-Modified: %s\r\nETag: %s\r\nAccept-Ranges: bytes\r\n",
	    http_content_type(path), len, lm, etag);
	if (r == 1)
		put(c, "Content-Range: bytes %lld-%lld/%lld\r\n",
		    (long long)first, (long long)last,
		    (long long)st->st_size);
	put(c, "\r\n");
	if (head_only || len == 0) {
		hfile_unref(f);
		return;
	}
	/* Small bodies ride with the headers: one write for it all. */
	if (len <= SMALL_BODY && (p = sk_buf_reserve(&c->out, len)) != NULL) {
		n = pread(f->fd, p, len, first);
		hfile_unref(f);
		if (n != (ssize_t)len) {
			/* The file shrank: what is here, then a reset, so
			 * the short body is never taken for the whole. */
			c->keep = 0;
			c->cut = 1;
			n = n < 0 ? 0 : n;
		}
		sk_buf_commit(&c->out, (size_t)n);
		c->obody = n;
		return;
	}
	c->file = f;
	c->off = c->fstart = first;
	c->end = first + (off_t)len;
}

/*
 * 301 to the directory's slash form.  Built from the raw path (visible
 * ASCII only: the parser saw to that) with slashes collapsed, so "//x"
 * goes to "/x/", never to "//x/", which a browser reads as host x.
 */
static void
redirect_slash(struct hconn *c, const struct sk_http_req *req, int head_only)
{
	struct sk_buf	loc;
	size_t		i;

	sk_buf_init(&loc, 0);
	(void)sk_buf_append(&loc, "Location: ", 10);
	for (i = 0; i < req->path_len; i++)
		if (req->path[i] != '/' || i == 0 || req->path[i - 1] != '/')
			(void)sk_buf_append(&loc, req->path + i, 1);
	(void)sk_buf_append(&loc, "/", 1);
	if (req->query != NULL) {
		(void)sk_buf_append(&loc, "?", 1);
		(void)sk_buf_append(&loc, req->query, req->query_len);
	}
	(void)sk_buf_append(&loc, "\r\n", 3);	/* with the NUL */
	http_error_page(c, 301, head_only, sk_buf_len(&loc) == 0 ? NULL :
	    (const char *)sk_buf_data(&loc));
	sk_buf_release(&loc);
}

/* What a request names, opened for reading (sk_path_open_served). */
static int
open_served(struct hsrv *s, const char *rel, struct stat *st)
{
	return sk_path_open_served(s->rootfd, rel, s->o->follow ?
	    SK_PATH_FOLLOW : 0, st);
}

/*
 * The open-file cache: small regular files stay open with their stat, as
 * lighttpd and nginx's open_file_cache do, so a request for one costs a
 * fstat and a pread, and no path walk, open or close.  The fstat shows a
 * change in place at once; the name is trusted for the second it was
 * opened in, then opened again (a file replaced or removed is seen within
 * a second).  Directories and big files are not kept.  A slot holds a
 * reference to its file and each response sending from it another, so a
 * file dropped from the cache mid-download stays open until that ends.
 */
static unsigned
hash_str(const char *p)
{
	unsigned	h = 2166136261u;

	while (*p != '\0')
		h = (h ^ (unsigned char)*p++) * 16777619u;
	return h;
}

static void
cache_drop(struct fent *e)
{
	if (e->rel != NULL) {
		hfile_unref(e->file);
		free(e->rel);
		e->rel = NULL;
		e->file = NULL;
	}
}

/*
 * The cached file for rel, checked this second, with its stat: a new
 * reference for the caller; or NULL.
 */
static struct hfile *
cache_get(struct hsrv *s, const char *rel, struct stat *st)
{
	struct fent	*e = &s->fcache[hash_str(rel) % FCACHE];

	if (e->rel == NULL || e->checked != s->date_at ||
	    strcmp(e->rel, rel) != 0)
		return NULL;
	/* A change in place shows at once: the length never lies. */
	if (fstat(e->file->fd, st) == -1 || st->st_size > SMALL_BODY) {
		cache_drop(e);
		return NULL;
	}
	return hfile_ref(e->file);
}

/*
 * Keep f (a small regular file just opened) for rel, with a reference of
 * the cache's own: 0, or -1 (the caller's reference is untouched).
 */
static int
cache_put(struct hsrv *s, const char *rel, struct hfile *f,
    const struct stat *st)
{
	struct fent	*e = &s->fcache[hash_str(rel) % FCACHE];
	char		*copy;

	if (!S_ISREG(st->st_mode) || (copy = strdup(rel)) == NULL)
		return -1;
	cache_drop(e);
	e->rel = copy;
	e->file = hfile_ref(f);
	e->checked = s->date_at;
	return 0;
}

void
http_cache_clear(struct hsrv *s)
{
	int	i;

	for (i = 0; i < FCACHE; i++)
		cache_drop(&s->fcache[i]);
}

void
http_respond(struct hconn *c, const struct sk_http_req *req)
{
	struct hsrv	*s = c->srv;
	char		 path[HEAD_MAX], idx[PATH_MAX + 16];
	const char	*rel;
	struct stat	 st, ist;
	ssize_t		 n;
	size_t		 i, o;
	struct hfile	*f;
	int		 head_only, fd, ifd;

	head_only = req->method_len == 4 && memcmp(req->method, "HEAD",
	    4) == 0;
	if (!head_only && !(req->method_len == 3 && memcmp(req->method,
	    "GET", 3) == 0)) {
		http_error_page(c, 405, 0, "Allow: GET, HEAD\r\n");
		return;
	}
	if (req->path_len == 1 && req->path[0] == '*') {
		http_error_page(c, 400, head_only, NULL);
		return;
	}
	if (s->root_gone) {
		http_error_page(c, 404, head_only, NULL);
		return;
	}
	if ((n = sk_http_unescape(req->path, req->path_len, path,
	    sizeof(path))) == -1) {
		http_error_page(c, 400, head_only, NULL);
		return;
	}
	/* Collapse repeated slashes: "//x" is "/x", never a host. */
	for (i = o = 0; i < (size_t)n; i++)
		if (path[i] != '/' || o == 0 || path[o - 1] != '/')
			path[o++] = path[i];
	path[o] = '\0';
	if (o >= PATH_MAX) {
		/* ENAMETOOLONG */
		http_error_page(c, 404, head_only, NULL);
		return;
	}
	rel = path + 1;
	if (sk_path_check(rel, strlen(rel)) != NULL) {
		http_error_page(c, 403, head_only, NULL);
		return;
	}
	(void)now_date(s);	/* the cache's clock */
	if ((f = cache_get(s, rel, &st)) != NULL) {
		send_file(c, req, f, &st, rel, head_only);
		return;
	}
	if ((fd = open_served(s, rel, &st)) == -1) {
		/* A name too long names nothing here: 404, as nginx. */
		http_error_page(c, errno == ENOENT || errno == ENOTDIR ||
		    errno == ENAMETOOLONG ? 404 : 403, head_only, NULL);
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		/* The slash the browser sees: "/sub%2F" is no "/sub/", and the
		 * listing's relative links would miss. */
		if (req->path[req->path_len - 1] != '/') {
			close(fd);
			redirect_slash(c, req, head_only);
			return;
		}
		snprintf(idx, sizeof(idx), "%sindex.html", rel);
		if ((ifd = open_served(s, idx, &ist)) != -1 &&
		    S_ISREG(ist.st_mode)) {
			close(fd);
			send_file(c, req, hfile_new(ifd), &ist, idx, head_only);
			return;
		}
		if (ifd != -1)
			close(ifd);
		listing(c, fd, path, head_only);
		return;
	}
	if ((f = hfile_new(fd)) != NULL && st.st_size <= SMALL_BODY)
		(void)cache_put(s, rel, f, &st);
	send_file(c, req, f, &st, rel, head_only);
}
