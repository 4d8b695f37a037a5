/*
 * cmd.h - what the subcommands share: the entry points, the options every
 * command takes, and the one way of reporting errors and listening.
 *
 * src/cmd owns stdout, stderr and exit codes: 0 success, 1 runtime
 * failure, 2 usage error.  Messages are one line, "sockkit: CMD: what".
 *
 * Written in cmd.c (messages, options, text for a terminal or JSON),
 * cmd_addr.c (operands and hosts), cmd_server.c (a server's socket and
 * accept loop) and cmd_signal.c (signals, stdout's end, the exit).
 */
#ifndef SOCKKIT_CMD_H
#define SOCKKIT_CMD_H

#include <sys/types.h>
#include <sys/socket.h>

#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include <sockkit/loop.h>

struct sk_loop;

/*
 * LAN service discovery (broadcast announce/discover, fileserve serve
 * --announce): the datagram, its NAME rule and its socket are the core's
 * (sockkit/announce.h).  A NAME to announce, typed by the user (operand
 * or option what; NULL for an operand): 0 when sk_ann_name_bad() takes
 * it, else -1 after a usage error saying what is wrong ("[what: ]a NAME
 * is 1-64 bytes of text, no spaces or control bytes: 'NAME' holds a
 * space"): discover would drop it, so it is refused where it is typed.
 */
int	cmd_announce_name(const char *cmd, const char *what,
	    const char *name);

#define EXIT_RUNTIME	1
#define EXIT_USAGE	2

/* Subcommand entry points, listed in main.c's table. */
int	cmd_tcp_server(int argc, char **argv);
int	cmd_tcp_client(int argc, char **argv);
int	cmd_udp_server(int argc, char **argv);
int	cmd_udp_client(int argc, char **argv);
int	cmd_broadcast(int argc, char **argv);
int	cmd_fileserve(int argc, char **argv);
int	cmd_http(int argc, char **argv);
int	cmd_ipcalc(int argc, char **argv);

/*
 * The options every command takes, parsed in one place: -4, -6, -v,
 * --backend, --json and -h/--help.  Put COMMON_SHORTOPTS in the optstring
 * and COMMON_LONGOPTS in the long option table, and hand every option
 * getopt_long() returns to cmd_common() first.
 */
struct common_opts {
	int		 family;	/* AF_UNSPEC, AF_INET or AF_INET6 */
	int		 verbose;
	int		 json;
	int		 help;
	const char	*backend;	/* NULL: the best available */
};

enum {
	OPT_BACKEND = 0x100,
	OPT_JSON,
	OPT_FIRST_CMD		/* commands number their own from here */
};

#define COMMON_SHORTOPTS	":46hv"
#define COMMON_LONGOPTS							\
	{ "backend",	required_argument,	NULL,	OPT_BACKEND },	\
	{ "json",	no_argument,		NULL,	OPT_JSON },	\
	{ "help",	no_argument,		NULL,	'h' }

/*
 * Handle one option from getopt_long().  Returns 1 when it was a common
 * option, 0 when it is the command's own, or -1 after printing a usage
 * error (unknown option, missing argument, bad backend): exit 2 then.
 */
int	cmd_common(const char *cmd, struct common_opts *o, int ch,
	    char **argv);

/*
 * Optional: the command's long option table, so that cmd_common()'s
 * messages can name a mistyped option in full and say when a prefix is
 * ambiguous ("--max" for --max-line and --max-total).
 */
void	cmd_longopts(const struct option *lo);

/* Print "sockkit: CMD: message" to stderr. */
void	cmd_err(const char *cmd, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* The same with a pointer to --help; returns EXIT_USAGE. */
int	cmd_usage_err(const char *cmd, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

/* Print the usage text to stdout; returns 0 (or 1 if stdout failed). */
int	cmd_help(const char *usage);

/*
 * Parse a whole decimal number in [min, max] into *out.  Returns 0, or -1
 * after a usage error naming the option ("--max-clients: invalid ...").
 */
int	cmd_number(const char *cmd, const char *what, const char *s,
	    long long min, long long max, long long *out);

/*
 * A port (a number, or a service name as sk_net_parse_port() takes it;
 * 0 only when zero_ok) for the option what ("-p"; NULL: an operand).
 * Returns it, or -1 after the usage error "[what: ]invalid port 'S'".
 */
int	cmd_port(const char *cmd, const char *what, const char *s,
	    int zero_ok);

/*
 * Parse decimal seconds ("2", "0.5", "1.25"; at most millisecond
 * precision) into *ms, within [min_ms, max_ms].  Returns 0, or -1 after
 * a usage error naming the option ("-w: invalid seconds 'x' (0.001-86400)").
 * One rule for every timeout and interval.
 */
int	cmd_seconds(const char *cmd, const char *what, const char *s,
	    long long min_ms, long long max_ms, long long *ms);

/*
 * "HOST:PORT" or "[V6]:PORT" typed where HOST PORT was meant: -1 after a
 * usage error saying so ("... two operands: '127.0.0.1 9000'"), else 0.
 */
int	cmd_colon_hint(const char *cmd, const char *s, int server);

/*
 * Take the operands after the options: "[ADDRESS] PORT" for a server
 * (port 0 allowed: any free port), "HOST PORT" for a client; none when
 * unix_path is set.  Sets *host (NULL: none given) and *port; the host
 * passes cmd_host_ok().  Returns 0, or -1 after a usage error.
 */
int	cmd_endpoint(const char *cmd, int argc, char **argv, int server,
	    const char *unix_path, const char **host, const char **port);

/*
 * A server's operands as cmd_endpoint() takes them, or, after nc's
 * "-p PORT" (opt_port), "[ADDRESS]" alone: a second port there is a
 * usage error ("-p 5000 5001" is no address 0.0.19.137).
 */
int	cmd_server_operands(const char *cmd, int argc, char **argv,
	    const char *opt_port, const char *unix_path, const char **host,
	    const char **port);

/*
 * A server's socket: a Unix-domain one at unix_path when it is set, else
 * bound to host and port; made nonblocking.  Returns the fd, or -1 after
 * printing why.
 */
int	cmd_server_socket(const char *cmd, const struct common_opts *c,
	    const char *unix_path, const char *host, const char *port,
	    int socktype);

/*
 * The scripted-probe options the clients share: --send STRING (escapes
 * understood) and --expect TEXT.  Put PROBE_LONGOPTS in the long option
 * table and hand each option to cmd_probe_opt() after cmd_common().
 */
struct probe_opts {
	char		*send;		/* unescaped, or NULL */
	size_t		 sendlen;
	const char	*expect;
};

enum {
	OPT_SEND = 0x180,
	OPT_EXPECT
};

#define PROBE_LONGOPTS							\
	{ "send",	required_argument,	NULL,	OPT_SEND },	\
	{ "expect",	required_argument,	NULL,	OPT_EXPECT }

/* 1 when ch was a probe option, 0 when not, -1 after a usage error. */
int	cmd_probe_opt(const char *cmd, struct probe_opts *p, int ch);

/* Print "sockkit: CMD: listening on ADDR:PORT" for fd, flushed at once. */
void	cmd_listening(const char *cmd, int fd);

/*
 * Out of descriptors, a server cannot even tell a client why it is not
 * served: it waits in the listen queue, locked out until others leave.
 * cmd_accept_reserve() sets one descriptor aside (call it once set up);
 * cmd_accept_pause(), after sk_net_accept() on lfd failed with EMFILE or
 * ENFILE, gives it up to accept the clients waiting, sends each `full`
 * (len bytes: a line, a frame, an HTTP 503; NULL: none), closes it (with
 * a reset when `reset`, so a netcat-like client cannot take the close for
 * a clean end) and takes the descriptor back.  If it cannot, it stops
 * watching lfd and calls resume (which watches it again) in 100 ms,
 * rather than spin on a socket that stays readable.  Says so at most once
 * a second.  Returns 1 when it handled that (turned away or paused), 0
 * for other errors (EAGAIN: nothing more to accept).
 */
int	cmd_accept_reserve(void);
int	cmd_accept_pause(const char *cmd, struct sk_loop *loop, int lfd,
	    sk_timer_cb *resume, void *arg, const void *full, size_t len,
	    int reset);

/*
 * A client accepted that cannot be served (the select backend cannot
 * watch its fd): send it `full` (len bytes; NULL: none), close it as
 * cmd_accept_pause() does (a reset when `reset`), and log why, at most
 * once a second, with the count of clients turned away since.
 */
void	cmd_accept_turn_away(const char *cmd, int fd, const void *full,
	    size_t len, int reset, const char *why);

/*
 * One server's accept loop, the part every server writes alike: accept
 * until nothing waits, turn clients away when out of descriptors
 * (cmd_accept_pause()) or past what the loop can watch (select's fd
 * limit: cmd_accept_turn_away()).  A server fills one struct cmd_accept
 * when it is set up, after cmd_accept_reserve() (designated initializers;
 * what is not named is 0):
 *
 *	s->acc = (struct cmd_accept){ .cmd = CMD, .resume = resume_accept,
 *	    .arg = s, .full = FULL, .fulllen = sizeof(FULL) - 1,
 *	    .nodelay = 1 };
 *
 * and its on_accept is then
 *
 *	while (s->nconns < s->max &&
 *	    (fd = cmd_accept_next(&s->acc, loop, lfd, &ss, &sslen)) != -1) {
 *		if ((c = calloc(1, sizeof(*c))) == NULL) {
 *			close(fd);
 *			continue;
 *		}
 *		...c->fd = fd, the peer from ss and sslen, sk_loop_add()...
 *	}
 *	if (fd == -1 && s->acc.paused)
 *		...accepting stopped until acc.resume runs...
 *
 * cmd_accept_next() returns the next client's fd (nonblocking,
 * close-on-exec, one the loop can watch), its address in *ss (it sets
 * *sslen itself), or -1 when the loop should stop for now: no client
 * waits (EAGAIN), one gave up first (ECONNABORTED), out of descriptors
 * (then paused is 1: cmd_accept_pause() turned the waiting clients away
 * or stopped watching lfd until resume), or another error (said when
 * say_errors is set).  errno is then the accept's.
 */
struct cmd_accept {
	const char	*cmd;		/* for messages */
	sk_timer_cb	*resume;	/* watches lfd again (required) */
	void		*arg;		/* resume's and refuse's */
	const void	*full;		/* out of descriptors: told this */
	size_t		 fulllen;	/* (NULL: nothing, closed) */
	const void	*wfull;		/* past the loop's fd limit; NULL: */
	size_t		 wfulllen;	/* full is said */
	int		 reset;		/* those turned away get a reset */
	int		 nodelay;	/* TCP_NODELAY on each TCP client */
	int		 say_errors;	/* report other accept errors */
	/*
	 * Optional: called with each client first; returns 1 when it has
	 * dealt with fd (told it no and closed it), 0 to go on.
	 */
	int		(*refuse)(void *arg, int fd);
	int		 paused;	/* out, see above */
};

int	cmd_accept_next(struct cmd_accept *a, struct sk_loop *loop, int lfd,
	    struct sockaddr_storage *ss, socklen_t *sslen);

/*
 * A server's end of one connection's socket: stop watching fd in loop and
 * close it, with a reset (sk_net_abort()) when reset, so that a client cut
 * short (a signal, a fault) cannot take what it got for the whole.
 */
void	cmd_conn_close(struct sk_loop *loop, int fd, int reset);

/*
 * Stop the loop cleanly on SIGINT and SIGTERM (through a self-pipe, so
 * the loop wakes at once).  cmd_signals_fini() restores the defaults.
 * cmd_signalled() returns the signal that arrived, or 0.  A signal is
 * never a success: once the command has cleaned up and returned, main()
 * passes its status through cmd_exit(), which dies by that signal.
 */
int	cmd_signals_init(const char *cmd, struct sk_loop *loop);
void	cmd_signals_fini(struct sk_loop *loop);
int	cmd_signalled(void);

/*
 * The flag the handler sets (the signal's number), for code that blocks
 * outside the loop (sk_relay_opts.stop: a write to a stdout nobody
 * reads): the handlers are installed without SA_RESTART, so such a
 * write ends with EINTR and can look at it.
 */
volatile sig_atomic_t	*cmd_stop_flag(void);

/*
 * For a command with a signal handler of its own (a blocking client):
 * note sig (async-signal-safe) so that cmd_exit() dies by it once the
 * command has cleaned up and returned.
 */
void	cmd_note_signal(int sig);

/*
 * stdout's reader went away (EPIPE): the one rule for every command is
 * to stop quietly and die by SIGPIPE, as cat and nc do.  A command that
 * sees EPIPE writing stdout some other way (a relay) calls
 * cmd_stdout_gone().  cmd_flush_stdout() flushes: 0, or -1 when stdout
 * is gone (quietly) or failed (reported once): stop writing then.
 */
void	cmd_stdout_gone(void);
int	cmd_flush_stdout(const char *cmd);

/*
 * The process's exit: status, unless a signal stopped the command or
 * stdout's reader left; then it dies by that signal (SIGPIPE for the
 * latter) after flushing stdio, so a shell sees 128+N and a loop stops.
 */
int	cmd_exit(int status);

/*
 * Unescape a --send STRING in place: \r \n \t \0 \\ and \xHH.  Returns
 * the length (the string may now hold NULs), or -1 for a bad escape.
 */
long	cmd_unescape(char *s);

/*
 * Write peer bytes to f safe for a terminal (sk_text_escape(): control
 * bytes, C1 and broken UTF-8 as \xHH); flags are SK_TEXT_*.
 */
void	cmd_put_text(FILE *f, const void *p, size_t n, int flags);

/*
 * Print a datagram as one line: without its trailing newline (or CRLF),
 * control bytes as \xHH so nothing can drive the terminal, then '\n'.
 */
void	cmd_print_line(FILE *f, const uint8_t *p, size_t n);

/* A hex dump of p: offset, 16 bytes in hex, the printable ones. */
void	cmd_hexdump(FILE *f, const uint8_t *p, size_t n);

/* Write s to f as the inside of a JSON string (escaped, no quotes). */
void	cmd_json_str(FILE *f, const char *s);

/*
 * The same for n bytes from a peer, any bytes: valid UTF-8 as it is, '"'
 * and '\\' escaped, and each other byte (an embedded NUL, C0, DEL, a C1
 * control, broken UTF-8) as \u00XX, so the line is always valid JSON.
 */
void	cmd_json_strn(FILE *f, const char *s, size_t n);

/*
 * A command's part of the man page as text, for "sockkit help COMMAND";
 * generated from docs/sockkit.1 by tools/mkhelp.awk; the table ends with
 * a NULL name.
 */
struct cmd_manual {
	const char		*name;
	const char *const	*lines;		/* ends with NULL */
};
extern const struct cmd_manual cmd_manual[];

/* Flush stdout; returns 1 after reporting a write error, else 0 (also
 * when its reader has gone: cmd_exit() then ends by SIGPIPE). */
int	cmd_finish_stdout(const char *cmd);

/*
 * Shared by tcp-client and tcp-server (nc's -n): 1 when host is a numeric
 * IPv4 or IPv6 address (a scope "%eth0" allowed), which getaddrinfo()
 * takes without asking DNS; else 0.
 */
int	cmd_numeric_host(const char *host);

/*
 * A HOST or ADDRESS operand or option: 0 when it may be resolved, -1
 * after a usage error when it looks numeric but is not a dotted quad
 * (sk_net_numeric_ok(): "10.1", "2130706433", "0x7f.1" are refused
 * before anything is sent anywhere), is empty, is a URL, or has
 * brackets anywhere but around an IPv6 address.  what names an option
 * ("-s"), or NULL for an operand.
 */
int	cmd_host_ok(const char *cmd, const char *what, const char *host);

/*
 * -4 (family AF_INET) with a numeric IPv6 host, or -6 with an IPv4 one:
 * -1 after a usage error saying so, else 0 (names, AF_UNSPEC, NULL).
 */
int	cmd_host_family(const char *cmd, const char *what, int family,
	    const char *host);

#endif /* SOCKKIT_CMD_H */
