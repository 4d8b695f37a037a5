/*
 * cmd.c - helpers every subcommand shares: common options, messages,
 * numbers, the listening line, signals and stdout's last check.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sockkit/loop.h>
#include <sockkit/net.h>
#include <sockkit/text.h>

#include "cmd.h"

static void
vmsg(const char *cmd, const char *hint, const char *fmt, va_list ap)
{
	char	line[1024], safe[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	/* An operand quoted in a message may hold any byte: none of them
	 * may drive the terminal (text and \xHH escapes pass unchanged). */
	(void)sk_text_escape(safe, sizeof(safe), (const uint8_t *)line,
	    strlen(line), 0);
	if (hint != NULL)
		fprintf(stderr, "sockkit: %s: %s (see 'sockkit %s --help')\n",
		    cmd, safe, hint);
	else
		fprintf(stderr, "sockkit: %s: %s\n", cmd, safe);
}

void
cmd_err(const char *cmd, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vmsg(cmd, NULL, fmt, ap);
	va_end(ap);
}

int
cmd_usage_err(const char *cmd, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vmsg(cmd, cmd, fmt, ap);
	va_end(ap);
	return EXIT_USAGE;
}

int
cmd_help(const char *usage)
{
	fputs(usage, stdout);
	return cmd_finish_stdout("help");
}

static const struct option	*longopts_seen;

void
cmd_longopts(const struct option *lo)
{
	longopts_seen = lo;
}

/*
 * The option getopt_long() stopped at, when it was a long one: glibc
 * leaves it in argv[optind-1] (musl may have moved optind past argv's
 * end).  NULL for a short one (in optopt).
 */
static const char *
long_arg(char **argv)
{
	const char	*a;

	if (optind < 1 || (a = argv[optind - 1]) == NULL)
		return NULL;
	return a[0] == '-' && a[1] == '-' && a[2] != '\0' && a[2] != '=' ?
	    a : NULL;
}

/* How many long options name (len bytes) is the start of; *full the
 * last, or the one it names exactly. */
static int
long_matches(const char *name, size_t len, const char **full)
{
	const struct option	*lo;
	int			 n = 0;

	for (lo = longopts_seen; lo != NULL && lo->name != NULL; lo++)
		if (strncmp(lo->name, name, len) == 0) {
			*full = lo->name;
			if (lo->name[len] == '\0')
				return 1;
			n++;
		}
	return n;
}

/*
 * One line for each way an option can be wrong, in our own words (the
 * command sets opterr = 0 and ':' first in its optstring, so getopt_long
 * prints nothing itself): unknown, ambiguous, missing its value, or a
 * value given to one that takes none ("--json=1").
 */
static void
opt_error(const char *cmd, int ch, char **argv)
{
	const char	*a = long_arg(argv), *full = NULL;
	size_t		 len;
	int		 n;

	/* A short option's error leaves optopt its letter; a long one's
	 * 0 or its value, which for "--help=x" is 'h' too: an element
	 * "--help=x" then decides it, not optopt. */
	if (a != NULL && ch == '?' && optopt != 0 && optopt <= 0x7f &&
	    (strchr(a, '=') == NULL || a[2] != optopt))
		a = NULL;
	if (a == NULL) {
		if (optopt > ' ' && optopt < 0x7f)
			cmd_usage_err(cmd, ch == ':' ? "option '-%c' needs a "
			    "value" : "unknown option '-%c'", optopt);
		else if (optind >= 1 && argv[optind - 1] != NULL)
			cmd_usage_err(cmd, ch == ':' ? "option '%s' needs a "
			    "value" : "unknown option '%s'", argv[optind - 1]);
		else
			cmd_usage_err(cmd, ch == ':' ? "an option needs a "
			    "value" : "unknown option");
		return;
	}
	len = strcspn(a + 2, "=");
	n = long_matches(a + 2, len, &full);
	if (n != 1)
		full = NULL;
	if (ch == ':')
		cmd_usage_err(cmd, "option '--%s' needs a value",
		    full != NULL ? full : a + 2);
	else if (optopt != 0 && a[2 + len] == '=')
		cmd_usage_err(cmd, "option '--%.*s' takes no value ('%s')",
		    full != NULL ? (int)strlen(full) : (int)len,
		    full != NULL ? full : a + 2, a);
	else if (n > 1) {
		const struct option	*lo;
		char			 list[512];
		size_t			 used = 0;

		list[0] = '\0';
		for (lo = longopts_seen; lo->name != NULL; lo++)
			if (strncmp(lo->name, a + 2, len) == 0 &&
			    used < sizeof(list))
				used += (size_t)snprintf(list + used,
				    sizeof(list) - used, "%s--%s",
				    used > 0 ? ", " : "", lo->name);
		cmd_usage_err(cmd, "ambiguous option '--%.*s' (%s)", (int)len,
		    a + 2, list);
	}
	else
		cmd_usage_err(cmd, "unknown option '--%.*s'", (int)len, a + 2);
}

int
cmd_common(const char *cmd, struct common_opts *o, int ch, char **argv)
{
	const char *const	*b;

	switch (ch) {
	case '4':
	case '6':
		if (o->family == (ch == '4' ? AF_INET6 : AF_INET)) {
			cmd_usage_err(cmd, "-4 and -6 do not go together");
			return -1;
		}
		o->family = ch == '4' ? AF_INET : AF_INET6;
		return 1;
	case 'v':
		o->verbose++;
		return 1;
	case 'h':
		o->help = 1;
		return 1;
	case OPT_JSON:
		o->json = 1;
		return 1;
	case OPT_BACKEND:
		for (b = sk_loop_backends(); *b != NULL; b++)
			if (strcmp(*b, optarg) == 0) {
				o->backend = *b;
				return 1;
			}
		cmd_usage_err(cmd, "--backend: unknown backend '%s'", optarg);
		return -1;
	case ':':
	case '?':
		opt_error(cmd, ch, argv);
		return -1;
	}
	return 0;
}

int
cmd_number(const char *cmd, const char *what, const char *s, long long min,
    long long max, long long *out)
{
	char		*end;
	long long	 v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < min || v > max) {
		cmd_usage_err(cmd, "%s: invalid number '%s' (%lld-%lld)", what,
		    s, min, max);
		return -1;
	}
	*out = v;
	return 0;
}

int
cmd_seconds(const char *cmd, const char *what, const char *s,
    long long min_ms, long long max_ms, long long *ms)
{
	long long	whole = 0, frac = 0, scale = 1000;
	const char	*p = s;
	int		digits = 0;

	/* Digits, then at most three decimals: no signs, exponents, hex,
	 * "inf" or "nan", which strtod would take. */
	for (; *p >= '0' && *p <= '9' && whole <= 86400LL * 3650; p++, digits++)
		whole = whole * 10 + (*p - '0');
	if (*p == '.')
		for (p++; *p >= '0' && *p <= '9'; p++, digits++)
			if (scale > 1) {
				scale /= 10;
				frac += (*p - '0') * scale;
			}
	if (digits == 0 || *p != '\0' || whole > 86400LL * 3650 ||
	    whole * 1000 + frac < min_ms || whole * 1000 + frac > max_ms) {
		cmd_usage_err(cmd, "%s: invalid seconds '%s' (%.10g-%.10g)",
		    what, s, (double)min_ms / 1000, (double)max_ms / 1000);
		return -1;
	}
	*ms = whole * 1000 + frac;
	return 0;
}

/*
 * "HOST:PORT" (or "[V6]:PORT") where HOST PORT was meant: 1 when s looks
 * like that, for a hint.
 */
static int
host_colon_port(const char *s)
{
	const char	*colon = strrchr(s, ':');

	if (colon == NULL || colon == s || colon[1] == '\0' ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1))
		return 0;
	/* A bare IPv6 address has colons too: only [V6]:PORT counts. */
	return strchr(s, ':') == colon || colon[-1] == ']';
}

int
cmd_colon_hint(const char *cmd, const char *s, int server)
{
	const char	*colon;
	int		 br;

	if (s == NULL || !host_colon_port(s))
		return 0;
	colon = strrchr(s, ':');
	br = s[0] == '[';
	cmd_usage_err(cmd, "'%s': the %s and the port are two operands: "
	    "'%.*s %s'", s, server ? "address" : "host",
	    (int)(colon - s) - 2 * br, s + br, colon + 1);
	return -1;
}

int
cmd_endpoint(const char *cmd, int argc, char **argv, int server,
    const char *unix_path, const char **host, const char **port)
{
	*host = *port = NULL;
	/* No host has a ":PORT" in it (an IPv6 address is bare or in
	 * brackets): "HOST:PORT", alone or not, meant two operands. */
	if (unix_path == NULL && (argc == 1 || argc == 2) &&
	    cmd_colon_hint(cmd, argv[0], server) == -1)
		return -1;
	if (unix_path != NULL) {
		if (argc != 0) {
			cmd_usage_err(cmd, "-U PATH takes no %s",
			    server ? "address or port" : "host or port");
			return -1;
		}
		return 0;
	}
	if (argc < (server ? 1 : 2) || argc > 2) {
		cmd_usage_err(cmd, argc > 2 ? "too many arguments" : server ||
		    argc == 1 ? "missing PORT" : "missing HOST and PORT");
		return -1;
	}
	*host = argc == 2 ? argv[0] : NULL;
	*port = argv[argc - 1];
	if (cmd_host_ok(cmd, NULL, *host) == -1)
		return -1;
	if (sk_net_parse_port(NULL, *port, server) == -1) {
		cmd_usage_err(cmd, "invalid port '%s'", *port);
		return -1;
	}
	return 0;
}

int
cmd_server_operands(const char *cmd, int argc, char **argv,
    const char *opt_port, const char *unix_path, const char **host,
    const char **port)
{
	if (opt_port == NULL || unix_path != NULL)
		return cmd_endpoint(cmd, argc, argv, 1, unix_path, host, port);
	if (argc > 1) {
		cmd_usage_err(cmd, argc == 2 && sk_net_parse_port(NULL,
		    argv[1], 1) != -1 ? "the port is given twice (-p %s and "
		    "'%s')" : "too many arguments (-p %s takes [ADDRESS] "
		    "only)", opt_port, argv[1]);
		return -1;
	}
	if (argc == 1 && strspn(argv[0], "0123456789") == strlen(argv[0]) &&
	    sk_net_parse_port(NULL, argv[0], 1) != -1) {
		cmd_usage_err(cmd, "the port is given twice (-p %s and '%s')",
		    opt_port, argv[0]);
		return -1;
	}
	*host = argc == 1 ? argv[0] : NULL;
	*port = opt_port;
	if (cmd_colon_hint(cmd, *host, 1) == -1)
		return -1;
	return cmd_host_ok(cmd, NULL, *host);
}

int
cmd_server_socket(const char *cmd, const struct common_opts *c,
    const char *unix_path, const char *host, const char *port, int socktype)
{
	char	err[SK_ERRLEN];
	int	fd;

	if (unix_path != NULL)
		fd = sk_net_unix_listen(err, unix_path, socktype);
	else
		fd = sk_net_listen(err, host, port, c->family, socktype);
	if (fd == -1 || sk_net_nonblock(err, fd, 1) == -1) {
		cmd_err(cmd, "%s", err);
		if (fd != -1)
			close(fd);
		return -1;
	}
	return fd;
}

int
cmd_probe_opt(const char *cmd, struct probe_opts *p, int ch)
{
	long	n;

	switch (ch) {
	case OPT_SEND:
		p->send = optarg;
		if ((n = cmd_unescape(p->send)) == -1) {
			cmd_usage_err(cmd, "--send: bad escape (use \\r \\n "
			    "\\t \\0 \\\\ \\xHH)");
			return -1;
		}
		p->sendlen = (size_t)n;
		return 1;
	case OPT_EXPECT:
		if (*optarg == '\0') {
			cmd_usage_err(cmd, "--expect: empty TEXT");
			return -1;
		}
		p->expect = optarg;
		return 1;
	}
	return 0;
}

void
cmd_listening(const char *cmd, int fd)
{
	char	as[SK_ADDRSTRLEN];

	if (sk_net_local_str(NULL, fd, as, sizeof(as)) == -1)
		snprintf(as, sizeof(as), "?");
	fprintf(stderr, "sockkit: %s: listening on %s\n", cmd, as);
	fflush(stderr);
}

static int	reserve_fd = -1;

int
cmd_accept_reserve(void)
{
	if (reserve_fd == -1)
		reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	return reserve_fd == -1 ? -1 : 0;
}

int
cmd_accept_pause(const char *cmd, struct sk_loop *loop, int lfd,
    sk_timer_cb *resume, void *arg, const void *full, size_t len, int reset)
{
	static long long	said_ms = -1000;
	long long		now;
	char			drop[4096];
	int			fd = -1, n = 0, turned = 0, idle;

	if (errno != EMFILE && errno != ENFILE)
		return 0;
	if (reserve_fd != -1 && full != NULL) {
		close(reserve_fd);
		/* A burst at most, then the loop sees to the others. */
		while (n++ < 64 && (fd = sk_net_accept(NULL, lfd, NULL,
		    NULL)) != -1) {
			(void)sk_net_write(fd, full, len);
			if (reset)
				(void)sk_net_abort(NULL, fd);
			else {
				/* What the client sent already, read, so that
				 * the close is an end, not a reset that could
				 * take the answer with it. */
				(void)read(fd, drop, sizeof(drop));
				(void)shutdown(fd, SHUT_WR);
				close(fd);
			}
			turned++;
		}
		idle = turned == 0 && fd == -1 &&
		    (errno == EAGAIN || errno == EWOULDBLOCK);
		reserve_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		/* Linux takes the descriptor before it looks at the queue:
		 * EMFILE with no one waiting is no news. */
		if (idle && reserve_fd != -1)
			return 1;
	}
	if ((now = sk_loop_now_ms()) - said_ms >= 1000) {
		if (turned > 0)
			cmd_err(cmd, "accept: %s: clients turned away",
			    strerror(EMFILE));
		else
			cmd_err(cmd, "accept: %s: new clients wait",
			    strerror(errno == EAGAIN ? EMFILE : errno));
		said_ms = now;
	}
	/* Turned away all that waited, and ready for the next: go on. */
	if (turned > 0 && reserve_fd != -1)
		return 1;
	if (sk_loop_timer_add(NULL, loop, 100, 0, resume, arg) == -1)
		return 0;
	(void)sk_loop_mod(NULL, loop, lfd, 0);
	return 1;
}

void
cmd_accept_turn_away(const char *cmd, int fd, const void *full, size_t len,
    int reset, const char *why)
{
	static long long	said_ms = -1000;
	static long long	since;
	long long		now;
	char			drop[4096];

	if (full != NULL)
		(void)sk_net_write(fd, full, len);
	if (reset)
		(void)sk_net_abort(NULL, fd);
	else {
		/* As cmd_accept_pause() does: read, so the close is an end. */
		(void)read(fd, drop, sizeof(drop));
		(void)shutdown(fd, SHUT_WR);
		close(fd);
	}
	since++;
	if ((now = sk_loop_now_ms()) - said_ms >= 1000) {
		cmd_err(cmd, "%s: %lld client%s turned away", why, since,
		    since == 1 ? "" : "s");
		said_ms = now;
		since = 0;
	}
}

int
cmd_accept_next(struct cmd_accept *a, struct sk_loop *loop, int lfd,
    struct sockaddr_storage *ss, socklen_t *sslen)
{
	const void	*wfull = a->wfull != NULL ? a->wfull : a->full;
	size_t		 wlen = a->wfull != NULL ? a->wfulllen : a->fulllen;
	char		 err[SK_ERRLEN];
	int		 fd, saved;

	a->paused = 0;
	for (;;) {
		*sslen = sizeof(*ss);
		if ((fd = sk_net_accept(err, lfd, ss, sslen)) == -1) {
			saved = errno;
			a->paused = cmd_accept_pause(a->cmd, loop, lfd,
			    a->resume, a->arg, a->full, a->fulllen, a->reset);
			if (!a->paused && a->say_errors && saved != EAGAIN &&
			    saved != EWOULDBLOCK && saved != ECONNABORTED)
				cmd_err(a->cmd, "%s", err);
			errno = saved;
			return -1;
		}
		if (a->refuse != NULL && a->refuse(a->arg, fd))
			continue;
		/* The select backend cannot watch fd 1024 and up: the client
		 * is told so, as when out of descriptors. */
		if (sk_loop_watchable(err, loop, fd) == -1) {
			cmd_accept_turn_away(a->cmd, fd, wfull, wlen, a->reset,
			    err);
			continue;
		}
		if (a->nodelay && ss->ss_family != AF_UNIX)
			(void)sk_net_nodelay(NULL, fd);
		return fd;
	}
}

/*
 * Signals: the handler only writes a byte to a pipe the loop watches, so
 * the loop stops at a safe point between callbacks.  The command cleans
 * up and returns; cmd_exit() then dies by the same signal.
 */
static int			sigpipe_fds[2] = { -1, -1 };
static volatile sig_atomic_t	signalled;

static void
on_signal(int sig)
{
	int	saved = errno;

	signalled = sig;
	if (sigpipe_fds[1] != -1)
		(void)write(sigpipe_fds[1], "", 1);
	errno = saved;
}

static void
on_sigpipe_readable(struct sk_loop *loop, int fd, int mask, void *arg)
{
	char	buf[64];

	(void)mask;
	(void)arg;
	while (read(fd, buf, sizeof(buf)) > 0)
		;
	sk_loop_stop(loop);
}

/* The signals we caught, to give back at the end. */
static int			caught[2];
static const int		stop_signals[2] = { SIGINT, SIGTERM };

int
cmd_signals_init(const char *cmd, struct sk_loop *loop)
{
	struct sigaction	sa, old;
	char			err[SK_ERRLEN];
	int			i;

	if (pipe(sigpipe_fds) == -1) {
		cmd_err(cmd, "pipe: %s", strerror(errno));
		return -1;
	}
	for (i = 0; i < 2; i++) {
		(void)fcntl(sigpipe_fds[i], F_SETFD, FD_CLOEXEC);
		(void)sk_net_nonblock(NULL, sigpipe_fds[i], 1);
	}
	if (sk_loop_add(err, loop, sigpipe_fds[0], SK_READ,
	    on_sigpipe_readable, NULL) == -1) {
		cmd_err(cmd, "%s", err);
		cmd_signals_fini(NULL);
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* No SA_RESTART: a write blocked on a full stdout must end with
	 * EINTR, so that it sees cmd_stop_flag(). */
	sa.sa_flags = 0;
	/*
	 * A signal ignored when we started stays ignored: a script's
	 * background job is not meant to die of the terminal's ^C (POSIX
	 * shells start them so), as nc and python leave it.
	 */
	for (i = 0; i < 2; i++)
		if (sigaction(stop_signals[i], NULL, &old) == 0 &&
		    old.sa_handler != SIG_IGN &&
		    sigaction(stop_signals[i], &sa, NULL) == 0)
			caught[i] = 1;
	return 0;
}

void
cmd_signals_fini(struct sk_loop *loop)
{
	int	i;

	for (i = 0; i < 2; i++)
		if (caught[i]) {
			signal(stop_signals[i], SIG_DFL);
			caught[i] = 0;
		}
	if (loop != NULL && sigpipe_fds[0] != -1)
		sk_loop_del(loop, sigpipe_fds[0]);
	for (i = 0; i < 2; i++)
		if (sigpipe_fds[i] != -1) {
			close(sigpipe_fds[i]);
			sigpipe_fds[i] = -1;
		}
}

int
cmd_signalled(void)
{
	return (int)signalled;
}

volatile sig_atomic_t *
cmd_stop_flag(void)
{
	return &signalled;
}

void
cmd_note_signal(int sig)
{
	signalled = sig;
}

/* stdout's reader has gone (EPIPE): end quietly, as cat does. */
static int	stdout_gone;
/* A write error on stdout was reported already. */
static int	stdout_failed;

void
cmd_stdout_gone(void)
{
	stdout_gone = 1;
}

/*
 * Stopping on a signal, a write to a stdout nobody reads (a full pipe, a
 * terminal paused with ^S) would hold us for ever: 1 when stdout has no
 * room now.
 */
static int
stdout_blocked(void)
{
	struct pollfd	pfd;

	pfd.fd = STDOUT_FILENO;
	pfd.events = POLLOUT;
	return poll(&pfd, 1, 0) == 0;
}

int
cmd_flush_stdout(const char *cmd)
{
	if (stdout_gone || stdout_failed)
		return -1;
	if (signalled && stdout_blocked()) {
		stdout_failed = 1;	/* the signal ends us: no news */
		return -1;
	}
	if (fflush(stdout) != EOF && !ferror(stdout))
		return 0;
	if (errno == EPIPE)
		stdout_gone = 1;
	else if (errno == EINTR && signalled)
		stdout_failed = 1;	/* a signal cut a blocked write: it
					   ends us, no news */
	else {
		cmd_err(cmd, "write to stdout: %s", strerror(errno));
		stdout_failed = 1;
	}
	return -1;
}

/*
 * Under LeakSanitizer (make sanitize) the leak check runs at exit(), which
 * dying by a signal skips: run it first.  NULL in a normal build.
 */
extern void	__lsan_do_leak_check(void) __attribute__((weak));

int
cmd_exit(int status)
{
	int	sig = cmd_signalled();

	if (sig == 0 && stdout_gone)
		sig = SIGPIPE;
	if (sig == 0)
		return status;
	/* raise() skips stdio's exit-time flush: do it first, unless
	 * stdout is what held us (then what it holds is lost). */
	if (!stdout_failed && !stdout_blocked())
		(void)fflush(stdout);
	(void)fflush(stderr);
	if (__lsan_do_leak_check != NULL)
		__lsan_do_leak_check();
	signal(sig, SIG_DFL);
	(void)raise(sig);
	/* Only if the signal is blocked: the shell's convention, 128+N. */
	return 128 + sig;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long
cmd_unescape(char *s)
{
	static const char	 from[] = "rnt0\\", to[] = "\r\n\t\0\\";
	const char		*e;
	char			*d = s, *p = s;

	while (*p != '\0') {
		if (*p != '\\') {
			*d++ = *p++;
			continue;
		}
		if (p[1] == 'x') {
			if (hexval(p[2]) < 0 || hexval(p[3]) < 0)
				return -1;
			*d++ = (char)(hexval(p[2]) << 4 | hexval(p[3]));
			p += 4;
		} else if (p[1] != '\0' && (e = strchr(from, p[1])) != NULL) {
			*d++ = to[e - from];
			p += 2;
		} else
			return -1;
	}
	*d = '\0';
	return (long)(d - s);
}

void
cmd_put_text(FILE *f, const void *p, size_t n, int flags)
{
	const uint8_t	*b = p;
	char		 out[1024];
	size_t		 took;

	while (n > 0) {
		took = sk_text_escape(out, sizeof(out), b, n, flags);
		fputs(out, f);
		b += took;
		n -= took;
	}
}

void
cmd_print_line(FILE *f, const uint8_t *p, size_t n)
{
	/* One line end, "\n" or "\r\n"; a CR with no newline after it is
	 * shown (\x0d), or "cr\r" and "cr" would print alike. */
	if (n > 0 && p[n - 1] == '\n') {
		n--;
		if (n > 0 && p[n - 1] == '\r')
			n--;
	}
	/* '\\' as "\\\\": else the four bytes \x1b print as ESC does. */
	cmd_put_text(f, p, n, SK_TEXT_TAB | SK_TEXT_BACKSLASH);
	fputc('\n', f);
}

void
cmd_hexdump(FILE *f, const uint8_t *p, size_t n)
{
	size_t	off, i;

	for (off = 0; off < n; off += 16) {
		fprintf(f, "%08zx ", off);
		for (i = off; i < off + 16; i++) {
			if (i % 8 == 0)
				fputc(' ', f);
			if (i < n)
				fprintf(f, "%02x ", p[i]);
			else
				fputs("   ", f);
		}
		fputs(" |", f);
		for (i = off; i < off + 16 && i < n; i++)
			fputc(p[i] >= 0x20 && p[i] < 0x7f ? p[i] : '.', f);
		fputs("|\n", f);
	}
}

void
cmd_json_str(FILE *f, const char *s)
{
	cmd_json_strn(f, s, strlen(s));
}

/*
 * Valid UTF-8 goes as it is (C1 controls escaped), '"' and '\\' escaped,
 * and every other byte -- C0, DEL, a NUL, a byte of broken UTF-8 -- as
 * \u00XX: the output is valid JSON whatever the peer sent, and one byte
 * always stands for one escape (as ipcalc --json has written it).
 */
void
cmd_json_strn(FILE *f, const char *s, size_t n)
{
	const uint8_t	*p = (const uint8_t *)s;
	size_t		 i, len;

	for (i = 0; i < n; i += len) {
		len = sk_text_has_ctl(p + i, 1, 0) ? 0 : 1;
		if (p[i] >= 0x80) {
			/* The length of a valid character here, or 0. */
			len = p[i] >= 0xf0 ? 4 : p[i] >= 0xe0 ? 3 :
			    p[i] >= 0xc2 ? 2 : 0;
			if (len > n - i || sk_text_has_ctl(p + i, len, 0))
				len = 0;
		}
		if (len == 0) {
			fprintf(f, "\\u%04x", p[i]);
			len = 1;
		} else if (p[i] == '"' || p[i] == '\\')
			fprintf(f, "\\%c", p[i]);
		else
			fwrite(p + i, 1, len, f);
	}
}

int
cmd_finish_stdout(const char *cmd)
{
	/* A closed pipe is the reader's choice: cmd_exit() ends quietly. */
	if (cmd_flush_stdout(cmd) == -1 && !stdout_gone)
		return EXIT_RUNTIME;
	return 0;
}

/*
 * Shared by tcp-client and tcp-server: nc's -n, "numeric addresses only".
 * AI_NUMERICHOST makes getaddrinfo() parse, never query.
 */
int
cmd_numeric_host(const char *host)
{
	struct addrinfo	hints, *res;
	char		buf[256];	/* a name is at most 253 */
	size_t		len = strlen(host);

	/* "[::1]" is ::1, as sk_net_resolve() takes it. */
	if (len > 2 && host[0] == '[' && host[len - 1] == ']' &&
	    len - 2 < sizeof(buf)) {
		memcpy(buf, host + 1, len - 2);
		buf[len - 2] = '\0';
		if (strchr(buf, ':') == NULL)
			return 0;
		host = buf;
	}
	if (!sk_net_numeric_ok(host))
		return 0;
	memset(&hints, 0, sizeof(hints));
	hints.ai_flags = AI_NUMERICHOST;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, NULL, &hints, &res) != 0)
		return 0;
	freeaddrinfo(res);
	return 1;
}

int
cmd_announce_name(const char *cmd, const char *what, const char *name)
{
	const char	*why;
	char		 buf[SK_ANN_WHYLEN];
	size_t		 n = strlen(name);

	if ((why = sk_ann_name_bad(name, n, buf, sizeof(buf))) == NULL)
		return 0;
	cmd_usage_err(cmd, "%s%sa NAME is 1-%d bytes of text, no spaces or "
	    "control bytes: '%.*s%s' %s", what != NULL ? what : "",
	    what != NULL ? ": " : "", SK_ANN_NAMEMAX, SK_ANN_NAMEMAX, name,
	    n > SK_ANN_NAMEMAX ? "..." : "", why);
	return -1;
}

const char *
cmd_announce_name_bad(const char *s)
{
	static char	why[SK_ANN_WHYLEN];

	return sk_ann_name_bad(s, strlen(s), why, sizeof(why));
}

int
cmd_host_ok(const char *cmd, const char *what, const char *host)
{
	const char	*w = what ? what : "", *sep = what ? ": " : "";
	size_t		 len;

	if (host == NULL)
		return 0;
	len = strlen(host);
	if (len == 0) {
		cmd_usage_err(cmd, "%s%san empty host or address", w, sep);
		return -1;
	}
	/* A URL pasted for a host: the resolver would look it up. */
	if (strstr(host, "://") != NULL) {
		cmd_usage_err(cmd, "%s%s'%s' is a URL: give the host alone",
		    w, sep, host);
		return -1;
	}
	/* Brackets only around a whole IPv6 address. */
	if ((strchr(host, '[') != NULL || strchr(host, ']') != NULL) &&
	    (host[0] != '[' || host[len - 1] != ']' || len < 3 ||
	    memchr(host + 1, '[', len - 2) != NULL ||
	    memchr(host + 1, ']', len - 2) != NULL ||
	    memchr(host + 1, ':', len - 2) == NULL)) {
		cmd_usage_err(cmd, "%s%s%s: not an address (brackets go around "
		    "an IPv6 address: [::1])", w, sep, host);
		return -1;
	}
	if (sk_net_numeric_ok(host))
		return 0;
	cmd_usage_err(cmd, "%s%s%s: not an address (an IPv4 address is four "
	    "numbers 0-255 with dots)", what ? what : "", what ? ": " : "",
	    host);
	return -1;
}

int
cmd_host_family(const char *cmd, const char *what, int family,
    const char *host)
{
	unsigned char	 a[16];
	char		 buf[64];
	const char	*h = host;
	size_t		 len;
	int		 v4, v6;

	if (host == NULL || family == AF_UNSPEC)
		return 0;
	if ((len = strlen(host)) > 2 && host[0] == '[' && host[len - 1] == ']' &&
	    len - 2 < sizeof(buf)) {
		memcpy(buf, host + 1, len - 2);
		buf[len - 2] = '\0';
		h = buf;
	}
	v4 = inet_pton(AF_INET, h, a) == 1;
	v6 = strchr(h, ':') != NULL && (inet_pton(AF_INET6, h, a) == 1 ||
	    strchr(h, '%') != NULL);
	if ((family == AF_INET && !v6) || (family == AF_INET6 && !v4))
		return 0;
	cmd_usage_err(cmd, "-%c and the IPv%c address '%s'%s%s%s do not go "
	    "together", family == AF_INET ? '4' : '6', v4 ? '4' : '6', host,
	    what ? " (" : "", what ? what : "", what ? ")" : "");
	return -1;
}
