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
#include <sockkit/frame.h>
#include <sockkit/hash.h>
#include <sockkit/loop.h>
#include <sockkit/net.h>
#include <sockkit/text.h>
#include <sockkit/wb.h>

#include "fileserve.h"


/* The last component of a path (for default local and remote names). */
static const char *
base_name(const char *p)
{
	const char	*s = strrchr(p, '/');

	return s != NULL && s[1] != '\0' ? s + 1 : p;
}

struct client {
	const struct fs_opts	*o;
	int			 fd;
	int			 ms;		/* -w */
	char			 line[CTLMAX + 1];
	size_t			 len;		/* of line */
	long long		 start_ms;
	long long		 shown_ms;
	const char		*what;		/* the file, for progress */
	int			 onscreen;	/* a progress line, not ended */
	int			 no_sendfile;	/* put: read and send instead */
};

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

static int
send_line(struct client *cl, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
send_line(struct client *cl, const char *fmt, ...)
{
	struct sk_buf	b;
	char		line[PATH_MAX + 64];
	va_list		ap;
	int		n, rc;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		cl_err(cl, "request too long");
		return -1;
	}
	sk_buf_init(&b, 0);
	rc = sk_frame_encode(&b, line, (size_t)n) == -1 ||
	    sk_net_send_all(NULL, cl->fd, sk_buf_data(&b), sk_buf_len(&b),
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
	uint8_t		hdr[SK_FRAME_HDRLEN];
	uint32_t	n;

	ssize_t		k;

	if ((k = sk_net_recv_exact(NULL, cl->fd, hdr, sizeof(hdr),
	    cl->ms)) != sizeof(hdr)) {
		if (k == -1 && (errno == ETIMEDOUT || errno == EAGAIN))
			cl_err(cl, "%s", why(cl, errno));
		else if (k == -1 && errno == ECONNRESET)
			cl_err(cl, "the server reset the connection");
		else
			cl_err(cl, "the server closed the connection");
		return -1;
	}
	n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
	    (uint32_t)hdr[2] << 8 | hdr[3];
	if (n > CTLMAX || sk_net_recv_exact(NULL, cl->fd, cl->line, n,
	    cl->ms) != (ssize_t)n) {
		cl_err(cl, "a malformed reply from the server");
		return -1;
	}
	cl->line[n] = '\0';
	cl->len = n;
	return 0;
}

/*
 * The next reply: 1 for "OK ..." (*rest: what follows), 0 for "ERR ..."
 * (*rest: its code and text, the server's bytes), -1 after a message for
 * anything else.
 */
static int
recv_reply(struct client *cl, const char **rest)
{
	if (recv_line(cl) == -1)
		return -1;
	if (strncmp(cl->line, "OK", 2) == 0 &&
	    (cl->line[2] == '\0' || cl->line[2] == ' ')) {
		*rest = cl->line + (cl->line[2] ? 3 : 2);
		return 1;
	}
	if (strncmp(cl->line, "ERR ", 4) == 0) {
		*rest = cl->line + 4;
		return 0;
	}
	cl_err(cl, "an unexpected reply from the server");
	return -1;
}

/* The server's error text, escaped: it is bytes from the network. */
static void
server_err(struct client *cl, const char *text)
{
	char	sp[SHOWMAX * 2];

	cl_err(cl, "server: %s", fs_shown(sp, sizeof(sp), text, strlen(text)));
}

/* Expect "OK ..."; an ERR is reported as it came.  Returns the rest. */
static const char *
expect_ok(struct client *cl)
{
	const char	*rest;
	int		 rc;

	if ((rc = recv_reply(cl, &rest)) == 1)
		return rest;
	if (rc == 0)
		server_err(cl, rest);
	return NULL;
}

/*
 * Take a whole decimal number from *p (negative only if neg), followed by
 * a space or the end: 0 with *p past it, or -1.  Replies are parsed this
 * strictly: the client trusts no size it cannot read exactly.
 */
static int
take_num(const char **p, int neg, long long *v)
{
	const char	*d = *p + (neg && **p == '-');
	char		*end;

	if (*d < '0' || *d > '9')
		return -1;
	errno = 0;
	*v = strtoll(*p, &end, 10);
	if (errno != 0 || (*end != ' ' && *end != '\0'))
		return -1;
	*p = *end == ' ' ? end + 1 : end;
	return 0;
}

/* "<type> <size> <mtime>" (STAT) into its parts: 0, or -1. */
static int
parse_stat(const char *p, char *type, long long *size, long long *mtime)
{
	if (strchr("fdlo", p[0]) == NULL || p[0] == '\0' || p[1] != ' ')
		return -1;
	*type = p[0];
	p += 2;
	return take_num(&p, 0, size) == -1 || take_num(&p, 1, mtime) == -1 ||
	    *p != '\0' ? -1 : 0;
}

static int
connect_hello(struct client *cl)
{
	struct sk_net_dial	dial;
	const char		*rest;
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
	cl->start_ms = sk_loop_now_ms();
	/* Nonblocking, so every wait below is bounded by -w. */
	if (sk_net_nonblock(err, cl->fd, 1) == -1) {
		cl_err(cl, "%s", err);
		return -1;
	}
	if (send_line(cl, "HELLO %d", VERSION) == -1 ||
	    (rest = expect_ok(cl)) == NULL)
		return -1;
	if (strcmp(rest, "1") != 0) {
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
	long long	now = sk_loop_now_ms(), ms, eta;
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

static int
client_get(struct client *cl)
{
	const struct fs_opts	*o = cl->o;
	const char		*rest, *where;
	char			*local = NULL, *tmp = NULL, *real, sum[32];
	char			 sp[SHOWMAX], sw[SHOWMAX];
	uint8_t			*buf = NULL;
	struct sk_hash		 h;
	struct sk_wb		*w;
	struct stat		 st, lst;
	long long		 size, gsize, mtime, got, resumed = 0;
	int			 fd = -1, to_stdout, made = 0, none, rc, e;
	int			 stream;
	int			 status = EXIT_RUNTIME;
	char			 type, err[SK_ERRLEN];

	to_stdout = o->output != NULL && strcmp(o->output, "-") == 0;
	if (!to_stdout && (local = local_name(cl, &status)) == NULL)
		return status;
	/*
	 * A device, a FIFO or a socket (links followed) is written straight
	 * into, as standard output is: no part, no resume, no rename, which
	 * would put a regular file in its place.  A symbolic link to a
	 * regular file, or to a name not there yet, is written through.
	 */
	stream = to_stdout;
	if (!to_stdout) {
		if (stat(local, &st) == 0 && !S_ISREG(st.st_mode))
			stream = 1;
		else if (lstat(local, &st) == 0 && S_ISLNK(st.st_mode)) {
			if ((real = link_target(local)) == NULL) {
				free(local);
				return EXIT_RUNTIME;
			}
			free(local);
			local = real;
		}
	}
	where = to_stdout ? "stdout" : local;
	cl->what = to_stdout ? base_name(o->path) : base_name(local);
	sk_hash_init(&h);
	if (posix_memalign((void **)&buf, PAGE_ALIGN, CHUNK) != 0)
		buf = NULL;
	if (buf == NULL || (!stream && asprintf(&tmp, "%s" PART,
	    local) == -1)) {
		cl_err(cl, "out of memory");
		tmp = NULL;
		goto out;
	}
	if (connect_hello(cl) == -1 || send_line(cl, "STAT %s",
	    o->path) == -1 || (rest = expect_ok(cl)) == NULL)
		goto out;
	if (parse_stat(rest, &type, &size, &mtime) == -1) {
		cl_err(cl, "a malformed reply from the server");
		goto out;
	}
	if (type != 'f') {
		cl_err(cl, "%s: not a regular file", fs_shown(sp, sizeof(sp),
		    o->path, strlen(o->path)));
		goto out;
	}
	/*
	 * Only now, the server having the file, is there anything to write:
	 * a failed get leaves no empty partial file behind.  One from an
	 * earlier get is resumed, and the part already here is verified too:
	 * hash it now.
	 */
	if (!stream) {
		fd = open_part(cl, local, tmp, 0, &none);
		if (fd == -1 && !none)
			goto out;
		if (fd != -1 && fstat(fd, &st) == 0 && !o->no_resume &&
		    st.st_size <= size)
			resumed = st.st_size;
		/* (Longer than the file: not a part of it.  Start over.) */
		if (resumed > 0 && hash_local(&h, fd, resumed, buf) == -1) {
			cl_err(cl, "%s: %s", local, strerror(errno));
			goto out;
		}
	}
	if (send_line(cl, "GET %lld %s", resumed, o->path) == -1 ||
	    (rest = expect_ok(cl)) == NULL)
		goto out;
	/* The size must be the one STAT gave: no more is written. */
	if (take_num(&rest, 0, &gsize) == -1 || take_num(&rest, 1,
	    &mtime) == -1 || *rest != '\0' || gsize != size) {
		cl_err(cl, "a malformed reply from the server");
		goto out;
	}
	if (to_stdout)
		fd = STDOUT_FILENO;
	else if (stream) {
		/* As it is: no O_CREAT, no O_TRUNC, never a new tty. */
		if ((fd = open(local, O_WRONLY | O_NOCTTY | O_CLOEXEC)) == -1) {
			cl_err(cl, "%s: %s", local, strerror(errno));
			goto out;
		}
	} else {
		if (fd == -1) {
			made = 1;
			if ((fd = open_part(cl, local, tmp, 1, &none)) == -1)
				goto out;
		}
		if ((resumed == 0 && ftruncate(fd, 0) == -1) ||
		    lseek(fd, (off_t)resumed, SEEK_SET) == -1) {
			cl_err(cl, "%s: %s", local, strerror(errno));
			goto out;
		}
	}
	if ((w = sk_wb_new(err, fd, CHUNK, WBUFS)) == NULL) {
		cl_err(cl, "%s", err);
		goto out;
	}
	got = resumed;
	rc = recv_body(cl, w, &got, size, &h);
	e = errno;
	if (sk_wb_close(w) == -1) {
		if (to_stdout && errno == EPIPE) {
			end_progress(cl);
			cmd_stdout_gone();	/* quiet: cmd_exit() */
		} else
			cl_err(cl, "%s: %s", where, strerror(errno));
		goto out;
	}
	if (rc == -1) {
		cl_err(cl, "the transfer was cut at %lld of %lld bytes%s%s%s",
		    got, size, e != 0 ? ": " : "", e != 0 ? why(cl, e) : "",
		    stream ? "" : ": run again to resume");
		goto out;
	}
	progress(cl, size, size, 1);
	if (recv_line(cl) == -1) {
		/* On stdout, the bytes have gone and cannot be taken back. */
		if (stream)
			cl_err(cl, "%s: not verified: what went to %s may "
			    "not be the server's file", fs_shown(sp,
			    sizeof(sp), o->path, strlen(o->path)),
			    fs_shown(sw, sizeof(sw), where, strlen(where)));
		goto out;
	}
	if (strncmp(cl->line, "ERR ", 4) == 0) {
		/* The file changed as it was sent: keep what came. */
		server_err(cl, cl->line + 4);
		goto out;
	}
	snprintf(sum, sizeof(sum), "SUM %016" PRIx64, sk_hash_final(&h));
	if (strcmp(cl->line, sum) != 0) {
		cl_err(cl, "checksum mismatch for %s%s%s%s", fs_shown(sp,
		    sizeof(sp), o->path, strlen(o->path)), stream ?
		    ": what went to " : "", stream ? fs_shown(sw, sizeof(sw),
		    where, strlen(where)) : "", stream ? " is not the server's "
		    "file: do not use it" : resumed > 0 ? ": the partial file "
		    "was corrupt; removed, run again" : ": removed");
		if (!stream)
			(void)unlink(tmp);
		goto out;
	}
	/*
	 * Never renamed over anything but a regular file: a device, FIFO or
	 * link put there meanwhile stays, and so does what came.
	 */
	if (!stream && lstat(local, &st) == 0 && !S_ISREG(st.st_mode)) {
		cl_err(cl, "%s: not a regular file any more: not replaced; "
		    "what came is in %s", local, tmp);
		goto out;
	}
	/* And what is renamed is the part verified, not a name put there. */
	if (!stream && (fstat(fd, &st) == -1 || lstat(tmp, &lst) == -1 ||
	    st.st_dev != lst.st_dev || st.st_ino != lst.st_ino)) {
		cl_err(cl, "%s: %s was replaced or removed meanwhile: not "
		    "renamed into place", local, tmp);
		goto out;
	}
	if (!stream && (fsync(fd) == -1 || rename(tmp, local) == -1)) {
		cl_err(cl, "%s: %s", local, strerror(errno));
		goto out;
	}
	if (o->c.verbose)
		cmd_err(CMD, "%s: %lld bytes (%lld resumed) in %.3f s, "
		    "verified", fs_shown(sp, sizeof(sp), where, strlen(where)),
		    size, resumed,
		    (double)(sk_loop_now_ms() - cl->start_ms) / 1000);
	status = 0;
out:
	end_progress(cl);
	if (fd != -1 && !to_stdout) {
		/* (made is never set when stream: no part.) */
		/* Made by this get, and nothing came: not worth keeping. */
		if (status != 0 && made && fstat(fd, &st) == 0 &&
		    st.st_size == 0)
			(void)unlink(tmp);
		close(fd);
	}
	free(local);
	free(tmp);
	free(buf);
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
	const char	*path = cl->o->path, *base = base_name(cl->o->local);
	const char	*rest;
	char		*remote, type;
	long long	 size, mtime;
	size_t		 n;
	int		 into, rc;

	if (path == NULL)
		return strdup(base);
	n = strlen(path);
	if (!(into = n > 0 && path[n - 1] == '/')) {
		if (send_line(cl, "STAT %s", path) == -1 ||
		    (rc = recv_reply(cl, &rest)) == -1)
			return NULL;
		into = rc == 1 && parse_stat(rest, &type, &size,
		    &mtime) == 0 && type == 'd';
	}
	if (!into)
		return strdup(path);
	if (asprintf(&remote, "%s%s%s", path, n > 0 && path[n - 1] == '/' ?
	    "" : "/", base) == -1)
		return NULL;
	return remote;
}

static int
client_put(struct client *cl)
{
	const struct fs_opts	*o = cl->o;
	const char		*rest;
	char			*remote = NULL, sp[SHOWMAX];
	uint8_t			*buf = NULL;
	struct sk_hash		 h;
	struct stat		 st;
	long long		 off, at, n;
	int			 fd, reg, status = EXIT_RUNTIME;

	/*
	 * Nonblocking, so that a FIFO cannot hold the open for ever (nor a
	 * device take a terminal): only a regular file is sent, and it is
	 * read blocking.
	 */
	reg = -1;	/* unknown until fstat */
	if ((fd = open(o->local, O_RDONLY | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC)) == -1 || fstat(fd, &st) == -1 ||
	    !(reg = S_ISREG(st.st_mode)) ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK) == -1) {
		cmd_err(CMD, "%s: %s", o->local, reg == 0 ?
		    "not a regular file" : strerror(errno));
		if (fd != -1)
			close(fd);
		return EXIT_RUNTIME;
	}
	cl->what = base_name(o->local);
	if (posix_memalign((void **)&buf, PAGE_ALIGN, CHUNK) != 0) {
		cl_err(cl, "out of memory");
		buf = NULL;
		goto out;
	}
	if (connect_hello(cl) == -1)
		goto out;
	if ((remote = remote_name(cl)) == NULL) {
		cl_err(cl, "out of memory");
		goto out;
	}
	if (send_line(cl, "PUT %lld %s", (long long)st.st_size,
	    remote) == -1 || (rest = expect_ok(cl)) == NULL)
		goto out;
	if (take_num(&rest, 0, &off) == -1 || *rest != '\0' ||
	    off > st.st_size) {
		cl_err(cl, "a malformed reply from the server");
		goto out;
	}
	sk_hash_init(&h);
	if (off > 0 && hash_local(&h, fd, off, buf) == -1) {
		cl_err(cl, "%s: %s", o->local, strerror(errno));
		goto out;
	}
	/*
	 * Hash each piece just before it goes, then send it with sendfile
	 * from the page cache: the file is read once, and the socket is given
	 * its pages, not a copy.
	 */
	for (at = off; at < st.st_size; at += n) {
		n = st.st_size - at < UPCHUNK ? st.st_size - at : UPCHUNK;
		if (fs_hash_pread(&h, fd, (off_t)at, (off_t)n, buf) == -1) {
			cl_err(cl, "%s: %s", o->local, errno == EIO ?
			    "it shrank while it was sent" : strerror(errno));
			goto out;
		}
		if (send_range(cl, fd, at, n, buf) == -1) {
			if (errno == EIO)
				cl_err(cl, "%s: it shrank while it was sent",
				    o->local);
			else
				cl_err(cl, "the transfer was cut at %lld of "
				    "%lld bytes: %s: run again to resume", at,
				    (long long)st.st_size, why(cl, errno));
			goto out;
		}
		progress(cl, at + n, st.st_size, 0);
	}
	progress(cl, st.st_size, st.st_size, 1);
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
	if (send_line(cl, "SUM %016" PRIx64, sk_hash_final(&h)) == -1 ||
	    expect_ok(cl) == NULL)
		goto out;
	if (o->c.verbose)
		cmd_err(CMD, "%s: %lld bytes (%lld resumed) in %.3f s, "
		    "verified", fs_shown(sp, sizeof(sp), remote, strlen(remote)),
		    (long long)st.st_size, off,
		    (double)(sk_loop_now_ms() - cl->start_ms) / 1000);
	status = 0;
out:
	end_progress(cl);
	close(fd);
	free(remote);
	free(buf);
	return status;
}

static int
client_ls(struct client *cl)
{
	const char	*ok, *p;
	const char	*name;
	char		 type, when[32];
	long long	 n, i, size, mtime;
	size_t		 namelen;
	time_t		 t;
	struct tm	 tm;

	if (connect_hello(cl) == -1 || send_line(cl, "LS %s",
	    cl->o->path) == -1 || (ok = expect_ok(cl)) == NULL)
		return EXIT_RUNTIME;
	if (take_num(&ok, 0, &n) == -1 || *ok != '\0') {
		cl_err(cl, "a malformed reply from the server");
		return EXIT_RUNTIME;
	}
	for (i = 0; i < n; i++) {
		/* "<type> <size> <mtime> <name>": a name has no NUL. */
		if (recv_line(cl) == -1)
			return EXIT_RUNTIME;
		type = cl->line[0];
		p = cl->line + 2;
		if (type == '\0' || strchr("fdlo", type) == NULL ||
		    cl->line[1] != ' ' || take_num(&p, 0, &size) == -1 ||
		    take_num(&p, 1, &mtime) == -1 || p[-1] != ' ' ||
		    (namelen = cl->len - (size_t)(p - cl->line)) == 0 ||
		    memchr(p, '\0', namelen) != NULL) {
			cl_err(cl, "a malformed listing");
			return EXIT_RUNTIME;
		}
		name = p;
		if (cl->o->c.json) {
			/* JSON-escaped; the name's bytes are kept. */
			printf("{\"name\":\"");
			cmd_json_str(stdout, name);
			printf("\",\"type\":\"%s\",\"size\":%lld,"
			    "\"mtime\":%lld}\n", type == 'f' ? "file" :
			    type == 'd' ? "dir" : type == 'l' ? "link" :
			    "other", size, mtime);
		} else {
			t = (time_t)mtime;
			if (localtime_r(&t, &tm) == NULL ||
			    strftime(when, sizeof(when), "%Y-%m-%d %H:%M",
			    &tm) == 0)
				snprintf(when, sizeof(when), "%16s", "?");
			/*
			 * The server's bytes: escaped, '\' too, so that a name
			 * holding a newline or an escape cannot forge a line
			 * or drive the terminal, and the listing is
			 * unambiguous.
			 */
			printf("%c %12lld  %s  ", type == 'f' ? '-' : type,
			    size, when);
			cmd_put_text(stdout, name, namelen,
			    SK_TEXT_BACKSLASH);
			printf("%s\n", type == 'd' ? "/" : "");
		}
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
