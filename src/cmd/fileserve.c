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
"a directory: its basename in there) through LOCAL.sockkit-part, resuming\n"
"a partial one, verified end to end.\n"
"put: upload LOCAL, resuming a partial upload, verified; the server renames\n"
"it into place only once the checksum matches.\n"
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
"  -o, --output LOCAL       get: the local name, or - for stdout\n"
"      --no-resume          get: start over, ignoring a partial file\n"
"  -w SECONDS               client: connect and idle timeout (default 30;\n"
"                           0.5 is fine)\n"
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
	long long		 wait_ms;	/* client: -w */
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

/* Which actions each option goes with: given elsewhere, a usage error. */
#define ON_SERVE	(1 << A_SERVE)
#define ON_GET		(1 << A_GET)
#define ON_CLIENTS	(1 << A_GET | 1 << A_PUT | 1 << A_LS)
static const struct {
	const char	*name;
	const char	*which;
	int		 ch;
	int		 actions;
} only_on[] = {
	{ "-d",			"serve",	'd',		  ON_SERVE },
	{ "--allow-upload",	"serve",	OPT_UPLOAD,	  ON_SERVE },
	{ "--announce",		"serve",	OPT_ANNOUNCE,	  ON_SERVE },
	{ "--iface",		"serve",	OPT_IFACE,	  ON_SERVE },
	{ "--idle-timeout",	"serve",	OPT_IDLE_TIMEOUT, ON_SERVE },
	{ "--backend",		"serve",	OPT_BACKEND,	  ON_SERVE },
	{ "-o",			"get",		'o',		  ON_GET },
	{ "--no-resume",	"get",		OPT_NO_RESUME,	  ON_GET },
	{ "-w",			"get, put and ls", 'w',		  ON_CLIENTS },
	{ "--json",		"ls",		OPT_JSON,	  1 << A_LS },
};
#define NONLY	(sizeof(only_on) / sizeof(only_on[0]))

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
	int	ch, rc, i, min, max, given[NONLY] = { 0 };
	size_t	k;

	memset(o, 0, sizeof(*o));
	o->dir = ".";
	o->wait_ms = 30000;
	o->idle_ms = 300000;
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, COMMON_SHORTOPTS "d:o:w:",
	    longopts, NULL)) != -1) {
		for (k = 0; k < NONLY; k++)
			if (only_on[k].ch == ch)
				given[k] = 1;
		if ((rc = cmd_common(CMD, &o->c, ch, argv)) == -1)
			return -1;
		if (rc == 1)
			continue;
		switch (ch) {
		case 'd':
			o->dir = optarg;
			break;
		case 'o':
			o->output = optarg;
			break;
		case 'w':
			if (cmd_seconds(CMD, "-w", optarg, 1, 86400000,
			    &o->wait_ms) == -1)
				return -1;
			break;
		case OPT_UPLOAD:
			o->upload = 1;
			break;
		case OPT_NO_RESUME:
			o->no_resume = 1;
			break;
		case OPT_ANNOUNCE:
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
			break;
		case OPT_IDLE_TIMEOUT:
			if (cmd_seconds(CMD, "--idle-timeout", optarg, 0,
			    86400000, &o->idle_ms) == -1)
				return -1;
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
	for (k = 0; k < NONLY; k++)
		if (given[k] && !(only_on[k].actions & (1 << o->action))) {
			cmd_usage_err(CMD, "%s goes with %s, not %s",
			    only_on[k].name, only_on[k].which, actions[i]);
			return -1;
		}
	if (o->iface != NULL && o->announce == NULL) {
		cmd_usage_err(CMD, "--iface goes with --announce");
		return -1;
	}
	if (o->action == A_SERVE)
		return cmd_endpoint(CMD, argc, argv, 1, NULL, &o->host,
		    &o->port);
	/* get: HOST PORT PATH; put: HOST PORT LOCAL [PATH]; ls: HOST PORT
	 * [DIR].  Anything more is a usage error, never silently dropped. */
	min = o->action == A_LS ? 2 : 3;
	max = o->action == A_GET ? 3 : o->action == A_PUT ? 4 : 3;
	if (argc < min) {
		cmd_usage_err(CMD, o->action == A_GET ?
		    "missing HOST PORT REMOTE_PATH" : o->action == A_PUT ?
		    "missing HOST PORT LOCAL" : "missing HOST PORT");
		return -1;
	}
	if (argc > max) {
		cmd_usage_err(CMD, "%s takes %s: '%s' is one too many",
		    actions[o->action], o->action == A_GET ?
		    "one REMOTE_PATH (-o names the local file)" :
		    o->action == A_PUT ? "one LOCAL and one REMOTE_PATH" :
		    "one REMOTE_DIR", argv[max]);
		return -1;
	}
	if (cmd_endpoint(CMD, 2, argv, 0, NULL, &o->host, &o->port) == -1)
		return -1;
	if (o->action == A_PUT) {
		o->local = argv[2];
		o->path = argc > 3 ? argv[3] : NULL;
	} else
		o->path = argc > 2 ? argv[2] : ".";
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
static const char *shown(const char *, char *, size_t);

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

static int
serve(const struct fs_opts *o)
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
		cmd_err(CMD, "%s: %s", shown(o->dir, nb, sizeof(nb)),
		    strerror(errno));
		return EXIT_RUNTIME;
	}
	errno = 0;
	if (readdir(d) == NULL && errno != 0) {
		cmd_err(CMD, "%s: %s", shown(o->dir, nb, sizeof(nb)),
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

/* Clients: one connection, blocking, every wait bounded by -w. */

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

/* s made safe for a message (a name from the user or the server). */
static const char *
shown(const char *s, char *buf, size_t size)
{
	(void)sk_text_escape(buf, size, (const uint8_t *)s, strlen(s),
	    SK_TEXT_BACKSLASH);
	return buf;
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
	    shown(cl->label, name, sizeof(name)),
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

	cl_err("server: %s", shown(msg, buf, sizeof(buf)));
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
		cl_err("write %s: %s", shown(name, nb, sizeof(nb)),
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
		    "LOCAL", shown(o->path, nb, sizeof(nb)));
		*status = EXIT_USAGE;
		return -1;
	}
	if (local == NULL)
		return dup_name(out, base);
	if (stat(local, &st) == -1 || !S_ISDIR(st.st_mode)) {
		cl_err("%s: %s", shown(local, nb, sizeof(nb)),
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
	(void)shown(local, nb, sizeof(nb));
	(void)shown(o->path, rb, sizeof(rb));
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

	(void)shown(o->local, nb, sizeof(nb));
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
		    shown(remote, nb, sizeof(nb)), (long long)st.st_size, off,
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
cmd_fileserve(int argc, char **argv)
{
	struct fs_opts	o;
	struct client	cl;
	int		status;

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
	status = o.action == A_GET ? client_get(&cl) :
	    o.action == A_PUT ? client_put(&cl) : client_ls(&cl);
	if (cl.fd != -1)
		close(cl.fd);
	return status;
}
