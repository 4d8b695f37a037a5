/*
 * fileserve_serve.c - sockkit fileserve serve: share a directory with many
 * clients at once from one event loop (docs/protocol.md).  This part holds
 * the connections (accept, read, write, close), reads each request and
 * answers HELLO, LS and STAT; downloads are fileserve_serve_get.c's,
 * uploads fileserve_serve_put.c's.  Every path is opened beneath the root
 * held open (sockkit/path.h), never by name.
 */
#define _GNU_SOURCE		/* O_NOFOLLOW, realpath's PATH_MAX */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
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

#include <sockkit/announce.h>
#include <sockkit/buf.h>
#include <sockkit/dir.h>
#include <sockkit/frame.h>
#include <sockkit/hash.h>
#include <sockkit/loop.h>
#include <sockkit/fsproto.h>
#include <sockkit/net.h>
#include <sockkit/path.h>
#include <sockkit/text.h>

#include "fileserve.h"

/* A requested path's form: sk_path_check(), and not a partial upload. */
const char *
fs_bad_path(const char *p, size_t n)
{
	const char	*why;

	if ((why = sk_path_check(p, n)) != NULL)
		return why;
	if (n >= strlen(PART) &&
	    memcmp(p + n - strlen(PART), PART, strlen(PART)) == 0)
		return "a partial upload";
	return NULL;
}

static void	on_conn(struct sk_loop *, int, int, void *);
static void	resume_accept(struct sk_loop *, long long, void *);

/*
 * Queue one reply (fsproto.h formats it).  r: the OK form of kind, with
 * num (HELLO, LS, PUT), st's type, size and mtime (STAT, GET, ENTRY) and
 * name (ENTRY); the SUM trailer is queued by fs_send_download().
 */
void
fs_reply(struct fconn *c, enum sk_fs_kind kind, long long num,
    const struct stat *st, const char *name)
{
	struct sk_fs_reply	r;

	memset(&r, 0, sizeof(r));
	r.kind = kind;
	r.num = num;
	if (st != NULL) {
		r.type = sk_fs_type(st->st_mode);
		r.size = (long long)st->st_size;
		r.mtime = (long long)st->st_mtime;
	}
	if (name != NULL) {
		r.text = name;
		r.text_len = strlen(name);
	}
	(void)sk_fs_reply_format(&c->out, &r);
}

/*
 * An error reply about path, the one the client asked for ("" is the
 * top), or about the request itself when path is NULL: "ERR 404 a/b: No
 * such file or directory".  After 400 and 505 the connection is closed.
 */
void
fs_fail(struct fconn *c, int code, const char *path, const char *msg)
{
	char	sp[SHOWMAX * 2];
	size_t	at = sk_buf_len(&c->out);

	/* An error quotes the client's path: its bytes, escaped. */
	if (sk_fs_err_format(&c->out, code, path, msg) == 0 &&
	    c->srv->o->c.verbose)
		cmd_err(CMD, "%s: %s", c->peer, fs_shown(sp, sizeof(sp),
		    sk_buf_data(&c->out) + at + SK_FRAME_HDRLEN,
		    sk_buf_len(&c->out) - at - SK_FRAME_HDRLEN));
	if (c->file != -1) {
		close(c->file);
		c->file = -1;
	}
	if (c->dirfd != -1) {
		close(c->dirfd);
		c->dirfd = -1;
	}
	fs_pipe_close(c);
	c->state = code == 400 || code == 505 ? F_CLOSING : F_REQ;
}

void
fs_conn_close(struct fconn *c)
{
	struct fsrv	*s = c->srv;
	struct fconn	**pp;
	char		 sp[SHOWMAX];

	for (pp = &s->conns; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	/* An upload cut short: what came is in its part, for a resume. */
	if (s->o->c.verbose && c->name != NULL && c->file != -1 &&
	    (c->state == F_RECV || c->state == F_SUMWAIT))
		cmd_err(CMD, "%s disconnected: PUT %s cut at %lld of %lld "
		    "bytes, kept to resume", c->peer, fs_shown(sp, sizeof(sp),
		    c->name, strlen(c->name)), (long long)c->off,
		    (long long)c->end);
	else if (s->o->c.verbose)
		cmd_err(CMD, "%s disconnected", c->peer);
	cmd_conn_close(s->loop, c->fd, c->abort);
	if (c->file != -1)
		close(c->file);
	if (c->dirfd != -1)
		close(c->dirfd);
	fs_pipe_close(c);
	sk_frame_dec_release(&c->dec);
	sk_buf_release(&c->out);
	free(c->name);
	free(c->tmp);
	free(c->final);
	s->nconns--;
	free(c);
}

/* The error reply for errno from opening p beneath the root. */
void
fs_fail_errno(struct fconn *c, const char *p, int open_it)
{
	fs_fail(c, errno == ENOENT || errno == ENOTDIR ? 404 :
	    errno == ENAMETOOLONG ? 400 : 403, p, errno == EPERM ?
	    "outside the served directory" : errno == EACCES && open_it ?
	    "not a regular file or a directory" : strerror(errno));
}

/*
 * What a request names, beneath the root and never by name again: for
 * reading (a regular file or a directory, sk_path_open_served), or only
 * its stat (fd NULL).  The fd, 0 for a stat, or -1 with an error reply
 * sent.  A local user renaming things inside DIR meanwhile cannot lead it
 * outside: every component is resolved relative to a directory fd held.
 */
int
fs_beneath(struct fconn *c, const char *p, struct stat *st, int open_it)
{
	const char	*why;
	int		 fd;

	if ((why = fs_bad_path(p, strlen(p))) != NULL) {
		fs_fail(c, 403, p, why);
		return -1;
	}
	fd = open_it ? sk_path_open_served(c->srv->rootfd, p, 0, st) :
	    sk_path_stat(c->srv->rootfd, p, 0, st);
	if (fd == -1)
		fs_fail_errno(c, p, open_it);
	return fd;
}

/*
 * LS: the names sorted (sk_dir_read), each with its lstat; a partial
 * upload's name is not listed.
 */
static void
do_ls(struct fconn *c, const char *p)
{
	struct sk_dir	 d;
	struct stat	 st;
	size_t		 n = 0, i;
	int		 fd;

	if ((fd = fs_beneath(c, p, &st, 1)) == -1)
		return;
	if (!S_ISDIR(st.st_mode)) {
		close(fd);
		fs_fail(c, 404, p, strerror(ENOTDIR));
		return;
	}
	if (sk_dir_read(NULL, fd, &d) == -1) {
		fs_fail(c, 403, p, strerror(errno));
		return;
	}
	for (i = 0; i < d.n; i++)
		n += fs_bad_path(d.names[i], strlen(d.names[i])) == NULL;
	fs_reply(c, SK_FS_R_LS, (long long)n, NULL, NULL);
	for (i = 0; i < d.n; i++) {
		if (fs_bad_path(d.names[i], strlen(d.names[i])) != NULL)
			continue;
		if (fstatat(d.fd, d.names[i], &st, AT_SYMLINK_NOFOLLOW) == -1)
			memset(&st, 0, sizeof(st));
		fs_reply(c, SK_FS_R_ENTRY, 0, &st, d.names[i]);
	}
	sk_dir_close(&d);
}

static void
do_stat(struct fconn *c, const char *p)
{
	struct stat	st;

	if (fs_beneath(c, p, &st, 0) == -1)
		return;
	fs_reply(c, SK_FS_R_STAT, 0, &st, NULL);
}

/* One request frame. */
static void
request(struct fconn *c, const uint8_t *p, uint32_t n)
{
	struct sk_fs_req	 req;
	char			 line[SK_FS_CTLMAX + 1], *arg;

	if (sk_fs_parse(p, n, &req) == -1) {
		fs_fail(c, 400, NULL, memchr(p, '\0', n) != NULL ?
		    "a NUL byte in "
		    "a request" : !c->hello ? "expected HELLO" :
		    "unknown or malformed request");
		return;
	}
	/* The path, NUL-terminated, for the file system calls. */
	memcpy(line, p, n);
	line[n] = '\0';
	arg = req.arg != NULL ? line + (req.arg - (const char *)p) : line + n;
	if (!c->hello) {
		if (req.verb != SK_FS_HELLO) {
			fs_fail(c, 400, NULL, "expected HELLO");
			return;
		}
		if (req.num != SK_FS_VERSION) {
			fs_fail(c, 505, NULL, "this server speaks version 1");
			return;
		}
		c->hello = 1;
		fs_reply(c, SK_FS_R_HELLO, SK_FS_VERSION, NULL, NULL);
		return;
	}
	if (c->state == F_SUMWAIT) {
		if (req.verb != SK_FS_SUM) {
			fs_fail(c, 400, NULL, "expected SUM");
			return;
		}
		fs_do_sum(c, arg);
		return;
	}
	switch (req.verb) {
	case SK_FS_LS:
		do_ls(c, arg);
		break;
	case SK_FS_STAT:
		do_stat(c, arg);
		break;
	case SK_FS_GET:
		fs_do_get(c, req.num, arg);
		break;
	case SK_FS_PUT:
		fs_do_put(c, req.num, arg);
		break;
	default:
		fs_fail(c, 400, NULL, "unknown or malformed request");
	}
}

/* Readable: requests, or upload data. */
int
fs_conn_read(struct fconn *c)
{
	const uint8_t	*payload;
	uint32_t	 plen;
	char		 why[256];
	ssize_t		 n;
	size_t		 want;
	int		 rc;

	if (c->state == F_RECV) {
		want = (size_t)(c->end - c->off) < UPCHUNK ?
		    (size_t)(c->end - c->off) : UPCHUNK;
		n = fs_recv_upload(c, want);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n == 0 || (n == -1 && errno != EIO))
			return -1;	/* cut mid-upload: the part is kept */
		if (n == -1) {
			snprintf(why, sizeof(why), "cannot write the upload: "
			    "%s", strerror(c->werr));
			fs_fail(c, 500, c->name, why);
			c->state = F_CLOSING;
			return 0;
		}
		c->off += n;
		if (c->off == c->end)
			c->state = F_SUMWAIT;
		return 0;
	}
	n = sk_frame_dec_read(&c->dec, c->fd, SK_FS_CTLMAX);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0)
		return -1;
	while (c->state == F_REQ || c->state == F_SUMWAIT) {
		if ((rc = sk_frame_dec_next(&c->dec, &payload, &plen)) == 0)
			break;
		if (rc == -1) {
			fs_fail(c, 400, NULL, "a request over 65536 bytes");
			break;
		}
		request(c, payload, plen);
	}
	if (sk_frame_dec_pending(&c->dec) == 0)
		sk_frame_dec_release(&c->dec);
	return 0;
}

/* Writable: replies, then file data and its checksum, or a part hashed. */
static int
conn_write(struct fconn *c)
{
	if (sk_buf_write(&c->out, c->fd) == -1)
		return -1;
	if (sk_buf_len(&c->out) > 0)
		return 0;
	if (c->state == F_PREP && fs_prep_upload(c) == -1)
		return -1;
	if (c->state == F_SEND && fs_send_download(c) == -1)
		return -1;
	return sk_buf_write(&c->out, c->fd) == -1 ? -1 : 0;
}

/*
 * After c has read or written: close it once it is done closing, else
 * watch it for what it waits for (reading waits while a reply or a
 * download is going out).  -1 when it was closed.
 */
int
fs_conn_settle(struct fconn *c)
{
	int	want;

	if (c->state == F_CLOSING && sk_buf_len(&c->out) == 0) {
		fs_conn_close(c);
		return -1;
	}
	want = sk_buf_len(&c->out) > 0 || c->state == F_SEND ||
	    c->state == F_PREP ? SK_WRITE : SK_READ;
	if (sk_buf_len(&c->out) == 0)
		sk_buf_release(&c->out);
	(void)sk_loop_mod(NULL, c->srv->loop, c->fd, want);
	return 0;
}

static void
on_conn(struct sk_loop *loop, int fd, int mask, void *arg)
{
	struct fconn	*c = arg;

	(void)loop;
	(void)fd;
	/* Readable or writable: the client sent or took something. */
	c->last_ms = sk_loop_now_ms();
	if (((mask & SK_READ) && fs_conn_read(c) == -1) ||
	    ((mask & SK_WRITE) || sk_buf_len(&c->out) > 0 ||
	    c->state == F_SEND || c->state == F_PREP ? conn_write(c) :
	    0) == -1) {
		/* A download that cannot go on (the file shrank): reset. */
		c->abort = c->state == F_SEND;
		fs_conn_close(c);
		return;
	}
	(void)fs_conn_settle(c);
}

static void
on_accept(struct sk_loop *loop, int lfd, int mask, void *arg)
{
	struct fsrv		*s = arg;
	struct sockaddr_storage	 ss;
	struct fconn		*c;
	socklen_t		 sslen;
	int			 fd;

	(void)mask;
	/* Out of descriptors, or past what select can watch, a client is
	 * told so (s->full) and closed. */
	while ((fd = cmd_accept_next(&s->acc, loop, lfd, &ss,
	    &sslen)) != -1) {
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			close(fd);
			continue;
		}
		c->srv = s;
		c->fd = fd;
		c->file = -1;
		c->dirfd = -1;
		c->pipe[0] = c->pipe[1] = -1;
		c->last_ms = sk_loop_now_ms();
		sk_frame_dec_init(&c->dec, SK_FS_CTLMAX);
		sk_buf_init(&c->out, 0);
		sk_net_addr_str((struct sockaddr *)&ss, sslen, c->peer,
		    sizeof(c->peer));
		if (sk_loop_add(NULL, loop, fd, SK_READ, on_conn, c) == -1) {
			close(fd);
			free(c);
			continue;
		}
		c->next = s->conns;
		s->conns = c;
		s->nconns++;
		if (s->o->c.verbose)
			cmd_err(CMD, "%s connected", c->peer);
	}
}

/*
 * --idle-timeout: a few times per timeout (at most once a second), close
 * the connections where nothing has moved for that long.
 */
static void
on_sweep(struct sk_loop *loop, long long id, void *arg)
{
	struct fsrv	*s = arg;
	struct fconn	*c, *next;
	long long	 limit = sk_loop_now_ms() - s->o->idle_ms;

	(void)loop;
	(void)id;
	for (c = s->conns; c != NULL; c = next) {
		next = c->next;
		if (c->last_ms < limit) {
			if (s->o->c.verbose)
				cmd_err(CMD, "%s: idle for %gs: closed",
				    c->peer, (double)s->o->idle_ms / 1000);
			fs_conn_close(c);
		}
	}
}

/*
 * DIR is shared by what its name leads to, as http serves it: checked
 * every second, so a directory removed and made again (a build output) or
 * a symbolic link pointed elsewhere (a deployment's "current") is shared
 * at once, not the old one for ever (said on standard error).  While the
 * name leads nowhere, that is said once.  Transfers under way go on where
 * they are.
 */
static void
on_check_root(struct sk_loop *loop, long long id, void *arg)
{
	struct fsrv	*s = arg;
	char		 real[PATH_MAX], sp[SHOWMAX];

	(void)loop;
	(void)id;
	switch (sk_path_root_check(s->o->dir, &s->rootfd, &s->root_gone,
	    real)) {
	case -1:
		cmd_err(CMD, "%s: removed: nothing is shared until it is made "
		    "again", fs_shown(sp, sizeof(sp), s->o->dir,
		    strlen(s->o->dir)));
		break;
	case 1:
		cmd_err(CMD, "now sharing %s", fs_shown(sp, sizeof(sp), real,
		    strlen(real)));
		break;
	}
}

/* Out of descriptors a moment ago: accept again. */
static void
resume_accept(struct sk_loop *loop, long long id, void *arg)
{
	struct fsrv	*s = arg;

	(void)id;
	(void)sk_loop_mod(NULL, loop, s->lfd, SK_READ);
}

/* --announce: one datagram a second to the LAN's broadcast address. */
static void
on_announce(struct sk_loop *loop, long long id, void *arg)
{
	struct fsrv	*s = arg;
	static int	 warned;

	(void)loop;
	(void)id;
	if (sendto(s->afd, s->adgram, s->alen, 0, (struct sockaddr *)&s->adst,
	    sizeof(s->adst)) == -1 && !warned) {
		cmd_err(CMD, "announce: %s%s", strerror(errno),
		    errno == ENETUNREACH && s->o->iface == NULL ?
		    " (name the interface with --iface)" : "");
		warned = 1;
	}
}

static int
start_announce(struct fsrv *s, char *err)
{
	int	n;

	if ((s->afd = sk_ann_socket(err, AF_INET, 0, -1, s->o->iface)) == -1)
		return -1;
	memset(&s->adst, 0, sizeof(s->adst));
	s->adst.sin_family = AF_INET;
	s->adst.sin_port = htons((uint16_t)strtol(SK_ANN_PORT, NULL, 10));
	s->adst.sin_addr.s_addr = htonl(INADDR_BROADCAST);
	if ((n = sk_ann_format(s->adgram, sizeof(s->adgram), s->o->announce,
	    sk_net_local_port(NULL, s->lfd))) == -1) {
		snprintf(err, SK_ERRLEN, "announce: no announcement of '%s'",
		    s->o->announce);
		return -1;
	}
	s->alen = (size_t)n;
	on_announce(s->loop, 0, s);
	return sk_loop_timer_add(err, s->loop, 1000, 1000, on_announce, s) ==
	    -1 ? -1 : 0;
}

int
fs_serve(const struct fs_opts *o)
{
	struct fsrv	s;
	struct fconn	*c;
	char		err[SK_ERRLEN];
	long long	sweep = o->idle_ms / 4;
	int		status = 0;

	memset(&s, 0, sizeof(s));
	s.o = o;
	s.lfd = -1;
	s.afd = -1;
	s.rootfd = -1;
	/*
	 * A directory that cannot be listed and entered would start and
	 * then answer 404 or 403 to everything: refuse it now, as http does.
	 */
	if ((s.rootfd = sk_path_root_open(NULL, o->dir, NULL)) == -1 ||
	    faccessat(s.rootfd, ".", R_OK | X_OK, AT_EACCESS) == -1) {
		cmd_err(CMD, "%s: %s", o->dir, strerror(errno));
		if (s.rootfd != -1)
			close(s.rootfd);
		return EXIT_RUNTIME;
	}
	if ((s.lfd = cmd_server_socket(CMD, &o->c, NULL, o->host, o->port,
	    SOCK_STREAM)) == -1) {
		close(s.rootfd);
		return EXIT_RUNTIME;
	}
	/* Out of descriptors, a client is told, not left to wait. */
	(void)cmd_accept_reserve();
	/* Out of descriptors: the frame a client gets before it is turned
	 * away (the reply to its HELLO, as far as it can tell). */
	sk_buf_init(&s.full, 0);
	(void)sk_fs_err_format(&s.full, 503, NULL, "server full: out of "
	    "descriptors, try later");
	s.acc = (struct cmd_accept){ .cmd = CMD, .resume = resume_accept,
	    .arg = &s, .full = sk_buf_data(&s.full),
	    .fulllen = sk_buf_len(&s.full), .nodelay = 1 };
	/* (nodelay: replies, data and SUM are separate writes; without it a
	 * small GET waited 40 ms for a delayed ACK.) */
	sweep = sweep < 10 ? 10 : sweep > 1000 ? 1000 : sweep;
	if (posix_memalign((void **)&s.buf, PAGE_ALIGN, CHUNK) != 0 ||
	    (s.loop = sk_loop_new(err, o->c.backend)) == NULL ||
	    sk_loop_add(err, s.loop, s.lfd, SK_READ, on_accept, &s) == -1 ||
	    (o->announce != NULL && start_announce(&s, err) == -1) ||
	    (o->idle_ms > 0 && sk_loop_timer_add(err, s.loop, sweep, sweep,
	    on_sweep, &s) == -1) || sk_loop_timer_add(err, s.loop, 1000,
	    1000, on_check_root, &s) == -1) {
		cmd_err(CMD, "%s", s.buf ? err : "out of memory");
		status = EXIT_RUNTIME;
	} else if (cmd_signals_init(CMD, s.loop) == -1)
		status = EXIT_RUNTIME;	/* said why */
	else {
		cmd_listening(CMD, s.lfd);
		if (sk_loop_run(err, s.loop) == -1) {
			cmd_err(CMD, "%s", err);
			status = EXIT_RUNTIME;
		}
		cmd_signals_fini(s.loop);
	}
	/*
	 * Stopped by a signal: a transfer under way is cut with a reset,
	 * never ended as if it were whole.  (What an upload has sent is in
	 * its part, for the next put to resume.)
	 */
	if (cmd_signalled())
		for (c = s.conns; c != NULL; c = c->next)
			c->abort = c->state == F_SEND || c->state == F_PREP ||
			    c->state == F_RECV || c->state == F_SUMWAIT ||
			    sk_buf_len(&c->out) > 0;
	/* fs_conn_close() unlinks what it frees (the analyzer cannot tell). */
	while (s.conns != NULL)
		fs_conn_close(s.conns);	/* NOLINT(clang-analyzer-unix.Malloc) */
	if (s.lfd != -1)
		close(s.lfd);
	if (s.afd != -1)
		close(s.afd);
	close(s.rootfd);
	sk_loop_free(s.loop);
	sk_buf_release(&s.full);
	free(s.buf);
	return status;
}
