/*
 * http.h - what the parts of sockkit http share: the options, the server
 * and its connections, and each part's entry points.
 *
 * http.c reads the command line and names a file's content type;
 * http_serve.c sets up (DIR, the logs, the listening socket) and runs the
 * loop; http_conn.c is a connection's life (accept, read a head, send the
 * reply, keep-alive, half-close, deadlines); http_file.c answers a
 * request (static files, Range and conditionals, directory listings,
 * error pages, the open-file cache); http_log.c writes the access log,
 * and http_log.h's queue keeps the logs from ever stalling the loop.
 */
#ifndef SOCKKIT_HTTP_CMD_H
#define SOCKKIT_HTTP_CMD_H

#include <sys/types.h>
#include <sys/stat.h>

#include <limits.h>
#include <time.h>

#include <sockkit/buf.h>
#include <sockkit/http.h>
#include <sockkit/net.h>

#include "cmd.h"
#include "http_log.h"

#define CMD		"http"
#define HEAD_MAX	16384		/* a bigger head: 431 */
#define SMALL_BODY	16384		/* up to this, read into the reply */
#define BODY_SKIP_MAX	(1 << 20)	/* a request body we skip; more: 413 */
#define LINGER_S	2
#define TIMEOUT_MIN_MS	100		/* the timeouts' least */
#define FCACHE		256		/* open small files kept */

struct http_opts {
	struct common_opts	 c;
	const char		*dir;
	const char		*host;
	const char		*bind;		/* -b ADDRESS */
	const char		*port;
	const char		*log;
	int			 quiet;
	int			 follow;
	long long		 max_clients;
	long long		 head_ms;	/* --head-timeout */
	long long		 keepalive_ms;	/* --keepalive-timeout */
	long long		 send_ms;	/* --send-timeout */
};

/*
 * An open file a response is read from.  Whoever keeps the pointer holds
 * a reference: an open-file cache slot one, a connection sending from it
 * another.  hfile_unref() drops one; the last closes the fd.
 */
struct hfile {
	int		 fd;
	unsigned	 refs;
};

/* The open-file cache's slot (http_file.c). */
struct fent {
	char		*rel;		/* NULL: empty */
	struct hfile	*file;
	time_t		 checked;	/* the second it was opened in */
};

struct hsrv {
	const struct http_opts	*o;
	struct sk_loop		*loop;
	int			 lfd;
	int			 paused;	/* at --max-clients */
	char			 root[PATH_MAX];
	int			 rootfd;
	int			 root_gone;	/* DIR removed; said so */
	struct alog		*log;		/* NULL: -q */
	struct alog		*elog;		/* stderr: -v, notes */
	struct cmd_accept	 acc;		/* http_accept_init() */
	struct hconn		*conns;
	long			 nconns;
	long long		 timer;
	time_t			 date_at;
	char			 date[SK_HTTP_DATELEN];
	struct fent		 fcache[FCACHE];
};

/* H_CUT: a body cut short (the file shrank): what went drains, then a
 * reset. */
enum hstate { H_HEAD, H_SEND, H_LINGER, H_CUT };

struct hconn {
	struct hsrv	*srv;
	int		 fd;
	enum hstate	 state;
	struct sk_buf	 in;
	struct sk_buf	 out;
	struct hfile	*file;		/* a body to sendfile, or NULL */
	off_t		 off, end;
	size_t		 used;		/* bytes of in the request took */
	long long	 skip;		/* request body bytes still to drop */
	int		 keep;		/* keep-alive after this response */
	int		 minor;		/* HTTP/1.<minor> of the request */
	int		 rd_eof;	/* the client has half-closed */
	int		 abort;		/* close with a reset */
	int		 cut;		/* the body is short: reset once sent */
	long long	 deadline;	/* ms; 0: none */
	char		 peer[SK_ADDRSTRLEN];
	char		 host[SK_ADDRSTRLEN];	/* for the log */
	char		 line[512];	/* the request line, escaped */
	int		 status;	/* of the response; 0: logged */
	long long	 obody;		/* body bytes queued in out */
	off_t		 fstart;	/* where the file body began */
	struct hconn	*next;
	struct hconn	**pprev;
};

/* http.c: the Content-Type for a file's name (static storage). */
const char	*http_content_type(const char *path);

/* http_serve.c */

/* Serve until a signal stops it: the exit status. */
int		 http_serve(const struct http_opts *o);
/* "sockkit: http: " what name (escaped for the terminal) "post". */
void		 http_say_name(const char *what, const char *name,
		    const char *post);
/* The same, then ": " and what err means (ENXIO: a FIFO nobody reads). */
void		 http_say_errno(const char *what, const char *name, int err);
/* DIR's name still leads to the directory served?  Follows it if not. */
void		 http_check_root(struct hsrv *s);

/*
 * http_conn.c: the accept loop's set-up (after cmd_accept_reserve()), the
 * loop's callbacks, and the one way a connection ends.
 */
void		 http_accept_init(struct hsrv *s);
void		 http_on_accept(struct sk_loop *loop, int lfd, int mask,
		    void *arg);
void		 http_on_tick(struct sk_loop *loop, long long id, void *arg);
void		 http_conn_free(struct hconn *c);

/* http_file.c */

/* Answer one parsed request: queue the reply in c->out (and c->file). */
void		 http_respond(struct hconn *c, const struct sk_http_req *req);
/* A small HTML error page (no body when head_only); extra: headers. */
void		 http_error_page(struct hconn *c, int status, int head_only,
		    const char *extra);
/* Close every file the open-file cache holds (DIR changed, or the end). */
void		 http_cache_clear(struct hsrv *s);
/* Drop one reference to f (NULL: none); the last closes its fd. */
void		 hfile_unref(struct hfile *f);

/* http_log.c: the access log and stderr's notes. */

/* One Common Log Format line for the response, once (status 0 after). */
void		 http_access_log(struct hconn *c);
/* A write to the access log failed: said once, the server goes on. */
void		 http_log_failed(struct hsrv *s);

#endif /* SOCKKIT_HTTP_CMD_H */
