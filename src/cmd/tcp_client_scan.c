/*
 * tcp_client_scan.c - sockkit tcp-client -z: which ports of a host are
 * open.  PORTS are ranges and lists ("22,80-90 443"); every port is tried
 * on the event loop, --parallel at a time, each bounded by -w, and the
 * results are printed in the order given as soon as they are known.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sockkit/loop.h>
#include <sockkit/net.h>

#include "tcp_client.h"

/*
 * -z's PORTS: operands of PORT, LO-HI or lists of them joined by commas
 * ("22,80-90 443").  Kept in the order given, each port once (65535 at
 * most, however many ranges overlap).
 */
static int
add_port(struct client_opts *o, uint8_t *seen, int port)
{
	if (seen[port / 8] & (1 << (port % 8)))
		return 0;
	seen[port / 8] = (uint8_t)(seen[port / 8] | 1 << (port % 8));
	o->ports[o->nports++] = (uint16_t)port;
	return 0;
}

static int
parse_ports_one(struct client_opts *o, uint8_t *seen, const char *s)
{
	char	buf[64], *dash;
	int	lo, hi, port;

	/* A whole service name first: "ftp-data" has a dash too. */
	if ((lo = sk_net_parse_port(NULL, s, 0)) != -1)
		return add_port(o, seen, lo);
	if (strlen(s) >= sizeof(buf) || (dash = strchr(s, '-')) == NULL ||
	    dash == s) {
		cmd_usage_err(CMD, "invalid port '%s'", s);
		return -1;
	}
	snprintf(buf, sizeof(buf), "%.*s", (int)(dash - s), s);
	if ((lo = sk_net_parse_port(NULL, buf, 0)) == -1 ||
	    (hi = sk_net_parse_port(NULL, dash + 1, 0)) == -1) {
		cmd_usage_err(CMD, "invalid port '%s'", s);
		return -1;
	}
	if (lo > hi) {
		cmd_usage_err(CMD, "invalid port range '%s' (low-high)", s);
		return -1;
	}
	for (port = lo; port <= hi; port++)
		add_port(o, seen, port);
	return 0;
}

int
tc_parse_ports(struct client_opts *o, int argc, char **argv)
{
	uint8_t	 seen[65536 / 8];
	char	*list, *tok, *next;
	int	 i, rc = 0;

	memset(seen, 0, sizeof(seen));
	if ((o->ports = malloc(65536 * sizeof(*o->ports))) == NULL) {
		cmd_err(CMD, "out of memory");
		return -1;
	}
	for (i = 0; i < argc && rc == 0; i++) {
		if ((list = strdup(argv[i])) == NULL) {
			cmd_err(CMD, "out of memory");
			return -1;
		}
		/* Empty items ("22,,80", "80,") are mistakes, not nothing. */
		for (tok = list; tok != NULL && rc == 0; tok = next) {
			if ((next = strchr(tok, ',')) != NULL)
				*next++ = '\0';
			if (*tok == '\0') {
				cmd_usage_err(CMD, "invalid port list '%s'",
				    argv[i]);
				rc = -1;
			} else
				rc = parse_ports_one(o, seen, tok);
		}
		free(list);
	}
	return rc;
}

/*
 * -z: try every port given, --parallel at a time, each bounded by -w;
 * print the results in the order given as soon as they are known.  A
 * port that refuses is closed; one where nothing answered within -w is
 * filtered (a firewall dropping the SYN, or a host that is not there),
 * as is one that is unreachable (no route, ICMP host or net unreachable).
 */
struct scan {
	const struct client_opts *o;
	struct sk_loop		*loop;
	struct sockaddr_storage	 ss;
	socklen_t		 sslen;
	size_t			 next;		/* next port to try (index) */
	size_t			 printed;	/* next port to print */
	int			 inflight;
	int			 nopen;
	uint8_t			*state;		/* per port: P_* */
	const char		**why;		/* per port: why not open */
	struct probe		*probes;	/* --parallel slots */
};

enum { P_TODO, P_TRYING, P_OPEN, P_CLOSED, P_FILTERED };

static const char *const state_name[] = {
	"", "", "open", "closed", "filtered"
};

struct probe {
	struct scan	*sc;
	int		 fd;		/* -1: free slot */
	size_t		 i;		/* index in o->ports */
	long long	 deadline;
};

static void
scan_print(struct scan *sc)
{
	const struct client_opts	*o = sc->o;
	size_t				 i;
	int				 st;

	while (sc->printed < o->nports &&
	    (st = sc->state[sc->printed]) >= P_OPEN) {
		i = sc->printed++;
		if (o->c.json) {
			printf("{\"host\":\"");
			cmd_json_str(stdout, o->host);
			printf("\",\"port\":%d,\"state\":\"%s\"", o->ports[i],
			    state_name[st]);
			if (st != P_OPEN) {
				printf(",\"error\":\"");
				cmd_json_str(stdout, sc->why[i]);
				printf("\"");
			}
			printf("}\n");
		} else
			printf("%s %d %s\n", o->host, o->ports[i],
			    state_name[st]);
		if (o->c.verbose && st != P_OPEN)
			cmd_err(CMD, "%s %d: %s", o->host, o->ports[i],
			    sc->why[i]);
	}
	(void)cmd_flush_stdout(CMD);
}

static void	on_probe(struct sk_loop *, int, int, void *);
static int	failed_state(int);

/* Settle a probe's port and free its slot. */
static void
probe_done(struct probe *p, int state, const char *why)
{
	struct scan	*sc = p->sc;

	sc->state[p->i] = (uint8_t)state;
	sc->why[p->i] = why;
	sc->nopen += state == P_OPEN;
	if (p->fd != -1) {
		sk_loop_del(sc->loop, p->fd);
		close(p->fd);
		p->fd = -1;
		sc->inflight--;
	}
}

/* Fill the free slots with the next ports. */
static void
scan_start(struct scan *sc)
{
	struct probe	*p;
	long long	 i;
	char		 err[SK_ERRLEN];
	uint16_t	 port;

	for (i = 0; i < sc->o->parallel && sc->next < sc->o->nports; i++) {
		p = &sc->probes[i];
		if (p->fd != -1)
			continue;
		p->i = sc->next++;
		port = sc->o->ports[p->i];
		sc->state[p->i] = P_TRYING;
		if (sc->ss.ss_family == AF_INET)
			((struct sockaddr_in *)&sc->ss)->sin_port = htons(port);
		else
			((struct sockaddr_in6 *)&sc->ss)->sin6_port =
			    htons(port);
		p->fd = sk_net_connect_start(err, (struct sockaddr *)&sc->ss,
		    sc->sslen, SOCK_STREAM);
		if (p->fd != -1) {
			sc->inflight++;
			p->deadline = sk_loop_now_ms() + sc->o->wait_ms;
			if (sk_loop_add(err, sc->loop, p->fd, SK_WRITE,
			    on_probe, p) == 0)
				continue;
			probe_done(p, P_TRYING, NULL);
			errno = EMFILE;		/* select: past FD_SETSIZE */
		}
		/*
		 * Out of descriptors (a --parallel above ulimit -n, or what
		 * select can watch) says nothing about the port: try it
		 * again once a probe in flight has ended.
		 */
		if ((errno == EMFILE || errno == ENFILE) && sc->inflight > 0) {
			sc->state[p->i] = P_TODO;
			sc->next--;
			break;
		}
		probe_done(p, failed_state(errno), strerror(errno));
	}
	scan_print(sc);
	/* stdout gone: nobody to tell. */
	if ((sc->inflight == 0 && sc->next >= sc->o->nports) ||
	    cmd_flush_stdout(CMD) == -1)
		sk_loop_stop(sc->loop);
}

/*
 * A connect that failed: closed when the host said no (a reset), else
 * filtered: no answer, or the way there is shut (ICMP host or network
 * unreachable, or no route here), as a firewall dropping it would look.
 */
static int
failed_state(int err)
{
	return err == ETIMEDOUT || err == EHOSTUNREACH ||
	    err == ENETUNREACH ? P_FILTERED : P_CLOSED;
}

static void
on_probe(struct sk_loop *loop, int fd, int mask, void *arg)
{
	struct probe	*p = arg;

	(void)loop;
	(void)mask;
	if (sk_net_connect_finish(NULL, fd) == 0)
		probe_done(p, P_OPEN, NULL);
	else
		probe_done(p, failed_state(errno), strerror(errno));
	scan_start(p->sc);
}

static void
on_scan_tick(struct sk_loop *loop, long long id, void *arg)
{
	struct scan	*sc = arg;
	long long	 now = sk_loop_now_ms(), i;

	(void)loop;
	(void)id;
	for (i = 0; i < sc->o->parallel; i++)
		if (sc->probes[i].fd != -1 && sc->probes[i].deadline <= now)
			probe_done(&sc->probes[i], P_FILTERED,
			    "no answer within -w");
	scan_start(sc);
}

int
tc_scan(const struct client_opts *o)
{
	struct scan	 sc;
	struct addrinfo	*res;
	char		 err[SK_ERRLEN];
	long long	 i, tick;
	int		 status = EXIT_RUNTIME;

	memset(&sc, 0, sizeof(sc));
	sc.o = o;
	if (sk_net_resolve(err, o->host, "1", o->c.family, SOCK_STREAM, 0,
	    &res) == -1) {
		cmd_err(CMD, "%s", err);
		return EXIT_RUNTIME;
	}
	memcpy(&sc.ss, res->ai_addr, res->ai_addrlen);
	sc.sslen = res->ai_addrlen;
	freeaddrinfo(res);
	sc.state = calloc(o->nports, 1);
	sc.why = calloc(o->nports, sizeof(*sc.why));
	sc.probes = calloc((size_t)o->parallel, sizeof(*sc.probes));
	if (sc.state == NULL || sc.why == NULL || sc.probes == NULL) {
		cmd_err(CMD, "out of memory");
		goto out;
	}
	for (i = 0; i < o->parallel; i++) {
		sc.probes[i].sc = &sc;
		sc.probes[i].fd = -1;
	}
	/* Deadlines are checked a few times per -w, at most every 50 ms. */
	tick = o->wait_ms / 4 < 50 ? (o->wait_ms / 4 > 0 ? o->wait_ms / 4 :
	    1) : 50;
	if ((sc.loop = sk_loop_new(err, o->c.backend)) == NULL ||
	    sk_loop_timer_add(err, sc.loop, tick, tick, on_scan_tick,
	    &sc) == -1) {
		cmd_err(CMD, "%s", err);
		goto out;
	}
	if (cmd_signals_init(CMD, sc.loop) == -1)
		goto out;
	scan_start(&sc);
	if (sk_loop_run(err, sc.loop) == -1) {
		cmd_err(CMD, "%s", err);
		goto out;
	}
	status = sc.nopen > 0 ? 0 : EXIT_RUNTIME;
out:
	for (i = 0; sc.probes != NULL && i < o->parallel; i++)
		if (sc.probes[i].fd != -1)
			close(sc.probes[i].fd);
	cmd_signals_fini(sc.loop);
	sk_loop_free(sc.loop);
	free(sc.probes);
	free(sc.why);
	free(sc.state);
	if (cmd_finish_stdout(CMD) != 0)
		status = EXIT_RUNTIME;
	return status;
}
