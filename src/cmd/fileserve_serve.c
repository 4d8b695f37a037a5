/*
 * fileserve_serve.c - sockkit fileserve serve: share a directory with many
 * clients at once from one event loop (docs/protocol.md).  Downloads go
 * out with sendfile, hashed through a mapping just ahead of it (no copy),
 * and the digests of files sent whole are remembered; uploads are spliced
 * from the socket into the file and hashed while still in the cache.
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


/* Paths: a request's path, confined to the served directory. */

/* A requested path's form: sk_path_check(), and not a partial upload. */
static const char *
bad_path(const char *p, size_t n)
{
	const char	*why;

	if ((why = sk_path_check(p, n)) != NULL)
		return why;
	if (n >= strlen(PART) &&
	    memcmp(p + n - strlen(PART), PART, strlen(PART)) == 0)
		return "a partial upload";
	return NULL;
}

/* Event-loop server. */

/*
 * What is known of a file's digest, so no file is hashed twice: the hash
 * state over its first `upto` bytes (the whole file's digest once upto is
 * its size).  Every connection that hashes a file adds to its entry as it
 * goes, and starts from it, so however many clients ask for a file, at
 * offsets near its end, cut and come back, the server reads each version
 * of it at most once to hash it.  An entry stands only while the file's
 * inode, size, mtime and ctime are all unchanged (any write moves ctime,
 * which no one can set).
 */
#define DIGESTS		256
#define HASH_STEP	(4 * CHUNK)	/* hashed per loop turn, at most */

struct digest {
	struct stat	st;
	struct sk_hash	h;
	off_t		upto;
};

struct fsrv {
	const struct fs_opts	*o;
	struct sk_loop		*loop;
	int			 lfd;
	int			 rootfd;	/* the served directory */
	int			 root_gone;	/* DIR's name leads nowhere */
	uint8_t			*buf;		/* CHUNK, shared */
	int			 nconns;
	struct fconn		*conns;
	int			 afd;		/* --announce: UDP, or -1 */
	char			 adgram[SK_ANN_DGRAMMAX + 1];
	size_t			 alen;
	struct sockaddr_in	 adst;
	struct digest		 digests[DIGESTS];
	int			 ndigests, nextdigest;
	struct cmd_accept	 acc;		/* the accept loop's rules */
	struct sk_buf		 full;		/* the frame "server full" */
};

/*
 * F_PREP: an upload's partial file being hashed (a step a loop turn)
 * before the server says how much of it it has.
 */
enum fstate { F_REQ, F_SEND, F_PREP, F_RECV, F_SUMWAIT, F_CLOSING };

struct fconn {
	struct fsrv		*srv;
	int			 fd;
	enum fstate		 state;
	int			 hello;
	struct sk_frame_dec	 dec;
	struct sk_buf		 out;
	int			 file;		/* -1 when none */
	off_t			 off;		/* next byte to send or write */
	off_t			 hashed;	/* bytes of [0, end) hashed */
	off_t			 end;
	struct sk_hash		 h;
	struct stat		 st;		/* get: the file at the start */
	int			 known;		/* get: its digest is known: */
	uint64_t		 sum;		/* this */
	char			*name;		/* get, put: the path */
	int			 pipe[2];	/* put: socket to file, or -1 */
	int			 werr;		/* put: errno of a write */
	int			 dirfd;		/* put: the target's directory */
	dev_t			 ddev;		/* ...which is this one */
	ino_t			 dino;
	char			*tmp;		/* put: the partial file's name */
	char			*final;		/* put: the file's name */
	off_t			 have;		/* put: the part, to resume */
	char			 peer[SK_ADDRSTRLEN];
	long long		 last_ms;	/* bytes last moved */
	int			 abort;		/* close with a reset */
	struct fconn		*next;
};


static void	on_conn(struct sk_loop *, int, int, void *);
static void	resume_accept(struct sk_loop *, long long, void *);
static int	conn_read(struct fconn *);
static int	conn_settle(struct fconn *);

/*
 * Queue one reply (fsproto.h formats it).  r: the OK form of kind, with
 * num (HELLO, LS, PUT), st's type, size and mtime (STAT, GET, ENTRY) and
 * name (ENTRY); the SUM trailer is queued by send_download().
 */
static void
reply(struct fconn *c, enum sk_fs_kind kind, long long num,
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
 * put, on Linux: the bytes go from the socket to the file through a pipe
 * (splice), so they are copied once, into the page cache, and not through
 * a buffer of ours first; the hash then reads them there while they are
 * still in the CPU's cache.  The pipe lives while the upload does.
 */
static void
pipe_close(struct fconn *c)
{
	if (c->pipe[0] != -1) {
		close(c->pipe[0]);
		close(c->pipe[1]);
		c->pipe[0] = c->pipe[1] = -1;
	}
}

static void
pipe_open(struct fconn *c)
{
#ifdef __linux__
	/* Out of descriptors, read and pwrite will do. */
	if (c->pipe[0] == -1 && pipe2(c->pipe, O_CLOEXEC | O_NONBLOCK) == 0)
		(void)fcntl(c->pipe[0], F_SETPIPE_SZ, UPCHUNK);
#else
	(void)c;
#endif
}

/*
 * An error reply about path, the one the client asked for ("" is the
 * top), or about the request itself when path is NULL: "ERR 404 a/b: No
 * such file or directory".  After 400 and 505 the connection is closed.
 */
static void
fail_req(struct fconn *c, int code, const char *path, const char *msg)
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
	pipe_close(c);
	c->state = code == 400 || code == 505 ? F_CLOSING : F_REQ;
}

static void
conn_close(struct fconn *c)
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
	sk_loop_del(s->loop, c->fd);
	if (c->abort)
		(void)sk_net_abort(NULL, c->fd);
	else
		close(c->fd);
	if (c->file != -1)
		close(c->file);
	if (c->dirfd != -1)
		close(c->dirfd);
	pipe_close(c);
	sk_frame_dec_release(&c->dec);
	sk_buf_release(&c->out);
	free(c->name);
	free(c->tmp);
	free(c->final);
	s->nconns--;
	free(c);
}

/* The error reply for errno from opening p beneath the root. */
static void
fail_errno(struct fconn *c, const char *p, int open_it)
{
	fail_req(c, errno == ENOENT || errno == ENOTDIR ? 404 :
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
static int
beneath(struct fconn *c, const char *p, struct stat *st, int open_it)
{
	const char	*why;
	int		 fd;

	if ((why = bad_path(p, strlen(p))) != NULL) {
		fail_req(c, 403, p, why);
		return -1;
	}
	fd = open_it ? sk_path_open_served(c->srv->rootfd, p, 0, st) :
	    sk_path_stat(c->srv->rootfd, p, 0, st);
	if (fd == -1)
		fail_errno(c, p, open_it);
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

	if ((fd = beneath(c, p, &st, 1)) == -1)
		return;
	if (!S_ISDIR(st.st_mode)) {
		close(fd);
		fail_req(c, 404, p, strerror(ENOTDIR));
		return;
	}
	if (sk_dir_read(NULL, fd, &d) == -1) {
		fail_req(c, 403, p, strerror(errno));
		return;
	}
	for (i = 0; i < d.n; i++)
		n += bad_path(d.names[i], strlen(d.names[i])) == NULL;
	reply(c, SK_FS_R_LS, (long long)n, NULL, NULL);
	for (i = 0; i < d.n; i++) {
		if (bad_path(d.names[i], strlen(d.names[i])) != NULL)
			continue;
		if (fstatat(d.fd, d.names[i], &st, AT_SYMLINK_NOFOLLOW) == -1)
			memset(&st, 0, sizeof(st));
		reply(c, SK_FS_R_ENTRY, 0, &st, d.names[i]);
	}
	sk_dir_close(&d);
}

static void
do_stat(struct fconn *c, const char *p)
{
	struct stat	st;

	if (beneath(c, p, &st, 0) == -1)
		return;
	reply(c, SK_FS_R_STAT, 0, &st, NULL);
}

static int
same_file(const struct stat *a, const struct stat *b)
{
	return a->st_dev == b->st_dev && a->st_ino == b->st_ino &&
	    a->st_size == b->st_size &&
	    a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	    a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	    a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	    a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

static struct digest *
digest_find(struct fsrv *s, const struct stat *st)
{
	int	i;

	for (i = 0; i < s->ndigests; i++)
		if (same_file(&s->digests[i].st, st))
			return &s->digests[i];
	return NULL;
}

/* Remember how far c has hashed its file, replacing the oldest entry
 * when full; an entry further along is kept. */
static void
digest_note(struct fsrv *s, const struct fconn *c)
{
	struct digest	*d;

	if ((d = digest_find(s, &c->st)) == NULL) {
		if (s->ndigests < DIGESTS)
			d = &s->digests[s->ndigests++];
		else {
			d = &s->digests[s->nextdigest];
			s->nextdigest = (s->nextdigest + 1) % DIGESTS;
		}
		d->st = c->st;
		d->upto = -1;
	}
	if (d->upto < c->hashed) {
		d->h = c->h;
		d->upto = c->hashed;
	}
}

/*
 * One step of hashing c's file, [hashed, hashed + n): 0, or -1 (the file
 * shrank or cannot be read).  Another connection hashing the same file
 * may have got further meanwhile: c takes up from there, so clients that
 * ask for one file at once share one pass over it (shared: a download;
 * an upload's part is its own).
 */
static int
hash_step(struct fconn *c, off_t n, int shared)
{
	struct digest	*d;

	if (shared && (d = digest_find(c->srv, &c->st)) != NULL &&
	    d->upto > c->hashed &&
	    d->upto <= c->end) {
		c->h = d->h;
		c->hashed = d->upto;
	}
	if (n > c->end - c->hashed)
		n = c->end - c->hashed;
	if (n > 0 && sk_hash_file(&c->h, c->file, c->hashed, n, c->srv->buf,
	    CHUNK) == -1)
		return -1;
	c->hashed += n;
	return 0;
}

static void
do_get(struct fconn *c, long long off, const char *p)
{
	char		 sp[SHOWMAX];
	struct stat	 st;
	struct digest	*d;
	int		 fd;

	/* A FIFO or a device is never opened: regular files only. */
	if ((fd = beneath(c, p, &st, 1)) == -1)
		return;
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		fail_req(c, 403, p, "not a regular file");
		return;
	}
	if (off < 0 || off > st.st_size) {
		close(fd);
		fail_req(c, 416, p, "offset past the end of the file");
		return;
	}
	free(c->name);
	if ((c->name = strdup(p)) == NULL) {
		close(fd);
		fail_req(c, 500, NULL, "out of memory");
		return;
	}
	/*
	 * The digest covers the whole file, so the bytes before off are
	 * hashed too: from what is known of this file already, a step a loop
	 * turn (conn_write), never all at once while the others wait.
	 */
	c->st = st;
	c->file = fd;
	c->off = (off_t)off;
	c->end = st.st_size;
	if ((d = digest_find(c->srv, &st)) != NULL) {
		c->h = d->h;
		c->hashed = d->upto;
	} else {
		sk_hash_init(&c->h);
		c->hashed = 0;
	}
	c->known = c->hashed == c->end;
	c->sum = c->known ? sk_hash_final(&c->h) : 0;
	reply(c, SK_FS_R_GET, 0, &st, NULL);
	c->state = F_SEND;
	if (c->srv->o->c.verbose)
		cmd_err(CMD, "%s: GET %s from %lld", c->peer,
		    fs_shown(sp, sizeof(sp), p, strlen(p)), off);
}

/*
 * The connection other than c writing the upload to final, or NULL: one
 * writer per name, always, or two would interleave their bytes in one
 * partial file.  A writer whose client has gone but whose last bytes still
 * wait in its socket is not one for long: take them in now (they are kept
 * for the resume being asked for) and close it, so that a client killed
 * and run again at once resumes rather than meets its own ghost.
 */
static struct fconn *
writer_of(struct fsrv *s, struct fconn *c)
{
	struct fconn	*w;
	ssize_t		 n;
	char		 b;
	int		 i;

	for (w = s->conns; w != NULL; w = w->next)
		if (w != c && w->file != -1 && w->final != NULL &&
		    (w->state == F_PREP || w->state == F_RECV ||
		    w->state == F_SUMWAIT) && w->ddev == c->ddev &&
		    w->dino == c->dino && strcmp(w->final, c->final) == 0)
			break;
	if (w == NULL)
		return NULL;
	for (i = 0; i < DRAIN_MAX && w->state == F_RECV; i++) {
		n = recv(w->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK ||
		    errno == EINTR))
			break;		/* alive, and nothing waits */
		if (n <= 0 || conn_read(w) == -1) {
			conn_close(w);
			return NULL;
		}
		w->last_ms = sk_loop_now_ms();
	}
	/* It may have failed a write meanwhile, and be closing. */
	if (conn_settle(w) == -1 || w->file == -1)
		return NULL;
	return w;
}

/* put: the upload may begin, from c->have; say so. */
static void
put_ready(struct fconn *c)
{
	char	sp[SHOWMAX];

	c->off = c->have;
	reply(c, SK_FS_R_PUT, (long long)c->have, NULL, NULL);
	c->state = c->have < c->end ? F_RECV : F_SUMWAIT;
	if (c->state == F_RECV)
		pipe_open(c);
	if (c->srv->o->c.verbose)
		cmd_err(CMD, "%s: PUT %s, %lld bytes, from %lld", c->peer,
		    fs_shown(sp, sizeof(sp), c->name, strlen(c->name)),
		    (long long)c->end, (long long)c->have);
}

/*
 * PUT's partial file, in c->dirfd (sk_path_part_open): read and written,
 * a part from before hashed to resume it (when not longer than size),
 * and refused at once when what is left clearly cannot fit.  0, or -1
 * with an error reply sent.
 */
static int
put_part(struct fconn *c, long long size, const char *p)
{
	struct stat	st;
	struct statvfs	vfs;
	char		msg[256];
	int		fd;

	if ((fd = sk_path_part_open(c->dirfd, c->tmp, &st)) == -1) {
		fail_req(c, errno == EEXIST ? 409 : 500, p, errno == EEXIST ?
		    "its partial upload file is not one this server made" :
		    strerror(errno));
		return -1;
	}
	/* A partial upload from before: resume it if it can be. */
	c->have = st.st_size <= size ? st.st_size : 0;
	if (c->have != st.st_size && ftruncate(fd, 0) == -1) {
		close(fd);
		fail_req(c, 500, p, strerror(errno));
		return -1;
	}
	/* Refuse at once what clearly cannot fit, rather than fill the disk. */
	if (fstatvfs(fd, &vfs) == 0 && (unsigned long long)vfs.f_bavail *
	    vfs.f_frsize < (unsigned long long)(size - c->have)) {
		if (c->have == 0)	/* made just now */
			(void)sk_path_part_drop(c->dirfd, c->tmp, fd);
		close(fd);
		snprintf(msg, sizeof(msg), "not enough space: %lld bytes "
		    "needed, %llu free", size - (long long)c->have,
		    (unsigned long long)vfs.f_bavail * vfs.f_frsize);
		fail_req(c, 507, p, msg);
		return -1;
	}
	c->file = fd;
	return 0;
}

/*
 * PUT: into the target's directory, held open (c->dirfd) and used for
 * everything after: the partial file is made, checked, renamed and synced
 * relative to it (path.h), so a directory swapped for a link meanwhile
 * changes nothing.  O_NOFOLLOW guards the last component, the held fd the
 * rest.
 */
static void
do_put(struct fconn *c, long long size, const char *p)
{
	const char	*name, *why;
	struct stat	 st;

	if (!c->srv->o->upload) {
		fail_req(c, 403, NULL, "uploads are not allowed "
		    "(--allow-upload)");
		return;
	}
	if (*p == '\0') {
		fail_req(c, 403, NULL, "an empty path");
		return;
	}
	if ((why = bad_path(p, strlen(p))) != NULL) {
		fail_req(c, 403, p, why);
		return;
	}
	name = strrchr(p, '/') != NULL ? strrchr(p, '/') + 1 : p;
	if (*name == '\0' || strcmp(name, ".") == 0) {
		fail_req(c, 403, p, "no file name");
		return;
	}
	/* A name to list and log: no control bytes, no broken UTF-8. */
	if (sk_text_has_ctl((const uint8_t *)name, strlen(name), 0)) {
		fail_req(c, 403, p, "a control byte or broken UTF-8 in the "
		    "name");
		return;
	}
	if (c->dirfd != -1)
		close(c->dirfd);
	if ((c->dirfd = sk_path_open_parent(c->srv->rootfd, p, 0, &name,
	    &st)) == -1) {
		fail_errno(c, p, 1);
		return;
	}
	c->ddev = st.st_dev;
	c->dino = st.st_ino;
	free(c->name);
	free(c->final);
	free(c->tmp);
	c->name = c->final = c->tmp = NULL;
	if ((c->name = strdup(p)) == NULL ||
	    (c->final = strdup(name)) == NULL ||
	    asprintf(&c->tmp, ".%s" PART, name) == -1) {
		c->tmp = NULL;
		fail_req(c, 500, NULL, "out of memory");
		return;
	}
	if (writer_of(c->srv, c) != NULL) {
		fail_req(c, 409, p, "another connection is uploading it: "
		    "try again once it has ended");
		return;
	}
	/* Never write through a symlink, nor over a directory. */
	if (fstatat(c->dirfd, c->final, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    !S_ISREG(st.st_mode)) {
		fail_req(c, 409, p, S_ISLNK(st.st_mode) ? "the target is a "
		    "symbolic link" : "the target is not a regular file");
		return;
	}
	if (put_part(c, size, p) == -1)
		return;
	c->end = (off_t)size;
	sk_hash_init(&c->h);
	c->hashed = 0;
	/* The part is hashed a step a loop turn (conn_write), then OK. */
	if (c->have > 0)
		c->state = F_PREP;
	else
		put_ready(c);
}

/* The trailer of an upload: verify, sync, rename into place. */
static void
do_sum(struct fconn *c, const char *hex)
{
	char		sp[SHOWMAX];
	uint64_t	sum;

	if (c->final == NULL || c->tmp == NULL || c->dirfd == -1) {
		fail_req(c, 400, NULL, "SUM without an upload");
		return;
	}
	/* A malformed hex is a mismatch too, as any other wrong one. */
	if (sk_fs_sum_parse(hex, strlen(hex), &sum) == -1 ||
	    sum != sk_hash_final(&c->h)) {
		(void)sk_path_part_drop(c->dirfd, c->tmp, c->file);
		fail_req(c, 422, c->name, "checksum mismatch: the upload was "
		    "corrupt and is removed");
		return;
	}
	/*
	 * What is renamed into place must be the file verified, and only
	 * over a regular file: a local user may have put another file (or a
	 * link) under either name meanwhile.
	 */
	if (sk_path_commit(c->dirfd, c->file, c->tmp, c->final) == -1) {
		fail_req(c, errno == ESTALE || errno == EEXIST ? 409 : 500,
		    c->name, errno == ESTALE ? "its partial upload file was "
		    "replaced or removed meanwhile: not renamed into place" :
		    errno == EEXIST ? "the target is no longer a regular "
		    "file: not renamed into place" : strerror(errno));
		return;
	}
	close(c->dirfd);
	c->dirfd = -1;
	close(c->file);
	c->file = -1;
	pipe_close(c);
	reply(c, SK_FS_R_DONE, 0, NULL, NULL);
	c->state = F_REQ;
	if (c->srv->o->c.verbose)
		cmd_err(CMD, "%s: PUT %s: %lld bytes, verified", c->peer,
		    fs_shown(sp, sizeof(sp), c->name, strlen(c->name)),
		    (long long)c->end);
}

/* One request frame. */
static void
request(struct fconn *c, const uint8_t *p, uint32_t n)
{
	struct sk_fs_req	 req;
	char			 line[SK_FS_CTLMAX + 1], *arg;

	if (sk_fs_parse(p, n, &req) == -1) {
		fail_req(c, 400, NULL, memchr(p, '\0', n) != NULL ?
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
			fail_req(c, 400, NULL, "expected HELLO");
			return;
		}
		if (req.num != SK_FS_VERSION) {
			fail_req(c, 505, NULL, "this server speaks version 1");
			return;
		}
		c->hello = 1;
		reply(c, SK_FS_R_HELLO, SK_FS_VERSION, NULL, NULL);
		return;
	}
	if (c->state == F_SUMWAIT) {
		if (req.verb != SK_FS_SUM) {
			fail_req(c, 400, NULL, "expected SUM");
			return;
		}
		do_sum(c, arg);
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
		do_get(c, req.num, arg);
		break;
	case SK_FS_PUT:
		do_put(c, req.num, arg);
		break;
	default:
		fail_req(c, 400, NULL, "unknown or malformed request");
	}
}

#ifdef __linux__
/* Up to left bytes from the pipe to the file at *at: the count, or -1. */
static ssize_t
pipe_by_hand(struct fconn *c, loff_t *at, size_t left)
{
	ssize_t	n, w;

	if ((n = read(c->pipe[0], c->srv->buf, left < CHUNK ? left :
	    CHUNK)) <= 0) {
		if (n == 0)
			errno = EIO;
		return -1;
	}
	if ((w = pwrite(c->file, c->srv->buf, (size_t)n, *at)) != n) {
		if (w != -1)
			errno = ENOSPC;
		return -1;
	}
	*at += n;
	return n;
}
#endif

/*
 * Upload bytes from the socket into the file at c->off, at most want, and
 * hash them: the count, 0 at the end of the stream, or -1 with errno
 * (EAGAIN: none yet; EIO: writing failed, why in c->werr).
 */
static ssize_t
recv_upload(struct fconn *c, size_t want)
{
	struct fsrv	*s = c->srv;
	ssize_t		 n, k;

#ifdef __linux__
	if (c->pipe[0] != -1) {
		loff_t	at = c->off;
		size_t	left;

		n = splice(c->fd, NULL, c->pipe[1], NULL, want,
		    SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
		if (n == -1 && (errno == EINVAL || errno == ENOSYS)) {
			pipe_close(c);	/* no splice here: read and pwrite */
			return recv_upload(c, want);
		}
		if (n <= 0)
			return n;
		for (left = (size_t)n; left > 0; left -= (size_t)k) {
			k = splice(c->pipe[0], NULL, c->file, &at, left,
			    SPLICE_F_MOVE);
			if (k == -1 && errno == EINTR) {
				k = 0;
				continue;
			}
			/* A file system that cannot take a splice: by hand. */
			if (k == -1 && (errno == EINVAL || errno == ENOSYS))
				k = pipe_by_hand(c, &at, left);
			if (k <= 0) {
				c->werr = k == 0 ? ENOSPC : errno;
				errno = EIO;
				return -1;
			}
		}
		if (fs_hash_pread(&c->h, c->file, c->off, (off_t)n,
		    s->buf) == -1) {
			c->werr = errno;
			errno = EIO;
			return -1;
		}
		return n;
	}
#endif
	if ((n = read(c->fd, s->buf, want < CHUNK ? want : CHUNK)) <= 0)
		return n;
	if ((k = pwrite(c->file, s->buf, (size_t)n, c->off)) != n) {
		c->werr = k == -1 ? errno : ENOSPC;
		errno = EIO;
		return -1;
	}
	sk_hash_update(&c->h, s->buf, (size_t)n);
	return n;
}

/* Readable: requests, or upload data. */
static int
conn_read(struct fconn *c)
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
		n = recv_upload(c, want);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n == 0 || (n == -1 && errno != EIO))
			return -1;	/* cut mid-upload: the part is kept */
		if (n == -1) {
			snprintf(why, sizeof(why), "cannot write the upload: "
			    "%s", strerror(c->werr));
			fail_req(c, 500, c->name, why);
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
			fail_req(c, 400, NULL, "a request over 65536 bytes");
			break;
		}
		request(c, payload, plen);
	}
	if (sk_frame_dec_pending(&c->dec) == 0)
		sk_frame_dec_release(&c->dec);
	return 0;
}

/*
 * Send file bytes [off, upto): with sendfile on Linux, straight from the
 * page cache; elsewhere read and written through the shared buffer.
 * Returns 1 when the socket is full, 0 when all of it went, -1 on error.
 */
static int
send_file(struct fconn *c, off_t upto)
{
	ssize_t	n;

	while (c->off < upto) {
#ifdef __linux__
		n = sendfile(c->fd, c->file, &c->off, (size_t)(upto -
		    c->off));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 1;
		if (n <= 0)
			return -1;
#else
		n = pread(c->file, c->srv->buf, upto - c->off < CHUNK ?
		    (size_t)(upto - c->off) : CHUNK, c->off);
		if (n <= 0)
			return -1;	/* the file shrank: the client sees it */
		n = sk_net_write(c->fd, c->srv->buf, (size_t)n);
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 1;
		if (n <= 0)
			return -1;
		c->off += n;
#endif
	}
	return 0;
}

/*
 * A download: its bytes, then its checksum.  Each chunk is hashed just
 * before it goes (read once into the cache, then sent from the page cache
 * without another copy); the bytes before the offset, a step a loop turn
 * first.  How far it got is noted for the next one (digest_note).
 */
static int
send_download(struct fconn *c)
{
	struct sk_fs_reply	r;
	struct stat		st;
	int			rc;

	if (!c->known && c->hashed < c->off) {
		if (hash_step(c, c->off - c->hashed < HASH_STEP ?
		    c->off - c->hashed : HASH_STEP, 1) == -1)
			return -1;	/* the file shrank: the client sees it */
		digest_note(c->srv, c);
		return 0;
	}
	for (;;) {
		if ((rc = send_file(c, c->known ? c->end : c->hashed)) != 0)
			return rc == 1 ? 0 : -1;
		if (c->known || c->hashed == c->end)
			break;
		if (hash_step(c, CHUNK, 1) == -1)
			return -1;
		if (c->hashed == c->end) {
			digest_note(c->srv, c);
			c->sum = sk_hash_final(&c->h);
			c->known = 1;
		}
	}
	/* What went must be one version of the file, or it is no use. */
	if (fstat(c->file, &st) == -1 || !same_file(&st, &c->st)) {
		fail_req(c, 409, c->name, "the file changed while it was sent: "
		    "try again");
		return 0;
	}
	memset(&r, 0, sizeof(r));
	r.kind = SK_FS_R_SUM;
	r.sum = c->sum;
	(void)sk_fs_reply_format(&c->out, &r);
	close(c->file);
	c->file = -1;
	c->state = F_REQ;
	return 0;
}

/* An upload to resume: hash its part a step, then say go. */
static int
prep_upload(struct fconn *c)
{
	off_t	end = c->end;

	c->end = c->have;
	if (hash_step(c, HASH_STEP, 0) == -1) {
		/* It shrank under us: start over. */
		c->end = end;
		sk_hash_init(&c->h);
		c->hashed = c->have = 0;
		if (ftruncate(c->file, 0) == -1) {
			fail_req(c, 500, c->name, strerror(errno));
			return 0;
		}
		put_ready(c);
		return 0;
	}
	c->end = end;
	if (c->hashed == c->have)
		put_ready(c);
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
	if (c->state == F_PREP && prep_upload(c) == -1)
		return -1;
	if (c->state == F_SEND && send_download(c) == -1)
		return -1;
	return sk_buf_write(&c->out, c->fd) == -1 ? -1 : 0;
}

/*
 * After c has read or written: close it once it is done closing, else
 * watch it for what it waits for (reading waits while a reply or a
 * download is going out).  -1 when it was closed.
 */
static int
conn_settle(struct fconn *c)
{
	int	want;

	if (c->state == F_CLOSING && sk_buf_len(&c->out) == 0) {
		conn_close(c);
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
	if (((mask & SK_READ) && conn_read(c) == -1) ||
	    ((mask & SK_WRITE) || sk_buf_len(&c->out) > 0 ||
	    c->state == F_SEND || c->state == F_PREP ? conn_write(c) :
	    0) == -1) {
		/* A download that cannot go on (the file shrank): reset. */
		c->abort = c->state == F_SEND;
		conn_close(c);
		return;
	}
	(void)conn_settle(c);
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
			conn_close(c);
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
	int		 fd, rc;

	(void)loop;
	(void)id;
	if ((rc = sk_path_root_moved(s->rootfd, s->o->dir, &fd, real)) == -1) {
		if (!s->root_gone)
			cmd_err(CMD, "%s: removed: nothing is shared until it "
			    "is made again", fs_shown(sp, sizeof(sp), s->o->dir,
			    strlen(s->o->dir)));
		s->root_gone = 1;
		return;
	}
	if (rc == 0)
		return;		/* the same, or again next time */
	close(s->rootfd);
	s->rootfd = fd;
	s->root_gone = 0;
	cmd_err(CMD, "now sharing %s", fs_shown(sp, sizeof(sp), real,
	    strlen(real)));
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
	/* conn_close() unlinks what it frees (the analyzer cannot tell). */
	while (s.conns != NULL)
		conn_close(s.conns);	/* NOLINT(clang-analyzer-unix.Malloc) */
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
