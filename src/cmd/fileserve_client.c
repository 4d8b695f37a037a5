/*
 * fileserve_client.c - sockkit fileserve get, put and ls: one connection
 * each, blocking, every wait bounded by -w.  This part holds what the
 * clients share (the connection, requests and replies through
 * sockkit/fsproto.h, signals, progress), put (sent with sendfile) and ls;
 * get is fileserve_client_get.c's.
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

/* The last component of a path (for default local and remote names). */
const char *
fs_base_name(const char *p)
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
void
fs_end_progress(struct client *cl)
{
	if (cl->onscreen) {
		fputc('\n', stderr);
		cl->onscreen = 0;
	}
}

void
fs_cl_err(struct client *cl, const char *fmt, ...)
{
	char	msg[1024];
	va_list	ap;

	fs_end_progress(cl);
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
const char *
fs_why(const struct client *cl, int e)
{
	static char	msg[96];

	if (e != ETIMEDOUT && e != EAGAIN && e != EWOULDBLOCK)
		return strerror(e);
	snprintf(msg, sizeof(msg), "no reply from the server within %g s "
	    "(-w)", (double)cl->ms / 1000);
	return msg;
}

/* Send one request (fsproto.h formats it): 0, or -1 after a message. */
int
fs_send_req(struct client *cl, enum sk_fs_verb verb, long long num,
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
		fs_cl_err(cl, "request too long");
		return -1;
	}
	sk_buf_init(&b, 0);
	if (sk_fs_req_format(&b, &req) == -1) {
		sk_buf_release(&b);
		fs_cl_err(cl, "request too long");
		return -1;
	}
	rc = sk_net_send_all(NULL, cl->fd, sk_buf_data(&b), sk_buf_len(&b),
	    cl->ms) == -1 ? -1 : 0;
	sk_buf_release(&b);
	if (rc == -1)
		fs_cl_err(cl, "send: %s", fs_why(cl, errno));
	return rc;
}

/* Receive one control frame into cl->line; -1 after a message. */
int
fs_recv_line(struct client *cl)
{
	uint32_t	n;

	if (sk_frame_recv(NULL, cl->fd, cl->line, sizeof(cl->line),
	    SK_FS_CTLMAX, cl->ms, &n) == -1) {
		if (errno == ETIMEDOUT || errno == EAGAIN)
			fs_cl_err(cl, "%s", fs_why(cl, errno));
		else if (errno == ECONNRESET)
			fs_cl_err(cl, "the server reset the connection");
		else if (errno == EMSGSIZE || errno == EPROTO)
			fs_cl_err(cl, "a malformed reply from the server");
		else
			fs_cl_err(cl, "the server closed the connection");
		return -1;
	}
	cl->len = n;
	return 0;
}

/* What a reply that sk_fs_parse_reply() refused is called. */
void
fs_bad_reply(struct client *cl, const struct sk_fs_reply *r)
{
	fs_cl_err(cl, r->err == -1 ? "an unexpected reply from the server" :
	    "a malformed reply from the server");
}

/*
 * The next reply, of kind: 1 for its OK form, 0 for an ERR, -1 after a
 * message for anything else.  r's views are into cl->line.
 */
static int
recv_reply(struct client *cl, enum sk_fs_kind kind, struct sk_fs_reply *r)
{
	if (fs_recv_line(cl) == -1)
		return -1;
	if (sk_fs_parse_reply(cl->line, cl->len, kind, r) == -1) {
		fs_bad_reply(cl, r);
		return -1;
	}
	return r->err == 0;
}

/* The server's error: its code and text, escaped (bytes from the net). */
void
fs_server_err(struct client *cl, const struct sk_fs_reply *r)
{
	char	sp[SHOWMAX * 2];

	fs_cl_err(cl, "server: %d%s%s", r->err, r->text_len > 0 ? " " : "",
	    fs_shown(sp, sizeof(sp) - 4, r->text, r->text_len));
}

/* Expect the OK form of kind into r; an ERR is reported as it came. */
int
fs_expect_ok(struct client *cl, enum sk_fs_kind kind, struct sk_fs_reply *r)
{
	int	rc;

	if ((rc = recv_reply(cl, kind, r)) == 1)
		return 0;
	if (rc == 0)
		fs_server_err(cl, r);
	return -1;
}

int
fs_connect(struct client *cl)
{
	struct sk_net_dial	dial;
	struct sk_fs_reply	r;
	char			err[SK_ERRLEN];

	memset(&dial, 0, sizeof(dial));
	dial.family = cl->o->c.family;
	dial.timeout_ms = cl->ms;
	if ((cl->fd = sk_net_connect(err, cl->o->host, cl->o->port,
	    &dial)) == -1) {
		fs_cl_err(cl, "%s", err);
		return -1;
	}
	client_fd = cl->fd;
	/* Requests and data are separate writes: no delayed-ACK stalls. */
	(void)sk_net_nodelay(NULL, cl->fd);
	cl->start_ms = sk_clock_ms();
	/* Nonblocking, so every wait below is bounded by -w. */
	if (sk_net_nonblock(err, cl->fd, 1) == -1) {
		fs_cl_err(cl, "%s", err);
		return -1;
	}
	if (fs_send_req(cl, SK_FS_HELLO, SK_FS_VERSION, NULL) == -1 ||
	    fs_expect_ok(cl, SK_FS_R_HELLO, &r) == -1)
		return -1;
	if (r.num != SK_FS_VERSION) {
		fs_cl_err(cl, "a malformed reply from the server");
		return -1;
	}
	return 0;
}

/*
 * Hash bytes [0, len) of a local file, a piece at a time so that a signal
 * is not kept waiting behind gigabytes: 0, or -1 with errno.
 */
int
fs_hash_local(struct sk_hash *h, int fd, long long len, uint8_t *buf)
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
void
fs_progress(struct client *cl, long long done, long long total, int last)
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
		fs_end_progress(cl);
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
	const char		*path = cl->o->path, *base = fs_base_name(cl->o->local);
	struct sk_fs_reply	 r;
	char			*remote = NULL;
	size_t			 n;
	int			 into, rc;

	n = path != NULL ? strlen(path) : 0;
	if (path != NULL && !(into = n > 0 && path[n - 1] == '/')) {
		if (fs_send_req(cl, SK_FS_STAT, 0, path) == -1 ||
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
		fs_cl_err(cl, "out of memory");
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
		if (sk_hash_pread(h, fd, (off_t)at, (off_t)n, buf, CHUNK) ==
		    -1) {
			fs_cl_err(cl, "%s: %s", local, errno == EIO ?
			    "it shrank while it was sent" : strerror(errno));
			return -1;
		}
		if (send_range(cl, fd, at, n, buf) == -1) {
			if (errno == EIO)
				fs_cl_err(cl, "%s: it shrank while it was sent",
				    local);
			else
				fs_cl_err(cl, "the transfer was cut at %lld of "
				    "%lld bytes: %s: run again to resume", at,
				    size, fs_why(cl, errno));
			return -1;
		}
		fs_progress(cl, at + n, size, 0);
	}
	fs_progress(cl, size, size, 1);
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
	cl->what = fs_base_name(o->local);
	if (posix_memalign((void **)&buf, PAGE_ALIGN, CHUNK) != 0) {
		fs_cl_err(cl, "out of memory");
		buf = NULL;
		goto out;
	}
	if (fs_connect(cl) == -1 || (remote = remote_name(cl)) == NULL)
		goto out;
	if (fs_send_req(cl, SK_FS_PUT, (long long)st.st_size, remote) == -1 ||
	    fs_expect_ok(cl, SK_FS_R_PUT, &r) == -1)
		goto out;
	if ((off = r.num) > st.st_size) {
		fs_cl_err(cl, "a malformed reply from the server");
		goto out;
	}
	sk_hash_init(&h);
	if (off > 0 && fs_hash_local(&h, fd, off, buf) == -1) {
		fs_cl_err(cl, "%s: %s", o->local, strerror(errno));
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
		fs_cl_err(cl, "%s changed while it was sent: run again",
		    o->local);
		goto out;
	}
	sk_fs_sum_hex(hex, sk_hash_final(&h));
	if (fs_send_req(cl, SK_FS_SUM, 0, hex) == -1 ||
	    fs_expect_ok(cl, SK_FS_R_DONE, &r) == -1)
		goto out;
	if (o->c.verbose)
		cmd_err(CMD, "%s: %lld bytes (%lld resumed) in %.3f s, "
		    "verified", fs_shown(sp, sizeof(sp), remote, strlen(remote)),
		    (long long)st.st_size, off,
		    (double)(sk_clock_ms() - cl->start_ms) / 1000);
	status = 0;
out:
	fs_end_progress(cl);
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

	if (fs_connect(cl) == -1 || fs_send_req(cl, SK_FS_LS, 0,
	    cl->o->path) == -1 || fs_expect_ok(cl, SK_FS_R_LS, &r) == -1)
		return EXIT_RUNTIME;
	for (i = 0; i < r.num; i++) {
		/* "<type> <size> <mtime> <name>": a name has no NUL. */
		if (fs_recv_line(cl) == -1)
			return EXIT_RUNTIME;
		if (sk_fs_parse_reply(cl->line, cl->len, SK_FS_R_ENTRY,
		    &e) == -1) {
			fs_cl_err(cl, "a malformed listing");
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
	status = o->action == A_GET ? fs_client_get(&cl) :
	    o->action == A_PUT ? client_put(&cl) : client_ls(&cl);
	client_fd = -1;
	if (cl.fd != -1)
		close(cl.fd);
	/* Cut short by a signal: cleaned up; cmd_exit() dies by it. */
	return status;
}
