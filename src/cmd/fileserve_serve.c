/*
 * fileserve_serve.c - sockkit fileserve serve: share a directory with many
 * clients at once from one event loop (protocol: docs/protocol.md).
 *
 * Speed: the server sends with sendfile and hashes through a mapping just
 * ahead of it (no copy), and remembers the digests of files sent whole.
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

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
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
#include <sockkit/msg.h>
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
 * The digests of files sent whole, so a file sent again is not hashed
 * again.  An entry stands only while the file's inode, size, mtime and
 * ctime are all unchanged (any write moves ctime, which no one can set).
 */
#define DIGESTS		256

struct digest {
	struct stat	st;
	uint64_t	sum;
};

struct fsrv {
	const struct fs_opts	*o;
	struct sk_loop		*loop;
	int			 lfd;
	char			 root[PATH_MAX];
	uint8_t			*buf;		/* CHUNK, shared */
	int			 nconns;
	struct fconn		*conns;
	int			 afd;		/* --announce: UDP, or -1 */
	char			 adgram[128];
	size_t			 alen;
	struct sockaddr_in	 adst;
	struct digest		 digests[DIGESTS];
	int			 ndigests, nextdigest;
};

enum fstate { F_REQ, F_SEND, F_RECV, F_SUMWAIT, F_CLOSING };

struct fconn {
	struct fsrv		*srv;
	int			 fd;
	enum fstate		 state;
	int			 hello;
	struct sk_frame_dec	 dec;
	struct sk_buf		 out;
	int			 file;		/* -1 when none */
	off_t			 off;		/* next byte to send or write */
	off_t			 hashed;	/* get: bytes hashed so far */
	off_t			 end;
	struct sk_hash		 h;
	struct stat		 st;		/* get: the file at the start */
	int			 known;		/* get: its digest is known: */
	uint64_t		 sum;		/* this */
	char			*tmp;		/* put: the partial file */
	char			*final;		/* put: where it goes */
	char			*path;		/* the request's path, for errors */
	char			 peer[SK_ADDRSTRLEN];
	long long		 last_ms;	/* bytes last moved */
	struct fconn		*next;
};

static void	on_conn(struct sk_loop *, int, int, void *);
static void	resume_accept(struct sk_loop *, long long, void *);
static struct fconn *uploading(const struct fsrv *, const struct fconn *);

/* The -v log: "PEER: what", the client's bytes in it made safe. */
static void
log_req(const struct fconn *c, const char *what)
{
	fprintf(stderr, "sockkit: %s: %s: ", CMD, c->peer);
	cmd_put_text(stderr, what, strlen(what), SK_TEXT_BACKSLASH);
	fputc('\n', stderr);
}

static void
logf_req(const struct fconn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
logf_req(const struct fconn *c, const char *fmt, ...)
{
	char	line[PATH_MAX + 256];
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	log_req(c, line);
}

/* Queue one control frame, printf-style. */
static void
reply(struct fconn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
reply(struct fconn *c, const char *fmt, ...)
{
	char	line[PATH_MAX + 1024];
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(line))
		n = sizeof(line) - 1;
	(void)sk_frame_encode(&c->out, line, (size_t)n);
	if (c->srv->o->c.verbose && strncmp(line, "ERR", 3) == 0)
		log_req(c, line);
}

/*
 * An error reply, naming the path it is about ("ERR 404 a/b: No such
 * file or directory"); after 400 and 505 the connection is closed.
 */
static void
fail_req(struct fconn *c, int code, const char *msg)
{
	if (c->path != NULL && *c->path != '\0' && code != 400 &&
	    code != 505)
		reply(c, "ERR %d %s: %s", code, c->path, msg);
	else
		reply(c, "ERR %d %s", code, msg);
	if (c->file != -1) {
		close(c->file);
		c->file = -1;
	}
	c->state = code == 400 || code == 505 ? F_CLOSING : F_REQ;
}

static void
conn_close(struct fconn *c)
{
	struct fsrv	*s = c->srv;
	struct fconn	**pp;

	for (pp = &s->conns; *pp != NULL; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	if (s->o->c.verbose)
		cmd_err(CMD, "%s disconnected", c->peer);
	sk_loop_del(s->loop, c->fd);
	close(c->fd);
	if (c->file != -1)
		close(c->file);
	sk_frame_dec_release(&c->dec);
	sk_buf_release(&c->out);
	free(c->tmp);
	free(c->final);
	free(c->path);
	s->nconns--;
	free(c);
}

/* Resolve an existing path inside the root; 0, or an error reply sent. */
static int
resolve(struct fconn *c, const char *p, char *real)
{
	struct fsrv	*s = c->srv;
	const char	*why;

	if ((why = bad_path(p, strlen(p))) != NULL) {
		fail_req(c, 403, why);
		return -1;
	}
	if (sk_path_resolve(s->root, p, real) == -1) {
		fail_req(c, errno == ENOENT || errno == ENOTDIR ? 404 :
		    errno == ENAMETOOLONG ? 400 : 403, errno == EPERM ?
		    "outside the served directory" : strerror(errno));
		return -1;
	}
	return 0;
}

static char
type_of(mode_t m)
{
	return S_ISREG(m) ? 'f' : S_ISDIR(m) ? 'd' : S_ISLNK(m) ? 'l' : 'o';
}

static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
do_ls(struct fconn *c, const char *p)
{
	char		 real[PATH_MAX], **names = NULL, **nn;
	struct dirent	*de;
	struct stat	 st;
	size_t		 n = 0, i;
	DIR		*d;

	if (resolve(c, p, real) == -1)
		return;
	if ((d = opendir(real)) == NULL) {
		fail_req(c, errno == ENOTDIR ? 404 : 403, errno == ENOTDIR ?
		    "not a directory" : strerror(errno));
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0 ||
		    bad_path(de->d_name, strlen(de->d_name)) != NULL)
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
	reply(c, "OK %zu", n);
	for (i = 0; i < n; i++) {
		if (fstatat(dirfd(d), names[i], &st, AT_SYMLINK_NOFOLLOW) == -1)
			memset(&st, 0, sizeof(st));
		reply(c, "%c %lld %lld %s", type_of(st.st_mode),
		    (long long)st.st_size, (long long)st.st_mtime, names[i]);
		free(names[i]);
	}
	free(names);
	closedir(d);
}

static void
do_stat(struct fconn *c, const char *p)
{
	char		real[PATH_MAX];
	struct stat	st;

	if (resolve(c, p, real) == -1)
		return;
	if (stat(real, &st) == -1) {
		fail_req(c, 404, strerror(errno));
		return;
	}
	reply(c, "OK %c %lld %lld", type_of(st.st_mode),
	    (long long)st.st_size, (long long)st.st_mtime);
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

/* Remember a digest, replacing the oldest entry when full. */
static void
digest_add(struct fsrv *s, const struct stat *st, uint64_t sum)
{
	struct digest	*d;

	if (digest_find(s, st) != NULL)
		return;
	if (s->ndigests < DIGESTS)
		d = &s->digests[s->ndigests++];
	else {
		d = &s->digests[s->nextdigest];
		s->nextdigest = (s->nextdigest + 1) % DIGESTS;
	}
	d->st = *st;
	d->sum = sum;
}

static void
do_get(struct fconn *c, long long off, const char *p)
{
	char		 real[PATH_MAX];
	struct stat	 st;
	struct digest	*d;
	int		 fd;

	if (resolve(c, p, real) == -1)
		return;
	if ((fd = open(real, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		fail_req(c, errno == ENOENT ? 404 : 403, strerror(errno));
		return;
	}
	/* Never block on a FIFO or a device: regular files only. */
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		close(fd);
		fail_req(c, 403, "not a regular file");
		return;
	}
	if (off < 0 || off > st.st_size) {
		close(fd);
		fail_req(c, 416, "offset past the end of the file");
		return;
	}
	c->st = st;
	d = digest_find(c->srv, &st);
	c->known = d != NULL;
	c->sum = d != NULL ? d->sum : 0;
	sk_hash_init(&c->h);
	if (!c->known && sk_hash_file(&c->h, fd, 0, (off_t)off,
	    c->srv->buf, CHUNK) == -1) {
		close(fd);
		fail_req(c, 500, "cannot read the file");
		return;
	}
	c->file = fd;
	c->off = c->hashed = (off_t)off;
	c->end = st.st_size;
	reply(c, "OK %lld %lld", (long long)st.st_size,
	    (long long)st.st_mtime);
	c->state = F_SEND;
	if (c->srv->o->c.verbose)
		logf_req(c, "GET %s from %lld", p, off);
}

static void
do_put(struct fconn *c, long long size, const char *p)
{
	struct fsrv	*s = c->srv;
	char		 dir[PATH_MAX], real[PATH_MAX], *slash, msg[256];
	const char	*name = p, *why;
	struct stat	 st;
	struct statvfs	 vfs;
	off_t		 have;
	int		 fd;

	if (!s->o->upload) {
		fail_req(c, 403, "uploads are not allowed (--allow-upload)");
		return;
	}
	if ((why = bad_path(p, strlen(p))) != NULL || *p == '\0') {
		fail_req(c, 403, why ? why : "an empty path");
		return;
	}
	/* Never cut: what was left of a cut path kept its slashes. */
	if (strlen(p) >= sizeof(dir)) {
		fail_req(c, 400, "the path is too long");
		return;
	}
	/* The directory must exist inside the root; the name is ours. */
	snprintf(dir, sizeof(dir), "%s", p);
	if ((slash = strrchr(dir, '/')) != NULL) {
		*slash = '\0';
		name = p + (slash - dir) + 1;
	} else
		snprintf(dir, sizeof(dir), ".");
	if (*name == '\0' || strcmp(name, ".") == 0) {
		fail_req(c, 403, "no file name");
		return;
	}
	if (resolve(c, dir, real) == -1)
		return;
	free(c->final);
	free(c->tmp);
	c->final = c->tmp = NULL;
	if (asprintf(&c->final, "%s/%s", real, name) == -1 ||
	    asprintf(&c->tmp, "%s/.%s" PART, real, name) == -1) {
		fail_req(c, 500, "out of memory");
		return;
	}
	/* One writer per name: a second one would mix two uploads. */
	if (uploading(s, c) != NULL) {
		fail_req(c, 409, "another client is uploading it: try again "
		    "when it is done");
		return;
	}
	/* Never write through a symlink, nor over a directory. */
	if (lstat(c->final, &st) == 0 && !S_ISREG(st.st_mode)) {
		fail_req(c, 409, S_ISLNK(st.st_mode) ? "the target is a "
		    "symbolic link" : "the target is not a regular file");
		return;
	}
	/*
	 * Read and written: a part from before is hashed to resume it.
	 * Nonblocking, so a FIFO planted there cannot stall the server; it
	 * must be a plain file with no other name (a hard link planted
	 * there would have a file elsewhere overwritten).
	 */
	fd = open(c->tmp, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK |
	    O_NOCTTY | O_CLOEXEC, 0644);
	if (fd == -1 || fstat(fd, &st) == -1) {
		if (fd != -1)
			close(fd);
		fail_req(c, 500, strerror(errno));
		return;
	}
	if (!S_ISREG(st.st_mode) || st.st_nlink != 1 ||
	    st.st_uid != geteuid()) {
		close(fd);
		fail_req(c, 409, "its partial upload file is not one this "
		    "server made");
		return;
	}
	/* A partial upload from before: resume it if it can be. */
	have = st.st_size <= size ? st.st_size : 0;
	if (have != st.st_size && ftruncate(fd, 0) == -1) {
		close(fd);
		fail_req(c, 500, strerror(errno));
		return;
	}
	sk_hash_init(&c->h);
	if (have > 0 && sk_hash_file(&c->h, fd, 0, have, s->buf, CHUNK) == -1) {
		have = 0;
		sk_hash_init(&c->h);
		(void)ftruncate(fd, 0);
	}
	/* Refuse at once what clearly cannot fit, rather than fill the disk. */
	if (fstatvfs(fd, &vfs) == 0 && (unsigned long long)vfs.f_bavail *
	    vfs.f_frsize < (unsigned long long)(size - have)) {
		close(fd);
		if (have == 0)
			(void)unlink(c->tmp);	/* made just now */
		snprintf(msg, sizeof(msg), "not enough space: %lld bytes "
		    "needed, %llu free", size - (long long)have,
		    (unsigned long long)vfs.f_bavail * vfs.f_frsize);
		fail_req(c, 507, msg);
		return;
	}
	c->file = fd;
	c->off = have;
	c->end = (off_t)size;
	reply(c, "OK %lld", (long long)have);
	c->state = have < size ? F_RECV : F_SUMWAIT;
	if (s->o->c.verbose)
		logf_req(c, "PUT %s, %lld bytes, from %lld", p, size,
		    (long long)have);
}

/* Another connection writing c's target now, or NULL. */
static struct fconn *
uploading(const struct fsrv *s, const struct fconn *c)
{
	struct fconn	*o;

	for (o = s->conns; o != NULL; o = o->next)
		if (o != c && o->final != NULL && (o->state == F_RECV ||
		    o->state == F_SUMWAIT) && strcmp(o->final, c->final) == 0)
			return o;
	return NULL;
}

/* The trailer of an upload: verify, sync, rename into place. */
static void
do_sum(struct fconn *c, const char *hex)
{
	char	want[32];
	int	dfd;
	char	*slash;

	if (c->final == NULL || c->tmp == NULL) {
		fail_req(c, 400, "SUM without an upload");
		return;
	}
	snprintf(want, sizeof(want), "%016" PRIx64, sk_hash_final(&c->h));
	if (strcmp(want, hex) != 0) {
		(void)unlink(c->tmp);
		fail_req(c, 422, "checksum mismatch: the upload was corrupt "
		    "and is removed");
		return;
	}
	if (fsync(c->file) == -1 || rename(c->tmp, c->final) == -1) {
		fail_req(c, 500, strerror(errno));
		return;
	}
	/* The rename itself survives a crash once the directory is synced. */
	if ((slash = strrchr(c->final, '/')) != NULL) {
		*slash = '\0';
		if ((dfd = open(c->final, O_RDONLY | O_CLOEXEC)) != -1) {
			(void)fsync(dfd);
			close(dfd);
		}
		*slash = '/';
	}
	close(c->file);
	c->file = -1;
	reply(c, "OK");
	c->state = F_REQ;
}

/* One request frame. */
static void
request(struct fconn *c, const uint8_t *p, uint32_t n)
{
	struct sk_fs_req	 req;
	char			 line[CTLMAX + 1], *arg;

	free(c->path);
	c->path = NULL;
	if (sk_fs_parse(p, n, &req) == -1) {
		fail_req(c, 400, memchr(p, '\0', n) != NULL ? "a NUL byte in "
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
			fail_req(c, 400, "expected HELLO");
			return;
		}
		if (req.num != VERSION) {
			fail_req(c, 505, "this server speaks version 1");
			return;
		}
		c->hello = 1;
		reply(c, "OK %d", VERSION);
		return;
	}
	if (req.verb != SK_FS_SUM && req.verb != SK_FS_HELLO)
		c->path = strdup(arg);
	else if (c->final != NULL)
		c->path = strdup(c->final + strlen(c->srv->root) + 1);
	if (c->state == F_SUMWAIT) {
		if (req.verb != SK_FS_SUM) {
			fail_req(c, 400, "expected SUM");
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
		fail_req(c, 400, "unknown or malformed request");
	}
}

/* Readable: requests, or upload data. */
static int
conn_read(struct fconn *c)
{
	struct fsrv	*s = c->srv;
	const uint8_t	*payload;
	uint32_t	 plen;
	char		 why[256];
	ssize_t		 n, w;
	size_t		 want;
	int		 rc;

	if (c->state == F_RECV) {
		want = (size_t)(c->end - c->off) < CHUNK ?
		    (size_t)(c->end - c->off) : CHUNK;
		n = read(c->fd, s->buf, want);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return 0;
		if (n <= 0)
			return -1;	/* cut mid-upload: the part is kept */
		if ((w = pwrite(c->file, s->buf, (size_t)n, c->off)) != n) {
			snprintf(why, sizeof(why), "cannot write the upload: "
			    "%s", w == -1 ? strerror(errno) : "the disk is full");
			fail_req(c, 500, why);
			c->state = F_CLOSING;
			return 0;
		}
		sk_hash_update(&c->h, s->buf, (size_t)n);
		c->off += n;
		if (c->off == c->end)
			c->state = F_SUMWAIT;
		return 0;
	}
	n = sk_frame_dec_read(&c->dec, c->fd, CTLMAX);
	if (n == -1 && (errno == EAGAIN || errno == EINTR))
		return 0;
	if (n <= 0)
		return -1;
	while (c->state == F_REQ || c->state == F_SUMWAIT) {
		if ((rc = sk_frame_dec_next(&c->dec, &payload, &plen)) == 0)
			break;
		if (rc == -1) {
			fail_req(c, 400, "a request over 65536 bytes");
			break;
		}
		request(c, payload, plen);
	}
	if (sk_frame_dec_pending(&c->dec) == 0)
		sk_frame_dec_release(&c->dec);
	return 0;
}

/*
 * Send file bytes [off, hashed): with sendfile on Linux, straight from the
 * page cache; elsewhere from our copy.  Returns 1 when the socket is full,
 * 0 when all of it went, -1 on error.
 */
static int
send_hashed(struct fconn *c)
{
	ssize_t	n;

	while (c->off < c->hashed) {
#ifdef __linux__
		n = sendfile(c->fd, c->file, &c->off, (size_t)(c->hashed -
		    c->off));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 1;
		if (n <= 0)
			return -1;
#else
		/* The chunk hashed last is still in the shared buffer. */
		n = sk_net_write(c->fd, c->srv->buf + (CHUNK -
		    (c->hashed - c->off)), (size_t)(c->hashed - c->off));
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 1;
		if (n <= 0)
			return -1;
		c->off += n;
#endif
	}
	return 0;
}

/* Writable: replies, then file data, then its checksum. */
static int
conn_write(struct fconn *c)
{
	struct stat	st;
	char		sum[32];
	ssize_t		n;
	int		rc;

	if (sk_buf_write(&c->out, c->fd) == -1)
		return -1;
	if (sk_buf_len(&c->out) > 0 || c->state != F_SEND)
		return 0;
	/*
	 * Hash each chunk just before it goes: read once into the cache,
	 * then sent from the page cache without another copy.
	 */
	for (;;) {
		if ((rc = send_hashed(c)) != 0)
			return rc == 1 ? 0 : -1;
		if (c->hashed == c->end)
			break;
		n = (size_t)(c->end - c->hashed) < CHUNK ?
		    (ssize_t)(c->end - c->hashed) : CHUNK;
#ifdef __linux__
		if (c->known)
			n = (ssize_t)(c->end - c->hashed);
		else if (sk_hash_file(&c->h, c->file, c->hashed, (off_t)n,
		    c->srv->buf, CHUNK) == -1)
			return -1;	/* the file shrank: the client sees it */
#else
		n = pread(c->file, c->srv->buf, (size_t)n, c->hashed);
		if (n <= 0)
			return -1;	/* the file shrank: the client sees it */
		if (!c->known)
			sk_hash_update(&c->h, c->srv->buf, (size_t)n);
		/* Keep the copy at the buffer's end for send_hashed(). */
		memmove(c->srv->buf + CHUNK - n, c->srv->buf, (size_t)n);
#endif
		c->hashed += n;
	}
	/* What went must be one version of the file, or it is no use. */
	if (fstat(c->file, &st) == -1 || !same_file(&st, &c->st)) {
		fail_req(c, 409, "the file changed while it was sent: "
		    "try again");
		return sk_buf_write(&c->out, c->fd) == -1 ? -1 : 0;
	}
	if (!c->known) {
		c->sum = sk_hash_final(&c->h);
		digest_add(c->srv, &c->st, c->sum);
	}
	snprintf(sum, sizeof(sum), "%016" PRIx64, c->sum);
	reply(c, "SUM %s", sum);
	close(c->file);
	c->file = -1;
	c->state = F_REQ;
	return sk_buf_write(&c->out, c->fd) == -1 ? -1 : 0;
}

static void
on_conn(struct sk_loop *loop, int fd, int mask, void *arg)
{
	struct fconn	*c = arg;
	int		 want;

	(void)fd;
	/* Readable or writable: the client sent or took something. */
	c->last_ms = sk_loop_now_ms();
	if (((mask & SK_READ) && conn_read(c) == -1) ||
	    ((mask & SK_WRITE) || sk_buf_len(&c->out) > 0 ||
	    c->state == F_SEND ? conn_write(c) : 0) == -1) {
		conn_close(c);
		return;
	}
	if (c->state == F_CLOSING && sk_buf_len(&c->out) == 0) {
		conn_close(c);
		return;
	}
	/* Reading waits while a reply or a download is going out. */
	want = sk_buf_len(&c->out) > 0 || c->state == F_SEND ? SK_WRITE :
	    SK_READ;
	if (sk_buf_len(&c->out) == 0 && sk_buf_len(&c->out) < CHUNK)
		sk_buf_release(&c->out);
	(void)sk_loop_mod(NULL, loop, c->fd, want);
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
	for (;;) {
		sslen = sizeof(ss);
		if ((fd = sk_net_accept(NULL, lfd, &ss, &sslen)) == -1) {
			(void)cmd_accept_pause(CMD, loop, lfd, resume_accept,
			    s);
			return;
		}
		if ((c = calloc(1, sizeof(*c))) == NULL) {
			close(fd);
			continue;
		}
		c->srv = s;
		c->fd = fd;
		c->file = -1;
		c->last_ms = sk_loop_now_ms();
		sk_frame_dec_init(&c->dec, CTLMAX);
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

/* How often the idle sweep runs: a second, or oftener for a short limit. */
static long long
sweep_ms(const struct fs_opts *o)
{
	return o->idle_ms >= 2000 ? 1000 : o->idle_ms / 2 > 10 ?
	    o->idle_ms / 2 : 10;
}

/* --idle-timeout: once a second, close connections where nothing moved. */
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
				cmd_err(CMD, "%s: idle for %.10gs: closed", c->peer,
				    (double)s->o->idle_ms / 1000);
			conn_close(c);
		}
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
	if ((s->afd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, SK_ERRLEN, "announce: %s", strerror(errno));
		return -1;
	}
	if (sk_net_broadcast(err, s->afd) == -1 || (s->o->iface != NULL &&
	    sk_net_bind_iface(err, s->afd, s->o->iface) == -1))
		return -1;
	memset(&s->adst, 0, sizeof(s->adst));
	s->adst.sin_family = AF_INET;
	s->adst.sin_port = htons((uint16_t)strtol(ANNOUNCE_PORT, NULL, 10));
	s->adst.sin_addr.s_addr = htonl(INADDR_BROADCAST);
	s->alen = (size_t)snprintf(s->adgram, sizeof(s->adgram),
	    ANNOUNCE_MAGIC "%s %d\n", s->o->announce,
	    sk_net_local_port(NULL, s->lfd));
	on_announce(s->loop, 0, s);
	return sk_loop_timer_add(err, s->loop, 1000, 1000, on_announce, s) ==
	    -1 ? -1 : 0;
}

int
fs_serve(const struct fs_opts *o)
{
	struct fsrv	s;
	char		err[SK_ERRLEN], nb[PATH_MAX];
	int		status = 0;
	DIR		*d;

	memset(&s, 0, sizeof(s));
	s.o = o;
	s.lfd = -1;
	s.afd = -1;
	/* What DIR is, now: a file or an unreadable directory would only
	 * get every request a 404. */
	if (realpath(o->dir, s.root) == NULL || (d = opendir(s.root)) ==
	    NULL) {
		cmd_err(CMD, "%s: %s", fs_shown(o->dir, nb, sizeof(nb)),
		    strerror(errno));
		return EXIT_RUNTIME;
	}
	errno = 0;
	if (readdir(d) == NULL && errno != 0) {
		cmd_err(CMD, "%s: %s", fs_shown(o->dir, nb, sizeof(nb)),
		    strerror(errno));
		closedir(d);
		return EXIT_RUNTIME;
	}
	closedir(d);
	if ((s.lfd = cmd_server_socket(CMD, &o->c, NULL, o->host, o->port,
	    SOCK_STREAM)) == -1)
		return EXIT_RUNTIME;
	if (posix_memalign((void **)&s.buf, PAGE_ALIGN, CHUNK) != 0 ||
	    (s.loop = sk_loop_new(err, o->c.backend)) == NULL ||
	    sk_loop_add(err, s.loop, s.lfd, SK_READ, on_accept, &s) == -1 ||
	    (o->announce != NULL && start_announce(&s, err) == -1) ||
	    (o->idle_ms > 0 && sk_loop_timer_add(err, s.loop, sweep_ms(o),
	    sweep_ms(o),
	    on_sweep, &s) == -1) ||
	    cmd_signals_init(CMD, s.loop) == -1) {
		cmd_err(CMD, "%s", s.buf ? err : "out of memory");
		status = EXIT_RUNTIME;
	} else {
		cmd_listening(CMD, s.lfd);
		if (sk_loop_run(err, s.loop) == -1) {
			cmd_err(CMD, "%s", err);
			status = EXIT_RUNTIME;
		}
		cmd_signals_fini(s.loop);
	}
	/* conn_close() unlinks what it frees (the analyzer cannot tell). */
	while (s.conns != NULL)
		conn_close(s.conns);	/* NOLINT(clang-analyzer-unix.Malloc) */
	if (s.lfd != -1)
		close(s.lfd);
	if (s.afd != -1)
		close(s.afd);
	sk_loop_free(s.loop);
	free(s.buf);
	return status;
}
