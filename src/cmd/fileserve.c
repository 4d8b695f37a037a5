/*
 * fileserve.c - sockkit fileserve: verified, resumable file transfer.
 * `serve` shares a directory with many clients at once from one event
 * loop; `get`, `put` and `ls` are its clients.  The protocol is in
 * docs/protocol.md: framed text requests, raw data, and an XXH64 of the
 * whole file at the end of every transfer.  Both sides write to a
 * temporary name and rename only once the checksum matches, so a killed
 * transfer never leaves a truncated file under the final name, and the
 * next one resumes where it stopped.
 *
 * Speed: the server sends with sendfile and hashes through a mapping just
 * ahead of it (no copy), and remembers the digests of files sent whole;
 * the client receives into page-aligned buffers, hashes each while it is
 * in the cache, and leaves the writing to a second thread (core/wb).
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
#include <poll.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
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
#include <sockkit/msg.h>
#include <sockkit/net.h>
#include <sockkit/path.h>
#include <sockkit/text.h>
#include <sockkit/wb.h>

#include "cmd.h"

static const char usage_text[] =
"usage: sockkit fileserve serve [-d DIR] [--allow-upload] [ADDRESS] PORT\n"
"       sockkit fileserve get HOST PORT REMOTE_PATH [-o LOCAL] [--no-resume]\n"
"       sockkit fileserve put HOST PORT LOCAL [REMOTE_PATH]\n"
"       sockkit fileserve ls HOST PORT [REMOTE_DIR] [--json]\n"
"\n"
"serve: share DIR (default .) read-only, or writable with --allow-upload;\n"
"nothing outside DIR is ever served or written.\n"
"get: download REMOTE_PATH to LOCAL (default: its basename; - for stdout;\n"
"a directory: the basename inside it) through LOCAL.sockkit-part, resuming\n"
"a partial one, verified end to end.\n"
"put: upload LOCAL (to a remote directory: inside it), resuming a partial\n"
"upload, verified; the server renames it into place only once the checksum\n"
"matches.\n"
"ls: names, sizes, times and types in REMOTE_DIR.\n"
"\n"
"options:\n"
"  -d, --dir DIR            serve: the directory shared (default .)\n"
"      --allow-upload       serve: accept put\n"
"      --announce[=NAME]    serve: announce NAME (default fileserve) on the\n"
"                           LAN every second, for broadcast discover\n"
"      --iface NAME         serve: the interface to announce on\n"
"      --idle-timeout SECS  serve: close a connection where nothing has\n"
"                           moved for SECS (default 300; 0: never)\n"
"  -o, --output LOCAL       get: the local name or directory; - for stdout\n"
"      --no-resume          get: start over, ignoring a partial file\n"
"  -w SECONDS               clients: connect and idle timeout (default 30)\n"
"      --json               ls: one JSON object per entry\n"
"  -4, -6                   IPv4 or IPv6 only\n"
"      --backend NAME       serve: event loop: select, poll or epoll\n"
"  -v                       serve: log requests; clients: a final summary\n"
"  -h, --help               this text\n"
"\n"
"Progress goes to stderr when it is a terminal.  Exit 0 on success, 1 when\n"
"a transfer fails (refused, not found, checksum mismatch), 2 on a usage\n"
"error.\n";

#define CMD		"fileserve"
#define VERSION		1
#define CTLMAX		65536
#define CHUNK		(256 * 1024)
/*
 * Buffers the kernel copies received bytes into are page-aligned: into a
 * malloc'd one (16 bytes off) the copy ran at 1.5 GB/s here, 2.4 aligned.
 */
#define PAGE_ALIGN	4096
#define WBUFS		8		/* get: CHUNKs queued for writing */
#define PART		".sockkit-part"
#define SHOWMAX		512		/* peer bytes shown in a message */
#define ERRPATH		1024		/* a path quoted in an ERR reply */
#define DRAIN_MAX	64		/* reads taken from a gone writer */
#define UPCHUNK		(1024 * 1024)	/* put: spliced at a time */

enum action { A_SERVE, A_GET, A_PUT, A_LS };

struct fs_opts {
	struct common_opts	 c;
	enum action		 action;
	const char		*dir;
	int			 upload;
	const char		*announce;	/* a name, or NULL */
	const char		*iface;
	const char		*output;
	int			 no_resume;
	long long		 wait_ms;	/* clients: -w */
	long long		 idle_ms;	/* serve: 0 never */
	const char		*host;
	const char		*port;
	const char		*path;		/* remote path */
	const char		*local;		/* put: the local file */
};

enum {
	OPT_UPLOAD = OPT_FIRST_CMD,
	OPT_NO_RESUME,
	OPT_ANNOUNCE,
	OPT_IFACE,
	OPT_IDLE_TIMEOUT
};

static int
parse_args(int argc, char **argv, struct fs_opts *o)
{
	static const struct option longopts[] = {
		COMMON_LONGOPTS,
		{ "dir",	  required_argument, NULL, 'd' },
		{ "allow-upload", no_argument,	     NULL, OPT_UPLOAD },
		{ "output",	  required_argument, NULL, 'o' },
		{ "no-resume",	  no_argument,	     NULL, OPT_NO_RESUME },
		{ "announce",	  optional_argument, NULL, OPT_ANNOUNCE },
		{ "iface",	  required_argument, NULL, OPT_IFACE },
		{ "idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT },
		{ NULL,		  0,		     NULL, 0 }
	};
	static const char *const actions[] = { "serve", "get", "put", "ls" };
	const char	*serve_only = NULL, *get_only = NULL;
	const char	*client_only = NULL, *what, *with;
	int		 ch, rc, i, max;

	memset(o, 0, sizeof(*o));
	o->dir = ".";
	o->wait_ms = 30000;
	o->idle_ms = 300000;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, COMMON_SHORTOPTS "d:o:w:",
	    longopts, NULL)) != -1) {
		if ((rc = cmd_common(CMD, &o->c, ch, argv)) == -1)
			return -1;
		if (rc == 1)
			continue;
		switch (ch) {
		case 'd':
			o->dir = optarg;
			serve_only = "-d";
			break;
		case 'o':
			o->output = optarg;
			get_only = "-o";
			if (optarg == NULL || *optarg == '\0') {
				cmd_usage_err(CMD, "-o: an empty name");
				return -1;
			}
			break;
		case 'w':
			if (cmd_seconds(CMD, "-w", optarg, 1, 86400000,
			    &o->wait_ms) == -1)
				return -1;
			client_only = "-w";
			break;
		case OPT_UPLOAD:
			o->upload = 1;
			serve_only = "--allow-upload";
			break;
		case OPT_NO_RESUME:
			o->no_resume = 1;
			get_only = "--no-resume";
			break;
		case OPT_ANNOUNCE:
			serve_only = "--announce";
			o->announce = optarg != NULL ? optarg : "fileserve";
			if (*o->announce == '\0' || strlen(o->announce) > 64 ||
			    strpbrk(o->announce, " \t\r\n") != NULL) {
				cmd_usage_err(CMD, "--announce: a NAME is 1-64 "
				    "characters, no spaces");
				return -1;
			}
			break;
		case OPT_IFACE:
			o->iface = optarg;
			serve_only = "--iface";
			break;
		case OPT_IDLE_TIMEOUT:
			if (cmd_seconds(CMD, "--idle-timeout", optarg, 0,
			    86400000, &o->idle_ms) == -1)
				return -1;
			serve_only = "--idle-timeout";
			break;
		}
	}
	if (o->c.help)
		return 0;
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		cmd_usage_err(CMD, "missing serve, get, put or ls");
		return -1;
	}
	for (i = 0; i < 4 && strcmp(argv[0], actions[i]) != 0; i++)
		;
	if (i == 4) {
		cmd_usage_err(CMD, "unknown action '%s' (serve, get, put, ls)",
		    argv[0]);
		return -1;
	}
	o->action = (enum action)i;
	argc--;
	argv++;
	/* An option of another action is a mistake, not to be ignored. */
	what = o->action != A_SERVE ? serve_only : client_only;
	with = o->action != A_SERVE ? "serve" : "get, put and ls";
	if (what == NULL && o->action != A_GET && get_only != NULL) {
		what = get_only;
		with = "get";
	}
	if (what != NULL) {
		cmd_usage_err(CMD, "%s goes with %s", what, with);
		return -1;
	}
	/*
	 * The operands each action takes, at most: an extra one is a
	 * mistake (a second file for get, a glob that matched two), never
	 * something to drop silently.
	 */
	max = o->action == A_SERVE ? 2 : o->action == A_PUT ? 4 : 3;
	if (argc > max) {
		cmd_usage_err(CMD, "too many arguments: '%s'", argv[max]);
		return -1;
	}
	if (o->action == A_SERVE)
		return cmd_endpoint(CMD, argc, argv, 1, NULL, &o->host,
		    &o->port);
	if (argc < 2 + (o->action != A_LS)) {
		cmd_usage_err(CMD, o->action == A_GET ?
		    "missing HOST PORT REMOTE_PATH" : o->action == A_PUT ?
		    "missing HOST PORT LOCAL" : "missing HOST PORT");
		return -1;
	}
	if (cmd_endpoint(CMD, 2, argv, 0, NULL, &o->host, &o->port) == -1)
		return -1;
	if (o->action == A_PUT) {
		o->local = argv[2];
		o->path = argc > 3 ? argv[3] : NULL;
	} else
		o->path = argc > 2 ? argv[2] : ".";
	if (o->c.json && o->action != A_LS) {
		cmd_usage_err(CMD, "--json goes with ls");
		return -1;
	}
	return 0;
}

/*
 * Peer bytes (a requested path, a listed name, an error's text) as they
 * may appear in a message on a terminal or in a log: control bytes and
 * broken UTF-8 as \xHH, '\' as "\\" so that the text is unambiguous,
 * cut with "..." to fit cap (>= 8) bytes.  Returns out.
 */
static const char *
shown(char *out, size_t cap, const void *p, size_t n)
{
	if (sk_text_escape(out, cap - 3, p, n, SK_TEXT_BACKSLASH) < n)
		strcat(out, "...");
	return out;
}

/*
 * Hash bytes [at, at + len) of fd, read through buf (CHUNK bytes): 0, or
 * -1 with errno (EIO: the file is shorter).  For bytes just written or
 * about to be sent, this copy into a buffer that stays in the CPU's cache
 * costs less than sk_hash_file()'s mapping: populating and unmapping a
 * mapping of each piece took half of put's client time, the copy a third
 * of that.
 */
static int
hash_pread(struct sk_hash *h, int fd, off_t at, off_t len, uint8_t *buf)
{
	ssize_t	n;

	for (; len > 0; at += n, len -= n) {
		n = pread(fd, buf, len < CHUNK ? (size_t)len : CHUNK, at);
		if (n == -1 && errno == EINTR) {
			n = 0;
			continue;
		}
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			return -1;
		}
		sk_hash_update(h, buf, (size_t)n);
	}
	return 0;
}

/* Paths: a request's path, confined to the served directory. */

/* The last component of a path (for default local and remote names). */
static const char *
base_name(const char *p)
{
	const char	*s = strrchr(p, '/');

	return s != NULL && s[1] != '\0' ? s + 1 : p;
}

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
	int			 rootfd;	/* the served directory */
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
	char			*name;		/* get, put: the path */
	int			 pipe[2];	/* put: socket to file, or -1 */
	int			 werr;		/* put: errno of a write */
	char			*tmp;		/* put: the partial file */
	char			*final;		/* put: where it goes */
	char			 peer[SK_ADDRSTRLEN];
	long long		 last_ms;	/* bytes last moved */
	struct fconn		*next;
};

static void	on_conn(struct sk_loop *, int, int, void *);
static void	resume_accept(struct sk_loop *, long long, void *);
static int	conn_read(struct fconn *);
static int	conn_settle(struct fconn *);

/* Queue one control frame, printf-style. */
static void
reply(struct fconn *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
reply(struct fconn *c, const char *fmt, ...)
{
	char	line[ERRPATH + 1024], sp[SHOWMAX * 2];
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
	/* An error quotes the client's path: its bytes, escaped. */
	if (c->srv->o->c.verbose && strncmp(line, "ERR", 3) == 0)
		cmd_err(CMD, "%s: %s", c->peer, shown(sp, sizeof(sp), line,
		    (size_t)n));
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
	size_t	len;

	if (path == NULL)
		reply(c, "ERR %d %s", code, msg);
	else {
		len = strlen(path);
		reply(c, "ERR %d %.*s%s: %s", code, len > ERRPATH ? ERRPATH :
		    (int)len, *path != '\0' ? path : ".", len > ERRPATH ?
		    "..." : "", msg);
	}
	if (c->file != -1) {
		close(c->file);
		c->file = -1;
	}
	pipe_close(c);
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
	pipe_close(c);
	sk_frame_dec_release(&c->dec);
	sk_buf_release(&c->out);
	free(c->name);
	free(c->tmp);
	free(c->final);
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
		fail_req(c, 403, p, why);
		return -1;
	}
	if (sk_path_resolve(s->root, p, real) == -1) {
		fail_req(c, errno == ENOENT || errno == ENOTDIR ? 404 :
		    errno == ENAMETOOLONG ? 400 : 403, p, errno == EPERM ?
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
		fail_req(c, errno == ENOTDIR ? 404 : 403, p, strerror(errno));
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
		fail_req(c, 404, p, strerror(errno));
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
	char		 real[PATH_MAX], sp[SHOWMAX];
	struct stat	 st;
	struct digest	*d;
	int		 fd;

	if (resolve(c, p, real) == -1)
		return;
	if ((fd = open(real, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1) {
		fail_req(c, errno == ENOENT ? 404 : 403, p, strerror(errno));
		return;
	}
	/* Never block on a FIFO or a device: regular files only. */
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
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
	c->st = st;
	d = digest_find(c->srv, &st);
	c->known = d != NULL;
	c->sum = d != NULL ? d->sum : 0;
	sk_hash_init(&c->h);
	if (!c->known && sk_hash_file(&c->h, fd, 0, (off_t)off,
	    c->srv->buf, CHUNK) == -1) {
		close(fd);
		fail_req(c, 500, p, "cannot read the file");
		return;
	}
	c->file = fd;
	c->off = c->hashed = (off_t)off;
	c->end = st.st_size;
	reply(c, "OK %lld %lld", (long long)st.st_size,
	    (long long)st.st_mtime);
	c->state = F_SEND;
	if (c->srv->o->c.verbose)
		cmd_err(CMD, "%s: GET %s from %lld", c->peer,
		    shown(sp, sizeof(sp), p, strlen(p)), off);
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
writer_of(struct fsrv *s, struct fconn *c, const char *final)
{
	struct fconn	*w;
	ssize_t		 n;
	char		 b;
	int		 i;

	for (w = s->conns; w != NULL; w = w->next)
		if (w != c && w->file != -1 && w->final != NULL &&
		    (w->state == F_RECV || w->state == F_SUMWAIT) &&
		    strcmp(w->final, final) == 0)
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

static void
do_put(struct fconn *c, long long size, const char *p)
{
	struct fsrv	*s = c->srv;
	char		 dir[PATH_MAX], real[PATH_MAX], *slash, msg[256];
	char		 sp[SHOWMAX];
	const char	*name = p, *why;
	struct stat	 st;
	struct statvfs	 vfs;
	off_t		 have;
	int		 fd;

	if (!s->o->upload) {
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
	if (strlen(p) >= sizeof(dir)) {
		fail_req(c, 400, p, strerror(ENAMETOOLONG));
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
		fail_req(c, 403, p, "no file name");
		return;
	}
	if (resolve(c, dir, real) == -1)
		return;
	free(c->name);
	free(c->final);
	free(c->tmp);
	c->name = c->final = c->tmp = NULL;
	if ((c->name = strdup(p)) == NULL ||
	    asprintf(&c->final, "%s/%s", real, name) == -1 ||
	    asprintf(&c->tmp, "%s/.%s" PART, real, name) == -1) {
		fail_req(c, 500, NULL, "out of memory");
		return;
	}
	if (writer_of(s, c, c->final) != NULL) {
		fail_req(c, 409, p, "another connection is uploading it: "
		    "try again once it has ended");
		return;
	}
	/* Never write through a symlink, nor over a directory. */
	if (lstat(c->final, &st) == 0 && !S_ISREG(st.st_mode)) {
		fail_req(c, 409, p, S_ISLNK(st.st_mode) ? "the target is a "
		    "symbolic link" : "the target is not a regular file");
		return;
	}
	/* Read and write: a partial upload is hashed before it resumes. */
	fd = open(c->tmp, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd == -1 || fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		if (fd != -1)
			close(fd);
		fail_req(c, 500, p, fd == -1 ? strerror(errno) :
		    "its partial upload is not a regular file");
		return;
	}
	/* A partial upload from before: resume it if it can be. */
	have = st.st_size <= size ? st.st_size : 0;
	if (have != st.st_size && ftruncate(fd, 0) == -1) {
		close(fd);
		fail_req(c, 500, p, strerror(errno));
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
		fail_req(c, 507, p, msg);
		return;
	}
	c->file = fd;
	c->off = have;
	c->end = (off_t)size;
	reply(c, "OK %lld", (long long)have);
	c->state = have < size ? F_RECV : F_SUMWAIT;
	if (c->state == F_RECV)
		pipe_open(c);
	if (s->o->c.verbose)
		cmd_err(CMD, "%s: PUT %s, %lld bytes, from %lld", c->peer,
		    shown(sp, sizeof(sp), p, strlen(p)), size,
		    (long long)have);
}

/* The trailer of an upload: verify, sync, rename into place. */
static void
do_sum(struct fconn *c, const char *hex)
{
	char	want[32], sp[SHOWMAX];
	int	dfd;
	char	*slash;

	snprintf(want, sizeof(want), "%016" PRIx64, sk_hash_final(&c->h));
	if (strcmp(want, hex) != 0) {
		(void)unlink(c->tmp);
		fail_req(c, 422, c->name, "checksum mismatch: the upload was "
		    "corrupt and is removed");
		return;
	}
	if (fsync(c->file) == -1 || rename(c->tmp, c->final) == -1) {
		fail_req(c, 500, c->name, strerror(errno));
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
	pipe_close(c);
	reply(c, "OK");
	c->state = F_REQ;
	if (c->srv->o->c.verbose)
		cmd_err(CMD, "%s: PUT %s: %lld bytes, verified", c->peer,
		    shown(sp, sizeof(sp), c->name, strlen(c->name)),
		    (long long)c->end);
}

/* One request frame. */
static void
request(struct fconn *c, const uint8_t *p, uint32_t n)
{
	struct sk_fs_req	 req;
	char			 line[CTLMAX + 1], *arg;

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
		if (req.num != VERSION) {
			fail_req(c, 505, NULL, "this server speaks version 1");
			return;
		}
		c->hello = 1;
		reply(c, "OK %d", VERSION);
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
		if (hash_pread(&c->h, c->file, c->off, (off_t)n,
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
	n = sk_frame_dec_read(&c->dec, c->fd, CTLMAX);
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
		fail_req(c, 409, c->name, "the file changed while it was sent: "
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
	want = sk_buf_len(&c->out) > 0 || c->state == F_SEND ? SK_WRITE :
	    SK_READ;
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
	    c->state == F_SEND ? conn_write(c) : 0) == -1) {
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
		c->pipe[0] = c->pipe[1] = -1;
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

static int
serve(const struct fs_opts *o)
{
	struct fsrv	s;
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
	if (realpath(o->dir, s.root) == NULL || (s.rootfd = open(s.root,
	    O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
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
	sweep = sweep < 10 ? 10 : sweep > 1000 ? 1000 : sweep;
	if (posix_memalign((void **)&s.buf, PAGE_ALIGN, CHUNK) != 0 ||
	    (s.loop = sk_loop_new(err, o->c.backend)) == NULL ||
	    sk_loop_add(err, s.loop, s.lfd, SK_READ, on_accept, &s) == -1 ||
	    (o->announce != NULL && start_announce(&s, err) == -1) ||
	    (o->idle_ms > 0 && sk_loop_timer_add(err, s.loop, sweep, sweep,
	    on_sweep, &s) == -1)) {
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
	/* conn_close() unlinks what it frees (the analyzer cannot tell). */
	while (s.conns != NULL)
		conn_close(s.conns);	/* NOLINT(clang-analyzer-unix.Malloc) */
	if (s.lfd != -1)
		close(s.lfd);
	if (s.afd != -1)
		close(s.afd);
	close(s.rootfd);
	sk_loop_free(s.loop);
	free(s.buf);
	return status;
}

/* Clients: one connection, blocking, every wait bounded by -w. */

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
		cl_err(cl, "send: %s", strerror(errno));
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
		cl_err(cl, "the server closed the connection%s%s",
		    errno == ETIMEDOUT ? ": " : "",
		    errno == ETIMEDOUT ? strerror(errno) : "");
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

	cl_err(cl, "server: %s", shown(sp, sizeof(sp), text, strlen(text)));
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
	(void)shown(name, sizeof(name), cl->what, strlen(cl->what));
	/* Trailing blanks cover what a longer line before left. */
	n = fprintf(stderr, "\r%s  %5.1f%%  %s / %s %s  %s %s/s  ETA %s    ",
	    name, total > 0 ? 100.0 * (double)done / (double)total : 100.0,
	    a, b, u, r, ru, left);
	cl->onscreen = n > 0;
	if (last)
		end_progress(cl);
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
	ssize_t	 n;
	size_t	 want;

	for (; *got < size; *got += n) {
		if ((p = sk_wb_buf(w)) == NULL)
			return -1;
		want = size - *got < CHUNK ? (size_t)(size - *got) : CHUNK;
		n = sk_net_recv_exact(NULL, cl->fd, p, want, cl->ms);
		if (n > 0) {
			sk_hash_update(h, p, (size_t)n);
			sk_wb_push(w, (size_t)n);
		}
		if (n < (ssize_t)want) {
			if (n >= 0) {
				*got += n;
				errno = 0;	/* the server closed */
			}
			return -1;
		}
		progress(cl, *got + n, size, 0);
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
	char			*local = NULL, *tmp = NULL, sum[32];
	char			 sp[SHOWMAX];
	uint8_t			*buf = NULL;
	struct sk_hash		 h;
	struct sk_wb		*w;
	struct stat		 st;
	long long		 size, gsize, mtime, got, resumed = 0;
	int			 fd = -1, to_stdout, made = 0, none, rc, e;
	int			 status = EXIT_RUNTIME;
	char			 type, err[SK_ERRLEN];

	to_stdout = o->output != NULL && strcmp(o->output, "-") == 0;
	if (!to_stdout && (local = local_name(cl, &status)) == NULL)
		return status;
	where = to_stdout ? "stdout" : local;
	cl->what = to_stdout ? base_name(o->path) : base_name(local);
	sk_hash_init(&h);
	if (posix_memalign((void **)&buf, PAGE_ALIGN, CHUNK) != 0)
		buf = NULL;
	if (buf == NULL || (!to_stdout && asprintf(&tmp, "%s" PART,
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
		cl_err(cl, "%s: not a regular file", shown(sp, sizeof(sp),
		    o->path, strlen(o->path)));
		goto out;
	}
	/*
	 * Only now, the server having the file, is there anything to write:
	 * a failed get leaves no empty partial file behind.  One from an
	 * earlier get is resumed, and the part already here is verified too:
	 * hash it now.
	 */
	if (!to_stdout) {
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
	else {
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
		    got, size, e != 0 ? ": " : "", e != 0 ? strerror(e) : "",
		    to_stdout ? "" : ": run again to resume");
		goto out;
	}
	progress(cl, size, size, 1);
	if (recv_line(cl) == -1)
		goto out;
	if (strncmp(cl->line, "ERR ", 4) == 0) {
		/* The file changed as it was sent: keep what came. */
		server_err(cl, cl->line + 4);
		goto out;
	}
	snprintf(sum, sizeof(sum), "SUM %016" PRIx64, sk_hash_final(&h));
	if (strcmp(cl->line, sum) != 0) {
		cl_err(cl, "checksum mismatch for %s%s", shown(sp, sizeof(sp),
		    o->path, strlen(o->path)), resumed > 0 ? ": the partial "
		    "file was corrupt; removed, run again" : ": removed");
		if (!to_stdout)
			(void)unlink(tmp);
		goto out;
	}
	if (!to_stdout && (fsync(fd) == -1 || rename(tmp, local) == -1)) {
		cl_err(cl, "%s: %s", local, strerror(errno));
		goto out;
	}
	if (o->c.verbose)
		cmd_err(CMD, "%s: %lld bytes (%lld resumed) in %.3f s, "
		    "verified", shown(sp, sizeof(sp), where, strlen(where)),
		    size, resumed,
		    (double)(sk_loop_now_ms() - cl->start_ms) / 1000);
	status = 0;
out:
	end_progress(cl);
	if (fd != -1 && !to_stdout) {
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
	int			 fd, status = EXIT_RUNTIME;

	if ((fd = open(o->local, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		cmd_err(CMD, "%s: %s", o->local, fd == -1 ? strerror(errno) :
		    "not a regular file");
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
		if (hash_pread(&h, fd, (off_t)at, (off_t)n, buf) == -1) {
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
				    (long long)st.st_size, strerror(errno));
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
		    "verified", shown(sp, sizeof(sp), remote, strlen(remote)),
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
cmd_fileserve(int argc, char **argv)
{
	struct fs_opts	o;
	struct client	cl;
	int		status, sig;

	if (parse_args(argc, argv, &o) == -1)
		return EXIT_USAGE;
	if (o.c.help)
		return cmd_help(usage_text);
	if (o.action == A_SERVE)
		return serve(&o);
	memset(&cl, 0, sizeof(cl));
	cl.o = &o;
	cl.fd = -1;
	cl.ms = (int)o.wait_ms;
	cl.what = "";
	client_signals();
	status = o.action == A_GET ? client_get(&cl) :
	    o.action == A_PUT ? client_put(&cl) : client_ls(&cl);
	client_fd = -1;
	if (cl.fd != -1)
		close(cl.fd);
	/*
	 * Cut short by a signal: cleaned up, and now it ends as a signal
	 * ends a command (cmd_exit()'s rule for the others), 128+N.
	 */
	if ((sig = client_sig) != 0) {
		(void)fflush(stdout);
		(void)fflush(stderr);
		(void)signal(sig, SIG_DFL);
		(void)raise(sig);
		return 128 + sig;
	}
	return status;
}
