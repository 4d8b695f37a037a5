/*
 * http_serve.c - sockkit http's set-up and run: DIR opened (and followed
 * when its name comes to lead elsewhere), the logs, the listening socket
 * and the URL line, then the event loop until a signal; at the end every
 * connection is closed, a download under way with a reset.
 */
#define _GNU_SOURCE		/* NI_MAXHOST */

#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <netdb.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sockkit/loop.h>
#include <sockkit/path.h>
#include <sockkit/text.h>

#include "http.h"

void
http_say_name(const char *what, const char *name, const char *post)
{
	fprintf(stderr, "sockkit: %s: %s", CMD, what);
	cmd_put_text(stderr, name, strlen(name), SK_TEXT_TAB);
	fprintf(stderr, "%s\n", post);
	fflush(stderr);
}

void
http_say_errno(const char *what, const char *name, int err)
{
	char	post[256];

	snprintf(post, sizeof(post), ": %s", err == ENXIO ?
	    "a FIFO nobody reads" : strerror(err));
	http_say_name(what, name, post);
}

/*
 * DIR is served by what its name leads to, as python and nginx serve
 * it: checked every tick, so a directory removed and made again (a build
 * output, "rm -rf www && make") or a symbolic link pointed elsewhere (a
 * deployment's "current") is served at once, not the old one forever.
 * While the name leads nowhere (removed, renamed), every request gets 404
 * (said once).
 */
void
http_check_root(struct hsrv *s)
{
	char	real[PATH_MAX];

	switch (sk_path_root_check(s->o->dir, &s->rootfd, &s->root_gone,
	    real)) {
	case -1:
		http_say_name("", s->o->dir, ": removed: nothing is served "
		    "until it is made again");
		break;
	case 1:
		memcpy(s->root, real, sizeof(real));
		http_cache_clear(s);
		http_say_name("now serving ", s->root, "");
		break;
	}
}

/*
 * After the listening line: "serving DIR at http://HOST:PORT/", a URL to
 * click.  A wildcard listen is reached by loopback (127.0.0.1, or ::1 for
 * an IPv6-only socket or -6); IPv6 goes in brackets, a zone as %25 (RFC
 * 6874).
 */
static void
print_url(const struct hsrv *s)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in6	*s6 = (struct sockaddr_in6 *)&ss;
	socklen_t		 len = sizeof(ss);
	char			 host[NI_MAXHOST], port[NI_MAXSERV], *pct;
	int			 v6only = 0, v6;
	socklen_t		 olen = sizeof(v6only);

	memset(&ss, 0, sizeof(ss));
	if (getsockname(s->lfd, (struct sockaddr *)&ss, &len) == -1 ||
	    getnameinfo((struct sockaddr *)&ss, len, host, sizeof(host), port,
	    sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		return;
	v6 = ss.ss_family == AF_INET6;
	if (v6 && IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr)) {
		inet_ntop(AF_INET, &s6->sin6_addr.s6_addr[12], host,
		    sizeof(host));
		v6 = 0;
	} else if (v6 && IN6_IS_ADDR_UNSPECIFIED(&s6->sin6_addr)) {
		/* -6 asked for IPv6: say ::1 even where IPv4 gets in. */
		if (getsockopt(s->lfd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only,
		    &olen) == -1 || s->o->c.family == AF_INET6)
			v6only = 1;
		snprintf(host, sizeof(host), "%s", v6only ? "::1" :
		    "127.0.0.1");
		v6 = v6only;
	} else if (!v6 && strcmp(host, "0.0.0.0") == 0)
		snprintf(host, sizeof(host), "127.0.0.1");
	fprintf(stderr, "sockkit: %s: serving ", CMD);
	cmd_put_text(stderr, s->root, strlen(s->root), SK_TEXT_TAB);
	if (v6 && (pct = strchr(host, '%')) != NULL) {
		*pct = '\0';
		fprintf(stderr, " at http://[%s%%25", host);
		cmd_put_text(stderr, pct + 1, strlen(pct + 1), SK_TEXT_TAB);
		fprintf(stderr, "]:%s/\n", port);
	} else
		fprintf(stderr, " at http://%s%s%s:%s/\n", v6 ? "[" : "", host,
		    v6 ? "]" : "", port);
	fflush(stderr);
}

/*
 * --log FILE, appended to.  Opened nonblocking, so a FIFO without a
 * reader fails (ENXIO) instead of stopping the server before it listens;
 * then blocking, for the log's thread to write (alog).  The fd, or -1.
 */
static int
open_log(const char *path)
{
	int	 fd, flags;

	if ((fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NONBLOCK |
	    O_CLOEXEC, 0666)) == -1)
		return -1;
	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == -1) {
		flags = errno;
		close(fd);
		errno = flags;
		return -1;
	}
	return fd;
}

int
http_serve(const struct http_opts *o)
{
	struct hsrv	s;
	struct hconn	*c;
	char		err[SK_ERRLEN];
	long long	tick;
	int		status = 0, lfd = -1;

	/* Deadlines are checked every tick: a second, or often enough that
	 * a timeout under two seconds is kept within half its length. */
	tick = o->head_ms < o->keepalive_ms ? o->head_ms : o->keepalive_ms;
	tick = o->send_ms < tick ? o->send_ms : tick;
	tick = tick / 2 < 1000 ? tick / 2 : 1000;
	memset(&s, 0, sizeof(s));
	s.o = o;
	s.lfd = -1;
	if ((s.rootfd = sk_path_root_open(NULL, o->dir, s.root)) == -1) {
		http_say_errno("", o->dir, errno);
		return EXIT_RUNTIME;
	}
	if (o->log != NULL && (lfd = open_log(o->log)) == -1) {
		http_say_errno("access log ", o->log, errno);
		close(s.rootfd);
		return EXIT_RUNTIME;
	}
	if ((s.elog = alog_new(STDERR_FILENO, CMD)) == NULL || (lfd != -1 &&
	    (s.log = alog_new(lfd, CMD)) == NULL)) {
		cmd_err(CMD, "log: %s", strerror(errno));
		alog_free(s.elog);
		if (lfd != -1)
			close(lfd);
		close(s.rootfd);
		return EXIT_RUNTIME;
	}
	if (lfd == -1 && !o->quiet)
		s.log = s.elog;
	if ((s.lfd = cmd_server_socket(CMD, &o->c, NULL, o->host, o->port,
	    SOCK_STREAM)) == -1) {
		status = EXIT_RUNTIME;
		goto out;
	}
	/* Out of descriptors, a client is told, not left to wait. */
	(void)cmd_accept_reserve();
	http_accept_init(&s);
	if ((s.loop = sk_loop_new(err, o->c.backend)) == NULL ||
	    sk_loop_add(err, s.loop, s.lfd, SK_READ, http_on_accept,
	    &s) == -1 || (s.timer = sk_loop_timer_add(err, s.loop, tick, tick,
	    http_on_tick, &s)) == -1 || cmd_signals_init(CMD, s.loop) == -1) {
		cmd_err(CMD, "%s", err);
		status = EXIT_RUNTIME;
		goto out;
	}
	cmd_listening(CMD, s.lfd);
	if (!o->quiet)
		print_url(&s);
	if (sk_loop_run(err, s.loop) == -1) {
		cmd_err(CMD, "%s", err);
		status = EXIT_RUNTIME;
	}
	cmd_signals_fini(s.loop);
out:
	/*
	 * Stopped by a signal: a response still under way is cut with a
	 * reset, so that its client sees the download fail rather than an
	 * end that a client without a length check takes for the whole.
	 */
	if (cmd_signalled())
		for (c = s.conns; c != NULL; c = c->next)
			c->abort = c->state == H_SEND || c->state == H_CUT;
	/* http_conn_free() unlinks what it frees (the analyzer cannot
	 * tell). */
	while (s.conns != NULL)
		/* NOLINTNEXTLINE(clang-analyzer-unix.Malloc) */
		http_conn_free(s.conns);
	if (s.lfd != -1)
		close(s.lfd);
	sk_loop_free(s.loop);
	if (s.log != s.elog)
		alog_free(s.log);
	alog_free(s.elog);
	if (lfd != -1)
		close(lfd);
	http_cache_clear(&s);
	close(s.rootfd);
	return status;
}

