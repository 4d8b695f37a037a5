/*
 * cmd_addr.c - operands and hosts as the user types them: "[ADDRESS]
 * PORT" and "HOST PORT", the "HOST:PORT" hint, nc's -p PORT, and the
 * checks made on a host before anything is resolved or sent (numeric
 * forms, brackets, URLs, -4/-6 against the address's family).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include <sockkit/net.h>

#include "cmd.h"

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
	if (cmd_port(cmd, NULL, *port, server) == -1)
		return -1;
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
	if ((len = strlen(host)) > 2 && host[0] == '[' &&
	    host[len - 1] == ']' &&
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
