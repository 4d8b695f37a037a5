/*
 * fileserve_client.c - sockkit fileserve get, put and ls: one connection
 * each, blocking, every wait bounded by -w.  Downloads receive into
 * page-aligned buffers, hash each while it is in the cache, and leave the
 * writing to a second thread (core/wb).
 */
#define _GNU_SOURCE		/* asprintf */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

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
	const char		*label;		/* the file, for progress */
	long long		 start_ms;
	long long		 shown_ms;
};

/*
 * The progress line, on a terminal only.  Whatever else is written to
 * stderr first ends it, so a message never lands on it; so does a
 * signal (the handler may only write(2), hence the flag).
 */
static volatile sig_atomic_t	progress_open;

static void
progress_end(void)
{
	if (progress_open) {
		(void)write(STDERR_FILENO, "\n", 1);
		progress_open = 0;
	}
}

/* SIGINT or SIGTERM mid-transfer: end the line, then die by it (the
 * partial file stays, to resume). */
static void
on_client_signal(int sig)
{
	progress_end();
	signal(sig, SIG_DFL);
	(void)raise(sig);
}

static void
client_signals(void)
{
	struct sigaction	sa, old;
	int			sigs[2] = { SIGINT, SIGTERM }, i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_client_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < 2; i++)
		if (sigaction(sigs[i], NULL, &old) == 0 &&
		    old.sa_handler != SIG_IGN)
			(void)sigaction(sigs[i], &sa, NULL);
}

static void
cl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* An error: the progress line ended first, then the one-line message. */
static void
cl_err(const char *fmt, ...)
{
	char	line[PATH_MAX + 512];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	progress_end();
	cmd_err(CMD, "%s", line);
}

/* 1234567 -> "1.2 MB": sizes in a unit that fits (10^3 steps, as MB/s). */
static const char *
human(long long n, char *buf, size_t size)
{
	if (n < 1000)
		snprintf(buf, size, "%lld B", n);
	else if (n < 1000000)
		snprintf(buf, size, "%.1f kB", (double)n / 1e3);
	else if (n < 1000000000)
		snprintf(buf, size, "%.1f MB", (double)n / 1e6);
	else
		snprintf(buf, size, "%.2f GB", (double)n / 1e9);
	return buf;
}

/* Progress on a terminal, a few times a second; quiet in pipes. */
static void
progress(struct client *cl, long long done, long long total, int last)
{
	long long	now = sk_loop_now_ms(), ms;
	double		rate;
	char		name[64], d[32], t[32], r[32];

	if (!isatty(STDERR_FILENO) || (!last && now - cl->shown_ms < 200))
		return;
	cl->shown_ms = now;
	ms = now - cl->start_ms > 0 ? now - cl->start_ms : 1;
	rate = (double)done / (double)ms * 1000;
	fprintf(stderr, "\r%s  %5.1f%%  %s / %s  %s/s  ETA %llds   ",
	    fs_shown(cl->label, name, sizeof(name)),
	    total > 0 ? 100.0 * (double)done / (double)total : 100.0,
	    human(done, d, sizeof(d)), human(total, t, sizeof(t)),
	    human((long long)rate, r, sizeof(r)),
	    rate > 0 ? (long long)((double)(total - done) / rate) : 0);
	fflush(stderr);
	progress_open = 1;
	if (last)
		progress_end();
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
		cl_err("request too long");
		return -1;
	}
	sk_buf_init(&b, 0);
	rc = sk_frame_encode(&b, line, (size_t)n) == -1 ||
	    sk_net_send_all(NULL, cl->fd, sk_buf_data(&b), sk_buf_len(&b),
	    cl->ms) == -1 ? -1 : 0;
	sk_buf_release(&b);
	if (rc == -1)
		cl_err("send: %s", strerror(errno));
	return rc;
}

/* Receive one control frame into cl->line; -1 after a message. */
static int
recv_line(struct client *cl)
{
	uint8_t		hdr[SK_FRAME_HDRLEN];
	uint32_t	n;

	if (sk_net_recv_exact(NULL, cl->fd, hdr, sizeof(hdr), cl->ms) !=
	    sizeof(hdr)) {
		cl_err("the server closed the connection%s%s",
		    errno == ETIMEDOUT ? ": " : "",
		    errno == ETIMEDOUT ? strerror(errno) : "");
		return -1;
	}
	n = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 |
	    (uint32_t)hdr[2] << 8 | hdr[3];
	if (n > CTLMAX || sk_net_recv_exact(NULL, cl->fd, cl->line, n,
	    cl->ms) != (ssize_t)n || memchr(cl->line, '\0', n) != NULL) {
		cl_err("a malformed reply from the server");
		return -1;
	}
	cl->line[n] = '\0';
	return 0;
}

/* An ERR from the server, as it came but made safe for the terminal. */
static void
server_err(const char *msg)
{
	char	buf[4 * PATH_MAX];

	cl_err("server: %s", fs_shown(msg, buf, sizeof(buf)));
}

/* Expect "OK ..."; an ERR is reported as it came.  Returns the rest. */
static const char *
expect_ok(struct client *cl)
{
	if (recv_line(cl) == -1)
		return NULL;
	if (strncmp(cl->line, "OK", 2) == 0 &&
	    (cl->line[2] == '\0' || cl->line[2] == ' '))
		return cl->line + (cl->line[2] ? 3 : 2);
	if (strncmp(cl->line, "ERR ", 4) == 0)
		server_err(cl->line + 4);
	else
		cl_err("an unexpected reply from the server");
	return NULL;
}

/*
 * A number in a reply: decimal digits only (no sign), ended by a space
 * or the end.  Returns what follows it, or NULL: the server is not to be
 * trusted with a size of -5.
 */
static const char *
reply_num(const char *p, long long *out)
{
	long long	v = 0;
	const char	*s = p;

	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (LLONG_MAX - 9) / 10)
			return NULL;
		v = v * 10 + (*p - '0');
	}
	if (p == s || (*p != '\0' && *p != ' '))
		return NULL;
	*out = v;
	return *p == ' ' ? p + 1 : p;
}

static int
connect_hello(struct client *cl)
{
	struct sk_net_dial	dial;
	char			err[SK_ERRLEN];

	memset(&dial, 0, sizeof(dial));
	dial.family = cl->o->c.family;
	dial.timeout_ms = cl->ms;
	if ((cl->fd = sk_net_connect(err, cl->o->host, cl->o->port,
	    &dial)) == -1) {
		cl_err("%s", err);
		return -1;
	}
	cl->start_ms = sk_loop_now_ms();
	/* Nonblocking, so every wait below is bounded by -w. */
	if (sk_net_nonblock(err, cl->fd, 1) == -1) {
		cl_err("%s", err);
		return -1;
	}
	if (send_line(cl, "HELLO %d", VERSION) == -1 ||
	    expect_ok(cl) == NULL)
		return -1;
	return 0;
}

/*
 * Receive file bytes [*got, size) into fd, hashing them; a second thread
 * writes them (sk_wb), so the copy into the page cache overlaps the next
 * receive.  -1 with errno 0 when the connection was cut (the caller says
 * so), -1 after a message for anything else.  Either way everything that
 * arrived is in fd.
 */
static int
recv_body(struct client *cl, int fd, const char *name, long long *got,
    long long size, struct sk_hash *h)
{
	struct sk_wb	*w;
	char		 err[SK_ERRLEN], nb[PATH_MAX];
	uint8_t		*p;
	ssize_t		 n = 0;
	int		 cut = 0;

	if ((w = sk_wb_new(err, fd, CHUNK, WBUFS)) == NULL) {
		cl_err("%s", err);
		errno = EIO;
		return -1;
	}
	for (; *got < size && (p = sk_wb_buf(w)) != NULL; *got += n) {
		n = size - *got < CHUNK ? (ssize_t)(size - *got) : CHUNK;
		n = sk_net_recv_exact(NULL, cl->fd, p, (size_t)n, cl->ms);
		if (n > 0) {
			sk_hash_update(h, p, (size_t)n);
			sk_wb_push(w, (size_t)n);
		}
		if (n < CHUNK && *got + (n > 0 ? n : 0) < size) {
			cut = 1;
			if (n < 0)
				n = 0;
			*got += n;
			break;
		}
		progress(cl, *got + n, size, 0);
	}
	if (sk_wb_close(w) == -1) {
		cl_err("write %s: %s", fs_shown(name, nb, sizeof(nb)),
		    strerror(errno));
		errno = EIO;
		return -1;
	}
	if (cut) {
		errno = 0;
		return -1;
	}
	return 0;
}

static int
dup_name(char **out, const char *s)
{
	if ((*out = strdup(s)) == NULL) {
		cl_err("out of memory");
		return -1;
	}
	return 0;
}

/*
 * The local name for a download: -o LOCAL, else the remote basename; an
 * existing directory (or a name ending in '/') gets the remote basename
 * inside it, as curl -O, wget and scp do.  Into *out (malloc'd); 0, or
 * -1 after a message (status in *status).
 */
static int
local_name(const struct fs_opts *o, char **out, int *status)
{
	const char	*base = base_name(o->path), *local = o->output;
	char		 nb[PATH_MAX];
	struct stat	 st;
	size_t		 n;
	int		 isdir;

	*out = NULL;
	*status = EXIT_RUNTIME;
	if (local != NULL && strcmp(local, "-") == 0)
		return dup_name(out, "-");
	n = local != NULL ? strlen(local) : 0;
	isdir = local != NULL && n > 0 && (local[n - 1] == '/' ||
	    (stat(local, &st) == 0 && S_ISDIR(st.st_mode)));
	if (local != NULL && !isdir)
		return dup_name(out, local);
	if (*base == '\0' || strcmp(base, ".") == 0 ||
	    strcmp(base, "..") == 0 || strchr(base, '/') != NULL) {
		cl_err("no file name in '%s': name the local file with -o "
		    "LOCAL", fs_shown(o->path, nb, sizeof(nb)));
		*status = EXIT_USAGE;
		return -1;
	}
	if (local == NULL)
		return dup_name(out, base);
	if (stat(local, &st) == -1 || !S_ISDIR(st.st_mode)) {
		cl_err("%s: %s", fs_shown(local, nb, sizeof(nb)),
		    stat(local, &st) == -1 ? strerror(errno) :
		    "not a directory");
		return -1;
	}
	if (asprintf(out, "%s%s%s", local, local[n - 1] == '/' ? "" : "/",
	    base) == -1) {
		*out = NULL;
		cl_err("out of memory");
		return -1;
	}
	return 0;
}

static int
client_get(struct client *cl)
{
	const struct fs_opts	*o = cl->o;
	const char		*rest;
	char			*local = NULL, *tmp = NULL, sum[32];
	char			 nb[PATH_MAX], rb[PATH_MAX];
	uint8_t			*buf = NULL;
	struct sk_hash		 h;
	struct stat		 st;
	long long		 size, got, resumed = 0, gsize;
	int			 fd = -1, to_stdout, status = EXIT_RUNTIME;

	if (local_name(o, &local, &status) == -1)
		return status;
	to_stdout = strcmp(local, "-") == 0;
	cl->label = to_stdout ? base_name(o->path) : local;
	(void)fs_shown(local, nb, sizeof(nb));
	(void)fs_shown(o->path, rb, sizeof(rb));
	sk_hash_init(&h);
	if (posix_memalign((void **)&buf, PAGE_ALIGN, CHUNK) != 0)
		goto out;
	if (to_stdout)
		fd = STDOUT_FILENO;
	else if (asprintf(&tmp, "%s" PART, local) == -1)
		goto out;
	else if (!o->no_resume) {
		/*
		 * A part from before, to resume: opened, never made, here.
		 * Nothing is created until the server has said yes.
		 */
		fd = open(tmp, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
		if (fd == -1 && errno != ENOENT) {
			cl_err("%s: %s", nb, strerror(errno));
			goto out;
		}
		if (fd != -1 && (fstat(fd, &st) == -1 ||
		    !S_ISREG(st.st_mode))) {
			cl_err("%s: cannot resume: its partial file is not a "
			    "regular file", nb);
			goto out;
		}
		if (fd != -1)
			resumed = st.st_size;
		/* The part already here is verified too: hash it now. */
		if (resumed > 0 && sk_hash_file(&h, fd, 0, (off_t)resumed,
		    buf, CHUNK) == -1) {
			cl_err("%s: cannot read its partial file", nb);
			goto out;
		}
	}
	if (connect_hello(cl) == -1 || send_line(cl, "STAT %s",
	    o->path) == -1 || (rest = expect_ok(cl)) == NULL)
		goto out;
	if (rest[0] != 'f' || rest[1] != ' ') {
		cl_err("%s: not a regular file on the server%s", rb,
		    rest[0] == 'd' ? " but a directory" : "");
		goto out;
	}
	if (reply_num(rest + 2, &size) == NULL) {
		cl_err("a malformed reply from the server");
		goto out;
	}
	if (resumed > size) {
		/* Longer than the file: not a part of it.  Start over. */
		if (ftruncate(fd, 0) == -1) {
			cl_err("%s: %s", nb, strerror(errno));
			goto out;
		}
		resumed = 0;
		sk_hash_init(&h);
	}
	if (send_line(cl, "GET %lld %s", resumed, o->path) == -1 ||
	    (rest = expect_ok(cl)) == NULL)
		goto out;
	if (reply_num(rest, &gsize) == NULL) {
		cl_err("a malformed reply from the server");
		goto out;
	}
	/* The size the transfer runs to is the one STAT gave, or nothing. */
	if (gsize != size) {
		cl_err("%s changed on the server as the transfer began (%lld "
		    "bytes, then %lld): try again", rb, size, gsize);
		goto out;
	}
	if (!to_stdout && fd == -1 && (fd = open(tmp, O_RDWR | O_CREAT |
	    O_NOFOLLOW | O_CLOEXEC | (o->no_resume ? O_TRUNC : O_EXCL),
	    0644)) == -1) {
		cl_err("%s: %s", nb, strerror(errno));
		goto out;
	}
	if (!to_stdout && lseek(fd, (off_t)resumed, SEEK_SET) == -1) {
		cl_err("%s: %s", nb, strerror(errno));
		goto out;
	}
	got = resumed;
	client_signals();
	if (recv_body(cl, fd, to_stdout ? "stdout" : local, &got, size,
	    &h) == -1) {
		if (errno == 0)
			cl_err("%s: the transfer was cut at %lld of %lld "
			    "bytes%s", nb, got, size, to_stdout ? "" :
			    ": run again to resume");
		goto out;
	}
	progress(cl, size, size, 1);
	if (recv_line(cl) == -1)
		goto out;
	if (strncmp(cl->line, "ERR ", 4) == 0) {
		/* The file changed as it was sent: keep what came. */
		server_err(cl->line + 4);
		goto out;
	}
	snprintf(sum, sizeof(sum), "SUM %016" PRIx64, sk_hash_final(&h));
	if (strcmp(cl->line, sum) != 0) {
		cl_err("checksum mismatch for %s%s", rb,
		    resumed > 0 ? ": the partial file was corrupt; removed, "
		    "run again" : ": removed");
		if (!to_stdout)
			(void)unlink(tmp);
		goto out;
	}
	if (!to_stdout && (fsync(fd) == -1 || rename(tmp, local) == -1)) {
		cl_err("%s: %s", nb, strerror(errno));
		goto out;
	}
	if (o->c.verbose)
		cl_err("%s: %lld bytes (%lld resumed) in %.3f s, verified",
		    nb, size, resumed,
		    (double)(sk_loop_now_ms() - cl->start_ms) / 1000);
	status = 0;
out:
	if (fd != -1 && !to_stdout)
		close(fd);
	free(tmp);
	free(local);
	free(buf);
	return status;
}

static int
client_put(struct client *cl)
{
	const struct fs_opts	*o = cl->o;
	const char		*rest;
	char			*remote = NULL, nb[PATH_MAX];
	uint8_t			*buf = NULL;
	struct sk_hash		 h;
	struct stat		 st;
	long long		 off, at;
	ssize_t			 n;
	size_t			 len;
	int			 fd, status = EXIT_RUNTIME;

	(void)fs_shown(o->local, nb, sizeof(nb));
	if ((fd = open(o->local, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		cl_err("%s: %s", nb, fd == -1 ? strerror(errno) :
		    "not a regular file");
		if (fd != -1)
			close(fd);
		return EXIT_RUNTIME;
	}
	/* REMOTE_DIR/ puts LOCAL's basename there, as cp and scp do. */
	len = o->path != NULL ? strlen(o->path) : 0;
	if ((o->path == NULL ? (remote = strdup(base_name(o->local))) ==
	    NULL : len > 0 && o->path[len - 1] == '/' ? asprintf(&remote,
	    "%s%s", o->path, base_name(o->local)) == -1 :
	    (remote = strdup(o->path)) == NULL)) {
		remote = NULL;
		cl_err("out of memory");
		goto out;
	}
	cl->label = o->local;
	if (posix_memalign((void **)&buf, PAGE_ALIGN, CHUNK) != 0 ||
	    connect_hello(cl) == -1 ||
	    send_line(cl, "PUT %lld %s", (long long)st.st_size,
	    remote) == -1 || (rest = expect_ok(cl)) == NULL)
		goto out;
	if ((rest = reply_num(rest, &off)) == NULL || *rest != '\0' ||
	    off > st.st_size) {
		cl_err("a malformed reply from the server");
		goto out;
	}
	sk_hash_init(&h);
	if (off > 0 && sk_hash_file(&h, fd, 0, (off_t)off, buf, CHUNK) == -1) {
		cl_err("%s: cannot read it", nb);
		goto out;
	}
	client_signals();
	for (at = off; at < st.st_size; at += n) {
		n = pread(fd, buf, st.st_size - at < CHUNK ?
		    (size_t)(st.st_size - at) : CHUNK, (off_t)at);
		if (n <= 0) {
			cl_err("%s changed while it was sent", nb);
			goto out;
		}
		sk_hash_update(&h, buf, (size_t)n);
		if (sk_net_send_all(NULL, cl->fd, buf, (size_t)n,
		    cl->ms) == -1) {
			cl_err("%s: the transfer was cut at %lld of %lld "
			    "bytes: run again to resume", nb, at,
			    (long long)st.st_size);
			goto out;
		}
		progress(cl, at + n, st.st_size, 0);
	}
	progress(cl, st.st_size, st.st_size, 1);
	if (send_line(cl, "SUM %016" PRIx64, sk_hash_final(&h)) == -1 ||
	    expect_ok(cl) == NULL)
		goto out;
	if (o->c.verbose)
		cl_err("%s: %lld bytes (%lld resumed) in %.3f s, verified",
		    fs_shown(remote, nb, sizeof(nb)), (long long)st.st_size, off,
		    (double)(sk_loop_now_ms() - cl->start_ms) / 1000);
	status = 0;
out:
	close(fd);
	free(remote);
	free(buf);
	return status;
}

static int
client_ls(struct client *cl)
{
	const char	*ok, *p;
	char		*rest, *end;
	char		 type, when[32];
	long long	 n, i, size, mtime;
	time_t		 t;
	struct tm	 tm;

	if (connect_hello(cl) == -1 || send_line(cl, "LS %s",
	    cl->o->path) == -1 || (ok = expect_ok(cl)) == NULL)
		return EXIT_RUNTIME;
	if ((p = reply_num(ok, &n)) == NULL || *p != '\0') {
		cl_err("a malformed reply from the server");
		return EXIT_RUNTIME;
	}
	for (i = 0; i < n; i++) {
		/* "<type> <size> <mtime> <name>" */
		if (recv_line(cl) == -1 || (type = cl->line[0]) == '\0' ||
		    strchr("fdlo", type) == NULL || cl->line[1] != ' ' ||
		    (size = strtoll(cl->line + 2, &end, 10)) < 0 ||
		    end == cl->line + 2 || *end != ' ' ||
		    (mtime = strtoll(end + 1, &rest, 10), rest == end + 1) ||
		    *rest != ' ' || rest[1] == '\0') {
			cl_err("a malformed listing");
			return EXIT_RUNTIME;
		}
		rest++;
		if (cl->o->c.json) {
			printf("{\"name\":\"");
			cmd_json_str(stdout, rest);
			printf("\",\"type\":\"%s\",\"size\":%lld,"
			    "\"mtime\":%lld}\n", type == 'f' ? "file" :
			    type == 'd' ? "dir" : type == 'l' ? "link" :
			    "other", size, mtime);
		} else {
			t = (time_t)mtime;
			localtime_r(&t, &tm);
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M", &tm);
			printf("%c %12lld  %s  ", type == 'f' ? '-' : type,
			    size, when);
			/* The server's names, never raw: a newline would
			 * forge a line, an escape drive the terminal. */
			cmd_put_text(stdout, rest, strlen(rest),
			    SK_TEXT_BACKSLASH);
			printf("%s\n", type == 'd' ? "/" : "");
		}
		if (ferror(stdout))
			break;
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
	status = o->action == A_GET ? client_get(&cl) :
	    o->action == A_PUT ? client_put(&cl) : client_ls(&cl);
	if (cl.fd != -1)
		close(cl.fd);
	return status;
}
