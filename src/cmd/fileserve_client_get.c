/*
 * fileserve_client_get.c - sockkit fileserve get: the local name (-o, a
 * directory's entry, where a link leads, or a device or stdout written
 * straight into), the partial file of an earlier get resumed and locked,
 * the bytes received into page-aligned buffers and hashed while in the
 * cache, written by a second thread (core/wb), then checked against the
 * server's SUM and renamed into place (sk_path_commit).
 */
#define _GNU_SOURCE		/* O_NOFOLLOW, realpath's PATH_MAX, asprintf */

#include <sys/types.h>
#include <sys/stat.h>

#include <poll.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sockkit/clock.h>
#include <sockkit/fsproto.h>
#include <sockkit/hash.h>
#include <sockkit/path.h>
#include <sockkit/wb.h>

#include "fileserve.h"

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
		fs_progress(cl, *got + (long long)n, size, 0);
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
		fs_cl_err(cl, "%s: %s is in the way: %s", local, tmp,
		    errno == EEXIST ? "another get made it" :
		    "a symbolic link");
		return -1;
	}
	if (fd == -1) {
		fs_cl_err(cl, "%s: %s", local, strerror(errno));
		return -1;
	}
	if (lock_part(fd) == -1 || fstat(fd, &st) == -1 ||
	    !S_ISREG(st.st_mode)) {
		e = errno;
		close(fd);
		if (e == EACCES || e == EAGAIN)
			fs_cl_err(cl, "%s: another fileserve get is writing it",
			    local);
		else
			fs_cl_err(cl, "%s: %s is in the way: not a regular file",
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
	cl->what = g->to_stdout ? fs_base_name(o->path) : fs_base_name(g->local);
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
		fs_cl_err(cl, "out of memory");
		g->tmp = NULL;
		return -1;
	}
	if (fs_connect(cl) == -1 || fs_send_req(cl, SK_FS_STAT, 0,
	    o->path) == -1 || fs_expect_ok(cl, SK_FS_R_STAT, &r) == -1)
		return -1;
	if (r.type != 'f') {
		fs_cl_err(cl, "%s: not a regular file", fs_shown(sp, sizeof(sp),
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
		if (g->resumed > 0 && fs_hash_local(&g->h, g->fd, g->resumed,
		    g->buf) == -1) {
			fs_cl_err(cl, "%s: %s", g->local, strerror(errno));
			return -1;
		}
	}
	if (fs_send_req(cl, SK_FS_GET, g->resumed, o->path) == -1 ||
	    fs_expect_ok(cl, SK_FS_R_GET, &r) == -1)
		return -1;
	/* The size must be the one STAT gave: no more is written. */
	if (r.size != g->size) {
		fs_cl_err(cl, "a malformed reply from the server");
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
			fs_cl_err(cl, "%s: %s", g->local, strerror(errno));
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
			fs_cl_err(cl, "%s: %s", g->local, strerror(errno));
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
		fs_cl_err(cl, "%s", err);
		return -1;
	}
	got = g->resumed;
	rc = recv_body(cl, w, &got, g->size, &g->h);
	e = errno;
	if (sk_wb_close(w) == -1) {
		if (g->to_stdout && errno == EPIPE) {
			fs_end_progress(cl);
			cmd_stdout_gone();	/* quiet: cmd_exit() */
		} else
			fs_cl_err(cl, "%s: %s", g->where, strerror(errno));
		return -1;
	}
	if (rc == -1) {
		fs_cl_err(cl, "the transfer was cut at %lld of %lld bytes%s%s%s",
		    got, g->size, e != 0 ? ": " : "", e != 0 ? fs_why(cl, e) : "",
		    g->stream ? "" : ": run again to resume");
		return -1;
	}
	fs_progress(cl, g->size, g->size, 1);
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

	if (fs_recv_line(cl) == 0 && (rc = sk_fs_parse_reply(cl->line, cl->len,
	    SK_FS_R_SUM, &r)) == -1 && !g->stream)
		fs_bad_reply(cl, &r);
	if (rc == -1) {
		/* On stdout, the bytes have gone and cannot be taken back. */
		if (g->stream)
			fs_cl_err(cl, "%s: not verified: what went to %s may "
			    "not be the server's file", fs_shown(sp,
			    sizeof(sp), path, strlen(path)),
			    fs_shown(sw, sizeof(sw), g->where,
			    strlen(g->where)));
		return -1;
	}
	if (r.err != 0) {
		/* The file changed as it was sent: keep what came. */
		fs_server_err(cl, &r);
		return -1;
	}
	if (r.sum == sk_hash_final(&g->h))
		return 0;
	fs_cl_err(cl, "checksum mismatch for %s%s%s%s", fs_shown(sp, sizeof(sp),
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
			fs_cl_err(cl, "%s: not a regular file any more: not "
			    "replaced; what came is in %s", g->local, g->tmp);
		else if (errno == ESTALE)
			fs_cl_err(cl, "%s: %s was replaced or removed meanwhile: "
			    "not renamed into place", g->local, g->tmp);
		else
			fs_cl_err(cl, "%s: %s", g->local, strerror(errno));
		return -1;
	}
	if (cl->o->c.verbose)
		cmd_err(CMD, "%s: %lld bytes (%lld resumed) in %.3f s, "
		    "verified", fs_shown(sp, sizeof(sp), g->where,
		    strlen(g->where)), g->size, g->resumed,
		    (double)(sk_clock_ms() - cl->start_ms) / 1000);
	return 0;
}

int
fs_client_get(struct client *cl)
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
	fs_end_progress(cl);
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
