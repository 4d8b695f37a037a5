/*
 * cmd.c - helpers every subcommand shares: common options, messages,
 * numbers, the listening line, signals and stdout's last check.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sockkit/loop.h>
#include <sockkit/net.h>

#include "cmd.h"

static void
vmsg(const char *cmd, const char *hint, const char *fmt, va_list ap)
{
	char	line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	if (hint != NULL)
		fprintf(stderr, "sockkit: %s: %s (see 'sockkit %s --help')\n",
		    cmd, line, hint);
	else
		fprintf(stderr, "sockkit: %s: %s\n", cmd, line);
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

int
cmd_common(const char *cmd, struct common_opts *o, int ch, char **argv)
{
	const char *const	*b;

	switch (ch) {
	case '4':
		o->family = AF_INET;
		return 1;
	case '6':
		o->family = AF_INET6;
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
		/* A short option is in optopt; glibc leaves a long one in
		 * argv[optind-1], musl may have moved optind past argv's end. */
		if (optopt > ' ' && optopt < 0x7f)
			cmd_usage_err(cmd, "option '-%c' needs a value",
			    optopt);
		else
			cmd_usage_err(cmd, "option '%s' needs a value",
			    argv[optind - 1] != NULL ? argv[optind - 1] :
			    "(last)");
		return -1;
	case '?':
		if (optopt != 0)
			cmd_usage_err(cmd, "unknown option '-%c'", optopt);
		else
			cmd_usage_err(cmd, "unknown option '%s'",
			    argv[optind - 1]);
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
cmd_endpoint(const char *cmd, int argc, char **argv, int server,
    const char *unix_path, const char **host, const char **port)
{
	*host = *port = NULL;
	if (unix_path != NULL) {
		if (argc != 0) {
			cmd_usage_err(cmd, "-U PATH takes no %s",
			    server ? "address or port" : "host or port");
			return -1;
		}
		return 0;
	}
	if (argc < (server ? 1 : 2) || argc > 2) {
		cmd_usage_err(cmd, argc > 2 ? "too many arguments" : server ?
		    "missing PORT" : "missing HOST and PORT");
		return -1;
	}
	*host = argc == 2 ? argv[0] : NULL;
	*port = argv[argc - 1];
	if (sk_net_parse_port(NULL, *port, server) == -1) {
		cmd_usage_err(cmd, "invalid port '%s'", *port);
		return -1;
	}
	return 0;
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

int
cmd_accept_pause(const char *cmd, struct sk_loop *loop, int lfd,
    sk_timer_cb *resume, void *arg)
{
	static long long	said_ms = -1000;
	long long		now;

	if (errno != EMFILE && errno != ENFILE)
		return 0;
	if ((now = sk_loop_now_ms()) - said_ms >= 1000) {
		cmd_err(cmd, "accept: %s: new clients wait", strerror(errno));
		said_ms = now;
	}
	if (sk_loop_timer_add(NULL, loop, 100, 0, resume, arg) == -1)
		return 0;
	(void)sk_loop_mod(NULL, loop, lfd, 0);
	return 1;
}

/*
 * Signals: the handler only writes a byte to a pipe the loop watches, so
 * the loop stops at a safe point between callbacks.
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

int
cmd_signals_init(const char *cmd, struct sk_loop *loop)
{
	struct sigaction	sa;
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
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	return 0;
}

void
cmd_signals_fini(struct sk_loop *loop)
{
	int	i;

	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
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
	return signalled != 0;
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
cmd_print_line(FILE *f, const uint8_t *p, size_t n)
{
	size_t	i;

	if (n > 0 && p[n - 1] == '\n')
		n--;
	if (n > 0 && p[n - 1] == '\r')
		n--;
	for (i = 0; i < n; i++) {
		if ((p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f)
			fprintf(f, "\\x%02x", p[i]);
		else
			fputc(p[i], f);
	}
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
	const unsigned char	*p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(f, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(f, "\\u%04x", *p);
		else
			fputc(*p, f);
	}
}

int
cmd_finish_stdout(const char *cmd)
{
	if (fflush(stdout) == EOF || ferror(stdout)) {
		/* A closed pipe is the reader's choice, not our failure. */
		if (errno == EPIPE)
			return 0;
		cmd_err(cmd, "write to stdout: %s", strerror(errno));
		return EXIT_RUNTIME;
	}
	return 0;
}
