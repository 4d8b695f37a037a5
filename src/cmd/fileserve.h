/*
 * fileserve.h - what the parts of sockkit fileserve share: the options,
 * the constants, the server's and the clients' private types and the
 * functions one part calls in another.  The protocol itself is the core's
 * (sockkit/fsproto.h, docs/protocol.md).
 *
 *   fileserve.c               the command line, dispatch, shared helpers
 *   fileserve_serve.c         the event-loop server: connections, requests,
 *                             LS and STAT, the accept loop, --announce
 *   fileserve_serve_get.c     its downloads: digests remembered, sendfile
 *   fileserve_serve_put.c     its uploads: one writer per name, splice,
 *                             the partial file and its rename (path.h)
 *   fileserve_client.c        the blocking clients' connection, requests,
 *                             progress; put and ls
 *   fileserve_client_get.c    get: the local name, the part, resume
 */
#ifndef SOCKKIT_FILESERVE_H
#define SOCKKIT_FILESERVE_H

#include <sys/types.h>
#include <sys/stat.h>
#include <netinet/in.h>

#include <stddef.h>

#include <sockkit/announce.h>
#include <sockkit/buf.h>
#include <sockkit/frame.h>
#include <sockkit/fsproto.h>
#include <sockkit/hash.h>
#include <sockkit/net.h>

#include "cmd.h"

#define CMD		"fileserve"
#define CHUNK		(256 * 1024)
/*
 * Buffers the kernel copies received bytes into are page-aligned: into a
 * malloc'd one (16 bytes off) the copy ran at 1.5 GB/s here, 2.4 aligned.
 */
#define PAGE_ALIGN	4096
#define WBUFS		8		/* get: CHUNKs queued for writing */
#define PART		".sockkit-part"
#define SHOWMAX		512		/* peer bytes shown in a message */
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

/* serve: the server, until a signal stops it.  The exit status. */
int		 fs_serve(const struct fs_opts *o);

/* get, put or ls, as o->action says.  The exit status. */
int		 fs_client(const struct fs_opts *o);

/*
 * Peer bytes (a requested path, a listed name, an error's text) as they
 * may appear in a message on a terminal or in a log: control bytes and
 * broken UTF-8 as \xHH, '\' as "\\" so that the text is unambiguous,
 * cut with "..." to fit cap (>= 8) bytes.  Returns out.
 */
const char	*fs_shown(char *out, size_t cap, const void *p, size_t n);

/* The server (fileserve_serve*.c). */

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

/* A requested path's form: sk_path_check(), and not a partial upload. */
const char	*fs_bad_path(const char *p, size_t n);

/*
 * Queue one reply (fsproto.h formats it): the OK form of kind, with num
 * (HELLO, LS, PUT), st's type, size and mtime (STAT, GET, ENTRY) and name
 * (ENTRY).  The SUM trailer is queued by fs_send_download().
 */
void	 fs_reply(struct fconn *c, enum sk_fs_kind kind, long long num,
	    const struct stat *st, const char *name);

/*
 * An error reply about path, the one the client asked for ("" is the
 * top), or about the request itself when path is NULL: "ERR 404 a/b: No
 * such file or directory".  What the request held open is closed.  After
 * 400 and 505 the connection is closed.  fs_fail_errno(): the reply for
 * errno from opening p beneath the root.
 */
void	 fs_fail(struct fconn *c, int code, const char *path,
	    const char *msg);
void	 fs_fail_errno(struct fconn *c, const char *p, int open_it);

/*
 * What a request names, beneath the root (sk_path_open_served, or only
 * its stat: sk_path_stat).  The fd, 0 for a stat, or -1 with an error
 * reply sent.
 */
int	 fs_beneath(struct fconn *c, const char *p, struct stat *st,
	    int open_it);

/* Unlink c from the server and free all it holds. */
void	 fs_conn_close(struct fconn *c);

/* Readable: requests, or upload data.  0, or -1 to close c. */
int	 fs_conn_read(struct fconn *c);

/*
 * After c has read or written: close it once it is done closing, else
 * watch it for what it waits for.  -1 when it was closed.
 */
int	 fs_conn_settle(struct fconn *c);

/*
 * Downloads (fileserve_serve_get.c).  fs_do_get() answers GET;
 * fs_send_download() sends, writable, the next of the file's bytes and
 * then its SUM (0, or -1 to reset the connection).  fs_hash_step() hashes
 * c's file a step further, [hashed, hashed + n), from a digest known when
 * shared (a download; an upload's part is its own): 0, or -1.
 */
void	 fs_do_get(struct fconn *c, long long off, const char *p);
int	 fs_send_download(struct fconn *c);
int	 fs_hash_step(struct fconn *c, off_t n, int shared);

/*
 * Uploads (fileserve_serve_put.c).  fs_do_put() answers PUT, fs_do_sum()
 * its SUM; fs_recv_upload() takes upload bytes from the socket into the
 * file (the count, 0 at the end of the stream, -1 with errno: EAGAIN none
 * yet, EIO a write failed, why in c->werr); fs_prep_upload() hashes a
 * part to resume a step further, then says go; fs_pipe_close() ends the
 * upload's splice pipe.
 */
void	 fs_do_put(struct fconn *c, long long size, const char *p);
void	 fs_do_sum(struct fconn *c, const char *hex);
ssize_t	 fs_recv_upload(struct fconn *c, size_t want);
int	 fs_prep_upload(struct fconn *c);
void	 fs_pipe_close(struct fconn *c);

/* The clients (fileserve_client*.c). */

/* One connection to the server, and what is shown of it. */
struct client {
	const struct fs_opts	*o;
	int			 fd;
	int			 ms;		/* -w */
	uint8_t			 line[SK_FS_CTLMAX];
	size_t			 len;		/* of line */
	long long		 start_ms;
	long long		 shown_ms;
	const char		*what;		/* the file, for progress */
	int			 onscreen;	/* a progress line, not ended */
	int			 no_sendfile;	/* put: read and send instead */
};

/* The last component of a path (for default local and remote names). */
const char	*fs_base_name(const char *p);

/* An error, on a line of its own; nothing once a signal has come. */
void	 fs_cl_err(struct client *cl, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* What errno e means here ("no reply from the server within -w"). */
const char	*fs_why(const struct client *cl, int e);

/* Send one request (fsproto.h formats it): 0, or -1 after a message. */
int	 fs_send_req(struct client *cl, enum sk_fs_verb verb, long long num,
	    const char *arg);

/* Receive one control frame into cl->line: 0, or -1 after a message. */
int	 fs_recv_line(struct client *cl);

/* Say why sk_fs_parse_reply() refused r ("a malformed reply ..."). */
void	 fs_bad_reply(struct client *cl, const struct sk_fs_reply *r);

/* The server's ERR r: its code and text, escaped. */
void	 fs_server_err(struct client *cl, const struct sk_fs_reply *r);

/* Expect the OK form of kind into r: 0, or -1 after a message. */
int	 fs_expect_ok(struct client *cl, enum sk_fs_kind kind,
	    struct sk_fs_reply *r);

/* Connect, within -w, and say HELLO: 0, or -1 after a message. */
int	 fs_connect(struct client *cl);

/* Hash bytes [0, len) of a local file, a piece at a time so that a
 * signal is not kept waiting: 0, or -1 with errno. */
int	 fs_hash_local(struct sk_hash *h, int fd, long long len,
	    uint8_t *buf);

/* Progress on a terminal; fs_end_progress() ends its line. */
void	 fs_progress(struct client *cl, long long done, long long total,
	    int last);
void	 fs_end_progress(struct client *cl);

/* get: the exit status. */
int	 fs_client_get(struct client *cl);

#endif /* SOCKKIT_FILESERVE_H */
