/*
 * tcp_server.h - what the files of tcp-server share: its options, the
 * server and the part of a client every mode has, and the table of
 * handlers that makes a mode.
 *
 * tcp_server.c parses the options, sets up and runs the loop;
 * tcp_server_conn.c holds what every mode does with a client (accept,
 * read, queue, write, the bounds, close); each mode is one const
 * struct mode_ops: tcp_server_stdio.c (the default), tcp_server_echo.c
 * (--echo, --upper, --discard) and tcp_server_chat.c (--chat).
 */
#ifndef SOCKKIT_TCP_SERVER_H
#define SOCKKIT_TCP_SERVER_H

#include <sys/types.h>
#include <sys/socket.h>

#include <stddef.h>
#include <stdint.h>

#include <sockkit/buf.h>
#include <sockkit/frame.h>
#include <sockkit/loop.h>
#include <sockkit/net.h>

#include "cmd.h"

#define CMD	"tcp-server"

/*
 * Bytes read per event, into a buffer shared by all clients: idle ones
 * cost nothing.  Echo replies stay in it until the batch of ready clients
 * is done, then go out together (as redis does before it sleeps), so a
 * client handling many replies is woken once, not once per reply.
 */
#define RBUFSZ		(64 * 1024)
#define ARENASZ		(1024 * 1024)

struct mode_ops;

struct server_opts {
	struct common_opts	 c;
	const struct mode_ops	*mode;
	int			 frame;
	int			 keep_open;
	long long		 max_frame;
	long long		 max_line;
	long long		 max_queue;
	long long		 max_total;	/* all queues and partials */
	long long		 max_clients;	/* 0: no limit */
	long long		 idle_ms;	/* --idle-timeout; 0: none */
	long long		 quit_ms;	/* -q; -1: none */
	long long		 busy_poll;	/* microseconds */
	int			 numeric;	/* -n */
	int			 nc_N;		/* -N (stdio does it anyway) */
	const char		*unix_path;
	const char		*opt_port;	/* -p */
	const char		*host;
	const char		*port;
};

/*
 * A client, as every mode has it.  A mode's own client struct begins
 * with this one (mode_ops.conn_size bytes are allocated, zeroed), so a
 * mode casts the struct conn * it is handed to its own type.
 */
struct conn {
	struct server		*srv;
	int			 fd;
	int			 eof;		/* the client has half-closed */
	int			 doomed;	/* drop after this event */
	int			 cut;		/* close with a reset */
	const char		*why;		/* ...and the reason */
	struct sk_buf		 out;		/* bytes not yet sent */
	long long		 start_ms;
	long long		 last_ms;	/* for --idle-timeout */
	uint64_t		 bytes_in;
	uint64_t		 bytes_out;
	size_t			 held;		/* queued, partial: as counted */
	struct conn		*prev;
	struct conn		*next;
	char			 peer[SK_ADDRSTRLEN];
};

struct server {
	const struct server_opts *o;
	const struct mode_ops	*ops;		/* o->mode */
	void			*mode;		/* the mode's own state */
	struct sk_loop		*loop;
	int			 lfd;
	int			 nclients;
	int			 ndoomed;
	struct conn		*conns;
	uint8_t			*rbuf;		/* ARENASZ: reads of a batch */
	size_t			 outlimit;	/* bound on a client's queue */
	size_t			 held;		/* all clients' held bytes */
	size_t			 framemax;	/* a frame taken, at most */
	uint8_t			 full[256];	/* out of descriptors: said */
	size_t			 fulllen;
	uint8_t			 wfull[256];	/* past select's limit: said */
	size_t			 wfulllen;
	struct cmd_accept	 acc;		/* the accept loop's set-up */
	struct sk_net_unix_file	 unix_file;	/* the socket file we made */
	int			 status;	/* the exit status */
};

/* mode_ops.flags */
#define MODE_ONE	0x01	/* one client at a time (stdio) */
#define MODE_FRAMES	0x02	/* takes --frame */
#define MODE_IDLE	0x04	/* --idle-timeout 300 unless told */
#define MODE_READING	0x08	/* read a client while its queue waits */

/*
 * A mode: what tcp-server does with each client.  The shared code calls
 * these and never asks which mode it runs; a NULL hook does nothing.  A
 * mode that serves the client's fd itself (stdio's relay) watches it in
 * join(); one that uses the shared read and write path calls conn_watch()
 * there and gets the bytes read in data().  A mode with a second fd per
 * client (an upstream, a child's pipes) opens it in join(), watches it
 * with callbacks of its own, counts its buffers in held() and closes it
 * in release().
 */
struct mode_ops {
	const char	*name;
	size_t		 conn_size;	/* its client struct, struct conn first */
	int		 flags;		/* MODE_* */
	/* Set up the mode's state (srv->mode), limits; -1 after saying why. */
	int		(*init)(struct server *srv);
	void		(*fini)(struct server *srv);
	/* A client accepted: serve it.  -1: it is closed (conn_free). */
	int		(*join)(struct conn *c);
	/* Where to read RBUFSZ bytes; NULL: srv->rbuf. */
	uint8_t		*(*read_buf)(struct conn *c);
	/* Bytes read (p is the read buffer, theirs to change). */
	void		(*data)(struct conn *c, uint8_t *p, size_t n);
	/* The client's end of stream, before what is owed is sent. */
	void		(*end)(struct conn *c);
	/* Is something owed to c beyond its queue? */
	int		(*owes)(const struct conn *c);
	/* Before the loop sleeps. */
	void		(*prewait)(struct server *srv);
	/* The idle sweep, instead of the shared one: 1 when c was freed. */
	int		(*tick)(struct conn *c, long long now);
	/* What c holds beyond its queue, for --max-total. */
	size_t		(*held)(const struct conn *c);
	/* Free c's mode state, quietly (also at shutdown). */
	void		(*release)(struct conn *c);
	/* c is closed (its memory still readable): news for the others. */
	void		(*left)(struct conn *c);
};

extern const struct mode_ops	mode_stdio;
extern const struct mode_ops	mode_echo;
extern const struct mode_ops	mode_upper;
extern const struct mode_ops	mode_discard;
extern const struct mode_ops	mode_chat;

/* tcp_server_conn.c: the client's life, the same in every mode. */
/* Fill srv->acc and the "server full" messages (after set-up). */
void	accept_init(struct server *srv);
void	on_accept(struct sk_loop *loop, int lfd, int mask, void *arg);
void	on_sweep(struct sk_loop *loop, long long id, void *arg);
void	on_prewait(struct sk_loop *loop, void *arg);
/* Watch c on the shared read and write path; -1 after saying why. */
int	conn_watch(struct conn *c);
/* Mark c to be closed after this event; why NULL: it left by itself. */
void	doom(struct conn *c, const char *why);
/*
 * Write p to c as far as the socket takes it, past its queue: the count
 * written (0 when it took none), or -1 after dooming c when it is gone.
 */
ssize_t	conn_write(struct conn *c, const uint8_t *p, size_t n);
/* Count what c holds now (its queue, a partial frame or line) into the
 * server's total, for --max-total. */
void	account(struct conn *c);
/* Send to c at once, the rest queued; a full queue dooms c. */
void	conn_send(struct conn *c, const uint8_t *p, size_t n);
/* Write c's queue; what the kernel will not take waits for SK_WRITE. */
void	flush_one(struct conn *c);
/* Frames from p into dec, each whole one to frame(); bounds checked. */
void	take_frames(struct conn *c, struct sk_frame_dec *dec,
	    const uint8_t *p, size_t n,
	    void (*frame)(struct conn *, uint8_t *, uint32_t));
/* Close the doomed clients (which may doom more). */
void	reap(struct server *srv);
/* Close c: log it, free it, and tell the mode (left). */
void	conn_free(struct conn *c);
/* Close and free every client quietly (shutdown). */
void	conn_free_all(struct server *srv);

#endif /* SOCKKIT_TCP_SERVER_H */
