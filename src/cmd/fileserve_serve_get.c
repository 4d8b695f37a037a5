/*
 * fileserve_serve_get.c - fileserve serve's downloads: a file's bytes
 * with sendfile, each chunk hashed through a mapping just before it goes,
 * then its SUM; the digests of files already hashed are remembered
 * (struct digest), so however many clients ask for a file it is hashed
 * at most once per version.
 */
#define _GNU_SOURCE		/* sendfile */

#include <sys/types.h>
#include <sys/stat.h>
#ifdef __linux__
#include <sys/sendfile.h>
#endif

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sockkit/fsproto.h>
#include <sockkit/hash.h>
#include <sockkit/net.h>

#include "fileserve.h"

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
int
fs_hash_step(struct fconn *c, off_t n, int shared)
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

void
fs_do_get(struct fconn *c, long long off, const char *p)
{
	char		 sp[SHOWMAX];
	struct stat	 st;
	struct digest	*d;
	int		 fd;

	/* A FIFO or a device is never opened: regular files only. */
	if ((fd = fs_beneath(c, p, &st, 1)) == -1)
		return;
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		fs_fail(c, 403, p, "not a regular file");
		return;
	}
	if (off < 0 || off > st.st_size) {
		close(fd);
		fs_fail(c, 416, p, "offset past the end of the file");
		return;
	}
	free(c->name);
	if ((c->name = strdup(p)) == NULL) {
		close(fd);
		fs_fail(c, 500, NULL, "out of memory");
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
	fs_reply(c, SK_FS_R_GET, 0, &st, NULL);
	c->state = F_SEND;
	if (c->srv->o->c.verbose)
		cmd_err(CMD, "%s: GET %s from %lld", c->peer,
		    fs_shown(sp, sizeof(sp), p, strlen(p)), off);
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
int
fs_send_download(struct fconn *c)
{
	struct sk_fs_reply	r;
	struct stat		st;
	int			rc;

	if (!c->known && c->hashed < c->off) {
		if (fs_hash_step(c, c->off - c->hashed < HASH_STEP ?
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
		if (fs_hash_step(c, CHUNK, 1) == -1)
			return -1;
		if (c->hashed == c->end) {
			digest_note(c->srv, c);
			c->sum = sk_hash_final(&c->h);
			c->known = 1;
		}
	}
	/* What went must be one version of the file, or it is no use. */
	if (fstat(c->file, &st) == -1 || !same_file(&st, &c->st)) {
		fs_fail(c, 409, c->name, "the file changed while it was sent: "
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
