/*
 * fileserve_serve_put.c - fileserve serve's uploads: one writer per name,
 * the target's directory held open and the partial file made, checked
 * and renamed relative to it (sockkit/path.h), the bytes spliced from the
 * socket into the file and hashed while still in the cache, the SUM
 * checked before the rename.
 */
#define _GNU_SOURCE		/* splice, pipe2, F_SETPIPE_SZ, asprintf */

#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sockkit/fsproto.h>
#include <sockkit/hash.h>
#include <sockkit/loop.h>
#include <sockkit/path.h>
#include <sockkit/text.h>

#include "fileserve.h"

/*
 * put, on Linux: the bytes go from the socket to the file through a pipe
 * (splice), so they are copied once, into the page cache, and not through
 * a buffer of ours first; the hash then reads them there while they are
 * still in the CPU's cache.  The pipe lives while the upload does.
 */
void
fs_pipe_close(struct fconn *c)
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
		if (n <= 0 || fs_conn_read(w) == -1) {
			fs_conn_close(w);
			return NULL;
		}
		w->last_ms = sk_loop_now_ms();
	}
	/* It may have failed a write meanwhile, and be closing. */
	if (fs_conn_settle(w) == -1 || w->file == -1)
		return NULL;
	return w;
}

/* put: the upload may begin, from c->have; say so. */
static void
put_ready(struct fconn *c)
{
	char	sp[SHOWMAX];

	c->off = c->have;
	fs_reply(c, SK_FS_R_PUT, (long long)c->have, NULL, NULL);
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
		fs_fail(c, errno == EEXIST ? 409 : 500, p, errno == EEXIST ?
		    "its partial upload file is not one this server made" :
		    strerror(errno));
		return -1;
	}
	/* A partial upload from before: resume it if it can be. */
	c->have = st.st_size <= size ? st.st_size : 0;
	if (c->have != st.st_size && ftruncate(fd, 0) == -1) {
		close(fd);
		fs_fail(c, 500, p, strerror(errno));
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
		fs_fail(c, 507, p, msg);
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
void
fs_do_put(struct fconn *c, long long size, const char *p)
{
	const char	*name, *why;
	struct stat	 st;

	if (!c->srv->o->upload) {
		fs_fail(c, 403, NULL, "uploads are not allowed "
		    "(--allow-upload)");
		return;
	}
	if (*p == '\0') {
		fs_fail(c, 403, NULL, "an empty path");
		return;
	}
	if ((why = fs_bad_path(p, strlen(p))) != NULL) {
		fs_fail(c, 403, p, why);
		return;
	}
	name = strrchr(p, '/') != NULL ? strrchr(p, '/') + 1 : p;
	if (*name == '\0' || strcmp(name, ".") == 0) {
		fs_fail(c, 403, p, "no file name");
		return;
	}
	/* A name to list and log: no control bytes, no broken UTF-8. */
	if (sk_text_has_ctl((const uint8_t *)name, strlen(name), 0)) {
		fs_fail(c, 403, p, "a control byte or broken UTF-8 in the "
		    "name");
		return;
	}
	if (c->dirfd != -1)
		close(c->dirfd);
	if ((c->dirfd = sk_path_open_parent(c->srv->rootfd, p, 0, &name,
	    &st)) == -1) {
		fs_fail_errno(c, p, 1);
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
		fs_fail(c, 500, NULL, "out of memory");
		return;
	}
	if (writer_of(c->srv, c) != NULL) {
		fs_fail(c, 409, p, "another connection is uploading it: "
		    "try again once it has ended");
		return;
	}
	/* Never write through a symlink, nor over a directory. */
	if (fstatat(c->dirfd, c->final, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    !S_ISREG(st.st_mode)) {
		fs_fail(c, 409, p, S_ISLNK(st.st_mode) ? "the target is a "
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
void
fs_do_sum(struct fconn *c, const char *hex)
{
	char		sp[SHOWMAX];
	uint64_t	sum;

	if (c->final == NULL || c->tmp == NULL || c->dirfd == -1) {
		fs_fail(c, 400, NULL, "SUM without an upload");
		return;
	}
	/* A malformed hex is a mismatch too, as any other wrong one. */
	if (sk_fs_sum_parse(hex, strlen(hex), &sum) == -1 ||
	    sum != sk_hash_final(&c->h)) {
		(void)sk_path_part_drop(c->dirfd, c->tmp, c->file);
		fs_fail(c, 422, c->name, "checksum mismatch: the upload was "
		    "corrupt and is removed");
		return;
	}
	/*
	 * What is renamed into place must be the file verified, and only
	 * over a regular file: a local user may have put another file (or a
	 * link) under either name meanwhile.
	 */
	if (sk_path_commit(c->dirfd, c->file, c->tmp, c->final) == -1) {
		fs_fail(c, errno == ESTALE || errno == EEXIST ? 409 : 500,
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
	fs_pipe_close(c);
	fs_reply(c, SK_FS_R_DONE, 0, NULL, NULL);
	c->state = F_REQ;
	if (c->srv->o->c.verbose)
		cmd_err(CMD, "%s: PUT %s: %lld bytes, verified", c->peer,
		    fs_shown(sp, sizeof(sp), c->name, strlen(c->name)),
		    (long long)c->end);
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
ssize_t
fs_recv_upload(struct fconn *c, size_t want)
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
			fs_pipe_close(c);	/* no splice here: read and pwrite */
			return fs_recv_upload(c, want);
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
		if (sk_hash_pread(&c->h, c->file, c->off, (off_t)n, s->buf,
		    CHUNK) == -1) {
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

/* An upload to resume: hash its part a step, then say go. */
int
fs_prep_upload(struct fconn *c)
{
	off_t	end = c->end;

	c->end = c->have;
	if (fs_hash_step(c, HASH_STEP, 0) == -1) {
		/* It shrank under us: start over. */
		c->end = end;
		sk_hash_init(&c->h);
		c->hashed = c->have = 0;
		if (ftruncate(c->file, 0) == -1) {
			fs_fail(c, 500, c->name, strerror(errno));
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
