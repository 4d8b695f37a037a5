/*
 * http.c - sockkit http: a static HTTP/1.1 file server for a directory.
 * GET and HEAD, keep-alive and pipelining, Range, conditional requests
 * (ETag, If-None-Match, If-Modified-Since), index.html or a listing for
 * directories, a Common Log Format access log.  One event loop serves
 * every client: heads are parsed by the core (sk_http_parse_request),
 * headers and small bodies leave in one write, larger bodies with
 * sendfile.  Nothing outside DIR is served: paths are decoded, checked
 * and resolved by the core (sk_path_*), symbolic links out of DIR are
 * refused unless --follow-symlinks, and only regular files are opened
 * for reading (nonblocking, so a FIFO can never stall the server).
 * Slow clients are dropped: a head must arrive within --head-timeout, an
 * idle keep-alive connection closes after --keepalive-timeout.
 */
#define _GNU_SOURCE		/* realpath's PATH_MAX, MSG_MORE */

#include <sys/types.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <netdb.h>
#ifdef __linux__
#include <sys/sendfile.h>
#endif

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sockkit/buf.h>
#include <sockkit/http.h>
#include <sockkit/loop.h>
#include <sockkit/net.h>
#include <sockkit/path.h>
#include <sockkit/text.h>

#include "cmd.h"

static const char usage_text[] =
"usage: sockkit http [-46qv] [-d DIR] [-b ADDRESS] [--log FILE]\n"
"           [--follow-symlinks] [--max-clients N] [--head-timeout SECONDS]\n"
"           [--keepalive-timeout SECONDS] [--send-timeout SECONDS]\n"
"           [--backend NAME] [ADDRESS] [PORT]\n"
"\n"
"Serve DIR (default .) over HTTP/1.1 on PORT (default 8000): GET and HEAD,\n"
"keep-alive, Range, ETag and If-Modified-Since (304), index.html or a\n"
"listing for directories.  Nothing outside DIR is served.  After the\n"
"listening line comes a URL to open; every response is logged.\n"
"\n"
"options:\n"
"  -d, --dir DIR              the directory served (default .; also\n"
"                             --directory, as python's)\n"
"  -b, --bind ADDRESS         the address, as python's -b (then the one\n"
"                             operand is the port)\n"
"      --log FILE             the access log (Common Log Format) goes to\n"
"                             FILE instead of stderr\n"
"  -q, --quiet                no access log and no URL line\n"
"      --follow-symlinks      serve symbolic links that lead out of DIR\n"
"      --max-clients N        connections at once, at most (default\n"
"                             10000); more wait in the listen queue while\n"
"                             it has room, or get 503 when descriptors\n"
"                             (ulimit -n) run out first\n"
"      --head-timeout SECONDS a request head must arrive within this\n"
"                             (default 20; decimals allowed)\n"
"      --keepalive-timeout SECONDS\n"
"                             close an idle keep-alive connection after\n"
"                             this (default 60; decimals allowed)\n"
"      --send-timeout SECONDS drop a client that takes nothing of the\n"
"                             response for this long (default 60)\n"
"  -4, -6                     IPv4 or IPv6 only\n"
"      --backend NAME         event loop: select, poll or epoll\n"
"  -v                         log connections too\n"
"  -h, --help                 this text\n"
"\n"
"SIGINT or SIGTERM stop it cleanly (exit 128+N; a download under way is\n"
"reset, never ended as if whole); 1 when it cannot listen\n"
"or serve, 2 on a usage error.\n";

#define CMD		"http"
#define HEAD_MAX	16384		/* a bigger head: 431 */
#define SMALL_BODY	16384		/* up to this, read into the reply */
#define BODY_SKIP_MAX	(1 << 20)	/* a request body we skip; more: 413 */
#define LINGER_S	2
#define TIMEOUT_MIN_MS	100		/* --head-timeout, --keepalive-timeout */

struct http_opts {
	struct common_opts	 c;
	const char		*dir;
	const char		*host;
	const char		*bind;		/* -b ADDRESS */
	const char		*port;
	const char		*log;
	int			 quiet;
	int			 follow;
	long long		 max_clients;
	long long		 head_ms;	/* --head-timeout */
	long long		 keepalive_ms;	/* --keepalive-timeout */
	long long		 send_ms;	/* --send-timeout */
};

enum {
	OPT_LOG = OPT_FIRST_CMD,
	OPT_FOLLOW,
	OPT_MAX_CLIENTS,
	OPT_HEAD_TIMEOUT,
	OPT_KEEPALIVE,
	OPT_SEND_TIMEOUT
};

/*
 * An operand that holds a '/' is a path, never an address or a port (the
 * directory served goes after -d); so is an existing directory whose name
 * is no port (port) or does not resolve (an address).  1 after a usage
 * error saying so, else 0.
 */
static int
path_operand(const struct http_opts *o, const char *a, int port)
{
	struct addrinfo	*res;
	struct stat	 st;
	int		 dir = stat(a, &st) == 0 && S_ISDIR(st.st_mode);

	if (strchr(a, '/') == NULL) {
		if (!dir)
			return 0;
		/* A directory named like a service ("www" is port 80)
		 * was meant to be served, not taken for the port. */
		if (port && a[strspn(a, "0123456789")] == '\0')
			return 0;
		if (!port && sk_net_resolve(NULL, a, "0", o->c.family,
		    SOCK_STREAM, 1, &res) == 0) {
			freeaddrinfo(res);
			return 0;
		}
	}
	if (dir)
		cmd_usage_err(CMD, "'%s' is a directory, not %s: serve it "
		    "with '-d %s'", a, port ? "a port" : "an address", a);
	else
		cmd_usage_err(CMD, "'%s' is not %s (the directory served goes "
		    "after -d)", a, port ? "a port" : "an address");
	return 1;
}

/*
 * One operand "HOST:PORT", "[V6]:PORT" or ":PORT", where sockkit takes the
 * address and the port apart: 1 after a usage error with the form meant,
 * else 0 (a bare IPv6 address has colons too).
 */
static int
colon_operand(const char *a)
{
	const char	*colon = strrchr(a, ':');
	int		 br = a[0] == '[';

	if (colon == NULL || colon[1] == '\0' || strspn(colon + 1,
	    "0123456789") != strlen(colon + 1))
		return 0;
	if (colon == a) {
		cmd_usage_err(CMD, "'%s': give the port alone: 'sockkit http "
		    "%s' listens on all addresses", a, a + 1);
		return 1;
	}
	if (strchr(a, ':') != colon && colon[-1] != ']')
		return 0;
	cmd_usage_err(CMD, "'%s': the address and the port are two operands: "
	    "'%.*s %s'", a, (int)(colon - a) - 2 * br, a + br, colon + 1);
	return 1;
}

/* A numeric address of the other family than -4 or -6 asks for. */
static int
family_conflict(const struct http_opts *o)
{
	unsigned char	 a[16];
	const char	*h = o->host;

	if (h == NULL || o->c.family == AF_UNSPEC)
		return 0;
	if (o->c.family == AF_INET6 && inet_pton(AF_INET, h, a) == 1)
		cmd_usage_err(CMD, "-6 and the IPv4 address '%s' do not go "
		    "together", h);
	else if (o->c.family == AF_INET && strchr(h, ':') != NULL &&
	    inet_pton(AF_INET6, h, a) == 1)
		cmd_usage_err(CMD, "-4 and the IPv6 address '%s' do not go "
		    "together", h);
	else
		return 0;
	return 1;
}

static int
parse_args(int argc, char **argv, struct http_opts *o)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "dir",		required_argument, NULL, 'd' },
		{ "directory",		required_argument, NULL, 'd' },
		{ "bind",		required_argument, NULL, 'b' },
		{ "log",		required_argument, NULL, OPT_LOG },
		{ "quiet",		no_argument,	   NULL, 'q' },
		{ "follow-symlinks",	no_argument,	   NULL, OPT_FOLLOW },
		{ "max-clients",	required_argument, NULL,
		    OPT_MAX_CLIENTS },
		{ "head-timeout",	required_argument, NULL,
		    OPT_HEAD_TIMEOUT },
		{ "keepalive-timeout",	required_argument, NULL,
		    OPT_KEEPALIVE },
		{ "send-timeout",	required_argument, NULL,
		    OPT_SEND_TIMEOUT },
		{ NULL,			0,		   NULL, 0 }
	};
	const char	*a;
	int		 ch, rc;

	memset(o, 0, sizeof(*o));
	o->dir = ".";
	o->port = "8000";
	o->max_clients = 10000;
	o->head_ms = 20000;
	o->keepalive_ms = 60000;
	o->send_ms = 60000;
	optind = 1;
	opterr = 0;
	cmd_longopts(longopts);
	while ((ch = getopt_long(argc, argv, COMMON_SHORTOPTS "b:d:q",
	    longopts, NULL)) != -1) {
		/* nc's and other servers' habit: say where the port goes. */
		if (ch == '?' && (optopt == 'p' || (optopt == 0 &&
		    argv[optind - 1] != NULL && (strcmp(argv[optind - 1],
		    "--port") == 0 || strncmp(argv[optind - 1], "--port=",
		    7) == 0)))) {
			cmd_usage_err(CMD, "unknown option '%s': the port is an "
			    "operand: 'sockkit http [ADDRESS] PORT'", optopt ==
			    'p' ? "-p" : "--port");
			return -1;
		}
		if ((rc = cmd_common(CMD, &o->c, ch, argv)) == -1)
			return -1;
		if (rc == 1)
			continue;
		switch (ch) {
		case 'b':
			o->bind = optarg;
			break;
		case 'd':
			o->dir = optarg;
			break;
		case 'q':
			o->quiet = 1;
			break;
		case OPT_LOG:
			o->log = optarg;
			break;
		case OPT_FOLLOW:
			o->follow = 1;
			break;
		case OPT_MAX_CLIENTS:
			if (cmd_number(CMD, "--max-clients", optarg, 1,
			    1000000, &o->max_clients) == -1)
				return -1;
			break;
		case OPT_HEAD_TIMEOUT:
			if (cmd_seconds(CMD, "--head-timeout", optarg,
			    TIMEOUT_MIN_MS, 3600 * 1000, &o->head_ms) == -1)
				return -1;
			break;
		case OPT_KEEPALIVE:
			if (cmd_seconds(CMD, "--keepalive-timeout", optarg,
			    TIMEOUT_MIN_MS, 86400 * 1000, &o->keepalive_ms) ==
			    -1)
				return -1;
			break;
		case OPT_SEND_TIMEOUT:
			if (cmd_seconds(CMD, "--send-timeout", optarg,
			    TIMEOUT_MIN_MS, 86400 * 1000, &o->send_ms) == -1)
				return -1;
			break;
		}
	}
	if (o->c.help)
		return 0;
	argc -= optind;
	argv += optind;
	if (argc > 2) {
		cmd_usage_err(CMD, "too many operands: '%s'", argv[2]);
		return -1;
	}
	if (argc == 1 && o->bind == NULL && colon_operand(argv[0]))
		return -1;
	/* One operand: a port if it is all digits, else the address. */
	if (o->bind != NULL) {
		/* python's -b ADDRESS: then an operand is the port. */
		if (argc == 2) {
			cmd_usage_err(CMD, "-b %s and the address '%s' do not "
			    "go together", o->bind, argv[0]);
			return -1;
		}
		o->host = o->bind;
		if (argc == 1)
			o->port = argv[0];
	} else if (argc == 2) {
		o->host = argv[0];
		o->port = argv[1];
	} else if (argc == 1) {
		for (a = argv[0]; *a >= '0' && *a <= '9'; a++)
			;
		if (*a == '\0')
			o->port = argv[0];
		else
			o->host = argv[0];
	}
	if (*o->dir == '\0' || (o->log != NULL && *o->log == '\0') ||
	    (o->host != NULL && *o->host == '\0')) {
		cmd_usage_err(CMD, "an empty %s", *o->dir == '\0' ?
		    "-d DIR" : o->host != NULL && *o->host == '\0' ?
		    "ADDRESS" : "--log FILE");
		return -1;
	}
	if ((o->host != NULL && o->bind == NULL &&
	    path_operand(o, o->host, 0)) || ((argc == 2 || (o->bind != NULL &&
	    argc == 1)) && path_operand(o, o->port, 1)))
		return -1;
	if (o->host != NULL && o->host[strspn(o->host, "0123456789")] ==
	    '\0') {
		/* getaddrinfo would take "8000" as 0.0.31.64. */
		cmd_usage_err(CMD, "'%s' is not an address: give one PORT, "
		    "or ADDRESS PORT", o->host);
		return -1;
	}
	if (cmd_host_ok(CMD, o->bind != NULL ? "-b" : NULL, o->host) == -1)
		return -1;
	if (sk_net_parse_port(NULL, o->port, 1) == -1) {
		cmd_usage_err(CMD, "invalid port '%s'", o->port);
		return -1;
	}
	/* What would do nothing where it is given. */
	if (family_conflict(o))
		return -1;
	if (o->quiet && o->log != NULL) {
		cmd_usage_err(CMD, "--quiet and --log do not go together");
		return -1;
	}
	if (o->quiet && o->c.verbose) {
		cmd_usage_err(CMD, "-q and -v do not go together");
		return -1;
	}
	if (o->c.json) {
		cmd_usage_err(CMD, "--json: http has no JSON output (its access "
		    "log is in Common Log Format)");
		return -1;
	}
	return 0;
}

/* The server and its connections. */

#define FCACHE		256		/* open small files kept */

struct fent {
	char		*rel;		/* NULL: empty */
	int		 fd;
	time_t		 checked;	/* the second it was opened in */
};


/*
 * A log that never stalls the server: lines are queued, and a thread of
 * its own writes them, blocking as long as it must (a terminal paused
 * with ^S, a pipe nobody reads, a slow disk) while the loop goes on
 * serving.  The queue holds LOGQ_MAX bytes; what comes while it is full
 * is dropped and counted, and the count said once there is room again.
 */
#define LOGQ_MAX	(256 * 1024)

struct alog {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;		/* work queued, or the writer done */
	pthread_t	 th;
	int		 fd;
	char		*q;		/* LOGQ_MAX */
	size_t		 len;
	long long	 dropped;	/* lines since the queue was full */
	int		 err;		/* a write's errno; 0 */
	int		 said;		/* err reported */
	int		 stop, done;
};

static void *
alog_main(void *arg)
{
	struct alog	*a = arg;
	char		*buf;
	size_t		 n, off;
	ssize_t		 k;
	int		 e;

	if ((buf = malloc(LOGQ_MAX)) == NULL) {
		pthread_mutex_lock(&a->mu);
		a->err = ENOMEM;
		goto out;
	}
	pthread_mutex_lock(&a->mu);
	for (;;) {
		while (a->len == 0 && !a->stop)
			pthread_cond_wait(&a->cv, &a->mu);
		if (a->len == 0)
			break;
		n = a->len;
		memcpy(buf, a->q, n);
		a->len = 0;
		pthread_mutex_unlock(&a->mu);
		for (off = 0, e = 0; off < n; off += (size_t)k)
			if ((k = write(a->fd, buf + off, n - off)) <= 0) {
				if (k == -1 && errno == EINTR) {
					k = 0;
					continue;
				}
				e = k == 0 ? EIO : errno;
				break;
			}
		pthread_mutex_lock(&a->mu);
		if (e != 0 && a->err == 0)
			a->err = e;
	}
out:
	a->done = 1;
	pthread_cond_broadcast(&a->cv);
	pthread_mutex_unlock(&a->mu);
	free(buf);
	return NULL;
}

/* A log written by a thread to fd (not closed here): NULL, errno set. */
static struct alog *
alog_new(int fd)
{
	struct alog	*a;
	int		 e;

	if ((a = calloc(1, sizeof(*a))) == NULL ||
	    (a->q = malloc(LOGQ_MAX)) == NULL) {
		free(a);
		errno = ENOMEM;
		return NULL;
	}
	a->fd = fd;
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->cv, NULL);
	if ((e = pthread_create(&a->th, NULL, alog_main, a)) != 0) {
		pthread_mutex_destroy(&a->mu);
		pthread_cond_destroy(&a->cv);
		free(a->q);
		free(a);
		errno = e;
		return NULL;
	}
	return a;
}

/*
 * Queue n bytes (whole lines) of p.  When the queue is full they are
 * dropped and counted; the count of lines dropped before, now that there
 * is room again, is said first when note is set (the log is stderr), or
 * returned for the caller to say elsewhere.
 */
static long long
alog_put(struct alog *a, const char *p, size_t n, int note)
{
	char		msg[128];
	long long	d;
	int		k = 0;

	pthread_mutex_lock(&a->mu);
	if (note && a->dropped > 0)
		k = snprintf(msg, sizeof(msg), "sockkit: %s: %lld log line%s "
		    "dropped: stderr was not being read\n", CMD, a->dropped,
		    a->dropped == 1 ? "" : "s");
	if (a->len + (size_t)k + n > LOGQ_MAX) {
		a->dropped++;
		pthread_mutex_unlock(&a->mu);
		return 0;
	}
	memcpy(a->q + a->len, msg, (size_t)k);
	a->len += (size_t)k;
	memcpy(a->q + a->len, p, n);
	a->len += n;
	d = a->dropped;
	a->dropped = 0;
	pthread_cond_signal(&a->cv);
	pthread_mutex_unlock(&a->mu);
	return note ? 0 : d;
}

/* A write error not said yet, once: its errno, else 0. */
static int
alog_error(struct alog *a)
{
	int	e = 0;

	pthread_mutex_lock(&a->mu);
	if (a->err != 0 && !a->said) {
		e = a->err;
		a->said = 1;
	}
	pthread_mutex_unlock(&a->mu);
	return e;
}

/*
 * Write what is queued and stop the thread, waiting a second at most: a
 * log still blocked then is left to the process's exit (its thread and
 * memory with it).
 */
static void
alog_free(struct alog *a)
{
	struct timespec	ts;
	int		done;

	if (a == NULL)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += 1;
	pthread_mutex_lock(&a->mu);
	a->stop = 1;
	pthread_cond_broadcast(&a->cv);
	while (!a->done && pthread_cond_timedwait(&a->cv, &a->mu, &ts) == 0)
		;
	done = a->done;
	pthread_mutex_unlock(&a->mu);
	if (!done) {
		(void)pthread_detach(a->th);
		return;
	}
	(void)pthread_join(a->th, NULL);
	pthread_mutex_destroy(&a->mu);
	pthread_cond_destroy(&a->cv);
	free(a->q);
	free(a);
}

struct hsrv {
	const struct http_opts	*o;
	struct sk_loop		*loop;
	int			 lfd;
	int			 paused;	/* at --max-clients */
	char			 root[PATH_MAX];
	int			 rootfd;
	int			 root_gone;	/* DIR removed; said so */
	struct alog		*log;		/* NULL: -q */
	struct alog		*elog;		/* stderr: -v, notes */
	struct hconn		*conns;
	long			 nconns;
	long long		 timer;
	time_t			 date_at;
	char			 date[SK_HTTP_DATELEN];
	struct fent		 fcache[FCACHE];
};

/* H_CUT: a body cut short (the file shrank): what went drains, then a
 * reset. */
enum hstate { H_HEAD, H_SEND, H_LINGER, H_CUT };

struct hconn {
	struct hsrv	*srv;
	int		 fd;
	enum hstate	 state;
	struct sk_buf	 in;
	struct sk_buf	 out;
	int		 file;		/* a body to sendfile, or -1 */
	off_t		 off, end;
	size_t		 used;		/* bytes of in the request took */
	long long	 skip;		/* request body bytes still to drop */
	int		 keep;		/* keep-alive after this response */
	int		 minor;		/* HTTP/1.<minor> of the request */
	int		 rd_eof;	/* the client has half-closed */
	int		 abort;		/* close with a reset */
	int		 cut;		/* the body is short: reset once sent */
	long long	 deadline;	/* ms; 0: none */
	char		 peer[SK_ADDRSTRLEN];
	char		 host[SK_ADDRSTRLEN];	/* for the log */
	char		 line[512];	/* the request line, escaped */
	int		 status;	/* of the response; 0: logged */
	long long	 obody;		/* body bytes queued in out */
	off_t		 fstart;	/* where the file body began */
	struct hconn	*next;
	struct hconn	**pprev;
};

/* Out of descriptors: what a client is told before it is turned away. */
#define FULL_503 "HTTP/1.1 503 Service Unavailable\r\nServer: sockkit/" \
	SOCKKIT_VERSION "\r\nRetry-After: 1\r\nContent-Length: 0\r\n" \
	"Connection: close\r\n\r\n"

static void	on_conn(struct sk_loop *, int, int, void *);
static void	on_accept(struct sk_loop *, int, int, void *);
static void	resume_accept(struct sk_loop *, long long, void *);

/* "sockkit: http: " what name (escaped for the terminal) "post". */
static void
say_name(const char *what, const char *name, const char *post)
{
	fprintf(stderr, "sockkit: %s: %s", CMD, what);
	cmd_put_text(stderr, name, strlen(name), SK_TEXT_TAB);
	fprintf(stderr, "%s\n", post);
	fflush(stderr);
}

/* The same, then ": " and what err means. */
static void
say_errno(const char *what, const char *name, int err)
{
	char	post[256];

	snprintf(post, sizeof(post), ": %s", err == ENXIO ?
	    "a FIFO nobody reads" : strerror(err));
	say_name(what, name, post);
}

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

/*
 * Content types by extension (lower case; looked up case-insensitively).
 * Sorted by strcmp for bsearch: test_http.sh checks the order and asks
 * for every entry.  After python's mimetypes and nginx's mime.types, with
 * one rule of our own: what people read as text (source, configuration,
 * logs, notes, checksums) is text/plain in UTF-8, so a browser shows it
 * instead of downloading it; types a browser or player handles itself
 * (HTML, CSS, JavaScript, JSON, XML, CSV, subtitles, media) keep their
 * registered ones.  .ts is an MPEG transport stream (HLS), as in nginx.
 */
#define TEXT	"text/plain; charset=utf-8"

static const struct mime {
	const char	*ext;
	const char	*type;
} mimes[] = {
	{ "3g2",	"video/3gpp2" },
	{ "3gp",	"video/3gpp" },
	{ "3gpp",	"video/3gpp" },
	{ "7z",		"application/x-7z-compressed" },
	{ "aac",	"audio/aac" },
	{ "adoc",	TEXT },
	{ "aif",	"audio/aiff" },
	{ "aifc",	"audio/aiff" },
	{ "aiff",	"audio/aiff" },
	{ "apk",	"application/vnd.android.package-archive" },
	{ "apng",	"image/apng" },
	{ "asc",	TEXT },
	{ "asf",	"video/x-ms-asf" },
	{ "atom",	"application/atom+xml" },
	{ "au",		"audio/basic" },
	{ "avi",	"video/x-msvideo" },
	{ "avif",	"image/avif" },
	{ "awk",	TEXT },
	{ "bash",	TEXT },
	{ "bat",	TEXT },
	{ "bmp",	"image/bmp" },
	{ "bz2",	"application/x-bzip2" },
	{ "c",		TEXT },
	{ "cc",		TEXT },
	{ "cfg",	TEXT },
	{ "cjs",	"text/javascript; charset=utf-8" },
	{ "clj",	TEXT },
	{ "cmake",	TEXT },
	{ "cnf",	TEXT },
	{ "conf",	TEXT },
	{ "cpio",	"application/x-cpio" },
	{ "cpp",	TEXT },
	{ "cs",		TEXT },
	{ "css",	"text/css; charset=utf-8" },
	{ "csv",	"text/csv; charset=utf-8" },
	{ "cxx",	TEXT },
	{ "d",		TEXT },
	{ "dart",	TEXT },
	{ "deb",	"application/vnd.debian.binary-package" },
	{ "diff",	TEXT },
	{ "dmg",	"application/x-apple-diskimage" },
	{ "doc",	"application/msword" },
	{ "docx",	"application/vnd.openxmlformats-officedocument."
			"wordprocessingml.document" },
	{ "dtd",	"application/xml-dtd" },
	{ "el",		TEXT },
	{ "env",	TEXT },
	{ "eot",	"application/vnd.ms-fontobject" },
	{ "eps",	"application/postscript" },
	{ "epub",	"application/epub+zip" },
	{ "erl",	TEXT },
	{ "ex",		TEXT },
	{ "exs",	TEXT },
	{ "f90",	TEXT },
	{ "fish",	TEXT },
	{ "flac",	"audio/flac" },
	{ "flv",	"video/x-flv" },
	{ "geojson",	"application/geo+json" },
	{ "gif",	"image/gif" },
	{ "go",		TEXT },
	{ "gpx",	"application/gpx+xml" },
	{ "gradle",	TEXT },
	{ "groovy",	TEXT },
	{ "gz",		"application/gzip" },
	{ "h",		TEXT },
	{ "heic",	"image/heic" },
	{ "heif",	"image/heif" },
	{ "hh",		TEXT },
	{ "hpp",	TEXT },
	{ "hs",		TEXT },
	{ "htm",	"text/html; charset=utf-8" },
	{ "html",	"text/html; charset=utf-8" },
	{ "hxx",	TEXT },
	{ "ico",	"image/vnd.microsoft.icon" },
	{ "ics",	"text/calendar; charset=utf-8" },
	{ "ini",	TEXT },
	{ "ipynb",	"application/json" },
	{ "iso",	"application/x-iso9660-image" },
	{ "jar",	"application/java-archive" },
	{ "java",	TEXT },
	{ "jfif",	"image/jpeg" },
	{ "jl",		TEXT },
	{ "jpe",	"image/jpeg" },
	{ "jpeg",	"image/jpeg" },
	{ "jpg",	"image/jpeg" },
	{ "js",		"text/javascript; charset=utf-8" },
	{ "json",	"application/json" },
	{ "jsonl",	TEXT },
	{ "jsonld",	"application/ld+json" },
	{ "jsx",	TEXT },
	{ "jxl",	"image/jxl" },
	{ "kml",	"application/vnd.google-earth.kml+xml" },
	{ "kmz",	"application/vnd.google-earth.kmz" },
	{ "kt",		TEXT },
	{ "kts",	TEXT },
	{ "less",	TEXT },
	{ "lisp",	TEXT },
	{ "log",	TEXT },
	{ "lua",	TEXT },
	{ "lz",		"application/x-lzip" },
	{ "lz4",	"application/x-lz4" },
	{ "lzma",	"application/x-lzma" },
	{ "m",		TEXT },
	{ "m2ts",	"video/mp2t" },
	{ "m3u",	"audio/x-mpegurl" },
	{ "m3u8",	"application/vnd.apple.mpegurl" },
	{ "m4a",	"audio/mp4" },
	{ "m4v",	"video/mp4" },
	{ "mak",	TEXT },
	{ "map",	"application/json" },
	{ "markdown",	TEXT },
	{ "md",		TEXT },
	{ "md5",	TEXT },
	{ "mid",	"audio/midi" },
	{ "midi",	"audio/midi" },
	{ "mjs",	"text/javascript; charset=utf-8" },
	{ "mk",		TEXT },
	{ "mka",	"audio/x-matroska" },
	{ "mkv",	"video/x-matroska" },
	{ "ml",		TEXT },
	{ "mli",	TEXT },
	{ "mov",	"video/quicktime" },
	{ "mp2",	"audio/mpeg" },
	{ "mp3",	"audio/mpeg" },
	{ "mp4",	"video/mp4" },
	{ "mpeg",	"video/mpeg" },
	{ "mpg",	"video/mpeg" },
	{ "msi",	"application/x-msi" },
	{ "mts",	"video/mp2t" },
	{ "ndjson",	TEXT },
	{ "nfo",	TEXT },
	{ "nim",	TEXT },
	{ "odg",	"application/vnd.oasis.opendocument.graphics" },
	{ "odp",	"application/vnd.oasis.opendocument.presentation" },
	{ "ods",	"application/vnd.oasis.opendocument.spreadsheet" },
	{ "odt",	"application/vnd.oasis.opendocument.text" },
	{ "oga",	"audio/ogg" },
	{ "ogg",	"audio/ogg" },
	{ "ogv",	"video/ogg" },
	{ "opus",	"audio/opus" },
	{ "org",	TEXT },
	{ "otf",	"font/otf" },
	{ "patch",	TEXT },
	{ "pdf",	"application/pdf" },
	{ "php",	TEXT },
	{ "pl",		TEXT },
	{ "pm",		TEXT },
	{ "png",	"image/png" },
	{ "ppt",	"application/vnd.ms-powerpoint" },
	{ "pptx",	"application/vnd.openxmlformats-officedocument."
			"presentationml.presentation" },
	{ "properties",	TEXT },
	{ "proto",	TEXT },
	{ "ps",		"application/postscript" },
	{ "ps1",	TEXT },
	{ "psd",	"image/vnd.adobe.photoshop" },
	{ "py",		TEXT },
	{ "pyi",	TEXT },
	{ "qt",		"video/quicktime" },
	{ "r",		TEXT },
	{ "rar",	"application/vnd.rar" },
	{ "rb",		TEXT },
	{ "rpm",	"application/x-redhat-package-manager" },
	{ "rs",		TEXT },
	{ "rss",	"application/rss+xml" },
	{ "rst",	TEXT },
	{ "rtf",	"application/rtf" },
	{ "s",		TEXT },
	{ "sass",	TEXT },
	{ "scala",	TEXT },
	{ "scss",	TEXT },
	{ "sh",		TEXT },
	{ "sha1",	TEXT },
	{ "sha256",	TEXT },
	{ "sha512",	TEXT },
	{ "sig",	"application/pgp-signature" },
	{ "snd",	"audio/basic" },
	{ "sql",	TEXT },
	{ "srt",	TEXT },
	{ "svg",	"image/svg+xml" },
	{ "swift",	TEXT },
	{ "tar",	"application/x-tar" },
	{ "tbz2",	"application/x-bzip2" },
	{ "tcl",	TEXT },
	{ "tex",	TEXT },
	{ "tgz",	"application/gzip" },
	{ "tif",	"image/tiff" },
	{ "tiff",	"image/tiff" },
	{ "toml",	TEXT },
	{ "ts",		"video/mp2t" },
	{ "tsv",	"text/tab-separated-values; charset=utf-8" },
	{ "tsx",	TEXT },
	{ "ttc",	"font/collection" },
	{ "ttf",	"font/ttf" },
	{ "txt",	TEXT },
	{ "txz",	"application/x-xz" },
	{ "vim",	TEXT },
	{ "vtt",	"text/vtt; charset=utf-8" },
	{ "vue",	TEXT },
	{ "wasm",	"application/wasm" },
	{ "wav",	"audio/wav" },
	{ "weba",	"audio/webm" },
	{ "webm",	"video/webm" },
	{ "webmanifest", "application/manifest+json" },
	{ "webp",	"image/webp" },
	{ "wma",	"audio/x-ms-wma" },
	{ "wmv",	"video/x-ms-wmv" },
	{ "woff",	"font/woff" },
	{ "woff2",	"font/woff2" },
	{ "xhtml",	"application/xhtml+xml" },
	{ "xls",	"application/vnd.ms-excel" },
	{ "xlsx",	"application/vnd.openxmlformats-officedocument."
			"spreadsheetml.sheet" },
	{ "xml",	"application/xml" },
	{ "xsd",	"application/xml" },
	{ "xsl",	"application/xml" },
	{ "xz",		"application/x-xz" },
	{ "yaml",	TEXT },
	{ "yml",	TEXT },
	{ "zip",	"application/zip" },
	{ "zsh",	TEXT },
	{ "zst",	"application/zstd" },
};

static int
by_ext(const void *k, const void *m)
{
	return strcmp(k, ((const struct mime *)m)->ext);
}

/* Files known by their whole name, without an extension: text. */
static const struct mime whole_names[] = {
	{ "authors",	TEXT },
	{ "changelog",	TEXT },
	{ "changes",	TEXT },
	{ "contributing", TEXT },
	{ "copying",	TEXT },
	{ "dockerfile",	TEXT },
	{ "install",	TEXT },
	{ "license",	TEXT },
	{ "makefile",	TEXT },
	{ "md5sums",	TEXT },
	{ "news",	TEXT },
	{ "notice",	TEXT },
	{ "readme",	TEXT },
	{ "sha1sums",	TEXT },
	{ "sha256sums",	TEXT },
	{ "sha512sums",	TEXT },
	{ "todo",	TEXT },
};

static const char *
content_type(const char *path)
{
	const char	*base = strrchr(path, '/'), *dot;
	const struct mime *m, *tab = mimes;
	size_t		 i, n = sizeof(mimes) / sizeof(mimes[0]);
	char		 key[16];

	base = base != NULL ? base + 1 : path;
	if ((dot = strrchr(base, '.')) != NULL)
		dot++;
	else {
		dot = base;
		tab = whole_names;
		n = sizeof(whole_names) / sizeof(whole_names[0]);
	}
	if (strlen(dot) >= sizeof(key))
		return "application/octet-stream";
	for (i = 0; dot[i] != '\0'; i++)
		key[i] = (char)tolower((unsigned char)dot[i]);
	key[i] = '\0';
	m = bsearch(key, tab, n, sizeof(tab[0]), by_ext);
	return m != NULL ? m->type : "application/octet-stream";
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

/* Append printf-style text to the reply. */
static void
put(struct hconn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
put(struct hconn *c, const char *fmt, ...)
{
	char	 small[1024], *big = NULL;
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(small)) {
		(void)sk_buf_append(&c->out, small, (size_t)n);
		return;
	}
	if ((big = malloc((size_t)n + 1)) == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	(void)sk_buf_append(&c->out, big, (size_t)n);
	free(big);
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

/* A small HTML error page (no body for HEAD). */
static void
error_page(struct hconn *c, int status, int head_only, const char *extra)
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

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
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
	char		 **names = NULL, **nn, when[32];
	struct dirent	*de;
	struct stat	 st;
	struct tm	 tm;
	size_t		 n = 0, i, hlen;
	DIR		*d;
	int		 dfd;

	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		error_page(c, 403, head_only, NULL);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if ((nn = realloc(names, (n + 1) * sizeof(*nn))) == NULL)
			break;
		names = nn;
		if ((names[n] = strdup(de->d_name)) == NULL)
			break;
		n++;
	}
	if (n > 1)
		qsort(names, n, sizeof(*names), by_name);
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
	dfd = dirfd(d);
	for (i = 0; i < n; i++) {
		entry_stat(c, dfd, urlpath, names[i], &st);
		gmtime_r(&st.st_mtime, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
		put(c, "<tr><td><a href=\"");
		put_url(c, names[i]);
		put(c, "%s\">", S_ISDIR(st.st_mode) ? "/" : "");
		put_name(c, names[i]);
		put(c, "%s</a></td><td>%s</td><td class=\"s\">", S_ISDIR(
		    st.st_mode) ? "/" : "", when);
		if (S_ISDIR(st.st_mode))
			put(c, "-");
		else
			put(c, "%lld", (long long)st.st_size);
		put(c, "</td></tr>\n");
		free(names[i]);
	}
	free(names);
	closedir(d);
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

/* Close an fd unless the open-file cache owns it. */
static void
release(int fd, int cached)
{
	if (!cached)
		close(fd);
}

/* A regular file: conditionals, Range, then the body. */
static void
send_file(struct hconn *c, const struct sk_http_req *req, int fd,
    const struct stat *st, const char *path, int head_only, int cached)
{
	const struct sk_http_field	*inm, *ims, *rng, *ifr;
	char				 etag[64], lm[SK_HTTP_DATELEN];
	off_t				 first = 0, last = st->st_size - 1;
	time_t				 t;
	ssize_t				 n;
	size_t				 len;
	uint8_t				*p;
	int				 r = 0, status = 200;

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
		release(fd, cached);
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
		release(fd, cached);
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
	    content_type(path), len, lm, etag);
	if (r == 1)
		put(c, "Content-Range: bytes %lld-%lld/%lld\r\n",
		    (long long)first, (long long)last,
		    (long long)st->st_size);
	put(c, "\r\n");
	if (head_only || len == 0) {
		release(fd, cached);
		return;
	}
	/* Small bodies ride with the headers: one write for it all. */
	if (len <= SMALL_BODY && (p = sk_buf_reserve(&c->out, len)) != NULL) {
		n = pread(fd, p, len, first);
		release(fd, cached);
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
	c->file = fd;
	c->off = c->fstart = first;
	c->end = first + (off_t)len;
}

/*
 * What the client sent, for the log line (out holds size bytes): quotes
 * and backslashes escaped, control bytes and broken UTF-8 as \xHH
 * (sk_text_escape); cut where it is full.
 */
static void
log_escape(char *out, size_t size, const char *p, size_t n)
{
	(void)sk_text_escape(out, size, (const uint8_t *)p, n,
	    SK_TEXT_BACKSLASH | SK_TEXT_QUOTE);
}

/*
 * The body bytes that have left so far: what of the body queued in out
 * was written (it is out's tail), and the file's part.
 */
static long long
body_sent(const struct hconn *c)
{
	long long	left = (long long)sk_buf_len(&c->out);

	return c->obody - (left < c->obody ? left : c->obody) +
	    (long long)(c->off - c->fstart);
}

/* A message on stderr through its queue: "sockkit: http: ...". */
static void
vlog(struct hsrv *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
vlog(struct hsrv *s, const char *fmt, ...)
{
	char	line[1024];
	va_list	ap;
	int	n, k;

	n = snprintf(line, sizeof(line), "sockkit: %s: ", CMD);
	va_start(ap, fmt);
	k = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (k < 0)
		return;
	n += k;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	(void)alog_put(s->elog, line, (size_t)n, 1);
}

/* A write to the log failed: said once; the server goes on serving. */
static void
log_failed(struct hsrv *s)
{
	int	e;

	if (s->log != NULL && (e = alog_error(s->log)) != 0)
		say_errno(s->o->log != NULL ? "access log " : "access log",
		    s->o->log != NULL ? s->o->log : "", e);
}

/*
 * One line per response, once: when it has all gone, or when the
 * connection ends before (the client left, reset or stopped reading, the
 * file shrank, the server was stopped), with the body bytes that did go,
 * as nginx logs a download cut short.
 */
static void
access_log(struct hconn *c)
{
	struct hsrv	*s = c->srv;
	char		 when[64], line[1024];
	struct tm	 tm;
	time_t		 t = time(NULL);
	long long	 sent = body_sent(c), d;
	int		 status = c->status, n;

	c->status = 0;
	if (s->log == NULL || status == 0)
		return;
	localtime_r(&t, &tm);
	strftime(when, sizeof(when), "%d/%b/%Y:%H:%M:%S %z", &tm);
	if (sent > 0)
		n = snprintf(line, sizeof(line), "%s - - [%s] \"%s\" %d %lld\n",
		    c->host, when, c->line, status, sent);
	else
		n = snprintf(line, sizeof(line), "%s - - [%s] \"%s\" %d -\n",
		    c->host, when, c->line, status);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(line)) {
		n = sizeof(line) - 1;
		line[n - 1] = '\n';
	}
	if ((d = alog_put(s->log, line, (size_t)n, s->log == s->elog)) > 0)
		vlog(s, "%lld log line%s dropped: the --log file was not "
		    "being written fast enough", d, d == 1 ? "" : "s");
	log_failed(s);
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
	error_page(c, 301, head_only, sk_buf_len(&loc) == 0 ? NULL :
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
 * a second).  Directories and big files are not kept.
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
		close(e->fd);
		free(e->rel);
		e->rel = NULL;
	}
}

/* A cached fd for rel, checked this second, with its stat; or -1. */
static int
cache_get(struct hsrv *s, const char *rel, struct stat *st)
{
	struct fent	*e = &s->fcache[hash_str(rel) % FCACHE];

	if (e->rel == NULL || e->checked != s->date_at ||
	    strcmp(e->rel, rel) != 0)
		return -1;
	/* A change in place shows at once: the length never lies. */
	if (fstat(e->fd, st) == -1 || st->st_size > SMALL_BODY) {
		cache_drop(e);
		return -1;
	}
	return e->fd;
}

/* Keep fd (a small regular file just opened) for rel: 0, or -1. */
static int
cache_put(struct hsrv *s, const char *rel, int fd, const struct stat *st)
{
	struct fent	*e = &s->fcache[hash_str(rel) % FCACHE];
	char		*copy;

	if (!S_ISREG(st->st_mode) || (copy = strdup(rel)) == NULL)
		return -1;
	cache_drop(e);
	e->rel = copy;
	e->fd = fd;
	e->checked = s->date_at;
	return 0;
}

/*
 * Answer one parsed request: queue the reply in out (and a body file).
 */
static void
respond(struct hconn *c, const struct sk_http_req *req)
{
	struct hsrv	*s = c->srv;
	char		 path[HEAD_MAX], idx[PATH_MAX + 16];
	const char	*rel;
	struct stat	 st, ist;
	ssize_t		 n;
	size_t		 i, o;
	int		 head_only, fd, ifd;

	head_only = req->method_len == 4 && memcmp(req->method, "HEAD",
	    4) == 0;
	if (!head_only && !(req->method_len == 3 && memcmp(req->method,
	    "GET", 3) == 0)) {
		error_page(c, 405, 0, "Allow: GET, HEAD\r\n");
		return;
	}
	if (req->path_len == 1 && req->path[0] == '*') {
		error_page(c, 400, head_only, NULL);
		return;
	}
	if (s->root_gone) {
		error_page(c, 404, head_only, NULL);
		return;
	}
	if ((n = sk_http_unescape(req->path, req->path_len, path,
	    sizeof(path))) == -1) {
		error_page(c, 400, head_only, NULL);
		return;
	}
	/* Collapse repeated slashes: "//x" is "/x", never a host. */
	for (i = o = 0; i < (size_t)n; i++)
		if (path[i] != '/' || o == 0 || path[o - 1] != '/')
			path[o++] = path[i];
	path[o] = '\0';
	if (o >= PATH_MAX) {
		error_page(c, 404, head_only, NULL);	/* ENAMETOOLONG */
		return;
	}
	rel = path + 1;
	if (sk_path_check(rel, strlen(rel)) != NULL) {
		error_page(c, 403, head_only, NULL);
		return;
	}
	(void)now_date(s);	/* the cache's clock */
	if ((fd = cache_get(s, rel, &st)) != -1) {
		send_file(c, req, fd, &st, rel, head_only, 1);
		return;
	}
	if ((fd = open_served(s, rel, &st)) == -1) {
		/* A name too long names nothing here: 404, as nginx. */
		error_page(c, errno == ENOENT || errno == ENOTDIR ||
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
			send_file(c, req, ifd, &ist, idx, head_only, 0);
			return;
		}
		if (ifd != -1)
			close(ifd);
		listing(c, fd, path, head_only);
		return;
	}
	if (st.st_size <= SMALL_BODY && cache_put(s, rel, fd, &st) == 0) {
		send_file(c, req, fd, &st, rel, head_only, 1);
		return;
	}
	send_file(c, req, fd, &st, rel, head_only, 0);
}

/* Connection life: close, the deadline, the next request. */

static void
conn_free(struct hconn *c)
{
	struct hsrv	*s = c->srv;

	access_log(c);		/* a response cut short */
	if (s->o->c.verbose)
		vlog(s, "%s disconnected", c->peer);
	*c->pprev = c->next;
	if (c->next != NULL)
		c->next->pprev = c->pprev;
	sk_loop_del(s->loop, c->fd);
	if (c->abort)
		(void)sk_net_abort(NULL, c->fd);
	else
		close(c->fd);
	if (c->file != -1)
		close(c->file);
	sk_buf_release(&c->in);
	sk_buf_release(&c->out);
	free(c);
	s->nconns--;
	resume_accept(s->loop, 0, s);
}

/* After the last response: stop sending, drain what the client still
 * sends for a moment so our reply is not lost to a reset, then close. */
static void
linger(struct hconn *c)
{
	shutdown(c->fd, SHUT_WR);
	c->state = H_LINGER;
	c->deadline = sk_loop_now_ms() + LINGER_S * 1000;
	sk_buf_release(&c->in);
	sk_buf_init(&c->in, HEAD_MAX);
	(void)sk_loop_mod(NULL, c->srv->loop, c->fd, SK_READ);
}

/*
 * Parse and answer what is buffered: one request at a time, in order
 * (pipelined requests wait in `in` until the reply before them has gone).
 * Returns -1 when the connection is to be closed now.
 */
static int
next_request(struct hconn *c)
{
	struct sk_http_req	req;
	const char		*p;
	ssize_t			n;
	size_t			len = sk_buf_len(&c->in), take, k;
	int			status;

	if (c->skip > 0) {
		take = (size_t)c->skip < len ? (size_t)c->skip : len;
		sk_buf_consume(&c->in, take);
		c->skip -= (long long)take;
		len -= take;
		if (c->skip > 0)
			return 0;
	}
	if (len == 0) {
		c->deadline = sk_loop_now_ms() + c->srv->o->keepalive_ms;
		return 0;
	}
	n = sk_http_parse_request((const char *)sk_buf_data(&c->in), len,
	    HEAD_MAX, &req, &status);
	if (n == -2) {
		/* A head under way: it has until its deadline, set when its
		 * first byte came (see conn_read). */
		return 0;
	}
	c->status = 0;
	if (n == -1) {
		if (c->srv->log != NULL) {
			/* The first line as it came, bounded: in holds no NUL
			 * terminator to stop at. */
			p = (const char *)sk_buf_data(&c->in);
			for (k = 0; k < len && k < 200 && p[k] != '\r' &&
			    p[k] != '\n'; k++)
				;
			log_escape(c->line, sizeof(c->line), p, k);
		}
		c->keep = 0;
		error_page(c, status, 0, NULL);
		c->used = len;
	} else {
		if (c->srv->log != NULL)
			log_escape(c->line, sizeof(c->line), req.method,
			    (size_t)(req.target + req.target_len -
			    req.method) + 9);
		c->keep = req.keep_alive;
		c->minor = req.minor;
		c->used = (size_t)n;
		if (req.content_length > BODY_SKIP_MAX) {
			c->keep = 0;
			error_page(c, 413, 0, NULL);
		} else {
			c->skip = req.content_length;
			respond(c, &req);
		}
	}
	c->state = H_SEND;
	c->deadline = sk_loop_now_ms() + c->srv->o->send_ms;
	return 0;
}

/* Readable: take bytes into `in`; a head's clock starts at its first. */
static int
conn_read(struct hconn *c)
{
	size_t	before = sk_buf_len(&c->in);
	ssize_t	n;
	char	drop[4096];

	if (c->state == H_LINGER) {
		while ((n = read(c->fd, drop, sizeof(drop))) > 0)
			;
		return n == 0 || (errno != EAGAIN && errno != EINTR) ? -1 : 0;
	}
	n = sk_buf_read(&c->in, c->fd, HEAD_MAX);
	/*
	 * A FIN ends the client's sending only (nc -N, socat, a script's
	 * shutdown): what it asked for is still owed, pipelined requests
	 * included.  With nothing owed and no whole request held, close.
	 */
	if (n == 0) {
		c->rd_eof = 1;
		if (c->state == H_HEAD)
			return next_request(c) == -1 || c->state == H_HEAD ?
			    -1 : 0;
		return 0;
	}
	if (n == -1)
		return errno == EAGAIN || errno == EINTR ? 0 :
		    errno == ENOBUFS ? 0 : -1;
	if (c->state != H_HEAD)
		return 0;	/* pipelined: parsed after this reply */
	if (before == 0 && c->skip == 0)
		c->deadline = sk_loop_now_ms() +
		    c->srv->o->head_ms;
	return next_request(c);
}

/*
 * Writable: the reply (headers and small body), then a file body.  When
 * all of it went: the next request, or close.
 */
static int
conn_write(struct hconn *c)
{
	ssize_t	n;

	if (c->state != H_SEND)
		return 0;
	if (sk_buf_len(&c->out) > 0) {
		if (c->file != -1) {
			/* Headers first, held back to go with the body. */
			n = send(c->fd, sk_buf_data(&c->out),
			    sk_buf_len(&c->out), MSG_NOSIGNAL | MSG_MORE);
			if (n == -1)
				return errno == EAGAIN || errno == EINTR ?
				    0 : -1;
			sk_buf_consume(&c->out, (size_t)n);
		} else if ((n = sk_buf_write(&c->out, c->fd)) == -1)
			return -1;
		/* The client takes what we send: its clock starts again. */
		if (n > 0)
			c->deadline = sk_loop_now_ms() + c->srv->o->send_ms;
		if (sk_buf_len(&c->out) > 0)
			return 0;
	}
	while (c->file != -1 && c->off < c->end) {
#ifdef __linux__
		n = sendfile(c->fd, c->file, &c->off, (size_t)(c->end -
		    c->off));
#else
		{
			char	chunk[65536];
			ssize_t	r;

			r = pread(c->file, chunk, (size_t)(c->end - c->off) <
			    sizeof(chunk) ? (size_t)(c->end - c->off) :
			    sizeof(chunk), c->off);
			n = r <= 0 ? 0 : sk_net_write(c->fd, chunk, (size_t)r);
			if (n > 0)
				c->off += n;
		}
#endif
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n == 0) {
			c->cut = 1;	/* the file shrank: the length lies */
			break;
		}
		if (n == -1)
			return -1;
		c->deadline = sk_loop_now_ms() + c->srv->o->send_ms;
	}
	if (c->file != -1) {
		close(c->file);
		c->file = -1;
	}
	if (c->cut) {
		/* What the length promised will not come: let what went
		 * reach the client, then reset (see on_tick). */
		access_log(c);
		c->state = H_CUT;
		c->deadline = sk_loop_now_ms() + c->srv->o->send_ms;
		(void)sk_loop_mod(NULL, c->srv->loop, c->fd, 0);
		return 0;
	}
	access_log(c);
	sk_buf_consume(&c->in, c->used);
	c->used = 0;
	if (!c->keep) {
		linger(c);
		return 0;
	}
	c->state = H_HEAD;
	/* A pipelined head may already be here; its clock starts now. */
	c->deadline = sk_loop_now_ms() + c->srv->o->head_ms;
	if (next_request(c) == -1)
		return -1;
	/* Half-closed and nothing more asked: done, gracefully. */
	if (c->rd_eof && c->state == H_HEAD)
		linger(c);
	return 0;
}

static void
on_conn(struct sk_loop *loop, int fd, int mask, void *arg)
{
	struct hconn	*c = arg;
	int		 want;

	(void)fd;
	if (((mask & SK_READ) && conn_read(c) == -1) ||
	    conn_write(c) == -1) {
		conn_free(c);
		return;
	}
	if (c->state == H_LINGER || c->state == H_CUT)
		return;
	want = c->state == H_SEND ? SK_WRITE : SK_READ;
	/* Keep reading pipelined requests while replying, up to the cap;
	 * after the client's FIN there is nothing more to read. */
	if (c->state == H_SEND && !sk_buf_full(&c->in))
		want |= SK_READ;
	if (c->rd_eof)
		want &= ~SK_READ;
	if (sk_loop_mask(loop, c->fd) != want)
		(void)sk_loop_mod(NULL, loop, c->fd, want);
}

static void
on_accept(struct sk_loop *loop, int lfd, int mask, void *arg)
{
	struct hsrv		*s = arg;
	struct sockaddr_storage	 ss;
	struct hconn		*c;
	socklen_t		 sslen;
	char			*colon, err[SK_ERRLEN];
	int			 fd, one = 1;

	(void)mask;
	while (s->nconns < s->o->max_clients) {
		sslen = sizeof(ss);
		if ((fd = sk_net_accept(NULL, lfd, &ss, &sslen)) == -1) {
			if (cmd_accept_pause(CMD, loop, lfd, resume_accept, s,
			    FULL_503, sizeof(FULL_503) - 1, 0))
				s->paused = 1;
			return;
		}
		if (sk_loop_watchable(err, loop, fd) == -1) {
			cmd_accept_turn_away(CMD, fd, FULL_503,
			    sizeof(FULL_503) - 1, 0, err);
			continue;
		}
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			close(fd);
			continue;
		}
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
		    sizeof(one));
		c->srv = s;
		c->fd = fd;
		c->file = -1;
		c->state = H_HEAD;
		sk_buf_init(&c->in, HEAD_MAX);
		sk_buf_init(&c->out, 0);
		sk_net_addr_str((struct sockaddr *)&ss, sslen, c->peer,
		    sizeof(c->peer));
		memcpy(c->host, c->peer, sizeof(c->host));
		/* The log wants the address alone. */
		if ((colon = strrchr(c->host, ':')) != NULL)
			*colon = '\0';
		if (c->host[0] == '[' && (colon = strchr(c->host, ']')) !=
		    NULL) {
			*colon = '\0';
			memmove(c->host, c->host + 1, strlen(c->host));
		}
		c->deadline = sk_loop_now_ms() + s->o->head_ms;
		if (sk_loop_add(NULL, loop, fd, SK_READ, on_conn, c) == -1) {
			sk_buf_release(&c->in);
			close(fd);
			free(c);
			continue;
		}
		c->next = s->conns;
		if (c->next != NULL)
			c->next->pprev = &c->next;
		c->pprev = &s->conns;
		s->conns = c;
		s->nconns++;
		if (s->o->c.verbose)
			vlog(s, "%s connected", c->peer);
	}
	/* At --max-clients: the rest wait in the listen queue. */
	(void)sk_loop_mod(NULL, loop, lfd, 0);
	s->paused = 1;
}

/* Accept again, once a client has left or descriptors may be free. */
static void
resume_accept(struct sk_loop *loop, long long id, void *arg)
{
	struct hsrv	*s = arg;

	(void)id;
	if (s->paused && s->nconns < s->o->max_clients &&
	    sk_loop_mod(NULL, loop, s->lfd, SK_READ) == 0)
		s->paused = 0;
}

/*
 * DIR is served by what its name leads to, as python and nginx serve
 * it: checked every tick, so a directory removed and made again (a build
 * output, "rm -rf www && make") or a symbolic link pointed elsewhere (a
 * deployment's "current") is served at once, not the old one forever.
 * While the name leads nowhere (removed, renamed), every request gets 404
 * (said once).
 */
static void
check_root(struct hsrv *s)
{
	struct stat	 now, was;
	char		 real[PATH_MAX];
	int		 fd, i;

	if (fstat(s->rootfd, &was) == -1)
		return;
	if (stat(s->o->dir, &now) == 0 && S_ISDIR(now.st_mode)) {
		if (now.st_dev == was.st_dev && now.st_ino == was.st_ino)
			return;
		if (realpath(s->o->dir, real) == NULL || (fd = open(real,
		    O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
			return;		/* again next tick */
		close(s->rootfd);
		s->rootfd = fd;
		memcpy(s->root, real, sizeof(real));
		for (i = 0; i < FCACHE; i++)
			cache_drop(&s->fcache[i]);
		s->root_gone = 0;
		say_name("now serving ", s->root, "");
		return;
	}
	if (!s->root_gone) {
		s->root_gone = 1;
		say_name("", s->o->dir, ": removed: nothing is served until it "
		    "is made again");
	}
}

/* Bytes the kernel still holds for the client (sent, not yet acked);
 * where that cannot be asked, none. */
static int
unsent(int fd)
{
	int	n = 0;

#if defined(__linux__) && defined(TIOCOUTQ)
	if (ioctl(fd, TIOCOUTQ, &n) == -1)
		n = 0;
#else
	(void)fd;
#endif
	return n;
}

/* Every tick: DIR still there?  Drop connections past their deadline. */
static void
on_tick(struct sk_loop *loop, long long id, void *arg)
{
	struct hsrv	*s = arg;
	struct hconn	*c, *next;
	long long	 now = sk_loop_now_ms();

	(void)loop;
	(void)id;
	log_failed(s);
	check_root(s);
	for (c = s->conns; c != NULL; c = next) {
		next = c->next;
		if (c->state == H_CUT && (now >= c->deadline ||
		    unsent(c->fd) == 0)) {
			c->abort = 1;
			conn_free(c);
			continue;
		}
		if (c->deadline == 0 || now < c->deadline)
			continue;
		if (c->state == H_HEAD && sk_buf_len(&c->in) > 0 &&
		    c->skip == 0) {
			/* A head too slow to arrive: 408, then close. */
			c->keep = 0;
			c->used = sk_buf_len(&c->in);
			snprintf(c->line, sizeof(c->line), "-");
			error_page(c, 408, 0, NULL);
			c->state = H_SEND;
			c->deadline = now + LINGER_S * 1000;
			(void)sk_loop_mod(NULL, loop, c->fd, SK_WRITE);
			continue;
		}
		conn_free(c);
	}
}

/*
 * After the listening line: "serving DIR at http://HOST:PORT/", a URL to
 * click.  A wildcard listen is reached by loopback (127.0.0.1, or ::1 for
 * an IPv6-only socket or -6); IPv6 goes in brackets, a zone as %25 (RFC
 * 6874).
 */
static void
print_url(const struct hsrv *s)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)&ss;
	socklen_t		 len = sizeof(ss);
	char			 host[NI_MAXHOST], port[NI_MAXSERV], *pct;
	int			 v6only = 0, v6;
	socklen_t		 olen = sizeof(v6only);

	memset(&ss, 0, sizeof(ss));
	if (getsockname(s->lfd, (struct sockaddr *)&ss, &len) == -1 ||
	    getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), port,
	    sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		return;
	v6 = ss.ss_family == AF_INET6;
	if (v6 && IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], host,
		    sizeof(host));
		v6 = 0;
	} else if (v6 && IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr)) {
		/* -6 asked for IPv6: say ::1 even where IPv4 gets in. */
		if (getsockopt(s->lfd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
		    &olen) == -1 || s->o->c.family == AF_INET6)
			v6only = 1;
		snprintf(host, sizeof(host), "%s", v6only ? "::1" :
		    "127.0.0.1");
		v6 = v6only;
	} else if (!v6 && strcmp(host, "0.0.0.0") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	fprintf(stderr, "sockkit: %s: serving ", CMD);
	cmd_put_text(stderr, s->root, strlen(s->root), SK_TEXT_TAB);
	if (v6 && (pct = strchr(host, '%')) != NULL) {
		*pct = '\0';
		fprintf(stderr, " at http://[%s%%25", host);
		cmd_put_text(stderr, pct + 1, strlen(pct + 1), SK_TEXT_TAB);
		fprintf(stderr, "]:%s/\n", port);
	} else
		fprintf(stderr, " at http://%s%s%s:%s/\n", v6 ? "[" : "", host,
		    v6 ? "]" : "", port);
	fflush(stderr);
}

/*
 * --log FILE, appended to.  Opened nonblocking, so a FIFO without a
 * reader fails (ENXIO) instead of stopping the server before it listens;
 * then blocking, for the log's thread to write (alog).  The fd, or -1.
 */
static int
open_log(const char *path)
{
	int	 fd, flags;

	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK |
	    O_CLOEXEC, 0666)) == -1)
		return -1;
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == -1) {
		flags = errno;
		close(fd);
		errno = flags;
		return -1;
	}
	return fd;
}

static int
serve(const struct http_opts *o)
{
	struct hsrv	s;
	struct hconn	*c;
	char		err[SK_ERRLEN];
	long long	tick;
	int		status = 0, i, lfd = -1;

	/* Deadlines are checked every tick: a second, or often enough that
	 * a timeout under two seconds is kept within half its length. */
	tick = o->head_ms < o->keepalive_ms ? o->head_ms : o->keepalive_ms;
	tick = o->send_ms < tick ? o->send_ms : tick;
	tick = tick / 2 < 1000 ? tick / 2 : 1000;
	memset(&s, 0, sizeof(s));
	s.o = o;
	s.lfd = -1;
	if (realpath(o->dir, s.root) == NULL || (s.rootfd = open(s.root,
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		say_errno("", o->dir, errno);
		return EXIT_RUNTIME;
	}
	if (o->log != NULL && (lfd = open_log(o->log)) == -1) {
		say_errno("access log ", o->log, errno);
		close(s.rootfd);
		return EXIT_RUNTIME;
	}
	if ((s.elog = alog_new(STDERR_FILENO)) == NULL || (lfd != -1 &&
	    (s.log = alog_new(lfd)) == NULL)) {
		cmd_err(CMD, "log: %s", strerror(errno));
		alog_free(s.elog);
		if (lfd != -1)
			close(lfd);
		close(s.rootfd);
		return EXIT_RUNTIME;
	}
	if (lfd == -1 && !o->quiet)
		s.log = s.elog;
	if ((s.lfd = cmd_server_socket(CMD, &o->c, NULL, o->host, o->port,
	    SOCK_STREAM)) == -1) {
		status = EXIT_RUNTIME;
		goto out;
	}
	/* Out of descriptors, a client is told, not left to wait. */
	(void)cmd_accept_reserve();
	if ((s.loop = sk_loop_new(err, o->c.backend)) == NULL ||
	    sk_loop_add(err, s.loop, s.lfd, SK_READ, on_accept, &s) == -1 ||
	    (s.timer = sk_loop_timer_add(err, s.loop, tick, tick, on_tick,
	    &s)) == -1 || cmd_signals_init(CMD, s.loop) == -1) {
		cmd_err(CMD, "%s", err);
		status = EXIT_RUNTIME;
		goto out;
	}
	cmd_listening(CMD, s.lfd);
	if (!o->quiet)
		print_url(&s);
	if (sk_loop_run(err, s.loop) == -1) {
		cmd_err(CMD, "%s", err);
		status = EXIT_RUNTIME;
	}
	cmd_signals_fini(s.loop);
out:
	/*
	 * Stopped by a signal: a response still under way is cut with a
	 * reset, so that its client sees the download fail rather than an
	 * end that a client without a length check takes for the whole.
	 */
	if (cmd_signalled())
		for (c = s.conns; c != NULL; c = c->next)
			c->abort = c->state == H_SEND || c->state == H_CUT;
	/* conn_free() unlinks what it frees (the analyzer cannot tell). */
	while (s.conns != NULL)
		conn_free(s.conns);	/* NOLINT(clang-analyzer-unix.Malloc) */
	if (s.lfd != -1)
		close(s.lfd);
	sk_loop_free(s.loop);
	if (s.log != s.elog)
		alog_free(s.log);
	alog_free(s.elog);
	if (lfd != -1)
		close(lfd);
	for (i = 0; i < FCACHE; i++)
		cache_drop(&s.fcache[i]);
	close(s.rootfd);
	return status;
}

int
cmd_http(int argc, char **argv)
{
	struct http_opts	o;

	if (parse_args(argc, argv, &o) == -1)
		return EXIT_USAGE;
	if (o.c.help)
		return cmd_help(usage_text);
	return serve(&o);
}
