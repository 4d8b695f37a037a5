/*
 * fileserve_client.c - sockkit fileserve get, put and ls: one connection
 * each, blocking, every wait bounded by -w.  Downloads receive into
 * page-aligned buffers, hash each while it is in the cache, and leave the
 * writing to a second thread (core/wb); uploads go out with sendfile.
 */
#define _GNU_SOURCE		/* O_NOFOLLOW, realpath's PATH_MAX */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#ifdef __linux__
#include <sys/sendfile.h>
#endif

#include <poll.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sockkit/buf.h>
#include <sockkit/clock.h>
#include <sockkit/frame.h>
#include <sockkit/hash.h>
#include <sockkit/loop.h>
#include <sockkit/net.h>
#include <sockkit/path.h>
#include <sockkit/text.h>
#include <sockkit/wb.h>

#include "fileserve.h"

/* One connection to the server, and what is shown of it. */
struct client {
	const struct fs_opts	*o;
	int			 fd;
	int			 ms;		/* -w */
	uint8_t			 line[SK_FS_CTLMAX];
	size_t			 len;		/* of line */
	long long		 start_ms;
	long long		 shown_ms;
	const char		*what;		/* the file, for progress */
	int			 onscreen;	/* a progress line, not ended */
	int			 no_sendfile;	/* put: read and send instead */
};

/* One get, from start to end: what its steps share. */
struct get {
	char		*local;		/* the name written; NULL: stdout */
	char		*tmp;		/* its part; NULL when stream */
	const char	*where;		/* local, or "stdout" */
	int		 to_stdout;	/* -o - */
	int		 stream;	/* written into as it is: no part */
	int		 fd;		/* where the bytes go, or -1 */
	int		 made;		/* the part made by this get */
	uint8_t		*buf;		/* CHUNK, page-aligned */
	struct sk_hash	 h;		/* of [0, size) */
	long long	 size;		/* the server's file */
	long long	 resumed;	/* bytes of the part kept */
};

/* The last component of a path (for default local and remote names). */
static const char *
base_name(const char *p)
{
	const char	*s = strrchr(p, '/');

	return s != NULL && s[1] != '\0' ? s + 1 : p;
}

/*
 * A signal (^C, SIGTERM) during a transfer: the handler notes it and
 * shuts the connection down, which ends at once whatever wait the client
 * is in; the client then stops as it does when a connection is cut (a
 * download keeps what has arrived, for the next get to resume), ends its
 * progress line, says nothing more and dies by the signal.  Before there
 * is a connection there is nothing to keep: the default action, at once.
 */
static volatile sig_atomic_t	client_sig;
static volatile sig_atomic_t	client_fd = -1;

static void
on_client_signal(int sig)
{
	int	saved = errno;

	client_sig = sig;
	cmd_note_signal(sig);
	if (client_fd != -1)
		(void)shutdown(client_fd, SHUT_RDWR);
	else {
		/* Blocked until this returns, then delivered. */
		(void)signal(sig, SIG_DFL);
		(void)raise(sig);
	}
	errno = saved;
}

/* Catch SIGINT and SIGTERM, but leave one ignored at start ignored. */
static void
client_signals(void)
{
	static const int	sigs[] = { SIGINT, SIGTERM };
	struct sigaction	sa, old;
	size_t			i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_client_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], NULL, &old) == 0 &&
		    old.sa_handler != SIG_IGN)
			(void)sigaction(sigs[i], &sa, NULL);
}

/* End a progress line still open, so that what follows starts a line. */
static void
end_progress(struct client *cl)
{
	if (cl->onscreen) {
		fputc('\n', stderr);
		cl->onscreen = 0;
	}
}

/* An error, on a line of its own; nothing once a signal has come. */
static void
cl_err(struct client *cl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
cl_err(struct client *cl, const char *fmt, ...)
{
	char	msg[1024];
	va_list	ap;

	end_progress(cl);
	if (client_sig != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cmd_err(CMD, "%s", msg);
}

/*
 * What errno e means here: a wait that ran out is the server not
 * answering within -w, said so, not "Resource temporarily unavailable".
 */
static const char *
why(const struct client *cl, int e)
{
	static char	msg[96];

	if (e != ETIMEDOUT && e != EAGAIN && e != EWOULDBLOCK)
		return strerror(e);
	snprintf(msg, sizeof(msg), "no reply from the server within %g s "
	    "(-w)", (double)cl->ms / 1000);
	return msg;
}

/* Send one request (fsproto.h formats it): 0, or -1 after a message. */
static int
send_req(struct client *cl, enum sk_fs_verb verb, long long num,
    const char *arg)
{
	struct sk_fs_req	req;
	struct sk_buf		b;
	int			rc;

	memset(&req, 0, sizeof(req));
	req.verb = verb;
	req.num = num;
	req.arg = arg != NULL ? arg : "";
	req.arg_len = strlen(req.arg);
	if (req.arg_len >= PATH_MAX) {
		cl_err(cl, "request too long");
		return -1;
	}
	sk_buf_init(&b, 0);
	if (sk_fs_req_format(&b, &req) == -1) {
		sk_buf_release(&b);
		cl_err(cl, "request too long");
		return -1;
	}
	rc = sk_net_send_all(NULL, cl->fd, sk_buf_data(&b), sk_buf_len(&b),
	    cl->ms) == -1 ? -1 : 0;
	sk_buf_release(&b);
	if (rc == -1)
		cl_err(cl, "send: %s", why(cl, errno));
	return rc;
}

/* Receive one control frame into cl->line; -1 after a message. */
static int
recv_line(struct client *cl)
{
	uint32_t	n;

	if (sk_frame_recv(NULL, cl->fd, cl->line, sizeof(cl->line),
	    SK_FS_CTLMAX, cl->ms, &n) == -1) {
		if (errno == ETIMEDOUT || errno == EAGAIN)
			cl_err(cl, "%s", why(cl, errno));
		else if (errno == ECONNRESET)
			cl_err(cl, "the server reset the connection");
		else if (errno == EMSGSIZE || errno == EPROTO)
			cl_err(cl, "a malformed reply from the server");
		else
			cl_err(cl, "the server closed the connection");
		return -1;
	}
	cl->len = n;
	return 0;
}

/* What a reply that sk_fs_parse_reply() refused is called. */
static void
bad_reply(struct client *cl, const struct sk_fs_reply *r)
{
	cl_err(cl, r->err == -1 ? "an unexpected reply from the server" :
	    "a malformed reply from the server");
}

/*
 * The next reply, of kind: 1 for its OK form, 0 for an ERR, -1 after a
 * message for anything else.  r's views are into cl->line.
 */
static int
recv_reply(struct client *cl, enum sk_fs_kind kind, struct sk_fs_reply *r)
{
	if (recv_line(cl) == -1)
		return -1;
	if (sk_fs_parse_reply(cl->line, cl->len, kind, r) == -1) {
		bad_reply(cl, r);
		return -1;
	}
	return r->err == 0;
}

/* The server's error: its code and text, escaped (bytes from the net). */
static void
server_err(struct client *cl, const struct sk_fs_reply *r)
{
	char	sp[SHOWMAX * 2];

	cl_err(cl, "server: %d%s%s", r->err, r->text_len > 0 ? " " : "",
	    fs_shown(sp, sizeof(sp) - 4, r->text, r->text_len));
}

/* Expect the OK form of kind into r; an ERR is reported as it came. */
static int
expect_ok(struct client *cl, enum sk_fs_kind kind, struct sk_fs_reply *r)
{
	int	rc;

	if ((rc = recv_reply(cl, kind, r)) == 1)
		return 0;
	if (rc == 0)
		server_err(cl, r);
	return -1;
}

static int
connect_hello(struct client *cl)
{
	struct sk_net_dial	dial;
	struct sk_fs_reply	r;
	char			err[SK_ERRLEN];

	memset(&dial, 0, sizeof(dial));
	dial.family = cl->o->c.family;
	dial.timeout_ms = cl->ms;
	if ((cl->fd = sk_net_connect(err, cl->o->host, cl->o->port,
	    &dial)) == -1) {
		cl_err(cl, "%s", err);
		return -1;
	}
	client_fd = cl->fd;
	/* Requests and data are separate writes: no delayed-ACK stalls. */
	(void)sk_net_nodelay(NULL, cl->fd);
	cl->start_ms = sk_clock_ms();
	/* Nonblocking, so every wait below is bounded by -w. */
	if (sk_net_nonblock(err, cl->fd, 1) == -1) {
		cl_err(cl, "%s", err);
		return -1;
	}
	if (send_req(cl, SK_FS_HELLO, SK_FS_VERSION, NULL) == -1 ||
	    expect_ok(cl, SK_FS_R_HELLO, &r) == -1)
		return -1;
	if (r.num != SK_FS_VERSION) {
		cl_err(cl, "a malformed reply from the server");
		return -1;
	}
	return 0;
}

/*
 * Hash bytes [0, len) of a local file, a piece at a time so that a signal
 * is not kept waiting behind gigabytes: 0, or -1 with errno.
 */
static int
hash_local(struct sk_hash *h, int fd, long long len, uint8_t *buf)
{
	const long long	step = 64LL << 20;
	long long	at, n;

	for (at = 0; at < len && client_sig == 0; at += n) {
		n = len - at < step ? len - at : step;
		if (sk_hash_file(h, fd, (off_t)at, (off_t)n, buf, CHUNK) == -1)
			return -1;
	}
	if (client_sig != 0) {
		errno = EINTR;
		return -1;
	}
	return 0;
}

/*
 * n in the unit that fits total (SI, as rates are): the number into out
 * ("512", "12.3"), the unit's name returned ("B", "kB", "MB", "GB").
 */
static const char *
in_units(char *out, size_t cap, long long n, long long total)
{
	static const char *const	names[] = { "B", "kB", "MB", "GB" };
	double				div = 1;
	int				u = 0;

	while (u < 3 && (double)total >= div * 1000) {
		div *= 1000;
		u++;
	}
	if (u == 0)
		snprintf(out, cap, "%lld", n);
	else
		snprintf(out, cap, "%.1f", (double)n / div);
	return names[u];
}

/*
 * Progress on a terminal, a few times a second; quiet in pipes: the
 * file's name, percent, done / total, the rate and the time left.
 */
static void
progress(struct client *cl, long long done, long long total, int last)
{
	long long	now = sk_clock_ms(), ms, eta;
	const char	*u, *ru;
	char		a[32], b[32], r[32], name[40], left[32];
	double		rate;
	int		n;

	if (!isatty(STDERR_FILENO) || client_sig != 0 ||
	    (!last && now - cl->shown_ms < 200))
		return;
	cl->shown_ms = now;
	ms = now - cl->start_ms > 0 ? now - cl->start_ms : 1;
	rate = (double)done / (double)ms * 1000;
	(void)in_units(a, sizeof(a), done, total);
	u = in_units(b, sizeof(b), total, total);
	ru = in_units(r, sizeof(r), (long long)rate, (long long)rate);
	eta = rate > 0 ? (long long)((double)(total - done) / rate) : -1;
	if (eta < 0)
		snprintf(left, sizeof(left), "--");
	else if (eta < 60)
		snprintf(left, sizeof(left), "%llds", eta);
	else
		snprintf(left, sizeof(left), "%lld:%02lld:%02lld", eta / 3600,
		    eta / 60 % 60, eta % 60);
	(void)fs_shown(name, sizeof(name), cl->what, strlen(cl->what));
	/* Trailing blanks cover what a longer line before left. */
	n = fprintf(stderr, "\r%s  %5.1f%%  %s / %s %s  %s %s/s  ETA %s    ",
	    name, total > 0 ? 100.0 * (double)done / (double)total : 100.0,
	    a, b, u, r, ru, left);
	cl->onscreen = n > 0;
	if (last)
		end_progress(cl);
}

/*
 * Up to want bytes into p, each wait bounded by -w: the count, less than
 * want when the stream ended (errno 0) or failed or went quiet (errno,
 * ETIMEDOUT), with what did come counted, never lost.
 */
static size_t
recv_some(struct client *cl, uint8_t *p, size_t want)
{
	struct pollfd	pfd;
	size_t		done = 0;
	ssize_t		n;
	int		rc;

	while (done < want) {
		if ((n = read(cl->fd, p + done, want - done)) > 0) {
			done += (size_t)n;
			continue;
		}
		if (n == 0) {
			errno = 0;
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			break;
		pfd.fd = cl->fd;
		pfd.events = POLLIN;
		if ((rc = poll(&pfd, 1, cl->ms)) == 0) {
			errno = ETIMEDOUT;
			break;
		}
		if (rc == -1 && errno != EINTR)
			break;
	}
	return done;
}

/*
 * Receive file bytes [*got, size) into w, hashing them; a second thread
 * writes them (sk_wb), so the copy into the page cache overlaps the next
 * receive.  0 once all have come; -1 when the connection ended first
 * (*got says how far; errno why, 0 for the server's close) or when a
 * write failed (sk_wb_close() says why).
 */
static int
recv_body(struct client *cl, struct sk_wb *w, long long *got,
    long long size, struct sk_hash *h)
{
	uint8_t	*p;
	size_t	 n, want;
	int	 e;

	for (; *got < size; *got += (long long)n) {
		if ((p = sk_wb_buf(w)) == NULL)
			return -1;
		want = size - *got < CHUNK ? (size_t)(size - *got) : CHUNK;
		n = recv_some(cl, p, want);
		e = errno;
		if (n > 0) {
			sk_hash_update(h, p, n);
			sk_wb_push(w, n);
		}
		if (n < want) {
			*got += (long long)n;
			errno = e;	/* 0: the server closed */
			return -1;
		}
		progress(cl, *got + (long long)n, size, 0);
	}
	return 0;
}

/* The last component of a remote path, trailing slashes aside. */
static void
remote_base(const char *path, char *out, size_t cap)
{
	const char	*end = path + strlen(path), *b;

	while (end > path && end[-1] == '/')
		end--;
	for (b = end; b > path && b[-1] != '/'; b--)
		;
	snprintf(out, cap, "%.*s", (int)(end - b), b);
}

/*
 * get's local name, malloc'd: -o LOCAL, else the last component of the
 * remote path; an existing directory (or a name ending in '/') gets that
 * component inside it, as curl, wget and scp do.  NULL after a message,
 * with *status the exit status.
 */
static char *
local_name(struct client *cl, int *status)
{
	const char	*out = cl->o->output;
	char		 base[PATH_MAX], *local;
	struct stat	 st;
	size_t		 n;
	int		 into;

	remote_base(cl->o->path, base, sizeof(base));
	into = out != NULL && ((n = strlen(out)) > 0 && (out[n - 1] == '/' ||
	    (stat(out, &st) == 0 && S_ISDIR(st.st_mode))));
	if ((out == NULL || into) && (*base == '\0' ||
	    strcmp(base, ".") == 0 || strcmp(base, "..") == 0)) {
		cmd_err(CMD, "no local name in '%s': use -o LOCAL",
		    cl->o->path);
		*status = EXIT_USAGE;
		return NULL;
	}
	*status = EXIT_RUNTIME;
	if (out == NULL)
		local = strdup(base);
	else if (into) {
		if (asprintf(&local, "%s%s%s", out, out[strlen(out) - 1] ==
		    '/' ? "" : "/", base) == -1)
			local = NULL;
	} else
		local = strdup(out);
	if (local == NULL) {
		cmd_err(CMD, "out of memory");
		return NULL;
	}
	/* Found only after the whole file had come, this would waste it. */
	if (stat(local, &st) == 0 && S_ISDIR(st.st_mode)) {
		cmd_err(CMD, "%s: %s", local, strerror(EISDIR));
		free(local);
		return NULL;
	}
	return local;
}

/*
 * Where a symbolic link LOCAL leads, followed link by link (a relative
 * target from the link's own directory), so that get writes through it as
 * curl does: the real file's directory made absolute (realpath) and its
 * name, malloc'd; the part goes beside the real file and is renamed onto
 * it, and the link stays a link.  The real file need not exist yet.
 * NULL after a message.
 */
static char *
link_target(const char *local)
{
	char		 path[PATH_MAX], lk[PATH_MAX], dir[PATH_MAX];
	char		 rdir[PATH_MAX], *out, *slash;
	const char	*base;
	struct stat	 st;
	ssize_t		 n;
	size_t		 keep;
	int		 hops, e = 0;

	if (strlen(local) >= sizeof(path)) {
		e = ENAMETOOLONG;
		goto fail;
	}
	strcpy(path, local);
	for (hops = 0; ; hops++) {
		if (lstat(path, &st) == -1) {
			if (errno == ENOENT)
				break;
			e = errno;
			goto fail;
		}
		if (!S_ISLNK(st.st_mode))
			break;
		if (hops == 40) {
			e = ELOOP;
			goto fail;
		}
		if ((n = readlink(path, lk, sizeof(lk) - 1)) == -1) {
			e = errno;
			goto fail;
		}
		lk[n] = '\0';
		slash = strrchr(path, '/');
		keep = lk[0] == '/' || slash == NULL ? 0 :
		    (size_t)(slash - path) + 1;
		if (keep + (size_t)n >= sizeof(path)) {
			e = ENAMETOOLONG;
			goto fail;
		}
		memcpy(path + keep, lk, (size_t)n + 1);
	}
	/* path: the real file, or the name it is to have. */
	if ((slash = strrchr(path, '/')) == NULL) {
		strcpy(dir, ".");
		base = path;
	} else {
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
		if (*dir == '\0')
			strcpy(dir, "/");
		base = slash + 1;
	}
	if (*base == '\0' || strcmp(base, ".") == 0 ||
	    strcmp(base, "..") == 0) {
		e = EISDIR;
		goto fail;
	}
	if (realpath(dir, rdir) == NULL) {
		e = errno;
		goto fail;
	}
	if (asprintf(&out, "%s%s%s", rdir, strcmp(rdir, "/") == 0 ? "" : "/",
	    base) == -1) {
		cmd_err(CMD, "out of memory");
		return NULL;
	}
	return out;
fail:
	cmd_err(CMD, "%s: %s", local, strerror(e));
	return NULL;
}

/*
 * One get per local name at a time: a lock on the partial file, which
 * the system drops when the process ends however it ends.  0, or -1.
 */
static int
lock_part(int fd)
{
	struct flock	fl;

	memset(&fl, 0, sizeof(fl));
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	return fcntl(fd, F_SETLK, &fl);
}

/*
 * The partial file of an earlier get, opened and locked: its fd, or -1
 * with *none set when there is none, or -1 after a message.
 */
static int
open_part(struct client *cl, const char *local, const char *tmp, int create,
    int *none)
{
	struct stat	st;
	int		fd, e;

	*none = 0;
	fd = open(tmp, O_RDWR | O_NOFOLLOW | O_CLOEXEC |
	    (create ? O_CREAT | O_EXCL : 0), 0644);
	if (fd == -1 && errno == ENOENT && !create) {
		*none = 1;
		return -1;
	}
	if (fd == -1 && (errno == EEXIST || errno == ELOOP)) {
		/* Made meanwhile, or a symbolic link: not ours to follow. */
		cl_err(cl, "%s: %s is in the way: %s", local, tmp,
		    errno == EEXIST ? "another get made it" :
		    "a symbolic link");
		return -1;
	}
	if (fd == -1) {
		cl_err(cl, "%s: %s", local, strerror(errno));
		return -1;
	}
	if (lock_part(fd) == -1 || fstat(fd, &st) == -1 ||
	    !S_ISREG(st.st_mode)) {
		e = errno;
		close(fd);
		if (e == EACCES || e == EAGAIN)
			cl_err(cl, "%s: another fileserve get is writing it",
			    local);
		else
			cl_err(cl, "%s: %s is in the way: not a regular file",
			    local, tmp);
		return -1;
	}
	return fd;
}

/*
 * get's local side: the name written (-o, a directory's entry, where a
 * link leads), or standard output, or a device or FIFO written straight
 * into.  0, or the exit status after a message.
 */
static int
get_local(struct client *cl, struct get *g)
{
	const struct fs_opts	*o = cl->o;
	struct stat		 st;
	char			*real;
	int			 status;

	g->to_stdout = o->output != NULL && strcmp(o->output, "-") == 0;
	if (!g->to_stdout && (g->local = local_name(cl, &status)) == NULL)
		return status;
	/*
	 * A device, a FIFO or a socket (links followed) is written straight
	 * into, as standard output is: no part, no resume, no rename, which
	 * would put a regular file in its place.  A symbolic link to a
	 * regular file, or to a name not there yet, is written through.
	 */
	g->stream = g->to_stdout;
	if (!g->to_stdout) {
		if (stat(g->local, &st) == 0 && !S_ISREG(st.st_mode))
			g->stream = 1;
		else if (lstat(g->local, &st) == 0 && S_ISLNK(st.st_mode)) {
			if ((real = link_target(g->local)) == NULL)
				return EXIT_RUNTIME;
			free(g->local);
			g->local = real;
		}
	}
	g->where = g->to_stdout ? "stdout" : g->local;
	cl->what = g->to_stdout ? base_name(o->path) : base_name(g->local);
	return 0;
}

/*
 * Ask for the file: STAT it, resume the part of an earlier get (hashed
 * now: it is verified too), GET the rest.  0, or -1 after a message.
 */
static int
get_start(struct client *cl, struct get *g)
{
	const struct fs_opts	*o = cl->o;
	struct sk_fs_reply	 r;
	struct stat		 st;
	char			 sp[SHOWMAX];
	int			 none;

	sk_hash_init(&g->h);
	if (posix_memalign((void **)&g->buf, PAGE_ALIGN, CHUNK) != 0)
		g->buf = NULL;
	if (g->buf == NULL || (!g->stream && asprintf(&g->tmp, "%s" PART,
	    g->local) == -1)) {
		cl_err(cl, "out of memory");
		g->tmp = NULL;
		return -1;
	}
	if (connect_hello(cl) == -1 || send_req(cl, SK_FS_STAT, 0,
	    o->path) == -1 || expect_ok(cl, SK_FS_R_STAT, &r) == -1)
		return -1;
	if (r.type != 'f') {
		cl_err(cl, "%s: not a regular file", fs_shown(sp, sizeof(sp),
		    o->path, strlen(o->path)));
		return -1;
	}
	g->size = r.size;
	/*
	 * Only now, the server having the file, is there anything to write:
	 * a failed get leaves no empty partial file behind.
	 */
	if (!g->stream) {
		g->fd = open_part(cl, g->local, g->tmp, 0, &none);
		if (g->fd == -1 && !none)
			return -1;
		if (g->fd != -1 && fstat(g->fd, &st) == 0 && !o->no_resume &&
		    st.st_size <= g->size)
			g->resumed = st.st_size;
		/* (Longer than the file: not a part of it.  Start over.) */
		if (g->resumed > 0 && hash_local(&g->h, g->fd, g->resumed,
		    g->buf) == -1) {
			cl_err(cl, "%s: %s", g->local, strerror(errno));
			return -1;
		}
	}
	if (send_req(cl, SK_FS_GET, g->resumed, o->path) == -1 ||
	    expect_ok(cl, SK_FS_R_GET, &r) == -1)
		return -1;
	/* The size must be the one STAT gave: no more is written. */
	if (r.size != g->size) {
		cl_err(cl, "a malformed reply from the server");
		return -1;
	}
	return 0;
}

/* Where the bytes go: g->fd, positioned.  0, or -1 after a message. */
static int
get_open(struct client *cl, struct get *g)
{
	int	none;

	if (g->to_stdout)
		g->fd = STDOUT_FILENO;
	else if (g->stream) {
		/* As it is: no O_CREAT, no O_TRUNC, never a new tty. */
		if ((g->fd = open(g->local, O_WRONLY | O_NOCTTY |
		    O_CLOEXEC)) == -1) {
			cl_err(cl, "%s: %s", g->local, strerror(errno));
			return -1;
		}
	} else {
		if (g->fd == -1) {
			g->made = 1;
			if ((g->fd = open_part(cl, g->local, g->tmp, 1,
			    &none)) == -1)
				return -1;
		}
		if ((g->resumed == 0 && ftruncate(g->fd, 0) == -1) ||
		    lseek(g->fd, (off_t)g->resumed, SEEK_SET) == -1) {
			cl_err(cl, "%s: %s", g->local, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* The bytes, written by a second thread: 0, or -1 after a message. */
static int
get_body(struct client *cl, struct get *g)
{
	struct sk_wb	*w;
	char		 err[SK_ERRLEN];
	long long	 got;
	int		 rc, e;

	if (get_open(cl, g) == -1)
		return -1;
	if ((w = sk_wb_new(err, g->fd, CHUNK, WBUFS)) == NULL) {
		cl_err(cl, "%s", err);
		return -1;
	}
	got = g->resumed;
	rc = recv_body(cl, w, &got, g->size, &g->h);
	e = errno;
	if (sk_wb_close(w) == -1) {
		if (g->to_stdout && errno == EPIPE) {
			end_progress(cl);
			cmd_stdout_gone();	/* quiet: cmd_exit() */
		} else
			cl_err(cl, "%s: %s", g->where, strerror(errno));
		return -1;
	}
	if (rc == -1) {
		cl_err(cl, "the transfer was cut at %lld of %lld bytes%s%s%s",
		    got, g->size, e != 0 ? ": " : "", e != 0 ? why(cl, e) : "",
		    g->stream ? "" : ": run again to resume");
		return -1;
	}
	progress(cl, g->size, g->size, 1);
	return 0;
}

/*
 * The SUM trailer: 0 when it matches, or -1 after a message (a
 * mismatched part is removed; one the server could not vouch for, an
 * ERR or a trailer it garbled, is kept for a resume to check).
 */
static int
get_check(struct client *cl, struct get *g)
{
	const char		*path = cl->o->path;
	struct sk_fs_reply	 r;
	char			 sp[SHOWMAX], sw[SHOWMAX];
	int			 rc = -1;

	if (recv_line(cl) == 0 && (rc = sk_fs_parse_reply(cl->line, cl->len,
	    SK_FS_R_SUM, &r)) == -1 && !g->stream)
		bad_reply(cl, &r);
	if (rc == -1) {
		/* On stdout, the bytes have gone and cannot be taken back. */
		if (g->stream)
			cl_err(cl, "%s: not verified: what went to %s may "
			    "not be the server's file", fs_shown(sp,
			    sizeof(sp), path, strlen(path)),
			    fs_shown(sw, sizeof(sw), g->where,
			    strlen(g->where)));
		return -1;
	}
	if (r.err != 0) {
		/* The file changed as it was sent: keep what came. */
		server_err(cl, &r);
		return -1;
	}
	if (r.sum == sk_hash_final(&g->h))
		return 0;
	cl_err(cl, "checksum mismatch for %s%s%s%s", fs_shown(sp, sizeof(sp),
	    path, strlen(path)), g->stream ? ": what went to " : "",
	    g->stream ? fs_shown(sw, sizeof(sw), g->where,
	    strlen(g->where)) : "", g->stream ? " is not the server's "
	    "file: do not use it" : g->resumed > 0 ? ": the partial file "
	    "was corrupt; removed, run again" : ": removed");
	if (!g->stream)
		(void)sk_path_part_drop(AT_FDCWD, g->tmp, g->fd);
	return -1;
}

/* Verified: the part renamed into place.  0, or -1 after a message. */
static int
get_finish(struct client *cl, struct get *g)
{
	char	sp[SHOWMAX];

	if (get_check(cl, g) == -1)
		return -1;
	/*
	 * Never renamed over anything but a regular file (a device, FIFO or
	 * link put there meanwhile stays, and so does what came), and what
	 * is renamed is the part verified, not a name put there.
	 */
	if (!g->stream && sk_path_commit(AT_FDCWD, g->fd, g->tmp,
	    g->local) == -1) {
		if (errno == EEXIST)
			cl_err(cl, "%s: not a regular file any more: not "
			    "replaced; what came is in %s", g->local, g->tmp);
		else if (errno == ESTALE)
			cl_err(cl, "%s: %s was replaced or removed meanwhile: "
			    "not renamed into place", g->local, g->tmp);
		else
			cl_err(cl, "%s: %s", g->local, strerror(errno));
		return -1;
	}
	if (cl->o->c.verbose)
		cmd_err(CMD, "%s: %lld bytes (%lld resumed) in %.3f s, "
		    "verified", fs_shown(sp, sizeof(sp), g->where,
		    strlen(g->where)), g->size, g->resumed,
		    (double)(sk_clock_ms() - cl->start_ms) / 1000);
	return 0;
}

static int
client_get(struct client *cl)
{
	struct get	g;
	struct stat	st;
	int		status;

	memset(&g, 0, sizeof(g));
	g.fd = -1;
	if ((status = get_local(cl, &g)) == 0) {
		status = EXIT_RUNTIME;
		if (get_start(cl, &g) == 0 && get_body(cl, &g) == 0 &&
		    get_finish(cl, &g) == 0)
			status = 0;
	}
	end_progress(cl);
	if (g.fd != -1 && !g.to_stdout) {
		/* (made is never set when stream: no part.) */
		/* Made by this get, and nothing came: not worth keeping. */
		if (status != 0 && g.made && fstat(g.fd, &st) == 0 &&
		    st.st_size == 0)
			(void)sk_path_part_drop(AT_FDCWD, g.tmp, g.fd);
		close(g.fd);
	}
	free(g.local);
	free(g.tmp);
	free(g.buf);
	return status;
}

/*
 * Send bytes [at, at + n) of the local file fd: with sendfile on Linux,
 * straight from the page cache (the kernel hands its pages to the socket;
 * nothing is copied on the way out), else through buf.  Each wait for
 * room is bounded by -w.  0, or -1 with errno (EIO: the file shrank).
 */
static int
send_range(struct client *cl, int fd, long long at, long long n,
    uint8_t *buf)
{
	struct pollfd	pfd;
	ssize_t		k;
	int		rc;

#ifdef __linux__
	off_t	o = (off_t)at;

	while (n > 0 && !cl->no_sendfile) {
		k = sendfile(cl->fd, fd, &o, (size_t)n);
		if (k > 0) {
			n -= k;
			continue;
		}
		if (k == 0) {
			errno = EIO;
			return -1;
		}
		if (errno == EINTR)
			continue;
		if (errno == EINVAL || errno == ENOSYS) {
			/* A file system that cannot: read it, then. */
			cl->no_sendfile = 1;
			break;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		pfd.fd = cl->fd;
		pfd.events = POLLOUT;
		if ((rc = poll(&pfd, 1, cl->ms)) == 0) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (rc == -1 && errno != EINTR)
			return -1;
	}
	at = (long long)o;
#endif
	(void)pfd;
	(void)rc;
	for (; n > 0; at += k, n -= k) {
		k = pread(fd, buf, n < CHUNK ? (size_t)n : CHUNK, (off_t)at);
		if (k <= 0) {
			if (k == 0)
				errno = EIO;
			return -1;
		}
		if (sk_net_send_all(NULL, cl->fd, buf, (size_t)k,
		    cl->ms) == -1)
			return -1;
	}
	return 0;
}

/* Did the local file change while it was sent?  (size, mtime, ctime) */
static int
changed(int fd, const struct stat *was)
{
	struct stat	st;

	return fstat(fd, &st) == -1 || st.st_size != was->st_size ||
	    st.st_mtim.tv_sec != was->st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != was->st_mtim.tv_nsec ||
	    st.st_ctim.tv_sec != was->st_ctim.tv_sec ||
	    st.st_ctim.tv_nsec != was->st_ctim.tv_nsec;
}

/*
 * put's remote name, malloc'd: REMOTE_PATH, else the local file's last
 * component; a remote directory (or a name ending in '/') gets that
 * component inside it, as scp and cp do.  NULL after a message.
 */
static char *
remote_name(struct client *cl)
{
	const char		*path = cl->o->path, *base = base_name(cl->o->local);
	struct sk_fs_reply	 r;
	char			*remote = NULL;
	size_t			 n;
	int			 into, rc;

	n = path != NULL ? strlen(path) : 0;
	if (path != NULL && !(into = n > 0 && path[n - 1] == '/')) {
		if (send_req(cl, SK_FS_STAT, 0, path) == -1 ||
		    (rc = recv_reply(cl, SK_FS_R_STAT, &r)) == -1)
			return NULL;
		into = rc == 1 && r.type == 'd';
	}
	if (path == NULL)
		remote = strdup(base);
	else if (!into)
		remote = strdup(path);
	else if (asprintf(&remote, "%s%s%s", path, n > 0 && path[n - 1] ==
	    '/' ? "" : "/", base) == -1)
		remote = NULL;
	if (remote == NULL)
		cl_err(cl, "out of memory");
	return remote;
}

/*
 * The local file put sends: a regular file, read blocking; its fd and
 * stat, or -1 after a message.  Nonblocking to open, so that a FIFO
 * cannot hold the open for ever (nor a device take a terminal).
 */
static int
put_open(const char *local, struct stat *st)
{
	int	fd, reg = -1;	/* unknown until fstat */

	if ((fd = open(local, O_RDONLY | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC)) == -1 || fstat(fd, st) == -1 ||
	    !(reg = S_ISREG(st->st_mode)) ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == -1) {
		cmd_err(CMD, "%s: %s", local, reg == 0 ?
		    "not a regular file" : strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	return fd;
}

/*
 * Bytes [off, size) of fd, each piece hashed just before it goes, then
 * sent with sendfile from the page cache: the file is read once, and the
 * socket is given its pages, not a copy.  0, or -1 after a message.
 */
static int
put_body(struct client *cl, int fd, long long off, long long size,
    struct sk_hash *h, uint8_t *buf)
{
	const char	*local = cl->o->local;
	long long	 at, n;

	for (at = off; at < size; at += n) {
		n = size - at < UPCHUNK ? size - at : UPCHUNK;
		if (fs_hash_pread(h, fd, (off_t)at, (off_t)n, buf) == -1) {
			cl_err(cl, "%s: %s", local, errno == EIO ?
			    "it shrank while it was sent" : strerror(errno));
			return -1;
		}
		if (send_range(cl, fd, at, n, buf) == -1) {
			if (errno == EIO)
				cl_err(cl, "%s: it shrank while it was sent",
				    local);
			else
				cl_err(cl, "the transfer was cut at %lld of "
				    "%lld bytes: %s: run again to resume", at,
				    size, why(cl, errno));
			return -1;
		}
		progress(cl, at + n, size, 0);
	}
	progress(cl, size, size, 1);
	return 0;
}

static int
client_put(struct client *cl)
{
	const struct fs_opts	*o = cl->o;
	struct sk_fs_reply	 r;
	char			*remote = NULL, sp[SHOWMAX];
	char			 hex[SK_FS_SUMHEX + 1];
	uint8_t			*buf = NULL;
	struct sk_hash		 h;
	struct stat		 st;
	long long		 off;
	int			 fd, status = EXIT_RUNTIME;

	if ((fd = put_open(o->local, &st)) == -1)
		return EXIT_RUNTIME;
	cl->what = base_name(o->local);
	if (posix_memalign((void **)&buf, PAGE_ALIGN, CHUNK) != 0) {
		cl_err(cl, "out of memory");
		buf = NULL;
		goto out;
	}
	if (connect_hello(cl) == -1 || (remote = remote_name(cl)) == NULL)
		goto out;
	if (send_req(cl, SK_FS_PUT, (long long)st.st_size, remote) == -1 ||
	    expect_ok(cl, SK_FS_R_PUT, &r) == -1)
		goto out;
	if ((off = r.num) > st.st_size) {
		cl_err(cl, "a malformed reply from the server");
		goto out;
	}
	sk_hash_init(&h);
	if (off > 0 && hash_local(&h, fd, off, buf) == -1) {
		cl_err(cl, "%s: %s", o->local, strerror(errno));
		goto out;
	}
	if (put_body(cl, fd, off, (long long)st.st_size, &h, buf) == -1)
		goto out;
	/*
	 * What went must be one version of the file: a file written to
	 * meanwhile would be verified as a mixture of two.  No SUM then; the
	 * server keeps the part, and the next put's check sorts it out.
	 */
	if (changed(fd, &st)) {
		cl_err(cl, "%s changed while it was sent: run again",
		    o->local);
		goto out;
	}
	sk_fs_sum_hex(hex, sk_hash_final(&h));
	if (send_req(cl, SK_FS_SUM, 0, hex) == -1 ||
	    expect_ok(cl, SK_FS_R_DONE, &r) == -1)
		goto out;
	if (o->c.verbose)
		cmd_err(CMD, "%s: %lld bytes (%lld resumed) in %.3f s, "
		    "verified", fs_shown(sp, sizeof(sp), remote, strlen(remote)),
		    (long long)st.st_size, off,
		    (double)(sk_clock_ms() - cl->start_ms) / 1000);
	status = 0;
out:
	end_progress(cl);
	close(fd);
	free(remote);
	free(buf);
	return status;
}

/* One listing entry on stdout, as ls -l or as JSON. */
static void
ls_show(const struct client *cl, const struct sk_fs_reply *e)
{
	char		when[32];
	time_t		t;
	struct tm	tm;
	char		type = e->type;

	if (cl->o->c.json) {
		/* JSON-escaped; the name's bytes are kept. */
		printf("{\"name\":\"");
		cmd_json_strn(stdout, e->text, e->text_len);
		printf("\",\"type\":\"%s\",\"size\":%lld,\"mtime\":%lld}\n",
		    type == 'f' ? "file" : type == 'd' ? "dir" : type == 'l' ?
		    "link" : "other", e->size, e->mtime);
		return;
	}
	t = (time_t)e->mtime;
	if (localtime_r(&t, &tm) == NULL ||
	    strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm) == 0)
		snprintf(when, sizeof(when), "%16s", "?");
	/*
	 * The server's bytes: escaped, '\' too, so that a name holding a
	 * newline or an escape cannot forge a line or drive the terminal,
	 * and the listing is unambiguous.
	 */
	printf("%c %12lld  %s  ", type == 'f' ? '-' : type, e->size, when);
	cmd_put_text(stdout, e->text, e->text_len, SK_TEXT_BACKSLASH);
	printf("%s\n", type == 'd' ? "/" : "");
}

static int
client_ls(struct client *cl)
{
	struct sk_fs_reply	r, e;
	long long		i;

	if (connect_hello(cl) == -1 || send_req(cl, SK_FS_LS, 0,
	    cl->o->path) == -1 || expect_ok(cl, SK_FS_R_LS, &r) == -1)
		return EXIT_RUNTIME;
	for (i = 0; i < r.num; i++) {
		/* "<type> <size> <mtime> <name>": a name has no NUL. */
		if (recv_line(cl) == -1)
			return EXIT_RUNTIME;
		if (sk_fs_parse_reply(cl->line, cl->len, SK_FS_R_ENTRY,
		    &e) == -1) {
			cl_err(cl, "a malformed listing");
			return EXIT_RUNTIME;
		}
		ls_show(cl, &e);
		if (cmd_flush_stdout(CMD) == -1)
			return EXIT_RUNTIME;
	}
	return cmd_finish_stdout(CMD);
}

int
fs_client(const struct fs_opts *o)
{
	struct client	cl;
	int		status;

	memset(&cl, 0, sizeof(cl));
	cl.o = o;
	cl.fd = -1;
	cl.ms = (int)o->wait_ms;
	cl.what = "";
	client_signals();
	status = o->action == A_GET ? client_get(&cl) :
	    o->action == A_PUT ? client_put(&cl) : client_ls(&cl);
	client_fd = -1;
	if (cl.fd != -1)
		close(cl.fd);
	/* Cut short by a signal: cleaned up; cmd_exit() dies by it. */
	return status;
}
